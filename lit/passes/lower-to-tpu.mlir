// RUN: nntc-opt %s -p 'lower-to-tpu{chip=bm1684x mode=f32}' | filecheck %s

// A small CNN in top: conv (fused relu), depthwise, max pool, residual add, global average
// pool, flatten, gemm with transB (its weight is transposed into a new one), softmax.
func.func @main(%arg0: tensor<1x4x8x8xf32> {onnx.name = "input"}) -> (tensor<1x3xf32> {onnx.name = "output"}) {
  %x = top.input %arg0 : tensor<1x4x8x8xf32>
  %w = top.weight "w" dense<0.5> : tensor<4x4x3x3xf32>
  %b = top.weight "b" dense<0.25> : tensor<4xf32>
  %c = top.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, do_relu = true} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  %dw = top.weight "dw" dense<0.125> : tensor<4x1x3x3xf32>
  %d = top.conv %c, %dw {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 4 : i64, dilations = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x8x8xf32>
  %r = top.clip %d {min = 0.0 : f64, max = 6.0 : f64} : tensor<1x4x8x8xf32>
  %p = top.maxpool %r {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = true} : tensor<1x4x8x8xf32> -> tensor<1x4x4x4xf32>
  %q = top.avgpool %c {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : tensor<1x4x8x8xf32> -> tensor<1x4x4x4xf32>
  %s = top.add %p, %q {do_relu = true} : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %t = top.sub %s, %q : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %g = top.global_avgpool %t : tensor<1x4x4x4xf32> -> tensor<1x4x1x1xf32>
  %f = top.reshape %g : tensor<1x4x1x1xf32> -> tensor<1x4xf32>
  %fw = top.weight "fw" dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0]]> : tensor<3x4xf32>
  %fb = top.weight "fb" dense<[0.5, -0.5, 1.0]> : tensor<3xf32>
  %y = top.gemm %f, %fw, %fb {trans_b = true} : (tensor<1x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<1x3xf32>
  %z = top.softmax %y {axis = -1 : i64} : tensor<1x3xf32>
  func.return %z : tensor<1x3xf32>
}

// CHECK:      func.func @main(%arg0: tensor<1x4x8x8xf32> {onnx.name = "input"})
// CHECK-NOT:  top.input
// CHECK:      %[[C:.*]] = tpu.conv2d %arg0, %{{.*}}, %{{.*}} {do_relu = true, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
// CHECK:      %[[D:.*]] = tpu.conv2d %[[C]], %{{.*}} {pads = array<i64: 1, 1, 1, 1>, group = 4 : i64} : (tensor<1x4x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x8x8xf32>
// CHECK-NEXT: %[[R:.*]] = tpu.relu %[[D]] {relu_limit = 6.000000e+00 : f64} : tensor<1x4x8x8xf32>
// A ceil-mode pool gets the extra bottom/right padding that gives the same size in floor mode.
// CHECK-NEXT: %[[P:.*]] = tpu.maxpool %[[R]] {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 1, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
// CHECK-NEXT: %[[Q:.*]] = tpu.avgpool %[[C]] {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
// CHECK-NEXT: %[[S:.*]] = tpu.add %[[P]], %[[Q]] {do_relu = true} : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
// CHECK-NEXT: %[[T:.*]] = tpu.sub %[[S]], %[[Q]] : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
// CHECK-NEXT: %[[G:.*]] = tpu.avgpool %[[T]] {kernel_shape = array<i64: 4, 4>} : (tensor<1x4x4x4xf32>) -> tensor<1x4x1x1xf32>
// CHECK-NEXT: %[[F:.*]] = tpu.reshape %[[G]] : (tensor<1x4x1x1xf32>) -> tensor<1x4xf32>
// The transposed gemm weight is a new weight of the store, shape (K, N).
// CHECK:      %[[FW:.*]] = top.weight "fw.tpu" dense<{{\[\[}}1.000000e+00, 5.000000e+00, 9.000000e+00], [2.000000e+00, 6.000000e+00, 1.000000e+01], {{.*}}]> : tensor<4x3xf32>
// CHECK-NEXT: %[[Y:.*]] = tpu.matmul %[[F]], %[[FW]], %{{.*}} : (tensor<1x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<1x3xf32>
// CHECK-NEXT: %[[Z:.*]] = tpu.softmax %[[Y]] {axis = 1 : i64} : tensor<1x3xf32>
// CHECK-NEXT: func.return %[[Z]] : tensor<1x3xf32>

