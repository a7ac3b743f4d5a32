// RUN: nntc-opt %s -p 'assign-gmem' | filecheck %s --check-prefix=LAYERS
// RUN: nntc-opt %s -p 'assign-gmem,lower-to-bm1684x{layer-group=true}' | filecheck %s --check-prefix=WHOLE
// RUN: nntc-opt %s -p 'layer-group,assign-gmem' | filecheck %s --check-prefix=IR
// RUN: nntc-opt %s -p 'layer-group,assign-gmem,lower-to-bm1684x' | filecheck %s --check-prefix=CMD
// RUN: nntc-opt %s -p 'layer-group,assign-gmem' | sed 's/gmem(4302192640)/gmem(4299833344)/' | not nntc-opt -p lower-to-bm1684x 2>&1 | filecheck %s --check-prefix=EDITED

// A group whose stored result would overlap an input that dies inside it. The two convs a, c
// (3x3, 64 channels, 96x96) form one group reading %y and storing %c (the sigmoids cannot join).
// Placed layer by layer (LAYERS), %y dies at a, so c, defined after, reuses its DDR: both
// at 4299833344. Sliced by rows, slice 0's store would then overwrite rows of %y slice 1 still
// has to load, so lower-to-bm1684x{layer-group=true}, which groups after that placement, may
// only run it whole, which the cost model does not take: no group at all in the second run,
// a and c run as two layers with %a going to DDR and back.
// With layer-group before assign-gmem (IR), the group is one step for the addresses: %y lives
// until the group's stores are done, so %c is placed apart (its load reads 4299833344, its
// store writes 4302192640) and the group is sliced in three row slices (the cost model's
// choice, as in layer-group-slice-h.mlir). %a stays in local memory and gets no DDR, so the
// activation region is two tensors either way.
func.func @main(%arg0: tensor<1x64x96x96xf32> {onnx.name = "input"}) -> (tensor<1x64x96x96xf32> {onnx.name = "output"}) {
  %w = top.weight "w" dense<0.01> : tensor<64x64x3x3xf32>
  %y = tpu.sigmoid %arg0 : tensor<1x64x96x96xf32> loc("y")
  %a = tpu.conv2d %y, %w {do_relu = true, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x64x96x96xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x96x96xf32> loc("a")
  %c = tpu.conv2d %a, %w {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x64x96x96xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x96x96xf32> loc("c")
  %z = tpu.sigmoid %c : tensor<1x64x96x96xf32> loc("z")
  func.return %z : tensor<1x64x96x96xf32>
}

// LAYERS:      %y = tpu.sigmoid %arg0 {nntc.gmem_addr = [[Y:[0-9]+]] : i64}
// LAYERS:      %c = tpu.conv2d %a, %w {nntc.gmem_addr = [[Y]] : i64,

// WHOLE-NOT: nntc.groups
// WHOLE:     bm1684x.tiu.conv

// IR:      %y = tpu.sigmoid %arg0 {nntc.gmem_addr = 4299833344 : i64}
// IR-NEXT: %0 = tpu.group slices(1, 3) -> (tensor<1x64x96x96xf32>) {
// IR-NEXT:   %1 = tpu.load %y lmem({{[0-9]+}}) gmem(4299833344) {{{.*}}h_idx = array<i64: 0, 30, 62>, h_slice = array<i64: 34, 36, 34>}
// IR-NEXT:   %a = tpu.conv2d %1, %w {do_relu = true,
// IR-NEXT:   %c = tpu.conv2d %a, %w {pads
// IR-NEXT:   %2 = tpu.store %c lmem({{[0-9]+}}) gmem(4302192640) {{{.*}}h_idx = array<i64: 0, 32, 64>, h_slice = array<i64: 32, 32, 32>}
// IR-NEXT:   tpu.yield %2
// IR-NEXT: }
// IR-NEXT: %z = tpu.sigmoid %0 {nntc.gmem_addr = 4297474048 : i64}

// CMD: nntc.groups = "[{\22members\22: [\22a\22, \22c\22], \22n_slices\22: 1, \22h_slices\22: 3,

// The lowering still checks the addresses it is given: the store edited onto the load's DDR,
// the group cannot run sliced.
// EDITED: tpu.group starting at tpu.conv2d#0: cannot run as (1, 3) slices: a result's DDR overlaps an input's: it cannot be sliced
