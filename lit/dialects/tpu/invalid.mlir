// RUN: NNTC_VERIFY_DIAGNOSTICS

// ---- element types and shapes (shared checks) -------------------------------------------------

func.func @dynamic_shape(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{expected input to have a static shape, got tensor<?x4xf32>}}
  %0 = tpu.relu %x : tensor<?x4xf32>
  func.return
}

// -----

func.func @unsupported_element(%x: tensor<4xf64>) {
  // expected-error @+1 {{unsupported element type f64 of input: expected f32, f16, bf16, an 8/16/32-bit integer or a quant type}}
  %0 = tpu.relu %x : tensor<4xf64>
  func.return
}

// -----

func.func @relu_limit_negative(%x: tensor<4xf32>) {
  // expected-error @+1 {{expected 'relu_limit' to be >= 0, got -1.0}}
  %0 = tpu.relu %x {relu_limit = -1.0 : f64} : tensor<4xf32>
  func.return
}

// ---- tpu.conv2d ---------------------------------------------------------------------------------

// -----

func.func @conv_rank(%x: tensor<3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expected input of rank 4, got 3 (tensor<3x8x8xf32>)}}
  %0 = tpu.conv2d %x, %w : (tensor<3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return
}

// -----

func.func @conv_strides_len(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expected 'strides' to have 2 elements, got 3}}
  %0 = tpu.conv2d %x, %w {strides = array<i64: 1, 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return
}

// -----

func.func @conv_strides_zero(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expected 'strides' values >= 1, got [1, 0]}}
  %0 = tpu.conv2d %x, %w {strides = array<i64: 1, 0>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return
}

// -----

func.func @conv_pads_negative(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expected 'pads' values >= 0, got [0, -1, 0, 0]}}
  %0 = tpu.conv2d %x, %w {pads = array<i64: 0, -1, 0, 0>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return
}

// -----

func.func @conv_dilations(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expected 'dilations' to be 2 values >= 1, got [0, 1]}}
  %0 = tpu.conv2d %x, %w {dilations = array<i64: 0, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return
}

// -----

func.func @conv_group(%x: tensor<1x4x8x8xf32>, %w: tensor<6x2x3x3xf32>) {
  // expected-error @+1 {{expected 'group' (4) >= 1 dividing input channels (4) and output channels (6)}}
  %0 = tpu.conv2d %x, %w {group = 4 : i64} : (tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32>) -> tensor<1x6x6x6xf32>
  func.return
}

// -----

func.func @conv_filter_channels(%x: tensor<1x4x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expected filter input channels x group (3) to equal input channels (4)}}
  %0 = tpu.conv2d %x, %w : (tensor<1x4x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return
}

// -----

func.func @conv_window(%x: tensor<1x3x2x2xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{window of kernel 3x3 (dilations 1x1) does not fit the padded input 2x2 with pads [0, 0, 0, 0]}}
  %0 = tpu.conv2d %x, %w : (tensor<1x3x2x2xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x1x1xf32>
  func.return
}

// -----

func.func @conv_result_shape(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expected result shape 1x4x4x4, got 1x4x6x6}}
  %0 = tpu.conv2d %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return
}

// -----

func.func @conv_bias_elements(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<1x3x1x1xf32>) {
  // expected-error @+1 {{expected bias to have 4 elements (output channels), got 3}}
  %0 = tpu.conv2d %x, %w, %b : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<1x3x1x1xf32>) -> tensor<1x4x6x6xf32>
  func.return
}

// -----

func.func @conv_float_filter(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf16>) {
  // expected-error @+1 {{expected filter element type f16 to equal input element type f32}}
  %0 = tpu.conv2d %x, %w : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf16>) -> tensor<1x4x6x6xf32>
  func.return
}

// -----

func.func @conv_float_bias(%x: tensor<1x3x8x8xf16>, %w: tensor<4x3x3x3xf16>, %b: tensor<4xbf16>) {
  // expected-error @+1 {{expected bias element type bf16 to be f32 or the input element type f16}}
  %0 = tpu.conv2d %x, %w, %b : (tensor<1x3x8x8xf16>, tensor<4x3x3x3xf16>, tensor<4xbf16>) -> tensor<1x4x6x6xf16>
  func.return
}

// -----

func.func @conv_float_multiplier(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'multiplier' is only valid when the op computes in integers, but the result element type is f32}}
  %0 = tpu.conv2d %x, %w {multiplier = array<i32: 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return
}

// -----

func.func @conv_int_input(%x: tensor<1x3x8x8xi16>, %w: tensor<4x3x3x3xi8>) {
  // expected-error @+1 {{expected input storage to be an integer of 8 bits, got i16}}
  %0 = tpu.conv2d %x, %w : (tensor<1x3x8x8xi16>, tensor<4x3x3x3xi8>) -> tensor<1x4x6x6xi32>
  func.return
}

