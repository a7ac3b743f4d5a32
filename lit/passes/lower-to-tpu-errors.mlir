// RUN: not nntc-opt %s -p 'lower-to-tpu' 2>&1 | filecheck %s
// RUN: not nntc-opt %s -p 'lower-to-tpu{mode=int8}' 2>&1 | filecheck %s --check-prefix=MODE
// RUN: not nntc-opt %s -p 'lower-to-tpu{chip=bm1688}' 2>&1 | filecheck %s --check-prefix=CHIP

// Every op the chip cannot run is listed at once, with its location, and nothing is rewritten.
func.func @main(%arg0: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %0 = top.sigmoid %arg0 : tensor<1x4x8x8xf32> loc("sig")
  %1 = top.clip %0 {min = -1.0 : f64, max = 1.0 : f64} : tensor<1x4x8x8xf32> loc("clip")
  %2 = top.avgpool %1 {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32> loc("pool")
  %3 = top.relu %2 : tensor<1x4x8x8xf32> loc("ok")
  func.return %3 : tensor<1x4x8x8xf32>
}

// CHECK:      pass 'lower-to-tpu' failed: 3 op(s) cannot be lowered to the BM1684X:
// CHECK-NEXT: top.sigmoid at loc("sig"): no BM1684X lowering for this op yet
// CHECK-NEXT: top.clip at loc("clip"): a lower bound other than 0 is not supported (min = -1.0)
// CHECK-NEXT: top.avgpool at loc("pool"): padding excluded from the divisor (count_include_pad = 0) is not supported
// MODE: lower-to-tpu: unsupported mode 'int8' (supported: f32)
// CHIP: lower-to-tpu: unsupported chip 'bm1688' (supported: bm1684x)
