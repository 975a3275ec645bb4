//! Local runs: each mail becomes `<dataDir>/outbox/<timestamp>-<id>-<kind>.eml`,
//! the exact message SES would get, readable by any mail client.
//!
//! The outbox stands in for the recipients' mailboxes, but it is a file of
//! ours: a mail carries personal data (the 控え every field), so it goes when
//! the record it is about goes. [`OutboxMailer::forget`] deletes an
//! application's mails (its own and its decisions') when it is erased;
//! [`OutboxMailer::sweep`] deletes every mail whose application or notice the
//! store no longer has (erased, or deleted by retention or expiry).

use super::{Mail, Mailer, SendError};
use crate::domain::{ApplicationId, NoticeId};
use crate::store::{MailLedger, Unavailable};
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

    /// Every file of the outbox with the record it is about (a mail or a
    /// partial one); none when the outbox was never made.
    fn files(&self) -> std::io::Result<Vec<(PathBuf, FileSubject)>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(error),
        };
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry?;
            if let Some(subject) = entry.file_name().to_str().and_then(subject_of) {
                files.push((entry.path(), subject));
            }
        }
        Ok(files)
    }

    /// Deletes the mails about `application_id` (its own and its decisions'),
    /// as its erasure does with its records. Returns how many. A notice's mail
    /// names only the notice: [`sweep`](Self::sweep) deletes it once the
    /// erasure has deleted the notice.
    pub fn forget(&self, application_id: ApplicationId) -> std::io::Result<usize> {
        let mut deleted = 0;
        for (path, subject) in self.files()? {
            if subject == FileSubject::Application(application_id) {
                deleted += remove(&path)?;
            }
        }
        Ok(deleted)
    }

    /// Deletes every mail whose application or notice `store` no longer has
    /// (erased; deleted by retention; expired, as an unverified application
    /// and a notice do). Returns how many. `notices_only` reads only the
    /// notices' (few, short-lived) and leaves the applications' mails alone,
    /// for right after an erasure.
    pub async fn sweep(&self, store: &dyn MailLedger, notices_only: bool) -> Result<usize, Unavailable> {
        let files = self.files().map_err(|e| Unavailable(format!("outbox: {}", e.kind())))?;
        let mut live = std::collections::HashMap::new();
        let mut deleted = 0;
        for (path, subject) in files {
            let kept = match live.get(&subject) {
                Some(kept) => *kept,
                None => {
                    let kept = match subject {
                        FileSubject::Application(_) if notices_only => true,
                        FileSubject::Application(id) => store.get(id).await?.is_some(),
                        FileSubject::Notice(id) => store.notice(id).await?.is_some(),
                    };
                    live.insert(subject, kept);
                    kept
                }
            };
            if !kept {
                deleted += remove(&path).map_err(|e| Unavailable(format!("outbox: {}", e.kind())))?;
            }
        }
        Ok(deleted)
    }
}

/// The record an outbox file is about, as its name says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum FileSubject {
    /// An application's own mails and its decisions' results.
    Application(ApplicationId),
    Notice(NoticeId),
}

/// Reads `<stamp>-<subject>-<kind>.eml` (or its `.…partial` while written):
/// the stamp has no `-`, and the subject starts with its id
/// ([`MailSubject`]'s `Display`).
fn subject_of(file_name: &str) -> Option<FileSubject> {
    let name = file_name.strip_prefix('.').unwrap_or(file_name);
    let (_stamp, about) = name.split_once('-')?;
    // Both ids are ULIDs: 26 characters.
    match about.strip_prefix("notice-") {
        Some(notice) => NoticeId::parse(notice.get(..26)?).map(FileSubject::Notice),
        None => ApplicationId::parse(about.get(..26)?).map(FileSubject::Application),
    }
}

