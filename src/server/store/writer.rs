//! The writer: one task owns SQLite's write connection and stores messages in groups.
//!
//! Everything queued when the previous commit ends (up to [`MAX_BATCH`] jobs) goes into
//! one `BEGIN IMMEDIATE` transaction, so a burst of messages costs one commit and one
//! WAL sync instead of one each. Sequence numbers are assigned here, in memory, by the
//! only task that writes messages; a duplicate (the same author and client id) is
//! caught by the unique index (`ON CONFLICT DO NOTHING`) and consumes no number, so
//! sequences stay gapless. Each job's completion runs after the commit, in the order
//! the jobs were queued: nothing is acknowledged before it is stored.

use std::collections::{HashMap, VecDeque};

use std::sync::Arc;

use sqlx::{sqlite::SqliteConnection, Connection};
use tokio::sync::{mpsc, Notify};

use super::{chat_message, Result, Stored, SELECT_MESSAGE};
use crate::protocol::{
    Author, ChatMessage, ClientMsgId, ConversationId, MessageBody, MessageId, Seq, UserId,
};

use super::UserRow;

/// Most jobs in one transaction.
pub const MAX_BATCH: usize = 256;

/// What to do once a message's group has committed (or failed).
pub type Completion = Box<dyn FnOnce(Result<Stored>) + Send>;

/// A write handed to the writer.
pub enum WriteJob {
    /// Store a message with the next sequence number of its conversation.
    Message {
        conversation: ConversationId,
        author: UserRow,
        body: MessageBody,
        client_id: Option<ClientMsgId>,
        at_ms: i64,
        done: Completion,
    },
    /// Everything up to `seq` was seen by `user` (never past the newest message).
    MarkRead {
        conversation: ConversationId,
        user: UserId,
        seq: Seq,
    },
    /// Record a session's last use (it expires after the idle time).
    TouchSession { token_hash: [u8; 32], at_ms: i64 },
}

/// Why a job was not queued.
#[derive(Debug, PartialEq, Eq)]
pub enum QueueError {
    /// The writer is this far behind; the caller should refuse and let the client retry.
    Full,
    /// The writer has stopped (shutdown or a dead database).
    Closed,
}

/// Handle to the writer task; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<WriteJob>,
    /// Tells the task to store what is queued, take no more, and end.
    stop: Arc<Notify>,
}

impl Writer {
    /// Starts the writer on `conn`, with room for `capacity` queued jobs.
    pub(super) fn start(
        conn: SqliteConnection,
        capacity: usize,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (jobs, rx) = mpsc::channel(capacity.max(1));
        let stop = Arc::new(Notify::new());
        let task = tokio::spawn(run(conn, rx, stop.clone()));
        (Self { jobs, stop }, task)
    }

    /// Stores what is queued, refuses anything later, and ends the task.
    pub(super) fn stop(&self) {
        self.stop.notify_one();
    }

    /// Queues a job without waiting; a full queue is refused at once.
    pub fn submit(&self, job: WriteJob) -> std::result::Result<(), QueueError> {
        self.jobs.try_send(job).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => QueueError::Full,
            mpsc::error::TrySendError::Closed(_) => QueueError::Closed,
        })
    }

    /// Stores one message and waits for its commit (for callers that may wait).
    pub async fn insert_message(
        &self,
        conversation: ConversationId,
        author: &UserRow,
        body: &MessageBody,
        client_id: Option<&ClientMsgId>,
        at_ms: i64,
    ) -> Result<Stored> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job = WriteJob::Message {
            conversation,
            author: author.clone(),
            body: body.clone(),
            client_id: client_id.cloned(),
            at_ms,
            done: Box::new(move |result| {
                let _ = tx.send(result);
            }),
        };
        self.jobs
            .send(job)
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        rx.await.map_err(|_| sqlx::Error::PoolClosed)?
    }
}

