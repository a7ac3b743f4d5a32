// RUN: NNTC_VERIFY_DIAGNOSTICS

// A Taylor series needs at least one coefficient.
bm1684x.cmd_group tiu {
  // expected-error @+1 {{expected opd1_n (the coefficient count) >= 1 for taylor, got 0}}
  bm1684x.tiu.sfu taylor id 1 wait 0 {res0_addr = 0x4000, res0_shape = [1, 64, 2, 16], res0_prec = fp32, opd0_addr = 0x0, opd0_prec = fp32, opd1_addr = 0x9000400, opd1_n = 0}
  bm1684x.tiu.sys end id 2 wait 0
} gdma {
  bm1684x.gdma.sys end id 1 wait 0
}

// -----

// rsqrt reads no table.
bm1684x.cmd_group tiu {
  // expected-error @+1 {{expected opd1_n to be 0 for rsqrt (no coefficient table), got 4}}
  bm1684x.tiu.sfu rsqrt id 1 wait 0 {res0_addr = 0x4000, res0_shape = [1, 64, 2, 16], res0_prec = fp32, opd0_addr = 0x0, opd0_prec = fp32, opd1_n = 4}
  bm1684x.tiu.sys end id 2 wait 0
} gdma {
  bm1684x.gdma.sys end id 1 wait 0
}

// -----

// The Newton iteration count has 2 bits.
bm1684x.cmd_group tiu {
  // expected-error @+1 {{expected iterations (4) to fit in 2 bits (0 <= value < 4)}}
  bm1684x.tiu.sfu rsqrt id 1 wait 0 {res0_addr = 0x4000, res0_shape = [1, 64, 2, 16], res0_prec = fp32, opd0_addr = 0x0, opd0_prec = fp32, iterations = 4}
  bm1684x.tiu.sys end id 2 wait 0
} gdma {
  bm1684x.gdma.sys end id 1 wait 0
}
