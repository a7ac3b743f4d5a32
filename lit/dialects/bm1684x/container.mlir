// RUN: NNTC_ROUNDTRIP
// RUN: NNTC_GENERIC_ROUNDTRIP

// The bmodel container as IR (nntc-model --to-mlir): the tiny_cnn int8 model's header, net,
// stage, tensors, coefficient memory, and a shortened command group. Byte arrays are named in
// the weight store, never inline.

builtin.module {
  bm1684x.model attributes {version = "2.2+v1.30.2-20260831", time = "Tue Nov 24 03:20:38 2026\0A", neuron_size = 20480 : i64, device_num = 1 : i64, lib_backend} {
    bm1684x.kernel_module "libbm1684x_kernel_module.so" {weight_name = "kernel_module"}
    bm1684x.cpuop_module "libbm1684x_kernel_module.so"
    bm1684x.net "tiny_cnn" {
      bm1684x.stage attributes {ctx_addr = 4294987776 : i64, ctx_size = 20480 : i64, core_num = 1 : i64, dynamic_ctx_addr = 4294987776 : i64, dynamic_coeff_offset = 20480 : i64, dynamic_combined_coeff_offset = 20480 : i64, ctx_sizes = array<i64: 20480>, stage_ir = array<i64: 0, 0, 0, 0, 0>, binary_ir, subnet_run_core = 1 : i64} {
        bm1684x.input_tensor "input" {dtype = "float32", shape = array<i64: 1, 3, 32, 32>, device_addr = 4294987776 : i64, size = 12288 : i64, mem_type = 1 : i64}
        bm1684x.output_tensor "output_Gemm_f32" {dtype = "int8", shape = array<i64: 1, 10>, device_addr = 4295000064 : i64, size = 10 : i64, mem_type = 1 : i64, scale = 0.0478515625 : f32, zero_point = -3 : i64}
        bm1684x.coeff_mem {address = 4294967296 : i64, weight_name = "tiny_cnn.stage0.coeff", locations = [#bm1684x.loc<"tpu.Conv2D.weight", 0, 4096>, #bm1684x.loc<"tpu.MatMul.bias", 16384, 4096>]}
        bm1684x.cmd_group tiu {
          bm1684x.tiu.sys end id 1 wait 0
        } gdma {
          bm1684x.gdma.sys end id 1 wait 0
        }
      }
    }
    bm1684x.net "second" attributes {addr_mode = 1 : i64} {
      bm1684x.stage {
      }
    }
  }
}

// CHECK:      builtin.module {
// CHECK-NEXT:   bm1684x.model attributes {version = "2.2+v1.30.2-20260831", time = "Tue Nov 24 03:20:38 2026\0A", neuron_size = 20480 : i64, device_num = 1 : i64, lib_backend} {
// CHECK-NEXT:     bm1684x.kernel_module "libbm1684x_kernel_module.so" {weight_name = "kernel_module"}
// CHECK-NEXT:     bm1684x.cpuop_module "libbm1684x_kernel_module.so"
// CHECK-NEXT:     bm1684x.net "tiny_cnn" {
// CHECK-NEXT:       bm1684x.stage attributes {ctx_addr = 4294987776 : i64, ctx_size = 20480 : i64, core_num = 1 : i64, dynamic_ctx_addr = 4294987776 : i64, dynamic_coeff_offset = 20480 : i64, dynamic_combined_coeff_offset = 20480 : i64, ctx_sizes = array<i64: 20480>, stage_ir = array<i64: 0, 0, 0, 0, 0>, binary_ir, subnet_run_core = 1 : i64} {
// CHECK-NEXT:         bm1684x.input_tensor "input" {dtype = "float32", shape = array<i64: 1, 3, 32, 32>, device_addr = 4294987776 : i64, size = 12288 : i64, mem_type = 1 : i64}
// CHECK-NEXT:         bm1684x.output_tensor "output_Gemm_f32" {dtype = "int8", shape = array<i64: 1, 10>, device_addr = 4295000064 : i64, size = 10 : i64, mem_type = 1 : i64, scale = 0.0478515625 : f32, zero_point = -3 : i64}
// CHECK-NEXT:         bm1684x.coeff_mem {address = 4294967296 : i64, weight_name = "tiny_cnn.stage0.coeff", locations = [#bm1684x.loc<"tpu.Conv2D.weight", 0, 4096>, #bm1684x.loc<"tpu.MatMul.bias", 16384, 4096>]}
// CHECK-NEXT:         bm1684x.cmd_group tiu {
// CHECK-NEXT:           bm1684x.tiu.sys end id 1 wait 0
// CHECK-NEXT:         } gdma {
// CHECK-NEXT:           bm1684x.gdma.sys end id 1 wait 0
// CHECK-NEXT:         }
// CHECK-NEXT:       }
// CHECK-NEXT:     }
// CHECK-NEXT:     bm1684x.net "second" attributes {addr_mode = 1 : i64} {
// CHECK-NEXT:       bm1684x.stage {
// CHECK-NEXT:       }
// CHECK-NEXT:     }
// CHECK-NEXT:   }
// CHECK-NEXT: }

// CHECK-GENERIC:      "bm1684x.model"() <{version = "2.2+v1.30.2-20260831", time = "Tue Nov 24 03:20:38 2026\0A", neuron_size = 20480 : i64, device_num = 1 : i64, lib_backend, chip = "BM1684X", model_type = "B", bmodel_type = 0 : i64}> ({
// CHECK-GENERIC-NEXT:   "bm1684x.kernel_module"() <{file_name = "libbm1684x_kernel_module.so", weight_name = "kernel_module", mode = 0 : i64}> : () -> ()
// CHECK-GENERIC-NEXT:   "bm1684x.cpuop_module"() <{file_name = "libbm1684x_kernel_module.so"}> : () -> ()
// CHECK-GENERIC-NEXT:   "bm1684x.net"() <{net_name = "tiny_cnn", addr_mode = 0 : i64}> ({
// CHECK-GENERIC-NEXT:     "bm1684x.stage"() <{ctx_addr = 4294987776 : i64, ctx_size = 20480 : i64, core_num = 1 : i64, {{.*}}, subnet_run_core = 1 : i64, is_dynamic = 0 : i64, {{.*}}}> ({
// CHECK-GENERIC-NEXT:       "bm1684x.input_tensor"() <{tensor_name = "input", dtype = "float32", shape = array<i64: 1, 3, 32, 32>, device_addr = 4294987776 : i64, size = 12288 : i64, mem_type = 1 : i64, scale = 1.000000e+00 : f32, zero_point = 0 : i64, gmem_stmode = 0 : i64, cpu_addr = 0 : i64, pad_h = 0 : i64}> : () -> ()
// CHECK-GENERIC-NEXT:       "bm1684x.output_tensor"() <{tensor_name = "output_Gemm_f32", dtype = "int8", shape = array<i64: 1, 10>, device_addr = 4295000064 : i64, size = 10 : i64, mem_type = 1 : i64, scale = 0.0478515625 : f32, zero_point = -3 : i64, gmem_stmode = 0 : i64, cpu_addr = 0 : i64, pad_h = 0 : i64}> : () -> ()
// CHECK-GENERIC-NEXT:       "bm1684x.coeff_mem"() <{address = 4294967296 : i64, weight_name = "tiny_cnn.stage0.coeff", locations = [#bm1684x.loc<"tpu.Conv2D.weight", 0, 4096>, #bm1684x.loc<"tpu.MatMul.bias", 16384, 4096>], encrypt_mode = 0 : i64, decrypt_size = 0 : i64}> : () -> ()
// CHECK-GENERIC-NEXT:       "bm1684x.cmd_group"() ({
// CHECK-GENERIC:          "bm1684x.net"() <{net_name = "second", addr_mode = 1 : i64}> ({
// CHECK-GENERIC-NEXT:     "bm1684x.stage"() <{ctx_addr = 0 : i64, {{.*}}}> ({
// CHECK-GENERIC-NEXT:     }) : () -> ()
