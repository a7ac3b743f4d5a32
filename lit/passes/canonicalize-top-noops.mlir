// Ops that do nothing are dropped by canonicalize (passes/canonicalization_patterns/top.py):
// RemoveIdentity, RemoveIdentityTranspose, MergeTransposeOfTranspose, RemoveFullSlice,
// RemoveZeroPad (reshapes: canonicalize-top.mlir).
// RUN: nntc-opt %s -p canonicalize | filecheck %s

// Identity (ONNX Identity, inference Dropout, float Cast), an identity permutation, a slice that
// keeps everything and a pad of zero width all disappear.
func.func @noops(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %i = top.identity %a : tensor<2x3xf32> loc("dropout")
  %t = top.transpose %i {perm = array<i64: 0, 1>} : tensor<2x3xf32> -> tensor<2x3xf32>
  %s = top.slice %t {starts = array<i64: 0, 0>, steps = array<i64: 1, 1>} : tensor<2x3xf32> -> tensor<2x3xf32>
  %p = top.pad %s {pads = array<i64: 0, 0, 0, 0>, mode = "reflect"} : tensor<2x3xf32> -> tensor<2x3xf32>
  %r = top.relu %p : tensor<2x3xf32>
  func.return %r : tensor<2x3xf32>
}
// CHECK-LABEL: func.func @noops(
// CHECK-NEXT:    %r = top.relu %a : tensor<2x3xf32>
// CHECK-NEXT:    func.return %r

// Two transposes in a row become one; when they cancel, none.
func.func @transpose_chains(%a: tensor<2x3x4xf32>) -> (tensor<4x2x3xf32>, tensor<2x3x4xf32>) {
  %t0 = top.transpose %a {perm = array<i64: 1, 2, 0>} : tensor<2x3x4xf32> -> tensor<3x4x2xf32>
  %t1 = top.transpose %t0 {perm = array<i64: 1, 2, 0>} : tensor<3x4x2xf32> -> tensor<4x2x3xf32>
  %u0 = top.transpose %a {perm = array<i64: 0, 2, 1>} : tensor<2x3x4xf32> -> tensor<2x4x3xf32>
  %u1 = top.transpose %u0 {perm = array<i64: 0, 2, 1>} : tensor<2x4x3xf32> -> tensor<2x3x4xf32>
  func.return %t1, %u1 : tensor<4x2x3xf32>, tensor<2x3x4xf32>
}
// CHECK-LABEL: func.func @transpose_chains(
// CHECK-NEXT:    %t1 = top.transpose %a {perm = array<i64: 2, 0, 1>} : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
// CHECK-NEXT:    func.return %t1, %a

// Negative: a real permutation, a slice that drops or reverses elements, a non-zero pad.
func.func @not_noops(%a: tensor<2x3xf32>) -> (tensor<3x2xf32>, tensor<2x2xf32>, tensor<2x3xf32>, tensor<2x5xf32>) {
  %t = top.transpose %a {perm = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<3x2xf32>
  %s = top.slice %a {starts = array<i64: 0, 1>, steps = array<i64: 1, 1>} : tensor<2x3xf32> -> tensor<2x2xf32>
  %v = top.slice %a {starts = array<i64: 0, 2>, steps = array<i64: 1, -1>} : tensor<2x3xf32> -> tensor<2x3xf32>
  %p = top.pad %a {pads = array<i64: 0, 1, 0, 1>} : tensor<2x3xf32> -> tensor<2x5xf32>
  func.return %t, %s, %v, %p : tensor<3x2xf32>, tensor<2x2xf32>, tensor<2x3xf32>, tensor<2x5xf32>
}
// CHECK-LABEL: func.func @not_noops(
// CHECK-NEXT:    %t = top.transpose %a
// CHECK-NEXT:    %s = top.slice %a
// CHECK-NEXT:    %v = top.slice %a
// CHECK-NEXT:    %p = top.pad %a
// CHECK-NEXT:    func.return %t, %s, %v, %p
