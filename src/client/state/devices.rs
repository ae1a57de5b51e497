//! This person's other devices, as this tab knows them: the code it offers for a new
//! device and who redeemed it, the device list, and, on a device being linked, whose
//! account it waits to join.

use crate::protocol::{Device, DeviceInfo, LinkId, QrCode, ServerMsg};

/// A code this tab offers (while its dialog is open).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkOffer {
    pub code: String,
    pub expires_at_ms: i64,
    /// The link that carries the code, and its QR code.
    pub link: Option<String>,
    pub qr: Option<QrCode>,
}

/// On a device being linked: the account it will join once allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkWait {
    pub nickname: String,
    pub avatar: String,
    pub expires_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Devices {
    pub offer: Option<LinkOffer>,
    /// Devices that redeemed this session's code, waiting for an answer.
    pub requests: Vec<(LinkId, DeviceInfo)>,
    /// The user's sessions, once asked for.
    pub list: Option<Vec<Device>>,
    pub wait: Option<LinkWait>,
}

impl Devices {
    /// Applies a device message; true if the device list should be asked for again
    /// (a device was linked while it is shown).
    pub(super) fn apply(&mut self, msg: ServerMsg) -> bool {
        match msg {
            ServerMsg::LinkCode {
                code,
                expires_at_ms,
                link,
                qr,
            } => {
                self.offer = Some(LinkOffer {
                    code,
                    expires_at_ms,
                    link,
                    qr,
                })
            }
            ServerMsg::LinkWaiting {
                nickname,
                avatar,
                expires_at_ms,
            } => {
                self.wait = Some(LinkWait {
                    nickname,
                    avatar,
                    expires_at_ms,
                })
            }
            ServerMsg::LinkRequest { link, device }
                if !self.requests.iter().any(|(l, _)| *l == link) =>
            {
                self.requests.push((link, device));
            }
            ServerMsg::LinkDone { link, accepted } => {
                self.requests.retain(|(l, _)| *l != link);
                if accepted {
                    // The code is used: the dialog has done its work.
                    self.offer = None;
                    return self.list.is_some();
                }
            }
            ServerMsg::Devices { devices } => self.list = Some(devices),
            _ => {}
        }
        false
    }

    /// The user answered a request: it leaves the list at once.
    pub(super) fn answered(&mut self, link: LinkId) {
        self.requests.retain(|(l, _)| *l != link);
    }
}
