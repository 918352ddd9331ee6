//! parc-server: ingest of agent reports, storage on embedded SQLite, and the
//! fleet API; plus the `parc` command line (in [`cli`]) and the fleet
//! simulator ([`sim`]) that the demo and the load tests drive.
//!
//! I/O lives at the edges: [`grpc`] (the wire), [`http`] and [`web`] (the
//! HTTP port: metrics and the dashboard), [`storage`] (the
//! database). Handlers are thin: they validate through `parc_proto::convert`,
//! call storage on a blocking thread and map errors through [`error`].

pub mod access;
pub mod auth;
pub mod cli;
pub mod config;
pub mod error;
pub mod grpc;
pub mod http;
pub mod http_auth;
pub mod identity;
pub mod metrics;
pub mod policy;
pub mod readiness;
pub mod search;
pub mod sim;
pub mod storage;
pub mod summary;
pub mod tls;
pub mod waves;
pub mod web;

/// Seconds since the Unix epoch. The one place the server reads the clock.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Logs to stderr, `RUST_LOG` choosing the level (`default` otherwise),
/// with colours only on a terminal.
pub fn init_logging(default: &str) {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

/// Completes on Ctrl-C, or on SIGTERM (how systemd stops a service). The
/// handlers are installed by this call, not when the future is first
/// polled: a SIGTERM that comes in between (right after the server said it
/// listens) would otherwise kill the process before it shuts down cleanly.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{signal, SignalKind};
        signal(SignalKind::terminate()).ok().zip(signal(SignalKind::interrupt()).ok())
    };
    async move {
        #[cfg(unix)]
        if let Some((mut term, mut interrupt)) = signals {
            tokio::select! {
                _ = term.recv() => {}
                _ = interrupt.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Threads for blocking work (storage calls, page rendering). They wait on
/// the one reader connection or the one writer, so more do not go faster;
/// tokio's default of 512 let 256 agents enrolling at once start 400
/// threads, each with its own allocator heap: the server's peak RSS then
/// ranged from 260 to 306 MiB at 20,000 devices, and 130 MiB with 16.
pub const BLOCKING_THREADS: usize = 16;

/// Runs a binary's async main on a multi-threaded runtime and turns the
/// outcome into the exit code: the error is printed as one line on stderr.
pub fn block_on_main<E: std::fmt::Display>(
    main: impl std::future::Future<Output = Result<(), E>>,
    exit_code: impl FnOnce(&E) -> std::process::ExitCode,
) -> std::process::ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(BLOCKING_THREADS)
        .build();
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(main) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            exit_code(&error)
        }
    }
}

#[cfg(all(test, unix))]
mod shutdown_signal_tests {
    /// Without the handler in place when `shutdown_signal` returns, this
    /// SIGTERM would end the test process itself.
    #[tokio::test]
    async fn a_sigterm_before_the_first_poll_is_caught_not_fatal() {
        let shutdown = super::shutdown_signal();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &std::process::id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success());
        tokio::time::timeout(std::time::Duration::from_secs(60), shutdown)
            .await
            .expect("the SIGTERM completes the future");
    }
}
