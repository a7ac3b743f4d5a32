// RUN: nntc-opt %s -t bm1684x-asm | filecheck %s
// RUN: nntc-opt %s -t 'bm1684x-asm{order=queue}' | filecheck %s --check-prefix=QUEUE

// The f32 tiny_cnn command group as SOPHGO's compiler emitted it (shared/vendor/tiny_cnn), and a
// second group. The merged order must equal the order of the vendor's tiny_cnn_f32.dis.txt:
// D1 D2 D3 B1 B2 D4 D5 B3..B7 D6..D9 B8 D10, then the two end commands.

bm1684x.cmd_group tiu {
  bm1684x.tiu.conv normal id 1 wait 3 {res0_addr = 0x4000, res0_shape = [1, 16, 32, 32], res0_prec = fp32, opd0_addr = 0x0, opd0_shape = [3, 32, 32], opd0_prec = fp32, opd1_addr = 0x10000, kernel = [3, 3], opd2_addr = 0x14000, opd3_const = true, pad = [1, 1, 1, 1]}
  bm1684x.tiu.ar max id 2 wait 3 {opd_num = 2, res0_addr = 0x4000, res0_shape = [1, 16, 32, 32], res0_prec = fp32, opd0_addr = 0x4000, opd0_prec = fp32, opd0_sign = true, opd1_prec = fp32, opd1_const = true, opd1_sign = true}
  bm1684x.tiu.conv normal id 3 wait 5 {res0_addr = 0x8000, res0_shape = [1, 32, 16, 16], res0_prec = fp32, opd0_addr = 0x4000, opd0_shape = [16, 32, 32], opd0_prec = fp32, opd1_addr = 0xc000, kernel = [3, 3], opd2_addr = 0x18000, opd3_const = true, pad = [1, 1, 1, 1], stride = [2, 2]}
  bm1684x.tiu.ar max id 4 wait 5 {opd_num = 2, res0_addr = 0x8000, res0_shape = [1, 32, 16, 16], res0_prec = fp32, opd0_addr = 0x8000, opd0_prec = fp32, opd0_sign = true, opd1_prec = fp32, opd1_const = true, opd1_sign = true}
  bm1684x.tiu.pord maxpooling id 5 wait 5 {res0_addr = 0x1000, res0_shape = [1, 32, 8, 8], res0_prec = fp32, opd0_addr = 0x8000, opd0_shape = [16, 16], opd0_prec = fp32, kernel = [2, 2], opd3_addr = 0xff7fffff, opd3_const = true, stride = [2, 2]}
  bm1684x.tiu.pord avgpooling id 6 wait 5 {res0_addr = 0x4000, res0_shape = [1, 32, 1, 16], res0_prec = fp32, opd0_addr = 0x1000, opd0_shape = [4, 16], opd0_prec = fp32, kernel = [4, 1], opd1_addr = 0x3f800000, opd1_const = true, opd3_const = true, round_mode = 5}
  bm1684x.tiu.pord avgpooling id 7 wait 5 {res0_addr = 0x8000, res0_shape = [1, 32, 1, 1], res0_prec = fp32, opd0_addr = 0x4000, opd0_shape = [1, 16], opd0_prec = fp32, kernel = [1, 16], opd1_addr = 0x3c800000, opd1_const = true, opd3_const = true, round_mode = 5}
  bm1684x.tiu.mm normal id 8 wait 9 {res0_addr = 0x20000, res0_c = 1, res0_w = 10, res0_prec = fp32, opd0_addr = 0x0, opd0_n = 1, opd0_c = 2, opd0_w = 16, opd1_w = 16, opd0_prec = fp32, opd1_addr = 0x10000, opd2_addr = 0x40}
  bm1684x.tiu.sys end id 9 wait 0 {cmd_id_en = 0}
} gdma {
  bm1684x.gdma.tensor plain id 1 wait 0 {stride_enable = true, nchw_copy = true, dtype = fp32, src_addr = 0x100000000, src_shape = [1, 16, 1, 1], src_stride = [16, 1, 1, 1], dst_addr = 0x8014000, dst_shape = [0, 0, 0, 0], dst_stride = [1, 1, 1, 1]}
  bm1684x.gdma.tensor plain id 2 wait 0 {stride_enable = true, nchw_copy = true, dtype = fp32, src_addr = 0x100001000, src_shape = [1, 16, 3, 9], src_stride = [432, 27, 9, 1], dst_addr = 0x8010000, dst_shape = [0, 0, 0, 0], dst_stride = [27, 27, 9, 1]}
  bm1684x.gdma.tensor plain id 3 wait 0 {stride_enable = true, nchw_copy = true, dtype = fp32, src_addr = 0x10000a000, src_shape = [1, 3, 32, 32], src_stride = [3072, 1024, 32, 1], dst_addr = 0x8000000, dst_shape = [0, 0, 0, 0], dst_stride = [1024, 1024, 32, 1]}
  bm1684x.gdma.tensor plain id 4 wait 0 {stride_enable = true, nchw_copy = true, dtype = fp32, src_addr = 0x100002000, src_shape = [1, 32, 16, 9], src_stride = [4608, 144, 9, 1], dst_addr = 0x800c000, dst_shape = [0, 0, 0, 0], dst_stride = [144, 144, 9, 1]}
  bm1684x.gdma.tensor plain id 5 wait 0 {stride_enable = true, nchw_copy = true, dtype = fp32, src_addr = 0x100007000, src_shape = [1, 32, 1, 1], src_stride = [32, 1, 1, 1], dst_addr = 0x8018000, dst_shape = [0, 0, 0, 0], dst_stride = [1, 1, 1, 1]}
  bm1684x.gdma.tensor plain id 6 wait 7 {stride_enable = true, nchw_copy = true, dtype = fp32, src_addr = 0x8008000, src_shape = [1, 32, 1, 1], src_stride = [16, 16, 1, 1], dst_addr = 0x10000d000, dst_shape = [0, 0, 0, 0], dst_stride = [32, 1, 1, 1]}
  bm1684x.gdma.matrix plain id 7 wait 7 {stride_enable = true, dtype = fp32, src_addr = 0x10000d000, src_shape = [0, 0, 1, 32], src_stride = [0, 0, 32, 0], dst_addr = 0x8000000, dst_shape = [1, 2, 0, 16], dst_stride = [16, 16, 0, 0]}
  bm1684x.gdma.matrix plain id 8 wait 7 {stride_enable = true, dtype = fp32, src_addr = 0x100008000, src_shape = [0, 0, 32, 10], src_stride = [0, 0, 10, 0], dst_addr = 0x8010000, dst_shape = [32, 1, 0, 10], dst_stride = [16, 16, 0, 0]}
  bm1684x.gdma.matrix plain id 9 wait 7 {stride_enable = true, dtype = fp32, src_addr = 0x100009000, src_shape = [0, 0, 1, 10], src_stride = [0, 0, 10, 0], dst_addr = 0x8000040, dst_shape = [1, 1, 0, 10], dst_stride = [16, 16, 0, 0]}
  bm1684x.gdma.matrix plain id 10 wait 8 {stride_enable = true, dtype = fp32, src_addr = 0x8020000, src_shape = [1, 1, 0, 10], src_stride = [16, 16, 0, 0], dst_addr = 0x10000e000, dst_shape = [0, 0, 1, 10], dst_stride = [0, 0, 10, 0]}
  bm1684x.gdma.sys end id 11 wait 0
}

