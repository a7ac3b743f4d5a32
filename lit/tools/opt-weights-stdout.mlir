// nntc-opt printing to stdout writes no .npz: changed weights travel inline. A quantized
// top.weight (its element type has no dense literal) prints by name, with its stored integers in
// the module attribute `nntc.inline_weights`; so do the coefficient bytes of bm1684x IR. A pipe
// of nntc-opt runs then compiles to the same listing as the same pipeline through files, and
// nntc-run executes the printed quant IR (the numbers of run-int8.mlir: [0.5, -0.6]).
// RUN: nntc-opt %s -p quantize | filecheck %s
// RUN: nntc-opt %s -p quantize | nntc-opt - -p 'lower-to-tpu{mode=int8}' | nntc-opt - -p lower-int8-to-bm1684x -t bm1684x-asm > %t.pipe.asm
// RUN: nntc-opt %s -p quantize -o %t.q.mlir
// RUN: nntc-opt %t.q.mlir -p 'lower-to-tpu{mode=int8}' -o %t.t.mlir
// RUN: nntc-opt %t.t.mlir -p lower-int8-to-bm1684x -t bm1684x-asm -o %t.file.asm
// RUN: diff %t.file.asm %t.pipe.asm
// RUN: nntc-opt %t.t.mlir -p lower-int8-to-bm1684x | filecheck %s --check-prefix=BM
// RUN: nntc-opt %t.t.mlir -p lower-int8-to-bm1684x | nntc-opt - -t bm1684x-asm | diff %t.file.asm -
// RUN: nntc-opt %s -p quantize > %t.stdout.mlir
// RUN: python -c "import numpy as np; np.savez('%t.in.npz', x=np.array([0.5, 0.3], np.float32).reshape(1, 2, 1, 1))"
// RUN: nntc-run %t.stdout.mlir --input %t.in.npz --output %t.out.npz
// RUN: python -c "import numpy as np; print('out', np.load('%t.out.npz')['y'].ravel().tolist())" | filecheck %s --check-prefix=OUT

func.func @main(%arg0: tensor<1x2x1x1xf32> {onnx.name = "x"}) -> (tensor<1x2x1x1xf32> {onnx.name = "y"}) {
  %x = top.input %arg0 {calib = #quant.calibration<threshold = 1.27, min = -1.27, max = 1.27>} : tensor<1x2x1x1xf32> loc("x")
  %w = top.weight "w" dense<[[[[1.0]], [[0.0]]], [[[0.0]], [[-2.0]]]]> : tensor<2x2x1x1xf32> loc("w")
  %c = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, calib = #quant.calibration<threshold = 2.54, min = -2.54, max = 2.54>} : (tensor<1x2x1x1xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x1x1xf32> loc("conv")
  func.return %c : tensor<1x2x1x1xf32>
}

// The filters [[1, 0], [0, -2]] at scales 1/127 and 2/127 per output channel.
// CHECK:      builtin.module attributes {
// CHECK-SAME:   nntc.inline_weights = {w_int8 = dense<{{\[\[\[\[}}127]], {{\[\[}}0]]], {{\[\[\[}}0]], {{\[\[}}-127]]]]> : tensor<2x2x1x1xi8>}
// CHECK-NOT:    nntc.weights
// CHECK:        top.weight "w_int8" : tensor<2x2x1x1x!quant.uniform<i8:f32:0, {0.007874015748031496, 0.015748031496062992}>>

// BM:      nntc.inline_weights = {main.coeff = dense<"0x{{[0-9A-F]+}}"> : tensor<{{[0-9]+}}xui8>}
// BM:      bm1684x.coeff_mem {{.*}}weight_name = "main.coeff"

// OUT: out [0.5, -0.5999999642372131]
