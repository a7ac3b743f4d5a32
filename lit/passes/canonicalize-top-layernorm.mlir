// RecognizeLayerNorm, FoldScaleIntoLayerNorm, FoldBiasIntoLayerNorm
// (passes/canonicalization_patterns/top.py): the ONNX/PyTorch decomposition of LayerNorm
// (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add) becomes one top.layernorm.
// RUN: nntc-opt %s -p canonicalize | filecheck %s
// RUN: nntc-opt %s -p canonicalize --print-debuginfo | filecheck %s --check-prefix=CHECK-LOC

func.func @layernorm(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %mean = top.reduce_mean %x {axes = array<i64: -1>} : tensor<2x3x4xf32> -> tensor<2x3x1xf32>
  %d = top.sub %x, %mean : (tensor<2x3x4xf32>, tensor<2x3x1xf32>) -> tensor<2x3x4xf32>
  %p = top.pow %d {exponent = 2.0 : f64} : tensor<2x3x4xf32>
  %var = top.reduce_mean %p {axes = array<i64: -1>} : tensor<2x3x4xf32> -> tensor<2x3x1xf32>
  %eps = top.weight "eps" dense<1.0e-05> : tensor<f32>
  %ve = top.add %var, %eps : (tensor<2x3x1xf32>, tensor<f32>) -> tensor<2x3x1xf32>
  %sd = top.sqrt %ve : tensor<2x3x1xf32>
  %nrm = top.div %d, %sd : (tensor<2x3x4xf32>, tensor<2x3x1xf32>) -> tensor<2x3x4xf32> loc("ln/Div")
  %g = top.weight "gamma" dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %sc = top.mul %nrm, %g : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32> loc("ln/Mul")
  %b = top.weight "beta" dense<[0.5, 0.5, 0.5, 0.5]> : tensor<4xf32>
  %y = top.add %sc, %b : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32> loc("ln/Add")
  func.return %y : tensor<2x3x4xf32>
}
// CHECK-LABEL: func.func @layernorm(
// CHECK-NEXT:    %[[S:.*]] = top.weight "ln/Mul.scale" dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]> : tensor<4xf32>
// CHECK-NEXT:    %[[B:.*]] = top.weight "ln/Add.bias" dense<5.000000e-01> : tensor<4xf32>
// CHECK-NEXT:    %y = top.layernorm %x, %[[S]], %[[B]] {axis = 2 : i64} : (tensor<2x3x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
// CHECK-NEXT:    func.return %y
// CHECK-LOC-LABEL: func.func @layernorm(
// CHECK-LOC:         top.layernorm {{.*}} loc("ln/Add")

// Over the last two dims, the square written as mul(d, d), eps on the left, no scale or bias:
// the scale is a new weight of ones.
func.func @layernorm_2d_no_affine(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %mean = top.reduce_mean %x {axes = array<i64: 1, 2>} : tensor<2x3x4xf32> -> tensor<2x1x1xf32>
  %d = top.sub %x, %mean : (tensor<2x3x4xf32>, tensor<2x1x1xf32>) -> tensor<2x3x4xf32>
  %p = top.mul %d, %d : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %var = top.reduce_mean %p {axes = array<i64: -2, -1>} : tensor<2x3x4xf32> -> tensor<2x1x1xf32>
  %eps = top.weight "eps" dense<1.0e-03> : tensor<1xf32>
  %ve = top.add %eps, %var : (tensor<1xf32>, tensor<2x1x1xf32>) -> tensor<2x1x1xf32>
  %sd = top.sqrt %ve : tensor<2x1x1xf32>
  %nrm = top.div %d, %sd : (tensor<2x3x4xf32>, tensor<2x1x1xf32>) -> tensor<2x3x4xf32> loc("ln2")
  func.return %nrm : tensor<2x3x4xf32>
}
// CHECK-LABEL: func.func @layernorm_2d_no_affine(
// CHECK-NEXT:    %[[ONES:.*]] = top.weight "ln2.scale" dense<1.000000e+00> : tensor<3x4xf32>
// CHECK-NEXT:    %nrm = top.layernorm %x, %[[ONES]] {axis = 1 : i64, epsilon = 1.000000e-03 : f64} : (tensor<2x3x4xf32>, tensor<3x4xf32>) -> tensor<2x3x4xf32>
// CHECK-NEXT:    func.return %nrm

