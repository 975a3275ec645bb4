//! `GET /api/admin/applications.csv`: the list's applications as CSV that
//! Excel opens safely: a UTF-8 BOM (else Excel reads Shift_JIS), CRLF line
//! ends, the form's Japanese labels as headers, RFC 4180 quoting (the `csv`
//! crate), and every cell that begins with `=`, `+`, `-`, `@`, a tab or a
//! carriage return prefixed with `'`, so that no cell is a formula.
//!
//! The rows are read from the store a page at a time and written as they
//! come, so memory holds one page of applications and the bytes written.
//!
//! Where it goes: on AWS (the handler has an [`Exports`] port, the S3
//! bucket) the CSV is written to an object under `exports/` as it is read, a
//! part at a time ([`export_to`]), and the answer is 303 See Other to a
//! download link valid for 5 minutes, made at request time. Locally the
//! local server streams it ([`export_stream`]). A handler with neither
//! (tests in process) answers it whole, up to [`MAX_LAMBDA_BYTES`].
//!
//! Its audit entry names its filters and the rows it handed over
//! (`ExportRecord`): in S3 or whole, it is stored before the answer, once the
//! rows are counted; streamed (the local server), when the last page is read, and
//! the last chunk goes only once it is stored (so a one-page export sends no
//! row unaudited, and a failed audit ends the download as broken). A client
//! that goes away, or storage that fails midway, leaves an entry counting
//! the rows handed over until then.

use super::{Handler, unavailable};
use crate::list::list_query;
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};
use shared::domain::{Actor, AuditEntry, Entry, ExportRecord, Field};
use shared::exports::Exports;
use shared::http::ApiError;
use shared::http::ErrorCode;
use shared::store::{ListQuery, Store, StoredApplication, Unavailable};
use std::sync::Arc;

/// Rows read from the store per page.
const PAGE: usize = 500;

/// The columns before the application's fields.
const HEAD: [&str; 6] = ["受付番号", "受付日時", "メール確認日時", "状態", "取次店コード", "版"];

/// The most a Lambda answer may carry: API Gateway takes at most 6 MB from
/// Lambda, envelope included. A larger export asks for a narrower range.
pub const MAX_LAMBDA_BYTES: usize = 5 * 1024 * 1024;

/// The export's query: the list's filters, read a page at a time.
fn export_query(handler: &Handler, req: &Request) -> Result<ListQuery, ApiError> {
    let mut query = list_query(req, &handler.key)?;
    query.search = None;
    query.cursor = None;
    query.limit = PAGE;
    Ok(query)
}

/// The audit entry of an export of `query` that handed over `rows` rows.
fn audit_entry(actor: Actor, query: &ListQuery, rows: u64) -> AuditEntry {
    AuditEntry::export(actor, ExportRecord { status: query.status, from: query.from, to: query.to, rows })
}

/// One chunk of the CSV, and how many applications' rows it holds.
pub struct Chunk {
    pub bytes: Vec<u8>,
    pub rows: u64,
}

/// The export of a query, produced a chunk at a time: the header row, then
/// one chunk per page of rows read from the store.
pub struct Chunks {
    store: Arc<dyn Store>,
    query: ListQuery,
    state: State,
}

enum State {
    Header,
    Rows,
    Done,
}

impl Chunks {
    pub fn new(store: Arc<dyn Store>, query: ListQuery) -> Self {
        Chunks { store, query, state: State::Header }
    }

    /// The next chunk, or `None` after the last.
    pub async fn next(&mut self) -> Result<Option<Chunk>, Unavailable> {
        match self.state {
            State::Header => {
                self.state = State::Rows;
                Ok(Some(Chunk { bytes: Csv::header(), rows: 0 }))
            }
            State::Rows => {
                let page = self.store.list(&self.query).await?;
                match page.next {
                    Some(next) => self.query.cursor = Some(next),
                    None => self.state = State::Done,
                }
                let rows = u64::try_from(page.items.len()).unwrap_or(u64::MAX);
                Ok(Some(Chunk { bytes: Csv::rows(&page.items), rows }))
            }
            State::Done => Ok(None),
        }
    }
}

