//! The table layout, defined once: key schema, index, TTL, item kinds and
//! attribute names. The DynamoDB store writes it, the SQLite store names its
//! columns after it, the notification function decodes stream images with
//! [`stored_application_from`], and a test checks the SAM template against it.
//! See `docs/storage.md` for the design.
//!
//! Backend-neutral: no SDK type appears here. Every value is a string; counts
//! are written as DynamoDB numbers (`N`), whose wire form is a digit string.

use super::plan::{IdempotencyRecord, MailRecord};
use super::{ErasedApplication, RelatedApplication, StoredApplication};
use crate::domain::{
    Actor, Application, ApplicationId, AuditAction, AuditEntry, AuditId, Entry, ExportRecord, Field,
    HistoryAction, HistoryEntry, HistoryReason, InvoiceNumber, Kind, NoticeId, OperatorMessage, PartnerCode,
    Phone, Receipt, ReceptionNumber, RequestHash, Status, Timestamp, Version,
};
use crate::domain::{Document, DocumentId, DocumentRequest, DocumentType, FileName, MailKind, MailSubject};
use crate::keyed::{EmailKey, TokenHash};
use sha2::{Digest, Sha256};
use std::borrow::Cow;

/// Partition key (S) of every item.
pub const PARTITION_KEY: &str = "pk";
/// Sort key (S) of every item.
pub const SORT_KEY: &str = "sk";

/// The GSI with which operators list applications by status and date. Sparse:
/// only application items carry its keys.
pub const STATUS_INDEX: &str = "byStatus";
/// Partition key (S) of [`STATUS_INDEX`].
pub const STATUS_INDEX_PARTITION_KEY: &str = attr::STATUS;
/// Sort key (S) of [`STATUS_INDEX`]: RFC 3339 with the fixed `+09:00` offset, so
/// string order is time order.
pub const STATUS_INDEX_SORT_KEY: &str = attr::RECEIVED_AT;

/// The GSI with which operators list every verified application by date,
/// whatever its status: sparse, only verified application items carry
/// [`attr::LISTING`] (the constant [`LISTED`]).
pub const RECEIVED_INDEX: &str = "byReceived";
/// Partition key (S) of [`RECEIVED_INDEX`].
pub const RECEIVED_INDEX_PARTITION_KEY: &str = attr::LISTING;
/// Sort key (S) of [`RECEIVED_INDEX`].
pub const RECEIVED_INDEX_SORT_KEY: &str = attr::RECEIVED_AT;
/// The one value of [`attr::LISTING`]. One partition holds every verified
/// application: operators decide a few hundred a month, far below a
/// partition's 1,000 writes a second.
pub const LISTED: &str = "verified";

/// The GSI with which a search finds the applications of one phone number
/// (newest first) without reading the others. Every application item has a
/// phone; a tombstone has none.
pub const PHONE_INDEX: &str = "byPhone";
/// Partition key (S) of [`PHONE_INDEX`]: the stored (hyphenated) phone number.
pub const PHONE_INDEX_PARTITION_KEY: &str = Field::Phone.key();
/// Sort key (S) of [`PHONE_INDEX`].
pub const PHONE_INDEX_SORT_KEY: &str = attr::RECEIVED_AT;

/// The GSI with which the reviewer's check finds the applications of one
/// invoice number (T-number), newest first. Sparse: only verified
/// application items with a T-number carry its key
/// ([`attr::LISTED_INVOICE_NUMBER`], [`listed_attributes`]), and it projects
/// only what the check shows and compares ([`RELATED_PROJECTION`]).
pub const INVOICE_INDEX: &str = "byInvoiceNumber";
/// Partition key (S) of [`INVOICE_INDEX`]: the T-number, on verified applications only.
pub const INVOICE_INDEX_PARTITION_KEY: &str = attr::LISTED_INVOICE_NUMBER;
/// Sort key (S) of [`INVOICE_INDEX`].
pub const INVOICE_INDEX_SORT_KEY: &str = attr::RECEIVED_AT;

/// The GSI with which the reviewer's check finds the applications of one
/// corporate name, whatever its spacing, newest first. Sparse as
/// [`INVOICE_INDEX`], keyed by [`attr::LISTED_CORPORATE_NAME`], projecting
/// [`RELATED_PROJECTION`].
pub const CORPORATE_NAME_INDEX: &str = "byCorporateName";
/// Partition key (S) of [`CORPORATE_NAME_INDEX`]: the corporate name without
/// spaces ([`crate::store::review::corporate_name_key`]), on verified applications only.
pub const CORPORATE_NAME_INDEX_PARTITION_KEY: &str = attr::LISTED_CORPORATE_NAME;
/// Sort key (S) of [`CORPORATE_NAME_INDEX`].
pub const CORPORATE_NAME_INDEX_SORT_KEY: &str = attr::RECEIVED_AT;

/// What the related indexes project beside their keys and the table's:
/// what the check shows (id, reception number, status, the display name's
/// parts), what it compares (phone, T-number, corporate name) and whether the
/// application is still live (`expiresAt`, a rejected one's retention).
/// [`related_application_from`] reads exactly these.
pub const RELATED_PROJECTION: [&str; 9] = [
    attr::APPLICATION_ID,
    attr::RECEPTION_NUMBER,
    attr::STATUS,
    attr::EXPIRES_AT,
    Field::Phone.key(),
    Field::InvoiceNumber.key(),
    Field::CorporateName.key(),
    Field::LastName.key(),
    Field::FirstName.key(),
];

/// The GSI that a name search scans: every verified application's search
/// text and what the list's filters and order need, a few hundred bytes
/// each, where `byReceived` holds the whole item. Its partition key is the
/// table's own (`pk`: one application each, so a parallel Scan's segments
/// share the entries out evenly); its sort key, [`attr::LISTING`], makes it
/// sparse (verified applications only).
pub const SEARCH_INDEX: &str = "nameSearch";
/// Partition key (S) of [`SEARCH_INDEX`].
pub const SEARCH_INDEX_PARTITION_KEY: &str = PARTITION_KEY;
/// Sort key (S) of [`SEARCH_INDEX`].
pub const SEARCH_INDEX_SORT_KEY: &str = attr::LISTING;
/// What [`SEARCH_INDEX`] projects beside its keys: the text searched, and
/// what [`crate::store::ListQuery::admits`] asks (time, status, assignee) and
/// liveness. The page's applications are then read whole, a page at a time.
pub const SEARCH_PROJECTION: [&str; 5] =
    [attr::SEARCH_TEXT, attr::RECEIVED_AT, attr::STATUS, attr::ASSIGNEE, attr::EXPIRES_AT];

/// Attribute DynamoDB's TTL reads (N, epoch seconds). Unverified applications,
/// the reservations they hold, tokens, notices, idempotency records and
/// counters carry it; a verified application does not.
pub const TTL_ATTRIBUTE: &str = attr::EXPIRES_AT;
/// The stream's view type: the notification function filters on the old and
/// the new status (a confirmation is a MODIFY from `awaiting_verification`).
pub const STREAM_VIEW_TYPE: &str = "NEW_AND_OLD_IMAGES";

/// Key prefixes, one per item kind. Application: `APP#<applicationId>`.
pub const APPLICATION_PREFIX: &str = "APP#";
/// Email reservation: `EMAIL#<HMAC of the lower-cased address>` (no address in a key).
pub const EMAIL_PREFIX: &str = "EMAIL#";
/// Reception-number uniqueness: `RECEPTION#<receptionNumber>`.
pub const RECEPTION_PREFIX: &str = "RECEPTION#";
/// Idempotency record: `IDEMPOTENCY#<Idempotency-Key>`.
pub const IDEMPOTENCY_PREFIX: &str = "IDEMPOTENCY#";
/// Verification token: `TOKEN#<SHA-256 of the token>`.
pub const TOKEN_PREFIX: &str = "TOKEN#";
/// Notice to an address that already applied: `NOTICE#<noticeId>`.
pub const NOTICE_PREFIX: &str = "NOTICE#";
/// A request for documents: `DOCREQ#<SHA-256 of its link's token>`, naming
/// the application and the version of the request (TTL: the link's expiry).
pub const DOCUMENT_REQUEST_PREFIX: &str = "DOCREQ#";
/// Rate-limit counter: `RATE#<limit>#<window>[#<HMAC of the source address>]`.
pub const RATE_PREFIX: &str = "RATE#";

