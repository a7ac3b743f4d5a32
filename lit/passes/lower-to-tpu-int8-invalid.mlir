// RUN: not nntc-opt %s --split-input-file -p 'lower-to-tpu{mode=int8}' 2>&1 | filecheck %s

// lower-to-tpu{mode=int8} takes quant-level IR: float IR is refused in one line, and an op the
// INT8 code generator has no layer for is named with its location (all of them at once).
func.func @float_ir(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %0 = top.relu %x : tensor<1x4xf32>
  func.return %0 : tensor<1x4xf32>
}

// -----

func.func @ceil_pool(%x: tensor<1x2x5x5xf32>) -> tensor<1x2x3x3xf32> {
  %0 = quant.qcast %x : tensor<1x2x5x5xf32> to tensor<1x2x5x5x!quant.uniform<i8:f32, 0.01>> loc("q")
  %1 = top.maxpool %0 {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = true} : tensor<1x2x5x5x!quant.uniform<i8:f32, 0.01>> -> tensor<1x2x3x3x!quant.uniform<i8:f32, 0.01>> loc("pool")
  %2 = quant.dcast %1 : tensor<1x2x3x3x!quant.uniform<i8:f32, 0.01>> to tensor<1x2x3x3xf32> loc("out")
  func.return %2 : tensor<1x2x3x3xf32>
}

// CHECK: error: pass 'lower-to-tpu' failed: lower-to-tpu{mode=int8}: the function holds no quantized tensor; run quantize first (mode=f32 lowers float IR)
// CHECK: error: pass 'lower-to-tpu' failed: lower-to-tpu{mode=int8}: 1 op(s) cannot be lowered:
// CHECK-NEXT: top.maxpool at loc("pool"): ceil_mode is not supported yet
// CHECK-NOT: Traceback
