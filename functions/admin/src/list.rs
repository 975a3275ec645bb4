//! `GET /api/admin/applications`: newest first, by status, searched by `q`.

use super::{Handler, query_param, unavailable};
use crate::operator::Caller;
use crate::views::{ListItem, ListPage};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::domain::{AuditAction, AuditEntry, Email, Field, ReceptionNumber, Status, Timestamp};
use shared::http::ApiError;
use shared::keyed::IdentifierKey;
use shared::store::{Cursor, ListQuery, Search};

/// Rows per page unless `limit` says otherwise.
pub const DEFAULT_LIMIT: usize = 50;

pub async fn list(handler: &Handler, req: &Request, caller: &Caller) -> Result<Response<Body>, ApiError> {
    let mut query = list_query(req, &handler.key)?;
    query.assignee = crate::desk::assignee_filter(handler, caller, query_param(req, "assignee")?).await?;
    handler.audit(AuditEntry::now(caller.actor.clone(), AuditAction::List, None)).await?;
    let page = handler.store.list(&query).await.map_err(unavailable)?;
    let body = ListPage {
        items: page.items.iter().map(ListItem::from).collect(),
        next_cursor: page.next.map(|cursor| cursor.encode()),
    };
    Ok(shared::http::json(StatusCode::OK, &body))
}

/// The list's query (and the export's: it has no `q`, `limit` or `cursor`).
pub fn list_query(req: &Request, key: &IdentifierKey) -> Result<ListQuery, ApiError> {
    let status = match query_param(req, "status")? {
        Some(text) => Some(
            Status::parse(text).ok_or_else(|| ApiError::bad_request("status の値が正しくありません。"))?,
        ),
        None => None,
    };
    let limit = match query_param(req, "limit")? {
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=ListQuery::MAX_LIMIT).contains(n))
            .ok_or_else(|| ApiError::bad_request("limit は1〜500の整数で指定してください。"))?,
        None => DEFAULT_LIMIT,
    };
    let cursor = match query_param(req, "cursor")? {
        Some(text) => Some(
            Cursor::decode(text).ok_or_else(|| ApiError::bad_request("cursor の値が正しくありません。"))?,
        ),
        None => None,
    };
    let date = |name: &str| -> Result<Option<Timestamp>, ApiError> {
        match query_param(req, name)? {
            Some(text) => Ok(Some(parse_date(text).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "{name} は日付(2026-12-01)または日時(RFC 3339)で指定してください。"
                ))
            })?)),
            None => Ok(None),
        }
    };
    let search = query_param(req, "q")?.map(|q| search(q, key)).transpose()?.flatten();
    Ok(ListQuery { status, search, from: date("from")?, to: date("to")?, limit, cursor, assignee: None })
}

/// A day (`2026-12-01`, its start in JST) or an RFC 3339 time.
fn parse_date(text: &str) -> Option<Timestamp> {
    if let Some(at) = Timestamp::parse(text) {
        return Some(at);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text, format).ok()?;
    Some(Timestamp::new(date.midnight().assume_offset(time::macros::offset!(+9))))
}

/// What `q` asks for: a reception number, an address or a phone number
/// exactly, else a name, a corporate name or a reading by substring.
pub fn search(q: &str, key: &IdentifierKey) -> Result<Option<Search>, ApiError> {
    let text = shared::normalize::text(q);
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > 254 || q.chars().any(shared::normalize::is_forbidden_char) {
        return Err(ApiError::bad_request("検索語が長すぎるか、使えない文字を含んでいます。"));
    }
    if let Some(number) = ReceptionNumber::parse(&text.to_uppercase()) {
        return Ok(Some(Search::ReceptionNumber(number)));
    }
    if text.contains('@') {
        return Ok(Email::parse_text(Field::Email, &text).ok().map(|email| Search::Email(key.email(&email))));
    }
    let digits = shared::normalize::numeric(&text).replace(['-', ' '], "");
    if digits.len() >= 10
        && digits.bytes().all(|b| b.is_ascii_digit())
        && let Ok(phone) = shared::domain::Phone::parse(&digits)
    {
        return Ok(Some(Search::Phone(phone)));
    }
    let text = text.replace(' ', "");
    let reading = shared::normalize::hiragana_as_katakana(text.clone());
    Ok(Some(Search::Text { text, reading }))
}
