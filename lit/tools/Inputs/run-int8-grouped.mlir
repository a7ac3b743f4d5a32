// A grouped conv (2 groups of 2 input channels): `quantize{target=reference}` makes it INT8,
// which INT8 code generation does not run; used by run-int8.mlir.
func.func @main(%arg0: tensor<1x4x1x1xf32> {onnx.name = "x"}) -> (tensor<1x2x1x1xf32> {onnx.name = "y"}) {
  %x = top.input %arg0 {calib = #quant.calibration<threshold = 1.27, min = -1.27, max = 1.27>} : tensor<1x4x1x1xf32> loc("x")
  %w = top.weight "w" dense<[[[[1.0]], [[0.5]]], [[[0.0]], [[-2.0]]]]> : tensor<2x2x1x1xf32> loc("w")
  %c = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 2 : i64, calib = #quant.calibration<threshold = 2.54, min = -2.54, max = 2.54>} : (tensor<1x4x1x1xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x1x1xf32> loc("grouped")
  func.return %c : tensor<1x2x1x1xf32>
}