// Negative: the axes of the two means differ; the centered value has another user; the
// normalized axes are not trailing.
func.func @not_layernorm(%x: tensor<2x3x4xf32>) -> (tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>) {
  %eps = top.weight "eps" dense<1.0e-05> : tensor<f32>
  %m0 = top.reduce_mean %x {axes = array<i64: -1>} : tensor<2x3x4xf32> -> tensor<2x3x1xf32>
  %d0 = top.sub %x, %m0 : (tensor<2x3x4xf32>, tensor<2x3x1xf32>) -> tensor<2x3x4xf32>
  %p0 = top.pow %d0 {exponent = 2.0 : f64} : tensor<2x3x4xf32>
  %v0 = top.reduce_mean %p0 {axes = array<i64: 1, 2>} : tensor<2x3x4xf32> -> tensor<2x1x1xf32>
  %e0 = top.add %v0, %eps : (tensor<2x1x1xf32>, tensor<f32>) -> tensor<2x1x1xf32>
  %s0 = top.sqrt %e0 : tensor<2x1x1xf32>
  %n0 = top.div %d0, %s0 : (tensor<2x3x4xf32>, tensor<2x1x1xf32>) -> tensor<2x3x4xf32>
  %m1 = top.reduce_mean %x {axes = array<i64: -1>} : tensor<2x3x4xf32> -> tensor<2x3x1xf32>
  %d1 = top.sub %x, %m1 : (tensor<2x3x4xf32>, tensor<2x3x1xf32>) -> tensor<2x3x4xf32>
  %p1 = top.pow %d1 {exponent = 2.0 : f64} : tensor<2x3x4xf32>
  %v1 = top.reduce_mean %p1 {axes = array<i64: -1>} : tensor<2x3x4xf32> -> tensor<2x3x1xf32>
  %e1 = top.add %v1, %eps : (tensor<2x3x1xf32>, tensor<f32>) -> tensor<2x3x1xf32>
  %s1 = top.sqrt %e1 : tensor<2x3x1xf32>
  %n1 = top.div %d1, %s1 : (tensor<2x3x4xf32>, tensor<2x3x1xf32>) -> tensor<2x3x4xf32>
  %m2 = top.reduce_mean %x {axes = array<i64: 1>} : tensor<2x3x4xf32> -> tensor<2x1x4xf32>
  %d2 = top.sub %x, %m2 : (tensor<2x3x4xf32>, tensor<2x1x4xf32>) -> tensor<2x3x4xf32>
  %p2 = top.pow %d2 {exponent = 2.0 : f64} : tensor<2x3x4xf32>
  %v2 = top.reduce_mean %p2 {axes = array<i64: 1>} : tensor<2x3x4xf32> -> tensor<2x1x4xf32>
  %e2 = top.add %v2, %eps : (tensor<2x1x4xf32>, tensor<f32>) -> tensor<2x1x4xf32>
  %s2 = top.sqrt %e2 : tensor<2x1x4xf32>
  %n2 = top.div %d2, %s2 : (tensor<2x3x4xf32>, tensor<2x1x4xf32>) -> tensor<2x3x4xf32>
  func.return %n0, %n1, %d1 : tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>
}
// CHECK-LABEL: func.func @not_layernorm(
// CHECK-NOT:     top.layernorm
// CHECK:         %n0 = top.div %d0, %s0
// CHECK-NOT:     top.layernorm
// CHECK:         %n1 = top.div %d1, %s1
// CHECK-NOT:     top.layernorm
// CHECK:         func.return %n0, %n1, %d1

// Negative (mul/add absorption): a scale that would enlarge the result stays a mul.
func.func @scale_not_absorbed(%x: tensor<3x4xf32>, %s: tensor<4xf32>) -> tensor<2x3x4xf32> {
  %ln = top.layernorm %x, %s {axis = -1 : i64} : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  %g = top.weight "g" dense<2.0> : tensor<2x3x4xf32>
  %y = top.mul %ln, %g : (tensor<3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  func.return %y : tensor<2x3x4xf32>
}
// CHECK-LABEL: func.func @scale_not_absorbed(
// CHECK-NEXT:    %ln = top.layernorm %x, %s
// CHECK-NEXT:    %g = top.weight
// CHECK-NEXT:    %y = top.mul %ln, %g
