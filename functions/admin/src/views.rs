//! The operator API's JSON shapes (`api-contract.md`, *The operator API*).

use serde::Serialize;
use shared::domain::{
    Actor, Application, ApplicationId, ContractType, Contractor, Field, HistoryAction, HistoryEntry,
    PartnerCode, ReceptionNumber, Status, Timestamp, Version,
};
use shared::store::{Record, Related, RelatedApplication, StatusCounts, StoredApplication};

/// One row of the list.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListItem<'a> {
    application_id: ApplicationId,
    reception_number: ReceptionNumber,
    received_at: Timestamp,
    status: Status,
    contract_type: ContractType,
    display_name: String,
    email: &'a str,
    version: Version,
    /// The operator it is assigned to, `null` if none.
    assignee: Option<&'a Actor>,
    /// An applicant's mail bounced, was rejected or suppressed, or drew a complaint.
    mail_problem: bool,
}

/// The corporate name for a corporation, else 姓 名 ([`Application::display_name`]).
pub fn display_name(application: &Application) -> String {
    application.display_name()
}

impl<'a> From<&'a StoredApplication> for ListItem<'a> {
    fn from(stored: &'a StoredApplication) -> Self {
        ListItem {
            application_id: stored.receipt.application_id,
            reception_number: stored.receipt.reception_number,
            received_at: stored.receipt.received_at,
            status: stored.status,
            contract_type: stored.application.contract_type,
            display_name: display_name(&stored.application),
            email: stored.application.email.as_str(),
            version: stored.version,
            assignee: stored.assignee.as_ref(),
            mail_problem: stored.mail_problem,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListPage<'a> {
    pub items: Vec<ListItem<'a>>,
    pub next_cursor: Option<String>,
}

/// The detail: the application (`null` once erased) and its whole history.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Detail<'a> {
    application_id: ApplicationId,
    reception_number: ReceptionNumber,
    received_at: Timestamp,
    verified_at: Option<Timestamp>,
    status: Status,
    version: Version,
    #[serde(skip_serializing_if = "Option::is_none")]
    partner_code: Option<PartnerCode>,
    /// Extension: when its personal data was erased.
    #[serde(skip_serializing_if = "Option::is_none")]
    erased_at: Option<Timestamp>,
    application: Option<&'a Application>,
    history: Vec<HistoryEntry>,
    /// Extension: the reviewer's checks; absent once erased, and from the
    /// answers of decisions and erasures (the console keeps those it shows).
    #[serde(skip_serializing_if = "Option::is_none")]
    checks: Option<Checks>,
    /// The submitted documents, oldest first (none once erased).
    documents: Vec<DocumentView>,
    /// The operator it is assigned to, `null` if none (and once erased).
    assignee: Option<&'a Actor>,
    /// The operators' notes, newest first (none once erased).
    notes: Vec<shared::domain::Note>,
    /// Every mail sent about it, oldest first, with its delivery status
    /// (none once erased).
    mails: Vec<MailView>,
}

/// One mail as the detail lists it (contract v3, *Mail delivery status*).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MailView {
    mail_id: String,
    kind: &'static str,
    to: &'static str,
    sent_at: Timestamp,
    status: &'static str,
    /// A short Japanese reason for a failure or a delay, `null` otherwise.
    detail: Option<&'static str>,
    /// Extension: when the status last changed (`null` while `sent`).
    status_at: Option<Timestamp>,
    /// Extension: the provider's id of the message (SES's `MessageId`;
    /// locally the `Message-ID`'s), to find it in SES's records.
    message_id: String,
}

impl From<shared::domain::MailRecord> for MailView {
    fn from(record: shared::domain::MailRecord) -> Self {
        MailView {
            mail_id: record.mail_id.to_string(),
            kind: record.kind.slug(),
            to: if record.kind.to_operators() { "operators" } else { "applicant" },
            sent_at: record.sent_at,
            status: record.status.as_str(),
            detail: record.reason.map(|reason| reason.text()),
            status_at: record.status_at,
            message_id: record.message_id,
        }
    }
}

/// A submitted document as the detail lists it (contract v3, *Operators*).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentView {
    document_id: shared::domain::DocumentId,
    file_name: shared::domain::FileName,
    content_type: shared::domain::DocumentType,
    size: u64,
    uploaded_at: Timestamp,
    request_version: Version,
    scan: shared::domain::ScanState,
}

