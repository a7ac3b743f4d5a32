// The top ops the ONNX importer adds beyond the core set, in custom and generic form.
// RUN: NNTC_ROUNDTRIP
// RUN: NNTC_GENERIC_ROUNDTRIP

func.func @unary(%a: tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>) {
  %0 = top.identity %a : tensor<2x8xf32> loc("/Identity")
  %1 = top.sigmoid %a : tensor<2x8xf32>
  %2 = top.tanh %a : tensor<2x8xf32>
  %3 = top.erf %a : tensor<2x8xf32>
  %4 = top.exp %a : tensor<2x8xf32>
  %5 = top.log %a : tensor<2x8xf32>
  %6 = top.sqrt %a : tensor<2x8xf32>
  %7 = top.hardswish %a : tensor<2x8xf32>
  %8 = top.silu %a : tensor<2x8xf32>
  %9 = top.leaky_relu %a {alpha = 0.1 : f64} : tensor<2x8xf32>
  %10 = top.hardsigmoid %a {alpha = 0.25 : f64, beta = 0.5 : f64} : tensor<2x8xf32>
  %11 = top.gelu %a {approximate = "tanh"} : tensor<2x8xf32>
  %12 = top.clip %a {min = 0.0 : f64, max = 6.0 : f64} : tensor<2x8xf32>
  %13 = top.pow %a {exponent = 2.0 : f64} : tensor<2x8xf32>
  %14 = top.log_softmax %a {axis = 1 : i64} : tensor<2x8xf32>
  %15 = top.clip %a {max = 1.0 : f64} : tensor<2x8xf32>
  func.return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15 : tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>
}

// CHECK-LABEL: func.func @unary(
// CHECK-NEXT:  %0 = top.identity %a : tensor<2x8xf32>
// CHECK-NEXT:  %1 = top.sigmoid %a : tensor<2x8xf32>
// CHECK-NEXT:  %2 = top.tanh %a : tensor<2x8xf32>
// CHECK-NEXT:  %3 = top.erf %a : tensor<2x8xf32>
// CHECK-NEXT:  %4 = top.exp %a : tensor<2x8xf32>
// CHECK-NEXT:  %5 = top.log %a : tensor<2x8xf32>
// CHECK-NEXT:  %6 = top.sqrt %a : tensor<2x8xf32>
// CHECK-NEXT:  %7 = top.hardswish %a : tensor<2x8xf32>
// CHECK-NEXT:  %8 = top.silu %a : tensor<2x8xf32>
// CHECK-NEXT:  %9 = top.leaky_relu %a {alpha = 1.000000e-01 : f64} : tensor<2x8xf32>
// CHECK-NEXT:  %10 = top.hardsigmoid %a {alpha = 2.500000e-01 : f64} : tensor<2x8xf32>
// CHECK-NEXT:  %11 = top.gelu %a {approximate = "tanh"} : tensor<2x8xf32>
// CHECK-NEXT:  %12 = top.clip %a {min = 0.000000e+00 : f64, max = 6.000000e+00 : f64} : tensor<2x8xf32>
// CHECK-NEXT:  %13 = top.pow %a {exponent = 2.000000e+00 : f64} : tensor<2x8xf32>
// CHECK-NEXT:  %14 = top.log_softmax %a {axis = 1 : i64} : tensor<2x8xf32>
// CHECK-NEXT:  %15 = top.clip %a {max = 1.000000e+00 : f64} : tensor<2x8xf32>
// CHECK-GENERIC-LABEL: "func.func"() <{sym_name = "unary"
// CHECK-GENERIC:       %0 = "top.identity"(%a) : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-GENERIC-NEXT:  %1 = "top.sigmoid"(%a) : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-GENERIC-NEXT:  %2 = "top.tanh"(%a) : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-GENERIC-NEXT:  %3 = "top.erf"(%a) : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-GENERIC-NEXT:  %4 = "top.exp"(%a) : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-GENERIC-NEXT:  %5 = "top.log"(%a) : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-GENERIC-NEXT:  %6 = "top.sqrt"(%a) : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-GENERIC-NEXT:  %7 = "top.hardswish"(%a) : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-GENERIC-NEXT:  %8 = "top.silu"(%a) : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-GENERIC-NEXT:  %9 = "top.leaky_relu"(%a) <{alpha = 1.000000e-01 : f64}> : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-GENERIC-NEXT:  %10 = "top.hardsigmoid"(%a) <{alpha = 2.500000e-01 : f64, beta = 5.000000e-01 : f64}> : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-GENERIC-NEXT:  %11 = "top.gelu"(%a) <{approximate = "tanh"}> : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-GENERIC-NEXT:  %12 = "top.clip"(%a) <{min = 0.000000e+00 : f64, max = 6.000000e+00 : f64}> : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-GENERIC-NEXT:  %13 = "top.pow"(%a) <{exponent = 2.000000e+00 : f64}> : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-GENERIC-NEXT:  %14 = "top.log_softmax"(%a) <{axis = 1 : i64}> : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-GENERIC-NEXT:  %15 = "top.clip"(%a) <{max = 1.000000e+00 : f64}> : (tensor<2x8xf32>) -> tensor<2x8xf32>