/// Partner-code uniqueness: `PARTNER#<partnerCode>`, never deleted, so a code
/// is never issued twice.
pub const PARTNER_PREFIX: &str = "PARTNER#";
/// A status's count of applications ([`crate::store::plan::counted`]):
/// `COUNT#<status>`, its `count` (N) moved by every plan that changes the
/// status, in the same transaction. Never expires.
pub const STATUS_COUNT_PREFIX: &str = "COUNT#";
/// The counted applications that leave by their retention, one small item
/// each: `pk` [`DUE_PARTITION`], `sk` [`due_sk`]. The counts subtract the
/// items whose time has passed, until the deletion (a plan's) removes the
/// application, its due item and its count at once. Never expires: TTL's
/// deletion of the application is one the counter never sees.
pub const DUE_PARTITION: &str = "DUE";

/// The audit table's one partition: entries sort by their id (a ULID, time first).
pub const AUDIT_PARTITION: &str = "AUDIT";
/// The audit table's name when `AUDIT_TABLE_NAME` is not set: the table's, with this suffix.
pub const AUDIT_TABLE_SUFFIX: &str = "-audit";

/// Sort key of application items.
pub const APPLICATION_SORT_KEY: &str = "APPLICATION";
/// Sort key prefix of history items, which share their application's `pk`:
/// `HISTORY#<version, 10 digits>` (one entry per version, so two writers of
/// the same version cannot both succeed).
pub const HISTORY_SORT_PREFIX: &str = "HISTORY#";
/// Sort key prefix of document items, which share their application's `pk`
/// (so erasure and the detail read them with the history): `DOCUMENT#<documentId>`.
pub const DOCUMENT_SORT_PREFIX: &str = "DOCUMENT#";
/// Sort key prefix of note items, which share their application's `pk` (so
/// erasure reads them with the history, and a Query of that prefix reads
/// exactly the notes, newest last): `NOTE#<noteId>`.
pub const NOTE_SORT_PREFIX: &str = "NOTE#";
/// Sort key prefix of mail records, which share their application's `pk`
/// (so erasure reads them with the history, and a Query of that prefix
/// reads exactly the mails): `MAIL#<mailId>`. An event finds one by the
/// application and mail its SES tags name: no index.
pub const MAIL_SORT_PREFIX: &str = "MAIL#";
/// Sort key of document-request items.
pub const DOCUMENT_REQUEST_SORT_KEY: &str = "DOCREQ";
/// Sort key of partner-code items.
pub const PARTNER_SORT_KEY: &str = "PARTNER";
/// Sort key of email-uniqueness items.
pub const EMAIL_SORT_KEY: &str = "EMAIL";
/// Sort key of reception-number items.
pub const RECEPTION_SORT_KEY: &str = "RECEPTION";
/// Sort key of idempotency items.
pub const IDEMPOTENCY_SORT_KEY: &str = "IDEMPOTENCY";
/// Sort key of token items.
pub const TOKEN_SORT_KEY: &str = "TOKEN";
/// Sort key of notice items.
pub const NOTICE_SORT_KEY: &str = "NOTICE";
/// Sort key of counter items.
pub const RATE_SORT_KEY: &str = "RATE";
/// Sort key of status-count items.
pub const STATUS_COUNT_SORT_KEY: &str = "COUNT";

/// How long a replay returns the stored response.
pub const IDEMPOTENCY_TTL_SECS: i64 = 24 * 60 * 60;
/// How long a notice is kept after it was made (its mail goes out at once).
pub const NOTICE_TTL_SECS: i64 = 7 * 24 * 60 * 60;
/// How long a used token still answers its confirmation again (idempotent).
pub const CONFIRMED_TOKEN_TTL_SECS: i64 = 7 * 24 * 60 * 60;

/// Attribute names. The application's own fields use the contract's keys
/// ([`Field::key`]), e.g. `email`, `lastNameKana`, `employeeCount`.
pub mod attr {
    pub const APPLICATION_ID: &str = "applicationId";
    pub const RECEPTION_NUMBER: &str = "receptionNumber";
    pub const RECEIVED_AT: &str = "receivedAt";
    pub const UPDATED_AT: &str = "updatedAt";
    pub const STATUS: &str = "status";
    /// Incremented by every change of status (N).
    pub const VERSION: &str = "version";
    /// When the address was proven.
    pub const VERIFIED_AT: &str = "verifiedAt";
    /// The unverified application this one replaced.
    pub const SUPERSEDES: &str = "supersedes";
    /// When the applicant agreed to the terms: the consent record (= receivedAt).
    pub const TERMS_AGREED_AT: &str = "termsAgreedAt";
    /// Mail markers, each set conditionally when its mail was sent (RFC 3339).
    pub const VERIFICATION_SENT_AT: &str = "verificationSentAt";
    pub const ALREADY_RECEIVED_SENT_AT: &str = "alreadyReceivedSentAt";
    pub const ACKNOWLEDGEMENT_SENT_AT: &str = "acknowledgementSentAt";
    pub const OPERATOR_NOTICE_SENT_AT: &str = "operatorNoticeSentAt";
    /// Application item: the keyed hash of its address (the email item's key).
    pub const EMAIL_KEY: &str = "emailKey";
    /// Email item: the token hash of the unverified application it points to,
    /// so that a superseding submission can delete that token.
    pub const TOKEN_HASH: &str = "tokenHash";
    /// Email item of a verified application: the ids of the notices made for
    /// its address (a string set), so that an erasure deletes them too.
    pub const NOTICES: &str = "notices";
    /// Email and token items: set once the application is verified.
    pub const CONFIRMED_AT: &str = "confirmedAt";
    /// Idempotency item: SHA-256 (hex) of the normalised application.
    pub const REQUEST_HASH: &str = "requestHash";
    /// Idempotency item: the HTTP status acknowledged (N).
    pub const RESPONSE_STATUS: &str = "responseStatus";
    /// Idempotency item: the exact response body acknowledged.
    pub const RESPONSE_BODY: &str = "responseBody";
    /// Counter item: requests counted in its window (N).
    pub const COUNT: &str = "count";
    /// Epoch seconds after which the item is absent (N, the TTL).
    pub const EXPIRES_AT: &str = "expiresAt";
    /// Notice item: its id.
    pub const NOTICE_ID: &str = "noticeId";
    /// Verified application items: [`super::LISTED`], the key of the `byReceived` index.
    pub const LISTING: &str = "listing";
    /// Application item: the names and readings without spaces, one per line,
    /// which a search matches by substring ([`super::search_text`]).
    pub const SEARCH_TEXT: &str = "searchText";
    /// Verified application items: the T-number and the corporate name
    /// without spaces, the keys of the related indexes ([`super::listed_attributes`]).
    pub const LISTED_INVOICE_NUMBER: &str = "listedInvoiceNumber";
    pub const LISTED_CORPORATE_NAME: &str = "listedCorporateName";
    /// Application item (approved) and partner-code item: the 取次店コード.
    pub const PARTNER_CODE: &str = "partnerCode";
    /// History item: when, who, what, from which status to which, and the
    /// operator's message (removed by an erasure).
    pub const AT: &str = "at";
    pub const ACTOR: &str = "actor";
    pub const ACTION: &str = "action";
    pub const FROM_STATUS: &str = "fromStatus";
    pub const TO_STATUS: &str = "toStatus";
    pub const MESSAGE: &str = "message";
    /// History item of an erasure or a correction: its reason's code
    /// ([`crate::domain::HistoryReason`]), which an erasure keeps.
    pub const REASON: &str = "reason";
    /// History item of a decision: its result mail's marker.
    pub const RESULT_SENT_AT: &str = "resultSentAt";
    /// History item of a submission of documents: how many files (N).
    pub const FILES: &str = "files";
    /// History item of a correction: the keys that changed, comma-separated
    /// (never their values).
    pub const FIELDS: &str = "fields";
    /// Document items: the file's id, its request's version (N), its name as
    /// the browser gave it (personal data: erased with the application), its
    /// media type, its declared size (N), when its upload was issued and when
    /// a submission used it.
    pub const DOCUMENT_ID: &str = "documentId";
    pub const REQUEST_VERSION: &str = "requestVersion";
    pub const FILE_NAME: &str = "fileName";
    pub const CONTENT_TYPE: &str = "contentType";
    pub const SIZE: &str = "size";
    pub const UPLOADED_AT: &str = "uploadedAt";
    pub const SUBMITTED_AT: &str = "submittedAt";
    /// Note items: the note's id and its text (operators' words, erased
    /// with the application; `at` and `actor` as a history item's).
    pub const NOTE_ID: &str = "noteId";
    pub const TEXT: &str = "text";
    /// Application item: the operator it is assigned to (an address), absent
    /// when none. Written by an assignment only, never by the lifecycle.
    pub const ASSIGNEE: &str = "assignee";
    /// Application item: an applicant's mail failed (N 1, absent otherwise).
    /// Written by a delivery event only, never by the lifecycle.
    pub const MAIL_PROBLEM: &str = "mailProblem";
    /// Mail records: the mail's id and kind (its slug), when it was sent, the
    /// provider's message id, its delivery status, that status's rank (N:
    /// an event moves it only upwards), the reason's code, and when the
    /// status last changed. No address, no content.
    pub const MAIL_ID: &str = "mailId";
    pub const MAIL_KIND: &str = "mailKind";
    pub const SENT_AT: &str = "sentAt";
    pub const MESSAGE_ID: &str = "messageId";
    pub const DELIVERY: &str = "delivery";
    pub const DELIVERY_RANK: &str = "deliveryRank";
    pub const DELIVERY_REASON: &str = "deliveryReason";
    pub const DELIVERY_AT: &str = "deliveryAt";
    /// Tombstone of an erased application: when, and its status then (a
    /// tombstone has no `status`, so the status index leaves it out).
    pub const ERASED_AT: &str = "erasedAt";
    pub const ERASED_STATUS: &str = "erasedStatus";
    /// Audit entry of an export: its filters (each absent when not given)
    /// and its row count, whose presence marks an export's record.
    pub const EXPORT_STATUS: &str = "exportStatus";
    pub const EXPORT_FROM: &str = "exportFrom";
    pub const EXPORT_TO: &str = "exportTo";
    pub const EXPORT_ROWS: &str = "exportRows";
}

