//! An application as it is kept: what was submitted, its receipt and where it
//! stands in the lifecycle. Both stores read it back; the mails render it and
//! the operators review it, so it lives here, beside the types it is made of,
//! and neither the store nor the mail module owns it.

use super::{Actor, Application, ApplicationId, PartnerCode, Receipt, Status, Timestamp, Version};

/// A stored application, as the notification and the operators read it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredApplication {
    pub receipt: Receipt,
    pub application: Application,
    pub status: Status,
    pub version: Version,
    /// When the address was proven (confirmation).
    pub verified_at: Option<Timestamp>,
    /// When it is deleted: while awaiting verification, the link's expiry;
    /// once rejected, the end of its retention.
    pub expires_at: Option<Timestamp>,
    /// The unverified application this one replaced, if any.
    pub supersedes: Option<ApplicationId>,
    /// The 取次店コード, once approved.
    pub partner_code: Option<PartnerCode>,
    /// The operator it is assigned to (their address), if any: set by an
    /// assignment alone, outside the lifecycle (no version, no status).
    pub assignee: Option<Actor>,
    /// An applicant's mail bounced, was rejected or suppressed, or drew a
    /// complaint: set by a delivery event alone, outside the lifecycle.
    pub mail_problem: bool,
}

impl StoredApplication {
    /// An unverified application past its link's expiry, or a rejected one
    /// past its retention: absent, whatever the TTL has done.
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|at| at < now)
    }

    pub fn id(&self) -> ApplicationId {
        self.receipt.application_id
    }
}
