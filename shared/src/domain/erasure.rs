//! Why an application's personal data was erased: a code from a fixed list,
//! never free text. The reason stays in the history for good (erasure cannot
//! touch the record of itself), so text an operator typed there, such as
//! 「山田様より電話 090-…」, would be personal data kept for ever.

use serde::Serialize;

/// The erasure's reason (contract v3, *Erasure and export*).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErasureReason {
    /// The applicant asked (privacy notice (8)).
    ApplicantRequest,
    /// A duplicate of another application.
    Duplicate,
    /// Submitted by mistake (a wrong address, a test).
    Mistaken,
    /// Its retention period has ended.
    Retention,
    Other,
}

impl ErasureReason {
    pub const ALL: [ErasureReason; 5] = [
        ErasureReason::ApplicantRequest,
        ErasureReason::Duplicate,
        ErasureReason::Mistaken,
        ErasureReason::Retention,
        ErasureReason::Other,
    ];

    /// The stored and contract value.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErasureReason::ApplicantRequest => "applicant_request",
            ErasureReason::Duplicate => "duplicate",
            ErasureReason::Mistaken => "mistaken",
            ErasureReason::Retention => "retention",
            ErasureReason::Other => "other",
        }
    }

    /// The console's label.
    pub const fn label(self) -> &'static str {
        match self {
            ErasureReason::ApplicantRequest => "ご本人からの削除請求",
            ErasureReason::Duplicate => "重複したお申し込み",
            ErasureReason::Mistaken => "誤ったお申し込み",
            ErasureReason::Retention => "保存期間の終了",
            ErasureReason::Other => "その他",
        }
    }

    pub fn parse(text: &str) -> Option<ErasureReason> {
        ErasureReason::ALL.into_iter().find(|reason| reason.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_text_is_not_one() {
        for reason in ErasureReason::ALL {
            assert_eq!(ErasureReason::parse(reason.as_str()), Some(reason));
            assert_eq!(serde_json::to_value(reason).unwrap(), reason.as_str());
        }
        for text in ["", "Applicant_request", "本人からの削除請求(電話)", "applicant_request "] {
            assert_eq!(ErasureReason::parse(text), None, "{text:?}");
        }
    }
}