impl DocumentView {
    pub fn new(document: shared::domain::Document, scan: shared::domain::ScanState) -> Self {
        DocumentView {
            document_id: document.document_id,
            file_name: document.file_name,
            content_type: document.content_type,
            size: document.size,
            // When it was submitted: the time the operator acts on.
            uploaded_at: document.submitted_at.unwrap_or(document.uploaded_at),
            request_version: document.request_version,
            scan,
        }
    }
}

/// What the reviewer should look at: the invoice number's check digit and
/// the other applications of the same phone, T-number or company.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Checks {
    /// `null` when the application has no invoice number.
    invoice_number: Option<InvoiceCheck>,
    related: Vec<RelatedItem>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InvoiceCheck {
    /// The corporate-number check digit holds (`InvoiceNumber::has_valid_check_digit`).
    check_digit_valid: bool,
    /// A corporation (法人): its T-number is T + its 法人番号, so the check
    /// digit must hold (for a sole proprietor it need not).
    corporate: bool,
}

/// Another application the check found, and what it shares (field keys).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RelatedItem {
    application_id: ApplicationId,
    reception_number: ReceptionNumber,
    received_at: Timestamp,
    status: Status,
    display_name: String,
    shared: Vec<&'static str>,
}

/// The checks of `stored`, with what the store's check found (`related`).
pub fn checks(stored: &StoredApplication, query: &Related, related: &[RelatedApplication]) -> Checks {
    let application = &stored.application;
    Checks {
        invoice_number: application.invoice_number.as_ref().map(|number| InvoiceCheck {
            check_digit_valid: number.has_valid_check_digit(),
            corporate: matches!(application.contractor(), Contractor::Corporation { .. }),
        }),
        related: related
            .iter()
            .map(|other| RelatedItem {
                application_id: other.application_id,
                reception_number: other.reception_number,
                received_at: other.received_at,
                status: other.status,
                display_name: other.display_name.clone(),
                shared: query.shared(other).into_iter().map(Field::key).collect(),
            })
            .collect(),
    }
}

/// The history as the detail shows it: the submission and the confirmation
/// (read from the application's own times), then every stored entry; and
/// the checks of a live application.
pub fn detail<'a>(
    record: &'a Record,
    stored_history: &[HistoryEntry],
    checks: Option<Checks>,
    documents: Vec<DocumentView>,
    notes: Vec<shared::domain::Note>,
    mails: Vec<MailView>,
) -> Detail<'a> {
    let (id, number, received_at, verified_at, status, version) = match record {
        Record::Live(s) => (
            s.receipt.application_id,
            s.receipt.reception_number,
            s.receipt.received_at,
            s.verified_at,
            s.status,
            s.version,
        ),
        Record::Erased(e) => {
            (e.application_id, e.reception_number, e.received_at, e.verified_at, e.status, e.version)
        }
    };
    let mut history = vec![HistoryEntry {
        version: Version::FIRST,
        at: received_at,
        actor: Actor::applicant(),
        action: HistoryAction::Submitted,
        from_status: None,
        to_status: Some(Status::AwaitingVerification),
        message: None,
        reason: None,
        files: None,
        fields: None,
    }];
    if let Some(at) = verified_at {
        history.push(HistoryEntry {
            version: Version::FIRST.next(),
            at,
            actor: Actor::applicant(),
            action: HistoryAction::Confirmed,
            from_status: Some(Status::AwaitingVerification),
            to_status: Some(Status::Received),
            message: None,
            reason: None,
            files: None,
            fields: None,
        });
    }
    history.extend(stored_history.iter().cloned());
    Detail {
        application_id: id,
        reception_number: number,
        received_at,
        verified_at,
        status,
        version,
        partner_code: match record {
            Record::Live(s) => s.partner_code.filter(|_| s.status == Status::Approved),
            Record::Erased(_) => None,
        },
        erased_at: match record {
            Record::Erased(e) => Some(e.erased_at),
            Record::Live(_) => None,
        },
        application: match record {
            Record::Live(s) => Some(&s.application),
            Record::Erased(_) => None,
        },
        history,
        checks,
        documents,
        assignee: match record {
            Record::Live(s) => s.assignee.as_ref(),
            Record::Erased(_) => None,
        },
        notes,
        mails,
    }
}

/// `{"counts": {"awaiting_verification": n, "received": n, …}}`: every status
/// under its contract name, in the lifecycle's order.
#[derive(Serialize)]
pub struct Counts {
    counts: ByStatus,
}

struct ByStatus(StatusCounts);

impl Serialize for ByStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(status, count)| (status.as_str(), count)))
    }
}

impl From<StatusCounts> for Counts {
    fn from(counts: StatusCounts) -> Self {
        Counts { counts: ByStatus(counts) }
    }
}
