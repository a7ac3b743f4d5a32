// Every verifier message of the top dialect, one case per chunk.
// RUN: NNTC_VERIFY_DIAGNOSTICS

// --- shared ------------------------------------------------------------------------------------

func.func @dynamic_shape(%a: tensor<?x16xf32>) {
  // expected-error @+1 {{expected a static shape for input, got tensor<?x16xf32>}}
  %0 = top.reshape %a : tensor<?x16xf32> -> tensor<16xf32>
  func.return
}

// -----

// The element-type and same-type rules are IRDL constraints; their message's first line names
// the operand or result, the next line the rule (f16/bf16 and quantized types are allowed, for
// the quant level).
func.func @not_float(%a: tensor<4xi32>) {
  // expected-error @+1 {{'top.relu' op operand 'input' at position 0 does not verify}}
  %0 = "top.relu"(%a) : (tensor<4xi32>) -> tensor<4xi32>
  func.return
}

// -----

// --- top.input ---------------------------------------------------------------------------------

func.func @input_type(%a: tensor<1x3x8x8xf32>) {
  // expected-error @+1 {{'top.input' op result 'output' at position 0 does not verify}}
  %0 = "top.input"(%a) <{keep_aspect_ratio = false}> : (tensor<1x3x8x8xf32>) -> tensor<1x3x8x9xf32>
  func.return
}

// -----

func.func @input_not_argument(%a: tensor<1x3x8x8xf32>) {
  %r = top.relu %a : tensor<1x3x8x8xf32>
  // expected-error @+1 {{expected the operand to be a function argument, got a result of 'top.relu'}}
  %0 = top.input %r : tensor<1x3x8x8xf32>
  func.return
}

// -----

func.func @input_channel_format(%a: tensor<1x3x8x8xf32>) {
  // expected-error @+1 {{expected channel_format to be one of nchw, nhwc, got "chw"}}
  %0 = top.input %a {channel_format = "chw"} : tensor<1x3x8x8xf32>
  func.return
}

// -----

func.func @input_pixel_format(%a: tensor<1x3x8x8xf32>) {
  // expected-error @+1 {{expected pixel_format to be one of gray, rgb, bgr, rgba, got "yuv"}}
  %0 = top.input %a {pixel_format = "yuv"} : tensor<1x3x8x8xf32>
  func.return
}

// -----

func.func @input_resize_dims_count(%a: tensor<1x3x8x8xf32>) {
  // expected-error @+1 {{expected 2 resize_dims values (height and width), got 3}}
  %0 = top.input %a {resize_dims = array<i64: 256, 256, 3>} : tensor<1x3x8x8xf32>
  func.return
}

// -----

func.func @input_resize_dims_positive(%a: tensor<1x3x8x8xf32>) {
  // expected-error @+1 {{expected resize_dims values >= 1, got [0, 256]}}
  %0 = top.input %a {resize_dims = array<i64: 0, 256>} : tensor<1x3x8x8xf32>
  func.return
}

// -----

func.func @input_rank(%a: tensor<1x3xf32>) {
  // expected-error @+1 {{expected a 4-D image input for pixel_format, mean or scale, got rank 2}}
  %0 = top.input %a {mean = array<f64: 0.0, 0.0, 0.0>} : tensor<1x3xf32>
  func.return
}

// -----

func.func @input_pixel_format_channels(%a: tensor<1x1x8x8xf32>) {
  // expected-error @+1 {{expected 3 channels for pixel_format "rgb", got 1 (nchw)}}
  %0 = top.input %a {pixel_format = "rgb"} : tensor<1x1x8x8xf32>
  func.return
}

// -----

func.func @input_mean_count(%a: tensor<1x3x8x8xf32>) {
  // expected-error @+1 {{expected 3 mean values (one per channel), got 2}}
  %0 = top.input %a {mean = array<f64: 1.0, 2.0>} : tensor<1x3x8x8xf32>
  func.return
}

// -----

func.func @input_scale_count_nhwc(%a: tensor<1x8x8x3xf32>) {
  // expected-error @+1 {{expected 3 scale values (one per channel), got 8}}
  %0 = top.input %a {channel_format = "nhwc", scale = array<f64: 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0>} : tensor<1x8x8x3xf32>
  func.return
}

// -----

// --- top.weight --------------------------------------------------------------------------------

