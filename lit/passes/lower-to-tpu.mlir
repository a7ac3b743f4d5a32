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
