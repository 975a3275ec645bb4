//! GuardDuty Malware Protection for S3's result of one object, as it
//! publishes it on EventBridge (detail-type [`DETAIL_TYPE`], source
//! `aws.guardduty`; AWS's documented shape, `events/scan-result-*.json`).
//! On AWS the result is read from the object's tag instead
//! ([`crate::domain::SCAN_TAG`], the same values), which needs no event
//! path; the local server, which never scans, takes this event so that a
//! supervisor can see how the console treats each result.
//!
//! Only the object's key and the result are read: never the threats' names,
//! the bucket's owner or anything else.

use crate::domain::ScanState;
use serde::Deserialize;

/// The event's `detail-type`.
pub const DETAIL_TYPE: &str = "GuardDuty Malware Protection Object Scan Result";

/// What one event says: the object, and what the scan found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanResult {
    pub object_key: String,
    /// `scanResultStatus`, a value of the tag (`NO_THREATS_FOUND`, …).
    pub status: String,
}

impl ScanResult {
    pub fn state(&self) -> ScanState {
        ScanState::from_tag(&self.status)
    }
}

#[derive(Deserialize)]
struct Event {
    #[serde(rename = "detail-type")]
    detail_type: String,
    detail: Detail,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Detail {
    s3_object_details: ObjectDetails,
    scan_result_details: ResultDetails,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ObjectDetails {
    object_key: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResultDetails {
    scan_result_status: String,
}

/// The result an event reports, or `None` for any other event or shape.
pub fn result(event: &serde_json::Value) -> Option<ScanResult> {
    let event = Event::deserialize(event).ok()?;
    (event.detail_type == DETAIL_TYPE).then_some(ScanResult {
        object_key: event.detail.s3_object_details.object_key,
        status: event.detail.scan_result_details.scan_result_status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> serde_json::Value {
        serde_json::from_str(include_str!("../../../events/scan-result-threats-found.json")).unwrap()
    }

    #[test]
    fn the_documented_event_names_its_object_and_result() {
        let result = result(&sample()).expect("a scan result");
        assert_eq!(result.object_key, "documents/01JEXAMPLEAPPLICATION00000/01JEXAMPLEDOCUMENT00000000");
        assert_eq!(result.state(), ScanState::ThreatsFound);
    }

    #[test]
    fn every_status_maps_as_the_tag_does_and_other_events_are_none() {
        for (status, state) in [
            ("NO_THREATS_FOUND", ScanState::NoThreatsFound),
            ("THREATS_FOUND", ScanState::ThreatsFound),
            ("UNSUPPORTED", ScanState::Unsupported),
            ("ACCESS_DENIED", ScanState::Failed),
            ("FAILED", ScanState::Failed),
        ] {
            let mut event = sample();
            event["detail"]["scanResultDetails"]["scanResultStatus"] = status.into();
            assert_eq!(result(&event).unwrap().state(), state, "{status}");
        }
        let mut other = sample();
        other["detail-type"] = "Email Bounced".into();
        assert_eq!(result(&other), None);
        assert_eq!(result(&serde_json::json!({ "detail-type": DETAIL_TYPE })), None);
        assert_eq!(result(&serde_json::json!([1, 2])), None);
    }
}
