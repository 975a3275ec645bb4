//! Where an application stands, and the only ways it may move: the contract's
//! lifecycle (`api-contract.md`, *The lifecycle*). Every store writes a change
//! of status through [`Transition`], whose condition ([`Transition::from`]) it
//! turns into its conditional write, so a move the contract does not allow is
//! refused here, in one place, and by the database when two writers race.

use serde::Serialize;

/// An application's status, as stored and as the contract names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Stored, the address not yet proven; deleted (the address freed) at expiry.
    AwaitingVerification,
    /// 受付済: verified, waiting for an operator's review.
    Received,
    /// 資料提出待ち (terms 第3条3).
    DocumentsRequested,
    /// 資料確認待ち: the applicant submitted the documents asked for.
    DocumentsSubmitted,
    /// 承認: the contract is formed (terms 第3条2). Terminal.
    Approved,
    /// 否認. Terminal.
    Rejected,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::AwaitingVerification,
        Status::Received,
        Status::DocumentsRequested,
        Status::DocumentsSubmitted,
        Status::Approved,
        Status::Rejected,
    ];

    /// The stored and contract value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::AwaitingVerification => "awaiting_verification",
            Status::Received => "received",
            Status::DocumentsRequested => "documents_requested",
            Status::DocumentsSubmitted => "documents_submitted",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
        }
    }

    /// The Japanese name operators read (the console's tabs, the CSV).
    pub const fn label(self) -> &'static str {
        match self {
            Status::AwaitingVerification => "未確認",
            Status::Received => "受付済",
            Status::DocumentsRequested => "資料提出待ち",
            Status::DocumentsSubmitted => "資料確認待ち",
            Status::Approved => "承認",
            Status::Rejected => "否認",
        }
    }

    /// The console's tabs, in order: what waits for a review first (受付済,
    /// then 資料確認待ち), then the others in the lifecycle's order.
    pub const CONSOLE_ORDER: [Status; 6] = [
        Status::Received,
        Status::DocumentsSubmitted,
        Status::AwaitingVerification,
        Status::DocumentsRequested,
        Status::Approved,
        Status::Rejected,
    ];

    /// Reads back what [`Status::as_str`] writes.
    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|status| status.as_str() == text)
    }

    /// Whether the address behind it is proven (every status after confirmation).
    pub const fn is_verified(self) -> bool {
        !matches!(self, Status::AwaitingVerification)
    }

    /// Whether no transition leaves it: the review is complete.
    pub fn is_final(self) -> bool {
        !Transition::ALL.into_iter().any(|transition| transition.from().contains(&self))
    }
}

/// A change of status the contract allows. Stores take one of these, never a
/// target status, so they cannot write a move that is not listed here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transition {
    /// The applicant used the verification link.
    Confirm,
    /// An operator asks for documents (terms 第3条3).
    RequestDocuments,
    /// The applicant submitted the documents asked for.
    SubmitDocuments,
    /// An operator approves: the contract is formed.
    Approve,
    /// An operator rejects.
    Reject,
}

/// The status does not allow that transition (409 `invalid_transition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{transition:?} is not allowed from {from:?}")]
pub struct InvalidTransition {
    pub transition: Transition,
    pub from: Status,
}

impl Transition {
    pub const ALL: [Transition; 5] = [
        Transition::Confirm,
        Transition::RequestDocuments,
        Transition::SubmitDocuments,
        Transition::Approve,
        Transition::Reject,
    ];

