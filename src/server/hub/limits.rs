//! How often each kind of request may be made: a token bucket per user and kind, and
//! one per address for signing in, so that no request is free to repeat in a loop
//! (a join/leave loop stores lines and tells every member; a history loop reads pages).
//! Past a bucket the request gets `rate_limited` with `retry_after_ms`; a connection
//! refused [`HubSettings::max_rate_strikes`] times in a row is closed with 1008.

use std::{
    net::IpAddr,
    num::NonZeroU32,
    sync::atomic::{AtomicU32, Ordering},
    time::Duration,
};

use governor::{
    clock::{Clock, DefaultClock},
    DefaultKeyedRateLimiter, Quota, RateLimiter,
};

use crate::protocol::{close_code, ErrorCode, ServerMsg, UserId};

use super::{ConnId, HubSettings, Refusal, State};

/// The kinds of request with a bucket of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Send,
    /// `join_room` and `leave_room`.
    Membership,
    OpenDirect,
    History,
    Typing,
    MarkRead,
    Search,
    /// Link codes offered and decided, the device list, sessions ended.
    Devices,
    /// Passkeys registered, listed, removed.
    Passkeys,
    /// Kicks, bans, timeouts, roles given, the audit log and the reports read.
    Moderation,
    /// Messages reported.
    Reports,
}

impl Kind {
    const ALL: [Kind; 11] = [
        Kind::Send,
        Kind::Membership,
        Kind::OpenDirect,
        Kind::History,
        Kind::Typing,
        Kind::MarkRead,
        Kind::Search,
        Kind::Devices,
        Kind::Passkeys,
        Kind::Moderation,
        Kind::Reports,
    ];

    /// The kind numbered `n` (its place in [`Kind::ALL`]), as other servers tell it.
    pub(super) fn numbered(n: u8) -> Option<Self> {
        Self::ALL.get(usize::from(n)).copied()
    }

    fn what(self) -> &'static str {
        match self {
            Kind::Send => "You are sending too fast; wait a moment.",
            Kind::Membership => "You are joining and leaving rooms too fast; wait a moment.",
            Kind::OpenDirect => "You are opening conversations too fast; wait a moment.",
            Kind::History => "You are loading history too fast; wait a moment.",
            Kind::Typing => "Typing notices are coming too fast.",
            Kind::MarkRead => "Read marks are coming too fast.",
            Kind::Search => "You are searching too fast; wait a moment.",
            Kind::Devices => "Too many device requests; wait a moment.",
            Kind::Passkeys => "Too many passkey requests; wait a moment.",
            Kind::Moderation => "Too many moderation requests; wait a moment.",
            Kind::Reports => "You are reporting too fast; wait a moment.",
        }
    }
}

fn quota(per_second: f64, burst: u32) -> Quota {
    let period = Duration::from_secs_f64(1.0 / per_second);
    Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN))
}

/// Most tokens one report of another server takes from a bucket (more than any
/// bucket holds).
const DEBIT_MAX: u32 = 1_000;

/// Checks between two sweeps of the buckets that are full again.
const SWEEP_EVERY: u32 = 4096;

pub(super) struct Limits {
    per_user: [DefaultKeyedRateLimiter<UserId>; Kind::ALL.len()],
    sign_in: DefaultKeyedRateLimiter<IpAddr>,
    /// New users per address, apart from resumes.
    sign_up: DefaultKeyedRateLimiter<IpAddr>,
    /// Link codes tried per address.
    link_redeem: DefaultKeyedRateLimiter<IpAddr>,
    /// Passkey sign-ins begun per address.
    passkey_sign_in: DefaultKeyedRateLimiter<IpAddr>,
    checks: AtomicU32,
}

/// The buckets kept per address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PerAddress {
    /// `login` and `resume`.
    SignIn,
    /// `login` (a new user), besides [`PerAddress::SignIn`].
    SignUp,
    /// `link_redeem`.
    LinkRedeem,
    /// `passkey_sign_in_start`.
    PasskeySignIn,
}

impl PerAddress {
    const ALL: [PerAddress; 4] = [
        PerAddress::SignIn,
        PerAddress::SignUp,
        PerAddress::LinkRedeem,
        PerAddress::PasskeySignIn,
    ];

    /// The bucket numbered `n` (its place in [`PerAddress::ALL`]).
    pub(super) fn numbered(n: u8) -> Option<Self> {
        Self::ALL.get(usize::from(n)).copied()
    }

    fn what(self) -> &'static str {
        match self {
            PerAddress::SignIn => "Too many sign-ins from your address; wait a moment.",
            PerAddress::SignUp => "Too many new users from your address; wait a moment.",
            PerAddress::LinkRedeem => "Too many link codes tried from your address; wait a moment.",
            PerAddress::PasskeySignIn => {
                "Too many passkey sign-ins from your address; wait a moment."
            }
        }
    }
}

