// RUN: NNTC_ROUNDTRIP
// RUN: NNTC_GENERIC_ROUNDTRIP

// The f32 tiny_cnn command group as SOPHGO's compiler emitted it (shared/vendor), then one group
// per remaining op with non-default values for its flags, enums and raw fields.

bm1684x.cmd_group tiu {
  bm1684x.tiu.conv normal id 1 wait 3 {res0_addr = 0x4000, res0_shape = [1, 16, 32, 32], res0_prec = fp32, opd0_addr = 0x0, opd0_shape = [3, 32, 32], opd0_prec = fp32, opd1_addr = 0x10000, kernel = [3, 3], opd2_addr = 0x14000, opd3_const = true, pad = [1, 1, 1, 1]}
  bm1684x.tiu.ar max id 2 wait 3 {opd_num = 2, res0_addr = 0x4000, res0_shape = [1, 16, 32, 32], res0_prec = fp32, opd0_addr = 0x4000, opd0_prec = fp32, opd0_sign = true, opd1_prec = fp32, opd1_const = true, opd1_sign = true}
  bm1684x.tiu.pord maxpooling id 3 wait 5 {res0_addr = 0x1000, res0_shape = [1, 32, 8, 8], res0_prec = fp32, opd0_addr = 0x8000, opd0_shape = [16, 16], opd0_prec = fp32, kernel = [2, 2], opd3_addr = 0xff7fffff, opd3_const = true, stride = [2, 2]}
  bm1684x.tiu.pord avgpooling id 4 wait 5 {res0_addr = 0x4000, res0_shape = [1, 32, 1, 16], res0_prec = fp32, opd0_addr = 0x1000, opd0_shape = [4, 16], opd0_prec = fp32, kernel = [4, 1], opd1_addr = 0x3f800000, opd1_const = true, opd3_const = true, round_mode = 5}
  bm1684x.tiu.mm normal id 5 wait 9 {res0_addr = 0x20000, res0_c = 1, res0_w = 10, res0_prec = fp32, opd0_addr = 0x0, opd0_n = 1, opd0_c = 2, opd0_w = 16, opd1_w = 16, opd0_prec = fp32, opd1_addr = 0x10000, opd2_addr = 0x40}
  bm1684x.tiu.sys end id 6 wait 0 {cmd_id_en = 0}
} gdma {
  bm1684x.gdma.tensor plain id 3 wait 0 {stride_enable = true, nchw_copy = true, dtype = fp32, src_addr = 0x10000a000, src_shape = [1, 3, 32, 32], src_stride = [3072, 1024, 32, 1], dst_addr = 0x8000000, dst_shape = [0, 0, 0, 0], dst_stride = [1024, 1024, 32, 1]}
  bm1684x.gdma.tensor plain id 5 wait 0 {stride_enable = true, nchw_copy = true, dtype = fp32, src_addr = 0x100007000, src_shape = [1, 32, 1, 1], src_stride = [32, 1, 1, 1], dst_addr = 0x8018000, dst_shape = [0, 0, 0, 0], dst_stride = [1, 1, 1, 1]}
  bm1684x.gdma.tensor plain id 6 wait 4 {stride_enable = true, nchw_copy = true, dtype = fp32, src_addr = 0x8008000, src_shape = [1, 32, 1, 1], src_stride = [16, 16, 1, 1], dst_addr = 0x10000d000, dst_shape = [0, 0, 0, 0], dst_stride = [32, 1, 1, 1]}
  bm1684x.gdma.matrix plain id 9 wait 4 {stride_enable = true, dtype = fp32, src_addr = 0x100009000, src_shape = [0, 0, 1, 10], src_stride = [0, 0, 10, 0], dst_addr = 0x8000040, dst_shape = [1, 1, 0, 10], dst_stride = [16, 16, 0, 0]}
  bm1684x.gdma.matrix transpose id 10 wait 5 {stride_enable = true, dtype = fp32, src_addr = 0x8020000, src_shape = [1, 1, 0, 10], src_stride = [16, 16, 0, 0], dst_addr = 0x10000e000, dst_shape = [0, 0, 1, 10], dst_stride = [0, 0, 10, 0]}
  bm1684x.gdma.sys end id 11 wait 0
}

