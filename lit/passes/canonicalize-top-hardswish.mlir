// RecognizeDecomposedHardSwish (passes/canonicalization_patterns/top.py): Paddle's hard-swish,
// x * clip(x + 3, 0, 6) / 6, becomes top.hardswish whatever the order of the factors, the side
// of the constants and the form of the clip (fused into the add, a relu6, a clip).
// RUN: nntc-opt %s -p canonicalize | filecheck %s
// RUN: nntc-opt %s -p canonicalize --print-debuginfo | filecheck %s --check-prefix=CHECK-LOC

// PP-OCRv4's form after DivByConstantToMul and relu fusion: mul(mul(x, relu6(x + 3)), 1/6).
func.func @paddle_order(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %three = top.weight "three" dense<3.0> : tensor<1xf32>
  %sixth = top.weight "sixth" dense<0.166666672> : tensor<1xf32>
  %g = top.add %x, %three {do_relu = true, relu_limit = 6.0 : f64} : (tensor<1x2x4x4xf32>, tensor<1xf32>) -> tensor<1x2x4x4xf32> loc("clip")
  %p = top.mul %x, %g : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> loc("mul")
  %h = top.mul %p, %sixth : (tensor<1x2x4x4xf32>, tensor<1xf32>) -> tensor<1x2x4x4xf32> loc("div")
  func.return %h : tensor<1x2x4x4xf32>
}
// CHECK-LABEL: func.func @paddle_order(
// CHECK-NEXT:    %h = top.hardswish %x : tensor<1x2x4x4xf32>
// CHECK-NEXT:    func.return %h
// CHECK-LOC-LABEL: func.func @paddle_order(
// CHECK-LOC-NEXT:    top.hardswish {{.*}} loc("div")

// The constants first, 1/6 applied to x before the product, the division still a div, the
// clip still a clip: div and clip are rewritten first, then the product is recognised.
func.func @scaled_x_first(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %three = top.weight "three" dense<3.0> : tensor<1x1xf32>
  %six = top.weight "six" dense<6.0> : tensor<1xf32>
  %s = top.add %three, %x : (tensor<1x1xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %g = top.clip %s {min = 0.0 : f64, max = 6.0 : f64} : tensor<2x8xf32>
  %d = top.div %x, %six : (tensor<2x8xf32>, tensor<1xf32>) -> tensor<2x8xf32>
  %h = top.mul %g, %d : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32> loc("hswish")
  func.return %h : tensor<2x8xf32>
}
// CHECK-LABEL: func.func @scaled_x_first(
// CHECK-NEXT:    %h = top.hardswish %x : tensor<2x8xf32>
// CHECK-NEXT:    func.return %h
// CHECK-LOC-LABEL: func.func @scaled_x_first(
// CHECK-LOC-NEXT:    top.hardswish {{.*}} loc("hswish")

// 1/6 applied to the gate (a relu6 op after a plain add of a 3 of x's shape), then x times
// that: x * (relu6(x + 3) * 1/6).
func.func @scaled_gate(%x: tensor<4xf32>) -> tensor<4xf32> {
  %three = top.weight "three" dense<3.0> : tensor<4xf32>
  %sixth = top.weight "sixth" dense<0.166666672> : tensor<1xf32>
  %s = top.add %x, %three : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %g = top.relu %s {relu_limit = 6.0 : f64} : tensor<4xf32>
  %q = top.mul %sixth, %g : (tensor<1xf32>, tensor<4xf32>) -> tensor<4xf32>
  %h = top.mul %x, %q : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  func.return %h : tensor<4xf32>
}
// CHECK-LABEL: func.func @scaled_gate(
// CHECK-NEXT:    %h = top.hardswish %x : tensor<4xf32>
// CHECK-NEXT:    func.return %h

// Negative: the gate has another user; the shift is 2, not 3; the factor is 1/5; the relu is
// not clipped at 6; the gate is computed from another tensor than x; the product carries a relu.
func.func @not_hardswish(%x: tensor<4xf32>, %y: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %three = top.weight "three" dense<3.0> : tensor<1xf32>
  %two = top.weight "two" dense<2.0> : tensor<1xf32>
  %sixth = top.weight "sixth" dense<0.166666672> : tensor<1xf32>
  %fifth = top.weight "fifth" dense<0.2> : tensor<1xf32>
  %g0 = top.add %x, %three {do_relu = true, relu_limit = 6.0 : f64} : (tensor<4xf32>, tensor<1xf32>) -> tensor<4xf32>
  %p0 = top.mul %x, %g0 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %h0 = top.mul %p0, %sixth : (tensor<4xf32>, tensor<1xf32>) -> tensor<4xf32>
  %g1 = top.add %x, %two {do_relu = true, relu_limit = 6.0 : f64} : (tensor<4xf32>, tensor<1xf32>) -> tensor<4xf32>
  %p1 = top.mul %x, %g1 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %h1 = top.mul %p1, %sixth : (tensor<4xf32>, tensor<1xf32>) -> tensor<4xf32>
  %g2 = top.add %x, %three {do_relu = true, relu_limit = 6.0 : f64} : (tensor<4xf32>, tensor<1xf32>) -> tensor<4xf32>
  %p2 = top.mul %x, %g2 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %h2 = top.mul %p2, %fifth : (tensor<4xf32>, tensor<1xf32>) -> tensor<4xf32>
  %g3 = top.add %x, %three {do_relu = true} : (tensor<4xf32>, tensor<1xf32>) -> tensor<4xf32>
  %p3 = top.mul %x, %g3 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %h3 = top.mul %p3, %sixth : (tensor<4xf32>, tensor<1xf32>) -> tensor<4xf32>
  %g4 = top.add %y, %three {do_relu = true, relu_limit = 6.0 : f64} : (tensor<4xf32>, tensor<1xf32>) -> tensor<4xf32>
  %p4 = top.mul %x, %g4 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %h4 = top.mul %p4, %sixth : (tensor<4xf32>, tensor<1xf32>) -> tensor<4xf32>
  %g5 = top.add %x, %three {do_relu = true, relu_limit = 6.0 : f64} : (tensor<4xf32>, tensor<1xf32>) -> tensor<4xf32>
  %p5 = top.mul %x, %g5 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %h5 = top.mul %p5, %sixth {do_relu = true} : (tensor<4xf32>, tensor<1xf32>) -> tensor<4xf32>
  func.return %h0, %g0, %h1, %h2, %h3, %h4, %h5 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
// CHECK-LABEL: func.func @not_hardswish(
// CHECK-NOT:     top.hardswish
// CHECK:         %h0 = top.mul %p0, %sixth
// CHECK:         %h1 = top.mul %p1, %sixth
// CHECK:         %h2 = top.mul %p2, %fifth
// CHECK:         %h3 = top.mul %p3, %sixth
// CHECK:         %h4 = top.mul %p4, %sixth
// CHECK-NOT:     top.hardswish
// CHECK:         %h5 = top.mul %p5, %sixth {do_relu = true}
// CHECK-NEXT:    func.return %h0, %g0, %h1, %h2, %h3, %h4, %h5
