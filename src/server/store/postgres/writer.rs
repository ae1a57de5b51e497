//! The PostgreSQL writer: one task per server stores its messages in groups.
//!
//! A group (everything queued when the previous one ends, up to [`MAX_BATCH`] jobs)
//! is one transaction: it locks its conversations' rows in id order (`FOR UPDATE`:
//! another server's group on the same conversation waits, and two groups never wait
//! on each other in a cycle), reads their last numbers, answers client ids already
//! stored as duplicates, numbers the rest in queue order and inserts them with one
//! statement. A client id stored by another server between the read and the insert
//! (the same message sent again through two servers at once) makes the group start
//! over, and then it is a duplicate: numbers never skip. Read marks and session
//! touches queued with a group run before it as statements of their own, so they
//! hold no lock that a group could wait for.

use std::{collections::HashMap, sync::Arc};

use sqlx::{PgConnection, PgPool};
use tokio::sync::{mpsc, oneshot, Notify};

use super::super::{
    next_group, not_stored, searchable, split_group, MessageRow, NewMessage, QueueError, Result,
    Stored, WriteJob, MAX_BATCH,
};
use crate::protocol::{ChatMessage, ConversationId, MessageBody, MessageId, Seq, UserId};
use crate::server::supervise::spawn_essential;

/// Times a group starts over because another server stored one of its client ids.
const ATTEMPTS: usize = 3;

/// What the writer's queue holds.
enum Job {
    Write(WriteJob),
    /// Answered once everything queued before it is done (readiness).
    Flush(oneshot::Sender<()>),
}

/// Handle to the writer task; cheap to clone.
#[derive(Clone)]
pub(super) struct Writer {
    jobs: mpsc::Sender<Job>,
    stop: Arc<Notify>,
}

impl Writer {
    pub(super) fn start(pool: PgPool, capacity: usize) -> (Self, tokio::task::JoinHandle<()>) {
        let (jobs, rx) = mpsc::channel(capacity.max(1));
        let stop = Arc::new(Notify::new());
        let task = spawn_essential("storage writer", run(pool, rx, stop.clone()));
        (Self { jobs, stop }, task)
    }

    /// Stores what is queued, refuses anything later, and ends the task.
    pub(super) fn stop(&self) {
        self.stop.notify_one();
    }

    pub(super) fn submit(&self, job: WriteJob) -> std::result::Result<(), QueueError> {
        self.jobs.try_send(Job::Write(job)).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => QueueError::Full,
            mpsc::error::TrySendError::Closed(_) => QueueError::Closed,
        })
    }

    /// Waits until everything queued so far is done: the writer is moving.
    pub(super) async fn flush(&self) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Job::Flush(tx))
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        rx.await.map_err(|_| sqlx::Error::PoolClosed)
    }
}

async fn run(pool: PgPool, mut rx: mpsc::Receiver<Job>, stop: Arc<Notify>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    loop {
        let received = next_group(&mut rx, &stop, &mut jobs).await;
        if received == 0 {
            break;
        }
        let mut flushes = Vec::new();
        let mut writes = Vec::with_capacity(received);
        for job in jobs.drain(..) {
            match job {
                Job::Write(write) => writes.push(write),
                Job::Flush(answer) => flushes.push(answer),
            }
        }
        let (messages, completions, others) = split_group(writes, WriteJob::part);
        for job in others {
            // A read mark or a session's last use is a hint: a failure is logged only.
            if let Err(e) = other_write(&pool, job).await {
                tracing::warn!(error = %e, "a read mark or session touch failed");
            }
        }
        if !messages.is_empty() {
            let size = messages.len();
            match store_group(&pool, &messages).await {
                Ok(results) => {
                    for (done, result) in completions.into_iter().zip(results) {
                        done(result);
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, size, "a group of messages failed");
                    for done in completions {
                        done(Err(not_stored(&e)));
                    }
                }
            }
        }
        for answer in flushes {
            let _ = answer.send(());
        }
    }
}

/// Stores a group of messages in one transaction, starting over (a few times) if
/// another server stored one of its client ids meanwhile.
async fn store_group(pool: &PgPool, messages: &[NewMessage]) -> Result<Vec<Result<Stored>>> {
    for _ in 0..ATTEMPTS {
        let mut tx = pool.begin().await?;
        if let Some(results) = try_group(&mut tx, messages).await? {
            tx.commit().await?;
            return Ok(results);
        }
        tx.rollback().await?;
    }
    Err(sqlx::Error::Protocol(
        "client ids kept being stored by another server".into(),
    ))
}

