//! The delivery policy (`shared::mail::deliver`) on the local-run path: the
//! SQLite store keeps the per-event markers and the outbox writes `.eml`
//! files, through the same `deliver` the notify Lambda runs on DynamoDB and
//! SES. Every row of the mail table, end to end: link, confirmation, notice.
//! The result mails of decisions go through the same policy over a store that
//! holds one decided application and its history (what the delivery reads).

use async_trait::async_trait;
use mail_parser::MessageParser;
use serde::Deserialize;
use serde_json::Value;
use shared::domain::{
    Application, ApplicationId, Decision, HistoryAction, HistoryEntry, NoticeId, RawApplication, Version,
};
use shared::keyed::{IdentifierKey, VerificationToken};
use shared::mail::{
    Mail, MailConfig, MailEvent, MailFailure, MailKind, MailSubject, Mailer, OutboxMailer, Postman,
    SendError, deliver,
};
use shared::store::sqlite::SqliteStore;
use shared::store::{
    ConfirmOutcome, MailLedger, Notice, Store, StoredApplication, Submission, SubmitOutcome, Unavailable,
};
use shared::store::{Intake, Tooling};
use std::collections::HashSet;
use std::sync::Mutex;
use test_support::{mail_marks, outbox_files};

/// The mail settings of the mail suite, with this sender and operator.
fn mail_config(from: &str, operator: &str) -> MailConfig {
    use shared::mail::{ENV_FROM, ENV_FROM_NAME, ENV_OPERATOR, ENV_PUBLIC_BASE_URL, ENV_REPLY_TO, pairs};
    MailConfig::from_lookup(pairs(&[
        (ENV_PUBLIC_BASE_URL, "https://partners.example.jp"),
        (ENV_FROM, from),
        (ENV_FROM_NAME, "パートナー登録窓口"),
        (ENV_REPLY_TO, "partner-support@partner.example.jp"),
        (ENV_OPERATOR, operator),
    ]))
    .expect("valid mail settings")
}

/// One of the mail suite's applicants, applying as `email`.
fn with_email(mut value: Value, email: &str) -> Application {
    value["email"] = email.into();
    value["emailConfirmation"] = email.into();
    let raw = RawApplication::deserialize(&value).expect("decodes");
    Application::parse(&raw).expect("valid").application
}

/// The seed's corporation (`crate::mail::corporation`) as `email`.
fn corporation(email: &str) -> Application {
    with_email(crate::mail::corporation(), email)
}

/// The mail suite's sole proprietor, with 𠮷 in the name, as `email`.
fn sole_proprietor(email: &str) -> Application {
    with_email(crate::mail::sole_proprietor(), email)
}

/// Stores `application` through the store's own submission path.
async fn submit(store: &dyn Store, application: Application) -> (Submission, MailEvent) {
    let key = test_support::unique("key-0123456789abcdef");
    let submission = crate::store_contract::submission(&key, application);
    let outcome = store.submit(&submission).await.expect("stored");
    let SubmitOutcome::Created { event, .. } = outcome else { panic!("{outcome:?}") };
    (submission, event)
}

/// The outbox's mails of this kind, parsed back.
fn read(data_dir: &std::path::Path, kind: MailKind) -> Vec<(String, String, String)> {
    let mut mails = Vec::new();
    for name in outbox_files(data_dir) {
        if name.ends_with(&format!("-{}.eml", kind.slug())) {
            let raw = std::fs::read(data_dir.join("outbox").join(&name)).unwrap();
            let message = MessageParser::default().parse(&raw).expect("an RFC 5322 message");
            let to = message.to().unwrap().first().unwrap().address().unwrap().to_owned();
            mails.push((
                to,
                message.subject().unwrap().to_owned(),
                message.body_text(0).unwrap().into_owned(),
            ));
        }
    }
    mails
}

/// The token in a verification mail's link, as the verify page reads it.
fn token_in(text: &str) -> VerificationToken {
    let (_, rest) = text.split_once("/verify#token=").expect("a link");
    VerificationToken::parse(&rest[..64]).expect("a token")
}

struct Local {
    data_dir: tempfile::TempDir,
    store: SqliteStore,
    outbox: OutboxMailer,
    config: MailConfig,
    key: IdentifierKey,
}

