// RUN: NNTC_ROUNDTRIP
// RUN: NNTC_GENERIC_ROUNDTRIP

// The data movements and float functions lower-to-tpu adds for the remaining top ops.
func.func @more(%x: tensor<2x3x4xf32>, %r: tensor<3x1x4xf32>) -> tensor<2x3x4xf32> {
  %0 = tpu.permute %x {order = array<i64: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  %1 = tpu.slice %x {offsets = array<i64: 1, 0, 1>, steps = array<i64: 1, 2, 2>} : (tensor<2x3x4xf32>) -> tensor<1x2x2xf32>
  %2 = tpu.expand %r : (tensor<3x1x4xf32>) -> tensor<3x5x4xf32>
  %3 = tpu.tanh %x : tensor<2x3x4xf32>
  %4 = tpu.erf %3 : tensor<2x3x4xf32>
  %5 = tpu.gelu %4 : tensor<2x3x4xf32>
  %6 = tpu.sqrt %5 : tensor<2x3x4xf32>
  %7 = tpu.rsqrt %6 : tensor<2x3x4xf32>
  %8 = tpu.log %7 : tensor<2x3x4xf32>
  %9 = tpu.leaky_relu %8 {alpha = 0.1 : f64} : tensor<2x3x4xf32>
  %10 = tpu.pow %9 {exponent = 1.5 : f64} : tensor<2x3x4xf32>
  func.return %10 : tensor<2x3x4xf32>
}

// CHECK-LABEL: func.func @more
// CHECK-NEXT:  %0 = tpu.permute %x {order = array<i64: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
// CHECK-NEXT:  %1 = tpu.slice %x {offsets = array<i64: 1, 0, 1>, steps = array<i64: 1, 2, 2>} : (tensor<2x3x4xf32>) -> tensor<1x2x2xf32>
// CHECK-NEXT:  %2 = tpu.expand %r : (tensor<3x1x4xf32>) -> tensor<3x5x4xf32>
// CHECK-NEXT:  %3 = tpu.tanh %x : tensor<2x3x4xf32>
// CHECK-NEXT:  %4 = tpu.erf %3 : tensor<2x3x4xf32>
// CHECK-NEXT:  %5 = tpu.gelu %4 : tensor<2x3x4xf32>
// CHECK-NEXT:  %6 = tpu.sqrt %5 : tensor<2x3x4xf32>
// CHECK-NEXT:  %7 = tpu.rsqrt %6 : tensor<2x3x4xf32>
// CHECK-NEXT:  %8 = tpu.log %7 : tensor<2x3x4xf32>
// CHECK-NEXT:  %9 = tpu.leaky_relu %8 {alpha = 1.000000e-01 : f64} : tensor<2x3x4xf32>
// CHECK-NEXT:  %10 = tpu.pow %9 {exponent = 1.500000e+00 : f64} : tensor<2x3x4xf32>

// CHECK-GENERIC-LABEL: "func.func"() <{sym_name = "more"
// CHECK-GENERIC:       %0 = "tpu.permute"(%x) <{order = array<i64: 2, 0, 1>}> : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
// CHECK-GENERIC-NEXT:  %1 = "tpu.slice"(%x) <{offsets = array<i64: 1, 0, 1>, steps = array<i64: 1, 2, 2>}> : (tensor<2x3x4xf32>) -> tensor<1x2x2xf32>
// CHECK-GENERIC-NEXT:  %2 = "tpu.expand"(%r) : (tensor<3x1x4xf32>) -> tensor<3x5x4xf32>
// CHECK-GENERIC-NEXT:  %3 = "tpu.tanh"(%x) : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
// CHECK-GENERIC:       %9 = "tpu.leaky_relu"(%8) <{alpha = 1.000000e-01 : f64}> : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
// CHECK-GENERIC-NEXT:  %10 = "tpu.pow"(%9) <{exponent = 1.500000e+00 : f64}> : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