// -----

func.func @conv_int_filter(%x: tensor<1x3x8x8xi8>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expected filter storage to be an integer of 8 bits, got f32}}
  %0 = tpu.conv2d %x, %w : (tensor<1x3x8x8xi8>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xi32>
  func.return
}

// -----

func.func @conv_int_bias(%x: tensor<1x3x8x8xi8>, %w: tensor<4x3x3x3xi8>, %b: tensor<4xi16>) {
  // expected-error @+1 {{expected bias storage to be an integer of 32 bits, got i16}}
  %0 = tpu.conv2d %x, %w, %b : (tensor<1x3x8x8xi8>, tensor<4x3x3x3xi8>, tensor<4xi16>) -> tensor<1x4x6x6xi32>
  func.return
}

// -----

func.func @conv_int_result(%x: tensor<1x3x8x8xi8>, %w: tensor<4x3x3x3xi8>) {
  // expected-error @+1 {{expected result storage to be an integer of 8 or 32 bits, got i16}}
  %0 = tpu.conv2d %x, %w : (tensor<1x3x8x8xi8>, tensor<4x3x3x3xi8>) -> tensor<1x4x6x6xi16>
  func.return
}

// -----

func.func @conv_int8_needs_rshift(%x: tensor<1x3x8x8xi8>, %w: tensor<4x3x3x3xi8>) {
  // expected-error @+1 {{integer op with an 8-bit result (i8) requires 'rshift'}}
  %0 = tpu.conv2d %x, %w {multiplier = array<i32: 1>} : (tensor<1x3x8x8xi8>, tensor<4x3x3x3xi8>) -> tensor<1x4x6x6xi8>
  func.return
}

// -----

func.func @conv_multiplier_len(%x: tensor<1x3x8x8xi8>, %w: tensor<4x3x3x3xi8>) {
  // expected-error @+1 {{expected 'multiplier' to have 1 or 4 (output channels) elements, got 3}}
  %0 = tpu.conv2d %x, %w {multiplier = array<i32: 1, 2, 3>, rshift = array<i64: 8>} : (tensor<1x3x8x8xi8>, tensor<4x3x3x3xi8>) -> tensor<1x4x6x6xi8>
  func.return
}

// -----

func.func @conv_rshift_len(%x: tensor<1x3x8x8xi8>, %w: tensor<4x3x3x3xi8>) {
  // expected-error @+1 {{expected 'rshift' to have 1 or 4 (output channels) elements, got 2}}
  %0 = tpu.conv2d %x, %w {rshift = array<i64: 8, 8>} : (tensor<1x3x8x8xi8>, tensor<4x3x3x3xi8>) -> tensor<1x4x6x6xi8>
  func.return
}

// -----

func.func @conv_rshift_range(%x: tensor<1x3x8x8xi8>, %w: tensor<4x3x3x3xi8>) {
  // expected-error @+1 {{expected 'rshift' values in [0, 63], got 64 at index 2}}
  %0 = tpu.conv2d %x, %w {rshift = array<i64: 1, 2, 64, 3>} : (tensor<1x3x8x8xi8>, tensor<4x3x3x3xi8>) -> tensor<1x4x6x6xi8>
  func.return
}

// -----

func.func @conv_relu_limit(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'relu_limit' requires do_relu = true}}
  %0 = tpu.conv2d %x, %w {relu_limit = 6.0 : f64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return
}

// -----

func.func @conv_relu_limit_negative(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expected 'relu_limit' to be >= 0, got -6.0}}
  %0 = tpu.conv2d %x, %w {do_relu = true, relu_limit = -6.0 : f64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return
}

// ---- tpu.matmul ---------------------------------------------------------------------------------

// -----

func.func @matmul_input_rank(%a: tensor<16xf32>, %r: tensor<16x8xf32>) {
  // expected-error @+1 {{expected input of rank >= 2, got 1 (tensor<16xf32>)}}
  %0 = tpu.matmul %a, %r : (tensor<16xf32>, tensor<16x8xf32>) -> tensor<8xf32>
  func.return
}

// -----

func.func @matmul_right_rank(%a: tensor<2x4x16xf32>, %r: tensor<1x2x16x8xf32>) {
  // expected-error @+1 {{expected right of rank 2 or of the input's rank 3, got 4 (tensor<1x2x16x8xf32>)}}
  %0 = tpu.matmul %a, %r : (tensor<2x4x16xf32>, tensor<1x2x16x8xf32>) -> tensor<2x4x8xf32>
  func.return
}

// -----

func.func @matmul_batch(%a: tensor<2x4x16xf32>, %r: tensor<3x16x8xf32>) {
  // expected-error @+1 {{expected right batch dims 2 (those of input), got 3}}
  %0 = tpu.matmul %a, %r : (tensor<2x4x16xf32>, tensor<3x16x8xf32>) -> tensor<2x4x8xf32>
  func.return
}

