//! The kinds of mail, each sent exactly once per application.

/// The two mails every application gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailKind {
    /// 「お申し込みを受け付けました」 to the applicant.
    Acknowledgement,
    /// The new application, to the operator.
    OperatorNotice,
}

impl MailKind {
    /// Both kinds, in the order they are sent.
    pub const ALL: [MailKind; 2] = [MailKind::Acknowledgement, MailKind::OperatorNotice];

    /// A stable ASCII name, for file names, Message-IDs and logs.
    pub fn slug(self) -> &'static str {
        match self {
            MailKind::Acknowledgement => "acknowledgement",
            MailKind::OperatorNotice => "operator-notice",
        }
    }
}
