// quantize: bad options and precision tables are one error line each, naming the file and line.
// RUN: echo "fc F8" > %t.bad
// RUN: not nntc-opt %s -p 'quantize{qtable="%t.bad"}' 2>&1 | filecheck %s --check-prefix=TABLE
// RUN: echo "ratio INT8" > %t.int8
// RUN: not nntc-opt %s -p 'quantize{qtable="%t.int8"}' 2>&1 | filecheck %s --check-prefix=INT8
// RUN: not nntc-opt %s -p 'quantize{mode=int4}' 2>&1 | filecheck %s --check-prefix=MODE
// RUN: not nntc-opt %s -p 'quantize{round-mode=nearest}' 2>&1 | filecheck %s --check-prefix=ROUND

func.func @main(%arg0: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %x = top.input %arg0 {calib = #quant.calibration<threshold = 1.0, min = -1.0, max = 1.0>} : tensor<1x2xf32> loc("x")
  %d = top.div %x, %x : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x2xf32> loc("ratio")
  func.return %d : tensor<1x2xf32>
}

// TABLE: error: pass 'quantize' failed: {{.*}}.bad:1: unknown precision 'F8' for 'fc', expected one of INT8, F16, BF16, F32
// INT8: error: pass 'quantize' failed: 'ratio' is marked INT8 in the precision table, but cannot be quantized: no INT8 rule for 'top.div'
// MODE: error: pass 'quantize' failed: unknown quantize mode 'int4', expected one of int8, f16, bf16, f32
// ROUND: error: pass 'quantize' failed: unknown round-mode 'nearest', expected one of half_away_from_zero, half_to_even, half_up, half_down, toward_zero, down, up