/// The attribute that records that `kind` was sent.
pub fn mail_sent_attribute(kind: MailKind) -> &'static str {
    match kind {
        MailKind::Verification => attr::VERIFICATION_SENT_AT,
        MailKind::AlreadyReceived => attr::ALREADY_RECEIVED_SENT_AT,
        MailKind::Acknowledgement => attr::ACKNOWLEDGEMENT_SENT_AT,
        MailKind::OperatorNotice | MailKind::DocumentsNotice => attr::OPERATOR_NOTICE_SENT_AT,
        MailKind::DocumentsRequested
        | MailKind::Approved
        | MailKind::Rejected
        | MailKind::DocumentsReceived
        | MailKind::Corrected => attr::RESULT_SENT_AT,
    }
}

/// `sk` of the history item of `version`.
pub fn history_sk(version: Version) -> String {
    format!("{HISTORY_SORT_PREFIX}{:010}", version.get())
}

/// The version of a history item's `sk`.
pub fn history_version_of(sk: &str) -> Option<Version> {
    let digits = sk.strip_prefix(HISTORY_SORT_PREFIX)?;
    (digits.len() == 10).then_some(())?;
    Version::parse(digits.trim_start_matches('0'))
}

/// `pk` of a partner-code item.
pub fn partner_pk(code: crate::domain::PartnerCode) -> String {
    format!("{PARTNER_PREFIX}{code}")
}

/// `pk` of an application item.
pub fn application_pk(application_id: ApplicationId) -> String {
    format!("{APPLICATION_PREFIX}{application_id}")
}

/// `pk` and `sk` of the item a mail's marker lives on.
pub fn subject_keys(subject: MailSubject) -> (String, Cow<'static, str>) {
    match subject {
        MailSubject::Application(id) => (application_pk(id), Cow::Borrowed(APPLICATION_SORT_KEY)),
        MailSubject::Notice(id) => (notice_pk(id), Cow::Borrowed(NOTICE_SORT_KEY)),
        MailSubject::History(id, version) => (application_pk(id), Cow::Owned(history_sk(version))),
    }
}

/// True for the `pk` of an application item (the stream also carries
/// reservations, tokens and idempotency items, which the notification ignores).
pub fn is_application_item(pk: &str) -> bool {
    pk.starts_with(APPLICATION_PREFIX)
}

/// The application id of an application item's `pk` (an index entry's
/// table key: the search index projects no `applicationId`).
pub fn application_id_of(pk: &str) -> Option<ApplicationId> {
    pk.strip_prefix(APPLICATION_PREFIX).and_then(ApplicationId::parse)
}

/// True for the `sk` of a history item (which shares its application's `pk`).
pub fn is_history_item(sk: &str) -> bool {
    sk.starts_with(HISTORY_SORT_PREFIX)
}

/// `pk` of the item that reserves an address (keyed hash, [`crate::keyed`]).
pub fn email_pk(email_key: &EmailKey) -> String {
    format!("{EMAIL_PREFIX}{}", email_key.as_str())
}

/// `pk` of the item that reserves a reception number.
pub fn reception_pk(reception_number: ReceptionNumber) -> String {
    format!("{RECEPTION_PREFIX}{reception_number}")
}

/// `pk` of a token item.
pub fn token_pk(token: &TokenHash) -> String {
    format!("{TOKEN_PREFIX}{}", token.as_str())
}

/// `pk` of a document-request item.
pub fn document_request_pk(token: &TokenHash) -> String {
    format!("{DOCUMENT_REQUEST_PREFIX}{}", token.as_str())
}

/// `sk` of a note item.
pub fn note_sk(note_id: crate::domain::NoteId) -> String {
    format!("{NOTE_SORT_PREFIX}{note_id}")
}

/// True for the `sk` of a note item.
pub fn is_note_item(sk: &str) -> bool {
    sk.starts_with(NOTE_SORT_PREFIX)
}

/// The attributes of a note item (or row), beside its keys.
pub fn note_attributes(note: &crate::domain::Note) -> Vec<(&'static str, Value)> {
    vec![
        (attr::NOTE_ID, Value::Text(note.note_id.to_string())),
        (attr::APPLICATION_ID, Value::Text(note.application_id.to_string())),
        (attr::AT, Value::Text(note.at.to_string())),
        (attr::ACTOR, Value::Text(note.actor.to_string())),
        (attr::TEXT, Value::Text(note.text.as_str().to_owned())),
    ]
}

/// Rebuilds a note from its attributes.
pub fn note_from<'a>(get: impl Fn(&str) -> Option<Cow<'a, str>>) -> Result<crate::domain::Note, LayoutError> {
    let required = |name: &'static str| get(name).ok_or(LayoutError::Missing(name));
    let malformed = |name: &'static str| LayoutError::Malformed(name);
    Ok(crate::domain::Note {
        note_id: crate::domain::NoteId::parse(&required(attr::NOTE_ID)?).ok_or(malformed(attr::NOTE_ID))?,
        application_id: ApplicationId::parse(&required(attr::APPLICATION_ID)?)
            .ok_or(malformed(attr::APPLICATION_ID))?,
        at: Timestamp::parse(&required(attr::AT)?).ok_or(malformed(attr::AT))?,
        actor: Actor::parse(&required(attr::ACTOR)?).ok_or(malformed(attr::ACTOR))?,
        text: crate::domain::NoteText::parse(&required(attr::TEXT)?).map_err(|_| malformed(attr::TEXT))?,
    })
}

/// The value of [`attr::MAIL_PROBLEM`] when set.
pub const MAIL_PROBLEM: &str = "1";

/// `sk` of a mail record.
pub fn mail_sk(mail_id: &crate::domain::MailId) -> String {
    format!("{MAIL_SORT_PREFIX}{mail_id}")
}

/// The attributes of a mail record (item or row), beside its keys.
pub fn mail_attributes(record: &crate::domain::MailRecord) -> Vec<(&'static str, Value)> {
    let mut attributes = vec![
        (attr::APPLICATION_ID, Value::Text(record.application_id.to_string())),
        (attr::MAIL_ID, Value::Text(record.mail_id.to_string())),
        (attr::MAIL_KIND, Value::Text(record.kind.slug().to_owned())),
        (attr::SENT_AT, Value::Text(record.sent_at.to_string())),
        (attr::MESSAGE_ID, Value::Text(record.message_id.clone())),
        (attr::DELIVERY, Value::Text(record.status.as_str().to_owned())),
        (attr::DELIVERY_RANK, Value::Number(record.status.rank().to_string())),
    ];
    if let Some(reason) = record.reason {
        attributes.push((attr::DELIVERY_REASON, Value::Text(reason.as_str().to_owned())));
    }
    if let Some(at) = record.status_at {
        attributes.push((attr::DELIVERY_AT, Value::Text(at.to_string())));
    }
    attributes
}

/// What a delivery event sets on its record (the condition is the store's:
/// the record exists, names the event's message, and has a lower rank).
pub fn delivery_attributes(update: &super::DeliveryUpdate) -> Vec<(&'static str, Option<Value>)> {
    vec![
        (attr::DELIVERY, Some(Value::Text(update.status.as_str().to_owned()))),
        (attr::DELIVERY_RANK, Some(Value::Number(update.status.rank().to_string()))),
        // A delivery after a delay has no reason: the delay's goes.
        (attr::DELIVERY_REASON, update.reason.map(|reason| Value::Text(reason.as_str().to_owned()))),
        (attr::DELIVERY_AT, Some(Value::Text(update.at.to_string()))),
    ]
}

