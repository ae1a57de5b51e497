//! Reads of past messages, done off the hub: the pages of `history`, and the replay
//! that brings a resuming client from its cursors up to the live stream.

use std::collections::HashSet;

use crate::protocol::{
    normalize_query, ChatMessage, ConversationId, Cursor, Seq, ServerMsg, UserId, HISTORY_PAGE,
    HISTORY_SPAN, SEARCH_RESULTS,
};

use super::{encode, internal, ConnId, Frame, Refusal, State};

/// A client id is its author's business (see `deliver`): others' are not shown.
pub(super) fn hide_others_client_ids(messages: &mut [ChatMessage], reader: UserId) {
    for m in messages.iter_mut().filter(|m| m.author.id != reader) {
        m.client_id = None;
    }
}

/// Messages per `replay` frame.
pub(super) const REPLAY_CHUNK: usize = 100;

/// One conversation to replay: from `after` (exclusive) to `up_to` (inclusive).
struct Gap {
    conversation: ConversationId,
    after: Seq,
    up_to: Seq,
}

impl State {
    /// Cursors past what this server has delivered: the connection is spared those
    /// messages, and the server reads up to them from storage now rather than waiting
    /// for the bus. A cursor that storage has not reached either belongs to another
    /// database: that conversation is reloaded.
    fn catch_up_to(&mut self, conn: ConnId, cursors: Vec<Cursor>) {
        for cursor in &cursors {
            self.spare(conn, cursor.conversation, cursor.seq);
        }
        let store = self.store.clone();
        tokio::spawn({
            let done = self.done.clone();
            async move {
                let mut known = Vec::new();
                for cursor in cursors {
                    let last = store.last_seq(cursor.conversation).await;
                    known.push((cursor, last));
                }
                let _ = done.send(super::Done::CursorsChecked(conn, known));
            }
        });
    }

