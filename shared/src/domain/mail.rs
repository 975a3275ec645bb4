//! The kinds of mail, the events that send them (the contract's mail table),
//! and the record each one's "sent" marker lives on.

use super::{ApplicationId, HistoryAction, NoticeId, Version};

/// Every mail this system sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailKind {
    /// The verification link to the typed address; no text the submitter
    /// typed. Worded as a reissue when it supersedes an unverified application.
    Verification,
    /// To an address that already has a verified application: its reception
    /// number and the desk's contact, no link.
    AlreadyReceived,
    /// 受付の控え to the applicant, after confirmation.
    Acknowledgement,
    /// The operators' notice of a confirmed application: reception number,
    /// contract type and a console link only.
    OperatorNotice,
    /// 資料提出のお願い: the operator's message (terms 第3条3).
    DocumentsRequested,
    /// 審査完了: the contract is formed, with the partner code (第3条2, 第9条).
    Approved,
    /// The result of a rejection, with the operator's message if given.
    Rejected,
    /// 資料受領のお知らせ: the reception number and the number of files.
    DocumentsReceived,
    /// The operators' notice of submitted documents: reception number and a
    /// console link only.
    DocumentsNotice,
    /// 登録内容訂正のお知らせ: which fields were corrected, with their new values.
    Corrected,
}

impl MailKind {
    pub const ALL: [MailKind; 10] = [
        MailKind::Verification,
        MailKind::AlreadyReceived,
        MailKind::Acknowledgement,
        MailKind::OperatorNotice,
        MailKind::DocumentsRequested,
        MailKind::Approved,
        MailKind::Rejected,
        MailKind::DocumentsReceived,
        MailKind::DocumentsNotice,
        MailKind::Corrected,
    ];

    /// A stable ASCII name, for file names, Message-IDs and logs.
    pub fn slug(self) -> &'static str {
        match self {
            MailKind::Verification => "verification",
            MailKind::AlreadyReceived => "already-received",
            MailKind::Acknowledgement => "acknowledgement",
            MailKind::OperatorNotice => "operator-notice",
            MailKind::DocumentsRequested => "documents-requested",
            MailKind::Approved => "approved",
            MailKind::Rejected => "rejected",
            MailKind::DocumentsReceived => "documents-received",
            MailKind::DocumentsNotice => "documents-notice",
            MailKind::Corrected => "corrected",
        }
    }

    /// The kind a [`Self::slug`] names.
    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.slug() == slug)
    }

    /// The mail's name in the console: its subject line's words.
    pub const fn label(self) -> &'static str {
        match self {
            MailKind::Verification => "メールアドレスの確認",
            MailKind::AlreadyReceived => "受付済みのお知らせ",
            MailKind::Acknowledgement => "受付の控え",
            MailKind::OperatorNotice => "新しいお申し込みの通知(担当者宛)",
            MailKind::DocumentsRequested => "資料提出のお願い",
            MailKind::Approved => "審査完了のお知らせ",
            MailKind::Rejected => "審査結果のお知らせ",
            MailKind::DocumentsReceived => "資料受領のお知らせ",
            MailKind::DocumentsNotice => "資料提出の通知(担当者宛)",
            MailKind::Corrected => "登録内容訂正のお知らせ",
        }
    }

    /// Whether it goes to the operators' address (and so carries no personal
    /// data) rather than the applicant's.
    pub const fn to_operators(self) -> bool {
        match self {
            MailKind::OperatorNotice | MailKind::DocumentsNotice => true,
            MailKind::Verification
            | MailKind::AlreadyReceived
            | MailKind::Acknowledgement
            | MailKind::DocumentsRequested
            | MailKind::Approved
            | MailKind::Rejected
            | MailKind::DocumentsReceived
            | MailKind::Corrected => false,
        }
    }
}

/// The stored record a mail is about, which carries its "sent" marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailSubject {
    Application(ApplicationId),
    Notice(NoticeId),
    /// A history entry (the version it made) that mails the applicant: one mail each.
    History(ApplicationId, Version),
}

impl MailSubject {
    /// Whether mails of `kind` are about records like this one (and so have
    /// their marker here): a notice only sends the already-received mail.
    pub fn carries(self, kind: MailKind) -> bool {
        match self {
            MailSubject::Notice(_) => kind == MailKind::AlreadyReceived,
            MailSubject::History(..) => {
                HistoryAction::ALL.iter().any(|action| action.mails().contains(&kind))
            }
            MailSubject::Application(_) => {
                matches!(kind, MailKind::Verification | MailKind::Acknowledgement | MailKind::OperatorNotice)
            }
        }
    }
}

impl std::fmt::Display for MailSubject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MailSubject::Application(id) => id.fmt(f),
            MailSubject::Notice(id) => write!(f, "notice-{id}"),
            MailSubject::History(id, version) => write!(f, "{id}-v{version}"),
        }
    }
}

/// Something that happened and must be mailed about, exactly once each: the
/// rows of the contract's mail table that this side of the system sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailEvent {
    /// A new application awaits verification (a new or a superseding submission).
    Submitted(ApplicationId),
    /// A submission for an address that already has a verified application.
    AlreadyReceived(NoticeId),
    /// The applicant confirmed.
    Confirmed(ApplicationId),
    /// A change recorded as the history entry of this version whose action
    /// mails the applicant ([`HistoryAction::mails`]): an operator's decision.
    Recorded(ApplicationId, Version, HistoryAction),
}

impl MailEvent {
    /// The mails of this event, in the order they are sent.
    pub fn kinds(self) -> &'static [MailKind] {
        match self {
            MailEvent::Submitted(_) => &[MailKind::Verification],
            MailEvent::AlreadyReceived(_) => &[MailKind::AlreadyReceived],
            MailEvent::Confirmed(_) => &[MailKind::Acknowledgement, MailKind::OperatorNotice],
            MailEvent::Recorded(_, _, action) => action.mails(),
        }
    }

    /// The record whose markers these mails set.
    pub fn subject(self) -> MailSubject {
        match self {
            MailEvent::Submitted(id) | MailEvent::Confirmed(id) => MailSubject::Application(id),
            MailEvent::AlreadyReceived(id) => MailSubject::Notice(id),
            MailEvent::Recorded(id, version, _) => MailSubject::History(id, version),
        }
    }
}
