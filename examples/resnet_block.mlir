// A hand-written ResNet-18 stem and first basic block with a classifier head, in the `top`
// dialect. Weights live in resnet_block.npz (made by make_resnet_block.py). `make run` runs
// `canonicalize` on it: every relu is folded into the conv or add that produces it.
builtin.module attributes {nntc.weights = "resnet_block.npz"} {
  func.func @main(%arg0: tensor<1x3x224x224xf32>) -> tensor<1x10xf32> {
    %input = top.input %arg0 {pixel_format = "rgb", mean = array<f64: 123.675, 116.28, 103.53>, scale = array<f64: 0.0171, 0.0175, 0.0174>} : tensor<1x3x224x224xf32> loc("input")
    %w1 = top.weight "conv1.weight" : tensor<64x3x7x7xf32>
    %b1 = top.weight "conv1.bias" : tensor<64xf32>
    %c1 = top.conv %input, %w1, %b1 {strides = array<i64: 2, 2>, pads = array<i64: 3, 3, 3, 3>} : (tensor<1x3x224x224xf32>, tensor<64x3x7x7xf32>, tensor<64xf32>) -> tensor<1x64x112x112xf32> loc("conv1")
    %r1 = top.relu %c1 : tensor<1x64x112x112xf32> loc("relu1")
    %p1 = top.maxpool %r1 {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>} : tensor<1x64x112x112xf32> -> tensor<1x64x56x56xf32> loc("maxpool")
    %w2 = top.weight "layer1.0.conv1.weight" : tensor<64x64x3x3xf32>
    %b2 = top.weight "layer1.0.conv1.bias" : tensor<64xf32>
    %c2 = top.conv %p1, %w2, %b2 {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x64x56x56xf32>, tensor<64x64x3x3xf32>, tensor<64xf32>) -> tensor<1x64x56x56xf32> loc("layer1.0.conv1")
    %r2 = top.relu %c2 : tensor<1x64x56x56xf32> loc("layer1.0.relu1")
    %w3 = top.weight "layer1.0.conv2.weight" : tensor<64x64x3x3xf32>
    %b3 = top.weight "layer1.0.conv2.bias" : tensor<64xf32>
    %c3 = top.conv %r2, %w3, %b3 {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x64x56x56xf32>, tensor<64x64x3x3xf32>, tensor<64xf32>) -> tensor<1x64x56x56xf32> loc("layer1.0.conv2")
    %sum = top.add %c3, %p1 : (tensor<1x64x56x56xf32>, tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32> loc("layer1.0.add")
    %r3 = top.relu %sum : tensor<1x64x56x56xf32> loc("layer1.0.relu2")
    %gap = top.global_avgpool %r3 : tensor<1x64x56x56xf32> -> tensor<1x64x1x1xf32> loc("avgpool")
    %flat = top.reshape %gap : tensor<1x64x1x1xf32> -> tensor<1x64xf32> loc("flatten")
    %wfc = top.weight "fc.weight" : tensor<64x10xf32>
    %bfc = top.weight "fc.bias" : tensor<10xf32>
    %fc = top.matmul %flat, %wfc, %bfc : (tensor<1x64xf32>, tensor<64x10xf32>, tensor<10xf32>) -> tensor<1x10xf32> loc("fc")
    %prob = top.softmax %fc {axis = 1 : i64} : tensor<1x10xf32> loc("softmax")
    func.return %prob : tensor<1x10xf32>
  }
}
