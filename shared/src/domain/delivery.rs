//! Whether each mail arrived: the record of every mail sent about a verified
//! application (its kind, to whom, when, the provider's message id) and the
//! delivery status that SES's events move it to. Declared once here: the
//! statuses, their order, which of them is a problem for the applicant's
//! address, and the Japanese reasons the console shows.

use super::{ApplicationId, MailKind, MailSubject, Timestamp};

/// Identifies one mail among its application's: the record's key, and the
/// SES message tag `mail` (so an event finds it without a scan). ASCII
/// letters, digits and `-` only, as SES tag values allow:
/// `acknowledgement`, `v7-approved`, `notice-<ULID>-already-received`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MailId(String);

impl MailId {
    /// The longest id: a notice's (7 + 26 + 1 + the longest slug), with room.
    const MAX_LEN: usize = 64;

    /// The id of the mail of `kind` about `subject`.
    pub fn of(subject: MailSubject, kind: MailKind) -> Self {
        MailId(match subject {
            MailSubject::Application(_) => kind.slug().to_owned(),
            MailSubject::History(_, version) => format!("v{version}-{}", kind.slug()),
            MailSubject::Notice(notice) => format!("notice-{notice}-{}", kind.slug()),
        })
    }

    /// An id as a tag or a key holds it: well formed and naming a kind.
    pub fn parse(text: &str) -> Option<Self> {
        let well_formed = !text.is_empty()
            && text.len() <= Self::MAX_LEN
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        let id = MailId(text.to_owned());
        (well_formed && id.kind().is_some()).then_some(id)
    }

    /// The kind of mail it names (its id ends with the kind's slug).
    pub fn kind(&self) -> Option<MailKind> {
        MailKind::ALL.into_iter().find(|kind| {
            self.0 == kind.slug() || self.0.strip_suffix(kind.slug()).is_some_and(|rest| rest.ends_with('-'))
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for MailId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a mail stands, as far as the provider has told. Ordered: an event
/// moves a mail only to a later rank, so events that arrive out of order
/// (a delay reported after the delivery) cannot undo what is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// Accepted by the provider (locally: written to the outbox).
    Sent,
    /// The receiving server has not taken it yet; SES keeps trying.
    Delayed,
    Delivered,
    /// The receiving server refused it, for good.
    Bounced,
    /// The recipient marked it as spam.
    Complained,
    /// SES refused to send it (a virus).
    Rejected,
    /// Not sent: the address is on the suppression list (an earlier bounce or complaint).
    Suppressed,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 7] = [
        DeliveryStatus::Sent,
        DeliveryStatus::Delayed,
        DeliveryStatus::Delivered,
        DeliveryStatus::Bounced,
        DeliveryStatus::Complained,
        DeliveryStatus::Rejected,
        DeliveryStatus::Suppressed,
    ];

    /// The contract's name.
    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Delayed => "delayed",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Bounced => "bounced",
            DeliveryStatus::Complained => "complained",
            DeliveryStatus::Rejected => "rejected",
            DeliveryStatus::Suppressed => "suppressed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }

    /// The console's word for it.
    pub const fn label(self) -> &'static str {
        match self {
            DeliveryStatus::Sent => "送信済み",
            DeliveryStatus::Delayed => "配信遅延",
            DeliveryStatus::Delivered => "配信済み",
            DeliveryStatus::Bounced => "不達",
            DeliveryStatus::Complained => "迷惑メール報告",
            DeliveryStatus::Rejected => "送信拒否",
            DeliveryStatus::Suppressed => "送信停止中",
        }
    }

    /// Its place in the order events may move a mail along: sent, then
    /// delayed, then delivered, then one of the final failures (the first
    /// reported stays, except that a complaint follows a delivery).
    pub const fn rank(self) -> u8 {
        match self {
            DeliveryStatus::Sent => 0,
            DeliveryStatus::Delayed => 1,
            DeliveryStatus::Delivered => 2,
            DeliveryStatus::Bounced
            | DeliveryStatus::Complained
            | DeliveryStatus::Rejected
            | DeliveryStatus::Suppressed => 3,
        }
    }

    /// Whether the address is in doubt: for an applicant's mail, the list
    /// flags the application (`mailProblem`) so an operator can reach them
    /// another way.
    pub const fn is_problem(self) -> bool {
        match self {
            DeliveryStatus::Bounced
            | DeliveryStatus::Complained
            | DeliveryStatus::Rejected
            | DeliveryStatus::Suppressed => true,
            DeliveryStatus::Sent | DeliveryStatus::Delayed | DeliveryStatus::Delivered => false,
        }
    }
}

/// Why a mail did not arrive (or not yet), as the console says it. A code is
/// stored, the Japanese is derived: never the provider's diagnostic, which
/// can quote the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryReason {
    /// Permanent, General: the receiving server refused the address.
    Refused,
    /// Permanent, NoEmail.
    NoSuchAddress,
    /// Permanent, Suppressed / OnAccountSuppressionList.
    OnSuppressionList,
    /// Transient, MailboxFull (a bounce after SES gave up, or a delay).
    MailboxFull,
    /// Transient, MessageTooLarge.
    TooLarge,
    /// Transient, ContentRejected / AttachmentRejected; a delay for SpamDetected.
    ContentRejected,
    /// Transient, General: SES gave up retrying.
    Temporary,
    /// Undetermined.
    Unknown,
    /// A complaint (feedback loop or a spam report).
    Complaint,
    /// SES's Reject (a virus).
    Virus,
    /// A delay: the receiving server did not answer or refused for now.
    ReceivingServer,
}

