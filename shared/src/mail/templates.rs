//! The wording of both mails, each as plain text and HTML from the same parts.

use super::{Mail, MailConfig, MailKind};
use crate::domain::{Application, ApplicationId, Contractor, Field, Presence, ReceivedAt, ReceptionNumber};
use crate::store::StoredApplication;
use html_escape::encode_safe;
use std::fmt::Write;

const SUBJECT_ACKNOWLEDGEMENT: &str = "【パートナー登録】お申し込みを受け付けました";
const SUBJECT_OPERATOR_NOTICE: &str = "【パートナー登録】新しいお申し込みがありました";
const NOT_ENTERED: &str = "(未入力)";
const AGREED: &str = "同意する";

/// Renders the mail of this kind for a stored application. It cannot fail:
/// identifiers are typed, so each is safe in a header by construction, and
/// applicant values reach only the bodies.
pub fn render(kind: MailKind, config: &MailConfig, stored: &StoredApplication) -> Mail {
    let receipt = &stored.receipt;
    // Both go into headers (Subject, Message-ID) and file names: their types
    // hold only what this system generates.
    let (application_id, reception_number, received_at) =
        (receipt.application_id, receipt.reception_number, receipt.received_at);
    let app = &stored.application;
    let summary = summary(app);

    let (to, subject, text, html) = match kind {
        MailKind::Acknowledgement => {
            let letter = acknowledgement(app, config, reception_number, received_at, &summary);
            (app.email.as_str(), SUBJECT_ACKNOWLEDGEMENT, letter.text(), letter.html())
        }
        MailKind::OperatorNotice => {
            let letter = operator_notice(application_id, reception_number, received_at, &summary);
            (config.operator.as_str(), SUBJECT_OPERATOR_NOTICE, letter.text(), letter.html())
        }
    };
    Mail {
        kind,
        application_id,
        from: config.from.as_str().to_owned(),
        from_name: config.from_name.clone(),
        reply_to: config.reply_to.as_str().to_owned(),
        to: to.to_owned(),
        subject: format!("{subject}(受付番号:{reception_number})"),
        text,
        html,
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
            }
        }
        out.push_str("</body>\n</html>\n");
        out
    }
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

fn acknowledgement(
    app: &Application,
    config: &MailConfig,
    reception_number: ReceptionNumber,
    received_at: ReceivedAt,
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
                 以下の内容でお申し込みを受け付けました。",
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
                 このメールは、お申し込みフォームに入力されたメールアドレス宛てに自動で送信しています。\n\
                 お心当たりのない場合は、お手数ですが上記お問い合わせ先までご連絡ください。",
            )),
        ],
    }
}

fn operator_notice(
    application_id: ApplicationId,
    reception_number: ReceptionNumber,
    received_at: ReceivedAt,
    summary: &[(&'static str, String)],
) -> Letter {
    Letter {
        blocks: vec![
            Block::Paragraph(lines(
                "パートナー登録フォームから新しいお申し込みがありました。\n審査を開始してください。",
            )),
            Block::Table(vec![
                ("受付番号", reception_number.to_string()),
                ("申込ID", application_id.to_string()),
                ("受付日時", received_at.japanese()),
            ]),
            Block::Heading("お申し込み内容"),
            Block::Table(summary.to_vec()),
            Block::Paragraph(lines(
                "このメールには個人情報が含まれます。転送や保存は社内規程に従ってください。",
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