/// Rebuilds a mail record from its attributes.
pub fn mail_from<'a>(
    get: impl Fn(&str) -> Option<Cow<'a, str>>,
) -> Result<crate::domain::MailRecord, LayoutError> {
    use crate::domain::{DeliveryReason, DeliveryStatus, MailId, MailRecord};
    let required = |name: &'static str| get(name).ok_or(LayoutError::Missing(name));
    let malformed = |name: &'static str| LayoutError::Malformed(name);
    let optional = |name: &'static str| get(name);
    Ok(MailRecord {
        application_id: ApplicationId::parse(&required(attr::APPLICATION_ID)?)
            .ok_or(malformed(attr::APPLICATION_ID))?,
        mail_id: MailId::parse(&required(attr::MAIL_ID)?).ok_or(malformed(attr::MAIL_ID))?,
        kind: MailKind::from_slug(&required(attr::MAIL_KIND)?).ok_or(malformed(attr::MAIL_KIND))?,
        sent_at: Timestamp::parse(&required(attr::SENT_AT)?).ok_or(malformed(attr::SENT_AT))?,
        message_id: required(attr::MESSAGE_ID)?.into_owned(),
        status: DeliveryStatus::parse(&required(attr::DELIVERY)?).ok_or(malformed(attr::DELIVERY))?,
        reason: optional(attr::DELIVERY_REASON)
            .map(|code| DeliveryReason::parse(&code).ok_or(malformed(attr::DELIVERY_REASON)))
            .transpose()?,
        status_at: optional(attr::DELIVERY_AT)
            .map(|at| Timestamp::parse(&at).ok_or(malformed(attr::DELIVERY_AT)))
            .transpose()?,
    })
}

/// `sk` of a document item.
pub fn document_sk(document_id: DocumentId) -> String {
    format!("{DOCUMENT_SORT_PREFIX}{document_id}")
}

/// True for the `sk` of a document item.
pub fn is_document_item(sk: &str) -> bool {
    sk.starts_with(DOCUMENT_SORT_PREFIX)
}

/// The attributes of a document item (or row), beside its keys.
pub fn document_attributes(document: &Document) -> Vec<(&'static str, Value)> {
    let mut attributes = vec![
        (attr::DOCUMENT_ID, Value::Text(document.document_id.to_string())),
        (attr::APPLICATION_ID, Value::Text(document.application_id.to_string())),
        (attr::REQUEST_VERSION, Value::Number(document.request_version.to_string())),
        (attr::FILE_NAME, Value::Text(document.file_name.as_str().to_owned())),
        (attr::CONTENT_TYPE, Value::Text(document.content_type.mime().to_owned())),
        (attr::SIZE, Value::Number(document.size.to_string())),
        (attr::UPLOADED_AT, Value::Text(document.uploaded_at.to_string())),
    ];
    if let Some(at) = document.submitted_at {
        attributes.push((attr::SUBMITTED_AT, Value::Text(at.to_string())));
    }
    attributes
}

/// Rebuilds a document from its attributes.
pub fn document_from<'a>(get: impl Fn(&str) -> Option<Cow<'a, str>>) -> Result<Document, LayoutError> {
    let required = |name: &'static str| get(name).ok_or(LayoutError::Missing(name));
    let malformed = |name: &'static str| LayoutError::Malformed(name);
    let time = |name: &'static str| Timestamp::parse(&required(name)?).ok_or(malformed(name));
    Ok(Document {
        document_id: DocumentId::parse(&required(attr::DOCUMENT_ID)?).ok_or(malformed(attr::DOCUMENT_ID))?,
        application_id: ApplicationId::parse(&required(attr::APPLICATION_ID)?)
            .ok_or(malformed(attr::APPLICATION_ID))?,
        request_version: Version::parse(&required(attr::REQUEST_VERSION)?)
            .ok_or(malformed(attr::REQUEST_VERSION))?,
        file_name: FileName::parse(&required(attr::FILE_NAME)?).ok_or(malformed(attr::FILE_NAME))?,
        content_type: DocumentType::parse(&required(attr::CONTENT_TYPE)?)
            .ok_or(malformed(attr::CONTENT_TYPE))?,
        size: required(attr::SIZE)?.parse().map_err(|_| malformed(attr::SIZE))?,
        uploaded_at: time(attr::UPLOADED_AT)?,
        submitted_at: get(attr::SUBMITTED_AT).map(|_| time(attr::SUBMITTED_AT)).transpose()?,
    })
}

/// The attributes of a document-request item (or row), beside its key.
pub fn document_request_attributes(request: &DocumentRequest) -> Vec<(&'static str, Value)> {
    vec![
        (attr::APPLICATION_ID, Value::Text(request.application_id.to_string())),
        (attr::VERSION, Value::Number(request.version.to_string())),
        (attr::EXPIRES_AT, Value::Number(request.expires_at.epoch().to_string())),
    ]
}

/// Rebuilds a document request from its attributes.
pub fn document_request_from<'a>(
    get: impl Fn(&str) -> Option<Cow<'a, str>>,
) -> Result<DocumentRequest, LayoutError> {
    let required = |name: &'static str| get(name).ok_or(LayoutError::Missing(name));
    let malformed = |name: &'static str| LayoutError::Malformed(name);
    Ok(DocumentRequest {
        application_id: ApplicationId::parse(&required(attr::APPLICATION_ID)?)
            .ok_or(malformed(attr::APPLICATION_ID))?,
        version: Version::parse(&required(attr::VERSION)?).ok_or(malformed(attr::VERSION))?,
        expires_at: required(attr::EXPIRES_AT)?
            .parse::<i64>()
            .ok()
            .and_then(Timestamp::from_epoch)
            .ok_or(malformed(attr::EXPIRES_AT))?,
    })
}

/// `pk` of a notice item.
pub fn notice_pk(notice_id: NoticeId) -> String {
    format!("{NOTICE_PREFIX}{notice_id}")
}

/// The notice id of a notice item's `pk`.
pub fn notice_id_of(pk: &str) -> Option<NoticeId> {
    pk.strip_prefix(NOTICE_PREFIX).and_then(NoticeId::parse)
}

/// `pk` of an idempotency record ([`IDEMPOTENCY_PREFIX`] and the record's key).
pub fn record_pk(key: &super::plan::RecordKey<'_>) -> String {
    format!("{IDEMPOTENCY_PREFIX}{}", key.text())
}

/// `pk` of a counter item.
pub fn counter_pk(name: &str) -> String {
    format!("{RATE_PREFIX}{name}")
}

/// `pk` of a status's count item.
pub fn status_count_pk(status: Status) -> String {
    format!("{STATUS_COUNT_PREFIX}{}", status.as_str())
}

/// `sk` of a due item: its time (epoch seconds, 12 digits, so that the
/// strings sort as the times do), its status and its application. The items
/// due by `now` are those whose `sk` is below [`due_before`]`(now)`.
pub fn due_sk(at: Timestamp, status: Status, application_id: ApplicationId) -> String {
    format!("{:012}#{}#{application_id}", at.epoch().max(0), status.as_str())
}

/// The `sk` bound of the due items whose time has passed at `now` (a time
/// equal to `now` has not: expiry is `expiresAt < now` everywhere).
pub fn due_before(now: Timestamp) -> String {
    format!("{:012}", now.epoch().max(0))
}

/// The status of a due item's `sk`.
pub fn due_status_of(sk: &str) -> Option<Status> {
    sk.split('#').nth(1).and_then(Status::parse)
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    crate::keyed::hex(&Sha256::digest(bytes))
}

/// An attribute value as the layout writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// DynamoDB `S`.
    Text(String),
    /// DynamoDB `N` (a decimal integer).
    Number(String),
}

impl Value {
    pub fn as_str(&self) -> &str {
        match self {
            Value::Text(s) | Value::Number(s) => s,
        }
    }
}

