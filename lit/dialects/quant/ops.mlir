// RUN: NNTC_ROUNDTRIP
// RUN: NNTC_GENERIC_ROUNDTRIP
// RUN: nntc-opt %s --split-input-file --print-debuginfo | filecheck %s --check-prefix=CHECK-LOC

// Every form of the per-tensor type. A zero point of 0 is left out when printed, an integer
// scale prints as a float, and scales print in the shortest form that reads back exactly.

func.func private @per_tensor(
    tensor<2x!quant.uniform<i8:f32, 0.0157:-3>>,
    tensor<2x!quant.uniform<i8:f32, 0.0157>>,
    tensor<2x!quant.uniform<i8:f32, 0.5:0>>,
    tensor<2x!quant.uniform<u8:f32, 1.0e-05:128>>,
    tensor<2x!quant.uniform<i16:f16, 3>>,
    tensor<2x!quant.uniform<u16:bf16, 2.5e+20:65535>>,
    tensor<2x!quant.uniform<i32:f32, 0.1:-2147483648>>,
    tensor<2x!quant.uniform<u32:f32, 0.30000000000000004>>,
    tensor<2x!quant.uniform<i8<-127:127>:f32, 0.0078125>>,
    tensor<2x!quant.uniform<u8<1:255>:f32, 0.25:2>>,
    tensor<!quant.uniform<i8:f32, 0.1>>)

// CHECK-LABEL: func.func private @per_tensor(
// CHECK-SAME: tensor<2x!quant.uniform<i8:f32, 0.0157:-3>>,
// CHECK-SAME: tensor<2x!quant.uniform<i8:f32, 0.0157>>,
// CHECK-SAME: tensor<2x!quant.uniform<i8:f32, 0.5>>,
// CHECK-SAME: tensor<2x!quant.uniform<u8:f32, 1.0e-05:128>>,
// CHECK-SAME: tensor<2x!quant.uniform<i16:f16, 3.0>>,
// CHECK-SAME: tensor<2x!quant.uniform<u16:bf16, 2.5e+20:65535>>,
// CHECK-SAME: tensor<2x!quant.uniform<i32:f32, 0.1:-2147483648>>,
// CHECK-SAME: tensor<2x!quant.uniform<u32:f32, 0.30000000000000004>>,
// CHECK-SAME: tensor<2x!quant.uniform<i8<-127:127>:f32, 0.0078125>>,
// CHECK-SAME: tensor<2x!quant.uniform<u8<1:255>:f32, 0.25:2>>,
// CHECK-SAME: tensor<!quant.uniform<i8:f32, 0.1>>)

// CHECK-GENERIC-LABEL: "func.func"() <{sym_name = "per_tensor", function_type = (
// CHECK-GENERIC-SAME: tensor<2x!quant.uniform<i8:f32, 0.0157:-3>>,
// CHECK-GENERIC-SAME: tensor<2x!quant.uniform<i8:f32, 0.0157>>,
// CHECK-GENERIC-SAME: tensor<2x!quant.uniform<i8:f32, 0.5>>,
// CHECK-GENERIC-SAME: tensor<2x!quant.uniform<u8:f32, 1.0e-05:128>>,
// CHECK-GENERIC-SAME: tensor<2x!quant.uniform<i16:f16, 3.0>>,
// CHECK-GENERIC-SAME: tensor<2x!quant.uniform<u16:bf16, 2.5e+20:65535>>,
// CHECK-GENERIC-SAME: tensor<2x!quant.uniform<i32:f32, 0.1:-2147483648>>,
// CHECK-GENERIC-SAME: tensor<2x!quant.uniform<u32:f32, 0.30000000000000004>>,
// CHECK-GENERIC-SAME: tensor<2x!quant.uniform<i8<-127:127>:f32, 0.0078125>>,
// CHECK-GENERIC-SAME: tensor<2x!quant.uniform<u8<1:255>:f32, 0.25:2>>,
// CHECK-GENERIC-SAME: tensor<!quant.uniform<i8:f32, 0.1>>)

// -----

// Every form of the per-axis type: entries with and without zero points, a narrowed storage
// range, a non-zero axis, and a dynamic dimension (its size is checked at run time).

