//! A real server on 127.0.0.1:0 with its own database file, stopped on drop.

use parc_agent::client::AgentClient;
use parc_model::Inventory;
use parc_server::access::{Actor, Role};
use parc_server::cli::{Fleet, Remote};
use parc_server::grpc::{serve, AppState};
use parc_server::storage::Storage;
use std::sync::Arc;
use std::time::Duration;

pub const SECRET: &str = "test-enroll-secret-0123";

pub struct TestServer {
    pub url: String,
    pub storage: Arc<Storage>,
    /// An admin token, made before the server started.
    pub token: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with_queue(parc_server::storage::DEFAULT_WRITE_QUEUE).await
    }

    /// A server whose write queue holds `queue` reports.
    pub async fn start_with_queue(queue: usize) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let storage = Arc::new(Storage::open_with_queue(&dir.path().join("parc.db"), queue).unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let token = make_token(&storage, "test-admin", Role::Admin);
        let state = Arc::new(AppState::new(storage.clone(), SECRET, Duration::from_secs(900)));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(serve(listener, state, async {
            let _ = stopped.await;
        }));
        TestServer { url, storage, token, stop: Some(stop), _dir: dir }
    }

    pub fn agent(&self) -> AgentClient {
        AgentClient::new(&self.url).unwrap()
    }

    /// A FleetService client with the admin token.
    pub async fn fleet(&self) -> Fleet {
        self.fleet_as(Some(&self.token))
    }

    /// A FleetService client with `token` (or none).
    pub fn fleet_as(&self, token: Option<&str>) -> Fleet {
        Remote::new(&self.url, token.map(str::to_string)).fleet().unwrap()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A small, valid inventory for one PC.
pub fn inventory(hostname: &str, machine_id: &str) -> Inventory {
    let mut pc = parc_server::sim::fleet::generate(3, 1, 1_796_200_000).remove(0).inventory;
    pc.hostname = hostname.to_string();
    pc.machine_id = machine_id.to_string();
    pc
}

/// What storage gives back for `inventory`: software in catalogue order
/// (name, version, architecture).
pub fn as_stored(inventory: &Inventory) -> Inventory {
    let mut stored = inventory.clone();
    if let Some(software) = stored.software.as_mut() {
        software.sort_by(|a, b| {
            (&a.name, &a.version, &a.architecture).cmp(&(&b.name, &b.version, &b.architecture))
        });
    }
    stored
}

/// Who the tests' direct storage writes are made by.
pub fn tester() -> Actor {
    Actor::local("test")
}

/// Makes a token with `role` straight in storage; returns its secret.
pub fn make_token(storage: &Storage, name: &str, role: Role) -> String {
    let secret = parc_server::access::new_token_secret();
    storage
        .create_token(name, role, &parc_server::access::token_hash(&secret), &tester(), 1_796_000_000)
        .unwrap();
    secret
}
