// lower-int8-to-bm1684x holds a residual block's input in local memory until its add. quantize
// gives the add its own qcast of x (layer 0, half 0) besides conv1's (layer 1, half 1); the
// add (layer 4, half 0) reads it four layers later. It stays at the top of half 0 (0x1ffc0)
// and is never stored to DDR (addresses 0x1...): conv1 (layer 2), which works in the same
// half in between, allocates below it (its result at 0x1ff80), and so does the add itself.
// Only the net output is stored. tests/test_int8_overlap.py checks such nets bit for bit.
// RUN: nntc-opt %s -p quantize -o %t.mlir
// RUN: nntc-opt %t.mlir -p lower-int8-to-bm1684x -t bm1684x-asm | filecheck %s

func.func @main(%arg0: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %x = top.input %arg0 {calib = #quant.calibration<threshold = 1.27, min = -1.0, max = 1.27>} : tensor<1x2x4x4xf32> loc("x")
  %w1 = top.weight "w1" dense<[[[[1.0]], [[-0.5]]], [[[0.0]], [[-2.0]]]]> : tensor<2x2x1x1xf32> loc("w1")
  %c1 = top.conv %x, %w1 {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, do_relu = true, calib = #quant.calibration<threshold = 2.54, min = 0.0, max = 2.54>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32> loc("conv1")
  %w2 = top.weight "w2" dense<[[[[0.5]], [[1.0]]], [[[1.0]], [[-0.25]]]]> : tensor<2x2x1x1xf32> loc("w2")
  %c2 = top.conv %c1, %w2 {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, calib = #quant.calibration<threshold = 3.0, min = -3.0, max = 3.0>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32> loc("conv2")
  %s = top.add %c2, %x {calib = #quant.calibration<threshold = 4.0, min = -4.0, max = 4.0>} : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> loc("sum")
  func.return %s : tensor<1x2x4x4xf32>
}

// CHECK:      group 0 tiu=18 gdma=8
// CHECK:      arith.cast {{.*}} res0_addr=0x1ffc0 res0_shape=[1,2,4,4] res0_prec=int8
// CHECK-NOT:  dst_addr=0x1
// CHECK:      arith.cast {{.*}} res0_addr=0x3ffc0 res0_shape=[1,2,4,4] res0_prec=int8
// CHECK-NOT:  dst_addr=0x1
// CHECK:      quant.rq1 {{.*}} res0_addr=0x1ff80
// CHECK-NOT:  dst_addr=0x1
// CHECK:      quant.rq1 {{.*}} res0_addr=0x3ffc0
// CHECK-NOT:  dst_addr=0x1
// CHECK:      arith.mul {{.*}} opd0_addr=0x3ffc0 opd0_prec=int8
// CHECK-NEXT: arith.mul {{.*}} opd0_addr=0x1ffc0 opd0_prec=int8
// CHECK-NOT:  dst_addr=0x1
// CHECK:      quant.dq0 {{.*}} opd0_addr=0x1ff80
// CHECK-NOT:  dst_addr=0x1
// CHECK:      conv.normal {{.*}} opd0_addr=0x3ffc0
// CHECK-NOT:  dst_addr=0x1
// CHECK:      conv.normal {{.*}} opd0_addr=0x1ff80
// CHECK-NEXT: dma.tensor {{.*}} dtype=fp32 src_addr=0x8020000 {{.*}} dst_addr=0x10000a000
// CHECK-NOT:  dst_addr=0x1
