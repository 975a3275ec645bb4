//! Every mail of the contract's mail table: its wording (insta snapshots), what
//! it may and may not carry, its MIME form (parsed back with mail-parser),
//! injection safety, and the `.eml` outbox. The result mails of the operators'
//! decisions are rendered from an application and the history entry of its
//! decision, as the delivery reads them back.

use mail_parser::{MessageParser, MimeHeaders};
use serde::Deserialize;
use serde_json::{Value, json};
use shared::domain::Field;
use shared::domain::{
    Actor, Application, ApplicationId, Decision, HistoryAction, HistoryEntry, OperatorMessage, PartnerCode,
    RawApplication, Receipt, ReceptionNumber, Status, Timestamp, Version,
};
use shared::keyed::IdentifierKey;
use shared::mail::{
    ENV_FROM, ENV_FROM_NAME, ENV_OPERATOR, ENV_OPERATOR_CONTACT, ENV_PUBLIC_BASE_URL, ENV_REPLY_TO, Mail,
    MailConfig, Mailer, OutboxMailer, Source, Unrenderable, pairs,
};
use shared::mail::{MailKind, MailSubject};
use shared::store::StoredApplication;

pub(crate) fn config() -> MailConfig {
    MailConfig::from_lookup(pairs(&[
        (ENV_PUBLIC_BASE_URL, "https://partners.example.jp"),
        (ENV_FROM, "no-reply@partner.example.jp"),
        (ENV_FROM_NAME, "パートナー登録窓口"),
        (ENV_REPLY_TO, "partner-support@partner.example.jp"),
        (ENV_OPERATOR, "partner-review@partner.example.jp"),
        (
            ENV_OPERATOR_CONTACT,
            "エックスサーバー株式会社 パートナー事務局\\nE-mail: partner-support@partner.example.jp\\n受付時間:10:00~18:00(土日祝日、弊社指定休業日を除く)",
        ),
    ]))
    .expect("valid settings")
}

/// The seed form's examples, as a corporation.
pub(crate) fn corporation() -> Value {
    test_support::seed_application()
}

/// A sole proprietor who left every optional field blank, with 𠮷 in the name.
pub(crate) fn sole_proprietor() -> Value {
    json!({
        "email": "tanaka.shop@example.co.jp",
        "emailConfirmation": "tanaka.shop@example.co.jp",
        "contractType": "sole_proprietor",
        "lastName": "𠮷田", "firstName": "花子",
        "lastNameKana": "ヨシダ", "firstNameKana": "ハナコ",
        "postalCode": "1000001",
        "addressRegion": "東京都千代田区",
        "addressStreet": "千代田1-1",
        "phone": "03-1234-5678",
        "agreedToTerms": true
    })
}

fn application(value: Value) -> Application {
    let raw = RawApplication::deserialize(&value).expect("decodes");
    Application::parse(&raw).expect("valid").application
}

fn receipt() -> Receipt {
    Receipt {
        application_id: ApplicationId::parse("01KB5Q9Z8E4M7T3W6X2C9HJ5RA").unwrap(),
        reception_number: ReceptionNumber::parse("PR-7A3C-K9XE").unwrap(),
        received_at: Timestamp::parse("2026-11-28T18:30:05+09:00").unwrap(),
    }
}

/// Confirmed: what the 控え and the operators' notice are about.
fn stored(value: Value) -> StoredApplication {
    StoredApplication {
        receipt: receipt(),
        application: application(value),
        status: Status::Received,
        version: Version::FIRST.next(),
        verified_at: Some(Timestamp::parse("2026-11-28T18:42:10+09:00").unwrap()),
        expires_at: None,
        supersedes: None,
        partner_code: None,
        assignee: None,
        mail_problem: false,
    }
}

/// Awaiting verification: what the link mail is about.
fn awaiting(value: Value, supersedes: Option<ApplicationId>) -> StoredApplication {
    StoredApplication {
        status: Status::AwaitingVerification,
        version: Version::FIRST,
        verified_at: None,
        expires_at: Some(Timestamp::parse("2026-11-29T18:30:05+09:00").unwrap()),
        supersedes,
        ..stored(value)
    }
}

const PARTNER_CODE: &str = "TC-09AC-XY47";
const DOCUMENTS_MESSAGE: &str = "履歴事項全部証明書(発行から3か月以内のもの)の写しをお送りください。\n\
     PDFまたは画像ファイルでお送りいただけます。\n\n\
     ご不明な点があれば、このメールにご返信ください。";
