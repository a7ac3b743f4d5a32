// RUN: nntc-opt %s --split-input-file -p 'lower-to-tpu' | filecheck %s

// Elementwise ops above rank 4 run on views of at most 4 dims. A per-channel affine on 5-D (a
// 3-D BatchNorm): H and W (full in x, 1 in the weight) merge, innermost first and only as far
// as rank 4; the channel stays a dim. The weight gets a reshaped copy, the result is reshaped
// back.
func.func @per_channel(%arg0: tensor<2x3x4x4x4xf32>) -> tensor<2x3x4x4x4xf32> {
  %x = top.input %arg0 : tensor<2x3x4x4x4xf32>
  %s = top.weight "s" dense<[[[[[1.0]]], [[[2.0]]], [[[3.0]]]]]> : tensor<1x3x1x1x1xf32>
  %y = top.mul %x, %s : (tensor<2x3x4x4x4xf32>, tensor<1x3x1x1x1xf32>) -> tensor<2x3x4x4x4xf32> loc("bn")
  func.return %y : tensor<2x3x4x4x4xf32>
}

// CHECK-LABEL: func.func @per_channel
// CHECK-NEXT: %[[X:.*]] = tpu.reshape %arg0 : (tensor<2x3x4x4x4xf32>) -> tensor<2x3x4x16xf32>
// CHECK-NEXT: %[[S:.*]] = top.weight "bn.view" dense<{{\[}}[{{\[}}[1.000000e+00]], {{\[}}[2.000000e+00]], {{\[}}[3.000000e+00]]]]> : tensor<1x3x1x1xf32>
// CHECK-NEXT: %[[M:.*]] = tpu.mul %[[X]], %[[S]] : (tensor<2x3x4x16xf32>, tensor<1x3x1x1xf32>) -> tensor<2x3x4x16xf32>
// CHECK-NEXT: %[[Y:.*]] = tpu.reshape %[[M]] : (tensor<2x3x4x16xf32>) -> tensor<2x3x4x4x4xf32>
// CHECK-NEXT: func.return %[[Y]] : tensor<2x3x4x4x4xf32>

// -----

// Without broadcasting, dims merge innermost first only down to 4 (2x3x4x5x6 -> 2x3x4x30).
// A chain of folded ops (PReLU: relu, sub, mul, add) passes views along: no reshape back
// and forth between them, one reshape in and one out.
func.func @chain(%arg0: tensor<2x3x4x5x6xf32>) -> tensor<2x3x4x5x6xf32> {
  %x = top.input %arg0 : tensor<2x3x4x5x6xf32>
  %a = top.weight "a" dense<0.25> : tensor<1x1x1x1xf32>
  %y = top.prelu %x, %a : (tensor<2x3x4x5x6xf32>, tensor<1x1x1x1xf32>) -> tensor<2x3x4x5x6xf32> loc("prelu")
  func.return %y : tensor<2x3x4x5x6xf32>
}

// CHECK-LABEL: func.func @chain
// CHECK-NEXT: %[[X0:.*]] = tpu.reshape %arg0 : (tensor<2x3x4x5x6xf32>) -> tensor<2x3x4x30xf32>
// CHECK-NEXT: %[[P:.*]] = tpu.relu %[[X0]] : tensor<2x3x4x30xf32>
// CHECK-NEXT: %[[X1:.*]] = tpu.reshape %arg0 : (tensor<2x3x4x5x6xf32>) -> tensor<2x3x4x30xf32>
// CHECK-NEXT: %[[N:.*]] = tpu.sub %[[X1]], %[[P]] : (tensor<2x3x4x30xf32>, tensor<2x3x4x30xf32>) -> tensor<2x3x4x30xf32>
// CHECK-NEXT: %[[A:.*]] = top.weight "prelu.view" dense<2.500000e-01> : tensor<1x1x1x1xf32>
// CHECK-NEXT: %[[M:.*]] = tpu.mul %[[N]], %[[A]] : (tensor<2x3x4x30xf32>, tensor<1x1x1x1xf32>) -> tensor<2x3x4x30xf32>
// CHECK-NEXT: %[[S:.*]] = tpu.add %[[P]], %[[M]] : (tensor<2x3x4x30xf32>, tensor<2x3x4x30xf32>) -> tensor<2x3x4x30xf32>
// CHECK-NEXT: %[[Y:.*]] = tpu.reshape %[[S]] : (tensor<2x3x4x30xf32>) -> tensor<2x3x4x5x6xf32>
// CHECK-NEXT: func.return %[[Y]] : tensor<2x3x4x5x6xf32>

// -----

// Full and broadcast dims alternate (the right operand is [1, 3, 1, 5, 1] against
// [2, 3, 4, 5, 6]): no two adjacent dims merge, the op stays at rank 5 (lower-to-bm1684x
// rejects it).
func.func @alternating(%arg0: tensor<2x3x4x5x6xf32>, %arg1: tensor<3x1x5x1xf32>) -> tensor<2x3x4x5x6xf32> {
  %x = top.input %arg0 : tensor<2x3x4x5x6xf32>
  %b = top.input %arg1 : tensor<3x1x5x1xf32>
  %y = top.add %x, %b : (tensor<2x3x4x5x6xf32>, tensor<3x1x5x1xf32>) -> tensor<2x3x4x5x6xf32> loc("add")
  func.return %y : tensor<2x3x4x5x6xf32>
}

// CHECK-LABEL: func.func @alternating
// CHECK-NEXT: %[[Y:.*]] = tpu.add %arg0, %arg1 : (tensor<2x3x4x5x6xf32>, tensor<3x1x5x1xf32>) -> tensor<2x3x4x5x6xf32>
// CHECK-NEXT: func.return %[[Y]] : tensor<2x3x4x5x6xf32>

