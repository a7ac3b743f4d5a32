// RUN: nntc-opt %s --split-input-file -p 'lower-to-tpu' | filecheck %s

// A batched matmul with broadcast batch dims, [3, 1] x [1, 2] -> [3, 2]: one 2-D tpu.matmul per
// output batch, each operand's batch picked by numpy's broadcasting (a[i, 0] x b[0, j]), the
// products concatenated along a leading batch axis and reshaped to the result.
func.func @bcast(%arg0: tensor<3x1x3x4xf32>, %arg1: tensor<1x2x4x2xf32>) -> tensor<3x2x3x2xf32> {
  %a = top.input %arg0 : tensor<3x1x3x4xf32>
  %b = top.input %arg1 : tensor<1x2x4x2xf32>
  %y = top.matmul %a, %b : (tensor<3x1x3x4xf32>, tensor<1x2x4x2xf32>) -> tensor<3x2x3x2xf32> loc("mm")
  func.return %y : tensor<3x2x3x2xf32>
}

// CHECK-LABEL: func.func @bcast
// CHECK:      %[[A:.*]] = tpu.reshape %arg0 : (tensor<3x1x3x4xf32>) -> tensor<3x3x4xf32>
// CHECK-NEXT: %[[B:.*]] = tpu.reshape %arg1 : (tensor<1x2x4x2xf32>) -> tensor<2x4x2xf32>
// CHECK-NEXT: %[[A0:.*]] = tpu.slice %[[A]] {offsets = array<i64: 0, 0, 0>, steps = array<i64: 1, 1, 1>} : (tensor<3x3x4xf32>) -> tensor<1x3x4xf32>
// CHECK-NEXT: %[[A0M:.*]] = tpu.reshape %[[A0]] : (tensor<1x3x4xf32>) -> tensor<3x4xf32>
// CHECK-NEXT: %[[B0:.*]] = tpu.slice %[[B]] {offsets = array<i64: 0, 0, 0>, {{.*}}} : (tensor<2x4x2xf32>) -> tensor<1x4x2xf32>
// CHECK-NEXT: %[[B0M:.*]] = tpu.reshape %[[B0]] : (tensor<1x4x2xf32>) -> tensor<4x2xf32>
// CHECK-NEXT: %[[P0:.*]] = tpu.matmul %[[A0M]], %[[B0M]] : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
// CHECK-NEXT: %[[R0:.*]] = tpu.reshape %[[P0]] : (tensor<3x2xf32>) -> tensor<1x3x2xf32>
// CHECK-NEXT: %[[B1:.*]] = tpu.slice %[[B]] {offsets = array<i64: 1, 0, 0>, {{.*}}} : (tensor<2x4x2xf32>) -> tensor<1x4x2xf32>
// CHECK-NEXT: %[[B1M:.*]] = tpu.reshape %[[B1]]
// CHECK-NEXT: %[[P1:.*]] = tpu.matmul %[[A0M]], %[[B1M]]
// CHECK-NEXT: %[[R1:.*]] = tpu.reshape %[[P1]]
// CHECK-NEXT: %[[A1:.*]] = tpu.slice %[[A]] {offsets = array<i64: 1, 0, 0>, {{.*}}}
// CHECK-NEXT: %[[A1M:.*]] = tpu.reshape %[[A1]]
// CHECK-NEXT: %[[P2:.*]] = tpu.matmul %[[A1M]], %[[B0M]]
// CHECK-NEXT: %[[R2:.*]] = tpu.reshape %[[P2]]
// CHECK-NEXT: %[[P3:.*]] = tpu.matmul %[[A1M]], %[[B1M]]
// CHECK-NEXT: %[[R3:.*]] = tpu.reshape %[[P3]]
// CHECK:      %[[CAT:.*]] = tpu.concat %[[R0]], %[[R1]], %[[R2]], %[[R3]], %{{.*}}, %{{.*}} {axis = 0 : i64} : {{.*}} -> tensor<6x3x2xf32>
// CHECK-NEXT: %[[Y:.*]] = tpu.reshape %[[CAT]] : (tensor<6x3x2xf32>) -> tensor<3x2x3x2xf32>
// CHECK-NEXT: func.return %[[Y]] : tensor<3x2x3x2xf32>

// -----

// Right batch dims all 1, a weight: one (K, N) weight written at compile time (a tpu.reshape
// would alias a DDR tensor, and weights live apart), one tpu.matmul over every row of the left.
func.func @shared(%arg0: tensor<2x5x3xf32>) -> tensor<2x5x2xf32> {
  %a = top.input %arg0 : tensor<2x5x3xf32>
  %w = top.weight "w" dense<[[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]]> : tensor<1x3x2xf32>
  %y = top.matmul %a, %w : (tensor<2x5x3xf32>, tensor<1x3x2xf32>) -> tensor<2x5x2xf32> loc("mm")
  func.return %y : tensor<2x5x2xf32>
}

// CHECK-LABEL: func.func @shared
// CHECK-NEXT: %[[W:.*]] = top.weight "mm.matmul" dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00], [5.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>
// CHECK-NEXT: %[[Y:.*]] = tpu.matmul %arg0, %[[W]] : (tensor<2x5x3xf32>, tensor<3x2xf32>) -> tensor<2x5x2xf32>
// CHECK-NEXT: func.return %[[Y]] : tensor<2x5x2xf32>

// -----

