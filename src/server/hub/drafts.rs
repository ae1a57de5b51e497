//! What a user writes, before it is stored: a text (perhaps a reply, perhaps with
//! mentions) or a change of a message (an edit, a deletion, a reaction).
//!
//! Each is checked here: the text's rules, membership, mentions of members only, and,
//! for a reply or a change, the message it names (there, a text, not deleted, and the
//! user's own for an edit or a deletion, unless a moderator removes it: see
//! [`super::permissions`]). Then it is stored like any message:
//! numbered in its conversation, acknowledged under its client id, fanned out,
//! replayed. A change applies to its message in storage and in every reader alike
//! ([`ChatMessage::apply`]).

use std::collections::HashSet;

use crate::protocol::{
    normalize_text, validate_client_id, validate_reaction, ChatMessage, ClientMsgId, Draft,
    ErrorCode, MessageBody, Quote, ServerMsg, UserId, MAX_MENTIONS,
};

use super::{internal, limits::Kind, refuse, ConnId, Origin, Refusal, State, UserRow};

/// A refusal that names the client id of the draft it refuses.
fn naming(Refusal(mut reply): Refusal, client_id: &ClientMsgId) -> Refusal {
    if let ServerMsg::Error { client_id: id, .. } = reply.as_mut() {
        *id = Some(client_id.clone());
    }
    Refusal(reply)
}

/// Whether `user` may do what `draft` does to `target` (the message it names, as
/// storage has it now); for a reply, the quote it shows.
fn check_target(
    draft: &Draft,
    user: UserId,
    target: Option<ChatMessage>,
) -> Result<Option<Box<Quote>>, Refusal> {
    let seq = draft.names().unwrap_or_default();
    let Some(target) = target else {
        return Err(refuse(
            ErrorCode::NoSuchMessage,
            format!("There is no message {seq} in this conversation."),
        ));
    };
    if !matches!(target.body, MessageBody::Text { .. }) {
        return Err(refuse(
            ErrorCode::NoSuchMessage,
            "Only messages people wrote can be answered, changed or reacted to.",
        ));
    }
    if target.deleted {
        return Err(refuse(
            ErrorCode::NoSuchMessage,
            "That message was deleted.",
        ));
    }
    match draft.body {
        MessageBody::Edited { .. } | MessageBody::Deleted { .. } if target.author.id != user => {
            Err(refuse(
                ErrorCode::NotYourMessage,
                "You can edit or delete only your own messages.",
            ))
        }
        MessageBody::Text { .. } => Ok(target.quote().map(Box::new)),
        _ => Ok(None),
    }
}

impl State {
    /// Checks a text or a change and hands it to the writer; [`State::stored`] goes on
    /// once it is committed.
    pub(super) fn send(
        &mut self,
        conn: ConnId,
        user: &UserRow,
        draft: Draft,
    ) -> Result<(), Refusal> {
        self.check_draft(user, draft)
            .and_then(|draft| self.limit_then_store(conn, user, draft))
    }

    /// The draft as it will be stored: text normalised, mentions of members only.
    fn check_draft(&self, user: &UserRow, mut draft: Draft) -> Result<Draft, Refusal> {
        validate_client_id(&draft.client_id)?;
        match &mut draft.body {
            MessageBody::Text { text } | MessageBody::Edited { text, .. } => {
                *text = normalize_text(text)?;
            }
            MessageBody::Reacted { emoji, .. } => validate_reaction(emoji)?,
            _ => {}
        }
        let mut seen = HashSet::new();
        let conversation = draft.conversation;
        draft.mentions.retain(|m| {
            *m != user.id && self.conversations.is_member(conversation, *m) && seen.insert(*m)
        });
        draft.mentions.truncate(MAX_MENTIONS);
        Ok(draft)
    }

    fn limit_then_store(
        &mut self,
        conn: ConnId,
        user: &UserRow,
        draft: Draft,
    ) -> Result<(), Refusal> {
        let limited = self
            .limit(conn, Kind::Send, user.id)
            .and_then(|()| self.hold_to_slow_mode(user.id, &draft));
        if let Err(refused) = limited {
            // Sent again because its ack was lost, it is not a new one: its ack is its
            // answer, past the limit (or the room's slow mode) too, and costs no token.
            let refused = naming(refused, &draft.client_id);
            let (store, author) = (self.store.clone(), user.id);
            let id = draft.client_id.clone();
            self.spawn_io(
                conn,
                async move { store.message_by_client_id(author, &id).await },
                move |state, found| match found {
                    Ok(Some(message)) => {
                        state.arrive(message, Origin::Client(conn, draft.client_id));
                        Ok(())
                    }
                    Ok(None) => Err(refused),
                    Err(e) => Err(naming(internal(e), &draft.client_id)),
                },
            );
            return Ok(());
        }
        let Some(target) = draft.names() else {
            return self.store_draft(conn, user, draft, None);
        };
        // A reply or a change: the message it names is read first (and the draft
        // itself, if it was stored already: its ack is its answer, whatever that
        // message has become since).
        let (store, author, conversation) = (self.store.clone(), user.id, draft.conversation);
        let id = draft.client_id.clone();
        let user = user.clone();
        self.spawn_io(
            conn,
            async move {
                if let Some(stored) = store.message_by_client_id(author, &id).await? {
                    return Ok(Err(stored));
                }
                store.message_at(conversation, target).await.map(Ok)
            },
            move |state, read| match read {
                Ok(Err(stored)) => {
                    state.arrive(stored, Origin::Client(conn, draft.client_id));
                    Ok(())
                }
                Ok(Ok(target)) => {
                    let draft = state
                        .as_removal(draft, user.id, target.as_ref())
                        .map_err(|(refused, id)| naming(refused, &id))?;
                    match check_target(&draft, user.id, target) {
                        Ok(quote) => state.store_draft(conn, &user, draft, quote),
                        Err(refused) => Err(naming(refused, &draft.client_id)),
                    }
                }
                Err(e) => Err(naming(internal(e), &draft.client_id)),
            },
        );
        Ok(())
    }

    /// A moderator's deletion of someone else's message is a removal, if they may
    /// act on its author; anyone else's stays a deletion (refused as not theirs).
    fn as_removal(
        &self,
        mut draft: Draft,
        user: UserId,
        target: Option<&ChatMessage>,
    ) -> Result<Draft, (Refusal, ClientMsgId)> {
        let (MessageBody::Deleted { target: seq }, Some(target)) = (&draft.body, target) else {
            return Ok(draft);
        };
        let conversation = draft.conversation;
        if target.author.id == user
            || !self.conversations.is_room(conversation)
            || !self.role_in(conversation, user).moderates()
        {
            return Ok(draft);
        }
        if let Err(refused) = self.may_act_on(conversation, user, target.author.id) {
            return Err((refused, draft.client_id));
        }
        draft.body = MessageBody::Removed { target: *seq };
        Ok(draft)
    }

    fn store_draft(
        &mut self,
        conn: ConnId,
        user: &UserRow,
        draft: Draft,
        reply_to: Option<Box<Quote>>,
    ) -> Result<(), Refusal> {
        let client_id = draft.client_id.clone();
        self.store_message(
            draft.conversation,
            user,
            draft.body,
            (reply_to, draft.mentions),
            Origin::Client(conn, draft.client_id),
        )
        .map_err(|refused| naming(refused, &client_id))
    }
}
