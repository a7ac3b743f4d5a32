// RUN: not nntc-opt %s -p 'lower-to-tpu' 2>&1 | filecheck %s
// RUN: not nntc-opt %s -p 'lower-to-tpu{mode=int8}' 2>&1 | filecheck %s --check-prefix=MODE
// RUN: not nntc-opt %s -p 'lower-to-tpu{chip=bm1688}' 2>&1 | filecheck %s --check-prefix=CHIP

// Every op the chip cannot run is listed at once, with its location, and nothing is rewritten.
func.func @main(%arg0: tensor<1x4x8x8xf32>, %w: tensor<4x2x3x3xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x2x17x17xf32>, tensor<1x4x12x12xf32>) {
  %0 = top.tanh %arg0 : tensor<1x4x8x8xf32> loc("tanh")
  %1 = top.clip %0 {min = -1.0 : f64, max = 1.0 : f64} : tensor<1x4x8x8xf32> loc("clip")
  %2 = top.avgpool %1 {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32> loc("pool")
  %3 = top.relu %2 : tensor<1x4x8x8xf32> loc("ok")
  %4 = top.deconv %arg0, %w {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x4x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x2x17x17xf32> loc("deconv")
  %5 = top.resize %arg0 {mode = "nearest", scales = array<f64: 1.0, 1.0, 1.5, 1.5>} : tensor<1x4x8x8xf32> -> tensor<1x4x12x12xf32> loc("resize")
  func.return %3, %4, %5 : tensor<1x4x8x8xf32>, tensor<1x2x17x17xf32>, tensor<1x4x12x12xf32>
}

// CHECK:      pass 'lower-to-tpu' failed: 5 op(s) cannot be lowered to the BM1684X:
// CHECK-NEXT: top.tanh at loc("tanh"): no BM1684X lowering for this op yet
// CHECK-NEXT: top.clip at loc("clip"): a lower bound other than 0 is not supported (min = -1.0)
// CHECK-NEXT: top.avgpool at loc("pool"): padding excluded from the divisor (count_include_pad = 0) is not supported
// CHECK-NEXT: top.deconv at loc("deconv"): only kernel == stride without pads, dilation, output padding or groups is supported (kernel [3, 3], strides [2, 2], pads [0, 0, 0, 0], group 1)
// CHECK-NEXT: top.resize at loc("resize"): only integer scales are supported, got [1.5, 1.5]
// MODE: lower-to-tpu: unsupported mode 'int8' (supported: f32)
// CHIP: lower-to-tpu: unsupported chip 'bm1688' (supported: bm1684x)
