//! Mail templates, the SES sender and the .eml outbox (owned by the notification work).
