//! File modes of the data directory: it and every file of personal data in
//! it are the owner's only (0700, 0600). The modes are set explicitly rather
//! than left to the umask, because the data directory holds applications and
//! operators' password hashes.

use anyhow::Context;
use shared::store::sqlite;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Creates `dir` and its missing parents 0700: it holds personal data. The
/// mode is set again after creation, so the umask cannot widen nor narrow it.
/// A directory that exists is left as it is (it may be shared, like /tmp),
/// with a warning when others may enter it.
pub(crate) fn private_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.is_dir() {
        let mode = dir.metadata()?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(mode = format!("{:o}", mode & 0o777), "the data directory is open to other users");
        }
        return Ok(());
    }
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    Ok(())
}

/// The SQLite database and its `-wal` and `-shm` files, 0600. The database is
/// created empty with that mode before SQLite opens it (SQLite would create it
/// 0644), and SQLite gives the `-wal` and `-shm` files it creates the mode of
/// the database; files left by an older run are tightened.
pub(crate) fn private_database(data_dir: &Path) -> anyhow::Result<()> {
    let database = data_dir.join(sqlite::FILE_NAME);
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&database)
        .with_context(|| format!("creating {}", database.display()))?;
    for suffix in ["", "-wal", "-shm"] {
        let path = PathBuf::from(format!("{}{suffix}", database.display()));
        if path.exists() {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .with_context(|| format!("restricting {}", path.display()))?;
        }
    }
    Ok(())
}
