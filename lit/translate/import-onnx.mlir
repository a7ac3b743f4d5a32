// nntc-translate --import-onnx on a small PyTorch-style CNN: weights in the side-car store, node
// names as locations, shape plumbing folded, dynamic batch fixed by --shapes.
// RUN: rm -rf %t && python %S/Inputs/make_models.py %t
// RUN: nntc-translate --import-onnx %t/cnn.onnx --shapes "[[2,3,16,16]]" -o %t/cnn.mlir
// RUN: filecheck %s --input-file %t/cnn.mlir
// The output reads back (with its weight store) and keeps its locations:
// RUN: nntc-opt %t/cnn.mlir --print-debuginfo | filecheck %s --check-prefix=OPT
// --output-names cuts the graph; without -o the weights are inline:
// RUN: nntc-translate --import-onnx %t/cnn.onnx --shapes "[[1,3,16,16]]" --output-names r | filecheck %s --check-prefix=CUT
// An opset-9 model (Upsample, attribute-form Unsqueeze) imports in its own opset:
// RUN: nntc-translate --import-onnx %t/opset9.onnx | filecheck %s --check-prefix=OPSET9

// CHECK:      builtin.module attributes {nntc.weights = "cnn.npz"} {
// CHECK-NEXT:   func.func @main(%input: tensor<2x3x16x16xf32> {onnx.name = "input"} loc(unknown)) -> (tensor<2x10xf32> {onnx.name = "prob"}) {
// CHECK-NEXT:     %0 = top.input %input : tensor<2x3x16x16xf32> loc("input")
// CHECK-NEXT:     %1 = top.weight "conv.w" : tensor<8x3x3x3xf32> loc("conv.w")
// CHECK-NEXT:     %2 = top.weight "conv.b" : tensor<8xf32> loc("conv.b")
// CHECK-NEXT:     %3 = top.conv %0, %1, %2 {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>} : (tensor<2x3x16x16xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<2x8x8x8xf32> loc("/conv/Conv")
// CHECK:          %8 = top.batchnorm %3, %4, %5, %6, %7 : {{.*}} -> tensor<2x8x8x8xf32> loc("/bn/BatchNormalization")
// CHECK-NEXT:     %9 = top.relu %8 : tensor<2x8x8x8xf32> loc("/relu/Relu")
// CHECK-NEXT:     %10 = top.maxpool %9 {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, ceil_mode = true} : tensor<2x8x8x8xf32> -> tensor<2x8x5x5xf32> loc("/pool/MaxPool")
// CHECK-NEXT:     %11 = top.global_avgpool %10 : tensor<2x8x5x5xf32> -> tensor<2x8x1x1xf32> loc("/gap/GlobalAveragePool")
// CHECK-NEXT:     %12 = top.reshape %11 : tensor<2x8x1x1xf32> -> tensor<2x8xf32> loc("/Reshape")
// CHECK-NEXT:     %13 = top.weight "fc.w" : tensor<10x8xf32> loc("fc.w")
// CHECK-NEXT:     %14 = top.weight "fc.b" : tensor<10xf32> loc("fc.b")
// CHECK-NEXT:     %15 = top.gemm %12, %13, %14 {trans_b = true} : (tensor<2x8xf32>, tensor<10x8xf32>, tensor<10xf32>) -> tensor<2x10xf32> loc("/fc/Gemm")
// CHECK-NEXT:     %16 = top.softmax %15 {axis = -1 : i64} : tensor<2x10xf32> loc("/Softmax")
// CHECK-NEXT:     func.return %16 : tensor<2x10xf32>

// OPT: top.conv {{.*}} loc("/conv/Conv")
// OPT: top.softmax {{.*}} loc("/Softmax")

// CUT:      func.func @main(%input: tensor<1x3x16x16xf32> {onnx.name = "input"} loc(unknown)) -> (tensor<1x8x8x8xf32> {onnx.name = "r"}) {
// CUT:        top.weight "conv.w" dense<"0x{{[0-9A-F]+}}"> : tensor<8x3x3x3xf32>
// CUT:        %[[R:.*]] = top.relu {{.*}} loc("/relu/Relu")
// CUT-NEXT:   func.return %[[R]] : tensor<1x8x8x8xf32>
// CUT-NOT:    top.maxpool

// OPSET9:      top.resize %0 {mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor", scales = array<f64: 1.000000e+00, 1.000000e+00, 2.000000e+00, 2.000000e+00>} : tensor<1x2x3x3xf32> -> tensor<1x2x6x6xf32> loc("upsample")
// OPSET9-NEXT: top.reshape %1 : tensor<1x2x6x6xf32> -> tensor<1x1x2x6x6xf32> loc("unsqueeze")
