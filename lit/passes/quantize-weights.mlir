// quantize, weighted ops: the input gets `quant.qcast` (scale = threshold / 127), conv filters
// are int8 per output channel (axis 0, scale = max|w_oc| / 127), matmul weights per column
// (axis 1), the bias is int32 at scale s_in * s_w[oc], and the output is dequantized for the
// f32 net output. The stored integers are checked in the side-car .npz.
// RUN: nntc-opt %s -p quantize -o %t.mlir
// RUN: filecheck %s < %t.mlir
// RUN: python -c "import numpy as n; d = n.load('%t.npz'); [print(k, d[k].dtype, d[k].ravel().tolist()) for k in sorted(d.files)]" | filecheck %s --check-prefix=STORE

func.func @main(%arg0: tensor<1x2x2x2xf32>) -> tensor<1x3xf32> {
  %x = top.input %arg0 {calib = #quant.calibration<threshold = 1.27, min = -1.0, max = 1.27>} : tensor<1x2x2x2xf32> loc("x")
  %w = top.weight "w" dense<[[[[1.0]], [[-0.5]]], [[[0.0]], [[-2.0]]]]> : tensor<2x2x1x1xf32> loc("w")
  %b = top.weight "b" dense<[0.5, -1.0]> : tensor<2xf32> loc("b")
  %c = top.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, calib = #quant.calibration<threshold = 2.54, min = -2.0, max = 2.54>} : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32> loc("conv")
  %r = top.reshape %c : tensor<1x2x2x2xf32> -> tensor<1x8xf32> loc("flat")
  %fw = top.weight "fc.w" dense<[[1.0, 0.5, 0.25], [1.0, 0.5, 0.25], [1.0, 0.5, 0.25], [1.0, 0.5, 0.25], [-1.0, 0.5, 0.25], [1.0, 0.5, 0.25], [1.0, 0.5, 0.25], [1.0, 0.5, -0.25]]> : tensor<8x3xf32> loc("fc.w")
  %y = top.matmul %r, %fw {calib = #quant.calibration<threshold = 5.08, min = -5.0, max = 5.08>} : (tensor<1x8xf32>, tensor<8x3xf32>) -> tensor<1x3xf32> loc("fc")
  func.return %y : tensor<1x3xf32>
}

// CHECK:      builtin.module attributes {quant.round_mode = "half_away_from_zero"
// CHECK:        %x = top.input %arg0
// CHECK-NEXT:   %[[XQ:.*]] = quant.qcast %x : tensor<1x2x2x2xf32> to tensor<1x2x2x2x!quant.uniform<i8:f32, 0.01>>
// CHECK-NEXT:   %[[W:.*]] = top.weight "w_int8" : tensor<2x2x1x1x!quant.uniform<i8:f32:0, {0.007874015748031496, 0.015748031496062992}>>
// CHECK-NEXT:   %[[B:.*]] = top.weight "b_int32" : tensor<2x!quant.uniform<i32:f32:0, {7.874015748031496e-05, 0.00015748031496062991}>>
// CHECK-NEXT:   %c = top.conv %[[XQ]], %[[W]], %[[B]] {{.*}} -> tensor<1x2x2x2x!quant.uniform<i8:f32, 0.02>>
// CHECK-NEXT:   %r = top.reshape %c : tensor<1x2x2x2x!quant.uniform<i8:f32, 0.02>> -> tensor<1x8x!quant.uniform<i8:f32, 0.02>>
// CHECK-NEXT:   %[[FW:.*]] = top.weight "fc.w_int8" : tensor<8x3x!quant.uniform<i8:f32:1, {0.007874015748031496, 0.003937007874015748, 0.001968503937007874}>>
// CHECK-NEXT:   %y = top.matmul %r, %[[FW]] {{.*}} -> tensor<1x3x!quant.uniform<i8:f32, 0.04>>
// CHECK-NEXT:   %[[OUT:.*]] = quant.dcast %y : tensor<1x3x!quant.uniform<i8:f32, 0.04>> to tensor<1x3xf32>
// CHECK-NEXT:   func.return %[[OUT]] : tensor<1x3xf32>

// The float weights are gone; 0.5 / (0.01 * 1/127) = 6350 and -1.0 / (0.01 * 2/127) = -6350.
// STORE:      b_int32 int32 [6350, -6350]
// STORE-NEXT: fc.w_int8 int8 [127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, -127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, -127]
// STORE-NEXT: w_int8 int8 [127, -64, 0, -127]