func.func @weight_empty_name() {
  // expected-error @+1 {{expected a non-empty weight_name}}
  %0 = top.weight "" : tensor<4xf32>
  func.return
}

// -----

func.func @weight_dynamic_shape() {
  // expected-error @+1 {{expected a static shape for result, got tensor<?x4xf32>}}
  %0 = top.weight "w" : tensor<?x4xf32>
  func.return
}

// -----

func.func @weight_value_element_type() {
  // expected-error @+1 {{expected inline value element type f32, got f64}}
  %0 = "top.weight"() <{weight_name = "w", value = dense<[1.0, 2.0]> : tensor<2xf64>}> : () -> tensor<2xf32>
  func.return
}

// -----

func.func @weight_value_shape() {
  // expected-error @+1 {{expected inline value shape [3], got [2]}}
  %0 = "top.weight"() <{weight_name = "w", value = dense<[1.0, 2.0]> : tensor<2xf32>}> : () -> tensor<3xf32>
  func.return
}

// -----

func.func @weight_value_not_dense() {
  // expected-error @+1 {{expected a dense<...> inline value or ':'}}
  %0 = top.weight "w" 3 : i32
  func.return
}

// -----

// --- do_relu / relu_limit (conv, matmul, add, mul, pools) --------------------------------------

func.func @relu_limit_without_do_relu(%a: tensor<1x4xf32>, %b: tensor<1x4xf32>) {
  // expected-error @+1 {{expected do_relu = true when relu_limit (6.0) is given}}
  %0 = top.add %a, %b {relu_limit = 6.0 : f64} : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  func.return
}

// -----

func.func @relu_limit_not_positive(%a: tensor<1x4xf32>, %b: tensor<1x4xf32>) {
  // expected-error @+1 {{expected relu_limit > 0, got -1.0}}
  %0 = top.mul %a, %b {do_relu = true, relu_limit = -1.0 : f64} : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  func.return
}

// -----

// --- top.conv ----------------------------------------------------------------------------------

func.func @conv_input_rank(%x: tensor<1x3x8xf32>, %w: tensor<4x3x3xf32>) {
  // expected-error @+1 {{expected a 4-D input (N, C, H, W) for a conv, got rank 3; only 2-D windows are supported}}
  %0 = top.conv %x, %w {strides = array<i64: 1>, pads = array<i64: 0, 0>} : (tensor<1x3x8xf32>, tensor<4x3x3xf32>) -> tensor<1x4x6xf32>
  func.return
}

// -----

func.func @conv_filter_rank(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3xf32>) {
  // expected-error @+1 {{expected a 4-D filter (OC, IC / group, KH, KW), got rank 3}}
  %0 = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x3x8x8xf32>, tensor<4x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return
}

// -----

func.func @conv_strides_count(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expected 2 strides values (one per spatial dim of a conv), got 1}}
  %0 = top.conv %x, %w {strides = array<i64: 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return
}

// -----

func.func @conv_strides_positive(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expected strides values >= 1, got [0, 1]}}
  %0 = top.conv %x, %w {strides = array<i64: 0, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return
}

// -----

func.func @conv_pads_count(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expected 4 pads values (begins then ends for a conv), got 2}}
  %0 = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  func.return
}

// -----

func.func @conv_pads_negative(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expected pads values >= 0, got [1, 1, -1, 1]}}
  %0 = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, -1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  func.return
}

// -----

func.func @conv_dilations_count(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expected 2 dilations values (one per spatial dim of a conv), got 3}}
  %0 = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return
}

// -----

func.func @conv_dilations_positive(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expected dilations values >= 1, got [1, 0]}}
  %0 = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 0>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return
}

// -----

func.func @conv_group_positive(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expected group >= 1, got 0}}
  %0 = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 0 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return
}

// -----

func.func @conv_input_channels(%x: tensor<1x4x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expected filter input channels x group (3 x 1 = 3) to equal input channels (4)}}
  %0 = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x4x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return
}

// -----

func.func @conv_output_channels_group(%x: tensor<1x4x8x8xf32>, %w: tensor<6x1x3x3xf32>) {
  // expected-error @+1 {{expected filter output channels (6) to be divisible by group (4)}}
  %0 = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 4 : i64} : (tensor<1x4x8x8xf32>, tensor<6x1x3x3xf32>) -> tensor<1x6x6x6xf32>
  func.return
}

// -----

