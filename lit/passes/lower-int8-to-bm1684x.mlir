// lower-int8-to-bm1684x: quant-level IR (from `quantize`) to BM1684X commands. The net input is
// quantized on the chip (arith.mul by 1/scale, two arith.casts), the conv accumulates int8 x int8
// in int32 (conv.normal), adds the int32 bias (arith.adds) and requantizes per channel
// (quant.rq1); the depthwise conv (group = channels) is an int32 pord.depthwise with its bias
// + quant.rq1; the sigmoid's table lookup is a one-hot product: x read into 256 rows, arith.sub
// of each row's key, arith.abs, arith.min 1, arith.sub from 1, mm2.nn of the table row and the
// one-hot matrix; the concat copies its inputs into the result's channel slots; the matmul is
// mm2.nn + arith.adds + quant.rq1; the output is dequantized to f32 (quant.dq0).
// tests/test_e2e_int8.py checks the simulated results bit for bit.
// RUN: nntc-opt %s -p quantize --mlir-print-debuginfo -o %t.mlir
// RUN: nntc-opt %t.mlir -p lower-int8-to-bm1684x -t bm1684x-asm | filecheck %s
// RUN: nntc-opt %t.mlir -p lower-int8-to-bm1684x | filecheck %s --check-prefix=IR

func.func @main(%arg0: tensor<1x2x2x2xf32>) -> tensor<1x3xf32> {
  %x = top.input %arg0 {calib = #quant.calibration<threshold = 1.27, min = -1.0, max = 1.27>} : tensor<1x2x2x2xf32> loc("x")
  %w = top.weight "w" dense<[[[[1.0]], [[-0.5]]], [[[0.0]], [[-2.0]]]]> : tensor<2x2x1x1xf32> loc("w")
  %b = top.weight "b" dense<[0.5, -1.0]> : tensor<2xf32> loc("b")
  %c = top.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, calib = #quant.calibration<threshold = 2.54, min = -2.0, max = 2.54>} : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32> loc("conv")
  %dw = top.weight "dw" dense<[[[[0.5]]], [[[-1.0]]]]> : tensor<2x1x1x1xf32> loc("dw.w")
  %d = top.conv %c, %dw {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 2 : i64, do_relu = true, relu_limit = 6.0 : f64, calib = #quant.calibration<threshold = 2.0, min = 0.0, max = 2.0>} : (tensor<1x2x2x2xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x2x2xf32> loc("dw")
  %s = top.sigmoid %d {calib = #quant.calibration<threshold = 0.9, min = 0.5, max = 0.9>} : tensor<1x2x2x2xf32> loc("sig")
  %k = top.concat %s, %d {axis = 1 : i64, calib = #quant.calibration<threshold = 2.0, min = 0.0, max = 2.0>} : (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x4x2x2xf32> loc("cat")
  %r = top.reshape %c : tensor<1x2x2x2xf32> -> tensor<1x8xf32> loc("flat")
  %fw = top.weight "fc.w" dense<[[1.0, 0.5, 0.25], [1.0, 0.5, 0.25], [1.0, 0.5, 0.25], [1.0, 0.5, 0.25], [-1.0, 0.5, 0.25], [1.0, 0.5, 0.25], [1.0, 0.5, 0.25], [1.0, 0.5, -0.25]]> : tensor<8x3xf32> loc("fc.w")
  %y = top.matmul %r, %fw {calib = #quant.calibration<threshold = 5.08, min = -5.0, max = 5.08>} : (tensor<1x8xf32>, tensor<8x3xf32>) -> tensor<1x3xf32> loc("fc")
  func.return %y : tensor<1x3xf32>
}

// CHECK:      .input {{.*}} dtype=float32 shape=[1,2,2,2]
// CHECK-NEXT: .output {{.*}} dtype=float32 shape=[1,3]
// CHECK:      group 0
// CHECK-DAG:  arith.mul {{.*}} res0_prec=fp32 opd0_addr
// CHECK-DAG:  arith.cast {{.*}} res0_prec=int32 {{.*}} opd0_prec=fp32
// CHECK-DAG:  arith.cast {{.*}} res0_prec=int8 {{.*}} opd0_prec=int32
// CHECK-DAG:  conv.normal {{.*}} res0_prec=int32 {{.*}} opd0_prec=int8
// CHECK-DAG:  arith.adds {{.*}} res0_shape=[1,2,2,2] res0_prec=int32
// CHECK-DAG:  quant.rq1 {{.*}} res0_shape=[1,2,2,2] res0_prec=int8
// CHECK-DAG:  pord.depthwise {{.*}} res0_shape=[1,2,2,2] res0_prec=int32 {{.*}} opd0_prec=int8 {{.*}} opd2_sign=true
// CHECK-DAG:  arith.sub {{.*}} res0_shape=[1,256,1,8] res0_prec=int32
// CHECK-DAG:  arith.abs {{.*}} res0_shape=[1,256,1,8] res0_prec=int32
// CHECK-DAG:  arith.min {{.*}} res0_shape=[1,256,1,8] res0_prec=int32
// CHECK-DAG:  arith.sub {{.*}} res0_shape=[1,256,1,8] res0_prec=int8
// CHECK-DAG:  mm2.nn {{.*}} res0_shape=[1,8] res0_prec=int32 {{.*}} opd1_shape=[256,8]
// CHECK-DAG:  mm2.nn {{.*}} res0_shape=[3,1] res0_prec=int32 {{.*}} opd0_prec=int8
// CHECK-DAG:  quant.rq1 {{.*}} res0_shape=[1,3,1,1] res0_prec=int8
// CHECK-DAG:  quant.dq0 {{.*}} res0_prec=fp32 {{.*}} opd0_prec=int8
// CHECK:      sys.end
// CHECK:      dma.sys

// IR:      bm1684x.model
// IR:        bm1684x.net
// IR:          bm1684x.cmd_group attributes {nntc.layers = {{.*}}\22conv\22{{.*}}\22fc\22{{.*}}} tiu {
// IR:            bm1684x.tiu.conv normal
// IR:            bm1684x.tiu.pord depthwise
// IR:            bm1684x.tiu.rq_dq rq1
// IR:            bm1684x.tiu.sys end
// IR:          } gdma {
// IR:            bm1684x.gdma.sys end