const REJECTION_MESSAGE: &str = "ご提出いただいた資料では、事業所の所在地を確認できませんでした。";

/// A decision on the confirmed application `value`, as the store holds it
/// after the decision: version 3, with its history entry.
pub(crate) fn decided(
    decision: Decision,
    value: Value,
    message: Option<&str>,
) -> (StoredApplication, HistoryEntry) {
    let version = Version::FIRST.next().next();
    let status = decision.transition().to();
    let at = Timestamp::parse("2026-12-01T10:15:00+09:00").unwrap();
    let stored = StoredApplication {
        status,
        version,
        partner_code: (decision == Decision::Approve).then(|| PartnerCode::parse(PARTNER_CODE).unwrap()),
        expires_at: (decision == Decision::Reject)
            .then(|| Timestamp::parse("2027-12-01T10:15:00+09:00").unwrap()),
        ..stored(value)
    };
    let entry = HistoryEntry {
        version,
        at,
        actor: Actor::parse("reviewer@partner.example.jp").unwrap(),
        action: HistoryAction::from(decision),
        from_status: Some(Status::Received),
        to_status: Some(status),
        message: message.map(|text| OperatorMessage::parse(text).unwrap()),
        reason: None,
        files: None,
        fields: None,
    };
    (stored, entry)
}

/// A correction of the confirmed application `value` (its street and phone),
/// as the store holds it after: version 3, with its history entry naming the keys.
pub(crate) fn corrected(value: Value) -> (StoredApplication, HistoryEntry) {
    let mut value = value;
    value["addressStreet"] = json!("梅田1-2-3");
    value["phone"] = json!("06-1234-5678");
    let version = Version::FIRST.next().next();
    let stored = StoredApplication { version, ..stored(value) };
    let entry = HistoryEntry {
        version,
        at: Timestamp::parse("2026-12-01T10:15:00+09:00").unwrap(),
        actor: Actor::parse("reviewer@partner.example.jp").unwrap(),
        action: HistoryAction::Correct,
        from_status: None,
        to_status: None,
        message: None,
        reason: Some(shared::domain::HistoryReason::Correction(
            shared::domain::CorrectionReason::ApplicantRequest,
        )),
        files: None,
        fields: Some(vec![Field::AddressStreet, Field::Phone]),
    };
    (stored, entry)
}

/// The message each decision is rendered with, unless a test says otherwise.
pub(crate) fn message_of(decision: Decision) -> Option<&'static str> {
    match decision {
        Decision::RequestDocuments => Some(DOCUMENTS_MESSAGE),
        Decision::Reject => Some(REJECTION_MESSAGE),
        Decision::Approve => None,
    }
}

fn render(kind: MailKind, config: &MailConfig, stored: &StoredApplication) -> Mail {
    shared::mail::render(kind, config, &IdentifierKey::for_tests(), Source::Application(stored))
        .expect("renders")
}

fn render_decided(config: &MailConfig, (stored, entry): &(StoredApplication, HistoryEntry)) -> Mail {
    let kind = entry.action.mails()[0];
    shared::mail::render(kind, config, &IdentifierKey::for_tests(), Source::Decision(stored, entry))
        .expect("renders")
}

/// The decision whose result mail `kind` is, if it is one.
fn decision_of(kind: MailKind) -> Option<Decision> {
    Decision::ALL.into_iter().find(|&decision| HistoryAction::from(decision).mails() == [kind])
}

/// The documents asked for by [`decided`] submitted: version 4, two files.
fn documents_submitted(value: Value) -> (StoredApplication, HistoryEntry) {
    let (asked, _) = decided(Decision::RequestDocuments, value, message_of(Decision::RequestDocuments));
    let version = asked.version.next();
    let stored = StoredApplication { status: Status::DocumentsSubmitted, version, ..asked };
    let entry = HistoryEntry {
        version,
        at: Timestamp::parse("2026-12-03T09:00:00+09:00").unwrap(),
        actor: Actor::applicant(),
        action: HistoryAction::SubmitDocuments,
        from_status: Some(Status::DocumentsRequested),
        to_status: Some(Status::DocumentsSubmitted),
        message: None,
        reason: None,
        files: Some(2),
        fields: None,
    };
    (stored, entry)
}

