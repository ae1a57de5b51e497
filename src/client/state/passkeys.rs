//! This person's passkeys as this tab knows them, where passkeys work, and the
//! ceremony under way (the browser's half runs in [`crate::client::passkeys`]).

use super::{ChatState, Reaction, Session};
use crate::protocol::{CeremonyId, ErrorCode, PasskeyInfo, ServerMsg};

/// A browser call a ceremony needs: the server's options for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasskeyCall {
    /// `navigator.credentials.create` (adding a passkey).
    Create {
        ceremony: CeremonyId,
        options: serde_json::Value,
    },
    /// `navigator.credentials.get` (signing in).
    Get {
        ceremony: CeremonyId,
        options: serde_json::Value,
    },
}

/// Why a ceremony did not finish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasskeyProblem {
    /// The user closed the browser's dialog, or let it time out.
    Cancelled,
    /// This authenticator holds a passkey of this account already.
    AlreadyHere,
    /// The browser cannot make or use passkeys here.
    Unsupported,
    /// The server refused it.
    Refused(ErrorCode),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Passkeys {
    /// The one origin where passkeys work, as the server's welcome said (none: the
    /// server has no passkeys).
    pub origin: Option<String>,
    /// The user's passkeys, once asked for.
    pub list: Option<Vec<PasskeyInfo>>,
    /// A ceremony is under way: the browser's dialog, or the server checking.
    pub busy: bool,
    /// Why the last ceremony did not finish.
    pub problem: Option<PasskeyProblem>,
    /// The last ceremony added a passkey.
    pub added: bool,
}

impl Passkeys {
    pub(super) fn apply(&mut self, msg: ServerMsg, reactions: &mut Vec<Reaction>) {
        match msg {
            ServerMsg::Welcome { passkey_origin, .. } => self.origin = passkey_origin,
            ServerMsg::PasskeyCreation { ceremony, options } => {
                reactions.push(Reaction::Passkey(PasskeyCall::Create { ceremony, options }))
            }
            ServerMsg::PasskeyRequest { ceremony, options } => {
                reactions.push(Reaction::Passkey(PasskeyCall::Get { ceremony, options }))
            }
            ServerMsg::Passkeys { passkeys } => {
                if self.busy {
                    self.added = true;
                    self.busy = false;
                }
                self.list = Some(passkeys);
            }
            _ => {}
        }
    }
}

impl ChatState {
    /// The server's welcome told where passkeys work (or that it has none).
    pub fn passkeys_at(&mut self, origin: Option<String>) {
        if self.passkeys.origin != origin {
            self.passkeys.origin = origin;
            self.changes.devices = true;
        }
    }

    /// A ceremony begins (its request is on its way to the server).
    pub fn passkey_begun(&mut self) {
        self.passkeys.busy = true;
        self.passkeys.problem = None;
        self.passkeys.added = false;
        self.login_error = None;
        self.changes.devices = true;
        self.changes.session = true;
    }

    /// The browser answered a sign-in: the server checks it like a login.
    pub fn passkey_answered(&mut self, signing_in: bool) {
        if signing_in {
            self.session = Session::Pending;
            self.changes.session = true;
        }
    }

    /// The browser's half failed: nothing was sent.
    pub fn passkey_failed(&mut self, problem: PasskeyProblem) {
        self.passkeys.busy = false;
        self.passkeys.problem = Some(problem);
        self.changes.devices = true;
    }

    /// The server refused a passkey request (`code` is one of passkeys').
    pub(super) fn passkey_refused(&mut self, code: ErrorCode) {
        self.passkeys.busy = false;
        if self.me().is_none() {
            self.session = Session::Anonymous;
            self.login_error = Some(code);
        } else {
            self.passkeys.problem = Some(PasskeyProblem::Refused(code));
        }
        self.changes.devices = true;
        self.changes.session = true;
    }
}
