//! A room's slow mode: each member waits the room's seconds between their messages
//! (texts and replies; edits, reactions, deletions and typing are not held), while
//! its moderators, owner and the instance admins do not. Set by a moderator, stored
//! with an audit entry, told to the members here and to the other servers, whose
//! members' messages count here as they are delivered (so a member with tabs on two
//! servers waits as with one, give or take the bus's delay).

use std::collections::HashMap;

use crate::{
    protocol::{
        AuditEntry, ConversationId, Draft, ErrorCode, MessageBody, ServerMsg, UserId,
        SLOW_MODE_MAX_S,
    },
    server::{
        bus::Event,
        store::{invites::RoomSetting, UserRow},
        unix_millis,
    },
};

use super::{encode, internal, ConnId, Refusal, State};

/// Entries kept before those no longer holding anyone back are dropped.
const PRUNE_FROM: usize = 1024;

/// When each member last wrote to each room in slow mode.
#[derive(Default)]
pub(super) struct SlowMode {
    /// (room, member) → when their newest message was accepted or delivered (Unix ms).
    last: HashMap<(ConversationId, UserId), i64>,
    /// The size past which the next write prunes.
    prune_at: usize,
}

impl SlowMode {
    /// How long `user` must still wait before writing to `room` again at `now_ms`,
    /// with `seconds` between messages: `None` if they need not.
    fn wait_ms(
        &self,
        room: ConversationId,
        user: UserId,
        seconds: u32,
        now_ms: i64,
    ) -> Option<u64> {
        let last = *self.last.get(&(room, user))?;
        let until = last + i64::from(seconds) * 1000;
        (until > now_ms).then(|| (until - now_ms) as u64)
    }

    /// `user` wrote to `room` at `at_ms` (never moves back).
    fn wrote(&mut self, room: ConversationId, user: UserId, at_ms: i64) {
        let last = self.last.entry((room, user)).or_insert(at_ms);
        *last = (*last).max(at_ms);
    }

    /// Drops the entries that hold nobody back any more (`seconds_of` a room: its
    /// slow mode now), once there are many.
    fn prune(&mut self, now_ms: i64, seconds_of: impl Fn(ConversationId) -> u32) {
        if self.last.len() < self.prune_at.max(PRUNE_FROM) {
            return;
        }
        self.last
            .retain(|(room, _), at| *at + i64::from(seconds_of(*room)) * 1000 > now_ms);
        self.prune_at = self.last.len() * 2;
    }
}

/// Whether a draft is a new message (held by slow mode), not a change to one.
fn is_new_message(draft: &Draft) -> bool {
    matches!(draft.body, MessageBody::Text { .. })
}

impl State {
    /// A moderator (allowed already) sets the room's slow mode (clamped to
    /// [`SLOW_MODE_MAX_S`]; 0: off).
    pub(super) fn set_slow_mode(
        &mut self,
        conn: ConnId,
        actor: &UserRow,
        room: ConversationId,
        seconds: u32,
    ) -> Result<(), Refusal> {
        let seconds = seconds.min(SLOW_MODE_MAX_S);
        if self.conversations.slow_mode(room) == seconds {
            return Ok(());
        }
        let (store, actor) = (self.store.clone(), actor.id);
        let setting = RoomSetting::SlowMode(seconds);
        self.spawn_io(
            conn,
            async move {
                store
                    .set_room_setting(room, actor, setting, unix_millis())
                    .await
            },
            move |state, done| {
                // `None`: it was so already in storage (set on another server).
                let entry = done.map_err(internal)?;
                state.bus.publish(Event::SlowMode {
                    conversation: room,
                    seconds,
                    entry: entry.clone(),
                });
                state.slow_mode_changed(room, seconds, entry);
                Ok(())
            },
        );
        Ok(())
    }

    /// The room's slow mode changed, here or on another server: memory, its members
    /// here, and its moderators the audit entry.
    pub(super) fn slow_mode_changed(
        &mut self,
        room: ConversationId,
        seconds: u32,
        entry: Option<AuditEntry>,
    ) {
        if self.conversations.set_slow_mode(room, seconds) {
            tracing::info!(%room, seconds, "room slow mode changed");
            let frame = encode(&ServerMsg::SlowMode {
                conversation: room,
                seconds,
            });
            self.fan_out(room, &frame, None, true);
        }
        if let Some(entry) = entry {
            self.tell_audited(room, entry);
        }
    }

    /// Refuses a new message of a member who wrote to the room less than its slow
    /// mode's seconds ago (with how long to wait); otherwise counts this one.
    pub(super) fn hold_to_slow_mode(&mut self, user: UserId, draft: &Draft) -> Result<(), Refusal> {
        let room = draft.conversation;
        let seconds = self.conversations.slow_mode(room);
        if seconds == 0 || !is_new_message(draft) || self.role_in(room, user).moderates() {
            return Ok(());
        }
        let now = unix_millis();
        if let Some(wait) = self.slow_mode.wait_ms(room, user, seconds, now) {
            return Err(Refusal(Box::new(ServerMsg::Error {
                code: ErrorCode::SlowMode,
                message: format!(
                    "This room is in slow mode: one message every {seconds} s; wait a little."
                ),
                retry_after_ms: Some(wait),
                client_id: None,
            })));
        }
        self.slow_mode.wrote(room, user, now);
        let conversations = &self.conversations;
        self.slow_mode.prune(now, |r| conversations.slow_mode(r));
        Ok(())
    }

    /// A message was delivered (written here or on another server): in a room in
    /// slow mode, its author's wait counts from it.
    pub(super) fn slow_mode_delivered(
        &mut self,
        room: ConversationId,
        author: UserId,
        text: bool,
        at_ms: i64,
    ) {
        if text && self.conversations.slow_mode(room) > 0 {
            self.slow_mode.wrote(room, author, at_ms);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOM: ConversationId = ConversationId(3);
    const ANN: UserId = UserId(1);

    #[test]
    fn a_member_waits_from_their_newest_message_and_old_entries_go() {
        let mut slow = SlowMode::default();
        assert_eq!(slow.wait_ms(ROOM, ANN, 10, 1_000), None, "never wrote");
        slow.wrote(ROOM, ANN, 1_000);
        assert_eq!(slow.wait_ms(ROOM, ANN, 10, 4_000), Some(7_000));
        assert_eq!(slow.wait_ms(ROOM, ANN, 10, 11_000), None, "waited enough");
        slow.wrote(ROOM, ANN, 500);
        assert_eq!(
            slow.wait_ms(ROOM, ANN, 10, 4_000),
            Some(7_000),
            "an older message (from another server) does not move it back"
        );
        for user in 2..PRUNE_FROM as i64 + 2 {
            slow.wrote(ROOM, UserId(user), 1_000);
        }
        slow.prune(20_000, |_| 10);
        assert!(slow.last.is_empty(), "nobody held back any more");
    }
}
