// top-infer-shapes (passes/top_infer_shapes.py) repairs IR whose result types are stale.
// RUN: nntc-opt %s --disable-verify -p top-infer-shapes | filecheck %s --check-prefix=FIXED
// Without the pass such IR is rejected:
// RUN: not nntc-opt %s 2>&1 | filecheck %s --check-prefix=STALE

// Stale result types (here: edited by hand; only accepted with --disable-verify) are recomputed.
func.func @stale(%a: tensor<2x8xf32>, %w: tensor<8x4xf32>) -> tensor<9x9xf32> {
  %m = top.matmul %a, %w : (tensor<2x8xf32>, tensor<8x4xf32>) -> tensor<9x9xf32>
  %r = top.relu %m : tensor<9x9xf32>
  func.return %r : tensor<9x9xf32>
}
// STALE: error: 'top.matmul' op expected result shape [2, 4] (numpy matmul of input and right), got [9, 9]
// FIXED-LABEL: func.func @stale(%a: tensor<2x8xf32>, %w: tensor<8x4xf32>) -> tensor<2x4xf32> {
// FIXED-NEXT:    %m = top.matmul %a, %w : (tensor<2x8xf32>, tensor<8x4xf32>) -> tensor<2x4xf32>
// FIXED-NEXT:    %r = top.relu %m : tensor<2x4xf32>
// FIXED-NEXT:    func.return %r : tensor<2x4xf32>
