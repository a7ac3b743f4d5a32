// quantize, add and concat: quantized inputs are requantized to one type. Add uses the type
// that covers every input's range (threshold 2.54 signed and 5.08 meet at i8, scale
// 5.08 / 127); its result has its own calibrated type. Concat requantizes every input to its
// result's type, so that it only copies bytes. A float value goes straight to the type a
// consumer needs (one `quant.qcast`, no requant).
// RUN: nntc-opt %s -p 'quantize{target=reference}' -o %t.mlir
// RUN: filecheck %s < %t.mlir

func.func @main(%arg0: tensor<1x4xf32>) -> (tensor<1x4xf32>, tensor<1x12xf32>) {
  %x = top.input %arg0 {calib = #quant.calibration<threshold = 1.27, min = -1.0, max = 1.27>} : tensor<1x4xf32> loc("x")
  %a = top.mul %x, %x {calib = #quant.calibration<threshold = 2.54, min = -2.0, max = 2.54>} : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32> loc("a")
  %b = top.mul %x, %x {calib = #quant.calibration<threshold = 5.08, min = -5.0, max = 5.08>} : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32> loc("b")
  %s = top.add %a, %b {calib = #quant.calibration<threshold = 7.62, min = -2.0, max = 7.62>} : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32> loc("sum")
  %c = top.concat %a, %b, %x {axis = 1 : i64, calib = #quant.calibration<threshold = 3.81, min = -3.0, max = 3.81>} : (tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x12xf32> loc("cat")
  func.return %s, %c : tensor<1x4xf32>, tensor<1x12xf32>
}

// Casts sit right after the value they convert (the last one made comes first).
// CHECK:      %[[XC:.*]] = quant.qcast %x : tensor<1x4xf32> to tensor<1x4x!quant.uniform<i8:f32, 0.03>>
// CHECK-NEXT: %[[XQ:.*]] = quant.qcast %x : tensor<1x4xf32> to tensor<1x4x!quant.uniform<i8:f32, 0.01>>
// CHECK-NEXT: %a = top.mul %[[XQ]], %[[XQ]] {{.*}} -> tensor<1x4x!quant.uniform<i8:f32, 0.02>>
// CHECK-NEXT: %[[AC:.*]] = quant.requant %a : tensor<1x4x!quant.uniform<i8:f32, 0.02>> to tensor<1x4x!quant.uniform<i8:f32, 0.03>>
// CHECK-NEXT: %[[AS:.*]] = quant.requant %a : tensor<1x4x!quant.uniform<i8:f32, 0.02>> to tensor<1x4x!quant.uniform<i8:f32, 0.04>>
// CHECK-NEXT: %b = top.mul %[[XQ]], %[[XQ]] {{.*}} -> tensor<1x4x!quant.uniform<i8:f32, 0.04>>
// CHECK-NEXT: %[[BC:.*]] = quant.requant %b : tensor<1x4x!quant.uniform<i8:f32, 0.04>> to tensor<1x4x!quant.uniform<i8:f32, 0.03>>
// CHECK-NEXT: %s = top.add %[[AS]], %b {{.*}} : (tensor<1x4x!quant.uniform<i8:f32, 0.04>>, tensor<1x4x!quant.uniform<i8:f32, 0.04>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.06>>
// CHECK-NEXT: quant.dcast %s : tensor<1x4x!quant.uniform<i8:f32, 0.06>> to tensor<1x4xf32>
// CHECK-NEXT: %c = top.concat %[[AC]], %[[BC]], %[[XC]] {{.*}} -> tensor<1x12x!quant.uniform<i8:f32, 0.03>>
// CHECK-NEXT: quant.dcast %c : tensor<1x12x!quant.uniform<i8:f32, 0.03>> to tensor<1x12xf32>
