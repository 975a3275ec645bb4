//! What an application receives when it is stored, built from typed identifiers.

use super::{ApplicationId, ReceptionNumber, Timestamp};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The identifiers an application receives when it is stored; as JSON,
/// `{"applicationId", "receptionNumber", "receivedAt"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    pub application_id: ApplicationId,
    pub reception_number: ReceptionNumber,
    pub received_at: Timestamp,
}

impl Receipt {
    /// Fresh identifiers for an application received `now`.
    pub fn issue(now: OffsetDateTime) -> Receipt {
        Receipt {
            application_id: ApplicationId::new(now),
            reception_number: ReceptionNumber::random(),
            received_at: Timestamp::new(now),
        }
    }

    /// Fresh identifiers for an application received at this instant: the id
    /// to the millisecond, the timestamp to the second.
    pub fn issue_now() -> Receipt {
        Receipt::issue(OffsetDateTime::now_utc())
    }

    /// The same receipt with a fresh reception number (the first was taken).
    pub fn with_new_reception_number(self) -> Receipt {
        Receipt { reception_number: ReceptionNumber::random(), ..self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn json_shape_round_trips() {
        let receipt = Receipt::issue(datetime!(2026-11-28 09:30:00 UTC));
        let json = serde_json::to_value(receipt).unwrap();
        assert_eq!(json["receivedAt"], "2026-11-28T18:30:00+09:00");
        assert_eq!(json.as_object().unwrap().len(), 3);
        assert_eq!(serde_json::from_value::<Receipt>(json).unwrap(), receipt);
    }
}
