// lower-int8-to-bm1684x overlap: a chain qcast -> conv -> conv -> dcast whose intermediate results
// are read only by the next layer stays in local memory: each kept result lies at the top of its
// layer's half (qcast at 0x1ffc0 in half 0, conv1 at 0x3ffc0 in half 1) and the next layer reads
// it there; nothing but the net output is stored to DDR (addresses 0x1...). The next layer's
// coefficients are loaded into the other half while this one computes: conv2's filter goes to
// half 0 right after conv1's first command, waiting only for the qcast's last use of that half.
// A conv's per-channel words (quant.rq1's multiplier, shift, zero point, then the bias) are one
// (c, 4) int32 array, loaded by one command into EU-aligned rows of 16 words (0x20040); the
// rq1 reads them at the row start, the bias add word 3 (0x2004c) with a free stride of a row.
// `store-all` also stores the kept results (the layers still read them from local memory).
// tests/test_int8_overlap.py checks the simulated results and the overlap in cycles.
// RUN: nntc-opt %s -p quantize -o %t.mlir
// RUN: nntc-opt %t.mlir -p lower-int8-to-bm1684x -t bm1684x-asm | filecheck %s
// RUN: nntc-opt %t.mlir -p 'lower-int8-to-bm1684x{store-all=true}' -t bm1684x-asm | filecheck %s --check-prefix=ALL

func.func @main(%arg0: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %x = top.input %arg0 {calib = #quant.calibration<threshold = 1.27, min = -1.0, max = 1.27>} : tensor<1x2x4x4xf32> loc("x")
  %w1 = top.weight "w1" dense<[[[[1.0]], [[-0.5]]], [[[0.0]], [[-2.0]]]]> : tensor<2x2x1x1xf32> loc("w1")
  %c1 = top.conv %x, %w1 {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, do_relu = true, calib = #quant.calibration<threshold = 2.54, min = 0.0, max = 2.54>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32> loc("conv1")
  %w2 = top.weight "w2" dense<[[[[0.5]], [[1.0]]], [[[1.0]], [[-0.25]]]]> : tensor<2x2x1x1xf32> loc("w2")
  %c2 = top.conv %c1, %w2 {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, calib = #quant.calibration<threshold = 3.0, min = -3.0, max = 3.0>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32> loc("conv2")
  func.return %c2 : tensor<1x2x4x4xf32>
}

// CHECK:      group 0 tiu=11 gdma=7
// CHECK:      [[QC:%B[0-9]+]] = arith.cast {{.*}} res0_addr=0x1ffc0 res0_shape=[1,2,4,4] res0_prec=int8
// CHECK-NOT:  dst_addr=0x1
// CHECK:      arith.adds {{.*}} opd0_addr=0x2004c opd0_stride=[0,16,0,0] {{.*}} opd0_layout=free
// CHECK-NOT:  dst_addr=0x1
// CHECK:      quant.rq1 {{.*}} res0_addr=0x3ffc0 {{.*}} opd1_addr=0x20040
// CHECK-NOT:  dst_addr=0x1
// CHECK:      quant.rq1 {{.*}} res0_addr=0x1ffc0
// CHECK-NOT:  dst_addr=0x1
// CHECK:      dma.tensor {{.*}} dtype=int32 src_addr=0x100001000 src_shape=[1,2,1,4] {{.*}} dst_addr=0x8020040 {{.*}} dst_stride=[16,16,4,1]
// CHECK-NEXT: dma.tensor {{.*}} src_addr=0x100000000 {{.*}} dst_addr=0x8020000
// CHECK-NOT:  dst_addr=0x1
// CHECK:      conv.normal {{.*}} opd0_addr=0x1ffc0
// CHECK-NOT:  dst_addr=0x1
// CHECK:      dma.tensor wait=[[QC]] {{.*}} src_addr=0x100002000 {{.*}} dst_addr=0x8000000
// CHECK-NOT:  dst_addr=0x1
// CHECK:      conv.normal {{.*}} opd0_addr=0x3ffc0
// CHECK:      dma.tensor {{.*}} dtype=fp32 src_addr=0x8020000 {{.*}} dst_addr=0x100008000
// CHECK-NOT:  dst_addr=0x1

// ALL:        group 0 tiu=11 gdma=10
// ALL-DAG:    dma.tensor {{.*}} src_addr=0x801ffc0 {{.*}} dst_addr=0x100005000
// ALL-DAG:    conv.normal {{.*}} opd0_addr=0x1ffc0
// ALL-DAG:    dma.tensor {{.*}} src_addr=0x803ffc0 {{.*}} dst_addr=0x100006000
// ALL-DAG:    conv.normal {{.*}} opd0_addr=0x3ffc0
// ALL-DAG:    dma.tensor {{.*}} src_addr=0x801ffc0 {{.*}} dst_addr=0x100007000
// ALL-DAG:    dma.tensor {{.*}} dtype=fp32 {{.*}} dst_addr=0x100008000
