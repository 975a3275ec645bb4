// Generated from the field table (shared/src/domain/fields.rs). Do not edit:
// `cargo run -p xtask -- web-fields` writes it, and a test keeps it equal.
export const FIELDS = [
  {
    "key": "email",
    "label": "メールアドレス",
    "kind": "email",
    "required": true,
    "corporateOnly": false,
    "maxChars": 254,
    "group": null,
    "kept": true,
    "reviewed": true,
    "correctable": false
  },
  {
    "key": "emailConfirmation",
    "label": "メールアドレス(確認)",
    "kind": "email",
    "required": true,
    "corporateOnly": false,
    "maxChars": 254,
    "group": null,
    "kept": false,
    "reviewed": false,
    "correctable": false
  },
  {
    "key": "contractType",
    "label": "契約者種別",
    "kind": "choice",
    "required": true,
    "corporateOnly": false,
    "maxChars": null,
    "group": null,
    "kept": true,
    "reviewed": true,
    "correctable": false
  },
  {
    "key": "corporateName",
    "label": "契約法人名",
    "kind": "text",
    "required": true,
    "corporateOnly": true,
    "maxChars": 100,
    "group": null,
    "kept": true,
    "reviewed": true,
    "correctable": true
  },
  {
    "key": "corporateNameKana",
    "label": "契約法人名(フリガナ)",
    "kind": "kana",
    "required": true,
    "corporateOnly": true,
    "maxChars": 200,
    "group": null,
    "kept": true,
    "reviewed": true,
    "correctable": true
  },
  {
    "key": "lastName",
    "label": "名前(姓)",
    "kind": "text",
    "required": true,
    "corporateOnly": false,
    "maxChars": 50,
    "group": "name",
    "kept": true,
    "reviewed": true,
    "correctable": true
  },
  {
    "key": "firstName",
    "label": "名前(名)",
    "kind": "text",
    "required": true,
    "corporateOnly": false,
    "maxChars": 50,
    "group": "name",
    "kept": true,
    "reviewed": true,
    "correctable": true
  },
  {
    "key": "lastNameKana",
    "label": "フリガナ(セイ)",
    "kind": "kana",
    "required": true,
    "corporateOnly": false,
    "maxChars": 100,
    "group": "nameKana",
    "kept": true,
    "reviewed": true,
    "correctable": true
  },
  {
    "key": "firstNameKana",
    "label": "フリガナ(メイ)",
    "kind": "kana",
    "required": true,
    "corporateOnly": false,
    "maxChars": 100,
    "group": "nameKana",
    "kept": true,
    "reviewed": true,
    "correctable": true
  },
  {
    "key": "postalCode",
    "label": "郵便番号",
    "kind": "postal",
    "required": true,
    "corporateOnly": false,
    "maxChars": null,
    "group": null,
    "kept": true,
    "reviewed": true,
    "correctable": true
  },
  {
    "key": "addressRegion",
    "label": "住所(都道府県、市区町村)",
    "kind": "address",
    "required": true,
    "corporateOnly": false,
    "maxChars": 60,
    "group": null,
    "kept": true,
    "reviewed": true,
    "correctable": true
  },
  {
    "key": "addressStreet",
    "label": "住所(町域、丁目・番地)",
    "kind": "address",
    "required": true,
    "corporateOnly": false,
    "maxChars": 100,
    "group": null,
    "kept": true,
    "reviewed": true,
    "correctable": true
  },
  {
    "key": "addressBuilding",
    "label": "住所(建物名)",
    "kind": "address",
    "required": false,
    "corporateOnly": false,
    "maxChars": 100,
    "group": null,
    "kept": true,
    "reviewed": true,
    "correctable": true
  },
  {
    "key": "phone",
    "label": "電話番号",
    "kind": "phone",
    "required": true,
    "corporateOnly": false,
    "maxChars": null,
    "group": null,
    "kept": true,
    "reviewed": true,
    "correctable": true
  },
  {
    "key": "invoiceNumber",
    "label": "適格請求書発行事業者登録番号",
    "kind": "invoice",
    "required": false,
    "corporateOnly": false,
    "maxChars": null,
    "group": null,
    "kept": true,
    "reviewed": true,
    "correctable": true
  },
  {
    "key": "employeeCount",
    "label": "従業員数",
    "kind": "count",
    "required": false,
    "corporateOnly": false,
    "maxChars": null,
    "group": null,
    "kept": true,
    "reviewed": true,
    "correctable": true
  },
  {
    "key": "annualReferralCount",
    "label": "年間ホスティングサービス紹介数",
    "kind": "count",
    "required": false,
    "corporateOnly": false,
    "maxChars": null,
    "group": null,
    "kept": true,
    "reviewed": true,
    "correctable": true
  },
  {
    "key": "agreedToTerms",
    "label": "利用規約と個人情報の取り扱いについて",
    "kind": "consent",
    "required": true,
    "corporateOnly": false,
    "maxChars": null,
    "group": null,
    "kept": false,
    "reviewed": true,
    "correctable": false
  }
];
export const GROUPS = [
  {
    "name": "name",
    "label": "名前(法人の場合は担当者)",
    "fields": [
      "lastName",
      "firstName"
    ]
  },
  {
    "name": "nameKana",
    "label": "名前(フリガナ)",
    "fields": [
      "lastNameKana",
      "firstNameKana"
    ]
  }
];
export const CONTRACT_TYPES = [
  {
    "value": "corporation",
    "label": "法人"
  },
  {
    "value": "sole_proprietor",
    "label": "個人事業主"
  }
];
export const ERROR_CODES = {
  "badRequest": "bad_request",
  "payloadTooLarge": "payload_too_large",
  "requestTimeout": "request_timeout",
  "unsupportedMediaType": "unsupported_media_type",
  "unauthenticated": "unauthenticated",
  "forbidden": "forbidden",
  "notFound": "not_found",
  "methodNotAllowed": "method_not_allowed",
  "unavailable": "unavailable",
  "missingIdempotencyKey": "missing_idempotency_key",
  "invalidIdempotencyKey": "invalid_idempotency_key",
  "idempotencyKeyReused": "idempotency_key_reused",
  "tooManyRequests": "too_many_requests",
  "verificationNotFound": "verification_not_found",
  "verificationExpired": "verification_expired",
  "applicationNotFound": "application_not_found",
  "versionConflict": "version_conflict",
  "invalidTransition": "invalid_transition",
  "exportTooLarge": "export_too_large",
  "invalidDecision": "invalid_decision",
  "fieldNotCorrectable": "field_not_correctable",
  "notCorrectable": "not_correctable",
  "invalidPostalCode": "invalid_postal_code",
  "postalCodeNotFound": "postal_code_not_found",
  "documentRequestNotFound": "document_request_not_found",
  "documentRequestExpired": "document_request_expired",
  "unsupportedType": "unsupported_type",
  "fileTooLarge": "file_too_large",
  "emptyFile": "empty_file",
  "tooManyFiles": "too_many_files",
  "documentMissing": "document_missing",
  "documentContentMismatch": "document_content_mismatch",
  "documentsAlreadySubmitted": "documents_already_submitted",
  "documentUnsafe": "document_unsafe",
  "documentNotFound": "document_not_found",
  "invalidNote": "invalid_note",
  "invalidAssignee": "invalid_assignee"
};
// In the console's tab order (`Status::CONSOLE_ORDER`).
export const STATUSES = [
  {
    "value": "received",
    "label": "受付済",
    "verified": true,
    "final": false
  },
  {
    "value": "documents_submitted",
    "label": "資料確認待ち",
    "verified": true,
    "final": false
  },
  {
    "value": "awaiting_verification",
    "label": "未確認",
    "verified": false,
    "final": false
  },
  {
    "value": "documents_requested",
    "label": "資料提出待ち",
    "verified": true,
    "final": false
  },
  {
    "value": "approved",
    "label": "承認",
    "verified": true,
    "final": true
  },
  {
    "value": "rejected",
    "label": "否認",
    "verified": true,
    "final": true
  }
];
// In the order the console offers them (`Decision::CONSOLE_ORDER`).
export const DECISIONS = [
  {
    "value": "approve",
    "label": "承認",
    "from": [
      "received",
      "documents_requested",
      "documents_submitted"
    ],
    "to": "approved",
    "message": "not_allowed",
    "emphasis": "primary"
  },
  {
    "value": "request_documents",
    "label": "資料提出を依頼",
    "from": [
      "received",
      "documents_requested",
      "documents_submitted"
    ],
    "to": "documents_requested",
    "message": "required",
    "emphasis": "secondary"
  },
  {
    "value": "reject",
    "label": "否認",
    "from": [
      "received",
      "documents_requested",
      "documents_submitted"
    ],
    "to": "rejected",
    "message": "optional",
    "emphasis": "danger"
  }
];
export const HISTORY_ACTIONS = [
  {
    "value": "submitted",
    "label": "お申し込み"
  },
  {
    "value": "confirmed",
    "label": "メールアドレスの確認"
  },
  {
    "value": "request_documents",
    "label": "資料提出を依頼"
  },
  {
    "value": "submit_documents",
    "label": "資料の提出"
  },
  {
    "value": "approve",
    "label": "承認"
  },
  {
    "value": "reject",
    "label": "否認"
  },
  {
    "value": "erase",
    "label": "個人情報の消去"
  },
  {
    "value": "correct",
    "label": "登録内容の訂正"
  }
];
export const AUDIT_ACTIONS = [
  {
    "value": "sign_in",
    "label": "サインイン"
  },
  {
    "value": "sign_in_failed",
    "label": "サインイン失敗"
  },
  {
    "value": "sign_out",
    "label": "サインアウト"
  },
  {
    "value": "list",
    "label": "一覧・検索"
  },
  {
    "value": "view",
    "label": "詳細の閲覧"
  },
  {
    "value": "request_documents",
    "label": "資料提出を依頼"
  },
  {
    "value": "approve",
    "label": "承認"
  },
  {
    "value": "reject",
    "label": "否認"
  },
  {
    "value": "export",
    "label": "CSV出力"
  },
  {
    "value": "erase",
    "label": "個人情報の消去"
  },
  {
    "value": "view_audit",
    "label": "監査ログの閲覧"
  },
  {
    "value": "count",
    "label": "件数の閲覧"
  },
  {
    "value": "view_document",
    "label": "提出書類のダウンロード"
  },
  {
    "value": "note",
    "label": "メモの追加"
  },
  {
    "value": "assign",
    "label": "担当の変更"
  },
  {
    "value": "correct",
    "label": "登録内容の訂正"
  }
];
// An erasure's reason is one of these codes, never free text.
export const ERASURE_REASONS = [
  {
    "value": "applicant_request",
    "label": "ご本人からの削除請求"
  },
  {
    "value": "duplicate",
    "label": "重複したお申し込み"
  },
  {
    "value": "mistaken",
    "label": "誤ったお申し込み"
  },
  {
    "value": "retention",
    "label": "保存期間の終了"
  },
  {
    "value": "other",
    "label": "その他"
  }
];
// A correction's reason, likewise.
export const CORRECTION_REASONS = [
  {
    "value": "applicant_request",
    "label": "ご本人からの訂正依頼"
  },
  {
    "value": "operator_fix",
    "label": "担当者による誤りの修正"
  }
];
// The mails of the detail's list (`kind`), and their delivery status (`status`).
export const MAIL_KINDS = [
  {
    "value": "verification",
    "label": "メールアドレスの確認",
    "toOperators": false
  },
  {
    "value": "already-received",
    "label": "受付済みのお知らせ",
    "toOperators": false
  },
  {
    "value": "acknowledgement",
    "label": "受付の控え",
    "toOperators": false
  },
  {
    "value": "operator-notice",
    "label": "新しいお申し込みの通知(担当者宛)",
    "toOperators": true
  },
  {
    "value": "documents-requested",
    "label": "資料提出のお願い",
    "toOperators": false
  },
  {
    "value": "approved",
    "label": "審査完了のお知らせ",
    "toOperators": false
  },
  {
    "value": "rejected",
    "label": "審査結果のお知らせ",
    "toOperators": false
  },
  {
    "value": "documents-received",
    "label": "資料受領のお知らせ",
    "toOperators": false
  },
  {
    "value": "documents-notice",
    "label": "資料提出の通知(担当者宛)",
    "toOperators": true
  },
  {
    "value": "corrected",
    "label": "登録内容訂正のお知らせ",
    "toOperators": false
  }
];
export const DELIVERY_STATUSES = [
  {
    "value": "sent",
    "label": "送信済み",
    "problem": false
  },
  {
    "value": "delayed",
    "label": "配信遅延",
    "problem": false
  },
  {
    "value": "delivered",
    "label": "配信済み",
    "problem": false
  },
  {
    "value": "bounced",
    "label": "不達",
    "problem": true
  },
  {
    "value": "complained",
    "label": "迷惑メール報告",
    "problem": true
  },
  {
    "value": "rejected",
    "label": "送信拒否",
    "problem": true
  },
  {
    "value": "suppressed",
    "label": "送信停止中",
    "problem": true
  }
];
// A submitted document's malware scan state (`scan`).
export const SCAN_STATES = [
  {
    "value": "not_scanned",
    "label": "未検査",
    "note": "ウイルス検査は行われていません(この環境では検査しない設定です)。",
    "download": true
  },
  {
    "value": "pending",
    "label": "検査中",
    "note": "ウイルス検査が終わっていません。急ぎでなければ、検査の結果を待ってから開いてください。",
    "download": true
  },
  {
    "value": "no_threats_found",
    "label": "問題なし",
    "note": "",
    "download": true
  },
  {
    "value": "threats_found",
    "label": "脅威を検出(ダウンロード不可)",
    "note": "このファイルは開けません。申込者に別のファイルの提出を依頼してください。",
    "download": false
  },
  {
    "value": "unsupported",
    "label": "検査できない形式(パスワード付きPDFなど)",
    "note": "ウイルス検査ができない形式です。できるだけ、パスワードのないファイルの再提出を申込者に依頼してください。開く場合は、申込者本人が送ったものか確認してからにしてください。",
    "download": true
  },
  {
    "value": "failed",
    "label": "検査に失敗",
    "note": "ウイルス検査に失敗しました。開く前に、送付元へ確認してください。",
    "download": true
  }
];
// The types of document accepted (the server checks each file's first bytes).
export const DOCUMENT_TYPES = [
  {
    "contentType": "application/pdf",
    "label": "PDF",
    "extensions": [
      "pdf"
    ]
  },
  {
    "contentType": "image/jpeg",
    "label": "JPEG画像",
    "extensions": [
      "jpg",
      "jpeg"
    ]
  },
  {
    "contentType": "image/png",
    "label": "PNG画像",
    "extensions": [
      "png"
    ]
  }
];