bm1684x.cmd_group tiu {
  bm1684x.tiu.ar add id 1 wait 1 {opd_num = 2, res0_addr = 0x0, res0_shape = [1, 4, 8, 8], res0_prec = fp32, opd0_addr = 0x1000, opd0_prec = fp32, opd1_prec = fp32, opd1_const = true, opd1_addr = 0x3f800000}
  bm1684x.tiu.sys end id 2 wait 1
} gdma {
  bm1684x.gdma.tensor "4bank_copy" id 1 wait 0 {fill_constant_en = true, dtype = fp32, constant_value = 0x3f800000, src_addr = 0x0, src_shape = [1, 4, 8, 8], src_stride = [256, 64, 8, 1], dst_addr = 0x8001000, dst_shape = [1, 4, 8, 8], dst_stride = [64, 64, 8, 1], lane_mask = 0xf}
  bm1684x.gdma.tensor collect id 2 wait 1 {dtype = fp32, src_addr = 0x8000000, src_shape = [1, 4, 8, 8], src_stride = [64, 64, 8, 1], dst_addr = 0x100010000, dst_shape = [1, 8, 8, 4], dst_stride = [256, 32, 4, 1]}
  bm1684x.gdma.sys end id 3 wait 1
}

// CHECK:      // bm1684x assembly listing
// CHECK-NEXT: group 0 tiu=9 gdma=11
// CHECK-NEXT: %D1 = dma.tensor wait=%B0 stride_enable=true nchw_copy=true dtype=fp32 src_addr=0x100000000 src_shape=[1,16,1,1] src_stride=[16,1,1,1] dst_addr=0x8014000 dst_shape=[0,0,0,0] dst_stride=[1,1,1,1]
// CHECK-NEXT: %D2 = dma.tensor wait=%B0 stride_enable=true nchw_copy=true dtype=fp32 src_addr=0x100001000 src_shape=[1,16,3,9] src_stride=[432,27,9,1] dst_addr=0x8010000 dst_shape=[0,0,0,0] dst_stride=[27,27,9,1]
// CHECK-NEXT: %D3 = dma.tensor wait=%B0 stride_enable=true nchw_copy=true dtype=fp32 src_addr=0x10000a000 src_shape=[1,3,32,32] src_stride=[3072,1024,32,1] dst_addr=0x8000000 dst_shape=[0,0,0,0] dst_stride=[1024,1024,32,1]
// CHECK-NEXT: %B1 = conv.normal wait=%D3 res0_addr=0x4000 res0_shape=[1,16,32,32] res0_prec=fp32 opd0_addr=0x0 opd0_shape=[3,32,32] opd0_prec=fp32 opd1_addr=0x10000 kernel=[3,3] opd2_addr=0x14000 opd3_const=true pad=[1,1,1,1]
// CHECK-NEXT: %B2 = arith.max wait=%D3 opd_num=2 res0_addr=0x4000 res0_shape=[1,16,32,32] res0_prec=fp32 opd0_addr=0x4000 opd0_prec=fp32 opd0_sign=true opd1_prec=fp32 opd1_const=true opd1_sign=true
// CHECK-NEXT: %D4 = dma.tensor wait=%B0 stride_enable=true nchw_copy=true dtype=fp32 src_addr=0x100002000 src_shape=[1,32,16,9] src_stride=[4608,144,9,1] dst_addr=0x800c000 dst_shape=[0,0,0,0] dst_stride=[144,144,9,1]
// CHECK-NEXT: %D5 = dma.tensor wait=%B0 stride_enable=true nchw_copy=true dtype=fp32 src_addr=0x100007000 src_shape=[1,32,1,1] src_stride=[32,1,1,1] dst_addr=0x8018000 dst_shape=[0,0,0,0] dst_stride=[1,1,1,1]
// CHECK-NEXT: %B3 = conv.normal wait=%D5 res0_addr=0x8000 res0_shape=[1,32,16,16] res0_prec=fp32 opd0_addr=0x4000 opd0_shape=[16,32,32] opd0_prec=fp32 opd1_addr=0xc000 kernel=[3,3] opd2_addr=0x18000 opd3_const=true pad=[1,1,1,1] stride=[2,2]
// CHECK-NEXT: %B4 = arith.max wait=%D5 opd_num=2 res0_addr=0x8000 res0_shape=[1,32,16,16] res0_prec=fp32 opd0_addr=0x8000 opd0_prec=fp32 opd0_sign=true opd1_prec=fp32 opd1_const=true opd1_sign=true
// CHECK-NEXT: %B5 = pord.maxpooling wait=%D5 res0_addr=0x1000 res0_shape=[1,32,8,8] res0_prec=fp32 opd0_addr=0x8000 opd0_shape=[16,16] opd0_prec=fp32 kernel=[2,2] opd3_addr=0xff7fffff opd3_const=true stride=[2,2]
// CHECK-NEXT: %B6 = pord.avgpooling wait=%D5 res0_addr=0x4000 res0_shape=[1,32,1,16] res0_prec=fp32 opd0_addr=0x1000 opd0_shape=[4,16] opd0_prec=fp32 kernel=[4,1] opd1_addr=0x3f800000 opd1_const=true opd3_const=true round_mode=5
// CHECK-NEXT: %B7 = pord.avgpooling wait=%D5 res0_addr=0x8000 res0_shape=[1,32,1,1] res0_prec=fp32 opd0_addr=0x4000 opd0_shape=[1,16] opd0_prec=fp32 kernel=[1,16] opd1_addr=0x3c800000 opd1_const=true opd3_const=true round_mode=5
// CHECK-NEXT: %D6 = dma.tensor wait=%B7 stride_enable=true nchw_copy=true dtype=fp32 src_addr=0x8008000 src_shape=[1,32,1,1] src_stride=[16,16,1,1] dst_addr=0x10000d000 dst_shape=[0,0,0,0] dst_stride=[32,1,1,1]
// CHECK-NEXT: %D7 = dma.matrix wait=%B7 stride_enable=true dtype=fp32 src_addr=0x10000d000 src_shape=[0,0,1,32] src_stride=[0,0,32,0] dst_addr=0x8000000 dst_shape=[1,2,0,16] dst_stride=[16,16,0,0]
// CHECK-NEXT: %D8 = dma.matrix wait=%B7 stride_enable=true dtype=fp32 src_addr=0x100008000 src_shape=[0,0,32,10] src_stride=[0,0,10,0] dst_addr=0x8010000 dst_shape=[32,1,0,10] dst_stride=[16,16,0,0]
// CHECK-NEXT: %D9 = dma.matrix wait=%B7 stride_enable=true dtype=fp32 src_addr=0x100009000 src_shape=[0,0,1,10] src_stride=[0,0,10,0] dst_addr=0x8000040 dst_shape=[1,1,0,10] dst_stride=[16,16,0,0]
// CHECK-NEXT: %B8 = mm.normal wait=%D9 res0_addr=0x20000 res0_c=1 res0_w=10 res0_prec=fp32 opd0_addr=0x0 opd0_n=1 opd0_c=2 opd0_w=16 opd1_w=16 opd0_prec=fp32 opd1_addr=0x10000 opd2_addr=0x40
// CHECK-NEXT: %D10 = dma.matrix wait=%B8 stride_enable=true dtype=fp32 src_addr=0x8020000 src_shape=[1,1,0,10] src_stride=[16,16,0,0] dst_addr=0x10000e000 dst_shape=[0,0,1,10] dst_stride=[0,0,10,0]
// CHECK-NEXT: %B9 = sys.end wait=%D0 cmd_id_en=0
// CHECK-NEXT: %D11 = dma.sys wait=%B0
// CHECK-NEXT: group 1 tiu=2 gdma=3
// CHECK-NEXT: %D1 = dma.tensor.4bank_copy wait=%B0 fill_constant_en=true dtype=fp32 constant_value=0x3f800000 src_addr=0x0 src_shape=[1,4,8,8] src_stride=[256,64,8,1] dst_addr=0x8001000 dst_shape=[1,4,8,8] dst_stride=[64,64,8,1] lane_mask=0xf
// CHECK-NEXT: %B1 = arith.add wait=%D1 opd_num=2 res0_addr=0x0 res0_shape=[1,4,8,8] res0_prec=fp32 opd0_addr=0x1000 opd0_prec=fp32 opd1_addr=0x3f800000 opd1_prec=fp32 opd1_const=true
// CHECK-NEXT: %D2 = dma.tensor.collect wait=%B1 dtype=fp32 src_addr=0x8000000 src_shape=[1,4,8,8] src_stride=[64,64,8,1] dst_addr=0x100010000 dst_shape=[1,8,8,4] dst_stride=[256,32,4,1]
// CHECK-NEXT: %B2 = sys.end wait=%D1
// CHECK-NEXT: %D3 = dma.sys wait=%B1

