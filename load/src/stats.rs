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

    pub fn finish(mut self, name: &str, elapsed: Duration, cpu: CpuUse) -> Phase {
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
            server_cpu_ms_per_report: cpu.server.map(|ms| ms / count.max(1) as f64),
            writer_cpu_ms_per_report: cpu.writer.map(|ms| ms / count.max(1) as f64),
            load_cpu_ms_per_report: cpu.load / count.max(1) as f64,
        }
    }
}

/// CPU time spent during a phase, in milliseconds.
#[derive(Debug, Default, Clone, Copy)]
pub struct CpuUse {
    /// The server under load, when it runs on this machine.
    pub server: Option<f64>,
    /// Of it, parc-server's writer thread (none in the no-op server).
    pub writer: Option<f64>,
    /// This load tool.
    pub load: f64,
}

/// Reads the CPU time of processes at the start of a phase; `elapsed`
/// gives what each used since. Linux only (`/proc`); elsewhere zero.
#[derive(Debug, Clone, Copy)]
pub struct CpuClock {
    server: Option<(u32, f64)>,
    writer: Option<(u32, u32, f64)>,
    load: f64,
}

impl CpuClock {
    pub fn start(server_pid: Option<u32>) -> CpuClock {
        let writer = server_pid.and_then(|pid| {
            let tid = thread_named(pid, WRITER_THREAD)?;
            Some((pid, tid, cpu_ms(&format!("{pid}/task/{tid}"))?))
        });
        CpuClock {
            server: server_pid.map(|pid| (pid, cpu_ms(&pid.to_string()).unwrap_or(0.0))),
            writer,
            load: cpu_ms("self").unwrap_or(0.0),
        }
    }

    pub fn elapsed(&self) -> CpuUse {
        CpuUse {
            server: self.server.map(|(pid, at)| cpu_ms(&pid.to_string()).unwrap_or(at) - at),
            writer: self.writer.map(|(pid, tid, at)| cpu_ms(&format!("{pid}/task/{tid}")).unwrap_or(at) - at),
            load: cpu_ms("self").unwrap_or(self.load) - self.load,
        }
    }
}

/// parc-server's writer thread: the one that runs every write job.
const WRITER_THREAD: &str = "parc-writer";

/// The id of a process's thread by name, from `/proc/PID/task/*/comm`.
fn thread_named(pid: u32, name: &str) -> Option<u32> {
    std::fs::read_dir(format!("/proc/{pid}/task")).ok()?.flatten().find_map(|task| {
        let comm = std::fs::read_to_string(task.path().join("comm")).ok()?;
        (comm.trim_end() == name).then(|| task.file_name().to_str()?.parse().ok())?
    })
}

/// User plus system time of a process (or of a thread, `PID/task/TID`),
/// from `/proc/PID/stat`.
fn cpu_ms(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_cpu_ms(&stat, USER_HZ)
}

/// Clock ticks per second of `/proc` times: 100 on every Linux the
/// benchmark runs on.
const USER_HZ: f64 = 100.0;

fn parse_cpu_ms(stat: &str, ticks_per_second: f64) -> Option<f64> {
    // The command name (field 2) may hold spaces: count from its ")".
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // Fields 14 and 15 of the line, utime and stime, are the 12th and 13th
    // after the command name.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) * 1000.0 / ticks_per_second)
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
    /// CPU the server used per report in this phase, when measured.
    pub server_cpu_ms_per_report: Option<f64>,
    /// Of it, the writer thread's (parc-server only).
    pub writer_cpu_ms_per_report: Option<f64>,
    /// CPU the load tool itself used per report: it shares the machine.
    pub load_cpu_ms_per_report: f64,
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
        let cpu = CpuUse { server: Some(30.0), writer: Some(20.0), load: 5.0 };
        let phase = timings.finish("full", Duration::from_secs(2), cpu);
        assert_eq!((phase.server_cpu_ms_per_report, phase.load_cpu_ms_per_report), (Some(3.0), 0.5));
        assert_eq!(phase.writer_cpu_ms_per_report, Some(2.0));
        assert_eq!((phase.count, phase.per_second, phase.mean_bytes, phase.busy_answers), (10, 5.0, 100, 10));
    }

    #[test]
    fn cpu_time_is_read_past_a_command_name_with_spaces() {
        let stat = "4242 (tokio rt) S 1 4242 4242 0 -1 4194560 5000 0 0 0 250 75 0 0 20 0 9 0 100 0 0";
        assert_eq!(parse_cpu_ms(stat, 100.0), Some(3250.0));
        assert_eq!(parse_cpu_ms("garbage", 100.0), None);
        assert!(cpu_ms("self").is_some_and(|ms| ms >= 0.0));
    }

    #[test]
    fn a_thread_is_found_by_its_name_and_timed() {
        let (named, found) = std::sync::mpsc::channel();
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(WRITER_THREAD.into())
            .spawn(move || {
                named.send(()).unwrap();
                let _ = stopped.recv();
            })
            .unwrap();
        found.recv().unwrap();
        let pid = std::process::id();
        let clock = CpuClock::start(Some(pid));
        let tid = clock.writer.map(|(_, tid, _)| tid).expect("the named thread is found");
        assert_ne!(tid, pid, "a thread, not the process");
        assert!(clock.elapsed().writer.is_some_and(|ms| ms >= 0.0));
        assert_eq!(thread_named(pid, "no-such-thread"), None);
        drop(stop);
        thread.join().unwrap();
    }
}