func.func @conv_window_too_large(%x: tensor<1x3x5x5xf32>, %w: tensor<4x3x7x7xf32>) {
  // expected-error @+1 {{expected the window (7) to fit in the padded input (5) along spatial dimension 0}}
  %0 = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x3x5x5xf32>, tensor<4x3x7x7xf32>) -> tensor<1x4x1x1xf32>
  func.return
}

// -----

func.func @conv_bias_shape(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{expected bias shape [4] (output channels), got [3]}}
  %0 = top.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<3xf32>) -> tensor<1x4x6x6xf32>
  func.return
}

// -----

func.func @conv_result_shape(%x: tensor<1x3x224x224xf32>, %w: tensor<64x3x7x7xf32>) {
  // expected-error @+1 {{expected result shape [1, 64, 112, 112] (conv output size), got [1, 64, 224, 224]}}
  %0 = top.conv %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 3, 3, 3, 3>} : (tensor<1x3x224x224xf32>, tensor<64x3x7x7xf32>) -> tensor<1x64x224x224xf32>
  func.return
}

// -----

// --- top.matmul --------------------------------------------------------------------------------

func.func @matmul_rank0(%a: tensor<f32>, %b: tensor<4x5xf32>) {
  // expected-error @+1 {{expected matmul operands of rank >= 1, got a rank-0 operand}}
  %0 = top.matmul %a, %b : (tensor<f32>, tensor<4x5xf32>) -> tensor<5xf32>
  func.return
}

// -----

func.func @matmul_contracting(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+1 {{expected contracting dimensions to match, got K = 3 for input and K = 4 for right}}
  %0 = top.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  func.return
}

// -----

func.func @matmul_batch(%a: tensor<2x2x3xf32>, %b: tensor<3x3x5xf32>) {
  // expected-error @+1 {{expected broadcastable shapes, got [2] and [3]}}
  %0 = top.matmul %a, %b : (tensor<2x2x3xf32>, tensor<3x3x5xf32>) -> tensor<2x2x5xf32>
  func.return
}

// -----

func.func @matmul_result(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{expected result shape [2] (numpy matmul of input and right), got [2, 1]}}
  %0 = top.matmul %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x1xf32>
  func.return
}

// -----

func.func @matmul_bias_rank(%a: tensor<2x3xf32>, %b: tensor<3x5xf32>, %c: tensor<2x5x1xf32>) {
  // expected-error @+1 {{expected bias shape [2, 5, 1] to broadcast to the result shape [2, 5]}}
  %0 = top.matmul %a, %b, %c : (tensor<2x3xf32>, tensor<3x5xf32>, tensor<2x5x1xf32>) -> tensor<2x5xf32>
  func.return
}

// -----

func.func @matmul_bias_size(%a: tensor<2x3xf32>, %b: tensor<3x5xf32>, %c: tensor<4xf32>) {
  // expected-error @+1 {{expected bias shape [4] to broadcast to the result shape [2, 5]}}
  %0 = top.matmul %a, %b, %c : (tensor<2x3xf32>, tensor<3x5xf32>, tensor<4xf32>) -> tensor<2x5xf32>
  func.return
}

// -----

// --- top.add, top.mul --------------------------------------------------------------------------

func.func @add_one_input(%a: tensor<4xf32>) {
  // expected-error @+1 {{expected at least 2 inputs, got 1}}
  %0 = top.add %a : (tensor<4xf32>) -> tensor<4xf32>
  func.return
}

// -----

func.func @mul_broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{expected broadcastable shapes, got [2, 3] and [4]}}
  %0 = top.mul %a, %b : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  func.return
}

// -----

func.func @add_result(%a: tensor<2x1xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{expected result shape [2, 3] (the broadcast of the inputs), got [2, 1]}}
  %0 = top.add %a, %b : (tensor<2x1xf32>, tensor<3xf32>) -> tensor<2x1xf32>
  func.return
}

// -----

func.func @add_coeff(%a: tensor<4xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{expected 2 coeff values (one per input), got 3}}
  %0 = top.add %a, %b {coeff = array<f64: 1.0, -1.0, 2.0>} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  func.return
}

// -----

// --- top.relu, top.softmax ---------------------------------------------------------------------

func.func @relu_limit(%a: tensor<4xf32>) {
  // expected-error @+1 {{expected relu_limit > 0, got 0.0}}
  %0 = top.relu %a {relu_limit = 0.0 : f64} : tensor<4xf32>
  func.return
}

