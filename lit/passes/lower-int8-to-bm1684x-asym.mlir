// lower-int8-to-bm1684x on asymmetric activations (`quantize{asymmetric=true}`: u8 with a zero
// point). The net input is quantized with its zero point added in int32 (arith.add) before the
// saturating cast; the conv convolves the stored values and pads with the input's zero point
// (conv.normal's pad value opd3, here 64), its bias holds -zp * sum(W); quant.rq1 adds the
// result's zero point (the third per-channel word, or bits 8..23 of an immediate opd2); the
// depthwise conv pads with its input's zero point too (pord.depthwise opd3); the add takes
// sum(multiplier x zero point) out of its int32 sum (an arith.add of the negated immediate);
// the global average pool sums the window into int32, takes N x zp out and requantizes with
// quant.rq1; the output dequantization subtracts the zero point (quant.dq0 opd1).
// tests/test_int8_asymmetric.py checks the simulated results bit for bit.
// RUN: nntc-opt %s -p 'quantize{asymmetric=true}' --mlir-print-debuginfo -o %t.mlir
// RUN: nntc-opt %t.mlir -p 'lower-to-tpu{mode=int8}' --mlir-print-debuginfo -o %t.t.mlir
// RUN: filecheck %s --check-prefix=TPU < %t.t.mlir
// RUN: nntc-opt %t.mlir -p lower-int8-to-bm1684x -t bm1684x-asm | filecheck %s

