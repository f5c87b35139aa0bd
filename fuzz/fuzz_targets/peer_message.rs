//! Fuzz target: the peer message parser. See `herd_fuzz::peer_message`.

#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| {
    herd_fuzz::peer_message::check(input);
});
