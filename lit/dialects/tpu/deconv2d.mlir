// RUN: NNTC_ROUNDTRIP
// RUN: NNTC_GENERIC_ROUNDTRIP

// tpu.deconv2d: result H = (3 - 1) * 2 - 0 - 0 + 1 * (3 - 1) + 1 + 1 = 8, W = (3 - 1) * 2 - 1 - 1
// + 2 * (2 - 1) + 1 + 0 = 5.
func.func @deconv(%x: tensor<1x4x3x3xf32>, %w: tensor<6x2x3x2xf32>, %b: tensor<6xf32>) -> tensor<1x6x8x5xf32> {
  %0 = tpu.deconv2d %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 0, 1, 0, 1>, dilations = array<i64: 1, 2>, output_padding = array<i64: 1, 0>, group = 2 : i64, do_relu = true, relu_limit = 6.0 : f64} : (tensor<1x4x3x3xf32>, tensor<6x2x3x2xf32>, tensor<6xf32>) -> tensor<1x6x8x5xf32>
  %1 = tpu.deconv2d %x, %w {group = 2 : i64} : (tensor<1x4x3x3xf32>, tensor<6x2x3x2xf32>) -> tensor<1x6x5x4xf32>
  func.return %0 : tensor<1x6x8x5xf32>
}

// CHECK-LABEL: func.func @deconv
// CHECK-NEXT:  %0 = tpu.deconv2d %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 0, 1, 0, 1>, dilations = array<i64: 1, 2>, output_padding = array<i64: 1, 0>, group = 2 : i64, do_relu = true, relu_limit = 6.000000e+00 : f64} : (tensor<1x4x3x3xf32>, tensor<6x2x3x2xf32>, tensor<6xf32>) -> tensor<1x6x8x5xf32>
// CHECK-NEXT:  %1 = tpu.deconv2d %x, %w {group = 2 : i64} : (tensor<1x4x3x3xf32>, tensor<6x2x3x2xf32>) -> tensor<1x6x5x4xf32>

// CHECK-GENERIC-LABEL: "func.func"() <{sym_name = "deconv"
// CHECK-GENERIC:      %0 = "tpu.deconv2d"(%x, %w, %b) <{strides = array<i64: 2, 2>, pads = array<i64: 0, 1, 0, 1>, dilations = array<i64: 1, 2>, output_padding = array<i64: 1, 0>, group = 2 : i64, do_relu = true, relu_limit = 6.000000e+00 : f64, operandSegmentSizes = array<i32: 1, 1, 1>}> : (tensor<1x4x3x3xf32>, tensor<6x2x3x2xf32>, tensor<6xf32>) -> tensor<1x6x8x5xf32>
// CHECK-GENERIC-NEXT: %1 = "tpu.deconv2d"(%x, %w) <{group = 2 : i64, operandSegmentSizes = array<i32: 1, 1, 0>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 0, 0>, do_relu = false}> : (tensor<1x4x3x3xf32>, tensor<6x2x3x2xf32>) -> tensor<1x6x5x4xf32>
