//! Runtime settings: defaults, then `Leptos.toml`, then `CHAT_*` environment variables.
//!
//! Build settings stay in `Cargo.toml` (`[package.metadata.leptos]`), where cargo-leptos
//! reads them; these are what the running server needs.

use std::{net::SocketAddr, num::NonZeroU32, path::PathBuf, time::Duration};

use figment::{
    providers::{Env, Format, Serialized, Toml},
    Figment,
};
use serde::{Deserialize, Serialize};

use super::hub::HubSettings;

/// File read when `CHAT_CONFIG` does not name another one.
pub const DEFAULT_CONFIG_FILE: &str = "Leptos.toml";

/// Prefix of the environment variables that override `Leptos.toml`
/// (`CHAT_LISTEN_ADDR` overrides `listen_addr`, and so on).
pub const ENV_PREFIX: &str = "CHAT_";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// Address and port the HTTP and WebSocket server listens on.
    pub listen_addr: SocketAddr,
    /// Folder of the built site (cargo-leptos' `site-root`): the WASM, JS, CSS and assets.
    pub site_root: PathBuf,
    /// How often the server sends a WebSocket Ping frame to each connection.
    pub heartbeat_interval_secs: u64,
    /// A connection from which nothing arrived for this long is closed.
    pub heartbeat_timeout_secs: u64,
    /// How often clients send an application ping (told to them in `welcome`).
    pub client_ping_interval_secs: u64,
    /// Largest WebSocket message accepted; a larger one closes the connection with 1009.
    pub max_message_bytes: usize,
    /// Where history is kept: `sqlite://<path>` (the file is created if missing; one
    /// server), or `postgres://user:password@host:port/database` (the database is
    /// created if missing; any number of servers, docs/SCALING.md).
    pub database_url: String,
    /// Redis, for several servers on one PostgreSQL database: `redis://host:port`.
    /// None (the default): this server is the only one.
    pub redis_url: Option<String>,
    /// With several servers: one that has not renewed its liveness key in Redis for
    /// this long counts as gone (its users go offline after the grace period).
    pub node_timeout_secs: u64,
    /// A user whose last connection closed stays online this long (no flapping on reload).
    pub presence_grace_secs: u64,
    /// Sessions unused for this many days expire; their nickname is free again.
    pub session_idle_days: u64,
    /// Sustained messages per second one user may send.
    pub sends_per_second: u32,
    /// Messages one user may send at once above the sustained rate.
    pub send_burst: u32,
    /// Frames queued for one connection before it is closed as too slow.
    pub outbox_capacity: usize,
    /// A socket that accepts no frame for this long is dropped (a peer that stopped reading).
    pub write_timeout_secs: u64,
    /// Most messages of one conversation replayed to a resuming client; above this it
    /// is told to reload that conversation instead.
    pub resume_max_gap: u64,
    /// Most bytes of messages replayed to one client that resumes; past this the
    /// conversations that do not fit are reloaded instead.
    pub resume_max_bytes: usize,
    /// Web origins (`https://host[:port]`) whose pages may open the WebSocket besides
    /// the site's own (the host the request was sent to); others get HTTP 403.
    pub allowed_origins: Vec<String>,
    /// Reverse proxies (addresses or ranges like `10.0.0.0/8`) whose `X-Forwarded-For`
    /// names the client: behind them, limits per address count the client's, not the
    /// proxy's. Empty (the default): the header is ignored (anyone could send it).
    pub trusted_proxies: Vec<String>,
    /// WebSocket connections one IP address (an IPv6 /64) may hold; more get HTTP 429.
    pub max_connections_per_ip: usize,
    /// WebSocket connections the server holds in all; more get HTTP 429.
    pub max_connections: usize,
    /// A client that has not sent its whole request head within this long is cut off.
    pub header_read_timeout_secs: u64,
    /// A WebSocket that has not logged in or resumed within this long is closed (4003).
    pub login_timeout_secs: u64,
    /// Serve `/echo`, a WebSocket echo on the chat's socket code with 16 MiB messages,
    /// for the Autobahn|Testsuite (scripts/conformance.sh). Never in production.
    pub echo_endpoint: bool,
    /// `/metrics` and `/healthz/ready` answer any client (else only loopback and private
    /// addresses).
    pub metrics_public: bool,
    /// Rooms one user may join or leave per minute, sustained.
    pub room_changes_per_minute: u32,
    /// Rooms one user may join or leave at once above the sustained rate.
    pub room_change_burst: u32,
    /// Logins and resumes one IP address may make per second, sustained.
    pub sign_ins_per_second_per_ip: u32,
    /// Logins and resumes one IP address may make at once above the sustained rate.
    pub sign_in_burst_per_ip: u32,
    /// New users one IP address may create per minute, sustained (apart from resumes).
    pub sign_ups_per_minute_per_ip: u32,
    /// New users one IP address may create at once above the sustained rate.
    pub sign_up_burst_per_ip: u32,
    /// Link codes one IP address may try per minute, sustained, and at once above that.
    pub link_redeems_per_minute_per_ip: u32,
    pub link_redeem_burst_per_ip: u32,
    /// Seconds a code for linking a device is valid (and, once redeemed, how long the
    /// device that showed it has to allow the new one).
    pub link_code_secs: u64,
    /// The site's address as browsers see it, for passkeys (`https://chat.example.org`):
    /// its host is the relying party. Empty: `http://localhost:<port>` when listening
    /// on a loopback or every address (browsers take no IP address for passkeys),
    /// otherwise none. `off`: no passkeys.
    pub passkey_origin: String,
    /// Passkey sign-ins one IP address may begin per minute, and at once above that.
    pub passkey_sign_ins_per_minute_per_ip: u32,
    pub passkey_sign_in_burst_per_ip: u32,
    /// The folder uploaded files are kept in (created if missing). Empty: `files` beside
    /// the SQLite database, or in the working folder with PostgreSQL.
    pub files_dir: String,
    /// Largest file one upload may bring, in bytes; 0: no uploads.
    pub upload_max_bytes: u64,
    /// Files one user may upload per minute (on every server together).
    pub uploads_per_minute: u32,
    /// Bytes of files one user may keep in all (deleted ones do not count).
    pub upload_quota_bytes: u64,
    /// Most pixels of a picture the server decodes (width × height); a larger one is
    /// refused without decoding it.
    pub image_max_pixels: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            site_root: PathBuf::from("target/site"),
            heartbeat_interval_secs: 30,
            heartbeat_timeout_secs: 75,
            client_ping_interval_secs: 20,
            max_message_bytes: 16 * 1024,
            database_url: "sqlite://chat.db".into(),
            redis_url: None,
            node_timeout_secs: 10,
            presence_grace_secs: 60,
            session_idle_days: 30,
            sends_per_second: 5,
            send_burst: 10,
            outbox_capacity: 256,
            write_timeout_secs: 10,
            resume_max_gap: 1000,
            resume_max_bytes: 4 << 20,
            allowed_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            max_connections_per_ip: 20,
            max_connections: 10_000,
            header_read_timeout_secs: 10,
            login_timeout_secs: 10,
            echo_endpoint: false,
            metrics_public: false,
            room_changes_per_minute: 30,
            room_change_burst: 10,
            sign_ins_per_second_per_ip: 5,
            sign_in_burst_per_ip: 50,
            sign_ups_per_minute_per_ip: 10,
            sign_up_burst_per_ip: 20,
            link_redeems_per_minute_per_ip: 5,
            link_redeem_burst_per_ip: 5,
            link_code_secs: 300,
            passkey_origin: String::new(),
            passkey_sign_ins_per_minute_per_ip: 10,
            passkey_sign_in_burst_per_ip: 10,
            files_dir: String::new(),
            upload_max_bytes: 25 << 20,
            uploads_per_minute: 30,
            upload_quota_bytes: 1 << 30,
            image_max_pixels: 50_000_000,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Parse(Box<figment::Error>),
    #[error("invalid setting `{key}`: {reason}")]
    Invalid { key: &'static str, reason: String },
}

