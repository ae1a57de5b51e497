//! This person's other devices, as this tab knows them: the code it offers for a new
//! device and who redeemed it, the device list, and, on a device being linked, whose
//! account it waits to join; and the read receipts others' devices tell of.

use std::collections::BTreeMap;

use super::ChatState;
use crate::protocol::{
    ConversationId, ConversationKind, Device, DeviceInfo, LinkId, MessageBody, QrCode, Seq,
    ServerMsg, UserId,
};

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

/// What is shown under the user's newest message that others have read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The message it is shown under.
    pub seq: Seq,
    /// Who has read it (their names, as known here; none in a big room, where the
    /// server tells only how many).
    pub readers: Vec<String>,
    /// How many have read it.
    pub count: usize,
    /// A private conversation: "Seen", at this time if known.
    pub seen_at_ms: Option<i64>,
    pub direct: bool,
}

impl ChatState {
    /// The code offered for a new device is withdrawn (its dialog closed).
    pub fn close_link_offer(&mut self) {
        self.devices.offer = None;
        self.changes.devices = true;
    }

    /// The user allowed or refused a device: its request goes at once.
    pub fn link_answered(&mut self, link: crate::protocol::LinkId) {
        self.devices.answered(link);
        self.changes.devices = true;
    }

    /// The read receipt to show in a conversation: under the user's newest text that
    /// someone else has read (as far as they share it: a later text of theirs tells
    /// nothing here), with who; nothing while the user does not share receipts.
    pub fn receipt(&self, conversation: ConversationId) -> Option<Receipt> {
        if self.receipts_off {
            return None;
        }
        let me = self.me()?.id;
        let c = self.conversations.get(&conversation)?;
        let direct = matches!(c.info.kind, ConversationKind::Direct { .. });
        if let Some(told) = c.read_count.filter(|r| r.count > 0 && c.reads.is_empty()) {
            // A big room: how many, under the text it counts.
            let mine = c.messages().iter().rev().find(|m| m.seq == told.seq)?;
            return (mine.author.id == me && !mine.deleted).then(|| Receipt {
                seq: told.seq,
                readers: Vec::new(),
                count: told.count as usize,
                seen_at_ms: None,
                direct: false,
            });
        }
        let read: BTreeMap<UserId, (Seq, i64)> = c
            .reads
            .values()
            .filter(|m| m.user != me)
            .map(|m| (m.user, (m.seq, m.at_ms)))
            .collect();
        let mine = c.messages().iter().rev().find(|m| {
            m.author.id == me
                && !m.deleted
                && matches!(m.body, MessageBody::Text { .. })
                && read.values().any(|(seq, _)| *seq >= m.seq)
        })?;
        let readers: Vec<(UserId, i64)> = read
            .iter()
            .filter(|(_, (seq, _))| *seq >= mine.seq)
            .map(|(user, (_, at))| (*user, *at))
            .collect();
        let name = |user: UserId| {
            self.users
                .get(&user)
                .map(|u| u.nickname.clone())
                .or_else(|| {
                    c.messages()
                        .iter()
                        .find(|m| m.author.id == user)
                        .map(|m| m.author.nickname.clone())
                })
                .unwrap_or_else(|| format!("#{user}"))
        };
        let mut names: Vec<String> = readers.iter().map(|(u, _)| name(*u)).collect();
        names.sort_by_key(|n| n.to_lowercase());
        Some(Receipt {
            seq: mine.seq,
            count: names.len(),
            readers: names,
            seen_at_ms: readers.first().map(|(_, at)| *at).filter(|at| *at > 0),
            direct,
        })
    }
}
