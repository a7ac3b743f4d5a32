// RUN: NNTC_VERIFY_DIAGNOSTICS

func.func @permute_order(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{expected 'order' to be a permutation of 0..2, got [0, 0, 1]}}
  %0 = tpu.permute %x {order = array<i64: 0, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<2x2x3xf32>
  func.return
}

// -----

func.func @permute_shape(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{expected result shape 4x2x3, got 4x3x2}}
  %0 = tpu.permute %x {order = array<i64: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4x3x2xf32>
  func.return
}

// -----

func.func @slice_out_of_range(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{expected 2 elements from 1 by 3 along dim 2 to lie in [0, 4)}}
  %0 = tpu.slice %x {offsets = array<i64: 0, 0, 1>, steps = array<i64: 1, 1, 3>} : (tensor<2x3x4xf32>) -> tensor<2x3x2xf32>
  func.return
}

// -----

func.func @slice_step(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{expected 'steps' >= 1, got -1 along dim 2}}
  %0 = tpu.slice %x {offsets = array<i64: 0, 0, 3>, steps = array<i64: 1, 1, -1>} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  func.return
}

// -----

func.func @slice_entries(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{expected 'offsets' to have 3 entries (one per dim), got 2}}
  %0 = tpu.slice %x {offsets = array<i64: 0, 0>, steps = array<i64: 1, 1, 1>} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  func.return
}

// -----

func.func @expand(%x: tensor<3x2x4xf32>) {
  // expected-error @+1 {{expected input shape 3x2x4 to broadcast to the result shape 3x5x4}}
  %0 = tpu.expand %x : (tensor<3x2x4xf32>) -> tensor<3x5x4xf32>
  func.return
}

// -----

func.func @move_rank(%x: tensor<3x1x4xf32>) {
  // expected-error @+1 {{expected result of rank 3, got 2}}
  %0 = tpu.expand %x : (tensor<3x1x4xf32>) -> tensor<3x4xf32>
  func.return
}

// -----

func.func @integer_function(%x: tensor<2x3xi8>) {
  // expected-error @+1 {{expected a float element type (f32, f16, bf16), got i8}}
  %0 = tpu.tanh %x : tensor<2x3xi8>
  func.return
}

// -----

func.func @integer_leaky(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{expected a float element type (f32, f16, bf16), got i32}}
  %0 = tpu.leaky_relu %x {alpha = 0.1 : f64} : tensor<2x3xi32>
  func.return
}
