// RUN: not nntc-opt %s -p assign-gmem 2>&1 | filecheck %s

// A net output must be a tpu tensor with its own buffer: a weight returned as is (lower-to-tpu
// gives it a copy) is named in one line, not printed as a Python object.
func.func @main(%x: tensor<2x3xf32> {onnx.name = "x"}) -> (tensor<5x5xf32> {onnx.name = "values"}) {
  %c = top.weight "values" dense<0.5> : tensor<5x5xf32>
  func.return %c : tensor<5x5xf32>
}

// CHECK: assign-gmem: net output 'values' is a top.weight, not a tpu tensor (lower-to-tpu gives a returned weight its own copy)
// CHECK-NOT: Traceback
// CHECK-NOT: OpResult
