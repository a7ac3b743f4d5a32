// RUN: nntc-opt %s -p 'assign-gmem,lower-to-bm1684x{layer-group=true}' | filecheck %s

// Group split: four 3x3 convs on 1x64x96x96 (36 KiB per lane a tensor, 2.25 KiB of weights).
// c1 and c2 fit one arena (input, c1 result, c2 result and both filters: 112.5 KiB of 128);
// c3 does not fit beside them, so it starts the second group, in the other half of local
// memory (0x20000). c1's result stays local; c2's is stored and loaded back by c3.
func.func @main(%arg0: tensor<1x64x96x96xf32> {onnx.name = "input"}) -> (tensor<1x64x96x96xf32> {onnx.name = "output"}) {
  %w = top.weight "w" dense<0.01> : tensor<64x64x3x3xf32>
  %c1 = tpu.conv2d %arg0, %w {do_relu = true, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x64x96x96xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x96x96xf32> loc("c1")
  %c2 = tpu.conv2d %c1, %w {do_relu = true, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x64x96x96xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x96x96xf32> loc("c2")
  %c3 = tpu.conv2d %c2, %w {do_relu = true, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x64x96x96xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x96x96xf32> loc("c3")
  %c4 = tpu.conv2d %c3, %w {do_relu = true, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x64x96x96xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x96x96xf32> loc("c4")
  func.return %c4 : tensor<1x64x96x96xf32>
}

// CHECK:      tiu {
// CHECK-NEXT:   bm1684x.tiu.conv normal id 1 wait 3 {res0_addr = 0x9900, {{.*}}, opd0_addr = 0x900, {{.*}}}
// CHECK-NEXT:   bm1684x.tiu.ar max id 2
// CHECK-NEXT:   bm1684x.tiu.conv normal id 3 wait 0 {res0_addr = 0x13200, {{.*}}, opd0_addr = 0x9900, {{.*}}}
// CHECK-NEXT:   bm1684x.tiu.ar max id 4
// CHECK-NEXT:   bm1684x.tiu.conv normal id 5 wait 7 {res0_addr = 0x29900, {{.*}}, opd0_addr = 0x20900, {{.*}}}
// CHECK-NEXT:   bm1684x.tiu.ar max id 6
// CHECK-NEXT:   bm1684x.tiu.conv normal id 7 wait 0 {res0_addr = 0x33200, {{.*}}, opd0_addr = 0x29900, {{.*}}}
// CHECK-NEXT:   bm1684x.tiu.ar max id 8
// CHECK-NEXT:   bm1684x.tiu.sys end id 9
// CHECK-NEXT: } gdma {
// The first group's filters and input, then the second group's filters (prefetched while the
// first group computes), c2's store and reload, and the output.
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 1 wait 0 {{{.*}} src_shape = [1, 64, 64, 9], {{.*}} dst_addr = 0x8000000, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 2 wait 0 {{{.*}} src_shape = [1, 64, 64, 9], {{.*}} dst_addr = 0x8012900, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 3 wait 0 {{{.*}} src_shape = [1, 64, 96, 96], {{.*}} dst_addr = 0x8000900, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 4 wait 0 {{{.*}} src_shape = [1, 64, 64, 9], {{.*}} dst_addr = 0x8020000, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 5 wait 0 {{{.*}} src_shape = [1, 64, 64, 9], {{.*}} dst_addr = 0x8032900, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 6 wait 4 {{{.*}} src_addr = 0x8013200, {{.*}} dst_addr = [[C2:0x[0-9a-f]+]], {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 7 wait 0 {{{.*}} src_addr = [[C2]], {{.*}} dst_addr = 0x8020900, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 8 wait 8 {{{.*}} src_addr = 0x8033200, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.sys end id 9
