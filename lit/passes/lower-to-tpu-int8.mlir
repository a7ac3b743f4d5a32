// lower-to-tpu{mode=int8}: quant-level IR (from `quantize`) -> tpu IR holding the INT8 code
// generator's integer layers, one tpu op each at the layer's location: the input quantizer and
// the output dequantizers are tpu.casts, the convs (group 1 and depthwise) and the matmul take
// int8 filters / int32 biases (stored integers, `!quant.uniform<..., 1.0>`, new weight-store
// entries named after the layer) and a per-channel multiplier / rshift, the sigmoid is a
// tpu.lut on its 256-entry table, the add has a multiplier per input, the global average pool
// a window of the whole plane; a reshape (and top.input) is a tpu.reshape of the same bytes.
// The softmax (F32) and the mul the precision table marks F16 stay the tpu float ops
// lower-to-tpu lowers them to, between tpu.casts (the F16 one computes on f16 tensors).
//
// The integers come from the quant types, e.g. the conv's output channel 0 requantizes by
// s_in * s_w / s_out = 0.01 * (1/127) / 0.02 = 1/254 = 1082196484 / 2^38 (channel 1, whose
// filter scale is 2/127: 1082196484 / 2^37), and the depthwise conv's relu_limit 1.5 is the
// stored value round(1.5 / (2/255)) = 191 of its u8 result.
//
// The last RUN lines compile the tpu IR and the quant IR to commands: they must be the same.
// RUN: echo "sq F16" > %t.qtable
// RUN: nntc-opt %s -p 'quantize{qtable="%t.qtable"}' --mlir-print-debuginfo -o %t.q.mlir
// RUN: nntc-opt %t.q.mlir -p 'lower-to-tpu{mode=int8}' --mlir-print-debuginfo -o %t.t.mlir
// RUN: filecheck %s < %t.t.mlir
// RUN: nntc-opt %t.q.mlir -p lower-int8-to-bm1684x -t bm1684x-asm -o %t.q.asm
// RUN: nntc-opt %t.t.mlir -p lower-int8-to-bm1684x -t bm1684x-asm -o %t.t.asm
// RUN: diff %t.q.asm %t.t.asm