impl Local {
    fn new() -> Self {
        let data_dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_dir(data_dir.path()).unwrap();
        let outbox = OutboxMailer::new(data_dir.path());
        let config = mail_config("no-reply@partner.example.jp", "review@partner.example.jp");
        Local { data_dir, store, outbox, config, key: IdentifierKey::for_tests() }
    }

    fn postman<'a>(&'a self, mailer: &'a dyn Mailer) -> Postman<'a> {
        Postman { store: &self.store, mailer, config: &self.config, key: &self.key }
    }

    async fn deliver(&self, event: MailEvent) {
        deliver(&self.postman(&self.outbox), event).await.unwrap();
    }
}

#[tokio::test]
async fn every_mail_of_the_table_goes_out_once() {
    let local = Local::new();
    let dir = local.data_dir.path();
    let (submission, submitted) = submit(&local.store, sole_proprietor("hanako@example.co.jp")).await;
    local.deliver(submitted).await;
    local.deliver(submitted).await;
    let links = read(dir, MailKind::Verification);
    assert_eq!(links.len(), 1, "delivered twice, sent once");
    let (to, subject, text) = &links[0];
    assert_eq!(
        (to.as_str(), subject.as_str()),
        ("hanako@example.co.jp", "【パートナー登録】メールアドレスの確認をお願いします")
    );
    assert!(!text.contains("𠮷田") && !text.contains("千代田"), "no typed text before the address is proven");

    // The link in the mail confirms the application.
    let token = token_in(text);
    assert_eq!(token.hash(), submission.token_hash);
    let ConfirmOutcome::Confirmed(stored) = local.store.confirm(&token.hash()).await.unwrap() else {
        panic!()
    };
    let confirmed = MailEvent::Confirmed(stored.receipt.application_id);
    local.deliver(confirmed).await;
    local.deliver(confirmed).await;
    let acknowledgements = read(dir, MailKind::Acknowledgement);
    assert_eq!(acknowledgements.len(), 1);
    let (to, subject, text) = &acknowledgements[0];
    assert_eq!(to, "hanako@example.co.jp");
    let number = stored.receipt.reception_number;
    assert_eq!(subject, &format!("【パートナー登録】お申し込みを受け付けました(受付番号:{number})"));
    assert!(text.contains("𠮷田 花子 様") && text.contains("名前(姓): 𠮷田\n"), "{text}");
    let notices = read(dir, MailKind::OperatorNotice);
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].0, "review@partner.example.jp");
    assert!(!notices[0].2.contains("hanako") && !notices[0].2.contains("𠮷田"), "no personal data");
    assert_eq!(mail_marks(&local.store, confirmed).await, [true, true]);

    // The same address again: only a reminder of the application it has.
    let (_, notice) = submit(&local.store, sole_proprietor("Hanako@example.co.jp")).await;
    assert!(matches!(notice, MailEvent::AlreadyReceived(_)));
    local.deliver(notice).await;
    local.deliver(notice).await;
    let reminders = read(dir, MailKind::AlreadyReceived);
    assert_eq!(reminders.len(), 1);
    assert_eq!(reminders[0].0, "hanako@example.co.jp");
    assert!(reminders[0].2.contains(number.as_str()) && !reminders[0].2.contains("verify#"));
    assert_eq!(outbox_files(dir).len(), 4, "{:?}", outbox_files(dir));
    assert_eq!(local.store.pending_mail().await.unwrap(), []);
}

#[tokio::test]
async fn a_superseded_application_gets_no_link_and_its_successor_a_reissued_one() {
    let local = Local::new();
    let (_, first) = submit(&local.store, corporation("taro@example.com")).await;
    let (second_submission, second) = submit(&local.store, corporation("taro@example.com")).await;
    local.deliver(first).await;
    assert_eq!(outbox_files(local.data_dir.path()), Vec::<String>::new(), "the first is gone");
    local.deliver(second).await;
    let links = read(local.data_dir.path(), MailKind::Verification);
    assert_eq!(links.len(), 1);
    assert!(links[0].2.contains("以前にお送りした確認用のリンクは無効です"));
    assert_eq!(token_in(&links[0].2).hash(), second_submission.token_hash);
}

/// The outbox, except that one kind of mail cannot be sent.
struct FailingFor {
    kind: MailKind,
    outbox: OutboxMailer,
}

