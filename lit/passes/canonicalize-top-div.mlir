// DivByConstantToMul (passes/canonicalization_patterns/top.py): a division by a weight becomes
// a product with its reciprocal, which is written to the weight store; other divisions stay.
// RUN: nntc-opt %s -p canonicalize | filecheck %s
// RUN: nntc-opt %s -p canonicalize --print-debuginfo | filecheck %s --check-prefix=CHECK-LOC

func.func @div_by_weight(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %six = top.weight "six" dense<[6.0]> : tensor<1xf32>
  %d = top.div %x, %six {do_relu = true} : (tensor<1x2x4x4xf32>, tensor<1xf32>) -> tensor<1x2x4x4xf32> loc("hswish_div")
  func.return %d : tensor<1x2x4x4xf32>
}
// CHECK-LABEL: func.func @div_by_weight(
// CHECK-NEXT:    %{{.*}} = top.weight "hswish_div.reciprocal" dense<0.166666672> : tensor<1xf32>
// CHECK-NEXT:    %{{.*}} = top.mul %x, %{{.*}} {do_relu = true} : (tensor<1x2x4x4xf32>, tensor<1xf32>) -> tensor<1x2x4x4xf32>
// CHECK-NEXT:    func.return
// CHECK-LOC-LABEL: func.func @div_by_weight(
// CHECK-LOC:         top.mul {{.*}} loc("hswish_div")

// A runtime divisor, and a weight holding a zero, are left alone.
func.func @div_stays(%x: tensor<4xf32>, %y: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %z = top.weight "z" dense<[1.0, 0.0, 2.0, 4.0]> : tensor<4xf32>
  %a = top.div %x, %y : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %b = top.div %x, %z : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  func.return %a, %b : tensor<4xf32>, tensor<4xf32>
}
// CHECK-LABEL: func.func @div_stays(
// CHECK:         top.div %x, %y
// CHECK:         top.div %x, %z
