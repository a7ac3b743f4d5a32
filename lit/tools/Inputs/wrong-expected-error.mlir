func.func @g(%a: i32) -> i32 {
  // The verifier's real message differs from the annotation: the run must fail.
  // expected-error @+1 {{this is not the verifier's message}}
  func.return %a, %a : i32, i32
}