// -----

func.func @matmul_reduction(%a: tensor<4x16xf32>, %r: tensor<15x8xf32>) {
  // expected-error @+1 {{expected right reduction dim 15 to equal input's last dim 16}}
  %0 = tpu.matmul %a, %r : (tensor<4x16xf32>, tensor<15x8xf32>) -> tensor<4x8xf32>
  func.return
}

// -----

func.func @matmul_result(%a: tensor<4x16xf32>, %r: tensor<16x8xf32>) {
  // expected-error @+1 {{expected result shape 4x8, got 8x4}}
  %0 = tpu.matmul %a, %r : (tensor<4x16xf32>, tensor<16x8xf32>) -> tensor<8x4xf32>
  func.return
}

// -----

func.func @matmul_bias(%a: tensor<4x16xf32>, %r: tensor<16x8xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{expected bias to have 8 elements (output columns), got 4}}
  %0 = tpu.matmul %a, %r, %b : (tensor<4x16xf32>, tensor<16x8xf32>, tensor<4xf32>) -> tensor<4x8xf32>
  func.return
}

// -----

func.func @matmul_float_right(%a: tensor<4x16xf16>, %r: tensor<16x8xbf16>) {
  // expected-error @+1 {{expected right element type bf16 to equal input element type f16}}
  %0 = tpu.matmul %a, %r : (tensor<4x16xf16>, tensor<16x8xbf16>) -> tensor<4x8xf16>
  func.return
}

// -----

func.func @matmul_float_bias(%a: tensor<4x16xf16>, %r: tensor<16x8xf16>, %b: tensor<8xi32>) {
  // expected-error @+1 {{expected bias element type i32 to be f32 or the input element type f16}}
  %0 = tpu.matmul %a, %r, %b : (tensor<4x16xf16>, tensor<16x8xf16>, tensor<8xi32>) -> tensor<4x8xf16>
  func.return
}

// -----

func.func @matmul_int_right(%a: tensor<4x16xi8>, %r: tensor<16x8xi16>) {
  // expected-error @+1 {{expected right storage to be an integer of 8 bits, got i16}}
  %0 = tpu.matmul %a, %r : (tensor<4x16xi8>, tensor<16x8xi16>) -> tensor<4x8xi32>
  func.return
}

// -----

func.func @matmul_multiplier_len(%a: tensor<4x16xi8>, %r: tensor<16x8xi8>) {
  // expected-error @+1 {{expected 'multiplier' to have 1 or 8 (output columns) elements, got 4}}
  %0 = tpu.matmul %a, %r {multiplier = array<i32: 1, 1, 1, 1>, rshift = array<i64: 3>} : (tensor<4x16xi8>, tensor<16x8xi8>) -> tensor<4x8xi8>
  func.return
}

// ---- tpu.add / tpu.mul --------------------------------------------------------------------------

// -----

func.func @add_one_input(%a: tensor<4xf32>) {
  // expected-error @+1 {{expected at least 2 inputs, got 1}}
  %0 = tpu.add %a : (tensor<4xf32>) -> tensor<4xf32>
  func.return
}

// -----

func.func @add_broadcast(%a: tensor<2x4xf32>, %b: tensor<3x4xf32>) {
  // expected-error @+1 {{input shapes 2x4 and 3x4 do not broadcast}}
  %0 = tpu.add %a, %b : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  func.return
}

// -----

func.func @add_result_shape(%a: tensor<2x1xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{expected result (the broadcast input shape) shape 2x4, got 2x1}}
  %0 = tpu.add %a, %b : (tensor<2x1xf32>, tensor<4xf32>) -> tensor<2x1xf32>
  func.return
}

// -----

