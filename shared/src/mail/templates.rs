//! The wording of every mail, each as plain text and HTML from the same parts.
//!
//! What a mail may carry depends on whether its address is proven. The
//! verification and already-received mails go to an address that anyone could
//! have typed, so they carry only fixed text, configured contacts and values
//! this system made (a link, a time, a reception number): never what the
//! submitter typed. The 控え, with every field, goes out only after the
//! address was proven by its link. The operators' notice carries no personal
//! data at all: a reception number, a contract type and a console link.

use super::{Mail, MailConfig, MailKind, MailSubject};
use crate::domain::{Application, Contractor, Field, Presence, ReceptionNumber, Timestamp};
use crate::keyed::IdentifierKey;
use crate::store::StoredApplication;
use html_escape::encode_safe;
use std::fmt::Write;

const SUBJECT_VERIFICATION: &str = "【パートナー登録】メールアドレスの確認をお願いします";
const SUBJECT_ALREADY_RECEIVED: &str = "【パートナー登録】このメールアドレスでのお申し込みは受付済みです";
const SUBJECT_ACKNOWLEDGEMENT: &str = "【パートナー登録】お申し込みを受け付けました";
const SUBJECT_OPERATOR_NOTICE: &str = "【パートナー登録】新しいお申し込みがありました";
const NOT_ENTERED: &str = "(未入力)";
const AGREED: &str = "同意する";

/// Renders the mail of this kind about a stored application. It cannot fail:
/// identifiers are typed, so each is safe in a header by construction, and
/// applicant values reach only the bodies (of the mails that may carry them).
pub fn render(kind: MailKind, config: &MailConfig, key: &IdentifierKey, stored: &StoredApplication) -> Mail {
    let receipt = &stored.receipt;
    let app = &stored.application;
    let reception_number = receipt.reception_number;
    let (about, to, subject, letter) = match kind {
        // TEMP until the result mails land (helper's branch replaces this file).
        MailKind::DocumentsRequested | MailKind::Approved | MailKind::Rejected => {
            unimplemented!("result mails")
        }
        MailKind::Verification => {
            let link = config.verification_link(&key.verification_token(receipt.application_id));
            let expires_at = stored.expires_at.unwrap_or(receipt.received_at);
            let letter = verification(config, &link, expires_at, stored.supersedes.is_some());
            (
                MailSubject::Application(receipt.application_id),
                app.email.as_str(),
                SUBJECT_VERIFICATION.to_owned(),
                letter,
            )
        }
        MailKind::AlreadyReceived => {
            let letter = already_received(config, reception_number, receipt.received_at);
            let subject = format!("{SUBJECT_ALREADY_RECEIVED}(受付番号:{reception_number})");
            (MailSubject::Application(receipt.application_id), app.email.as_str(), subject, letter)
        }
        MailKind::Acknowledgement => {
            let letter = acknowledgement(app, config, reception_number, receipt.received_at, &summary(app));
            let subject = format!("{SUBJECT_ACKNOWLEDGEMENT}(受付番号:{reception_number})");
            (MailSubject::Application(receipt.application_id), app.email.as_str(), subject, letter)
        }
        MailKind::OperatorNotice => {
            let letter = operator_notice(config, stored);
            let subject = format!("{SUBJECT_OPERATOR_NOTICE}(受付番号:{reception_number})");
            (MailSubject::Application(receipt.application_id), config.operator.as_str(), subject, letter)
        }
    };
    Mail {
        kind,
        about,
        from: config.from.as_str().to_owned(),
        from_name: config.from_name.clone(),
        reply_to: config.reply_to.as_str().to_owned(),
        to: to.to_owned(),
        subject,
        text: letter.text(),
        html: letter.html(),
    }
}

