//! `parc tokens` (create, list, revoke), `parc whoami` and `parc audit`.

use super::output::{csv_text, rfc3339, table, OutputFormat};
use super::{emit, fleet_client, parse_duration, status_error, CliError, Remote};
use parc_proto::pb;
use serde::Serialize;

#[derive(Debug, clap::Subcommand)]
pub enum TokensCommand {
    /// Make a token and print its secret, once (the server keeps only a
    /// hash). Give it to the person or tool by a safe channel.
    Create {
        /// Who or what it is for ("marie.dupont", "grafana").
        #[arg(long)]
        name: String,
        /// viewer: reads everything; planner: also plans, publishes, sets
        /// statuses, exports wave lists; admin: also imports, tokens, audit.
        #[arg(long, value_parser = ["viewer", "planner", "admin"])]
        role: String,
    },
    /// The tokens: id, name, role, who made them and when.
    List {
        /// Also the revoked ones.
        #[arg(long)]
        all: bool,
        #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
    /// Revoke a token by id or name: it stops working at once.
    Revoke {
        /// The token's id or name (as `parc tokens list` shows).
        #[arg(value_name = "ID_OR_NAME")]
        which: String,
    },
}

#[derive(Debug, Serialize)]
struct TokenRow {
    id: u64,
    name: String,
    role: &'static str,
    created_at: String,
    created_by: String,
    revoked_at: String,
}

fn role_name(role: i32) -> &'static str {
    match pb::Role::try_from(role) {
        Ok(pb::Role::Viewer) => "viewer",
        Ok(pb::Role::Planner) => "planner",
        Ok(pb::Role::Admin) => "admin",
        _ => "unknown",
    }
}

fn role_of(name: &str) -> pb::Role {
    match name {
        "admin" => pb::Role::Admin,
        "planner" => pb::Role::Planner,
        _ => pb::Role::Viewer,
    }
}

fn token_row(token: &pb::TokenInfo) -> TokenRow {
    TokenRow {
        id: token.id,
        name: token.name.clone(),
        role: role_name(token.role),
        created_at: rfc3339(token.created_at),
        created_by: token.created_by.clone(),
        revoked_at: rfc3339(token.revoked_at),
    }
}

pub async fn tokens(server: &Remote, command: TokensCommand) -> Result<(), CliError> {
    let mut client = fleet_client(server)?;
    match command {
        TokensCommand::Create { name, role } => {
            let answer = client
                .create_token(pb::CreateTokenRequest { name, role: role_of(&role) as i32 })
                .await
                .map_err(|s| status_error(server, s))?
                .into_inner();
            let token = answer.token.unwrap_or_default();
            eprintln!(
                "token {} {:?} ({}) created; its secret, shown only now:",
                token.id,
                token.name,
                role_name(token.role)
            );
            emit(&format!("{}\n", answer.secret))
        }
        TokensCommand::List { all, output } => {
            let answer = client
                .list_tokens(pb::ListTokensRequest { include_revoked: all })
                .await
                .map_err(|s| status_error(server, s))?
                .into_inner();
            let rows: Vec<TokenRow> = answer.tokens.iter().map(token_row).collect();
            match output {
                OutputFormat::Json => {
                    emit(&(serde_json::to_string_pretty(&rows).map_err(anyhow::Error::from)? + "\n"))
                }
                OutputFormat::Csv => emit(&csv_text(&rows)?),
                OutputFormat::Table => emit(&table(
                    &["ID", "NAME", "ROLE", "CREATED", "BY", "REVOKED"],
                    rows.into_iter()
                        .map(|r| {
                            vec![
                                r.id.to_string(),
                                r.name,
                                r.role.into(),
                                r.created_at,
                                r.created_by,
                                r.revoked_at,
                            ]
                        })
                        .collect(),
                )),
            }
        }
        TokensCommand::Revoke { which } => {
            let answer = client
                .revoke_token(pb::RevokeTokenRequest { token: which })
                .await
                .map_err(|s| status_error(server, s))?
                .into_inner();
            let token = answer.token.unwrap_or_default();
            emit(&format!("token {} {:?} revoked\n", token.id, token.name))
        }
    }
}

pub async fn whoami(server: &Remote) -> Result<(), CliError> {
    let token = fleet_client(server)?
        .who_am_i(pb::WhoAmIRequest {})
        .await
        .map_err(|s| status_error(server, s))?
        .into_inner();
    emit(&format!("{} ({}), token {} on {server}\n", token.name, role_name(token.role), token.id))
}

/// Options of `parc audit`.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// Only changes this recent, such as "7d" or "12h".
    #[arg(long, value_parser = parse_duration)]
    since: Option<std::time::Duration>,
    /// Only actions starting with this: sites, assets, waves, waves.publish,
    /// tokens, devices.
    #[arg(long)]
    action: Option<String>,
    /// How many entries, newest first (at most 10000).
    #[arg(long, default_value_t = 100)]
    limit: u32,
    #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
    output: OutputFormat,
}

#[derive(Debug, Serialize)]
struct AuditRow {
    at: String,
    actor: String,
    role: &'static str,
    action: String,
    target: String,
    detail: String,
}

pub async fn audit(server: &Remote, args: AuditArgs) -> Result<(), CliError> {
    let since = args.since.map_or(0, |ago| super::output::now_unix() - ago.as_secs() as i64);
    let answer = fleet_client(server)?
        .list_audit(pb::ListAuditRequest {
            since,
            limit: args.limit,
            action_prefix: args.action.unwrap_or_default(),
        })
        .await
        .map_err(|s| status_error(server, s))?
        .into_inner();
    let rows: Vec<AuditRow> = answer
        .entries
        .iter()
        .map(|e| AuditRow {
            at: rfc3339(e.at),
            actor: e.actor.clone(),
            role: role_name(e.role),
            action: e.action.clone(),
            target: e.target.clone(),
            detail: e.detail.clone(),
        })
        .collect();
    match args.output {
        OutputFormat::Json => {
            emit(&(serde_json::to_string_pretty(&rows).map_err(anyhow::Error::from)? + "\n"))
        }
        OutputFormat::Csv => emit(&csv_text(&rows)?),
        OutputFormat::Table if rows.is_empty() => emit("no change recorded\n"),
        OutputFormat::Table => emit(&table(
            &["WHEN", "WHO", "ROLE", "ACTION", "TARGET", "WHAT"],
            rows.into_iter()
                .map(|r| vec![r.at, r.actor, r.role.into(), r.action, r.target, r.detail])
                .collect(),
        )),
    }
}