// CHECK-LABEL: builtin.module {
// CHECK-NEXT: bm1684x.cmd_group tiu {
// CHECK-NEXT: bm1684x.tiu.conv normal id 1 wait 3 {res0_addr = 0x4000, res0_shape = [1, 16, 32, 32], res0_prec = fp32, opd0_addr = 0x0, opd0_shape = [3, 32, 32], opd0_prec = fp32, opd1_addr = 0x10000, kernel = [3, 3], opd2_addr = 0x14000, opd3_const = true, pad = [1, 1, 1, 1]}
// CHECK-NEXT: bm1684x.tiu.ar max id 2 wait 3 {opd_num = 2, res0_addr = 0x4000, res0_shape = [1, 16, 32, 32], res0_prec = fp32, opd0_addr = 0x4000, opd0_prec = fp32, opd0_sign = true, opd1_prec = fp32, opd1_const = true, opd1_sign = true}
// CHECK-NEXT: bm1684x.tiu.pord maxpooling id 3 wait 5 {res0_addr = 0x1000, res0_shape = [1, 32, 8, 8], res0_prec = fp32, opd0_addr = 0x8000, opd0_shape = [16, 16], opd0_prec = fp32, kernel = [2, 2], opd3_addr = 0xff7fffff, opd3_const = true, stride = [2, 2]}
// CHECK-NEXT: bm1684x.tiu.pord avgpooling id 4 wait 5 {res0_addr = 0x4000, res0_shape = [1, 32, 1, 16], res0_prec = fp32, opd0_addr = 0x1000, opd0_shape = [4, 16], opd0_prec = fp32, kernel = [4, 1], opd1_addr = 0x3f800000, opd1_const = true, opd3_const = true, round_mode = 5}
// CHECK-NEXT: bm1684x.tiu.mm normal id 5 wait 9 {res0_addr = 0x20000, res0_c = 1, res0_w = 10, res0_prec = fp32, opd0_addr = 0x0, opd0_n = 1, opd0_c = 2, opd0_w = 16, opd1_w = 16, opd0_prec = fp32, opd1_addr = 0x10000, opd2_addr = 0x40}
// CHECK-NEXT: bm1684x.tiu.sys end id 6 wait 0 {cmd_id_en = 0}
// CHECK-NEXT: } gdma {
// CHECK-NEXT: bm1684x.gdma.tensor plain id 3 wait 0 {stride_enable = true, nchw_copy = true, dtype = fp32, src_addr = 0x10000a000, src_shape = [1, 3, 32, 32], src_stride = [3072, 1024, 32, 1], dst_addr = 0x8000000, dst_shape = [0, 0, 0, 0], dst_stride = [1024, 1024, 32, 1]}
// CHECK-NEXT: bm1684x.gdma.tensor plain id 5 wait 0 {stride_enable = true, nchw_copy = true, dtype = fp32, src_addr = 0x100007000, src_shape = [1, 32, 1, 1], src_stride = [32, 1, 1, 1], dst_addr = 0x8018000, dst_shape = [0, 0, 0, 0], dst_stride = [1, 1, 1, 1]}
// CHECK-NEXT: bm1684x.gdma.tensor plain id 6 wait 4 {stride_enable = true, nchw_copy = true, dtype = fp32, src_addr = 0x8008000, src_shape = [1, 32, 1, 1], src_stride = [16, 16, 1, 1], dst_addr = 0x10000d000, dst_shape = [0, 0, 0, 0], dst_stride = [32, 1, 1, 1]}
// CHECK-NEXT: bm1684x.gdma.matrix plain id 9 wait 4 {stride_enable = true, dtype = fp32, src_addr = 0x100009000, src_shape = [0, 0, 1, 10], src_stride = [0, 0, 10, 0], dst_addr = 0x8000040, dst_shape = [1, 1, 0, 10], dst_stride = [16, 16, 0, 0]}
// CHECK-NEXT: bm1684x.gdma.matrix transpose id 10 wait 5 {stride_enable = true, dtype = fp32, src_addr = 0x8020000, src_shape = [1, 1, 0, 10], src_stride = [16, 16, 0, 0], dst_addr = 0x10000e000, dst_shape = [0, 0, 1, 10], dst_stride = [0, 0, 10, 0]}
// CHECK-NEXT: bm1684x.gdma.sys end id 11 wait 0
// CHECK-NEXT: }
// CHECK-NEXT: }

