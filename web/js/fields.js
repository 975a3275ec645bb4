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
    "group": null
  },
  {
    "key": "emailConfirmation",
    "label": "メールアドレス(確認)",
    "kind": "email",
    "required": true,
    "corporateOnly": false,
    "maxChars": 254,
    "group": null
  },
  {
    "key": "contractType",
    "label": "契約者種別",
    "kind": "choice",
    "required": true,
    "corporateOnly": false,
    "maxChars": null,
    "group": null
  },
  {
    "key": "corporateName",
    "label": "契約法人名",
    "kind": "text",
    "required": true,
    "corporateOnly": true,
    "maxChars": 100,
    "group": null
  },
  {
    "key": "corporateNameKana",
    "label": "契約法人名(フリガナ)",
    "kind": "kana",
    "required": true,
    "corporateOnly": true,
    "maxChars": 200,
    "group": null
  },
  {
    "key": "lastName",
    "label": "名前(姓)",
    "kind": "text",
    "required": true,
    "corporateOnly": false,
    "maxChars": 50,
    "group": "name"
  },
  {
    "key": "firstName",
    "label": "名前(名)",
    "kind": "text",
    "required": true,
    "corporateOnly": false,
    "maxChars": 50,
    "group": "name"
  },
  {
    "key": "lastNameKana",
    "label": "フリガナ(セイ)",
    "kind": "kana",
    "required": true,
    "corporateOnly": false,
    "maxChars": 100,
    "group": "nameKana"
  },
  {
    "key": "firstNameKana",
    "label": "フリガナ(メイ)",
    "kind": "kana",
    "required": true,
    "corporateOnly": false,
    "maxChars": 100,
    "group": "nameKana"
  },
  {
    "key": "postalCode",
    "label": "郵便番号",
    "kind": "postal",
    "required": true,
    "corporateOnly": false,
    "maxChars": null,
    "group": null
  },
  {
    "key": "addressRegion",
    "label": "住所(都道府県、市区町村)",
    "kind": "address",
    "required": true,
    "corporateOnly": false,
    "maxChars": 60,
    "group": null
  },
  {
    "key": "addressStreet",
    "label": "住所(町域、丁目・番地)",
    "kind": "address",
    "required": true,
    "corporateOnly": false,
    "maxChars": 100,
    "group": null
  },
  {
    "key": "addressBuilding",
    "label": "住所(建物名)",
    "kind": "address",
    "required": false,
    "corporateOnly": false,
    "maxChars": 100,
    "group": null
  },
  {
    "key": "phone",
    "label": "電話番号",
    "kind": "phone",
    "required": true,
    "corporateOnly": false,
    "maxChars": null,
    "group": null
  },
  {
    "key": "invoiceNumber",
    "label": "適格請求書発行事業者登録番号",
    "kind": "invoice",
    "required": false,
    "corporateOnly": false,
    "maxChars": null,
    "group": null
  },
  {
    "key": "employeeCount",
    "label": "従業員数",
    "kind": "count",
    "required": false,
    "corporateOnly": false,
    "maxChars": null,
    "group": null
  },
  {
    "key": "annualReferralCount",
    "label": "年間ホスティングサービス紹介数",
    "kind": "count",
    "required": false,
    "corporateOnly": false,
    "maxChars": null,
    "group": null
  },
  {
    "key": "agreedToTerms",
    "label": "利用規約と個人情報の取り扱いについて",
    "kind": "consent",
    "required": true,
    "corporateOnly": false,
    "maxChars": null,
    "group": null
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
  "invalidPostalCode": "invalid_postal_code",
  "postalCodeNotFound": "postal_code_not_found"
};
export const STATUSES = [
  {
    "value": "awaiting_verification",
    "label": "未確認"
  },
  {
    "value": "received",
    "label": "受付済"
  },
  {
    "value": "documents_requested",
    "label": "資料提出待ち"
  },
  {
    "value": "approved",
    "label": "承認"
  },
  {
    "value": "rejected",
    "label": "否認"
  }
];
export const DECISIONS = [
  {
    "value": "request_documents",
    "label": "資料提出を依頼",
    "from": [
      "received",
      "documents_requested"
    ],
    "to": "documents_requested",
    "message": "required"
  },
  {
    "value": "approve",
    "label": "承認",
    "from": [
      "received",
      "documents_requested"
    ],
    "to": "approved",
    "message": "not_allowed"
  },
  {
    "value": "reject",
    "label": "否認",
    "from": [
      "received",
      "documents_requested"
    ],
    "to": "rejected",
    "message": "optional"
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
  }
];
