// quantize, layers kept in float: softmax and layernorm by default (in `float-mode`, f32
// unless given), any layer the precision table marks F16/BF16/F32, and ops that cannot be
// quantized (here a div, which has no INT8 rule, and a relu without statistics on a float
// input). Quantized values are dequantized before them (`quant.dcast`, then `arith.truncf` to
// f16/bf16) and requantized after them (`arith.extf`, `quant.qcast`); f16/bf16 weights are
// converted at compile time.
// RUN: echo "conv F16   # keep the first layer precise" > %t.qtable
// RUN: echo "mid BF16" >> %t.qtable
// RUN: echo "nowhere INT8" >> %t.qtable
// RUN: nntc-opt %s -p 'quantize{qtable="%t.qtable" target=reference}' -o %t.mlir 2> %t.err
// RUN: filecheck %s < %t.mlir
// RUN: filecheck %s --check-prefix=WARN < %t.err
// RUN: nntc-opt %s -p 'quantize{float-mode=f16 target=reference}' -o %t.f16.mlir
// RUN: filecheck %s --check-prefix=F16 < %t.f16.mlir

func.func @main(%arg0: tensor<1x2x2x2xf32>) -> (tensor<1x8xf32>, tensor<1x8xf32>) {
  %x = top.input %arg0 {calib = #quant.calibration<threshold = 1.27, min = -1.0, max = 1.27>} : tensor<1x2x2x2xf32> loc("x")
  %w = top.weight "w" dense<[[[[1.0]], [[-0.5]]], [[[0.0]], [[-2.0]]]]> : tensor<2x2x1x1xf32> loc("w")
  %c = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, calib = #quant.calibration<threshold = 2.54, min = -2.0, max = 2.54>} : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x2x2xf32> loc("conv")
  %r = top.reshape %c {calib = #quant.calibration<threshold = 2.54, min = -2.0, max = 2.54>} : tensor<1x2x2x2xf32> -> tensor<1x8xf32> loc("flat")
  %m = top.mul %r, %r {calib = #quant.calibration<threshold = 5.08, min = 0.0, max = 5.08>} : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32> loc("mid")
  %s = top.softmax %m {axis = 1 : i64, calib = #quant.calibration<threshold = 1.0, min = 0.0, max = 1.0>} : tensor<1x8xf32> loc("prob")
  %d = top.div %r, %m : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32> loc("ratio")
  %n = top.relu %d : tensor<1x8xf32> loc("relu")
  func.return %s, %n : tensor<1x8xf32>, tensor<1x8xf32>
}

// CHECK:      %x = top.input
// CHECK-NEXT: %[[XH:.*]] = arith.truncf %x : tensor<1x2x2x2xf32> to tensor<1x2x2x2xf16>
// CHECK-NEXT: %[[WH:.*]] = top.weight "w_f16" : tensor<2x2x1x1xf16>
// CHECK-NEXT: %c = top.conv %[[XH]], %[[WH]] {{.*}} : (tensor<1x2x2x2xf16>, tensor<2x2x1x1xf16>) -> tensor<1x2x2x2xf16>
// CHECK-NEXT: %[[CF:.*]] = arith.extf %c : tensor<1x2x2x2xf16> to tensor<1x2x2x2xf32>
// CHECK-NEXT: %[[CQ:.*]] = quant.qcast %[[CF]] : tensor<1x2x2x2xf32> to tensor<1x2x2x2x!quant.uniform<i8:f32, 0.02>>
// CHECK-NEXT: %r = top.reshape %[[CQ]] {{.*}} : tensor<1x2x2x2x!quant.uniform<i8:f32, 0.02>> -> tensor<1x8x!quant.uniform<i8:f32, 0.02>>
// CHECK-NEXT: %[[RF:.*]] = quant.dcast %r : tensor<1x8x!quant.uniform<i8:f32, 0.02>> to tensor<1x8xf32>
// CHECK-NEXT: %[[RB:.*]] = arith.truncf %[[RF]] : tensor<1x8xf32> to tensor<1x8xbf16>
// CHECK-NEXT: %m = top.mul %[[RB]], %[[RB]] {{.*}} : (tensor<1x8xbf16>, tensor<1x8xbf16>) -> tensor<1x8xbf16>
// CHECK-NEXT: %[[MF:.*]] = arith.extf %m : tensor<1x8xbf16> to tensor<1x8xf32>
// CHECK-NEXT: %s = top.softmax %[[MF]] {{.*}} : tensor<1x8xf32>
// CHECK-NEXT: %d = top.div %[[RF]], %[[MF]] : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
// CHECK-NEXT: %n = top.relu %d : tensor<1x8xf32>
// CHECK-NEXT: func.return %s, %n : tensor<1x8xf32>, tensor<1x8xf32>

// WARN: warning: precision table entry 'nowhere' names no op in the module

// F16: %[[MQ:.*]] = top.mul {{.*}} -> tensor<1x8x!quant.uniform<u8:f32, 0.01992156862745098>>
// F16: %[[MF:.*]] = quant.dcast %m : tensor<1x8x!quant.uniform<u8:f32, 0.01992156862745098>> to tensor<1x8xf32>
// F16-NEXT: %[[MH:.*]] = arith.truncf %[[MF]] : tensor<1x8xf32> to tensor<1x8xf16>
// F16: %s = top.softmax %[[MH]] {{.*}} : tensor<1x8xf16>
// F16-NEXT: %[[SF:.*]] = arith.extf %s : tensor<1x8xf16> to tensor<1x8xf32>
// F16: func.return %[[SF]], %n
