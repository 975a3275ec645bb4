// Generated from shared/src/routes.rs. Do not edit: `cargo run -p xtask -- web-fields` writes it.
export const ROUTES = {
  "VALIDATE": {"method": "POST", "path": "/api/validate"},
  "SUBMIT": {"method": "POST", "path": "/api/applications"},
  "PREVIEW": {"method": "POST", "path": "/api/verifications/preview"},
  "CONFIRM": {"method": "POST", "path": "/api/verifications"},
  "POSTAL": {"method": "GET", "path": "/api/postal/{code}"},
  "DOCUMENTS_PREVIEW": {"method": "POST", "path": "/api/document-requests/preview"},
  "DOCUMENTS_UPLOAD": {"method": "POST", "path": "/api/document-requests/uploads"},
  "DOCUMENTS_SUBMISSION": {"method": "POST", "path": "/api/document-requests/submission"},
  "ADMIN_LIST": {"method": "GET", "path": "/api/admin/applications"},
  "ADMIN_DETAIL": {"method": "GET", "path": "/api/admin/applications/{applicationId}"},
  "ADMIN_DECISIONS": {"method": "POST", "path": "/api/admin/applications/{applicationId}/decisions"},
  "ADMIN_ERASURE": {"method": "POST", "path": "/api/admin/applications/{applicationId}/erasure"},
  "ADMIN_EXPORT": {"method": "GET", "path": "/api/admin/applications.csv"},
  "ADMIN_AUDIT": {"method": "GET", "path": "/api/admin/audit"},
  "ADMIN_COUNTS": {"method": "GET", "path": "/api/admin/counts"},
  "ADMIN_DOCUMENT": {"method": "GET", "path": "/api/admin/applications/{applicationId}/documents/{documentId}"}
};
// The local server's own operator sessions (on AWS, Cognito's managed login).
export const LOCAL_SESSIONS = {
  "SIGN_IN": "/api/admin/sessions",
  "CURRENT": "/api/admin/session",
  "SIGN_OUT": "/api/admin/sessions/current"
};