/// Every attribute of an application item except the keys (`pk`, `sk`) and
/// the mail markers: the identifiers, status, version, timestamps and every
/// normalised field. Blank optional fields are absent.
pub fn application_attributes(stored: &StoredApplication) -> Vec<(&'static str, Value)> {
    let receipt = &stored.receipt;
    let received_at = Value::Text(receipt.received_at.to_string());
    let mut attributes = vec![
        (attr::APPLICATION_ID, Value::Text(receipt.application_id.to_string())),
        (attr::RECEPTION_NUMBER, Value::Text(receipt.reception_number.to_string())),
        (attr::RECEIVED_AT, received_at.clone()),
        (attr::UPDATED_AT, Value::Text(stored.verified_at.unwrap_or(receipt.received_at).to_string())),
        (attr::STATUS, Value::Text(stored.status.as_str().to_owned())),
        (attr::VERSION, Value::Number(stored.version.to_string())),
        (attr::TERMS_AGREED_AT, received_at),
    ];
    if let Some(verified_at) = stored.verified_at {
        attributes.push((attr::VERIFIED_AT, Value::Text(verified_at.to_string())));
    }
    if let Some(expires_at) = stored.expires_at {
        attributes.push((attr::EXPIRES_AT, Value::Number(expires_at.epoch().to_string())));
    }
    if let Some(supersedes) = stored.supersedes {
        attributes.push((attr::SUPERSEDES, Value::Text(supersedes.to_string())));
    }
    if let Some(code) = stored.partner_code {
        attributes.push((attr::PARTNER_CODE, Value::Text(code.to_string())));
    }
    if let Some(assignee) = &stored.assignee {
        attributes.push((attr::ASSIGNEE, Value::Text(assignee.to_string())));
    }
    if stored.mail_problem {
        attributes.push((attr::MAIL_PROBLEM, Value::Number(MAIL_PROBLEM.to_owned())));
    }
    attributes.extend(listed_attributes(stored).into_iter().filter_map(|(name, value)| Some((name, value?))));
    attributes.push((attr::SEARCH_TEXT, Value::Text(search_text(&stored.application))));
    for (field, entry) in stored.application.entries() {
        let value = match entry {
            Entry::Text(value) => Value::Text(value.to_owned()),
            Entry::Count(count) => Value::Number(count.to_string()),
        };
        attributes.push((field.key(), value));
    }
    attributes
}

/// The attributes of an application that its lifecycle changes (status,
/// version, verification, expiry, partner code and the keys of the indexes
/// of verified applications, [`listed_attributes`]),
/// each with its value in `stored`, or `None` where it is to be removed: what
/// a confirmation or a decision writes over the item, derived from the state
/// after it as [`application_attributes`] derives a new item, so the two
/// never disagree (a verified application is `listing`, whichever write made it).
pub fn lifecycle_attributes(
    stored: &StoredApplication,
    updated_at: Timestamp,
) -> Vec<(&'static str, Option<Value>)> {
    vec![
        (attr::STATUS, Some(Value::Text(stored.status.as_str().to_owned()))),
        (attr::VERSION, Some(Value::Number(stored.version.to_string()))),
        (attr::UPDATED_AT, Some(Value::Text(updated_at.to_string()))),
        (attr::VERIFIED_AT, stored.verified_at.map(|at| Value::Text(at.to_string()))),
        (attr::EXPIRES_AT, stored.expires_at.map(|at| Value::Number(at.epoch().to_string()))),
        (attr::PARTNER_CODE, stored.partner_code.map(|code| Value::Text(code.to_string()))),
    ]
    .into_iter()
    .chain(listed_attributes(stored))
    .collect()
}

/// The keys of the indexes that hold verified applications only, each with
/// its value in `stored`, or `None` where it is to be removed: `listing`
/// (`byReceived`, `nameSearch`), the T-number (`byInvoiceNumber`) and the
/// spaceless corporate name (`byCorporateName`). Part of every write that
/// can change them: a new item ([`application_attributes`]), a confirmation
/// or a decision ([`lifecycle_attributes`]) and a correction
/// ([`correction_attributes`]); an erasure's tombstone has none of them.
pub fn listed_attributes(stored: &StoredApplication) -> Vec<(&'static str, Option<Value>)> {
    let listed = stored.status.is_verified();
    let application = &stored.application;
    let corporate_name = application
        .corporate_name
        .as_ref()
        .and_then(|name| crate::store::review::corporate_name_key(name.as_str()));
    vec![
        (attr::LISTING, listed.then(|| Value::Text(LISTED.to_owned()))),
        (
            attr::LISTED_INVOICE_NUMBER,
            application
                .invoice_number
                .as_ref()
                .filter(|_| listed)
                .map(|number| Value::Text(number.to_string())),
        ),
        (attr::LISTED_CORPORATE_NAME, corporate_name.filter(|_| listed).map(Value::Text)),
    ]
}

/// The attributes of an application that a correction rewrites: its
/// lifecycle's ([`lifecycle_attributes`], for the version, with the related
/// indexes' keys), every kept field (`None`: a cleared optional one, removed)
/// and the search text, each as [`application_attributes`] writes it, so a
/// corrected phone moves its `byPhone` key, a corrected T-number or corporate
/// name its related index's key and a corrected name its search, as a new
/// item would have them.
pub fn correction_attributes(
    stored: &StoredApplication,
    updated_at: Timestamp,
) -> Vec<(&'static str, Option<Value>)> {
    let written = application_attributes(stored);
    let value = |name: &str| written.iter().find(|(n, _)| *n == name).map(|(_, value)| value.clone());
    let mut attributes = lifecycle_attributes(stored, updated_at);
    attributes.push((attr::SEARCH_TEXT, value(attr::SEARCH_TEXT)));
    attributes.extend(Field::kept().map(|field| (field.key(), value(field.key()))));
    attributes
}

/// The attributes of an idempotency record, beside its key. Both stores keep
/// the same; a record without a body (a decision's) has none.
pub fn idempotency_attributes(record: &IdempotencyRecord) -> Vec<(&'static str, Value)> {
    let mut attributes = vec![
        (attr::APPLICATION_ID, Value::Text(record.application_id.to_string())),
        (attr::REQUEST_HASH, Value::Text(record.request_hash.as_str().to_owned())),
        (attr::RESPONSE_STATUS, Value::Number(record.response_status.to_string())),
        (attr::EXPIRES_AT, Value::Number(record.expires_at.epoch().to_string())),
    ];
    if let Some(body) = &record.response_body {
        attributes.push((attr::RESPONSE_BODY, Value::Text(body.clone())));
    }
    if let Some(notice_id) = record.notice_id {
        attributes.push((attr::NOTICE_ID, Value::Text(notice_id.to_string())));
    }
    attributes
}

/// Rebuilds an idempotency record from its attributes.
pub fn idempotency_record_from<'a>(
    get: impl Fn(&str) -> Option<Cow<'a, str>>,
) -> Result<IdempotencyRecord, LayoutError> {
    let required = |name: &'static str| get(name).ok_or(LayoutError::Missing(name));
    let malformed = |name: &'static str| LayoutError::Malformed(name);
    Ok(IdempotencyRecord {
        application_id: ApplicationId::parse(&required(attr::APPLICATION_ID)?)
            .ok_or(malformed(attr::APPLICATION_ID))?,
        request_hash: RequestHash::parse(&required(attr::REQUEST_HASH)?)
            .ok_or(malformed(attr::REQUEST_HASH))?,
        response_status: required(attr::RESPONSE_STATUS)?
            .parse()
            .map_err(|_| malformed(attr::RESPONSE_STATUS))?,
        response_body: get(attr::RESPONSE_BODY).map(Cow::into_owned).filter(|body| !body.is_empty()),
        notice_id: get(attr::NOTICE_ID)
            .map(|id| NoticeId::parse(&id).ok_or(malformed(attr::NOTICE_ID)))
            .transpose()?,
        expires_at: required(attr::EXPIRES_AT)?
            .parse()
            .ok()
            .and_then(Timestamp::from_epoch)
            .ok_or(malformed(attr::EXPIRES_AT))?,
    })
}

/// What a search by substring matches: the names, the corporate name and the
/// readings, each without spaces (so 山田太郎 finds 山田 太郎), one per line
/// (so a match never spans two of them).
pub fn search_text(application: &Application) -> String {
    let entries = application.entries();
    search_text_from(|wanted| {
        entries.iter().find_map(|(field, entry)| match entry {
            Entry::Text(text) if *field == wanted => Some((*text).to_owned()),
            _ => None,
        })
    })
}

/// The fields [`search_text`] is made of.
pub const SEARCH_FIELDS: [Field; 6] = [
    Field::LastName,
    Field::FirstName,
    Field::LastNameKana,
    Field::FirstNameKana,
    Field::CorporateName,
    Field::CorporateNameKana,
];

/// [`search_text`] from the stored text of [`SEARCH_FIELDS`] (a row written
/// before the search text existed is given it so).
pub fn search_text_from(text: impl Fn(Field) -> Option<String>) -> String {
    let text = |field| text(field).map(|text| text.replace(' ', ""));
    let both = |a: Field, b: Field| format!("{}{}", text(a).unwrap_or_default(), text(b).unwrap_or_default());
    [
        both(Field::LastName, Field::FirstName),
        both(Field::LastNameKana, Field::FirstNameKana),
        text(Field::CorporateName).unwrap_or_default(),
        text(Field::CorporateNameKana).unwrap_or_default(),
    ]
    .join("\n")
}

