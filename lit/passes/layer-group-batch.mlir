// RUN: nntc-opt %s -p 'layer-group' | filecheck %s

// Members of a group share one batch size: slices cut the batch of the last member, so the
// Sub (N = 3) and the independent Add on its broadcast operand (N = 1), which would otherwise
// group, stay apart (grouped, the Sub was computed and stored for its first image only:
// `test_mvn_expanded`). The Div ends any group (its divisor, a member's result, is broadcast).
func.func @main(%x: tensor<3x3x3x1xf32> {onnx.name = "x"}, %s: tensor<1x3x1x1xf32> {onnx.name = "s"}) -> (tensor<3x3x3x1xf32> {onnx.name = "y"}) {
  %eps = top.weight "eps" dense<1.0e-03> : tensor<1x1x1x1xf32>
  %d = tpu.sub %x, %s : (tensor<3x3x3x1xf32>, tensor<1x3x1x1xf32>) -> tensor<3x3x3x1xf32> loc("d")
  %e = tpu.add %s, %eps : (tensor<1x3x1x1xf32>, tensor<1x1x1x1xf32>) -> tensor<1x3x1x1xf32> loc("e")
  %y = tpu.div %d, %e : (tensor<3x3x3x1xf32>, tensor<1x3x1x1xf32>) -> tensor<3x3x3x1xf32> loc("y")
  func.return %y : tensor<3x3x3x1xf32>
}

// CHECK-NOT:  tpu.group
// CHECK:      %d = tpu.sub %x, %s
// CHECK-NEXT: %e = tpu.add %s, %eps
// CHECK-NEXT: %y = tpu.div %d, %e
// CHECK-NOT:  tpu.group