/// Every field the applicant saw on the confirmation step, with the form's
/// labels, except the email confirmation (it equals the email). Blank optional
/// fields say so; a sole proprietor has no corporate fields at all.
fn summary(app: &Application) -> Vec<(&'static str, String)> {
    let entries = app.entries();
    let is_corporation = app.contract_type.is_corporation();
    Field::ALL
        .into_iter()
        .filter_map(|field| {
            let value = match field {
                Field::EmailConfirmation => return None,
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

/// A mail body as a sequence of blocks, rendered once as text and once as HTML.
struct Letter {
    blocks: Vec<Block>,
}

enum Block {
    /// Lines of running text (one paragraph).
    Paragraph(Vec<String>),
    Heading(&'static str),
    /// Label–value rows.
    Table(Vec<(&'static str, String)>),
    /// A link this system made (never one a submitter typed).
    Link(String),
}

impl Letter {
    fn text(&self) -> String {
        let mut out = String::new();
        for block in &self.blocks {
            match block {
                Block::Paragraph(lines) => {
                    for line in lines {
                        out.push_str(line);
                        out.push('\n');
                    }
                }
                Block::Heading(title) => {
                    let _ = writeln!(out, "■ {title}");
                }
                Block::Table(rows) => {
                    for (label, value) in rows {
                        let _ = writeln!(out, "{label}: {value}");
                    }
                }
                Block::Link(url) => {
                    let _ = writeln!(out, "{url}");
                }
            }
            out.push('\n');
        }
        out.truncate(out.trim_end().len());
        out.push('\n');
        out
    }

    fn html(&self) -> String {
        let mut out = String::from(
            "<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n</head>\n\
             <body style=\"font-family: sans-serif; line-height: 1.6; color: #222;\">\n",
        );
        for block in &self.blocks {
            match block {
                Block::Paragraph(lines) => {
                    let escaped: Vec<_> = lines.iter().map(|line| encode_safe(line)).collect();
                    let _ = writeln!(out, "<p>{}</p>", escaped.join("<br>\n"));
                }
                Block::Heading(title) => {
                    let _ = writeln!(
                        out,
                        "<h2 style=\"font-size: 1.05em; border-bottom: 1px solid #ccc;\">{}</h2>",
                        encode_safe(title)
                    );
                }
                Block::Table(rows) => {
                    out.push_str("<table style=\"border-collapse: collapse;\">\n");
                    for (label, value) in rows {
                        let _ = writeln!(
                            out,
                            "<tr><th style=\"text-align: left; padding: 4px 12px 4px 0; \
                             vertical-align: top;\">{}</th><td style=\"padding: 4px 0;\">{}</td></tr>",
                            encode_safe(label),
                            encode_safe(value)
                        );
                    }
                    out.push_str("</table>\n");
                }
                Block::Link(url) => {
                    let url = encode_safe(url);
                    let _ = writeln!(out, "<p><a href=\"{url}\">{url}</a></p>");
                }
            }
        }
        out.push_str("</body>\n</html>\n");
        out
    }
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

/// The link mail: fixed text, the link, its expiry and the desk's contact.
fn verification(config: &MailConfig, link: &str, expires_at: Timestamp, reissued: bool) -> Letter {
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
fn already_received(
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

fn acknowledgement(
    app: &Application,
    config: &MailConfig,
    reception_number: ReceptionNumber,
    received_at: Timestamp,
    summary: &[(&'static str, String)],
) -> Letter {
    let mut addressee = Vec::new();
    if let Contractor::Corporation { name, .. } = app.contractor() {
        addressee.push(name.as_str().to_owned());
    }
    addressee.push(format!("{} {} 様", app.last_name.as_str(), app.first_name.as_str()));
    Letter {
        blocks: vec![
            Block::Paragraph(addressee),
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
fn operator_notice(config: &MailConfig, stored: &StoredApplication) -> Letter {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_every_value() {
        let letter = Letter {
            blocks: vec![
                Block::Paragraph(vec!["<b>&\"'".into()]),
                Block::Table(vec![("名前", "<script>alert(1)</script>".into())]),
            ],
        };
        let html = letter.html();
        assert!(!html.contains("<script>") && !html.contains("<b>"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"), "{html}");
        assert!(html.contains("&lt;b&gt;&amp;&quot;&#x27;"), "{html}");
    }
}
