//! The wording of every mail, each as plain text and HTML from the same parts
//! ([`letter`]): the intake's mails ([`intake`]) and the result mails of the
//! operators' decisions ([`result`]).
//!
//! What a mail may carry depends on whether its address is proven. The
//! verification and already-received mails go to an address that anyone could
//! have typed, so they carry only fixed text, configured contacts and values
//! this system made (a link, a time, a reception number): never what the
//! submitter typed. The 控え, with every field, goes out only after the
//! address was proven by its link, and so do the result mails, which name
//! their addressee and may quote the operator's message. The operators'
//! notice carries no personal data at all: a reception number, a contract
//! type and a console link.

mod intake;
mod letter;
mod result;

use super::{Mail, MailConfig, MailKind, MailSubject};
use crate::domain::StoredApplication;
use crate::domain::{Application, Contractor, HistoryEntry};
use crate::keyed::IdentifierKey;
use letter::Block;

const SUBJECT_VERIFICATION: &str = "【パートナー登録】メールアドレスの確認をお願いします";
const SUBJECT_ALREADY_RECEIVED: &str = "【パートナー登録】このメールアドレスでのお申し込みは受付済みです";
const SUBJECT_ACKNOWLEDGEMENT: &str = "【パートナー登録】お申し込みを受け付けました";
const SUBJECT_OPERATOR_NOTICE: &str = "【パートナー登録】新しいお申し込みがありました";

/// What a mail is rendered from, read back from the store.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// The application alone: the intake's mails.
    Application(&'a StoredApplication),
    /// An operator's decision: the application as it is now, and the stored
    /// history entry that recorded the decision (its time, its message).
    Decision(&'a StoredApplication, &'a HistoryEntry),
}

impl<'a> Source<'a> {
    pub fn stored(self) -> &'a StoredApplication {
        match self {
            Source::Application(stored) | Source::Decision(stored, _) => stored,
        }
    }
}

/// Why a mail cannot be rendered from what was read back. Names what is
/// missing, never a value. Not a reason to skip the mail silently: each one
/// means a stored record contradicts the write that made it, so the delivery
/// fails (and is retried, and alarms) rather than mark it sent or send a
/// mail that says less than the terms require.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unrenderable {
    /// A result mail without the history entry of its decision, or with the
    /// entry of another action; or an intake mail given a decision.
    #[error("the {0} mail cannot be rendered from this record")]
    WrongSource(&'static str),
    /// 審査完了 without its 取次店コード, or a request for documents without
    /// the operator's message: such a mail would not do what it is for.
    #[error("the {mail} mail needs the {missing}, which is not stored")]
    Missing { mail: &'static str, missing: &'static str },
}

/// Renders the mail of this kind. Identifiers are typed, so each is safe in a
/// header by construction, and applicant and operator text reach only the
/// bodies (of the mails that may carry them). It fails only when the record
/// lacks what the mail must say ([`Unrenderable`]).
pub fn render(
    kind: MailKind,
    config: &MailConfig,
    key: &IdentifierKey,
    source: Source<'_>,
) -> Result<Mail, Unrenderable> {
    let stored = source.stored();
    let receipt = &stored.receipt;
    let app = &stored.application;
    let reception_number = receipt.reception_number;
    let about = MailSubject::Application(receipt.application_id);
    let (about, to, subject, letter) = match (kind, source) {
        (MailKind::Verification, Source::Application(_)) => {
            let link = config.verification_link(&key.verification_token(receipt.application_id));
            let expires_at = stored.expires_at.unwrap_or(receipt.received_at);
            let letter = intake::verification(config, &link, expires_at, stored.supersedes.is_some());
            (about, app.email.as_str(), SUBJECT_VERIFICATION.to_owned(), letter)
        }
        (MailKind::AlreadyReceived, Source::Application(_)) => {
            let letter = intake::already_received(config, reception_number, receipt.received_at);
            let subject = format!("{SUBJECT_ALREADY_RECEIVED}(受付番号:{reception_number})");
            (about, app.email.as_str(), subject, letter)
        }
        (MailKind::Acknowledgement, Source::Application(_)) => {
            let summary = intake::summary(app);
            let letter =
                intake::acknowledgement(app, config, reception_number, receipt.received_at, &summary);
            let subject = format!("{SUBJECT_ACKNOWLEDGEMENT}(受付番号:{reception_number})");
            (about, app.email.as_str(), subject, letter)
        }
        (MailKind::OperatorNotice, Source::Application(_)) => {
            let letter = intake::operator_notice(config, stored);
            let subject = format!("{SUBJECT_OPERATOR_NOTICE}(受付番号:{reception_number})");
            (about, config.operator.as_str(), subject, letter)
        }
        // The entry must record the change this mail reports.
        (kind, Source::Decision(_, entry)) if entry.action.mails().contains(&kind) => {
            let (title, letter) = result::letter(kind, config, key, stored, entry)?;
            let about = MailSubject::History(receipt.application_id, entry.version);
            let to = if kind.to_operators() { config.operator.as_str() } else { app.email.as_str() };
            (about, to, format!("{title}(受付番号:{reception_number})"), letter)
        }
        _ => return Err(Unrenderable::WrongSource(kind.slug())),
    };
    Ok(Mail {
        kind,
        about,
        from: config.from.as_str().to_owned(),
        from_name: config.from_name.clone(),
        reply_to: config.reply_to.as_str().to_owned(),
        to: to.to_owned(),
        subject,
        text: letter.text(),
        html: letter.html(),
        tracking: None,
    })
}

/// The salutation of a mail to a proven address: the corporation, if any, then
/// 姓 名 様 (for a corporation, the person in charge).
fn addressee(app: &Application) -> Block {
    let mut lines = Vec::new();
    if let Contractor::Corporation { name, .. } = app.contractor() {
        lines.push(name.as_str().to_owned());
    }
    lines.push(format!("{} {} 様", app.last_name.as_str(), app.first_name.as_str()));
    Block::Paragraph(lines)
}
