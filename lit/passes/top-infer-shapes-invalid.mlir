// top-infer-shapes failures: one error naming the op, its location and the reason; exit code 1.
// RUN: not nntc-opt %s -p 'top-infer-shapes{input-shapes="[[4,3,16]]"}' 2>&1 | filecheck %s --check-prefix=RANK
// RUN: not nntc-opt %s -p 'top-infer-shapes{input-shapes="[[1,3,8,8],[1,3]]"}' 2>&1 | filecheck %s --check-prefix=COUNT
// RUN: not nntc-opt %s -p 'top-infer-shapes{input-shapes="[[1,3,8,x]]"}' 2>&1 | filecheck %s --check-prefix=SYNTAX
// RUN: not nntc-opt %s -p 'top-infer-shapes{input-shapes="[[2,3,8,8]]"}' 2>&1 | filecheck %s --check-prefix=RESHAPE
// RUN: not nntc-opt %s -p 'top-infer-shapes{input-shapes="[[1,4,8,8]]"}' 2>&1 | filecheck %s --check-prefix=CHANNELS

func.func @main(%arg0: tensor<1x3x8x8xf32>) -> (tensor<1x3x8x8xf32>, tensor<3x64xf32>, tensor<1x1x8x8xf32>) {
  %x = top.input %arg0 : tensor<1x3x8x8xf32> loc("input")
  %w = top.weight "w" dense<0.5> : tensor<3x3x1x1xf32>
  %c = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x3x8x8xf32>, tensor<3x3x1x1xf32>) -> tensor<1x3x8x8xf32> loc("conv")
  %m = top.reshape %c : tensor<1x3x8x8xf32> -> tensor<3x64xf32> loc("merge")
  %s:2 = top.split %x {axis = 1 : i64, split = array<i64: 1, 2>} : tensor<1x3x8x8xf32> -> tensor<1x1x8x8xf32>, tensor<1x2x8x8xf32> loc("split")
  func.return %c, %m, %s#0 : tensor<1x3x8x8xf32>, tensor<3x64xf32>, tensor<1x1x8x8xf32>
}
// RANK: error: pass 'top-infer-shapes' failed: 'top.conv' op at loc("conv"): expected a 4-D input (N, C, H, W) for a conv, got rank 3
// COUNT: error: pass 'top-infer-shapes' failed: input-shapes: got 2 shape(s) for the 1 argument(s) of @main
// SYNTAX: error: pass 'top-infer-shapes' failed: input-shapes: cannot parse '[[1,3,8,x]]'
// RESHAPE: error: pass 'top-infer-shapes' failed: 'top.reshape' op at loc("merge"): cannot infer the result shape of a reshape of [2, 3, 8, 8] (384 elements) from its former [1, 3, 8, 8] -> [3, 64]
// CHANNELS: error: pass 'top-infer-shapes' failed: 'top.conv' op at loc("conv"): expected filter input channels x group (3 x 1 = 3) to equal input channels (4)