// CHECK-GENERIC-LABEL: "builtin.module"() ({
// CHECK-GENERIC-NEXT: "bm1684x.cmd_group"() ({
// CHECK-GENERIC: "bm1684x.tiu.conv"() <{tsk_eu_typ = #bm1684x<conv_eu normal>, cmd_id = #builtin.int<1>, cmd_id_dep = #builtin.int<3>{{.*}}pad_mode = #builtin.int<0>, res_add = false}> : () -> ()
// CHECK-GENERIC: "bm1684x.tiu.ar"() <{tsk_eu_typ = #bm1684x<ar_eu max>, cmd_id = #builtin.int<2>, cmd_id_dep = #builtin.int<3>{{.*}}opd2_sign = false, round_mode = #builtin.int<0>}> : () -> ()
// CHECK-GENERIC: "bm1684x.tiu.pord"() <{tsk_eu_typ = #bm1684x<pord_eu maxpooling>, cmd_id = #builtin.int<3>, cmd_id_dep = #builtin.int<5>{{.*}}kernel_rotate = false, pad_mode = #builtin.int<0>}> : () -> ()
// CHECK-GENERIC: "bm1684x.tiu.pord"() <{tsk_eu_typ = #bm1684x<pord_eu avgpooling>, cmd_id = #builtin.int<4>, cmd_id_dep = #builtin.int<5>{{.*}}kernel_rotate = false, pad_mode = #builtin.int<0>}> : () -> ()
// CHECK-GENERIC: "bm1684x.tiu.mm"() <{tsk_eu_typ = #bm1684x<mm_eu normal>, cmd_id = #builtin.int<5>, cmd_id_dep = #builtin.int<9>{{.*}}left_tran = false, res_add = false}> : () -> ()
// CHECK-GENERIC: "bm1684x.tiu.sys"() <{tsk_eu_typ = #bm1684x<sys_eu end>, cmd_id = #builtin.int<6>, cmd_id_dep = #builtin.int<0>{{.*}}cmd_id_eng2 = #builtin.int<0>, cmd_id_eng3 = #builtin.int<0>}> : () -> ()
// CHECK-GENERIC: }, {
// CHECK-GENERIC: "bm1684x.gdma.tensor"() <{cmd_special_function = #bm1684x<dma_tensor_sp plain>, cmd_id = #builtin.int<3>, cmd_id_dep = #builtin.int<0>{{.*}}constant_value = #builtin.int<0>, lane_mask = #builtin.int<18446744073709551615>}> : () -> ()
// CHECK-GENERIC: "bm1684x.gdma.tensor"() <{cmd_special_function = #bm1684x<dma_tensor_sp plain>, cmd_id = #builtin.int<5>, cmd_id_dep = #builtin.int<0>{{.*}}constant_value = #builtin.int<0>, lane_mask = #builtin.int<18446744073709551615>}> : () -> ()
// CHECK-GENERIC: "bm1684x.gdma.tensor"() <{cmd_special_function = #bm1684x<dma_tensor_sp plain>, cmd_id = #builtin.int<6>, cmd_id_dep = #builtin.int<4>{{.*}}constant_value = #builtin.int<0>, lane_mask = #builtin.int<18446744073709551615>}> : () -> ()
// CHECK-GENERIC: "bm1684x.gdma.matrix"() <{cmd_special_function = #bm1684x<dma_matrix_sp plain>, cmd_id = #builtin.int<9>, cmd_id_dep = #builtin.int<4>{{.*}}constant_value = #builtin.int<0>, lane_mask = #builtin.int<18446744073709551615>}> : () -> ()
// CHECK-GENERIC: "bm1684x.gdma.matrix"() <{cmd_special_function = #bm1684x<dma_matrix_sp transpose>, cmd_id = #builtin.int<10>, cmd_id_dep = #builtin.int<5>{{.*}}constant_value = #builtin.int<0>, lane_mask = #builtin.int<18446744073709551615>}> : () -> ()
// CHECK-GENERIC: "bm1684x.gdma.sys"() <{cmd_special_function = #bm1684x<dma_sys_sp end>, cmd_id = #builtin.int<11>, cmd_id_dep = #builtin.int<0>{{.*}}dtype = #bm1684x<prec int8>, constant_value = #builtin.int<0>}> : () -> ()

