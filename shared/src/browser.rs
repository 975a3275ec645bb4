//! What the browser mirrors, derived from the field table and the error codes:
//! `web/js/fields.js`, and from the contract's routes: `web/js/routes.js`, ES
//! modules the pages import. `cargo run -p xtask -- web-fields` writes both; a
//! test (`shared/tests/it/web_fields.rs`) keeps the committed files equal to
//! [`fields_module`] and [`routes_module`].

use crate::domain::{
    AuditAction, ContractType, CorrectionReason, Decision, DeliveryStatus, DocumentType, ErasureReason,
    Field, Group, HistoryAction, Kind, MailKind, MessageRule, Presence, ScanState, Status, is_correctable,
};
use crate::http::ErrorCode;
use serde::Serialize;

/// The committed module, relative to the workspace root.
pub const FIELDS_MODULE_PATH: &str = "web/js/fields.js";

/// The committed routes module, relative to the workspace root.
pub const ROUTES_MODULE_PATH: &str = "web/js/routes.js";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FieldJson {
    key: &'static str,
    label: &'static str,
    kind: Kind,
    required: bool,
    corporate_only: bool,
    max_chars: Option<usize>,
    group: Option<Group>,
    /// Whether an application keeps it (stored, listed, mailed).
    kept: bool,
    /// Whether an application is read back with it ([`Field::is_reviewed`]):
    /// the review step, the verification page and the console show these.
    reviewed: bool,
    /// Whether an operator may correct it ([`is_correctable`]).
    correctable: bool,
}

#[derive(Serialize)]
struct GroupJson {
    name: Group,
    label: &'static str,
    fields: Vec<&'static str>,
}

/// A mail as the console names it, and to whom it goes.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MailKindJson {
    value: &'static str,
    label: &'static str,
    to_operators: bool,
}

/// A delivery status: its word, and whether it puts the address in doubt.
#[derive(Serialize)]
struct DeliveryStatusJson {
    value: &'static str,
    label: &'static str,
    problem: bool,
}

/// A malware scan state: its word, what the operator should do, and whether
/// the file may be downloaded.
#[derive(Serialize)]
struct ScanStateJson {
    value: &'static str,
    label: &'static str,
    note: &'static str,
    download: bool,
}

/// A type of document the desk accepts: its media type, its name, and the
/// file name endings it stands for.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DocumentTypeJson {
    content_type: &'static str,
    label: &'static str,
    extensions: &'static [&'static str],
}

#[derive(Serialize)]
struct ChoiceJson {
    value: &'static str,
    label: &'static str,
}

/// A status as the console shows it: its tab (in [`Status::CONSOLE_ORDER`]),
/// whether the address is proven (the unverified tab is hidden unless asked
/// for, and すべて counts the others), and whether the review is complete.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StatusJson {
    value: &'static str,
    label: &'static str,
    verified: bool,
    #[serde(rename = "final")]
    is_final: bool,
}

/// A decision as the console offers it: its button, the statuses it may be
/// taken from (`Transition::from`), where it leads and its message rule.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DecisionJson {
    value: &'static str,
    label: &'static str,
    from: Vec<&'static str>,
    to: &'static str,
    message: &'static str,
    /// The button's weight: `primary`, `secondary` or `danger` (the refusal).
    emphasis: &'static str,
}

/// How strongly the console draws a decision's button. A match, so that a new
/// decision has to choose.
fn emphasis(decision: Decision) -> &'static str {
    match decision {
        Decision::Approve => "primary",
        Decision::RequestDocuments => "secondary",
        Decision::Reject => "danger",
    }
}

fn message_rule(rule: MessageRule) -> &'static str {
    match rule {
        MessageRule::Required => "required",
        MessageRule::Optional => "optional",
        MessageRule::NotAllowed => "not_allowed",
    }
}

