//! Fuzz target: the line codec. See `herd_fuzz::line_codec`.

#![no_main]

libfuzzer_sys::fuzz_target!(|input: herd_fuzz::line_codec::Input| {
    herd_fuzz::line_codec::check(&input);
});
