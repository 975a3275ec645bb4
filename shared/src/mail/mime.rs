//! One RFC 5322 / MIME message per mail, built by `mail-builder`: UTF-8,
//! multipart/alternative (text, then HTML), RFC 2047 encoded-word headers.
//! Both senders send these exact bytes, so the outbox shows what SES gets.

use super::Mail;
use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address;
use mail_builder::headers::date::Date;

impl Mail {
    /// The complete message, dated `sent_at` (Unix seconds).
    pub fn to_mime(&self, sent_at: i64) -> Vec<u8> {
        let from = match &self.from_name {
            Some(name) => Address::new_address(Some(name.as_str()), self.from.as_str()),
            None => Address::new_address(None::<&str>, self.from.as_str()),
        };
        let mut message = Vec::with_capacity(self.text.len() * 2 + self.html.len() * 2 + 1024);
        MessageBuilder::new()
            .from(from)
            .to(self.to.as_str())
            .reply_to(self.reply_to.as_str())
            .subject(self.subject.as_str())
            .message_id(self.message_id())
            .date(Date::new(sent_at))
            .text_body(self.text.as_str())
            .html_body(self.html.as_str())
            .serialize(&mut message);
        message
    }

    /// Stable per application and kind: a resent duplicate is recognisable as one.
    pub fn message_id(&self) -> String {
        let domain = self.from.rsplit_once('@').map_or("localhost", |(_, domain)| domain);
        format!("{}.{}@{}", self.about, self.kind.slug(), domain)
    }
}