impl DeliveryReason {
    pub const ALL: [DeliveryReason; 11] = [
        DeliveryReason::Refused,
        DeliveryReason::NoSuchAddress,
        DeliveryReason::OnSuppressionList,
        DeliveryReason::MailboxFull,
        DeliveryReason::TooLarge,
        DeliveryReason::ContentRejected,
        DeliveryReason::Temporary,
        DeliveryReason::Unknown,
        DeliveryReason::Complaint,
        DeliveryReason::Virus,
        DeliveryReason::ReceivingServer,
    ];

    /// The stored code.
    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryReason::Refused => "refused",
            DeliveryReason::NoSuchAddress => "no_such_address",
            DeliveryReason::OnSuppressionList => "on_suppression_list",
            DeliveryReason::MailboxFull => "mailbox_full",
            DeliveryReason::TooLarge => "too_large",
            DeliveryReason::ContentRejected => "content_rejected",
            DeliveryReason::Temporary => "temporary",
            DeliveryReason::Unknown => "unknown",
            DeliveryReason::Complaint => "complaint",
            DeliveryReason::Virus => "virus",
            DeliveryReason::ReceivingServer => "receiving_server",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|reason| reason.as_str() == text)
    }

    /// The contract's `detail`: a short Japanese reason.
    pub const fn text(self) -> &'static str {
        match self {
            DeliveryReason::Refused => "宛先のメールサーバーに受け取りを拒否されました",
            DeliveryReason::NoSuchAddress => "宛先のメールアドレスが存在しません",
            DeliveryReason::OnSuppressionList => {
                "以前の不達または迷惑メール報告により、このアドレスへの送信を停止しています"
            }
            DeliveryReason::MailboxFull => "メールボックスの容量超過",
            DeliveryReason::TooLarge => "メールが大きすぎるため受け取りを拒否されました",
            DeliveryReason::ContentRejected => "受信を拒否されました",
            DeliveryReason::Temporary => "一時的な障害が続き、配信できませんでした",
            DeliveryReason::Unknown => "配信できませんでした(理由不明)",
            DeliveryReason::Complaint => "受信者が迷惑メールとして報告しました",
            DeliveryReason::Virus => "ウイルスを検出したため送信されませんでした",
            DeliveryReason::ReceivingServer => "宛先のメールサーバーが応答しないため再送中です",
        }
    }
}

/// One mail sent about an application, as its record holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailRecord {
    pub application_id: ApplicationId,
    pub mail_id: MailId,
    pub kind: MailKind,
    pub sent_at: Timestamp,
    /// The provider's id (SES's `MessageId`; locally the `Message-ID`'s).
    pub message_id: String,
    pub status: DeliveryStatus,
    pub reason: Option<DeliveryReason>,
    /// When the status last changed (the event's time), if an event came.
    pub status_at: Option<Timestamp>,
}

impl MailRecord {
    /// A mail just sent: `sent`, with no reason.
    pub fn sent(application_id: ApplicationId, mail_id: MailId, kind: MailKind, message_id: String) -> Self {
        MailRecord {
            application_id,
            mail_id,
            kind,
            sent_at: Timestamp::now(),
            message_id,
            status: DeliveryStatus::Sent,
            reason: None,
            status_at: None,
        }
    }
}

/// What one provider event says about one mail: found by the tags the mail
/// was sent with, checked against the message id it was sent as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    pub application_id: ApplicationId,
    pub mail_id: MailId,
    pub message_id: String,
    pub status: DeliveryStatus,
    pub reason: Option<DeliveryReason>,
    pub at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{NoticeId, Version};

    #[test]
    fn mail_ids_are_tag_safe_and_name_their_kind() {
        let id = ApplicationId::new(time::OffsetDateTime::now_utc());
        let notice = NoticeId::new();
        for kind in MailKind::ALL {
            for subject in [
                MailSubject::Application(id),
                MailSubject::History(id, Version::parse("7").unwrap()),
                MailSubject::Notice(notice),
            ] {
                let mail_id = MailId::of(subject, kind);
                assert_eq!(MailId::parse(mail_id.as_str()), Some(mail_id.clone()), "{mail_id}");
                assert_eq!(mail_id.kind(), Some(kind), "{mail_id}");
            }
        }
        assert_eq!(
            MailId::of(MailSubject::History(id, Version::parse("7").unwrap()), MailKind::Approved).as_str(),
            "v7-approved"
        );
        for bad in
            ["", "approved ", "v7_approved", "unknown-kind", "v7-approved\n", &"a".repeat(65), "-approved-x"]
        {
            assert_eq!(MailId::parse(bad), None, "{bad:?}");
        }
        // A kind's slug inside another word is not that kind.
        assert_eq!(MailId::parse("disapproved"), None);
    }

    #[test]
    fn statuses_and_reasons_round_trip_and_only_failures_are_problems() {
        for status in DeliveryStatus::ALL {
            assert_eq!(DeliveryStatus::parse(status.as_str()), Some(status));
            assert_eq!(status.is_problem(), status.rank() == 3, "{status:?}");
        }
        for reason in DeliveryReason::ALL {
            assert_eq!(DeliveryReason::parse(reason.as_str()), Some(reason));
            assert!(!reason.text().is_ascii());
        }
        assert!(DeliveryStatus::Delivered.rank() > DeliveryStatus::Delayed.rank());
    }
}
