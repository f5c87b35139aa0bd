//! The `herd` binary.
fn main() {}
