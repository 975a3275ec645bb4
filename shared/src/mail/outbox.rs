//! Local runs: each mail becomes `<dataDir>/outbox/<timestamp>-<id>-<kind>.eml`,
//! the exact message SES would get, readable by any mail client.

use super::{Mail, Mailer, SendError};
use async_trait::async_trait;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;
use time::macros::format_description;

#[derive(Debug, Clone)]
pub struct OutboxMailer {
    dir: PathBuf,
}

impl OutboxMailer {
    /// Writes into `<data_dir>/outbox`, created on first use.
    pub fn new(data_dir: impl AsRef<Path>) -> Self {
        OutboxMailer { dir: data_dir.as_ref().join("outbox") }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, mail: &Mail) -> Result<(), SendError> {
        let now = OffsetDateTime::now_utc();
        let stamp = now
            .format(format_description!("[year][month][day]T[hour][minute][second][subsecond digits:3]Z"))
            .map_err(|e| SendError::new(mail.kind, format!("timestamp: {e}")))?;
        let name = format!("{stamp}-{}-{}.eml", mail.about, mail.kind.slug());
        let message = mail.to_mime(now.unix_timestamp());
        let io = |e: std::io::Error| SendError::new(mail.kind, format!("outbox: {}", e.kind()));

        // Mails are personal data: the owner's only (0700 and 0600, no wider
        // whatever the umask), like the database beside them.
        tokio::fs::DirBuilder::new().recursive(true).mode(0o700).create(&self.dir).await.map_err(io)?;
        // Written aside, then renamed: a reader never sees half a message.
        // A failed write removes its partial file, so nothing half-written is left.
        let partial = self.dir.join(format!(".{name}.partial"));
        let (path, contents) = (partial.clone(), message);
        let written = tokio::task::spawn_blocking(move || {
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&path)?;
            file.write_all(&contents)?;
            file.sync_all()
        })
        .await
        .map_err(|e| SendError::new(mail.kind, format!("outbox: {e}")))?;
        let written = match written {
            Ok(()) => tokio::fs::rename(&partial, self.dir.join(&name)).await,
            Err(error) => Err(error),
        };
        if let Err(error) = written {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(io(error));
        }
        Ok(())
    }
}