/// Whether `kind` goes to the applicant's proven address, named (the 控え,
/// the results, the documents' receipt).
fn addressed(kind: MailKind) -> bool {
    kind == MailKind::Acknowledgement || addressed_result(kind)
}

/// Whether `kind` is a result mail to the proven address, which names its
/// addressee (a decision's, or a correction's, which shows only the corrected fields).
fn addressed_result(kind: MailKind) -> bool {
    decision_of(kind).is_some() || kind == MailKind::Corrected || kind == MailKind::DocumentsReceived
}

/// Renders `kind` from what it is about: `value` awaiting verification,
/// confirmed, decided, or with its documents submitted.
fn render_any(kind: MailKind, config: &MailConfig, value: Value) -> Mail {
    if HistoryAction::SubmitDocuments.mails().contains(&kind) {
        let (stored, entry) = documents_submitted(value);
        return shared::mail::render(
            kind,
            config,
            &IdentifierKey::for_tests(),
            Source::Decision(&stored, &entry),
        )
        .expect("renders");
    }
    match decision_of(kind) {
        Some(decision) => render_decided(config, &decided(decision, value, message_of(decision))),
        None if kind == MailKind::Corrected => render_decided(config, &corrected(value)),
        None if kind == MailKind::Verification => render(kind, config, &awaiting(value, None)),
        None => render(kind, config, &stored(value)),
    }
}

/// What a reader sees: the headers we set and both bodies.
fn readable(mail: &Mail) -> String {
    format!(
        "From: {} <{}>\nReply-To: {}\nTo: {}\nSubject: {}\n\n----- text/plain -----\n{}\n----- text/html -----\n{}",
        mail.from_name.as_deref().unwrap_or(""),
        mail.from,
        mail.reply_to,
        mail.to,
        mail.subject,
        mail.text,
        mail.html
    )
}

/// 登録内容訂正のお知らせ: the corrected fields under the form's labels with
/// their values now, and nothing else the applicant typed.
#[test]
fn the_correction_names_the_corrected_fields_with_their_new_values() {
    let mail = render_decided(&config(), &corrected(corporation()));
    assert_eq!(mail.to, "sample@example.com");
    assert!(mail.subject.starts_with("【パートナー登録】登録内容訂正のお知らせ"), "{}", mail.subject);
    for needle in
        ["訂正した項目", "住所(町域、丁目・番地)、電話番号", "梅田1-2-3", "06-1234-5678", "PR-7A3C-K9XE"]
    {
        assert!(mail.text.contains(needle), "{needle}: {}", mail.text);
    }
    for absent in ["大深町4-20", "グランフロント", "530-0011", "T7000012050002"] {
        assert!(!mail.text.contains(absent), "{absent}: {}", mail.text);
    }
    let (stored, mut entry) = corrected(corporation());
    entry.fields = None;
    let refused = shared::mail::render(
        MailKind::Corrected,
        &config(),
        &IdentifierKey::for_tests(),
        Source::Decision(&stored, &entry),
    );
    assert!(refused.is_err(), "no mail without the keys it reports");
}

#[test]
fn acknowledgement_to_a_corporation() {
    let mail = render(MailKind::Acknowledgement, &config(), &stored(corporation()));
    insta::assert_snapshot!("acknowledgement_corporation", readable(&mail));
}

#[test]
fn acknowledgement_to_a_sole_proprietor() {
    let mail = render(MailKind::Acknowledgement, &config(), &stored(sole_proprietor()));
    insta::assert_snapshot!("acknowledgement_sole_proprietor", readable(&mail));
}

#[test]
fn verification() {
    let mail = render(MailKind::Verification, &config(), &awaiting(corporation(), None));
    insta::assert_snapshot!("verification", readable(&mail));
}

#[test]
fn verification_reissued() {
    let earlier = ApplicationId::parse("01KB5Q8AAAAAAAAAAAAAAAAAAA").unwrap();
    let mail = render(MailKind::Verification, &config(), &awaiting(corporation(), Some(earlier)));
    insta::assert_snapshot!("verification_reissued", readable(&mail));
}

#[test]
fn already_received() {
    let mail = render(MailKind::AlreadyReceived, &config(), &stored(corporation()));
    insta::assert_snapshot!("already_received", readable(&mail));
}

#[test]
fn operator_notice() {
    let mail = render(MailKind::OperatorNotice, &config(), &stored(corporation()));
    insta::assert_snapshot!("operator_notice", readable(&mail));
}