/// Removes a file; one already gone counts as none (two sweeps may meet).
fn remove(path: &Path) -> std::io::Result<usize> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(1),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(error) => Err(error),
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, mail: &Mail) -> Result<String, SendError> {
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
        // In the outbox is as far as a local mail goes: it is `sent`.
        Ok(mail.message_id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{HistoryEntry, MailKind, MailSubject, StoredApplication, Version};
    use std::collections::HashSet;

    /// What the file of a mail about `subject` is about: every [`MailSubject`]
    /// must be recognised, or its mails would outlive it.
    fn file_subject(subject: MailSubject) -> FileSubject {
        match subject {
            MailSubject::Application(id) | MailSubject::History(id, _) => FileSubject::Application(id),
            MailSubject::Notice(id) => FileSubject::Notice(id),
        }
    }

    fn mail(about: MailSubject, kind: MailKind) -> Mail {
        Mail {
            kind,
            about,
            from: "desk@example.com".into(),
            from_name: None,
            reply_to: "desk@example.com".into(),
            to: "taro@example.com".into(),
            subject: "件名".into(),
            text: "本文".into(),
            html: "<p>本文</p>".into(),
            tracking: None,
        }
    }

    fn names(outbox: &OutboxMailer) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(outbox.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    fn id(text: &str) -> ApplicationId {
        ApplicationId::parse(text).unwrap()
    }

    const ERASED: &str = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
    const KEPT: &str = "01BX5ZZKBKACTAV9WEVGEMMVRZ";

    /// The mails of two applications (one with a decision) and a notice.
    async fn outbox_with_mails(dir: &Path) -> (OutboxMailer, NoticeId) {
        let outbox = OutboxMailer::new(dir);
        let notice = NoticeId::new();
        let version = Version::from_number(3).unwrap();
        for (about, kind) in [
            (MailSubject::Application(id(ERASED)), MailKind::Verification),
            (MailSubject::Application(id(ERASED)), MailKind::Acknowledgement),
            (MailSubject::Application(id(ERASED)), MailKind::OperatorNotice),
            (MailSubject::History(id(ERASED), version), MailKind::Approved),
            (MailSubject::Application(id(KEPT)), MailKind::Verification),
            (MailSubject::Notice(notice), MailKind::AlreadyReceived),
        ] {
            outbox.send(&mail(about, kind)).await.unwrap();
        }
        (outbox, notice)
    }

    #[test]
    fn every_subject_is_read_back_from_its_file_name() {
        let version = Version::from_number(2).unwrap();
        for subject in [
            MailSubject::Application(id(ERASED)),
            MailSubject::History(id(ERASED), version),
            MailSubject::Notice(NoticeId::new()),
        ] {
            for kind in MailKind::ALL {
                let name = format!("20261201T093000123Z-{subject}-{}.eml", kind.slug());
                assert_eq!(subject_of(&name), Some(file_subject(subject)), "{name}");
                assert_eq!(subject_of(&format!(".{name}.partial")), Some(file_subject(subject)), "{name}");
            }
        }
        for other in ["notes.txt", "x-y.eml", "20261201T093000123Z-notice-x-already-received.eml"] {
            assert_eq!(subject_of(other), None, "{other}");
        }
    }

    #[tokio::test]
    async fn an_erased_application_s_mails_are_deleted_and_no_other() {
        let dir = tempfile::tempdir().unwrap();
        let (outbox, notice) = outbox_with_mails(dir.path()).await;
        assert_eq!(names(&outbox).len(), 6);
        assert_eq!(outbox.forget(id(ERASED)).unwrap(), 4);
        let left = names(&outbox);
        assert_eq!(left.len(), 2, "{left:?}");
        assert!(left.iter().all(|name| !name.contains(ERASED)), "{left:?}");
        assert!(left.iter().any(|name| name.contains(KEPT)));
        assert!(left.iter().any(|name| name.contains(&notice.to_string())));
        // Again, or for an application without mails: nothing.
        assert_eq!(outbox.forget(id(ERASED)).unwrap(), 0);
        assert_eq!(OutboxMailer::new(dir.path().join("never")).forget(id(KEPT)).unwrap(), 0);
    }

    /// A ledger that has these applications and notices, and nothing else.
    struct Ledger {
        applications: HashSet<ApplicationId>,
        notices: HashSet<NoticeId>,
    }

    #[async_trait]
    impl MailLedger for Ledger {
        async fn get(&self, id: ApplicationId) -> Result<Option<StoredApplication>, Unavailable> {
            // The sweep asks only whether there is one.
            Ok(self.applications.contains(&id).then(stored))
        }
        async fn notice(&self, id: NoticeId) -> Result<Option<crate::store::Notice>, Unavailable> {
            Ok(self
                .notices
                .contains(&id)
                .then(|| crate::store::Notice { notice_id: id, application_id: id_of_kept() }))
        }
        async fn history_entry(
            &self,
            _: ApplicationId,
            _: Version,
        ) -> Result<Option<HistoryEntry>, Unavailable> {
            Ok(None)
        }
        async fn mail_sent(&self, _: MailSubject, _: MailKind) -> Result<bool, Unavailable> {
            Ok(false)
        }
        async fn mark_mail_sent(
            &self,
            _: MailSubject,
            _: MailKind,
            _: Option<&crate::store::SentMail>,
        ) -> Result<bool, Unavailable> {
            Ok(false)
        }
    }

    fn id_of_kept() -> ApplicationId {
        id(KEPT)
    }

    /// An application as the store answers it (the sweep reads only whether there is one).
    fn stored() -> StoredApplication {
        use serde::Deserialize;
        let value = test_support::seed_application();
        let raw = crate::domain::RawApplication::deserialize(&value).unwrap();
        StoredApplication {
            receipt: crate::domain::Receipt::issue_now(),
            application: crate::domain::Application::parse(&raw).unwrap().application,
            status: crate::domain::Status::Received,
            version: Version::FIRST,
            verified_at: None,
            expires_at: None,
            supersedes: None,
            partner_code: None,
            assignee: None,
            mail_problem: false,
        }
    }

    #[tokio::test]
    async fn the_sweep_deletes_the_mails_of_what_the_store_no_longer_has() {
        let dir = tempfile::tempdir().unwrap();
        let (outbox, notice) = outbox_with_mails(dir.path()).await;
        let ledger = Ledger { applications: HashSet::from([id(KEPT)]), notices: HashSet::new() };
        // Right after an erasure: only the notices' mails are looked at.
        assert_eq!(outbox.sweep(&ledger, true).await.unwrap(), 1);
        assert!(!names(&outbox).iter().any(|name| name.contains(&notice.to_string())));
        assert_eq!(names(&outbox).len(), 5);
        // Retention: every mail of an application the store no longer has.
        assert_eq!(outbox.sweep(&ledger, false).await.unwrap(), 4);
        let left = names(&outbox);
        assert_eq!(left.len(), 1, "{left:?}");
        assert!(left[0].contains(KEPT));
        assert_eq!(outbox.sweep(&ledger, false).await.unwrap(), 0);
    }
}