// QUEUE:      // bm1684x assembly listing
// QUEUE-NEXT: group 0 tiu=9 gdma=11
// QUEUE-NEXT: %B1 = conv.normal wait=%D3
// QUEUE-NEXT: %B2 = arith.max wait=%D3
// QUEUE-NEXT: %B3 = conv.normal wait=%D5
// QUEUE-NEXT: %B4 = arith.max wait=%D5
// QUEUE-NEXT: %B5 = pord.maxpooling wait=%D5
// QUEUE-NEXT: %B6 = pord.avgpooling wait=%D5
// QUEUE-NEXT: %B7 = pord.avgpooling wait=%D5
// QUEUE-NEXT: %B8 = mm.normal wait=%D9
// QUEUE-NEXT: %B9 = sys.end wait=%D0
// QUEUE-NEXT: %D1 = dma.tensor wait=%B0
// QUEUE-NEXT: %D2 = dma.tensor wait=%B0
// QUEUE-NEXT: %D3 = dma.tensor wait=%B0
// QUEUE-NEXT: %D4 = dma.tensor wait=%B0
// QUEUE-NEXT: %D5 = dma.tensor wait=%B0
// QUEUE-NEXT: %D6 = dma.tensor wait=%B7
// QUEUE-NEXT: %D7 = dma.matrix wait=%B7
// QUEUE-NEXT: %D8 = dma.matrix wait=%B7
// QUEUE-NEXT: %D9 = dma.matrix wait=%B7
// QUEUE-NEXT: %D10 = dma.matrix wait=%B8
// QUEUE-NEXT: %D11 = dma.sys wait=%B0
// QUEUE-NEXT: group 1 tiu=2 gdma=3
// QUEUE-NEXT: %B1 = arith.add wait=%D1
// QUEUE-NEXT: %B2 = sys.end wait=%D1
// QUEUE-NEXT: %D1 = dma.tensor.4bank_copy wait=%B0
// QUEUE-NEXT: %D2 = dma.tensor.collect wait=%B1
// QUEUE-NEXT: %D3 = dma.sys wait=%B1
