//! The documents an operator asks for (terms 第3条3): the kinds of file the
//! desk accepts, the limits of one request, a file's name as the applicant's
//! browser gave it, and a document as it is kept. Contract v3, *Documents*.
//!
//! The bytes never pass through this code: the applicant's browser sends them
//! straight to storage (an S3 presigned PUT, or the local server), and the
//! submission reads only each file's first bytes ([`DocumentType::SIGNATURE_BYTES`]).

use super::{ApplicationId, DocumentId, Timestamp, Version};
use serde::Serialize;

/// A kind of file the desk accepts: identity documents are scanned or photographed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum DocumentType {
    #[serde(rename = "application/pdf")]
    Pdf,
    #[serde(rename = "image/jpeg")]
    Jpeg,
    #[serde(rename = "image/png")]
    Png,
}

impl DocumentType {
    pub const ALL: [DocumentType; 3] = [DocumentType::Pdf, DocumentType::Jpeg, DocumentType::Png];

    /// How many bytes of a file [`DocumentType::begins`] needs: the longest
    /// signature (PNG's 8). The submission reads exactly these.
    pub const SIGNATURE_BYTES: usize = 8;

    /// The media type: what the upload's `Content-Type` must be, and the contract's name.
    pub const fn mime(self) -> &'static str {
        match self {
            DocumentType::Pdf => "application/pdf",
            DocumentType::Jpeg => "image/jpeg",
            DocumentType::Png => "image/png",
        }
    }

    /// Its name as people read it (the documents page and the console).
    pub const fn label(self) -> &'static str {
        match self {
            DocumentType::Pdf => "PDF",
            DocumentType::Jpeg => "JPEG画像",
            DocumentType::Png => "PNG画像",
        }
    }

    /// The file name endings of this type, the usual one first: the
    /// download's fallback name, and the type a browser that gives none
    /// declares for a chosen file.
    pub const fn extensions(self) -> &'static [&'static str] {
        match self {
            DocumentType::Pdf => &["pdf"],
            DocumentType::Jpeg => &["jpg", "jpeg"],
            DocumentType::Png => &["png"],
        }
    }

    /// The bytes every file of this type begins with: `%PDF-`, JPEG's SOI
    /// and a marker's first byte, PNG's signature.
    pub const fn signature(self) -> &'static [u8] {
        match self {
            DocumentType::Pdf => b"%PDF-",
            DocumentType::Jpeg => &[0xFF, 0xD8, 0xFF],
            DocumentType::Png => &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A],
        }
    }

    /// A media type as a client sends it (case and parameters ignored:
    /// `Image/PNG; name=x` is PNG).
    pub fn parse(text: &str) -> Option<Self> {
        let essence = text.split(';').next().unwrap_or_default().trim();
        DocumentType::ALL.into_iter().find(|kind| kind.mime().eq_ignore_ascii_case(essence))
    }

    /// Whether a file that begins with `first` (its first bytes) is of this type.
    pub fn begins(self, first: &[u8]) -> bool {
        first.starts_with(self.signature())
    }
}

/// The name of a file as the applicant's browser gave it: 1–200 characters,
/// NFC, with no control, invisible or path characters. Shown to operators and
/// sent back in the download's `Content-Disposition`; never logged.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct FileName(String);

impl FileName {
    pub const MAX_CHARS: usize = 200;