    /// What storage said of cursors ahead of this server (see [`State::catch_up_to`]).
    pub(super) fn cursors_checked(
        &mut self,
        conn: ConnId,
        known: Vec<(Cursor, crate::server::store::Result<Option<Seq>>)>,
    ) {
        for (cursor, last) in known {
            match last {
                Ok(Some(last)) if last >= cursor.seq => {
                    self.fill_up_to(cursor.conversation, cursor.seq);
                }
                Ok(_) => {
                    tracing::info!(conn, conversation = %cursor.conversation, "resume: cursor ahead of storage; reload");
                    self.unspare(conn, cursor.conversation);
                    let reload = ServerMsg::Reload {
                        conversation: cursor.conversation,
                    };
                    self.send_to_conn(conn, &encode(&reload), true);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "resume: cannot check a cursor; catching up anyway");
                    self.fill_up_to(cursor.conversation, cursor.seq);
                }
            }
        }
    }

    pub(super) fn history(
        &mut self,
        conn: ConnId,
        user: UserId,
        conversation: ConversationId,
        before: Option<Seq>,
        from: Option<Seq>,
    ) -> Result<(), Refusal> {
        let store = self.store.clone();
        // Back to `from` too: as many messages as there are numbers between them (a
        // page at least, and at most `HISTORY_SPAN`).
        let limit = match (
            from,
            before.or(self.conversations.last_seq(conversation).map(|s| s + 1)),
        ) {
            (Some(from), Some(before)) => (before.saturating_sub(from))
                .clamp(u64::from(HISTORY_PAGE), u64::from(HISTORY_SPAN))
                as u32,
            _ => HISTORY_PAGE,
        };
        self.spawn_io(
            conn,
            async move { store.history(conversation, before, limit, user).await },
            move |state, page| {
                let (mut messages, has_more) = page.map_err(internal)?;
                hide_others_client_ids(&mut messages, user);
                let reply = ServerMsg::History {
                    conversation,
                    messages,
                    has_more,
                };
                state.send_to_conn(conn, &encode(&reply), true);
                Ok(())
            },
        );
        Ok(())
    }

    /// Full-text search of the user's conversations (storage checks membership: only
    /// what the user may read is found).
    pub(super) fn search(
        &mut self,
        conn: ConnId,
        user: UserId,
        query: &str,
        within: Option<ConversationId>,
    ) -> Result<(), Refusal> {
        let query = normalize_query(query)?;
        let store = self.store.clone();
        self.spawn_io(
            conn,
            {
                let query = query.clone();
                async move { store.search(user, &query, within, SEARCH_RESULTS).await }
            },
            move |state, found| {
                let mut messages = found.map_err(internal)?;
                hide_others_client_ids(&mut messages, user);
                let reply = ServerMsg::SearchResults { query, messages };
                state.send_to_conn(conn, &encode(&reply), true);
                Ok(())
            },
        );
        Ok(())
    }

    /// Sends a resuming connection the messages after each of its cursors, in order,
    /// before anything else: what else comes for it meanwhile is held back.
    ///
    /// A conversation whose replay cannot be sent whole gets `reload` instead (live
    /// messages follow, and a partial replay would leave a gap): a gap above
    /// `resume_max_gap`, a cursor ahead of the server (another database), a replay past
    /// what is left of the budget (half the connection's queue, `replay_max_bytes`:
    /// one resume never grows the server by more), or storage failing.
    pub(super) fn replay(&mut self, conn: ConnId, user: UserId, cursors: Vec<Cursor>) {
        let mut frames_left = self.settings.outbox_capacity / 2;
        let mut reloads = Vec::new();
        let mut ahead = Vec::new();
        let mut gaps = Vec::new();
        let mut seen = HashSet::new();
        for cursor in cursors {
            // Conversations the user is no longer in are not theirs to replay; a
            // room they were banned from meanwhile is named, so they learn why.
            let Some(last) = self.conversations.last_seq(cursor.conversation) else {
                continue;
            };
            if !self.conversations.is_member(cursor.conversation, user) {
                if self.conversations.is_banned(cursor.conversation, user) {
                    let left = ServerMsg::Left {
                        conversation: cursor.conversation,
                        removed: Some(crate::protocol::Removal::Banned),
                    };
                    self.send_to_conn(conn, &encode(&left), true);
                }
                continue;
            }
            if !seen.insert(cursor.conversation) || cursor.seq == last {
                continue;
            }
            let gap = last.saturating_sub(cursor.seq);
            let frames = (gap as usize).div_ceil(REPLAY_CHUNK);
            if cursor.seq > last {
                // The client has more than this server delivered yet: from another
                // server, a moment ahead (or from another database: checked below).
                ahead.push(cursor);
                continue;
            }
            let why = if gap > self.settings.resume_max_gap || frames > frames_left {
                "gap too long"
            } else {
                frames_left -= frames;
                gaps.push(Gap {
                    conversation: cursor.conversation,
                    after: cursor.seq,
                    up_to: last,
                });
                continue;
            };
            tracing::info!(conn, conversation = %cursor.conversation, why, "resume: reload instead of replay");
            reloads.push(cursor.conversation);
        }
        for conversation in reloads {
            self.send_to_conn(conn, &encode(&ServerMsg::Reload { conversation }), true);
        }
        if !ahead.is_empty() {
            self.catch_up_to(conn, ahead);
        }
        if gaps.is_empty() {
            return;
        }
        if let Some(c) = self.conns.get_mut(&conn) {
            c.held = Some(Vec::new());
        }
        let store = self.store.clone();
        let mut bytes_left = self.settings.replay_max_bytes;
        // Nothing of those the user blocks.
        let hidden = self.blocks.blocked_by(user);
        self.spawn_io(
            conn,
            async move {
                let mut out: Vec<(ConversationId, Result<Vec<Frame>, &'static str>)> =
                    Vec::new();
                for gap in gaps {
                    let frames = match store
                        .messages_between(gap.conversation, gap.after, gap.up_to)
                        .await
                    {
                        Ok(mut missed) => Ok({
                            if !hidden.is_empty() {
                                missed.retain(|m| {
                                    !hidden.contains(&m.author.id)
                                        || !super::blocks::blockable(m)
                                });
                            }
                            hide_others_client_ids(&mut missed, user);
                            missed
                            .chunks(REPLAY_CHUNK)
                            .map(|chunk| {
                                encode(&ServerMsg::Replay {
                                    conversation: gap.conversation,
                                    messages: chunk.to_vec(),
                                })
                            })
                            .collect::<Vec<Frame>>()
                        }),
                        Err(e) => {
                            tracing::error!(error = %e, "replay failed");
                            Err("storage failed")
                        }
                    };
                    let frames = frames.and_then(|frames| {
                        let bytes: usize = frames.iter().map(|f| f.len()).sum();
                        if bytes > bytes_left {
                            return Err("replay too large");
                        }
                        bytes_left -= bytes;
                        Ok(frames)
                    });
                    out.push((gap.conversation, frames));
                }
                out
            },
            move |state, replays| {
                let held = state
                    .conns
                    .get_mut(&conn)
                    .and_then(|c| c.held.take())
                    .unwrap_or_default();
                for (conversation, frames) in replays {
                    let frames = frames.unwrap_or_else(|why| {
                        tracing::info!(conn, %conversation, why, "resume: reload instead of replay");
                        vec![encode(&ServerMsg::Reload { conversation })]
                    });
                    for frame in &frames {
                        state.send_to_conn(conn, frame, true);
                    }
                }
                for (frame, essential) in &held {
                    state.send_to_conn(conn, frame, *essential);
                }
                Ok(())
            },
        );
    }
}
