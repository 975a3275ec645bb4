//! `replay-erasures`: erasures again after a restore. A point-in-time restore
//! (or a restored SQLite copy) brings back the applications erased after its
//! restore point; the audit, which the restore leaves alone, still names them.
//! This reads the audit's `erase` entries made at or after `--since` and erases
//! each application again in the restored store. Idempotent: an application
//! already erased is left as it is (the store answers `AlreadyErased` and
//! writes nothing), so a second run, or one over a longer span, changes nothing.
//!
//! ```text
//! # DynamoDB: the restored table, the live audit table (not restored)
//! IDENTIFIER_KEY_SECRET=… cargo run -p xtask -- replay-erasures \
//!     --table partners-restored --audit-table partners-audit \
//!     --since 2026-12-01T03:00:00Z --operator ops@example.com
//! # SQLite: a restored copy of the database, the live one's audit
//! cargo run -p xtask -- replay-erasures --sqlite restored/applications.sqlite3 \
//!     --audit-sqlite .local/applications.sqlite3 --key-dir .local --since … --operator …
//! ```
//!
//! It prints application ids and counts only: never an applicant's data.

use anyhow::{Context, Result, anyhow, bail};
use shared::domain::{Actor, ApplicationId, AuditAction, AuditEntry, ErasureReason, Timestamp};
use shared::keyed::IdentifierKey;
use shared::store::dynamodb::{AUDIT_TABLE_NAME_ENV, DynamoStore, audit_table_name};
use shared::store::sqlite::SqliteStore;
use shared::store::{EraseOutcome, Erasure, Review};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Audit entries read per page.
const PAGE: usize = 200;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The restore point (RFC 3339, any offset): erasures audited at or after
    /// it are replayed. Earlier ones are in the restored copy already.
    #[arg(long)]
    pub since: String,
    /// Who runs the replay (an operator's sign-in name): the erasures' history
    /// and the audit name them (reason `other`: the audit does not keep the original's).
    #[arg(long)]
    pub operator: String,
    /// The restored DynamoDB table (at AWS_ENDPOINT_URL, if set).
    #[arg(long, conflicts_with = "sqlite", required_unless_present = "sqlite")]
    pub table: Option<String>,
    /// The live audit table, which a restore of the applications table leaves
    /// as it was: by default AUDIT_TABLE_NAME, else the table's own audit name.
    #[arg(long, requires = "table")]
    pub audit_table: Option<String>,
    /// A restored copy of the local server's database.
    #[arg(long)]
    pub sqlite: Option<PathBuf>,
    /// The database whose audit names the erasures (the live one); by default
    /// the restored copy's own.
    #[arg(long, requires = "sqlite")]
    pub audit_sqlite: Option<PathBuf>,
    /// The directory of the identifier key file (the local data directory).
    /// Without it, the secret that IDENTIFIER_KEY_SECRET names.
    #[arg(long)]
    pub key_dir: Option<PathBuf>,
}

/// What one run did, by application.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Replayed {
    /// Erased again now: the restore had brought them back.
    pub erased: Vec<ApplicationId>,
    /// Erased in the restored store already.
    pub already_erased: Vec<ApplicationId>,
    /// Not in the restored store (submitted after the restore point, or
    /// deleted since): nothing to erase.
    pub not_found: Vec<ApplicationId>,
}

