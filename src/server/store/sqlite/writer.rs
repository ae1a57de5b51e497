//! The SQLite writer: one task owns the write connection and stores messages in groups.
//!
//! Everything queued when the previous commit ends (up to [`MAX_BATCH`] jobs) goes into
//! one `BEGIN IMMEDIATE` transaction, so a burst of messages costs one commit and one
//! WAL sync instead of one each. Sequence numbers are assigned here, in memory, by the
//! only task that writes messages (so one server per database file); a duplicate (the
//! same author and client id) is caught by the unique index (`ON CONFLICT DO
//! NOTHING`) and consumes no number, so sequences stay gapless. Each job's completion
//! runs after the commit, in the order the jobs were queued: nothing is acknowledged
//! before it is stored.

use std::collections::HashMap;

use std::sync::Arc;

use futures::future::BoxFuture;
use sqlx::{sqlite::SqliteConnection, Connection};
use tokio::sync::{mpsc, Notify};

use super::super::{
    next_group, not_stored, searchable, split_group, sql, Completion, MessageRow, NewMessage, Part,
    QueueError, Result, Stored, WriteJob, MAX_BATCH,
};
use crate::protocol::{ChatMessage, ConversationId, MessageBody, MessageId, Seq, UserId};
use crate::server::supervise::spawn_essential;

/// What the writer's queue holds: a write of the seam's, or any other write of this
/// backend's, run inside the group's transaction (see [`Writer::run`]).
enum Job {
    Write(WriteJob),
    Run(Work),
}

/// A write of [`Job::Run`]: runs on the write connection and returns what to do
/// once the group's commit is known (`None`: committed; `Some`: why it failed).
pub type Work = Box<dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Finish> + Send>;

/// Tells a [`Job::Run`]'s caller how its write ended.
pub type Finish = Box<dyn FnOnce(Option<&sqlx::Error>) + Send>;

/// Handle to the writer task; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
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
        let task = spawn_essential("storage writer", run(conn, rx, stop.clone()));
        (Self { jobs, stop }, task)
    }

    /// Stores what is queued, refuses anything later, and ends the task.
    pub(super) fn stop(&self) {
        self.stop.notify_one();
    }

    /// Queues a job without waiting; a full queue is refused at once.
    pub fn submit(&self, job: WriteJob) -> std::result::Result<(), QueueError> {
        self.jobs.try_send(Job::Write(job)).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => QueueError::Full,
            mpsc::error::TrySendError::Closed(_) => QueueError::Closed,
        })
    }

    /// Runs `work` on the write connection in the next group's transaction, and
    /// answers with its result once that group has committed. Its statements run
    /// after the group's messages; its failure is its own (a statement that fails
    /// does not undo the group).
    pub async fn run<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T>> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Work = Box::new(move |conn| {
            Box::pin(async move {
                let result = work(conn).await;
                let finish: Finish = Box::new(move |failed| {
                    let _ = tx.send(match failed {
                        None => result,
                        Some(e) => Err(not_stored(e)),
                    });
                });
                finish
            })
        });
        self.jobs
            .send(Job::Run(job))
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        rx.await.map_err(|_| sqlx::Error::PoolClosed)?
    }
}

async fn run(mut conn: SqliteConnection, mut rx: mpsc::Receiver<Job>, stop: Arc<Notify>) {
    let mut last_seqs: HashMap<ConversationId, Seq> = HashMap::new();
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    // Texts stored and acknowledged, not yet in the search index.
    let mut unindexed: Vec<(i64, String)> = Vec::new();
    loop {
        let received = next_group(&mut rx, &stop, &mut jobs).await;
        if received == 0 {
            break;
        }
        let batch: Vec<Job> = std::mem::take(&mut jobs);
        let size = batch.len();
        let mut finishes = Vec::new();
        match commit(&mut conn, &mut last_seqs, batch, &mut finishes).await {
            Ok((done, texts)) => {
                for finish in finishes {
                    finish(None);
                }
                for (completion, result) in done {
                    completion(result);
                }
                unindexed.extend(texts);
                index(&mut conn, &mut unindexed).await;
            }
            Err((e, completions)) => {
                tracing::error!(error = %e, size, "a group of writes failed");
                // What this task believed of the sequences may be ahead of the database now.
                last_seqs.clear();
                for finish in finishes {
                    finish(Some(&e));
                }
                for completion in completions {
                    completion(Err(not_stored(&e)));
                }
            }
        }
    }
    if let Err(e) = conn.close().await {
        tracing::warn!(error = %e, "closing the write connection failed");
    }
}

type Done = Vec<(Completion, Result<Stored>)>;

/// Puts texts into the search index, after their group's commit and answers: search
/// may lag a few milliseconds, a message's ack does not wait for the index. Texts
/// not indexed (the statement failed) are tried again after the next group; after a
/// crash they are the newest stored, and indexed at the next start
/// (`index_unsearched`).
async fn index(conn: &mut SqliteConnection, texts: &mut Vec<(i64, String)>) {
    if texts.is_empty() {
        return;
    }
    match add_to_index(conn, texts).await {
        Ok(()) => texts.clear(),
        Err(e) => tracing::warn!(error = %e, texts = texts.len(), "texts not indexed yet"),
    }
}

