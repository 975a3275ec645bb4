//! The result mails of the operators' decisions, to the applicant's proven
//! address: 資料提出のお願い (terms 第3条3), 審査完了のお知らせ, whose sending
//! forms the contract (第3条2) and which carries the 取次店コード (第9条), and
//! 審査結果のお知らせ of a rejection; and 登録内容訂正のお知らせ of a correction.
//!
//! The operator's message is quoted verbatim (its type already refused
//! control and invisible characters): the address is proven, and the message
//! is the operator's own text, not the submitter's. Nothing here gives a
//! reason the operator did not write.

use super::letter::{Block, Letter, lines};
use super::{Unrenderable, addressee};
use crate::domain::StoredApplication;
use crate::domain::{HistoryEntry, MailKind, OperatorMessage, PartnerCode, Timestamp};
use crate::keyed::IdentifierKey;
use crate::mail::MailConfig;

const SUBJECT_DOCUMENTS_REQUESTED: &str = "【パートナー登録】資料提出のお願い";
const SUBJECT_APPROVED: &str = "【パートナー登録】審査完了のお知らせ";
const SUBJECT_REJECTED: &str = "【パートナー登録】審査結果のお知らせ";
const SUBJECT_DOCUMENTS_RECEIVED: &str = "【パートナー登録】資料受領のお知らせ";
const SUBJECT_DOCUMENTS_NOTICE: &str = "【パートナー登録】資料が提出されました";
const SUBJECT_CORRECTED: &str = "【パートナー登録】登録内容訂正のお知らせ";

/// The subject and the letter of the mail `kind` that the history `entry`
/// sends ([`crate::domain::HistoryAction::mails`]). A mail of another record
/// is not rendered here.
pub(super) fn letter(
    kind: MailKind,
    config: &MailConfig,
    key: &IdentifierKey,
    stored: &StoredApplication,
    entry: &HistoryEntry,
) -> Result<(&'static str, Letter), Unrenderable> {
    let missing = |missing| Unrenderable::Missing { mail: kind.slug(), missing };
    Ok(match kind {
        MailKind::DocumentsRequested => {
            let message = entry.message.as_ref().ok_or(missing("operator message"))?;
            // The link of this request (its version): an earlier one stops working.
            let link = config.documents_link(&key.documents_token(stored.id(), entry.version));
            let expires_at = config.document_request_expiry(entry.at);
            (SUBJECT_DOCUMENTS_REQUESTED, documents_requested(config, stored, message, &link, expires_at))
        }
        MailKind::DocumentsReceived => {
            let files = entry.files.ok_or(missing("number of files"))?;
            (SUBJECT_DOCUMENTS_RECEIVED, documents_received(config, stored, entry, files))
        }
        MailKind::DocumentsNotice => {
            let files = entry.files.ok_or(missing("number of files"))?;
            (SUBJECT_DOCUMENTS_NOTICE, documents_notice(config, stored, entry, files))
        }
        MailKind::Approved => {
            let code = stored.partner_code.ok_or(missing("partner code"))?;
            (SUBJECT_APPROVED, approved(config, stored, entry, code))
        }
        MailKind::Rejected => (SUBJECT_REJECTED, rejected(config, stored, entry.message.as_ref())),
        MailKind::Corrected => {
            let fields =
                entry.fields.as_deref().filter(|f| !f.is_empty()).ok_or(missing("corrected fields"))?;
            (SUBJECT_CORRECTED, corrected(config, stored, entry, fields))
        }
        MailKind::Verification
        | MailKind::AlreadyReceived
        | MailKind::Acknowledgement
        | MailKind::OperatorNotice => return Err(Unrenderable::WrongSource(kind.slug())),
    })
}