/// The text of `web/js/fields.js`.
pub fn fields_module() -> String {
    let fields: Vec<FieldJson> = Field::ALL
        .into_iter()
        .map(|field| FieldJson {
            key: field.key(),
            label: field.label(),
            kind: field.kind(),
            required: field.presence() != Presence::Optional,
            corporate_only: field.presence() == Presence::Corporate,
            max_chars: field.max_chars(),
            group: field.group(),
            kept: field.is_kept(),
            reviewed: field.is_reviewed(),
            correctable: is_correctable(field),
        })
        .collect();
    let groups: Vec<GroupJson> = Group::ALL
        .into_iter()
        .map(|group| GroupJson {
            name: group,
            label: group.label(),
            fields: group.fields().map(Field::key).collect(),
        })
        .collect();
    let choices: Vec<ChoiceJson> = ContractType::ALL
        .into_iter()
        .map(|choice| ChoiceJson { value: choice.as_str(), label: choice.label() })
        .collect();
    let statuses: Vec<StatusJson> = Status::CONSOLE_ORDER
        .into_iter()
        .map(|s| StatusJson {
            value: s.as_str(),
            label: s.label(),
            verified: s.is_verified(),
            is_final: s.is_final(),
        })
        .collect();
    let decisions: Vec<DecisionJson> = Decision::CONSOLE_ORDER
        .into_iter()
        .map(|decision| DecisionJson {
            value: decision.as_str(),
            label: decision.label(),
            from: decision.transition().from().iter().map(|s| s.as_str()).collect(),
            to: decision.transition().to().as_str(),
            message: message_rule(decision.message_rule()),
            emphasis: emphasis(decision),
        })
        .collect();
    let history: Vec<ChoiceJson> =
        HistoryAction::ALL.into_iter().map(|a| ChoiceJson { value: a.as_str(), label: a.label() }).collect();
    let audit: Vec<ChoiceJson> =
        AuditAction::ALL.into_iter().map(|a| ChoiceJson { value: a.as_str(), label: a.label() }).collect();
    let erasure_reasons: Vec<ChoiceJson> =
        ErasureReason::ALL.into_iter().map(|r| ChoiceJson { value: r.as_str(), label: r.label() }).collect();
    let correction_reasons: Vec<ChoiceJson> = CorrectionReason::ALL
        .into_iter()
        .map(|r| ChoiceJson { value: r.as_str(), label: r.label() })
        .collect();
    let mail_kinds: Vec<MailKindJson> = MailKind::ALL
        .into_iter()
        .map(|kind| MailKindJson {
            value: kind.slug(),
            label: kind.label(),
            to_operators: kind.to_operators(),
        })
        .collect();
    let delivery_statuses: Vec<DeliveryStatusJson> = DeliveryStatus::ALL
        .into_iter()
        .map(|status| DeliveryStatusJson {
            value: status.as_str(),
            label: status.label(),
            problem: status.is_problem(),
        })
        .collect();
    let scan_states: Vec<ScanStateJson> = ScanState::ALL
        .into_iter()
        .map(|state| ScanStateJson {
            value: state.as_str(),
            label: state.label(),
            note: state.guidance(),
            download: state.downloadable(),
        })
        .collect();
    let document_types: Vec<DocumentTypeJson> = DocumentType::ALL
        .into_iter()
        .map(|kind| DocumentTypeJson {
            content_type: kind.mime(),
            label: kind.label(),
            extensions: kind.extensions(),
        })
        .collect();
    format!(
        "// Generated from the field table (shared/src/domain/fields.rs). Do not edit:\n\
         // `cargo run -p xtask -- web-fields` writes it, and a test keeps it equal.\n\
         export const FIELDS = {};\n\
         export const GROUPS = {};\n\
         export const CONTRACT_TYPES = {};\n\
         export const ERROR_CODES = {};\n\
         // In the console's tab order (`Status::CONSOLE_ORDER`).\n\
         export const STATUSES = {};\n\
         // In the order the console offers them (`Decision::CONSOLE_ORDER`).\n\
         export const DECISIONS = {};\n\
         export const HISTORY_ACTIONS = {};\n\
         export const AUDIT_ACTIONS = {};\n\
         // An erasure's reason is one of these codes, never free text.\n\
         export const ERASURE_REASONS = {};\n\
         // A correction's reason, likewise.\n\
         export const CORRECTION_REASONS = {};\n\
         // The mails of the detail's list (`kind`), and their delivery status (`status`).\n\
         export const MAIL_KINDS = {};\n\
         export const DELIVERY_STATUSES = {};\n\
         // A submitted document's malware scan state (`scan`).\n\
         export const SCAN_STATES = {};\n\
         // The types of document accepted (the server checks each file's first bytes).\n\
         export const DOCUMENT_TYPES = {};\n",
        pretty(&fields),
        pretty(&groups),
        pretty(&choices),
        pretty(&ErrorCodes),
        pretty(&statuses),
        pretty(&decisions),
        pretty(&history),
        pretty(&audit),
        pretty(&erasure_reasons),
        pretty(&correction_reasons),
        pretty(&mail_kinds),
        pretty(&delivery_statuses),
        pretty(&scan_states),
        pretty(&document_types),
    )
}