func.func @add_float_mixed(%a: tensor<4xf32>, %b: tensor<4xf16>) {
  // expected-error @+1 {{expected input #1 element type f16 to equal input #0 element type f32}}
  %0 = tpu.add %a, %b : (tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
  func.return
}

// -----

func.func @add_float_result(%a: tensor<4xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{expected result element type f16 to equal input #0 element type f32}}
  %0 = tpu.add %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf16>
  func.return
}

// -----

func.func @add_int_input(%a: tensor<4xi8>, %b: tensor<4xi32>) {
  // expected-error @+1 {{expected input #1 storage to be an integer of 8 bits, got i32}}
  %0 = tpu.add %a, %b {multiplier = array<i32: 1, 1>, rshift = array<i64: 0>} : (tensor<4xi8>, tensor<4xi32>) -> tensor<4xi8>
  func.return
}

// -----

func.func @add_int_result(%a: tensor<4xi8>, %b: tensor<4xi8>) {
  // expected-error @+1 {{expected result storage to be an integer of 8 bits, got i32}}
  %0 = tpu.add %a, %b : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi32>
  func.return
}

// -----

func.func @add_multiplier_per_input(%a: tensor<4xi8>, %b: tensor<4xi8>) {
  // expected-error @+1 {{expected 'multiplier' to have 2 (one per input) elements, got 1}}
  %0 = tpu.add %a, %b {multiplier = array<i32: 1>, rshift = array<i64: 0>} : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
  func.return
}

// -----

func.func @add_rshift_per_tensor(%a: tensor<4xi8>, %b: tensor<4xi8>) {
  // expected-error @+1 {{expected 'rshift' to have 1 (per tensor) elements, got 2}}
  %0 = tpu.add %a, %b {multiplier = array<i32: 1, 1>, rshift = array<i64: 0, 0>} : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
  func.return
}

// -----

func.func @mul_multiplier_len(%a: tensor<1x4x2x2xi8>, %b: tensor<1x4x2x2xi8>) {
  // expected-error @+1 {{expected 'multiplier' to have 1 (per tensor) elements, got 4}}
  %0 = tpu.mul %a, %b {multiplier = array<i32: 1, 1, 1, 1>, rshift = array<i64: 0>} : (tensor<1x4x2x2xi8>, tensor<1x4x2x2xi8>) -> tensor<1x4x2x2xi8>
  func.return
}

// -----

func.func @mul_broadcast(%a: tensor<4x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{input shapes 4x3 and 4 do not broadcast}}
  %0 = tpu.mul %a, %b : (tensor<4x3xf32>, tensor<4xf32>) -> tensor<4x3xf32>
  func.return
}

// ---- pools --------------------------------------------------------------------------------------

// -----

func.func @pool_kernel_len(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{expected 'kernel_shape' to have 2 elements, got 1}}
  %0 = tpu.maxpool %x {kernel_shape = array<i64: 2>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x7x7xf32>
  func.return
}

// -----

func.func @pool_kernel_zero(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{expected 'kernel_shape' values >= 1, got [0, 2]}}
  %0 = tpu.maxpool %x {kernel_shape = array<i64: 0, 2>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x7x7xf32>
  func.return
}

// -----

func.func @pool_pads(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{expected 'pads' [2, 0, 0, 0] smaller than 'kernel_shape' [2, 2]}}
  %0 = tpu.maxpool %x {kernel_shape = array<i64: 2, 2>, pads = array<i64: 2, 0, 0, 0>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x9x7xf32>
  func.return
}

// -----

func.func @pool_result_shape(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{expected result shape 1x4x4x4, got 1x4x7x7}}
  %0 = tpu.maxpool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x7x7xf32>
  func.return
}

// -----

func.func @maxpool_element(%x: tensor<1x4x8x8xsi8>) {
  // expected-error @+1 {{expected result element type i8 to equal input element type si8}}
  %0 = tpu.maxpool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x4x8x8xsi8>) -> tensor<1x4x4x4xi8>
  func.return
}

// -----

func.func @avgpool_int_result(%x: tensor<1x4x8x8xsi8>) {
  // expected-error @+1 {{expected result storage to be an integer of 8 bits, got i32}}
  %0 = tpu.avgpool %x {kernel_shape = array<i64: 8, 8>} : (tensor<1x4x8x8xsi8>) -> tensor<1x4x1x1xi32>
  func.return
}

// -----

func.func @avgpool_rshift_len(%x: tensor<1x4x8x8xsi8>) {
  // expected-error @+1 {{expected 'rshift' to have 1 (per tensor) elements, got 4}}
  %0 = tpu.avgpool %x {kernel_shape = array<i64: 8, 8>, rshift = array<i64: 6, 6, 6, 6>} : (tensor<1x4x8x8xsi8>) -> tensor<1x4x1x1xsi8>
  func.return
}

// -----

func.func @avgpool_float_result(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{expected result element type f16 to equal input element type f32}}
  %0 = tpu.avgpool %x {kernel_shape = array<i64: 8, 8>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x1x1xf16>
  func.return
}

// ---- reshape / concat / softmax -----------------------------------------------------------------

// -----

func.func @reshape_count(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{expected result to have the input's 6 elements, got 8}}
  %0 = tpu.reshape %x : (tensor<2x3xf32>) -> tensor<8xf32>
  func.return
}

// -----

func.func @reshape_element(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{expected result element type f16 to equal input element type f32}}
  %0 = tpu.reshape %x : (tensor<2x3xf32>) -> tensor<6xf16>
  func.return
}

// -----

func.func @concat_empty() {
  // expected-error @+1 {{expected at least 1 input, got 0}}
  %0 = tpu.concat {axis = 0 : i64} : () -> tensor<4xf32>
  func.return
}

// -----

func.func @concat_axis(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{expected 'axis' in [0, 2), got 2}}
  %0 = tpu.concat %a, %a {axis = 2 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  func.return
}

// -----

