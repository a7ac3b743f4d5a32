// tpu ops on quant element types: the hardware sees the storage type (si8 for `i8`).
// RUN: NNTC_ROUNDTRIP
// RUN: NNTC_GENERIC_ROUNDTRIP

func.func @quantized(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3, 0.4}>>,
                     %b: tensor<4xi32>, %r: tensor<64x10xi8>) -> tensor<1x10xf32> {
  %q = tpu.cast %x : (tensor<1x3x8x8xf32>) -> tensor<1x3x8x8x!quant.uniform<i8:f32, 0.05:-3>>
  %c = tpu.conv2d %q, %w, %b {pads = array<i64: 1, 1, 1, 1>, multiplier = array<i32: 11, 12, 13, 14>, rshift = array<i64: 9, 9, 9, 9>, do_relu = true} : (tensor<1x3x8x8x!quant.uniform<i8:f32, 0.05:-3>>, tensor<4x3x3x3x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3, 0.4}>>, tensor<4xi32>) -> tensor<1x4x8x8x!quant.uniform<i8:f32, 0.1>>
  %u = tpu.cast %x : (tensor<1x3x8x8xf32>) -> tensor<1x3x8x8x!quant.uniform<u8:f32, 0.02:128>>
  %mp = tpu.maxpool %c {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x4x8x8x!quant.uniform<i8:f32, 0.1>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.1>>
  %a = tpu.add %mp, %mp {multiplier = array<i32: 3, 5>, rshift = array<i64: 2>} : (tensor<1x4x4x4x!quant.uniform<i8:f32, 0.1>>, tensor<1x4x4x4x!quant.uniform<i8:f32, 0.1>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.2>>
  %rs = tpu.reshape %a : (tensor<1x4x4x4x!quant.uniform<i8:f32, 0.2>>) -> tensor<1x64x!quant.uniform<i8:f32, 0.2>>
  %acc = tpu.matmul %rs, %r : (tensor<1x64x!quant.uniform<i8:f32, 0.2>>, tensor<64x10xi8>) -> tensor<1x10xi32>
  %rq = tpu.requant %acc {multiplier = array<i32: 1518500250>, rshift = array<i64: 37>} : (tensor<1x10xi32>) -> tensor<1x10x!quant.uniform<i8:f32, 0.3:1>>
  %f = tpu.cast %rq : (tensor<1x10x!quant.uniform<i8:f32, 0.3:1>>) -> tensor<1x10xf32>
  func.return %f : tensor<1x10xf32>
}

// CHECK-LABEL: func.func @quantized
// CHECK:      %q = tpu.cast %x : (tensor<1x3x8x8xf32>) -> tensor<1x3x8x8x!quant.uniform<i8:f32, 0.05:-3>>
// CHECK-NEXT: %c = tpu.conv2d %q, %w, %b {pads = array<i64: 1, 1, 1, 1>, multiplier = array<i32: 11, 12, 13, 14>, rshift = array<i64: 9, 9, 9, 9>, do_relu = true} : (tensor<1x3x8x8x!quant.uniform<i8:f32, 0.05:-3>>, tensor<4x3x3x3x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3, 0.4}>>, tensor<4xi32>) -> tensor<1x4x8x8x!quant.uniform<i8:f32, 0.1>>
// CHECK-NEXT: %u = tpu.cast %x : (tensor<1x3x8x8xf32>) -> tensor<1x3x8x8x!quant.uniform<u8:f32, 0.02:128>>
// CHECK-NEXT: %mp = tpu.maxpool %c {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x4x8x8x!quant.uniform<i8:f32, 0.1>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.1>>
// CHECK-NEXT: %a = tpu.add %mp, %mp {multiplier = array<i32: 3, 5>, rshift = array<i64: 2>} : (tensor<1x4x4x4x!quant.uniform<i8:f32, 0.1>>, tensor<1x4x4x4x!quant.uniform<i8:f32, 0.1>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.2>>
// CHECK-NEXT: %rs = tpu.reshape %a : (tensor<1x4x4x4x!quant.uniform<i8:f32, 0.2>>) -> tensor<1x64x!quant.uniform<i8:f32, 0.2>>
// CHECK-NEXT: %acc = tpu.matmul %rs, %r : (tensor<1x64x!quant.uniform<i8:f32, 0.2>>, tensor<64x10xi8>) -> tensor<1x10xi32>
// CHECK-NEXT: %rq = tpu.requant %acc {multiplier = array<i32: 1518500250>, rshift = array<i64: 37>} : (tensor<1x10xi32>) -> tensor<1x10x!quant.uniform<i8:f32, 0.3:1>>
// CHECK-NEXT: %f = tpu.cast %rq : (tensor<1x10x!quant.uniform<i8:f32, 0.3:1>>) -> tensor<1x10xf32>
// CHECK-NEXT: func.return %f : tensor<1x10xf32>
// CHECK-NEXT: }

// CHECK-GENERIC-LABEL: "func.func"() <{sym_name = "quantized"
// CHECK-GENERIC:      %q = "tpu.cast"(%x) <{round_mode = #tpu<round half_away_from_zero>}> : (tensor<1x3x8x8xf32>) -> tensor<1x3x8x8x!quant.uniform<i8:f32, 0.05:-3>>
// CHECK-GENERIC:      %c = "tpu.conv2d"(%q, %w, %b) <{pads = array<i64: 1, 1, 1, 1>, multiplier = array<i32: 11, 12, 13, 14>, rshift = array<i64: 9, 9, 9, 9>, do_relu = true, operandSegmentSizes = array<i32: 1, 1, 1>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64, round_mode = #tpu<round half_away_from_zero>}> : (tensor<1x3x8x8x!quant.uniform<i8:f32, 0.05:-3>>, tensor<4x3x3x3x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3, 0.4}>>, tensor<4xi32>) -> tensor<1x4x8x8x!quant.uniform<i8:f32, 0.1>>
// CHECK-GENERIC:      %f = "tpu.cast"(%rq) <{round_mode = #tpu<round half_away_from_zero>}> : (tensor<1x10x!quant.uniform<i8:f32, 0.3:1>>) -> tensor<1x10xf32>
