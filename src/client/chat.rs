//! The chat state as the view sees it: one plain [`ChatState`] (not a signal, so a
//! frame is applied in place, never cloned) and one reactive trigger per part of it:
//! the session, the people, the rooms, the outbox, and each conversation's messages
//! and counts. A message in a busy room re-renders that room's list and nothing else.
//!
//! In the browser the notifications of one frame are merged and sent once, before
//! the next paint: a room receiving 200 messages a second is re-rendered at most once
//! per frame, not once per message. The state itself changes at once.

use std::collections::HashMap;

use leptos::prelude::*;

use super::state::{Changes, ChatState};
use crate::protocol::ConversationId;

/// A part of the state a view reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The session, the login error and the notice.
    Session,
    /// The people known and the online count.
    People,
    /// The rooms listed and which conversations are ours.
    Rooms,
    /// The outbox.
    Outbox,
    /// The search and its results.
    Search,
    /// This person's devices: the link offered, its requests, the device list.
    Devices,
    /// The audit log shown.
    Moderation,
    /// One conversation's messages.
    Messages(ConversationId),
    /// One conversation's counts (unread, members) and who is typing in it.
    Conversation(ConversationId),
    /// The counts of every conversation (unread totals).
    Unread,
    /// Anything at all (what is saved to browser storage).
    Any,
}

#[derive(Default)]
struct Triggers {
    session: ArcTrigger,
    people: ArcTrigger,
    rooms: ArcTrigger,
    outbox: ArcTrigger,
    search: ArcTrigger,
    devices: ArcTrigger,
    moderation: ArcTrigger,
    unread: ArcTrigger,
    any: ArcTrigger,
    messages: HashMap<ConversationId, ArcTrigger>,
    conversations: HashMap<ConversationId, ArcTrigger>,
}

impl Triggers {
    fn get(&mut self, part: Part) -> ArcTrigger {
        match part {
            Part::Session => self.session.clone(),
            Part::People => self.people.clone(),
            Part::Rooms => self.rooms.clone(),
            Part::Outbox => self.outbox.clone(),
            Part::Search => self.search.clone(),
            Part::Devices => self.devices.clone(),
            Part::Moderation => self.moderation.clone(),
            Part::Unread => self.unread.clone(),
            Part::Any => self.any.clone(),
            Part::Messages(id) => self.messages.entry(id).or_default().clone(),
            Part::Conversation(id) => self.conversations.entry(id).or_default().clone(),
        }
    }

    /// The triggers of what changed (all of them for a change of everything).
    fn changed(&self, changes: &Changes) -> Vec<ArcTrigger> {
        let mut out = vec![self.any.clone()];
        let all = changes.all;
        for (changed, trigger) in [
            (changes.session, &self.session),
            (changes.people, &self.people),
            (changes.rooms, &self.rooms),
            (changes.outbox, &self.outbox),
            (changes.search, &self.search),
            (changes.devices, &self.devices),
            (changes.moderation, &self.moderation),
            (!changes.conversations.is_empty(), &self.unread),
        ] {
            if all || changed {
                out.push(trigger.clone());
            }
        }
        for (map, ids) in [
            (&self.messages, &changes.messages),
            (&self.conversations, &changes.conversations),
        ] {
            if all {
                out.extend(map.values().cloned());
            } else {
                out.extend(ids.iter().filter_map(|id| map.get(id).cloned()));
            }
        }
        out
    }
}

/// Handle to the chat state; cheap to copy into components.
#[derive(Clone, Copy)]
pub struct Chat {
    state: StoredValue<ChatState>,
    triggers: StoredValue<Triggers>,
    /// Changes not yet notified, and whether their notification is scheduled.
    unsent: StoredValue<(Changes, bool)>,
}

impl Chat {
    pub fn new() -> Self {
        Self {
            state: StoredValue::new(ChatState::default()),
            triggers: StoredValue::new(Triggers::default()),
            unsent: StoredValue::new((Changes::default(), false)),
        }
    }

    /// Reads the state and subscribes the running effect or memo to `part` of it.
    pub fn read<T>(&self, part: Part, f: impl FnOnce(&ChatState) -> T) -> T {
        self.track(part);
        self.read_untracked(f)
    }

    /// Subscribes the running effect or memo to `part` of the state.
    pub fn track(&self, part: Part) {
        if let Some(trigger) = self.triggers.try_update_value(|t| t.get(part)) {
            trigger.track();
        }
    }

    /// Reads the state without subscribing (event handlers).
    pub fn read_untracked<T>(&self, f: impl FnOnce(&ChatState) -> T) -> T {
        self.state.with_value(f)
    }

    /// Changes the state in place, then notifies those who read what changed (in the
    /// browser: before the next frame); `None` once the app is torn down.
    pub fn update<T>(&self, f: impl FnOnce(&mut ChatState) -> T) -> Option<T> {
        let (out, changes) = self.state.try_update_value(|s| (f(s), s.take_changes()))?;
        if !changes.is_empty() {
            let schedule = self
                .unsent
                .try_update_value(|(unsent, scheduled)| {
                    unsent.merge(changes);
                    !std::mem::replace(scheduled, true)
                })
                .unwrap_or(false);
            if schedule {
                let chat = *self;
                before_next_frame(move || chat.notify());
            }
        }
        Some(out)
    }

