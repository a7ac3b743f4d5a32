// lower-int8-to-bm1684x with F16 / BF16 layers inside an INT8 net: the precision table marks
// the depthwise conv F16, the mul BF16 and the softmax F16. The depthwise conv and the mul
// compute in 16 bits on 16-bit DDR tensors (pord.depthwise fp16 with an f16 kernel and bias,
// arith.mul bf16), each behind an arith.cast of its f32 input (the quant IR's arith.truncf, nearest
// even) and followed by an arith.cast back to f32 (arith.extf); 16-bit tensors move with
// dtype=fp16 / bf16 DMAs and 32-element EU rows (c stride 32). The F16 softmax computes in f32
// between two casts in local memory (lower-int8-to-bm1684x-f16-sfu.mlir): no warning.
// tests/test_int8_f16.py checks the simulated results against the references.
// RUN: printf "dw F16\nmid BF16\nprob F16\n" > %t.qtable
// RUN: nntc-opt %s -p 'quantize{qtable="%t.qtable"}' --mlir-print-debuginfo -o %t.mlir
// RUN: nntc-opt %t.mlir -p lower-int8-to-bm1684x -t bm1684x-asm 2> %t.err | filecheck %s
// RUN: filecheck %s --allow-empty --check-prefix=WARN < %t.err

func.func @main(%arg0: tensor<1x2x2x4xf32>) -> tensor<1x16xf32> {
  %x = top.input %arg0 {calib = #quant.calibration<threshold = 1.27, min = -1.0, max = 1.27>} : tensor<1x2x2x4xf32> loc("x")
  %w = top.weight "w" dense<[[[[0.5, -1.0, 0.25]]], [[[2.0, 0.0, -0.5]]]]> : tensor<2x1x1x3xf32> loc("w")
  %c = top.conv %x, %w {group = 2 : i64, strides = array<i64: 1, 1>, pads = array<i64: 0, 1, 0, 1>, calib = #quant.calibration<threshold = 3.0, min = -3.0, max = 3.0>} : (tensor<1x2x2x4xf32>, tensor<2x1x1x3xf32>) -> tensor<1x2x2x4xf32> loc("dw")
  %r = top.reshape %c {calib = #quant.calibration<threshold = 3.0, min = -3.0, max = 3.0>} : tensor<1x2x2x4xf32> -> tensor<1x16xf32> loc("flat")
  %m = top.mul %r, %r {calib = #quant.calibration<threshold = 9.0, min = 0.0, max = 9.0>} : (tensor<1x16xf32>, tensor<1x16xf32>) -> tensor<1x16xf32> loc("mid")
  %s = top.softmax %m {axis = 1 : i64, calib = #quant.calibration<threshold = 1.0, min = 0.0, max = 1.0>} : tensor<1x16xf32> loc("prob")
  func.return %s : tensor<1x16xf32>
}

// CHECK:      group 0
// CHECK-DAG:  arith.cast {{.*}} res0_shape=[1,2,2,4] res0_prec=fp16 {{.*}} opd0_prec=fp32
// CHECK-DAG:  dma.tensor {{.*}} dtype=fp16 {{.*}} src_shape=[1,2,2,4] src_stride=[32,32,4,1]
// CHECK-DAG:  dma.tensor {{.*}} dtype=fp16 {{.*}} dst_shape=[0,0,0,0] dst_stride=[32,32,4,1]
// CHECK-DAG:  pord.depthwise {{.*}} res0_shape=[1,2,2,4] res0_prec=fp16 {{.*}} opd0_prec=fp16 kernel=[1,3]
// CHECK-DAG:  arith.cast {{.*}} res0_shape=[1,2,2,4] res0_prec=fp32 {{.*}} opd0_prec=fp16
// CHECK-DAG:  arith.cast {{.*}} res0_shape=[1,1,1,16] res0_prec=bf16 {{.*}} opd0_prec=fp32
// CHECK-DAG:  arith.mul {{.*}} res0_shape=[1,1,1,16] res0_prec=bf16 {{.*}} opd0_prec=bf16 {{.*}} opd1_prec=bf16
// CHECK-DAG:  arith.cast {{.*}} res0_shape=[1,1,1,16] res0_prec=fp32 {{.*}} opd0_prec=bf16
// CHECK-DAG:  sfu.taylor {{.*}} res0_shape=[1,1,1,16] res0_prec=fp32
// CHECK:      sys.end

// WARN-NOT: warning
