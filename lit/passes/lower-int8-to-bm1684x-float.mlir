// lower-int8-to-bm1684x with float layers inside the INT8 net: the softmax (kept in F32 by
// quantize) and the mul the precision table marks F16 run as FP32 layers between the integer
// ones. The INT8 conv's result is dequantized to f32 in DDR (quant.dq0), the FP32 code
// generator's commands read it from there (the mul's arith.mul in fp32, the softmax's max and
// sum windows around the SFU exp), and qcast / the net output read their f32 results back.
// The F16 layer computes in F16 (arith.mul fp16) between arith.cast f32 <-> f16, no warning.
// tests/test_e2e_int8.py checks the simulated results against the references.
// RUN: echo "mid F16" > %t.qtable
// RUN: nntc-opt %s -p 'quantize{qtable="%t.qtable"}' --mlir-print-debuginfo -o %t.mlir
// RUN: nntc-opt %t.mlir -p lower-int8-to-bm1684x -t bm1684x-asm 2> %t.err | filecheck %s
// RUN: filecheck %s --allow-empty --check-prefix=WARN < %t.err
// RUN: nntc-opt %t.mlir -p lower-int8-to-bm1684x -t bmodel -o %t.bmodel

func.func @main(%arg0: tensor<1x2x2x2xf32>) -> tensor<1x8xf32> {
  %x = top.input %arg0 {calib = #quant.calibration<threshold = 1.27, min = -1.0, max = 1.27>} : tensor<1x2x2x2xf32> loc("x")
  %w = top.weight "w" dense<[[[[1.0]], [[-0.5]]], [[[0.0]], [[-2.0]]]]> : tensor<2x2x1x1xf32> loc("w")
  %c = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, calib = #quant.calibration<threshold = 2.54, min = -2.0, max = 2.54>} : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x2x2xf32> loc("conv")
  %r = top.reshape %c {calib = #quant.calibration<threshold = 2.54, min = -2.0, max = 2.54>} : tensor<1x2x2x2xf32> -> tensor<1x8xf32> loc("flat")
  %m = top.mul %r, %r {calib = #quant.calibration<threshold = 5.08, min = 0.0, max = 5.08>} : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32> loc("mid")
  %s = top.softmax %m {axis = 1 : i64, calib = #quant.calibration<threshold = 1.0, min = 0.0, max = 1.0>} : tensor<1x8xf32> loc("prob")
  func.return %s : tensor<1x8xf32>
}

// CHECK:      .input {{.*}} dtype=float32 shape=[1,2,2,2]
// CHECK-NEXT: .output {{.*}} dtype=float32 shape=[1,8]
// CHECK:      group 0
// CHECK-DAG:  conv.normal {{.*}} res0_prec=int32 {{.*}} opd0_prec=int8
// CHECK-DAG:  quant.rq1 {{.*}} res0_prec=int8
// CHECK-DAG:  quant.dq0 {{.*}} res0_shape=[1,1,1,8] res0_prec=fp32 {{.*}} opd0_prec=int8
// CHECK-DAG:  arith.mul {{.*}} res0_shape=[1,1,1,8] res0_prec=fp16 {{.*}} opd0_prec=fp16 {{.*}} opd1_prec=fp16 opd1_sign=true{{$}}
// CHECK-DAG:  pord.maxpooling {{.*}} res0_shape=[1,1,1,1] res0_prec=fp32 {{.*}} kernel=[1,8]
// CHECK-DAG:  sfu.taylor {{.*}} res0_shape=[1,1,1,8] res0_prec=fp32
// CHECK-DAG:  pord.avgpooling {{.*}} res0_shape=[1,1,1,1] res0_prec=fp32 {{.*}} kernel=[1,8]
// CHECK-DAG:  arith.div {{.*}} res0_shape=[1,1,1,8] res0_prec=fp32
// CHECK-DAG:  dma.tensor {{.*}} dtype=fp16 src_addr=0x8000000 src_shape=[1,1,1,8] {{.*}} dst_addr=0x100007000
// CHECK:      sys.end

// WARN-NOT: warning
