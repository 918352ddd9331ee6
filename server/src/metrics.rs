//! Prometheus metrics, served as text on the HTTP port at `/metrics`.
//!
//! Counters are updated where things happen (the report handler); gauges
//! that describe the database (devices by last-seen bucket, write queue
//! depth) are read when Prometheus scrapes, so they cost nothing between
//! scrapes.

use crate::storage::{Storage, StorageError, WriterStats};
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
pub enum ReportKind {
    /// Every section read was sent.
    Full,
    /// Some sections were left out as unchanged.
    Delta,
}

#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
pub enum ReportResult {
    Stored,
    /// A replay or an older sequence: acknowledged, not stored.
    Stale,
}

#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
pub enum RejectReason {
    InvalidArgument,
    /// The write queue was full (RESOURCE_EXHAUSTED with a retry-after).
    QueueFull,
    Unauthenticated,
    Internal,
}

/// Label values in the snake case Prometheus users expect
/// (`kind="delta"`), not Rust's variant names.
macro_rules! snake_case_label {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl EncodeLabelValue for $name {
            fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
                use std::fmt::Write;
                encoder.write_str(match self { $($name::$variant => $text),+ })
            }
        }
    };
}

snake_case_label!(ReportKind { Full => "full", Delta => "delta" });
snake_case_label!(ReportResult { Stored => "stored", Stale => "stale" });
snake_case_label!(RejectReason {
    InvalidArgument => "invalid_argument",
    QueueFull => "queue_full",
    Unauthenticated => "unauthenticated",
    Internal => "internal",
});

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReportLabels {
    kind: ReportKind,
    result: ReportResult,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: ReportKind,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RejectLabels {
    reason: RejectReason,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LastSeenLabels {
    last_seen: String,
}

/// Last-seen buckets: (label, upper bound in seconds).
const LAST_SEEN_BUCKETS: [(&str, i64); 5] =
    [("1h", 3600), ("1d", 86_400), ("7d", 7 * 86_400), ("14d", 14 * 86_400), ("30d", 30 * 86_400)];

pub struct Metrics {
    registry: Registry,
    reports: Family<ReportLabels, Counter>,
    report_bytes: Family<KindLabels, Counter>,
    rejected: Family<RejectLabels, Counter>,
    ingest_seconds: Histogram,
    queue_depth: Gauge,
    write_transactions: Counter,
    devices: Family<LastSeenLabels, Gauge>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("parc");
        let reports = Family::<ReportLabels, Counter>::default();
        registry.register(
            "reports",
            "Reports received and acknowledged, by kind and result",
            reports.clone(),
        );
        let report_bytes = Family::<KindLabels, Counter>::default();
        registry.register("report_bytes", "Encoded bytes of the reports received", report_bytes.clone());
        let rejected = Family::<RejectLabels, Counter>::default();
        registry.register("reports_rejected", "Reports refused, by reason", rejected.clone());
        // 0.5 ms to ~16 s.
        let ingest_seconds = Histogram::new(exponential_buckets(0.0005, 2.0, 16));
        registry.register(
            "ingest_seconds",
            "Time from a report's arrival to its durable acknowledgement",
            ingest_seconds.clone(),
        );
        let queue_depth = Gauge::default();
        registry.register("write_queue_depth", "Write jobs waiting for the writer", queue_depth.clone());
        let write_transactions = Counter::default();
        registry.register(
            "write_transactions",
            "Write transactions committed (each holds one or more reports)",
            write_transactions.clone(),
        );
        let devices = Family::<LastSeenLabels, Gauge>::default();
        registry.register(
            "devices",
            "Live devices by when they last reported (within 1h, 1d, 7d, 14d, 30d, older, never)",
            devices.clone(),
        );
        Metrics {
            registry,
            reports,
            report_bytes,
            rejected,
            ingest_seconds,
            queue_depth,
            write_transactions,
            devices,
        }
    }

    pub fn report_acknowledged(&self, kind: ReportKind, result: ReportResult, bytes: usize, took: Duration) {
        self.reports.get_or_create(&ReportLabels { kind, result }).inc();
        self.report_bytes.get_or_create(&KindLabels { kind }).inc_by(bytes as u64);
        self.ingest_seconds.observe(took.as_secs_f64());
    }

    pub fn report_rejected(&self, reason: RejectReason) {
        self.rejected.get_or_create(&RejectLabels { reason }).inc();
    }

    /// The text exposition, with the database gauges read now.
    pub fn render(&self, storage: &Storage, writer: &WriterStats, now: i64) -> Result<String, StorageError> {
        self.queue_depth.set(i64::try_from(writer.queue_depth.load(Ordering::Relaxed)).unwrap_or(i64::MAX));
        let committed = writer.transactions.load(Ordering::Relaxed);
        self.write_transactions.inc_by(committed.saturating_sub(self.write_transactions.get()));
        let bounds: Vec<i64> = LAST_SEEN_BUCKETS.iter().map(|(_, bound)| *bound).collect();
        let counts = storage.last_seen_counts(now, &bounds)?;
        let mut previous = 0u64;
        for ((label, _), within) in LAST_SEEN_BUCKETS.iter().zip(&counts.within) {
            self.gauge_for(label).set(count(within.saturating_sub(previous)));
            previous = *within;
        }
        self.gauge_for("older").set(count(counts.live.saturating_sub(previous).saturating_sub(counts.never)));
        self.gauge_for("never").set(count(counts.never));
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        Ok(text)
    }

    fn gauge_for(&self, label: &str) -> Gauge {
        self.devices.get_or_create(&LastSeenLabels { last_seen: label.to_string() }).clone()
    }
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Shared by the HTTP handler.
pub type SharedMetrics = Arc<Metrics>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::Report;

    fn line<'a>(text: &'a str, prefix: &str) -> &'a str {
        text.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
    }

    #[test]
    fn the_exposition_counts_reports_rejections_and_devices_by_last_seen() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open(&dir.path().join("parc.db")).unwrap();
        let now = 1_796_200_000;
        let pc = crate::sim::fleet::generate(1, 1, now).remove(0).inventory;
        storage.enroll(&pc.machine_id, "PC-SEEN", "seen", now - 100).unwrap();
        storage.enroll("f".repeat(32).as_str(), "PC-NEVER", "never", now - 100).unwrap();
        storage.enroll("e".repeat(32).as_str(), "PC-OLD", "old", now - 90 * 86_400).unwrap();
        storage.record_report(Report::full("seen", 1, pc.clone(), now - 60)).unwrap();
        storage.record_report(Report::full("old", 1, pc, now - 20 * 86_400)).unwrap();
        let metrics = Metrics::new();
        metrics.report_acknowledged(ReportKind::Full, ReportResult::Stored, 14_000, Duration::from_millis(3));
        metrics.report_acknowledged(ReportKind::Delta, ReportResult::Stored, 500, Duration::from_millis(1));
        metrics.report_acknowledged(ReportKind::Delta, ReportResult::Stale, 500, Duration::from_millis(1));
        metrics.report_rejected(RejectReason::QueueFull);
        let text = metrics.render(&storage, &storage.writer_stats(), now).unwrap();

        assert_eq!(
            line(&text, "parc_reports_total{kind=\"full\",result=\"stored\"}"),
            "parc_reports_total{kind=\"full\",result=\"stored\"} 1"
        );
        assert!(text.contains("parc_reports_total{kind=\"delta\",result=\"stale\"} 1"), "{text}");
        assert!(text.contains("parc_report_bytes_total{kind=\"delta\"} 1000"), "{text}");
        assert!(text.contains("parc_reports_rejected_total{reason=\"queue_full\"} 1"), "{text}");
        assert!(text.contains("parc_ingest_seconds_count 3"), "{text}");
        assert!(text.contains("parc_ingest_seconds_bucket{le=\"0.002\"} 2"), "{text}");
        assert!(text.contains("parc_write_queue_depth 0"), "{text}");
        // Three enrollments and two reports, each in its own transaction;
        // the writer counts one just after answering its jobs.
        let transactions: u64 =
            line(&text, "parc_write_transactions_total ").rsplit(' ').next().unwrap().parse().unwrap();
        assert!((4..=5).contains(&transactions), "{transactions}");
        for (bucket, devices) in [("1h", 1), ("1d", 0), ("14d", 0), ("30d", 1), ("older", 0), ("never", 1)] {
            let expected = format!("parc_devices{{last_seen=\"{bucket}\"}} {devices}");
            assert!(text.contains(&expected), "{expected} in\n{text}");
        }
    }
}