#[test]
fn documents_requested() {
    let decided = decided(Decision::RequestDocuments, corporation(), Some(DOCUMENTS_MESSAGE));
    insta::assert_snapshot!("documents_requested", readable(&render_decided(&config(), &decided)));
}

#[test]
fn approved_to_a_corporation() {
    let decided = decided(Decision::Approve, corporation(), None);
    insta::assert_snapshot!("approved_corporation", readable(&render_decided(&config(), &decided)));
}

#[test]
fn rejected_with_a_message() {
    let decided = decided(Decision::Reject, sole_proprietor(), Some(REJECTION_MESSAGE));
    insta::assert_snapshot!("rejected_with_message", readable(&render_decided(&config(), &decided)));
}

#[test]
fn rejected_without_a_message() {
    let decided = decided(Decision::Reject, corporation(), None);
    insta::assert_snapshot!("rejected_without_message", readable(&render_decided(&config(), &decided)));
}

#[test]
fn the_documents_request_quotes_the_message_verbatim_and_says_where_to_reply() {
    let mail = render_decided(
        &config(),
        &decided(Decision::RequestDocuments, corporation(), message_of(Decision::RequestDocuments)),
    );
    assert!(mail.text.contains(&format!("{DOCUMENTS_MESSAGE}\n")), "{}", mail.text);
    // Where to send them: the form's own page, this request's link (version 3).
    let id = ApplicationId::parse("01KB5Q9Z8E4M7T3W6X2C9HJ5RA").unwrap();
    let token = IdentifierKey::for_tests().documents_token(id, Version::FIRST.next().next());
    let link = format!("https://partners.example.jp/documents#token={}", token.as_str());
    assert!(mail.text.contains(&format!("{link}\n")), "{}", mail.text);
    assert!(mail.text.contains("提出期限: 2026年12月15日"), "14 days: {}", mail.text);
    assert!(!mail.text.contains("添付してお送りください"), "no attachments by mail");
    assert_eq!(mail.reply_to, "partner-support@partner.example.jp", "a reply reaches the desk");
    assert_eq!(mail.subject, "【パートナー登録】資料提出のお願い(受付番号:PR-7A3C-K9XE)");
    let id = ApplicationId::parse("01KB5Q9Z8E4M7T3W6X2C9HJ5RA").unwrap();
    assert_eq!(mail.about, MailSubject::History(id, Version::FIRST.next().next()));
    // The operator's text is escaped in HTML like any other value.
    let hostile = "<a href=\"https://evil.example\">資料</a> & 'x'";
    let mail = render_decided(&config(), &decided(Decision::RequestDocuments, corporation(), Some(hostile)));
    assert!(!mail.html.contains("<a href=\"https://evil.example"), "{}", mail.html);
    assert!(
        mail.html.contains("&lt;a href=&quot;https:&#x2F;&#x2F;evil.example&quot;&gt;資料"),
        "{}",
        mail.html
    );
    assert!(mail.text.contains(hostile), "verbatim in the text part");
}

#[test]
fn the_approval_forms_the_contract_and_carries_the_partner_code() {
    let mail = render_decided(&config(), &decided(Decision::Approve, sole_proprietor(), None));
    assert!(mail.text.contains(&format!("取次店コード: {PARTNER_CODE}\n")), "{}", mail.text);
    assert!(mail.text.contains("本契約が成立しました(利用規約 第3条2)"));
    assert!(mail.text.contains("審査完了日時: 2026年12月1日 10:15:00(日本時間)\n"));
    assert!(mail.text.starts_with("𠮷田 花子 様\n"), "a sole proprietor by name only: {}", mail.text);
    assert!(!mail.subject.contains(PARTNER_CODE), "the code stays out of the headers");
}

#[test]
fn the_rejection_gives_no_reason_but_the_operators() {
    let with = render_decided(&config(), &decided(Decision::Reject, corporation(), Some(REJECTION_MESSAGE)));
    let without = render_decided(&config(), &decided(Decision::Reject, corporation(), None));
    assert!(with.text.contains(&format!("■ 担当者からのご連絡\n\n{REJECTION_MESSAGE}\n")), "{}", with.text);
    assert!(!without.text.contains("担当者からのご連絡"), "{}", without.text);
    assert_eq!(without.subject, "【パートナー登録】審査結果のお知らせ(受付番号:PR-7A3C-K9XE)");
    for mail in [&with, &without] {
        assert!(!mail.text.contains("取次店コード") && !mail.text.contains("成立"), "{}", mail.text);
    }
}