/// The attributes [`stored_application_from`] reads, beside the fields.
pub const APPLICATION_STATE: [&str; 12] = [
    attr::APPLICATION_ID,
    attr::RECEPTION_NUMBER,
    attr::RECEIVED_AT,
    attr::TERMS_AGREED_AT,
    attr::STATUS,
    attr::VERSION,
    attr::VERIFIED_AT,
    attr::EXPIRES_AT,
    attr::SUPERSEDES,
    attr::PARTNER_CODE,
    attr::ASSIGNEE,
    attr::MAIL_PROBLEM,
];

/// True for a field stored as a DynamoDB number (`N`) / SQLite INTEGER.
pub fn is_numeric(field: Field) -> bool {
    field.kind() == Kind::Count
}

/// Why an item could not be read back as an application. Names attributes,
/// never their values (personal data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    #[error("attribute `{0}` is missing")]
    Missing(&'static str),
    #[error("attribute `{0}` is malformed")]
    Malformed(&'static str),
    #[error("the stored application no longer validates (fields: {0})")]
    Invalid(String),
}

/// Rebuilds a stored application from an item's attributes, given as strings
/// (`S` as is, `N` as its digits), whatever the backend: a DynamoDB item, a
/// stream image or an SQLite row. Identifiers are parsed once, here; the fields
/// go through the domain's own parsers ([`Application::from_stored`]), so only
/// valid values come back.
pub fn stored_application_from<'a>(
    get: impl Fn(&str) -> Option<Cow<'a, str>>,
) -> Result<StoredApplication, LayoutError> {
    fn parsed<'a, T>(
        get: &impl Fn(&str) -> Option<Cow<'a, str>>,
        name: &'static str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<T, LayoutError> {
        let text = get(name).ok_or(LayoutError::Missing(name))?;
        parse(&text).ok_or(LayoutError::Malformed(name))
    }
    let receipt = Receipt {
        application_id: parsed(&get, attr::APPLICATION_ID, ApplicationId::parse)?,
        reception_number: parsed(&get, attr::RECEPTION_NUMBER, ReceptionNumber::parse)?,
        received_at: parsed(&get, attr::RECEIVED_AT, Timestamp::parse)?,
    };
    get(attr::TERMS_AGREED_AT).ok_or(LayoutError::Missing(attr::TERMS_AGREED_AT))?;
    let optional = |name: &'static str, parse: fn(&str) -> Option<Timestamp>| -> Result<_, LayoutError> {
        get(name).map(|text| parse(&text).ok_or(LayoutError::Malformed(name))).transpose()
    };
    let status = parsed(&get, attr::STATUS, Status::parse)?;
    // Items stored before the lifecycle have no version: they are at their first.
    let version = match get(attr::VERSION) {
        None => Version::FIRST,
        Some(text) => Version::parse(&text).ok_or(LayoutError::Malformed(attr::VERSION))?,
    };
    let verified_at = optional(attr::VERIFIED_AT, Timestamp::parse)?;
    let expires_at = optional(attr::EXPIRES_AT, |text| text.parse().ok().and_then(Timestamp::from_epoch))?;
    let supersedes = get(attr::SUPERSEDES)
        .map(|text| ApplicationId::parse(&text).ok_or(LayoutError::Malformed(attr::SUPERSEDES)))
        .transpose()?;
    let partner_code = get(attr::PARTNER_CODE)
        .map(|text| PartnerCode::parse(&text).ok_or(LayoutError::Malformed(attr::PARTNER_CODE)))
        .transpose()?;
    let assignee = get(attr::ASSIGNEE)
        .map(|text| Actor::parse(&text).ok_or(LayoutError::Malformed(attr::ASSIGNEE)))
        .transpose()?;
    let mail_problem = get(attr::MAIL_PROBLEM).is_some_and(|flag| flag == MAIL_PROBLEM);
    let application = Application::from_stored(|field| get(field.key())).map_err(|fields| {
        let keys: Vec<&str> = fields.iter().map(|field| field.key()).collect();
        LayoutError::Invalid(keys.join(", "))
    })?;
    Ok(StoredApplication {
        receipt,
        application,
        status,
        version,
        verified_at,
        expires_at,
        supersedes,
        partner_code,
        assignee,
        mail_problem,
    })
}

/// What the reviewer's check reads of an application from the attributes of
/// [`RELATED_PROJECTION`] (a related index's entry), each parsed as the
/// application's own decoder parses it. Names attributes, never values.
pub fn related_application_from<'a>(
    get: impl Fn(&str) -> Option<Cow<'a, str>>,
) -> Result<RelatedApplication, LayoutError> {
    fn parsed<'a, T>(
        get: &impl Fn(&str) -> Option<Cow<'a, str>>,
        name: &'static str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<T, LayoutError> {
        let text = get(name).ok_or(LayoutError::Missing(name))?;
        parse(&text).ok_or(LayoutError::Malformed(name))
    }
    let text = |field: Field| parsed(&get, field.key(), |text| Some(text.to_owned()));
    let corporate_name = get(Field::CorporateName.key());
    Ok(RelatedApplication {
        application_id: parsed(&get, attr::APPLICATION_ID, ApplicationId::parse)?,
        reception_number: parsed(&get, attr::RECEPTION_NUMBER, ReceptionNumber::parse)?,
        received_at: parsed(&get, attr::RECEIVED_AT, Timestamp::parse)?,
        status: parsed(&get, attr::STATUS, Status::parse)?,
        display_name: crate::domain::display_name(
            corporate_name.as_deref(),
            &text(Field::LastName)?,
            &text(Field::FirstName)?,
        ),
        phone: parsed(&get, Field::Phone.key(), |text| Phone::parse(text).ok())?,
        invoice_number: get(Field::InvoiceNumber.key())
            .map(|text| {
                InvoiceNumber::parse(&text).map_err(|_| LayoutError::Malformed(Field::InvoiceNumber.key()))
            })
            .transpose()?,
        corporate_name: corporate_name.as_deref().and_then(crate::store::review::corporate_name_key),
    })
}

/// What a name search reads of an application from its [`SEARCH_INDEX`]
/// entry, beside the text its filter matched: what
/// [`crate::store::ListQuery::admits`] asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchEntry {
    pub application_id: ApplicationId,
    pub received_at: Timestamp,
    pub status: Status,
    pub assignee: Option<Actor>,
}

/// A [`SEARCH_INDEX`] entry's [`SearchEntry`], from its `pk` and the
/// attributes of [`SEARCH_PROJECTION`].
pub fn search_entry_from<'a>(
    pk: &str,
    get: impl Fn(&str) -> Option<Cow<'a, str>>,
) -> Result<SearchEntry, LayoutError> {
    let parsed = |name: &'static str| get(name).ok_or(LayoutError::Missing(name));
    Ok(SearchEntry {
        application_id: application_id_of(pk).ok_or(LayoutError::Malformed(PARTITION_KEY))?,
        received_at: Timestamp::parse(&parsed(attr::RECEIVED_AT)?)
            .ok_or(LayoutError::Malformed(attr::RECEIVED_AT))?,
        status: Status::parse(&parsed(attr::STATUS)?).ok_or(LayoutError::Malformed(attr::STATUS))?,
        assignee: get(attr::ASSIGNEE)
            .map(|text| Actor::parse(&text).ok_or(LayoutError::Malformed(attr::ASSIGNEE)))
            .transpose()?,
    })
}

/// The record an item is to the owed-mail rule ([`super::plan::owed`]), from
/// its keys and attributes, or `None` for an item that carries no mail (a
/// reservation, a token, a tombstone…). DynamoDB's scan and the notification
/// function's stream images both read items through this.
pub fn mail_record<'a>(
    pk: &str,
    sk: &str,
    get: impl Fn(&str) -> Option<Cow<'a, str>>,
    now: Timestamp,
) -> Result<Option<MailRecord>, LayoutError> {
    let expired =
        get(attr::EXPIRES_AT).and_then(|text| text.parse::<i64>().ok()).is_some_and(|at| at < now.epoch());
    if is_application_item(pk) && is_history_item(sk) {
        let id = pk
            .strip_prefix(APPLICATION_PREFIX)
            .and_then(ApplicationId::parse)
            .ok_or(LayoutError::Malformed(PARTITION_KEY))?;
        let version = history_version_of(sk).ok_or(LayoutError::Malformed(SORT_KEY))?;
        let action = get(attr::ACTION)
            .and_then(|text| HistoryAction::parse(&text))
            .ok_or(LayoutError::Malformed(attr::ACTION))?;
        let sent = action.mails().iter().all(|kind| get(mail_sent_attribute(*kind)).is_some());
        return Ok(Some(MailRecord::History { id, version, action, expired, sent }));
    }
    if is_application_item(pk) && sk == APPLICATION_SORT_KEY {
        if get(attr::ERASED_AT).is_some() {
            return Ok(None);
        }
        let id = get(attr::APPLICATION_ID)
            .and_then(|text| ApplicationId::parse(&text))
            .ok_or(LayoutError::Malformed(attr::APPLICATION_ID))?;
        let status = get(attr::STATUS)
            .and_then(|text| Status::parse(&text))
            .ok_or(LayoutError::Malformed(attr::STATUS))?;
        let sent =
            MailKind::ALL.into_iter().filter(|kind| get(mail_sent_attribute(*kind)).is_some()).collect();
        return Ok(Some(MailRecord::Application { id, status, expired, sent }));
    }
    Ok(notice_id_of(pk).map(|id| MailRecord::Notice {
        id,
        expired,
        sent: get(mail_sent_attribute(MailKind::AlreadyReceived)).is_some(),
    }))
}

