// RUN: NNTC_ROUNDTRIP
// RUN: NNTC_GENERIC_ROUNDTRIP

// The SFU command class: a Taylor series read from the exp coefficient table in static memory
// (what lower-to-bm1684x emits for exp), and rsqrt with a Newton iteration count.

bm1684x.cmd_group tiu {
  bm1684x.tiu.sfu taylor id 1 wait 0 {res0_addr = 0x4000, res0_shape = [1, 64, 2, 16], res0_prec = fp32, opd0_addr = 0x0, opd0_prec = fp32, opd1_addr = 0x9000400, opd1_n = 10}
  bm1684x.tiu.sfu rsqrt id 2 wait 0 {res0_addr = 0x8000, res0_shape = [1, 3, 1, 16], res0_prec = fp32, opd0_addr = 0x4000, opd0_prec = fp32, iterations = 2}
  bm1684x.tiu.sys end id 3 wait 0
} gdma {
  bm1684x.gdma.sys end id 1 wait 0
}

// CHECK:      bm1684x.tiu.sfu taylor id 1 wait 0 {res0_addr = 0x4000, res0_shape = [1, 64, 2, 16], res0_prec = fp32, opd0_addr = 0x0, opd0_prec = fp32, opd1_addr = 0x9000400, opd1_n = 10}
// CHECK-NEXT: bm1684x.tiu.sfu rsqrt id 2 wait 0 {res0_addr = 0x8000, res0_shape = [1, 3, 1, 16], res0_prec = fp32, opd0_addr = 0x4000, opd0_prec = fp32, iterations = 2}

// CHECK-GENERIC: "bm1684x.tiu.sfu"() <{tsk_eu_typ = #bm1684x<sfu_eu taylor>, cmd_id = #builtin.int<1>{{.*}}opd1_addr = #builtin.int<150995968>, opd1_n = #builtin.int<10>{{.*}}iterations = #builtin.int<0>}> : () -> ()
// CHECK-GENERIC: "bm1684x.tiu.sfu"() <{tsk_eu_typ = #bm1684x<sfu_eu rsqrt>{{.*}}iterations = #builtin.int<2>{{.*}}}> : () -> ()