impl Config {
    /// Loads the settings from the file named by `CHAT_CONFIG` (default `Leptos.toml`,
    /// which may be absent) and the `CHAT_*` environment variables.
    pub fn load() -> Result<Self, ConfigError> {
        let figment = match std::env::var_os("CHAT_CONFIG") {
            // A file named explicitly must exist.
            Some(path) => Self::figment(Toml::file_exact(PathBuf::from(path))),
            None => Self::figment(Toml::file(DEFAULT_CONFIG_FILE)),
        };
        Self::from_figment(figment)
    }

    fn figment(file: figment::providers::Data<Toml>) -> Figment {
        Figment::from(Serialized::defaults(Config::default()))
            .merge(file)
            .merge(Env::prefixed(ENV_PREFIX).ignore(&["config"]))
    }

    fn from_figment(figment: Figment) -> Result<Self, ConfigError> {
        let config: Config = figment
            .extract()
            .map_err(|e| ConfigError::Parse(Box::new(e)))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key, reason: &str| {
            Err(ConfigError::Invalid {
                key,
                reason: reason.to_string(),
            })
        };
        if self.heartbeat_interval_secs == 0 {
            return invalid("heartbeat_interval_secs", "must be at least 1");
        }
        if self.heartbeat_timeout_secs <= self.heartbeat_interval_secs {
            return invalid(
                "heartbeat_timeout_secs",
                "must be greater than heartbeat_interval_secs",
            );
        }
        if self.client_ping_interval_secs == 0 {
            return invalid("client_ping_interval_secs", "must be at least 1");
        }
        if self.max_message_bytes < 1024 {
            return invalid("max_message_bytes", "must be at least 1024");
        }
        if !self.database_url.starts_with("sqlite:")
            && super::store::Backend::of(&self.database_url) != super::store::Backend::Postgres
        {
            return invalid(
                "database_url",
                "must start with sqlite: or postgres:// (postgresql://)",
            );
        }
        if self.redis_url.is_some()
            && super::store::Backend::of(&self.database_url) != super::store::Backend::Postgres
        {
            return invalid(
                "redis_url",
                "several servers share history through PostgreSQL: set database_url to postgres://",
            );
        }
        if self.node_timeout_secs == 0 {
            return invalid("node_timeout_secs", "must be at least 1");
        }
        if self.session_idle_days == 0 {
            return invalid("session_idle_days", "must be at least 1");
        }
        if self.sends_per_second == 0 || self.send_burst == 0 {
            return invalid(
                "sends_per_second",
                "sends_per_second and send_burst must be at least 1",
            );
        }
        if self.outbox_capacity < 16 {
            return invalid("outbox_capacity", "must be at least 16");
        }
        if self.resume_max_bytes < 64 * 1024 {
            return invalid("resume_max_bytes", "must be at least 65536");
        }
        if self.write_timeout_secs == 0 {
            return invalid("write_timeout_secs", "must be at least 1");
        }
        if self.max_connections_per_ip == 0 || self.max_connections == 0 {
            return invalid(
                "max_connections",
                "max_connections and max_connections_per_ip must be at least 1",
            );
        }
        if self.header_read_timeout_secs == 0 {
            return invalid("header_read_timeout_secs", "must be at least 1");
        }
        if self.room_changes_per_minute == 0 || self.room_change_burst == 0 {
            return invalid(
                "room_changes_per_minute",
                "room_changes_per_minute and room_change_burst must be at least 1",
            );
        }
        if self.sign_ins_per_second_per_ip == 0 || self.sign_in_burst_per_ip == 0 {
            return invalid(
                "sign_ins_per_second_per_ip",
                "sign_ins_per_second_per_ip and sign_in_burst_per_ip must be at least 1",
            );
        }
        if self.sign_ups_per_minute_per_ip == 0 || self.sign_up_burst_per_ip == 0 {
            return invalid(
                "sign_ups_per_minute_per_ip",
                "sign_ups_per_minute_per_ip and sign_up_burst_per_ip must be at least 1",
            );
        }
        if self.link_redeems_per_minute_per_ip == 0 || self.link_redeem_burst_per_ip == 0 {
            return invalid(
                "link_redeems_per_minute_per_ip",
                "link_redeems_per_minute_per_ip and link_redeem_burst_per_ip must be at least 1",
            );
        }
        if !(1..=3600).contains(&self.link_code_secs) {
            return invalid("link_code_secs", "must be between 1 and 3600");
        }
        if self.uploads_per_minute == 0 {
            return invalid("uploads_per_minute", "must be at least 1");
        }
        if self.image_max_pixels < 1_000_000 {
            return invalid("image_max_pixels", "must be at least 1000000");
        }
        if self.passkey_sign_ins_per_minute_per_ip == 0 || self.passkey_sign_in_burst_per_ip == 0 {
            return invalid(
                "passkey_sign_ins_per_minute_per_ip",
                "passkey_sign_ins_per_minute_per_ip and passkey_sign_in_burst_per_ip must be at least 1",
            );
        }
        if let Err(reason) = self.passkey_origin_checked() {
            return invalid("passkey_origin", &reason);
        }
        if self.login_timeout_secs == 0 {
            return invalid("login_timeout_secs", "must be at least 1");
        }
        if let Some(bad) = self
            .allowed_origins
            .iter()
            .find(|o| !(o.starts_with("https://") || o.starts_with("http://")))
        {
            return invalid(
                "allowed_origins",
                &format!("{bad:?} is not an origin like https://chat.example.org"),
            );
        }
        if let Err(bad) = self.trusted_proxy_ranges() {
            return invalid(
                "trusted_proxies",
                &format!("{bad:?} is not an address or a range like 10.0.0.0/8"),
            );
        }
        Ok(())
    }

