// lower-int8-to-bm1684x with an F16 sigmoid and an F16 softmax inside an INT8 net (quant IR:
// the input quantized and dequantized, arith.truncf to f16, the two f16 layers, arith.extf).
// Both keep their DDR tensors in f16 (dtype=fp16 loads and stores, 2-byte dense DDR strides,
// half the traffic of F32) and compute in f32 in local memory, as the vendor's half-precision
// softmax does: an arith.cast fp16 -> fp32 after each load, the f32 sequence (the exp of
// emit_exp: sfu.taylor over the static table; the softmax's row max and sum as 1 x 4 pord
// pools), an arith.cast fp32 -> fp16 (nearest even) before each store. No "runs in F32"
// warning. tests/test_int8_f16_sfu.py checks the simulated results against the references.
// RUN: nntc-opt %s -p lower-int8-to-bm1684x -t bm1684x-asm 2> %t.err > %t.asm
// RUN: filecheck %s < %t.asm
// RUN: filecheck %s --check-prefix=SEQ < %t.asm
// RUN: filecheck %s --check-prefix=NOF32 < %t.asm
// RUN: filecheck %s --allow-empty --check-prefix=WARN < %t.err

func.func @main(%arg0: tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32> {
  %x = top.input %arg0 : tensor<1x2x2x4xf32> loc("x")
  %q = quant.qcast %x : tensor<1x2x2x4xf32> to tensor<1x2x2x4x!quant.uniform<i8:f32, 0.01>> loc("xq")
  %d = quant.dcast %q : tensor<1x2x2x4x!quant.uniform<i8:f32, 0.01>> to tensor<1x2x2x4xf32> loc("xd")
  %h = arith.truncf %d : tensor<1x2x2x4xf32> to tensor<1x2x2x4xf16> loc("xh")
  %g = top.sigmoid %h : tensor<1x2x2x4xf16> loc("sig")
  %s = top.softmax %g {axis = 3 : i64} : tensor<1x2x2x4xf16> loc("prob")
  %o = arith.extf %s : tensor<1x2x2x4xf16> to tensor<1x2x2x4xf32> loc("out")
  func.return %o : tensor<1x2x2x4xf32>
}

// The 16-bit DDR traffic: the truncf cast stores f16, the sigmoid loads and stores its
// (1, 2, 2, 4) tensor in f16, the softmax its rows of 4 as a (1, 4, 1, 4) view, the extf cast
// loads f16 (local c stride 32: 32-element EU rows of 2-byte elements).
// CHECK:      group 0
// CHECK-DAG:  dma.tensor {{.*}} dtype=fp16 {{.*}} src_shape=[1,2,2,4] src_stride=[32,32,4,1] {{.*}} dst_stride=[16,8,4,1]
// CHECK-DAG:  dma.tensor {{.*}} dtype=fp16 {{.*}} src_shape=[1,2,2,4] src_stride=[16,8,4,1] {{.*}} dst_stride=[32,32,4,1]
// CHECK-DAG:  dma.tensor {{.*}} dtype=fp16 {{.*}} src_shape=[1,2,2,4] src_stride=[32,32,4,1] {{.*}} dst_stride=[16,8,4,1]
// CHECK-DAG:  dma.tensor {{.*}} dtype=fp16 {{.*}} src_shape=[1,2,2,4] src_stride=[16,8,4,1] {{.*}} dst_stride=[32,32,4,1]
// CHECK-DAG:  dma.tensor {{.*}} dtype=fp16 {{.*}} src_shape=[1,4,1,4] src_stride=[16,4,4,1] {{.*}} dst_stride=[32,32,4,1]
// CHECK-DAG:  dma.tensor {{.*}} dtype=fp16 {{.*}} src_shape=[1,4,1,4] src_stride=[32,32,4,1] {{.*}} dst_stride=[16,4,4,1]
// The casts around each layer's f32 computation (and the truncf / extf casts).
// CHECK-DAG:  arith.cast {{.*}} res0_shape=[1,2,2,4] res0_prec=fp32 {{.*}} opd0_prec=fp16
// CHECK-DAG:  arith.cast {{.*}} res0_shape=[1,2,2,4] res0_prec=fp32 {{.*}} opd0_prec=fp16
// CHECK-DAG:  arith.cast {{.*}} res0_shape=[1,2,2,4] res0_prec=fp16 {{.*}} opd0_prec=fp32
// CHECK-DAG:  arith.cast {{.*}} res0_shape=[1,2,2,4] res0_prec=fp16 {{.*}} opd0_prec=fp32
// CHECK-DAG:  arith.cast {{.*}} res0_shape=[1,4,1,4] res0_prec=fp32 {{.*}} opd0_prec=fp16
// CHECK-DAG:  arith.cast {{.*}} res0_shape=[1,4,1,4] res0_prec=fp16 {{.*}} opd0_prec=fp32
// CHECK:      sys.end

// The sigmoid in f32 on its cast slice (1 / (1 + exp(-x)): the exp scaled by -log2(e)), cast
// back over its f16 buffer; then the softmax in f32 (max, subtract, exp, sum, divide), cast
// back over its f16 buffer.
// SEQ:      arith.mul {{.*}} res0_addr=[[SIG:0x[0-9a-f]+]] res0_shape=[1,2,2,4] res0_prec=fp32 {{.*}} opd1_addr=0xbfb8aa3b
// SEQ:      sfu.taylor {{.*}} res0_shape=[1,2,2,4] res0_prec=fp32 {{.*}} opd0_prec=fp32 opd1_addr=0x9000400 opd1_n=10
// SEQ:      arith.add {{.*}} res0_addr=[[SIG]] res0_shape=[1,2,2,4] res0_prec=fp32 {{.*}} opd1_addr=0x3f800000
// SEQ-NEXT: arith.div {{.*}} res0_addr=[[SIG]] res0_shape=[1,2,2,4] res0_prec=fp32 opd0_addr=0x3f800000
// SEQ-NEXT: arith.cast {{.*}} res0_shape=[1,2,2,4] res0_prec=fp16 opd0_addr=[[SIG]] opd0_prec=fp32
// SEQ-NEXT: pord.maxpooling {{.*}} res0_shape=[1,4,1,1] res0_prec=fp32 opd0_addr=[[SM:0x[0-9a-f]+]] opd0_shape=[1,4] opd0_prec=fp32 kernel=[1,4]
// SEQ-NEXT: arith.sub {{.*}} res0_addr=[[SM]] res0_shape=[1,4,1,4] res0_prec=fp32 {{.*}} opd1_layout=free
// SEQ:      sfu.taylor {{.*}} res0_shape=[1,4,1,4] res0_prec=fp32
// SEQ:      pord.avgpooling {{.*}} res0_shape=[1,4,1,1] res0_prec=fp32 opd0_addr=[[SM]] {{.*}} opd1_addr=0x3f800000
// SEQ-NEXT: arith.div {{.*}} res0_addr=[[SM]] res0_shape=[1,4,1,4] res0_prec=fp32 {{.*}} opd1_layout=free
// SEQ-NEXT: arith.cast {{.*}} res0_shape=[1,4,1,4] res0_prec=fp16 opd0_addr=[[SM]] opd0_prec=fp32

// The only f32 DMAs: the net input's load, the dcast's store, the truncf cast's load and the
// net output's store; neither 16-bit layer moves f32.
// NOF32-COUNT-4: dma.tensor {{.*}} dtype=fp32 {{.*}} src_shape=[1,2,2,4]
// NOF32-NOT:     dma.tensor {{.*}} dtype=fp32

// WARN-NOT: warning
