//! An operator's note on an application (contract v3, *Notes*): internal,
//! never mailed, a record of its own beside the history, so writing one
//! changes neither the version nor the status and conflicts with no decision.

use super::{Actor, ApplicationId, MessageProblem, NoteId, OperatorMessage, Timestamp};
use serde::{Serialize, Serializer};

/// A note's text: the rules of [`OperatorMessage`] (1 to 2,000 characters
/// after NFC and trimming, line breaks as LF, no other control or invisible
/// character), which are its only parser.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NoteText(OperatorMessage);

impl NoteText {
    pub const MAX_CHARS: usize = OperatorMessage::MAX_CHARS;

    pub fn parse(text: &str) -> Result<Self, MessageProblem> {
        OperatorMessage::parse(text).map(NoteText)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl Serialize for NoteText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// One note: `{"noteId", "at", "actor", "text"}` in the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    pub note_id: NoteId,
    #[serde(skip)]
    pub application_id: ApplicationId,
    pub at: Timestamp,
    pub actor: Actor,
    pub text: NoteText,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notes_text_follows_the_message_rules() {
        assert_eq!(
            NoteText::parse("  電話で確認済み。\r\n折り返し不要 ").unwrap().as_str(),
            "電話で確認済み。\n折り返し不要"
        );
        assert_eq!(NoteText::parse(" "), Err(MessageProblem::Empty));
        assert_eq!(NoteText::parse(&"あ".repeat(2001)), Err(MessageProblem::TooLong));
        assert!(NoteText::parse(&"𠮷".repeat(2000)).is_ok(), "counted in characters");
        assert_eq!(NoteText::parse("a\u{202E}b"), Err(MessageProblem::InvalidCharacters));
    }

    #[test]
    fn a_note_serialises_without_its_application() {
        let at = Timestamp::parse("2026-12-01T10:00:00+09:00").unwrap();
        let note = Note {
            note_id: NoteId::new(),
            application_id: ApplicationId::new(at.time()),
            at,
            actor: Actor::parse("op@example.com").unwrap(),
            text: NoteText::parse("ok").unwrap(),
        };
        let value = serde_json::to_value(&note).unwrap();
        assert_eq!(value["text"], "ok");
        assert_eq!(value["actor"], "op@example.com");
        assert!(value.get("applicationId").is_none());
        assert_eq!(value["noteId"], note.note_id.to_string());
    }
}
