// Every top op in custom and generic form, and a ResNet basic block.
// RUN: NNTC_ROUNDTRIP
// RUN: NNTC_GENERIC_ROUNDTRIP
// Locations (ONNX node names) survive the generic round trip:
// RUN: nntc-opt %s --print-op-generic --print-debuginfo | nntc-opt --print-debuginfo | filecheck %s --check-prefix=CHECK-LOC

func.func @input(%arg0: tensor<1x3x224x224xf32>, %arg1: tensor<1x224x224x3xf32>) -> (tensor<1x3x224x224xf32>, tensor<1x224x224x3xf32>) {
  %x = top.input %arg0 : tensor<1x3x224x224xf32> loc("images")
  %y = top.input %arg1 {pixel_format = "bgr", channel_format = "nhwc", resize_dims = array<i64: 256, 256>, keep_aspect_ratio = true, pad_value = 0.0 : f64, mean = array<f64: 103.94, 116.78, 123.68>, scale = array<f64: 0.017, 0.017, 0.017>} : tensor<1x224x224x3xf32>
  func.return %x, %y : tensor<1x3x224x224xf32>, tensor<1x224x224x3xf32>
}

// CHECK-LABEL: func.func @input(
// CHECK-NEXT:  %x = top.input %arg0 : tensor<1x3x224x224xf32>
// CHECK-NEXT:  %y = top.input %arg1 {pixel_format = "bgr", channel_format = "nhwc", resize_dims = array<i64: 256, 256>, keep_aspect_ratio = true, pad_value = 0.000000e+00 : f64, mean = array<f64: 1.039400e+02, 1.167800e+02, 1.236800e+02>, scale = array<f64: 1.700000e-02, 1.700000e-02, 1.700000e-02>} : tensor<1x224x224x3xf32>
// CHECK-GENERIC-LABEL: "func.func"() <{sym_name = "input"
// CHECK-GENERIC:       %x = "top.input"(%arg0) <{keep_aspect_ratio = false}> : (tensor<1x3x224x224xf32>) -> tensor<1x3x224x224xf32>
// CHECK-GENERIC-NEXT:  %y = "top.input"(%arg1) <{pixel_format = "bgr", channel_format = "nhwc", resize_dims = array<i64: 256, 256>, keep_aspect_ratio = true, pad_value = 0.000000e+00 : f64, mean = array<f64: 1.039400e+02, 1.167800e+02, 1.236800e+02>, scale = array<f64: 1.700000e-02, 1.700000e-02, 1.700000e-02>}> : (tensor<1x224x224x3xf32>) -> tensor<1x224x224x3xf32>

func.func @weight() -> (tensor<64x3x7x7xf32>, tensor<2xf32>) {
  %w = top.weight "conv1.weight" : tensor<64x3x7x7xf32>
  %b = top.weight "b" dense<[1.0, 2.0]> : tensor<2xf32> loc("b")
  func.return %w, %b : tensor<64x3x7x7xf32>, tensor<2xf32>
}

// CHECK-LABEL: func.func @weight(
// CHECK-NEXT:  %w = top.weight "conv1.weight" : tensor<64x3x7x7xf32>
// CHECK-NEXT:  %b = top.weight "b" dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-GENERIC-LABEL: "func.func"() <{sym_name = "weight"
// CHECK-GENERIC:       %w = "top.weight"() <{weight_name = "conv1.weight"}> : () -> tensor<64x3x7x7xf32>
// CHECK-GENERIC-NEXT:  %b = "top.weight"() <{weight_name = "b", value = dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>}> : () -> tensor<2xf32>

