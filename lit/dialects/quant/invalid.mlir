// RUN: NNTC_VERIFY_DIAGNOSTICS

// Types and the calibration attribute are checked while they are parsed: their errors are
// parse errors at the type's text.

// expected-error @+1 {{expected a storage type such as i8 or u8, got 'x8'}}
func.func private @bad_storage_name() -> tensor<2x!quant.uniform<x8:f32, 0.1>>

// -----

// expected-error @+1 {{expected storage type width to be 8, 16 or 32, got 4}}
func.func private @bad_storage_width() -> tensor<2x!quant.uniform<i4:f32, 0.1>>

// -----

// expected-error @+1 {{expected expressed type to be f32, f16 or bf16, got i32}}
func.func private @bad_expressed() -> tensor<2x!quant.uniform<i8:i32, 0.1>>

// -----

// expected-error @+1 {{expected storage min (5) to be less than storage max (3)}}
func.func private @bad_storage_order() -> tensor<2x!quant.uniform<i8<5:3>:f32, 0.1>>

// -----

// expected-error @+1 {{expected storage range [-200, 127] to be within the range [-128, 127] of i8}}
func.func private @bad_storage_range() -> tensor<2x!quant.uniform<i8<-200:127>:f32, 0.1>>

// -----

// expected-error @+1 {{expected storage range [0, 256] to be within the range [0, 255] of u8}}
func.func private @bad_unsigned_range() -> tensor<2x!quant.uniform<u8<0:256>:f32, 0.1>>

// -----

// expected-error @+1 {{expected scale to be positive and finite, got 0.0}}
func.func private @zero_scale() -> tensor<2x!quant.uniform<i8:f32, 0.0>>

// -----

// expected-error @+1 {{expected scale to be positive and finite, got -0.5}}
func.func private @negative_scale() -> tensor<2x!quant.uniform<i8:f32, -0.5:1>>

// -----

// expected-error @+1 {{expected zero point (-1) to be within the storage range [0, 255]}}
func.func private @zero_point_below() -> tensor<2x!quant.uniform<u8:f32, 0.1:-1>>

// -----

// expected-error @+1 {{expected zero point (128) to be within the storage range [-127, 127]}}
func.func private @zero_point_narrow() -> tensor<2x!quant.uniform<i8<-127:127>:f32, 0.1:128>>

// -----

// expected-error @+1 {{integer or float literal expected as quantization scale}}
func.func private @per_axis_without_axis() -> tensor<2x!quant.uniform<i8:f32, {0.1, 0.2}>>

// -----

// expected-error @+1 {{expected quantization axis to be non-negative, got -1}}
func.func private @negative_axis() -> tensor<2x!quant.uniform<i8:f32:-1, {0.1, 0.2}>>

// -----

// expected-error @+1 {{expected at least one scale in a per-axis quantized type}}
func.func private @no_scales() -> tensor<2x!quant.uniform<i8:f32:0, {}>>

// -----

// expected-error @+1 {{expected scale #1 to be positive and finite, got 0.0}}
func.func private @per_axis_zero_scale() -> tensor<2x!quant.uniform<i8:f32:0, {0.1, 0.0}>>

// -----

// expected-error @+1 {{expected zero point #2 (40000) to be within the storage range [-32768, 32767]}}
func.func private @per_axis_zero_point() -> tensor<3x!quant.uniform<i16:f32:0, {0.1, 0.2:-3, 0.3:40000}>>

// -----

