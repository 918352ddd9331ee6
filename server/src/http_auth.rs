//! The token check of the HTTP port, and signing in to the dashboard.
//!
//! Scripts (Prometheus, curl) send `Authorization: Bearer TOKEN`; people
//! sign in once on `/login` with their token, which the browser then keeps
//! in an HttpOnly, SameSite=Strict cookie. Which role a path needs is the
//! pure [`crate::access::required_http_role`].

use crate::access::{self, Actor};
use crate::grpc::AppState;
use crate::web::layout::escape;
use axum::extract::{Form, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::sync::Arc;

/// The cookie that holds a signed-in person's token.
pub const SESSION_COOKIE: &str = "parc_session";
/// How long a browser keeps the sign-in: a working day and a half.
const SESSION_SECONDS: u64 = 36 * 3600;

/// The token a request carries: its bearer header, else the session cookie.
pub fn request_token(headers: &HeaderMap) -> Option<String> {
    crate::auth::bearer(headers).or_else(|| session_cookie(headers))
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == SESSION_COOKIE && !value.is_empty()).then(|| value.to_string())
        })
}

/// Middleware: lets a request through when its token's role is enough for
/// the path, with the caller in the request's extensions. A browser
/// without a session is sent to the sign-in page; a script gets 401.
pub async fn require_token(State(state): State<Arc<AppState>>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let Some(needed) = access::required_http_role(&path) else {
        return next.run(request).await;
    };
    let token = request_token(request.headers());
    let has_token = token.is_some();
    match state.auth.actor(token).await {
        Some(actor) if actor.role.allows(needed) => {
            request.extensions_mut().insert(actor);
            next.run(request).await
        }
        Some(actor) => {
            tracing::info!(path, role = %actor.role, "page refused");
            let message =
                format!("This page needs the {needed} role; your token ({}) is {}.", actor.name, actor.role);
            (StatusCode::FORBIDDEN, Html(message_page("Not allowed", &message))).into_response()
        }
        None if wants_html(request.headers()) => {
            let target = request.uri().path_and_query().map_or("/".to_string(), |p| p.to_string());
            let mut response =
                Redirect::to(&format!("/login?next={}", percent_encode(&target))).into_response();
            if has_token {
                // A stale cookie (revoked token): forget it.
                response.headers_mut().insert(header::SET_COOKIE, clear_cookie());
            }
            response
        }
        None => {
            let message = if has_token {
                "unknown or revoked token\n"
            } else {
                "a token is needed: send `Authorization: Bearer TOKEN` (parc tokens create)\n"
            };
            let mut response = (StatusCode::UNAUTHORIZED, message).into_response();
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            response
        }
    }
}

/// The caller a page handler runs for (put there by [`require_token`]).
pub fn caller(request_extensions: &axum::http::Extensions) -> Option<&Actor> {
    request_extensions.get::<Actor>()
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    failed: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    token: String,
    next: Option<String>,
}

pub async fn login_page(Query(query): Query<LoginQuery>) -> Html<String> {
    let next = safe_next(query.next.as_deref());
    let failed = if query.failed.is_some() {
        "<p class=\"error\" role=\"alert\">That token is unknown or revoked. Ask an administrator for one \
         (<code>parc tokens create</code>).</p>"
    } else {
        ""
    };
    Html(page(
        "Sign in",
        &format!(
            "<h1>Sign in to Parc</h1>{failed}\
             <form method=\"post\" action=\"/login\" class=\"login\">\
             <label for=\"token\">API token</label>\
             <input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"current-password\" \
             placeholder=\"parc_…\" required autofocus>\
             <input type=\"hidden\" name=\"next\" value=\"{}\">\
             <button type=\"submit\">Sign in</button></form>\
             <p class=\"hint\">Your token comes from an administrator (<code>parc tokens create --name \
             you --role viewer</code>). It stays in this browser for 36 hours or until you sign out.</p>",
            escape(&next)
        ),
    ))
}

pub async fn login(State(state): State<Arc<AppState>>, Form(form): Form<LoginForm>) -> Response {
    let next = safe_next(form.next.as_deref());
    let token = form.token.trim().to_string();
    if token.is_empty() || !token.is_ascii() || token.len() > 200 {
        return Redirect::to(&format!("/login?failed=1&next={}", percent_encode(&next))).into_response();
    }
    match state.auth.actor(Some(token.clone())).await {
        Some(actor) => {
            tracing::info!(name = %actor.name, role = %actor.role, "signed in to the dashboard");
            let mut response = Redirect::to(&next).into_response();
            let cookie = format!(
                "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={SESSION_SECONDS}{}",
                if state.tls { "; Secure" } else { "" }
            );
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        None => Redirect::to(&format!("/login?failed=1&next={}", percent_encode(&next))).into_response(),
    }
}

pub async fn logout() -> Response {
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().insert(header::SET_COOKIE, clear_cookie());
    response
}

fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static("parc_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// Where to go after signing in: a path on this server, never elsewhere
/// (`//evil.example` and `https://...` are refused).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(next) if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') => {
            next.to_string()
        }
        _ => "/".to_string(),
    }
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

fn message_page(title: &str, message: &str) -> String {
    page(
        title,
        &format!(
            "<h1>{}</h1><p>{}</p><p><a href=\"/login\">Sign in with another token</a></p>",
            escape(title),
            escape(message)
        ),
    )
}

/// A bare page for signing in (the dashboard's own layout needs a caller).
fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · Parc</title><style>\
         body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1b1b1b}}\
         h1{{font-size:1.4rem}} label{{display:block;font-weight:600;margin:.5rem 0}}\
         input[type=password]{{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}}\
         button{{margin-top:1rem;padding:.5rem 1.2rem;font:inherit;background:#000091;color:#fff;border:0;border-radius:4px}}\
         .error{{color:#b00020}} .hint{{color:#555;font-size:.9rem}} code{{background:#eee;padding:0 .2rem}}\
         </style></head><body>{body}</body></html>",
        escape(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_comes_from_the_header_or_the_cookie() {
        let mut headers = HeaderMap::new();
        assert_eq!(request_token(&headers), None);
        headers.insert(header::COOKIE, "theme=dark; parc_session=parc_abc; x=y".parse().unwrap());
        assert_eq!(request_token(&headers).as_deref(), Some("parc_abc"));
        headers.insert(header::AUTHORIZATION, "Bearer parc_header".parse().unwrap());
        assert_eq!(request_token(&headers).as_deref(), Some("parc_header"));
    }

    #[test]
    fn signing_in_never_sends_people_elsewhere() {
        assert_eq!(safe_next(Some("/sites/MDS-ETAMPES?x=1")), "/sites/MDS-ETAMPES?x=1");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
        assert_eq!(percent_encode("/search?q=ram<8GB"), "/search%3Fq%3Dram%3C8GB");
    }
}
