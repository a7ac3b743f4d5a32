// The mlir-opt flags of nntc-opt: IR dumps around passes and the timing table (all on stderr).
// RUN: nntc-opt %s -p canonicalize,cse --mlir-print-ir-before=cse --mlir-print-ir-after=canonicalize 2>&1 >/dev/null | filecheck %s --check-prefix=DUMP
// RUN: nntc-opt %s -p canonicalize,cse --mlir-print-ir-after-all 2>&1 >/dev/null | filecheck %s --check-prefix=ALL
// RUN: nntc-opt %s -p canonicalize,cse --mlir-timing 2>&1 >/dev/null | filecheck %s --check-prefix=TIME
// RUN: nntc-opt %s -p canonicalize | filecheck %s
// Locations (ONNX node names) with mlir-opt's spelling:
// RUN: nntc-opt %s --mlir-print-debuginfo | filecheck %s --check-prefix=LOC
// LOC: arith.addi {{.*}} loc("the_add")
// xdsl-opt's own flags still work:
// RUN: nntc-opt %s -p canonicalize,cse --time-passes --print-between-passes | filecheck %s --check-prefix=XDSL

// XDSL: Pass canonicalize took {{.*}} seconds
// XDSL: IR after canonicalize:
// XDSL: Pass cse took {{.*}} seconds

// DUMP:      // -----// IR Dump After canonicalize //----- //
// DUMP-NEXT: builtin.module {
// DUMP:      // -----// IR Dump Before cse //----- //
// DUMP-NOT:  IR Dump

// ALL: IR Dump After canonicalize
// ALL: IR Dump After cse

// TIME:      Execution time report
// TIME:      Total Execution Time: {{[0-9.]+}} seconds
// TIME:      ----Wall Time----  ----Name----
// TIME:      Parser
// TIME:      Verifier
// TIME:      canonicalize
// TIME:      cse
// TIME:      Output
// TIME:      {{[0-9.]+}} (100.0%)  Total

// CHECK-LABEL: func.func @fold
// CHECK-NEXT:    %{{.*}} = arith.constant 5 : i32
// CHECK-NEXT:    func.return
func.func @fold() -> i32 {
  %a = arith.constant 2 : i32
  %b = arith.constant 3 : i32
  %c = arith.addi %a, %b : i32 loc("the_add")
  func.return %c : i32
}
