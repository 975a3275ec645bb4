//! An application's history: one entry per change, numbered by the version it
//! made, so two writers racing for the same version cannot both append. The
//! first two entries (submitted, confirmed) are read from the application's own
//! times; every operator action is a stored entry.

use super::{Actor, Decision, ErasureReason, MailKind, OperatorMessage, Status, Timestamp, Version};
use serde::Serialize;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryAction {
    Submitted,
    Confirmed,
    RequestDocuments,
    /// The applicant submitted documents (actor `applicant`).
    SubmitDocuments,
    Approve,
    Reject,
    /// The personal data was erased (on request, privacy notice (8)).
    Erase,
}

impl HistoryAction {
    pub const ALL: [HistoryAction; 7] = [
        HistoryAction::Submitted,
        HistoryAction::Confirmed,
        HistoryAction::RequestDocuments,
        HistoryAction::SubmitDocuments,
        HistoryAction::Approve,
        HistoryAction::Reject,
        HistoryAction::Erase,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            HistoryAction::Submitted => "submitted",
            HistoryAction::Confirmed => "confirmed",
            HistoryAction::RequestDocuments => "request_documents",
            HistoryAction::SubmitDocuments => "submit_documents",
            HistoryAction::Approve => "approve",
            HistoryAction::Reject => "reject",
            HistoryAction::Erase => "erase",
        }
    }

    /// The console's name for it.
    pub const fn label(self) -> &'static str {
        match self {
            HistoryAction::Submitted => "お申し込み",
            HistoryAction::Confirmed => "メールアドレスの確認",
            HistoryAction::RequestDocuments => "資料提出を依頼",
            HistoryAction::SubmitDocuments => "資料の提出",
            HistoryAction::Approve => "承認",
            HistoryAction::Reject => "否認",
            HistoryAction::Erase => "個人情報の消去",
        }
    }

    pub fn parse(text: &str) -> Option<HistoryAction> {
        HistoryAction::ALL.into_iter().find(|action| action.as_str() == text)
    }

    /// The mails this entry sends, once each (none for most entries): what
    /// the notification and the local server deliver, and the stream
    /// filter's list of actions, derived from here. Each kind says whom it
    /// goes to ([`MailKind::to_operators`]).
    pub const fn mails(self) -> &'static [MailKind] {
        match self {
            HistoryAction::RequestDocuments => &[MailKind::DocumentsRequested],
            HistoryAction::SubmitDocuments => &[MailKind::DocumentsReceived, MailKind::DocumentsNotice],
            HistoryAction::Approve => &[MailKind::Approved],
            HistoryAction::Reject => &[MailKind::Rejected],
            HistoryAction::Submitted | HistoryAction::Confirmed | HistoryAction::Erase => &[],
        }
    }
}

impl From<Decision> for HistoryAction {
    fn from(decision: Decision) -> Self {
        match decision {
            Decision::RequestDocuments => HistoryAction::RequestDocuments,
            Decision::Approve => HistoryAction::Approve,
            Decision::Reject => HistoryAction::Reject,
        }
    }
}

/// One change, as the detail shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// The version this change made (1 for the submission).
    #[serde(skip)]
    pub version: Version,
    pub at: Timestamp,
    pub actor: Actor,
    pub action: HistoryAction,
    pub from_status: Option<Status>,
    pub to_status: Option<Status>,
    /// The operator's message (a request, a rejection's reason); erased with the application.
    pub message: Option<OperatorMessage>,
    /// An erasure's reason: a code, kept for good.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<ErasureReason>,
    /// A submission of documents: how many files (the mails say it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_decisions_map_to_their_mails() {
        for action in HistoryAction::ALL {
            assert_eq!(HistoryAction::parse(action.as_str()), Some(action));
            assert_eq!(serde_json::to_value(action).unwrap(), action.as_str());
        }
        for decision in Decision::ALL {
            let action = HistoryAction::from(decision);
            assert_eq!(decision.as_str(), action.as_str());
            assert_eq!(action.mails().len(), 1, "a decision sends its result: {decision:?}");
            assert!(!action.mails()[0].to_operators());
        }
    }
}
