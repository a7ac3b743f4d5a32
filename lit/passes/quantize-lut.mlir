// quantize, activations: sigmoid, silu, tanh, ... become `quant.lut` with a 256-entry table
// (a weight of the result's type): entry i is f(dequantize(q)) quantized to the result type,
// for the input value q whose 8-bit pattern is i. The table's values are in the .npz.
// RUN: nntc-opt %s -p quantize -o %t.mlir
// RUN: filecheck %s < %t.mlir
// RUN: python -c "import numpy as n; t = n.load('%t.npz')['sig_lut']; print(t.dtype, t.shape, t[0], t[127], t[128], t[255])" | filecheck %s --check-prefix=TABLE

func.func @main(%arg0: tensor<1x4xf32>) -> (tensor<1x4xf32>, tensor<1x4xf32>) {
  %x = top.input %arg0 {calib = #quant.calibration<threshold = 6.35, min = -6.0, max = 6.35>} : tensor<1x4xf32> loc("x")
  %s = top.sigmoid %x {calib = #quant.calibration<threshold = 1.0, min = 0.0, max = 1.0>} : tensor<1x4xf32> loc("sig")
  %t = top.silu %x {calib = #quant.calibration<threshold = 6.35, min = -0.3, max = 6.35>} : tensor<1x4xf32> loc("silu")
  func.return %s, %t : tensor<1x4xf32>, tensor<1x4xf32>
}

// CHECK:      %[[XQ:.*]] = quant.qcast %x : tensor<1x4xf32> to tensor<1x4x!quant.uniform<i8:f32, 0.049999999999999996>>
// CHECK-NEXT: %[[ST:.*]] = top.weight "sig_lut" : tensor<256x!quant.uniform<u8:f32, 0.00392156862745098>>
// CHECK-NEXT: %s = quant.lut %[[XQ]], %[[ST]] {{.*}} : tensor<1x4x!quant.uniform<i8:f32, 0.049999999999999996>>, tensor<256x!quant.uniform<u8:f32, 0.00392156862745098>> -> tensor<1x4x!quant.uniform<u8:f32, 0.00392156862745098>>
// CHECK:      %[[TT:.*]] = top.weight "silu_lut" : tensor<256x!quant.uniform<i8:f32, 0.049999999999999996>>
// CHECK-NEXT: %t = quant.lut %[[XQ]], %[[TT]] {{.*}} -> tensor<1x4x!quant.uniform<i8:f32, 0.049999999999999996>>

// sigmoid(0) = 0.5 -> 128 (of 255), sigmoid(127 * 0.05) -> 255, sigmoid(-128 * 0.05) -> 0.0017 -> 0,
// sigmoid(-0.05) = 0.4875 -> 124.3 -> 124
// TABLE: uint8 (256,) 128 255 0 124
