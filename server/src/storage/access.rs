//! API tokens (stored as hashes) and the audit log. Every change people
//! make through the API writes its audit entry in the same transaction as
//! the change itself ([`audit`]): the log never misses a change that was
//! stored, nor records one that was not.

use super::{Storage, StorageError};
use crate::access::{Actor, Role};
use rusqlite::{params, Connection, OptionalExtension, Row};

/// A token as the server keeps it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub id: u64,
    pub name: String,
    pub role: Role,
    pub created_at: i64,
    pub created_by: String,
    pub revoked_at: Option<i64>,
}

/// One change: who, when, what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: u64,
    pub at: i64,
    pub actor: String,
    pub role: Role,
    pub action: String,
    pub target: String,
    pub detail: String,
}

/// Which audit entries to read, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub since: Option<i64>,
    pub action_prefix: Option<String>,
    pub limit: u32,
}

const TOKEN_COLUMNS: &str = "id, name, role, created_at, created_by, revoked_at";

fn role_of(row: &Row<'_>, index: usize) -> rusqlite::Result<Role> {
    let text: String = row.get(index)?;
    Role::parse(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Text,
            format!("unknown role {text:?}").into(),
        )
    })
}

fn token_from_row(row: &Row<'_>) -> rusqlite::Result<Token> {
    Ok(Token {
        id: row.get(0)?,
        name: row.get(1)?,
        role: role_of(row, 2)?,
        created_at: row.get(3)?,
        created_by: row.get(4)?,
        revoked_at: row.get(5)?,
    })
}

/// Records a change in the audit log, inside the caller's transaction.
pub(crate) fn audit(
    db: &Connection,
    by: &Actor,
    at: i64,
    action: &str,
    target: &str,
    detail: &str,
) -> Result<(), StorageError> {
    db.prepare_cached(
        "INSERT INTO audit (at, actor, role, token_id, action, target, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )?
    .execute(params![at, by.name, by.role.name(), by.token_id, action, target, detail])?;
    Ok(())
}

fn live_token_named(db: &Connection, name: &str) -> Result<Option<Token>, StorageError> {
    Ok(db
        .prepare_cached(&format!(
            "SELECT {TOKEN_COLUMNS} FROM tokens WHERE name = ? COLLATE NOCASE AND revoked_at IS NULL"
        ))?
        .query_row([name], token_from_row)
        .optional()?)
}

impl Storage {
    /// Stores a new token (its hash only). A live token with the same name
    /// is a conflict: names say who holds a token, in the audit log too.
    pub fn create_token(
        &self,
        name: &str,
        role: Role,
        secret_hash: &str,
        by: &Actor,
        now: i64,
    ) -> Result<Token, StorageError> {
        let name = name.to_string();
        let secret_hash = secret_hash.to_string();
        let by = by.clone();
        self.writer.submit_blocking(move |db, _| {
            if live_token_named(db, &name)?.is_some() {
                return Err(StorageError::Conflict(format!(
                    "a live token is already named {name:?}: revoke it first or choose another name"
                )));
            }
            db.prepare_cached(
                "INSERT INTO tokens (name, role, hash, created_at, created_by) VALUES (?, ?, ?, ?, ?)",
            )?
            .execute(params![name, role.name(), secret_hash, now, by.name])?;
            let id = db.last_insert_rowid() as u64;
            audit(db, &by, now, "tokens.create", &name, &format!("token {id} with the {role} role"))?;
            Ok(Token {
                id,
                name: name.clone(),
                role,
                created_at: now,
                created_by: by.name.clone(),
                revoked_at: None,
            })
        })
    }

    /// Revokes a live token named by id or name; `None` when there is none.
    pub fn revoke_token(&self, wanted: &str, by: &Actor, now: i64) -> Result<Option<Token>, StorageError> {
        let wanted = wanted.trim().to_string();
        let by = by.clone();
        self.writer.submit_blocking(move |db, _| {
            let found = match wanted.parse::<u64>() {
                Ok(id) => db
                    .prepare_cached(&format!(
                        "SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = ? AND revoked_at IS NULL"
                    ))?
                    .query_row([id], token_from_row)
                    .optional()?,
                Err(_) => live_token_named(db, &wanted)?,
            };
            let Some(mut token) = found else { return Ok(None) };
            db.prepare_cached("UPDATE tokens SET revoked_at = ? WHERE id = ?")?
                .execute(params![now, token.id])?;
            audit(
                db,
                &by,
                now,
                "tokens.revoke",
                &token.name,
                &format!("token {} ({})", token.id, token.role),
            )?;
            token.revoked_at = Some(now);
            Ok(Some(token))
        })
    }

    /// The live token with this hash.
    pub fn token_by_hash(&self, hash: &str) -> Result<Option<Token>, StorageError> {
        self.read(|db| {
            Ok(db
                .prepare_cached(&format!(
                    "SELECT {TOKEN_COLUMNS} FROM tokens WHERE hash = ? AND revoked_at IS NULL"
                ))?
                .query_row([hash], token_from_row)
                .optional()?)
        })
    }

    /// Tokens by id; revoked ones only when asked.
    pub fn tokens(&self, include_revoked: bool) -> Result<Vec<Token>, StorageError> {
        self.read(|db| {
            let sql = format!(
                "SELECT {TOKEN_COLUMNS} FROM tokens {} ORDER BY id",
                if include_revoked { "" } else { "WHERE revoked_at IS NULL" }
            );
            let mut statement = db.prepare(&sql)?;
            let tokens = statement.query_map([], token_from_row)?.collect::<Result<Vec<_>, _>>()?;
            Ok(tokens)
        })
    }

    /// Audit entries, newest first.
    pub fn audit_log(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StorageError> {
        self.read(|db| {
            let prefix = query.action_prefix.clone().unwrap_or_default();
            let mut statement = db.prepare_cached(
                "SELECT id, at, actor, role, action, target, detail FROM audit
                 WHERE at >= ?1 AND substr(action, 1, length(?2)) = ?2
                 ORDER BY id DESC LIMIT ?3",
            )?;
            let rows = statement
                .query_map(params![query.since.unwrap_or(i64::MIN), prefix, query.limit.max(1)], |row| {
                    Ok(AuditEntry {
                        id: row.get(0)?,
                        at: row.get(1)?,
                        actor: row.get(2)?,
                        role: role_of(row, 3)?,
                        action: row.get(4)?,
                        target: row.get(5)?,
                        detail: row.get(6)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }
}
