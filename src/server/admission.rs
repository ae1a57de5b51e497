//! Who may open a WebSocket, checked before the upgrade: a browser only from the
//! site's own origin or one the operator allows (so no other web page can make its
//! visitors chat here), and no more connections from one address, or in all, than
//! configured (so one host cannot hold the server's memory).

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv6Addr},
    sync::{Arc, Mutex},
};

use axum::http::{HeaderMap, StatusCode};

/// Why an upgrade was refused: the HTTP status and a line for the client and the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// The `Origin` is neither the site's own nor an allowed one.
    Origin(String),
    /// This address already holds its share of connections.
    PerAddress,
    /// The server holds as many connections as it is set to.
    Full,
}

impl Refused {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Origin(_) => StatusCode::FORBIDDEN,
            Self::PerAddress | Self::Full => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    /// A short name, for metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Origin(_) => "origin",
            Self::PerAddress => "per_address",
            Self::Full => "full",
        }
    }

    pub fn reason(&self) -> String {
        match self {
            Self::Origin(origin) => format!("origin {origin} is not allowed to connect"),
            Self::PerAddress => "too many connections from your address".into(),
            Self::Full => "the server is full; try again later".into(),
        }
    }
}

/// The rules, and the connections each address holds now.
pub struct Admission {
    /// Origins allowed besides the site's own, as `scheme://host[:port]`, lower case.
    allowed_origins: Vec<String>,
    /// Proxies whose `X-Forwarded-For` is believed.
    trusted_proxies: Vec<ipnet::IpNet>,
    per_address: usize,
    total: usize,
    held: Mutex<Held>,
}

#[derive(Default)]
struct Held {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

/// One admitted connection's place; given back when dropped.
pub struct Ticket {
    admission: Arc<Admission>,
    address: IpAddr,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        metrics::gauge!(crate::server::telemetry::name::CONNECTIONS).decrement(1.0);
        let mut held = self.admission.lock();
        held.total = held.total.saturating_sub(1);
        if let Some(n) = held.by_address.get_mut(&self.address) {
            *n -= 1;
            if *n == 0 {
                held.by_address.remove(&self.address);
            }
        }
    }
}

