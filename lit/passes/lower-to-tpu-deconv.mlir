// RUN: nntc-opt %s -p 'lower-to-tpu' | filecheck %s
// RUN: nntc-opt %s -p 'lower-to-tpu,assign-gmem,lower-to-bm1684x' | filecheck %s --check-prefix=CMD

// A grouped transposed conv, stride 2, kernel 1x3, pads and output_padding: not kernel ==
// stride, so it becomes tpu.deconv2d with the equivalent conv filter, per group ONNX's
// (ic, oc / g, kh, kw) swapped to (oc, ic / g, kh, kw) and flipped: input channel 0's taps
// [1, 2, 3] become [3, 2, 1] of output channel 0.
func.func @main(%arg0: tensor<1x4x3x3xf32> {onnx.name = "input"}) -> (tensor<1x2x6x6xf32> {onnx.name = "output"}) {
  %x = top.input %arg0 : tensor<1x4x3x3xf32>
  %w = top.weight "w" dense<[[[[1.0, 2.0, 3.0]]], [[[4.0, 5.0, 6.0]]], [[[7.0, 8.0, 9.0]]], [[[10.0, 11.0, 12.0]]]]> : tensor<4x1x1x3xf32>
  %b = top.weight "b" dense<[0.5, -0.5]> : tensor<2xf32>
  %y = top.deconv %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 0, 1, 0, 1>, output_padding = array<i64: 1, 1>, group = 2 : i64, do_relu = true} : (tensor<1x4x3x3xf32>, tensor<4x1x1x3xf32>, tensor<2xf32>) -> tensor<1x2x6x6xf32> loc("up")
  func.return %y : tensor<1x2x6x6xf32>
}

// CHECK:      %[[W:.*]] = top.weight "up.deconv_filter" dense<{{\[}}{{\[}}{{\[}}[3.000000e+00, 2.000000e+00, 1.000000e+00]], {{\[}}[6.000000e+00, 5.000000e+00, 4.000000e+00]]], {{\[}}{{\[}}[9.000000e+00, 8.000000e+00, 7.000000e+00]], {{\[}}[1.200000e+01, 1.100000e+01, 1.000000e+01]]]]> : tensor<2x2x1x3xf32>
// CHECK-NEXT: %[[B:.*]] = top.weight "up.deconv_bias" dense<[5.000000e-01, -5.000000e-01]> : tensor<2xf32>
// CHECK-NEXT: %[[Y:.*]] = tpu.deconv2d %arg0, %[[W]], %[[B]] {strides = array<i64: 2, 2>, pads = array<i64: 0, 1, 0, 1>, output_padding = array<i64: 1, 1>, group = 2 : i64, do_relu = true} : (tensor<1x4x3x3xf32>, tensor<2x2x1x3xf32>, tensor<2xf32>) -> tensor<1x2x6x6xf32>
// CHECK-NEXT: func.return %[[Y]] : tensor<1x2x6x6xf32>

// One conv.normal per group, each inserting one zero between pixels (stride 2 - 1) and padding
// the inserted input by dilation * (k - 1) - pads (+ output_padding at the end): h (0, 0 + 1),
// w (2 - 1, 2 - 1 + 1); pad is [up, down, left, right].
// CMD:      bm1684x.tiu.conv normal {{.*}} res0_shape = [1, 1, 6, 6], {{.*}} opd0_shape = [2, 3, 3], {{.*}} kernel = [1, 3], {{.*}} pad = [0, 1, 1, 2], in_zero = [1, 1]}
// CMD-NEXT: bm1684x.tiu.conv normal {{.*}} res0_shape = [1, 1, 6, 6], {{.*}} opd0_shape = [2, 3, 3], {{.*}} kernel = [1, 3], {{.*}} pad = [0, 1, 1, 2], in_zero = [1, 1]}
// CMD-NEXT: bm1684x.tiu.ar
