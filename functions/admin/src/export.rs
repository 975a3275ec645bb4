//! `GET /api/admin/applications.csv`: the list's applications as CSV that
//! Excel opens safely: a UTF-8 BOM (else Excel reads Shift_JIS), CRLF line
//! ends, the form's Japanese labels as headers, RFC 4180 quoting (the `csv`
//! crate), and every cell that begins with `=`, `+`, `-`, `@`, a tab or a
//! carriage return prefixed with `'`, so that no cell is a formula.
//!
//! The rows are read from the store a page at a time and written as they
//! come, so memory holds one page of applications and the bytes written.

use super::{Handler, unavailable};
use crate::list::list_query;
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};
use shared::domain::{Actor, AuditAction, AuditEntry, Entry, Field};
use shared::http::ApiError;
use shared::store::{ListQuery, StoredApplication};

/// Rows read from the store per page.
const PAGE: usize = 500;

/// The columns before the application's fields.
const HEAD: [&str; 6] = ["受付番号", "受付日時", "メール確認日時", "状態", "取次店コード", "版"];

pub async fn export(handler: &Handler, req: &Request, actor: Actor) -> Result<Response<Body>, ApiError> {
    let mut query = list_query(req, &handler.key)?;
    query.search = None;
    query.cursor = None;
    query.limit = PAGE;
    handler.audit(AuditEntry::now(actor, AuditAction::Export, None)).await?;
    let mut csv = Csv::new();
    loop {
        let page = handler.store.list(&query).await.map_err(unavailable)?;
        for stored in &page.items {
            csv.row(stored);
        }
        match page.next {
            Some(next) => query.cursor = Some(next),
            None => break,
        }
    }
    let mut response = Response::new(Body::Binary(csv.finish()));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"applications.csv\""),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // As every JSON answer (`shared::http::json`): nosniff, Referrer- and
    // Permissions-Policy, also where no API Gateway wrapper adds them (the local server).
    shared::http::secure(headers);
    *response.status_mut() = StatusCode::OK;
    Ok(response)
}

/// The application fields exported, in the form's order (the confirmation
/// of the address is the address again; the consent is `termsAgreedAt`).
fn fields() -> impl Iterator<Item = Field> {
    Field::kept()
}

/// A CSV document being written.
pub struct Csv {
    writer: csv::Writer<Vec<u8>>,
}

impl Default for Csv {
    fn default() -> Self {
        Csv::new()
    }
}

impl Csv {
    /// The BOM and the header row.
    pub fn new() -> Self {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .quote_style(csv::QuoteStyle::Necessary)
            .from_writer("\u{FEFF}".as_bytes().to_vec());
        let headers: Vec<&str> = HEAD.iter().copied().chain(fields().map(Field::label)).collect();
        writer.write_record(&headers).expect("writing to memory");
        Csv { writer }
    }

    pub fn row(&mut self, stored: &StoredApplication) {
        let entries = stored.application.entries();
        let value = |field: Field| {
            entries.iter().find(|(f, _)| *f == field).map(|(_, entry)| match entry {
                Entry::Text(text) => (*text).to_owned(),
                Entry::Count(count) => count.to_string(),
            })
        };
        let mut record: Vec<String> = vec![
            stored.receipt.reception_number.to_string(),
            stored.receipt.received_at.to_string(),
            stored.verified_at.map(|at| at.to_string()).unwrap_or_default(),
            stored.status.label().to_owned(),
            stored.partner_code.map(|code| code.to_string()).unwrap_or_default(),
            stored.version.to_string(),
        ];
        record.extend(fields().map(|field| value(field).unwrap_or_default()));
        let record: Vec<String> = record.into_iter().map(defused).collect();
        self.writer.write_record(&record).expect("writing to memory");
    }

    pub fn finish(self) -> Vec<u8> {
        self.writer.into_inner().expect("writing to memory")
    }
}

/// A cell that a spreadsheet would read as a formula gets a leading `'`.
pub fn defused(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}") } else { cell }
}

#[allow(dead_code)]
fn limit_is_a_page(query: &ListQuery) -> bool {
    query.limit == PAGE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dangerous_cells_are_defused_and_others_left() {
        for bad in ["=1+1", "+81", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(defused(bad.to_owned()), format!("'{bad}"));
        }
        for fine in ["山田", "06-6292-8811", "1,200", ""] {
            assert_eq!(defused(fine.to_owned()), fine);
        }
    }

    #[test]
    fn the_header_row_has_a_bom_crlf_and_the_forms_labels() {
        let bytes = Csv::new().finish();
        assert!(bytes.starts_with("\u{FEFF}受付番号,".as_bytes()));
        assert!(bytes.ends_with(b"\r\n"));
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains(Field::Email.label()) && text.contains(Field::Phone.label()));
        let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{FEFF}').as_bytes());
        assert_eq!(reader.headers().unwrap().len(), HEAD.len() + Field::kept().count());
    }
}