#[test]
fn a_result_mail_is_not_rendered_from_the_wrong_record() {
    let key = IdentifierKey::for_tests();
    let config = config();
    // 審査完了 without its code would form a contract the partner cannot use.
    let (mut stored, entry) = decided(Decision::Approve, corporation(), None);
    stored.partner_code = None;
    let result = shared::mail::render(MailKind::Approved, &config, &key, Source::Decision(&stored, &entry));
    assert_eq!(result, Err(Unrenderable::Missing { mail: "approved", missing: "partner code" }));
    // A request for documents that says nothing (its message erased).
    let (stored, mut entry) = decided(Decision::RequestDocuments, corporation(), Some(DOCUMENTS_MESSAGE));
    entry.message = None;
    let result =
        shared::mail::render(MailKind::DocumentsRequested, &config, &key, Source::Decision(&stored, &entry));
    assert!(matches!(result, Err(Unrenderable::Missing { missing: "operator message", .. })), "{result:?}");
    // The entry of another decision, no entry at all, or an intake mail given one.
    let (stored, entry) = decided(Decision::Reject, corporation(), None);
    for (kind, source) in [
        (MailKind::Approved, Source::Decision(&stored, &entry)),
        (MailKind::Rejected, Source::Application(&stored)),
        (MailKind::Acknowledgement, Source::Decision(&stored, &entry)),
    ] {
        let result = shared::mail::render(kind, &config, &key, source);
        assert_eq!(result, Err(Unrenderable::WrongSource(kind.slug())), "{kind:?}");
    }
}

#[test]
fn the_acknowledgement_shows_every_entered_field_with_its_label_but_not_the_confirmation() {
    let app = stored(corporation());
    let mail = render(MailKind::Acknowledgement, &config(), &app);
    for (field, value) in app.application.entries() {
        let value = if field == Field::ContractType { "法人".to_owned() } else { value.to_string() };
        let line = format!("{}: {value}\n", field.label());
        assert!(mail.text.contains(&line), "lacks {line:?}");
    }
    assert!(!mail.text.contains(Field::EmailConfirmation.label()));
    assert!(mail.text.contains("PR-7A3C-K9XE"));
}

/// The abuse the lifecycle closes: a stranger types a lure into the form and
/// someone else's address. Only the 控え, sent after that address proved
/// itself, carries typed text, and the result mails (sent later still) only
/// the names they are addressed to; no other mail carries any of it.
#[test]
fn no_mail_but_the_acknowledgement_carries_typed_text() {
    let mut value = corporation();
    value["corporateName"] = json!("【重要】至急 https://evil.example/login");
    value["lastName"] = json!("本人確認");
    value["firstName"] = json!("要再設定");
    value["addressBuilding"] = json!("こちらからログイン evil.example");
    let typed = application(value.clone());
    for kind in MailKind::ALL {
        let mail = render_any(kind, &config(), value.clone());
        let carries = |needle: &str| {
            mail.text.contains(needle) || mail.html.contains(needle) || mail.subject.contains(needle)
        };
        let mut found = Vec::new();
        for (field, entry) in typed.entries() {
            let text = entry.to_string();
            // Fixed choices and the address it is sent to are not typed text.
            if matches!(field, Field::ContractType | Field::Email) || text.chars().count() < 3 {
                continue;
            }
            if carries(&text) {
                found.push(field.key());
            }
        }
        for needle in ["evil.example", "本人確認", "【重要】"] {
            if carries(needle) {
                found.push(needle);
            }
        }
        if kind == MailKind::Acknowledgement {
            assert!(found.contains(&"corporateName"), "the 控え shows what was entered");
        } else if addressed(kind) {
            // The salutation (its lure included), nothing else that was typed.
            let addressee =
                ["corporateName", "lastName", "firstName", "evil.example", "本人確認", "【重要】"];
            assert!(found.iter().all(|name| addressee.contains(name)), "{kind:?} carries {found:?}");
            assert!(!carries("こちらからログイン"), "{kind:?} carries the building");
        } else {
            assert!(found.is_empty(), "{kind:?} carries typed text: {found:?}");
        }
        // The operators' notices name no one: not even the address.
        if kind.to_operators() {
            assert!(!carries("sample@example.com") && !carries("06-6292-8811"));
        }
    }
}

