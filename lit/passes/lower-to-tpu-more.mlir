// RUN: nntc-opt %s -p 'lower-to-tpu{chip=bm1684x mode=f32}' | filecheck %s

// transpose, slice, split and expand are tpu data movements (DDR -> DDR strided copies); split is
// one slice per piece; expand first reshapes to the result's rank.
func.func @moves(%arg0: tensor<2x3x4x5xf32>) -> (tensor<2x4x5x3xf32>, tensor<2x2x2x5xf32>, tensor<2x1x4x5xf32>, tensor<2x2x4x5xf32>, tensor<2x2x3x4x5xf32>) {
  %x = top.input %arg0 : tensor<2x3x4x5xf32>
  %t = top.transpose %x {perm = array<i64: 0, 2, 3, 1>} : tensor<2x3x4x5xf32> -> tensor<2x4x5x3xf32>
  %s = top.slice %x {starts = array<i64: 0, 1, 0, 0>, steps = array<i64: 1, 1, 2, 1>} : tensor<2x3x4x5xf32> -> tensor<2x2x2x5xf32>
  %p:2 = top.split %x {axis = 1 : i64, split = array<i64: 1, 2>} : tensor<2x3x4x5xf32> -> tensor<2x1x4x5xf32>, tensor<2x2x4x5xf32>
  %ex = top.expand %x : tensor<2x3x4x5xf32> -> tensor<2x2x3x4x5xf32>
  func.return %t, %s, %p#0, %p#1, %ex : tensor<2x4x5x3xf32>, tensor<2x2x2x5xf32>, tensor<2x1x4x5xf32>, tensor<2x2x4x5xf32>, tensor<2x2x3x4x5xf32>
}

// CHECK-LABEL: func.func @moves
// CHECK-NEXT:  %t = tpu.permute %arg0 {order = array<i64: 0, 2, 3, 1>} : (tensor<2x3x4x5xf32>) -> tensor<2x4x5x3xf32>
// CHECK-NEXT:  %s = tpu.slice %arg0 {offsets = array<i64: 0, 1, 0, 0>, steps = array<i64: 1, 1, 2, 1>} : (tensor<2x3x4x5xf32>) -> tensor<2x2x2x5xf32>
// CHECK-NEXT:  %p = tpu.slice %arg0 {offsets = array<i64: 0, 0, 0, 0>, steps = array<i64: 1, 1, 1, 1>} : (tensor<2x3x4x5xf32>) -> tensor<2x1x4x5xf32>
// CHECK-NEXT:  %p_1 = tpu.slice %arg0 {offsets = array<i64: 0, 1, 0, 0>, steps = array<i64: 1, 1, 1, 1>} : (tensor<2x3x4x5xf32>) -> tensor<2x2x4x5xf32>
// CHECK-NEXT:  %ex = tpu.reshape %arg0 : (tensor<2x3x4x5xf32>) -> tensor<1x2x3x4x5xf32>
// CHECK-NEXT:  %ex_1 = tpu.expand %ex : (tensor<1x2x3x4x5xf32>) -> tensor<2x2x3x4x5xf32>
// CHECK-NEXT:  func.return %t, %s, %p, %p_1, %ex_1 : tensor<2x4x5x3xf32>, tensor<2x2x2x5xf32>, tensor<2x1x4x5xf32>, tensor<2x2x4x5xf32>, tensor<2x2x3x4x5xf32>

// pad is a concatenation with its borders: a weight of the pad value (constant), single-element
// slices (reflect: the mirror image without the border element), the edge element expanded.
func.func @pads(%arg0: tensor<1x3x4xf32>) -> (tensor<1x3x7xf32>, tensor<1x3x6xf32>, tensor<1x3x6xf32>) {
  %x = top.input %arg0 : tensor<1x3x4xf32>
  %c = top.pad %x {pads = array<i64: 0, 0, 1, 0, 0, 2>, value = 0.5 : f64} : tensor<1x3x4xf32> -> tensor<1x3x7xf32>
  %r = top.pad %x {pads = array<i64: 0, 0, 2, 0, 0, 0>, mode = "reflect"} : tensor<1x3x4xf32> -> tensor<1x3x6xf32>
  %e = top.pad %x {pads = array<i64: 0, 0, 0, 0, 0, 2>, mode = "edge"} : tensor<1x3x4xf32> -> tensor<1x3x6xf32>
  func.return %c, %r, %e : tensor<1x3x7xf32>, tensor<1x3x6xf32>, tensor<1x3x6xf32>
}

