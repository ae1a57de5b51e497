//! The hub's tunables, from `Leptos.toml` (see [`crate::server::Config::hub_settings`]).

use std::{num::NonZeroU32, time::Duration};

/// Tunables of the hub (from `Leptos.toml`).
#[derive(Debug, Clone)]
pub struct HubSettings {
    /// How long a user without connections still counts as online.
    pub presence_grace: Duration,
    /// Sessions unused for this long expire, and their nickname is free again.
    pub session_idle: Duration,
    /// Sustained sends per second per user.
    pub sends_per_second: NonZeroU32,
    /// Sends allowed at once above the sustained rate.
    pub send_burst: NonZeroU32,
    /// Rooms one user may join or leave per minute, and at once above that.
    pub room_changes_per_minute: NonZeroU32,
    pub room_change_burst: NonZeroU32,
    /// Logins and resumes one IP address may make per second, and at once above that.
    pub sign_ins_per_second_per_ip: NonZeroU32,
    pub sign_in_burst_per_ip: NonZeroU32,
    /// New users one IP address may create per minute, and at once above that.
    pub sign_ups_per_minute_per_ip: NonZeroU32,
    pub sign_up_burst_per_ip: NonZeroU32,
    /// Link codes one IP address may try per minute, and at once above that.
    pub link_redeems_per_minute_per_ip: NonZeroU32,
    pub link_redeem_burst_per_ip: NonZeroU32,
    /// How long a link code is valid, and how long a redeemed one waits to be allowed.
    pub link_code_valid: Duration,
    /// Requests refused by a limit in a row after which the connection is closed (1008).
    pub max_rate_strikes: u32,
    /// Frames queued for one connection before it counts as too slow.
    pub outbox_capacity: usize,
    /// Most messages of one conversation replayed on resume; past it, `reload`.
    pub resume_max_gap: u64,
    /// Most bytes of replay queued for one resuming connection; past it, `reload`.
    pub replay_max_bytes: usize,
    /// A connection without a session this long after it connected is closed (4003).
    pub login_timeout: Duration,
    /// The site's origin, for passkeys (their relying party); `None`: no passkeys.
    pub passkey_origin: Option<String>,
    /// Passkey sign-ins one IP address may begin per minute, and at once above that.
    pub passkey_sign_ins_per_minute_per_ip: NonZeroU32,
    pub passkey_sign_in_burst_per_ip: NonZeroU32,
}

impl Default for HubSettings {
    fn default() -> Self {
        Self {
            presence_grace: Duration::from_secs(60),
            session_idle: Duration::from_secs(30 * 24 * 3600),
            sends_per_second: NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN),
            send_burst: NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN),
            room_changes_per_minute: NonZeroU32::new(30).unwrap_or(NonZeroU32::MIN),
            room_change_burst: NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN),
            sign_ins_per_second_per_ip: NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN),
            sign_in_burst_per_ip: NonZeroU32::new(50).unwrap_or(NonZeroU32::MIN),
            sign_ups_per_minute_per_ip: NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN),
            sign_up_burst_per_ip: NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN),
            link_redeems_per_minute_per_ip: NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN),
            link_redeem_burst_per_ip: NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN),
            link_code_valid: Duration::from_secs(300),
            max_rate_strikes: 20,
            outbox_capacity: 256,
            resume_max_gap: 1000,
            replay_max_bytes: 4 << 20,
            login_timeout: Duration::from_secs(10),
            passkey_origin: None,
            passkey_sign_ins_per_minute_per_ip: NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN),
            passkey_sign_in_burst_per_ip: NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN),
        }
    }
}
