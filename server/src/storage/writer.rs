//! The one writer: a thread that owns the write connection and commits
//! many jobs per transaction (group commit).
//!
//! Jobs of a batch share one transaction, without savepoints (a savepoint
//! copies every page a job first touches, which halved ingest). When a job
//! fails, the whole batch is rolled back and each job runs again in a
//! transaction of its own, so one bad job never takes the others down; jobs
//! are therefore written to be run more than once.
//! Replies go out only after the transaction that holds the job is durable
//! (`synchronous = FULL`): an acknowledged report survives a power cut. While
//! one transaction commits, the next jobs queue up and go in the next one,
//! so the fsync cost is shared by all of them.
//!
//! Under load, a transaction begins at least [`GATHER`] after the one before
//! it: the writer waits for more jobs rather than commit every few. A commit
//! costs about the same for 5 jobs as for 50 (an fsync, the WAL frames of the
//! pages jobs share): at about 2,000 delta reports a second, the writer
//! committed some 6 reports at a time, and with 25 ms 48, which cut its CPU
//! time per report by a quarter to a third. A lone job (the last transaction held only
//! one) never waits.
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

/// Under load (the last transaction held several jobs), the least time
/// between the starts of two transactions: a report waits at most this much
/// longer, and a transaction holds what arrived meanwhile.
pub const GATHER: Duration = Duration::from_millis(25);

/// What the writer thread keeps between jobs: caches that save queries, and
/// writes the jobs of a transaction share, made once just before it commits.
/// Dropped whenever a transaction rolls back, since it may then be wrong.
pub trait WriterState: Default + Send + 'static {
    /// The transaction's shared writes; a failure rolls the transaction back.
    /// `more_waiting`: jobs are queued for the next transaction, which may
    /// then write what this one can put off.
    fn before_commit(&mut self, _connection: &Connection, _more_waiting: bool) -> Result<(), StorageError> {
        Ok(())
    }
}

/// A queued job: work that may run twice (see the module doc), then a reply.
trait Job<C>: Send {
    fn run(&mut self, connection: &Connection, cache: &mut C) -> bool;
    fn finish(self: Box<Self>, committed: Result<(), String>);
}

type Work<C> = Box<dyn Job<C>>;

struct Pending<T, F, R> {
    work: F,
    result: Option<Result<T, StorageError>>,
    reply: R,
}