func.func @main(%arg0: tensor<1x2x2x2xf32>) -> (tensor<1x3xf32>, tensor<1x4xf32>) {
  %x = top.input %arg0 {calib = #quant.calibration<threshold = 1.27, min = -1.0, max = 1.27>} : tensor<1x2x2x2xf32> loc("x")
  %w = top.weight "w" dense<[[[[1.0]], [[-0.5]]], [[[0.0]], [[-2.0]]]]> : tensor<2x2x1x1xf32> loc("w")
  %b = top.weight "b" dense<[0.5, -1.0]> : tensor<2xf32> loc("b")
  %c = top.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, calib = #quant.calibration<threshold = 2.54, min = -2.0, max = 2.54>} : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32> loc("conv")
  %dw = top.weight "dw" dense<[[[[0.5]]], [[[-1.0]]]]> : tensor<2x1x1x1xf32> loc("dw.w")
  %d = top.conv %c, %dw {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 2 : i64, do_relu = true, relu_limit = 1.5 : f64, calib = #quant.calibration<threshold = 2.0, min = 0.0, max = 2.0>} : (tensor<1x2x2x2xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x2x2xf32> loc("dw")
  %s = top.sigmoid %d {calib = #quant.calibration<threshold = 0.9, min = 0.5, max = 0.9>} : tensor<1x2x2x2xf32> loc("sig")
  %k = top.concat %s, %d {axis = 1 : i64, calib = #quant.calibration<threshold = 2.0, min = 0.0, max = 2.0>} : (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x4x2x2xf32> loc("cat")
  %a = top.add %c, %c {do_relu = true, calib = #quant.calibration<threshold = 5.08, min = 0.0, max = 5.08>} : (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> loc("add")
  %p = top.maxpool %a {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, calib = #quant.calibration<threshold = 5.08, min = 0.0, max = 5.08>} : tensor<1x2x2x2xf32> -> tensor<1x2x1x1xf32> loc("pool")
  %g = top.global_avgpool %k {calib = #quant.calibration<threshold = 1.0, min = 0.0, max = 1.0>} : tensor<1x4x2x2xf32> -> tensor<1x4x1x1xf32> loc("gap")
  %r = top.reshape %c : tensor<1x2x2x2xf32> -> tensor<1x8xf32> loc("flat")
  %fw = top.weight "fc.w" dense<[[1.0, 0.5, 0.25], [1.0, 0.5, 0.25], [1.0, 0.5, 0.25], [1.0, 0.5, 0.25], [-1.0, 0.5, 0.25], [1.0, 0.5, 0.25], [1.0, 0.5, 0.25], [1.0, 0.5, -0.25]]> : tensor<8x3xf32> loc("fc.w")
  %y = top.matmul %r, %fw {calib = #quant.calibration<threshold = 5.08, min = -5.0, max = 5.08>} : (tensor<1x8xf32>, tensor<8x3xf32>) -> tensor<1x3xf32> loc("fc")
  %gr = top.reshape %g : tensor<1x4x1x1xf32> -> tensor<1x4xf32> loc("gflat")
  %m = top.mul %gr, %gr {calib = #quant.calibration<threshold = 1.0, min = 0.0, max = 1.0>} : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32> loc("sq")
  %sm = top.softmax %m {axis = 1 : i64, calib = #quant.calibration<threshold = 1.0, min = 0.0, max = 1.0>} : tensor<1x4xf32> loc("prob")
  func.return %y, %sm : tensor<1x3xf32>, tensor<1x4xf32>
}

// CHECK-LABEL: func.func @main(
// CHECK-NEXT:    %0 = tpu.reshape %input0 : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> loc("x")
// CHECK-NEXT:    %quant.qcast = tpu.cast %0 : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 0.01>> loc("quant.qcast#1")
// CHECK-NEXT:    %1 = top.weight "conv.filter" : tensor<2x2x1x1x!quant.uniform<i8:f32, 1.0>> loc("conv")
// CHECK-NEXT:    %2 = top.weight "conv.bias" : tensor<2x!quant.uniform<i32:f32, 1.0>> loc("conv")
// CHECK-NEXT:    %conv = tpu.conv2d %quant.qcast, %1, %2 {multiplier = array<i32: 1082196484, 1082196484>, rshift = array<i64: 38, 37>} : (tensor<1x2x2x2x!quant.uniform<i8:f32, 0.01>>, tensor<2x2x1x1x!quant.uniform<i8:f32, 1.0>>, tensor<2x!quant.uniform<i32:f32, 1.0>>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 0.02>> loc("conv")
// CHECK-NEXT:    %3 = top.weight "dw.filter" : tensor<2x1x1x1x!quant.uniform<i8:f32, 1.0>> loc("dw")
// CHECK-NEXT:    %4 = top.weight "dw.bias" : tensor<2x!quant.uniform<i32:f32, 1.0>> loc("dw")
// CHECK-NEXT:    %dw = tpu.conv2d %conv, %3, %4 {do_relu = true, multiplier = array<i32: 1379800517, 1379800517>, rshift = array<i64: 37, 36>, relu_limit = 1.910000e+02 : f64, group = 2 : i64} : (tensor<1x2x2x2x!quant.uniform<i8:f32, 0.02>>, tensor<2x1x1x1x!quant.uniform<i8:f32, 1.0>>, tensor<2x!quant.uniform<i32:f32, 1.0>>) -> tensor<1x2x2x2x!quant.uniform<u8:f32, 0.00784313725490196>> loc("dw")
// CHECK-NEXT:    %5 = top.weight "sig.table" : tensor<256x!quant.uniform<u8:f32, 0.0035294117647058825>> loc("sig")
// CHECK-NEXT:    %sig = tpu.lut %dw, %5 : (tensor<1x2x2x2x!quant.uniform<u8:f32, 0.00784313725490196>>, tensor<256x!quant.uniform<u8:f32, 0.0035294117647058825>>) -> tensor<1x2x2x2x!quant.uniform<u8:f32, 0.0035294117647058825>> loc("sig")
// CHECK-NEXT:    %quant.requant = tpu.requant %sig {multiplier = array<i32: 1932735283>, rshift = array<i64: 32>} : (tensor<1x2x2x2x!quant.uniform<u8:f32, 0.0035294117647058825>>) -> tensor<1x2x2x2x!quant.uniform<u8:f32, 0.00784313725490196>> loc("quant.requant#9")
// CHECK-NEXT:    %cat = tpu.concat %quant.requant, %dw {axis = 1 : i64} : (tensor<1x2x2x2x!quant.uniform<u8:f32, 0.00784313725490196>>, tensor<1x2x2x2x!quant.uniform<u8:f32, 0.00784313725490196>>) -> tensor<1x4x2x2x!quant.uniform<u8:f32, 0.00784313725490196>> loc("cat")
// CHECK-NEXT:    %add = tpu.add %conv, %conv {do_relu = true, multiplier = array<i32: 2105409, 2105409>, rshift = array<i64: 21>} : (tensor<1x2x2x2x!quant.uniform<i8:f32, 0.02>>, tensor<1x2x2x2x!quant.uniform<i8:f32, 0.02>>) -> tensor<1x2x2x2x!quant.uniform<u8:f32, 0.01992156862745098>> loc("add")
// CHECK-NEXT:    %pool = tpu.maxpool %add {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x2x2x2x!quant.uniform<u8:f32, 0.01992156862745098>>) -> tensor<1x2x1x1x!quant.uniform<u8:f32, 0.01992156862745098>> loc("pool")
// CHECK-NEXT:    %gap = tpu.avgpool %cat {kernel_shape = array<i64: 2, 2>, multiplier = array<i32: 128>, rshift = array<i64: 8>} : (tensor<1x4x2x2x!quant.uniform<u8:f32, 0.00784313725490196>>) -> tensor<1x4x1x1x!quant.uniform<u8:f32, 0.00392156862745098>> loc("gap")
// CHECK-NEXT:    %6 = tpu.reshape %conv : (tensor<1x2x2x2x!quant.uniform<i8:f32, 0.02>>) -> tensor<1x8x!quant.uniform<i8:f32, 0.02>> loc("flat")
// CHECK-NEXT:    %7 = top.weight "fc.weight" : tensor<8x3x!quant.uniform<i8:f32, 1.0>> loc("fc")
// CHECK-NEXT:    %8 = top.weight "fc.bias" : tensor<3x!quant.uniform<i32:f32, 1.0>> loc("fc")
// CHECK-NEXT:    %fc = tpu.matmul %6, %7, %8 {multiplier = array<i32: 1082196484, 1082196484, 1082196484>, rshift = array<i64: 38, 39, 40>} : (tensor<1x8x!quant.uniform<i8:f32, 0.02>>, tensor<8x3x!quant.uniform<i8:f32, 1.0>>, tensor<3x!quant.uniform<i32:f32, 1.0>>) -> tensor<1x3x!quant.uniform<i8:f32, 0.04>> loc("fc")
// CHECK-NEXT:    %fc_1 = tpu.cast %fc : (tensor<1x3x!quant.uniform<i8:f32, 0.04>>) -> tensor<1x3xf32> loc("fc")
// CHECK-NEXT:    %9 = tpu.reshape %gap : (tensor<1x4x1x1x!quant.uniform<u8:f32, 0.00392156862745098>>) -> tensor<1x4x!quant.uniform<u8:f32, 0.00392156862745098>> loc("gflat")
// CHECK-NEXT:    %quant.dcast = tpu.cast %9 : (tensor<1x4x!quant.uniform<u8:f32, 0.00392156862745098>>) -> tensor<1x4xf32> loc("quant.dcast#19")
// CHECK-NEXT:    %sq.f16 = tpu.cast %quant.dcast : (tensor<1x4xf32>) -> tensor<1x4xf16> loc("sq.f16")
// CHECK-NEXT:    %10 = tpu.reshape %sq.f16 : (tensor<1x4xf16>) -> tensor<1x4xf16> loc("sq.f16.view")
// CHECK-NEXT:    %sq = tpu.mul %10, %10 : (tensor<1x4xf16>, tensor<1x4xf16>) -> tensor<1x4xf16> loc("sq")
// CHECK-NEXT:    %arith.extf_22.f32 = tpu.cast %sq : (tensor<1x4xf16>) -> tensor<1x4xf32> loc("arith.extf#22.f32")
// CHECK-NEXT:    %11 = tpu.reshape %arith.extf_22.f32 : (tensor<1x4xf32>) -> tensor<1x4xf32> loc("arith.extf#22")
// CHECK-NEXT:    %prob = tpu.softmax %11 {axis = 1 : i64} : tensor<1x4xf32> loc("prob")
// CHECK-NEXT:    func.return %fc_1, %prob : tensor<1x3xf32>, tensor<1x4xf32>