impl Admission {
    pub fn new(
        allowed_origins: &[String],
        trusted_proxies: Vec<ipnet::IpNet>,
        per_address: usize,
        total: usize,
    ) -> Arc<Self> {
        Arc::new(Self {
            allowed_origins: allowed_origins
                .iter()
                .map(|o| o.trim().trim_end_matches('/').to_ascii_lowercase())
                .collect(),
            trusted_proxies,
            per_address,
            total,
            held: Mutex::new(Held::default()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        // The counts stay consistent even if a holder panicked mid-update: each
        // update is one or two integer writes.
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The client's address: the peer's, or, when the peer is a trusted proxy, the
    /// nearest address in `X-Forwarded-For` that is not a trusted proxy (each proxy
    /// appends the address it heard from; what is further left may be made up).
    pub fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let trusted = |a: &IpAddr| self.trusted_proxies.iter().any(|net| net.contains(a));
        if !trusted(&peer) {
            return peer;
        }
        let mut client = peer;
        let hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect::<Vec<_>>();
        for hop in hops.into_iter().rev() {
            let Ok(address) = hop.trim().parse::<IpAddr>() else {
                break; // not an address: nothing further left is believed
            };
            client = address;
            if !trusted(&address) {
                break;
            }
        }
        client
    }

    /// Checks the upgrade request's `Origin` against its `Host` and the allowed list.
    ///
    /// Browsers send `Origin` with every WebSocket handshake; a request without one
    /// comes from a program (a bot, a load test, a native client), which could claim
    /// any origin anyway, and is let through to the other limits.
    pub fn check_origin(&self, headers: &HeaderMap) -> Result<(), Refused> {
        let Some(origin) = headers.get(axum::http::header::ORIGIN) else {
            return Ok(());
        };
        let refused = || Refused::Origin(String::from_utf8_lossy(origin.as_bytes()).into_owned());
        let origin = origin.to_str().map_err(|_| refused())?.trim();
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        if self.allowed_origins.contains(&origin) {
            return Ok(());
        }
        // The site's own origin: the same host and port the request was sent to
        // (the scheme may differ behind a proxy that ends TLS).
        let authority = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"));
        let host = headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(|h| h.trim().to_ascii_lowercase());
        match (authority, host) {
            (Some(authority), Some(host)) if !authority.is_empty() && authority == host => Ok(()),
            _ => Err(refused()),
        }
    }

    /// Takes a place for a connection from `address`, if it has one left.
    pub fn admit(self: &Arc<Self>, address: IpAddr) -> Result<Ticket, Refused> {
        let address = network_of(address);
        let mut held = self.lock();
        if held.total >= self.total {
            return Err(Refused::Full);
        }
        let mine = held.by_address.entry(address).or_insert(0);
        if *mine >= self.per_address {
            return Err(Refused::PerAddress);
        }
        *mine += 1;
        held.total += 1;
        metrics::gauge!(crate::server::telemetry::name::CONNECTIONS).increment(1.0);
        Ok(Ticket {
            admission: self.clone(),
            address,
        })
    }

    /// Connections held now, in all.
    pub fn held(&self) -> usize {
        self.lock().total
    }
}

/// The unit one person controls: an IPv4 address, or an IPv6 /64 (one host is given
/// a whole /64 and can pick any address in it).
fn network_of(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_str(host).unwrap());
        if let Some(origin) = origin {
            h.insert("origin", HeaderValue::from_str(origin).unwrap());
        }
        h
    }

    #[test]
    fn own_origin_and_allowed_ones_pass_others_do_not() {
        let a = Admission::new(&["https://Chat.Example.org/".into()], Vec::new(), 20, 100);
        assert!(a
            .check_origin(&headers(Some("http://127.0.0.1:3000"), "127.0.0.1:3000"))
            .is_ok());
        assert!(a
            .check_origin(&headers(Some("https://chat.example.org"), "10.0.0.5:3000"))
            .is_ok());
        assert!(a.check_origin(&headers(None, "127.0.0.1:3000")).is_ok());
        for bad in [
            "https://evil.example",
            "null",
            "http://127.0.0.1:3001",
            "127.0.0.1:3000",
            "http://",
        ] {
            assert_eq!(
                a.check_origin(&headers(Some(bad), "127.0.0.1:3000")),
                Err(Refused::Origin(bad.into())),
                "{bad}"
            );
        }
    }

    #[test]
    fn places_per_address_and_in_all_are_given_back_when_dropped() {
        let a = Admission::new(&[], Vec::new(), 2, 3);
        let (one, two): (IpAddr, IpAddr) =
            ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let first = a.admit(one).unwrap();
        let _second = a.admit(one).unwrap();
        assert_eq!(a.admit(one).err(), Some(Refused::PerAddress));
        let _third = a.admit(two).unwrap();
        assert_eq!(a.admit(two).err(), Some(Refused::Full));
        drop(first);
        assert_eq!(a.held(), 2);
        assert!(a.admit(one).is_ok());
    }

    #[test]
    fn an_ipv6_host_counts_as_its_slash_64() {
        let a = Admission::new(&[], Vec::new(), 1, 10);
        let _t = a.admit("2001:db8:1:2::1".parse().unwrap()).unwrap();
        assert_eq!(
            a.admit("2001:db8:1:2:ffff::9".parse().unwrap()).err(),
            Some(Refused::PerAddress)
        );
        assert!(a.admit("2001:db8:1:3::1".parse().unwrap()).is_ok());
        let _v4 = a.admit("::ffff:10.0.0.1".parse().unwrap()).unwrap();
        assert_eq!(
            a.admit("10.0.0.1".parse().unwrap()).err(),
            Some(Refused::PerAddress)
        );
    }

    #[test]
    fn only_a_trusted_proxy_names_the_client() {
        let nets = vec![
            "127.0.0.1".parse::<IpAddr>().unwrap().into(),
            "10.1.0.0/16".parse().unwrap(),
        ];
        let a = Admission::new(&[], nets, 1, 10);
        let forwarded = |value: &str| {
            let mut h = HeaderMap::new();
            h.insert("x-forwarded-for", value.parse().unwrap());
            h
        };
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let nginx = ip("127.0.0.1");
        // The nearest untrusted hop is the client; what it claims further left is not.
        assert_eq!(
            a.client_address(nginx, &forwarded("203.0.113.7")),
            ip("203.0.113.7")
        );
        assert_eq!(
            a.client_address(nginx, &forwarded("6.6.6.6, 203.0.113.7, 10.1.2.3")),
            ip("203.0.113.7")
        );
        // Not from a trusted proxy: the header is anyone's to make up.
        assert_eq!(
            a.client_address(ip("198.51.100.1"), &forwarded("203.0.113.7")),
            ip("198.51.100.1")
        );
        // No header, or garbage: the proxy itself.
        assert_eq!(a.client_address(nginx, &HeaderMap::new()), nginx);
        assert_eq!(a.client_address(nginx, &forwarded("unknown")), nginx);
    }
}
