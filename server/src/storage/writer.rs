//! The one writer: a thread that owns the write connection and commits
//! many jobs per transaction (group commit).
//!
//! Every job runs in its own savepoint, so one failing job rolls back alone.
//! Replies go out only after the transaction that holds the job is durable
//! (`synchronous = FULL`): an acknowledged report survives a power cut. While
//! one transaction commits, the next jobs queue up and go in the next one,
//! so the fsync cost is shared by all of them.
//!
//! The queue is bounded. When it is full, `try_submit` fails at once with
//! the depth and a retry-after hint, and the caller tells the agent to come
//! back later: a boot storm costs memory for a bounded queue, not for every
//! connected agent.

use super::StorageError;
use rusqlite::Connection;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Most jobs in one transaction: bounds a transaction's size and the wait
/// of its first job.
const MAX_BATCH: usize = 512;

/// What the writer thread keeps between jobs: caches that save queries.
/// Dropped whenever a transaction rolls back, since it may then be wrong.
pub trait WriterCache: Default + Send + 'static {}

type Work<C> = Box<dyn FnOnce(&Connection, &mut C) -> Box<dyn FnOnce(Result<(), String>) + Send> + Send>;

/// Figures the metrics endpoint reads.
#[derive(Debug, Default)]
pub struct WriterStats {
    /// Jobs waiting, not yet in a transaction.
    pub queue_depth: AtomicUsize,
    pub transactions: AtomicU64,
    pub jobs: AtomicU64,
    /// Mean time a job takes, in microseconds, smoothed.
    pub job_micros: AtomicU64,
}

pub struct Writer<C: WriterCache> {
    sender: Option<SyncSender<Work<C>>>,
    thread: Option<JoinHandle<()>>,
    pub stats: Arc<WriterStats>,
    capacity: usize,
}

impl<C: WriterCache> Writer<C> {
    pub fn start(connection: Connection, capacity: usize) -> Writer<C> {
        let (sender, receiver) = sync_channel::<Work<C>>(capacity);
        let stats = Arc::new(WriterStats::default());
        let thread_stats = stats.clone();
        let thread = std::thread::Builder::new()
            .name("parc-writer".into())
            .spawn(move || run(connection, receiver, &thread_stats))
            .expect("the writer thread starts");
        Writer { sender: Some(sender), thread: Some(thread), stats, capacity }
    }

    /// Queues a job, or fails at once with `Busy` when the queue is full.
    pub fn try_submit<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection, &mut C) -> Result<T, StorageError> + Send + 'static,
    ) -> Result<oneshot::Receiver<Result<T, StorageError>>, StorageError> {
        let (reply, receiver) = oneshot::channel();
        let job = wrap(work, move |result| {
            // The caller may have gone (a cancelled RPC): nothing to do then.
            let _ = reply.send(result);
        });
        let sender = self.sender.as_ref().ok_or(StorageError::Closed)?;
        self.stats.queue_depth.fetch_add(1, Ordering::Relaxed);
        match sender.try_send(job) {
            Ok(()) => Ok(receiver),
            Err(TrySendError::Full(_)) => {
                self.stats.queue_depth.fetch_sub(1, Ordering::Relaxed);
                Err(StorageError::Busy { queue_depth: self.capacity, retry_after: self.retry_after() })
            }
            Err(TrySendError::Disconnected(_)) => {
                self.stats.queue_depth.fetch_sub(1, Ordering::Relaxed);
                Err(StorageError::Closed)
            }
        }
    }

    /// Queues a job, waiting for room, and waits for its durable result.
    /// For callers that are not async (the CLI, tests, `spawn_blocking`).
    pub fn submit_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection, &mut C) -> Result<T, StorageError> + Send + 'static,
    ) -> Result<T, StorageError> {
        let (reply, receiver) = std::sync::mpsc::sync_channel(1);
        let job = wrap(work, move |result| {
            let _ = reply.send(result);
        });
        let sender = self.sender.as_ref().ok_or(StorageError::Closed)?;
        self.stats.queue_depth.fetch_add(1, Ordering::Relaxed);
        if sender.send(job).is_err() {
            self.stats.queue_depth.fetch_sub(1, Ordering::Relaxed);
            return Err(StorageError::Closed);
        }
        receiver.recv().map_err(|_| StorageError::NotWritten)?
    }

    /// How long a full queue takes to drain, from the recent cost of a job:
    /// what an agent told to come back should wait, at least a second.
    pub fn retry_after(&self) -> Duration {
        let micros = self.stats.job_micros.load(Ordering::Relaxed).max(200);
        let drain = Duration::from_micros(micros.saturating_mul(self.capacity as u64));
        drain.clamp(Duration::from_secs(1), Duration::from_secs(60))
    }
}