/// 資料受領のお知らせ: that the files arrived, how many, and what comes next;
/// never the files' names (the mail leaves the system).
fn documents_received(
    config: &MailConfig,
    stored: &StoredApplication,
    entry: &HistoryEntry,
    files: u32,
) -> Letter {
    let mut rows = reception(stored);
    rows.push(("資料の受領日時", entry.at.japanese()));
    rows.push(("ファイル数", format!("{files}件")));
    let mut blocks = vec![
        addressee(&stored.application),
        Block::Paragraph(vec![THANKS.to_owned(), "ご提出いただいた資料を受け付けました。".to_owned()]),
        Block::Table(rows),
        Block::Paragraph(lines(
            "資料を確認のうえ、審査を進めます。\n\
             審査結果は、ご登録のメールアドレス宛てに電子メールにてお知らせします。",
        )),
    ];
    blocks.extend(contact(config));
    Letter { blocks }
}

/// To the operators: no personal data, only the number and where to review.
fn documents_notice(
    config: &MailConfig,
    stored: &StoredApplication,
    entry: &HistoryEntry,
    files: u32,
) -> Letter {
    Letter {
        blocks: vec![
            Block::Paragraph(lines(
                "お申し込みに資料が提出されました。\n管理画面で資料を確認し、審査を進めてください。",
            )),
            Block::Table(vec![
                ("受付番号", stored.receipt.reception_number.to_string()),
                ("提出日時", entry.at.japanese()),
                ("ファイル数", format!("{files}件")),
            ]),
            Block::Link(config.console_link(stored.id())),
            Block::Paragraph(lines(
                "資料とお申し込み内容は、このメールには記載していません。管理画面でご確認ください。",
            )),
        ],
    }
}

/// 登録内容訂正のお知らせ: which fields were corrected, under the form's
/// labels, with their values as the application holds them now. The entry
/// names the keys only; the mail goes right after the correction, so the
/// application's values are the corrected ones (a later correction sends
/// its own mail).
fn corrected(
    config: &MailConfig,
    stored: &StoredApplication,
    entry: &HistoryEntry,
    fields: &[crate::domain::Field],
) -> Letter {
    let mut rows = reception(stored);
    rows.push(("訂正日時", entry.at.japanese()));
    let labels: Vec<&str> = fields.iter().map(|field| field.label()).collect();
    let mut blocks = vec![
        addressee(&stored.application),
        Block::Paragraph(lines(
            "パートナー登録のお申し込みについて、ご登録内容を下記のとおり訂正いたしました。\n\
             訂正した項目と、訂正後の内容をお知らせします。",
        )),
        Block::Table(rows),
        Block::Heading("訂正した項目"),
        Block::Paragraph(vec![labels.join("、")]),
        Block::Heading("訂正後の内容"),
        Block::Table(super::intake::rows_of(&stored.application, fields)),
        Block::Paragraph(lines(
            "内容に誤りがある場合や、お心当たりのない場合は、受付番号を添えて下記お問い合わせ先までご連絡ください。",
        )),
    ];
    blocks.extend(contact(config));
    Letter { blocks }
}

const THANKS: &str = "このたびはパートナー登録にお申し込みいただき、誠にありがとうございます。";

/// The number and the time of the application, as the 控え showed them.
fn reception(stored: &StoredApplication) -> Vec<(&'static str, String)> {
    vec![
        ("受付番号", stored.receipt.reception_number.to_string()),
        ("受付日時", stored.receipt.received_at.japanese()),
    ]
}

/// The desk's contact, and the request to quote the number.
fn contact(config: &MailConfig) -> [Block; 3] {
    [
        Block::Heading("お問い合わせ先"),
        Block::Paragraph(lines(&config.operator_contact)),
        Block::Paragraph(lines(
            "お問い合わせの際は、受付番号をお知らせください。\n\
             このメールは、ご登録のメールアドレス宛てに自動で送信しています。",
        )),
    ]
}

