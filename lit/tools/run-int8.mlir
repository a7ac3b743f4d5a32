// nntc-run on quant-level IR (the `quantize` output) executes the chip's integer arithmetic:
// x = [0.5, 0.3] is quantized with scale 1.27/127 = 0.01 to [50, 30]; the per-channel int8
// weights are [127, 0] and [0, -127] (scales 1/127, 2/127), so the int32 accumulators are 6350
// and -3810; requantized to the result's scale 2.54/127 = 0.02 they are 6350 * 0.5/127 = 25 and
// -3810 * 1/127 = -30, i.e. 0.5 and -0.6 once dequantized (float32 -30 * f32(0.02) = -0.59999996). --dump-all keeps the stored int8
// values (an op without a location is keyed `<op name>#<index>`), --dequantize the real ones; an op the integer code generator lacks is one error line.
// RUN: nntc-opt %s -p quantize --mlir-print-debuginfo -o %t.mlir
// RUN: python -c "import numpy as np; np.savez('%t.in.npz', x=np.array([0.5, 0.3], np.float32).reshape(1, 2, 1, 1))"
// RUN: nntc-run %t.mlir --input %t.in.npz --output %t.out.npz --dump-all %t.all.npz | filecheck %s --check-prefix=OUT
// RUN: python -c "import numpy as np; d = np.load('%t.all.npz'); [print(k, d[k].dtype, d[k].ravel().tolist()) for k in sorted(d.files)]; print('out', np.load('%t.out.npz')['y'].ravel().tolist())" | filecheck %s
// RUN: nntc-run %t.mlir --input %t.in.npz --output %t.out.npz --dump-all %t.real.npz --dequantize
// RUN: python -c "import numpy as np; d = np.load('%t.real.npz'); print('real', d['conv'].dtype, d['conv'].ravel().tolist())" | filecheck %s --check-prefix=REAL
// quantize{target=reference} keeps the grouped conv in INT8 (the default target keeps ops the
// code generator lacks in float):
// RUN: nntc-opt %S/Inputs/run-int8-grouped.mlir -p 'quantize{target=reference}' --mlir-print-debuginfo -o %t.badq.mlir
// RUN: python -c "import numpy as np; np.savez('%t.in4.npz', x=np.zeros((1, 4, 1, 1), np.float32))"
// RUN: not nntc-run %t.badq.mlir --input %t.in4.npz --output %t.out.npz 2>&1 | filecheck %s --check-prefix=ERR

func.func @main(%arg0: tensor<1x2x1x1xf32> {onnx.name = "x"}) -> (tensor<1x2x1x1xf32> {onnx.name = "y"}) {
  %x = top.input %arg0 {calib = #quant.calibration<threshold = 1.27, min = -1.27, max = 1.27>} : tensor<1x2x1x1xf32> loc("x")
  %w = top.weight "w" dense<[[[[1.0]], [[0.0]]], [[[0.0]], [[-2.0]]]]> : tensor<2x2x1x1xf32> loc("w")
  %c = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, calib = #quant.calibration<threshold = 2.54, min = -2.54, max = 2.54>} : (tensor<1x2x1x1xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x1x1xf32> loc("conv")
  func.return %c : tensor<1x2x1x1xf32>
}

// OUT: y: [1, 2, 1, 1] float32

// CHECK:      conv int8 [25, -30]
// CHECK-NEXT: conv/quant.dcast float32 [0.5, -0.5999999642372131]
// CHECK-NEXT: quant.qcast#1 int8 [50, 30]
// CHECK-NEXT: out [0.5, -0.5999999642372131]

// REAL: real float32 [0.5, -0.5999999642372131]

// ERR: nntc-run: error: cannot run this quant IR with integer arithmetic: top.conv at loc("grouped"): grouped conv (group 2
