// FoldBatchNormIntoProducer (passes/canonicalization_patterns/top.py): batchnorm folded into the
// preceding conv / deconv / 2-D matmul as new weights named after the batchnorm's location.
// With k = scale / sqrt(variance + epsilon): filter * k per output channel, bias (b - mean) * k + shift.
// RUN: nntc-opt %s -p canonicalize | filecheck %s
// RUN: nntc-opt %s -p canonicalize --print-debuginfo | filecheck %s --check-prefix=CHECK-LOC

// conv without bias; k = [2 / sqrt(4), 0.5 / sqrt(1)] = [1, 0.5]; bias = -mean * k + shift.
// The clip(0, 6) after the batchnorm is then fused too, and the conv takes the clip's name.
func.func @bn_into_conv(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x2x2xf32> {
  %w = top.weight "w" dense<[[[[1.0, 2.0], [3.0, 4.0]]], [[[1.0, 1.0], [1.0, 1.0]]]]> : tensor<2x1x2x2xf32>
  %c = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 2 : i64} : (tensor<1x2x3x3xf32>, tensor<2x1x2x2xf32>) -> tensor<1x2x2x2xf32> loc("conv")
  %g = top.weight "g" dense<[2.0, 0.5]> : tensor<2xf32>
  %b = top.weight "b" dense<[1.0, -1.0]> : tensor<2xf32>
  %m = top.weight "m" dense<[0.5, 0.0]> : tensor<2xf32>
  %v = top.weight "v" dense<[4.0, 1.0]> : tensor<2xf32>
  %n = top.batchnorm %c, %g, %b, %m, %v {epsilon = 0.0 : f64} : (tensor<1x2x2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32> loc("bn")
  %r = top.clip %n {min = 0.0 : f64, max = 6.0 : f64} : tensor<1x2x2x2xf32> loc("relu6")
  func.return %r : tensor<1x2x2x2xf32>
}
// CHECK-LABEL: func.func @bn_into_conv(
// CHECK-NEXT:    %bn.weight = top.weight "bn.weight" dense<[{{\[\[\[}}1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]], {{\[\[\[}}5.000000e-01, 5.000000e-01], [5.000000e-01, 5.000000e-01]]]]> : tensor<2x1x2x2xf32>
// CHECK-NEXT:    %bn.bias = top.weight "bn.bias" dense<[5.000000e-01, -1.000000e+00]> : tensor<2xf32>
// CHECK-NEXT:    %n = top.conv %x, %bn.weight, %bn.bias {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 2 : i64, do_relu = true, relu_limit = 6.000000e+00 : f64} : (tensor<1x2x3x3xf32>, tensor<2x1x2x2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
// CHECK-NEXT:    func.return %n
// CHECK-LOC-LABEL: func.func @bn_into_conv(
// CHECK-LOC:         top.conv {{.*}} loc("relu6")

// deconv with bias, filter (IC, OC / group, KH, KW) = (1, 2, 1, 1): columns scaled by k = [2, 3].
func.func @bn_into_deconv(%x: tensor<1x1x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %w = top.weight "dw" dense<[[[[1.0]], [[2.0]]]]> : tensor<1x2x1x1xf32>
  %bias = top.weight "db" dense<[1.0, 1.0]> : tensor<2xf32>
  %d = top.deconv %x, %w, %bias {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x1x2x2xf32>, tensor<1x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32> loc("deconv")
  %g = top.weight "g" dense<[2.0, 3.0]> : tensor<2xf32>
  %b = top.weight "b" dense<[0.0, 1.0]> : tensor<2xf32>
  %m = top.weight "m" dense<[1.0, 1.0]> : tensor<2xf32>
  %v = top.weight "v" dense<[1.0, 1.0]> : tensor<2xf32>
  %n = top.batchnorm %d, %g, %b, %m, %v {epsilon = 0.0 : f64} : (tensor<1x2x2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32> loc("bn2")
  func.return %n : tensor<1x2x2x2xf32>
}
// CHECK-LABEL: func.func @bn_into_deconv(
// CHECK-NEXT:    %bn2.weight = top.weight "bn2.weight" dense<{{\[\[\[\[}}2.000000e+00]], {{\[\[}}6.000000e+00]]]]> : tensor<1x2x1x1xf32>
// CHECK-NEXT:    %bn2.bias = top.weight "bn2.bias" dense<[0.000000e+00, 1.000000e+00]> : tensor<2xf32>
// CHECK-NEXT:    %n = top.deconv %x, %bn2.weight, %bn2.bias {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>}
// CHECK-NEXT:    func.return %n

// 2-D matmul: the channel axis is the last one; k = [1, 2].
func.func @bn_into_matmul(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = top.weight "mw" dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %mm = top.matmul %x, %w : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32> loc("fc")
  %g = top.weight "g" dense<[1.0, 2.0]> : tensor<2xf32>
  %b = top.weight "b" dense<[0.0, 0.0]> : tensor<2xf32>
  %m = top.weight "m" dense<[1.0, 1.0]> : tensor<2xf32>
  %v = top.weight "v" dense<[1.0, 1.0]> : tensor<2xf32>
  %n = top.batchnorm %mm, %g, %b, %m, %v {epsilon = 0.0 : f64} : (tensor<3x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<3x2xf32> loc("bn3")
  func.return %n : tensor<3x2xf32>
}
// CHECK-LABEL: func.func @bn_into_matmul(
// CHECK-NEXT:    %bn3.weight = top.weight "bn3.weight" dense<{{\[\[}}1.000000e+00, 4.000000e+00], [3.000000e+00, 8.000000e+00]]> : tensor<2x2xf32>
// CHECK-NEXT:    %bn3.bias = top.weight "bn3.bias" dense<[-1.000000e+00, -2.000000e+00]> : tensor<2xf32>
// CHECK-NEXT:    %n = top.matmul %x, %bn3.weight, %bn3.bias : (tensor<3x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
// CHECK-NEXT:    func.return %n

// Negative: the conv has another user, applies its own relu, or the batchnorm follows an add,
// a 4-D matmul (channel axis not last) or a conv whose filter is computed.
func.func @bn_not_folded(%x: tensor<1x2x2x2xf32>, %f: tensor<2x2x1x1xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) {
  %w = top.weight "w" dense<1.0> : tensor<2x2x1x1xf32>
  %p = top.weight "p" dense<1.0> : tensor<2xf32>
  %c0 = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %n0 = top.batchnorm %c0, %p, %p, %p, %p : (tensor<1x2x2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  %c1 = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, do_relu = true} : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %n1 = top.batchnorm %c1, %p, %p, %p, %p : (tensor<1x2x2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  %a = top.add %x, %x : (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %n2 = top.batchnorm %a, %p, %p, %p, %p : (tensor<1x2x2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  %c3 = top.conv %x, %f {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %n3 = top.batchnorm %c3, %p, %p, %p, %p : (tensor<1x2x2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  func.return %n0, %c0, %n1, %n2, %n3, %x : tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>
}
// CHECK-LABEL: func.func @bn_not_folded(
// CHECK:         %c0 = top.conv
// CHECK-NEXT:    %n0 = top.batchnorm %c0
// CHECK-NEXT:    %c1 = top.conv {{.*}} do_relu = true
// CHECK-NEXT:    %n1 = top.batchnorm %c1
// CHECK-NEXT:    %a = top.add
// CHECK-NEXT:    %n2 = top.batchnorm %a
// CHECK-NEXT:    %c3 = top.conv %x, %f
// CHECK-NEXT:    %n3 = top.batchnorm %c3
// CHECK-NEXT:    func.return %n0, %c0, %n1, %n2, %n3, %x

func.func @bn_after_4d_matmul(%x: tensor<1x2x3x2xf32>) -> tensor<1x2x3x2xf32> {
  %w = top.weight "w" dense<1.0> : tensor<2x2xf32>
  %p = top.weight "p" dense<1.0> : tensor<2xf32>
  %mm = top.matmul %x, %w : (tensor<1x2x3x2xf32>, tensor<2x2xf32>) -> tensor<1x2x3x2xf32>
  %n = top.batchnorm %mm, %p, %p, %p, %p : (tensor<1x2x3x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x3x2xf32>
  func.return %n : tensor<1x2x3x2xf32>
}
// CHECK-LABEL: func.func @bn_after_4d_matmul(
// CHECK:         %mm = top.matmul
// CHECK-NEXT:    %n = top.batchnorm %mm
