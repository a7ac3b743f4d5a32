// RUN: nntc-opt %s -p assign-gmem | filecheck %s

// Weights first, each 4 KiB aligned (one copy per name); then the context: the net's input and
// output at their own addresses, then the activations, which share bytes when their lifetimes
// do not overlap. %a dies at %b, so %c takes its place; the reshapes of %c move no data and
// share its address (and so its lifetime, up to %d).
func.func @main(%arg0: tensor<1x64x32x32xf32> {onnx.name = "input"}) -> (tensor<1x64x32x32xf32> {onnx.name = "output"}) {
  %w = top.weight "w" dense<0.5> : tensor<64x64x1x1xf32>
  %bias = top.weight "bias" dense<0.25> : tensor<64xf32>
  %w2 = top.weight "w" dense<0.5> : tensor<64x64x1x1xf32>
  %a = tpu.conv2d %arg0, %w, %bias : (tensor<1x64x32x32xf32>, tensor<64x64x1x1xf32>, tensor<64xf32>) -> tensor<1x64x32x32xf32>
  %b = tpu.relu %a : tensor<1x64x32x32xf32>
  %c = tpu.conv2d %b, %w2 : (tensor<1x64x32x32xf32>, tensor<64x64x1x1xf32>) -> tensor<1x64x32x32xf32>
  %r = tpu.reshape %c : (tensor<1x64x32x32xf32>) -> tensor<64x1024xf32>
  %r2 = tpu.reshape %r : (tensor<64x1024xf32>) -> tensor<1x64x32x32xf32>
  %d = tpu.add %r2, %b : (tensor<1x64x32x32xf32>, tensor<1x64x32x32xf32>) -> tensor<1x64x32x32xf32>
  func.return %d : tensor<1x64x32x32xf32>
}

// CHECK:      builtin.module attributes {nntc.gmem = {coeff_addr = 4294967296 : i64, coeff_size = 20480 : i64, ctx_addr = 4294987776 : i64, ctx_size = 1048576 : i64, io_size = 524288 : i64, activation_region_size = 524288 : i64, activation_total_size = 786432 : i64}}
// CHECK:      func.func @main(%arg0: tensor<1x64x32x32xf32> {onnx.name = "input", nntc.gmem_addr = 4294987776 : i64})
// CHECK-NEXT:   %w = top.weight "w" {nntc.gmem_addr = 4294967296 : i64}
// CHECK-NEXT:   %bias = top.weight "bias" {nntc.gmem_addr = 4294983680 : i64}
// CHECK-NEXT:   %w2 = top.weight "w" {nntc.gmem_addr = 4294967296 : i64}
// CHECK-NEXT:   %a = tpu.conv2d %arg0, %w, %bias {nntc.gmem_addr = 4295512064 : i64}
// CHECK-NEXT:   %b = tpu.relu %a {nntc.gmem_addr = 4295774208 : i64}
// CHECK-NEXT:   %c = tpu.conv2d %b, %w2 {nntc.gmem_addr = 4295512064 : i64}
// CHECK-NEXT:   %r = tpu.reshape %c {nntc.gmem_addr = 4295512064 : i64}
// CHECK-NEXT:   %r2 = tpu.reshape %r {nntc.gmem_addr = 4295512064 : i64}
// The net output: its own address after the input.
// CHECK-NEXT:   %d = tpu.add %r2, %b {nntc.gmem_addr = 4295249920 : i64}