// A 1-D right operand is a (K, 1) column; the result drops that dim again.
func.func @vector(%arg0: tensor<2x4x3xf32>, %arg1: tensor<3xf32>) -> tensor<2x4xf32> {
  %a = top.input %arg0 : tensor<2x4x3xf32>
  %b = top.input %arg1 : tensor<3xf32>
  %y = top.matmul %a, %b : (tensor<2x4x3xf32>, tensor<3xf32>) -> tensor<2x4xf32> loc("mv")
  func.return %y : tensor<2x4xf32>
}

// CHECK-LABEL: func.func @vector
// CHECK-NEXT: %[[B:.*]] = tpu.reshape %arg1 : (tensor<3xf32>) -> tensor<3x1xf32>
// CHECK-NEXT: %[[P:.*]] = tpu.matmul %arg0, %[[B]] : (tensor<2x4x3xf32>, tensor<3x1xf32>) -> tensor<2x4x1xf32>
// CHECK-NEXT: %[[Y:.*]] = tpu.reshape %[[P]] : (tensor<2x4x1xf32>) -> tensor<2x4xf32>
// CHECK-NEXT: func.return %[[Y]] : tensor<2x4xf32>

// -----

// A bias that is not one value per column (a matrix, Gemm's C) is a broadcasting tpu.add after
// the matmul, which takes the ReLU; a per-column one stays the matmul's.
func.func @matrix_bias(%arg0: tensor<3x6xf32>, %arg1: tensor<6x4xf32>, %arg2: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %a = top.input %arg0 : tensor<3x6xf32>
  %b = top.input %arg1 : tensor<6x4xf32>
  %c = top.input %arg2 : tensor<3x4xf32>
  %y = top.matmul %a, %b, %c {do_relu = true} : (tensor<3x6xf32>, tensor<6x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32> loc("gemm")
  func.return %y : tensor<3x4xf32>
}

// CHECK-LABEL: func.func @matrix_bias
// CHECK-NEXT: %[[P:.*]] = tpu.matmul %arg0, %arg1 : (tensor<3x6xf32>, tensor<6x4xf32>) -> tensor<3x4xf32>
// CHECK-NEXT: %[[Y:.*]] = tpu.add %[[P]], %arg2 {do_relu = true} : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
// CHECK-NEXT: func.return %[[Y]] : tensor<3x4xf32>

// -----

// Add with coefficients other than all ones or [1, -1] (Gemm's alpha and beta on runtime
// operands): each scaled input is a tpu.mul by a one-element weight, then one tpu.add.
func.func @weighted(%arg0: tensor<3x4xf32>, %arg1: tensor<1x4xf32>) -> tensor<3x4xf32> {
  %a = top.input %arg0 : tensor<3x4xf32>
  %b = top.input %arg1 : tensor<1x4xf32>
  %y = top.add %a, %b {coeff = array<f64: 0.5, 2.0>} : (tensor<3x4xf32>, tensor<1x4xf32>) -> tensor<3x4xf32> loc("add")
  func.return %y : tensor<3x4xf32>
}

// CHECK-LABEL: func.func @weighted
// CHECK-NEXT: %[[C0:.*]] = top.weight "add.coeff0" dense<5.000000e-01> : tensor<1x1xf32>
// CHECK-NEXT: %[[A:.*]] = tpu.mul %arg0, %[[C0]] : (tensor<3x4xf32>, tensor<1x1xf32>) -> tensor<3x4xf32>
// CHECK-NEXT: %[[C1:.*]] = top.weight "add.coeff1" dense<2.000000e+00> : tensor<1x1xf32>
// CHECK-NEXT: %[[B:.*]] = tpu.mul %arg1, %[[C1]] : (tensor<1x4xf32>, tensor<1x1xf32>) -> tensor<1x4xf32>
// CHECK-NEXT: %[[Y:.*]] = tpu.add %[[A]], %[[B]] : (tensor<3x4xf32>, tensor<1x4xf32>) -> tensor<3x4xf32>
// CHECK-NEXT: func.return %[[Y]] : tensor<3x4xf32>

// -----

// A net output that is a net input (Identity, a Flatten's reshape, which aliases its input)
// gets its own tensor: a whole-tensor tpu.slice, a DDR -> DDR copy.
func.func @renamed(%arg0: tensor<2x3x4xf32>) -> (tensor<2x3x4xf32>, tensor<2x12xf32>) {
  %x = top.input %arg0 : tensor<2x3x4xf32>
  %i = top.identity %x : tensor<2x3x4xf32> loc("id")
  %f = top.reshape %x : tensor<2x3x4xf32> -> tensor<2x12xf32> loc("flat")
  func.return %i, %f : tensor<2x3x4xf32>, tensor<2x12xf32>
}

// CHECK-LABEL: func.func @renamed
// CHECK-NEXT: %[[F:.*]] = tpu.reshape %arg0 : (tensor<2x3x4xf32>) -> tensor<2x12xf32>
// CHECK-NEXT: %[[I:.*]] = tpu.slice %arg0 {offsets = array<i64: 0, 0, 0>, steps = array<i64: 1, 1, 1>} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
// CHECK-NEXT: %[[FC:.*]] = tpu.slice %[[F]] {offsets = array<i64: 0, 0>, steps = array<i64: 1, 1>} : (tensor<2x12xf32>) -> tensor<2x12xf32>
// CHECK-NEXT: func.return %[[I]], %[[FC]] : tensor<2x3x4xf32>, tensor<2x12xf32>
