//! A connection's requests, one at a time and in order: each is checked against the
//! session, what the user may do ([`permissions`], for every request of a signed-in
//! user) and the limits, and handed to the seam that serves it; a refusal goes back
//! to the client as an error event (a refused `send` naming its client id).

use crate::protocol::{ClientMsg, ErrorCode, ServerMsg, UserId, GENERAL_ROOM};

use super::{
    encode,
    limits::{Kind, PerAddress},
    moderation, permissions, refuse, ConnId, Refusal, State,
};

impl State {
    /// Handles the requests that waited while the connection was busy, until one
    /// makes it busy again.
    pub(super) fn run_queued(&mut self, conn: ConnId) {
        while let Some(c) = self.conns.get_mut(&conn) {
            if c.busy {
                return;
            }
            let Some(next) = c.queued.pop_front() else {
                return;
            };
            self.handle(conn, next);
        }
    }

    pub(super) fn handle(&mut self, conn: ConnId, msg: ClientMsg) {
        let client_id = send_client_id(&msg);
        if let Err(Refusal(mut reply)) = self.request(conn, msg) {
            if let ServerMsg::Error { client_id: id, .. } = reply.as_mut() {
                if id.is_none() {
                    *id = client_id;
                }
            }
            self.refused(conn, *reply);
        }
    }

    pub(super) fn refused(&mut self, conn: ConnId, reply: ServerMsg) {
        if let ServerMsg::Error {
            code,
            message,
            client_id,
            ..
        } = &reply
        {
            tracing::info!(conn, ?code, %message, "request refused");
            metrics::counter!(crate::server::telemetry::name::REFUSALS, "code" => code.as_str())
                .increment(1);
            // Only a refused `send` names a client id.
            if client_id.is_some() {
                self.send_answered(conn);
            }
        }
        self.send_to_conn(conn, &encode(&reply), true);
    }

    /// A `send` of this connection was acknowledged or refused: it may send another.
    pub(super) fn send_answered(&mut self, conn: ConnId) {
        if let Some(c) = self.conns.get(&conn) {
            c.sends.add_permits(1);
        }
    }