    /// The statuses it may start from: the condition of its write.
    pub const fn from(self) -> &'static [Status] {
        match self {
            Transition::Confirm => &[Status::AwaitingVerification],
            // A new request from `documents_submitted` asks for more.
            Transition::RequestDocuments | Transition::Approve | Transition::Reject => {
                &[Status::Received, Status::DocumentsRequested, Status::DocumentsSubmitted]
            }
            Transition::SubmitDocuments => &[Status::DocumentsRequested],
        }
    }

    /// The status it leads to.
    pub const fn to(self) -> Status {
        match self {
            Transition::Confirm => Status::Received,
            Transition::RequestDocuments => Status::DocumentsRequested,
            Transition::SubmitDocuments => Status::DocumentsSubmitted,
            Transition::Approve => Status::Approved,
            Transition::Reject => Status::Rejected,
        }
    }

    /// The status after this transition from `from`, or why not.
    pub fn apply(self, from: Status) -> Result<Status, InvalidTransition> {
        if self.from().contains(&from) {
            Ok(self.to())
        } else {
            Err(InvalidTransition { transition: self, from })
        }
    }
}

/// How many times an application has changed: 1 when stored, +1 with every
/// change of status (the operators' `expectedVersion`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Version(u32);

impl Version {
    pub const FIRST: Version = Version(1);

    pub const fn get(self) -> u32 {
        self.0
    }

    pub fn next(self) -> Version {
        Version(self.0 + 1)
    }

    pub fn parse(text: &str) -> Option<Version> {
        text.parse::<u32>().ok().and_then(Version::from_number)
    }

    /// A version from a number as JSON or SQLite carries it: 1 or more, and
    /// within `u32` (none is ever that high; a larger number is not one).
    pub fn from_number<N: TryInto<u32>>(number: N) -> Option<Version> {
        number.try_into().ok().filter(|n| *n >= 1).map(Version)
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for status in Status::ALL {
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
            assert_eq!(Status::parse(status.as_str()), Some(status));
        }
        assert_eq!(Status::parse("Received"), None);
    }

    #[test]
    fn the_console_shows_every_status_once_and_only_approval_and_rejection_end_it() {
        let mut tabs = Status::CONSOLE_ORDER.to_vec();
        tabs.sort_by_key(|s| Status::ALL.iter().position(|a| a == s));
        assert_eq!(tabs, Status::ALL);
        let fin: Vec<Status> = Status::ALL.into_iter().filter(|s| s.is_final()).collect();
        assert_eq!(fin, [Status::Approved, Status::Rejected]);
    }

    /// The contract's table, written out: every (transition, status) pair.
    #[test]
    fn the_contract_table_and_nothing_else() {
        use Status::*;
        use Transition::*;
        let allowed = [
            (Confirm, AwaitingVerification, Received),
            (RequestDocuments, Received, DocumentsRequested),
            (RequestDocuments, DocumentsRequested, DocumentsRequested),
            (Approve, Received, Approved),
            (Approve, DocumentsRequested, Approved),
            (Reject, Received, Rejected),
            (Reject, DocumentsRequested, Rejected),
        ];
        for transition in Transition::ALL {
            for from in Status::ALL {
                let expected =
                    allowed.iter().find(|(t, f, _)| *t == transition && *f == from).map(|(_, _, to)| *to);
                assert_eq!(transition.apply(from).ok(), expected, "{transition:?} from {from:?}");
            }
        }
        // Approved and rejected are terminal: no transition leaves them.
        for terminal in [Approved, Rejected] {
            assert!(Transition::ALL.iter().all(|t| !t.from().contains(&terminal)), "{terminal:?}");
        }
        assert!(!AwaitingVerification.is_verified() && Received.is_verified());
    }

    #[test]
    fn versions_count_up_from_one() {
        assert_eq!(Version::FIRST.next().get(), 2);
        assert_eq!(Version::parse("3"), Some(Version::FIRST.next().next()));
        assert_eq!(Version::parse("0"), None);
        assert_eq!(Version::parse("x"), None);
        assert_eq!(Version::from_number(3_i64), Version::parse("3"));
        assert_eq!(Version::from_number(0_u64), None);
        assert_eq!(Version::from_number(-1_i64), None);
        assert_eq!(Version::from_number(u64::MAX), None);
    }
}
