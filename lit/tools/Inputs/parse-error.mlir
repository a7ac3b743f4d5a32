func.func @bad(%a: i32) -> i32 {
  // the operands miss their comma
  %b = arith.addi %a %a : i32
  func.return %b : i32
}
