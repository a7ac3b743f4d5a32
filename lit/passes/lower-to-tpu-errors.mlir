// RUN: not nntc-opt %s -p 'lower-to-tpu' 2>&1 | filecheck %s
// RUN: not nntc-opt %s -p 'lower-to-tpu{mode=int4}' 2>&1 | filecheck %s --check-prefix=MODE
// RUN: not nntc-opt %s -p 'lower-to-tpu{chip=bm1688}' 2>&1 | filecheck %s --check-prefix=CHIP

// Every op the chip cannot run is listed at once, with its location, and nothing is rewritten.
func.func @main(%arg0: tensor<1x4x8x8xf32>, %w: tensor<4x2x3x3xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x2x11x11xf32>, tensor<1x8x8x8xf32>, tensor<1x2x17x17xf32>) {
  %0 = top.slice %arg0 {starts = array<i64: 0, 3, 0, 0>, steps = array<i64: 1, -1, 1, 1>} : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32> loc("reverse")
  %1 = top.clip %0 {min = -1.0 : f64, max = 1.0 : f64} : tensor<1x4x8x8xf32> loc("clip")
  %2 = top.avgpool %1 {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32> loc("pool")
  %3 = top.relu %2 : tensor<1x4x8x8xf32> loc("ok")
  %k = top.weight "k" dense<1.0> : tensor<4x2x3x3xf32>
  %4 = top.deconv %arg0, %k {strides = array<i64: 2, 2>, pads = array<i64: 3, 3, 3, 3>} : (tensor<1x4x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x2x11x11xf32> loc("deconv")
  %5 = top.resize %arg0 {mode = "linear", scales = array<f64: 1.0, 2.0, 1.0, 1.0>} : tensor<1x4x8x8xf32> -> tensor<1x8x8x8xf32> loc("resize")
  %6 = top.deconv %arg0, %w {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x4x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x2x17x17xf32> loc("runtime")
  func.return %3, %4, %5, %6 : tensor<1x4x8x8xf32>, tensor<1x2x11x11xf32>, tensor<1x8x8x8xf32>, tensor<1x2x17x17xf32>
}

// CHECK:      pass 'lower-to-tpu' failed: 5 op(s) cannot be lowered to the BM1684X:
// CHECK-NEXT: top.slice at loc("reverse"): negative steps [1, -1, 1, 1] are not supported
// CHECK-NEXT: top.clip at loc("clip"): a lower bound other than 0 is not supported (min = -1.0)
// CHECK-NEXT: top.deconv at loc("deconv"): pads [3, 3, 3, 3] with kernel [3, 3], dilations [1, 1] and output_padding [0, 0] need conv padding (-1, -1) along h, outside [0, 15]
// CHECK-NEXT: top.resize at loc("resize"): only resizes of the last two axes (H and W) are supported, got scales [1.0, 2.0, 1.0, 1.0]
// CHECK-NEXT: top.deconv at loc("runtime"): a runtime (non-weight) filter is not supported
// MODE: lower-to-tpu: unsupported mode 'int4' (supported: f32, int8)
// CHIP: lower-to-tpu: unsupported chip 'bm1688' (supported: bm1684x)
