//! Any bytes as a session of two clients (a frame a line) through the connection loop
//! and the hub, against a real SQLite file.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = chat::server::fuzzing::run_session(data);
});
