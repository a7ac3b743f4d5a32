// Canonicalization patterns of the top dialect (passes/canonicalization_patterns/top.py).
// RUN: nntc-opt %s -p canonicalize | filecheck %s
// RUN: nntc-opt %s -p canonicalize --print-debuginfo | filecheck %s --check-prefix=CHECK-LOC

// FuseReluIntoProducer: the conv applies the relu itself and takes over the relu's name.
func.func @relu_into_conv(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  %c = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> loc("conv")
  %r = top.relu %c : tensor<1x4x6x6xf32> loc("relu")
  func.return %r : tensor<1x4x6x6xf32>
}
// CHECK-LABEL: func.func @relu_into_conv(
// CHECK-NEXT:    %c = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, do_relu = true} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
// CHECK-NEXT:    func.return %c : tensor<1x4x6x6xf32>
// CHECK-LOC-LABEL: func.func @relu_into_conv(
// CHECK-LOC-NEXT:    top.conv {{.*}} do_relu = true{{.*}} loc("relu")

// A relu without a name leaves the producer's name alone.
func.func @relu_into_add_unnamed(%a: tensor<1x4xf32>, %b: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %s = top.add %a, %b : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32> loc("add")
  %r = top.relu %s : tensor<1x4xf32>
  func.return %r : tensor<1x4xf32>
}
// CHECK-LABEL: func.func @relu_into_add_unnamed(
// CHECK-NEXT:    %s = top.add %a, %b {do_relu = true} : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
// CHECK-NEXT:    func.return %s : tensor<1x4xf32>
// CHECK-LOC-LABEL: func.func @relu_into_add_unnamed(
// CHECK-LOC-NEXT:    top.add {{.*}} loc("add")

