// RUN: nntc-opt %s -p 'assign-gmem,lower-to-bm1684x' | filecheck %s
// RUN: nntc-opt %s -p 'assign-gmem,lower-to-bm1684x' -t bmodel -o %t.bmodel
// RUN: nntc-model --info %t.bmodel | filecheck %s --check-prefix=INFO

// conv (+relu) -> max pool and average pool of the conv -> add (+relu): one layer per op, each
// in its half of local memory; the GDMA waits for the TIU command whose result it stores, the
// TIU for the load of its operands. The pool of layer 2 reads what layer 1 stored to DDR.
func.func @main(%arg0: tensor<1x4x8x8xf32> {onnx.name = "input"}) -> (tensor<1x4x4x4xf32> {onnx.name = "output"}) {
  %w = top.weight "w" dense<0.5> : tensor<4x4x3x3xf32>
  %b = top.weight "b" dense<0.25> : tensor<4xf32>
  %c = tpu.conv2d %arg0, %w, %b {do_relu = true, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32> loc("conv")
  %p = tpu.maxpool %c {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> loc("pool")
  %q = tpu.avgpool %c {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> loc("avg")
  %s = tpu.add %p, %q {do_relu = true} : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32> loc("add")
  func.return %s : tensor<1x4x4x4xf32>
}

// CHECK:      bm1684x.model attributes {neuron_size = 20480 : i64, device_num = 1 : i64} {
// CHECK-NEXT:   bm1684x.net "main" {
// CHECK-NEXT:     bm1684x.stage attributes {ctx_addr = 4294975488 : i64, ctx_size = 20480 : i64, {{.*}}} {
// CHECK-NEXT:       bm1684x.input_tensor "input" {dtype = "float32", shape = array<i64: 1, 4, 8, 8>, device_addr = 4294975488 : i64, size = 1024 : i64, mem_type = 1 : i64}
// CHECK-NEXT:       bm1684x.output_tensor "output" {dtype = "float32", shape = array<i64: 1, 4, 4, 4>, device_addr = 4294979584 : i64, size = 256 : i64, mem_type = 1 : i64}
// CHECK-NEXT:       bm1684x.coeff_mem {address = 4294967296 : i64, weight_name = "main.coeff", locations = [#bm1684x.loc<"w", 0, 576>, #bm1684x.loc<"b", 4096, 16>]}
// CHECK-NEXT:       bm1684x.cmd_group attributes {nntc.layers = "[{\22name\22: \22conv\22, \22tiu\22: [0, 1]}, {{.*}}"} tiu {
// CHECK-NEXT:         bm1684x.tiu.conv normal id 1 wait 3 {res0_addr = 0x200, res0_shape = [1, 4, 8, 8], res0_prec = fp32, opd0_addr = 0x100, opd0_shape = [4, 8, 8], opd0_prec = fp32, opd1_addr = 0x0, kernel = [3, 3], opd2_addr = 0xc0, opd3_const = true, pad = [1, 1, 1, 1]}
// CHECK-NEXT:         bm1684x.tiu.ar max id 2 wait 0 {opd_num = 2, res0_addr = 0x200, {{.*}}, opd1_const = true, opd1_sign = true}
// CHECK-NEXT:         bm1684x.tiu.pord maxpooling id 3 wait 5 {res0_addr = 0x20100, res0_shape = [1, 4, 4, 4], {{.*}}, opd3_addr = 0xff7fffff, opd3_const = true, stride = [2, 2]}
// CHECK-NEXT:         bm1684x.tiu.pord avgpooling id 4 wait 7 {{{.*}} opd1_addr = 0x3e800000, opd1_const = true, {{.*}}}
// CHECK-NEXT:         bm1684x.tiu.ar add id 5 wait 10 {opd_num = 2, res0_addr = 0x20000, {{.*}}, opd1_addr = 0x20040, {{.*}}}
// CHECK-NEXT:         bm1684x.tiu.ar max id 6 wait 0
// CHECK-NEXT:         bm1684x.tiu.sys end id 7 wait 0 {cmd_id_en = 0}
// CHECK-NEXT:       } gdma {
// Weights and bias (compact, [1, oc, ic, kh*kw] and 1 x oc x 1 x 1), then the input.
// CHECK-NEXT:         bm1684x.gdma.tensor plain id 1 wait 0 {{{.*}} src_addr = 0x100000000, src_shape = [1, 4, 4, 9], src_stride = [0, 36, 9, 1], dst_addr = 0x8000000, {{.*}} dst_stride = [36, 36, 9, 1]}
// CHECK-NEXT:         bm1684x.gdma.tensor plain id 2 wait 0 {{{.*}} src_shape = [1, 4, 1, 1], {{.*}}}
// CHECK-NEXT:         bm1684x.gdma.tensor plain id 3 wait 0 {{{.*}} src_addr = 0x100002000, src_shape = [1, 4, 8, 8], {{.*}}}
// The conv result is stored once the ReLU (TIU 2) is done.
// CHECK-NEXT:         bm1684x.gdma.tensor plain id 4 wait 2 {{{.*}} src_addr = 0x8000200, {{.*}}, dst_addr = 0x100004000, {{.*}}}
// CHECK:              bm1684x.gdma.tensor plain id 11 wait 6 {{{.*}} dst_addr = 0x100003000, {{.*}}}
// CHECK-NEXT:         bm1684x.gdma.sys end id 12 wait 0

// INFO:      net 0: [main]  static
// INFO:      input: input, [1, 4, 8, 8], float32
// INFO-NEXT: output: output, [1, 4, 4, 4], float32
