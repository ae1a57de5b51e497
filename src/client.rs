//! Client-side logic: the WebSocket connection and the plain data it keeps.
//! Compiled in both builds so components can name these types; browser-only
//! parts are gated inside each module.

pub mod address;
pub mod backoff;
pub mod chat;
pub mod markdown;
pub mod mentions;
pub mod notify;
pub mod passkeys;
pub mod socket;
pub mod state;
pub mod storage;