// -----

bm1684x.cmd_group attributes {layer = "conv1"} tiu {
  bm1684x.tiu.conv wrqrelu id 1 wait 1 {cmd_id_en = 2, pwr_step = 3, intr_en = true, res0_addr = 0xffffc0, res0_shape = [2, 64, 7, 7], res0_prec = int8, opd0_addr = 0xffffc0, opd0_shape = [64, 9, 9], opd0_stride = [100, 81, 9, 1], opd0_prec = int8, opd0_layout = free, opd0_sign = true, opd1_addr = 0x7f, kernel = [3, 3], opd1_const = true, opd1_sign = true, opd2_addr = 0x1234, opd2_const = true, opd2_sign = true, opd3_addr = 0x5, opd3_const = true, res1_addr = 0xdeadbeef, pad = [15, 0, 1, 2], stride = [2, 3], in_zero = [1, 2], ke_zero = [3, 4], kernel_rotate = true, pad_mode = 3, res_add = true} attributes {layer = "conv1"}
  bm1684x.tiu.mm2 tt id 2 wait 1 {res0_addr = 0xffff00, res0_shape = [64, 128], res0_prec = int32, opd0_addr = 0x80, opd0_prec = int8, opd0_const = true, opd0_sign = true, opd1_addr = 0x100, opd1_shape = [32, 64], opd1_const = true, opd1_sign = true, opd2_addr = 0x200, opd2_const = true, res_add = true}
  bm1684x.tiu.mm wrq id 3 wait 1 {res0_addr = 0x100, res0_c = 2, res0_w = 32, res0_prec = int8, opd0_addr = 0x200, opd0_n = 4, opd0_c = 3, opd0_w = 32, opd1_w = 8, opd0_prec = int8, opd0_const = true, opd0_sign = true, opd1_addr = 0x300, opd1_sign = true, opd2_addr = 0x400, opd2_const = true, opd2_sign = true, opd3_addr = 0x6, round_mode = 1, left_tran = true, res_add = true}
  bm1684x.tiu.ar cast id 4 wait 1 {opd_num = 1, res0_addr = 0x0, res0_shape = [1, 3, 5, 7], res0_stride = [65535, 65535, 1048575, 1048575], res0_prec = bf16, res0_layout = free, opd0_addr = 0x40, opd0_stride = [1, 2, 3, 4], opd0_prec = fp16, opd0_layout = compact, opd0_const = true, opd0_sign = true, opd1_addr = 0x80, opd1_stride = [5, 6, 7, 8], opd1_prec = int16, opd1_layout = offset, opd1_const = true, opd1_sign = true, opd2_addr = 0xc0, opd2_prec = int4, opd2_const = true, opd2_sign = true, round_mode = 7}
  bm1684x.tiu.ar getFirstZero id 5 wait 1 {opd_num = 3, res0_addr = 0x0, res0_shape = [1, 1, 1, 1], res0_prec = int32, opd0_addr = 0x40, opd0_prec = int32, opd2_prec = fp8}
  bm1684x.tiu.rq_dq rq1 id 6 wait 1 {res0_addr = 0x7fffc0, res0_shape = [1, 1, 10, 1], res0_prec = int8, opd0_addr = 0x4000, opd0_prec = int32, opd0_sign = true, opd1_addr = 0x12f49, opd1_const = true, opd2_addr = 0xe6, opd2_sign = true, round_mode = 63}
  bm1684x.tiu.rq_dq dq1 id 7 wait 1 {res0_addr = 0x20000, res0_shape = [1, 5, 1, 2], res0_prec = fp32, opd0_addr = 0x0, opd0_prec = int8, opd0_sign = true, opd1_addr = 0x10000}
  bm1684x.tiu.trans_bc s_distribute id 8 wait 1 {res0_addr = 0x1840, res0_shape = [1, 9, 1, 1], res0_prec = int32, opd0_addr = 0x90005c0, opd0_shape = [9, 1]}
  bm1684x.tiu.sg pe_s_scatter_hzd id 9 wait 1 {res0_addr = 0x18c0, res0_shape = [1, 9, 1, 9], res0_prec = fp16, opd0_addr = 0x1880, opd0_shape = [1, 1], opd0_prec = fp16, opd0_layout = t4, opd1_addr = 0x1840, opd1_shape = [9, 1], opd1_prec = int16, opd2_addr = 0x7, opd2_const = true, opd3_addr = 0x10001, opd3_const = true, res1_addr = 0x2000}
  bm1684x.tiu.sys data_barrier id 10 wait 1 {cmd_id_eng1 = 1, cmd_id_eng2 = 2, cmd_id_eng3 = 1048575}
  bm1684x.tiu.sys nop id 11 wait 1
  bm1684x.tiu.sys end id 1048575 wait 6 {cmd_id_en = 15, pwr_step = 15, intr_en = true}
} gdma {
  bm1684x.gdma.tensor broadcast id 1 wait 0 {dtype = int32, src_addr = 0x100004000, src_shape = [1, 1, 1, 10], src_stride = [0, 0, 0, 0], dst_addr = 0x8000080, dst_shape = [1, 64, 1, 10], dst_stride = [0, 0, 0, 0], lane_mask = 0xff}
  bm1684x.gdma.tensor "4bank_copy" id 2 wait 0 {cmd_id_en = 0, intr_en = true, stride_enable = true, nchw_copy = true, decompress_enable = true, fill_constant_en = true, dtype = bf16, constant_value = 0x3f80, src_addr = 0x0, src_shape = [65535, 1, 1, 1], src_stride = [4294967295, 1, 1, 1], dst_addr = 0x10fffffff, dst_shape = [0, 0, 0, 0], dst_stride = [1, 1, 1, 1]}
  bm1684x.gdma.tensor collect id 3 wait 2 {dtype = fp16, src_addr = 0x8ffffc0, src_shape = [1, 2, 3, 4], src_stride = [24, 12, 4, 1], dst_addr = 0x2ffffffff, dst_shape = [1, 4, 3, 2], dst_stride = [24, 6, 2, 1]}
  bm1684x.gdma.tensor distribute id 4 wait 2 {dtype = int16, src_addr = 0x100000000, src_shape = [1, 2, 3, 4], src_stride = [24, 12, 4, 1], dst_addr = 0x8000100, dst_shape = [1, 4, 3, 2], dst_stride = [24, 6, 2, 1]}
  bm1684x.gdma.tensor transpose id 5 wait 2 {dtype = int4, src_addr = 0x101fafff, src_shape = [2, 3, 1, 1], src_stride = [3, 1, 1, 1], dst_addr = 0x9003fff, dst_shape = [3, 2, 1, 1], dst_stride = [2, 1, 1, 1]}
  bm1684x.gdma.sys nop id 6 wait 3 {constant_value = 0xffffffff}
  bm1684x.gdma.sys end id 1048575 wait 11 {cmd_id_en = 15, intr_en = true, dtype = fp8}
}