// The recent lowerings: exp, a runtime division, a standalone batchnorm (per-channel mul + add
// with new weights s = scale / sqrt(var + eps), b = bias - mean * s), hardsigmoid, sigmoid,
// nearest resize by 2 (tpu.upsample), a deconv with kernel == stride (a 1x1 conv to kh*kw*oc
// channels, the bias tiled per tap, then depth_to_space).
func.func @fns(%arg0: tensor<1x2x4x4xf32> {onnx.name = "input"}) -> (tensor<1x2x8x8xf32>, tensor<1x3x8x8xf32>) {
  %x = top.input %arg0 : tensor<1x2x4x4xf32>
  %e = top.exp %x : tensor<1x2x4x4xf32>
  %d = top.div %x, %e {do_relu = true} : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %p = top.weight "p" dense<[1.0, 4.0]> : tensor<2xf32>
  %bn = top.batchnorm %d, %p, %p, %p, %p {epsilon = 0.0 : f64} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32> loc("bn0")
  %hs = top.hardsigmoid %bn {alpha = 0.25 : f64, beta = 0.5 : f64} : tensor<1x2x4x4xf32>
  %s = top.sigmoid %hs : tensor<1x2x4x4xf32>
  %r = top.resize %s {mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor", scales = array<f64: 1.0, 1.0, 2.0, 2.0>} : tensor<1x2x4x4xf32> -> tensor<1x2x8x8xf32>
  %w = top.weight "w" dense<1.0> : tensor<2x3x2x2xf32>
  %b = top.weight "b" dense<[0.5, 1.5, 2.5]> : tensor<3xf32>
  %dc = top.deconv %s, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x2x4x4xf32>, tensor<2x3x2x2xf32>, tensor<3xf32>) -> tensor<1x3x8x8xf32> loc("up0")
  func.return %r, %dc : tensor<1x2x8x8xf32>, tensor<1x3x8x8xf32>
}

func.func @banded(%arg0: tensor<1x2x256x256xf32>) -> tensor<1x2x1x1xf32> {
  %g = top.global_avgpool %arg0 : tensor<1x2x256x256xf32> -> tensor<1x2x1x1xf32>
  func.return %g : tensor<1x2x1x1xf32>
}

// CHECK-LABEL: func.func @fns
// CHECK-NEXT: %[[E:.*]] = tpu.exp %arg0 : tensor<1x2x4x4xf32>
// CHECK-NEXT: %[[D:.*]] = tpu.div %arg0, %[[E]] {do_relu = true} : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
// CHECK-NEXT: %[[S:.*]] = top.weight "bn0.bn_scale" dense<{{\[\[\[\[}}1.000000e+00]], {{\[\[}}2.000000e+00]]]]> : tensor<1x2x1x1xf32>
// CHECK-NEXT: %[[B:.*]] = top.weight "bn0.bn_bias" dense<{{\[\[\[\[}}0.000000e+00]], {{\[\[}}-4.000000e+00]]]]> : tensor<1x2x1x1xf32>
// CHECK-NEXT: %[[M:.*]] = tpu.mul %[[D]], %[[S]] : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x4x4xf32>
// CHECK-NEXT: %[[A:.*]] = tpu.add %[[M]], %[[B]] : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x4x4xf32>
// CHECK-NEXT: %[[HS:.*]] = tpu.hardsigmoid %[[A]] {alpha = 2.500000e-01 : f64, beta = 5.000000e-01 : f64} : tensor<1x2x4x4xf32>
// CHECK-NEXT: %[[SG:.*]] = tpu.sigmoid %[[HS]] : tensor<1x2x4x4xf32>
// CHECK-NEXT: %[[R:.*]] = tpu.upsample %[[SG]] {scales = array<i64: 2, 2>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x8x8xf32>
// CHECK-NEXT: %[[WT:.*]] = top.weight "up0.deconv_taps" dense<1.000000e+00> : tensor<12x2x1x1xf32>
// CHECK-NEXT: %[[WB:.*]] = top.weight "up0.deconv_bias" dense<[5.000000e-01, 1.500000e+00, 2.500000e+00, 5.000000e-01, {{.*}}, 2.500000e+00]> : tensor<12xf32>
// CHECK-NEXT: %[[C:.*]] = tpu.conv2d %[[SG]], %[[WT]], %[[WB]] : (tensor<1x2x4x4xf32>, tensor<12x2x1x1xf32>, tensor<12xf32>) -> tensor<1x12x4x4xf32>
// CHECK-NEXT: %[[DS:.*]] = tpu.depth_to_space %[[C]] {block = array<i64: 2, 2>} : (tensor<1x12x4x4xf32>) -> tensor<1x3x8x8xf32>
// CHECK-NEXT: func.return %[[R]], %[[DS]] : tensor<1x2x8x8xf32>, tensor<1x3x8x8xf32>

// A global pool whose 256x256 plane does not fit local memory whole pools bands of 8 rows
// (stride 8 along H), then averages the 32 band means.
// CHECK-LABEL: func.func @banded
// CHECK-NEXT: %[[G:.*]] = tpu.avgpool %arg0 {kernel_shape = array<i64: 8, 256>, strides = array<i64: 8, 1>} : (tensor<1x2x256x256xf32>) -> tensor<1x2x32x1xf32>
// CHECK-NEXT: %[[G1:.*]] = tpu.avgpool %[[G]] {kernel_shape = array<i64: 32, 1>} : (tensor<1x2x32x1xf32>) -> tensor<1x2x1x1xf32>
// CHECK-NEXT: func.return %[[G1]] : tensor<1x2x1x1xf32>

// hardswish: x * hardsigmoid(x) with alpha 1/6, beta 1/2.
func.func @hardswish(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  %y = top.hardswish %x : tensor<1x8x4x4xf32>
  func.return %y : tensor<1x8x4x4xf32>
}
// CHECK-LABEL: func.func @hardswish(
// CHECK-NEXT:    %[[G:.*]] = tpu.hardsigmoid %x {alpha = 0.16666666666666666 : f64, beta = 5.000000e-01 : f64}
// CHECK-NEXT:    %{{.*}} = tpu.mul %x, %[[G]]
