// quantize, ReLU: a result the producer passes through a fused ReLU is non-negative, so it is
// u8 with scale = threshold / 255 (twice the resolution of i8 with threshold / 127), whatever
// min the statistics report; so is any tensor whose calibrated min is >= 0. A standalone
// top.relu keeps its input's type.
// RUN: nntc-opt %s -p 'quantize{target=reference}' -o %t.mlir
// RUN: filecheck %s < %t.mlir

func.func @main(%arg0: tensor<1x4xf32>) -> (tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>) {
  %x = top.input %arg0 {calib = #quant.calibration<threshold = 1.27, min = -1.0, max = 1.27>} : tensor<1x4xf32> loc("x")
  %w = top.weight "w" dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32> loc("w")
  %f = top.matmul %x, %w {do_relu = true, calib = #quant.calibration<threshold = 2.55, min = -0.5, max = 2.55>} : (tensor<1x4xf32>, tensor<4x4xf32>) -> tensor<1x4xf32> loc("fused")
  %p = top.mul %x, %x {calib = #quant.calibration<threshold = 5.1, min = 0.0, max = 5.1>} : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32> loc("square")
  %r = top.relu %x : tensor<1x4xf32> loc("relu")
  func.return %f, %p, %r : tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>
}

// CHECK:      %[[XQ:.*]] = quant.qcast %x : tensor<1x4xf32> to tensor<1x4x!quant.uniform<i8:f32, 0.01>>
// CHECK:      %f = top.matmul %[[XQ]], %{{.*}} do_relu = true{{.*}} -> tensor<1x4x!quant.uniform<u8:f32, 0.009999999999999998>>
// CHECK:      %p = top.mul %[[XQ]], %[[XQ]] {{.*}} -> tensor<1x4x!quant.uniform<u8:f32, 0.019999999999999997>>
// CHECK:      %r = top.relu %[[XQ]] : tensor<1x4x!quant.uniform<i8:f32, 0.01>>
