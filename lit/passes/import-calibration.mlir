// import-calibration: each table line's statistics go to the op whose location it names, as
// the discardable attribute `calib`; weights and ops without a line are left alone; a line
// that names no op is a warning, not an error.
// RUN: echo "# op_name threshold min max" > %t.cali
// RUN: echo "x 1.5000000 -1.2500000 1.5000000" >> %t.cali
// RUN: echo "conv 4.0000000 0.0000000 4.5000000" >> %t.cali
// RUN: echo "w 9.0000000 -9.0000000 9.0000000" >> %t.cali
// RUN: echo "ghost 1.0000000 0.0000000 1.0000000" >> %t.cali
// RUN: nntc-opt %s -p 'import-calibration{table="%t.cali"}' 2> %t.err | filecheck %s
// RUN: filecheck %s --check-prefix=WARN < %t.err
// RUN: not nntc-opt %s -p 'import-calibration{table="%t.missing"}' 2>&1 | filecheck %s --check-prefix=MISSING
// RUN: echo "x 1.0 2.0" > %t.short
// RUN: not nntc-opt %s -p 'import-calibration{table="%t.short"}' 2>&1 | filecheck %s --check-prefix=SHORT

func.func @main(%arg0: tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %x = top.input %arg0 : tensor<1x2x2x2xf32> loc("x")
  %w = top.weight "w" dense<1.0> : tensor<2x2x1x1xf32> loc("w")
  %c = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, do_relu = true} : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x2x2xf32> loc("conv")
  %r = top.relu %c : tensor<1x2x2x2xf32> loc("not_in_table")
  func.return %r : tensor<1x2x2x2xf32>
}

// CHECK:      %x = top.input %arg0 {calib = #quant.calibration<threshold = 1.5, min = -1.25, max = 1.5>} : tensor<1x2x2x2xf32>
// CHECK-NEXT: %w = top.weight "w" dense<1.000000e+00> : tensor<2x2x1x1xf32>
// CHECK-NEXT: %c = top.conv %x, %w {calib = #quant.calibration<threshold = 4.0, min = 0.0, max = 4.5>, {{.*}}}
// CHECK-NEXT: %r = top.relu %c : tensor<1x2x2x2xf32>

// WARN: warning: calibration table entry 'w' names no op in the module
// WARN-NEXT: warning: calibration table entry 'ghost' names no op in the module

// MISSING: error: pass 'import-calibration' failed: cannot read calibration table '{{.*}}.missing': No such file or directory
// SHORT: error: pass 'import-calibration' failed: {{.*}}.short:1: expected 'name threshold min max', got 3 field(s)