impl<C, T, F, R> Job<C> for Pending<T, F, R>
where
    T: Send,
    F: FnMut(&Connection, &mut C) -> Result<T, StorageError> + Send,
    R: FnOnce(Result<T, StorageError>) + Send,
{
    /// Runs the work; true when it succeeded.
    fn run(&mut self, connection: &Connection, cache: &mut C) -> bool {
        let result = (self.work)(connection, cache);
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn finish(self: Box<Self>, committed: Result<(), String>) {
        let outcome = match committed {
            Ok(()) => self.result.unwrap_or(Err(StorageError::NotWritten)),
            Err(reason) => Err(StorageError::Commit(reason)),
        };
        (self.reply)(outcome)
    }
}

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

pub struct Writer<C: WriterState> {
    sender: Option<SyncSender<Work<C>>>,
    thread: Option<JoinHandle<()>>,
    pub stats: Arc<WriterStats>,
    capacity: usize,
}

impl<C: WriterState> Writer<C> {
    pub fn start(connection: Connection, capacity: usize) -> Writer<C> {
        Writer::start_gathering(connection, capacity, GATHER)
    }

    /// `start` with another gathering time than [`GATHER`].
    pub fn start_gathering(connection: Connection, capacity: usize, gather: Duration) -> Writer<C> {
        let (sender, receiver) = sync_channel::<Work<C>>(capacity);
        let stats = Arc::new(WriterStats::default());
        let thread_stats = stats.clone();
        let thread = std::thread::Builder::new()
            .name("parc-writer".into())
            .spawn(move || run(connection, receiver, &thread_stats, gather))
            .expect("the writer thread starts");
        Writer { sender: Some(sender), thread: Some(thread), stats, capacity }
    }

    /// Queues a job, or fails at once with `Busy` when the queue is full.
    pub fn try_submit<T: Send + 'static>(
        &self,
        work: impl FnMut(&Connection, &mut C) -> Result<T, StorageError> + Send + 'static,
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
        work: impl FnMut(&Connection, &mut C) -> Result<T, StorageError> + Send + 'static,
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

impl<C: WriterState> Drop for Writer<C> {
    fn drop(&mut self) {
        // Closing the queue lets the thread finish what is queued, then stop.
        self.sender.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn wrap<C: WriterState, T: Send + 'static>(
    work: impl FnMut(&Connection, &mut C) -> Result<T, StorageError> + Send + 'static,
    reply: impl FnOnce(Result<T, StorageError>) + Send + 'static,
) -> Work<C> {
    Box::new(Pending { work, result: None, reply })
}

fn run<C: WriterState>(
    connection: Connection,
    receiver: Receiver<Work<C>>,
    stats: &WriterStats,
    gather: Duration,
) {
    let mut cache = C::default();
    let mut last: Option<(Instant, usize)> = None;
    while let Ok(first) = receiver.recv() {
        if let Some((began, _)) = last.filter(|(_, jobs)| *jobs > 1) {
            let wait = gather.saturating_sub(began.elapsed());
            if !wait.is_zero() {
                std::thread::sleep(wait);
            }
        }
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
        last = Some((started, jobs));
        commit_batch(&connection, &mut cache, batch, &stats.queue_depth);
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
/// (or failed). When a job fails, or the shared writes or the commit of a
/// batch of several jobs fail, the batch is rolled back and every job runs
/// again alone.
fn commit_batch<C: WriterState>(
    connection: &Connection,
    cache: &mut C,
    mut batch: Vec<Work<C>>,
    queue_depth: &AtomicUsize,
) {
    if let Err(error) = connection.execute_batch("BEGIN IMMEDIATE") {
        tracing::error!(%error, "cannot begin a write transaction");
        for job in batch {
            job.finish(Err(error.to_string()));
        }
        return;
    }
    let mut all_ok = true;
    for job in batch.iter_mut() {
        all_ok &= job.run(connection, cache);
    }
    if all_ok {
        let committed = commit(connection, cache, queue_depth.load(Ordering::Relaxed) > 0);
        if committed.is_ok() || batch.len() == 1 {
            for job in batch {
                job.finish(committed.clone());
            }
            return;
        }
        // The shared writes failed (commit rolled back): alone, each job
        // gets its own answer.
    } else {
        let _ = connection.execute_batch("ROLLBACK");
        *cache = C::default();
        if let [_] = batch.as_slice() {
            // One job, failed: its own error is its answer.
            for job in batch {
                job.finish(Ok(()));
            }
            return;
        }
    }
    tracing::warn!(jobs = batch.len(), "a batch failed; running its jobs one by one");
    for mut job in batch {
        let committed = match connection.execute_batch("BEGIN IMMEDIATE") {
            Ok(()) if job.run(connection, cache) => commit(connection, cache, false),
            Ok(()) => {
                // The job's own error is its answer; its partial writes go.
                let _ = connection.execute_batch("ROLLBACK");
                *cache = C::default();
                Ok(())
            }
            Err(error) => Err(error.to_string()),
        };
        job.finish(committed);
    }
}

fn commit<C: WriterState>(connection: &Connection, cache: &mut C, more_waiting: bool) -> Result<(), String> {
    let committed = match cache.before_commit(connection, more_waiting) {
        Ok(()) => connection.execute_batch("COMMIT").map_err(|error| error.to_string()),
        Err(error) => Err(error.to_string()),
    };
    committed.map_err(|error| {
        let _ = connection.execute_batch("ROLLBACK");
        *cache = C::default();
        tracing::error!(%error, "write transaction failed; its jobs are answered with the error");
        error
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// What jobs saw of the state, as a writer's caches would.
    #[derive(Default)]
    struct Seen {
        values: Vec<i64>,
    }

    impl WriterState for Seen {}

    fn writer() -> Writer<Seen> {
        let connection = Connection::open_in_memory().unwrap();
        connection.execute_batch("CREATE TABLE t (v INTEGER NOT NULL)").unwrap();
        Writer::start(connection, 16)
    }

    /// Holds the writer thread in a job until the returned sender is
    /// dropped, so that what is queued meanwhile goes in one batch.
    fn hold<C: WriterState>(writer: &Writer<C>) -> mpsc::Sender<()> {
        let (started, wait_started) = mpsc::channel();
        let (release, released) = mpsc::channel::<()>();
        let released = std::sync::Mutex::new(Some(released));
        let _reply = writer
            .try_submit(move |_, _| {
                let _ = started.send(());
                if let Some(released) = released.lock().unwrap().take() {
                    let _ = released.recv();
                }
                Ok(())
            })
            .unwrap();
        wait_started.recv().unwrap();
        release
    }

    fn record(value: i64) -> impl FnMut(&Connection, &mut Seen) -> Result<Vec<i64>, StorageError> {
        move |db, seen| {
            db.execute("INSERT INTO t (v) VALUES (?1)", [value])?;
            seen.values.push(value);
            Ok(seen.values.clone())
        }
    }

    /// Counts transactions: jobs that see the same count share one.
    #[derive(Default)]
    struct Transactions {
        committed: u64,
    }

    impl WriterState for Transactions {
        fn before_commit(&mut self, _: &Connection, _: bool) -> Result<(), StorageError> {
            self.committed += 1;
            Ok(())
        }
    }

    #[test]
    fn under_load_a_transaction_gathers_the_jobs_that_come_meanwhile() {
        let gather = Duration::from_millis(1500);
        let writer: Writer<Transactions> =
            Writer::start_gathering(Connection::open_in_memory().unwrap(), 16, gather);
        let which = || |_: &Connection, t: &mut Transactions| Ok(t.committed);
        // One job at a time: no load, each its own transaction.
        assert_eq!(writer.submit_blocking(which()).unwrap(), 0);
        assert_eq!(writer.submit_blocking(which()).unwrap(), 1);

        // Two jobs at once (the writer busy meanwhile): load.
        let release = hold(&writer);
        let both = [writer.try_submit(which()).unwrap(), writer.try_submit(which()).unwrap()];
        drop(release);
        let both: Vec<u64> = both.into_iter().map(|r| r.blocking_recv().unwrap().unwrap()).collect();
        assert_eq!(both[0], both[1]);

        // Now a job that comes some time after another joins its transaction.
        let first = writer.try_submit(which()).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let second = writer.try_submit(which()).unwrap();
        let first = first.blocking_recv().unwrap().unwrap();
        assert_eq!(first, both[0] + 1);
        assert_eq!(second.blocking_recv().unwrap().unwrap(), first, "gathered into one transaction");
    }

    /// Records what each commit was told of the queue.
    #[derive(Default)]
    struct Waiting {
        told: Vec<bool>,
    }

    impl WriterState for Waiting {
        fn before_commit(&mut self, _: &Connection, more_waiting: bool) -> Result<(), StorageError> {
            self.told.push(more_waiting);
            Ok(())
        }
    }

    #[test]
    fn a_commit_knows_whether_jobs_wait_for_the_next_transaction() {
        let writer: Writer<Waiting> =
            Writer::start_gathering(Connection::open_in_memory().unwrap(), 16, Duration::ZERO);
        let told = || |_: &Connection, w: &mut Waiting| Ok(w.told.clone());
        assert_eq!(writer.submit_blocking(told()).unwrap(), Vec::<bool>::new());
        // A job queued while another runs: that one's commit is told.
        let release = hold(&writer);
        let queued = writer.try_submit(told()).unwrap();
        drop(release);
        assert_eq!(queued.blocking_recv().unwrap().unwrap(), vec![false, true]);
        assert_eq!(
            writer.submit_blocking(told()).unwrap(),
            vec![false, true, false],
            "nothing queued after it"
        );
    }

    #[test]
    fn a_failed_job_rolls_its_batch_back_and_the_state_with_it() {
        let writer = writer();
        let release = hold(&writer);
        let first = writer.try_submit(record(1)).unwrap();
        let failing = writer
            .try_submit(|db, seen: &mut Seen| -> Result<(), StorageError> {
                seen.values.push(99);
                db.execute("INSERT INTO t (v) VALUES (NULL)", [])?;
                Ok(())
            })
            .unwrap();
        let third = writer.try_submit(record(3)).unwrap();
        drop(release);

        // Each job ran again alone, on a state the failure had emptied: the
        // state never shows the rolled-back runs (1 and 99 twice, or 99).
        assert_eq!(first.blocking_recv().unwrap().unwrap(), vec![1]);
        assert!(failing.blocking_recv().unwrap().is_err());
        assert_eq!(third.blocking_recv().unwrap().unwrap(), vec![3], "reset after the failed job");
        let stored = writer
            .submit_blocking(|db, _| {
                let mut rows = db.prepare("SELECT v FROM t ORDER BY v")?;
                let values = rows.query_map([], |row| row.get::<_, i64>(0))?;
                Ok(values.collect::<Result<Vec<i64>, _>>()?)
            })
            .unwrap();
        assert_eq!(stored, vec![1, 3], "the good jobs committed once each");
    }

    /// A state whose shared writes fail once.
    #[derive(Default)]
    struct FailsOnce {
        values: Vec<i64>,
    }

    static FAILED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

    impl WriterState for FailsOnce {
        fn before_commit(&mut self, _: &Connection, _: bool) -> Result<(), StorageError> {
            if FAILED.swap(true, Ordering::SeqCst) {
                Ok(())
            } else {
                Err(StorageError::NotWritten)
            }
        }
    }

    #[test]
    fn a_failed_commit_drops_the_state_the_batch_built() {
        let connection = Connection::open_in_memory().unwrap();
        let writer: Writer<FailsOnce> = Writer::start(connection, 4);
        let outcome = writer.submit_blocking(|_, state: &mut FailsOnce| {
            state.values.push(1);
            Ok(())
        });
        assert!(matches!(outcome, Err(StorageError::Commit(_))), "{outcome:?}");
        let after = writer
            .submit_blocking(|_, state: &mut FailsOnce| {
                state.values.push(2);
                Ok(state.values.clone())
            })
            .unwrap();
        assert_eq!(after, vec![2], "the failed transaction's state is gone");
    }
}