    /// [`Config::trusted_proxies`] as ranges; the first entry that is neither an
    /// address nor a range is the error.
    pub fn trusted_proxy_ranges(&self) -> Result<Vec<ipnet::IpNet>, String> {
        self.trusted_proxies
            .iter()
            .map(|p| {
                let p = p.trim();
                p.parse::<ipnet::IpNet>()
                    .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| p.to_string())
            })
            .collect()
    }

    pub fn heartbeat_interval(&self) -> Duration {
        Duration::from_secs(self.heartbeat_interval_secs)
    }

    pub fn heartbeat_timeout(&self) -> Duration {
        Duration::from_secs(self.heartbeat_timeout_secs)
    }

    pub fn client_ping_interval(&self) -> Duration {
        Duration::from_secs(self.client_ping_interval_secs)
    }

    pub fn write_timeout(&self) -> Duration {
        Duration::from_secs(self.write_timeout_secs)
    }

    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_secs(self.header_read_timeout_secs)
    }

    pub fn login_timeout(&self) -> Duration {
        Duration::from_secs(self.login_timeout_secs)
    }

    /// The origin passkeys work at, if any (see [`Config::passkey_origin`]).
    pub fn passkey_origin(&self) -> Option<String> {
        self.passkey_origin_checked().ok().flatten()
    }

    fn passkey_origin_checked(&self) -> Result<Option<String>, String> {
        let given = self.passkey_origin.trim();
        if given == "off" {
            return Ok(None);
        }
        if given.is_empty() {
            let ip = self.listen_addr.ip();
            return Ok((ip.is_loopback() || ip.is_unspecified())
                .then(|| format!("http://localhost:{}", self.listen_addr.port())));
        }
        let url = webauthn_rs::prelude::Url::parse(given)
            .map_err(|_| format!("{given:?} is not an origin like https://chat.example.org"))?;
        let origin = url.origin().ascii_serialization();
        if given.trim_end_matches('/').to_ascii_lowercase() != origin {
            return Err(format!(
                "{given:?} is not an origin like https://chat.example.org (no path)"
            ));
        }
        super::hub::relying_party(&origin).map_err(|e| format!("{given:?}: {e}"))?;
        Ok(Some(origin))
    }

    /// The folder of uploaded files: `files_dir`, or `files` beside the SQLite database
    /// (in the working folder with PostgreSQL).
    pub fn files_dir(&self) -> PathBuf {
        if !self.files_dir.is_empty() {
            return PathBuf::from(&self.files_dir);
        }
        let database = self
            .database_url
            .strip_prefix("sqlite://")
            .or_else(|| self.database_url.strip_prefix("sqlite:"))
            .map(|rest| rest.split('?').next().unwrap_or_default());
        match database.map(std::path::Path::new).and_then(|p| p.parent()) {
            Some(folder) => folder.join("files"),
            None => PathBuf::from("files"),
        }
    }

    pub fn hub_settings(&self) -> HubSettings {
        let at_least_one = |n: u32| NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        HubSettings {
            presence_grace: Duration::from_secs(self.presence_grace_secs),
            session_idle: Duration::from_secs(self.session_idle_days * 24 * 3600),
            sends_per_second: at_least_one(self.sends_per_second),
            send_burst: at_least_one(self.send_burst),
            outbox_capacity: self.outbox_capacity,
            resume_max_gap: self.resume_max_gap,
            replay_max_bytes: self.resume_max_bytes,
            login_timeout: self.login_timeout(),
            room_changes_per_minute: at_least_one(self.room_changes_per_minute),
            room_change_burst: at_least_one(self.room_change_burst),
            sign_ins_per_second_per_ip: at_least_one(self.sign_ins_per_second_per_ip),
            sign_in_burst_per_ip: at_least_one(self.sign_in_burst_per_ip),
            sign_ups_per_minute_per_ip: at_least_one(self.sign_ups_per_minute_per_ip),
            sign_up_burst_per_ip: at_least_one(self.sign_up_burst_per_ip),
            link_redeems_per_minute_per_ip: at_least_one(self.link_redeems_per_minute_per_ip),
            link_redeem_burst_per_ip: at_least_one(self.link_redeem_burst_per_ip),
            link_code_valid: Duration::from_secs(self.link_code_secs),
            passkey_origin: self.passkey_origin(),
            passkey_sign_ins_per_minute_per_ip: at_least_one(
                self.passkey_sign_ins_per_minute_per_ip,
            ),
            passkey_sign_in_burst_per_ip: at_least_one(self.passkey_sign_in_burst_per_ip),
            ..HubSettings::default()
        }
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment's Jail closures return its large error type
mod tests {
    use super::*;
    use figment::Jail;

    fn load_in(jail: &mut Jail, toml: &str) -> Result<Config, ConfigError> {
        jail.create_file("Leptos.toml", toml).unwrap();
        Config::load()
    }

    #[test]
    fn the_shipped_leptos_toml_is_valid_and_matches_the_defaults() {
        let shipped = include_str!("../../Leptos.toml");
        Jail::expect_with(|jail| {
            assert_eq!(load_in(jail, shipped).unwrap(), Config::default());
            Ok(())
        });
    }

    #[test]
    fn file_then_environment_override_the_defaults() {
        Jail::expect_with(|jail| {
            jail.set_env("CHAT_HEARTBEAT_INTERVAL_SECS", "5");
            let config = load_in(
                jail,
                "listen_addr = \"0.0.0.0:8080\"\nheartbeat_interval_secs = 10\n",
            )
            .unwrap();
            assert_eq!(config.listen_addr, "0.0.0.0:8080".parse().unwrap());
            assert_eq!(config.heartbeat_interval_secs, 5);
            assert_eq!(config.heartbeat_timeout_secs, 75);
            Ok(())
        });
    }

    #[test]
    fn bad_values_name_the_setting() {
        Jail::expect_with(|jail| {
            let err = load_in(jail, "listen_addr = \"nowhere\"\n")
                .unwrap_err()
                .to_string();
            assert!(err.contains("listen_addr"), "{err}");
            jail.set_env("CHAT_HEARTBEAT_INTERVAL_SECS", "soon");
            let err = load_in(jail, "").unwrap_err().to_string().to_lowercase();
            assert!(err.contains("heartbeat_interval_secs"), "{err}");
            jail.set_env("CHAT_HEARTBEAT_INTERVAL_SECS", "80");
            let err = load_in(jail, "").unwrap_err().to_string();
            assert!(err.contains("heartbeat_timeout_secs"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn the_database_is_sqlite_or_postgresql() {
        Jail::expect_with(|jail| {
            let err = load_in(jail, "database_url = \"mysql://db/chat\"\n")
                .unwrap_err()
                .to_string();
            assert!(err.contains("database_url"), "{err}");
            for url in [
                "postgres://chat@db/chat",
                "postgresql://db/chat",
                "sqlite://x.db",
            ] {
                let config = load_in(jail, &format!("database_url = \"{url}\"\n")).unwrap();
                assert_eq!(config.database_url, url);
            }
            Ok(())
        });
    }

    #[test]
    fn passkeys_work_at_a_host_name_derived_from_the_listen_address_or_given() {
        let at = |listen: &str, given: &str| Config {
            listen_addr: listen.parse().unwrap(),
            passkey_origin: given.into(),
            ..Config::default()
        };
        assert_eq!(
            at("127.0.0.1:3000", "").passkey_origin().as_deref(),
            Some("http://localhost:3000")
        );
        assert_eq!(
            at("0.0.0.0:8080", "").passkey_origin().as_deref(),
            Some("http://localhost:8080")
        );
        assert_eq!(at("192.0.2.7:3000", "").passkey_origin(), None);
        assert_eq!(at("127.0.0.1:3000", "off").passkey_origin(), None);
        assert_eq!(
            at("10.0.0.2:3000", "https://Chat.Example.org/")
                .passkey_origin()
                .as_deref(),
            Some("https://chat.example.org")
        );
        Jail::expect_with(|jail| {
            for bad in [
                "http://127.0.0.1:3000",
                "https://chat.example.org/app",
                "chat.example.org",
            ] {
                let err = load_in(jail, &format!("passkey_origin = \"{bad}\"\n"))
                    .unwrap_err()
                    .to_string();
                assert!(err.contains("passkey_origin"), "{bad}: {err}");
            }
            Ok(())
        });
    }

    #[test]
    fn a_named_config_file_must_exist() {
        Jail::expect_with(|jail| {
            jail.set_env("CHAT_CONFIG", "missing.toml");
            assert!(Config::load().is_err());
            Ok(())
        });
    }
}