impl Limits {
    pub(super) fn new(settings: &HubSettings) -> Self {
        let per_kind = |kind: Kind| {
            RateLimiter::keyed(match kind {
                Kind::Send => {
                    Quota::per_second(settings.sends_per_second).allow_burst(settings.send_burst)
                }
                // Opening the app and picking a few rooms is fine; a loop is not.
                Kind::Membership => quota(
                    f64::from(settings.room_changes_per_minute.get()) / 60.0,
                    settings.room_change_burst.get(),
                ),
                Kind::OpenDirect => quota(2.0, 10),
                // Scrolling back pages quickly.
                Kind::History => quota(4.0, 20),
                // The client repeats it every few seconds while typing.
                Kind::Typing => quota(1.0, 5),
                Kind::MarkRead => quota(4.0, 20),
                // A search box that asks as one types (the client waits for a pause).
                Kind::Search => quota(1.0, 5),
                // A settings panel opened, a code shown, a session or two ended.
                Kind::Devices => quota(0.5, 10),
                // Each registration is two requests, with the browser's dialog between.
                Kind::Passkeys => quota(0.5, 20),
                // A raid cleaned up by hand: a few actions a second, in a burst.
                Kind::Moderation => quota(2.0, 30),
                // A few reports of a raid at once; not a flood of the moderators.
                Kind::Reports => quota(0.2, 5),
            })
        };
        Self {
            per_user: Kind::ALL.map(per_kind),
            sign_in: RateLimiter::keyed(quota(
                f64::from(settings.sign_ins_per_second_per_ip.get()),
                settings.sign_in_burst_per_ip.get(),
            )),
            sign_up: RateLimiter::keyed(quota(
                f64::from(settings.sign_ups_per_minute_per_ip.get()) / 60.0,
                settings.sign_up_burst_per_ip.get(),
            )),
            link_redeem: RateLimiter::keyed(quota(
                f64::from(settings.link_redeems_per_minute_per_ip.get()) / 60.0,
                settings.link_redeem_burst_per_ip.get(),
            )),
            passkey_sign_in: RateLimiter::keyed(quota(
                f64::from(settings.passkey_sign_ins_per_minute_per_ip.get()) / 60.0,
                settings.passkey_sign_in_burst_per_ip.get(),
            )),
            checks: AtomicU32::new(0),
        }
    }

