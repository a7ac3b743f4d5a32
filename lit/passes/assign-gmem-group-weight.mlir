// RUN: nntc-opt %s -p 'layer-group,assign-gmem' | filecheck %s --check-prefix=IR
// RUN: nntc-opt %s -p 'layer-group,assign-gmem,lower-to-bm1684x' | filecheck %s --check-prefix=CMD

// A tpu.group that loads a weight (a constant operand of the shape of the result, such as an
// average pool's per-position divisor): the load reads the weight where it lives, in the coeff
// region (GMEM_BASE = 0x100000000), and the weight takes no context bytes. The input then sits
// at ctx_addr = coeff_addr + 4096 and the output after it.
func.func @main(%arg0: tensor<1x8x4x4xf32> {onnx.name = "input"}) -> (tensor<1x8x4x4xf32> {onnx.name = "output"}) {
  %k = top.weight "k" dense<0.5> : tensor<1x8x4x4xf32>
  %a = tpu.relu %arg0 : tensor<1x8x4x4xf32> loc("a")
  %b = tpu.mul %a, %k : (tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> loc("b")
  func.return %b : tensor<1x8x4x4xf32>
}

// IR:      builtin.module attributes {nntc.gmem = {coeff_addr = 4294967296 : i64, coeff_size = 4096 : i64, ctx_addr = 4294971392 : i64, ctx_size = 8192 : i64, io_size = 8192 : i64, activation_region_size = 0 : i64, activation_total_size = 0 : i64}}
// IR:      %k = top.weight "k" {nntc.gmem_addr = 4294967296 : i64}
// IR-NEXT: %0 = tpu.group slices(1, 1) stages 1 -> (tensor<1x8x4x4xf32>) {
// IR-NEXT:   %1 = tpu.load %arg0 lmem(0) gmem(4294971392)
// IR-NEXT:   %2 = tpu.load %k lmem(64) gmem(4294967296)
// IR-NEXT:   %a = tpu.relu %1
// IR-NEXT:   %b = tpu.mul %a, %2
// IR-NEXT:   %3 = tpu.store %b lmem(0) gmem(4294975488)

// CMD:      bm1684x.gdma.tensor plain id 1 wait 0 {{{.*}} src_addr = 0x100001000, {{.*}}}
// CMD-NEXT: bm1684x.gdma.tensor plain id 2 wait 0 {{{.*}} src_addr = 0x100000000, src_shape = [1, 8, 4, 4], {{.*}} dst_addr = 0x8000040, {{.*}}}
// CMD-NEXT: bm1684x.gdma.tensor plain id 3 wait 2 {{{.*}} dst_addr = 0x100002000, {{.*}}}
