//! What other servers did, heard on the bus: their messages go in line with ours
//! ([`super::ordering`]); their joins, leaves, private conversations, typing and
//! logouts reach this server's tabs as if they had happened here. When events may
//! have been lost, storage's picture of every conversation is read and compared.

use std::time::Duration;

use crate::{
    protocol::{ConversationId, ServerMsg, UserId},
    server::{
        bus::{Event, Incoming, NodeId},
        store::{self, ConversationRow, UserRow},
    },
};

use super::{encode, Done, Origin, State};

/// Wait before reading storage again after a resync's read failed.
const RESYNC_RETRY: Duration = Duration::from_secs(1);

impl State {
    pub(super) fn heard(&mut self, incoming: Incoming) {
        match incoming {
            Incoming::Resync => self.resync(),
            Incoming::Event(node, event) => self.remote(node, event),
            Incoming::NodePresence {
                node,
                users,
                version,
            } => self.node_presence(node, users, version),
            Incoming::Alive(alive) => self.nodes_alive(alive),
        }
    }

    fn remote(&mut self, node: NodeId, event: Event) {
        match event {
            Event::Online { user, version } => self.online_on(node, user, version),
            Event::Offline { user, version } => self.offline_on(node, user, version),
            Event::Message { message } => self.arrive(message, Origin::Elsewhere),
            Event::Joined {
                conversation,
                name,
                user,
                last_seq,
                private,
            } => {
                self.conversations
                    .insert_room(conversation, &name, last_seq);
                self.conversations.set_private(conversation, private);
                self.remote_joined(conversation, user);
            }
            Event::Privacy {
                conversation,
                private,
                entry,
            } => self.privacy_changed(conversation, private, entry),
            Event::SlowMode {
                conversation,
                seconds,
                entry,
            } => self.slow_mode_changed(conversation, seconds, entry),
            Event::Left {
                conversation,
                user,
                removed,
            } => self.remote_left(conversation, user, removed),
            Event::BannedFromServer { user } => self.banned_from_server(user),
            Event::Blocks { blocker, users } => self.blocks_changed(blocker, users),
            Event::ReportFiled { report } => self.tell_report(report),
            Event::ReportHandled {
                conversation,
                report,
            } => self.tell_handled(conversation, report),
            Event::Moderated {
                conversation,
                user,
                change,
                entry,
            } => {
                self.sanction(conversation, user, change);
                if let Some(entry) = entry {
                    self.tell_audited(conversation, entry);
                }
            }
            Event::DirectOpened {
                conversation,
                users: [a, b],
                last_seq,
            } => {
                if self.conversations.direct_between(a.id, b.id).is_some() {
                    return;
                }
                self.conversations
                    .insert_direct(conversation, a.id, b.id, last_seq);
                let row = |u: crate::protocol::Author| UserRow {
                    id: u.id,
                    nickname: u.nickname,
                    avatar: u.avatar,
                };
                let (opener, peer) = (row(a), row(b));
                self.tell_joined(conversation, opener.id);
                self.tell_direct_opened(conversation, &opener, &peer);
            }
            Event::Typing { conversation, user } => self.tell_typing(conversation, user),
            Event::Spent { users, addresses } => self.spent_elsewhere(users, addresses),
            Event::MarkedRead {
                conversation,
                user,
                seq,
                at_ms,
            } => {
                if let Some(seq) = self.conversations.mark_read(conversation, user, seq, at_ms) {
                    self.receipt(conversation, user, seq, at_ms);
                }
            }
            Event::ReceiptsShared { user, on } => self.receipts_shared(user, on),
            Event::LoggedOut { token_hash } => self.end_session(token_hash),
            Event::LinkRequested {
                offered_by,
                link,
                device,
            } => self.link_requested(offered_by, link, device),
            Event::LinkDecided {
                link,
                offered_by,
                claim,
                accepted,
            } => self.link_decided(link, offered_by, claim, accepted),
            Event::Resync => self.resync(),
        }
    }

    /// `user` is in the conversation now: their tabs here learn of it, and the room's
    /// new count is told (general's changes with every login: not told).
    fn remote_joined(&mut self, conversation: ConversationId, user: UserId) {
        if self.conversations.add_member(conversation, user) {
            self.tell_joined(conversation, user);
            if Some(conversation) != self.general() {
                self.room_count_changed(conversation);
            }
        }
    }

    fn remote_left(
        &mut self,
        conversation: ConversationId,
        user: UserId,
        removed: Option<crate::protocol::Removal>,
    ) {
        if self.conversations.remove_member(conversation, user) {
            let left = ServerMsg::Left {
                conversation,
                removed,
            };
            self.send_to_user(user, &encode(&left), true);
            self.room_count_changed(conversation);
        }
    }

    /// Tells the conversation's other members here that `user` is typing.
    pub(super) fn tell_typing(&mut self, conversation: ConversationId, user: UserId) {
        let frame = encode(&ServerMsg::Typing { conversation, user });
        let members: Vec<UserId> = self
            .conversations
            .members(conversation)
            .filter(|m| *m != user && !self.blocks.blocks(*m, user))
            .collect();
        self.send_to_users(members, &frame, false);
    }

    /// Reads every conversation from storage, to compare with what this server knows.
    fn resync(&mut self) {
        let since = self.conversations.changes();
        let (store, done) = (self.store.clone(), self.done.clone());
        tracing::info!("reading every conversation from storage (bus events may be lost)");
        tokio::spawn(async move {
            let read = store.conversations().await;
            let _ = done.send(Done::Resynced(read, since));
            let _ = done.send(Done::Admins(
                super::moderation::instance_roles(&store).await,
            ));
        });
    }

    /// Storage's picture: conversations unknown here are learnt, members added or
    /// removed meanwhile follow (unless changed here since the read began: this
    /// server's own change is newer), and messages committed elsewhere are delivered.
    pub(super) fn resynced(&mut self, read: store::Result<Vec<ConversationRow>>, since: u64) {
        let rows = match read {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "resync failed; trying again");
                let done = self.done.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(RESYNC_RETRY).await;
                    let _ = done.send(Done::Resync);
                });
                return;
            }
        };
        for row in rows {
            let known = self.conversations.last_seq(row.id);
            match (&row.room, row.direct) {
                (Some(name), _) => {
                    self.conversations
                        .insert_room(row.id, name, known.unwrap_or(row.last_seq));
                    self.privacy_changed(row.id, row.private, None);
                }
                (None, Some([a, b])) => {
                    if known.is_none() {
                        self.conversations.insert_direct(row.id, a, b, row.last_seq);
                        self.tell_joined(row.id, a);
                        self.tell_joined(row.id, b);
                    }
                }
                (None, None) => continue,
            }
            if known.is_none() || !self.conversations.changed_after(row.id, since) {
                let staff = self.conversations.staff(row.id);
                self.conversations
                    .set_moderation(row.id, row.moderation.clone());
                if self.conversations.staff(row.id) != staff {
                    self.tell_staff(row.id);
                }
                let here = self.conversations.member_set(row.id);
                let stored: std::collections::HashSet<UserId> =
                    row.members.iter().map(|(u, _)| *u).collect();
                for user in stored.difference(&here) {
                    self.remote_joined(row.id, *user);
                }
                for user in here.difference(&stored) {
                    self.remote_left(row.id, *user, None);
                }
            }
            if let Some(last) = known {
                if row.last_seq > last {
                    self.fill_up_to(row.id, row.last_seq);
                }
            }
        }
    }
}