/// What becomes of one message of the group.
enum Plan {
    /// Inserted with this number.
    Insert(Seq),
    /// Stored before (by anyone, on any server).
    Stored(Box<ChatMessage>),
    /// Repeats the client id of the group's message at this index.
    Repeats(usize),
    /// Its conversation does not exist.
    Nowhere,
}

/// One attempt: `None` if a client id turned out to be stored meanwhile.
async fn try_group(
    conn: &mut PgConnection,
    messages: &[NewMessage],
) -> Result<Option<Vec<Result<Stored>>>> {
    let mut ids: Vec<i64> = messages.iter().map(|m| m.conversation.0).collect();
    ids.sort_unstable();
    ids.dedup();
    let locked: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT id, last_seq FROM conversations WHERE id = ANY($1) ORDER BY id FOR UPDATE",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    let mut last: HashMap<ConversationId, Seq> = locked
        .into_iter()
        .map(|(id, seq)| (ConversationId(id), seq as Seq))
        .collect();

    // Client ids already stored: answered with what was stored.
    let (authors, keys): (Vec<i64>, Vec<String>) = messages
        .iter()
        .filter_map(|m| Some((m.author.id.0, m.client_id.as_ref()?.0.clone())))
        .unzip();
    let mut stored: HashMap<(UserId, String), ChatMessage> = HashMap::new();
    if !authors.is_empty() {
        let rows: Vec<MessageRow> = sqlx::query_as(&format!(
            "{} WHERE (m.author_id, m.client_id) IN (SELECT * FROM unnest($1::bigint[], $2::text[]))",
            super::super::SELECT_MESSAGE
        ))
        .bind(&authors)
        .bind(&keys)
        .fetch_all(&mut *conn)
        .await?;
        for row in rows {
            let m = ChatMessage::from(row);
            if let Some(key) = &m.client_id {
                stored.insert((m.author.id, key.0.clone()), m.clone());
            }
        }
    }

    // Number the rest in queue order.
    let mut first_of: HashMap<(UserId, &str), usize> = HashMap::new();
    let mut plans = Vec::with_capacity(messages.len());
    for (i, m) in messages.iter().enumerate() {
        let key = m.client_id.as_ref().map(|c| (m.author.id, c.0.as_str()));
        let plan = if let Some(found) = key.and_then(|(a, k)| stored.get(&(a, k.to_string()))) {
            Plan::Stored(Box::new(found.clone()))
        } else if let Some(&first) = key.and_then(|k| first_of.get(&k)) {
            Plan::Repeats(first)
        } else if let Some(seq) = last.get_mut(&m.conversation) {
            *seq += 1;
            if let Some(k) = key {
                first_of.insert(k, i);
            }
            Plan::Insert(*seq)
        } else {
            Plan::Nowhere
        };
        plans.push(plan);
    }

    let inserts: Vec<(&NewMessage, Seq)> = messages
        .iter()
        .zip(&plans)
        .filter_map(|(m, p)| match p {
            Plan::Insert(seq) => Some((m, *seq)),
            _ => None,
        })
        .collect();
    let Some(new_ids) = insert_all(conn, &inserts).await? else {
        return Ok(None);
    };

    if !inserts.is_empty() {
        let (conversations, seqs): (Vec<i64>, Vec<i64>) =
            last.iter().map(|(c, s)| (c.0, *s as i64)).unzip();
        sqlx::query(
            "UPDATE conversations SET last_seq = v.seq
             FROM unnest($1::bigint[], $2::bigint[]) AS v(id, seq)
             WHERE conversations.id = v.id AND conversations.last_seq < v.seq",
        )
        .bind(&conversations)
        .bind(&seqs)
        .execute(&mut *conn)
        .await?;
        // What you wrote yourself is read.
        let mut authored: HashMap<(i64, i64), i64> = HashMap::new();
        for (m, seq) in &inserts {
            authored.insert((m.conversation.0, m.author.id.0), *seq as i64);
        }
        let mut columns: (Vec<i64>, Vec<i64>, Vec<i64>) = Default::default();
        for ((c, u), s) in authored {
            columns.0.push(c);
            columns.1.push(u);
            columns.2.push(s);
        }
        sqlx::query(
            "UPDATE members SET read_seq = v.seq
             FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS v(c, u, seq)
             WHERE conversation_id = v.c AND user_id = v.u AND read_seq < v.seq",
        )
        .bind(&columns.0)
        .bind(&columns.1)
        .bind(&columns.2)
        .execute(&mut *conn)
        .await?;
    }

    let mut new_ids = new_ids.into_iter();
    let mut results: Vec<Result<Stored>> = Vec::with_capacity(messages.len());
    for (m, plan) in messages.iter().zip(plans) {
        let result = match plan {
            Plan::Insert(seq) => match new_ids.next() {
                Some(id) => Ok(Stored {
                    message: m.stored_as(MessageId(id), seq),
                    duplicate: false,
                }),
                None => Err(sqlx::Error::Protocol("a stored message has no id".into())),
            },
            Plan::Stored(message) => Ok(Stored {
                message: *message,
                duplicate: true,
            }),
            Plan::Repeats(first) => match &results[first] {
                Ok(s) => Ok(Stored {
                    message: s.message.clone(),
                    duplicate: true,
                }),
                Err(e) => Err(not_stored(e)),
            },
            Plan::Nowhere => Err(sqlx::Error::RowNotFound),
        };
        results.push(result);
    }

    // Changes into the messages they change; new texts into the search index.
    let mut texts: (Vec<i64>, Vec<String>) = Default::default();
    for stored in results.iter().flatten().filter(|s| !s.duplicate) {
        let m = &stored.message;
        match &m.body {
            MessageBody::Text { text } => {
                texts.0.push(m.id.0);
                texts.1.push(searchable(text).into_owned());
            }
            MessageBody::Joined | MessageBody::Left | MessageBody::Kicked | MessageBody::Banned => {
            }
            _ => super::same::apply_change(&mut *conn, m).await?,
        }
    }
    if !texts.0.is_empty() {
        sqlx::query(super::SEARCH_INSERT_MANY)
            .bind(&texts.0)
            .bind(&texts.1)
            .execute(&mut *conn)
            .await?;
    }
    Ok(Some(results))
}

