//! Fuzz target: journal replay at open. See `herd_fuzz::journal_replay`.

#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| {
    herd_fuzz::journal_replay::check(input);
});
