// quantize{asymmetric=true}: activations are u8 over their calibrated [min, max] (widened to
// contain 0) with scale = (max - min) / 255 and zero point round(-min / scale); weights stay
// symmetric int8 per channel and the bias int32 at s_in * s_w.
// RUN: nntc-opt %s -p 'quantize{asymmetric=true}' -o %t.mlir
// RUN: filecheck %s < %t.mlir

func.func @main(%arg0: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %x = top.input %arg0 {calib = #quant.calibration<threshold = 3.1, min = -1.0, max = 3.08>} : tensor<1x2xf32> loc("x")
  %w = top.weight "w" dense<[[1.0, 0.5], [-1.0, 0.25]]> : tensor<2x2xf32> loc("w")
  %b = top.weight "b" dense<[0.1, 0.2]> : tensor<2xf32> loc("b")
  %y = top.matmul %x, %w, %b {calib = #quant.calibration<threshold = 2.0, min = 0.5, max = 2.04>} : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32> loc("fc")
  func.return %y : tensor<1x2xf32>
}

// CHECK:      %[[XQ:.*]] = quant.qcast %x : tensor<1x2xf32> to tensor<1x2x!quant.uniform<u8:f32, 0.016:63>>
// CHECK-NEXT: %[[W:.*]] = top.weight "w_int8" : tensor<2x2x!quant.uniform<i8:f32:1, {0.007874015748031496, 0.003937007874015748}>>
// CHECK-NEXT: %[[B:.*]] = top.weight "b_int32" : tensor<2x!quant.uniform<i32:f32:0, {0.00012598425196850394, 6.299212598425197e-05}>>
// CHECK-NEXT: %y = top.matmul %[[XQ]], %[[W]], %[[B]] {{.*}} -> tensor<1x2x!quant.uniform<u8:f32, 0.008>>
