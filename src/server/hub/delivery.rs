//! Messages in and out: a send is checked, handed to the writer, and once stored
//! acknowledged and fanned out; and every frame's way into a connection's bounded queue.

use tokio::sync::mpsc::error::TrySendError;

use crate::{
    protocol::{
        close_code, ChatMessage, ConversationId, ErrorCode, MessageBody, Quote, Seq, ServerMsg,
        UserId,
    },
    server::{
        bus::Event,
        store::{self, QueueError, Stored, WriteJob},
        telemetry, unix_millis,
    },
};

use super::{
    encode, internal, refuse, Close, ConnId, Done, Frame, Origin, Refusal, State, UserRow,
};

impl State {
    /// Posts a join or leave line to a room; the room's new member count follows it.
    pub(super) fn post_system_line(
        &mut self,
        room: ConversationId,
        user: &UserRow,
        body: MessageBody,
    ) -> Result<(), Refusal> {
        self.store_message(
            room,
            user,
            body,
            (None, Vec::new()),
            Origin::Membership(room),
        )
    }

    /// Queues a message for the writer; `(reply_to, mentions)` as checked by the hub.
    pub(super) fn store_message(
        &mut self,
        conversation: ConversationId,
        author: &UserRow,
        body: MessageBody,
        (reply_to, mentions): (Option<Box<Quote>>, Vec<UserId>),
        origin: Origin,
    ) -> Result<(), Refusal> {
        let done = self.done.clone();
        let client_id = match &origin {
            Origin::Client(_, id) => Some(id.clone()),
            Origin::Membership(_) | Origin::Elsewhere => None,
        };
        let job = WriteJob::Message {
            conversation,
            author: author.clone(),
            body,
            client_id,
            reply_to,
            mentions,
            at_ms: unix_millis(),
            done: Box::new(move |result| {
                let _ = done.send(Done::Stored { origin, result });
            }),
        };
        match self.store.submit(job) {
            Ok(()) => Ok(()),
            Err(QueueError::Full) => {
                tracing::warn!("the writer is behind; refusing a message");
                Err(Refusal(Box::new(ServerMsg::Error {
                    code: ErrorCode::RateLimited,
                    message: "The server is busy; trying again shortly.".into(),
                    retry_after_ms: Some(250),
                    client_id: None,
                })))
            }
            Err(QueueError::Closed) => Err(refuse(
                ErrorCode::Internal,
                "The server is shutting down; try again.",
            )),
        }
    }

    /// A message was committed (or failed to be): the other servers hear of it, and
    /// it goes in line for this server's connections ([`State::arrive`]), where it is
    /// acknowledged to its sender and fanned out.
    pub(super) fn stored(&mut self, origin: Origin, result: store::Result<Stored>) {
        match (result, origin) {
            (Ok(stored), origin) => {
                if !stored.duplicate {
                    metrics::counter!(telemetry::name::MESSAGES_STORED).increment(1);
                    if !self.bus.alone() {
                        self.bus.publish(Event::Message {
                            message: stored.message.clone(),
                        });
                    }
                }
                self.arrive(stored.message, origin);
            }
            (Err(e), Origin::Client(conn, client_id)) => {
                let Refusal(mut reply) = internal(e);
                if let ServerMsg::Error { client_id: id, .. } = reply.as_mut() {
                    *id = Some(client_id);
                }
                self.refused(conn, *reply);
            }
            (Err(e), Origin::Membership(room)) => {
                tracing::error!(error = %e, "a join or leave line was not stored");
                self.room_count_changed(room);
            }
            (Err(_), Origin::Elsewhere) => {}
        }
    }

    /// What is owed to whoever waited for a message once it is delivered (or was
    /// already): the sender's ack, a room's new member count.
    pub(super) fn answer_origin(&mut self, origin: Origin, m: &ChatMessage) {
        match origin {
            Origin::Client(conn, client_id) => {
                let ack = ServerMsg::Ack {
                    client_id,
                    id: m.id,
                    conversation: m.conversation,
                    seq: m.seq,
                    sent_at_ms: m.sent_at_ms,
                };
                self.send_to_conn(conn, &encode(&ack), true);
                self.send_answered(conn);
            }
            Origin::Membership(room) => self.room_count_changed(room),
            Origin::Elsewhere => {}
        }
    }