/// The messages of one insert, a column each (bound as arrays and `unnest`ed).
#[derive(Default)]
struct Columns<'a> {
    conversation: Vec<i64>,
    seq: Vec<i64>,
    author: Vec<i64>,
    kind: Vec<&'static str>,
    body: Vec<std::borrow::Cow<'a, str>>,
    client_id: Vec<Option<&'a str>>,
    at_ms: Vec<i64>,
    target: Vec<Option<i64>>,
    mentions: Vec<String>,
}

/// Inserts the numbered messages with one statement; their ids in the same order, or
/// `None` if one of their client ids was stored by another server meanwhile.
async fn insert_all(
    conn: &mut PgConnection,
    inserts: &[(&NewMessage, Seq)],
) -> Result<Option<Vec<i64>>> {
    if inserts.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let mut columns = Columns::default();
    for (m, seq) in inserts {
        let stored = m.columns();
        columns.conversation.push(m.conversation.0);
        columns.seq.push(*seq as i64);
        columns.author.push(m.author.id.0);
        columns.kind.push(stored.kind);
        columns.body.push(stored.body);
        columns
            .client_id
            .push(m.client_id.as_ref().map(|c| c.0.as_str()));
        columns.at_ms.push(m.at_ms);
        columns.target.push(stored.target);
        columns.mentions.push(m.mentions());
    }
    let bodies: Vec<&str> = columns.body.iter().map(|b| b.as_ref()).collect();
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
        "INSERT INTO messages (conversation_id, seq, author_id, kind, body, client_id, created_at,
            target_seq, mentions)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[],
                              $6::text[], $7::bigint[], $8::bigint[], $9::text[])
         ON CONFLICT (author_id, client_id) DO NOTHING
         RETURNING conversation_id, seq, id",
    )
    .bind(&columns.conversation)
    .bind(&columns.seq)
    .bind(&columns.author)
    .bind(&columns.kind)
    .bind(&bodies)
    .bind(&columns.client_id)
    .bind(&columns.at_ms)
    .bind(&columns.target)
    .bind(&columns.mentions)
    .fetch_all(&mut *conn)
    .await?;
    if rows.len() != inserts.len() {
        return Ok(None);
    }
    let ids: HashMap<(i64, i64), i64> = rows.into_iter().map(|(c, s, id)| ((c, s), id)).collect();
    Ok(inserts
        .iter()
        .map(|(m, seq)| ids.get(&(m.conversation.0, *seq as i64)).copied())
        .collect())
}

/// A read mark or a session touch, on its own (autocommit).
async fn other_write(pool: &PgPool, job: WriteJob) -> Result<()> {
    let mut conn = pool.acquire().await?;
    match job {
        WriteJob::Message { .. } => Ok(()),
        WriteJob::MarkRead {
            conversation,
            user,
            seq,
            at_ms,
        } => super::same::mark_read(&mut conn, conversation, user, seq, at_ms).await,
        WriteJob::TouchSession { token_hash, at_ms } => {
            super::same::touch_session(&mut conn, &token_hash, at_ms).await
        }
        WriteJob::TouchSessions {
            token_hashes,
            at_ms,
        } => {
            for token_hash in token_hashes {
                super::same::touch_session(&mut conn, &token_hash, at_ms).await?;
            }
            Ok(())
        }
    }
}