impl<C: WriterCache> Drop for Writer<C> {
    fn drop(&mut self) {
        // Closing the queue lets the thread finish what is queued, then stop.
        self.sender.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A job that runs `work` in a savepoint and hands its result to `reply`
/// once the transaction is committed (or failed).
fn wrap<C: WriterCache, T: Send + 'static>(
    work: impl FnOnce(&Connection, &mut C) -> Result<T, StorageError> + Send + 'static,
    reply: impl FnOnce(Result<T, StorageError>) + Send + 'static,
) -> Work<C> {
    Box::new(move |connection, cache| {
        let result = run_in_savepoint(connection, cache, work);
        Box::new(move |committed: Result<(), String>| {
            reply(match committed {
                Ok(()) => result,
                Err(reason) => Err(StorageError::Commit(reason)),
            })
        })
    })
}

fn run_in_savepoint<C: WriterCache, T>(
    connection: &Connection,
    cache: &mut C,
    work: impl FnOnce(&Connection, &mut C) -> Result<T, StorageError>,
) -> Result<T, StorageError> {
    connection.execute_batch("SAVEPOINT job")?;
    match work(connection, cache) {
        Ok(value) => {
            connection.execute_batch("RELEASE job")?;
            Ok(value)
        }
        Err(error) => {
            connection.execute_batch("ROLLBACK TO job; RELEASE job")?;
            *cache = C::default();
            Err(error)
        }
    }
}

fn run<C: WriterCache>(connection: Connection, receiver: Receiver<Work<C>>, stats: &WriterStats) {
    let mut cache = C::default();
    while let Ok(first) = receiver.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        stats.queue_depth.fetch_sub(batch.len(), Ordering::Relaxed);
        let started = Instant::now();
        let jobs = batch.len();
        commit_batch(&connection, &mut cache, batch);
        let elapsed = started.elapsed();
        stats.transactions.fetch_add(1, Ordering::Relaxed);
        stats.jobs.fetch_add(jobs as u64, Ordering::Relaxed);
        let per_job = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX) / jobs as u64;
        let smoothed = stats.job_micros.load(Ordering::Relaxed);
        let smoothed = if smoothed == 0 { per_job } else { (smoothed * 7 + per_job) / 8 };
        stats.job_micros.store(smoothed, Ordering::Relaxed);
        tracing::debug!(jobs, elapsed_ms = elapsed.as_millis() as u64, "write transaction committed");
    }
}

/// Runs a batch in one transaction and sends every reply once it is durable
/// (or failed).
fn commit_batch<C: WriterCache>(connection: &Connection, cache: &mut C, batch: Vec<Work<C>>) {
    let jobs = batch.len();
    if let Err(error) = connection.execute_batch("BEGIN IMMEDIATE") {
        let reason = error.to_string();
        tracing::error!(%reason, "cannot begin a write transaction");
        // Run nothing: each caller's reply channel closes, which it reads
        // as "not written".
        drop(batch);
        return;
    }
    let finishers: Vec<_> = batch.into_iter().map(|job| job(connection, cache)).collect();
    let committed = connection.execute_batch("COMMIT").map_err(|error| {
        let _ = connection.execute_batch("ROLLBACK");
        *cache = C::default();
        tracing::error!(%error, jobs, "write transaction failed; its jobs are answered with the error");
        error.to_string()
    });
    for finish in finishers {
        finish(committed.clone());
    }
}
