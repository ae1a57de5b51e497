//! UI components, one concern per file.

pub mod connection_status;
pub mod home;