// expected-error @+1 {{expected calibration threshold to be positive, got 0.0}}
"test.op"() {calib = #quant.calibration<threshold = 0.0, min = -1.0, max = 1.0>} : () -> ()

// -----

// expected-error @+1 {{expected calibration min (2.0) to be at most max (1.0)}}
"test.op"() {calib = #quant.calibration<threshold = 1.0, min = 2.0, max = 1.0>} : () -> ()

// -----

// expected-error @+1 {{unknown calibration key 'mean', expected threshold, min or max}}
"test.op"() {calib = #quant.calibration<threshold = 1.0, mean = 0.0>} : () -> ()

// -----

// expected-error @+1 {{duplicate calibration key 'min'}}
"test.op"() {calib = #quant.calibration<threshold = 1.0, min = 0.0, min = 0.5>} : () -> ()

// -----

// expected-error @+1 {{missing calibration key(s): min, max}}
"test.op"() {calib = #quant.calibration<threshold = 1.0>} : () -> ()

// -----

// Op verifiers.

func.func @shape_mismatch(%x: tensor<1x3xf32>) {
  // expected-error @+1 {{expected result shape 1x4 to equal input shape 1x3}}
  %q = quant.qcast %x : tensor<1x3xf32> to tensor<1x4x!quant.uniform<i8:f32, 0.1>>
  func.return
}

// -----

func.func @qcast_to_float(%x: tensor<3xf32>) {
  // expected-error @+1 {{expected result element type to be a quantized type, got f16}}
  %q = quant.qcast %x : tensor<3xf32> to tensor<3xf16>
  func.return
}

// -----

func.func @qcast_wrong_expressed(%x: tensor<3xf16>) {
  // expected-error @+1 {{expected input element type f16 to equal the expressed type f32 of the result}}
  %q = quant.qcast %x : tensor<3xf16> to tensor<3x!quant.uniform<i8:f32, 0.1>>
  func.return
}

// -----

func.func @qcast_from_quantized(%x: tensor<3x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{expected input element type !quant.uniform<i8:f32, 0.1> to equal the expressed type f32 of the result}}
  %q = quant.qcast %x : tensor<3x!quant.uniform<i8:f32, 0.1>> to tensor<3x!quant.uniform<i8:f32, 0.2>>
  func.return
}

// -----

func.func @dcast_from_float(%x: tensor<3xf32>) {
  // expected-error @+1 {{expected input element type to be a quantized type, got f32}}
  %f = quant.dcast %x : tensor<3xf32> to tensor<3xf32>
  func.return
}

// -----

func.func @dcast_wrong_expressed(%q: tensor<3x!quant.uniform<u8:bf16, 0.1:128>>) {
  // expected-error @+1 {{expected result element type f32 to equal the expressed type bf16 of the input}}
  %f = quant.dcast %q : tensor<3x!quant.uniform<u8:bf16, 0.1:128>> to tensor<3xf32>
  func.return
}

// -----

func.func @requant_from_float(%x: tensor<3xf32>) {
  // expected-error @+1 {{expected input element type to be a quantized type, got f32}}
  %r = quant.requant %x : tensor<3xf32> to tensor<3x!quant.uniform<i8:f32, 0.1>>
  func.return
}

// -----

func.func @requant_to_float(%q: tensor<3x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{expected result element type to be a quantized type, got f32}}
  %r = quant.requant %q : tensor<3x!quant.uniform<i8:f32, 0.1>> to tensor<3xf32>
  func.return
}

// -----

func.func @requant_expressed_mismatch(%q: tensor<3x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{expected result expressed type f16 to equal input expressed type f32}}
  %r = quant.requant %q : tensor<3x!quant.uniform<i8:f32, 0.1>> to tensor<3x!quant.uniform<i8:f16, 0.1>>
  func.return
}

// -----

func.func @axis_out_of_rank(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{expected quantization axis 2 of result to be less than its rank 2}}
  %q = quant.qcast %x : tensor<2x3xf32> to tensor<2x3x!quant.uniform<i8:f32:2, {0.1, 0.2, 0.3}>>
  func.return
}

// -----

func.func @scale_count(%q: tensor<4x2x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3}>>) {
  // expected-error @+1 {{expected 3 scales in input element type to equal the size 4 of its dimension 0}}
  %f = quant.dcast %q : tensor<4x2x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3}>> to tensor<4x2xf32>
  func.return
}

// -----

func.func @not_a_tensor(%x: f32) {
  // expected-error @+1 {{operand 'input' at position 0 does not verify}}
  %q = "quant.qcast"(%x) : (f32) -> tensor<!quant.uniform<i8:f32, 0.1>>
  func.return
}

// -----