    fn request(&mut self, conn: ConnId, msg: ClientMsg) -> Result<(), Refusal> {
        let session = self.conns.get(&conn).and_then(|c| c.session.as_ref());
        match (msg, session) {
            // Answered by the connection's own loop; nothing for the hub to do.
            (ClientMsg::Ping { .. }, _) => Ok(()),
            (
                ClientMsg::Login { .. }
                | ClientMsg::Resume { .. }
                | ClientMsg::LinkRedeem { .. }
                | ClientMsg::PasskeySignInStart
                | ClientMsg::PasskeySignIn { .. },
                Some(_),
            ) => Err(refuse(
                ErrorCode::AlreadyLoggedIn,
                "This connection already has a session.",
            )),
            (
                ClientMsg::Login { .. }
                | ClientMsg::Resume { .. }
                | ClientMsg::LinkRedeem { .. }
                | ClientMsg::PasskeySignInStart
                | ClientMsg::PasskeySignIn { .. },
                None,
            ) if self.is_linking(conn) => Err(refuse(
                ErrorCode::AlreadyLoggedIn,
                "This connection is waiting for its link to be allowed.",
            )),
            (ClientMsg::Login { nickname, avatar }, None) => {
                self.limit_address(conn, PerAddress::SignIn)?;
                self.limit_address(conn, PerAddress::SignUp)?;
                self.login(conn, &nickname, &avatar)
            }
            (ClientMsg::Resume { token, cursors }, None) => {
                self.limit_address(conn, PerAddress::SignIn)?;
                self.resume(conn, &token, cursors)
            }
            (ClientMsg::LinkRedeem { code }, None) => {
                self.limit_address(conn, PerAddress::LinkRedeem)?;
                self.link_redeem(conn, &code)
            }
            (ClientMsg::PasskeySignInStart, None) => {
                self.limit_address(conn, PerAddress::PasskeySignIn)?;
                self.passkey_sign_in_start(conn)
            }
            (
                ClientMsg::PasskeySignIn {
                    ceremony,
                    credential,
                },
                None,
            ) => {
                self.limit_address(conn, PerAddress::SignIn)?;
                self.passkey_sign_in(conn, ceremony, credential)
            }
            (_, None) => Err(refuse(ErrorCode::NotLoggedIn, "Log in first.")),
            (msg, Some(session)) => {
                let user = session.user.clone();
                let session_hash = session.token_hash;
                self.authorize(user.id, permissions::need_of(&msg))?;
                let msg = match msg.into_draft() {
                    Ok(draft) => return self.send(conn, &user, draft),
                    Err(other) => other,
                };
                match msg {
                    ClientMsg::Logout => self.logout(conn),
                    ClientMsg::JoinRoom { name } => {
                        self.limit(conn, Kind::Membership, user.id)?;
                        self.join_room(conn, &user, &name)
                    }
                    ClientMsg::LeaveRoom { conversation } => {
                        self.limit(conn, Kind::Membership, user.id)?;
                        self.leave_room(conn, &user, conversation)
                    }
                    ClientMsg::OpenDirect { user: peer } => {
                        self.limit(conn, Kind::OpenDirect, user.id)?;
                        self.open_direct(conn, &user, peer)
                    }
                    ClientMsg::History {
                        conversation,
                        before,
                        from,
                    } => {
                        self.limit(conn, Kind::History, user.id)?;
                        self.history(conn, user.id, conversation, before, from)
                    }
                    ClientMsg::Search {
                        query,
                        conversation,
                    } => {
                        self.limit(conn, Kind::Search, user.id)?;
                        self.search(conn, user.id, &query, conversation)
                    }
                    ClientMsg::Members { conversation } => {
                        self.limit(conn, Kind::History, user.id)?;
                        self.list_members(conn, conversation)
                    }
                    ClientMsg::Typing { conversation } => {
                        self.limit(conn, Kind::Typing, user.id)?;
                        self.bus.publish(crate::server::bus::Event::Typing {
                            conversation,
                            user: user.id,
                        });
                        self.tell_typing(conversation, user.id);
                        Ok(())
                    }
                    ClientMsg::MarkRead { conversation, seq } => {
                        self.limit(conn, Kind::MarkRead, user.id)?;
                        self.mark_read(user.id, conversation, seq)
                    }
                    ClientMsg::LinkStart { origin } => {
                        self.limit(conn, Kind::Devices, user.id)?;
                        self.link_start(conn, &user, session_hash, origin.as_deref())
                    }
                    ClientMsg::LinkConfirm { link, accept } => {
                        self.limit(conn, Kind::Devices, user.id)?;
                        self.link_confirm(conn, &user, link, accept)
                    }
                    ClientMsg::LinkCancel => {
                        self.link_cancel(session_hash);
                        Ok(())
                    }
                    ClientMsg::Devices => {
                        self.limit(conn, Kind::Devices, user.id)?;
                        self.list_devices(conn, user.id, session_hash);
                        Ok(())
                    }
                    ClientMsg::EndSession { device } => {
                        self.limit(conn, Kind::Devices, user.id)?;
                        self.end_devices(conn, user.id, session_hash, Some(device));
                        Ok(())
                    }
                    ClientMsg::ShareReceipts { on } => {
                        self.limit(conn, Kind::Devices, user.id)?;
                        self.share_receipts(conn, &user, on)
                    }
                    ClientMsg::EndOtherSessions => {
                        self.limit(conn, Kind::Devices, user.id)?;
                        self.end_devices(conn, user.id, session_hash, None);
                        Ok(())
                    }
                    ClientMsg::PasskeyAddStart { name } => {
                        self.limit(conn, Kind::Passkeys, user.id)?;
                        self.passkey_add_start(conn, &user, &name)
                    }
                    ClientMsg::PasskeyAdd {
                        ceremony,
                        credential,
                    } => {
                        self.limit(conn, Kind::Passkeys, user.id)?;
                        self.passkey_add(conn, &user, ceremony, credential)
                    }
                    ClientMsg::Passkeys => {
                        self.limit(conn, Kind::Passkeys, user.id)?;
                        self.list_passkeys(conn, &user, None)
                    }
                    ClientMsg::PasskeyRemove { passkey } => {
                        self.limit(conn, Kind::Passkeys, user.id)?;
                        self.list_passkeys(conn, &user, Some(passkey))
                    }
                    ClientMsg::SetRole {
                        conversation,
                        user: target,
                        role,
                    } => {
                        self.limit(conn, Kind::Moderation, user.id)?;
                        let request = moderation::Request::SetRole(role);
                        self.moderate(conn, &user, conversation, target, request)
                    }
                    ClientMsg::Kick {
                        conversation,
                        user: target,
                    } => {
                        self.limit(conn, Kind::Moderation, user.id)?;
                        let request = moderation::Request::Kick;
                        self.moderate(conn, &user, conversation, target, request)
                    }
                    ClientMsg::Ban {
                        conversation,
                        user: target,
                        remove_last_s,
                    } => {
                        self.limit(conn, Kind::Moderation, user.id)?;
                        let request = moderation::Request::Ban { remove_last_s };
                        self.moderate(conn, &user, conversation, target, request)
                    }
                    ClientMsg::Unban {
                        conversation,
                        user: target,
                    } => {
                        self.limit(conn, Kind::Moderation, user.id)?;
                        let request = moderation::Request::Unban;
                        self.moderate(conn, &user, conversation, target, request)
                    }
                    ClientMsg::Timeout {
                        conversation,
                        user: target,
                        seconds,
                    } => {
                        self.limit(conn, Kind::Moderation, user.id)?;
                        let request = moderation::Request::Timeout { seconds };
                        self.moderate(conn, &user, conversation, target, request)
                    }
                    ClientMsg::Report {
                        conversation,
                        seq,
                        reason,
                    } => {
                        self.limit(conn, Kind::Reports, user.id)?;
                        self.report(conn, &user, conversation, seq, &reason)
                    }
                    ClientMsg::Reports { conversation } => {
                        self.limit(conn, Kind::Moderation, user.id)?;
                        self.list_reports(conn, user.id, conversation)
                    }
                    ClientMsg::HandleReport { report } => {
                        self.limit(conn, Kind::Moderation, user.id)?;
                        self.handle_report(conn, user.id, report)
                    }
                    ClientMsg::BanFromServer { user: target } => {
                        self.limit(conn, Kind::Moderation, user.id)?;
                        self.ban_from_server(conn, &user, target)
                    }
                    ClientMsg::SetPrivate {
                        conversation,
                        private,
                    } => {
                        self.limit(conn, Kind::Moderation, user.id)?;
                        self.set_private(conn, &user, conversation, private)
                    }
                    ClientMsg::SetSlowMode {
                        conversation,
                        seconds,
                    } => {
                        self.limit(conn, Kind::Moderation, user.id)?;
                        self.set_slow_mode(conn, &user, conversation, seconds)
                    }
                    ClientMsg::CreateInvite {
                        conversation,
                        expires_in_s,
                        max_uses,
                    } => {
                        self.limit(conn, Kind::Moderation, user.id)?;
                        self.create_invite(conn, &user, conversation, expires_in_s, max_uses)
                    }
                    ClientMsg::Invites { conversation } => {
                        self.limit(conn, Kind::Moderation, user.id)?;
                        self.list_invites(conn, &user, conversation, None)
                    }
                    ClientMsg::RevokeInvite { conversation, code } => {
                        self.limit(conn, Kind::Moderation, user.id)?;
                        self.list_invites(conn, &user, conversation, Some(code))
                    }
                    ClientMsg::JoinInvite { code } => {
                        self.limit(conn, Kind::Membership, user.id)?;
                        self.join_invite(conn, &user, &code)
                    }
                    ClientMsg::Block { user: target } => {
                        self.limit(conn, Kind::Moderation, user.id)?;
                        self.set_block(conn, &user, target, true)
                    }
                    ClientMsg::Unblock { user: target } => {
                        self.limit(conn, Kind::Moderation, user.id)?;
                        self.set_block(conn, &user, target, false)
                    }
                    ClientMsg::AuditLog {
                        conversation,
                        before,
                    } => {
                        self.limit(conn, Kind::Moderation, user.id)?;
                        self.audit_log(conn, conversation, before)
                    }
                    ClientMsg::Ping { .. }
                    | ClientMsg::PasskeySignInStart
                    | ClientMsg::PasskeySignIn { .. }
                    | ClientMsg::Login { .. }
                    | ClientMsg::Resume { .. }
                    | ClientMsg::LinkRedeem { .. }
                    | ClientMsg::Send { .. }
                    | ClientMsg::Edit { .. }
                    | ClientMsg::Delete { .. }
                    | ClientMsg::React { .. } => Ok(()),
                }
            }
        }
    }

    pub(super) fn require_member(
        &self,
        conversation: crate::protocol::ConversationId,
        user: UserId,
    ) -> Result<(), Refusal> {
        if self.conversations.is_member(conversation, user) {
            Ok(())
        } else {
            Err(refuse(
                ErrorCode::NotAMember,
                "You are not a member of this conversation.",
            ))
        }
    }

    pub(super) fn general(&self) -> Option<crate::protocol::ConversationId> {
        self.conversations.room_by_name(GENERAL_ROOM)
    }
}

/// The client id of a `send` (or edit, delete, react), so that its refusal names it.
pub(super) fn send_client_id(msg: &ClientMsg) -> Option<crate::protocol::ClientMsgId> {
    msg.client_id().cloned()
}