// CHECK-LABEL: builtin.module {
// CHECK-NEXT: bm1684x.cmd_group attributes {layer = "conv1"} tiu {
// CHECK-NEXT: bm1684x.tiu.conv wrqrelu id 1 wait 1 {cmd_id_en = 2, pwr_step = 3, intr_en = true, res0_addr = 0xffffc0, res0_shape = [2, 64, 7, 7], res0_prec = int8, opd0_addr = 0xffffc0, opd0_shape = [64, 9, 9], opd0_stride = [100, 81, 9, 1], opd0_prec = int8, opd0_layout = free, opd0_sign = true, opd1_addr = 0x7f, kernel = [3, 3], opd1_const = true, opd1_sign = true, opd2_addr = 0x1234, opd2_const = true, opd2_sign = true, opd3_addr = 0x5, opd3_const = true, res1_addr = 0xdeadbeef, pad = [15, 0, 1, 2], stride = [2, 3], in_zero = [1, 2], ke_zero = [3, 4], kernel_rotate = true, pad_mode = 3, res_add = true} attributes {layer = "conv1"}
// CHECK-NEXT: bm1684x.tiu.mm2 tt id 2 wait 1 {res0_addr = 0xffff00, res0_shape = [64, 128], res0_prec = int32, opd0_addr = 0x80, opd0_prec = int8, opd0_const = true, opd0_sign = true, opd1_addr = 0x100, opd1_shape = [32, 64], opd1_const = true, opd1_sign = true, opd2_addr = 0x200, opd2_const = true, res_add = true}
// CHECK-NEXT: bm1684x.tiu.mm wrq id 3 wait 1 {res0_addr = 0x100, res0_c = 2, res0_w = 32, res0_prec = int8, opd0_addr = 0x200, opd0_n = 4, opd0_c = 3, opd0_w = 32, opd1_w = 8, opd0_prec = int8, opd0_const = true, opd0_sign = true, opd1_addr = 0x300, opd1_sign = true, opd2_addr = 0x400, opd2_const = true, opd2_sign = true, opd3_addr = 0x6, round_mode = 1, left_tran = true, res_add = true}
// CHECK-NEXT: bm1684x.tiu.ar cast id 4 wait 1 {opd_num = 1, res0_addr = 0x0, res0_shape = [1, 3, 5, 7], res0_stride = [65535, 65535, 1048575, 1048575], res0_prec = bf16, res0_layout = free, opd0_addr = 0x40, opd0_stride = [1, 2, 3, 4], opd0_prec = fp16, opd0_layout = compact, opd0_const = true, opd0_sign = true, opd1_addr = 0x80, opd1_stride = [5, 6, 7, 8], opd1_prec = int16, opd1_layout = offset, opd1_const = true, opd1_sign = true, opd2_addr = 0xc0, opd2_prec = int4, opd2_const = true, opd2_sign = true, round_mode = 7}
// CHECK-NEXT: bm1684x.tiu.ar getFirstZero id 5 wait 1 {opd_num = 3, res0_addr = 0x0, res0_shape = [1, 1, 1, 1], res0_prec = int32, opd0_addr = 0x40, opd0_prec = int32, opd2_prec = fp8}
// CHECK-NEXT: bm1684x.tiu.rq_dq rq1 id 6 wait 1 {res0_addr = 0x7fffc0, res0_shape = [1, 1, 10, 1], res0_prec = int8, opd0_addr = 0x4000, opd0_prec = int32, opd0_sign = true, opd1_addr = 0x12f49, opd1_const = true, opd2_addr = 0xe6, opd2_sign = true, round_mode = 63}
// CHECK-NEXT: bm1684x.tiu.rq_dq dq1 id 7 wait 1 {res0_addr = 0x20000, res0_shape = [1, 5, 1, 2], res0_prec = fp32, opd0_addr = 0x0, opd0_prec = int8, opd0_sign = true, opd1_addr = 0x10000}
// CHECK-NEXT: bm1684x.tiu.trans_bc s_distribute id 8 wait 1 {res0_addr = 0x1840, res0_shape = [1, 9, 1, 1], res0_prec = int32, opd0_addr = 0x90005c0, opd0_shape = [9, 1]}
// CHECK-NEXT: bm1684x.tiu.sg pe_s_scatter_hzd id 9 wait 1 {res0_addr = 0x18c0, res0_shape = [1, 9, 1, 9], res0_prec = fp16, opd0_addr = 0x1880, opd0_shape = [1, 1], opd0_prec = fp16, opd0_layout = t4, opd1_addr = 0x1840, opd1_shape = [9, 1], opd1_prec = int16, opd2_addr = 0x7, opd2_const = true, opd3_addr = 0x10001, opd3_const = true, res1_addr = 0x2000}
// CHECK-NEXT: bm1684x.tiu.sys data_barrier id 10 wait 1 {cmd_id_eng1 = 1, cmd_id_eng2 = 2, cmd_id_eng3 = 1048575}
// CHECK-NEXT: bm1684x.tiu.sys nop id 11 wait 1
// CHECK-NEXT: bm1684x.tiu.sys end id 1048575 wait 6 {cmd_id_en = 15, pwr_step = 15, intr_en = true}
// CHECK-NEXT: } gdma {
// CHECK-NEXT: bm1684x.gdma.tensor broadcast id 1 wait 0 {dtype = int32, src_addr = 0x100004000, src_shape = [1, 1, 1, 10], src_stride = [0, 0, 0, 0], dst_addr = 0x8000080, dst_shape = [1, 64, 1, 10], dst_stride = [0, 0, 0, 0], lane_mask = 0xff}
// CHECK-NEXT: bm1684x.gdma.tensor "4bank_copy" id 2 wait 0 {cmd_id_en = 0, intr_en = true, stride_enable = true, nchw_copy = true, decompress_enable = true, fill_constant_en = true, dtype = bf16, constant_value = 0x3f80, src_addr = 0x0, src_shape = [65535, 1, 1, 1], src_stride = [4294967295, 1, 1, 1], dst_addr = 0x10fffffff, dst_shape = [0, 0, 0, 0], dst_stride = [1, 1, 1, 1]}
// CHECK-NEXT: bm1684x.gdma.tensor collect id 3 wait 2 {dtype = fp16, src_addr = 0x8ffffc0, src_shape = [1, 2, 3, 4], src_stride = [24, 12, 4, 1], dst_addr = 0x2ffffffff, dst_shape = [1, 4, 3, 2], dst_stride = [24, 6, 2, 1]}
// CHECK-NEXT: bm1684x.gdma.tensor distribute id 4 wait 2 {dtype = int16, src_addr = 0x100000000, src_shape = [1, 2, 3, 4], src_stride = [24, 12, 4, 1], dst_addr = 0x8000100, dst_shape = [1, 4, 3, 2], dst_stride = [24, 6, 2, 1]}
// CHECK-NEXT: bm1684x.gdma.tensor transpose id 5 wait 2 {dtype = int4, src_addr = 0x101fafff, src_shape = [2, 3, 1, 1], src_stride = [3, 1, 1, 1], dst_addr = 0x9003fff, dst_shape = [3, 2, 1, 1], dst_stride = [2, 1, 1, 1]}
// CHECK-NEXT: bm1684x.gdma.sys nop id 6 wait 3 {constant_value = 0xffffffff}
// CHECK-NEXT: bm1684x.gdma.sys end id 1048575 wait 11 {cmd_id_en = 15, intr_en = true, dtype = fp8}
// CHECK-NEXT: }
// CHECK-NEXT: }