#[async_trait]
impl Mailer for FailingFor {
    async fn send(&self, mail: &Mail) -> Result<String, SendError> {
        if mail.kind == self.kind {
            return Err(SendError::new(mail.kind, "SES rejected the request: MessageRejected"));
        }
        self.outbox.send(mail).await
    }
}

async fn confirmed(local: &Local, application: Application) -> MailEvent {
    let (submission, _) = submit(&local.store, application).await;
    let ConfirmOutcome::Confirmed(stored) = local.store.confirm(&submission.token_hash).await.unwrap() else {
        panic!()
    };
    MailEvent::Confirmed(stored.receipt.application_id)
}

#[tokio::test]
async fn one_failing_mail_does_not_hold_back_the_other() {
    let local = Local::new();
    let event = confirmed(&local, corporation("taro@example.com")).await;
    let failing = FailingFor { kind: MailKind::Acknowledgement, outbox: local.outbox.clone() };
    let error = deliver(&local.postman(&failing), event).await.unwrap_err();
    assert_eq!(error.failures.len(), 1);
    assert!(matches!(error.failures[0], (MailKind::Acknowledgement, MailFailure::Send(_))));
    let message = error.to_string();
    assert!(!message.contains("taro") && !message.contains("山田"), "no personal data: {message}");
    let subject = event.subject();
    assert!(!local.store.mail_sent(subject, MailKind::Acknowledgement).await.unwrap());
    assert!(local.store.mail_sent(subject, MailKind::OperatorNotice).await.unwrap());
    assert_eq!(outbox_files(local.data_dir.path()).len(), 1);
    assert_eq!(local.store.pending_mail().await.unwrap(), [event], "still owed");

    // The retry sends only what is still owed.
    local.deliver(event).await;
    let files = outbox_files(local.data_dir.path());
    assert_eq!(files.len(), 2);
    assert_eq!(files.iter().filter(|f| f.ends_with("operator-notice.eml")).count(), 1);
    assert!(matches!(subject, MailSubject::Application(_)));
}

#[tokio::test]
async fn an_unwritable_outbox_is_a_failure_not_a_marker() {
    let local = Local::new();
    // A file where the outbox directory should be.
    std::fs::write(local.data_dir.path().join("outbox"), b"").unwrap();
    let event = confirmed(&local, corporation("jiro@example.com")).await;
    let error = deliver(&local.postman(&local.outbox), event).await.unwrap_err();
    assert_eq!(error.failures.len(), 2, "{error}");
    assert_eq!(mail_marks(&local.store, event).await, [false, false]);
    assert!(!local.data_dir.path().join("outbox").is_dir());
}

/// The store as a decision's delivery reads it: one application (or none,
/// once erased or past its retention), its stored history entries, and the
/// result mails' markers. The delivery uses nothing else.
struct Decided {
    application: Option<StoredApplication>,
    entries: Vec<HistoryEntry>,
    marks: Mutex<HashSet<(MailSubject, MailKind)>>,
}

impl Decided {
    fn new(application: Option<StoredApplication>, entries: Vec<HistoryEntry>) -> Self {
        Decided { application, entries, marks: Mutex::default() }
    }
}

#[async_trait]
impl MailLedger for Decided {
    async fn get(&self, id: ApplicationId) -> Result<Option<StoredApplication>, Unavailable> {
        Ok(self.application.clone().filter(|stored| stored.receipt.application_id == id))
    }
    async fn notice(&self, _: NoticeId) -> Result<Option<Notice>, Unavailable> {
        unimplemented!("not read by a decision's delivery")
    }
    async fn history_entry(
        &self,
        _: ApplicationId,
        version: Version,
    ) -> Result<Option<HistoryEntry>, Unavailable> {
        // The history of the one application this store holds (or held).
        Ok(self.entries.iter().find(|entry| entry.version == version).cloned())
    }
    async fn mail_sent(&self, subject: MailSubject, kind: MailKind) -> Result<bool, Unavailable> {
        Ok(self.marks.lock().unwrap().contains(&(subject, kind)))
    }
    async fn mark_mail_sent(
        &self,
        subject: MailSubject,
        kind: MailKind,
        _: Option<&shared::store::SentMail>,
    ) -> Result<bool, Unavailable> {
        Ok(subject.carries(kind) && self.marks.lock().unwrap().insert((subject, kind)))
    }
}