// -----

// Size-1 dims drop out of the view, a dim of the bias broadcast over leading dims merges
// with them: [1, 2, 4, 1, 3, 3] + [4, 1, 1, 1] -> [2, 4, 9] + [1, 4, 1].
func.func @size_one(%arg0: tensor<1x2x4x1x3x3xf32>) -> tensor<1x2x4x1x3x3xf32> {
  %x = top.input %arg0 : tensor<1x2x4x1x3x3xf32>
  %b = top.weight "b" dense<[[[[1.0]]], [[[2.0]]], [[[3.0]]], [[[4.0]]]]> : tensor<4x1x1x1xf32>
  %y = top.add %x, %b : (tensor<1x2x4x1x3x3xf32>, tensor<4x1x1x1xf32>) -> tensor<1x2x4x1x3x3xf32> loc("bias")
  func.return %y : tensor<1x2x4x1x3x3xf32>
}

// CHECK-LABEL: func.func @size_one
// CHECK-NEXT: %[[X:.*]] = tpu.reshape %arg0 : (tensor<1x2x4x1x3x3xf32>) -> tensor<2x4x3x3xf32>
// CHECK-NEXT: %[[B:.*]] = top.weight "bias.view" {{.*}} : tensor<1x4x1x1xf32>
// CHECK-NEXT: %[[S:.*]] = tpu.add %[[X]], %[[B]] : (tensor<2x4x3x3xf32>, tensor<1x4x1x1xf32>) -> tensor<2x4x3x3xf32>
// CHECK-NEXT: %[[Y:.*]] = tpu.reshape %[[S]] : (tensor<2x4x3x3xf32>) -> tensor<1x2x4x1x3x3xf32>
// CHECK-NEXT: func.return %[[Y]] : tensor<1x2x4x1x3x3xf32>

// -----

// Average pooling whose ONNX divisor is not the window size: the pool command divides by
// kh*kw = 9, a tpu.mul by the weight 9 / count per output position fixes the border windows
// (count_include_pad = 0: corners count 4 taps, edges 6). The fused ReLU moves to the mul.
func.func @exclude_pad(%arg0: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %x = top.input %arg0 : tensor<1x2x4x4xf32>
  %y = top.avgpool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, do_relu = true} : tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32> loc("pool")
  func.return %y : tensor<1x2x4x4xf32>
}

// CHECK-LABEL: func.func @exclude_pad
// CHECK-NEXT: %[[P:.*]] = tpu.avgpool %arg0 {kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, count_include_pad = true} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
// CHECK-NEXT: %[[W:.*]] = top.weight "pool.pool_scale" dense<{{\[}}[{{\[}}[2.250000e+00, 1.500000e+00, 1.500000e+00, 2.250000e+00], [1.500000e+00, 1.000000e+00, 1.000000e+00, 1.500000e+00], [1.500000e+00, 1.000000e+00, 1.000000e+00, 1.500000e+00], [2.250000e+00, 1.500000e+00, 1.500000e+00, 2.250000e+00]]]]> : tensor<1x1x4x4xf32>
// CHECK-NEXT: %[[Y:.*]] = tpu.mul %[[P]], %[[W]] {do_relu = true} : (tensor<1x2x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32>
// CHECK-NEXT: func.return %[[Y]] : tensor<1x2x4x4xf32>

// -----

// ceil_mode: 5 -> 3 outputs with kernel 2, stride 2 needs one more bottom/right row/column of
// padding; the last window covers one input tap per axis, so its weight is 4 / count.
// count_include_pad = 1 counts pads, never that overhang: the same weights here.
func.func @ceil(%arg0: tensor<1x1x5x5xf32>) -> tensor<1x1x3x3xf32> {
  %x = top.input %arg0 : tensor<1x1x5x5xf32>
  %y = top.avgpool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = true, count_include_pad = true} : tensor<1x1x5x5xf32> -> tensor<1x1x3x3xf32> loc("pool")
  func.return %y : tensor<1x1x3x3xf32>
}

// CHECK-LABEL: func.func @ceil
// CHECK-NEXT: %[[P:.*]] = tpu.avgpool %arg0 {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 1, 1>, count_include_pad = true} : (tensor<1x1x5x5xf32>) -> tensor<1x1x3x3xf32>
// CHECK-NEXT: %[[W:.*]] = top.weight "pool.pool_scale" dense<{{\[}}[{{\[}}[1.000000e+00, 1.000000e+00, 2.000000e+00], [1.000000e+00, 1.000000e+00, 2.000000e+00], [2.000000e+00, 2.000000e+00, 4.000000e+00]]]]> : tensor<1x1x3x3xf32>
// CHECK-NEXT: %[[Y:.*]] = tpu.mul %[[P]], %[[W]] : (tensor<1x1x3x3xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
// CHECK-NEXT: func.return %[[Y]] : tensor<1x1x3x3xf32>

// -----

// Every window inside the input: one tpu.avgpool, no weight.
func.func @plain(%arg0: tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32> {
  %x = top.input %arg0 : tensor<1x1x4x4xf32>
  %y = top.avgpool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : tensor<1x1x4x4xf32> -> tensor<1x1x2x2xf32> loc("pool")
  func.return %y : tensor<1x1x2x2xf32>
}

// CHECK-LABEL: func.func @plain
// CHECK-NEXT: %[[Y:.*]] = tpu.avgpool %arg0 {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32>
// CHECK-NEXT: func.return %[[Y]] : tensor<1x1x2x2xf32>
