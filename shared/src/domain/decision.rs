//! An operator's decision (the contract's `decisions` route) and the rule of
//! its message: required to ask for documents, optional with a rejection, not
//! allowed with an approval (the approval mail is fixed text).

use super::{OperatorMessage, Transition};

/// What an operator decides. Each is exactly one [`Transition`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    RequestDocuments,
    Approve,
    Reject,
}

/// Whether a decision takes a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageRule {
    Required,
    Optional,
    NotAllowed,
}

/// The message does not fit the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MessageMismatch {
    #[error("the decision needs a message")]
    Required,
    #[error("the decision takes no message")]
    NotAllowed,
}

impl Decision {
    pub const ALL: [Decision; 3] = [Decision::RequestDocuments, Decision::Approve, Decision::Reject];

    /// The order the console offers them in: the approval first, the refusal last.
    pub const CONSOLE_ORDER: [Decision; 3] =
        [Decision::Approve, Decision::RequestDocuments, Decision::Reject];

    /// The contract's value (`"request_documents"`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Decision::RequestDocuments => "request_documents",
            Decision::Approve => "approve",
            Decision::Reject => "reject",
        }
    }

    /// The console's button (and the dialog's title).
    pub const fn label(self) -> &'static str {
        match self {
            Decision::RequestDocuments => "資料提出を依頼",
            Decision::Approve => "承認",
            Decision::Reject => "否認",
        }
    }

    pub fn parse(text: &str) -> Option<Decision> {
        Decision::ALL.into_iter().find(|decision| decision.as_str() == text)
    }

    pub const fn transition(self) -> Transition {
        match self {
            Decision::RequestDocuments => Transition::RequestDocuments,
            Decision::Approve => Transition::Approve,
            Decision::Reject => Transition::Reject,
        }
    }

    pub const fn message_rule(self) -> MessageRule {
        match self {
            Decision::RequestDocuments => MessageRule::Required,
            Decision::Reject => MessageRule::Optional,
            Decision::Approve => MessageRule::NotAllowed,
        }
    }

    /// The message as this decision takes it, or why not.
    pub fn check_message(
        self,
        message: Option<OperatorMessage>,
    ) -> Result<Option<OperatorMessage>, MessageMismatch> {
        match (self.message_rule(), message) {
            (MessageRule::Required, None) => Err(MessageMismatch::Required),
            (MessageRule::NotAllowed, Some(_)) => Err(MessageMismatch::NotAllowed),
            (_, message) => Ok(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_map_to_their_transition() {
        for decision in Decision::ALL {
            assert_eq!(Decision::parse(decision.as_str()), Some(decision));
            assert_eq!(
                decision.transition().to().as_str().starts_with("document"),
                decision == Decision::RequestDocuments
            );
        }
        assert_eq!(Decision::parse("confirm"), None);
    }

    #[test]
    fn the_console_offers_every_decision_once() {
        let mut offered = Decision::CONSOLE_ORDER.to_vec();
        offered.sort_by_key(|d| Decision::ALL.iter().position(|a| a == d));
        assert_eq!(offered, Decision::ALL);
    }

    #[test]
    fn the_contracts_message_rules() {
        let message = || Some(OperatorMessage::parse("登記事項証明書をお送りください。").unwrap());
        assert_eq!(Decision::RequestDocuments.check_message(None), Err(MessageMismatch::Required));
        assert!(Decision::RequestDocuments.check_message(message()).unwrap().is_some());
        assert_eq!(Decision::Reject.check_message(None), Ok(None));
        assert!(Decision::Reject.check_message(message()).unwrap().is_some());
        assert_eq!(Decision::Approve.check_message(None), Ok(None));
        assert_eq!(Decision::Approve.check_message(message()), Err(MessageMismatch::NotAllowed));
    }
}
