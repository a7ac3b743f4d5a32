// Dead-code removal in top graphs is xDSL's: `dce`, and `canonicalize` which runs it too. Every
// top op is Pure, so an op without users goes, and with it the weights only it used; the
// driver then writes only the weights the IR still names to the side-car store.
// RUN: nntc-opt %s -p dce | filecheck %s
// RUN: nntc-opt %s -p canonicalize | filecheck %s

func.func @main(%arg0: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %x = top.input %arg0 : tensor<1x4xf32> loc("input")
  %w = top.weight "dead.weight" : tensor<4x4xf32>
  %b = top.weight "dead.bias" : tensor<4xf32>
  %unused = top.weight "unused" : tensor<4xf32>
  %m = top.matmul %x, %w, %b : (tensor<1x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<1x4xf32> loc("dead")
  %s = top.sigmoid %m : tensor<1x4xf32> loc("dead_too")
  %k = top.weight "kept" : tensor<4xf32>
  %r = top.add %x, %k : (tensor<1x4xf32>, tensor<4xf32>) -> tensor<1x4xf32> loc("out")
  func.return %r : tensor<1x4xf32>
}
// CHECK-LABEL: func.func @main(
// CHECK-NEXT:    %x = top.input %arg0 : tensor<1x4xf32>
// CHECK-NEXT:    %k = top.weight "kept" : tensor<4xf32>
// CHECK-NEXT:    %r = top.add %x, %k
// CHECK-NEXT:    func.return %r