// -----

func.func @relu_type(%a: tensor<4xf32>) {
  // expected-error @+1 {{'top.relu' op result 'output' at position 0 does not verify}}
  %0 = "top.relu"(%a) : (tensor<4xf32>) -> tensor<5xf32>
  func.return
}

// -----

func.func @softmax_axis(%a: tensor<1x10xf32>) {
  // expected-error @+1 {{expected axis in [-2, 2), got 2}}
  %0 = top.softmax %a {axis = 2 : i64} : tensor<1x10xf32>
  func.return
}

// -----

// --- top.maxpool, top.avgpool ------------------------------------------------------------------

func.func @pool_rank(%a: tensor<1x16x8xf32>) {
  // expected-error @+1 {{expected a 4-D input (N, C, H, W) for a pool, got rank 3; only 2-D windows are supported}}
  %0 = top.maxpool %a {kernel_shape = array<i64: 2>, strides = array<i64: 2>, pads = array<i64: 0, 0>} : tensor<1x16x8xf32> -> tensor<1x16x4xf32>
  func.return
}

// -----

func.func @pool_kernel_count(%a: tensor<1x16x8x8xf32>) {
  // expected-error @+1 {{expected 2 kernel_shape values (one per spatial dim of a pool), got 1}}
  %0 = top.maxpool %a {kernel_shape = array<i64: 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : tensor<1x16x8x8xf32> -> tensor<1x16x4x4xf32>
  func.return
}

// -----

func.func @pool_strides_count(%a: tensor<1x16x8x8xf32>) {
  // expected-error @+1 {{expected 2 strides values (one per spatial dim of a pool), got 3}}
  %0 = top.maxpool %a {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2, 2>, pads = array<i64: 0, 0, 0, 0>} : tensor<1x16x8x8xf32> -> tensor<1x16x4x4xf32>
  func.return
}

// -----

func.func @pool_pads_count(%a: tensor<1x16x8x8xf32>) {
  // expected-error @+1 {{expected 4 pads values (begins then ends for a pool), got 0}}
  %0 = top.avgpool %a {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64>} : tensor<1x16x8x8xf32> -> tensor<1x16x4x4xf32>
  func.return
}

// -----

func.func @pool_kernel_positive(%a: tensor<1x16x8x8xf32>) {
  // expected-error @+1 {{expected kernel_shape values >= 1, got [0, 2]}}
  %0 = top.avgpool %a {kernel_shape = array<i64: 0, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : tensor<1x16x8x8xf32> -> tensor<1x16x4x4xf32>
  func.return
}

// -----

func.func @pool_result(%a: tensor<1x16x7x7xf32>) {
  // expected-error @+1 {{expected result shape [1, 16, 3, 3] (pool output size), got [1, 16, 4, 4]}}
  %0 = top.maxpool %a {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : tensor<1x16x7x7xf32> -> tensor<1x16x4x4xf32>
  func.return
}

// -----

func.func @pool_result_ceil(%a: tensor<1x16x7x7xf32>) {
  // expected-error @+1 {{expected result shape [1, 16, 4, 4] (pool output size, ceil mode), got [1, 16, 3, 3]}}
  %0 = top.avgpool %a {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = true} : tensor<1x16x7x7xf32> -> tensor<1x16x3x3xf32>
  func.return
}

// -----

// --- top.global_avgpool ------------------------------------------------------------------------

func.func @global_avgpool_rank(%a: tensor<1x16xf32>) {
  // expected-error @+1 {{expected an input of rank >= 3 (N, C, spatial...), got rank 2}}
  %0 = top.global_avgpool %a : tensor<1x16xf32> -> tensor<1x16xf32>
  func.return
}

// -----

func.func @global_avgpool_result(%a: tensor<1x16x7x7xf32>) {
  // expected-error @+1 {{expected result shape [1, 16, 1, 1] (N and C kept, spatial dims 1), got [1, 16]}}
  %0 = top.global_avgpool %a : tensor<1x16x7x7xf32> -> tensor<1x16xf32>
  func.return
}

// -----

// --- top.reshape -------------------------------------------------------------------------------

func.func @reshape_count(%a: tensor<2x6xf32>) {
  // expected-error @+1 {{expected result element count (24) to equal input element count (12)}}
  %0 = top.reshape %a : tensor<2x6xf32> -> tensor<4x6xf32>
  func.return
}

// -----

// --- top.concat --------------------------------------------------------------------------------

func.func @concat_no_input() {
  // expected-error @+1 {{expected at least 1 input, got 0}}
  %0 = "top.concat"() <{axis = 0 : i64}> : () -> tensor<4xf32>
  func.return
}

// -----

func.func @concat_axis(%a: tensor<1x4xf32>, %b: tensor<1x4xf32>) {
  // expected-error @+1 {{expected axis in [-2, 2), got -3}}
  %0 = top.concat %a, %b {axis = -3 : i64} : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<2x4xf32>
  func.return
}

// -----

func.func @concat_rank(%a: tensor<1x4xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{expected every input to have rank 2 (as input 0), input 1 has rank 1}}
  %0 = top.concat %a, %b {axis = 1 : i64} : (tensor<1x4xf32>, tensor<4xf32>) -> tensor<1x8xf32>
  func.return
}

// -----

func.func @concat_dim(%a: tensor<1x4xf32>, %b: tensor<2x4xf32>) {
  // expected-error @+1 {{expected input 1 dimension 0 to be 1 (as input 0), got 2}}
  %0 = top.concat %a, %b {axis = 1 : i64} : (tensor<1x4xf32>, tensor<2x4xf32>) -> tensor<1x8xf32>
  func.return
}

// -----

func.func @concat_result(%a: tensor<1x4xf32>, %b: tensor<1x3xf32>) {
  // expected-error @+1 {{expected result shape [1, 7] (inputs summed along the axis), got [1, 8]}}
  %0 = top.concat %a, %b {axis = -1 : i64} : (tensor<1x4xf32>, tensor<1x3xf32>) -> tensor<1x8xf32>
  func.return
}

// -----

// --- ops added for the ONNX importer ------------------------------------------------------------

func.func @unary_same_type(%a: tensor<2x8xf32>) {
  // expected-error @+1 {{'top.sigmoid' op result 'output' at position 0 does not verify}}
  %0 = "top.sigmoid"(%a) : (tensor<2x8xf32>) -> tensor<2x9xf32>
  func.return
}

// -----

func.func @gelu_approximate(%a: tensor<2x8xf32>) {
  // expected-error @+1 {{expected approximate to be one of none, tanh, got "erf"}}
  %0 = top.gelu %a {approximate = "erf"} : tensor<2x8xf32>
  func.return
}

// -----

func.func @clip_bounds(%a: tensor<2x8xf32>) {
  // expected-error @+1 {{expected min (6.0) <= max (0.0)}}
  %0 = top.clip %a {min = 6.0 : f64, max = 0.0 : f64} : tensor<2x8xf32>
  func.return
}

// -----

func.func @sub_arity(%a: tensor<4xf32>) {
  // expected-error @+1 {{expected 2 inputs, got 3}}
  %0 = top.sub %a, %a, %a : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  func.return
}

// -----

func.func @div_broadcast(%a: tensor<4x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{expected broadcastable shapes, got [4, 3] and [4]}}
  %0 = top.div %a, %b : (tensor<4x3xf32>, tensor<4xf32>) -> tensor<4x3xf32>
  func.return
}

// -----

func.func @prelu_slope(%a: tensor<1x3x4x5xf32>, %s: tensor<3xf32>) {
  // expected-error @+1 {{expected slope shape [3] to broadcast to the input shape [1, 3, 4, 5]}}
  %0 = top.prelu %a, %s : (tensor<1x3x4x5xf32>, tensor<3xf32>) -> tensor<1x3x4x5xf32>
  func.return
}

// -----

func.func @where_result(%c: tensor<4xf32>, %a: tensor<2x1xf32>) {
  // expected-error @+1 {{expected result shape [2, 4] (the broadcast of the operands), got [2, 1]}}
  %0 = top.where %c, %a, %a : (tensor<4xf32>, tensor<2x1xf32>, tensor<2x1xf32>) -> tensor<2x1xf32>
  func.return
}

// -----

func.func @batchnorm_params(%x: tensor<1x3x4x4xf32>, %p: tensor<3xf32>, %q: tensor<4xf32>) {
  // expected-error @+1 {{expected mean shape [3] (input channels), got [4]}}
  %0 = top.batchnorm %x, %p, %p, %q, %p : (tensor<1x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<4xf32>, tensor<3xf32>) -> tensor<1x3x4x4xf32>
  func.return
}

// -----

func.func @batchnorm_epsilon(%x: tensor<1x3x4x4xf32>, %p: tensor<3xf32>) {
  // expected-error @+1 {{expected epsilon >= 0, got -1.0}}
  %0 = top.batchnorm %x, %p, %p, %p, %p {epsilon = -1.0 : f64} : (tensor<1x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3x4x4xf32>
  func.return
}

// -----

func.func @layernorm_scale(%x: tensor<2x3x4xf32>, %s: tensor<3x4xf32>) {
  // expected-error @+1 {{expected scale shape [3, 4] to broadcast to the normalized shape [4] (input dims 2..2)}}
  %0 = top.layernorm %x, %s : (tensor<2x3x4xf32>, tensor<3x4xf32>) -> tensor<2x3x4xf32>
  func.return
}

// -----

func.func @deconv_channels(%x: tensor<1x4x5x5xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error @+1 {{expected filter input channels (3) to equal input channels (4)}}
  %0 = top.deconv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x4x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x2x7x7xf32>
  func.return
}

// -----

func.func @deconv_output_padding(%x: tensor<1x4x5x5xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+1 {{expected output_padding (2) along spatial dimension 0 to be less than the stride (2) or the dilation (1)}}
  %0 = top.deconv %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, output_padding = array<i64: 2, 0>} : (tensor<1x4x5x5xf32>, tensor<4x2x3x3xf32>) -> tensor<1x2x13x11xf32>
  func.return
}

// -----

func.func @deconv_result(%x: tensor<1x4x5x5xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+1 {{expected result shape [1, 2, 11, 11] (deconv output size), got [1, 2, 10, 10]}}
  %0 = top.deconv %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x4x5x5xf32>, tensor<4x2x3x3xf32>) -> tensor<1x2x10x10xf32>
  func.return
}

