// RUN: nntc-opt %s -p 'assign-gmem,lower-to-bm1684x' | filecheck %s

// Gemm with transB: the right matrix of the matmul is computed (a permute, a DDR -> DDR copy),
// so the matmul must load it after the copy, not prefetch it while the previous layer runs as
// it does for a weight. (Prefetched, the load read DDR before the permute had written it.)
func.func @main(%a: tensor<3x6xf32> {onnx.name = "a"}, %b: tensor<4x6xf32> {onnx.name = "b"}) -> (tensor<3x4xf32> {onnx.name = "y"}) {
  %bt = tpu.permute %b {order = array<i64: 1, 0>} : (tensor<4x6xf32>) -> tensor<6x4xf32> loc("y/transpose_weight")
  %y = tpu.matmul %a, %bt : (tensor<3x6xf32>, tensor<6x4xf32>) -> tensor<3x4xf32> loc("y")
  func.return %y : tensor<3x4xf32>
}

// CHECK:      bm1684x.cmd_group attributes {nntc.layers = {{.*}}\22y/transpose_weight\22, \22gdma\22: [0, 0]}, {\22name\22: \22y\22, \22gdma\22: [1, 3]}]"} tiu {
// CHECK-NEXT:   bm1684x.tiu.mm normal id 1 wait 3 {{{.*}} opd1_addr = 0x0, {{.*}}}
// CHECK-NEXT:   bm1684x.tiu.sys end
// CHECK-NEXT: } gdma {
// The permute writes the transposed matrix to DDR...
// CHECK-NEXT:   bm1684x.gdma.tensor plain id 1 wait 0 {{{.*}} src_addr = [[B:0x[0-9a-f]+]], src_shape = [1, 1, 6, 4], src_stride = [0, 0, 1, 6], dst_addr = [[BT:0x[0-9a-f]+]], {{.*}}}
// ...then the matmul reads it back into local memory at 0x0 (the right operand), then the left.
// CHECK-NEXT:   bm1684x.gdma.matrix plain id 2 wait 0 {{{.*}} src_addr = [[BT]], src_shape = [0, 0, 6, 4], {{.*}} dst_addr = 0x8000000, {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.matrix plain id 3 wait 0 {{{.*}} src_shape = [0, 0, 3, 6], {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.matrix plain id 4 wait 1 {{{.*}} src_shape = [3, 1, 0, 16], {{.*}}}
// CHECK-NEXT:   bm1684x.gdma.sys end