func.func private @per_axis(
    tensor<3x2x!quant.uniform<i8:f32:0, {0.1, 0.2:1, 0.3}>>,
    tensor<2x4x!quant.uniform<u8:f16:1, {1.0e-05:128, 2.0:0, 3, 0.0157:255}>>,
    tensor<1x!quant.uniform<i8<-127:127>:f32:0, {0.5:-127}>>,
    tensor<?x2x!quant.uniform<i16:bf16:0, {0.25, 0.125}>>)

// CHECK-LABEL: func.func private @per_axis(
// CHECK-SAME: tensor<3x2x!quant.uniform<i8:f32:0, {0.1, 0.2:1, 0.3}>>,
// CHECK-SAME: tensor<2x4x!quant.uniform<u8:f16:1, {1.0e-05:128, 2.0, 3.0, 0.0157:255}>>,
// CHECK-SAME: tensor<1x!quant.uniform<i8<-127:127>:f32:0, {0.5:-127}>>,
// CHECK-SAME: tensor<?x2x!quant.uniform<i16:bf16:0, {0.25, 0.125}>>)

// CHECK-GENERIC-LABEL: "func.func"() <{sym_name = "per_axis", function_type = (
// CHECK-GENERIC-SAME: tensor<3x2x!quant.uniform<i8:f32:0, {0.1, 0.2:1, 0.3}>>,
// CHECK-GENERIC-SAME: tensor<2x4x!quant.uniform<u8:f16:1, {1.0e-05:128, 2.0, 3.0, 0.0157:255}>>,
// CHECK-GENERIC-SAME: tensor<1x!quant.uniform<i8<-127:127>:f32:0, {0.5:-127}>>,
// CHECK-GENERIC-SAME: tensor<?x2x!quant.uniform<i16:bf16:0, {0.25, 0.125}>>)

// -----

// The ops, a calibration attribute carried as a discardable attribute (keys in any order on
// input, printed in canonical order), and source locations.

func.func @casts(%x: tensor<1x3xf32>, %w: tensor<4x2xf32>) -> tensor<1x3xf32> {
  %q = quant.qcast %x {calib = #quant.calibration<max = 2.5, threshold = 2.5, min = -2.4>} : tensor<1x3xf32> to tensor<1x3x!quant.uniform<i8:f32, 0.0196>> loc("input_q")
  %r = quant.requant %q : tensor<1x3x!quant.uniform<i8:f32, 0.0196>> to tensor<1x3x!quant.uniform<u8:f32, 0.0098:128>>
  %wq = quant.qcast %w : tensor<4x2xf32> to tensor<4x2x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3, 1.0e-05}>>
  %wf = quant.dcast %wq : tensor<4x2x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3, 1.0e-05}>> to tensor<4x2xf32>
  %f = quant.dcast %r {calib = #quant.calibration<threshold = 1.0e-03, min = 0.0, max = 3.0>} : tensor<1x3x!quant.uniform<u8:f32, 0.0098:128>> to tensor<1x3xf32> loc("out")
  func.return %f : tensor<1x3xf32>
}

// CHECK-LABEL: func.func @casts(
// CHECK-NEXT: %q = quant.qcast %x {calib = #quant.calibration<threshold = 2.5, min = -2.4, max = 2.5>} : tensor<1x3xf32> to tensor<1x3x!quant.uniform<i8:f32, 0.0196>>
// CHECK-NEXT: %r = quant.requant %q : tensor<1x3x!quant.uniform<i8:f32, 0.0196>> to tensor<1x3x!quant.uniform<u8:f32, 0.0098:128>>
// CHECK-NEXT: %wq = quant.qcast %w : tensor<4x2xf32> to tensor<4x2x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3, 1.0e-05}>>
// CHECK-NEXT: %wf = quant.dcast %wq : tensor<4x2x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3, 1.0e-05}>> to tensor<4x2xf32>
// CHECK-NEXT: %f = quant.dcast %r {calib = #quant.calibration<threshold = 0.001, min = 0.0, max = 3.0>} : tensor<1x3x!quant.uniform<u8:f32, 0.0098:128>> to tensor<1x3xf32>
// CHECK-NEXT: func.return %f : tensor<1x3xf32>