func.func @elementwise(%a: tensor<1x3x4x4xf32>, %b: tensor<3x1x1xf32>, %c: tensor<4xf32>) -> (tensor<1x3x4x4xf32>, tensor<1x3x4x4xf32>, tensor<1x3x4x4xf32>, tensor<1x3x4x4xf32>) {
  %s = top.sub %a, %b : (tensor<1x3x4x4xf32>, tensor<3x1x1xf32>) -> tensor<1x3x4x4xf32>
  %d = top.div %a, %c {do_relu = true} : (tensor<1x3x4x4xf32>, tensor<4xf32>) -> tensor<1x3x4x4xf32>
  %p = top.prelu %a, %b : (tensor<1x3x4x4xf32>, tensor<3x1x1xf32>) -> tensor<1x3x4x4xf32>
  %w = top.where %c, %a, %b : (tensor<4xf32>, tensor<1x3x4x4xf32>, tensor<3x1x1xf32>) -> tensor<1x3x4x4xf32>
  func.return %s, %d, %p, %w : tensor<1x3x4x4xf32>, tensor<1x3x4x4xf32>, tensor<1x3x4x4xf32>, tensor<1x3x4x4xf32>
}

// CHECK-LABEL: func.func @elementwise(
// CHECK-NEXT:  %s = top.sub %a, %b : (tensor<1x3x4x4xf32>, tensor<3x1x1xf32>) -> tensor<1x3x4x4xf32>
// CHECK-NEXT:  %d = top.div %a, %c {do_relu = true} : (tensor<1x3x4x4xf32>, tensor<4xf32>) -> tensor<1x3x4x4xf32>
// CHECK-NEXT:  %p = top.prelu %a, %b : (tensor<1x3x4x4xf32>, tensor<3x1x1xf32>) -> tensor<1x3x4x4xf32>
// CHECK-NEXT:  %w = top.where %c, %a, %b : (tensor<4xf32>, tensor<1x3x4x4xf32>, tensor<3x1x1xf32>) -> tensor<1x3x4x4xf32>
// CHECK-GENERIC-LABEL: "func.func"() <{sym_name = "elementwise"
// CHECK-GENERIC:       %s = "top.sub"(%a, %b) <{do_relu = false}> : (tensor<1x3x4x4xf32>, tensor<3x1x1xf32>) -> tensor<1x3x4x4xf32>
// CHECK-GENERIC-NEXT:  %d = "top.div"(%a, %c) <{do_relu = true}> : (tensor<1x3x4x4xf32>, tensor<4xf32>) -> tensor<1x3x4x4xf32>
// CHECK-GENERIC-NEXT:  %p = "top.prelu"(%a, %b) : (tensor<1x3x4x4xf32>, tensor<3x1x1xf32>) -> tensor<1x3x4x4xf32>
// CHECK-GENERIC-NEXT:  %w = "top.where"(%c, %a, %b) : (tensor<4xf32>, tensor<1x3x4x4xf32>, tensor<3x1x1xf32>) -> tensor<1x3x4x4xf32>