/// The CSV's media type, answered or stored.
pub const CSV_CONTENT_TYPE: &str = "text/csv; charset=utf-8";
/// A download, never shown inline, answered or stored.
pub const CSV_DISPOSITION: &str = "attachment; filename=\"applications.csv\"";

/// The answer's headers: a CSV download that no cache keeps.
fn csv_response(body: Body) -> Response<Body> {
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CSV_CONTENT_TYPE));
    headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static(CSV_DISPOSITION));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // As every JSON answer (`shared::http::json`): nosniff, Referrer- and
    // Permissions-Policy, also where no API Gateway wrapper adds them (the local server).
    shared::http::secure(headers);
    *response.status_mut() = StatusCode::OK;
    response
}

/// On AWS: the export written to `exports`, page by page as it is read (one
/// multipart part held at a time), then audited with its rows, then 303 to a
/// link made now. Reading or writing that fails leaves no object (the upload
/// is aborted), answers 503 and is audited with 0 rows: nothing was handed
/// over, but the attempt is on record.
pub async fn export_to(
    handler: &Handler,
    exports: &dyn Exports,
    req: &Request,
    actor: Actor,
) -> Result<Response<Body>, ApiError> {
    let query = export_query(handler, req)?;
    let mut chunks = Chunks::new(Arc::clone(&handler.store), query.clone());
    let written = match exports.begin(CSV_CONTENT_TYPE, CSV_DISPOSITION).await {
        Err(error) => Err(error),
        Ok(mut writer) => {
            let mut rows = 0;
            let read = loop {
                match chunks.next().await {
                    Ok(Some(chunk)) => match writer.write(chunk.bytes).await {
                        Ok(()) => rows += chunk.rows,
                        Err(error) => break Err(error),
                    },
                    Ok(None) => break Ok(()),
                    Err(error) => break Err(error),
                }
            };
            match read {
                Ok(()) => writer.finish().await.map(|key| (key, rows)),
                Err(error) => {
                    writer.abort().await;
                    Err(error)
                }
            }
        }
    };
    let (key, rows) = match written {
        Ok(written) => written,
        Err(error) => {
            handler.audit(audit_entry(actor, &query, 0)).await?;
            return Err(unavailable(error));
        }
    };
    handler.audit(audit_entry(actor, &query, rows)).await?;
    let link = exports.link(&key).await.map_err(unavailable)?;
    let location = HeaderValue::try_from(link.url).map_err(|_| {
        tracing::error!("export link is not a header value");
        ApiError::unavailable(shared::http::RETRY_AFTER_SECS)
    })?;
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::SEE_OTHER;
    let headers = response.headers_mut();
    headers.insert(header::LOCATION, location);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    shared::http::secure(headers);
    Ok(response)
}

/// Without a bucket (in process): the whole export in one answer, up to [`MAX_LAMBDA_BYTES`],
/// audited with its row count before it is answered. One too large hands
/// over nothing, and is audited so (0 rows): the attempt is on record.
pub async fn export(handler: &Handler, req: &Request, actor: Actor) -> Result<Response<Body>, ApiError> {
    let query = export_query(handler, req)?;
    let mut chunks = Chunks::new(Arc::clone(&handler.store), query.clone());
    let (mut bytes, mut rows) = (Vec::new(), 0);
    while let Some(chunk) = chunks.next().await.map_err(unavailable)? {
        if bytes.len() + chunk.bytes.len() > MAX_LAMBDA_BYTES {
            handler.audit(audit_entry(actor, &query, 0)).await?;
            return Err(ApiError::new(
                ErrorCode::ExportTooLarge,
                "出力する件数が多すぎます。期間(from・to)や状態で絞り込んで、分けて出力してください。",
            ));
        }
        bytes.extend(chunk.bytes);
        rows += chunk.rows;
    }
    handler.audit(audit_entry(actor, &query, rows)).await?;
    let text = String::from_utf8(bytes).expect("the CSV writer writes UTF-8");
    Ok(csv_response(Body::Text(text)))
}

/// A streamed export ended before its end: the local server breaks the
/// download off, so that the client sees an incomplete transfer rather than
/// a short CSV that looks whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Broken;

