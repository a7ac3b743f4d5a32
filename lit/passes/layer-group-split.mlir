// RUN: nntc-opt %s -p 'assign-gmem,lower-to-bm1684x{layer-group=true}' | filecheck %s

// Group split: five 256-channel 3x3 convs on 1x256x8x8. Each filter is 36 KiB per lane
// (256 x 256 x 9 f32 over 64 lanes) and a group's weights stay resident whole, so three fit one
// arena (108 KiB of 128 beside 1 KiB activations) and four do not, whatever the slicing: c1-c3
// are one group, c4-c5 a second one in the other half of local memory (0x20000), whose filters
// the GDMA loads while the first group computes. c3's result is stored and loaded back by c4.
// The activations are tiny, so both groups run whole (n_slices = h_slices = 1). Bank-aware
// placement (16 KiB banks): the input is in bank 6 (0x1b000), c1's result in bank 7, c2's
// in bank 6, c3's in bank 7: no conv writes a bank it reads its input from.
func.func @main(%arg0: tensor<1x256x8x8xf32> {onnx.name = "input"}) -> (tensor<1x256x8x8xf32> {onnx.name = "output"}) {
  %w = top.weight "w" dense<0.01> : tensor<256x256x3x3xf32>
  %c1 = tpu.conv2d %arg0, %w {do_relu = true, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x256x8x8xf32>, tensor<256x256x3x3xf32>) -> tensor<1x256x8x8xf32> loc("c1")
  %c2 = tpu.conv2d %c1, %w {do_relu = true, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x256x8x8xf32>, tensor<256x256x3x3xf32>) -> tensor<1x256x8x8xf32> loc("c2")
  %c3 = tpu.conv2d %c2, %w {do_relu = true, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x256x8x8xf32>, tensor<256x256x3x3xf32>) -> tensor<1x256x8x8xf32> loc("c3")
  %c4 = tpu.conv2d %c3, %w {do_relu = true, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x256x8x8xf32>, tensor<256x256x3x3xf32>) -> tensor<1x256x8x8xf32> loc("c4")
  %c5 = tpu.conv2d %c4, %w {do_relu = true, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x256x8x8xf32>, tensor<256x256x3x3xf32>) -> tensor<1x256x8x8xf32> loc("c5")
  func.return %c5 : tensor<1x256x8x8xf32>
}

// CHECK:      nntc.groups = "[{\22members\22: [\22c1\22, \22c2\22, \22c3\22], \22n_slices\22: 1, \22h_slices\22: 1, {{[^}]*}}}, {\22members\22: [\22c4\22, \22c5\22], \22n_slices\22: 1, \22h_slices\22: 1, {{[^}]*}}}]"} tiu {
// CHECK-NEXT:   bm1684x.tiu.conv normal id 1 wait 4 {res0_addr = 0x1c000, {{.*}}, opd0_addr = 0x1b000, {{.*}}, opd1_addr = 0x0, {{.*}}}
// CHECK-NEXT:   bm1684x.tiu.ar max id 2
// CHECK-NEXT:   bm1684x.tiu.conv normal id 3 wait 0 {res0_addr = 0x1b400, {{.*}}, opd0_addr = 0x1c000, {{.*}}, opd1_addr = 0x9000, {{.*}}}
// CHECK-NEXT:   bm1684x.tiu.ar max id 4
// CHECK-NEXT:   bm1684x.tiu.conv normal id 5 wait 0 {res0_addr = 0x1c400, {{.*}}, opd0_addr = 0x1b400, {{.*}}, opd1_addr = 0x12000, {{.*}}}
// CHECK-NEXT:   bm1684x.tiu.ar max id 6
// CHECK-NEXT:   bm1684x.tiu.conv normal id 7 wait 8 {res0_addr = 0x34000, {{.*}}, opd0_addr = 0x32000, {{.*}}, opd1_addr = 0x20000, {{.*}}}
// CHECK-NEXT:   bm1684x.tiu.ar max id 8
// CHECK-NEXT:   bm1684x.tiu.conv normal id 9 wait 0 {res0_addr = 0x32400, {{.*}}, opd0_addr = 0x34000, {{.*}}, opd1_addr = 0x29000, {{.*}}}
// CHECK-NEXT:   bm1684x.tiu.ar max id 10
// CHECK-NEXT:   bm1684x.tiu.sys end id 11
// CHECK-NEXT: } gdma {
// The first group's three filters and its input, the second group's two filters (prefetched
// while the first group computes), c3's store and reload, and the output.
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 1 wait 0 {{{.*}} src_shape = [1, 256, 256, 9], {{.*}} dst_addr = 0x8000000, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 2 wait 0 {{{.*}} src_shape = [1, 256, 256, 9], {{.*}} dst_addr = 0x8009000, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 3 wait 0 {{{.*}} src_shape = [1, 256, 256, 9], {{.*}} dst_addr = 0x8012000, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 4 wait 0 {{{.*}} src_shape = [1, 256, 8, 8], {{.*}} dst_addr = 0x801b000, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 5 wait 0 {{{.*}} src_shape = [1, 256, 256, 9], {{.*}} dst_addr = 0x8020000, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 6 wait 0 {{{.*}} src_shape = [1, 256, 256, 9], {{.*}} dst_addr = 0x8029000, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 7 wait 6 {{{.*}} src_addr = 0x801c400, {{.*}} dst_addr = [[C3:0x[0-9a-f]+]], {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 8 wait 0 {{{.*}} src_addr = [[C3]], {{.*}} dst_addr = 0x8032000, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 9 wait 10 {{{.*}} src_addr = 0x8032400, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.sys end id 10