func.func @conv(%x: tensor<1x8x16x16xf32>, %w: tensor<8x8x3x3xf32>, %dw: tensor<8x1x3x3xf32>, %b: tensor<8xf32>) -> (tensor<1x8x8x8xf32>, tensor<1x8x12x12xf32>) {
  %c = top.conv %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, do_relu = true, relu_limit = 6.0 : f64} : (tensor<1x8x16x16xf32>, tensor<8x8x3x3xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32> loc("conv1")
  %d = top.conv %x, %dw {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 2, 2>, group = 8 : i64} : (tensor<1x8x16x16xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x12x12xf32>
  func.return %c, %d : tensor<1x8x8x8xf32>, tensor<1x8x12x12xf32>
}

// CHECK-LABEL: func.func @conv(
// CHECK-NEXT:  %c = top.conv %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, do_relu = true, relu_limit = 6.000000e+00 : f64} : (tensor<1x8x16x16xf32>, tensor<8x8x3x3xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32>
// CHECK-NEXT:  %d = top.conv %x, %dw {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 2, 2>, group = 8 : i64} : (tensor<1x8x16x16xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x12x12xf32>
// CHECK-GENERIC-LABEL: "func.func"() <{sym_name = "conv"
// CHECK-GENERIC:       %c = "top.conv"(%x, %w, %b) <{strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, do_relu = true, relu_limit = 6.000000e+00 : f64, group = 1 : i64}> : (tensor<1x8x16x16xf32>, tensor<8x8x3x3xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32>
// CHECK-GENERIC-NEXT:  %d = "top.conv"(%x, %dw) <{strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 2, 2>, group = 8 : i64, do_relu = false}> : (tensor<1x8x16x16xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x12x12xf32>

func.func @matmul(%a: tensor<1x512xf32>, %w: tensor<512x1000xf32>, %b: tensor<1000xf32>, %p: tensor<2x1x4x8xf32>, %q: tensor<3x8x5xf32>, %v: tensor<8xf32>) -> (tensor<1x1000xf32>, tensor<2x3x4x5xf32>, tensor<2x1x4xf32>) {
  %fc = top.matmul %a, %w, %b {do_relu = true} : (tensor<1x512xf32>, tensor<512x1000xf32>, tensor<1000xf32>) -> tensor<1x1000xf32>
  %bmm = top.matmul %p, %q : (tensor<2x1x4x8xf32>, tensor<3x8x5xf32>) -> tensor<2x3x4x5xf32>
  %mv = top.matmul %p, %v : (tensor<2x1x4x8xf32>, tensor<8xf32>) -> tensor<2x1x4xf32>
  func.return %fc, %bmm, %mv : tensor<1x1000xf32>, tensor<2x3x4x5xf32>, tensor<2x1x4xf32>
}

// CHECK-LABEL: func.func @matmul(
// CHECK-NEXT:  %fc = top.matmul %a, %w, %b {do_relu = true} : (tensor<1x512xf32>, tensor<512x1000xf32>, tensor<1000xf32>) -> tensor<1x1000xf32>
// CHECK-NEXT:  %bmm = top.matmul %p, %q : (tensor<2x1x4x8xf32>, tensor<3x8x5xf32>) -> tensor<2x3x4x5xf32>
// CHECK-NEXT:  %mv = top.matmul %p, %v : (tensor<2x1x4x8xf32>, tensor<8xf32>) -> tensor<2x1x4xf32>
// CHECK-GENERIC-LABEL: "func.func"() <{sym_name = "matmul"
// CHECK-GENERIC:       %fc = "top.matmul"(%a, %w, %b) <{do_relu = true}> : (tensor<1x512xf32>, tensor<512x1000xf32>, tensor<1000xf32>) -> tensor<1x1000xf32>
// CHECK-GENERIC-NEXT:  %bmm = "top.matmul"(%p, %q) <{do_relu = false}> : (tensor<2x1x4x8xf32>, tensor<3x8x5xf32>) -> tensor<2x3x4x5xf32>
// CHECK-GENERIC-NEXT:  %mv = "top.matmul"(%p, %v) <{do_relu = false}> : (tensor<2x1x4x8xf32>, tensor<8xf32>) -> tensor<2x1x4xf32>

func.func @elementwise(%a: tensor<1x64x56x56xf32>, %b: tensor<1x64x1x1xf32>, %c: tensor<56xf32>) -> (tensor<1x64x56x56xf32>, tensor<1x64x56x56xf32>) {
  %s = top.add %a, %b, %c {coeff = array<f64: 1.0, -1.0, 0.5>, do_relu = true, relu_limit = 6.0 : f64} : (tensor<1x64x56x56xf32>, tensor<1x64x1x1xf32>, tensor<56xf32>) -> tensor<1x64x56x56xf32>
  %m = top.mul %a, %b : (tensor<1x64x56x56xf32>, tensor<1x64x1x1xf32>) -> tensor<1x64x56x56xf32>
  func.return %s, %m : tensor<1x64x56x56xf32>, tensor<1x64x56x56xf32>
}

// CHECK-LABEL: func.func @elementwise(
// CHECK-NEXT:  %s = top.add %a, %b, %c {coeff = array<f64: 1.000000e+00, -1.000000e+00, 5.000000e-01>, do_relu = true, relu_limit = 6.000000e+00 : f64} : (tensor<1x64x56x56xf32>, tensor<1x64x1x1xf32>, tensor<56xf32>) -> tensor<1x64x56x56xf32>
// CHECK-NEXT:  %m = top.mul %a, %b : (tensor<1x64x56x56xf32>, tensor<1x64x1x1xf32>) -> tensor<1x64x56x56xf32>
// CHECK-GENERIC-LABEL: "func.func"() <{sym_name = "elementwise"
// CHECK-GENERIC:       %s = "top.add"(%a, %b, %c) <{coeff = array<f64: 1.000000e+00, -1.000000e+00, 5.000000e-01>, do_relu = true, relu_limit = 6.000000e+00 : f64}> : (tensor<1x64x56x56xf32>, tensor<1x64x1x1xf32>, tensor<56xf32>) -> tensor<1x64x56x56xf32>
// CHECK-GENERIC-NEXT:  %m = "top.mul"(%a, %b) <{do_relu = false}> : (tensor<1x64x56x56xf32>, tensor<1x64x1x1xf32>) -> tensor<1x64x56x56xf32>

func.func @activations(%a: tensor<1x1000xf32>) -> (tensor<1x1000xf32>, tensor<1x1000xf32>, tensor<1x1000xf32>) {
  %r = top.relu %a : tensor<1x1000xf32>
  %r6 = top.relu %a {relu_limit = 6.0 : f64} : tensor<1x1000xf32>
  %s = top.softmax %a {axis = -1 : i64} : tensor<1x1000xf32>
  func.return %r, %r6, %s : tensor<1x1000xf32>, tensor<1x1000xf32>, tensor<1x1000xf32>
}

// CHECK-LABEL: func.func @activations(
// CHECK-NEXT:  %r = top.relu %a : tensor<1x1000xf32>
// CHECK-NEXT:  %r6 = top.relu %a {relu_limit = 6.000000e+00 : f64} : tensor<1x1000xf32>
// CHECK-NEXT:  %s = top.softmax %a {axis = -1 : i64} : tensor<1x1000xf32>
// CHECK-GENERIC-LABEL: "func.func"() <{sym_name = "activations"
// CHECK-GENERIC:       %r = "top.relu"(%a) : (tensor<1x1000xf32>) -> tensor<1x1000xf32>
// CHECK-GENERIC-NEXT:  %r6 = "top.relu"(%a) <{relu_limit = 6.000000e+00 : f64}> : (tensor<1x1000xf32>) -> tensor<1x1000xf32>
// CHECK-GENERIC-NEXT:  %s = "top.softmax"(%a) <{axis = -1 : i64}> : (tensor<1x1000xf32>) -> tensor<1x1000xf32>

func.func @pools(%a: tensor<1x64x112x112xf32>, %b: tensor<1x16x7x7xf32>) -> (tensor<1x64x56x56xf32>, tensor<1x16x4x4xf32>, tensor<1x64x1x1xf32>) {
  %mp = top.maxpool %a {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, do_relu = true} : tensor<1x64x112x112xf32> -> tensor<1x64x56x56xf32>
  %ap = top.avgpool %b {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = true, count_include_pad = true} : tensor<1x16x7x7xf32> -> tensor<1x16x4x4xf32>
  %gp = top.global_avgpool %a : tensor<1x64x112x112xf32> -> tensor<1x64x1x1xf32>
  func.return %mp, %ap, %gp : tensor<1x64x56x56xf32>, tensor<1x16x4x4xf32>, tensor<1x64x1x1xf32>
}

// CHECK-LABEL: func.func @pools(
// CHECK-NEXT:  %mp = top.maxpool %a {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, do_relu = true} : tensor<1x64x112x112xf32> -> tensor<1x64x56x56xf32>
// CHECK-NEXT:  %ap = top.avgpool %b {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = true, count_include_pad = true} : tensor<1x16x7x7xf32> -> tensor<1x16x4x4xf32>
// CHECK-NEXT:  %gp = top.global_avgpool %a : tensor<1x64x112x112xf32> -> tensor<1x64x1x1xf32>
// CHECK-GENERIC-LABEL: "func.func"() <{sym_name = "pools"
// CHECK-GENERIC:       %mp = "top.maxpool"(%a) <{kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, do_relu = true, ceil_mode = false}> : (tensor<1x64x112x112xf32>) -> tensor<1x64x56x56xf32>
// CHECK-GENERIC-NEXT:  %ap = "top.avgpool"(%b) <{kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = true, count_include_pad = true, do_relu = false}> : (tensor<1x16x7x7xf32>) -> tensor<1x16x4x4xf32>
// CHECK-GENERIC-NEXT:  %gp = "top.global_avgpool"(%a) : (tensor<1x64x112x112xf32>) -> tensor<1x64x1x1xf32>

func.func @shapes(%a: tensor<1x512x1x1xf32>, %b: tensor<1x8x4x4xf32>, %c: tensor<1x24x4x4xf32>) -> (tensor<1x512xf32>, tensor<1x32x4x4xf32>) {
  %r = top.reshape %a : tensor<1x512x1x1xf32> -> tensor<1x512xf32>
  %c2 = top.concat %b, %c {axis = 1 : i64} : (tensor<1x8x4x4xf32>, tensor<1x24x4x4xf32>) -> tensor<1x32x4x4xf32>
  func.return %r, %c2 : tensor<1x512xf32>, tensor<1x32x4x4xf32>
}

// CHECK-LABEL: func.func @shapes(
// CHECK-NEXT:  %r = top.reshape %a : tensor<1x512x1x1xf32> -> tensor<1x512xf32>
// CHECK-NEXT:  %c2 = top.concat %b, %c {axis = 1 : i64} : (tensor<1x8x4x4xf32>, tensor<1x24x4x4xf32>) -> tensor<1x32x4x4xf32>
// CHECK-GENERIC-LABEL: "func.func"() <{sym_name = "shapes"
// CHECK-GENERIC:       %r = "top.reshape"(%a) : (tensor<1x512x1x1xf32>) -> tensor<1x512xf32>
// CHECK-GENERIC-NEXT:  %c2 = "top.concat"(%b, %c) <{axis = 1 : i64}> : (tensor<1x8x4x4xf32>, tensor<1x24x4x4xf32>) -> tensor<1x32x4x4xf32>

// A ResNet-18 basic block with a downsampling shortcut, as the ONNX importer produces it before
// canonicalization (separate relus).
func.func @resnet_basic_block(%arg0: tensor<1x64x56x56xf32>) -> tensor<1x128x28x28xf32> {
  %x = top.input %arg0 : tensor<1x64x56x56xf32> loc("input")
  %w1 = top.weight "layer2.0.conv1.weight" : tensor<128x64x3x3xf32>
  %b1 = top.weight "layer2.0.conv1.bias" : tensor<128xf32>
  %c1 = top.conv %x, %w1, %b1 {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x64x56x56xf32>, tensor<128x64x3x3xf32>, tensor<128xf32>) -> tensor<1x128x28x28xf32> loc("/layer2/layer2.0/conv1/Conv")
  %r1 = top.relu %c1 : tensor<1x128x28x28xf32> loc("/layer2/layer2.0/relu/Relu")
  %w2 = top.weight "layer2.0.conv2.weight" : tensor<128x128x3x3xf32>
  %b2 = top.weight "layer2.0.conv2.bias" : tensor<128xf32>
  %c2 = top.conv %r1, %w2, %b2 {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x128x28x28xf32>, tensor<128x128x3x3xf32>, tensor<128xf32>) -> tensor<1x128x28x28xf32> loc("/layer2/layer2.0/conv2/Conv")
  %wd = top.weight "layer2.0.downsample.0.weight" : tensor<128x64x1x1xf32>
  %bd = top.weight "layer2.0.downsample.0.bias" : tensor<128xf32>
  %cd = top.conv %x, %wd, %bd {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x64x56x56xf32>, tensor<128x64x1x1xf32>, tensor<128xf32>) -> tensor<1x128x28x28xf32> loc("/layer2/layer2.0/downsample/downsample.0/Conv")
  %s = top.add %c2, %cd : (tensor<1x128x28x28xf32>, tensor<1x128x28x28xf32>) -> tensor<1x128x28x28xf32> loc("/layer2/layer2.0/Add")
  %r2 = top.relu %s : tensor<1x128x28x28xf32> loc("/layer2/layer2.0/relu_1/Relu")
  func.return %r2 : tensor<1x128x28x28xf32>
}

// CHECK-LABEL: func.func @resnet_basic_block(
// CHECK-NEXT:  %x = top.input %arg0 : tensor<1x64x56x56xf32>
// CHECK-NEXT:  %w1 = top.weight "layer2.0.conv1.weight" : tensor<128x64x3x3xf32>
// CHECK-NEXT:  %b1 = top.weight "layer2.0.conv1.bias" : tensor<128xf32>
// CHECK-NEXT:  %c1 = top.conv %x, %w1, %b1 {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x64x56x56xf32>, tensor<128x64x3x3xf32>, tensor<128xf32>) -> tensor<1x128x28x28xf32>
// CHECK-NEXT:  %r1 = top.relu %c1 : tensor<1x128x28x28xf32>
// CHECK-NEXT:  %w2 = top.weight "layer2.0.conv2.weight" : tensor<128x128x3x3xf32>
// CHECK-NEXT:  %b2 = top.weight "layer2.0.conv2.bias" : tensor<128xf32>
// CHECK-NEXT:  %c2 = top.conv %r1, %w2, %b2 {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x128x28x28xf32>, tensor<128x128x3x3xf32>, tensor<128xf32>) -> tensor<1x128x28x28xf32>
// CHECK-NEXT:  %wd = top.weight "layer2.0.downsample.0.weight" : tensor<128x64x1x1xf32>
// CHECK-NEXT:  %bd = top.weight "layer2.0.downsample.0.bias" : tensor<128xf32>
// CHECK-NEXT:  %cd = top.conv %x, %wd, %bd {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x64x56x56xf32>, tensor<128x64x1x1xf32>, tensor<128xf32>) -> tensor<1x128x28x28xf32>
// CHECK-NEXT:  %s = top.add %c2, %cd : (tensor<1x128x28x28xf32>, tensor<1x128x28x28xf32>) -> tensor<1x128x28x28xf32>
// CHECK-NEXT:  %r2 = top.relu %s : tensor<1x128x28x28xf32>
// CHECK-GENERIC-LABEL: "func.func"() <{sym_name = "resnet_basic_block"
// CHECK-GENERIC:       %x = "top.input"(%arg0) <{keep_aspect_ratio = false}> : (tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32>
// CHECK-GENERIC-NEXT:  %w1 = "top.weight"() <{weight_name = "layer2.0.conv1.weight"}> : () -> tensor<128x64x3x3xf32>
// CHECK-GENERIC-NEXT:  %b1 = "top.weight"() <{weight_name = "layer2.0.conv1.bias"}> : () -> tensor<128xf32>
// CHECK-GENERIC-NEXT:  %c1 = "top.conv"(%x, %w1, %b1) <{strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64, do_relu = false}> : (tensor<1x64x56x56xf32>, tensor<128x64x3x3xf32>, tensor<128xf32>) -> tensor<1x128x28x28xf32>
// CHECK-GENERIC-NEXT:  %r1 = "top.relu"(%c1) : (tensor<1x128x28x28xf32>) -> tensor<1x128x28x28xf32>
// CHECK-GENERIC-NEXT:  %w2 = "top.weight"() <{weight_name = "layer2.0.conv2.weight"}> : () -> tensor<128x128x3x3xf32>
// CHECK-GENERIC-NEXT:  %b2 = "top.weight"() <{weight_name = "layer2.0.conv2.bias"}> : () -> tensor<128xf32>
// CHECK-GENERIC-NEXT:  %c2 = "top.conv"(%r1, %w2, %b2) <{strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64, do_relu = false}> : (tensor<1x128x28x28xf32>, tensor<128x128x3x3xf32>, tensor<128xf32>) -> tensor<1x128x28x28xf32>
// CHECK-GENERIC-NEXT:  %wd = "top.weight"() <{weight_name = "layer2.0.downsample.0.weight"}> : () -> tensor<128x64x1x1xf32>
// CHECK-GENERIC-NEXT:  %bd = "top.weight"() <{weight_name = "layer2.0.downsample.0.bias"}> : () -> tensor<128xf32>
// CHECK-GENERIC-NEXT:  %cd = "top.conv"(%x, %wd, %bd) <{strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, do_relu = false}> : (tensor<1x64x56x56xf32>, tensor<128x64x1x1xf32>, tensor<128xf32>) -> tensor<1x128x28x28xf32>
// CHECK-GENERIC-NEXT:  %s = "top.add"(%c2, %cd) <{do_relu = false}> : (tensor<1x128x28x28xf32>, tensor<1x128x28x28xf32>) -> tensor<1x128x28x28xf32>
// CHECK-GENERIC-NEXT:  %r2 = "top.relu"(%s) : (tensor<1x128x28x28xf32>) -> tensor<1x128x28x28xf32>
// CHECK-LOC: top.input %arg0 : tensor<1x3x224x224xf32> loc("images")
// CHECK-LOC: top.weight "b" dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32> loc("b")
// CHECK-LOC: top.conv {{.*}} -> tensor<1x8x8x8xf32> loc("conv1")
// CHECK-LOC-LABEL: func.func @resnet_basic_block
// CHECK-LOC: top.input {{.*}} loc("input")
// CHECK-LOC: top.conv {{.*}} loc("/layer2/layer2.0/conv1/Conv")
// CHECK-LOC: top.relu {{.*}} loc("/layer2/layer2.0/relu/Relu")
// CHECK-LOC: top.conv {{.*}} loc("/layer2/layer2.0/conv2/Conv")
// CHECK-LOC: top.conv {{.*}} loc("/layer2/layer2.0/downsample/downsample.0/Conv")
// CHECK-LOC: top.add {{.*}} loc("/layer2/layer2.0/Add")
// CHECK-LOC: top.relu {{.*}} loc("/layer2/layer2.0/relu_1/Relu")
