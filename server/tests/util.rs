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
    task: Option<tokio::task::JoinHandle<Result<(), tonic::transport::Error>>>,
    dir: Option<tempfile::TempDir>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with_queue(parc_server::storage::DEFAULT_WRITE_QUEUE).await
    }

    /// A server whose write queue holds `queue` reports.
    pub async fn start_with_queue(queue: usize) -> TestServer {
        TestServer::start_in(tempfile::tempdir().unwrap(), queue, None).await
    }

    /// A server on `dir`'s database, started as `parc-server serve` starts:
    /// with the policy `parc policy set` stored, if any. `token`: the admin
    /// token a previous server on this database made.
    async fn start_in(dir: tempfile::TempDir, queue: usize, token: Option<String>) -> TestServer {
        let storage = Arc::new(Storage::open_with_queue(&dir.path().join("parc.db"), queue).unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let token = token.unwrap_or_else(|| make_token(&storage, "test-admin", Role::Admin));
        let (policy, source) = parc_server::policy::at_start(
            storage.stored_policy().unwrap(),
            parc_readiness::Policy::default(),
            None,
        )
        .unwrap();
        let state = Arc::new(
            AppState::new(storage.clone(), SECRET, Duration::from_secs(900)).with_policy(policy, source),
        );
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, state, async {
            let _ = stopped.await;
        }));
        TestServer { url, storage, token, stop: Some(stop), task: Some(task), dir: Some(dir) }
    }

    /// Stops this server, closes its database, and starts a new one on the
    /// same file (a new port). Clients of the old one must be dropped first.
    pub async fn restart(mut self) -> TestServer {
        let dir = self.dir.take().expect("the server owns its folder");
        let task = self.task.take().expect("the server runs");
        let token = self.token.clone();
        let storage = self.storage.clone();
        drop(self);
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("the server stops")
            .unwrap()
            .unwrap();
        // The last holder: dropping it stops the writer and frees the lock.
        drop(Arc::into_inner(storage).expect("nothing else holds the database"));
        TestServer::start_in(dir, parc_server::storage::DEFAULT_WRITE_QUEUE, Some(token)).await
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

/// A sites file imported as a planner would, through the API.
pub async fn import_sites(fleet: &mut Fleet, sites: &str) {
    fleet
        .import_sites(parc_proto::pb::ImportRequest {
            file_name: "sites.csv".into(),
            content: sites.as_bytes().to_vec(),
            dry_run: false,
        })
        .await
        .unwrap();
}
