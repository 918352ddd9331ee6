//! Drives simulated PCs through the real gRPC path: each one enrolls and
//! reports with the agent's own client code, many at a time.

use super::fleet::SimPc;
use parc_agent::client::{AgentClient, ClientError};
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// What a simulation run achieved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DriveSummary {
    pub reported: usize,
    pub failed: usize,
    /// The first failure, to show the user.
    pub first_error: Option<String>,
}

/// Enrolls and reports every PC once, `concurrency` at a time.
pub async fn drive(
    server_url: &str,
    enroll_secret: &str,
    pcs: Vec<SimPc>,
    concurrency: usize,
) -> Result<DriveSummary, ClientError> {
    let client = AgentClient::new(server_url)?;
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let secret: Arc<str> = Arc::from(enroll_secret);
    let mut tasks = JoinSet::new();
    for pc in pcs {
        let client = client.clone();
        let secret = secret.clone();
        let permits = permits.clone();
        tasks.spawn(async move {
            let _permit =
                permits.acquire_owned().await.map_err(|e| ClientError::Unavailable(e.to_string()))?;
            let (_, node_key) =
                client.enroll(&secret, &pc.inventory.machine_id, &pc.inventory.hostname).await?;
            let mut sequence = 1;
            loop {
                match client.report(&node_key, sequence, &pc.inventory, &Default::default()).await {
                    // A busy server says when to come back; the simulated
                    // agent obeys like the real one.
                    Err(ClientError::Busy { retry_after, .. }) => {
                        tokio::time::sleep(retry_after).await;
                        sequence += 1;
                    }
                    other => return other,
                }
            }
        });
    }
    let mut summary = DriveSummary::default();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Ok(_)) => summary.reported += 1,
            Ok(Err(error)) => {
                summary.failed += 1;
                summary.first_error.get_or_insert_with(|| error.to_string());
            }
            Err(join_error) => {
                summary.failed += 1;
                summary.first_error.get_or_insert_with(|| join_error.to_string());
            }
        }
    }
    Ok(summary)
}
