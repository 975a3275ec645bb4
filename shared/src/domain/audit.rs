//! The audit: an append-only record of every operator action, naming the
//! operator and the application's id, and nothing about the applicant.

use super::{Actor, ApplicationId, AuditId, Status, Timestamp};
use serde::Serialize;

/// What an operator did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    SignIn,
    /// A wrong password, an unknown account or a locked one.
    SignInFailed,
    SignOut,
    /// A list or a search of applications.
    List,
    /// One application's detail.
    View,
    RequestDocuments,
    Approve,
    Reject,
    Export,
    Erase,
    /// The audit itself was read.
    ViewAudit,
    /// The number of applications in each status (the console's tabs).
    Count,
    /// A download link for one submitted document.
    ViewDocument,
    /// A note written on an application (its text is not in the audit).
    Note,
    /// An application assigned to an operator, or unassigned.
    Assign,
    /// A correction of an application's fields.
    Correct,
}

impl AuditAction {
    pub const ALL: [AuditAction; 16] = [
        AuditAction::SignIn,
        AuditAction::SignInFailed,
        AuditAction::SignOut,
        AuditAction::List,
        AuditAction::View,
        AuditAction::RequestDocuments,
        AuditAction::Approve,
        AuditAction::Reject,
        AuditAction::Export,
        AuditAction::Erase,
        AuditAction::ViewAudit,
        AuditAction::Count,
        AuditAction::ViewDocument,
        AuditAction::Note,
        AuditAction::Assign,
        AuditAction::Correct,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            AuditAction::SignIn => "sign_in",
            AuditAction::SignInFailed => "sign_in_failed",
            AuditAction::SignOut => "sign_out",
            AuditAction::List => "list",
            AuditAction::View => "view",
            AuditAction::RequestDocuments => "request_documents",
            AuditAction::Approve => "approve",
            AuditAction::Reject => "reject",
            AuditAction::Export => "export",
            AuditAction::Erase => "erase",
            AuditAction::ViewAudit => "view_audit",
            AuditAction::Count => "count",
            AuditAction::ViewDocument => "view_document",
            AuditAction::Note => "note",
            AuditAction::Assign => "assign",
            AuditAction::Correct => "correct",
        }
    }

    /// The console's name for it (the audit view).
    pub const fn label(self) -> &'static str {
        match self {
            AuditAction::SignIn => "サインイン",
            AuditAction::SignInFailed => "サインイン失敗",
            AuditAction::SignOut => "サインアウト",
            AuditAction::List => "一覧・検索",
            AuditAction::View => "詳細の閲覧",
            AuditAction::RequestDocuments => "資料提出を依頼",
            AuditAction::Approve => "承認",
            AuditAction::Reject => "否認",
            AuditAction::Export => "CSV出力",
            AuditAction::Erase => "個人情報の消去",
            AuditAction::ViewAudit => "監査ログの閲覧",
            AuditAction::Count => "件数の閲覧",
            AuditAction::ViewDocument => "提出書類のダウンロード",
            AuditAction::Note => "メモの追加",
            AuditAction::Assign => "担当の変更",
            AuditAction::Correct => "登録内容の訂正",
        }
    }

    pub fn parse(text: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|action| action.as_str() == text)
    }
}

impl From<super::Decision> for AuditAction {
    fn from(decision: super::Decision) -> Self {
        match decision {
            super::Decision::RequestDocuments => AuditAction::RequestDocuments,
            super::Decision::Approve => AuditAction::Approve,
            super::Decision::Reject => AuditAction::Reject,
        }
    }
}

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    #[serde(skip)]
    pub id: AuditId,
    pub at: Timestamp,
    pub actor: Actor,
    pub action: AuditAction,
    pub application_id: Option<ApplicationId>,
    /// An export's filters and row count; absent from every other action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export: Option<ExportRecord>,
}

impl AuditEntry {
    /// An entry made now.
    pub fn now(actor: Actor, action: AuditAction, application_id: Option<ApplicationId>) -> Self {
        AuditEntry { id: AuditId::new(), at: Timestamp::now(), actor, action, application_id, export: None }
    }

    /// An export's entry, made now.
    pub fn export(actor: Actor, export: ExportRecord) -> Self {
        AuditEntry { export: Some(export), ..AuditEntry::now(actor, AuditAction::Export, None) }
    }
}

/// What an export took: its filters (`null` where none was given) and how
/// many applications' rows it handed over, so that after a leak one can tell
/// whose data left (a 漏えい報告 needs exactly that). No search text: the
/// export takes none, and a search could be an applicant's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ExportRecord {
    pub status: Option<Status>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub rows: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.as_str()), Some(action));
            assert_eq!(serde_json::to_value(action).unwrap(), action.as_str());
        }
    }

    #[test]
    fn an_exports_entry_carries_its_filters_and_rows_and_no_other_does() {
        let actor = Actor::parse("op@example.com").unwrap();
        let from = Timestamp::parse("2026-12-01T00:00:00+09:00").unwrap();
        let record = ExportRecord { status: Some(Status::Approved), from: Some(from), to: None, rows: 3 };
        let entry = serde_json::to_value(AuditEntry::export(actor.clone(), record)).unwrap();
        assert_eq!(entry["action"], "export");
        assert_eq!(
            entry["export"],
            serde_json::json!({ "status": "approved", "from": "2026-12-01T00:00:00+09:00", "to": null, "rows": 3 })
        );
        let other = serde_json::to_value(AuditEntry::now(actor, AuditAction::List, None)).unwrap();
        assert!(other.get("export").is_none(), "{other}");
    }
}
