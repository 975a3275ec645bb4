//! The application domain: one type per kind of field, each holding only
//! valid, normalised values, the field table from which the fields and the
//! [`Application`] are derived, [`Application::parse`], which returns every
//! field error at once, and the identifiers an application receives.

mod application;
mod audit;
mod choice;
mod correction;
mod count;
mod decision;
mod delivery;
mod document;
mod email;
mod erasure;
mod fields;
mod history;
mod identifiers;
mod kana;
mod mail;
mod note;
mod numbers;
mod operator;
mod partner_code;
mod phone_plan;
mod raw;
mod receipt;
mod status;
mod stored;
mod table;
mod text;
mod value;

pub use application::{Contractor, Invalid, Validated, display_name};
pub use audit::{AuditAction, AuditEntry, ExportRecord};
pub use choice::{Consent, ContractType};
pub use correction::{Changes, ChangesError, CorrectionReason, changed_fields, is_correctable};
pub use count::Count;
pub use decision::{Decision, MessageMismatch, MessageRule};
pub use delivery::{DeliveryReason, DeliveryReport, DeliveryStatus, MailId, MailRecord};
pub use document::{
    Document, DocumentLimits, DocumentRequest, DocumentType, EXPORTS_PREFIX, FileName, INCOMING_PREFIX,
    SCAN_TAG, STORED_PREFIX, ScanState, incoming_prefix, stored_prefix,
};
pub use email::Email;
pub use erasure::ErasureReason;
pub use fields::{Accepts, Application, Field, Group, Kind, Presence};
pub use history::{HistoryAction, HistoryEntry, HistoryReason};
pub use identifiers::{
    ApplicationId, AuditId, DocumentId, IdempotencyKey, NoteId, NoticeId, ReceptionNumber, RequestHash,
    Timestamp,
};
pub use kana::Kana;
pub use mail::{MailEvent, MailKind, MailSubject};
pub use note::{Note, NoteText};
pub use numbers::{InvoiceNumber, Phone, PostalCode};
pub use operator::{Actor, MessageProblem, OperatorMessage, Role};
pub use partner_code::PartnerCode;
pub use raw::{HONEYPOT_KEY, RawApplication};
pub use receipt::Receipt;
pub use status::{InvalidTransition, Status, Transition, Version};
pub use stored::StoredApplication;
pub use text::{Address, Name};
pub use value::{Entry, FieldValue, KeptValue, RawValue};

use application::Collector;