fn decided_event(stored: &StoredApplication, entry: &HistoryEntry, decision: Decision) -> MailEvent {
    MailEvent::Recorded(stored.receipt.application_id, entry.version, decision.into())
}

#[tokio::test]
async fn each_decisions_result_mail_goes_out_once_to_the_applicant() {
    for decision in Decision::ALL {
        let message = crate::mail::message_of(decision);
        let (stored, entry) = crate::mail::decided(decision, crate::mail::corporation(), message);
        let event = decided_event(&stored, &entry, decision);
        let store = Decided::new(Some(stored.clone()), vec![entry.clone()]);
        let local = Local::new();
        let postman =
            Postman { store: &store, mailer: &local.outbox, config: &local.config, key: &local.key };
        deliver(&postman, event).await.unwrap();
        deliver(&postman, event).await.unwrap();

        let kind = HistoryAction::from(decision).mails()[0];
        let mails = read(local.data_dir.path(), kind);
        assert_eq!(mails.len(), 1, "{decision:?}: delivered twice, sent once");
        let (to, subject, text) = &mails[0];
        assert_eq!(to, "sample@example.com");
        assert!(subject.ends_with(&format!("(受付番号:{})", stored.receipt.reception_number)), "{subject}");
        assert!(text.starts_with("エックスサーバー株式会社\n山田 太郎 様\n"), "{text}");
        if let Some(message) = message {
            assert!(text.contains(message), "{decision:?} quotes the operator");
        }
        assert_eq!(mail_marks(&store, event).await, [true], "{decision:?}");
        // Its file and Message-ID name the decision's version.
        let files = outbox_files(local.data_dir.path());
        let about = MailSubject::History(stored.receipt.application_id, entry.version);
        assert!(files[0].ends_with(&format!("-{about}-{}.eml", kind.slug())), "{files:?}");
    }
}

#[tokio::test]
async fn an_erased_or_deleted_application_gets_no_result_mail() {
    let (stored, entry) = crate::mail::decided(Decision::Reject, crate::mail::corporation(), None);
    let event = decided_event(&stored, &entry, Decision::Reject);
    // Its history entry is still there; the application is not.
    let store = Decided::new(None, vec![entry]);
    let local = Local::new();
    let postman = Postman { store: &store, mailer: &local.outbox, config: &local.config, key: &local.key };
    deliver(&postman, event).await.unwrap();
    assert_eq!(outbox_files(local.data_dir.path()), Vec::<String>::new());
    assert_eq!(mail_marks(&store, event).await, [false]);
}

#[tokio::test]
async fn no_result_mail_without_the_entry_of_that_decision() {
    let (stored, entry) = crate::mail::decided(Decision::Approve, crate::mail::corporation(), None);
    let local = Local::new();
    // No entry at that version; an entry of another action at it.
    let mut rejection = entry.clone();
    rejection.action = HistoryAction::Reject;
    for entries in [vec![], vec![rejection]] {
        let store = Decided::new(Some(stored.clone()), entries);
        let postman =
            Postman { store: &store, mailer: &local.outbox, config: &local.config, key: &local.key };
        let event = decided_event(&stored, &entry, Decision::Approve);
        deliver(&postman, event).await.unwrap();
        assert_eq!(mail_marks(&store, event).await, [false]);
    }
    assert_eq!(outbox_files(local.data_dir.path()), Vec::<String>::new());
}

#[tokio::test]
async fn an_approval_without_its_partner_code_fails_unmarked() {
    let (mut stored, entry) = crate::mail::decided(Decision::Approve, crate::mail::corporation(), None);
    stored.partner_code = None;
    let event = decided_event(&stored, &entry, Decision::Approve);
    let store = Decided::new(Some(stored), vec![entry]);
    let local = Local::new();
    let postman = Postman { store: &store, mailer: &local.outbox, config: &local.config, key: &local.key };
    let error = deliver(&postman, event).await.unwrap_err();
    assert!(matches!(error.failures[..], [(MailKind::Approved, MailFailure::Render(_))]), "{error:?}");
    let message = error.to_string();
    assert_eq!(message, "approved: the approved mail needs the partner code, which is not stored");
    assert_eq!(outbox_files(local.data_dir.path()), Vec::<String>::new());
    assert_eq!(mail_marks(&store, event).await, [false], "owed until the record is whole");
}
