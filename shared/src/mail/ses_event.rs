//! SES's delivery events, as its configuration set publishes them to
//! EventBridge (the event's `detail` is SES's event record: `eventType`,
//! `mail` with the message's id and tags, and one object of the type's name),
//! read into a [`DeliveryReport`] for the mail record the tags name.
//!
//! Only what the status needs is read: the type and its sub-type, the
//! message id, the two tags this system set and the time. The records also
//! quote addresses, headers and the receiving server's diagnostic; none of
//! that is read, so none of it can reach a log or the table.

use super::{TAG_APPLICATION, TAG_MAIL};
use crate::domain::{ApplicationId, DeliveryReason, DeliveryReport, DeliveryStatus, MailId, Timestamp};
use serde::Deserialize;
use std::collections::HashMap;

/// Why an event is not recorded. Each names no personal data, so it can be logged as is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Ignored {
    #[error("not an SES event record")]
    Unreadable,
    /// Send, Open, Click, …: not a delivery status.
    #[error("an event type that changes no status")]
    OtherType,
    /// A mail this system does not track (a verification link, or sent by
    /// something else through the same configuration set).
    #[error("the mail carries no application and mail tags")]
    Untracked,
}

#[derive(Deserialize)]
struct Envelope {
    detail: Record,
    time: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    event_type: String,
    mail: MailPart,
    bounce: Option<Bounce>,
    complaint: Option<Complaint>,
    delivery_delay: Option<Delay>,
    // Delivery and Reject are told by their type alone.
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Complaint {
    complaint_sub_type: Option<String>,
    timestamp: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MailPart {
    message_id: String,
    timestamp: Option<String>,
    #[serde(default)]
    tags: HashMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bounce {
    bounce_type: String,
    bounce_sub_type: String,
    timestamp: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Delay {
    delay_type: String,
    timestamp: Option<String>,
}

/// The report an EventBridge event of SES carries, or why there is none.
pub fn report(event: &serde_json::Value) -> Result<DeliveryReport, Ignored> {
    let envelope = Envelope::deserialize(event).map_err(|_| Ignored::Unreadable)?;
    let record = envelope.detail;
    let (status, reason, at) = match record.event_type.as_str() {
        "Delivery" => (DeliveryStatus::Delivered, None, None),
        "Bounce" => {
            let bounce = record.bounce.ok_or(Ignored::Unreadable)?;
            let (status, reason) = bounced(&bounce.bounce_type, &bounce.bounce_sub_type);
            (status, Some(reason), bounce.timestamp)
        }
        "Complaint" => {
            let complaint =
                record.complaint.unwrap_or(Complaint { complaint_sub_type: None, timestamp: None });
            // Not sent: the address is on the account's suppression list for
            // an earlier complaint (SES reports it as a complaint).
            if complaint.complaint_sub_type.as_deref() == Some("OnAccountSuppressionList") {
                (DeliveryStatus::Suppressed, Some(DeliveryReason::OnSuppressionList), complaint.timestamp)
            } else {
                (DeliveryStatus::Complained, Some(DeliveryReason::Complaint), complaint.timestamp)
            }
        }
        "Reject" => (DeliveryStatus::Rejected, Some(DeliveryReason::Virus), None),
        "DeliveryDelay" => {
            let delay = record.delivery_delay.ok_or(Ignored::Unreadable)?;
            (DeliveryStatus::Delayed, Some(delayed(&delay.delay_type)), delay.timestamp)
        }
        _ => return Err(Ignored::OtherType),
    };
    let tag = |name: &str| record.mail.tags.get(name).and_then(|values| values.first());
    let application_id = tag(TAG_APPLICATION).and_then(|id| ApplicationId::parse(id));
    let mail_id = tag(TAG_MAIL).and_then(|id| MailId::parse(id));
    let (Some(application_id), Some(mail_id)) = (application_id, mail_id) else {
        return Err(Ignored::Untracked);
    };
    // The event's own time, else the envelope's; the mail's send time last.
    let at = [at, envelope.time, record.mail.timestamp]
        .into_iter()
        .flatten()
        .find_map(|text| timestamp(&text))
        .unwrap_or_else(Timestamp::now);
    Ok(DeliveryReport { application_id, mail_id, message_id: record.mail.message_id, status, reason, at })
}

/// A bounce's status and reason, from SES's documented types and sub-types.
fn bounced(kind: &str, sub_type: &str) -> (DeliveryStatus, DeliveryReason) {
    match (kind, sub_type) {
        ("Permanent", "NoEmail") => (DeliveryStatus::Bounced, DeliveryReason::NoSuchAddress),
        ("Permanent", "Suppressed" | "OnAccountSuppressionList") => {
            (DeliveryStatus::Suppressed, DeliveryReason::OnSuppressionList)
        }
        ("Permanent", _) => (DeliveryStatus::Bounced, DeliveryReason::Refused),
        ("Transient", "MailboxFull") => (DeliveryStatus::Bounced, DeliveryReason::MailboxFull),
        ("Transient", "MessageTooLarge") => (DeliveryStatus::Bounced, DeliveryReason::TooLarge),
        ("Transient", "ContentRejected" | "AttachmentRejected") => {
            (DeliveryStatus::Bounced, DeliveryReason::ContentRejected)
        }
        ("Transient", _) => (DeliveryStatus::Bounced, DeliveryReason::Temporary),
        _ => (DeliveryStatus::Bounced, DeliveryReason::Unknown),
    }
}

/// A delay's reason, from SES's documented `delayType`s.
fn delayed(delay_type: &str) -> DeliveryReason {
    match delay_type {
        "MailboxFull" => DeliveryReason::MailboxFull,
        "SpamDetected" => DeliveryReason::ContentRejected,
        _ => DeliveryReason::ReceivingServer,
    }
}

fn timestamp(text: &str) -> Option<Timestamp> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok().map(Timestamp::new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(detail: serde_json::Value) -> serde_json::Value {
        json!({
            "version": "0", "id": "e1", "detail-type": "Email Bounced", "source": "aws.ses",
            "account": "123456789012", "time": "2026-12-06T01:02:03Z", "region": "ap-northeast-1",
            "resources": [], "detail": detail,
        })
    }

    fn mail(tags: serde_json::Value) -> serde_json::Value {
        json!({"timestamp": "2026-12-06T01:00:00.000Z", "messageId": "0106-abc", "destination": ["someone@example.com"], "tags": tags})
    }

    fn tagged() -> serde_json::Value {
        json!({"application": ["01KBQZ8J3V9E4W7X2N5M6P8R0T"], "mail": ["v3-approved"], "ses:configuration-set": ["set"]})
    }

    #[test]
    fn each_type_maps_to_its_status_and_reason() {
        let cases = [
            (
                json!({"eventType": "Delivery", "mail": mail(tagged()), "delivery": {}}),
                DeliveryStatus::Delivered,
                None,
            ),
            (
                json!({"eventType": "Bounce", "mail": mail(tagged()), "bounce": {"bounceType": "Permanent", "bounceSubType": "NoEmail", "timestamp": "2026-12-06T01:05:00.5Z"}}),
                DeliveryStatus::Bounced,
                Some(DeliveryReason::NoSuchAddress),
            ),
            (
                json!({"eventType": "Bounce", "mail": mail(tagged()), "bounce": {"bounceType": "Permanent", "bounceSubType": "OnAccountSuppressionList"}}),
                DeliveryStatus::Suppressed,
                Some(DeliveryReason::OnSuppressionList),
            ),
            (
                json!({"eventType": "Bounce", "mail": mail(tagged()), "bounce": {"bounceType": "Transient", "bounceSubType": "MailboxFull"}}),
                DeliveryStatus::Bounced,
                Some(DeliveryReason::MailboxFull),
            ),
            (
                json!({"eventType": "Bounce", "mail": mail(tagged()), "bounce": {"bounceType": "Undetermined", "bounceSubType": "Undetermined"}}),
                DeliveryStatus::Bounced,
                Some(DeliveryReason::Unknown),
            ),
            (
                json!({"eventType": "Complaint", "mail": mail(tagged()), "complaint": {}}),
                DeliveryStatus::Complained,
                Some(DeliveryReason::Complaint),
            ),
            (
                json!({"eventType": "Complaint", "mail": mail(tagged()), "complaint": {"complaintSubType": "OnAccountSuppressionList"}}),
                DeliveryStatus::Suppressed,
                Some(DeliveryReason::OnSuppressionList),
            ),
            (
                json!({"eventType": "Reject", "mail": mail(tagged()), "reject": {"reason": "Bad content"}}),
                DeliveryStatus::Rejected,
                Some(DeliveryReason::Virus),
            ),
            (
                json!({"eventType": "DeliveryDelay", "mail": mail(tagged()), "deliveryDelay": {"delayType": "TransientCommunicationFailure"}}),
                DeliveryStatus::Delayed,
                Some(DeliveryReason::ReceivingServer),
            ),
        ];
        for (detail, status, reason) in cases {
            let report = report(&event(detail.clone())).unwrap_or_else(|e| panic!("{e}: {detail}"));
            assert_eq!((report.status, report.reason), (status, reason), "{detail}");
            assert_eq!(report.mail_id.as_str(), "v3-approved");
            assert_eq!(report.message_id, "0106-abc");
        }
    }

    #[test]
    fn the_events_own_time_wins() {
        let detail = json!({"eventType": "Bounce", "mail": mail(tagged()), "bounce": {"bounceType": "Permanent", "bounceSubType": "General", "timestamp": "2026-12-06T01:05:00.669Z"}});
        assert_eq!(report(&event(detail)).unwrap().at.to_string(), "2026-12-06T10:05:00+09:00");
        let detail = json!({"eventType": "Delivery", "mail": mail(tagged())});
        assert_eq!(report(&event(detail)).unwrap().at.to_string(), "2026-12-06T10:02:03+09:00");
    }

    #[test]
    fn other_types_untracked_mails_and_junk_are_ignored() {
        let send = json!({"eventType": "Send", "mail": mail(tagged()), "send": {}});
        assert_eq!(report(&event(send)), Err(Ignored::OtherType));
        let untagged =
            json!({"eventType": "Delivery", "mail": mail(json!({"ses:configuration-set": ["set"]}))});
        assert_eq!(report(&event(untagged)), Err(Ignored::Untracked));
        let forged = json!({"eventType": "Delivery", "mail": mail(json!({"application": ["../etc"], "mail": ["v3-approved"]}))});
        assert_eq!(report(&event(forged)), Err(Ignored::Untracked));
        assert_eq!(report(&json!({"detail": "nothing"})), Err(Ignored::Unreadable));
        assert_eq!(report(&json!([])), Err(Ignored::Unreadable));
        let bounce_without_bounce = json!({"eventType": "Bounce", "mail": mail(tagged())});
        assert_eq!(report(&event(bounce_without_bounce)), Err(Ignored::Unreadable));
    }
}
