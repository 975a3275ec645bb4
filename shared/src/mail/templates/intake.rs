//! The mails of an application's intake: the verification link, the
//! already-received reminder, the 控え and the operators' notice.

use super::letter::{Block, Letter, lines};
use crate::domain::StoredApplication;
use crate::domain::{Application, Field, Presence, ReceptionNumber, Timestamp};
use crate::mail::MailConfig;

const NOT_ENTERED: &str = "(未入力)";
const AGREED: &str = "同意する";

/// Every field the applicant saw on the confirmation step, with the form's
/// labels ([`Field::is_reviewed`]: not the email confirmation, which equals the
/// email). Blank optional fields say so; a sole proprietor has no corporate
/// fields at all.
pub(super) fn summary(app: &Application) -> Vec<(&'static str, String)> {
    rows(app, Field::ALL.into_iter())
}

/// The rows of `fields` only, as [`summary`] shows them (a correction's mail).
pub(super) fn rows_of(app: &Application, fields: &[Field]) -> Vec<(&'static str, String)> {
    rows(app, fields.iter().copied())
}

fn rows(app: &Application, fields: impl Iterator<Item = Field>) -> Vec<(&'static str, String)> {
    let entries = app.entries();
    let is_corporation = app.contract_type.is_corporation();
    fields
        .filter_map(|field| {
            let value = match field {
                _ if !field.is_reviewed() => return None,
                _ if field.presence() == Presence::Corporate && !is_corporation => return None,
                Field::ContractType => app.contract_type.label().to_owned(),
                Field::AgreedToTerms => AGREED.to_owned(),
                _ => entries
                    .iter()
                    .find(|(entered, _)| *entered == field)
                    .map_or_else(|| NOT_ENTERED.to_owned(), |(_, value)| value.to_string()),
            };
            Some((field.label(), value))
        })
        .collect()
}

/// The link mail: fixed text, the link, its expiry and the desk's contact.
pub(super) fn verification(config: &MailConfig, link: &str, expires_at: Timestamp, reissued: bool) -> Letter {
    let mut blocks = vec![Block::Paragraph(lines(
        "パートナー登録のお申し込みフォームから、このメールアドレスでのお申し込みがありました。\n\
         お申し込みを確定するには、次のリンクを開き、内容をご確認のうえ「この内容で確定する」を押してください。",
    ))];
    if reissued {
        blocks.push(Block::Paragraph(lines(
            "同じメールアドレスで、確認前のお申し込みがありましたので、新しいお申し込みに置き換えました。\n\
             以前にお送りした確認用のリンクは無効です。このメールのリンクをお使いください。",
        )));
    }
    blocks.extend([
        Block::Link(link.to_owned()),
        Block::Table(vec![("リンクの有効期限", expires_at.japanese())]),
        Block::Paragraph(lines(
            "有効期限を過ぎると、確認前のお申し込みは削除されます。その場合は、もう一度お申し込みください。\n\
             リンクを開いただけでは確定しません。確定するまで、お申し込みは受け付けていません。",
        )),
        Block::Heading("お心当たりのない場合"),
        Block::Paragraph(lines(
            "どなたかが誤ってこのメールアドレスを入力した可能性があります。このメールは破棄してください。\n\
             リンクを開かなければ、お申し込みは確定せず、有効期限に削除されます。",
        )),
        Block::Heading("お問い合わせ先"),
        Block::Paragraph(lines(&config.operator_contact)),
    ]);
    Letter { blocks }
}

/// To an address that already has a verified application: its number, no link.
pub(super) fn already_received(
    config: &MailConfig,
    reception_number: ReceptionNumber,
    received_at: Timestamp,
) -> Letter {
    Letter {
        blocks: vec![
            Block::Paragraph(lines(
                "パートナー登録のお申し込みフォームから、このメールアドレスでのお申し込みがありました。\n\
                 このメールアドレスでのお申し込みは、すでに受け付けています。新しいお申し込みは登録していません。",
            )),
            Block::Table(vec![
                ("受付済みのお申し込みの受付番号", reception_number.to_string()),
                ("受付日時", received_at.japanese()),
            ]),
            Block::Paragraph(lines(
                "お申し込み内容の変更やご不明な点は、受付番号を添えて、下記お問い合わせ先までご連絡ください。\n\
                 お心当たりのない場合は、このメールを破棄してください。",
            )),
            Block::Heading("お問い合わせ先"),
            Block::Paragraph(lines(&config.operator_contact)),
        ],
    }
}

pub(super) fn acknowledgement(
    app: &Application,
    config: &MailConfig,
    reception_number: ReceptionNumber,
    received_at: Timestamp,
    summary: &[(&'static str, String)],
) -> Letter {
    Letter {
        blocks: vec![
            super::addressee(app),
            Block::Paragraph(lines(
                "このたびはパートナー登録にお申し込みいただき、誠にありがとうございます。\n\
                 メールアドレスの確認が完了し、以下の内容でお申し込みを受け付けました。",
            )),
            Block::Table(vec![
                ("受付番号", reception_number.to_string()),
                ("受付日時", received_at.japanese()),
            ]),
            Block::Heading("お申し込み内容"),
            Block::Table(summary.to_vec()),
            Block::Heading("今後の流れ"),
            Block::Paragraph(lines(
                "1. 弊社規定の審査を行います。\n\
                 2. 審査結果は、ご登録のメールアドレス宛てに電子メールにてお知らせします(利用規約 第3条)。\n\
                 審査完了の電子メールを送信した時点で、ご契約が成立します。\n\
                 審査にあたり、本人確認等のための資料のご提出をお願いすることがあります。",
            )),
            Block::Heading("お問い合わせ先"),
            Block::Paragraph(lines(&config.operator_contact)),
            Block::Paragraph(lines(
                "お問い合わせの際は、受付番号をお知らせください。\n\
                 このメールは、確認の済んだメールアドレス宛てに自動で送信しています。",
            )),
        ],
    }
}

/// No personal data: the number, the contract type and where to review it.
pub(super) fn operator_notice(config: &MailConfig, stored: &StoredApplication) -> Letter {
    let receipt = &stored.receipt;
    let mut rows = vec![
        ("受付番号", receipt.reception_number.to_string()),
        ("契約者種別", stored.application.contract_type.label().to_owned()),
        ("受付日時", receipt.received_at.japanese()),
    ];
    if let Some(verified_at) = stored.verified_at {
        rows.push(("メールアドレス確認日時", verified_at.japanese()));
    }
    Letter {
        blocks: vec![
            Block::Paragraph(lines(
                "パートナー登録フォームから新しいお申し込みがありました(メールアドレス確認済み)。\n\
                 管理画面で内容を確認し、審査を開始してください。",
            )),
            Block::Table(rows),
            Block::Link(config.console_link(receipt.application_id)),
            Block::Paragraph(lines(
                "お申し込み内容は、このメールには記載していません。管理画面でご確認ください。",
            )),
        ],
    }
}
