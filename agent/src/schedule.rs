//! When to try again: pure arithmetic on durations and a random source, so
//! it is tested without waiting.

use rand::Rng;
use std::time::Duration;

/// Exponential backoff with full jitter (a uniform draw between zero and
/// the exponential ceiling), so that many agents failing together spread
/// out instead of retrying in step.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    failures: u32,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Backoff {
        Backoff { base, cap, failures: 0 }
    }

    /// The ceiling of the next delay: base × 2^failures, at most the cap.
    pub fn ceiling(&self) -> Duration {
        let factor = 1u32.checked_shl(self.failures.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// Records a failure and returns how long to wait before the next try.
    pub fn next_delay(&mut self, rng: &mut impl Rng) -> Duration {
        let ceiling = self.ceiling();
        self.failures = self.failures.saturating_add(1);
        ceiling.mul_f64(rng.random::<f64>())
    }

    /// Counts a failure that waited by other means (a server's retry-after).
    pub fn record_failure(&mut self) {
        self.failures = self.failures.saturating_add(1);
    }

    pub fn failures(&self) -> u32 {
        self.failures
    }

    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

/// The report interval, moved by up to ±10% so a fleet that booted together
/// drifts apart.
pub fn jittered(interval: Duration, rng: &mut impl Rng) -> Duration {
    interval.mul_f64(rng.random_range(0.9..=1.1))
}

/// The server's retry-after, spread over [hint, 2 × hint] so that agents
/// told the same hint do not come back together.
/// The first report's delay: uniform in `0..splay`, so that PCs switched
/// on together spread their reports.
pub fn splay(splay: Duration, rng: &mut impl rand::Rng) -> Duration {
    let millis = u64::try_from(splay.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rng.random_range(0..millis.max(1)))
}

pub fn after_busy(retry_after: Duration, rng: &mut impl rand::Rng) -> Duration {
    let spread = u64::try_from(retry_after.as_millis()).unwrap_or(u64::MAX);
    retry_after + Duration::from_millis(rng.random_range(0..=spread))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn ceiling_doubles_up_to_the_cap() {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(10));
        let mut rng = StdRng::seed_from_u64(1);
        let mut ceilings = Vec::new();
        for _ in 0..6 {
            ceilings.push(backoff.ceiling().as_secs());
            let delay = backoff.next_delay(&mut rng);
            assert!(delay <= Duration::from_secs(10));
        }
        assert_eq!(ceilings, [1, 2, 4, 8, 10, 10]);
        backoff.reset();
        assert_eq!(backoff.ceiling(), Duration::from_secs(1));
    }

    #[test]
    fn many_failures_never_overflow() {
        let mut backoff = Backoff::new(Duration::from_secs(5), Duration::from_secs(600));
        let mut rng = StdRng::seed_from_u64(2);
        for _ in 0..200 {
            assert!(backoff.next_delay(&mut rng) <= Duration::from_secs(600));
        }
    }

    #[test]
    fn full_jitter_spreads_delays_across_the_range() {
        let mut rng = StdRng::seed_from_u64(3);
        let delays: Vec<Duration> = (0..200)
            .map(|_| Backoff::new(Duration::from_secs(100), Duration::from_secs(100)).next_delay(&mut rng))
            .collect();
        assert!(delays.iter().any(|d| *d < Duration::from_secs(25)));
        assert!(delays.iter().any(|d| *d > Duration::from_secs(75)));
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        let mut rng = StdRng::seed_from_u64(4);
        for _ in 0..100 {
            let d = jittered(Duration::from_secs(3600), &mut rng);
            assert!(d >= Duration::from_secs(3240) && d <= Duration::from_secs(3960), "{d:?}");
        }
    }

    #[test]
    fn a_busy_server_is_left_alone_for_at_least_its_hint_and_at_most_twice_it() {
        let mut rng = StdRng::seed_from_u64(5);
        let hint = Duration::from_secs(8);
        let waits: Vec<Duration> = (0..500).map(|_| after_busy(hint, &mut rng)).collect();
        assert!(waits.iter().all(|w| *w >= hint && *w <= hint * 2), "{waits:?}");
        let late = waits.iter().filter(|w| **w > hint + hint / 2).count();
        assert!((150..350).contains(&late), "the spread is even: {late} of 500 in the upper half");
    }
}
