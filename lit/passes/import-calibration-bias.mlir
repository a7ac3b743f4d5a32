// import-calibration: a line of the table's `#bias_correction` section (nntc-cali's bias
// correction: per output channel, the mean error of the conv's INT8 result) becomes the conv's
// `bias_correction` array; quantize then subtracts it from the bias (a conv without one gets
// one) and drops the attribute. A line for an op that is not a conv, or with another number of
// values than the conv has output channels, is an error naming it.
// RUN: echo "# op_name threshold min max" > %t.cali
// RUN: echo "x 2.0000000 -2.0000000 2.0000000" >> %t.cali
// RUN: echo "conv 4.0000000 -4.0000000 4.0000000" >> %t.cali
// RUN: echo "#bias_correction" >> %t.cali
// RUN: echo "conv 0.25 -0.5" >> %t.cali
// RUN: nntc-opt %s -p 'import-calibration{table="%t.cali"}' | filecheck %s
// RUN: nntc-opt %s -p 'import-calibration{table="%t.cali"},quantize' -o %t.mlir
// RUN: filecheck %s --check-prefix=QUANT < %t.mlir
// RUN: python -c "import numpy as n; d = n.load('%t.npz'); [print(k, d[k].dtype, d[k].ravel().tolist()) for k in sorted(d.files)]" | filecheck %s --check-prefix=STORE
// RUN: sed -e 's/^conv 0.25 -0.5/x 0.25 -0.5/' %t.cali > %t.notconv
// RUN: not nntc-opt %s -p 'import-calibration{table="%t.notconv"}' 2>&1 | filecheck %s --check-prefix=NOTCONV
// RUN: sed -e 's/^conv 0.25 -0.5/conv 0.25/' %t.cali > %t.count
// RUN: not nntc-opt %s -p 'import-calibration{table="%t.count"}' 2>&1 | filecheck %s --check-prefix=COUNT
// RUN: sed -e 's/^conv 0.25 -0.5/conv 0.25 zero/' %t.cali > %t.nan
// RUN: not nntc-opt %s -p 'import-calibration{table="%t.nan"}' 2>&1 | filecheck %s --check-prefix=NAN

func.func @main(%arg0: tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %x = top.input %arg0 : tensor<1x2x2x2xf32> loc("x")
  %w = top.weight "w" dense<1.0> : tensor<2x2x1x1xf32> loc("w")
  %c = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x2x2xf32> loc("conv")
  func.return %c : tensor<1x2x2x2xf32>
}

// CHECK: %c = top.conv %x, %w {bias_correction = array<f64: 2.500000e-01, -5.000000e-01>, calib = #quant.calibration<threshold = 4.0, min = -4.0, max = 4.0>, {{.*}}}

// QUANT:      top.weight "conv.bias_int32" : tensor<2x!quant.uniform<i32:f32:0, {{.*}}>>
// QUANT:      top.conv %{{.*}}, %{{.*}}, %{{.*}} {calib = {{.*}}} : (tensor<1x2x2x2x!quant.uniform<i8:f32, {{.*}}>>, tensor<2x2x1x1x!quant.uniform<i8:f32:0, {{.*}}>>, tensor<2x!quant.uniform<i32:f32:0, {{.*}}>>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, {{.*}}>>
// QUANT-NOT:  bias_correction
// (0 - correction) / (input scale 2/127 x filter scale 1/127), rounded: -2016.125, 4032.25
// STORE: conv.bias_int32 int32 [-2016, 4032]

// NOTCONV: error: pass 'import-calibration' failed: bias correction of 'x': 'top.input' is not a conv
// COUNT: error: pass 'import-calibration' failed: bias correction of 'conv' has 1 values, the conv has 2 output channels
// NAN: error: pass 'import-calibration' failed: {{.*}}.nan:5: bias correction 'zero' is not a number
