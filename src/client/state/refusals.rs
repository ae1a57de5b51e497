//! What the client does with a refusal of the server: a message that waits and goes
//! again, one that failed (shown, to retry), a change that cannot be made, a login or
//! a link refused (beside its field), a session that ended, or a notice.

use super::{ChatState, Reaction, Session};
use crate::protocol::{ClientMsgId, ErrorCode};

impl ChatState {
    /// Applies the server's refusal `code` (of the message `client_id`, if one).
    pub(super) fn refused(
        &mut self,
        code: ErrorCode,
        message: &str,
        client_id: Option<ClientMsgId>,
        retry_after_ms: Option<u64>,
        reactions: &mut Vec<Reaction>,
    ) {
        // The user reads what the code means, in their language; the server's
        // own words go to the console.
        leptos::logging::log!("refused ({}): {message}", code.as_str());
        match (code, client_id) {
            // Too fast (a full outbox flushed after a reconnect, or a room in slow
            // mode): it stays pending and goes again when the server says it may.
            (ErrorCode::RateLimited | ErrorCode::SlowMode, Some(client_id)) => {
                if let Some(p) = self.outbox.iter().find(|p| p.client_id == client_id) {
                    reactions.push(Reaction::SendAfter {
                        ms: retry_after_ms.unwrap_or(1_000).clamp(50, 60_000),
                        msg: p.request(),
                    });
                }
            }
            (_, Some(client_id))
                if self
                    .outbox
                    .iter()
                    .any(|p| p.client_id == client_id && p.change.is_some()) =>
            {
                // A change that cannot be made (the message was deleted meanwhile):
                // nothing to retry; the user is told why.
                self.take_pending(&client_id, reactions);
                self.notice = Some(code);
                self.changes.session = true;
            }
            (_, Some(client_id)) => {
                if let Some(p) = self.outbox.iter_mut().find(|p| p.client_id == client_id) {
                    p.failed = Some(code);
                    p.sent = false;
                    reactions.push(Reaction::KeepPending(p.clone()));
                    self.pump(reactions);
                }
            }
            (
                ErrorCode::PasskeysOff
                | ErrorCode::PasskeyFailed
                | ErrorCode::PasskeyUnknown
                | ErrorCode::PasskeyRefused
                | ErrorCode::NoSuchPasskey,
                None,
            ) => self.passkey_refused(code),
            (ErrorCode::SessionInvalid, None) => {
                self.logged_out();
                reactions.push(Reaction::ClearToken);
            }
            (
                ErrorCode::InvalidNickname
                | ErrorCode::NicknameTaken
                | ErrorCode::InvalidAvatar
                | ErrorCode::LinkCodeInvalid
                | ErrorCode::LinkCodeExpired
                | ErrorCode::LinkCodeUsed
                | ErrorCode::LinkDeclined,
                None,
            ) if self.me().is_none() => {
                self.session = Session::Anonymous;
                self.login_error = Some(code);
                self.devices.wait = None;
                self.changes.devices = true;
            }
            (_, None) => {
                // A ceremony refused for another reason (too fast) is over too.
                self.passkeys.busy = false;
                self.notice = Some(code);
                self.changes.session = true;
            }
        }
    }
}
