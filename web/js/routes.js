// Generated from shared/src/routes.rs. Do not edit: `cargo run -p xtask -- web-fields` writes it.
export const ROUTES = {
  "VALIDATE": {"method": "POST", "path": "/api/validate", "access": "public"},
  "SUBMIT": {"method": "POST", "path": "/api/applications", "access": "public"},
  "PREVIEW": {"method": "POST", "path": "/api/verifications/preview", "access": "public"},
  "CONFIRM": {"method": "POST", "path": "/api/verifications", "access": "public"},
  "POSTAL": {"method": "GET", "path": "/api/postal/{code}", "access": "public"},
  "DOCUMENTS_PREVIEW": {"method": "POST", "path": "/api/document-requests/preview", "access": "public"},
  "DOCUMENTS_UPLOAD": {"method": "POST", "path": "/api/document-requests/uploads", "access": "public"},
  "DOCUMENTS_SUBMISSION": {"method": "POST", "path": "/api/document-requests/submission", "access": "public"},
  "ADMIN_LIST": {"method": "GET", "path": "/api/admin/applications", "access": "operator"},
  "ADMIN_DETAIL": {"method": "GET", "path": "/api/admin/applications/{applicationId}", "access": "operator"},
  "ADMIN_DECISIONS": {"method": "POST", "path": "/api/admin/applications/{applicationId}/decisions", "access": "operator"},
  "ADMIN_ERASURE": {"method": "POST", "path": "/api/admin/applications/{applicationId}/erasure", "access": "supervisor"},
  "ADMIN_EXPORT": {"method": "GET", "path": "/api/admin/applications.csv", "access": "supervisor"},
  "ADMIN_AUDIT": {"method": "GET", "path": "/api/admin/audit", "access": "supervisor"},
  "ADMIN_COUNTS": {"method": "GET", "path": "/api/admin/counts", "access": "operator"},
  "ADMIN_DOCUMENT": {"method": "GET", "path": "/api/admin/applications/{applicationId}/documents/{documentId}", "access": "operator"},
  "ADMIN_ME": {"method": "GET", "path": "/api/admin/me", "access": "operator"},
  "ADMIN_NOTES": {"method": "POST", "path": "/api/admin/applications/{applicationId}/notes", "access": "operator"},
  "ADMIN_ASSIGNEE": {"method": "PUT", "path": "/api/admin/applications/{applicationId}/assignee", "access": "operator"},
  "ADMIN_CORRECTIONS": {"method": "POST", "path": "/api/admin/applications/{applicationId}/corrections", "access": "operator"}
};
// The local server's own operator sessions (on AWS, Cognito's managed login).
export const LOCAL_SESSIONS = {
  "SIGN_IN": "/api/admin/sessions",
  "CURRENT": "/api/admin/session",
  "SIGN_OUT": "/api/admin/sessions/current"
};
