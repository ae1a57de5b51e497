//! Any bytes as a client's WebSocket frame: decoding and the checks on its fields.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| chat::server::fuzzing::decode_frame(data));
