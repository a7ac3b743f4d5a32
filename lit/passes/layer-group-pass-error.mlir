// RUN: not nntc-opt %s -p 'lower-to-bm1684x' 2>&1 | filecheck %s
// RUN: not nntc-opt %S/layer-group-slice-h.mlir -p 'assign-gmem,layer-group' 2>&1 | filecheck %s --check-prefix=AFTER

// A tpu.group whose slicing cannot run: the batch of four does not fit half of local memory
// in one slice (layer-group-slice-n.mlir: it needs n_slices = 4). The lowering names the group
// and the reason, and fails.
builtin.module attributes {nntc.gmem = {coeff_addr = 4294967296 : i64, coeff_size = 4096 : i64, ctx_addr = 4294971392 : i64, ctx_size = 15728640 : i64, io_size = 9437184 : i64, activation_region_size = 6291456 : i64, activation_total_size = 6291456 : i64}} {
  func.func @main(%arg0: tensor<4x64x1x6144xf32> {onnx.name = "input", nntc.gmem_addr = 4294971392 : i64}) -> (tensor<4x64x1x3072xf32> {onnx.name = "output"}) {
    %k = top.weight "k" {nntc.gmem_addr = 4294967296 : i64} dense<2.500000e-01> : tensor<64x1x1x3xf32>
    %0 = tpu.group slices(1, 1) -> (tensor<4x64x1x3072xf32>) {
      %1 = tpu.load %arg0 lmem(64) gmem(4294971392) {n_idx = array<i64: 0>, n_slice = array<i64: 4>, h_idx = array<i64: 0>, h_slice = array<i64: 1>} : tensor<4x64x1x6144xf32>
      %d = tpu.conv2d %1, %k {nntc.gmem_addr = 4304408576 : i64, group = 64 : i64, do_relu = true, pads = array<i64: 0, 1, 0, 1>} : (tensor<4x64x1x6144xf32>, tensor<64x1x1x3xf32>) -> tensor<4x64x1x6144xf32>
      %p = tpu.maxpool %d {nntc.gmem_addr = 4301262848 : i64, kernel_shape = array<i64: 1, 2>, strides = array<i64: 1, 2>} : (tensor<4x64x1x6144xf32>) -> tensor<4x64x1x3072xf32>
      %2 = tpu.store %p lmem(49216) gmem(4301262848) {n_idx = array<i64: 0>, n_slice = array<i64: 4>, h_idx = array<i64: 0>, h_slice = array<i64: 1>} : tensor<4x64x1x3072xf32>
      tpu.yield %2 : tensor<4x64x1x3072xf32>
    }
    func.return %0 : tensor<4x64x1x3072xf32>
  }
}


// CHECK: lower-to-bm1684x: 1 op(s) cannot be lowered:
// CHECK-NEXT: tpu.group starting at tpu.conv2d#0: cannot run as (1, 1) slices: 49152 bytes per lane do not fit beside the live buffers of the arena [0x0, 0x20000)

// layer-group decides the groups before DDR addresses exist: assign-gmem, after it, places
// each group as one step; addresses assigned layer by layer could not keep slices apart.
// AFTER: error: pass 'layer-group' failed: layer-group: the module already has DDR addresses: run layer-group before assign-gmem (it places a group's inputs and results as one step)