// -----

func.func @deconv_bias(%x: tensor<1x4x5x5xf32>, %w: tensor<4x2x3x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{expected bias shape [2] (output channels), got [4]}}
  %0 = top.deconv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x4x5x5xf32>, tensor<4x2x3x3xf32>, tensor<4xf32>) -> tensor<1x2x7x7xf32>
  func.return
}

// -----

func.func @gemm_k(%a: tensor<3x8xf32>, %b: tensor<5x8xf32>) {
  // expected-error @+1 {{expected contracting dimensions to match, got K = 8 for a (trans_a = false) and K = 5 for b (trans_b = false)}}
  %0 = top.gemm %a, %b : (tensor<3x8xf32>, tensor<5x8xf32>) -> tensor<3x8xf32>
  func.return
}

// -----

func.func @gemm_c(%a: tensor<3x8xf32>, %b: tensor<5x8xf32>, %c: tensor<3xf32>) {
  // expected-error @+1 {{expected c shape [3] to broadcast to the result shape [3, 5]}}
  %0 = top.gemm %a, %b, %c {trans_b = true} : (tensor<3x8xf32>, tensor<5x8xf32>, tensor<3xf32>) -> tensor<3x5xf32>
  func.return
}

// -----

func.func @transpose_perm(%a: tensor<2x3x4xf32>) {
  // expected-error @+1 {{expected perm to be a permutation of [0, 3), got [0, 2, 2]}}
  %0 = top.transpose %a {perm = array<i64: 0, 2, 2>} : tensor<2x3x4xf32> -> tensor<2x4x4xf32>
  func.return
}

