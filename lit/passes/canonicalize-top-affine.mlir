// FoldAffineIntoProducer (passes/canonicalization_patterns/top.py): a constant mul / add that
// varies at most per output channel, after a conv / deconv / matmul with no other user, goes into
// its weights and bias. New weights are named after the mul / add, which the fused op's location
// is too. FoldBatchNormIntoProducer absorbs such an add between the producer and a batchnorm.
// RUN: nntc-opt %s -p canonicalize | filecheck %s
// RUN: nntc-opt %s -p canonicalize --print-debuginfo | filecheck %s --check-prefix=CHECK-LOC

// Paddle's "learnable affine": scalar mul (constant first) then scalar add after a conv without
// bias: w * 2, bias 0 * 2 + 0.5. The relu6 of the add moves to the conv.
func.func @scale_then_shift(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %w = top.weight "w" dense<[[[[1.0]], [[2.0]]], [[[3.0]], [[4.0]]]]> : tensor<2x2x1x1xf32>
  %s = top.weight "s" dense<2.0> : tensor<1xf32>
  %t = top.weight "t" dense<0.5> : tensor<1xf32>
  %c = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x3x3xf32> loc("conv")
  %m = top.mul %s, %c : (tensor<1xf32>, tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> loc("mul")
  %a = top.add %m, %t {do_relu = true, relu_limit = 6.0 : f64} : (tensor<1x2x3x3xf32>, tensor<1xf32>) -> tensor<1x2x3x3xf32> loc("add")
  func.return %a : tensor<1x2x3x3xf32>
}
// CHECK-LABEL: func.func @scale_then_shift(
// CHECK-NEXT:    %mul.weight = top.weight "mul.weight" dense<{{\[\[\[\[}}2.000000e+00]], {{\[\[}}4.000000e+00]]], {{\[\[\[}}6.000000e+00]], {{\[\[}}8.000000e+00]]]]> : tensor<2x2x1x1xf32>
// CHECK-NEXT:    %add.bias = top.weight "add.bias" dense<5.000000e-01> : tensor<2xf32>
// CHECK-NEXT:    %a = top.conv %x, %mul.weight, %add.bias {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, do_relu = true, relu_limit = 6.000000e+00 : f64} : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
// CHECK-NEXT:    func.return %a
// CHECK-LOC-LABEL: func.func @scale_then_shift(
// CHECK-LOC:         top.conv {{.*}} loc("add")

// Per-channel [1, C, 1, 1] scale into a grouped deconv with bias: filter (IC, OC / group, KH,
// KW) = (2, 1, 1, 1), group 2: output channel c is filter row c; bias [1, 1] * [3, -1].
func.func @per_channel_deconv(%x: tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %w = top.weight "dw" dense<[[[[1.0]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>
  %b = top.weight "db" dense<1.0> : tensor<2xf32>
  %k = top.weight "k" dense<[[[[3.0]], [[-1.0]]]]> : tensor<1x2x1x1xf32>
  %d = top.deconv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 2 : i64} : (tensor<1x2x2x2xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32> loc("deconv")
  %m = top.mul %d, %k : (tensor<1x2x2x2xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x2x2xf32> loc("scale")
  func.return %m : tensor<1x2x2x2xf32>
}
// CHECK-LABEL: func.func @per_channel_deconv(
// CHECK-NEXT:    %scale.weight = top.weight "scale.weight" dense<{{\[\[\[\[}}3.000000e+00]]], {{\[\[\[}}-2.000000e+00]]]]> : tensor<2x1x1x1xf32>
// CHECK-NEXT:    %scale.bias = top.weight "scale.bias" dense<[3.000000e+00, -1.000000e+00]> : tensor<2xf32>
// CHECK-NEXT:    %m = top.deconv %x, %scale.weight, %scale.bias {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 2 : i64}
// CHECK-NEXT:    func.return %m

// matmul: the channels are the last dim; an add with coefficients [2, -1] (matmul first):
// weight * 2, bias 2 * 0 - [1, 2]. The filter stays when only a bias is added.
func.func @matmul_add(%x: tensor<3x2xf32>, %f: tensor<2x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>) {
  %w = top.weight "mw" dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %t = top.weight "t" dense<[1.0, 2.0]> : tensor<2xf32>
  %mm = top.matmul %x, %w : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32> loc("fc")
  %a = top.add %mm, %t {coeff = array<f64: 2.0, -1.0>} : (tensor<3x2xf32>, tensor<2xf32>) -> tensor<3x2xf32> loc("fc_add")
  %mm2 = top.matmul %x, %f : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32> loc("fc2")
  %a2 = top.add %t, %mm2 : (tensor<2xf32>, tensor<3x2xf32>) -> tensor<3x2xf32> loc("fc2_add")
  func.return %a, %a2 : tensor<3x2xf32>, tensor<3x2xf32>
}
// CHECK-LABEL: func.func @matmul_add(
// CHECK-NEXT:    %fc_add.weight = top.weight "fc_add.weight" dense<{{\[\[}}2.000000e+00, 4.000000e+00], [6.000000e+00, 8.000000e+00]]> : tensor<2x2xf32>
// CHECK-NEXT:    %fc_add.bias = top.weight "fc_add.bias" dense<[-1.000000e+00, -2.000000e+00]> : tensor<2xf32>
// CHECK-NEXT:    %a = top.matmul %x, %fc_add.weight, %fc_add.bias : (tensor<3x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
// CHECK-NEXT:    %fc2_add.bias = top.weight "fc2_add.bias" dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-NEXT:    %a2 = top.matmul %x, %f, %fc2_add.bias : (tensor<3x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
// CHECK-NEXT:    func.return %a, %a2

// ConvTranspose + bias Add + BatchNormalization + Relu (the PP-OCR DB head): the add is absorbed
// (into the deconv's bias, or by the batchnorm folding, whichever runs first), the batchnorm
// folds, then the relu fuses. k = [2, 1]; bias (0 + [1, 2] - [1, 0]) * k + [0, 1] = [0, 3].
func.func @deconv_add_bn_relu(%x: tensor<1x1x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %w = top.weight "dw" dense<[[[[1.0]], [[2.0]]]]> : tensor<1x2x1x1xf32>
  %c = top.weight "c" dense<[[[1.0]], [[2.0]]]> : tensor<2x1x1xf32>
  %g = top.weight "g" dense<[2.0, 1.0]> : tensor<2xf32>
  %b = top.weight "b" dense<[0.0, 1.0]> : tensor<2xf32>
  %m = top.weight "m" dense<[1.0, 0.0]> : tensor<2xf32>
  %v = top.weight "v" dense<[1.0, 1.0]> : tensor<2xf32>
  %d = top.deconv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x1x2x2xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x2x2xf32> loc("deconv")
  %a = top.add %d, %c : (tensor<1x2x2x2xf32>, tensor<2x1x1xf32>) -> tensor<1x2x2x2xf32> loc("bias_add")
  %n = top.batchnorm %a, %g, %b, %m, %v {epsilon = 0.0 : f64} : (tensor<1x2x2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32> loc("bn")
  %r = top.relu %n : tensor<1x2x2x2xf32> loc("relu")
  func.return %r : tensor<1x2x2x2xf32>
}
// CHECK-LABEL: func.func @deconv_add_bn_relu(
// CHECK-NEXT:    %bn.weight = top.weight "bn.weight" dense<2.000000e+00> : tensor<1x2x1x1xf32>
// CHECK-NEXT:    %bn.bias = top.weight "bn.bias" dense<[0.000000e+00, 3.000000e+00]> : tensor<2xf32>
// CHECK-NEXT:    %n = top.deconv %x, %bn.weight, %bn.bias {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, do_relu = true}
// CHECK-NEXT:    func.return %n
// CHECK-LOC-LABEL: func.func @deconv_add_bn_relu(
// CHECK-LOC:         top.deconv {{.*}} loc("relu")

// Negative: the conv has another user; it applies its own relu; the constant varies along H
// (not per channel); it would enlarge the result; the filter of a scaled conv is computed.
func.func @not_folded(%x: tensor<1x2x2x2xf32>, %f: tensor<2x2x1x1xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<2x2x2x2xf32>, tensor<1x2x2x2xf32>) {
  %w = top.weight "w" dense<1.0> : tensor<2x2x1x1xf32>
  %s = top.weight "s" dense<2.0> : tensor<1xf32>
  %h = top.weight "h" dense<[[1.0], [2.0]]> : tensor<2x1xf32>
  %big = top.weight "big" dense<2.0> : tensor<2x1x1x1xf32>
  %c0 = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %m0 = top.mul %c0, %s : (tensor<1x2x2x2xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %c1 = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, do_relu = true} : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %m1 = top.mul %c1, %s : (tensor<1x2x2x2xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %c2 = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %m2 = top.add %c2, %h : (tensor<1x2x2x2xf32>, tensor<2x1xf32>) -> tensor<1x2x2x2xf32>
  %c3 = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %m3 = top.mul %c3, %big : (tensor<1x2x2x2xf32>, tensor<2x1x1x1xf32>) -> tensor<2x2x2x2xf32>
  %c4 = top.conv %x, %f {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %m4 = top.mul %c4, %s : (tensor<1x2x2x2xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  func.return %m0, %c0, %m1, %m2, %m3, %m4 : tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<2x2x2x2xf32>, tensor<1x2x2x2xf32>
}
// CHECK-LABEL: func.func @not_folded(
// CHECK:         %m0 = top.mul %c0, %s
// CHECK:         %m1 = top.mul %c1, %s
// CHECK:         %m2 = top.add %c2, %h
// CHECK:         %m3 = top.mul %c3, %big
// CHECK:         %m4 = top.mul %c4, %s
// CHECK-NEXT:    func.return %m0, %c0, %m1, %m2, %m3, %m4