// CHECK-GENERIC-LABEL: "func.func"() <{sym_name = "casts"
// CHECK-GENERIC: %q = "quant.qcast"(%x) {calib = #quant.calibration<threshold = 2.5, min = -2.4, max = 2.5>} : (tensor<1x3xf32>) -> tensor<1x3x!quant.uniform<i8:f32, 0.0196>>
// CHECK-GENERIC-NEXT: %r = "quant.requant"(%q) : (tensor<1x3x!quant.uniform<i8:f32, 0.0196>>) -> tensor<1x3x!quant.uniform<u8:f32, 0.0098:128>>
// CHECK-GENERIC-NEXT: %wq = "quant.qcast"(%w) : (tensor<4x2xf32>) -> tensor<4x2x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3, 1.0e-05}>>
// CHECK-GENERIC-NEXT: %wf = "quant.dcast"(%wq) : (tensor<4x2x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3, 1.0e-05}>>) -> tensor<4x2xf32>
// CHECK-GENERIC-NEXT: %f = "quant.dcast"(%r) {calib = #quant.calibration<threshold = 0.001, min = 0.0, max = 3.0>} : (tensor<1x3x!quant.uniform<u8:f32, 0.0098:128>>) -> tensor<1x3xf32>
// CHECK-GENERIC-NEXT: "func.return"(%f) : (tensor<1x3xf32>) -> ()

// CHECK-LOC-LABEL: func.func @casts(
// CHECK-LOC: %q = quant.qcast {{.*}} loc("input_q")
// CHECK-LOC: %f = quant.dcast {{.*}} loc("out")

// -----

// quant.lut: the table has the result's element type; top ops carry quantized (and f16/bf16)
// tensors at the quant level, one kind per op.

func.func @lut(%x: tensor<1x4x!quant.uniform<i8:f32, 0.05>>, %t: tensor<256x!quant.uniform<u8:f32, 0.00392156862745098>>) -> tensor<1x4x!quant.uniform<u8:f32, 0.00392156862745098>> {
  %y = quant.lut %x, %t : tensor<1x4x!quant.uniform<i8:f32, 0.05>>, tensor<256x!quant.uniform<u8:f32, 0.00392156862745098>> -> tensor<1x4x!quant.uniform<u8:f32, 0.00392156862745098>>
  %w = top.weight "w_int8" : tensor<4x4x!quant.uniform<i8:f32:1, {0.1, 0.2, 0.3, 0.4}>>
  %m = top.matmul %y, %w : (tensor<1x4x!quant.uniform<u8:f32, 0.00392156862745098>>, tensor<4x4x!quant.uniform<i8:f32:1, {0.1, 0.2, 0.3, 0.4}>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.02>>
  %h = top.weight "h" : tensor<4xf16>
  %f = top.relu %h : tensor<4xf16>
  func.return %y : tensor<1x4x!quant.uniform<u8:f32, 0.00392156862745098>>
}

// CHECK-LABEL: func.func @lut(
// CHECK-NEXT: %y = quant.lut %x, %t : tensor<1x4x!quant.uniform<i8:f32, 0.05>>, tensor<256x!quant.uniform<u8:f32, 0.00392156862745098>> -> tensor<1x4x!quant.uniform<u8:f32, 0.00392156862745098>>
// CHECK-NEXT: %w = top.weight "w_int8" : tensor<4x4x!quant.uniform<i8:f32:1, {0.1, 0.2, 0.3, 0.4}>>
// CHECK-NEXT: %m = top.matmul %y, %w : (tensor<1x4x!quant.uniform<u8:f32, 0.00392156862745098>>, tensor<4x4x!quant.uniform<i8:f32:1, {0.1, 0.2, 0.3, 0.4}>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.02>>
// CHECK-NEXT: %h = top.weight "h" : tensor<4xf16>
// CHECK-NEXT: %f = top.relu %h : tensor<4xf16>

// CHECK-GENERIC-LABEL: "func.func"() <{sym_name = "lut"
// CHECK-GENERIC: %y = "quant.lut"(%x, %t) : (tensor<1x4x!quant.uniform<i8:f32, 0.05>>, tensor<256x!quant.uniform<u8:f32, 0.00392156862745098>>) -> tensor<1x4x!quant.uniform<u8:f32, 0.00392156862745098>>
