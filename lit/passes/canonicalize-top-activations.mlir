// Activation patterns of the top dialect (passes/canonicalization_patterns/top.py): ClipToRelu
// (then FuseReluIntoProducer), RecognizeSiLU, RecognizeHardSwish.
// RUN: nntc-opt %s -p canonicalize | filecheck %s
// RUN: nntc-opt %s -p canonicalize --print-debuginfo | filecheck %s --check-prefix=CHECK-LOC

// Clip(0, 6) (PyTorch ReLU6) and Clip(0) fuse into conv / add / matmul; Clip(0, x) gives relu_limit x.
func.func @clip_into_producers(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %a: tensor<2x8xf32>, %r: tensor<8x4xf32>) -> (tensor<1x4x6x6xf32>, tensor<2x8xf32>, tensor<2x4xf32>) {
  %c = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> loc("conv")
  %c6 = top.clip %c {min = 0.0 : f64, max = 6.0 : f64} : tensor<1x4x6x6xf32> loc("relu6")
  %s = top.add %a, %a : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32> loc("add")
  %s0 = top.clip %s {min = 0.0 : f64} : tensor<2x8xf32> loc("clip0")
  %m = top.matmul %a, %r : (tensor<2x8xf32>, tensor<8x4xf32>) -> tensor<2x4xf32> loc("fc")
  %m3 = top.clip %m {min = 0.0 : f64, max = 3.5 : f64} : tensor<2x4xf32> loc("clip3")
  func.return %c6, %s0, %m3 : tensor<1x4x6x6xf32>, tensor<2x8xf32>, tensor<2x4xf32>
}
// CHECK-LABEL: func.func @clip_into_producers(
// CHECK-NEXT:    %c = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, do_relu = true, relu_limit = 6.000000e+00 : f64}
// CHECK-NEXT:    %s = top.add %a, %a {do_relu = true}
// CHECK-NEXT:    %m = top.matmul %a, %r {do_relu = true, relu_limit = 3.500000e+00 : f64}
// CHECK-NEXT:    func.return %c, %s, %m
// CHECK-LOC-LABEL: func.func @clip_into_producers(
// CHECK-LOC-NEXT:    top.conv {{.*}} loc("relu6")
// CHECK-LOC-NEXT:    top.add {{.*}} loc("clip0")
// CHECK-LOC-NEXT:    top.matmul {{.*}} loc("clip3")

// A clip at zero after an op that cannot fuse becomes a relu; other clips stay.
func.func @clip_stays(%a: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %r = top.clip %a {min = 0.0 : f64, max = 6.0 : f64} : tensor<4xf32>
  %l = top.clip %a {min = -1.0 : f64, max = 1.0 : f64} : tensor<4xf32>
  %u = top.clip %a {max = 6.0 : f64} : tensor<4xf32>
  %z = top.clip %a {min = 0.0 : f64, max = 0.0 : f64} : tensor<4xf32>
  func.return %r, %l, %u, %z : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
// CHECK-LABEL: func.func @clip_stays(
// CHECK-NEXT:    %r = top.relu %a {relu_limit = 6.000000e+00 : f64} : tensor<4xf32>
// CHECK-NEXT:    %l = top.clip %a {min = -1.000000e+00 : f64, max = 1.000000e+00 : f64}
// CHECK-NEXT:    %u = top.clip %a {max = 6.000000e+00 : f64}
// CHECK-NEXT:    %z = top.clip %a {min = 0.000000e+00 : f64, max = 0.000000e+00 : f64}
// CHECK-NEXT:    func.return %r, %l, %u, %z

// RecognizeSiLU and RecognizeHardSwish, operands in either order; alpha as float32 1/6.
func.func @silu_hardswish(%x: tensor<1x4xf32>) -> (tensor<1x4xf32>, tensor<1x4xf32>) {
  %s = top.sigmoid %x : tensor<1x4xf32> loc("sigmoid")
  %m = top.mul %x, %s : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32> loc("silu")
  %h = top.hardsigmoid %x {alpha = 0.1666666716337204 : f64, beta = 0.5 : f64} : tensor<1x4xf32>
  %n = top.mul %h, %x : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32> loc("hswish")
  func.return %m, %n : tensor<1x4xf32>, tensor<1x4xf32>
}
// CHECK-LABEL: func.func @silu_hardswish(
// CHECK-NEXT:    %m = top.silu %x : tensor<1x4xf32>
// CHECK-NEXT:    %n = top.hardswish %x : tensor<1x4xf32>
// CHECK-NEXT:    func.return %m, %n
// CHECK-LOC-LABEL: func.func @silu_hardswish(
// CHECK-LOC-NEXT:    top.silu {{.*}} loc("silu")
// CHECK-LOC-NEXT:    top.hardswish {{.*}} loc("hswish")

// Negative: a sigmoid of another value, a shared sigmoid, a hardsigmoid with the default
// alpha (0.2), a mul with its own relu.
func.func @not_silu(%x: tensor<1x4xf32>, %y: tensor<1x4xf32>) -> (tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>) {
  %s = top.sigmoid %y : tensor<1x4xf32>
  %m = top.mul %x, %s : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  %t = top.sigmoid %x : tensor<1x4xf32>
  %n = top.mul %x, %t : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  %h = top.hardsigmoid %x : tensor<1x4xf32>
  %k = top.mul %x, %h : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  %u = top.sigmoid %y : tensor<1x4xf32>
  %v = top.mul %y, %u {do_relu = true} : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  func.return %m, %n, %t, %k, %v : tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>
}
// CHECK-LABEL: func.func @not_silu(
// CHECK-NEXT:    %s = top.sigmoid %y
// CHECK-NEXT:    %m = top.mul %x, %s
// CHECK-NEXT:    %t = top.sigmoid %x
// CHECK-NEXT:    %n = top.mul %x, %t
// CHECK-NEXT:    %h = top.hardsigmoid %x
// CHECK-NEXT:    %k = top.mul %x, %h
// CHECK-NEXT:    %u = top.sigmoid %y
// CHECK-NEXT:    %v = top.mul %y, %u {do_relu = true}
