// tpu IR with a top op left in it (nntc-run refuses it: run-tpu.mlir).
func.func @main(%arg0: tensor<1x2x2x2xf32> {onnx.name = "x"}) -> (tensor<1x2x2x2xf32> {onnx.name = "y"}) {
  %s = tpu.add %arg0, %arg0 : (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> loc("s")
  %r = top.relu %s : tensor<1x2x2x2xf32> loc("r")
  func.return %r : tensor<1x2x2x2xf32>
}
