//! The readiness policy RPCs of `FleetService`: `GetPolicy` (what is in
//! force and where it comes from) and `SetPolicy` (admin): the file is
//! read with the policy parser (line and column in every error) before
//! anything is stored; then it is stored with its audit entry and put in
//! force at once (`crate::policy::LivePolicy`).

use super::fleet::FleetApi;
use crate::error::ServerError;
use crate::policy::{changes, PolicySource};
use parc_proto::limits::MAX_IMPORT_BYTES;
use parc_proto::pb;
use parc_readiness::Policy;
use tonic::{Request, Response, Status};

/// The longest detail an audit entry gets for a policy change.
const MAX_AUDIT_DETAIL: usize = 2_000;

impl FleetApi {
    pub(super) async fn do_get_policy(&self) -> Result<Response<pb::GetPolicyResponse>, Status> {
        let source = self.state.policy.source();
        let (source_text, set_by, set_at) = match &source {
            PolicySource::Defaults => (String::new(), String::new(), 0),
            PolicySource::File(path) => (path.display().to_string(), String::new(), 0),
            PolicySource::Stored { file, by, at } => (file.clone(), by.clone(), *at),
        };
        Ok(Response::new(pb::GetPolicyResponse {
            toml: self.state.policy.get().to_toml(),
            source: source_text,
            origin: source.origin().to_string(),
            set_by,
            set_at,
        }))
    }

    pub(super) async fn do_set_policy(
        &self,
        request: Request<pb::SetPolicyRequest>,
    ) -> Result<Response<pb::SetPolicyResponse>, Status> {
        let by = crate::auth::caller(&request)?;
        let request = request.into_inner();
        if request.toml.len() > MAX_IMPORT_BYTES {
            return Err(Status::invalid_argument(format!(
                "toml: {} bytes, more than the limit of {MAX_IMPORT_BYTES}",
                request.toml.len()
            )));
        }
        let file = match request.file_name.trim() {
            "" => "policy.toml".to_string(),
            name => name.chars().take(255).collect(),
        };
        let policy =
            Policy::from_toml(&file, &request.toml).map_err(|e| Status::invalid_argument(e.to_string()))?;
        let toml = policy.to_toml();
        let changed = changes(&self.state.policy.get(), &policy);
        if request.dry_run {
            return Ok(Response::new(pb::SetPolicyResponse { toml, changes: changed, stored: false }));
        }
        let mut detail = if changed.is_empty() { "no key changes".to_string() } else { changed.join("; ") };
        if detail.chars().count() > MAX_AUDIT_DETAIL {
            detail = format!(
                "{}… ({} keys change)",
                detail.chars().take(MAX_AUDIT_DETAIL).collect::<String>(),
                changed.len()
            );
        }
        let (state, text, name) = (self.state.clone(), request.toml, file.clone());
        self.blocking(move |storage| {
            let now = crate::now_unix();
            state.policy.change(policy, || {
                let stored = storage.set_policy(&text, &name, &detail, &by, now)?;
                Ok::<_, ServerError>(PolicySource::Stored {
                    file: stored.source,
                    by: stored.set_by,
                    at: stored.set_at,
                })
            })
        })
        .await?;
        tracing::info!(file, changes = changed.len(), "readiness policy set");
        Ok(Response::new(pb::SetPolicyResponse { toml, changes: changed, stored: true }))
    }
}
