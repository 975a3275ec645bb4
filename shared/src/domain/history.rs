//! An application's history: one entry per change, numbered by the version it
//! made, so two writers racing for the same version cannot both append. The
//! first two entries (submitted, confirmed) are read from the application's own
//! times; every operator action is a stored entry.

use super::{
    Actor, CorrectionReason, Decision, ErasureReason, Field, MailKind, OperatorMessage, Status, Timestamp,
    Version,
};
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
    /// Fields were corrected (訂正, privacy notice (8)); the status stays.
    Correct,
}

impl HistoryAction {
    pub const ALL: [HistoryAction; 8] = [
        HistoryAction::Submitted,
        HistoryAction::Confirmed,
        HistoryAction::RequestDocuments,
        HistoryAction::SubmitDocuments,
        HistoryAction::Approve,
        HistoryAction::Reject,
        HistoryAction::Erase,
        HistoryAction::Correct,
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
            HistoryAction::Correct => "correct",
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
            HistoryAction::Correct => "登録内容の訂正",
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
            HistoryAction::Correct => &[MailKind::Corrected],
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
    /// An erasure's or a correction's reason: a code, kept for good.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<HistoryReason>,
    /// A submission of documents: how many files (the mails say it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<u32>,
    /// A correction: the keys that changed, never their values (the
    /// application holds those, and erasure takes them with it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<Field>>,
}

/// The reason an entry records: a code of the list its action has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum HistoryReason {
    Erasure(ErasureReason),
    Correction(CorrectionReason),
}

impl HistoryReason {
    /// The stored and contract value.
    pub const fn as_str(self) -> &'static str {
        match self {
            HistoryReason::Erasure(reason) => reason.as_str(),
            HistoryReason::Correction(reason) => reason.as_str(),
        }
    }

    /// The reason of an entry of `action`, from its code (the two lists share
    /// `applicant_request`, so the action says which list it is).
    pub fn parse(action: HistoryAction, text: &str) -> Option<HistoryReason> {
        match action {
            HistoryAction::Erase => ErasureReason::parse(text).map(HistoryReason::Erasure),
            HistoryAction::Correct => CorrectionReason::parse(text).map(HistoryReason::Correction),
            HistoryAction::Submitted
            | HistoryAction::Confirmed
            | HistoryAction::RequestDocuments
            | HistoryAction::SubmitDocuments
            | HistoryAction::Approve
            | HistoryAction::Reject => None,
        }
    }
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
        assert_eq!(HistoryAction::Correct.mails(), [MailKind::Corrected]);
    }

    #[test]
    fn a_reason_is_read_by_its_actions_list() {
        let erasure = HistoryReason::Erasure(ErasureReason::ApplicantRequest);
        let correction = HistoryReason::Correction(CorrectionReason::ApplicantRequest);
        assert_eq!(HistoryReason::parse(HistoryAction::Erase, "applicant_request"), Some(erasure));
        assert_eq!(HistoryReason::parse(HistoryAction::Correct, "applicant_request"), Some(correction));
        assert_eq!(HistoryReason::parse(HistoryAction::Correct, "duplicate"), None);
        assert_eq!(HistoryReason::parse(HistoryAction::Approve, "applicant_request"), None);
        assert_eq!(serde_json::to_value(correction).unwrap(), "applicant_request");
    }
}
