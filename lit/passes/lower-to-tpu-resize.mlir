// RUN: nntc-opt %s -p 'lower-to-tpu' --split-input-file | filecheck %s

// Bilinear (align_corners) by 2: out = A_h . X . A_w^T per plane. W first: the planes' rows
// (2 planes x 3 rows) times A_w^T as a matmul; then H, taken as the channels of a 1x1 conv
// by A_h. align_corners maps output x to x * (in - 1) / (out - 1): 4 -> 8 samples W at
// 0, 3/7, 6/7, ..., so output 1 is 4/7 of input 0 and 3/7 of input 1.
func.func @main(%arg0: tensor<1x2x3x4xf32> {onnx.name = "input"}) -> (tensor<1x2x6x8xf32> {onnx.name = "output"}) {
  %x = top.input %arg0 : tensor<1x2x3x4xf32>
  %r = top.resize %x {mode = "linear", coordinate_transformation_mode = "align_corners", scales = array<f64: 1.0, 1.0, 2.0, 2.0>} : tensor<1x2x3x4xf32> -> tensor<1x2x6x8xf32> loc("up")
  func.return %r : tensor<1x2x6x8xf32>
}

// CHECK:      %[[AW:.*]] = top.weight "up.resize_w" dense<{{\[}}[1.000000e+00, 0.571428597, 0.142857149, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.428571433, 0.857142866, 0.714285731, {{.*}}]]> : tensor<4x8xf32>
// CHECK-NEXT: %[[ROWS:.*]] = tpu.reshape %arg0 : (tensor<1x2x3x4xf32>) -> tensor<6x4xf32>
// CHECK-NEXT: %[[MM:.*]] = tpu.matmul %[[ROWS]], %[[AW]] : (tensor<6x4xf32>, tensor<4x8xf32>) -> tensor<6x8xf32>
// CHECK-NEXT: %[[AH:.*]] = top.weight "up.resize_h" dense<{{\[}}{{\[}}{{\[}}[1.000000e+00]], {{\[}}[0.000000e+00]], {{\[}}[0.000000e+00]]], {{\[}}{{\[}}[6.000000e-01]], {{\[}}[4.000000e-01]], {{\[}}[0.000000e+00]]], {{.*}}> : tensor<6x3x1x1xf32>
// CHECK-NEXT: %[[HC:.*]] = tpu.reshape %[[MM]] : (tensor<6x8xf32>) -> tensor<2x3x8x1xf32>
// CHECK-NEXT: %[[CV:.*]] = tpu.conv2d %[[HC]], %[[AH]] : (tensor<2x3x8x1xf32>, tensor<6x3x1x1xf32>) -> tensor<2x6x8x1xf32>
// CHECK-NEXT: %[[Y:.*]] = tpu.reshape %[[CV]] : (tensor<2x6x8x1xf32>) -> tensor<1x2x6x8xf32>
// CHECK-NEXT: func.return %[[Y]] : tensor<1x2x6x8xf32>

// -----

// Nearest by 1.5 along W only (half_pixel, round_prefer_floor): one-hot rows, a single
// matmul; H is unchanged, so no conv.
func.func @main(%arg0: tensor<1x1x2x4xf32> {onnx.name = "input"}) -> (tensor<1x1x2x6xf32> {onnx.name = "output"}) {
  %x = top.input %arg0 : tensor<1x1x2x4xf32>
  %r = top.resize %x {mode = "nearest", scales = array<f64: 1.0, 1.0, 1.0, 1.5>} : tensor<1x1x2x4xf32> -> tensor<1x1x2x6xf32> loc("near")
  func.return %r : tensor<1x1x2x6xf32>
}

// CHECK:      %[[AW:.*]] = top.weight "near.resize_w" dense<{{\[}}[1.000000e+00, 1.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 1.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 1.000000e+00, 1.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 1.000000e+00]]> : tensor<4x6xf32>
// CHECK-NEXT: %[[ROWS:.*]] = tpu.reshape %arg0 : (tensor<1x1x2x4xf32>) -> tensor<2x4xf32>
// CHECK-NEXT: %[[MM:.*]] = tpu.matmul %[[ROWS]], %[[AW]] : (tensor<2x4xf32>, tensor<4x6xf32>) -> tensor<2x6xf32>
// CHECK-NEXT: %[[Y:.*]] = tpu.reshape %[[MM]] : (tensor<2x6xf32>) -> tensor<1x1x2x6xf32>
// CHECK-NEXT: func.return %[[Y]] : tensor<1x1x2x6xf32>
// CHECK-NOT:  tpu.conv2d