    /// A name, normalised (NFC, surrounding blanks trimmed), or `None` when
    /// it is empty, too long, or holds a character that could hide or move
    /// something: a control, an invisible one, `/`, `\` or a lone `.`/`..`.
    pub fn parse(raw: &str) -> Option<Self> {
        use unicode_normalization::UnicodeNormalization;
        let name: String = raw.nfc().collect::<String>().trim().to_owned();
        let count = name.chars().count();
        let clean = !name.chars().any(|c| crate::normalize::is_forbidden_char(c) || matches!(c, '/' | '\\'));
        let dots = name == "." || name == "..";
        ((1..=Self::MAX_CHARS).contains(&count) && clean && !dots).then_some(FileName(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The limits of one request for documents (`DOCUMENT_MAX_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentLimits {
    /// Files per submission.
    pub max_files: usize,
    pub max_file_bytes: u64,
    /// All the files of one submission together.
    pub max_total_bytes: u64,
}

impl DocumentLimits {
    /// Upload targets one request may be given: twice its files, so an
    /// applicant may replace a removed or failed file, and no more (each
    /// target is a record and, on AWS, an object that waits a day).
    pub const fn max_uploads(&self) -> usize {
        self.max_files * 2
    }
}

impl Default for DocumentLimits {
    fn default() -> Self {
        DocumentLimits { max_files: 10, max_file_bytes: 10 * 1024 * 1024, max_total_bytes: 30 * 1024 * 1024 }
    }
}

/// What the malware scan said of a submitted file (GuardDuty Malware
/// Protection for S3, read from the object's `GuardDutyMalwareScanStatus` tag).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanState {
    /// Locally, or with scanning off.
    NotScanned,
    /// Scanning is on and no result yet.
    Pending,
    NoThreatsFound,
    /// Never downloadable (409 `document_unsafe`).
    ThreatsFound,
    /// GuardDuty could not look inside (a password-protected PDF, an archive
    /// too deep): downloadable, and the console tells the operator that it
    /// was not checked and to ask the applicant for an unprotected copy
    /// before opening it.
    Unsupported,
    /// The scan failed (or GuardDuty was refused access): as `Unsupported`.
    Failed,
}

/// GuardDuty's tag on a scanned object.
pub const SCAN_TAG: &str = "GuardDutyMalwareScanStatus";

impl ScanState {
    pub const ALL: [ScanState; 6] = [
        ScanState::NotScanned,
        ScanState::Pending,
        ScanState::NoThreatsFound,
        ScanState::ThreatsFound,
        ScanState::Unsupported,
        ScanState::Failed,
    ];

    /// The contract's name (`scan` of each document).
    pub const fn as_str(self) -> &'static str {
        match self {
            ScanState::NotScanned => "not_scanned",
            ScanState::Pending => "pending",
            ScanState::NoThreatsFound => "no_threats_found",
            ScanState::ThreatsFound => "threats_found",
            ScanState::Unsupported => "unsupported",
            ScanState::Failed => "failed",
        }
    }

    /// The console's word for it.
    pub const fn label(self) -> &'static str {
        match self {
            ScanState::NotScanned => "未検査",
            ScanState::Pending => "検査中",
            ScanState::NoThreatsFound => "問題なし",
            ScanState::ThreatsFound => "脅威を検出(ダウンロード不可)",
            ScanState::Unsupported => "検査できない形式(パスワード付きPDFなど)",
            ScanState::Failed => "検査に失敗",
        }
    }

    /// What the operator should do before opening the file (empty: nothing).
    /// An unchecked file stays downloadable, because the review needs it and
    /// a password-protected PDF is a common, honest way to send an identity
    /// document; the operator is told to confirm with the applicant first.
    pub const fn guidance(self) -> &'static str {
        match self {
            ScanState::NotScanned => "ウイルス検査は行われていません(この環境では検査しない設定です)。",
            ScanState::Pending => {
                "ウイルス検査が終わっていません。急ぎでなければ、検査の結果を待ってから開いてください。"
            }
            ScanState::NoThreatsFound => "",
            ScanState::ThreatsFound => {
                "このファイルは開けません。申込者に別のファイルの提出を依頼してください。"
            }
            ScanState::Unsupported => {
                "ウイルス検査ができない形式です。できるだけ、パスワードのないファイルの再提出を申込者に依頼してください。開く場合は、申込者本人が送ったものか確認してからにしてください。"
            }
            ScanState::Failed => "ウイルス検査に失敗しました。開く前に、送付元へ確認してください。",
        }
    }

    /// The state a `GuardDutyMalwareScanStatus` tag's value names (AWS's
    /// documented values); an unknown one is treated as a failed scan.
    pub fn from_tag(value: &str) -> Self {
        match value {
            "NO_THREATS_FOUND" => ScanState::NoThreatsFound,
            "THREATS_FOUND" => ScanState::ThreatsFound,
            "UNSUPPORTED" => ScanState::Unsupported,
            _ => ScanState::Failed,
        }
    }

    /// Whether an operator may download the file.
    pub const fn downloadable(self) -> bool {
        !matches!(self, ScanState::ThreatsFound)
    }
}

/// A document request as its link's token names it: the application, and the
/// version its `request_documents` entry made (only the latest request's link
/// works).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentRequest {
    pub application_id: ApplicationId,
    pub version: Version,
    pub expires_at: Timestamp,
}

/// One file of a request: written when its upload target is issued,
/// `submitted_at` set by the submission that used it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub document_id: DocumentId,
    pub application_id: ApplicationId,
    /// The request it answers (the version of its `request_documents` entry).
    pub request_version: Version,
    pub file_name: FileName,
    pub content_type: DocumentType,
    /// The declared size, which the upload's signature pins exactly.
    pub size: u64,
    /// When its upload target was issued.
    pub uploaded_at: Timestamp,
    pub submitted_at: Option<Timestamp>,
}

impl Document {
    /// Where the browser uploads it: a prefix that expires (S3's lifecycle
    /// rule, the local sweep) unless a submission moves it.
    pub fn incoming_key(&self) -> String {
        format!("{INCOMING_PREFIX}{}/{}", self.application_id, self.document_id)
    }

    /// Where a submitted file is kept, under its application's prefix, which
    /// erasure and retention delete whole.
    pub fn stored_key(&self) -> String {
        format!("{}{}", stored_prefix(self.application_id), self.document_id)
    }
}

/// Uploads not yet submitted (S3: a lifecycle rule empties it after a day).
pub const INCOMING_PREFIX: &str = "incoming/";
/// Submitted files.
pub const STORED_PREFIX: &str = "documents/";
/// CSV exports on AWS (S3: a lifecycle rule empties it after a day).
pub const EXPORTS_PREFIX: &str = "exports/";

/// Every submitted file of one application.
pub fn stored_prefix(application_id: ApplicationId) -> String {
    format!("{STORED_PREFIX}{application_id}/")
}

/// Every upload of one application not yet submitted.
pub fn incoming_prefix(application_id: ApplicationId) -> String {
    format!("{INCOMING_PREFIX}{application_id}/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_parse_their_media_type_and_check_their_signature() {
        assert_eq!(DocumentType::parse("Image/PNG; name=a"), Some(DocumentType::Png));
        assert_eq!(DocumentType::parse("application/octet-stream"), None);
        assert!(DocumentType::Pdf.begins(b"%PDF-1.7\n"));
        assert!(!DocumentType::Pdf.begins(b"\x7fELF\x02\x01\x01\x00"));
        assert!(DocumentType::Jpeg.begins(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F']));
        assert!(DocumentType::Png.begins(b"\x89PNG\r\n\x1a\n"));
        assert!(!DocumentType::Png.begins(b"\x89PNG"), "a short file is not a PNG");
        for kind in DocumentType::ALL {
            assert!(kind.signature().len() <= DocumentType::SIGNATURE_BYTES);
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.mime());
        }
    }

    #[test]
    fn file_names_count_characters_and_refuse_hidden_or_path_characters() {
        assert_eq!(FileName::parse(" 𠮷田_免許証.pdf ").unwrap().as_str(), "𠮷田_免許証.pdf");
        assert_eq!(FileName::parse(&"あ".repeat(200)).map(|n| n.as_str().chars().count()), Some(200));
        assert_eq!(FileName::parse(&"あ".repeat(201)), None);
        for bad in ["", "  ", "a/b.pdf", "..\\x.pdf", "..", "a\u{202E}fdp.exe", "a\nb.pdf", "a\u{200B}.pdf"] {
            assert_eq!(FileName::parse(bad), None, "{bad:?}");
        }
        // NFC: a decomposed ガ is stored composed.
        assert_eq!(FileName::parse("カ\u{3099}.png").unwrap().as_str(), "ガ.png");
    }

    #[test]
    fn each_scan_state_is_named_as_it_serialises() {
        for state in ScanState::ALL {
            assert_eq!(serde_json::to_value(state).unwrap(), state.as_str());
            assert!(!state.label().is_empty());
            assert_eq!(state.guidance().is_empty(), state == ScanState::NoThreatsFound);
        }
    }

    #[test]
    fn scan_tags_map_to_states_and_only_threats_block_a_download() {
        assert_eq!(ScanState::from_tag("NO_THREATS_FOUND"), ScanState::NoThreatsFound);
        assert_eq!(ScanState::from_tag("THREATS_FOUND"), ScanState::ThreatsFound);
        assert_eq!(ScanState::from_tag("UNSUPPORTED"), ScanState::Unsupported);
        assert_eq!(ScanState::from_tag("ACCESS_DENIED"), ScanState::Failed);
        assert!(!ScanState::ThreatsFound.downloadable());
        assert!(ScanState::Unsupported.downloadable() && ScanState::Pending.downloadable());
    }
}
