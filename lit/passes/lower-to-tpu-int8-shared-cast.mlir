// lower-to-tpu{mode=int8}, then lower-int8-to-bm1684x on the tpu IR: an INT8 result (conv)
// dequantized once, read by an F32 layer (mul) and, through a truncf, by an F16 layer (add)
// that also reads the F32 layer. Both f16 inputs of the add are converted by float casts of
// one name (`add.f16`, the planner names a cast after its first reader), and each input is a
// view (tpu.reshape) of its cast, written one after the other: each view gets a location of
// its own (`add.f16.view`, `add.f16.view.1`). Two reshapes in a row at one location read back
// as a float layer of reshapes, and the add then read "an operand that no earlier layer
// writes" (PP-OCRv4 with F16 layers, p2o.Add.240).
//
// The last RUN lines compile the tpu IR and the quant IR to commands: they must be the same.
// RUN: printf 'mul F32\nadd F16\n' > %t.qtable
// RUN: nntc-opt %s -p 'quantize{qtable="%t.qtable"}' --mlir-print-debuginfo -o %t.q.mlir
// RUN: filecheck %s --check-prefix=QUANT < %t.q.mlir
// RUN: nntc-opt %t.q.mlir -p 'lower-to-tpu{mode=int8}' --mlir-print-debuginfo -o %t.t.mlir
// RUN: filecheck %s < %t.t.mlir
// RUN: nntc-opt %t.q.mlir -p lower-int8-to-bm1684x -t bm1684x-asm -o %t.q.asm
// RUN: nntc-opt %t.t.mlir -p lower-int8-to-bm1684x -t bm1684x-asm -o %t.t.asm
// RUN: diff %t.q.asm %t.t.asm

func.func @main(%arg0: tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %x = top.input %arg0 {calib = #quant.calibration<threshold = 1.27, min = -1.0, max = 1.27>} : tensor<1x2x2x2xf32> loc("x")
  %w = top.weight "w" dense<[[[[1.0]], [[-0.5]]], [[[0.0]], [[-2.0]]]]> : tensor<2x2x1x1xf32> loc("w")
  %c = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, calib = #quant.calibration<threshold = 2.54, min = -2.0, max = 2.54>} : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x2x2xf32> loc("conv")
  %g = top.global_avgpool %c {calib = #quant.calibration<threshold = 1.0, min = -1.0, max = 1.0>} : tensor<1x2x2x2xf32> -> tensor<1x2x1x1xf32> loc("gap")
  %m = top.mul %c, %g {calib = #quant.calibration<threshold = 2.54, min = -2.54, max = 2.54>} : (tensor<1x2x2x2xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x2x2xf32> loc("mul")
  %a = top.add %c, %m {calib = #quant.calibration<threshold = 5.08, min = -5.08, max = 5.08>} : (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> loc("add")
  func.return %a : tensor<1x2x2x2xf32>
}

// The quant IR: one dcast of the conv, read by the mul and by a truncf for the add.
// QUANT:      %[[C:.*]] = top.conv
// QUANT-NEXT: %[[D:.*]] = quant.dcast %[[C]] :
// QUANT-NEXT: %[[T:.*]] = arith.truncf %[[D]] :
// QUANT:      %[[M:.*]] = top.mul %[[D]], %{{.*}} :
// QUANT-NEXT: %[[T2:.*]] = arith.truncf %[[M]] :
// QUANT-NEXT: top.add %[[T]], %[[T2]] {{.*}} : (tensor<1x2x2x2xf16>, tensor<1x2x2x2xf16>) -> tensor<1x2x2x2xf16> loc("add")

// CHECK-LABEL: func.func @main(
// CHECK:         %conv = tpu.conv2d
// CHECK-NEXT:    %quant.dcast = tpu.cast %conv : (tensor<1x2x2x2x!quant.uniform<i8:f32, 0.02>>) -> tensor<1x2x2x2xf32> loc("quant.dcast#4")
// CHECK-NEXT:    %gap = tpu.avgpool %conv
// CHECK-NEXT:    %quant.dcast_1 = tpu.cast %gap
// CHECK-NEXT:    %mul = tpu.mul %quant.dcast, %quant.dcast_1 : (tensor<1x2x2x2xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x2x2xf32> loc("mul")
// CHECK-NEXT:    %add.f16 = tpu.cast %quant.dcast : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf16> loc("add.f16")
// CHECK-NEXT:    %add.f16_1 = tpu.cast %mul : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf16> loc("add.f16")
// CHECK-NEXT:    %[[V0:.*]] = tpu.reshape %add.f16 : (tensor<1x2x2x2xf16>) -> tensor<1x2x2x2xf16> loc("add.f16.view")
// CHECK-NEXT:    %[[V1:.*]] = tpu.reshape %add.f16_1 : (tensor<1x2x2x2xf16>) -> tensor<1x2x2x2xf16> loc("add.f16.view.1")
// CHECK-NEXT:    %add = tpu.add %[[V0]], %[[V1]] : (tensor<1x2x2x2xf16>, tensor<1x2x2x2xf16>) -> tensor<1x2x2x2xf16> loc("add")
// CHECK-NEXT:    %add.f32 = tpu.cast %add : (tensor<1x2x2x2xf16>) -> tensor<1x2x2x2xf32> loc("add.f32")
// CHECK-NEXT:    %[[OUT:.*]] = tpu.reshape %add.f32 : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> loc("add")
// CHECK-NEXT:    func.return %[[OUT]]
