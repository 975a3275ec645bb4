//! Where an application stands. The lifecycle (`received` → review decisions)
//! grows here; today an application is only ever received.

use serde::Serialize;

/// An application's status, as stored and as the contract names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Stored; waiting for an operator's review.
    Received,
}

impl Status {
    pub const ALL: [Status; 1] = [Status::Received];

    /// The stored and contract value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Received => "received",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for status in Status::ALL {
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
    }
}
