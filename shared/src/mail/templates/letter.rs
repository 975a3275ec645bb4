//! A mail body as blocks, rendered once as plain text and once as HTML, so the
//! two parts cannot say different things. Every value is HTML-escaped.

use html_escape::encode_safe;
use std::fmt::Write;

/// A mail body as a sequence of blocks, rendered once as text and once as HTML.
pub(super) struct Letter {
    pub(super) blocks: Vec<Block>,
}

pub(super) enum Block {
    /// Lines of running text (one paragraph).
    Paragraph(Vec<String>),
    Heading(&'static str),
    /// Label–value rows.
    Table(Vec<(&'static str, String)>),
    /// A link this system made (never one a submitter typed).
    Link(String),
}

impl Letter {
    pub(super) fn text(&self) -> String {
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

    pub(super) fn html(&self) -> String {
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

pub(super) fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
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
