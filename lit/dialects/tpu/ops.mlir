// RUN: NNTC_ROUNDTRIP
// RUN: NNTC_GENERIC_ROUNDTRIP

// Float ops: every operand and the result share one float type.
func.func @float_ops(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>,
                     %h: tensor<1x4x8x8xf16>, %m: tensor<2x16xbf16>, %r: tensor<16x8xbf16>) -> tensor<1x4x8x8xf16> {
  %c0 = tpu.conv2d %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, do_relu = true, relu_limit = 6.0 : f64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  %c1 = tpu.conv2d %x, %w {dilations = array<i64: 2, 2>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x4x4xf32>
  %mm = tpu.matmul %m, %r : (tensor<2x16xbf16>, tensor<16x8xbf16>) -> tensor<2x8xbf16>
  %a = tpu.add %c0, %c1 {do_relu = true} : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %mu = tpu.mul %a, %b : (tensor<1x4x4x4xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  %re = tpu.relu %mu {relu_limit = 6.0 : f64} : tensor<1x4x4x4xf32>
  %mp = tpu.maxpool %re {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x4x4x4xf32>) -> tensor<1x4x2x2xf32>
  %ap = tpu.avgpool %mp {kernel_shape = array<i64: 2, 2>, count_include_pad = true} : (tensor<1x4x2x2xf32>) -> tensor<1x4x1x1xf32>
  %rs = tpu.reshape %ap : (tensor<1x4x1x1xf32>) -> tensor<1x4xf32>
  %cc = tpu.concat %rs, %rs {axis = 1 : i64} : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x8xf32>
  %sm = tpu.softmax %cc {axis = 1 : i64} : tensor<1x8xf32>
  %ca = tpu.cast %h {round_mode = #tpu<round half_to_even>} : (tensor<1x4x8x8xf16>) -> tensor<1x4x8x8xf32>
  %cb = tpu.cast %ca : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf16>
  func.return %cb : tensor<1x4x8x8xf16>
}

// CHECK-LABEL: func.func @float_ops
// CHECK:      %c0 = tpu.conv2d %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, do_relu = true, relu_limit = 6.000000e+00 : f64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
// CHECK-NEXT: %c1 = tpu.conv2d %x, %w {dilations = array<i64: 2, 2>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x4x4xf32>
// CHECK-NEXT: %mm = tpu.matmul %m, %r : (tensor<2x16xbf16>, tensor<16x8xbf16>) -> tensor<2x8xbf16>
// CHECK-NEXT: %a = tpu.add %c0, %c1 {do_relu = true} : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
// CHECK-NEXT: %mu = tpu.mul %a, %b : (tensor<1x4x4x4xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
// CHECK-NEXT: %re = tpu.relu %mu {relu_limit = 6.000000e+00 : f64} : tensor<1x4x4x4xf32>
// CHECK-NEXT: %mp = tpu.maxpool %re {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x4x4x4xf32>) -> tensor<1x4x2x2xf32>
// CHECK-NEXT: %ap = tpu.avgpool %mp {kernel_shape = array<i64: 2, 2>, count_include_pad = true} : (tensor<1x4x2x2xf32>) -> tensor<1x4x1x1xf32>
// CHECK-NEXT: %rs = tpu.reshape %ap : (tensor<1x4x1x1xf32>) -> tensor<1x4xf32>
// CHECK-NEXT: %cc = tpu.concat %rs, %rs {axis = 1 : i64} : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x8xf32>
// CHECK-NEXT: %sm = tpu.softmax %cc {axis = 1 : i64} : tensor<1x8xf32>
// CHECK-NEXT: %ca = tpu.cast %h {round_mode = #tpu<round half_to_even>} : (tensor<1x4x8x8xf16>) -> tensor<1x4x8x8xf32>
// CHECK-NEXT: %cb = tpu.cast %ca : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf16>

// CHECK-GENERIC-LABEL: "func.func"() <{sym_name = "float_ops"
// CHECK-GENERIC:      %c0 = "tpu.conv2d"(%x, %w, %b) <{strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, do_relu = true, relu_limit = 6.000000e+00 : f64, operandSegmentSizes = array<i32: 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64, round_mode = #tpu<round half_away_from_zero>}> : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
// CHECK-GENERIC-NEXT: %c1 = "tpu.conv2d"(%x, %w) <{dilations = array<i64: 2, 2>, operandSegmentSizes = array<i32: 1, 1, 0>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, round_mode = #tpu<round half_away_from_zero>, do_relu = false}> : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x4x4xf32>
// CHECK-GENERIC-NEXT: %mm = "tpu.matmul"(%m, %r) <{operandSegmentSizes = array<i32: 1, 1, 0>, round_mode = #tpu<round half_away_from_zero>, do_relu = false}> : (tensor<2x16xbf16>, tensor<16x8xbf16>) -> tensor<2x8xbf16>
// CHECK-GENERIC-NEXT: %a = "tpu.add"(%c0, %c1) <{do_relu = true, round_mode = #tpu<round half_away_from_zero>}> : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
// CHECK-GENERIC-NEXT: %mu = "tpu.mul"(%a, %b) <{round_mode = #tpu<round half_away_from_zero>, do_relu = false}> : (tensor<1x4x4x4xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
// CHECK-GENERIC-NEXT: %re = "tpu.relu"(%mu) <{relu_limit = 6.000000e+00 : f64}> : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
// CHECK-GENERIC-NEXT: %mp = "tpu.maxpool"(%re) <{kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, do_relu = false}> : (tensor<1x4x4x4xf32>) -> tensor<1x4x2x2xf32>
// CHECK-GENERIC-NEXT: %ap = "tpu.avgpool"(%mp) <{kernel_shape = array<i64: 2, 2>, count_include_pad = true, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, round_mode = #tpu<round half_away_from_zero>, do_relu = false}> : (tensor<1x4x2x2xf32>) -> tensor<1x4x1x1xf32>
// CHECK-GENERIC-NEXT: %rs = "tpu.reshape"(%ap) : (tensor<1x4x1x1xf32>) -> tensor<1x4xf32>
// CHECK-GENERIC-NEXT: %cc = "tpu.concat"(%rs, %rs) <{axis = 1 : i64}> : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x8xf32>
// CHECK-GENERIC-NEXT: %sm = "tpu.softmax"(%cc) <{axis = 1 : i64}> : (tensor<1x8xf32>) -> tensor<1x8xf32>
// CHECK-GENERIC-NEXT: %ca = "tpu.cast"(%h) <{round_mode = #tpu<round half_to_even>}> : (tensor<1x4x8x8xf16>) -> tensor<1x4x8x8xf32>
// CHECK-GENERIC-NEXT: %cb = "tpu.cast"(%ca) <{round_mode = #tpu<round half_away_from_zero>}> : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf16>

// -----

// Integer ops on plain integer types: 8-bit data, i32 bias, per-channel multiplier/rshift.
func.func @int8_ops(%x: tensor<1x16x8x8xsi8>, %w: tensor<32x8x3x3xsi8>, %b: tensor<32xi32>,
                    %u: tensor<1x32x8x8xui8>, %a2: tensor<4x64xi8>, %r2: tensor<64x10xi8>,
                    %acc: tensor<1x32x8x8xi32>, %f: tensor<1x32x8x8xf32>) -> tensor<1x32x8x8xf32> {
  %c = tpu.conv2d %x, %w, %b {pads = array<i64: 1, 1, 1, 1>, group = 2 : i64, multiplier = array<i32: 19005>, rshift = array<i64: 24>, round_mode = #tpu<round half_away_from_zero>, do_relu = true} : (tensor<1x16x8x8xsi8>, tensor<32x8x3x3xsi8>, tensor<32xi32>) -> tensor<1x32x8x8xsi8>
  %c32 = tpu.conv2d %x, %w {pads = array<i64: 1, 1, 1, 1>, group = 2 : i64} : (tensor<1x16x8x8xsi8>, tensor<32x8x3x3xsi8>) -> tensor<1x32x8x8xi32>
  %mm = tpu.matmul %a2, %r2 {multiplier = array<i32: 3, 3, 3, 3, 3, 3, 3, 3, 3, 3>, rshift = array<i64: 7, 7, 7, 7, 7, 7, 7, 7, 7, 7>} : (tensor<4x64xi8>, tensor<64x10xi8>) -> tensor<4x10xi8>
  %ad = tpu.add %c, %u {multiplier = array<i32: 5, 9>, rshift = array<i64: 4>} : (tensor<1x32x8x8xsi8>, tensor<1x32x8x8xui8>) -> tensor<1x32x8x8xsi8>
  %mu = tpu.mul %ad, %c {multiplier = array<i32: 77>, rshift = array<i64: 10>, round_mode = #tpu<round down>} : (tensor<1x32x8x8xsi8>, tensor<1x32x8x8xsi8>) -> tensor<1x32x8x8xsi8>
  %ap = tpu.avgpool %mu {kernel_shape = array<i64: 8, 8>, multiplier = array<i32: 1>, rshift = array<i64: 6>} : (tensor<1x32x8x8xsi8>) -> tensor<1x32x1x1xsi8>
  %mp = tpu.maxpool %mu {kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, do_relu = true} : (tensor<1x32x8x8xsi8>) -> tensor<1x32x8x8xsi8>
  %rq = tpu.requant %acc {multiplier = array<i32: 1073741824>, rshift = array<i64: 31>, round_mode = #tpu<round half_to_even>} : (tensor<1x32x8x8xi32>) -> tensor<1x32x8x8xsi8>
  %rs = tpu.requant %mp {quant_mode = #tpu<requant only_shift>, rshift = array<i64: 1>} : (tensor<1x32x8x8xsi8>) -> tensor<1x32x8x8xsi8>
  %cf = tpu.cast %rs {scale = 0.125 : f64} : (tensor<1x32x8x8xsi8>) -> tensor<1x32x8x8xf32>
  %ci = tpu.cast %f {scale = 0.5 : f64, round_mode = #tpu<round toward_zero>} : (tensor<1x32x8x8xf32>) -> tensor<1x32x8x8xsi8>
  func.return %cf : tensor<1x32x8x8xf32>
}

// CHECK-LABEL: func.func @int8_ops
// CHECK:      %c = tpu.conv2d %x, %w, %b {pads = array<i64: 1, 1, 1, 1>, group = 2 : i64, multiplier = array<i32: 19005>, rshift = array<i64: 24>, do_relu = true} : (tensor<1x16x8x8xsi8>, tensor<32x8x3x3xsi8>, tensor<32xi32>) -> tensor<1x32x8x8xsi8>
// CHECK-NEXT: %c32 = tpu.conv2d %x, %w {pads = array<i64: 1, 1, 1, 1>, group = 2 : i64} : (tensor<1x16x8x8xsi8>, tensor<32x8x3x3xsi8>) -> tensor<1x32x8x8xi32>
// CHECK-NEXT: %mm = tpu.matmul %a2, %r2 {multiplier = array<i32: 3, 3, 3, 3, 3, 3, 3, 3, 3, 3>, rshift = array<i64: 7, 7, 7, 7, 7, 7, 7, 7, 7, 7>} : (tensor<4x64xi8>, tensor<64x10xi8>) -> tensor<4x10xi8>
// CHECK-NEXT: %ad = tpu.add %c, %u {multiplier = array<i32: 5, 9>, rshift = array<i64: 4>} : (tensor<1x32x8x8xsi8>, tensor<1x32x8x8xui8>) -> tensor<1x32x8x8xsi8>
// CHECK-NEXT: %mu = tpu.mul %ad, %c {multiplier = array<i32: 77>, rshift = array<i64: 10>, round_mode = #tpu<round down>} : (tensor<1x32x8x8xsi8>, tensor<1x32x8x8xsi8>) -> tensor<1x32x8x8xsi8>
// CHECK-NEXT: %ap = tpu.avgpool %mu {kernel_shape = array<i64: 8, 8>, multiplier = array<i32: 1>, rshift = array<i64: 6>} : (tensor<1x32x8x8xsi8>) -> tensor<1x32x1x1xsi8>
// CHECK-NEXT: %mp = tpu.maxpool %mu {kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, do_relu = true} : (tensor<1x32x8x8xsi8>) -> tensor<1x32x8x8xsi8>
// CHECK-NEXT: %rq = tpu.requant %acc {multiplier = array<i32: 1073741824>, rshift = array<i64: 31>, round_mode = #tpu<round half_to_even>} : (tensor<1x32x8x8xi32>) -> tensor<1x32x8x8xsi8>
// CHECK-NEXT: %rs = tpu.requant %mp {quant_mode = #tpu<requant only_shift>, rshift = array<i64: 1>} : (tensor<1x32x8x8xsi8>) -> tensor<1x32x8x8xsi8>
// CHECK-NEXT: %cf = tpu.cast %rs {scale = 1.250000e-01 : f64} : (tensor<1x32x8x8xsi8>) -> tensor<1x32x8x8xf32>
// CHECK-NEXT: %ci = tpu.cast %f {scale = 5.000000e-01 : f64, round_mode = #tpu<round toward_zero>} : (tensor<1x32x8x8xf32>) -> tensor<1x32x8x8xsi8>

// CHECK-GENERIC-LABEL: "func.func"() <{sym_name = "int8_ops"
// CHECK-GENERIC:      "tpu.conv2d"(%x, %w, %b) <{pads = array<i64: 1, 1, 1, 1>, group = 2 : i64, multiplier = array<i32: 19005>, rshift = array<i64: 24>, round_mode = #tpu<round half_away_from_zero>, do_relu = true, operandSegmentSizes = array<i32: 1, 1, 1>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>}>
// CHECK-GENERIC:      "tpu.requant"(%mp) <{quant_mode = #tpu<requant only_shift>, rshift = array<i64: 1>, round_mode = #tpu<round half_away_from_zero>, do_relu = false}> : (tensor<1x32x8x8xsi8>) -> tensor<1x32x8x8xsi8>
// CHECK-GENERIC:      "tpu.cast"(%f) <{scale = 5.000000e-01 : f64, round_mode = #tpu<round toward_zero>}> : (tensor<1x32x8x8xf32>) -> tensor<1x32x8x8xsi8>

// -----

// A layer group: load, compute and store per slice, results through tpu.yield.
func.func @group(%x: tensor<4x8x16x16xsi8>, %w: tensor<8x8x3x3xsi8>, %b: tensor<8xi32>) -> (tensor<4x8x16x16xsi8>, tensor<4x8x8x8xsi8>) {
  %y, %p = tpu.group slices(2, 2) -> (tensor<4x8x16x16xsi8>, tensor<4x8x8x8xsi8>) {
    %lx = tpu.load %x lmem(0) gmem(4294967296) {n_idx = array<i64: 0, 2>, n_slice = array<i64: 2, 2>, h_idx = array<i64: 0, 7>, h_slice = array<i64: 9, 9>} : tensor<4x8x16x16xsi8>
    %lw = tpu.load %w lmem(65536) {n_idx = array<i64: 0>, n_slice = array<i64: 8>, h_idx = array<i64: 0>, h_slice = array<i64: 3>, eu_align = false} : tensor<8x8x3x3xsi8>
    %c = tpu.conv2d %lx, %lw, %b {pads = array<i64: 1, 1, 1, 1>, multiplier = array<i32: 1, 2, 3, 4, 5, 6, 7, 8>, rshift = array<i64: 8>, do_relu = true} : (tensor<4x8x16x16xsi8>, tensor<8x8x3x3xsi8>, tensor<8xi32>) -> tensor<4x8x16x16xsi8>
    %mp = tpu.maxpool %c {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<4x8x16x16xsi8>) -> tensor<4x8x8x8xsi8>
    %sc = tpu.store %c lmem(131072) gmem(4294971392) {n_idx = array<i64: 0, 2>, n_slice = array<i64: 2, 2>, h_idx = array<i64: 0, 8>, h_slice = array<i64: 8, 8>} : tensor<4x8x16x16xsi8>
    %sp = tpu.store %mp lmem(16515072) {n_idx = array<i64: 0, 2>, n_slice = array<i64: 2, 2>, h_idx = array<i64: 0, 4>, h_slice = array<i64: 4, 4>} : tensor<4x8x8x8xsi8>
    tpu.yield %sc, %sp : tensor<4x8x16x16xsi8>, tensor<4x8x8x8xsi8>
  }
  %z = tpu.group slices(1, 1) stages 1 -> (tensor<4x8x16x16xsi8>) {
    %l = tpu.load %y lmem(0) {n_idx = array<i64: 0>, n_slice = array<i64: 4>, h_idx = array<i64: 0>, h_slice = array<i64: 16>} : tensor<4x8x16x16xsi8>
    %s = tpu.store %l lmem(0) {n_idx = array<i64: 0>, n_slice = array<i64: 4>, h_idx = array<i64: 0>, h_slice = array<i64: 16>} : tensor<4x8x16x16xsi8>
    tpu.yield %s : tensor<4x8x16x16xsi8>
  }
  func.return %z, %p : tensor<4x8x16x16xsi8>, tensor<4x8x8x8xsi8>
}

// CHECK-LABEL: func.func @group
// CHECK:      %y, %p = tpu.group slices(2, 2) -> (tensor<4x8x16x16xsi8>, tensor<4x8x8x8xsi8>) {
// CHECK-NEXT:   %lx = tpu.load %x lmem(0) gmem(4294967296) {n_idx = array<i64: 0, 2>, n_slice = array<i64: 2, 2>, h_idx = array<i64: 0, 7>, h_slice = array<i64: 9, 9>} : tensor<4x8x16x16xsi8>
// CHECK-NEXT:   %lw = tpu.load %w lmem(65536) {n_idx = array<i64: 0>, n_slice = array<i64: 8>, h_idx = array<i64: 0>, h_slice = array<i64: 3>, eu_align = false} : tensor<8x8x3x3xsi8>
// CHECK-NEXT:   %c = tpu.conv2d %lx, %lw, %b {pads = array<i64: 1, 1, 1, 1>, multiplier = array<i32: 1, 2, 3, 4, 5, 6, 7, 8>, rshift = array<i64: 8>, do_relu = true} : (tensor<4x8x16x16xsi8>, tensor<8x8x3x3xsi8>, tensor<8xi32>) -> tensor<4x8x16x16xsi8>
// CHECK-NEXT:   %mp = tpu.maxpool %c {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<4x8x16x16xsi8>) -> tensor<4x8x8x8xsi8>
// CHECK-NEXT:   %sc = tpu.store %c lmem(131072) gmem(4294971392) {n_idx = array<i64: 0, 2>, n_slice = array<i64: 2, 2>, h_idx = array<i64: 0, 8>, h_slice = array<i64: 8, 8>} : tensor<4x8x16x16xsi8>
// CHECK-NEXT:   %sp = tpu.store %mp lmem(16515072) {n_idx = array<i64: 0, 2>, n_slice = array<i64: 2, 2>, h_idx = array<i64: 0, 4>, h_slice = array<i64: 4, 4>} : tensor<4x8x8x8xsi8>
// CHECK-NEXT:   tpu.yield %sc, %sp : tensor<4x8x16x16xsi8>, tensor<4x8x8x8xsi8>
// CHECK-NEXT: }
// CHECK-NEXT: %z = tpu.group slices(1, 1) stages 1 -> (tensor<4x8x16x16xsi8>) {
// CHECK-NEXT:   %l = tpu.load %y lmem(0) {n_idx = array<i64: 0>, n_slice = array<i64: 4>, h_idx = array<i64: 0>, h_slice = array<i64: 16>} : tensor<4x8x16x16xsi8>
// CHECK-NEXT:   %s = tpu.store %l lmem(0) {n_idx = array<i64: 0>, n_slice = array<i64: 4>, h_idx = array<i64: 0>, h_slice = array<i64: 16>} : tensor<4x8x16x16xsi8>
// CHECK-NEXT:   tpu.yield %s : tensor<4x8x16x16xsi8>
// CHECK-NEXT: }
// CHECK-NEXT: func.return %z, %p : tensor<4x8x16x16xsi8>, tensor<4x8x8x8xsi8>

// CHECK-GENERIC-LABEL: "func.func"() <{sym_name = "group"
// CHECK-GENERIC:      %y, %p = "tpu.group"() <{n_slices = 2 : i64, h_slices = 2 : i64, swpipl_stage_num = 3 : i64}> ({
// CHECK-GENERIC-NEXT:   %lx = "tpu.load"(%x) <{local_addr = 0 : i64, global_addr = 4294967296 : i64, n_idx = array<i64: 0, 2>, n_slice = array<i64: 2, 2>, h_idx = array<i64: 0, 7>, h_slice = array<i64: 9, 9>, eu_align = true}> : (tensor<4x8x16x16xsi8>) -> tensor<4x8x16x16xsi8>
// CHECK-GENERIC:        "tpu.store"(%mp) <{local_addr = 16515072 : i64, n_idx = array<i64: 0, 2>, n_slice = array<i64: 2, 2>, h_idx = array<i64: 0, 4>, h_slice = array<i64: 4, 4>, eu_align = true}> : (tensor<4x8x8x8xsi8>) -> tensor<4x8x8x8xsi8>
// CHECK-GENERIC-NEXT:   "tpu.yield"(%sc, %sp) : (tensor<4x8x16x16xsi8>, tensor<4x8x8x8xsi8>) -> ()
// CHECK-GENERIC-NEXT: }) : () -> (tensor<4x8x16x16xsi8>, tensor<4x8x8x8xsi8>)
// CHECK-GENERIC:      "tpu.group"() <{n_slices = 1 : i64, h_slices = 1 : i64, swpipl_stage_num = 1 : i64}> ({

// -----

// Float functions and data movement: div (broadcast, fused clip), exp, sigmoid, hardsigmoid,
// nearest upsampling and depth to space; the unary functions keep the input's type (f16 too).
func.func @float_fns(%x: tensor<1x4x2x3xf32>, %y: tensor<1x4x1x1xf32>, %h: tensor<2x8xf16>) -> (tensor<1x4x4x9xf32>, tensor<1x1x4x6xf32>, tensor<2x8xf16>) {
  %dv = tpu.div %x, %y {do_relu = true, relu_limit = 6.0 : f64} : (tensor<1x4x2x3xf32>, tensor<1x4x1x1xf32>) -> tensor<1x4x2x3xf32>
  %ex = tpu.exp %dv : tensor<1x4x2x3xf32>
  %sg = tpu.sigmoid %ex : tensor<1x4x2x3xf32>
  %hs = tpu.hardsigmoid %sg {alpha = 0.2 : f64, beta = 0.5 : f64} : tensor<1x4x2x3xf32>
  %up = tpu.upsample %hs {scales = array<i64: 2, 3>} : (tensor<1x4x2x3xf32>) -> tensor<1x4x4x9xf32>
  %ds = tpu.depth_to_space %hs {block = array<i64: 2, 2>} : (tensor<1x4x2x3xf32>) -> tensor<1x1x4x6xf32>
  %he = tpu.exp %h : tensor<2x8xf16>
  func.return %up, %ds, %he : tensor<1x4x4x9xf32>, tensor<1x1x4x6xf32>, tensor<2x8xf16>
}

// CHECK-LABEL: func.func @float_fns
// CHECK:      %dv = tpu.div %x, %y {do_relu = true, relu_limit = 6.000000e+00 : f64} : (tensor<1x4x2x3xf32>, tensor<1x4x1x1xf32>) -> tensor<1x4x2x3xf32>
// CHECK-NEXT: %ex = tpu.exp %dv : tensor<1x4x2x3xf32>
// CHECK-NEXT: %sg = tpu.sigmoid %ex : tensor<1x4x2x3xf32>
// CHECK-NEXT: %hs = tpu.hardsigmoid %sg {alpha = 2.000000e-01 : f64, beta = 5.000000e-01 : f64} : tensor<1x4x2x3xf32>
// CHECK-NEXT: %up = tpu.upsample %hs {scales = array<i64: 2, 3>} : (tensor<1x4x2x3xf32>) -> tensor<1x4x4x9xf32>
// CHECK-NEXT: %ds = tpu.depth_to_space %hs {block = array<i64: 2, 2>} : (tensor<1x4x2x3xf32>) -> tensor<1x1x4x6xf32>
// CHECK-NEXT: %he = tpu.exp %h : tensor<2x8xf16>

// CHECK-GENERIC-LABEL: "func.func"() <{sym_name = "float_fns"
// CHECK-GENERIC:      %dv = "tpu.div"(%x, %y) <{do_relu = true, relu_limit = 6.000000e+00 : f64}> : (tensor<1x4x2x3xf32>, tensor<1x4x1x1xf32>) -> tensor<1x4x2x3xf32>
// CHECK-GENERIC-NEXT: %ex = "tpu.exp"(%dv) : (tensor<1x4x2x3xf32>) -> tensor<1x4x2x3xf32>
// CHECK-GENERIC-NEXT: %sg = "tpu.sigmoid"(%ex) : (tensor<1x4x2x3xf32>) -> tensor<1x4x2x3xf32>
// CHECK-GENERIC-NEXT: %hs = "tpu.hardsigmoid"(%sg) <{alpha = 2.000000e-01 : f64, beta = 5.000000e-01 : f64}> : (tensor<1x4x2x3xf32>) -> tensor<1x4x2x3xf32>
// CHECK-GENERIC-NEXT: %up = "tpu.upsample"(%hs) <{scales = array<i64: 2, 3>}> : (tensor<1x4x2x3xf32>) -> tensor<1x4x4x9xf32>
// CHECK-GENERIC-NEXT: %ds = "tpu.depth_to_space"(%hs) <{block = array<i64: 2, 2>}> : (tensor<1x4x2x3xf32>) -> tensor<1x1x4x6xf32>
// CHECK-GENERIC-NEXT: %he = "tpu.exp"(%h) : (tensor<2x8xf16>) -> tensor<2x8xf16>