/// The attributes of a history item, beside its keys.
pub fn history_attributes(application_id: ApplicationId, entry: &HistoryEntry) -> Vec<(&'static str, Value)> {
    let mut attributes = vec![
        (attr::APPLICATION_ID, Value::Text(application_id.to_string())),
        (attr::VERSION, Value::Number(entry.version.to_string())),
        (attr::AT, Value::Text(entry.at.to_string())),
        (attr::ACTOR, Value::Text(entry.actor.to_string())),
        (attr::ACTION, Value::Text(entry.action.as_str().to_owned())),
    ];
    if let Some(from) = entry.from_status {
        attributes.push((attr::FROM_STATUS, Value::Text(from.as_str().to_owned())));
    }
    if let Some(to) = entry.to_status {
        attributes.push((attr::TO_STATUS, Value::Text(to.as_str().to_owned())));
    }
    if let Some(message) = &entry.message {
        attributes.push((attr::MESSAGE, Value::Text(message.as_str().to_owned())));
    }
    if let Some(reason) = entry.reason {
        attributes.push((attr::REASON, Value::Text(reason.as_str().to_owned())));
    }
    if let Some(files) = entry.files {
        attributes.push((attr::FILES, Value::Number(files.to_string())));
    }
    if let Some(fields) = entry.fields.as_ref().filter(|fields| !fields.is_empty()) {
        let keys: Vec<&str> = fields.iter().map(|field| field.key()).collect();
        attributes.push((attr::FIELDS, Value::Text(keys.join(","))));
    }
    attributes
}

/// Rebuilds a history entry from its item's attributes.
pub fn history_entry_from<'a>(
    get: impl Fn(&str) -> Option<Cow<'a, str>>,
) -> Result<HistoryEntry, LayoutError> {
    let required = |name: &'static str| get(name).ok_or(LayoutError::Missing(name));
    let malformed = |name: &'static str| LayoutError::Malformed(name);
    let status =
        |name: &'static str| get(name).map(|text| Status::parse(&text).ok_or(malformed(name))).transpose();
    let action = HistoryAction::parse(&required(attr::ACTION)?).ok_or(malformed(attr::ACTION))?;
    Ok(HistoryEntry {
        version: Version::parse(&required(attr::VERSION)?).ok_or(malformed(attr::VERSION))?,
        at: Timestamp::parse(&required(attr::AT)?).ok_or(malformed(attr::AT))?,
        actor: Actor::parse(&required(attr::ACTOR)?).ok_or(malformed(attr::ACTOR))?,
        action,
        from_status: status(attr::FROM_STATUS)?,
        to_status: status(attr::TO_STATUS)?,
        message: get(attr::MESSAGE)
            .map(|text| OperatorMessage::parse(&text).map_err(|_| malformed(attr::MESSAGE)))
            .transpose()?,
        reason: get(attr::REASON)
            .map(|text| HistoryReason::parse(action, &text).ok_or(malformed(attr::REASON)))
            .transpose()?,
        files: get(attr::FILES).map(|text| text.parse().map_err(|_| malformed(attr::FILES))).transpose()?,
        fields: get(attr::FIELDS)
            .map(|text| {
                text.split(',').map(|key| Field::from_key(key).ok_or(malformed(attr::FIELDS))).collect()
            })
            .transpose()?,
    })
}

/// The attributes of an erased application's tombstone, beside its keys: no personal data.
pub fn tombstone_attributes(erased: &ErasedApplication) -> Vec<(&'static str, Value)> {
    let mut attributes = vec![
        (attr::APPLICATION_ID, Value::Text(erased.application_id.to_string())),
        (attr::RECEPTION_NUMBER, Value::Text(erased.reception_number.to_string())),
        (attr::RECEIVED_AT, Value::Text(erased.received_at.to_string())),
        (attr::ERASED_STATUS, Value::Text(erased.status.as_str().to_owned())),
        (attr::VERSION, Value::Number(erased.version.to_string())),
        (attr::ERASED_AT, Value::Text(erased.erased_at.to_string())),
    ];
    if let Some(verified_at) = erased.verified_at {
        attributes.push((attr::VERIFIED_AT, Value::Text(verified_at.to_string())));
    }
    attributes
}

/// Rebuilds a tombstone; `None` when the item is not one (it has no `erasedAt`).
pub fn erased_application_from<'a>(
    get: impl Fn(&str) -> Option<Cow<'a, str>>,
) -> Result<Option<ErasedApplication>, LayoutError> {
    let Some(erased_at) = get(attr::ERASED_AT) else {
        return Ok(None);
    };
    let required = |name: &'static str| get(name).ok_or(LayoutError::Missing(name));
    let malformed = |name: &'static str| LayoutError::Malformed(name);
    Ok(Some(ErasedApplication {
        application_id: ApplicationId::parse(&required(attr::APPLICATION_ID)?)
            .ok_or(malformed(attr::APPLICATION_ID))?,
        reception_number: ReceptionNumber::parse(&required(attr::RECEPTION_NUMBER)?)
            .ok_or(malformed(attr::RECEPTION_NUMBER))?,
        received_at: Timestamp::parse(&required(attr::RECEIVED_AT)?).ok_or(malformed(attr::RECEIVED_AT))?,
        verified_at: get(attr::VERIFIED_AT)
            .map(|text| Timestamp::parse(&text).ok_or(malformed(attr::VERIFIED_AT)))
            .transpose()?,
        status: Status::parse(&required(attr::ERASED_STATUS)?).ok_or(malformed(attr::ERASED_STATUS))?,
        version: Version::parse(&required(attr::VERSION)?).ok_or(malformed(attr::VERSION))?,
        erased_at: Timestamp::parse(&erased_at).ok_or(malformed(attr::ERASED_AT))?,
    }))
}

/// The attributes of an audit entry (the audit table: `pk` [`AUDIT_PARTITION`],
/// `sk` its id).
pub fn audit_attributes(entry: &AuditEntry) -> Vec<(&'static str, Value)> {
    let mut attributes = vec![
        (attr::AT, Value::Text(entry.at.to_string())),
        (attr::ACTOR, Value::Text(entry.actor.to_string())),
        (attr::ACTION, Value::Text(entry.action.as_str().to_owned())),
    ];
    if let Some(id) = entry.application_id {
        attributes.push((attr::APPLICATION_ID, Value::Text(id.to_string())));
    }
    if let Some(export) = entry.export {
        attributes.push((attr::EXPORT_ROWS, Value::Number(export.rows.to_string())));
        let filters = [
            (attr::EXPORT_STATUS, export.status.map(|status| status.as_str().to_owned())),
            (attr::EXPORT_FROM, export.from.map(|at| at.to_string())),
            (attr::EXPORT_TO, export.to.map(|at| at.to_string())),
        ];
        attributes.extend(filters.into_iter().filter_map(|(name, value)| Some((name, Value::Text(value?)))));
    }
    attributes
}