/// How a streamed export's reading ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// Every page was read; the last chunk is held until the audit is stored.
    Read,
    /// The client went away.
    Gone,
    /// Storage failed midway.
    Failed,
}

/// For the local server, which streams: the answer's head, and the body's
/// chunks as they are read (a bounded channel, so memory holds a few pages
/// whatever the number of rows). A storage failure midway ends the body
/// early (the status is sent already) and is logged.
pub async fn export_stream(
    handler: &Handler,
    req: &Request,
    actor: Actor,
) -> Result<(Response<Body>, tokio::sync::mpsc::Receiver<Result<Vec<u8>, Broken>>), Response<Body>> {
    let query = export_query(handler, req).map_err(ApiError::into_response)?;
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    let store = Arc::clone(&handler.store);
    let mut chunks = Chunks::new(Arc::clone(&store), query.clone());
    tokio::spawn(async move {
        // Each chunk is sent once the next is read, so the last one is still
        // here when the reading ends.
        let (mut held, mut handed) = (None::<Chunk>, 0);
        let ended = loop {
            match chunks.next().await {
                Ok(Some(chunk)) => {
                    if let Some(previous) = held.replace(chunk) {
                        if sender.send(Ok(previous.bytes)).await.is_err() {
                            break Ended::Gone;
                        }
                        handed += previous.rows;
                    }
                }
                Ok(None) => break Ended::Read,
                Err(error) => {
                    tracing::error!(%error, "export stopped: storage unavailable");
                    break Ended::Failed;
                }
            }
        };
        let last = match ended {
            Ended::Read => held,
            Ended::Gone | Ended::Failed => None,
        };
        let rows = handed + last.as_ref().map_or(0, |chunk| chunk.rows);
        if let Err(error) = store.append_audit(&audit_entry(actor, &query, rows)).await {
            tracing::error!(%error, "export not audited: its last rows withheld");
            let _ = sender.send(Err(Broken)).await;
            return;
        }
        let end = match (ended, last) {
            (Ended::Read, Some(chunk)) => Ok(chunk.bytes),
            (Ended::Read, None) => return,
            (Ended::Gone, _) => return,
            (Ended::Failed, _) => Err(Broken),
        };
        let _ = sender.send(end).await;
    });
    Ok((csv_response(Body::Empty), receiver))
}

/// The application fields exported, in the form's order (the confirmation
/// of the address is the address again; the consent is `termsAgreedAt`).
fn fields() -> impl Iterator<Item = Field> {
    Field::kept()
}

/// CSV as Excel reads it: RFC 4180 quoting, CRLF line ends.
pub struct Csv;

impl Csv {
    fn writer() -> csv::Writer<Vec<u8>> {
        csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .quote_style(csv::QuoteStyle::Necessary)
            .from_writer(Vec::new())
    }

    /// The BOM and the header row (the form's labels).
    pub fn header() -> Vec<u8> {
        let mut writer = Self::writer();
        let headers: Vec<&str> = HEAD.iter().copied().chain(fields().map(Field::label)).collect();
        writer.write_record(&headers).expect("writing to memory");
        let mut bytes = "\u{FEFF}".as_bytes().to_vec();
        bytes.extend(writer.into_inner().expect("writing to memory"));
        bytes
    }

    /// One row per application, every cell defused.
    pub fn rows(applications: &[StoredApplication]) -> Vec<u8> {
        let mut writer = Self::writer();
        for stored in applications {
            writer.write_record(Self::record(stored)).expect("writing to memory");
        }
        writer.into_inner().expect("writing to memory")
    }

    fn record(stored: &StoredApplication) -> Vec<String> {
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
        record.into_iter().map(defused).collect()
    }
}

/// A cell that a spreadsheet would read as a formula gets a leading `'`.
pub fn defused(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}") } else { cell }
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
        let bytes = Csv::header();
        assert!(bytes.starts_with("\u{FEFF}受付番号,".as_bytes()));
        assert!(bytes.ends_with(b"\r\n"));
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains(Field::Email.label()) && text.contains(Field::Phone.label()));
        let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{FEFF}').as_bytes());
        assert_eq!(reader.headers().unwrap().len(), HEAD.len() + Field::kept().count());
    }
}