#[test]
fn the_verification_link_and_its_expiry() {
    let app = awaiting(corporation(), None);
    let mail = render(MailKind::Verification, &config(), &app);
    let token = IdentifierKey::for_tests().verification_token(app.receipt.application_id);
    let link = format!("https://partners.example.jp/verify#token={}", token.as_str());
    assert!(mail.text.contains(&format!("{link}\n")), "{}", mail.text);
    assert!(mail.text.contains("リンクの有効期限: 2026年11月29日 18:30:05(日本時間)"));
    assert_eq!(mail.to, "sample@example.com");
    assert!(!mail.subject.contains("PR-7A3C-K9XE"), "no number before the address is proven");
    let reissued =
        render(MailKind::Verification, &config(), &awaiting(corporation(), Some(app.receipt.application_id)));
    assert!(reissued.text.contains("以前にお送りした確認用のリンクは無効です"));
    assert!(!mail.text.contains("以前にお送りした"));
    let already = render(MailKind::AlreadyReceived, &config(), &stored(corporation()));
    assert!(!already.text.contains("https://"), "no link: {}", already.text);
    assert!(already.text.contains("PR-7A3C-K9XE"));
}

#[test]
fn mime_decodes_back_to_the_same_japanese_text() {
    for kind in MailKind::ALL {
        let mail = render_any(kind, &config(), sole_proprietor());
        let raw = mail.to_mime(1_795_858_205);
        assert!(raw.is_ascii(), "7-bit transport: encoded words and transfer encodings");
        let message = MessageParser::default().parse(&raw).expect("parses");

        assert_eq!(message.subject(), Some(mail.subject.as_str()));
        assert_eq!(message.body_text(0).as_deref(), Some(mail.text.as_str()));
        assert_eq!(message.body_html(0).as_deref(), Some(mail.html.as_str()));
        let from = message.from().and_then(|list| list.first()).expect("From");
        assert_eq!(
            (from.name(), from.address()),
            (Some("パートナー登録窓口"), Some("no-reply@partner.example.jp"))
        );
        let to: Vec<_> = message.to().expect("To").iter().filter_map(|m| m.address()).collect();
        assert_eq!(to, [mail.to.as_str()]);
        let reply_to = message.reply_to().and_then(|list| list.first()).and_then(|m| m.address());
        assert_eq!(reply_to, Some("partner-support@partner.example.jp"));
        assert_eq!(
            message.message_id(),
            Some(format!("{}.{}@partner.example.jp", mail.about, kind.slug()).as_str())
        );
        assert_eq!(message.date().expect("Date").to_rfc3339(), "2026-11-28T09:30:05Z");
        let content_type = message.content_type().expect("Content-Type");
        assert_eq!((content_type.ctype(), content_type.subtype()), ("multipart", Some("alternative")));
        let header = String::from_utf8_lossy(&raw[..header_end(&raw)]).into_owned();
        assert!(header.contains("Subject: =?utf-8?"), "encoded-word subject: {header}");
        assert!(String::from_utf8_lossy(&raw).contains("charset=\"utf-8\""));
        assert!(message.body_text(0).unwrap().contains("𠮷田 花子 様") || !addressed(kind), "{kind:?}");
    }
}

fn header_end(raw: &[u8]) -> usize {
    raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a header section")
}

/// Values a hostile applicant could enter and the domain accepts (it rejects
/// `<` and `>` itself; the templates' unit tests cover those): entities that
/// must not be interpreted, quotes, and header look-alikes.
fn hostile() -> Value {
    let mut value = corporation();
    let fields = value.as_object_mut().unwrap();
    fields.insert("corporateName".into(), json!("&#x3C;script&#x3E;A&B商事"));
    fields.insert("lastName".into(), json!("=?utf-8?B?QmNjOiBldmlsQGV4YW1wbGUuY29t?="));
    fields.insert("firstName".into(), json!("Bcc: evil@example.com"));
    fields.insert("addressStreet".into(), json!("\"quoted\" & 'single'"));
    fields.insert("addressBuilding".into(), json!("&lt;a href=x&gt;tower"));
    value
}