func.func @normalization(%x: tensor<2x3x4x4xf32>, %p: tensor<3xf32>, %s: tensor<4x4xf32>, %b: tensor<4xf32>) -> (tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>) {
  %bn = top.batchnorm %x, %p, %p, %p, %p {epsilon = 1.0e-3 : f64} : (tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x4x4xf32>
  %ln = top.layernorm %x, %s, %b {axis = -2 : i64} : (tensor<2x3x4x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<2x3x4x4xf32>
  %ln2 = top.layernorm %x, %b : (tensor<2x3x4x4xf32>, tensor<4xf32>) -> tensor<2x3x4x4xf32>
  func.return %bn, %ln, %ln2 : tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>
}

// CHECK-LABEL: func.func @normalization(
// CHECK-NEXT:  %bn = top.batchnorm %x, %p, %p, %p, %p {epsilon = 1.000000e-03 : f64} : (tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x4x4xf32>
// CHECK-NEXT:  %ln = top.layernorm %x, %s, %b {axis = -2 : i64} : (tensor<2x3x4x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<2x3x4x4xf32>
// CHECK-NEXT:  %ln2 = top.layernorm %x, %b : (tensor<2x3x4x4xf32>, tensor<4xf32>) -> tensor<2x3x4x4xf32>
// CHECK-GENERIC-LABEL: "func.func"() <{sym_name = "normalization"
// CHECK-GENERIC:       %bn = "top.batchnorm"(%x, %p, %p, %p, %p) <{epsilon = 1.000000e-03 : f64}> : (tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x4x4xf32>
// CHECK-GENERIC-NEXT:  %ln = "top.layernorm"(%x, %s, %b) <{axis = -2 : i64, epsilon = 1.000000e-05 : f64}> : (tensor<2x3x4x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<2x3x4x4xf32>
// CHECK-GENERIC-NEXT:  %ln2 = "top.layernorm"(%x, %b) <{axis = -1 : i64, epsilon = 1.000000e-05 : f64}> : (tensor<2x3x4x4xf32>, tensor<4xf32>) -> tensor<2x3x4x4xf32>

func.func @products(%x: tensor<1x4x5x5xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<6xf32>, %m: tensor<3x8xf32>, %n: tensor<5x8xf32>, %c: tensor<5xf32>) -> (tensor<1x6x10x10xf32>, tensor<1x3x5x5xf32>, tensor<3x5xf32>) {
  %d = top.deconv %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, output_padding = array<i64: 1, 1>, group = 2 : i64} : (tensor<1x4x5x5xf32>, tensor<4x3x3x3xf32>, tensor<6xf32>) -> tensor<1x6x10x10xf32>
  %d2 = top.deconv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 2, 2, 2, 2>, dilations = array<i64: 2, 2>} : (tensor<1x4x5x5xf32>, tensor<4x3x3x3xf32>) -> tensor<1x3x5x5xf32>
  %g = top.gemm %m, %n, %c {alpha = 0.5 : f64, trans_b = true} : (tensor<3x8xf32>, tensor<5x8xf32>, tensor<5xf32>) -> tensor<3x5xf32>
  func.return %d, %d2, %g : tensor<1x6x10x10xf32>, tensor<1x3x5x5xf32>, tensor<3x5xf32>
}

// CHECK-LABEL: func.func @products(
// CHECK-NEXT:  %d = top.deconv %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, output_padding = array<i64: 1, 1>, group = 2 : i64} : (tensor<1x4x5x5xf32>, tensor<4x3x3x3xf32>, tensor<6xf32>) -> tensor<1x6x10x10xf32>
// CHECK-NEXT:  %d2 = top.deconv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 2, 2, 2, 2>, dilations = array<i64: 2, 2>} : (tensor<1x4x5x5xf32>, tensor<4x3x3x3xf32>) -> tensor<1x3x5x5xf32>
// CHECK-NEXT:  %g = top.gemm %m, %n, %c {alpha = 5.000000e-01 : f64, trans_b = true} : (tensor<3x8xf32>, tensor<5x8xf32>, tensor<5xf32>) -> tensor<3x5xf32>
// CHECK-GENERIC-LABEL: "func.func"() <{sym_name = "products"
// CHECK-GENERIC:       %d = "top.deconv"(%x, %w, %b) <{strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, output_padding = array<i64: 1, 1>, group = 2 : i64, do_relu = false}> : (tensor<1x4x5x5xf32>, tensor<4x3x3x3xf32>, tensor<6xf32>) -> tensor<1x6x10x10xf32>
// CHECK-GENERIC-NEXT:  %d2 = "top.deconv"(%x, %w) <{strides = array<i64: 1, 1>, pads = array<i64: 2, 2, 2, 2>, dilations = array<i64: 2, 2>, group = 1 : i64, do_relu = false}> : (tensor<1x4x5x5xf32>, tensor<4x3x3x3xf32>) -> tensor<1x3x5x5xf32>
// CHECK-GENERIC-NEXT:  %g = "top.gemm"(%m, %n, %c) <{alpha = 5.000000e-01 : f64, trans_b = true, beta = 1.000000e+00 : f64, trans_a = false}> : (tensor<3x8xf32>, tensor<5x8xf32>, tensor<5xf32>) -> tensor<3x5xf32>

