func.func @h(%a: i32) -> i32 {
  // expected-error @+1 {{an error that never happens}}
  func.return %a : i32
}
