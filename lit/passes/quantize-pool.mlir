// quantize, pooling and data movement: max pooling, reshape and transpose keep their input's
// type (they select or move values, so their own statistics are not used); average pooling
// rescales to its own calibrated type, or keeps the input's type without statistics (an
// average stays within the input's range).
// RUN: nntc-opt %s -p 'quantize{target=reference}' -o %t.mlir
// RUN: filecheck %s < %t.mlir

func.func @main(%arg0: tensor<1x2x4x4xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x1x1xf32>, tensor<8x1xf32>) {
  %x = top.input %arg0 {calib = #quant.calibration<threshold = 2.54, min = -2.0, max = 2.54>} : tensor<1x2x4x4xf32> loc("x")
  %m = top.maxpool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, calib = #quant.calibration<threshold = 1.0, min = 0.0, max = 1.0>} : tensor<1x2x4x4xf32> -> tensor<1x2x2x2xf32> loc("max")
  %a = top.avgpool %m {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, calib = #quant.calibration<threshold = 1.27, min = -1.0, max = 1.27>} : tensor<1x2x2x2xf32> -> tensor<1x2x1x1xf32> loc("avg")
  %g = top.global_avgpool %m : tensor<1x2x2x2xf32> -> tensor<1x2x1x1xf32> loc("gap")
  %r = top.reshape %m : tensor<1x2x2x2xf32> -> tensor<1x8xf32> loc("flat")
  %t = top.transpose %r {perm = array<i64: 1, 0>} : tensor<1x8xf32> -> tensor<8x1xf32> loc("t")
  %s = top.add %a, %g {calib = #quant.calibration<threshold = 2.54, min = -2.0, max = 2.54>} : (tensor<1x2x1x1xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x1x1xf32> loc("s")
  func.return %m, %s, %t : tensor<1x2x2x2xf32>, tensor<1x2x1x1xf32>, tensor<8x1xf32>
}

// CHECK:      %[[XQ:.*]] = quant.qcast %x : tensor<1x2x4x4xf32> to tensor<1x2x4x4x!quant.uniform<i8:f32, 0.02>>
// CHECK-NEXT: %m = top.maxpool %[[XQ]] {{.*}} : tensor<1x2x4x4x!quant.uniform<i8:f32, 0.02>> -> tensor<1x2x2x2x!quant.uniform<i8:f32, 0.02>>
// CHECK-NEXT: %[[MOUT:.*]] = quant.dcast %m
// CHECK-NEXT: %a = top.avgpool %m {{.*}} -> tensor<1x2x1x1x!quant.uniform<i8:f32, 0.01>>
// CHECK-NEXT: %[[AQ:.*]] = quant.requant %a : tensor<1x2x1x1x!quant.uniform<i8:f32, 0.01>> to tensor<1x2x1x1x!quant.uniform<i8:f32, 0.02>>
// CHECK-NEXT: %g = top.global_avgpool %m : tensor<1x2x2x2x!quant.uniform<i8:f32, 0.02>> -> tensor<1x2x1x1x!quant.uniform<i8:f32, 0.02>>
// CHECK-NEXT: %r = top.reshape %m : tensor<1x2x2x2x!quant.uniform<i8:f32, 0.02>> -> tensor<1x8x!quant.uniform<i8:f32, 0.02>>
// CHECK-NEXT: %t = top.transpose %r {{.*}} : tensor<1x8x!quant.uniform<i8:f32, 0.02>> -> tensor<8x1x!quant.uniform<i8:f32, 0.02>>
// CHECK-NEXT: %[[TOUT:.*]] = quant.dcast %t
// CHECK-NEXT: %s = top.add %[[AQ]], %g {{.*}} -> tensor<1x2x1x1x!quant.uniform<i8:f32, 0.02>>
// CHECK-NEXT: %[[SOUT:.*]] = quant.dcast %s
// CHECK-NEXT: func.return %[[MOUT]], %[[SOUT]], %[[TOUT]]