func.func @concat_element(%a: tensor<2x3xf32>, %b: tensor<2x3xf16>) {
  // expected-error @+1 {{expected input #1 element type f16 to equal result element type f32}}
  %0 = tpu.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x3xf16>) -> tensor<2x6xf32>
  func.return
}

// -----

func.func @concat_rank(%a: tensor<2x3xf32>, %b: tensor<6xf32>) {
  // expected-error @+1 {{expected input #1 of rank 2, got 1 (tensor<6xf32>)}}
  %0 = tpu.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<6xf32>) -> tensor<2x6xf32>
  func.return
}

// -----

func.func @concat_other_dim(%a: tensor<2x3xf32>, %b: tensor<1x3xf32>) {
  // expected-error @+1 {{expected input #1 dim 0 to be 2 (the result's), got 1}}
  %0 = tpu.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x6xf32>
  func.return
}

// -----

func.func @concat_sum(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) {
  // expected-error @+1 {{expected result dim 1 to be 7 (the sum of the inputs'), got 6}}
  %0 = tpu.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<2x6xf32>
  func.return
}

// -----

func.func @softmax_axis(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{expected 'axis' in [0, 2), got -1}}
  %0 = tpu.softmax %x {axis = -1 : i64} : tensor<2x8xf32>
  func.return
}

// -----

func.func @softmax_int(%x: tensor<2x8xi8>) {
  // expected-error @+1 {{expected a float element type (f32, f16, bf16), got i8}}
  %0 = tpu.softmax %x {axis = 1 : i64} : tensor<2x8xi8>
  func.return
}

// ---- tpu.requant / tpu.cast ---------------------------------------------------------------------

// -----

func.func @requant_shape(%x: tensor<1x4x2x2xi32>) {
  // expected-error @+1 {{expected result (the input's) shape 1x4x2x2, got 1x4x4}}
  %0 = tpu.requant %x {multiplier = array<i32: 1>, rshift = array<i64: 1>} : (tensor<1x4x2x2xi32>) -> tensor<1x4x4xi8>
  func.return
}

// -----

func.func @requant_input(%x: tensor<1x4x2x2xf32>) {
  // expected-error @+1 {{expected input storage to be an integer of 8, 16 or 32 bits, got f32}}
  %0 = tpu.requant %x {multiplier = array<i32: 1>, rshift = array<i64: 1>} : (tensor<1x4x2x2xf32>) -> tensor<1x4x2x2xi8>
  func.return
}

// -----

func.func @requant_result(%x: tensor<1x4x2x2xi32>) {
  // expected-error @+1 {{expected result storage to be an integer of 8 bits, got i16}}
  %0 = tpu.requant %x {multiplier = array<i32: 1>, rshift = array<i64: 1>} : (tensor<1x4x2x2xi32>) -> tensor<1x4x2x2xi16>
  func.return
}

// -----

func.func @requant_only_shift_multiplier(%x: tensor<1x4x2x2xi32>) {
  // expected-error @+1 {{'multiplier' is not allowed with quant_mode only_shift}}
  %0 = tpu.requant %x {quant_mode = #tpu<requant only_shift>, multiplier = array<i32: 1>, rshift = array<i64: 1>} : (tensor<1x4x2x2xi32>) -> tensor<1x4x2x2xi8>
  func.return
}

// -----

func.func @requant_needs_multiplier(%x: tensor<1x4x2x2xi32>) {
  // expected-error @+1 {{quant_mode tflite requires 'multiplier'}}
  %0 = tpu.requant %x {quant_mode = #tpu<requant tflite>, rshift = array<i64: 1>} : (tensor<1x4x2x2xi32>) -> tensor<1x4x2x2xi8>
  func.return
}

// -----

func.func @requant_channels(%x: tensor<1x4x2x2xi32>) {
  // expected-error @+1 {{expected 'multiplier' to have 1 or 4 (channels, dim 1) elements, got 2}}
  %0 = tpu.requant %x {multiplier = array<i32: 1, 2>, rshift = array<i64: 1>} : (tensor<1x4x2x2xi32>) -> tensor<1x4x2x2xi8>
  func.return
}

// -----

func.func @requant_needs_rshift(%x: tensor<1x4x2x2xi32>) {
  // expected-error @+1 {{integer op with an 8-bit result (si8) requires 'rshift'}}
  %0 = tpu.requant %x {multiplier = array<i32: 1>} : (tensor<1x4x2x2xi32>) -> tensor<1x4x2x2xsi8>
  func.return
}

// -----

func.func @cast_shape(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{expected result (the input's) shape 2x3, got 3x2}}
  %0 = tpu.cast %x : (tensor<2x3xf32>) -> tensor<3x2xf16>
  func.return
}

// -----

func.func @cast_same_type(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{expected different input and result element types, got f32}}
  %0 = tpu.cast %x : (tensor<2x3xf32>) -> tensor<2x3xf32>
  func.return
}

// -----

func.func @cast_scale_positive(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{expected 'scale' > 0, got 0.0}}
  %0 = tpu.cast %x {scale = 0.0 : f64} : (tensor<2x3xf32>) -> tensor<2x3xi8>
  func.return
}

// -----

func.func @cast_scale_floats(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'scale' is only valid between a float and a plain integer type, got f32 -> f16}}
  %0 = tpu.cast %x {scale = 0.5 : f64} : (tensor<2x3xf32>) -> tensor<2x3xf16>
  func.return
}

