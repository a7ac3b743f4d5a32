// RUN: not nntc-opt %s -p lower-int8-to-bm1684x 2>&1 | filecheck %s

// lower-int8-to-bm1684x reads INT8 tpu IR back into integer layers: every tpu op that is not one
// is named with its location and the reason, all of them at once (a grouped conv, a requant
// without a multiplier, a rounding mode other than the module's, a clamp that is not a stored
// integer, an average pool that is not global).
func.func @main(%x: tensor<1x4x4x4xf32>) -> tensor<1x4x2x2xf32> {
  %q = tpu.cast %x : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.01>> loc("q")
  %w = top.weight "w" : tensor<4x2x1x1x!quant.uniform<i8:f32, 1.0>> loc("grouped")
  %c = tpu.conv2d %q, %w {group = 2 : i64, multiplier = array<i32: 1073741824>, rshift = array<i64: 31>} : (tensor<1x4x4x4x!quant.uniform<i8:f32, 0.01>>, tensor<4x2x1x1x!quant.uniform<i8:f32, 1.0>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.01>> loc("grouped")
  %r = tpu.requant %c {quant_mode = #tpu<requant only_shift>, rshift = array<i64: 1>} : (tensor<1x4x4x4x!quant.uniform<i8:f32, 0.01>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.02>> loc("shift")
  %e = tpu.requant %r {multiplier = array<i32: 1073741824>, rshift = array<i64: 30>, round_mode = #tpu<round half_to_even>} : (tensor<1x4x4x4x!quant.uniform<i8:f32, 0.02>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.02>> loc("even")
  %a = tpu.add %e, %e {do_relu = true, relu_limit = 1.5 : f64, multiplier = array<i32: 1, 1>, rshift = array<i64: 1>} : (tensor<1x4x4x4x!quant.uniform<i8:f32, 0.02>>, tensor<1x4x4x4x!quant.uniform<i8:f32, 0.02>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.02>> loc("clamp")
  %p = tpu.avgpool %a {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, multiplier = array<i32: 1>, rshift = array<i64: 2>} : (tensor<1x4x4x4x!quant.uniform<i8:f32, 0.02>>) -> tensor<1x4x2x2x!quant.uniform<i8:f32, 0.02>> loc("window")
  %y = tpu.cast %p : (tensor<1x4x2x2x!quant.uniform<i8:f32, 0.02>>) -> tensor<1x4x2x2xf32> loc("out")
  func.return %y : tensor<1x4x2x2xf32>
}

// CHECK: error: pass 'lower-int8-to-bm1684x' failed: lower-int8-to-bm1684x: 5 op(s) of the tpu function do not read back as INT8 layers:
// CHECK-NEXT: tpu.conv2d at loc("grouped"): grouped conv (group 2) is not supported, only group 1 and depthwise
// CHECK-NEXT: tpu.requant at loc("shift"): quant_mode only_shift (INT8 takes multiplier_shift)
// CHECK-NEXT: tpu.requant at loc("even"): round_mode half_to_even differs from the net's half_away_from_zero (the module's quant.round_mode)
// CHECK-NEXT: tpu.add at loc("clamp"): relu_limit 1.5 of an integer op must be a stored value (an integer)
// CHECK-NEXT: tpu.avgpool at loc("window"): INT8 average pooling is global: a window of the whole plane
// CHECK-NOT: Traceback