// -----

func.func @transpose_result(%a: tensor<2x3x4xf32>) {
  // expected-error @+1 {{expected result shape [4, 3, 2] (input permuted), got [2, 3, 4]}}
  %0 = top.transpose %a {perm = array<i64: 2, 1, 0>} : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  func.return
}

// -----

func.func @slice_count(%a: tensor<2x8xf32>) {
  // expected-error @+1 {{expected 2 starts values (one per input dim), got 1}}
  %0 = top.slice %a {starts = array<i64: 0>, steps = array<i64: 1, 1>} : tensor<2x8xf32> -> tensor<2x8xf32>
  func.return
}

// -----

func.func @slice_step(%a: tensor<2x8xf32>) {
  // expected-error @+1 {{expected a non-zero step along dimension 1}}
  %0 = top.slice %a {starts = array<i64: 0, 0>, steps = array<i64: 1, 0>} : tensor<2x8xf32> -> tensor<2x8xf32>
  func.return
}

// -----

func.func @slice_range(%a: tensor<2x8xf32>) {
  // expected-error @+1 {{expected slice indices 4..10 (step 2) along dimension 1 to lie in [0, 8)}}
  %0 = top.slice %a {starts = array<i64: 0, 4>, steps = array<i64: 1, 2>} : tensor<2x8xf32> -> tensor<2x4xf32>
  func.return
}