// ---- tpu.group / tpu.yield ----------------------------------------------------------------------

// -----

func.func @group_slices(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{expected 'h_slices' >= 1, got 0}}
  %0 = tpu.group slices(1, 0) -> (tensor<1x4x8x8xf32>) {
    tpu.yield %x : tensor<1x4x8x8xf32>
  }
  func.return
}

// -----

func.func @group_stages(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{expected 'swpipl_stage_num' in [1, 3], got 4}}
  %0 = tpu.group slices(1, 1) stages 4 -> (tensor<1x4x8x8xf32>) {
    tpu.yield %x : tensor<1x4x8x8xf32>
  }
  func.return
}

// -----

func.func @group_block_args(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{expected a body block without arguments, got 1}}
  %0 = tpu.group slices(1, 1) -> (tensor<1x4x8x8xf32>) {
  ^bb0(%a: tensor<1x4x8x8xf32>):
    tpu.yield %a : tensor<1x4x8x8xf32>
  }
  func.return
}

// -----

func.func @group_no_yield(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{expected the body to end with 'tpu.yield', got 'tpu.relu'}}
  %0 = tpu.group slices(1, 1) -> (tensor<1x4x8x8xf32>) {
    %r = tpu.relu %x : tensor<1x4x8x8xf32>
  }
  func.return
}

// -----

func.func @group_no_block(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{Region 'body' at position 0 expected a single block, but got 0 blocks}}
  %0 = tpu.group slices(1, 1) -> (tensor<1x4x8x8xf32>) {
  }
  func.return
}

// -----

