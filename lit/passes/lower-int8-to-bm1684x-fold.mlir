// lower-int8-to-bm1684x: a conv with few input channels folds its kernel rows into the channels
// (`_kh_fold`, TPU-MLIR's "3ic"): the stem's 3 x 3 kernel over 3 channels becomes a 1 x 3
// kernel over 9 channels, channel ky * 3 + c holding the input rows kernel row ky reads. The
// qcast result stays in local memory (0x1ffc0), so the three row-shifted copies are local
// GDMA copies onto lanes 0, 3 and 6 (0x8000000 + lane * 0x40000); the padding rows they leave
// (row 0 of ky = 0, row 5 of ky = 2) are zeros, written first by an arith.mul by 0. The conv
// then has no vertical window or padding. A filter of at least 64 KiB over two or more lane
// rows is loaded in output-channel chunks (`_oc_chunks`), each conv chunk waiting only for its
// own part. tests/test_int8_bitexact.py checks a folded ResNet stem bit for bit.
// RUN: nntc-opt %s -p quantize -o %t.mlir
// RUN: nntc-opt %t.mlir -p lower-int8-to-bm1684x -t bm1684x-asm | filecheck %s

func.func @main(%arg0: tensor<1x3x6x6xf32>) -> tensor<1x128x6x6xf32> {
  %x = top.input %arg0 {calib = #quant.calibration<threshold = 1.27, min = -1.0, max = 1.27>} : tensor<1x3x6x6xf32> loc("x")
  %w1 = top.weight "w1" dense<0.03125> : tensor<1024x3x3x3xf32> loc("w1")
  %c1 = top.conv %x, %w1 {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, calib = #quant.calibration<threshold = 2.54, min = -2.0, max = 2.54>} : (tensor<1x3x6x6xf32>, tensor<1024x3x3x3xf32>) -> tensor<1x1024x6x6xf32> loc("stem")
  %w2 = top.weight "w2" dense<0.0625> : tensor<128x1024x1x1xf32> loc("w2")
  %c2 = top.conv %c1, %w2 {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, calib = #quant.calibration<threshold = 3.0, min = -3.0, max = 3.0>} : (tensor<1x1024x6x6xf32>, tensor<128x1024x1x1xf32>) -> tensor<1x128x6x6xf32> loc("wide")
  func.return %c2 : tensor<1x128x6x6xf32>
}

// CHECK:      group 0
// CHECK:      [[ZERO:%B[0-9]+]] = arith.mul {{.*}} res0_addr=0x21000 res0_shape=[1,9,6,6] res0_prec=int8 opd0_addr=0x21000 {{.*}} opd1_const=true
// CHECK:      dma.tensor wait=[[ZERO]] {{.*}} src_addr=0x801ffc0 src_shape=[1,3,5,6] {{.*}} dst_addr=0x8021006
// CHECK-NEXT: dma.tensor {{.*}} src_addr=0x801ffc0 src_shape=[1,3,6,6] {{.*}} dst_addr=0x80e1000
// CHECK-NEXT: [[KY2:%D[0-9]+]] = dma.tensor {{.*}} src_addr=0x801ffc6 src_shape=[1,3,5,6] {{.*}} dst_addr=0x81a1000
// CHECK-NEXT: conv.normal wait=[[KY2]] {{.*}} res0_shape=[1,1024,6,6] {{.*}} opd0_addr=0x21000 opd0_shape=[9,6,6] {{.*}} kernel=[1,3] {{.*}} pad=[0,0,1,1]
// CHECK:      [[C0:%D[0-9]+]] = dma.tensor {{.*}} src_shape=[1,64,1,1024] {{.*}} dst_addr=0x8000000
// CHECK-NEXT: conv.normal wait=[[C0]] {{.*}} res0_shape=[1,64,6,6] {{.*}} opd1_addr=0x0 kernel=[1,1]
// CHECK-NEXT: [[C1:%D[0-9]+]] = dma.tensor {{.*}} src_shape=[1,64,1,1024] {{.*}} dst_addr=0x8000400
// CHECK-NEXT: conv.normal wait=[[C1]] {{.*}} res0_shape=[1,64,6,6] {{.*}} opd1_addr=0x400 kernel=[1,1]