// CHECK-LABEL: func.func @pads
// CHECK-NEXT:  %c = top.weight "unknown.pad_begin" dense<5.000000e-01> : tensor<1x3x1xf32>
// CHECK-NEXT:  %c_1 = top.weight "unknown.pad_end" dense<5.000000e-01> : tensor<1x3x2xf32>
// CHECK-NEXT:  %c_2 = tpu.concat %c, %arg0, %c_1 {axis = 2 : i64} : (tensor<1x3x1xf32>, tensor<1x3x4xf32>, tensor<1x3x2xf32>) -> tensor<1x3x7xf32>
// CHECK-NEXT:  %r = tpu.slice %arg0 {offsets = array<i64: 0, 0, 2>, steps = array<i64: 1, 1, 1>} : (tensor<1x3x4xf32>) -> tensor<1x3x1xf32>
// CHECK-NEXT:  %r_1 = tpu.slice %arg0 {offsets = array<i64: 0, 0, 1>, steps = array<i64: 1, 1, 1>} : (tensor<1x3x4xf32>) -> tensor<1x3x1xf32>
// CHECK-NEXT:  %r_2 = tpu.concat %r, %r_1, %arg0 {axis = 2 : i64} : (tensor<1x3x1xf32>, tensor<1x3x1xf32>, tensor<1x3x4xf32>) -> tensor<1x3x6xf32>
// CHECK-NEXT:  %e = tpu.slice %arg0 {offsets = array<i64: 0, 0, 3>, steps = array<i64: 1, 1, 1>} : (tensor<1x3x4xf32>) -> tensor<1x3x1xf32>
// CHECK-NEXT:  %e_1 = tpu.expand %e : (tensor<1x3x1xf32>) -> tensor<1x3x2xf32>
// CHECK-NEXT:  %e_2 = tpu.concat %arg0, %e_1 {axis = 2 : i64} : (tensor<1x3x4xf32>, tensor<1x3x2xf32>) -> tensor<1x3x6xf32>
// CHECK-NEXT:  func.return %c_2, %r_2, %e_2 : tensor<1x3x7xf32>, tensor<1x3x6xf32>, tensor<1x3x6xf32>

