//! Messages as both backends read them: the row a history page, a replay or a search
//! selects, turned into a [`ChatMessage`] with its quote, and the reactions of a page.

use crate::protocol::{
    snippet, Author, ChatMessage, ClientMsgId, ConversationId, MessageBody, MessageId, Quote,
    Reaction, Reactor, Seq, UserId,
};

/// A message row as both backends select it ([`SELECT_MESSAGE`]).
#[derive(sqlx::FromRow)]
pub(super) struct MessageRow {
    pub(super) id: i64,
    pub(super) conversation_id: i64,
    pub(super) seq: i64,
    pub(super) author_id: i64,
    pub(super) nickname: String,
    pub(super) avatar: String,
    pub(super) created_at: i64,
    pub(super) kind: String,
    pub(super) body: String,
    pub(super) client_id: Option<String>,
    pub(super) target_seq: Option<i64>,
    pub(super) mentions: String,
    pub(super) edited_at: Option<i64>,
    pub(super) deleted_at: Option<i64>,
    pub(super) removed_by: Option<i64>,
    pub(super) revision: i64,
    /// The message a text answers, as it is now.
    pub(super) quote_author: Option<i64>,
    pub(super) quote_nickname: Option<String>,
    pub(super) quote_body: Option<String>,
    pub(super) quote_deleted_at: Option<i64>,
}

/// The columns of [`MessageRow`]; each backend adds its `WHERE` (`$n` parameters).
pub(super) const SELECT_MESSAGE: &str =
    "SELECT m.id, m.conversation_id, m.seq, m.author_id, u.nickname,
        u.avatar, m.created_at, m.kind, m.body, m.client_id, m.target_seq, m.mentions,
        m.edited_at, m.deleted_at, m.removed_by, m.revision, q.author_id AS quote_author,
        qu.nickname AS quote_nickname, q.body AS quote_body, q.deleted_at AS quote_deleted_at
    FROM messages m JOIN users u ON u.id = m.author_id
    LEFT JOIN messages q ON m.kind = 'text' AND q.conversation_id = m.conversation_id
        AND q.seq = m.target_seq
    LEFT JOIN users qu ON qu.id = q.author_id";

/// The kinds a history page shows (changes are already in the messages they change).
pub(super) const SHOWN_KINDS: &str = "m.kind IN ('text', 'joined', 'left', 'kicked', 'banned')";

impl From<MessageRow> for ChatMessage {
    fn from(row: MessageRow) -> Self {
        let target = row.target_seq.unwrap_or_default() as Seq;
        let body = match row.kind.as_str() {
            "joined" => MessageBody::Joined,
            "left" => MessageBody::Left,
            "kicked" => MessageBody::Kicked,
            "banned" => MessageBody::Banned,
            "removed" => MessageBody::Removed { target },
            "edited" => MessageBody::Edited {
                target,
                text: row.body,
            },
            "deleted" => MessageBody::Deleted { target },
            "reacted" => {
                let (on, emoji) = match row.body.strip_prefix('-') {
                    Some(emoji) => (false, emoji),
                    None => (true, row.body.strip_prefix('+').unwrap_or(&row.body)),
                };
                MessageBody::Reacted {
                    target,
                    emoji: emoji.to_string(),
                    on,
                }
            }
            _ => MessageBody::Text { text: row.body },
        };
        let mut message = ChatMessage::new(
            MessageId(row.id),
            ConversationId(row.conversation_id),
            row.seq as Seq,
            Author {
                id: UserId(row.author_id),
                nickname: row.nickname,
                avatar: row.avatar,
            },
            row.created_at,
            body,
            row.client_id.map(ClientMsgId),
        );
        message.mentions = parse_mentions(&row.mentions);
        message.edited_at_ms = row.edited_at;
        message.deleted = row.deleted_at.is_some();
        message.removed = row.removed_by.is_some();
        message.revision = row.revision as Seq;
        if let (Some(author), Some(nickname), Some(body)) =
            (row.quote_author, row.quote_nickname, row.quote_body)
        {
            message.reply_to = Some(Box::new(Quote {
                seq: target,
                author: UserId(author),
                nickname,
                snippet: snippet(&body),
                deleted: row.quote_deleted_at.is_some(),
            }));
        }
        message
    }
}

/// Who reacted with what to a message (each backend's `REACTIONS_OF`).
#[derive(sqlx::FromRow)]
pub(super) struct ReactionRow {
    pub(super) message_id: i64,
    pub(super) emoji: String,
    pub(super) user_id: i64,
    pub(super) nickname: String,
}

/// The reactions of the messages whose ids `$1` lists (in the backend's list form,
/// `message_ids`), by message, each in the order they were made: one statement for a
/// page or a replay, however many of its messages have reactions.
macro_rules! reactions_of {
    ($in_list:literal) => {
        concat!(
            "SELECT r.message_id, r.emoji, r.user_id, u.nickname FROM reactions r
            JOIN users u ON u.id = r.user_id WHERE r.message_id ",
            $in_list,
            " ORDER BY r.message_id, r.seq"
        )
    };
}
pub(super) use reactions_of;

/// Groups a message's reaction rows by emoji, in the order each emoji came first.
pub(super) fn reactions(rows: Vec<ReactionRow>) -> Vec<Reaction> {
    let mut out: Vec<Reaction> = Vec::new();
    for row in rows {
        let reactor = Reactor {
            id: UserId(row.user_id),
            nickname: row.nickname,
        };
        match out.iter_mut().find(|r| r.emoji == row.emoji) {
            Some(r) => r.users.push(reactor),
            None => out.push(Reaction {
                emoji: row.emoji,
                users: vec![reactor],
            }),
        }
    }
    out
}

/// Whether a message may have reactions to read (a text that was changed, not deleted).
pub(super) fn may_have_reactions(m: &ChatMessage) -> bool {
    m.revision > 0 && !m.deleted && matches!(m.body, MessageBody::Text { .. })
}

/// The mentions column: ids separated by spaces.
pub(super) fn mentions_column(mentions: &[UserId]) -> String {
    let ids: Vec<String> = mentions.iter().map(|u| u.0.to_string()).collect();
    ids.join(" ")
}

pub(super) fn parse_mentions(column: &str) -> Vec<UserId> {
    column
        .split_ascii_whitespace()
        .filter_map(|id| id.parse().ok().map(UserId))
        .collect()
}
