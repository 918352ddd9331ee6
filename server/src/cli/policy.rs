//! `parc policy`: the readiness rules' thresholds. `show` prints the policy
//! in force and where it comes from, `check` reads a file locally, `set`
//! (admin) sends one to the server, which checks it with the same parser,
//! stores it and applies it at once.

use super::output::rfc3339;
use super::{emit, fleet_client, status_error, CliError, Remote};
use anyhow::Context;
use parc_proto::pb;
use parc_readiness::Policy;

#[derive(Debug, clap::Subcommand)]
pub enum PolicyCommand {
    /// Print the policy the server applies, every threshold written out (a
    /// starting point for your own file), and where it comes from.
    Show {
        /// The built-in defaults instead, without asking a server.
        #[arg(long)]
        defaults: bool,
    },
    /// Check a policy file: unknown keys, bad values and dates, with their
    /// line and column.
    Check { file: std::path::PathBuf },
    /// Put a policy file in force on the server at once (admin): checked
    /// first (line and column in every error), then stored in the database,
    /// where it outranks the server's `--policy` file, across restarts.
    Set {
        file: std::path::PathBuf,
        /// Check it and list the keys that would change; store nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

pub async fn policy(server: &Remote, command: PolicyCommand) -> Result<(), CliError> {
    match command {
        PolicyCommand::Show { defaults: true } => emit(&Policy::default().to_toml()),
        PolicyCommand::Show { defaults: false } => {
            let answer = fleet_client(server)?
                .get_policy(pb::GetPolicyRequest {})
                .await
                .map_err(|s| status_error(server, s))?
                .into_inner();
            emit(&format!("# policy in force on {server}: {}\n{}", source(&answer), answer.toml))
        }
        PolicyCommand::Check { file } => {
            let text =
                std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            Policy::from_toml(&file.display().to_string(), &text)
                .map_err(|e| CliError::Other(anyhow::anyhow!("{e}")))?;
            emit(&format!("{}: valid policy\n", file.display()))
        }
        PolicyCommand::Set { file, dry_run } => {
            let toml =
                std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let file_name =
                file.file_name().map_or_else(|| "policy.toml".into(), |n| n.to_string_lossy().into());
            let answer = fleet_client(server)?
                .set_policy(pb::SetPolicyRequest { toml, file_name, dry_run })
                .await
                .map_err(|s| status_error(server, s))?
                .into_inner();
            let mut out = String::new();
            for change in &answer.changes {
                out.push_str(&format!("  {change}\n"));
            }
            let keys = answer.changes.len();
            let verdict = match (answer.stored, keys) {
                (false, 0) => "valid; it would change no key".to_string(),
                (false, n) => format!("valid; it would change {n} keys (dry run: nothing stored)"),
                (true, 0) => "stored and in force; no key changed".to_string(),
                (true, n) => format!("stored and in force; {n} keys changed"),
            };
            emit(&format!("{}: {verdict}\n{out}", file.display()))
        }
    }
}

/// Where the policy in force comes from, in words.
fn source(answer: &pb::GetPolicyResponse) -> String {
    match answer.origin.as_str() {
        "stored" => format!(
            "set with `parc policy set` from {} by {} at {} (stored in the database)",
            answer.source,
            answer.set_by,
            rfc3339(answer.set_at)
        ),
        "file" => format!("the server's --policy file {}", answer.source),
        // Servers older than `parc policy set` say only the file.
        _ if !answer.source.is_empty() => answer.source.clone(),
        _ => "built-in defaults".to_string(),
    }
}
