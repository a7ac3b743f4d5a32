// RUN: nntc-opt %s -p 'assign-gmem,lower-to-bm1684x{layer-group=true}' | filecheck %s
// RUN: nntc-opt %s -p 'assign-gmem,lower-to-bm1684x' | filecheck %s --check-prefix=ALONE

// Fits whole: conv (+relu) -> max pool and average pool of the conv -> add (+relu) is one
// layer group, one slice (n_slices = h_slices = 1): everything fits half of local memory, and
// with one tiny tensor no pipelining can hide more than the GDMA's fixed latency. The conv
// result and both pool results stay in local memory: the GDMA loads the weights, the bias and
// the input, and stores only the net's output, once the last ReLU (TIU 6) is done. The pools
// read the conv result where the conv wrote it, with no wait. Bank-aware placement: the conv
// result goes to bank 1 (0x4000, banks are 16 KiB), away from bank 0 where its input and
// weights are; the pools write bank 0 while they read bank 1.
func.func @main(%arg0: tensor<1x4x8x8xf32> {onnx.name = "input"}) -> (tensor<1x4x4x4xf32> {onnx.name = "output"}) {
  %w = top.weight "w" dense<0.5> : tensor<4x4x3x3xf32>
  %b = top.weight "b" dense<0.25> : tensor<4xf32>
  %c = tpu.conv2d %arg0, %w, %b {do_relu = true, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32> loc("conv")
  %p = tpu.maxpool %c {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> loc("pool")
  %q = tpu.avgpool %c {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> loc("avg")
  %s = tpu.add %p, %q {do_relu = true} : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32> loc("add")
  func.return %s : tensor<1x4x4x4xf32>
}

// CHECK:      bm1684x.cmd_group attributes {nntc.layers = "[{\22name\22: \22conv\22, \22tiu\22: [0, 1]}, {\22name\22: \22pool\22, \22tiu\22: [2, 2]}, {\22name\22: \22avg\22, \22tiu\22: [3, 3]}, {\22name\22: \22add\22, \22tiu\22: [4, 5]}, {\22name\22: \22conv\22, \22gdma\22: [0, 2]}, {\22name\22: \22add\22, \22gdma\22: [3, 3]}]", nntc.groups = "[{\22members\22: [\22conv\22, \22pool\22, \22avg\22, \22add\22], \22n_slices\22: 1, \22h_slices\22: 1, {{.*}}}]"} tiu {
// CHECK-NEXT:   bm1684x.tiu.conv normal id 1 wait 3 {res0_addr = 0x4000, res0_shape = [1, 4, 8, 8], {{.*}}, opd0_addr = 0x100, {{.*}}}
// CHECK-NEXT:   bm1684x.tiu.ar max id 2 wait 0 {{{.*}} res0_addr = 0x4000, {{.*}}}
// CHECK-NEXT:   bm1684x.tiu.pord maxpooling id 3 wait 0 {res0_addr = 0x200, res0_shape = [1, 4, 4, 4], {{.*}}, opd0_addr = 0x4000, {{.*}}}
// CHECK-NEXT:   bm1684x.tiu.pord avgpooling id 4 wait 0 {res0_addr = 0x240, res0_shape = [1, 4, 4, 4], {{.*}}, opd0_addr = 0x4000, {{.*}}}
// CHECK-NEXT:   bm1684x.tiu.ar add id 5 wait 0 {opd_num = 2, res0_addr = 0x200, {{.*}}, opd0_addr = 0x200, {{.*}}, opd1_addr = 0x240, {{.*}}}
// CHECK-NEXT:   bm1684x.tiu.ar max id 6 wait 0
// CHECK-NEXT:   bm1684x.tiu.sys end id 7 wait 0
// CHECK-NEXT: } gdma {
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 1 wait 0 {{{.*}} src_addr = 0x100000000, src_shape = [1, 4, 4, 9], {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 2 wait 0 {{{.*}} src_shape = [1, 4, 1, 1], {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 3 wait 0 {{{.*}} src_addr = 0x100002000, src_shape = [1, 4, 8, 8], {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 4 wait 6 {{{.*}} src_addr = 0x8000200, src_shape = [1, 4, 4, 4], {{.*}}, dst_addr = 0x100003000, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.sys end id 5 wait 0

// Without the option every op is its own layer: 11 DMAs (the conv result stored once and
// loaded by each pool, both pool results stored and loaded again by the add).
// ALONE:     bm1684x.gdma.tensor plain id 11
// ALONE-NEXT: bm1684x.gdma.sys end id 12
