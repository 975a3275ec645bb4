//! The audit: an append-only record of every operator action, naming the
//! operator and the application's id, and nothing about the applicant.

use super::{Actor, ApplicationId, AuditId, Timestamp};
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
}

impl AuditAction {
    pub const ALL: [AuditAction; 13] = [
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
}

impl AuditEntry {
    /// An entry made now.
    pub fn now(actor: Actor, action: AuditAction, application_id: Option<ApplicationId>) -> Self {
        AuditEntry { id: AuditId::new(), at: Timestamp::now(), actor, action, application_id }
    }
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
}
