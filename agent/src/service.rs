//! `parc-agent service`: the agent as a Windows service. The Service
//! Control Manager starts it (automatic start, LocalSystem, restart on
//! failure: set by the installer); Stop and Shutdown end the wait between
//! reports at once. The loop is the one `parc-agent run` runs.
//!
//! This is the FFI edge: the SCM calls `service_main` with no way to pass
//! our options but a process-wide cell, set once before the dispatcher.

use parc_agent::runner::{run, RunOptions};
use std::ffi::OsString;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use windows_service::service::{
    ServiceAccess, ServiceAction, ServiceActionType, ServiceControl, ServiceControlAccept, ServiceExitCode,
    ServiceFailureActions, ServiceFailureResetPeriod, ServiceState, ServiceStatus, ServiceType,
};
use windows_service::service_control_handler::{self, ServiceControlHandlerResult};
use windows_service::service_manager::{ServiceManager, ServiceManagerAccess};
use windows_service::{define_windows_service, service_dispatcher};

/// The service's name, as `sc` and the installer know it.
pub const SERVICE_NAME: &str = "ParcAgent";

static OPTIONS: OnceLock<RunOptions> = OnceLock::new();

define_windows_service!(ffi_service_main, service_main);

/// Hands the process to the SCM; returns when the service has stopped.
pub fn run_as_service(options: RunOptions) -> anyhow::Result<()> {
    let _ = OPTIONS.set(options);
    service_dispatcher::start(SERVICE_NAME, ffi_service_main).map_err(|e| {
        anyhow::anyhow!("not started by the Service Control Manager ({e}): use `parc-agent run`")
    })
}

/// Sets the installed service's recovery: restart after 1 minute, then 5,
/// then 15; the count resets after a day without failure. Also on a
/// non-zero exit, not only on a crash. The MSI runs this through
/// `parc-agent configure` (wixl cannot write the failure-actions table).
pub fn set_recovery() -> anyhow::Result<()> {
    let manager = ServiceManager::local_computer(None::<&str>, ServiceManagerAccess::CONNECT)
        .map_err(|e| anyhow::anyhow!("cannot open the Service Control Manager: {e}"))?;
    let service = manager
        .open_service(SERVICE_NAME, ServiceAccess::CHANGE_CONFIG | ServiceAccess::QUERY_CONFIG)
        .map_err(|e| anyhow::anyhow!("the {SERVICE_NAME} service is not installed: {e}"))?;
    let restart = |minutes: u64| ServiceAction {
        action_type: ServiceActionType::Restart,
        delay: Duration::from_secs(60 * minutes),
    };
    service
        .update_failure_actions(ServiceFailureActions {
            reset_period: ServiceFailureResetPeriod::After(Duration::from_secs(24 * 3600)),
            reboot_msg: None,
            command: None,
            actions: Some(vec![restart(1), restart(5), restart(15)]),
        })
        .map_err(|e| anyhow::anyhow!("cannot set the service's recovery actions: {e}"))?;
    // Also when it exits with an error rather than crashing. Not fatal:
    // the restart on a crash is set (Wine, for one, refuses this flag).
    if let Err(error) = service.set_failure_actions_on_non_crash_failures(true) {
        tracing::warn!(%error, "the service restarts after a crash, not after an exit with an error");
    }
    Ok(())
}

fn service_main(_arguments: Vec<OsString>) {
    if let Err(error) = serve() {
        tracing::error!(%error, "the service failed");
    }
}

fn serve() -> windows_service::Result<()> {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let stop = Mutex::new(Some(stop));
    let status = service_control_handler::register(SERVICE_NAME, move |control| match control {
        ServiceControl::Stop | ServiceControl::Shutdown => {
            if let Some(stop) = stop.lock().unwrap_or_else(|p| p.into_inner()).take() {
                let _ = stop.send(());
            }
            ServiceControlHandlerResult::NoError
        }
        ServiceControl::Interrogate => ServiceControlHandlerResult::NoError,
        _ => ServiceControlHandlerResult::NotImplemented,
    })?;
    let report = |state: ServiceState, accepted: ServiceControlAccept, code: u32| {
        status.set_service_status(ServiceStatus {
            service_type: ServiceType::OWN_PROCESS,
            current_state: state,
            controls_accepted: accepted,
            exit_code: ServiceExitCode::Win32(code),
            checkpoint: 0,
            wait_hint: Duration::from_secs(10),
            process_id: None,
        })
    };
    report(ServiceState::Running, ServiceControlAccept::STOP | ServiceControlAccept::SHUTDOWN, 0)?;
    tracing::info!(service = SERVICE_NAME, "service running");
    let code = match (OPTIONS.get(), tokio::runtime::Builder::new_current_thread().enable_all().build()) {
        (Some(options), Ok(runtime)) => {
            let outcome = runtime.block_on(async {
                tokio::select! {
                    outcome = run(options) => Some(outcome),
                    _ = stopped => None,
                }
            });
            runtime.shutdown_timeout(Duration::from_secs(1));
            match outcome {
                Some(Err(error)) => {
                    // A non-zero code: the SCM's recovery actions restart it.
                    tracing::error!(%error, "the agent stopped on an error");
                    1
                }
                _ => 0,
            }
        }
        _ => 1,
    };
    tracing::info!(service = SERVICE_NAME, code, "service stopped");
    report(ServiceState::Stopped, ServiceControlAccept::empty(), code)
}
