//! Who acts on an application: an operator (as the sign-in names them) or the
//! applicant themself; what an operator is allowed ([`Role`]).
//! And what an operator may write to an applicant: [`OperatorMessage`].

use serde::{Serialize, Serializer};
use std::fmt;

/// Who did something, as the history and the audit name them: an operator's
/// sign-in name (the local account's address, Cognito's `username`), or one of
/// the two fixed actors. Never an applicant's data.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Actor(String);

impl Actor {
    /// At most this many characters.
    pub const MAX_CHARS: usize = 256;
    /// The applicant, who submitted and confirmed.
    pub const APPLICANT: &'static str = "applicant";
    /// A failed sign-in for no known account (what was typed is not recorded).
    pub const UNKNOWN: &'static str = "unknown";
    /// The retention sweep, which erases what nobody decided in time.
    pub const RETENTION: &'static str = "retention";

    /// An operator's name from a sign-in or a token's claims: 1 to 256
    /// characters, none of them a control or invisible character.
    pub fn parse(text: &str) -> Option<Self> {
        let chars = text.chars().count();
        let clean = !text.chars().any(crate::normalize::is_forbidden_char) && text.trim() == text;
        ((1..=Self::MAX_CHARS).contains(&chars) && clean).then(|| Actor(text.to_owned()))
    }

    pub fn applicant() -> Self {
        Actor(Self::APPLICANT.to_owned())
    }

    pub fn unknown() -> Self {
        Actor(Self::UNKNOWN.to_owned())
    }

    pub fn retention() -> Self {
        Actor(Self::RETENTION.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Actor {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// What an operator is allowed (contract, *Who may do what*): an `operator`
/// lists, views, counts and decides; a `supervisor` may do all that, and also
/// erase, export and read the audit. Which route needs which is
/// `routes::Access`, and `Access::allows` is the one place that compares them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Operator,
    Supervisor,
}

impl Role {
    /// Weakest first: [`Role::granted`] and [`Role::of_groups`] rely on it.
    pub const ALL: [Role; 2] = [Role::Operator, Role::Supervisor];

    /// Its name in the API (`GET /api/admin/me`'s `roles`) and the local
    /// accounts' table.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Supervisor => "supervisor",
        }
    }

    /// The Cognito group whose members have it (the `cognito:groups` claim);
    /// the local server passes its accounts' roles as the same groups.
    pub const fn group(self) -> &'static str {
        match self {
            Role::Operator => "operators",
            Role::Supervisor => "supervisors",
        }
    }

    /// The console's name for it.
    pub const fn label(self) -> &'static str {
        match self {
            Role::Operator => "担当者",
            Role::Supervisor => "責任者",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == text)
    }

    /// Every role this one includes, weakest first: a supervisor is an
    /// operator too (`["operator", "supervisor"]`).
    pub fn granted(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |role| *role <= self)
    }

    /// The strongest role among `groups` (a token's `cognito:groups`), or
    /// none when no group is a role's. A member of `supervisors` alone is a
    /// supervisor, and so an operator: adding an account to that one group
    /// is enough, as the README says.
    pub fn of_groups<'a>(groups: impl IntoIterator<Item = &'a str>) -> Option<Role> {
        groups.into_iter().filter_map(|group| Role::ALL.into_iter().find(|r| r.group() == group)).max()
    }

    /// The groups a member with this role is in, as the `cognito:groups`
    /// claim lists them (every role it includes).
    pub fn groups(self) -> impl Iterator<Item = &'static str> {
        self.granted().map(Role::group)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Role {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// What an operator writes to an applicant (a request for documents, the
/// reason of a rejection) or records (the reason of an erasure): 1 to 2,000
/// characters after NFC and trimming, line breaks as LF, no other control or
/// invisible character (which could disguise a mail's text).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OperatorMessage(String);

/// Why a message was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageProblem {
    Empty,
    TooLong,
    InvalidCharacters,
}

impl OperatorMessage {
    pub const MAX_CHARS: usize = 2000;

    pub fn parse(text: &str) -> Result<Self, MessageProblem> {
        use unicode_normalization::UnicodeNormalization;
        let text: String = text.replace("\r\n", "\n").replace('\r', "\n").nfc().collect();
        let text = text.trim();
        if text.is_empty() {
            return Err(MessageProblem::Empty);
        }
        if text.chars().count() > Self::MAX_CHARS {
            return Err(MessageProblem::TooLong);
        }
        if text.chars().any(|c| c != '\n' && crate::normalize::is_forbidden_char(c)) {
            return Err(MessageProblem::InvalidCharacters);
        }
        Ok(OperatorMessage(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Serialize for OperatorMessage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_are_short_visible_names() {
        assert_eq!(Actor::parse("operator@example.com").unwrap().as_str(), "operator@example.com");
        assert_eq!(Actor::parse(""), None);
        assert_eq!(Actor::parse(" padded"), None);
        assert_eq!(Actor::parse("a\u{202E}b"), None);
        assert_eq!(Actor::parse(&"a".repeat(257)), None);
        assert!(Actor::parse(&"あ".repeat(256)).is_some());
    }

    #[test]
    fn roles_come_from_their_groups_and_a_supervisor_is_an_operator_too() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_eq!(serde_json::to_value(role).unwrap(), role.as_str());
        }
        assert_eq!(Role::of_groups(["operators"]), Some(Role::Operator));
        assert_eq!(Role::of_groups(["operators", "supervisors"]), Some(Role::Supervisor));
        assert_eq!(Role::of_groups(["supervisors", "operators"]), Some(Role::Supervisor));
        assert_eq!(Role::of_groups(["supervisors"]), Some(Role::Supervisor));
        assert_eq!(Role::of_groups(["admins", "operators-readonly", "x,supervisors"]), None);
        assert_eq!(Role::of_groups([]), None);
        assert_eq!(Role::Operator.granted().collect::<Vec<_>>(), [Role::Operator]);
        assert_eq!(Role::Supervisor.granted().collect::<Vec<_>>(), [Role::Operator, Role::Supervisor]);
        assert_eq!(Role::Supervisor.groups().collect::<Vec<_>>(), ["operators", "supervisors"]);
        assert_eq!(Role::parse("admin"), None);
    }

    #[test]
    fn messages_keep_line_breaks_and_refuse_what_hides_text() {
        let message = OperatorMessage::parse("  登記事項証明書を\r\nお送りください。\n").unwrap();
        assert_eq!(message.as_str(), "登記事項証明書を\nお送りください。");
        assert_eq!(OperatorMessage::parse(" \n "), Err(MessageProblem::Empty));
        assert_eq!(OperatorMessage::parse("a\u{200B}b"), Err(MessageProblem::InvalidCharacters));
        assert_eq!(OperatorMessage::parse("a\tb"), Err(MessageProblem::InvalidCharacters));
        assert_eq!(OperatorMessage::parse(&"𠮷".repeat(2000)).map(|m| m.as_str().chars().count()), Ok(2000));
        assert_eq!(OperatorMessage::parse(&"あ".repeat(2001)), Err(MessageProblem::TooLong));
    }
}
