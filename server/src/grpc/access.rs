//! Tokens and the audit log over gRPC (admin only, but `WhoAmI`). The
//! wire forms of `Role`, `Token` and `AuditEntry` live here: they are the
//! server's own types, which `parc-proto` cannot see.

use super::fleet::FleetApi;
use crate::access::{self, Role};
use crate::error::ServerError;
use crate::storage::{AuditEntry, AuditQuery, Token};
use parc_proto::pb;
use tonic::{Request, Response, Status};

/// Most audit entries one call returns.
pub const MAX_AUDIT_ENTRIES: u32 = 10_000;
const DEFAULT_AUDIT_ENTRIES: u32 = 1_000;

pub fn role_to_wire(role: Role) -> i32 {
    match role {
        Role::Viewer => pb::Role::Viewer as i32,
        Role::Planner => pb::Role::Planner as i32,
        Role::Admin => pb::Role::Admin as i32,
    }
}

pub fn role_from_wire(field: &str, role: i32) -> Result<Role, Status> {
    match pb::Role::try_from(role) {
        Ok(pb::Role::Viewer) => Ok(Role::Viewer),
        Ok(pb::Role::Planner) => Ok(Role::Planner),
        Ok(pb::Role::Admin) => Ok(Role::Admin),
        _ => Err(Status::invalid_argument(format!("{field}: give viewer, planner or admin"))),
    }
}

pub fn token_to_wire(token: &Token) -> pb::TokenInfo {
    pb::TokenInfo {
        id: token.id,
        name: token.name.clone(),
        role: role_to_wire(token.role),
        created_at: token.created_at,
        created_by: token.created_by.clone(),
        revoked_at: token.revoked_at.unwrap_or(0),
    }
}

pub fn audit_to_wire(entry: &AuditEntry) -> pb::AuditEntry {
    pb::AuditEntry {
        id: entry.id,
        at: entry.at,
        actor: entry.actor.clone(),
        role: role_to_wire(entry.role),
        action: entry.action.clone(),
        target: entry.target.clone(),
        detail: entry.detail.clone(),
    }
}

impl FleetApi {
    pub(super) async fn do_create_token(
        &self,
        request: Request<pb::CreateTokenRequest>,
    ) -> Result<Response<pb::CreateTokenResponse>, Status> {
        let by = crate::auth::caller(&request)?;
        let request = request.into_inner();
        let name = access::check_token_name(&request.name).map_err(Status::invalid_argument)?;
        let role = role_from_wire("role", request.role)?;
        let secret = access::new_token_secret();
        let hash = access::token_hash(&secret);
        let token = self
            .blocking(move |storage| Ok(storage.create_token(&name, role, &hash, &by, crate::now_unix())?))
            .await?;
        self.state.auth.forget_all();
        tracing::info!(token = token.id, name = %token.name, role = %token.role, "token created");
        Ok(Response::new(pb::CreateTokenResponse { token: Some(token_to_wire(&token)), secret }))
    }

    pub(super) async fn do_list_tokens(
        &self,
        request: Request<pb::ListTokensRequest>,
    ) -> Result<Response<pb::ListTokensResponse>, Status> {
        let include_revoked = request.into_inner().include_revoked;
        let tokens = self.blocking(move |storage| Ok(storage.tokens(include_revoked)?)).await?;
        Ok(Response::new(pb::ListTokensResponse { tokens: tokens.iter().map(token_to_wire).collect() }))
    }

    pub(super) async fn do_revoke_token(
        &self,
        request: Request<pb::RevokeTokenRequest>,
    ) -> Result<Response<pb::RevokeTokenResponse>, Status> {
        let by = crate::auth::caller(&request)?;
        let wanted = request.into_inner().token.trim().to_string();
        if wanted.is_empty() {
            return Err(Status::invalid_argument("token: give a token id or name"));
        }
        let token = self
            .blocking(move |storage| {
                storage
                    .revoke_token(&wanted, &by, crate::now_unix())?
                    .ok_or_else(|| ServerError::NotFound(format!("no live token with id or name {wanted:?}")))
            })
            .await?;
        self.state.auth.forget_all();
        tracing::info!(token = token.id, name = %token.name, "token revoked");
        Ok(Response::new(pb::RevokeTokenResponse { token: Some(token_to_wire(&token)) }))
    }

    pub(super) async fn do_list_audit(
        &self,
        request: Request<pb::ListAuditRequest>,
    ) -> Result<Response<pb::ListAuditResponse>, Status> {
        let request = request.into_inner();
        if request.limit > MAX_AUDIT_ENTRIES {
            return Err(Status::invalid_argument(format!(
                "limit: {} is more than {MAX_AUDIT_ENTRIES}",
                request.limit
            )));
        }
        let query = AuditQuery {
            since: (request.since > 0).then_some(request.since),
            action_prefix: Some(request.action_prefix.trim().to_string()).filter(|p| !p.is_empty()),
            limit: if request.limit == 0 { DEFAULT_AUDIT_ENTRIES } else { request.limit },
        };
        let entries = self.blocking(move |storage| Ok(storage.audit_log(&query)?)).await?;
        Ok(Response::new(pb::ListAuditResponse { entries: entries.iter().map(audit_to_wire).collect() }))
    }

    pub(super) async fn do_who_am_i(
        &self,
        request: Request<pb::WhoAmIRequest>,
    ) -> Result<Response<pb::TokenInfo>, Status> {
        let actor = crate::auth::caller(&request)?;
        let Some(id) = actor.token_id else {
            return Err(Status::unauthenticated("no token"));
        };
        let token = self
            .blocking(move |storage| {
                storage
                    .tokens(false)?
                    .into_iter()
                    .find(|t| t.id == id)
                    .ok_or_else(|| ServerError::NotFound("this token was revoked".into()))
            })
            .await?;
        Ok(Response::new(token_to_wire(&token)))
    }
}
