// RUN: nntc-opt %s -p 'assign-gmem,lower-to-bm1684x{layer-group=true}' | filecheck %s

// Sliced by H: a residual block, 3x3 conv a (+relu) -> 3x3 conv b -> add(b, input) (+relu),
// on 1x64x96x96. Whole, the group fits (input, a and b are 36 KiB per lane each, the filters
// 4.5 KiB), but then its input load and its output store overlap nothing. The cost model
// (simulator cycles: max(TIU, GDMA) plus the first slice's loads and the last slice's stores)
// gives 739680 whole, 710668 in two slices and 705464 in three, so h_slices = 3 of 32 output
// rows. Rows are computed backwards: the add needs rows [32, 64) of b
// and of the input, b needs [31, 65) of a, a needs [30, 66) of the input: the input slice holds
// the hull, 36 rows (34 at the borders, where the conv pads instead: pad = [1, 0] on top,
// [0, 1] at the bottom, [0, 0] in the middle). The add reads its 32 rows of the taller input
// buffer through a free-stride view two rows in (0x4800 + 2 x 96 x 4 = 0x4b00). Both filters
// are loaded once (GDMA 1-2) and stay resident across slices; input slices alternate between
// two buffers (0x1200, 0x4800) so that slice i + 1 loads while slice i computes, and the
// results alternate likewise (0xc000, 0xf000) so that slice i - 1 stores meanwhile. Banks
// (16 KiB): the input buffers are in banks 0-1, a's result in bank 2, b's (and the add's, in
// place) in banks 3-4: each conv writes banks it does not read.
func.func @main(%arg0: tensor<1x64x96x96xf32> {onnx.name = "input"}) -> (tensor<1x64x96x96xf32> {onnx.name = "output"}) {
  %w = top.weight "w" dense<0.01> : tensor<64x64x3x3xf32>
  %a = tpu.conv2d %arg0, %w {do_relu = true, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x64x96x96xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x96x96xf32> loc("a")
  %b = tpu.conv2d %a, %w {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x64x96x96xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x96x96xf32> loc("b")
  %s = tpu.add %b, %arg0 {do_relu = true} : (tensor<1x64x96x96xf32>, tensor<1x64x96x96xf32>) -> tensor<1x64x96x96xf32> loc("add")
  func.return %s : tensor<1x64x96x96xf32>
}

// CHECK:      nntc.groups = "[{\22members\22: [\22a\22, \22b\22, \22add\22], \22n_slices\22: 1, \22h_slices\22: 3, {{[^}]*}}}]"} tiu {
// CHECK-NEXT:   bm1684x.tiu.conv normal id 1 wait 3 {res0_addr = [[A:0x[0-9a-f]+]], res0_shape = [1, 64, 33, 96], {{.*}}, opd0_addr = 0x1200, opd0_shape = [64, 34, 96], {{.*}}, pad = [1, 0, 1, 1]}
// CHECK-NEXT:   bm1684x.tiu.ar max id 2
// CHECK-NEXT:   bm1684x.tiu.conv normal id 3 wait 0 {res0_addr = 0xc000, res0_shape = [1, 64, 32, 96], {{.*}}, opd0_addr = [[A]], opd0_shape = [64, 33, 96], {{.*}}, pad = [1, 0, 1, 1]}
// CHECK-NEXT:   bm1684x.tiu.ar add id 4 wait 0 {opd_num = 2, res0_addr = 0xc000, res0_shape = [1, 64, 32, 96], {{.*}}, opd0_addr = 0xc000, {{.*}}, opd1_addr = 0x1200, opd1_stride = [3264, 3264, 96, 1], {{.*}}, opd1_layout = free, {{.*}}}
// CHECK-NEXT:   bm1684x.tiu.ar max id 5
// CHECK-NEXT:   bm1684x.tiu.conv normal id 6 wait 4 {res0_addr = [[A]], res0_shape = [1, 64, 34, 96], {{.*}}, opd0_addr = 0x4800, opd0_shape = [64, 36, 96], {{.*}}, pad = [0, 0, 1, 1]}
// CHECK-NEXT:   bm1684x.tiu.ar max id 7
// CHECK-NEXT:   bm1684x.tiu.conv normal id 8 wait 0 {res0_addr = 0xf000, res0_shape = [1, 64, 32, 96], {{.*}}, opd0_addr = [[A]], opd0_shape = [64, 34, 96], {{.*}}, pad = [0, 0, 1, 1]}
// CHECK-NEXT:   bm1684x.tiu.ar add id 9 wait 0 {opd_num = 2, res0_addr = 0xf000, {{.*}}, opd1_addr = 0x4b00, opd1_stride = [3456, 3456, 96, 1], {{.*}}, opd1_layout = free, {{.*}}}
// CHECK-NEXT:   bm1684x.tiu.ar max id 10
// CHECK-NEXT:   bm1684x.tiu.conv normal id 11 wait 6 {res0_addr = [[A]], res0_shape = [1, 64, 33, 96], {{.*}}, opd0_addr = 0x1200, opd0_shape = [64, 34, 96], {{.*}}, pad = [0, 1, 1, 1]}
// CHECK-NEXT:   bm1684x.tiu.ar max id 12
// CHECK-NEXT:   bm1684x.tiu.conv normal id 13 wait 0 {res0_addr = 0xc000, res0_shape = [1, 64, 32, 96], {{.*}}, pad = [0, 1, 1, 1]}
// CHECK-NEXT:   bm1684x.tiu.ar add id 14 wait 0 {opd_num = 2, res0_addr = 0xc000, {{.*}}, opd1_addr = 0x1500, opd1_stride = [3264, 3264, 96, 1], {{.*}}}
// CHECK-NEXT:   bm1684x.tiu.ar max id 15
// CHECK-NEXT:   bm1684x.tiu.sys end id 16
// CHECK-NEXT: } gdma {
// The filters once; input rows [0, 34), [30, 66), [62, 96) (DDR offsets 0, 30 and 62 rows of
// 384 bytes); output rows [0, 32), [32, 64), [64, 96), each store after its slice's add.
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 1 wait 0 {{{.*}} src_shape = [1, 64, 64, 9], {{.*}} dst_addr = 0x8000000, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 2 wait 0 {{{.*}} src_shape = [1, 64, 64, 9], {{.*}} dst_addr = 0x8000900, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 3 wait 0 {{{.*}} src_addr = 0x100024000, src_shape = [1, 64, 34, 96], {{.*}} dst_addr = 0x8001200, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 4 wait 0 {{{.*}} src_addr = 0x100026d00, src_shape = [1, 64, 36, 96], {{.*}} dst_addr = 0x8004800, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 5 wait 5 {{{.*}} src_addr = 0x800c000, src_shape = [1, 64, 32, 96], {{.*}} dst_addr = 0x100264000, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 6 wait 0 {{{.*}} src_addr = 0x100029d00, src_shape = [1, 64, 34, 96], {{.*}} dst_addr = 0x8001200, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 7 wait 10 {{{.*}} src_addr = 0x800f000, src_shape = [1, 64, 32, 96], {{.*}} dst_addr = 0x100267000, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 8 wait 15 {{{.*}} src_addr = 0x800c000, src_shape = [1, 64, 32, 96], {{.*}} dst_addr = 0x10026a000, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.sys end id 9
