// RUN: NNTC_VERIFY_DIAGNOSTICS

func.func @lut_wide_input(%x: tensor<4xsi16>, %t: tensor<256xsi8>) {
  // expected-error @+1 {{expected input storage to be an integer of 8 bits, got si16}}
  %0 = tpu.lut %x, %t : (tensor<4xsi16>, tensor<256xsi8>) -> tensor<4xsi8>
  func.return
}

// -----

func.func @lut_float_input(%x: tensor<4xf32>, %t: tensor<256xsi8>) {
  // expected-error @+1 {{expected input storage to be an integer of 8 bits, got f32}}
  %0 = tpu.lut %x, %t : (tensor<4xf32>, tensor<256xsi8>) -> tensor<4xsi8>
  func.return
}

// -----

func.func @lut_table_size(%x: tensor<4xsi8>, %t: tensor<128xsi8>) {
  // expected-error @+1 {{expected table shape 256, got 128}}
  %0 = tpu.lut %x, %t : (tensor<4xsi8>, tensor<128xsi8>) -> tensor<4xsi8>
  func.return
}

// -----

func.func @lut_result_shape(%x: tensor<4xsi8>, %t: tensor<256xsi8>) {
  // expected-error @+1 {{expected result (the input's) shape 4, got 2x2}}
  %0 = tpu.lut %x, %t : (tensor<4xsi8>, tensor<256xsi8>) -> tensor<2x2xsi8>
  func.return
}

// -----

func.func @lut_table_storage(%x: tensor<4xsi8>, %t: tensor<256xui8>) {
  // expected-error @+1 {{expected table storage ui8 to equal the result's storage si8 (the table holds stored result values)}}
  %0 = tpu.lut %x, %t : (tensor<4xsi8>, tensor<256xui8>) -> tensor<4xsi8>
  func.return
}

// -----

func.func @lut_wide_result(%x: tensor<4xsi8>, %t: tensor<256xsi8>) {
  // expected-error @+1 {{expected result storage to be an integer of 8 bits, got si32}}
  %0 = tpu.lut %x, %t : (tensor<4xsi8>, tensor<256xsi8>) -> tensor<4xsi32>
  func.return
}