    /// The message next in line goes to every connection of every member, the sender's
    /// other tabs too; the sender's ack comes just before it.
    pub(super) fn fan_out_message(
        &mut self,
        message: ChatMessage,
        origins: impl IntoIterator<Item = Origin>,
    ) {
        // Acks now; what follows the message (a room's count) after it.
        let mut after = Vec::new();
        for origin in origins {
            match origin {
                Origin::Client(..) => self.answer_origin(origin, &message),
                other => after.push(other),
            }
        }
        let arrived_ms = message.sent_at_ms;
        let (conversation, seq, author) = (message.conversation, message.seq, message.author.id);
        let text = matches!(message.body, crate::protocol::MessageBody::Text { .. });
        self.conversations
            .delivered(conversation, seq, author, text);
        self.slow_mode_delivered(conversation, author, text, arrived_ms);
        if let Some(batch) = &mut self.waiting.batch {
            // Read from storage with others: sent together (see `send_batch`).
            batch.push(message);
            for origin in after {
                if let Origin::Membership(room) = origin {
                    self.room_count_changed(room);
                }
            }
            return;
        }
        // The client id is the author's own business: their tabs get it (to match
        // the message to what they sent), nobody else does. Whoever blocks the author
        // gets nothing of it.
        let mut message = message;
        let blockers = self
            .blocks
            .blockers_of(author)
            .filter(|_| super::blocks::blockable(&message));
        let members: Vec<UserId> = self
            .conversations
            .members(conversation)
            .filter(|u| blockers.is_none_or(|b| !b.contains(u)))
            .collect();
        if message.client_id.is_some() {
            let own = encode(&ServerMsg::Message {
                message: message.clone(),
            });
            self.send_message_to_users([author], &own, conversation, seq);
            message.client_id = None;
            let frame = encode(&ServerMsg::Message { message });
            let others = members.into_iter().filter(|u| *u != author);
            self.send_message_to_users(others, &frame, conversation, seq);
        } else {
            let frame = encode(&ServerMsg::Message { message });
            self.send_message_to_users(members, &frame, conversation, seq);
        }
        let queued_after = (unix_millis() - arrived_ms).max(0) as f64 / 1000.0;
        metrics::histogram!(telemetry::name::MESSAGE_LATENCY).record(queued_after);
        for origin in after {
            if let Origin::Membership(room) = origin {
                self.room_count_changed(room);
            }
        }
    }

    pub(super) fn mark_read(
        &mut self,
        user: UserId,
        conversation: ConversationId,
        seq: Seq,
    ) -> Result<(), Refusal> {
        let at_ms = crate::server::unix_millis();
        let Some(seq) = self.conversations.mark_read(conversation, user, seq, at_ms) else {
            return Ok(()); // read already
        };
        self.receipt(conversation, user, seq, at_ms);
        self.bus.publish(Event::MarkedRead {
            conversation,
            user,
            seq,
            at_ms,
        });
        let job = WriteJob::MarkRead {
            conversation,
            user,
            seq,
            at_ms,
        };
        // A read mark is a hint: if the writer is that far behind, the next one will do.
        if let Err(e) = self.store.submit(job) {
            tracing::debug!(?e, "read mark not stored");
        }
        Ok(())
    }

    /// Sends a frame to every connection of every member, except `skip`'s.
    pub(super) fn fan_out(
        &mut self,
        conversation: ConversationId,
        frame: &Frame,
        skip: Option<UserId>,
        essential: bool,
    ) {
        let members: Vec<UserId> = self
            .conversations
            .members(conversation)
            .filter(|u| Some(*u) != skip)
            .collect();
        self.send_to_users(members, frame, essential);
    }

    /// Sends a frame to every logged-in connection, except `skip`'s.
    pub(super) fn broadcast(&mut self, frame: &Frame, skip: Option<UserId>, essential: bool) {
        let users: Vec<UserId> = self
            .live
            .keys()
            .copied()
            .filter(|u| Some(*u) != skip)
            .collect();
        self.send_to_users(users, frame, essential);
    }