pub fn run(args: Args) -> Result<()> {
    tokio::runtime::Runtime::new()?.block_on(async {
        let since = parse_since(&args.since)?;
        let operator =
            Actor::parse(&args.operator).ok_or_else(|| anyhow!("--operator: 1 to 256 visible characters"))?;
        let sdk = shared::aws::load_sdk_config().await.map_err(|e| anyhow!("{e}"))?;
        let key = match &args.key_dir {
            Some(dir) => IdentifierKey::load_or_create(dir),
            None => shared::keyed::from_secrets_manager(&sdk).await,
        }
        .map_err(|e| anyhow!("{e}"))?;
        let replayed = match (&args.table, &args.sqlite) {
            (Some(table), _) => {
                let audit = match (&args.audit_table, std::env::var(AUDIT_TABLE_NAME_ENV)) {
                    (Some(audit), _) => audit.clone(),
                    (None, Ok(audit)) if !audit.is_empty() => audit,
                    _ => audit_table_name(table),
                };
                let client = aws_sdk_dynamodb::Client::new(&sdk);
                // One store: its erasures write the restored table, and their
                // audit entries go to the live audit beside the ones replayed.
                let store = DynamoStore::new(client, table.clone()).with_audit_table(audit);
                replay(&store, &store, &key, &operator, since).await?
            }
            (None, Some(path)) => {
                let store = SqliteStore::open(path).map_err(|e| anyhow!("{e}"))?;
                match &args.audit_sqlite {
                    Some(live) => {
                        let audit = SqliteStore::open(live).map_err(|e| anyhow!("{e}"))?;
                        replay(&audit, &store, &key, &operator, since).await?
                    }
                    None => replay(&store, &store, &key, &operator, since).await?,
                }
            }
            (None, None) => bail!("--table or --sqlite"),
        };
        for (label, ids) in [
            ("erased again", &replayed.erased),
            ("already erased", &replayed.already_erased),
            ("not in the restored store", &replayed.not_found),
        ] {
            println!("{label}: {}", ids.len());
            for id in ids {
                println!("  {id}");
            }
        }
        Ok(())
    })
}

/// `--since` in any RFC 3339 offset (a restore point is usually given in UTC).
pub fn parse_since(text: &str) -> Result<Timestamp> {
    let at = time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
        .with_context(|| format!("--since {text:?}: an RFC 3339 time, e.g. 2026-12-01T03:00:00Z"))?;
    // Whole seconds, as the audit records them; a fraction rounds down, so an
    // erasure within the restore point's second is replayed rather than missed.
    Ok(Timestamp::new(at))
}

/// The applications the audit says were erased at or after `since`, each once,
/// in the order they were erased.
pub async fn erased_since(audit: &dyn Review, since: Timestamp) -> Result<Vec<(ApplicationId, Timestamp)>> {
    let mut erased: BTreeMap<ApplicationId, Timestamp> = BTreeMap::new();
    let mut before = None;
    'pages: loop {
        let page = audit.audit_log(before, PAGE).await.map_err(|e| anyhow!("reading the audit: {e}"))?;
        // Newest first: the first entry before `since` ends the walk.
        for entry in &page.entries {
            if entry.at < since {
                break 'pages;
            }
            if let (AuditAction::Erase, Some(id)) = (entry.action, entry.application_id) {
                // The earliest erasure of an application is the one replayed.
                erased.insert(id, entry.at);
            }
        }
        match page.next {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    let mut erased: Vec<_> = erased.into_iter().collect();
    erased.sort_by_key(|(id, at)| (*at, *id));
    Ok(erased)
}

/// Erases again, in `store`, every application `audit` says was erased at or
/// after `since`.
pub async fn replay(
    audit: &dyn Review,
    store: &dyn Review,
    key: &IdentifierKey,
    operator: &Actor,
    since: Timestamp,
) -> Result<Replayed> {
    let mut replayed = Replayed::default();
    for (id, _erased_at) in erased_since(audit, since).await? {
        let erasure = Erasure {
            application_id: id,
            actor: operator.clone(),
            // The audit keeps that and when, not why: the replay's reason is a
            // code like every erasure's (never text), and its time is now.
            reason: ErasureReason::Other,
            at: Timestamp::now(),
            token_hash: key.verification_token(id).hash(),
            audit: AuditEntry::now(operator.clone(), AuditAction::Erase, Some(id)),
        };
        match store.erase(&erasure).await.map_err(|e| anyhow!("erasing {id}: {e}"))? {
            EraseOutcome::Erased(_) => replayed.erased.push(id),
            EraseOutcome::AlreadyErased(_) => replayed.already_erased.push(id),
            EraseOutcome::NotFound => replayed.not_found.push(id),
        }
    }
    Ok(replayed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_any_offset_in_whole_seconds() {
        let jst = Timestamp::parse("2026-12-01T12:00:00+09:00").unwrap();
        assert_eq!(parse_since("2026-12-01T03:00:00Z").unwrap(), jst);
        assert_eq!(parse_since("2026-12-01T12:00:00+09:00").unwrap(), jst);
        assert_eq!(parse_since("2026-12-01T03:00:00.750Z").unwrap(), jst);
        assert!(parse_since("yesterday").is_err());
    }
}