// CHECK-GENERIC-LABEL: "builtin.module"() ({
// CHECK-GENERIC-NEXT: "bm1684x.cmd_group"() ({
// CHECK-GENERIC: "bm1684x.tiu.conv"() <{tsk_eu_typ = #bm1684x<conv_eu wrqrelu>, cmd_id = #builtin.int<1>, cmd_id_dep = #builtin.int<1>{{.*}}pad_mode = #builtin.int<3>, res_add = true}> {layer = "conv1"} : () -> ()
// CHECK-GENERIC: "bm1684x.tiu.mm2"() <{tsk_eu_typ = #bm1684x<mm2_eu tt>, cmd_id = #builtin.int<2>, cmd_id_dep = #builtin.int<1>{{.*}}pwr_step = #builtin.int<0>, intr_en = false}> : () -> ()
// CHECK-GENERIC: "bm1684x.tiu.mm"() <{tsk_eu_typ = #bm1684x<mm_eu wrq>, cmd_id = #builtin.int<3>, cmd_id_dep = #builtin.int<1>{{.*}}pwr_step = #builtin.int<0>, intr_en = false}> : () -> ()
// CHECK-GENERIC: "bm1684x.tiu.ar"() <{tsk_eu_typ = #bm1684x<ar_eu cast>, cmd_id = #builtin.int<4>, cmd_id_dep = #builtin.int<1>{{.*}}pwr_step = #builtin.int<0>, intr_en = false}> : () -> ()
// CHECK-GENERIC: "bm1684x.tiu.ar"() <{tsk_eu_typ = #bm1684x<ar_eu getFirstZero>, cmd_id = #builtin.int<5>, cmd_id_dep = #builtin.int<1>{{.*}}opd2_sign = false, round_mode = #builtin.int<0>}> : () -> ()
// CHECK-GENERIC: "bm1684x.tiu.rq_dq"() <{tsk_eu_typ = #bm1684x<rq_dq_eu rq1>, cmd_id = #builtin.int<6>, cmd_id_dep = #builtin.int<1>{{.*}}pwr_step = #builtin.int<0>, intr_en = false}> : () -> ()
// CHECK-GENERIC: "bm1684x.tiu.rq_dq"() <{tsk_eu_typ = #bm1684x<rq_dq_eu dq1>, cmd_id = #builtin.int<7>, cmd_id_dep = #builtin.int<1>{{.*}}opd2_sign = false, round_mode = #builtin.int<0>}> : () -> ()
// CHECK-GENERIC: "bm1684x.tiu.trans_bc"() <{tsk_eu_typ = #bm1684x<trans_bc_eu s_distribute>, cmd_id = #builtin.int<8>, cmd_id_dep = #builtin.int<1>{{.*}}pwr_step = #builtin.int<0>, intr_en = false}> : () -> ()
// CHECK-GENERIC: "bm1684x.tiu.sg"() <{tsk_eu_typ = #bm1684x<sg_eu pe_s_scatter_hzd>, cmd_id = #builtin.int<9>, cmd_id_dep = #builtin.int<1>{{.*}}pwr_step = #builtin.int<0>, intr_en = false}> : () -> ()
// CHECK-GENERIC: "bm1684x.tiu.sys"() <{tsk_eu_typ = #bm1684x<sys_eu data_barrier>, cmd_id = #builtin.int<10>, cmd_id_dep = #builtin.int<1>{{.*}}pwr_step = #builtin.int<0>, intr_en = false}> : () -> ()
// CHECK-GENERIC: "bm1684x.tiu.sys"() <{tsk_eu_typ = #bm1684x<sys_eu nop>, cmd_id = #builtin.int<11>, cmd_id_dep = #builtin.int<1>{{.*}}cmd_id_eng2 = #builtin.int<0>, cmd_id_eng3 = #builtin.int<0>}> : () -> ()
// CHECK-GENERIC: "bm1684x.tiu.sys"() <{tsk_eu_typ = #bm1684x<sys_eu end>, cmd_id = #builtin.int<1048575>, cmd_id_dep = #builtin.int<6>{{.*}}cmd_id_eng2 = #builtin.int<0>, cmd_id_eng3 = #builtin.int<0>}> : () -> ()
// CHECK-GENERIC: }, {
// CHECK-GENERIC: "bm1684x.gdma.tensor"() <{cmd_special_function = #bm1684x<dma_tensor_sp broadcast>, cmd_id = #builtin.int<1>, cmd_id_dep = #builtin.int<0>{{.*}}fill_constant_en = false, constant_value = #builtin.int<0>}> : () -> ()
// CHECK-GENERIC: "bm1684x.gdma.tensor"() <{cmd_special_function = #bm1684x<dma_tensor_sp "4bank_copy">, cmd_id = #builtin.int<2>, cmd_id_dep = #builtin.int<0>{{.*}}dst_stride = array<i64: 1, 1, 1, 1>, lane_mask = #builtin.int<18446744073709551615>}> : () -> ()
// CHECK-GENERIC: "bm1684x.gdma.tensor"() <{cmd_special_function = #bm1684x<dma_tensor_sp collect>, cmd_id = #builtin.int<3>, cmd_id_dep = #builtin.int<2>{{.*}}constant_value = #builtin.int<0>, lane_mask = #builtin.int<18446744073709551615>}> : () -> ()
// CHECK-GENERIC: "bm1684x.gdma.tensor"() <{cmd_special_function = #bm1684x<dma_tensor_sp distribute>, cmd_id = #builtin.int<4>, cmd_id_dep = #builtin.int<2>{{.*}}constant_value = #builtin.int<0>, lane_mask = #builtin.int<18446744073709551615>}> : () -> ()
// CHECK-GENERIC: "bm1684x.gdma.tensor"() <{cmd_special_function = #bm1684x<dma_tensor_sp transpose>, cmd_id = #builtin.int<5>, cmd_id_dep = #builtin.int<2>{{.*}}constant_value = #builtin.int<0>, lane_mask = #builtin.int<18446744073709551615>}> : () -> ()
// CHECK-GENERIC: "bm1684x.gdma.sys"() <{cmd_special_function = #bm1684x<dma_sys_sp nop>, cmd_id = #builtin.int<6>, cmd_id_dep = #builtin.int<3>{{.*}}fill_constant_en = false, dtype = #bm1684x<prec int8>}> : () -> ()
// CHECK-GENERIC: "bm1684x.gdma.sys"() <{cmd_special_function = #bm1684x<dma_sys_sp end>, cmd_id = #builtin.int<1048575>, cmd_id_dep = #builtin.int<11>{{.*}}fill_constant_en = false, constant_value = #builtin.int<0>}> : () -> ()
