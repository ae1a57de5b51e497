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