/// The text of `web/js/routes.js`: every route of [`crate::routes::ROUTES`]
/// keyed by its constant's name, `{"method", "path", "access"}` (`{name}` a path
/// parameter; `access` the role it needs, which the console compares with
/// `GET /api/admin/me`'s roles to hide what the caller may not do).
pub fn routes_module() -> String {
    let json = |text: &str| serde_json::to_string(text).expect("a string serialises");
    let entries: Vec<String> = crate::routes::ROUTES
        .iter()
        .map(|route| {
            format!(
                "  {}: {{\"method\": {}, \"path\": {}, \"access\": {}}}",
                json(route.name),
                json(route.method),
                json(route.path),
                json(route.access().as_str())
            )
        })
        .collect();
    let local: Vec<String> = crate::routes::local_sessions::ALL
        .iter()
        .map(|(name, path)| format!("  {}: {}", json(name), json(path)))
        .collect();
    format!(
        "// Generated from shared/src/routes.rs. Do not edit: `cargo run -p xtask -- web-fields` writes it.\n\
         export const ROUTES = {{\n{}\n}};\n\
         // The local server's own operator sessions (on AWS, Cognito's managed login).\n\
         export const LOCAL_SESSIONS = {{\n{}\n}};\n",
        entries.join(",\n"),
        local.join(",\n")
    )
}

fn pretty(value: &impl Serialize) -> String {
    serde_json::to_string_pretty(value).expect("plain data serialises")
}

/// `{"badRequest": "bad_request", …}` in the declared order.
struct ErrorCodes;

impl Serialize for ErrorCodes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(ErrorCode::ALL.iter().map(|code| (camel_case(code.as_str()), code.as_str())))
    }
}

/// `idempotency_key_reused` → `idempotencyKeyReused`.
fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_names() {
        assert_eq!(camel_case("idempotency_key_reused"), "idempotencyKeyReused");
        assert_eq!(camel_case("unavailable"), "unavailable");
    }

    #[test]
    fn the_routes_module_lists_every_route_by_name() {
        let module = routes_module();
        assert!(module.contains(
            "\n  \"ADMIN_DETAIL\": {\"method\": \"GET\", \"path\": \"/api/admin/applications/{applicationId}\", \"access\": \"operator\"},\n"
        ));
        assert_eq!(
            module.lines().filter(|line| line.starts_with("  \"") && line.contains("\"method\"")).count(),
            crate::routes::ROUTES.len()
        );
        for (name, path) in crate::routes::local_sessions::ALL {
            assert!(module.contains(&format!("  \"{name}\": \"{path}\"")), "{name}");
        }
        assert!(!module.contains(",\n}"), "no comma after the last entry");
    }

    #[test]
    fn the_module_lists_every_field_and_code() {
        let module = fields_module();
        for field in Field::ALL {
            assert!(module.contains(&format!("\"key\": \"{}\"", field.key())), "{}", field.key());
        }
        for code in ErrorCode::ALL {
            assert!(module.contains(&format!("\"{}\"", code.as_str())), "{code}");
        }
    }
}
