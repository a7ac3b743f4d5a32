// RUN: NNTC_VERIFY_DIAGNOSTICS

// One case per chunk for every verifier message of the bmodel container ops (bm1684x.model,
// net, stage, input/output tensors, coeff_mem, kernel/cpuop modules, #bm1684x.loc).

// expected-error @+1 {{expected a non-empty chip}}
bm1684x.model attributes {chip = ""} {
}

// -----

// expected-error @+1 {{expected neuron_size (-1) to be >= 0}}
bm1684x.model attributes {neuron_size = -1 : i64} {
}

// -----

// expected-error @+1 {{expected at most one bm1684x.kernel_module, got 2}}
bm1684x.model {
  bm1684x.kernel_module "a.so" {weight_name = "k"}
  bm1684x.kernel_module "b.so" {weight_name = "k2"}
}

// -----

bm1684x.model {
  // expected-error @+1 {{expected a non-empty weight_name}}
  bm1684x.kernel_module "a.so" {weight_name = ""}
}

// -----

// expected-error @+1 {{expected unique net names, 'a' is used twice}}
bm1684x.model {
  bm1684x.net "a" {
  }
  bm1684x.net "a" {
  }
}

// -----

// expected-error @+1 {{'bm1684x.net' expects parent op 'bm1684x.model'}}
bm1684x.net "a" {
}

// -----

bm1684x.model {
  // expected-error @+1 {{expected a non-empty net name}}
  bm1684x.net "" {
  }
}

// -----

bm1684x.model {
  // expected-error @+1 {{expected only bm1684x.stage in the body, got bm1684x.cpuop_module}}
  bm1684x.net "a" {
    bm1684x.cpuop_module "c.so"
  }
}

// -----

bm1684x.model {
  bm1684x.net "a" {
    // expected-error @+1 {{expected ctx_size (-5) to be >= 0}}
    bm1684x.stage attributes {ctx_size = -5 : i64} {
    }
  }
}

// -----

bm1684x.model {
  bm1684x.net "a" {
    // expected-error @+1 {{expected stage_ir to hold a multiple of 5 values (one StageIR each), got 4}}
    bm1684x.stage attributes {stage_ir = array<i64: 0, 0, 0, 0>} {
    }
  }
}

// -----

bm1684x.model {
  bm1684x.net "a" {
    // expected-error @+1 {{expected ctx_sizes to be an array of i64}}
    bm1684x.stage attributes {ctx_sizes = array<i32: 4096>} {
    }
  }
}

// -----

bm1684x.model {
  bm1684x.net "a" {
    // expected-error @+1 {{expected at most one bm1684x.coeff_mem, got 2}}
    bm1684x.stage {
      bm1684x.coeff_mem {address = 4294967296 : i64, weight_name = "c"}
      bm1684x.coeff_mem {address = 4294967296 : i64, weight_name = "d"}
    }
  }
}

// -----

bm1684x.model {
  bm1684x.net "a" {
    bm1684x.stage {
      // expected-error @+1 {{expected dtype to be one of float32, float16, int8, uint8, int16, uint16, int32, uint32, bfloat16, int4, uint4, got 'f32'}}
      bm1684x.input_tensor "x" {dtype = "f32", shape = array<i64: 1, 10>, device_addr = 0 : i64, size = 40 : i64}
    }
  }
}

// -----

bm1684x.model {
  bm1684x.net "a" {
    bm1684x.stage {
      // expected-error @+1 {{expected size (10) to hold the 40 bytes of shape [1, 10] in float32}}
      bm1684x.output_tensor "y" {dtype = "float32", shape = array<i64: 1, 10>, device_addr = 0 : i64, size = 10 : i64}
    }
  }
}

// -----

bm1684x.model {
  bm1684x.net "a" {
    bm1684x.stage {
      // expected-error @+1 {{expected shape[1] (-2) to be >= 0}}
      bm1684x.output_tensor "y" {dtype = "int8", shape = array<i64: 1, -2>, device_addr = 0 : i64, size = 10 : i64}
    }
  }
}

// -----

bm1684x.model {
  bm1684x.net "a" {
    bm1684x.stage {
      // expected-error @+1 {{expected device_addr (-4096) to be >= 0}}
      bm1684x.output_tensor "y" {dtype = "int4", shape = array<i64: 3>, device_addr = -4096 : i64, size = 2 : i64}
    }
  }
}

// -----

bm1684x.model {
  bm1684x.net "a" {
    bm1684x.stage {
      // expected-error @+1 {{expected locations[1] ('b') to start at or after byte 4096, where the previous one ends, got 16}}
      bm1684x.coeff_mem {address = 4294967296 : i64, weight_name = "c", locations = [#bm1684x.loc<"a", 0, 4096>, #bm1684x.loc<"b", 16, 4>]}
    }
  }
}

// -----

bm1684x.model {
  bm1684x.net "a" {
    bm1684x.stage {
      // expected-error @+1 {{expected location size (-1) to be >= 0}}
      bm1684x.coeff_mem {address = 4294967296 : i64, weight_name = "c", locations = [#bm1684x.loc<"a", 0, -1>]}
    }
  }
}

// -----

// expected-error @+1 {{'bm1684x.coeff_mem' expects parent op 'bm1684x.stage'}}
bm1684x.coeff_mem {address = 0 : i64, weight_name = "c"}