async fn run(mut conn: SqliteConnection, mut rx: mpsc::Receiver<WriteJob>, stop: Arc<Notify>) {
    let mut last_seqs: HashMap<ConversationId, Seq> = HashMap::new();
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    loop {
        let received = tokio::select! {
            received = rx.recv_many(&mut jobs, MAX_BATCH) => received,
            _ = stop.notified() => {
                // What is queued is still received (and stored) below; nothing new is.
                rx.close();
                continue;
            }
        };
        if received == 0 {
            break;
        }
        let batch: Vec<WriteJob> = std::mem::take(&mut jobs);
        let size = batch.len();
        match commit(&mut conn, &mut last_seqs, batch).await {
            Ok(done) => {
                for (completion, result) in done {
                    completion(result);
                }
            }
            Err((e, completions)) => {
                tracing::error!(error = %e, size, "a group of writes failed");
                // What this task believed of the sequences may be ahead of the database now.
                last_seqs.clear();
                for completion in completions {
                    completion(Err(sqlx::Error::Protocol(format!("not stored: {e}"))));
                }
            }
        }
    }
    if let Err(e) = conn.close().await {
        tracing::warn!(error = %e, "closing the write connection failed");
    }
}

type Done = Vec<(Completion, Result<Stored>)>;

/// Runs a group of jobs in one transaction. On failure, returns the error and the
/// completions still owed (every message of the group: none of them is stored).
async fn commit(
    conn: &mut SqliteConnection,
    last_seqs: &mut HashMap<ConversationId, Seq>,
    batch: Vec<WriteJob>,
) -> std::result::Result<Done, (sqlx::Error, Vec<Completion>)> {
    let mut done: Done = Vec::new();
    let mut pending: VecDeque<WriteJob> = batch.into();
    let outcome = async {
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        // Sequence numbers used in this group; merged into `last_seqs` after the commit.
        let mut seqs: HashMap<ConversationId, Seq> = HashMap::new();
        // The newest seq each author wrote per conversation: what you wrote is read.
        let mut authored: HashMap<(ConversationId, UserId), Seq> = HashMap::new();
        while let Some(job) = pending.pop_front() {
            match job {
                WriteJob::Message {
                    conversation,
                    author,
                    body,
                    client_id,
                    at_ms,
                    done: completion,
                } => {
                    let known = seqs.get(&conversation).or(last_seqs.get(&conversation)).copied();
                    let result = match known {
                        Some(last) => Ok(last),
                        None => last_seq(&mut tx, conversation).await,
                    };
                    let result = match result {
                        Ok(last) => {
                            insert(&mut tx, conversation, &author, body, client_id, at_ms, last + 1)
                                .await
                        }
                        Err(e) => Err(e),
                    };
                    if let Ok(stored) = &result {
                        if !stored.duplicate {
                            seqs.insert(conversation, stored.message.seq);
                            authored.insert((conversation, author.id), stored.message.seq);
                        }
                    }
                    done.push((completion, result));
                }
                WriteJob::MarkRead {
                    conversation,
                    user,
                    seq,
                } => {
                    sqlx::query(
                        "UPDATE members SET read_seq = MIN(MAX(read_seq, ?), (SELECT last_seq FROM conversations WHERE id = ?))
                         WHERE conversation_id = ? AND user_id = ?",
                    )
                    .bind(seq as i64)
                    .bind(conversation.0)
                    .bind(conversation.0)
                    .bind(user.0)
                    .execute(&mut *tx)
                    .await?;
                }
                WriteJob::TouchSession { token_hash, at_ms } => {
                    sqlx::query("UPDATE sessions SET last_seen_at = MAX(last_seen_at, ?) WHERE token_hash = ?")
                        .bind(at_ms)
                        .bind(&token_hash[..])
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        for (conversation, seq) in &seqs {
            sqlx::query("UPDATE conversations SET last_seq = ? WHERE id = ?")
                .bind(*seq as i64)
                .bind(conversation.0)
                .execute(&mut *tx)
                .await?;
        }
        for ((conversation, user), seq) in &authored {
            sqlx::query(
                "UPDATE members SET read_seq = MAX(read_seq, ?) WHERE conversation_id = ? AND user_id = ?",
            )
            .bind(*seq as i64)
            .bind(conversation.0)
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        last_seqs.extend(seqs);
        Ok::<(), sqlx::Error>(())
    }
    .await;
    match outcome {
        Ok(()) => Ok(done),
        Err(e) => {
            let mut owed: Vec<Completion> = done.into_iter().map(|(c, _)| c).collect();
            owed.extend(pending.into_iter().filter_map(|job| match job {
                WriteJob::Message { done, .. } => Some(done),
                _ => None,
            }));
            Err((e, owed))
        }
    }
}

/// The newest sequence number of a conversation as stored; an unknown conversation
/// is an error (its messages could not be stored anyway).
async fn last_seq(conn: &mut SqliteConnection, conversation: ConversationId) -> Result<Seq> {
    let last: i64 = sqlx::query_scalar("SELECT last_seq FROM conversations WHERE id = ?")
        .bind(conversation.0)
        .fetch_one(&mut *conn)
        .await?;
    Ok(last as Seq)
}

/// Inserts one message as number `seq`, or finds the one this author already sent
/// with the same client id.
async fn insert(
    conn: &mut SqliteConnection,
    conversation: ConversationId,
    author: &UserRow,
    body: MessageBody,
    client_id: Option<ClientMsgId>,
    at_ms: i64,
    seq: Seq,
) -> Result<Stored> {
    let (kind, text) = match &body {
        MessageBody::Text { text } => ("text", text.as_str()),
        MessageBody::Joined => ("joined", ""),
        MessageBody::Left => ("left", ""),
    };
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO messages (conversation_id, seq, author_id, kind, body, client_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (author_id, client_id) DO NOTHING RETURNING id",
    )
    .bind(conversation.0)
    .bind(seq as i64)
    .bind(author.id.0)
    .bind(kind)
    .bind(text)
    .bind(client_id.as_ref().map(|c| c.0.as_str()))
    .bind(at_ms)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = id {
        return Ok(Stored {
            message: ChatMessage {
                id: MessageId(id),
                conversation,
                seq,
                author: Author {
                    id: author.id,
                    nickname: author.nickname.clone(),
                    avatar: author.avatar.clone(),
                },
                sent_at_ms: at_ms,
                body,
                client_id,
            },
            duplicate: false,
        });
    }
    // Only a client id can conflict: the same message sent again.
    let row = sqlx::query(&format!(
        "{SELECT_MESSAGE} WHERE m.author_id = ? AND m.client_id = ?"
    ))
    .bind(author.id.0)
    .bind(client_id.as_ref().map(|c| c.0.as_str()))
    .fetch_one(&mut *conn)
    .await?;
    Ok(Stored {
        message: chat_message(&row),
        duplicate: true,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{temp_store, text};
    use super::*;
    use crate::protocol::GENERAL_ROOM;

    #[tokio::test]
    async fn a_group_of_messages_commits_together_with_gapless_numbers_and_in_order() {
        let (_dir, store) = temp_store().await;
        let ann = store
            .create_user("Ann", "ann", "fox", b"t1", 1)
            .await
            .unwrap();
        let (general, _) = store.ensure_room(GENERAL_ROOM, 0).await.unwrap();
        assert!(store.add_member(general, ann.id, 0).await.unwrap());
        let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        // Queued before the writer gets to them: they land in one group.
        for i in 0..50 {
            let order = order.clone();
            let client_id = (i % 10 == 9).then(|| ClientMsgId("same".into()));
            store
                .writer()
                .submit(WriteJob::Message {
                    conversation: general,
                    author: ann.clone(),
                    body: text(&i.to_string()),
                    client_id,
                    at_ms: i,
                    done: Box::new(move |r| {
                        let stored = r.unwrap();
                        order
                            .lock()
                            .unwrap()
                            .push((stored.message.seq, stored.duplicate));
                    }),
                })
                .unwrap();
        }
        // One more, waited for: every completion before it has run.
        let last = store
            .writer()
            .insert_message(general, &ann, &text("last"), None, 99)
            .await
            .unwrap();
        let order = order.lock().unwrap().clone();
        assert_eq!(order.len(), 50);
        // 46 stored (the repeated client id counts once), numbered 1..=46 in queue order.
        let fresh: Vec<Seq> = order
            .iter()
            .filter(|(_, dup)| !dup)
            .map(|(s, _)| *s)
            .collect();
        assert_eq!(fresh, (1..=46).collect::<Vec<_>>());
        assert_eq!(order.iter().filter(|(_, dup)| *dup).count(), 4);
        assert_eq!(last.message.seq, 47);
        let (page, _) = store.history(general, None, 100).await.unwrap();
        assert_eq!(page.len(), 47);
        let stored = store.conversations().await.unwrap();
        let general_row = stored.iter().find(|c| c.id == general).unwrap();
        assert_eq!(general_row.last_seq, 47);
        // What the author wrote counts as read by them.
        assert_eq!(general_row.members, vec![(ann.id, 47)]);
    }
}
