// RUN: NNTC_VERIFY_DIAGNOSTICS

// One case per chunk for every verifier message of the bm1684x dialect: field widths, shapes,
// memory regions, per-class rules, and the command-group rules (queues, ends, ids, waits,
// deadlock), then the parse errors of the custom syntax (unknown, repeated or missing keys, bad
// enum names, wrong tokens).

bm1684x.cmd_group tiu {
  // expected-error @+1 {{expected cmd_id (-1) to fit in 20 bits (0 <= value < 1048576)}}
  bm1684x.tiu.ar add id -1 wait 0 {opd_num = 2, res0_addr = 0x0, res0_shape = [1, 4, 8, 8], res0_prec = fp32, opd0_addr = 0x1000, opd0_prec = fp32, opd1_prec = fp32, opd1_const = true}
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  // expected-error @+1 {{expected cmd_id_dep (1048576) to fit in 20 bits (0 <= value < 1048576)}}
  bm1684x.tiu.ar add id 1 wait 1048576 {opd_num = 2, res0_addr = 0x0, res0_shape = [1, 4, 8, 8], res0_prec = fp32, opd0_addr = 0x1000, opd0_prec = fp32, opd1_prec = fp32, opd1_const = true}
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  // expected-error @+1 {{expected cmd_id (1048576) to fit in 20 bits (0 <= value < 1048576)}}
  bm1684x.gdma.tensor plain id 1048576 wait 0 {dtype = fp32, src_addr = 0x100000000, src_shape = [1, 3, 32, 32], src_stride = [3072, 1024, 32, 1], dst_addr = 0x8000000, dst_shape = [1, 3, 32, 32], dst_stride = [1024, 1024, 32, 1]}
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  // expected-error @+1 {{expected cmd_id_en (16) to fit in 4 bits (0 <= value < 16)}}
  bm1684x.tiu.ar add id 1 wait 0 {cmd_id_en = 16, opd_num = 2, res0_addr = 0x0, res0_shape = [1, 4, 8, 8], res0_prec = fp32, opd0_addr = 0x1000, opd0_prec = fp32, opd1_prec = fp32, opd1_const = true}
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  // expected-error @+1 {{expected res0_addr (0x4000000) to fit in 26 bits (0 <= value < 0x4000000)}}
  bm1684x.tiu.conv normal id 1 wait 0 {res0_addr = 0x4000000, res0_shape = [1, 16, 32, 32], res0_prec = fp32, opd0_addr = 0x0, opd0_shape = [3, 32, 32], opd0_prec = fp32, opd1_addr = 0x10000, kernel = [3, 3]}
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  // expected-error @+1 {{expected constant_value (0x100000000) to fit in 32 bits (0 <= value < 0x100000000)}}
  bm1684x.gdma.tensor plain id 1 wait 0 {constant_value = 0x100000000, dtype = fp32, src_addr = 0x100000000, src_shape = [1, 3, 32, 32], src_stride = [3072, 1024, 32, 1], dst_addr = 0x8000000, dst_shape = [1, 3, 32, 32], dst_stride = [1024, 1024, 32, 1]}
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  // expected-error @+1 {{expected 4 values in res0_shape, got 3}}
  bm1684x.tiu.ar add id 1 wait 0 {opd_num = 2, res0_addr = 0x0, res0_shape = [4, 8, 8], res0_prec = fp32, opd0_addr = 0x1000, opd0_prec = fp32, opd1_prec = fp32, opd1_const = true}
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  // expected-error @+1 {{expected res0_shape[1] (0) to be positive}}
  bm1684x.tiu.ar add id 1 wait 0 {opd_num = 2, res0_addr = 0x0, res0_shape = [1, 0, 8, 8], res0_prec = fp32, opd0_addr = 0x1000, opd0_prec = fp32, opd1_prec = fp32, opd1_const = true}
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  // expected-error @+1 {{expected opd0_stride[2] (1048576) to fit in 20 bits (0 <= value < 1048576)}}
  bm1684x.tiu.ar add id 1 wait 0 {opd_num = 2, res0_addr = 0x0, res0_shape = [1, 4, 8, 8], res0_prec = fp32, opd0_addr = 0x1000, opd0_prec = fp32, opd1_prec = fp32, opd1_const = true, opd0_stride = [0, 0, 1048576, 1]}
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  // expected-error @+1 {{expected pad[0] (16) to fit in 4 bits (0 <= value < 16)}}
  bm1684x.tiu.conv normal id 1 wait 0 {res0_addr = 0x4000, res0_shape = [1, 16, 32, 32], res0_prec = fp32, opd0_addr = 0x0, opd0_shape = [3, 32, 32], opd0_prec = fp32, opd1_addr = 0x10000, kernel = [3, 3], pad = [16, 0, 0, 0]}
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  // expected-error @+1 {{expected src_shape[3] (65536) to fit in 16 bits (0 <= value < 65536)}}
  bm1684x.gdma.tensor plain id 1 wait 0 {dtype = fp32, src_addr = 0x100000000, src_shape = [1, 3, 32, 65536], src_stride = [3072, 1024, 32, 1], dst_addr = 0x8000000, dst_shape = [1, 3, 32, 32], dst_stride = [1024, 1024, 32, 1]}
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  // expected-error @+1 {{expected dst_shape[0] (0) to be positive}}
  bm1684x.gdma.tensor plain id 1 wait 0 {dtype = fp32, src_addr = 0x100000000, src_shape = [1, 3, 32, 32], src_stride = [3072, 1024, 32, 1], dst_addr = 0x8000000, dst_shape = [0, 3, 32, 32], dst_stride = [1024, 1024, 32, 1]}
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  // expected-error @+1 {{expected lane_mask (0x10000000000000000) to fit in 64 bits (0 <= value < 0x10000000000000000)}}
  bm1684x.gdma.tensor plain id 1 wait 0 {dtype = fp32, src_addr = 0x100000000, src_shape = [1, 3, 32, 32], src_stride = [3072, 1024, 32, 1], dst_addr = 0x8000000, dst_shape = [1, 3, 32, 32], dst_stride = [1024, 1024, 32, 1], lane_mask = 0x10000000000000000}
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  // expected-error @+1 {{expected opd0_layout to be a TIU layout, got t4 (SG only)}}
  bm1684x.tiu.ar add id 1 wait 0 {opd_num = 2, res0_addr = 0x0, res0_shape = [1, 4, 8, 8], res0_prec = fp32, opd0_addr = 0x1000, opd0_prec = fp32, opd1_prec = fp32, opd1_const = true, opd0_layout = t4}
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  // expected-error @+1 {{expected opd0_addr (0x1000000) to be a local offset below LMEM_BYTES (0x1000000) or a static memory address (0x9000000..0x9004000)}}
  bm1684x.tiu.ar add id 1 wait 0 {opd_num = 2, res0_addr = 0x0, res0_shape = [1, 4, 8, 8], res0_prec = fp32, opd0_addr = 0x1000000, opd0_prec = fp32, opd1_prec = fp32, opd1_const = true}
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  // expected-error @+1 {{expected dst_addr (0x20000000) in local (0x8000000), static (0x9000000), L2 (0x10000000) or global (0x100000000) memory}}
  bm1684x.gdma.tensor plain id 1 wait 0 {dtype = fp32, src_addr = 0x100000000, src_shape = [1, 3, 32, 32], src_stride = [3072, 1024, 32, 1], dst_addr = 0x20000000, dst_shape = [1, 3, 32, 32], dst_stride = [1024, 1024, 32, 1]}
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  // expected-error @+1 {{expected src_addr (0x300000000) in local (0x8000000), static (0x9000000), L2 (0x10000000) or global (0x100000000) memory}}
  bm1684x.gdma.tensor plain id 1 wait 0 {dtype = fp32, src_addr = 0x300000000, src_shape = [1, 3, 32, 32], src_stride = [3072, 1024, 32, 1], dst_addr = 0x8000000, dst_shape = [1, 3, 32, 32], dst_stride = [1024, 1024, 32, 1]}
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  // expected-error @+1 {{expected stride[1] (0) to be at least 1}}
  bm1684x.tiu.conv normal id 1 wait 0 {res0_addr = 0x4000, res0_shape = [1, 16, 32, 32], res0_prec = fp32, opd0_addr = 0x0, opd0_shape = [3, 32, 32], opd0_prec = fp32, opd1_addr = 0x10000, kernel = [3, 3], stride = [1, 0]}
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  // expected-error @+1 {{expected opd0_prec int8 for conv wrq, got fp32}}
  bm1684x.tiu.conv wrq id 1 wait 0 {res0_addr = 0x4000, res0_shape = [1, 16, 32, 32], res0_prec = fp32, opd0_addr = 0x0, opd0_shape = [3, 32, 32], opd0_prec = fp32, opd1_addr = 0x10000, kernel = [3, 3], opd2_const = true, opd3_const = true}
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  // expected-error @+1 {{expected opd3_const = true for conv wrqrelu}}
  bm1684x.tiu.conv wrqrelu id 1 wait 0 {res0_addr = 0x4000, res0_shape = [1, 16, 32, 32], res0_prec = int8, opd0_addr = 0x0, opd0_shape = [3, 32, 32], opd0_prec = int8, opd1_addr = 0x10000, kernel = [3, 3], opd2_const = true}
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  // expected-error @+1 {{expected stride[0] (0) to be at least 1}}
  bm1684x.tiu.pord maxpooling id 1 wait 0 {res0_addr = 0x1000, res0_shape = [1, 32, 8, 8], res0_prec = fp32, opd0_addr = 0x8000, opd0_shape = [16, 16], opd0_prec = fp32, kernel = [2, 2], opd3_const = true, stride = [0, 1]}
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  // expected-error @+1 {{expected kernel[0] (0) to be positive}}
  bm1684x.tiu.pord maxpooling id 1 wait 0 {res0_addr = 0x1000, res0_shape = [1, 32, 8, 8], res0_prec = fp32, opd0_addr = 0x8000, opd0_shape = [16, 16], opd0_prec = fp32, kernel = [0, 2], opd3_const = true}
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  // expected-error @+1 {{expected opd0_c (0) to be positive}}
  bm1684x.tiu.mm normal id 1 wait 0 {res0_addr = 0x20000, res0_c = 1, res0_w = 10, res0_prec = fp32, opd0_addr = 0x0, opd0_n = 1, opd0_c = 0, opd0_w = 16, opd1_w = 16, opd0_prec = fp32, opd1_addr = 0x10000}
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  // expected-error @+1 {{expected opd0_prec int8 for mm wrqrelu, got fp32}}
  bm1684x.tiu.mm wrqrelu id 1 wait 0 {res0_addr = 0x20000, res0_c = 1, res0_w = 10, res0_prec = fp32, opd0_addr = 0x0, opd0_n = 1, opd0_c = 2, opd0_w = 16, opd1_w = 16, opd0_prec = fp32, opd1_addr = 0x10000}
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  // expected-error @+1 {{expected opd1_shape[0] (0) to be positive}}
  bm1684x.tiu.mm2 nn id 1 wait 0 {res0_addr = 0x0, res0_shape = [1, 10], res0_prec = int32, opd0_addr = 0x40, opd0_prec = int8, opd1_addr = 0x80, opd1_shape = [0, 10]}
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  // expected-error @+1 {{expected opd_num (0) to be 1, 2 or 3}}
  bm1684x.tiu.ar add id 1 wait 0 {opd_num = 0, res0_addr = 0x0, res0_shape = [1, 4, 8, 8], res0_prec = fp32, opd0_addr = 0x1000, opd0_prec = fp32, opd1_prec = fp32, opd1_const = true}
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  // expected-error @+1 {{expected round_mode (64) to fit in 6 bits (0 <= value < 64)}}
  bm1684x.tiu.rq_dq rq0 id 1 wait 0 {res0_addr = 0x0, res0_shape = [1, 1, 1, 1], res0_prec = int8, opd0_addr = 0x40, opd0_prec = fp32, opd1_addr = 0x80, round_mode = 64}
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  // expected-error @+1 {{expected opd0_addr (0x8000000) to fit in 27 bits (0 <= value < 0x8000000)}}
  bm1684x.tiu.rq_dq dq0 id 1 wait 0 {res0_addr = 0x0, res0_shape = [1, 1, 1, 1], res0_prec = fp32, opd0_addr = 0x8000000, opd0_prec = int8, opd1_addr = 0x80}
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  // expected-error @+1 {{expected opd0_shape[1] (0) to be positive}}
  bm1684x.tiu.trans_bc l_bc id 1 wait 0 {res0_addr = 0x0, res0_shape = [1, 9, 32, 32], res0_prec = fp16, opd0_addr = 0x4000, opd0_shape = [1, 0]}
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  // expected-error @+1 {{expected opd1_addr (0x20000000) to fit in 29 bits (0 <= value < 0x20000000)}}
  bm1684x.tiu.sg pl_gather_d1coor id 1 wait 0 {res0_addr = 0x0, res0_shape = [1, 9, 1, 9], res0_prec = fp16, opd0_addr = 0x40, opd0_shape = [1, 1], opd0_prec = fp16, opd1_addr = 0x20000000, opd1_shape = [9, 1]}
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  // expected-error @+1 {{expected cmd_id_eng2 (1048576) to fit in 20 bits (0 <= value < 1048576)}}
  bm1684x.tiu.sys swr id 1 wait 0 {cmd_id_eng2 = 1048576}
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  // expected-error @+1 {{expected collect to move local -> global, got global -> local}}
  bm1684x.gdma.tensor collect id 1 wait 0 {dtype = fp32, src_addr = 0x100000000, src_shape = [1, 3, 32, 32], src_stride = [3072, 1024, 32, 1], dst_addr = 0x8000000, dst_shape = [1, 3, 32, 32], dst_stride = [1024, 1024, 32, 1]}
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  // expected-error @+1 {{expected distribute to move global -> local, got local -> global}}
  bm1684x.gdma.tensor distribute id 1 wait 0 {dtype = fp32, src_addr = 0x8000000, src_shape = [1, 2, 3, 4], src_stride = [24, 12, 4, 1], dst_addr = 0x100000000, dst_shape = [1, 4, 3, 2], dst_stride = [24, 6, 2, 1]}
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  // expected-error @+1 {{expected src_shape[1] (c) = 1 for broadcast, got 3}}
  bm1684x.gdma.tensor broadcast id 1 wait 0 {dtype = fp32, src_addr = 0x100000000, src_shape = [1, 3, 32, 32], src_stride = [3072, 1024, 32, 1], dst_addr = 0x8000000, dst_shape = [1, 3, 32, 32], dst_stride = [1024, 1024, 32, 1]}
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  // expected-error @+1 {{expected exactly one side of a matrix move in local memory, got global -> global}}
  bm1684x.gdma.matrix plain id 1 wait 0 {dtype = fp32, src_addr = 0x100009000, src_shape = [0, 0, 1, 10], src_stride = [0, 0, 10, 0], dst_addr = 0x100000000, dst_shape = [1, 1, 0, 10], dst_stride = [16, 16, 0, 0]}
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  // expected-error @+1 {{expected dst_shape[1] (0) to be positive on the local side}}
  bm1684x.gdma.matrix plain id 1 wait 0 {dtype = fp32, src_addr = 0x100009000, src_shape = [0, 0, 1, 10], src_stride = [0, 0, 10, 0], dst_addr = 0x8000040, dst_shape = [1, 0, 0, 10], dst_stride = [16, 16, 0, 0]}
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

bm1684x.cmd_group tiu {
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  // expected-error @+1 {{expected src_shape[2] (0) to be positive on the global side}}
  bm1684x.gdma.matrix transpose id 1 wait 0 {dtype = fp32, src_addr = 0x100009000, src_shape = [0, 0, 0, 10], src_stride = [0, 0, 10, 0], dst_addr = 0x8000040, dst_shape = [1, 1, 0, 10], dst_stride = [16, 16, 0, 0]}
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

// expected-error @+1 {{expected only tiu instructions in the tiu queue, got bm1684x.gdma.tensor}}
bm1684x.cmd_group tiu {
  bm1684x.gdma.tensor plain id 1 wait 0 {dtype = fp32, src_addr = 0x100000000, src_shape = [1, 3, 32, 32], src_stride = [3072, 1024, 32, 1], dst_addr = 0x8000000, dst_shape = [1, 3, 32, 32], dst_stride = [1024, 1024, 32, 1]}
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

// expected-error @+1 {{expected only gdma instructions in the gdma queue, got bm1684x.tiu.ar}}
bm1684x.cmd_group tiu {
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  bm1684x.tiu.ar add id 1 wait 0 {opd_num = 2, res0_addr = 0x0, res0_shape = [1, 4, 8, 8], res0_prec = fp32, opd0_addr = 0x1000, opd0_prec = fp32, opd1_prec = fp32, opd1_const = true}
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

// expected-error @+1 {{expected the tiu queue to end with bm1684x.tiu.sys end, got bm1684x.tiu.ar}}
bm1684x.cmd_group tiu {
  bm1684x.tiu.ar add id 1 wait 0 {opd_num = 2, res0_addr = 0x0, res0_shape = [1, 4, 8, 8], res0_prec = fp32, opd0_addr = 0x1000, opd0_prec = fp32, opd1_prec = fp32, opd1_const = true}
} gdma {
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

// expected-error @+1 {{expected the gdma queue to end with bm1684x.gdma.sys end, got nothing}}
bm1684x.cmd_group tiu {
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
}

// -----

// expected-error @+1 {{expected the gdma queue to end with bm1684x.gdma.sys end, got bm1684x.gdma.sys}}
bm1684x.cmd_group tiu {
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  bm1684x.gdma.sys nop id 1 wait 0
}

// -----

// expected-error @+1 {{expected bm1684x.tiu.sys end only at the end of the tiu queue, found it at cmd_id 1}}
bm1684x.cmd_group tiu {
  bm1684x.tiu.sys end id 1 wait 0
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

// expected-error @+1 {{expected gdma cmd_id (1) to be greater than the previous one (1)}}
bm1684x.cmd_group tiu {
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  bm1684x.gdma.tensor plain id 1 wait 0 {dtype = fp32, src_addr = 0x100000000, src_shape = [1, 3, 32, 32], src_stride = [3072, 1024, 32, 1], dst_addr = 0x8000000, dst_shape = [1, 3, 32, 32], dst_stride = [1024, 1024, 32, 1]}
  bm1684x.gdma.tensor plain id 1 wait 0 {dtype = fp32, src_addr = 0x100000000, src_shape = [1, 3, 32, 32], src_stride = [3072, 1024, 32, 1], dst_addr = 0x8000000, dst_shape = [1, 3, 32, 32], dst_stride = [1024, 1024, 32, 1]}
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

// expected-error @+1 {{tiu cmd_id 1 waits for gdma cmd_id 101, but the gdma queue ends at cmd_id 100}}
bm1684x.cmd_group tiu {
  bm1684x.tiu.ar add id 1 wait 101 {opd_num = 2, res0_addr = 0x0, res0_shape = [1, 4, 8, 8], res0_prec = fp32, opd0_addr = 0x1000, opd0_prec = fp32, opd1_prec = fp32, opd1_const = true}
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

// expected-error @+1 {{the queues deadlock: tiu cmd_id 1 waits for gdma cmd_id 2 while gdma cmd_id 2 waits for tiu cmd_id 1}}
bm1684x.cmd_group tiu {
  bm1684x.tiu.ar add id 1 wait 2 {opd_num = 2, res0_addr = 0x0, res0_shape = [1, 4, 8, 8], res0_prec = fp32, opd0_addr = 0x1000, opd0_prec = fp32, opd1_prec = fp32, opd1_const = true}
  bm1684x.tiu.sys end id 100 wait 0
} gdma {
  bm1684x.gdma.tensor plain id 2 wait 1 {dtype = fp32, src_addr = 0x100000000, src_shape = [1, 3, 32, 32], src_stride = [3072, 1024, 32, 1], dst_addr = 0x8000000, dst_shape = [1, 3, 32, 32], dst_stride = [1024, 1024, 32, 1]}
  bm1684x.gdma.sys end id 100 wait 0
}

// -----

builtin.module {
  // expected-error @+1 {{expected parent op bm1684x.cmd_group, got builtin.module}}
  bm1684x.gdma.sys end id 1 wait 0
}

// -----

bm1684x.cmd_group tiu {
  // expected-error @+1 {{bm1684x.tiu.ar has no property 'kernel' here}}
  bm1684x.tiu.ar add id 1 wait 0 {opd_num = 2, kernel = [3, 3]}
  bm1684x.tiu.sys end id 2 wait 0
} gdma {
  bm1684x.gdma.sys end id 1 wait 0
}

// -----

bm1684x.cmd_group tiu {
  // expected-error @+1 {{property 'res0_addr' given twice}}
  bm1684x.tiu.ar add id 1 wait 0 {res0_addr = 0x0, res0_addr = 0x40}
  bm1684x.tiu.sys end id 2 wait 0
} gdma {
  bm1684x.gdma.sys end id 1 wait 0
}

// -----

bm1684x.cmd_group tiu {
  // expected-error @+1 {{bm1684x.tiu.ar has no property 'cmd_id' here}}
  bm1684x.tiu.ar add id 1 wait 0 {cmd_id = 1}
  bm1684x.tiu.sys end id 2 wait 0
} gdma {
  bm1684x.gdma.sys end id 1 wait 0
}

// -----

bm1684x.cmd_group tiu {
  // expected-error @+1 {{bm1684x.tiu.ar needs res0_prec}}
  bm1684x.tiu.ar add id 1 wait 0 {opd_num = 2, res0_addr = 0x0, res0_shape = [1, 1, 1, 1], opd0_addr = 0x40, opd0_prec = fp32}
  bm1684x.tiu.sys end id 2 wait 0
} gdma {
  bm1684x.gdma.sys end id 1 wait 0
}

// -----

bm1684x.cmd_group tiu {
  // expected-error @+1 {{Expected `mul`, `not`, `add`}}
  bm1684x.tiu.ar clamp id 1 wait 0
  bm1684x.tiu.sys end id 2 wait 0
} gdma {
  bm1684x.gdma.sys end id 1 wait 0
}

// -----

bm1684x.cmd_group tiu {
  // expected-error @+1 {{Expected `int8`, `fp16`, `fp32`, `int16`, `int32`, `bf16`, `int4`, or `fp8`.}}
  bm1684x.tiu.ar add id 1 wait 0 {res0_prec = f32}
  bm1684x.tiu.sys end id 2 wait 0
} gdma {
  bm1684x.gdma.sys end id 1 wait 0
}

// -----

bm1684x.cmd_group tiu {
  // expected-error @+1 {{Expected 'wait'}}
  bm1684x.tiu.sys end id 2 dep 0
} gdma {
  bm1684x.gdma.sys end id 1 wait 0
}

// -----

bm1684x.cmd_group tiu {
  // expected-error @+1 {{Expected boolean literal}}
  bm1684x.tiu.ar add id 1 wait 0 {opd0_sign = 1}
  bm1684x.tiu.sys end id 2 wait 0
} gdma {
  bm1684x.gdma.sys end id 1 wait 0
}
