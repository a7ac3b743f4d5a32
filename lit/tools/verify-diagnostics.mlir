// nntc-opt --verify-diagnostics checks MLIR-style annotations: this file passes, the inputs
// with a wrong or a missing expected error fail with exit code 1 and say why.
// RUN: NNTC_VERIFY_DIAGNOSTICS
// RUN: not nntc-opt %S/Inputs/wrong-expected-error.mlir --verify-diagnostics 2>&1 | filecheck %s --check-prefix=WRONG
// RUN: not nntc-opt %S/Inputs/missing-error.mlir --verify-diagnostics 2>&1 | filecheck %s --check-prefix=MISSING

// WRONG: wrong-expected-error.mlir:4:3: error: unexpected error: 'func.return' op Expected arguments to have the same types as the function output types
// WRONG: wrong-expected-error.mlir:3: error: expected error "this is not the verifier's message" at line 4 was not produced
// MISSING: missing-error.mlir:2: error: expected error "an error that never happens" at line 3 was not produced

func.func @next_line(%a: i32) -> i32 {
  // expected-error @+1 {{Expected arguments to have the same types as the function output types}}
  func.return %a, %a : i32, i32
}

// -----

func.func @same_line(%a: i32) -> i32 {
  func.return %a, %a : i32, i32 // expected-error {{'func.return' op Expected arguments}}
}

// -----

func.func @previous_line(%a: i32) -> i32 {
  func.return %a, %a : i32, i32
  // expected-error @-1 {{expected [i32], got [i32, i32]}}
}

// -----

// A parse error is reported at the offending token.
func.func @parse_error(%a: i32) -> i32 {
  // expected-error @+1 {{operation name expected}}
  %b = 3
}

// -----

// A chunk without errors passes as well.
func.func @fine(%a: i32) -> i32 {
  func.return %a : i32
}
