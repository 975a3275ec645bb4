//! The documents link on DynamoDB: the request item a token names
//! (`DOCREQ#<hash>`), the document items beside the application's history
//! (`DOCUMENT#<id>` under `APP#<id>`, so the detail and erasure read them in
//! the same Query), and the submission as one TransactWriteItems carrying out
//! [`plan::submit_documents`].

use super::review::{decode_history, item_of, raced, transact_put, transact_update};
use super::{ATTEMPTS, DynamoStore, Item, Sent, cancelled_by, is_expired, pause, s, sdk_unavailable, string};
use crate::domain::{ApplicationId, Document, DocumentRequest, Timestamp};
use crate::keyed::TokenHash;
use crate::store::documents::{DocumentsSubmission, RequestState, SubmitDocumentsOutcome};
use crate::store::layout::{self, attr};
use crate::store::{Documents, Unavailable, plan};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};

impl DynamoStore {
    /// The Put of a request's item (in the decision's transaction).
    pub(super) fn request_put(&self, token: &TokenHash, request: &DocumentRequest) -> TransactWriteItem {
        let item = item_of(
            &layout::document_request_pk(token),
            layout::DOCUMENT_REQUEST_SORT_KEY,
            layout::document_request_attributes(request),
        );
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", layout::PARTITION_KEY)
            .build()
            .expect("table and item are set");
        transact_put(put)
    }

    /// The documents among an application's items.
    pub(super) fn documents_in(items: &[Item]) -> Result<Vec<Document>, Unavailable> {
        items
            .iter()
            .filter(|item| string(item, layout::SORT_KEY).is_some_and(|sk| layout::is_document_item(&sk)))
            .map(|item| {
                layout::document_from(|name| string(item, name).map(Into::into))
                    .map_err(|e| Unavailable(format!("unreadable document: {e}")))
            })
            .collect()
    }

    async fn request_state(&self, token: &TokenHash, now: Timestamp) -> Result<RequestState, Unavailable> {
        let Some(item) =
            self.get_item(&layout::document_request_pk(token), layout::DOCUMENT_REQUEST_SORT_KEY).await?
        else {
            return Ok(RequestState::NotFound);
        };
        let request = layout::document_request_from(|name| string(&item, name).map(Into::into))
            .map_err(|e| Unavailable(format!("unreadable document request: {e}")))?;
        // One Query: the application, its history and its documents.
        let items = self.application_items(request.application_id).await?;
        let mut application = None;
        let mut history = Vec::new();
        for item in &items {
            let Some(sk) = string(item, layout::SORT_KEY) else { continue };
            if sk == layout::APPLICATION_SORT_KEY {
                application = self.live_from(item)?;
            } else if layout::is_history_item(&sk) && !is_expired(item, now.epoch()) {
                history.push(decode_history(item)?);
            }
        }
        Ok(plan::request_state(Some(request), application, &history, Self::documents_in(&items)?, now))
    }

    async fn submit_documents_once(
        &self,
        submission: &DocumentsSubmission,
    ) -> Result<Option<SubmitDocumentsOutcome>, Unavailable> {
        let key = plan::RecordKey::Documents(&submission.idempotency_key);
        let now = submission.at.epoch();
        let previous = self.read_record(&key, now).await?;
        let state = self.request_state(&submission.token, submission.at).await?;
        let plan = match plan::submit_documents(submission, previous, state) {
            Ok(plan) => plan,
            Err(outcome) => return Ok(Some(outcome)),
        };
        let id = plan.before.id();
        let pk = layout::application_pk(id);
        let mut items = vec![
            transact_update(self.lifecycle_update(&plan.before, &plan.after, plan.from, plan.entry.at)),
            transact_put(self.history_put(id, &plan.entry, None)),
            self.record_put(&key, &plan.record, now),
        ];
        for document in &plan.documents {
            let update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(super::keys(&pk, &layout::document_sk(document.document_id))))
                .update_expression("SET #submitted = :at")
                .condition_expression("attribute_exists(#pk)")
                .expression_attribute_names("#pk", layout::PARTITION_KEY)
                .expression_attribute_names("#submitted", attr::SUBMITTED_AT)
                .expression_attribute_values(":at", s(&plan.entry.at.to_string()))
                .build()
                .expect("complete");
            items.push(transact_update(update));
        }
        items.extend(self.count_updates(&plan.count_changes()));
        match self.send(items).await? {
            Sent::Done => Ok(Some(plan.outcome())),
            // Another submission (or this key's twin) came first: look again.
            Sent::Cancelled(reasons) if raced(&reasons) => Ok(None),
            Sent::Cancelled(reasons) => {
                Err(Unavailable(format!("transaction cancelled: {}", cancelled_by(&reasons))))
            }
        }
    }
}

#[async_trait]
impl Documents for DynamoStore {
    async fn document_request(&self, token: &TokenHash) -> Result<RequestState, Unavailable> {
        self.request_state(token, Timestamp::now()).await
    }

    async fn add_upload(&self, document: &Document) -> Result<(), Unavailable> {
        let item = item_of(
            &layout::application_pk(document.application_id),
            &layout::document_sk(document.document_id),
            layout::document_attributes(document),
        );
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            // Only beside a live application (not after its erasure).
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", layout::PARTITION_KEY)
            .send()
            .await
            .map_err(sdk_unavailable)?;
        Ok(())
    }

    async fn submit_documents(
        &self,
        submission: &DocumentsSubmission,
    ) -> Result<SubmitDocumentsOutcome, Unavailable> {
        for attempt in 0..ATTEMPTS {
            if let Some(outcome) = self.submit_documents_once(submission).await? {
                return Ok(outcome);
            }
            pause(attempt).await;
        }
        Err(Unavailable("transaction conflicts persisted".into()))
    }

    async fn forget_documents(&self, application_id: ApplicationId) -> Result<usize, Unavailable> {
        let pk = layout::application_pk(application_id);
        let documents = Self::documents_in(&self.application_items(application_id).await?)?;
        let sks: Vec<String> = documents.iter().map(|d| layout::document_sk(d.document_id)).collect();
        self.remove_all(&pk, &sks).await?;
        Ok(documents.len())
    }

    async fn documents_of(&self, application_id: ApplicationId) -> Result<Vec<Document>, Unavailable> {
        let items = self.application_items(application_id).await?;
        Ok(crate::store::documents::of_application(Self::documents_in(&items)?, application_id))
    }
}
