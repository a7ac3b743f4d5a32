// nntc-run on float tpu IR (the `lower-to-tpu{mode=f32}` output) runs the tpu reference
// interpreter: each op by its documented meaning. x = [[1, 2, 3, 4], [4, 3, 2, 1 - 2^-12]];
// the 1x1 conv gives relu(x0 - x1) = [0, 0, 1, 3 + 2^-12] and (x0 + x1) / 2 + 1 =
// [3.5, 3.5, 3.5, 3.5 - 2^-13]; the 2x2 max pool their maxima. The f16 add computes on the
// cast values, where 3 + 2^-12 and 3.5 - 2^-13 round to 3 and 3.5 (f16 spacing 2^-9 there).
// --dump-all keys each op's result by its location. After layer-group (conv and pool in one
// tpu.group, run as a whole: loads and stores are the schedule) the numbers are the same.
// RUN: python -c "import numpy as np; np.savez('%t.in.npz', x=np.array([1, 2, 3, 4, 4, 3, 2, 1 - 2**-12], np.float32).reshape(1, 2, 2, 2))"
// RUN: nntc-run %s --input %t.in.npz --output %t.out.npz --dump-all %t.all.npz | filecheck %s --check-prefix=OUT
// RUN: python -c "import numpy as np; d = np.load('%t.all.npz'); [print(k, d[k].dtype, d[k].ravel().tolist()) for k in sorted(d.files)]; o = np.load('%t.out.npz'); [print('out', k, o[k].ravel().tolist()) for k in sorted(o.files)]" | filecheck %s
// RUN: nntc-opt %s -p layer-group --mlir-print-debuginfo -o %t.group.mlir
// RUN: filecheck %s --input-file %t.group.mlir --check-prefix=GROUP
// RUN: nntc-run %t.group.mlir --input %t.in.npz --output %t.gout.npz --dump-all %t.gall.npz
// RUN: python -c "import numpy as np; d = np.load('%t.gall.npz'); [print(k, d[k].dtype, d[k].ravel().tolist()) for k in sorted(d.files)]; o = np.load('%t.gout.npz'); [print('out', k, o[k].ravel().tolist()) for k in sorted(o.files)]" | filecheck %s
// A top op left in tpu IR is one error line naming it:
// RUN: not nntc-run %S/Inputs/run-tpu-mixed.mlir --input %t.in.npz --output %t.bad.npz 2>&1 | filecheck %s --check-prefix=ERR

func.func @main(%arg0: tensor<1x2x2x2xf32> {onnx.name = "x"}) -> (tensor<1x2x1x1xf32> {onnx.name = "y"}, tensor<1x2x2x2xf32> {onnx.name = "z"}) {
  %w = top.weight "w" dense<[[[[1.0]], [[-1.0]]], [[[0.5]], [[0.5]]]]> : tensor<2x2x1x1xf32> loc("w")
  %b = top.weight "b" dense<[0.0, 1.0]> : tensor<2xf32> loc("b")
  %c = tpu.conv2d %arg0, %w, %b {do_relu = true} : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32> loc("conv")
  %p = tpu.maxpool %c {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x1x1xf32> loc("pool")
  %h = tpu.cast %c : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf16> loc("half")
  %s = tpu.add %h, %h : (tensor<1x2x2x2xf16>, tensor<1x2x2x2xf16>) -> tensor<1x2x2x2xf16> loc("add")
  %z = tpu.cast %s : (tensor<1x2x2x2xf16>) -> tensor<1x2x2x2xf32> loc("back")
  func.return %p, %z : tensor<1x2x1x1xf32>, tensor<1x2x2x2xf32>
}

// OUT:      y: [1, 2, 1, 1] float32
// OUT-NEXT: z: [1, 2, 2, 2] float32

// CHECK:      add float32 [0.0, 0.0, 2.0, 6.0, 7.0, 7.0, 7.0, 7.0]
// CHECK-NEXT: back float32 [0.0, 0.0, 2.0, 6.0, 7.0, 7.0, 7.0, 7.0]
// CHECK-NEXT: conv float32 [0.0, 0.0, 1.0, 3.000244140625, 3.5, 3.5, 3.5, 3.4998779296875]
// CHECK-NEXT: half float32 [0.0, 0.0, 1.0, 3.0, 3.5, 3.5, 3.5, 3.5]
// CHECK-NEXT: pool float32 [3.000244140625, 3.5]
// CHECK-NEXT: out y [3.000244140625, 3.5]
// CHECK-NEXT: out z [0.0, 0.0, 2.0, 6.0, 7.0, 7.0, 7.0, 7.0]

// GROUP:      tpu.group slices(1, 1)
// GROUP:        tpu.conv2d
// GROUP-NEXT:   tpu.maxpool
// GROUP:        tpu.yield

// ERR: nntc-run: error: cannot run this tpu IR: ops without a float tpu reference: top.relu at loc("r")
