// top-infer-shapes (passes/top_infer_shapes.py): new input shapes carried through the graph, or
// stale result types recomputed from the operands.
// RUN: nntc-opt %s --split-input-file -p 'top-infer-shapes{input-shapes="[[4,3,16,16]]"}' | filecheck %s
// RUN: nntc-opt %s --split-input-file -p top-infer-shapes | filecheck %s --check-prefix=SAME
// Failures: top-infer-shapes-invalid.mlir; repairing stale types: top-infer-shapes-repair.mlir.

// Batch 1 -> 4 and 8x8 -> 16x16: conv, pool, global pool, the flatten (a reshape that keeps the
// batch dim), a slice that took the channels whole, gemm and the signature follow.
func.func @main(%arg0: tensor<1x3x8x8xf32>) -> tensor<1x10xf32> {
  %x = top.input %arg0 : tensor<1x3x8x8xf32> loc("input")
  %w = top.weight "w" dense<0.5> : tensor<4x3x3x3xf32>
  %c = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, do_relu = true} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32> loc("conv")
  %p = top.maxpool %c {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : tensor<1x4x8x8xf32> -> tensor<1x4x4x4xf32>
  %s = top.slice %p {starts = array<i64: 0, 0, 1, 1>, steps = array<i64: 1, 1, 1, 1>} : tensor<1x4x4x4xf32> -> tensor<1x4x2x2xf32>
  %g = top.global_avgpool %s : tensor<1x4x2x2xf32> -> tensor<1x4x1x1xf32>
  %f = top.reshape %g : tensor<1x4x1x1xf32> -> tensor<1x4xf32> loc("flatten")
  %fw = top.weight "fw" dense<0.1> : tensor<10x4xf32>
  %y = top.gemm %f, %fw {trans_b = true} : (tensor<1x4xf32>, tensor<10x4xf32>) -> tensor<1x10xf32> loc("fc")
  func.return %y : tensor<1x10xf32>
}
// CHECK-LABEL: func.func @main(%arg0: tensor<4x3x16x16xf32>) -> tensor<4x10xf32> {
// CHECK-NEXT:    %x = top.input %arg0 : tensor<4x3x16x16xf32>
// CHECK-NEXT:    %w = top.weight "w" dense<5.000000e-01> : tensor<4x3x3x3xf32>
// CHECK-NEXT:    %c = top.conv %x, %w {{.*}} : (tensor<4x3x16x16xf32>, tensor<4x3x3x3xf32>) -> tensor<4x4x16x16xf32>
// CHECK-NEXT:    %p = top.maxpool %c {{.*}} : tensor<4x4x16x16xf32> -> tensor<4x4x8x8xf32>
// CHECK-NEXT:    %s = top.slice %p {{.*}} : tensor<4x4x8x8xf32> -> tensor<4x4x2x2xf32>
// CHECK-NEXT:    %g = top.global_avgpool %s : tensor<4x4x2x2xf32> -> tensor<4x4x1x1xf32>
// CHECK-NEXT:    %f = top.reshape %g : tensor<4x4x1x1xf32> -> tensor<4x4xf32>
// CHECK-NEXT:    %fw = top.weight "fw" dense<1.000000e-01> : tensor<10x4xf32>
// CHECK-NEXT:    %y = top.gemm %f, %fw {trans_b = true} : (tensor<4x4xf32>, tensor<10x4xf32>) -> tensor<4x10xf32>
// CHECK-NEXT:    func.return %y : tensor<4x10xf32>
// Without new shapes a consistent module is left as it is.
// SAME-LABEL: func.func @main(%arg0: tensor<1x3x8x8xf32>) -> tensor<1x10xf32> {
// SAME:         %y = top.gemm %f, %fw {trans_b = true} : (tensor<1x4xf32>, tensor<10x4xf32>) -> tensor<1x10xf32>

// -----

// Broadcasting, concat, transpose, reduce, split and a reshape that keeps the leading dims
// (merging the others) follow.
func.func @main(%arg0: tensor<1x3x8x8xf32>) -> (tensor<1x6x8x8xf32>, tensor<8x8x1x3xf32>, tensor<1x3x1x8xf32>, tensor<1x1x8x8xf32>, tensor<1x3x64xf32>) {
  %x = top.input %arg0 : tensor<1x3x8x8xf32>
  %b = top.weight "b" dense<1.0> : tensor<3x1x1xf32>
  %a = top.add %x, %b : (tensor<1x3x8x8xf32>, tensor<3x1x1xf32>) -> tensor<1x3x8x8xf32>
  %c = top.concat %a, %x {axis = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<1x3x8x8xf32>) -> tensor<1x6x8x8xf32>
  %t = top.transpose %x {perm = array<i64: 2, 3, 0, 1>} : tensor<1x3x8x8xf32> -> tensor<8x8x1x3xf32>
  %r = top.reduce_mean %x {axes = array<i64: 2>} : tensor<1x3x8x8xf32> -> tensor<1x3x1x8xf32>
  %s:2 = top.split %x {axis = 1 : i64, split = array<i64: 1, 2>} : tensor<1x3x8x8xf32> -> tensor<1x1x8x8xf32>, tensor<1x2x8x8xf32>
  %m = top.reshape %x : tensor<1x3x8x8xf32> -> tensor<1x3x64xf32>
  func.return %c, %t, %r, %s#0, %m : tensor<1x6x8x8xf32>, tensor<8x8x1x3xf32>, tensor<1x3x1x8xf32>, tensor<1x1x8x8xf32>, tensor<1x3x64xf32>
}
// CHECK-LABEL: func.func @main(%arg0: tensor<4x3x16x16xf32>) -> (tensor<4x6x16x16xf32>, tensor<16x16x4x3xf32>, tensor<4x3x1x16xf32>, tensor<4x1x16x16xf32>, tensor<4x3x256xf32>) {
// CHECK:         %a = top.add %x, %b : (tensor<4x3x16x16xf32>, tensor<3x1x1xf32>) -> tensor<4x3x16x16xf32>
// CHECK-NEXT:    %c = top.concat %a, %x {axis = 1 : i64} : (tensor<4x3x16x16xf32>, tensor<4x3x16x16xf32>) -> tensor<4x6x16x16xf32>
// CHECK-NEXT:    %t = top.transpose %x {{.*}} : tensor<4x3x16x16xf32> -> tensor<16x16x4x3xf32>
// CHECK-NEXT:    %r = top.reduce_mean %x {{.*}} : tensor<4x3x16x16xf32> -> tensor<4x3x1x16xf32>
// CHECK-NEXT:    %s, %s_1 = top.split %x {{.*}} : tensor<4x3x16x16xf32> -> tensor<4x1x16x16xf32>, tensor<4x2x16x16xf32>
// CHECK-NEXT:    %m = top.reshape %x : tensor<4x3x16x16xf32> -> tensor<4x3x256xf32>
