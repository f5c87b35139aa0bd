//! Fuzz target: the client command parser. See `herd_fuzz::client_command`.

#![no_main]

libfuzzer_sys::fuzz_target!(|line: &[u8]| {
    herd_fuzz::client_command::check(line);
});
