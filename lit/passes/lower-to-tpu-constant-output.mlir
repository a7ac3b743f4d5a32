// RUN: nntc-opt %s -p 'lower-to-tpu,assign-gmem' | filecheck %s

// A net output that is a constant (ONNX Constant, `test_constant`) gets its own tensor: a
// whole-tensor tpu.slice of the weight, a DDR -> DDR copy from the coeff region into the
// output's buffer of the context region (after the input x and the output y).
func.func @main(%x: tensor<2x3xf32> {onnx.name = "x"}) -> (tensor<5x5xf32> {onnx.name = "values"}, tensor<2x3xf32> {onnx.name = "y"}) {
  %c = top.weight "values" dense<0.5> : tensor<5x5xf32>
  %y = top.relu %x : tensor<2x3xf32>
  func.return %c, %y : tensor<5x5xf32>, tensor<2x3xf32>
}

// CHECK:      coeff_addr = 4294967296 : i64, coeff_size = 4096 : i64, ctx_addr = 4294971392 : i64, ctx_size = 12288 : i64, io_size = 12288 : i64
// CHECK:      %c = top.weight "values" {nntc.gmem_addr = 4294967296 : i64}
// CHECK-NEXT: %y = tpu.relu %x {nntc.gmem_addr = 4294975488 : i64}
// CHECK-NEXT: %[[C:.*]] = tpu.slice %c {nntc.gmem_addr = 4294979584 : i64, offsets = array<i64: 0, 0>, steps = array<i64: 1, 1>} : (tensor<5x5xf32>) -> tensor<5x5xf32>
// CHECK-NEXT: func.return %[[C]], %y : tensor<5x5xf32>, tensor<2x3xf32>