/// Puts `(message id, text as searchable made it)` pairs into the search index, in
/// one statement.
pub(super) async fn add_to_index(
    conn: &mut SqliteConnection,
    texts: &[(i64, String)],
) -> Result<()> {
    sqlx::query(
        "INSERT INTO message_search (rowid, body) SELECT value ->> 0, value ->> 1 FROM json_each(?)",
    )
    .bind(json(&texts)?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Runs a group of jobs in one transaction. On failure, returns the error and the
/// completions still owed (every message of the group: none of them is stored).
async fn commit(
    conn: &mut SqliteConnection,
    last_seqs: &mut HashMap<ConversationId, Seq>,
    batch: Vec<Job>,
    finishes: &mut Vec<Finish>,
) -> std::result::Result<(Done, Vec<(i64, String)>), (sqlx::Error, Vec<Completion>)> {
    let (messages, completions, others) = split_group(batch, |job| match job {
        Job::Write(write) => write.part().map_other(Job::Write),
        run => Part::Other(run),
    });
    let outcome = async {
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        // The newest number of each conversation of the group, as far as it has got.
        let mut seqs = known_seqs(&mut tx, last_seqs, &messages).await?;
        let results = match insert_group(&mut tx, &messages, &mut seqs).await? {
            Some(stored) => stored.into_iter().map(Ok).collect(),
            // A repeated client id or a failing message: each goes on its own.
            None => insert_one_by_one(&mut tx, messages, &mut seqs).await,
        };
        // What you wrote yourself is read.
        let mut authored: HashMap<(ConversationId, UserId), Seq> = HashMap::new();
        let mut texts = Vec::new();
        for stored in results.iter().flatten().filter(|s| !s.duplicate) {
            let m = &stored.message;
            authored.insert((m.conversation, m.author.id), m.seq);
            match &m.body {
                MessageBody::Text { text } => texts.push((m.id.0, searchable(text).into_owned())),
                MessageBody::Joined
                | MessageBody::Left
                | MessageBody::Kicked
                | MessageBody::Banned => {}
                _ => super::same::apply_change(&mut tx, m).await?,
            }
        }
        if !authored.is_empty() {
            let pairs: Vec<[i64; 2]> = seqs.iter().map(|(c, s)| [c.0, *s as i64]).collect();
            sqlx::query(
                "UPDATE conversations SET last_seq = value ->> 1
                 FROM json_each(?) WHERE conversations.id = value ->> 0 AND last_seq < value ->> 1",
            )
            .bind(json(&pairs)?)
            .execute(&mut *tx)
            .await?;
            let triples: Vec<[i64; 3]> = authored
                .iter()
                .map(|((c, u), s)| [c.0, u.0, *s as i64])
                .collect();
            sqlx::query(
                "UPDATE members SET read_seq = MAX(read_seq, value ->> 2)
                 FROM json_each(?) WHERE conversation_id = value ->> 0 AND user_id = value ->> 1",
            )
            .bind(json(&triples)?)
            .execute(&mut *tx)
            .await?;
        }
        for job in others {
            match other_write(&mut tx, job).await {
                Ok(Some(finish)) => finishes.push(finish),
                Ok(None) => {}
                // A read mark or a session's last use is a hint: it does not undo the group.
                Err(e) => tracing::warn!(error = %e, "a read mark or session touch failed"),
            }
        }
        tx.commit().await?;
        last_seqs.extend(seqs);
        Ok::<_, sqlx::Error>((results, texts))
    }
    .await;
    match outcome {
        Ok((results, texts)) => Ok((completions.into_iter().zip(results).collect(), texts)),
        Err(e) => Err((e, completions)),
    }
}

fn json(value: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

/// The newest stored number of each conversation in `messages`: from memory, or (for
/// conversations not written since start) in one query. Unknown conversations are left out.
async fn known_seqs(
    conn: &mut SqliteConnection,
    last_seqs: &HashMap<ConversationId, Seq>,
    messages: &[NewMessage],
) -> Result<HashMap<ConversationId, Seq>> {
    let mut seqs = HashMap::new();
    let mut unknown = Vec::new();
    for m in messages {
        match last_seqs.get(&m.conversation) {
            Some(last) => {
                seqs.insert(m.conversation, *last);
            }
            None => unknown.push(m.conversation.0),
        }
    }
    if !unknown.is_empty() {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT id, last_seq FROM conversations WHERE id IN (SELECT value FROM json_each(?))",
        )
        .bind(json(&unknown)?)
        .fetch_all(&mut *conn)
        .await?;
        seqs.extend(
            rows.into_iter()
                .map(|(id, last)| (ConversationId(id), last as Seq)),
        );
    }
    Ok(seqs)
}

/// Stores every message of the group with one statement, numbered in the order
/// queued. `None` (and nothing stored) if any of them conflicts or fails.
async fn insert_group(
    conn: &mut SqliteConnection,
    messages: &[NewMessage],
    seqs: &mut HashMap<ConversationId, Seq>,
) -> Result<Option<Vec<Stored>>> {
    if messages.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let mut next = seqs.clone();
    let mut rows = Vec::with_capacity(messages.len());
    let mut numbers = Vec::with_capacity(messages.len());
    for m in messages {
        let Some(last) = next.get_mut(&m.conversation) else {
            return Ok(None); // an unknown conversation: its message fails on its own
        };
        *last += 1;
        numbers.push(*last);
        let columns = m.columns();
        rows.push(serde_json::json!([
            m.conversation.0,
            *last as i64,
            m.author.id.0,
            columns.kind,
            columns.body,
            m.client_id.as_ref().map(|c| c.0.as_str()),
            m.at_ms,
            columns.target,
            m.mentions()
        ]));
    }
    sqlx::query("SAVEPOINT grouped").execute(&mut *conn).await?;
    let inserted: std::result::Result<Vec<(i64, i64, i64)>, sqlx::Error> = sqlx::query_as(
        "INSERT INTO messages (conversation_id, seq, author_id, kind, body, client_id, created_at,
            target_seq, mentions)
         SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5,
            value ->> 6, value ->> 7, value ->> 8
         FROM json_each(?) WHERE true
         ON CONFLICT (author_id, client_id) DO NOTHING RETURNING conversation_id, seq, id",
    )
    .bind(json(&rows)?)
    .fetch_all(&mut *conn)
    .await;
    let ids: HashMap<(i64, i64), i64> = match inserted {
        Ok(inserted) if inserted.len() == messages.len() => inserted
            .into_iter()
            .map(|(c, s, id)| ((c, s), id))
            .collect(),
        _ => {
            sqlx::query("ROLLBACK TO grouped; RELEASE grouped")
                .execute(&mut *conn)
                .await?;
            return Ok(None);
        }
    };
    sqlx::query("RELEASE grouped").execute(&mut *conn).await?;
    let mut stored = Vec::with_capacity(messages.len());
    for (m, seq) in messages.iter().zip(numbers) {
        let Some(id) = ids.get(&(m.conversation.0, seq as i64)) else {
            return Err(sqlx::Error::Protocol("a stored message has no id".into()));
        };
        stored.push(Stored {
            message: m.stored_as(MessageId(*id), seq),
            duplicate: false,
        });
    }
    *seqs = next;
    Ok(Some(stored))
}

/// The slow path: each message on its own, so that a repeated client id finds its
/// earlier message and a failing one fails alone.
async fn insert_one_by_one(
    conn: &mut SqliteConnection,
    messages: Vec<NewMessage>,
    seqs: &mut HashMap<ConversationId, Seq>,
) -> Vec<Result<Stored>> {
    let mut results = Vec::with_capacity(messages.len());
    for m in messages {
        let result = match seqs.get(&m.conversation) {
            Some(last) => insert(conn, &m, last + 1).await,
            // Not in storage: nothing can be stored in it.
            None => Err(sqlx::Error::RowNotFound),
        };
        if let Ok(stored) = &result {
            if !stored.duplicate {
                seqs.insert(m.conversation, stored.message.seq);
            }
        }
        results.push(result);
    }
    results
}

/// Runs a job other than a message; a [`Job::Run`] gives back its [`Finish`].
async fn other_write(conn: &mut SqliteConnection, job: Job) -> Result<Option<Finish>> {
    match job {
        Job::Run(work) => return Ok(Some(work(conn).await)),
        Job::Write(WriteJob::Message { .. }) => {}
        Job::Write(WriteJob::MarkRead {
            conversation,
            user,
            seq,
            at_ms,
        }) => super::same::mark_read(conn, conversation, user, seq, at_ms).await?,
        Job::Write(WriteJob::TouchSession { token_hash, at_ms }) => {
            super::same::touch_session(conn, &token_hash, at_ms).await?
        }
        Job::Write(WriteJob::TouchSessions {
            token_hashes,
            at_ms,
        }) => {
            for token_hash in token_hashes {
                super::same::touch_session(conn, &token_hash, at_ms).await?;
            }
        }
    }
    Ok(None)
}

/// Inserts one message as number `seq`, or finds the one this author already sent
/// with the same client id.
async fn insert(conn: &mut SqliteConnection, m: &NewMessage, seq: Seq) -> Result<Stored> {
    let columns = m.columns();
    let client_id = m.client_id.as_ref().map(|c| c.0.as_str());
    let id: Option<i64> = sqlx::query_scalar(sql::INSERT_MESSAGE)
        .bind(m.conversation.0)
        .bind(seq as i64)
        .bind(m.author.id.0)
        .bind(columns.kind)
        .bind(columns.body.as_ref())
        .bind(client_id)
        .bind(m.at_ms)
        .bind(columns.target)
        .bind(m.mentions())
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(id) = id {
        return Ok(Stored {
            message: m.stored_as(MessageId(id), seq),
            duplicate: false,
        });
    }
    // Only a client id can conflict: the same message sent again.
    let row: MessageRow = sqlx::query_as(&sql::message_by_client_id())
        .bind(m.author.id.0)
        .bind(client_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(Stored {
        message: ChatMessage::from(row),
        duplicate: true,
    })
}
