func.func @ok(%a: i32) -> i32 {
  func.return %a : i32
}