// -----

func.func @split_sum(%a: tensor<2x8xf32>) {
  // expected-error @+1 {{expected split sizes [3, 4] to sum to dimension 1 of the input (8), got 7}}
  %0:2 = top.split %a {axis = 1 : i64, split = array<i64: 3, 4>} : tensor<2x8xf32> -> tensor<2x3xf32>, tensor<2x4xf32>
  func.return
}

// -----

func.func @split_results(%a: tensor<2x8xf32>) {
  // expected-error @+1 {{expected 2 results (one per split size), got 1}}
  %0 = top.split %a {axis = 1 : i64, split = array<i64: 3, 5>} : tensor<2x8xf32> -> tensor<2x3xf32>
  func.return
}

// -----

func.func @split_piece(%a: tensor<2x8xf32>) {
  // expected-error @+1 {{expected result shape [2, 5] (piece 1 of the split), got [2, 4]}}
  %0:2 = top.split %a {axis = -1 : i64, split = array<i64: 3, 5>} : tensor<2x8xf32> -> tensor<2x3xf32>, tensor<2x4xf32>
  func.return
}

// -----

func.func @pad_mode(%a: tensor<2x8xf32>) {
  // expected-error @+1 {{expected mode to be one of constant, reflect, edge, got "wrap"}}
  %0 = top.pad %a {pads = array<i64: 0, 1, 0, 1>, mode = "wrap"} : tensor<2x8xf32> -> tensor<2x10xf32>
  func.return
}

// -----

func.func @pad_count(%a: tensor<2x8xf32>) {
  // expected-error @+1 {{expected 4 pads values (begins then ends, one pair per dim), got 2}}
  %0 = top.pad %a {pads = array<i64: 1, 1>} : tensor<2x8xf32> -> tensor<4x8xf32>
  func.return
}

// -----

func.func @pad_reflect(%a: tensor<2x8xf32>) {
  // expected-error @+1 {{expected reflect pads (2, 0) along dimension 0 to be less than its size (2)}}
  %0 = top.pad %a {pads = array<i64: 2, 0, 0, 0>, mode = "reflect"} : tensor<2x8xf32> -> tensor<4x8xf32>
  func.return
}

// -----

func.func @pad_negative(%a: tensor<2x8xf32>) {
  // expected-error @+1 {{expected pads values >= 0, got [0, -1, 0, 0]}}
  %0 = top.pad %a {pads = array<i64: 0, -1, 0, 0>} : tensor<2x8xf32> -> tensor<2x7xf32>
  func.return
}

// -----

func.func @expand(%a: tensor<2x8xf32>) {
  // expected-error @+1 {{expected the input shape [2, 8] to broadcast to the result shape [3, 8]}}
  %0 = top.expand %a : tensor<2x8xf32> -> tensor<3x8xf32>
  func.return
}

// -----

func.func @gather_range(%a: tensor<2x8xf32>) {
  // expected-error @+1 {{expected indices in [-8, 8) (dimension 1), got 8}}
  %0 = top.gather %a {axis = 1 : i64, indices = dense<[0, 8]> : tensor<2xi64>} : tensor<2x8xf32> -> tensor<2x2xf32>
  func.return
}

// -----

func.func @gather_type(%a: tensor<2x8xf32>) {
  // expected-error @+1 {{expected indices of element type i64, got i32}}
  %0 = top.gather %a {indices = dense<[0, 1]> : tensor<2xi32>} : tensor<2x8xf32> -> tensor<2x8xf32>
  func.return
}

// -----

func.func @gather_result(%a: tensor<2x8xf32>) {
  // expected-error @+1 {{expected result shape [2, 8] (axis replaced by the indices' shape), got [1, 8]}}
  %0 = top.gather %a {indices = dense<[0, 1]> : tensor<2xi64>} : tensor<2x8xf32> -> tensor<1x8xf32>
  func.return
}

// -----