#[test]
fn applicant_values_stay_out_of_headers_and_are_escaped_in_html() {
    for kind in MailKind::ALL {
        let mail = render_any(kind, &config(), hostile());
        for needle in ["&#x3C;script", "A&B", "\"quoted\"", "'single'", "&lt;a href"] {
            assert!(!mail.html.contains(needle), "{kind:?}: unescaped {needle:?}");
        }
        // Only the 控え shows the values at all, and the result mails the
        // addressee; there they must be escaped.
        let escapes: &[&str] = if kind == MailKind::Acknowledgement {
            &[
                "&amp;#x3C;script&amp;#x3E;A&amp;B商事",
                "&quot;quoted&quot; &amp; &#x27;single&#x27;",
                "&amp;lt;a href=x&amp;gt;tower",
            ]
        } else if addressed(kind) {
            &["&amp;#x3C;script&amp;#x3E;A&amp;B商事"]
        } else {
            &[]
        };
        for escaped in escapes {
            assert!(mail.html.contains(escaped), "{kind:?}: {escaped:?} missing");
        }

        let raw = mail.to_mime(1_795_858_205);
        let message = MessageParser::default().parse(&raw).expect("parses");
        let mut names: Vec<String> = message.headers().iter().map(|h| h.name().to_owned()).collect();
        names.sort();
        assert_eq!(
            names,
            ["Content-Type", "Date", "From", "MIME-Version", "Message-ID", "Reply-To", "Subject", "To"]
        );
        assert_eq!(message.subject(), Some(mail.subject.as_str()));
        let header = String::from_utf8_lossy(&raw[..header_end(&raw)]).into_owned();
        for needle in ["script", "evil", "QmNj", "quoted", "06-6292-8811", "530-0011", "T7000012050002"] {
            assert!(!header.contains(needle), "{kind:?}: {needle:?} in headers:\n{header}");
        }
        // The applicant's address appears only as the recipient of the applicant's mails.
        let expected = usize::from(!kind.to_operators());
        assert_eq!(header.matches("sample@example.com").count(), expected, "{header}");
    }
}

#[test]
fn identifiers_that_would_reach_a_header_cannot_hold_anything_else() {
    // Subject and Message-ID carry the reception number and the id; their
    // types refuse what could inject a header, so rendering needs no check.
    assert_eq!(ReceptionNumber::parse("PR-1\r\nBcc: evil@example.com"), None);
    assert_eq!(ApplicationId::parse("01KB5Q9Z8E4M7T3W6X2C9HJ5RA\r\nBcc: x"), None);
    assert_eq!(Timestamp::parse("yesterday"), None);
    let mail = render(MailKind::OperatorNotice, &config(), &stored(corporation()));
    assert_eq!(mail.subject, "【パートナー登録】新しいお申し込みがありました(受付番号:PR-7A3C-K9XE)");
}

#[tokio::test]
async fn the_outbox_writes_one_eml_per_mail() {
    let data_dir = tempfile::tempdir().unwrap();
    let outbox = OutboxMailer::new(data_dir.path());
    let mails: Vec<Mail> =
        MailKind::ALL.iter().map(|&kind| render_any(kind, &config(), corporation())).collect();
    for mail in &mails {
        outbox.send(mail).await.unwrap();
    }

    let mut names: Vec<String> = std::fs::read_dir(data_dir.path().join("outbox"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    let order = |name: &String| {
        MailKind::ALL.iter().position(|kind| name.ends_with(&format!("-{}.eml", kind.slug())))
    };
    names.sort_by_key(order);
    assert_eq!(names.len(), MailKind::ALL.len(), "no partial files left: {names:?}");
    for (name, mail) in names.iter().zip(&mails) {
        let (stamp, rest) = name.split_once('-').unwrap();
        assert!(
            stamp.len() == 19 && stamp.as_bytes()[8] == b'T' && stamp.ends_with('Z'),
            "timestamp of {name}"
        );
        assert_eq!(rest, format!("{}-{}.eml", mail.about, mail.kind.slug()));

        let raw = std::fs::read(data_dir.path().join("outbox").join(name)).unwrap();
        let message = MessageParser::default().parse(&raw).expect("an RFC 5322 message");
        assert_eq!(message.subject(), Some(mail.subject.as_str()));
        assert_eq!(message.body_text(0).as_deref(), Some(mail.text.as_str()));
        assert_eq!(message.body_html(0).as_deref(), Some(mail.html.as_str()));
    }
}