    /// Ok, or how long until this user may make this kind of request again.
    pub(super) fn check(&self, kind: Kind, user: UserId) -> Result<(), Duration> {
        self.swept_now_and_then();
        let limiter = &self.per_user[kind as usize];
        limiter
            .check_key(&user)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Ok, or how long until this address may make this kind of request again.
    pub(super) fn check_address(
        &self,
        bucket: PerAddress,
        address: IpAddr,
    ) -> Result<(), Duration> {
        self.swept_now_and_then();
        self.address_limiter(bucket)
            .check_key(&address)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    fn address_limiter(&self, bucket: PerAddress) -> &DefaultKeyedRateLimiter<IpAddr> {
        match bucket {
            PerAddress::SignIn => &self.sign_in,
            PerAddress::SignUp => &self.sign_up,
            PerAddress::LinkRedeem => &self.link_redeem,
            PerAddress::PasskeySignIn => &self.passkey_sign_in,
        }
    }

    /// Takes up to `n` tokens of `user`'s `kind` bucket (spent on another server),
    /// as many as it has.
    pub(super) fn debit(&self, kind: Kind, user: UserId, n: u32) {
        let limiter = &self.per_user[kind as usize];
        for _ in 0..n.min(DEBIT_MAX) {
            if limiter.check_key(&user).is_err() {
                break;
            }
        }
    }

    /// Takes up to `n` tokens of an address's bucket (spent on another server).
    pub(super) fn debit_address(&self, bucket: PerAddress, address: IpAddr, n: u32) {
        let limiter = self.address_limiter(bucket);
        for _ in 0..n.min(DEBIT_MAX) {
            if limiter.check_key(&address).is_err() {
                break;
            }
        }
    }

    /// Forgets the buckets that are full again, now and then, so that many users or
    /// addresses passing by do not grow the server for ever.
    fn swept_now_and_then(&self) {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY != SWEEP_EVERY - 1 {
            return;
        }
        for limiter in &self.per_user {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        for limiter in [
            &self.sign_in,
            &self.sign_up,
            &self.link_redeem,
            &self.passkey_sign_in,
        ] {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

impl State {
    /// Takes a token for `kind` from `user`'s bucket, or refuses with when to retry
    /// (and closes a connection refused too often in a row).
    pub(super) fn limit(&mut self, conn: ConnId, kind: Kind, user: UserId) -> Result<(), Refusal> {
        let checked = self.limits.check(kind, user);
        if checked.is_ok() {
            self.spent_by_user(user, kind);
        }
        self.strike_or_pass(conn, checked, kind.what())
    }

    /// Like [`State::limit`], for logging in or resuming, per the connection's address.
    pub(super) fn limit_address(
        &mut self,
        conn: ConnId,
        bucket: PerAddress,
    ) -> Result<(), Refusal> {
        let Some(address) = self.conns.get(&conn).map(|c| c.peer) else {
            return Ok(());
        };
        let checked = self.limits.check_address(bucket, address);
        if checked.is_ok() {
            self.spent_by_address(address, bucket);
        }
        self.strike_or_pass(conn, checked, bucket.what())
    }

    fn strike_or_pass(
        &mut self,
        conn: ConnId,
        checked: Result<(), Duration>,
        message: &str,
    ) -> Result<(), Refusal> {
        let Err(wait) = checked else {
            if let Some(c) = self.conns.get_mut(&conn) {
                c.rate_strikes = 0;
            }
            return Ok(());
        };
        let strikes = self.conns.get_mut(&conn).map(|c| {
            c.rate_strikes += 1;
            c.rate_strikes
        });
        if strikes.is_some_and(|s| s >= self.settings.max_rate_strikes) {
            tracing::warn!(
                conn,
                "closing a connection that keeps going past its limits"
            );
            self.close_conn(conn, close_code::POLICY_VIOLATION, close_code::REASON_FLOOD);
        }
        Err(Refusal(Box::new(ServerMsg::Error {
            code: ErrorCode::RateLimited,
            message: message.into(),
            retry_after_ms: Some(wait.as_millis().max(1) as u64),
            client_id: None,
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_a_bucket_of_its_own_per_user() {
        let limits = Limits::new(&HubSettings::default());
        let (ana, bo) = (UserId(1), UserId(2));
        // Ten joins or leaves at once, then one every two seconds.
        for _ in 0..10 {
            assert!(limits.check(Kind::Membership, ana).is_ok());
        }
        let wait = limits.check(Kind::Membership, ana).unwrap_err();
        assert!(
            wait > Duration::from_millis(1500) && wait <= Duration::from_secs(2),
            "{wait:?}"
        );
        // Others' buckets, and this user's other kinds, are untouched.
        assert!(limits.check(Kind::Membership, bo).is_ok());
        assert!(limits.check(Kind::History, ana).is_ok());
        assert!(limits.check(Kind::Send, ana).is_ok());
    }

    #[test]
    fn tokens_spent_on_another_server_are_taken_here_as_far_as_there_are_any() {
        let limits = Limits::new(&HubSettings::default());
        let (ana, bo) = (UserId(1), UserId(2));
        // Ten joins spent elsewhere (and more): none left here.
        limits.debit(Kind::Membership, ana, 25);
        assert!(limits.check(Kind::Membership, ana).is_err());
        assert!(limits.check(Kind::Membership, bo).is_ok(), "only hers");
        // Eight of ten: two left.
        limits.debit(Kind::Membership, bo, 8);
        assert!(limits.check(Kind::Membership, bo).is_ok());
        assert!(limits.check(Kind::Membership, bo).is_err());
        // The numbers other servers tell them by.
        for kind in Kind::ALL {
            assert_eq!(Kind::numbered(kind as u8), Some(kind));
        }
        for bucket in PerAddress::ALL {
            assert_eq!(PerAddress::numbered(bucket as u8), Some(bucket));
        }
        assert_eq!(Kind::numbered(200), None);
        let here: IpAddr = "10.0.0.1".parse().unwrap();
        limits.debit_address(PerAddress::SignUp, here, 1_000);
        assert!(limits.check_address(PerAddress::SignUp, here).is_err());
        assert!(limits.check_address(PerAddress::SignIn, here).is_ok());
    }

    #[test]
    fn sign_ins_are_limited_per_address() {
        let settings = HubSettings {
            sign_in_burst_per_ip: NonZeroU32::new(3).unwrap(),
            ..HubSettings::default()
        };
        let limits = Limits::new(&settings);
        let (here, there): (IpAddr, IpAddr) =
            ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..3 {
            assert!(limits.check_address(PerAddress::SignIn, here).is_ok());
        }
        assert!(limits.check_address(PerAddress::SignIn, here).is_err());
        assert!(limits.check_address(PerAddress::SignIn, there).is_ok());
    }

    #[test]
    fn sign_ups_and_link_codes_have_buckets_apart_from_resumes() {
        let limits = Limits::new(&HubSettings::default());
        let here: IpAddr = "10.0.0.1".parse().unwrap();
        // 20 new users at once, then one every six seconds.
        for _ in 0..20 {
            assert!(limits.check_address(PerAddress::SignUp, here).is_ok());
        }
        let wait = limits.check_address(PerAddress::SignUp, here).unwrap_err();
        assert!(
            wait > Duration::from_secs(5) && wait <= Duration::from_secs(6),
            "{wait:?}"
        );
        // Five codes at once, then one every twelve seconds.
        for _ in 0..5 {
            assert!(limits.check_address(PerAddress::LinkRedeem, here).is_ok());
        }
        let wait = limits
            .check_address(PerAddress::LinkRedeem, here)
            .unwrap_err();
        assert!(
            wait > Duration::from_secs(11) && wait <= Duration::from_secs(12),
            "{wait:?}"
        );
        // Resumes still pass.
        assert!(limits.check_address(PerAddress::SignIn, here).is_ok());
    }
}