    pub(super) fn send_to_user(&mut self, user: UserId, frame: &Frame, essential: bool) {
        self.send_to_users([user], frame, essential);
    }

    /// Sends a message's frame to every connection of these users, but those that have
    /// it already ([`State::spare`]).
    pub(super) fn send_message_to_users(
        &mut self,
        users: impl IntoIterator<Item = UserId>,
        frame: &Frame,
        conversation: ConversationId,
        seq: Seq,
    ) {
        if self.sparing == 0 {
            return self.send_to_users(users, frame, true);
        }
        for conn in self.conns_of(users) {
            if !self.has_already(conn, conversation, seq) {
                self.send_to_conn(conn, frame, true);
            }
        }
    }

    /// The connections of these users (those online here).
    pub(super) fn conns_of(&self, users: impl IntoIterator<Item = UserId>) -> Vec<ConnId> {
        users
            .into_iter()
            .filter_map(|u| self.live.get(&u))
            .flat_map(|l| l.conns.iter().copied())
            .collect()
    }

    /// Spares a connection the messages of `conversation` up to `seq`: it has them.
    pub(super) fn spare(&mut self, conn: ConnId, conversation: ConversationId, seq: Seq) {
        if let Some(c) = self.conns.get_mut(&conn) {
            if c.spared.is_empty() {
                self.sparing += 1;
            }
            c.spared.insert(conversation, seq);
        }
    }

    pub(super) fn unspare(&mut self, conn: ConnId, conversation: ConversationId) {
        if let Some(c) = self.conns.get_mut(&conn) {
            if c.spared.remove(&conversation).is_some() && c.spared.is_empty() {
                self.sparing -= 1;
            }
        }
    }

    /// Whether the connection has message `seq` of `conversation` already; past the
    /// number it was spared up to, it is spared no more.
    pub(super) fn has_already(
        &mut self,
        conn: ConnId,
        conversation: ConversationId,
        seq: Seq,
    ) -> bool {
        let Some(upto) = self
            .conns
            .get(&conn)
            .and_then(|c| c.spared.get(&conversation))
        else {
            return false;
        };
        if seq <= *upto {
            return true;
        }
        self.unspare(conn, conversation);
        false
    }

    /// Sends a frame to every connection of each of these users who is online.
    pub(super) fn send_to_users(
        &mut self,
        users: impl IntoIterator<Item = UserId>,
        frame: &Frame,
        essential: bool,
    ) {
        for conn in self.conns_of(users) {
            self.send_to_conn(conn, frame, essential);
        }
    }

    /// Queues a frame for one connection. A full queue drops a non-essential frame
    /// (typing, presence); for an essential one the connection is closed as too slow:
    /// it reconnects and catches up from storage.
    pub(super) fn send_to_conn(&mut self, conn: ConnId, frame: &Frame, essential: bool) {
        let capacity = self.settings.outbox_capacity;
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        if c.close.is_none() {
            return; // being closed: it resumes from storage
        }
        let full = match &mut c.held {
            // A replay is being read: this waits behind it, within the same bound.
            Some(held) if held.len() < capacity / 2 => {
                held.push((frame.clone(), essential));
                false
            }
            Some(_) => true,
            None => match c.outbox.try_send(frame.clone()) {
                Ok(()) | Err(TrySendError::Closed(_)) => false,
                Err(TrySendError::Full(_)) => true,
            },
        };
        if !full {
            return;
        }
        if essential {
            tracing::warn!(conn, "closing a connection that cannot keep up");
            metrics::counter!(telemetry::name::SLOW_CONSUMER_CLOSES).increment(1);
            self.close_conn(conn, close_code::TOO_SLOW, "too slow");
        } else {
            tracing::debug!(conn, "dropped a frame for a slow connection");
            metrics::counter!(telemetry::name::EPHEMERAL_DROPPED).increment(1);
        }
    }

    pub(super) fn close_conn(&mut self, conn: ConnId, code: u16, reason: &'static str) {
        if let Some(close) = self.conns.get_mut(&conn).and_then(|c| c.close.take()) {
            let _ = close.send(Close { code, reason });
        }
    }
}
