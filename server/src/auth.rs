//! The token check at the edges: a tower layer in front of every gRPC
//! call of FleetService, and the lookup the HTTP port shares. Which role
//! a call needs is decided by the pure [`crate::access`] table.
//!
//! Tokens are looked up by their SHA-256 and kept in a small cache for
//! [`CACHE_TTL`], so a burst of calls costs one database read. Tokens
//! revoked through the API stop working at once (the cache is emptied);
//! one revoked by hand in the database stops within the TTL.

use crate::access::{self, Actor, Refusal};
use crate::storage::Storage;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// How long a token lookup is trusted.
pub const CACHE_TTL: Duration = Duration::from_secs(30);
/// Past this many cached lookups the cache starts over: a flood of bad
/// tokens cannot grow memory.
const CACHE_LIMIT: usize = 10_000;

/// Finds who holds a token.
#[derive(Debug)]
pub struct Authenticator {
    storage: Arc<Storage>,
    cache: Mutex<HashMap<String, (Option<Actor>, Instant)>>,
}

impl Authenticator {
    pub fn new(storage: Arc<Storage>) -> Authenticator {
        Authenticator { storage, cache: Mutex::new(HashMap::new()) }
    }

    /// Who holds `secret`; `None` for an unknown or revoked token. Blocking
    /// on a cache miss (one indexed read).
    pub fn actor_blocking(&self, secret: &str) -> Option<Actor> {
        let hash = access::token_hash(secret);
        if let Some(cached) = self.cached(&hash) {
            return cached;
        }
        let now = Instant::now();
        let actor = match self.storage.token_by_hash(&hash) {
            Ok(token) => {
                token.map(|token| Actor { name: token.name, role: token.role, token_id: Some(token.id) })
            }
            Err(error) => {
                // Not cached: the next call tries the database again.
                tracing::error!(%error, "token lookup failed");
                return None;
            }
        };
        let mut cache = self.lock();
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(hash, (actor.clone(), now));
        actor
    }

    /// The cached lookup of a token hash, while it is fresh.
    fn cached(&self, hash: &str) -> Option<Option<Actor>> {
        let cache = self.lock();
        let (actor, at) = cache.get(hash)?;
        (at.elapsed() < CACHE_TTL).then(|| actor.clone())
    }

    /// Who holds `secret`: from the cache on the calling thread, else
    /// looked up off the async threads (a call per request otherwise).
    pub async fn actor(self: &Arc<Self>, secret: Option<String>) -> Option<Actor> {
        let secret = secret?;
        if let Some(cached) = self.cached(&access::token_hash(&secret)) {
            return cached;
        }
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.actor_blocking(&secret)).await.ok().flatten()
    }

    /// Forgets every cached lookup: after a token is created or revoked.
    pub fn forget_all(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Option<Actor>, Instant)>> {
        self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The token in an `Authorization: Bearer parc_...` header.
pub fn bearer(headers: &http::HeaderMap) -> Option<String> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string()).filter(|t| !t.is_empty())
}

/// The caller of a FleetService handler, put there by [`RequireToken`].
pub fn caller<T>(request: &tonic::Request<T>) -> Result<Actor, tonic::Status> {
    request
        .extensions()
        .get::<Actor>()
        .cloned()
        .ok_or_else(|| tonic::Status::unauthenticated("no caller: the token check did not run"))
}

/// A tower layer that checks the token of every FleetService call and
/// hands the caller to the handler; other services pass untouched.
#[derive(Debug, Clone)]
pub struct RequireTokenLayer {
    auth: Arc<Authenticator>,
}

impl RequireTokenLayer {
    pub fn new(auth: Arc<Authenticator>) -> RequireTokenLayer {
        RequireTokenLayer { auth }
    }
}

impl<S> tower::Layer<S> for RequireTokenLayer {
    type Service = RequireToken<S>;

    fn layer(&self, inner: S) -> RequireToken<S> {
        RequireToken { inner, auth: self.auth.clone() }
    }
}

#[derive(Debug, Clone)]
pub struct RequireToken<S> {
    inner: S,
    auth: Arc<Authenticator>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, ReqBody, ResBody> tower::Service<http::Request<ReqBody>> for RequireToken<S>
where
    S: tower::Service<http::Request<ReqBody>, Response = http::Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = http::Response<ResBody>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<ReqBody>) -> Self::Future {
        // The service that was polled ready serves this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let Some(method) = request
            .uri()
            .path()
            .strip_prefix('/')
            .and_then(|path| path.strip_prefix(access::FLEET_SERVICE))
            .and_then(|path| path.strip_prefix('/'))
            .map(str::to_string)
        else {
            return Box::pin(inner.call(request));
        };
        let auth = self.auth.clone();
        let token = bearer(request.headers());
        Box::pin(async move {
            let actor = auth.actor(token).await;
            match access::authorize(&method, actor.as_ref().map(|a| a.role)) {
                Ok(_) => {
                    if let Some(actor) = actor {
                        request.extensions_mut().insert(actor);
                    }
                    inner.call(request).await
                }
                Err(refusal) => {
                    let status = match refusal {
                        Refusal::Unauthenticated(message) => tonic::Status::unauthenticated(message),
                        Refusal::Forbidden(message) => tonic::Status::permission_denied(message),
                    };
                    tracing::info!(method, code = ?status.code(), "call refused");
                    Ok(status.into_http())
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_read_from_the_header() {
        let mut headers = http::HeaderMap::new();
        assert_eq!(bearer(&headers), None);
        headers.insert(http::header::AUTHORIZATION, "Bearer parc_abc".parse().unwrap());
        assert_eq!(bearer(&headers).as_deref(), Some("parc_abc"));
        headers.insert(http::header::AUTHORIZATION, "bearer   parc_abc ".parse().unwrap());
        assert_eq!(bearer(&headers).as_deref(), Some("parc_abc"));
        headers.insert(http::header::AUTHORIZATION, "Basic dXNlcjpwYXNz".parse().unwrap());
        assert_eq!(bearer(&headers), None);
        headers.insert(http::header::AUTHORIZATION, "Bearer ".parse().unwrap());
        assert_eq!(bearer(&headers), None);
    }
}
