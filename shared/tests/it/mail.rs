//! The two mails: their wording (insta snapshots), their MIME form (parsed back
//! with mail-parser), injection safety, and the `.eml` outbox.

use mail_parser::{MessageParser, MimeHeaders};
use serde::Deserialize;
use serde_json::{Value, json};
use shared::domain::Field;
use shared::domain::{Application, ApplicationId, RawApplication, Receipt, ReceivedAt, ReceptionNumber};
use shared::mail::MailKind;
use shared::mail::{
    ENV_FROM, ENV_FROM_NAME, ENV_OPERATOR, ENV_OPERATOR_CONTACT, ENV_REPLY_TO, Mail, MailConfig, Mailer,
    OutboxMailer, pairs, render,
};
use shared::store::StoredApplication;

pub(crate) fn config() -> MailConfig {
    MailConfig::from_lookup(pairs(&[
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

fn stored(value: Value) -> StoredApplication {
    let raw = RawApplication::deserialize(&value).expect("decodes");
    let application = Application::parse(&raw).expect("valid").application;
    StoredApplication {
        receipt: Receipt {
            application_id: ApplicationId::parse("01KB5Q9Z8E4M7T3W6X2C9HJ5RA").unwrap(),
            reception_number: ReceptionNumber::parse("PR-7A3C-K9XE").unwrap(),
            received_at: ReceivedAt::parse("2026-11-28T18:30:05+09:00").unwrap(),
        },
        application,
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
fn operator_notice() {
    let mail = render(MailKind::OperatorNotice, &config(), &stored(corporation()));
    insta::assert_snapshot!("operator_notice", readable(&mail));
}

#[test]
fn both_mails_show_every_entered_field_with_its_label_but_not_the_confirmation() {
    let app = stored(corporation());
    for kind in MailKind::ALL {
        let mail = render(kind, &config(), &app);
        for (field, value) in app.application.entries() {
            let value = if field == Field::ContractType { "法人".to_owned() } else { value.to_string() };
            let line = format!("{}: {value}\n", field.label());
            assert!(mail.text.contains(&line), "{kind:?} lacks {line:?}");
        }
        assert!(!mail.text.contains(Field::EmailConfirmation.label()), "{kind:?}");
        assert!(mail.text.contains("PR-7A3C-K9XE"), "{kind:?}");
    }
}

#[test]
fn recipients_and_subjects() {
    let app = stored(corporation());
    let ack = render(MailKind::Acknowledgement, &config(), &app);
    assert_eq!(ack.to, "sample@example.com");
    assert_eq!(ack.subject, "【パートナー登録】お申し込みを受け付けました(受付番号:PR-7A3C-K9XE)");
    assert!(ack.text.contains("審査") && ack.text.contains("第3条"));
    assert!(ack.text.contains("受付時間:10:00~18:00"), "operator contact");

    let notice = render(MailKind::OperatorNotice, &config(), &app);
    assert_eq!(notice.to, "partner-review@partner.example.jp");
    assert!(notice.subject.ends_with("(受付番号:PR-7A3C-K9XE)"));
    assert!(notice.text.contains("申込ID: 01KB5Q9Z8E4M7T3W6X2C9HJ5RA\n"));
    assert!(notice.text.contains("受付日時: 2026年11月28日 18:30:05(日本時間)\n"));
}

#[test]
fn mime_decodes_back_to_the_same_japanese_text() {
    let app = stored(sole_proprietor());
    for kind in MailKind::ALL {
        let mail = render(kind, &config(), &app);
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
            Some(format!("01KB5Q9Z8E4M7T3W6X2C9HJ5RA.{}@partner.example.jp", kind.slug()).as_str())
        );
        assert_eq!(message.date().expect("Date").to_rfc3339(), "2026-11-28T09:30:05Z");
        let content_type = message.content_type().expect("Content-Type");
        assert_eq!((content_type.ctype(), content_type.subtype()), ("multipart", Some("alternative")));
        let header = String::from_utf8_lossy(&raw[..header_end(&raw)]).into_owned();
        assert!(header.contains("Subject: =?utf-8?"), "encoded-word subject: {header}");
        assert!(String::from_utf8_lossy(&raw).contains("charset=\"utf-8\""));
        assert!(message.body_text(0).unwrap().contains("𠮷田 花子 様") || kind == MailKind::OperatorNotice);
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
    let app = stored(hostile());
    for kind in MailKind::ALL {
        let mail = render(kind, &config(), &app);
        for needle in ["&#x3C;script", "A&B", "\"quoted\"", "'single'", "&lt;a href"] {
            assert!(!mail.html.contains(needle), "{kind:?}: unescaped {needle:?}");
        }
        for escaped in [
            "&amp;#x3C;script&amp;#x3E;A&amp;B商事",
            "&quot;quoted&quot; &amp; &#x27;single&#x27;",
            "&amp;lt;a href=x&amp;gt;tower",
        ] {
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
        // The applicant's address appears only as the acknowledgement's recipient.
        let expected = usize::from(kind == MailKind::Acknowledgement);
        assert_eq!(header.matches("sample@example.com").count(), expected, "{header}");
    }
}

#[test]
fn identifiers_that_would_reach_a_header_cannot_hold_anything_else() {
    // Subject and Message-ID carry the reception number and the id; their
    // types refuse what could inject a header, so rendering needs no check.
    assert_eq!(ReceptionNumber::parse("PR-1\r\nBcc: evil@example.com"), None);
    assert_eq!(ApplicationId::parse("01KB5Q9Z8E4M7T3W6X2C9HJ5RA\r\nBcc: x"), None);
    assert_eq!(ReceivedAt::parse("yesterday"), None);
    let mail = render(MailKind::OperatorNotice, &config(), &stored(corporation()));
    assert_eq!(mail.subject, "【パートナー登録】新しいお申し込みがありました(受付番号:PR-7A3C-K9XE)");
}

#[tokio::test]
async fn the_outbox_writes_one_eml_per_mail() {
    let data_dir = tempfile::tempdir().unwrap();
    let outbox = OutboxMailer::new(data_dir.path());
    let app = stored(corporation());
    let mails: Vec<Mail> = MailKind::ALL.iter().map(|&kind| render(kind, &config(), &app)).collect();
    for mail in &mails {
        outbox.send(mail).await.unwrap();
    }

    let mut names: Vec<String> = std::fs::read_dir(data_dir.path().join("outbox"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort_by_key(|name| name.ends_with("operator-notice.eml"));
    assert_eq!(names.len(), 2, "no partial files left: {names:?}");
    for (name, mail) in names.iter().zip(&mails) {
        let (stamp, rest) = name.split_once('-').unwrap();
        assert!(
            stamp.len() == 19 && stamp.as_bytes()[8] == b'T' && stamp.ends_with('Z'),
            "timestamp of {name}"
        );
        assert_eq!(rest, format!("01KB5Q9Z8E4M7T3W6X2C9HJ5RA-{}.eml", mail.kind.slug()));

        let raw = std::fs::read(data_dir.path().join("outbox").join(name)).unwrap();
        let message = MessageParser::default().parse(&raw).expect("an RFC 5322 message");
        assert_eq!(message.subject(), Some(mail.subject.as_str()));
        assert_eq!(message.body_text(0).as_deref(), Some(mail.text.as_str()));
        assert_eq!(message.body_html(0).as_deref(), Some(mail.html.as_str()));
    }
}