    /// Runs `f` once `delay` after `part` changes, and no more often than that while
    /// it keeps changing: the pace for work that a busy room must not cause per
    /// message (browser storage, read marks). Browser only: the server runs no effects.
    pub fn after_changes(
        &self,
        part: Part,
        delay: std::time::Duration,
        f: impl Fn() + Copy + 'static,
    ) {
        let chat = *self;
        let scheduled = StoredValue::new(false);
        Effect::new(move |_| {
            chat.track(part);
            if !scheduled.get_value() {
                scheduled.set_value(true);
                set_timeout(
                    move || {
                        scheduled.set_value(false);
                        f();
                    },
                    delay,
                );
            }
        });
    }

    /// Notifies the readers of everything changed since the last notification.
    fn notify(&self) {
        let Some(changes) = self.unsent.try_update_value(|(unsent, scheduled)| {
            *scheduled = false;
            std::mem::take(unsent)
        }) else {
            return;
        };
        let triggers = self
            .triggers
            .try_with_value(|t| t.changed(&changes))
            .unwrap_or_default();
        for trigger in triggers {
            trigger.notify();
        }
    }
}

/// Runs `f` before the next paint; in a hidden tab (which paints nothing, and whose
/// title still shows the unread count) on the next timer; on the server at once.
fn before_next_frame(f: impl FnOnce() + 'static) {
    #[cfg(feature = "hydrate")]
    {
        if document().hidden() {
            set_timeout(f, std::time::Duration::ZERO);
        } else {
            request_animation_frame(f);
        }
    }
    #[cfg(not(feature = "hydrate"))]
    f();
}

impl Default for Chat {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    };

    use super::*;
    use crate::protocol::{
        Author, ChatMessage, ConversationInfo, ConversationKind, MessageBody, MessageId, ServerMsg,
        UserId, UserInfo,
    };

    fn ann() -> UserInfo {
        UserInfo {
            id: UserId(1),
            nickname: "Ann".into(),
            avatar: "fox".into(),
            online: true,
        }
    }

    fn ready() -> ServerMsg {
        ServerMsg::Ready {
            me: ann(),
            token: None,
            conversations: vec![ConversationInfo {
                id: ConversationId(1),
                kind: ConversationKind::Room {
                    name: "general".into(),
                    member_count: 2,
                    private: false,
                },
                last_seq: 0,
                read_seq: 0,
                unread: 0,
                mentions: 0,
                reads: vec![],
                read_count: None,
                staff: Default::default(),
                timed_out_until_ms: None,
                slow_mode_s: 0,
            }],
            rooms: vec![],
            users: vec![ann()],
            share_receipts: true,
            online_count: 1,
            admin: false,
            blocked: vec![],
        }
    }

    fn message(seq: u64) -> ServerMsg {
        ServerMsg::Message {
            message: ChatMessage::new(
                MessageId(seq as i64),
                ConversationId(1),
                seq,
                Author {
                    id: UserId(2),
                    nickname: "Bob".into(),
                    avatar: "owl".into(),
                },
                0,
                MessageBody::Text { text: "hi".into() },
                None,
            ),
        }
    }

    /// A memo over one part of the state, counting how often it is computed.
    fn counted<T: PartialEq + Send + Sync + 'static>(
        chat: Chat,
        part: Part,
        read: fn(&ChatState) -> T,
    ) -> (Memo<T>, Arc<AtomicUsize>) {
        let runs = Arc::new(AtomicUsize::new(0));
        let counter = runs.clone();
        let memo = Memo::new(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
            chat.read(part, read)
        });
        (memo, runs)
    }

    #[test]
    fn a_message_recomputes_what_shows_its_conversation_and_nothing_else() {
        let owner = Owner::new();
        owner.set();
        let chat = Chat::new();
        chat.update(|s| s.apply(ready(), 0.0));
        let (messages, message_runs) = counted(chat, Part::Messages(ConversationId(1)), |s| {
            s.conversations[&ConversationId(1)].messages().len()
        });
        let (people, people_runs) = counted(chat, Part::People, |s| s.users.len());
        let (unread, _) = counted(chat, Part::Unread, |s| s.total_unread());
        assert_eq!((messages.get(), people.get(), unread.get()), (0, 1, 0));

        for seq in 1..=3 {
            chat.update(|s| s.apply(message(seq), 0.0));
        }
        assert_eq!((messages.get(), people.get(), unread.get()), (3, 1, 3));
        assert_eq!(
            message_runs.load(Ordering::Relaxed),
            2,
            "recomputed once, when read"
        );
        assert_eq!(
            people_runs.load(Ordering::Relaxed),
            1,
            "the people were not touched"
        );

        chat.update(|s| s.apply(ServerMsg::Online { count: 2 }, 0.0));
        assert_eq!(messages.get(), 3);
        assert_eq!(message_runs.load(Ordering::Relaxed), 2);
        people.get();
        assert_eq!(people_runs.load(Ordering::Relaxed), 2);
    }
}
