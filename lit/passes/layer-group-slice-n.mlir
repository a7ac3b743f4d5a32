// RUN: nntc-opt %s -p 'assign-gmem,lower-to-bm1684x{layer-group=true}' | filecheck %s

// Sliced by N: depthwise 1x3 conv (+relu) -> 1x2 max pool on 4x64x1x6144. With one row there
// is nothing to cut along H; one batch element is 24 KiB per lane (12 KiB for the pool's
// result), the whole batch 96 KiB, so input, conv result and pool result do not fit 128 KiB
// together, nor do two elements with the double buffers; one element does: n_slices = 4.
// The kernel is loaded once (GDMA 1); the input of element i + 1 loads (into 0x40 and 0x6040
// in turn) while element i computes, and the pool results alternate (0xc040, 0x18000) so that
// element i - 1 stores meanwhile. The conv result goes to bank 4 (0x10000), clear of the
// input buffers' banks 0-2. DDR offsets step by one element (64 x 6144 x 4 = 0x180000
// bytes in, 0xc0000 out).
func.func @main(%arg0: tensor<4x64x1x6144xf32> {onnx.name = "input"}) -> (tensor<4x64x1x3072xf32> {onnx.name = "output"}) {
  %k = top.weight "k" dense<0.25> : tensor<64x1x1x3xf32>
  %d = tpu.conv2d %arg0, %k {group = 64 : i64, do_relu = true, pads = array<i64: 0, 1, 0, 1>} : (tensor<4x64x1x6144xf32>, tensor<64x1x1x3xf32>) -> tensor<4x64x1x6144xf32> loc("dw")
  %p = tpu.maxpool %d {kernel_shape = array<i64: 1, 2>, strides = array<i64: 1, 2>} : (tensor<4x64x1x6144xf32>) -> tensor<4x64x1x3072xf32> loc("pool")
  func.return %p : tensor<4x64x1x3072xf32>
}

// CHECK:      nntc.groups = "[{\22members\22: [\22dw\22, \22pool\22], \22n_slices\22: 4, \22h_slices\22: 1, {{[^}]*}}}]"} tiu {
// CHECK-NEXT:   bm1684x.tiu.pord depthwiserelu id 1 wait 2 {res0_addr = [[D:0x[0-9a-f]+]], res0_shape = [1, 64, 1, 6144], {{.*}}, opd0_addr = 0x40, {{.*}}}
// CHECK-NEXT:   bm1684x.tiu.pord maxpooling id 2 wait 0 {res0_addr = 0xc040, res0_shape = [1, 64, 1, 3072], {{.*}}, opd0_addr = [[D]], {{.*}}}
// CHECK-NEXT:   bm1684x.tiu.pord depthwiserelu id 3 wait 3 {res0_addr = [[D]], {{.*}}, opd0_addr = 0x6040, {{.*}}}
// CHECK-NEXT:   bm1684x.tiu.pord maxpooling id 4 wait 0 {res0_addr = 0x18000, {{.*}}, opd0_addr = [[D]], {{.*}}}
// CHECK-NEXT:   bm1684x.tiu.pord depthwiserelu id 5 wait 5 {res0_addr = [[D]], {{.*}}, opd0_addr = 0x40, {{.*}}}
// CHECK-NEXT:   bm1684x.tiu.pord maxpooling id 6 wait 0 {res0_addr = 0xc040, {{.*}}}
// CHECK-NEXT:   bm1684x.tiu.pord depthwiserelu id 7 wait 7 {res0_addr = [[D]], {{.*}}, opd0_addr = 0x6040, {{.*}}}
// CHECK-NEXT:   bm1684x.tiu.pord maxpooling id 8 wait 0 {res0_addr = 0x18000, {{.*}}}
// CHECK-NEXT:   bm1684x.tiu.sys end id 9
// CHECK-NEXT: } gdma {
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 1 wait 0 {{{.*}} src_shape = [1, 64, 1, 3], {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 2 wait 0 {{{.*}} src_addr = 0x100001000, src_shape = [1, 64, 1, 6144], {{.*}} dst_addr = 0x8000040, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 3 wait 0 {{{.*}} src_addr = 0x100181000, src_shape = [1, 64, 1, 6144], {{.*}} dst_addr = 0x8006040, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 4 wait 2 {{{.*}} src_addr = 0x800c040, src_shape = [1, 64, 1, 3072], {{.*}} dst_addr = 0x100601000, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 5 wait 0 {{{.*}} src_addr = 0x100301000, {{.*}} dst_addr = 0x8000040, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 6 wait 4 {{{.*}} src_addr = 0x8018000, {{.*}} dst_addr = 0x1006c1000, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 7 wait 0 {{{.*}} src_addr = 0x100481000, {{.*}} dst_addr = 0x8006040, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 8 wait 6 {{{.*}} src_addr = 0x800c040, {{.*}} dst_addr = 0x100781000, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 9 wait 8 {{{.*}} src_addr = 0x8018000, {{.*}} dst_addr = 0x100841000, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.sys end id 10