func.func @group_yield_count(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{expected 'tpu.yield' to give 1 values (the group's results), got 2}}
  %0 = tpu.group slices(1, 1) -> (tensor<1x4x8x8xf32>) {
    tpu.yield %x, %x : tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>
  }
  func.return
}

// -----

func.func @group_yield_type(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{expected yielded value #0 of type tensor<1x4x8x8xf16>, got tensor<1x4x8x8xf32>}}
  %0 = tpu.group slices(1, 1) -> (tensor<1x4x8x8xf16>) {
    tpu.yield %x : tensor<1x4x8x8xf32>
  }
  func.return
}

// -----

func.func @yield_outside(%x: tensor<4xf32>) {
  // expected-error @+1 {{'tpu.yield' expects parent op 'tpu.group'}}
  tpu.yield %x : tensor<4xf32>
}

// ---- tpu.load / tpu.store -----------------------------------------------------------------------

// -----

func.func @load_outside(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{'tpu.load' expects parent op 'tpu.group'}}
  %l = tpu.load %x lmem(0) {n_idx = array<i64: 0>, n_slice = array<i64: 1>, h_idx = array<i64: 0>, h_slice = array<i64: 8>} : tensor<1x4x8x8xf32>
  func.return
}

// -----

func.func @load_rank(%x: tensor<4x8x8xf32>) {
  %0 = tpu.group slices(1, 1) -> (tensor<4x8x8xf32>) {
    // expected-error @+1 {{expected the tensor (NCHW) of rank 4, got 3 (tensor<4x8x8xf32>)}}
    %l = tpu.load %x lmem(0) {n_idx = array<i64: 0>, n_slice = array<i64: 1>, h_idx = array<i64: 0>, h_slice = array<i64: 8>} : tensor<4x8x8xf32>
    tpu.yield %l : tensor<4x8x8xf32>
  }
  func.return
}

// -----

func.func @load_local_addr(%x: tensor<1x4x8x8xf32>) {
  %0 = tpu.group slices(1, 1) -> (tensor<1x4x8x8xf32>) {
    // expected-error @+1 {{expected 'local_addr' in [0, 0x1000000) (local memory), got 0x1000000}}
    %l = tpu.load %x lmem(16777216) {n_idx = array<i64: 0>, n_slice = array<i64: 1>, h_idx = array<i64: 0>, h_slice = array<i64: 8>} : tensor<1x4x8x8xf32>
    tpu.yield %l : tensor<1x4x8x8xf32>
  }
  func.return
}

// -----

func.func @load_global_addr(%x: tensor<1x4x8x8xf32>) {
  %0 = tpu.group slices(1, 1) -> (tensor<1x4x8x8xf32>) {
    // expected-error @+1 {{expected 'global_addr' in [0x100000000, 0x300000000) (global memory), got 0x1000}}
    %l = tpu.load %x lmem(0) gmem(4096) {n_idx = array<i64: 0>, n_slice = array<i64: 1>, h_idx = array<i64: 0>, h_slice = array<i64: 8>} : tensor<1x4x8x8xf32>
    tpu.yield %l : tensor<1x4x8x8xf32>
  }
  func.return
}

// -----

func.func @load_global_align(%x: tensor<1x4x8x8xf32>) {
  %0 = tpu.group slices(1, 1) -> (tensor<1x4x8x8xf32>) {
    // expected-error @+1 {{expected 'global_addr' 0x100000200 aligned to 0x1000 bytes}}
    %l = tpu.load %x lmem(0) gmem(4294967808) {n_idx = array<i64: 0>, n_slice = array<i64: 1>, h_idx = array<i64: 0>, h_slice = array<i64: 8>} : tensor<1x4x8x8xf32>
    tpu.yield %l : tensor<1x4x8x8xf32>
  }
  func.return
}

// -----

func.func @load_slice_lengths(%x: tensor<2x4x8x8xf32>) {
  %0 = tpu.group slices(2, 1) -> (tensor<2x4x8x8xf32>) {
    // expected-error @+1 {{expected 'n_idx' and 'n_slice' to have the same non-zero length, got 2 and 1}}
    %l = tpu.load %x lmem(0) {n_idx = array<i64: 0, 1>, n_slice = array<i64: 1>, h_idx = array<i64: 0>, h_slice = array<i64: 8>} : tensor<2x4x8x8xf32>
    tpu.yield %l : tensor<2x4x8x8xf32>
  }
  func.return
}

// -----

func.func @load_group_slices(%x: tensor<1x4x8x8xf32>) {
  %0 = tpu.group slices(1, 2) -> (tensor<1x4x8x8xf32>) {
    // expected-error @+1 {{expected 1 or 2 h slices (the group's h_slices), got 3}}
    %l = tpu.load %x lmem(0) {n_idx = array<i64: 0>, n_slice = array<i64: 1>, h_idx = array<i64: 0, 3, 6>, h_slice = array<i64: 3, 3, 2>} : tensor<1x4x8x8xf32>
    tpu.yield %l : tensor<1x4x8x8xf32>
  }
  func.return
}

// -----

func.func @store_slice_range(%x: tensor<1x4x8x8xf32>) {
  %0 = tpu.group slices(1, 2) -> (tensor<1x4x8x8xf32>) {
    // expected-error @+1 {{h slice #1 [4, 9) is not a non-empty range within the tensor's H = 8}}
    %s = tpu.store %x lmem(0) {n_idx = array<i64: 0>, n_slice = array<i64: 1>, h_idx = array<i64: 0, 4>, h_slice = array<i64: 4, 5>} : tensor<1x4x8x8xf32>
    tpu.yield %s : tensor<1x4x8x8xf32>
  }
  func.return
}

// -----

func.func @store_lane_overflow(%x: tensor<1x4x256x256xf32>) {
  %0 = tpu.group slices(1, 1) -> (tensor<1x4x256x256xf32>) {
    // expected-error @+1 {{local copy of 262144 bytes per lane at lane offset 0x1000 overflows the 0x40000 bytes of a lane}}
    %s = tpu.store %x lmem(4096) {n_idx = array<i64: 0>, n_slice = array<i64: 1>, h_idx = array<i64: 0>, h_slice = array<i64: 256>} : tensor<1x4x256x256xf32>
    tpu.yield %s : tensor<1x4x256x256xf32>
  }
  func.return
}

// ---- sub / div / exp / sigmoid / hardsigmoid / upsample / depth_to_space -------------------------

// -----

func.func @sub_int(%x: tensor<2x4xi8>) {
  // expected-error @+1 {{expected a float element type (f32, f16, bf16), got i8}}
  %0 = tpu.sub %x, %x : (tensor<2x4xi8>, tensor<2x4xi8>) -> tensor<2x4xi8>
  func.return
}

// -----

func.func @div_int(%x: tensor<2x4xi8>) {
  // expected-error @+1 {{expected a float element type (f32, f16, bf16), got i8}}
  %0 = tpu.div %x, %x : (tensor<2x4xi8>, tensor<2x4xi8>) -> tensor<2x4xi8>
  func.return
}

// -----

func.func @div_broadcast(%x: tensor<2x4xf32>, %y: tensor<3x4xf32>) {
  // expected-error @+1 {{input shapes 2x4 and 3x4 do not broadcast}}
  %0 = tpu.div %x, %y : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  func.return
}

// -----

func.func @div_result_shape(%x: tensor<2x4xf32>, %y: tensor<1x4xf32>) {
  // expected-error @+1 {{expected result (the broadcast input shape) shape 2x4, got 1x4}}
  %0 = tpu.div %x, %y : (tensor<2x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  func.return
}

// -----

func.func @div_elem(%x: tensor<2x4xf32>, %y: tensor<2x4xf16>) {
  // expected-error @+1 {{expected input #1 element type f16 to equal input #0 element type f32}}
  %0 = tpu.div %x, %y : (tensor<2x4xf32>, tensor<2x4xf16>) -> tensor<2x4xf32>
  func.return
}

// -----

func.func @div_relu_limit(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{'relu_limit' requires do_relu = true}}
  %0 = tpu.div %x, %x {relu_limit = 6.0 : f64} : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  func.return
}

// -----

func.func @exp_int(%x: tensor<2x4xsi8>) {
  // expected-error @+1 {{expected a float element type (f32, f16, bf16), got si8}}
  %0 = tpu.exp %x : tensor<2x4xsi8>
  func.return
}

// -----

func.func @sigmoid_int(%x: tensor<2x4xi32>) {
  // expected-error @+1 {{expected a float element type (f32, f16, bf16), got i32}}
  %0 = tpu.sigmoid %x : tensor<2x4xi32>
  func.return
}

// -----

func.func @hardsigmoid_int(%x: tensor<2x4xui8>) {
  // expected-error @+1 {{expected a float element type (f32, f16, bf16), got ui8}}
  %0 = tpu.hardsigmoid %x {alpha = 0.2 : f64, beta = 0.5 : f64} : tensor<2x4xui8>
  func.return
}

// -----

func.func @upsample_scales_len(%x: tensor<1x4x2x3xf32>) {
  // expected-error @+1 {{expected 'scales' to have 2 entries (h, w), got 3}}
  %0 = tpu.upsample %x {scales = array<i64: 1, 2, 2>} : (tensor<1x4x2x3xf32>) -> tensor<1x4x4x6xf32>
  func.return
}

// -----

func.func @upsample_scales_value(%x: tensor<1x4x2x3xf32>) {
  // expected-error @+1 {{expected 'scales' entries >= 1, got [2, 0]}}
  %0 = tpu.upsample %x {scales = array<i64: 2, 0>} : (tensor<1x4x2x3xf32>) -> tensor<1x4x4x6xf32>
  func.return
}

// -----

func.func @upsample_rank(%x: tensor<4x2x3xf32>) {
  // expected-error @+1 {{expected input of rank 4, got 3 (tensor<4x2x3xf32>)}}
  %0 = tpu.upsample %x {scales = array<i64: 2, 2>} : (tensor<4x2x3xf32>) -> tensor<4x4x6xf32>
  func.return
}

// -----

func.func @upsample_elem(%x: tensor<1x4x2x3xf32>) {
  // expected-error @+1 {{expected result element type f16 to equal input element type f32}}
  %0 = tpu.upsample %x {scales = array<i64: 2, 2>} : (tensor<1x4x2x3xf32>) -> tensor<1x4x4x6xf16>
  func.return
}

// -----

func.func @upsample_shape(%x: tensor<1x4x2x3xf32>) {
  // expected-error @+1 {{expected result shape 1x4x4x6, got 1x4x4x3}}
  %0 = tpu.upsample %x {scales = array<i64: 2, 2>} : (tensor<1x4x2x3xf32>) -> tensor<1x4x4x3xf32>
  func.return
}

// -----

func.func @depth_to_space_block(%x: tensor<1x4x2x3xf32>) {
  // expected-error @+1 {{expected 'block' to have 2 entries (h, w), got 1}}
  %0 = tpu.depth_to_space %x {block = array<i64: 2>} : (tensor<1x4x2x3xf32>) -> tensor<1x1x4x6xf32>
  func.return
}

// -----

func.func @depth_to_space_channels(%x: tensor<1x6x2x3xf32>) {
  // expected-error @+1 {{expected input channels (6) to be a multiple of block h x w (4)}}
  %0 = tpu.depth_to_space %x {block = array<i64: 2, 2>} : (tensor<1x6x2x3xf32>) -> tensor<1x1x4x6xf32>
  func.return
}

// -----

func.func @depth_to_space_shape(%x: tensor<1x8x2x3xf32>) {
  // expected-error @+1 {{expected result shape 1x2x4x6, got 1x1x4x6}}
  %0 = tpu.depth_to_space %x {block = array<i64: 2, 2>} : (tensor<1x8x2x3xf32>) -> tensor<1x1x4x6xf32>
  func.return
}

// -----

func.func @depth_to_space_result_rank(%x: tensor<1x8x2x3xf32>) {
  // expected-error @+1 {{expected result of rank 4, got 3 (tensor<2x4x6xf32>)}}
  %0 = tpu.depth_to_space %x {block = array<i64: 2, 2>} : (tensor<1x8x2x3xf32>) -> tensor<2x4x6xf32>
  func.return
}