func.func @data_movement(%a: tensor<2x8xf32>, %x: tensor<1x3x4x6xf32>) -> (tensor<8x2xf32>, tensor<1x4xf32>, tensor<2x3xf32>, tensor<2x5xf32>, tensor<2x10xf32>, tensor<3x2x8xf32>, tensor<2x1x2xf32>, tensor<1x3x8x12xf32>, tensor<1x3x7x9xf32>) {
  %t = top.transpose %a {perm = array<i64: 1, 0>} : tensor<2x8xf32> -> tensor<8x2xf32>
  %s = top.slice %a {starts = array<i64: 1, 7>, steps = array<i64: 1, -2>} : tensor<2x8xf32> -> tensor<1x4xf32>
  %p:2 = top.split %a {axis = 1 : i64, split = array<i64: 3, 5>} : tensor<2x8xf32> -> tensor<2x3xf32>, tensor<2x5xf32>
  %pad = top.pad %a {pads = array<i64: 0, 1, 0, 1>, mode = "reflect"} : tensor<2x8xf32> -> tensor<2x10xf32>
  %e = top.expand %a : tensor<2x8xf32> -> tensor<3x2x8xf32>
  %g = top.gather %a {axis = 1 : i64, indices = dense<[[0, -1]]> : tensor<1x2xi64>} : tensor<2x8xf32> -> tensor<2x1x2xf32>
  %r = top.resize %x {mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor", scales = array<f64: 1.0, 1.0, 2.0, 2.0>} : tensor<1x3x4x6xf32> -> tensor<1x3x8x12xf32>
  %r2 = top.resize %x {mode = "linear", coordinate_transformation_mode = "align_corners", scales = array<f64: 1.0, 1.0, 1.75, 1.5>} : tensor<1x3x4x6xf32> -> tensor<1x3x7x9xf32>
  func.return %t, %s, %p#0, %p#1, %pad, %e, %g, %r, %r2 : tensor<8x2xf32>, tensor<1x4xf32>, tensor<2x3xf32>, tensor<2x5xf32>, tensor<2x10xf32>, tensor<3x2x8xf32>, tensor<2x1x2xf32>, tensor<1x3x8x12xf32>, tensor<1x3x7x9xf32>
}

// CHECK-LABEL: func.func @data_movement(
// CHECK-NEXT:  %t = top.transpose %a {perm = array<i64: 1, 0>} : tensor<2x8xf32> -> tensor<8x2xf32>
// CHECK-NEXT:  %s = top.slice %a {starts = array<i64: 1, 7>, steps = array<i64: 1, -2>} : tensor<2x8xf32> -> tensor<1x4xf32>
// CHECK-NEXT:  %p, %p_1 = top.split %a {axis = 1 : i64, split = array<i64: 3, 5>} : tensor<2x8xf32> -> tensor<2x3xf32>, tensor<2x5xf32>
// CHECK-NEXT:  %pad = top.pad %a {pads = array<i64: 0, 1, 0, 1>, mode = "reflect"} : tensor<2x8xf32> -> tensor<2x10xf32>
// CHECK-NEXT:  %e = top.expand %a : tensor<2x8xf32> -> tensor<3x2x8xf32>
// CHECK-NEXT:  %g = top.gather %a {axis = 1 : i64, indices = dense<[[0, -1]]> : tensor<1x2xi64>} : tensor<2x8xf32> -> tensor<2x1x2xf32>
// CHECK-NEXT:  %r = top.resize %x {mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor", scales = array<f64: 1.000000e+00, 1.000000e+00, 2.000000e+00, 2.000000e+00>} : tensor<1x3x4x6xf32> -> tensor<1x3x8x12xf32>
// CHECK-NEXT:  %r2 = top.resize %x {mode = "linear", coordinate_transformation_mode = "align_corners", scales = array<f64: 1.000000e+00, 1.000000e+00, 1.750000e+00, 1.500000e+00>} : tensor<1x3x4x6xf32> -> tensor<1x3x7x9xf32>
// CHECK-GENERIC-LABEL: "func.func"() <{sym_name = "data_movement"
// CHECK-GENERIC:       %t = "top.transpose"(%a) <{perm = array<i64: 1, 0>}> : (tensor<2x8xf32>) -> tensor<8x2xf32>
// CHECK-GENERIC-NEXT:  %s = "top.slice"(%a) <{starts = array<i64: 1, 7>, steps = array<i64: 1, -2>}> : (tensor<2x8xf32>) -> tensor<1x4xf32>
// CHECK-GENERIC-NEXT:  %p, %p_1 = "top.split"(%a) <{axis = 1 : i64, split = array<i64: 3, 5>}> : (tensor<2x8xf32>) -> (tensor<2x3xf32>, tensor<2x5xf32>)
// CHECK-GENERIC-NEXT:  %pad = "top.pad"(%a) <{pads = array<i64: 0, 1, 0, 1>, mode = "reflect", value = 0.000000e+00 : f64}> : (tensor<2x8xf32>) -> tensor<2x10xf32>
// CHECK-GENERIC-NEXT:  %e = "top.expand"(%a) : (tensor<2x8xf32>) -> tensor<3x2x8xf32>
// CHECK-GENERIC-NEXT:  %g = "top.gather"(%a) <{axis = 1 : i64, indices = dense<[[0, -1]]> : tensor<1x2xi64>}> : (tensor<2x8xf32>) -> tensor<2x1x2xf32>
// CHECK-GENERIC-NEXT:  %r = "top.resize"(%x) <{mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor", scales = array<f64: 1.000000e+00, 1.000000e+00, 2.000000e+00, 2.000000e+00>, cubic_coeff_a = -7.500000e-01 : f64, exclude_outside = false}> : (tensor<1x3x4x6xf32>) -> tensor<1x3x8x12xf32>
// CHECK-GENERIC-NEXT:  %r2 = "top.resize"(%x) <{mode = "linear", coordinate_transformation_mode = "align_corners", scales = array<f64: 1.000000e+00, 1.000000e+00, 1.750000e+00, 1.500000e+00>, nearest_mode = "round_prefer_floor", cubic_coeff_a = -7.500000e-01 : f64, exclude_outside = false}> : (tensor<1x3x4x6xf32>) -> tensor<1x3x7x9xf32>

func.func @reductions(%x: tensor<2x3x4xf32>) -> (tensor<2x1x1xf32>, tensor<2xf32>, tensor<3x4xf32>, tensor<2x3x1x1xf32>) {
  %m = top.reduce_mean %x {axes = array<i64: 1, 2>} : tensor<2x3x4xf32> -> tensor<2x1x1xf32>
  %s = top.reduce_sum %x {axes = array<i64: -1, 1>, keepdims = false} : tensor<2x3x4xf32> -> tensor<2xf32>
  %mx = top.reduce_max %x {axes = array<i64: 0>, keepdims = false} : tensor<2x3x4xf32> -> tensor<3x4xf32>
  %e = top.expand %x : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  %r = top.reshape %e : tensor<2x3x4xf32> -> tensor<2x3x4x1xf32>
  %g = top.global_maxpool %r : tensor<2x3x4x1xf32> -> tensor<2x3x1x1xf32>
  func.return %m, %s, %mx, %g : tensor<2x1x1xf32>, tensor<2xf32>, tensor<3x4xf32>, tensor<2x3x1x1xf32>
}

// CHECK-LABEL: func.func @reductions(
// CHECK-NEXT:  %m = top.reduce_mean %x {axes = array<i64: 1, 2>} : tensor<2x3x4xf32> -> tensor<2x1x1xf32>
// CHECK-NEXT:  %s = top.reduce_sum %x {axes = array<i64: -1, 1>, keepdims = false} : tensor<2x3x4xf32> -> tensor<2xf32>
// CHECK-NEXT:  %mx = top.reduce_max %x {axes = array<i64: 0>, keepdims = false} : tensor<2x3x4xf32> -> tensor<3x4xf32>
// CHECK-NEXT:  %e = top.expand %x : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
// CHECK-NEXT:  %r = top.reshape %e : tensor<2x3x4xf32> -> tensor<2x3x4x1xf32>
// CHECK-NEXT:  %g = top.global_maxpool %r : tensor<2x3x4x1xf32> -> tensor<2x3x1x1xf32>
// CHECK-GENERIC-LABEL: "func.func"() <{sym_name = "reductions"
// CHECK-GENERIC:       %m = "top.reduce_mean"(%x) <{axes = array<i64: 1, 2>, keepdims = true}> : (tensor<2x3x4xf32>) -> tensor<2x1x1xf32>
// CHECK-GENERIC-NEXT:  %s = "top.reduce_sum"(%x) <{axes = array<i64: -1, 1>, keepdims = false}> : (tensor<2x3x4xf32>) -> tensor<2xf32>
// CHECK-GENERIC-NEXT:  %mx = "top.reduce_max"(%x) <{axes = array<i64: 0>, keepdims = false}> : (tensor<2x3x4xf32>) -> tensor<3x4xf32>
// CHECK-GENERIC-NEXT:  %e = "top.expand"(%x) : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
// CHECK-GENERIC-NEXT:  %r = "top.reshape"(%e) : (tensor<2x3x4xf32>) -> tensor<2x3x4x1xf32>
// CHECK-GENERIC-NEXT:  %g = "top.global_maxpool"(%r) : (tensor<2x3x4x1xf32>) -> tensor<2x3x1x1xf32>
