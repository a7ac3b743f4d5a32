// lower-int8-to-bm1684x deep prefetch: four 64-channel 3x3 convs on 56x56 keep their results in
// local memory, so each computes for far longer than its coefficients take to load. conv2's
// coefficients load one layer ahead into the bottom of its half (0x0), waiting for the qcast's
// last use of that half; conv3's and conv4's load during conv1 already, two and three layers
// ahead, into a range of half 0 no layer touches until they run (filters at 0x3380 and 0x3600,
// each followed by its per-channel words, one load each, above conv2's accumulator), so they
// wait for nothing (wait=%B0) and conv3 and conv4 read their filters there instead of from the
// bottom of their own halves.
// tests/test_int8_overlap.py checks the simulated results and the GDMA's idle time.
// RUN: nntc-opt %s -p quantize -o %t.mlir
// RUN: nntc-opt %t.mlir -p lower-int8-to-bm1684x -t bm1684x-asm | filecheck %s

func.func @main(%arg0: tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32> {
  %x = top.input %arg0 {calib = #quant.calibration<threshold = 1.27, min = -1.0, max = 1.27>} : tensor<1x64x56x56xf32> loc("x")
  %w1 = top.weight "w1" dense<0.125> : tensor<64x64x3x3xf32> loc("w1")
  %c1 = top.conv %x, %w1 {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, do_relu = true, calib = #quant.calibration<threshold = 4.0, min = 0.0, max = 4.0>} : (tensor<1x64x56x56xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x56x56xf32> loc("conv1")
  %w2 = top.weight "w2" dense<-0.0625> : tensor<64x64x3x3xf32> loc("w2")
  %c2 = top.conv %c1, %w2 {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, do_relu = true, calib = #quant.calibration<threshold = 4.0, min = 0.0, max = 4.0>} : (tensor<1x64x56x56xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x56x56xf32> loc("conv2")
  %w3 = top.weight "w3" dense<0.25> : tensor<64x64x3x3xf32> loc("w3")
  %c3 = top.conv %c2, %w3 {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, do_relu = true, calib = #quant.calibration<threshold = 4.0, min = 0.0, max = 4.0>} : (tensor<1x64x56x56xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x56x56xf32> loc("conv3")
  %w4 = top.weight "w4" dense<0.03125> : tensor<64x64x3x3xf32> loc("w4")
  %c4 = top.conv %c3, %w4 {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, calib = #quant.calibration<threshold = 4.0, min = -4.0, max = 4.0>} : (tensor<1x64x56x56xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x56x56xf32> loc("conv4")
  func.return %c4 : tensor<1x64x56x56xf32>
}

// CHECK:      group 0 tiu=17 gdma=11
// CHECK:      conv.normal {{.*}} opd1_addr=0x20000 kernel=[3,3]
// CHECK:      dma.tensor wait=%B3 {{.*}} dtype=int32 src_addr=0x100013000 src_shape=[1,64,1,4] {{.*}} dst_addr=0x8000240
// CHECK-NEXT: dma.tensor {{.*}} src_addr=0x10000a000 {{.*}} dst_addr=0x8000000
// CHECK:      conv.normal {{.*}} opd1_addr=0x0 kernel=[3,3]
// CHECK-NOT:  dst_addr=0x8020000
// CHECK:      dma.tensor wait=%B0 {{.*}} dtype=int32 src_addr=0x10001d000 {{.*}} dst_addr=0x80035c0
// CHECK-NEXT: dma.tensor wait=%B0 {{.*}} src_addr=0x100014000 {{.*}} dst_addr=0x8003380
// CHECK-NEXT: conv.normal {{.*}} opd1_addr=0x3380 kernel=[3,3]
// CHECK-NOT:  dst_addr=0x8000000
// CHECK:      dma.tensor wait=%B0 {{.*}} dtype=int32 src_addr=0x100027000 {{.*}} dst_addr=0x8003840
// CHECK-NEXT: dma.tensor wait=%B0 {{.*}} src_addr=0x10001e000 {{.*}} dst_addr=0x8003600
// CHECK-NEXT: conv.normal {{.*}} opd1_addr=0x3600 kernel=[3,3]