/// What to send is the operator's message; how is the form's own page,
/// whose link is this request's (never a reply with attachments: files in a
/// mailbox escape erasure and retention).
pub(super) fn documents_requested(
    config: &MailConfig,
    stored: &StoredApplication,
    message: &OperatorMessage,
    link: &str,
    expires_at: Timestamp,
) -> Letter {
    let mut blocks = vec![
        addressee(&stored.application),
        Block::Paragraph(vec![
            THANKS.to_owned(),
            "お申し込みの審査にあたり、資料のご提出をお願いいたします(利用規約 第3条3)。".to_owned(),
            "お手数をおかけしますが、下記のご案内をご確認のうえ、ご提出ください。".to_owned(),
        ]),
        Block::Table(reception(stored)),
        Block::Heading("担当者からのご案内"),
        Block::Paragraph(lines(message.as_str())),
        Block::Heading("ご提出の方法"),
        Block::Paragraph(vec![
            "下記のページから、資料のファイル(PDF、JPEG、PNG)をアップロードしてご提出ください。".to_owned(),
            format!("提出期限: {}", expires_at.japanese()),
        ]),
        Block::Link(link.to_owned()),
        Block::Paragraph(lines(
            "資料はメールに添付せず、必ず上記のページからご提出ください。\n\
             このリンクは、あなた専用です。他の方と共有しないでください。",
        )),
        Block::Paragraph(lines(
            "ご提出いただいた資料を確認のうえ、審査を進めます。\n\
             審査結果は、ご登録のメールアドレス宛てに電子メールにてお知らせします。",
        )),
    ];
    blocks.extend(contact(config));
    Letter { blocks }
}

/// The contract is formed by this mail's sending (第3条2); the code is what
/// makes a referral count (第9条).
pub(super) fn approved(
    config: &MailConfig,
    stored: &StoredApplication,
    entry: &HistoryEntry,
    code: PartnerCode,
) -> Letter {
    let mut rows = reception(stored);
    rows.extend([("審査完了日時", entry.at.japanese()), ("取次店コード", code.to_string())]);
    let mut blocks = vec![
        addressee(&stored.application),
        Block::Paragraph(lines(&format!(
            "{THANKS}\n\
             弊社規定の審査が完了しましたので、お知らせいたします。\n\
             このメールの送信をもって、代理店サービス利用規約に基づく本契約が成立しました(利用規約 第3条2)。\n\
             今後とも、どうぞよろしくお願い申し上げます。"
        ))),
        Block::Table(rows),
        Block::Heading("取次店コードについて"),
        Block::Paragraph(lines(
            "お客様に取次対象サービスをご紹介いただく際は、お申し込みフォームの「取次店コード」欄に\
             上記の取次店コードを入力のうえお申し込みいただくよう、ご案内ください(利用規約 第9条1)。\n\
             取次店コードの入力がないお申し込みは、ご紹介による成約となりません(利用規約 第9条2)。",
        )),
        Block::Heading("今後のお願い"),
        Block::Paragraph(lines(
            "1. 取次店コードは、このメールとともに大切に保管してください。\n\
             2. ご不明な点は、受付番号と取次店コードを添えて、下記お問い合わせ先までご連絡ください。",
        )),
    ];
    blocks.extend(contact(config));
    Letter { blocks }
}

/// The result, politely; the operator's message if there is one, and no
/// reason otherwise.
pub(super) fn rejected(
    config: &MailConfig,
    stored: &StoredApplication,
    message: Option<&OperatorMessage>,
) -> Letter {
    let mut blocks = vec![
        addressee(&stored.application),
        Block::Paragraph(lines(&format!(
            "{THANKS}\n\
             弊社規定の審査を行いました結果、誠に恐縮ながら、今回はお申し込みをお受けいたしかねることとなりました。\n\
             ご期待に沿えず申し訳ございませんが、何卒ご了承くださいますようお願い申し上げます。"
        ))),
        Block::Table(reception(stored)),
    ];
    if let Some(message) = message {
        blocks.push(Block::Heading("担当者からのご連絡"));
        blocks.push(Block::Paragraph(lines(message.as_str())));
    }
    blocks.extend(contact(config));
    Letter { blocks }
}
