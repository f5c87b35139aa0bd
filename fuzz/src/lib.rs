//! The properties the fuzz targets check, one module per parser. Each
//! target in `fuzz_targets/` hands libFuzzer's input to one `check`
//! function here; a failed assertion or a panic is a crash libFuzzer keeps.
//!
//! Run them with `scripts/fuzz.sh` (see the README's "Fuzzing" section).

#![forbid(unsafe_code)]

pub mod client_command;
pub mod journal_replay;
pub mod line_codec;
pub mod peer_message;