// layernorm: mean and variance by average pools over rows of the normalized dims in a
// (1, rows, 1, n) view, rsqrt of var + eps, then * scale + bias as (1, n) weights; prelu is
// relu(x) + slope * (x - relu(x)).
func.func @norms(%arg0: tensor<2x3x8xf32>, %slope: tensor<3x1xf32>) -> (tensor<2x3x8xf32>, tensor<2x3x8xf32>) {
  %x = top.input %arg0 : tensor<2x3x8xf32>
  %g = top.weight "g" dense<2.0> : tensor<8xf32>
  %b = top.weight "b" dense<0.5> : tensor<8xf32>
  %ln = top.layernorm %x, %g, %b {epsilon = 1.0e-5 : f64} : (tensor<2x3x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x3x8xf32>
  %pr = top.prelu %x, %slope : (tensor<2x3x8xf32>, tensor<3x1xf32>) -> tensor<2x3x8xf32>
  func.return %ln, %pr : tensor<2x3x8xf32>, tensor<2x3x8xf32>
}

// CHECK-LABEL: func.func @norms
// CHECK-NEXT:  %ln = tpu.reshape %arg0 : (tensor<2x3x8xf32>) -> tensor<1x6x1x8xf32>
// CHECK-NEXT:  %ln_1 = tpu.avgpool %ln {kernel_shape = array<i64: 1, 8>} : (tensor<1x6x1x8xf32>) -> tensor<1x6x1x1xf32>
// CHECK-NEXT:  %ln_2 = tpu.sub %ln, %ln_1 : (tensor<1x6x1x8xf32>, tensor<1x6x1x1xf32>) -> tensor<1x6x1x8xf32>
// CHECK-NEXT:  %ln_3 = tpu.mul %ln_2, %ln_2 : (tensor<1x6x1x8xf32>, tensor<1x6x1x8xf32>) -> tensor<1x6x1x8xf32>
// CHECK-NEXT:  %ln_4 = tpu.avgpool %ln_3 {kernel_shape = array<i64: 1, 8>} : (tensor<1x6x1x8xf32>) -> tensor<1x6x1x1xf32>
// CHECK-NEXT:  %ln_5 = top.weight "unknown.ln_eps" dense<1.000000e-05> : tensor<1x1x1x1xf32>
// CHECK-NEXT:  %ln_6 = tpu.add %ln_4, %ln_5 : (tensor<1x6x1x1xf32>, tensor<1x1x1x1xf32>) -> tensor<1x6x1x1xf32>
// CHECK-NEXT:  %ln_7 = tpu.rsqrt %ln_6 : tensor<1x6x1x1xf32>
// CHECK-NEXT:  %ln_8 = tpu.mul %ln_2, %ln_7 : (tensor<1x6x1x8xf32>, tensor<1x6x1x1xf32>) -> tensor<1x6x1x8xf32>
// CHECK-NEXT:  %ln_9 = tpu.reshape %ln_8 : (tensor<1x6x1x8xf32>) -> tensor<6x8xf32>
// CHECK-NEXT:  %ln_10 = top.weight "unknown.ln_scale" dense<2.000000e+00> : tensor<1x8xf32>
// CHECK-NEXT:  %ln_11 = tpu.mul %ln_9, %ln_10 : (tensor<6x8xf32>, tensor<1x8xf32>) -> tensor<6x8xf32>
// CHECK-NEXT:  %ln_12 = top.weight "unknown.ln_bias" dense<5.000000e-01> : tensor<1x8xf32>
// CHECK-NEXT:  %ln_13 = tpu.add %ln_11, %ln_12 : (tensor<6x8xf32>, tensor<1x8xf32>) -> tensor<6x8xf32>
// CHECK-NEXT:  %ln_14 = tpu.reshape %ln_13 : (tensor<6x8xf32>) -> tensor<2x3x8xf32>
// CHECK-NEXT:  %pr = tpu.relu %arg0 : tensor<2x3x8xf32>
// CHECK-NEXT:  %pr_1 = tpu.sub %arg0, %pr : (tensor<2x3x8xf32>, tensor<2x3x8xf32>) -> tensor<2x3x8xf32>
// CHECK-NEXT:  %pr_2 = tpu.mul %pr_1, %slope : (tensor<2x3x8xf32>, tensor<3x1xf32>) -> tensor<2x3x8xf32>
// CHECK-NEXT:  %pr_3 = tpu.add %pr, %pr_2 : (tensor<2x3x8xf32>, tensor<2x3x8xf32>) -> tensor<2x3x8xf32>
// CHECK-NEXT:  func.return %ln_14, %pr_3 : tensor<2x3x8xf32>, tensor<2x3x8xf32>

// reductions: the reduced axes moved last (a permute unless they already are), rows pooled, a
// sum is the mean times the count.
func.func @reductions(%arg0: tensor<2x3x4x5xf32>) -> (tensor<2x1x4x5xf32>, tensor<2x3xf32>, tensor<1x3x1x5xf32>) {
  %x = top.input %arg0 : tensor<2x3x4x5xf32>
  %m = top.reduce_mean %x {axes = array<i64: 1>} : tensor<2x3x4x5xf32> -> tensor<2x1x4x5xf32>
  %s = top.reduce_sum %x {axes = array<i64: -1, -2>, keepdims = false} : tensor<2x3x4x5xf32> -> tensor<2x3xf32>
  %mx = top.reduce_max %x {axes = array<i64: 0, 2>} : tensor<2x3x4x5xf32> -> tensor<1x3x1x5xf32>
  func.return %m, %s, %mx : tensor<2x1x4x5xf32>, tensor<2x3xf32>, tensor<1x3x1x5xf32>
}

// CHECK-LABEL: func.func @reductions
// CHECK-NEXT:  %m = tpu.permute %arg0 {order = array<i64: 0, 2, 3, 1>} : (tensor<2x3x4x5xf32>) -> tensor<2x4x5x3xf32>
// CHECK-NEXT:  %m_1 = tpu.reshape %m : (tensor<2x4x5x3xf32>) -> tensor<1x40x1x3xf32>
// CHECK-NEXT:  %m_2 = tpu.avgpool %m_1 {kernel_shape = array<i64: 1, 3>} : (tensor<1x40x1x3xf32>) -> tensor<1x40x1x1xf32>
// CHECK-NEXT:  %m_3 = tpu.reshape %m_2 : (tensor<1x40x1x1xf32>) -> tensor<2x1x4x5xf32>
// CHECK-NEXT:  %s = tpu.reshape %arg0 : (tensor<2x3x4x5xf32>) -> tensor<1x6x1x20xf32>
// CHECK-NEXT:  %s_1 = tpu.avgpool %s {kernel_shape = array<i64: 1, 20>} : (tensor<1x6x1x20xf32>) -> tensor<1x6x1x1xf32>
// CHECK-NEXT:  %s_2 = top.weight "unknown.reduce_count" dense<2.000000e+01> : tensor<1x1x1x1xf32>
// CHECK-NEXT:  %s_3 = tpu.mul %s_1, %s_2 : (tensor<1x6x1x1xf32>, tensor<1x1x1x1xf32>) -> tensor<1x6x1x1xf32>
// CHECK-NEXT:  %s_4 = tpu.reshape %s_3 : (tensor<1x6x1x1xf32>) -> tensor<2x3xf32>
// CHECK-NEXT:  %mx = tpu.permute %arg0 {order = array<i64: 1, 3, 0, 2>} : (tensor<2x3x4x5xf32>) -> tensor<3x5x2x4xf32>
// CHECK-NEXT:  %mx_1 = tpu.reshape %mx : (tensor<3x5x2x4xf32>) -> tensor<1x15x1x8xf32>
// CHECK-NEXT:  %mx_2 = tpu.maxpool %mx_1 {kernel_shape = array<i64: 1, 8>} : (tensor<1x15x1x8xf32>) -> tensor<1x15x1x1xf32>
// CHECK-NEXT:  %mx_3 = tpu.reshape %mx_2 : (tensor<1x15x1x1xf32>) -> tensor<1x3x1x5xf32>
// CHECK-NEXT:  func.return %m_3, %s_4, %mx_3 : tensor<2x1x4x5xf32>, tensor<2x3xf32>, tensor<1x3x1x5xf32>

// float functions: one tpu op each; pow 3 is a product, pow -0.5 rsqrt, other exponents
// tpu.pow; log_softmax is softmax then log.
func.func @functions(%arg0: tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>) {
  %x = top.input %arg0 : tensor<2x8xf32>
  %0 = top.leaky_relu %x {alpha = 0.1 : f64} : tensor<2x8xf32>
  %1 = top.tanh %x : tensor<2x8xf32>
  %2 = top.erf %x : tensor<2x8xf32>
  %3 = top.gelu %x : tensor<2x8xf32>
  %4 = top.sqrt %x : tensor<2x8xf32>
  %5 = top.log %x : tensor<2x8xf32>
  %6 = top.pow %x {exponent = 3.0 : f64} : tensor<2x8xf32>
  %7 = top.pow %x {exponent = 1.5 : f64} : tensor<2x8xf32>
  %8 = top.pow %x {exponent = -0.5 : f64} : tensor<2x8xf32>
  %9 = top.log_softmax %x {axis = 1 : i64} : tensor<2x8xf32>
  func.return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9 : tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>
}

// CHECK-LABEL: func.func @functions
// CHECK-NEXT:  %0 = tpu.leaky_relu %arg0 {alpha = 1.000000e-01 : f64} : tensor<2x8xf32>
// CHECK-NEXT:  %1 = tpu.tanh %arg0 : tensor<2x8xf32>
// CHECK-NEXT:  %2 = tpu.erf %arg0 : tensor<2x8xf32>
// CHECK-NEXT:  %3 = tpu.gelu %arg0 : tensor<2x8xf32>
// CHECK-NEXT:  %4 = tpu.sqrt %arg0 : tensor<2x8xf32>
// CHECK-NEXT:  %5 = tpu.log %arg0 : tensor<2x8xf32>
// CHECK-NEXT:  %6 = tpu.mul %arg0, %arg0 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-NEXT:  %7 = tpu.mul %6, %arg0 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-NEXT:  %8 = tpu.pow %arg0 {exponent = 1.500000e+00 : f64} : tensor<2x8xf32>
// CHECK-NEXT:  %9 = tpu.rsqrt %arg0 : tensor<2x8xf32>
// CHECK-NEXT:  %10 = tpu.softmax %arg0 {axis = 1 : i64} : tensor<2x8xf32>
// CHECK-NEXT:  %11 = tpu.log %10 : tensor<2x8xf32>
// CHECK-NEXT:  func.return %0, %1, %2, %3, %4, %5, %7, %8, %9, %11 : tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>

// gather with constant indices: a slice per run of equally spaced indices (here 0 and 7);
// where: x * c + y * (1 - c).
func.func @select(%arg0: tensor<2x8xf32>) -> (tensor<2x1x2xf32>, tensor<2x8xf32>) {
  %x = top.input %arg0 : tensor<2x8xf32>
  %g = top.gather %x {axis = 1 : i64, indices = dense<[[0, -1]]> : tensor<1x2xi64>} : tensor<2x8xf32> -> tensor<2x1x2xf32>
  %c = top.weight "c" dense<[1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0]> : tensor<8xf32>
  %y = top.weight "y" dense<-1.0> : tensor<2x1xf32>
  %w = top.where %c, %x, %y : (tensor<8xf32>, tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  func.return %g, %w : tensor<2x1x2xf32>, tensor<2x8xf32>
}

// CHECK-LABEL: func.func @select
// CHECK-NEXT:  %g = tpu.slice %arg0 {offsets = array<i64: 0, 0>, steps = array<i64: 1, 7>} : (tensor<2x8xf32>) -> tensor<2x2xf32>
// CHECK-NEXT:  %g_1 = tpu.reshape %g : (tensor<2x2xf32>) -> tensor<2x1x2xf32>
// CHECK-NEXT:  %c = top.weight "c" dense<[1.000000e+00, 0.000000e+00, 1.000000e+00, 0.000000e+00, 1.000000e+00, 0.000000e+00, 1.000000e+00, 0.000000e+00]> : tensor<8xf32>
// CHECK-NEXT:  %y = top.weight "y" dense<-1.000000e+00> : tensor<2x1xf32>
// CHECK-NEXT:  %w = top.weight "unknown.where_one" dense<1.000000e+00> : tensor<1xf32>
// CHECK-NEXT:  %w_1 = tpu.mul %arg0, %c : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
// CHECK-NEXT:  %w_2 = tpu.sub %w, %c : (tensor<1xf32>, tensor<8xf32>) -> tensor<8xf32>
// CHECK-NEXT:  %w_3 = tpu.mul %y, %w_2 : (tensor<2x1xf32>, tensor<8xf32>) -> tensor<2x8xf32>
// CHECK-NEXT:  %w_4 = tpu.add %w_1, %w_3 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-NEXT:  func.return %g_1, %w_4 : tensor<2x1x2xf32>, tensor<2x8xf32>