func.func @main(%arg0: tensor<1x2x4x4xf32>) -> tensor<1x3xf32> {
  %x = top.input %arg0 {calib = #quant.calibration<threshold = 3.0, min = -1.0, max = 3.0>} : tensor<1x2x4x4xf32> loc("x")
  %w = top.weight "w" dense<0.25> : tensor<2x2x3x3xf32> loc("w")
  %b = top.weight "b" dense<[0.5, -1.0]> : tensor<2xf32> loc("b")
  %c = top.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, calib = #quant.calibration<threshold = 4.0, min = -2.0, max = 4.0>} : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32> loc("conv")
  %dw = top.weight "dw" dense<[[[[0.5, 0.5, 0.5], [0.5, 1.0, 0.5], [0.5, 0.5, 0.5]]], [[[-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0]]]]> : tensor<2x1x3x3xf32> loc("dw.w")
  %d = top.conv %c, %dw {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 2 : i64, calib = #quant.calibration<threshold = 6.0, min = -3.0, max = 6.0>} : (tensor<1x2x4x4xf32>, tensor<2x1x3x3xf32>) -> tensor<1x2x4x4xf32> loc("dw")
  %a = top.add %c, %d {calib = #quant.calibration<threshold = 8.0, min = -4.0, max = 8.0>} : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> loc("add")
  %g = top.global_avgpool %a {calib = #quant.calibration<threshold = 4.0, min = -1.0, max = 4.0>} : tensor<1x2x4x4xf32> -> tensor<1x2x1x1xf32> loc("gap")
  %r = top.reshape %g : tensor<1x2x1x1xf32> -> tensor<1x2xf32> loc("flat")
  %fw = top.weight "fc.w" dense<[[1.0, 0.5, -0.25], [-1.0, 0.5, 0.25]]> : tensor<2x3xf32> loc("fc.w")
  %y = top.matmul %r, %fw {calib = #quant.calibration<threshold = 5.0, min = -5.0, max = 4.0>} : (tensor<1x2xf32>, tensor<2x3xf32>) -> tensor<1x3xf32> loc("fc")
  func.return %y : tensor<1x3xf32>
}

// The tpu level keeps the zero points in the types; a conv's bias weight holds -zp * sum(W),
// the global average pool's multiplier is quant.rq1's 31-bit one.
// TPU:      tpu.cast {{.*}} -> tensor<1x2x4x4x!quant.uniform<u8:f32, 0.01568627450980392:64>> loc("quant.qcast#1")
// TPU:      %conv = tpu.conv2d %quant.qcast, {{.*}} pads = array<i64: 1, 1, 1, 1>} : (tensor<1x2x4x4x!quant.uniform<u8:f32, 0.01568627450980392:64>>, {{.*}} -> tensor<1x2x4x4x!quant.uniform<u8:f32, 0.023529411764705882:85>> loc("conv")
// TPU:      tpu.requant %conv {multiplier = array<i32: 1431655765>, rshift = array<i64: 31>} : {{.*}} -> tensor<1x2x4x4x!quant.uniform<u8:f32, 0.03529411764705882:85>>
// TPU:      %dw = tpu.conv2d %conv, {{.*}} group = 2 : i64}
// TPU:      %add = tpu.add %quant.requant, %dw {multiplier = array<i32: 3145728, 3145728>, rshift = array<i64: 22>} : {{.*}} -> tensor<1x2x4x4x!quant.uniform<u8:f32, 0.047058823529411764:85>> loc("add")
// TPU:      %gap = tpu.avgpool %add {kernel_shape = array<i64: 4, 4>, multiplier = array<i32: 1288490189>, rshift = array<i64: 33>} : {{.*}} -> tensor<1x2x1x1x!quant.uniform<u8:f32, 0.0196078431372549:51>> loc("gap")
// TPU:      %fc = tpu.matmul {{.*}} -> tensor<1x3x!quant.uniform<u8:f32, 0.03529411764705882:142>> loc("fc")
// TPU-NEXT: tpu.cast %fc : (tensor<1x3x!quant.uniform<u8:f32, 0.03529411764705882:142>>) -> tensor<1x3xf32> loc("fc")

// CHECK:      group 0
// qcast: + zero point 64 in int32, then the saturating cast
// CHECK-DAG:  arith.add {{.*}} res0_shape=[1,2,4,4] res0_prec=int32 opd0_addr={{.*}} opd0_prec=int32 opd0_sign=true opd1_addr=0x40 opd1_prec=int32 opd1_const=true
// conv: padded with the input's zero point 64
// CHECK-DAG:  conv.normal {{.*}} opd0_prec=int8 {{.*}} opd3_addr=0x40 opd3_const=true pad=[1,1,1,1]
// requant (85 -> 85): q - 85 in int32, then rq1 by 1431655765 >> 31 + 85 (opd2 0x55e1)
// CHECK-DAG:  arith.sub {{.*}} res0_prec=int32 {{.*}} opd0_prec=int8 opd1_addr=0x55 opd1_prec=int32 opd1_const=true
// CHECK-DAG:  quant.rq1 {{.*}} res0_shape=[1,2,4,4] res0_prec=int8 {{.*}} opd1_addr=0x55555555 opd1_const=true opd2_addr=0x55e1
// depthwise: padded with its input's zero point 85
// CHECK-DAG:  pord.depthwise {{.*}} opd3_addr=0x55 opd3_const=true {{.*}} pad=[1,1,1,1]
// add: - 3145728 x (85 + 85) = 0xe0200000, then >> 22 + 85 (opd2 0x55ea)
// CHECK-DAG:  arith.add {{.*}} res0_prec=int32 {{.*}} opd1_addr=0xe0200000 opd1_prec=int32 opd1_const=true
// CHECK-DAG:  quant.rq1 {{.*}} res0_shape=[1,2,4,4] res0_prec=int8 {{.*}} opd1_addr=0x1 opd1_const=true opd2_addr=0x55ea
// global average pool: int32 window sum, - 16 x 85 = 0xfffffab0, rq1 + 51 (opd2 0x33df)
// CHECK-DAG:  pord.avgpooling {{.*}} res0_shape=[1,2,1,1] res0_prec=int32 {{.*}} opd1_addr=0x1 opd1_const=true
// CHECK-DAG:  arith.add {{.*}} res0_shape=[1,2,1,1] res0_prec=int32 {{.*}} opd1_addr=0xfffffab0 opd1_prec=int32 opd1_const=true
// CHECK-DAG:  quant.rq1 {{.*}} res0_shape=[1,2,1,1] res0_prec=int8 {{.*}} opd1_addr=0x4ccccccd opd1_const=true opd2_addr=0x33df
// output: (q - 142) * scale
// CHECK-DAG:  quant.dq0 {{.*}} res0_prec=fp32 {{.*}} opd1_addr=0x8e opd1_const=true
// CHECK:      sys.end