/// Rebuilds an audit entry from its id (`sk`) and attributes.
pub fn audit_entry_from<'a>(
    id: &str,
    get: impl Fn(&str) -> Option<Cow<'a, str>>,
) -> Result<AuditEntry, LayoutError> {
    let required = |name: &'static str| get(name).ok_or(LayoutError::Missing(name));
    let malformed = |name: &'static str| LayoutError::Malformed(name);
    Ok(AuditEntry {
        id: AuditId::parse(id).ok_or(malformed(SORT_KEY))?,
        at: Timestamp::parse(&required(attr::AT)?).ok_or(malformed(attr::AT))?,
        actor: Actor::parse(&required(attr::ACTOR)?).ok_or(malformed(attr::ACTOR))?,
        action: AuditAction::parse(&required(attr::ACTION)?).ok_or(malformed(attr::ACTION))?,
        application_id: get(attr::APPLICATION_ID)
            .map(|text| ApplicationId::parse(&text).ok_or(malformed(attr::APPLICATION_ID)))
            .transpose()?,
        export: get(attr::EXPORT_ROWS)
            .map(|rows| -> Result<ExportRecord, LayoutError> {
                let at = |name: &'static str| {
                    get(name).map(|text| Timestamp::parse(&text).ok_or(malformed(name))).transpose()
                };
                Ok(ExportRecord {
                    rows: rows.parse().map_err(|_| malformed(attr::EXPORT_ROWS))?,
                    status: get(attr::EXPORT_STATUS)
                        .map(|text| Status::parse(&text).ok_or(malformed(attr::EXPORT_STATUS)))
                        .transpose()?,
                    from: at(attr::EXPORT_FROM)?,
                    to: at(attr::EXPORT_TO)?,
                })
            })
            .transpose()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn stored(contract_type: &str) -> StoredApplication {
        // As an item would hold them, before normalisation: the domain's parsers clean them.
        let value = serde_json::json!({
            "email": "Sample@Example.com",
            "contractType": contract_type,
            "corporateName": "エックスサーバー株式会社", "corporateNameKana": "エックスサーバーカブシキガイシャ",
            "lastName": "𠮷田", "firstName": "太郎", "lastNameKana": "ヨシダ", "firstNameKana": "タロウ",
            "postalCode": "5300011", "addressRegion": "大阪府大阪市北区", "addressStreet": "大深町4-20",
            "addressBuilding": "グランフロント大阪 タワーA 32F", "phone": "0662928811",
            "invoiceNumber": "T7000012050002", "employeeCount": "1,200", "annualReferralCount": 0
        });
        let application = Application::from_stored(|field| {
            value.get(field.key()).map(|v| v.as_str().map_or_else(|| v.to_string().into(), Cow::Borrowed))
        });
        let receipt = Receipt::issue(crate::domain::Timestamp::now().time());
        StoredApplication {
            receipt,
            application: application.unwrap(),
            status: Status::Received,
            version: Version::FIRST.next(),
            verified_at: Some(receipt.received_at.plus_secs(60)),
            expires_at: None,
            supersedes: None,
            partner_code: Some(PartnerCode::random()),
            assignee: Actor::parse("operator@example.com"),
            mail_problem: false,
        }
    }

    fn as_map(stored: &StoredApplication) -> HashMap<&'static str, Value> {
        application_attributes(stored).into_iter().collect()
    }

    #[test]
    fn attributes_round_trip_through_the_decoder() {
        for contract_type in ["corporation", "sole_proprietor"] {
            let stored = stored(contract_type);
            let map = as_map(&stored);
            let decoded = stored_application_from(|name| map.get(name).map(|v| v.as_str().into()));
            assert_eq!(decoded.unwrap(), stored, "{contract_type}");
        }
    }

    #[test]
    fn every_field_status_and_timestamps_are_written() {
        let stored = stored("corporation");
        let map = as_map(&stored);
        assert_eq!(map[attr::STATUS], Value::Text("received".into()));
        assert_eq!(map[attr::RECEIVED_AT].as_str(), stored.receipt.received_at.to_string());
        assert_eq!(map[attr::UPDATED_AT].as_str(), stored.verified_at.unwrap().to_string());
        assert_eq!(map[attr::VERSION], Value::Number("2".into()));
        assert!(!map.contains_key(attr::EXPIRES_AT), "a verified application has no TTL");
        assert_eq!(map["employeeCount"], Value::Number("1200".into()));
        assert_eq!(map["annualReferralCount"], Value::Number("0".into()));
        assert_eq!(map["postalCode"].as_str(), "530-0011");
        assert_eq!(Field::kept().count(), 16);
        for field in Field::kept() {
            assert!(map.contains_key(field.key()), "{}", field.key());
        }
        let sole = as_map(&self::stored("sole_proprietor"));
        assert!(!sole.contains_key("corporateName") && !sole.contains_key("corporateNameKana"));
    }

    #[test]
    fn decoder_names_what_is_missing_or_invalid_without_values() {
        let stored = stored("corporation");
        let map = as_map(&stored);
        let without = |skip: &str| {
            stored_application_from(|name| {
                (name != skip).then(|| map.get(name).map(|v| v.as_str().into())).flatten()
            })
        };
        assert_eq!(without(attr::APPLICATION_ID), Err(LayoutError::Missing(attr::APPLICATION_ID)));
        assert_eq!(without(attr::TERMS_AGREED_AT), Err(LayoutError::Missing(attr::TERMS_AGREED_AT)));
        assert_eq!(without("phone"), Err(LayoutError::Invalid("phone".into())));
        let tampered = |name: &str, value: &str| {
            stored_application_from(|n| {
                if n == name { Some(value.to_owned().into()) } else { map.get(n).map(|v| v.as_str().into()) }
            })
        };
        assert_eq!(
            tampered(attr::RECEIVED_AT, "2026-11-28T09:30:00Z"),
            Err(LayoutError::Malformed(attr::RECEIVED_AT))
        );
        assert_eq!(
            tampered(attr::RECEPTION_NUMBER, "PR-OOOO-OOOO"),
            Err(LayoutError::Malformed(attr::RECEPTION_NUMBER))
        );
        let error = tampered("email", "secret-person@").unwrap_err();
        assert_eq!(error, LayoutError::Invalid("email".into()));
        assert!(!error.to_string().contains("secret-person"));
    }

    /// What a related index projects is what the check reads of the whole
    /// application, and what the search index projects is what the list's
    /// query asks: the same values by either road.
    #[test]
    fn the_compact_indexes_project_what_their_readers_decode() {
        for contract_type in ["corporation", "sole_proprietor"] {
            let stored = stored(contract_type);
            let map = as_map(&stored);
            let projected = |names: &[&str], name: &str| {
                names.contains(&name).then(|| map.get(name).map(|v| v.as_str().into())).flatten()
            };
            let mut related: Vec<&str> = RELATED_PROJECTION.to_vec();
            related.push(INVOICE_INDEX_SORT_KEY);
            let decoded = related_application_from(|name| projected(&related, name));
            assert_eq!(decoded.unwrap(), RelatedApplication::of(&stored), "{contract_type}");
            let mut search: Vec<&str> = SEARCH_PROJECTION.to_vec();
            search.push(SEARCH_INDEX_SORT_KEY);
            let pk = application_pk(stored.receipt.application_id);
            let entry = search_entry_from(&pk, |name| projected(&search, name)).unwrap();
            let expected = (stored.receipt.received_at, stored.id(), stored.status, stored.assignee.clone());
            assert_eq!((entry.received_at, entry.application_id, entry.status, entry.assignee), expected);
        }
    }

    /// The sparse indexes' keys: on verified applications only, the corporate
    /// name without its spaces, none for what the application lacks.
    #[test]
    fn listed_keys_are_a_verified_applications_only() {
        let mut stored = stored("corporation");
        let keys = |stored: &StoredApplication| {
            listed_attributes(stored)
                .into_iter()
                .map(|(_, value)| value.map(|v| v.as_str().to_owned()))
                .collect()
        };
        let listed: Vec<Option<String>> = keys(&stored);
        let expected = ["verified", "T7000012050002", "エックスサーバー株式会社"].map(|v| Some(v.to_owned()));
        assert_eq!(listed, expected);
        let spaced = crate::domain::RawValue::Text("エックス サーバー 株式会社".into());
        let name = <crate::domain::Name as crate::domain::FieldValue>::parse(Field::CorporateName, &spaced);
        stored.application.corporate_name = Some(name.unwrap());
        assert_eq!(keys(&stored)[2].as_deref(), Some("エックスサーバー株式会社"), "spaces dropped");
        stored.status = Status::AwaitingVerification;
        assert_eq!(keys(&stored), vec![None, None, None], "unverified: in none of them");
        let sole = self::stored("sole_proprietor");
        assert_eq!(keys(&sole)[2], None, "a sole proprietor has no corporate name");
    }

    #[test]
    fn keys() {
        let stored = stored("corporation");
        assert!(is_application_item(&application_pk(stored.receipt.application_id)));
        let idempotency = crate::domain::IdempotencyKey::parse("7f6c1d5e-9b1a-4c8e-8f3e").unwrap();
        assert!(!is_application_item(&record_pk(&crate::store::plan::RecordKey::Submission(&idempotency))));
        let key = crate::keyed::IdentifierKey::for_tests();
        let email_key = email_pk(&key.email(&stored.application.email));
        assert!(!email_key.to_lowercase().contains("sample"), "no address in a key");
        let notice = NoticeId::new();
        assert_eq!(notice_id_of(&notice_pk(notice)), Some(notice));
        assert_eq!(notice_id_of(&application_pk(stored.receipt.application_id)), None);
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
