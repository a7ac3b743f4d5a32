// LowerGemmToMatMul (passes/canonicalization_patterns/top.py): gemm -> matmul + bias; weight
// operands absorb transposes and alpha / beta as new weights named after the gemm's location.
// RUN: nntc-opt %s -p canonicalize | filecheck %s
// RUN: nntc-opt %s -p canonicalize --print-debuginfo | filecheck %s --check-prefix=CHECK-LOC

// The Linear layer: weight transposed into a new weight, bias kept.
func.func @linear(%x: tensor<2x3xf32>) -> tensor<2x2xf32> {
  %w = top.weight "fc.weight" dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %b = top.weight "fc.bias" dense<[1.0, 2.0]> : tensor<2xf32>
  %y = top.gemm %x, %w, %b {trans_b = true} : (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<2x2xf32> loc("fc")
  func.return %y : tensor<2x2xf32>
}
// CHECK-LABEL: func.func @linear(
// CHECK-NEXT:    %b = top.weight "fc.bias" dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-NEXT:    %fc.weight = top.weight "fc.weight_1" dense<{{\[\[}}1.000000e+00, 4.000000e+00], [2.000000e+00, 5.000000e+00], [3.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>
// CHECK-NEXT:    %y = top.matmul %x, %fc.weight, %b : (tensor<2x3xf32>, tensor<3x2xf32>, tensor<2xf32>) -> tensor<2x2xf32>
// CHECK-NEXT:    func.return %y
// CHECK-LOC-LABEL: func.func @linear(
// CHECK-LOC:         top.matmul {{.*}} loc("fc")

// alpha folded into the weight, beta into the bias; no transpose: the weight is only scaled.
func.func @scaled(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = top.weight "w" dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %c = top.weight "c" dense<[[1.0, -1.0]]> : tensor<1x2xf32>
  %y = top.gemm %x, %w, %c {alpha = 2.0 : f64, beta = 0.5 : f64} : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<1x2xf32>) -> tensor<1x2xf32> loc("g")
  func.return %y : tensor<1x2xf32>
}
// CHECK-LABEL: func.func @scaled(
// CHECK-NEXT:    %g.weight = top.weight "g.weight" dense<{{\[\[}}2.000000e+00, 4.000000e+00], [6.000000e+00, 8.000000e+00]]> : tensor<2x2xf32>
// CHECK-NEXT:    %g.bias = top.weight "g.bias" dense<{{\[\[}}5.000000e-01, -5.000000e-01]]> : tensor<1x2xf32>
// CHECK-NEXT:    %y = top.matmul %x, %g.weight, %g.bias
// CHECK-NEXT:    func.return %y

// Computed operands: a top.transpose each, and alpha / beta on a trailing add (or a mul by a
// one-value weight when there is no c); a computed a with trans_a is transposed too.
func.func @computed(%a: tensor<3x2xf32>, %b: tensor<4x3xf32>, %c: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %y = top.gemm %a, %b, %c {trans_a = true, trans_b = true, alpha = 2.0 : f64, beta = 0.5 : f64} : (tensor<3x2xf32>, tensor<4x3xf32>, tensor<2x4xf32>) -> tensor<2x4xf32> loc("g1")
  %z = top.gemm %a, %b {trans_a = true, trans_b = true, alpha = 3.0 : f64} : (tensor<3x2xf32>, tensor<4x3xf32>) -> tensor<2x4xf32> loc("g2")
  func.return %y, %z : tensor<2x4xf32>, tensor<2x4xf32>
}
// CHECK-LABEL: func.func @computed(
// CHECK-NEXT:    %[[AT:.*]] = top.transpose %a {perm = array<i64: 1, 0>} : tensor<3x2xf32> -> tensor<2x3xf32>
// CHECK-NEXT:    %[[BT:.*]] = top.transpose %b {perm = array<i64: 1, 0>} : tensor<4x3xf32> -> tensor<3x4xf32>
// CHECK-NEXT:    %[[MM:.*]] = top.matmul %[[AT]], %[[BT]] : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
// CHECK-NEXT:    %y = top.add %[[MM]], %c {coeff = array<f64: 2.000000e+00, 5.000000e-01>}
// CHECK:         %[[MM2:.*]] = top.matmul
// CHECK-NEXT:    %[[ALPHA:.*]] = top.weight "g2.alpha" dense<3.000000e+00> : tensor<1xf32>
// CHECK-NEXT:    %z = top.mul %[[MM2]], %[[ALPHA]]
// CHECK-NEXT:    func.return %y, %z
// CHECK-LOC-LABEL: func.func @computed(
// CHECK-LOC-NEXT:    top.transpose {{.*}} loc("g1/transpose_input")
// CHECK-LOC-NEXT:    top.transpose {{.*}} loc("g1/transpose_weight")
// CHECK-LOC-NEXT:    top.matmul {{.*}} loc("g1/matmul")
// CHECK-LOC-NEXT:    top.add {{.*}} loc("g1")

// A plain gemm of computed values is just a matmul with c as its bias.
func.func @plain(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>, %c: tensor<4xf32>) -> tensor<2x4xf32> {
  %y = top.gemm %a, %b, %c : (tensor<2x3xf32>, tensor<3x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  func.return %y : tensor<2x4xf32>
}
// CHECK-LABEL: func.func @plain(
// CHECK-NEXT:    %y = top.matmul %a, %b, %c : (tensor<2x3xf32>, tensor<3x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
// CHECK-NEXT:    func.return %y
