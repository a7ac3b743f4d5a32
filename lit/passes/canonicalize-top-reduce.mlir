// ReduceSpatialToGlobalPool: a mean/max over H and W of NCHW is a global pool.
// RUN: nntc-opt %s -p canonicalize | filecheck %s

func.func @mean_keepdims(%x: tensor<1x8x7x7xf32>) -> tensor<1x8x1x1xf32> {
  %m = top.reduce_mean %x {axes = array<i64: 2, 3>} : tensor<1x8x7x7xf32> -> tensor<1x8x1x1xf32>
  func.return %m : tensor<1x8x1x1xf32>
}
// CHECK-LABEL: func.func @mean_keepdims(
// CHECK-NEXT:    %{{.*}} = top.global_avgpool %x : tensor<1x8x7x7xf32> -> tensor<1x8x1x1xf32>
// CHECK-NEXT:    func.return

func.func @max_negative_axes_no_keepdims(%x: tensor<1x8x7x7xf32>) -> tensor<1x8xf32> {
  %m = top.reduce_max %x {axes = array<i64: -1, -2>, keepdims = false} : tensor<1x8x7x7xf32> -> tensor<1x8xf32>
  func.return %m : tensor<1x8xf32>
}
// CHECK-LABEL: func.func @max_negative_axes_no_keepdims(
// CHECK-NEXT:    %[[P:.*]] = top.global_maxpool %x : tensor<1x8x7x7xf32> -> tensor<1x8x1x1xf32>
// CHECK-NEXT:    %{{.*}} = top.reshape %[[P]] : tensor<1x8x1x1xf32> -> tensor<1x8xf32>

// Not over H and W: left alone.
func.func @over_channels(%x: tensor<1x8x7x7xf32>) -> tensor<1x1x7x7xf32> {
  %m = top.reduce_mean %x {axes = array<i64: 1>} : tensor<1x8x7x7xf32> -> tensor<1x1x7x7xf32>
  func.return %m : tensor<1x1x7x7xf32>
}
// CHECK-LABEL: func.func @over_channels(
// CHECK-NEXT:    top.reduce_mean