// relu6 becomes do_relu with relu_limit.
func.func @relu6_into_matmul(%a: tensor<2x8xf32>, %w: tensor<8x4xf32>, %b: tensor<4xf32>) -> tensor<2x4xf32> {
  %m = top.matmul %a, %w, %b : (tensor<2x8xf32>, tensor<8x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %r = top.relu %m {relu_limit = 6.0 : f64} : tensor<2x4xf32>
  func.return %r : tensor<2x4xf32>
}
// CHECK-LABEL: func.func @relu6_into_matmul(
// CHECK-NEXT:    %m = top.matmul %a, %w, %b {do_relu = true, relu_limit = 6.000000e+00 : f64} : (tensor<2x8xf32>, tensor<8x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
// CHECK-NEXT:    func.return %m : tensor<2x4xf32>

// A producer that already applies a clipped relu keeps the tighter limit.
func.func @relu_into_relu6_add(%a: tensor<4xf32>, %b: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %s = top.add %a, %b {do_relu = true, relu_limit = 6.0 : f64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %r = top.relu %s : tensor<4xf32>
  %t = top.mul %a, %b {do_relu = true, relu_limit = 6.0 : f64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %u = top.relu %t {relu_limit = 4.0 : f64} : tensor<4xf32>
  func.return %r, %u : tensor<4xf32>, tensor<4xf32>
}
// CHECK-LABEL: func.func @relu_into_relu6_add(
// CHECK-NEXT:    %s = top.add %a, %b {do_relu = true, relu_limit = 6.000000e+00 : f64}
// CHECK-NEXT:    %t = top.mul %a, %b {do_relu = true, relu_limit = 4.000000e+00 : f64}
// CHECK-NEXT:    func.return %s, %t : tensor<4xf32>, tensor<4xf32>

// Negative: the conv result has another user, which needs the value before the relu.
func.func @multi_use_conv(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) {
  %c = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  %r = top.relu %c : tensor<1x4x6x6xf32>
  func.return %r, %c : tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>
}
// CHECK-LABEL: func.func @multi_use_conv(
// CHECK-NEXT:    %c = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
// CHECK-NEXT:    %r = top.relu %c : tensor<1x4x6x6xf32>
// CHECK-NEXT:    func.return %r, %c : tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>

// Negative: concat and function arguments cannot apply a relu themselves.
func.func @not_fusible(%a: tensor<1x4xf32>, %b: tensor<1x4xf32>) -> (tensor<1x8xf32>, tensor<1x4xf32>) {
  %c = top.concat %a, %b {axis = 1 : i64} : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x8xf32>
  %r = top.relu %c : tensor<1x8xf32>
  %s = top.relu %a : tensor<1x4xf32>
  func.return %r, %s : tensor<1x8xf32>, tensor<1x4xf32>
}
// CHECK-LABEL: func.func @not_fusible(
// CHECK-NEXT:    %c = top.concat %a, %b {axis = 1 : i64}
// CHECK-NEXT:    %r = top.relu %c : tensor<1x8xf32>
// CHECK-NEXT:    %s = top.relu %a : tensor<1x4xf32>
// CHECK-NEXT:    func.return %r, %s

// MergeReluOfRelu: one relu with the smaller limit; an unbounded relu does not loosen it.
func.func @relu_of_relu(%a: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %r0 = top.relu %a : tensor<4xf32>
  %r1 = top.relu %r0 : tensor<4xf32>
  %s0 = top.relu %a {relu_limit = 6.0 : f64} : tensor<4xf32>
  %s1 = top.relu %s0 : tensor<4xf32>
  %t0 = top.relu %a {relu_limit = 6.0 : f64} : tensor<4xf32>
  %t1 = top.relu %t0 {relu_limit = 3.0 : f64} : tensor<4xf32>
  func.return %r1, %s1, %t1 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
// CHECK-LABEL: func.func @relu_of_relu(
// CHECK-NEXT:    %r1 = top.relu %a : tensor<4xf32>
// CHECK-NEXT:    %s1 = top.relu %a {relu_limit = 6.000000e+00 : f64} : tensor<4xf32>
// CHECK-NEXT:    %t1 = top.relu %a {relu_limit = 3.000000e+00 : f64} : tensor<4xf32>
// CHECK-NEXT:    func.return %r1, %s1, %t1

// The inner relu stays while it has another user.
func.func @relu_of_shared_relu(%a: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %r0 = top.relu %a {relu_limit = 6.0 : f64} : tensor<4xf32>
  %r1 = top.relu %r0 : tensor<4xf32>
  func.return %r0, %r1 : tensor<4xf32>, tensor<4xf32>
}
// CHECK-LABEL: func.func @relu_of_shared_relu(
// CHECK-NEXT:    %r0 = top.relu %a {relu_limit = 6.000000e+00 : f64} : tensor<4xf32>
// CHECK-NEXT:    %r1 = top.relu %a {relu_limit = 6.000000e+00 : f64} : tensor<4xf32>
// CHECK-NEXT:    func.return %r0, %r1

// RemoveIdentityReshape.
func.func @identity_reshape(%a: tensor<1x512xf32>) -> tensor<1x512xf32> {
  %r = top.reshape %a : tensor<1x512xf32> -> tensor<1x512xf32>
  func.return %r : tensor<1x512xf32>
}
// CHECK-LABEL: func.func @identity_reshape(
// CHECK-NEXT:    func.return %a : tensor<1x512xf32>

// MergeReshapeOfReshape, then RemoveIdentityReshape when the chain comes back to the input type.
func.func @reshape_chains(%a: tensor<1x512x1x1xf32>) -> (tensor<512xf32>, tensor<1x512x1x1xf32>) {
  %r0 = top.reshape %a : tensor<1x512x1x1xf32> -> tensor<1x512xf32>
  %r1 = top.reshape %r0 : tensor<1x512xf32> -> tensor<512xf32>
  %s0 = top.reshape %a : tensor<1x512x1x1xf32> -> tensor<512x1xf32>
  %s1 = top.reshape %s0 : tensor<512x1xf32> -> tensor<1x512x1x1xf32>
  func.return %r1, %s1 : tensor<512xf32>, tensor<1x512x1x1xf32>
}
// CHECK-LABEL: func.func @reshape_chains(
// CHECK-NEXT:    %r1 = top.reshape %a : tensor<1x512x1x1xf32> -> tensor<512xf32>
// CHECK-NEXT:    func.return %r1, %a : tensor<512xf32>, tensor<1x512x1x1xf32>

// The inner reshape stays while it has another user.
func.func @reshape_of_shared_reshape(%a: tensor<2x6xf32>) -> (tensor<3x4xf32>, tensor<12xf32>) {
  %r0 = top.reshape %a : tensor<2x6xf32> -> tensor<3x4xf32>
  %r1 = top.reshape %r0 : tensor<3x4xf32> -> tensor<12xf32>
  func.return %r0, %r1 : tensor<3x4xf32>, tensor<12xf32>
}
// CHECK-LABEL: func.func @reshape_of_shared_reshape(
// CHECK-NEXT:    %r0 = top.reshape %a : tensor<2x6xf32> -> tensor<3x4xf32>
// CHECK-NEXT:    %r1 = top.reshape %a : tensor<2x6xf32> -> tensor<12xf32>
// CHECK-NEXT:    func.return %r0, %r1

// The ResNet basic block of lit/dialects/top/ops.mlir: both relus are absorbed.
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
// CHECK:         %c1 = top.conv %x, %w1, %b1 {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, do_relu = true}
// CHECK:         %c2 = top.conv %c1, %w2, %b2 {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>}
// CHECK:         %cd = top.conv %x, %wd, %bd {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>}
// CHECK-NEXT:    %s = top.add %c2, %cd {do_relu = true}
// CHECK-NEXT:    func.return %s : tensor<1x128x28x28xf32>
// CHECK-LOC-LABEL: func.func @resnet_basic_block(
// CHECK-LOC:         top.conv {{.*}} loc("/layer2/layer2.0/relu/Relu")
// CHECK-LOC:         top.add {{.*}} loc("/layer2/layer2.0/relu_1/Relu")
