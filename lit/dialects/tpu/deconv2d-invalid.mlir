// RUN: NNTC_VERIFY_DIAGNOSTICS

func.func @wrong_size(%x: tensor<1x4x3x3xf32>, %w: tensor<6x2x3x3xf32>) {
  // expected-error @+1 {{expected result shape 1x6x7x7, got 1x6x6x6}}
  %0 = tpu.deconv2d %x, %w {strides = array<i64: 2, 2>, group = 2 : i64} : (tensor<1x4x3x3xf32>, tensor<6x2x3x3xf32>) -> tensor<1x6x6x6xf32>
  func.return
}

// -----

func.func @output_padding(%x: tensor<1x4x3x3xf32>, %w: tensor<2x4x3x3xf32>) {
  // expected-error @+1 {{expected 'output_padding' values in [0, max(stride, dilation)), got [2, 0] with strides [2, 2] and dilations [1, 1]}}
  %0 = tpu.deconv2d %x, %w {strides = array<i64: 2, 2>, output_padding = array<i64: 2, 0>} : (tensor<1x4x3x3xf32>, tensor<2x4x3x3xf32>) -> tensor<1x2x9x7xf32>
  func.return
}

// -----

func.func @group(%x: tensor<1x4x3x3xf32>, %w: tensor<2x4x3x3xf32>) {
  // expected-error @+1 {{expected 'group' (2) >= 1 dividing input channels (4) and output channels (2), with filter input channels x group (8) = 4}}
  %0 = tpu.deconv2d %x, %w {group = 2 : i64} : (tensor<1x4x3x3xf32>, tensor<2x4x3x3xf32>) -> tensor<1x2x5x5xf32>
  func.return
}

// -----

func.func @integer(%x: tensor<1x4x3x3xi8>, %w: tensor<2x4x3x3xi8>) {
  // expected-error @+1 {{expected a float input, got i8 (tpu.deconv2d is float only)}}
  %0 = tpu.deconv2d %x, %w : (tensor<1x4x3x3xi8>, tensor<2x4x3x3xi8>) -> tensor<1x2x5x5xi32>
  func.return
}