func.func @lut_float_input(%x: tensor<4xf32>, %t: tensor<256x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{expected input element type to be a quantized type, got f32}}
  %y = quant.lut %x, %t : tensor<4xf32>, tensor<256x!quant.uniform<i8:f32, 0.1>> -> tensor<4x!quant.uniform<i8:f32, 0.1>>
  func.return
}

// -----

func.func @lut_per_axis(%x: tensor<2x!quant.uniform<i8:f32:0, {0.1, 0.2}>>, %t: tensor<256x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{expected input element type to be per-tensor quantized, got !quant.uniform<i8:f32:0, {0.1, 0.2}>}}
  %y = quant.lut %x, %t : tensor<2x!quant.uniform<i8:f32:0, {0.1, 0.2}>>, tensor<256x!quant.uniform<i8:f32, 0.1>> -> tensor<2x!quant.uniform<i8:f32, 0.1>>
  func.return
}

// -----

func.func @lut_wide_input(%x: tensor<4x!quant.uniform<i16:f32, 0.1>>, %t: tensor<256x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{expected input storage to be 8 bits wide (one table entry per value), got i16}}
  %y = quant.lut %x, %t : tensor<4x!quant.uniform<i16:f32, 0.1>>, tensor<256x!quant.uniform<i8:f32, 0.1>> -> tensor<4x!quant.uniform<i8:f32, 0.1>>
  func.return
}

// -----

func.func @lut_table_size(%x: tensor<4x!quant.uniform<i8:f32, 0.1>>, %t: tensor<128x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{expected table shape 256 (one entry per 8-bit input value), got 128}}
  %y = quant.lut %x, %t : tensor<4x!quant.uniform<i8:f32, 0.1>>, tensor<128x!quant.uniform<i8:f32, 0.1>> -> tensor<4x!quant.uniform<i8:f32, 0.1>>
  func.return
}

// -----

func.func @lut_table_type(%x: tensor<4x!quant.uniform<i8:f32, 0.1>>, %t: tensor<256x!quant.uniform<i8:f32, 0.2>>) {
  // expected-error @+1 {{expected table element type !quant.uniform<i8:f32, 0.2> to equal the result element type !quant.uniform<i8:f32, 0.1>}}
  %y = quant.lut %x, %t : tensor<4x!quant.uniform<i8:f32, 0.1>>, tensor<256x!quant.uniform<i8:f32, 0.2>> -> tensor<4x!quant.uniform<i8:f32, 0.1>>
  func.return
}

// -----

func.func @lut_shape(%x: tensor<4x!quant.uniform<i8:f32, 0.1>>, %t: tensor<256x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{expected result shape 2x2 to equal input shape 4}}
  %y = quant.lut %x, %t : tensor<4x!quant.uniform<i8:f32, 0.1>>, tensor<256x!quant.uniform<i8:f32, 0.1>> -> tensor<2x2x!quant.uniform<i8:f32, 0.1>>
  func.return
}

// -----

// Top ops at the quant level (TopTensorConstraint): one kind of element type per op, and
// quantized types must express f32.

func.func @top_mixed(%a: tensor<4x!quant.uniform<i8:f32, 0.1>>, %b: tensor<4xf32>) {
  // expected-error @+1 {{expected every tensor of the op to be quantized like the first one, got tensor<4xf32>}}
  %s = top.add %a, %b : (tensor<4x!quant.uniform<i8:f32, 0.1>>, tensor<4xf32>) -> tensor<4x!quant.uniform<i8:f32, 0.1>>
  func.return
}

// -----

func.func @top_mixed_floats(%a: tensor<4xf16>, %b: tensor<4xbf16>) {
  // expected-error @+1 {{expected every tensor of the op to be f16 like the first one, got tensor<4xbf16>}}
  %s = top.add %a, %b : (tensor<4xf16>, tensor<4xbf16>) -> tensor<4xf16>
  func.return
}

// -----

func.func @top_f16_expressed(%a: tensor<4x!quant.uniform<i8:f16, 0.1>>) {
  // expected-error @+1 {{expected a quantized element type to express f32, got f16 in !quant.uniform<i8:f16, 0.1>}}
  %r = top.relu %a : tensor<4x!quant.uniform<i8:f16, 0.1>>
  func.return
}
