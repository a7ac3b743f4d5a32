// RUN: nntc-opt %s -p 'layer-group,assign-gmem' | filecheck %s --check-prefix=IR
// RUN: nntc-opt %s -p 'layer-group,assign-gmem,lower-to-bm1684x' | filecheck %s --check-prefix=CMD

// The `layer-group` pass prints the decisions (before assign-gmem, which then places each
// group as one step and fills the gmem(...) of its loads and stores): the residual block of
// layer-group-slice-h.mlir becomes one tpu.group of three row slices (the cost model's choice,
// see there), software-pipelined over three stages. Its tpu.load gives, for every slice, the
// input rows the slice needs, halos included: [0, 34), [30, 66), [62, 96), one batch element;
// its tpu.store the 32 output rows each slice writes. lmem(...) is the per-lane offset of
// the buffer (of its first copy: slices alternate between two), gmem(...) the DDR address.
// Weights are read from outside the group (loaded once, resident across slices).
// lower-to-bm1684x then runs the group as given: the same commands as
// lower-to-bm1684x{layer-group=true}, the input slices landing at 0x1200 (= 4608). Only the
// DDR map differs: a and b never leave local memory, so they get no DDR (activation region 0,
// where the layer-by-layer placement reserves two tensors).
func.func @main(%arg0: tensor<1x64x96x96xf32> {onnx.name = "input"}) -> (tensor<1x64x96x96xf32> {onnx.name = "output"}) {
  %w = top.weight "w" dense<0.01> : tensor<64x64x3x3xf32>
  %a = tpu.conv2d %arg0, %w {do_relu = true, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x64x96x96xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x96x96xf32> loc("a")
  %b = tpu.conv2d %a, %w {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x64x96x96xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x96x96xf32> loc("b")
  %s = tpu.add %b, %arg0 {do_relu = true} : (tensor<1x64x96x96xf32>, tensor<1x64x96x96xf32>) -> tensor<1x64x96x96xf32> loc("add")
  func.return %s : tensor<1x64x96x96xf32>
}

// IR:      activation_region_size = 0 : i64, activation_total_size = 0 : i64
// IR:      %w = top.weight "w"
// IR-NEXT: %0 = tpu.group slices(1, 3) -> (tensor<1x64x96x96xf32>) {
// IR-NEXT:   %1 = tpu.load %arg0 lmem(4608) gmem(4295114752) {n_idx = array<i64: 0>, n_slice = array<i64: 1>, h_idx = array<i64: 0, 30, 62>, h_slice = array<i64: 34, 36, 34>} : tensor<1x64x96x96xf32>
// IR-NEXT:   %a = tpu.conv2d %1, %w
// IR-NEXT:   %b = tpu.conv2d %a, %w
// IR-NEXT:   %s = tpu.add %b, %1
// IR-NEXT:   %2 = tpu.store %s lmem(49152) gmem(4297474048) {n_idx = array<i64: 0>, n_slice = array<i64: 1>, h_idx = array<i64: 0, 32, 64>, h_slice = array<i64: 32, 32, 32>} : tensor<1x64x96x96xf32>
// IR-NEXT:   tpu.yield %2 : tensor<1x64x96x96xf32>
// IR-NEXT: }
// IR-NEXT: func.return %0 : tensor<1x64x96x96xf32>

// CMD:      nntc.groups = "[{\22members\22: [\22a\22, \22b\22, \22add\22], \22n_slices\22: 1, \22h_slices\22: 3, {{[^}]*}}}]"} tiu {
// CMD-NEXT:   bm1684x.tiu.conv normal id 1 wait 3 {res0_addr = 0x8000, res0_shape = [1, 64, 33, 96], {{.*}}, opd0_addr = 0x1200, opd0_shape = [64, 34, 96], {{.*}}}
// CMD:        bm1684x.tiu.ar add id 4 wait 0 {{{.*}} opd1_addr = 0x1200, opd1_stride = [3264, 3264, 96, 1], {{.*}}}
// CMD:        bm1684x.tiu.ar add id 9 wait 0 {{{.*}} opd1_addr = 0x4b00, opd1_stride = [3456, 3456, 96, 1], {{.*}}}
// CMD:        bm1684x.tiu.sys end id 16
// CMD:        bm1684x.gdma.tensor plain id 3 wait 0 {{{.*}} src_addr = 0x100024000, src_shape = [1, 64, 34, 96], {{.*}} dst_addr = 0x8001200, {{.*}}}
// CMD-NEXT:   bm1684x.gdma.tensor plain id 4 wait 0 {{{.*}} src_addr = 0x100026d00, src_shape = [1, 64, 36, 96], {{.*}} dst_addr = 0x8004800, {{.*}}}
// CMD:        bm1684x.gdma.sys end id 9
