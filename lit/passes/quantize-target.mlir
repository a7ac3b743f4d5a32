// quantize for BM1684X's INT8 code generation (target=bm1684x, the default):
// - hardswish followed by a mul and an add by one-element constants (PP-LCNet's learnable affine)
//   is one `quant.lut`, named after the last op, its table a * hardswish(x) + b rounded once;
// - a mul of two tensors (an SE gate) has an INT8 rule but no INT8 code
//   generation: it stays f32 between dcast and qcast; with target=reference it is INT8;
// - a sigmoid's input range is narrowed to where the sigmoid is not flat in u8 (+-6.3 here, not
//   the logits' +-127): the qcast before it has scale 6.3 / 127 instead of 1.0.
// RUN: nntc-opt %s -p quantize -o %t.mlir
// RUN: filecheck %s < %t.mlir
// RUN: nntc-opt %s -p 'quantize{target=reference}' -o %t.ref.mlir
// RUN: filecheck %s --check-prefix=REF < %t.ref.mlir
// RUN: python -c "import numpy as n; t = n.load('%t.npz')['aff_lut']; print(t[0], t[30], t[127], t[128])" | filecheck %s --check-prefix=TABLE
// RUN: not nntc-opt %s -p 'quantize{target=tpu}' 2>&1 | filecheck %s --check-prefix=ERR

func.func @main(%arg0: tensor<1x2x2x2xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) {
  %x = top.input %arg0 {calib = #quant.calibration<threshold = 6.35, min = -6.0, max = 6.35>} : tensor<1x2x2x2xf32> loc("x")
  %h = top.hardswish %x {calib = #quant.calibration<threshold = 6.35, min = -0.375, max = 6.35>} : tensor<1x2x2x2xf32> loc("hswish")
  %a = top.weight "a" dense<[2.0]> : tensor<1xf32> loc("a")
  %m = top.mul %a, %h {calib = #quant.calibration<threshold = 12.7, min = -0.75, max = 12.7>} : (tensor<1xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> loc("scale")
  %b = top.weight "b" dense<[1.0]> : tensor<1xf32> loc("b")
  %y = top.add %m, %b {calib = #quant.calibration<threshold = 13.7, min = 0.25, max = 13.7>} : (tensor<1x2x2x2xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32> loc("aff")
  %g = top.global_avgpool %x {calib = #quant.calibration<threshold = 1.0, min = 0.0, max = 1.0>} : tensor<1x2x2x2xf32> -> tensor<1x2x1x1xf32> loc("gap")
  %gm = top.mul %y, %g {calib = #quant.calibration<threshold = 13.7, min = 0.0, max = 13.7>} : (tensor<1x2x2x2xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x2x2xf32> loc("gate")
  %l = top.mul %x, %x {calib = #quant.calibration<threshold = 127.0, min = -100.0, max = 127.0>} : (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> loc("logits")
  %s = top.sigmoid %l {calib = #quant.calibration<threshold = 1.0, min = 0.0, max = 1.0>} : tensor<1x2x2x2xf32> loc("prob")
  func.return %y, %gm, %s : tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>
}

// CHECK:      %[[XQ:.*]] = quant.qcast %x : tensor<1x2x2x2xf32> to tensor<1x2x2x2x!quant.uniform<i8:f32, 0.049999999999999996>>
// CHECK-NOT:  top.hardswish
// CHECK-NOT:  top.mul %{{.*}}, %hswish
// CHECK:      %[[T:.*]] = top.weight "aff_lut" : tensor<256x!quant.uniform<u8:f32, 0.05372549019607843>>
// CHECK-NEXT: %y = quant.lut %[[XQ]], %[[T]] {{.*}} -> tensor<1x2x2x2x!quant.uniform<u8:f32, 0.05372549019607843>>
// CHECK:      %gm = top.mul {{.*}} : (tensor<1x2x2x2xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x2x2xf32>{{$}}
// CHECK:      %l = top.mul {{.*}} -> tensor<1x2x2x2xf32>{{$}}
// CHECK-NEXT: %[[LQ:.*]] = quant.qcast %l : tensor<1x2x2x2xf32> to tensor<1x2x2x2x!quant.uniform<i8:f32, 0.04931640625>>
// CHECK:      %s = quant.lut %[[LQ]]

// REF:        %gm = top.mul {{.*}} -> tensor<1x2x2x2x!quant.uniform<u8:f32, 0.05372549019607843>>{{$}}
// REF:        %l = top.mul {{.*}} -> tensor<1x2x2x2x!quant.uniform<i8:f32, 0.04931640625>>{{$}}

// entry 0: x = 0 -> 2 * 0 + 1 = 1 -> 1 / 0.0537 = 18.6 -> 19; entry 30: x = 1.5 -> hswish 1.125
// -> 3.25 -> 60.5 -> 60 (half away from zero: 60.49); entry 127: x = 6.35 -> 13.7 -> 255;
// entry 128 (-128): x = -6.4 -> 0 -> 1 -> 19
// TABLE: 19 60 255 19

// ERR: unknown quantize target 'tpu', expected one of bm1684x, reference
