//! Rates and latency percentiles of one phase of a load run.

use serde::Serialize;
use std::time::Duration;

#[derive(Debug, Default)]
pub struct Timings {
    micros: Vec<u64>,
    bytes: u64,
    busy: u64,
}

impl Timings {
    pub fn record(&mut self, took: Duration, bytes: usize, busy: u32) {
        self.micros.push(u64::try_from(took.as_micros()).unwrap_or(u64::MAX));
        self.bytes += bytes as u64;
        self.busy += u64::from(busy);
    }

    pub fn finish(mut self, name: &str, elapsed: Duration) -> Phase {
        self.micros.sort_unstable();
        let count = self.micros.len() as u64;
        let seconds = elapsed.as_secs_f64().max(1e-9);
        Phase {
            name: name.to_string(),
            count,
            seconds,
            per_second: count as f64 / seconds,
            p50_ms: percentile(&self.micros, 50.0),
            p99_ms: percentile(&self.micros, 99.0),
            mean_bytes: self.bytes.checked_div(count).unwrap_or(0),
            busy_answers: self.busy,
        }
    }
}

/// The nearest-rank percentile, in milliseconds.
pub fn percentile(sorted_micros: &[u64], percent: f64) -> f64 {
    if sorted_micros.is_empty() {
        return 0.0;
    }
    let rank = ((percent / 100.0) * sorted_micros.len() as f64).ceil() as usize;
    sorted_micros[rank.clamp(1, sorted_micros.len()) - 1] as f64 / 1000.0
}

#[derive(Debug, Clone, Serialize)]
pub struct Phase {
    pub name: String,
    pub count: u64,
    pub seconds: f64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Mean encoded request size.
    pub mean_bytes: u64,
    /// RESOURCE_EXHAUSTED answers waited out.
    pub busy_answers: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let sorted: Vec<u64> = (1..=100).map(|ms| ms * 1000).collect();
        assert_eq!(percentile(&sorted, 50.0), 50.0);
        assert_eq!(percentile(&sorted, 99.0), 99.0);
        assert_eq!(percentile(&[7000], 99.0), 7.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }

    #[test]
    fn a_phase_counts_its_rate() {
        let mut timings = Timings::default();
        for _ in 0..10 {
            timings.record(Duration::from_millis(2), 100, 1);
        }
        let phase = timings.finish("full", Duration::from_secs(2));
        assert_eq!((phase.count, phase.per_second, phase.mean_bytes, phase.busy_answers), (10, 5.0, 100, 10));
    }
}
