// RUN: NNTC_ROUNDTRIP
// RUN: NNTC_GENERIC_ROUNDTRIP

// tpu.lut: an 8-bit lookup (the INT8 path's sigmoid, SiLU, ...); the table holds the result's
// stored values, one per input pattern, as a quant type or a plain 8-bit integer.
func.func @lut(%x: tensor<1x4x2x2x!quant.uniform<i8:f32, 0.05>>, %xu: tensor<2x3xui8>, %t: tensor<256x!quant.uniform<u8:f32, 0.0039>>, %tu: tensor<256xsi8>) -> (tensor<1x4x2x2x!quant.uniform<u8:f32, 0.0039>>, tensor<2x3xsi8>) {
  %0 = tpu.lut %x, %t : (tensor<1x4x2x2x!quant.uniform<i8:f32, 0.05>>, tensor<256x!quant.uniform<u8:f32, 0.0039>>) -> tensor<1x4x2x2x!quant.uniform<u8:f32, 0.0039>>
  %1 = tpu.lut %xu, %tu : (tensor<2x3xui8>, tensor<256xsi8>) -> tensor<2x3xsi8>
  func.return %0, %1 : tensor<1x4x2x2x!quant.uniform<u8:f32, 0.0039>>, tensor<2x3xsi8>
}

// CHECK-LABEL: func.func @lut
// CHECK-NEXT:    %0 = tpu.lut %x, %t : (tensor<1x4x2x2x!quant.uniform<i8:f32, 0.05>>, tensor<256x!quant.uniform<u8:f32, 0.0039>>) -> tensor<1x4x2x2x!quant.uniform<u8:f32, 0.0039>>
// CHECK-NEXT:    %1 = tpu.lut %xu, %tu : (tensor<2x3xui8>, tensor<256xsi8>) -> tensor<2x3xsi8>
// CHECK-NEXT:    func.return %0, %1

// CHECK-GENERIC-LABEL: "func.func"() <{sym_name = "lut"
// CHECK-GENERIC:       %0 = "tpu.lut"(%x, %t) : (tensor<1x4x2x2x!quant.uniform<i8:f32, 0.05>>, tensor<256x!quant.uniform<u8:f32, 0.0039>>) -> tensor<1x4x2x2x!quant.uniform<u8:f32, 0.0039>>
// CHECK-GENERIC-NEXT:  %1 = "tpu.lut"(%xu, %tu) : (tensor<2x3xui8>, tensor<256xsi8>) -> tensor<2x3xsi8>
