// fold-constants: top ops fed only by weights become one precomputed weight named after the op.
// RUN: nntc-opt %s -p fold-constants --split-input-file | filecheck %s
// The computed values travel inline when the output is stdout (no side-car to write to):
// RUN: nntc-opt %s -p fold-constants --split-input-file | filecheck %s --check-prefix=VALUE

func.func @chain(%x: tensor<2xf32>) -> tensor<2xf32> {
  %a = top.weight "a" dense<[1.0, 2.0]> : tensor<2xf32>
  %b = top.weight "b" dense<[10.0, 20.0]> : tensor<2xf32>
  %s = top.add %a, %b : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32> loc("scale")
  %m = top.mul %s, %a : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32> loc("scaled")
  %y = top.add %x, %m : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32> loc("out")
  func.return %y : tensor<2xf32>
}
// CHECK-LABEL: func.func @chain(
// CHECK-NEXT:    %{{.*}} = top.weight "scaled" dense<[1.100000e+01, 4.400000e+01]> : tensor<2xf32>
// CHECK-NEXT:    %y = top.add %x, %{{.*}}
// CHECK-NEXT:    func.return %y
// VALUE: top.weight "scaled" dense<[1.100000e+01, 4.400000e+01]>

// -----

// An op that also reads a graph input is not folded; an unnamed fold gets the op's name.
func.func @partial(%x: tensor<1x4xf32>) -> (tensor<1x4xf32>, tensor<4xf32>) {
  %w = top.weight "w" dense<[1.0, -2.0, 3.0, -4.0]> : tensor<4xf32>
  %y = top.add %x, %w : (tensor<1x4xf32>, tensor<4xf32>) -> tensor<1x4xf32>
  %r = top.relu %w : tensor<4xf32>
  func.return %y, %r : tensor<1x4xf32>, tensor<4xf32>
}
// CHECK-LABEL: func.func @partial(
// CHECK-NEXT:    %w = top.weight "w" dense<[1.000000e+00, -2.000000e+00, 3.000000e+00, -4.000000e+00]> : tensor<4xf32>
// CHECK-NEXT:    %y = top.add %x, %w
// CHECK-NEXT:    %{{.*}} = top.weight "top_relu" dense<[1.000000e+00, 0.000000e+00, 3.000000e+00, 0.000000e+00]> : tensor<4xf32>
// CHECK-NEXT:    func.return