func.func @resize_mode(%a: tensor<1x2x4x4xf32>) {
  // expected-error @+1 {{expected mode to be one of nearest, linear, cubic, got "area"}}
  %0 = top.resize %a {mode = "area", scales = array<f64: 1.0, 1.0, 2.0, 2.0>} : tensor<1x2x4x4xf32> -> tensor<1x2x8x8xf32>
  func.return
}

// -----

func.func @resize_transform(%a: tensor<1x2x4x4xf32>) {
  // expected-error @+1 {{expected coordinate_transformation_mode to be one of half_pixel, half_pixel_symmetric, pytorch_half_pixel, align_corners, asymmetric, tf_half_pixel_for_nn, got "tf_crop_and_resize"}}
  %0 = top.resize %a {mode = "linear", coordinate_transformation_mode = "tf_crop_and_resize", scales = array<f64: 1.0, 1.0, 2.0, 2.0>} : tensor<1x2x4x4xf32> -> tensor<1x2x8x8xf32>
  func.return
}

// -----

func.func @resize_nearest_mode(%a: tensor<1x2x4x4xf32>) {
  // expected-error @+1 {{expected nearest_mode to be one of round_prefer_floor, round_prefer_ceil, floor, ceil, got "round"}}
  %0 = top.resize %a {mode = "nearest", nearest_mode = "round", scales = array<f64: 1.0, 1.0, 2.0, 2.0>} : tensor<1x2x4x4xf32> -> tensor<1x2x8x8xf32>
  func.return
}

// -----

func.func @resize_scales_count(%a: tensor<1x2x4x4xf32>) {
  // expected-error @+1 {{expected 4 scales values (one per input dim), got 2}}
  %0 = top.resize %a {mode = "nearest", scales = array<f64: 2.0, 2.0>} : tensor<1x2x4x4xf32> -> tensor<1x2x8x8xf32>
  func.return
}

// -----

func.func @resize_scales_positive(%a: tensor<1x2x4x4xf32>) {
  // expected-error @+1 {{expected scales > 0, got [1.0, 1.0, 0.0, 2.0]}}
  %0 = top.resize %a {mode = "nearest", scales = array<f64: 1.0, 1.0, 0.0, 2.0>} : tensor<1x2x4x4xf32> -> tensor<1x2x8x8xf32>
  func.return
}

// -----

func.func @resize_result(%a: tensor<1x2x4x4xf32>) {
  // expected-error @+1 {{expected result dimension 3 to be floor(4 x 2.0) = 8, got 9}}
  %0 = top.resize %a {mode = "nearest", scales = array<f64: 1.0, 1.0, 2.0, 2.0>} : tensor<1x2x4x4xf32> -> tensor<1x2x8x9xf32>
  func.return
}

// -----

func.func @reduce_axes_distinct(%a: tensor<2x3x4xf32>) {
  // expected-error @+1 {{expected distinct axes, got [1, -2]}}
  %0 = top.reduce_sum %a {axes = array<i64: 1, -2>} : tensor<2x3x4xf32> -> tensor<2x1x4xf32>
  func.return
}

// -----

func.func @reduce_axes_empty(%a: tensor<2x3x4xf32>) {
  // expected-error @+1 {{expected at least one axis to reduce}}
  %0 = top.reduce_max %a {axes = array<i64>} : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  func.return
}

// -----

func.func @reduce_axis_range(%a: tensor<2x3x4xf32>) {
  // expected-error @+1 {{expected axis in [-3, 3), got 3}}
  %0 = top.reduce_mean %a {axes = array<i64: 3>} : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  func.return
}

// -----

func.func @reduce_result(%a: tensor<2x3x4xf32>) {
  // expected-error @+1 {{expected result shape [2, 4] (reduced axes removed), got [2, 1, 4]}}
  %0 = top.reduce_mean %a {axes = array<i64: 1>, keepdims = false} : tensor<2x3x4xf32> -> tensor<2x1x4xf32>
  func.return
}

// -----

func.func @global_maxpool_rank(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{expected an input of rank >= 3 (N, C, spatial...), got rank 2}}
  %0 = top.global_maxpool %a : tensor<2x3xf32> -> tensor<2x3xf32>
  func.return
}

// -----

func.func @log_softmax_axis(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{expected axis in [-2, 2), got 2}}
  %0 = top.log_softmax %a {axis = 2 : i64} : tensor<2x3xf32>
  func.return
}
