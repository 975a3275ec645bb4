//! The operators' side of the DynamoDB store: decisions, the list and its
//! search, erasure, the history and the audit. A decision or an erasure is
//! one TransactWriteItems over the application, its history item (keyed by
//! the version it makes, so two writers of one version cannot both succeed),
//! the records it touches and the audit entry (in the audit table, which only
//! ever receives Puts).

use super::{
    ATTEMPTS, DynamoStore, Item, Sent, cancelled_by, failed, is_expired, keys, n, pause, s, sdk_unavailable,
    string, to_attribute,
};
use crate::domain::{ApplicationId, AuditEntry, AuditId, HistoryEntry, NoticeId, Status, Timestamp, Version};
use crate::store::desk::AssigneeFilter;
use crate::store::layout::{self, Value, attr};
use crate::store::plan;
use crate::store::{
    AuditPage, CorrectOutcome, CorrectionWrite, Cursor, DecideOutcome, DecisionWrite, EraseOutcome, Erasure,
    ListQuery, Page, Record, Recounted, Related, RelatedApplication, Review, Search, StatusCounts,
    StoredApplication, Unavailable,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, KeysAndAttributes, Put, ReturnValuesOnConditionCheckFailure, Select,
    TransactWriteItem, Update,
};

/// Segments of a name search's parallel Scan of `nameSearch`, read at once.
/// Each reads its share of the entries page by page (1 MB each), so the wait
/// is about an eighth of a sequential Scan's; a segment costs at most half a
/// read unit more than its share (rounding), and a Lambda function holds
/// eight requests in flight without strain.
const SEARCH_SEGMENTS: i32 = 8;

/// An erasure's removals (messages, notices), a rejection's ends of its
/// items and a retirement's deletions, per transaction. DynamoDB takes
/// 100 items, but a transaction's time grows with them, and the client gives
/// an attempt 1.5 s (`aws::load_sdk_config`).
pub(super) const REMOVALS_PER_TRANSACTION: usize = 25;

pub(super) fn item_of(pk: &str, sk: &str, attributes: Vec<(&str, Value)>) -> Item {
    let mut item = keys(pk, sk);
    item.extend(attributes.into_iter().map(|(name, value)| (name.to_owned(), to_attribute(value))));
    item
}

pub(super) fn transact_put(put: Put) -> TransactWriteItem {
    TransactWriteItem::builder().put(put).build()
}

pub(super) fn transact_update(update: Update) -> TransactWriteItem {
    TransactWriteItem::builder().update(update).build()
}

/// Whether a transaction lost a race (and should be sent round again).
pub(super) fn raced(reasons: &[aws_sdk_dynamodb::types::CancellationReason]) -> bool {
    reasons.iter().any(|r| matches!(r.code(), Some("ConditionalCheckFailed" | "TransactionConflict")))
}

impl DynamoStore {
    /// A Put into the audit table (never anything else: it is append-only).
    pub(super) fn audit_put(&self, entry: &AuditEntry) -> Put {
        Put::builder()
            .table_name(&self.audit_table)
            .set_item(Some(item_of(
                layout::AUDIT_PARTITION,
                &entry.id.to_string(),
                layout::audit_attributes(entry),
            )))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", layout::PARTITION_KEY)
            .build()
            .expect("table and item are set")
    }

    /// A Put of a new history item, deleted with its application's personal
    /// data when that has a retention (`expires`).
    pub(super) fn history_put(
        &self,
        application_id: ApplicationId,
        entry: &HistoryEntry,
        expires: Option<Timestamp>,
    ) -> Put {
        let pk = layout::application_pk(application_id);
        let mut attributes = layout::history_attributes(application_id, entry);
        if let Some(expires) = expires {
            attributes.push((attr::EXPIRES_AT, Value::Number(expires.epoch().to_string())));
        }
        Put::builder()
            .table_name(&self.table)
            .set_item(Some(item_of(&pk, &layout::history_sk(entry.version), attributes)))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", layout::PARTITION_KEY)
            .build()
            .expect("table and item are set")
    }

    /// The application's items: its own (or its tombstone) and its history, strongly consistent.
    pub(super) async fn application_items(
        &self,
        application_id: ApplicationId,
    ) -> Result<Vec<Item>, Unavailable> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", layout::PARTITION_KEY)
                .expression_attribute_values(":pk", s(&layout::application_pk(application_id)))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(sdk_unavailable)?;
            items.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    /// The application's live items whose `sk` begins with `prefix` (its
    /// notes, its mail records): one Query of that range, strongly consistent.
    pub(super) async fn prefixed_items(
        &self,
        application_id: ApplicationId,
        prefix: &str,
    ) -> Result<Vec<Item>, Unavailable> {
        let now = Timestamp::now().epoch();
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#pk", layout::PARTITION_KEY)
                .expression_attribute_names("#sk", layout::SORT_KEY)
                .expression_attribute_values(":pk", s(&layout::application_pk(application_id)))
                .expression_attribute_values(":prefix", s(prefix))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(sdk_unavailable)?;
            items.extend(output.items.unwrap_or_default().into_iter().filter(|item| !is_expired(item, now)));
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    /// Gives the application's own items (history, notes, mail records) its
    /// end, after the decision that set it: in transactions of their own, so
    /// however long its history the decision is one transaction. A failure
    /// is logged and left: these items are a backstop, since the retention
    /// function deletes everything under the application when it retires it
    /// (and an application TTL took first is retired by its entry, with them).
    async fn retain_with(&self, id: ApplicationId, sks: &[String], until: Timestamp) {
        let pk = layout::application_pk(id);
        for batch in sks.chunks(REMOVALS_PER_TRANSACTION) {
            let updates = batch
                .iter()
                .map(|sk| transact_update(self.history_update(&pk, sk, "SET #expires = :until", Some(until))))
                .collect();
            match self.send(updates).await {
                Ok(Sent::Done) => {}
                Ok(Sent::Cancelled(reasons)) => {
                    tracing::warn!(application = %id, reasons = %cancelled_by(&reasons), "a retention's end not set on every item; the retention function deletes them");
                    return;
                }
                Err(error) => {
                    tracing::warn!(application = %id, %error, "a retention's end not set on every item; the retention function deletes them");
                    return;
                }
            }
        }
    }

    /// The history items' `sk`s (live ones), oldest first.
    fn history_keys(items: &[Item], now: i64) -> Vec<String> {
        items
            .iter()
            .filter(|item| !is_expired(item, now))
            .filter_map(|item| string(item, layout::SORT_KEY))
            .filter(|sk| layout::is_history_item(sk))
            .collect()
    }

    pub(super) async fn decide_once(
        &self,
        decision: &DecisionWrite,
    ) -> Result<Option<DecideOutcome>, Unavailable> {
        let id = decision.application_id;
        let key = plan::RecordKey::Decision(&decision.idempotency_key);
        let previous = self.read_record(&key, decision.at.epoch()).await?;
        let item = self.application_item(id).await?;
        let application = match &item {
            Some(item) => self.live_from(item)?,
            None => None,
        };
        let plan = match plan::decide(decision, plan::DecisionRead { previous, application }) {
            Ok(plan) => plan,
            Err(outcome) => return Ok(Some(outcome)),
        };
        let now = plan.at.epoch();
        let mut items = vec![
            transact_update(self.lifecycle_update(&plan.before, &plan.after, plan.from, plan.at)),
            transact_put(self.history_put(id, &plan.entry, plan.retain_until)),
            self.record_put(&key, &plan.record, now),
            transact_put(self.audit_put(&plan.audit)),
        ];
        const IDEMPOTENCY: usize = 2;
        let partner = plan.partner_code.map(|code| {
            let item = item_of(
                &layout::partner_pk(code),
                layout::PARTNER_SORT_KEY,
                vec![
                    (attr::PARTNER_CODE, Value::Text(code.to_string())),
                    (attr::APPLICATION_ID, Value::Text(id.to_string())),
                ],
            );
            items.push(self.put(item, "attribute_not_exists(#pk)", now));
            items.len() - 1
        });
        if let Some((token, request)) = &plan.document_request {
            items.push(self.request_put(token, request));
        }
        items.extend(self.count_updates(&plan.count_changes()));
        items.extend(self.due_writes(id, plan::due(&plan.before), plan::due(&plan.after)));
        let mut retained = Vec::new();
        if let Some(until) = plan.retain_until {
            // The address reservation goes with the application.
            if let Some(email_key) = item.as_ref().and_then(|item| string(item, attr::EMAIL_KEY)) {
                let update = Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(keys(
                        &format!("{}{email_key}", layout::EMAIL_PREFIX),
                        layout::EMAIL_SORT_KEY,
                    )))
                    .update_expression("SET #expires = :until")
                    .condition_expression("#id = :id")
                    .expression_attribute_names("#id", attr::APPLICATION_ID)
                    .expression_attribute_names("#expires", attr::EXPIRES_AT)
                    .expression_attribute_values(":id", s(&id.to_string()))
                    .expression_attribute_values(":until", n(until.epoch()))
                    .build()
                    .expect("complete");
                items.push(transact_update(update));
            }
            // Only the entries before this one: a racing decision's entry of
            // the same version may be there by now.
            let own = layout::history_sk(plan.entry.version);
            let kept = self.application_items(id).await?;
            retained = Self::history_keys(&kept, now);
            retained.retain(|sk| *sk < own);
            // And the notes and the mail records, which go with it too.
            retained.extend(Self::note_ids_in(&kept).into_iter().map(layout::note_sk));
            retained.extend(Self::mail_ids_in(&kept).iter().map(layout::mail_sk));
        }
        match self.send(items).await? {
            Sent::Done => {
                if let Some(until) = plan.retain_until {
                    self.retain_with(id, &retained, until).await;
                }
                Ok(Some(plan.outcome()))
            }
            Sent::Cancelled(reasons) => {
                if failed(&reasons, partner) {
                    Ok(Some(DecideOutcome::PartnerCodeTaken))
                } else if failed(&reasons, Some(IDEMPOTENCY)) || raced(&reasons) {
                    // Another request came first (or this key's twin): look again.
                    Ok(None)
                } else {
                    Err(Unavailable(format!("transaction cancelled: {}", cancelled_by(&reasons))))
                }
            }
        }
    }

    pub(super) async fn correct_once(
        &self,
        correction: &CorrectionWrite,
    ) -> Result<Option<CorrectOutcome>, Unavailable> {
        let id = correction.application_id;
        let key = plan::RecordKey::Correction(&correction.idempotency_key);
        let previous = self.read_record(&key, correction.at.epoch()).await?;
        let item = self.application_item(id).await?;
        let erased = item.as_ref().is_some_and(|item| item.contains_key(attr::ERASED_AT));
        let application = match &item {
            Some(item) => self.live_from(item)?,
            None => None,
        };
        let plan = match plan::correct(correction, plan::CorrectionRead { previous, application, erased }) {
            Ok(plan) => plan,
            Err(outcome) => return Ok(Some(outcome)),
        };
        let now = plan.at.epoch();
        let attributes = layout::correction_attributes(&plan.after, plan.at);
        let items = vec![
            transact_update(self.application_update(&plan.before, attributes, plan.from())),
            // Expiring with a rejected application's personal data, as its other entries do.
            transact_put(self.history_put(id, &plan.entry, plan.after.expires_at)),
            self.record_put(&key, &plan.record, now),
            transact_put(self.audit_put(&plan.audit)),
        ];
        const IDEMPOTENCY: usize = 2;
        match self.send(items).await? {
            Sent::Done => Ok(Some(plan.outcome())),
            // Another request came first (or this key's twin): look again.
            Sent::Cancelled(reasons) if failed(&reasons, Some(IDEMPOTENCY)) || raced(&reasons) => Ok(None),
            Sent::Cancelled(reasons) => {
                Err(Unavailable(format!("transaction cancelled: {}", cancelled_by(&reasons))))
            }
        }
    }

    pub(super) async fn correct_all(
        &self,
        correction: &CorrectionWrite,
    ) -> Result<CorrectOutcome, Unavailable> {
        for attempt in 0..ATTEMPTS {
            if let Some(outcome) = self.correct_once(correction).await? {
                return Ok(outcome);
            }
            pause(attempt).await;
        }
        Err(Unavailable("transaction conflicts persisted".into()))
    }

    /// An update of one existing history item.
    fn history_update(&self, pk: &str, sk: &str, expression: &str, until: Option<Timestamp>) -> Update {
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(keys(pk, sk)))
            .update_expression(expression)
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", layout::PARTITION_KEY);
        if let Some(until) = until {
            update = update
                .expression_attribute_names("#expires", attr::EXPIRES_AT)
                .expression_attribute_values(":until", n(until.epoch()));
        } else {
            update = update.expression_attribute_names("#message", attr::MESSAGE);
        }
        update.build().expect("complete")
    }

    /// The live application of an application item, or `None` for a tombstone or an expired one.
    pub(super) fn live_from(&self, item: &Item) -> Result<Option<StoredApplication>, Unavailable> {
        if item.contains_key(attr::ERASED_AT) {
            return Ok(None);
        }
        let stored = super::decode_application(item)?;
        Ok((!stored.is_expired(Timestamp::now())).then_some(stored))
    }

    pub(super) async fn decide_all(&self, decision: &DecisionWrite) -> Result<DecideOutcome, Unavailable> {
        for attempt in 0..ATTEMPTS {
            if let Some(outcome) = self.decide_once(decision).await? {
                return Ok(outcome);
            }
            pause(attempt).await;
        }
        Err(Unavailable("transaction conflicts persisted".into()))
    }

    pub(super) async fn record_of(
        &self,
        application_id: ApplicationId,
    ) -> Result<Option<(Record, Vec<HistoryEntry>)>, Unavailable> {
        let now = Timestamp::now().epoch();
        let items = self.application_items(application_id).await?;
        let mut record = None;
        let mut history = Vec::new();
        for item in &items {
            let Some(sk) = string(item, layout::SORT_KEY) else { continue };
            if sk == layout::APPLICATION_SORT_KEY {
                let erased = layout::erased_application_from(|name| string(item, name).map(Into::into))
                    .map_err(|e| Unavailable(format!("unreadable tombstone: {e}")))?;
                record = match erased {
                    Some(erased) => Some(Record::Erased(erased)),
                    None => self.live_from(item)?.map(Record::Live),
                };
            } else if layout::is_history_item(&sk) && !is_expired(item, now) {
                history.push(decode_history(item)?);
            }
        }
        history.sort_by_key(|entry| entry.version);
        Ok(record.map(|record| (record, history)))
    }

    pub(super) async fn history_entry_of(
        &self,
        application_id: ApplicationId,
        version: Version,
    ) -> Result<Option<HistoryEntry>, Unavailable> {
        let item =
            self.get_item(&layout::application_pk(application_id), &layout::history_sk(version)).await?;
        match item {
            Some(item) if !is_expired(&item, Timestamp::now().epoch()) => Ok(Some(decode_history(&item)?)),
            _ => Ok(None),
        }
    }

    /// The applications of one phone number (the `byPhone` index: a few
    /// items, whatever the table's size), as the query lists them.
    async fn by_phone(&self, phone: &str, query: &ListQuery) -> Result<Page, Unavailable> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(layout::PHONE_INDEX)
                .key_condition_expression("#phone = :phone")
                .expression_attribute_names("#phone", layout::PHONE_INDEX_PARTITION_KEY)
                .expression_attribute_values(":phone", s(phone))
                .scan_index_forward(false)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(sdk_unavailable)?;
            for item in output.items() {
                items.extend(self.live_from(item)?.filter(|stored| shows(query, stored)));
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        items.sort_by_key(|stored| {
            std::cmp::Reverse((stored.receipt.received_at, stored.receipt.application_id))
        });
        Ok(page_of(items, query.limit))
    }

    /// The reviewer's check ([`Related`]): the phone's applications from
    /// `byPhone` (whole: the list's phone search needs them so, and a number
    /// has a few), the invoice number's from `byInvoiceNumber` and the
    /// corporate name's from `byCorporateName` (the entries the check shows,
    /// [`layout::RELATED_PROJECTION`]), the three Queries at once. The union's
    /// newest `limit` are among the three parts' own newest `limit`.
    pub(super) async fn related_of(&self, query: &Related) -> Result<Vec<RelatedApplication>, Unavailable> {
        let limit = query.limit.clamp(1, Related::MAX_LIMIT);
        let every_verified = ListQuery {
            status: None,
            search: None,
            from: None,
            to: None,
            limit: ListQuery::MAX_LIMIT,
            cursor: None,
            assignee: None,
        };
        let phone = async {
            let page = self.by_phone(query.phone.as_str(), &every_verified).await?;
            Ok(page.items.iter().map(RelatedApplication::of).filter(|other| query.finds(other)).collect())
        };
        let by = |index, partition, key: Option<String>| async move {
            match key {
                Some(key) => self.related_by(index, partition, &key, query, limit).await,
                None => Ok(Vec::new()),
            }
        };
        let invoice_number = query.invoice_number.as_ref().map(|number| number.as_str().to_owned());
        let (phone, invoice, company) = tokio::try_join!(
            phone,
            by(layout::INVOICE_INDEX, layout::INVOICE_INDEX_PARTITION_KEY, invoice_number),
            by(
                layout::CORPORATE_NAME_INDEX,
                layout::CORPORATE_NAME_INDEX_PARTITION_KEY,
                query.corporate_name.clone()
            ),
        )?;
        let mut found: Vec<RelatedApplication> = Vec::new();
        for other in [phone, invoice, company].into_iter().flatten() {
            if !found.iter().any(|f| f.application_id == other.application_id) {
                found.push(other);
            }
        }
        found.sort_by_key(|other| std::cmp::Reverse((other.received_at, other.application_id)));
        found.truncate(limit);
        Ok(found)
    }

    /// The applications a related index holds under `key` that the check
    /// finds (live, not the one checked), newest first, at most `limit`:
    /// each Query reads at most the entries still wanted and one more (the
    /// application checked may be among them), so a key that hundreds share
    /// costs what `limit` of them do.
    async fn related_by(
        &self,
        index: &str,
        partition: &str,
        key: &str,
        query: &Related,
        limit: usize,
    ) -> Result<Vec<RelatedApplication>, Unavailable> {
        let now = Timestamp::now().epoch();
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression("#key = :key")
                .expression_attribute_names("#key", partition)
                .expression_attribute_values(":key", s(key))
                .scan_index_forward(false)
                .limit(i32::try_from(limit + 1 - found.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(sdk_unavailable)?;
            for item in output.items() {
                if is_expired(item, now) {
                    continue;
                }
                let other = layout::related_application_from(|name| string(item, name).map(Into::into))
                    .map_err(|e| Unavailable(format!("unreadable related entry: {e}")))?;
                if query.finds(&other) {
                    found.push(other);
                }
            }
            start = output.last_evaluated_key;
            if found.len() >= limit || start.is_none() {
                found.truncate(limit);
                return Ok(found);
            }
        }
    }

    /// A name search ([`Search::Text`]) among the verified applications: a
    /// parallel Scan of `nameSearch` ([`SEARCH_SEGMENTS`] segments at once,
    /// each filtered by the text), the entries the query admits sorted newest
    /// first, then the page's applications read whole (BatchGetItem) and
    /// checked again, since an index may lag behind its item. What it reads
    /// grows with the verified applications, by the size of an entry
    /// (`docs/storage.md`), plus a page of whole items.
    async fn search_page(&self, query: &ListQuery, search: &Search) -> Result<Page, Unavailable> {
        let Search::Text { text, reading } = search else {
            return Err(Unavailable("a name search without a text".into()));
        };
        let mut segments = tokio::task::JoinSet::new();
        for segment in 0..SEARCH_SEGMENTS {
            let (store, text, reading) = (self.clone(), text.clone(), reading.clone());
            segments.spawn(async move { store.search_segment(segment, &text, &reading).await });
        }
        let now = Timestamp::now().epoch();
        let mut candidates = Vec::new();
        while let Some(entries) = segments.join_next().await {
            let entries = entries.map_err(|_| Unavailable("a search segment failed".into()))??;
            for item in entries.iter().filter(|item| !is_expired(item, now)) {
                let pk = string(item, layout::PARTITION_KEY).unwrap_or_default();
                let entry = layout::search_entry_from(&pk, |name| string(item, name).map(Into::into))
                    .map_err(|e| Unavailable(format!("unreadable search entry: {e}")))?;
                if query.admits(
                    entry.received_at,
                    entry.application_id,
                    entry.status,
                    entry.assignee.as_ref(),
                ) {
                    candidates.push((entry.received_at, entry.application_id));
                }
            }
        }
        candidates.sort_unstable_by(|a, b| b.cmp(a));
        let limit = query.limit.clamp(1, ListQuery::MAX_LIMIT);
        let mut items = Vec::new();
        let mut rest = candidates.as_slice();
        while items.len() <= limit && !rest.is_empty() {
            let (batch, after) = rest.split_at((limit + 1 - items.len()).min(rest.len()));
            let ids: Vec<ApplicationId> = batch.iter().map(|(_, id)| *id).collect();
            let mut read = self.application_items_of(&ids).await?;
            for id in ids {
                let Some(item) = read.remove(&id) else { continue };
                let Some(stored) = self.live_from(&item)? else { continue };
                let text = string(&item, attr::SEARCH_TEXT).unwrap_or_default();
                if shows(query, &stored) && search.finds_text(&text) {
                    items.push(stored);
                }
            }
            rest = after;
        }
        Ok(page_of(items, limit))
    }

    /// One segment of a name search's Scan: every page of its entries whose
    /// search text holds the text or its reading.
    async fn search_segment(
        &self,
        segment: i32,
        text: &str,
        reading: &str,
    ) -> Result<Vec<Item>, Unavailable> {
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .scan()
                .table_name(&self.table)
                .index_name(layout::SEARCH_INDEX)
                .segment(segment)
                .total_segments(SEARCH_SEGMENTS)
                .filter_expression("contains(#search, :text) OR contains(#search, :reading)")
                .expression_attribute_names("#search", attr::SEARCH_TEXT)
                .expression_attribute_values(":text", s(text))
                .expression_attribute_values(":reading", s(reading))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(sdk_unavailable)?;
            found.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(found);
            }
        }
    }

    /// The application items of `ids`, by id (one missing is left out):
    /// BatchGetItem, 100 keys a request, eventually consistent (half the read
    /// units; what the list shows comes from an index, which is no fresher).
    async fn application_items_of(
        &self,
        ids: &[ApplicationId],
    ) -> Result<std::collections::HashMap<ApplicationId, Item>, Unavailable> {
        let mut found = std::collections::HashMap::new();
        for chunk in ids.chunks(100) {
            let mut wanted = KeysAndAttributes::builder();
            for id in chunk {
                wanted = wanted.keys(keys(&layout::application_pk(*id), layout::APPLICATION_SORT_KEY));
            }
            let mut wanted = Some(wanted.build().expect("keys are set"));
            for attempt in 0..ATTEMPTS {
                let Some(request) = wanted.take() else { break };
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(sdk_unavailable)?;
                for item in output.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default() {
                    if let Some(id) =
                        string(&item, attr::APPLICATION_ID).as_deref().and_then(ApplicationId::parse)
                    {
                        found.insert(id, item);
                    }
                }
                wanted = output.unprocessed_keys.and_then(|mut keys| keys.remove(&self.table));
                if wanted.is_some() {
                    pause(attempt).await;
                }
            }
            if wanted.is_some() {
                return Err(Unavailable("unprocessed keys persisted".into()));
            }
        }
        Ok(found)
    }

    /// The one application an exact search names, if the query lists it.
    async fn exact(&self, pk: String, sk: &str, query: &ListQuery) -> Result<Page, Unavailable> {
        let id = self
            .get_item(&pk, sk)
            .await?
            .filter(|item| !is_expired(item, Timestamp::now().epoch()))
            .and_then(|item| string(&item, attr::APPLICATION_ID))
            .and_then(|id| ApplicationId::parse(&id));
        let stored = match id {
            Some(id) => self.live_application(id).await?,
            None => None,
        };
        let shown = stored.filter(|stored| shows(query, stored));
        Ok(Page { items: shown.into_iter().collect(), next: None })
    }

    pub(super) async fn list_page(&self, query: &ListQuery) -> Result<Page, Unavailable> {
        // The filters of the page's Query, all of which an item must pass.
        let mut terms: Vec<&str> = Vec::new();
        let mut names: Vec<(&str, &str)> = Vec::new();
        let mut filter_values: Vec<(&str, String)> = Vec::new();
        match &query.search {
            Some(Search::ReceptionNumber(number)) => {
                return self.exact(layout::reception_pk(*number), layout::RECEPTION_SORT_KEY, query).await;
            }
            Some(Search::Email(key)) => {
                return self.exact(layout::email_pk(key), layout::EMAIL_SORT_KEY, query).await;
            }
            Some(Search::Phone(phone)) => return self.by_phone(phone.as_str(), query).await,
            // `nameSearch` holds the verified applications; those awaiting
            // verification (a few, for a day) are searched in their status.
            Some(search @ Search::Text { .. }) if query.status.is_none_or(|status| status.is_verified()) => {
                return self.search_page(query, search).await;
            }
            Some(Search::Text { text, reading }) => {
                terms.push("(contains(#search, :text) OR contains(#search, :reading))");
                names.push(("#search", attr::SEARCH_TEXT));
                filter_values.push((":text", text.clone()));
                filter_values.push((":reading", reading.clone()));
            }
            None => {}
        }
        // `?assignee=`: filtered within the same Query (its pages read until
        // the page is full, as a text search's do).
        match &query.assignee {
            Some(AssigneeFilter::Operator(assignee)) => {
                terms.push("#assignee = :assignee");
                names.push(("#assignee", attr::ASSIGNEE));
                filter_values.push((":assignee", assignee.as_str().to_owned()));
            }
            Some(AssigneeFilter::Unassigned) => {
                terms.push("attribute_not_exists(#assignee)");
                names.push(("#assignee", attr::ASSIGNEE));
            }
            None => {}
        }
        let filter = (!terms.is_empty()).then(|| (terms.join(" AND "), names, filter_values));
        let (index, partition_name, partition) = match query.status {
            Some(status) => (layout::STATUS_INDEX, layout::STATUS_INDEX_PARTITION_KEY, status.as_str()),
            None => (layout::RECEIVED_INDEX, layout::RECEIVED_INDEX_PARTITION_KEY, layout::LISTED),
        };
        let mut key_condition = "#part = :part".to_owned();
        let mut values = vec![(":part".to_owned(), s(partition))];
        match (query.from, query.to) {
            (Some(from), Some(to)) => {
                key_condition.push_str(" AND #received BETWEEN :from AND :to");
                values.push((":from".into(), s(&from.to_string())));
                values.push((":to".into(), s(&to.plus_secs(-1).to_string())));
            }
            (Some(from), None) => {
                key_condition.push_str(" AND #received >= :from");
                values.push((":from".into(), s(&from.to_string())));
            }
            (None, Some(to)) => {
                key_condition.push_str(" AND #received < :to");
                values.push((":to".into(), s(&to.to_string())));
            }
            (None, None) => {}
        }
        let limit = query.limit.clamp(1, ListQuery::MAX_LIMIT);
        let mut start = query.cursor.map(|cursor| {
            let mut key = keys(&layout::application_pk(cursor.application_id), layout::APPLICATION_SORT_KEY);
            key.insert(partition_name.to_owned(), s(partition));
            key.insert(attr::RECEIVED_AT.to_owned(), s(&cursor.received_at.to_string()));
            key
        });
        let mut items: Vec<StoredApplication> = Vec::new();
        loop {
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression(&key_condition)
                .expression_attribute_names("#part", partition_name)
                .scan_index_forward(false)
                .set_exclusive_start_key(start);
            for (name, value) in &values {
                request = request.expression_attribute_values(name, value.clone());
            }
            if query.from.is_some() || query.to.is_some() {
                request = request.expression_attribute_names("#received", attr::RECEIVED_AT);
            }
            if let Some((expression, names, filter_values)) = &filter {
                request = request.filter_expression(expression);
                for (placeholder, name) in names {
                    request = request.expression_attribute_names(*placeholder, *name);
                }
                for (placeholder, value) in filter_values {
                    request = request.expression_attribute_values(*placeholder, s(value));
                }
            } else {
                request = request.limit(i32::try_from(limit + 1 - items.len()).unwrap_or(i32::MAX));
            }
            let output = request.send().await.map_err(sdk_unavailable)?;
            for item in output.items() {
                if let Some(stored) = self.live_from(item)? {
                    items.push(stored);
                }
                if items.len() > limit {
                    break;
                }
            }
            start = output.last_evaluated_key;
            if items.len() > limit || start.is_none() {
                break;
            }
        }
        Ok(page_of(items, limit))
    }

    /// The live items of one status: a counting Query (`Select: COUNT`) on
    /// `byStatus`, the expired filtered out, page by page (each 1 MB read).
    /// Tombstones have no `status`, so the index holds none. Returns the
    /// count and the items the Query read. For the uncounted status (and
    /// `xtask recount`, with `live` false: every item still stored).
    pub async fn count_of(&self, status: Status, now: i64, live: bool) -> Result<(u64, u64), Unavailable> {
        let (mut count, mut read) = (0, 0);
        let mut start = None;
        loop {
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(layout::STATUS_INDEX)
                .key_condition_expression("#status = :status")
                .expression_attribute_names("#status", layout::STATUS_INDEX_PARTITION_KEY)
                .expression_attribute_values(":status", s(status.as_str()))
                .select(Select::Count)
                .set_exclusive_start_key(start);
            if live {
                request = request
                    .filter_expression("attribute_not_exists(#expires) OR #expires >= :now")
                    .expression_attribute_names("#expires", attr::EXPIRES_AT)
                    .expression_attribute_values(":now", n(now));
            }
            let output = request.send().await.map_err(sdk_unavailable)?;
            count += u64::try_from(output.count()).unwrap_or(0);
            read += u64::try_from(output.scanned_count()).unwrap_or(0);
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok((count, read));
            }
        }
    }

    /// The counted statuses' counter items, one strongly consistent BatchGetItem.
    async fn counters(&self) -> Result<StatusCounts, Unavailable> {
        let mut wanted = aws_sdk_dynamodb::types::KeysAndAttributes::builder().consistent_read(true);
        for status in Status::ALL.into_iter().filter(|status| plan::counted(*status)) {
            wanted = wanted.keys(keys(&layout::status_count_pk(status), layout::STATUS_COUNT_SORT_KEY));
        }
        let mut wanted = Some(wanted.build().expect("keys are set"));
        let mut counts = StatusCounts::default();
        for attempt in 0..ATTEMPTS {
            let Some(request) = wanted.take() else { break };
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await
                .map_err(sdk_unavailable)?;
            for item in output.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default() {
                let status = string(&item, layout::PARTITION_KEY)
                    .and_then(|pk| pk.strip_prefix(layout::STATUS_COUNT_PREFIX).and_then(Status::parse));
                let count = string(&item, attr::COUNT).and_then(|count| count.parse::<i64>().ok());
                let (Some(status), Some(count)) = (status, count) else {
                    return Err(Unavailable("unreadable count item".into()));
                };
                counts.set(status, u64::try_from(count).unwrap_or(0));
            }
            wanted = output.unprocessed_keys.and_then(|mut keys| keys.remove(&self.table));
            if wanted.is_some() {
                pause(attempt).await;
            }
        }
        if wanted.is_some() {
            return Err(Unavailable("unprocessed keys persisted".into()));
        }
        Ok(counts)
    }

    /// The `sk`s of the due items whose time has passed at `now`, oldest
    /// first (at most about `limit`: whole pages), and the items read. Only
    /// their keys are read: the key says it all.
    pub(super) async fn past_due_keys(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<(Vec<String>, u64), Unavailable> {
        let mut keys = Vec::new();
        let mut read = 0;
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk AND #sk < :now")
                .expression_attribute_names("#pk", layout::PARTITION_KEY)
                .expression_attribute_names("#sk", layout::SORT_KEY)
                .expression_attribute_values(":pk", s(layout::DUE_PARTITION))
                .expression_attribute_values(":now", s(&layout::due_before(now)))
                .projection_expression("#sk")
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(sdk_unavailable)?;
            read += u64::try_from(output.scanned_count()).unwrap_or(0);
            keys.extend(output.items().iter().filter_map(|item| string(item, layout::SORT_KEY)));
            start = output.last_evaluated_key;
            if start.is_none() || keys.len() >= limit {
                return Ok((keys, read));
            }
        }
    }

    /// The due items whose time has passed at `now`, by status: applications
    /// still in their counter but no longer live.
    pub(crate) async fn due_by(&self, now: Timestamp) -> Result<(StatusCounts, u64), Unavailable> {
        let (keys, read) = self.past_due_keys(now, usize::MAX).await?;
        let mut due = StatusCounts::default();
        for status in keys.iter().filter_map(|sk| layout::due_status_of(sk)) {
            due.add(status, 1);
        }
        Ok((due, read))
    }

    /// Every status's count and the items read for it: the counted statuses'
    /// counter items less their due items whose time has passed, and the
    /// uncounted status's live items, all at once.
    pub async fn counts_and_reads(&self) -> Result<(StatusCounts, u64), Unavailable> {
        let now = Timestamp::now();
        let uncounted = Status::ALL.into_iter().filter(|status| !plan::counted(*status));
        let (counters, due, uncounted) = tokio::try_join!(self.counters(), self.due_by(now), async {
            let mut counted = Vec::new();
            for status in uncounted {
                counted.push((status, self.count_of(status, now.epoch(), true).await?));
            }
            Ok::<_, Unavailable>(counted)
        },)?;
        let (due, mut read) = due;
        read += counters.iter().filter(|(status, _)| plan::counted(*status)).count() as u64;
        let mut counts = StatusCounts::default();
        for (status, count) in counters.iter() {
            counts.set(status, count.saturating_sub(due.get(status)));
        }
        for (status, (count, scanned)) in uncounted {
            counts.set(status, count);
            read += scanned;
        }
        Ok((counts, read))
    }

    /// [`crate::store::Tooling::recount`]: every counted status's items read
    /// from `byStatus` (expired ones too: they stay counted until a plan
    /// deletes them), the due items made to match them, then the counters
    /// written (a Put each: running it twice writes the same).
    pub(crate) async fn recount_all(&self) -> Result<Recounted, Unavailable> {
        let before = self.counters().await?;
        let mut after = StatusCounts::default();
        let mut wanted = std::collections::BTreeSet::new();
        for status in Status::ALL.into_iter().filter(|status| plan::counted(*status)) {
            let mut start = None;
            loop {
                let output = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .index_name(layout::STATUS_INDEX)
                    .key_condition_expression("#status = :status")
                    .expression_attribute_names("#status", layout::STATUS_INDEX_PARTITION_KEY)
                    .expression_attribute_names("#id", attr::APPLICATION_ID)
                    .expression_attribute_names("#expires", attr::EXPIRES_AT)
                    .expression_attribute_values(":status", s(status.as_str()))
                    .projection_expression("#id, #expires")
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .map_err(sdk_unavailable)?;
                for item in output.items() {
                    after.add(status, 1);
                    let id = string(item, attr::APPLICATION_ID).as_deref().and_then(ApplicationId::parse);
                    let at = string(item, attr::EXPIRES_AT).and_then(|at| at.parse::<i64>().ok());
                    if let (Some(id), Some(at)) = (id, at.and_then(Timestamp::from_epoch)) {
                        wanted.insert(layout::due_sk(at, status, id));
                    }
                }
                start = output.last_evaluated_key;
                if start.is_none() {
                    break;
                }
            }
        }
        // Every due item there is (its time passed or not), against those wanted.
        let mut present = std::collections::BTreeSet::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", layout::PARTITION_KEY)
                .expression_attribute_names("#sk", layout::SORT_KEY)
                .expression_attribute_values(":pk", s(layout::DUE_PARTITION))
                .projection_expression("#sk")
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(sdk_unavailable)?;
            present.extend(output.items().iter().filter_map(|item| string(item, layout::SORT_KEY)));
            start = output.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        for sk in wanted.difference(&present) {
            let item = keys(layout::DUE_PARTITION, sk);
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .send()
                .await
                .map_err(sdk_unavailable)?;
        }
        for sk in present.difference(&wanted) {
            self.client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(keys(layout::DUE_PARTITION, sk)))
                .send()
                .await
                .map_err(sdk_unavailable)?;
        }
        for (status, count) in after.iter().filter(|(status, _)| plan::counted(*status)) {
            let mut item = keys(&layout::status_count_pk(status), layout::STATUS_COUNT_SORT_KEY);
            item.insert(attr::COUNT.to_owned(), n(i64::try_from(count).unwrap_or(i64::MAX)));
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .send()
                .await
                .map_err(sdk_unavailable)?;
        }
        Ok(Recounted { before, after })
    }

    /// Gives every verified application the keys of the indexes that hold
    /// verified applications only and its search text, as the layout writes
    /// them now ([`layout::listed_attributes`], [`layout::search_text`]), where
    /// they are missing or stale: for a stack deployed before
    /// `byInvoiceNumber`, `byCorporateName` and `nameSearch` (`docs/deploy.md`),
    /// whose earlier applications the related check and the name search would
    /// not find. A Scan of the table (a one-off), then an UpdateItem for each
    /// that differs, under the version read: one that a plan changed meanwhile
    /// was given its keys by that plan, and is left as it is. Returns how many
    /// were written; a second run writes none.
    pub async fn relist(&self) -> Result<u64, Unavailable> {
        let mut written = 0;
        let mut start = None;
        loop {
            let output = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("#sk = :application AND attribute_exists(#status)")
                .expression_attribute_names("#sk", layout::SORT_KEY)
                .expression_attribute_names("#status", attr::STATUS)
                .expression_attribute_values(":application", s(layout::APPLICATION_SORT_KEY))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(sdk_unavailable)?;
            for item in output.items() {
                let stored = super::decode_application(item)?;
                if !stored.status.is_verified() {
                    continue;
                }
                let mut wanted = layout::listed_attributes(&stored);
                wanted.push((attr::SEARCH_TEXT, Some(Value::Text(layout::search_text(&stored.application)))));
                let stale = wanted
                    .iter()
                    .any(|(name, value)| string(item, name).as_deref() != value.as_ref().map(Value::as_str));
                if !stale {
                    continue;
                }
                let update = self.application_update(&stored, wanted, &[stored.status]);
                let result = self
                    .client
                    .update_item()
                    .table_name(update.table_name())
                    .set_key(Some(update.key().clone()))
                    .update_expression(update.update_expression())
                    .set_condition_expression(update.condition_expression().map(str::to_owned))
                    .set_expression_attribute_names(update.expression_attribute_names().cloned())
                    .set_expression_attribute_values(update.expression_attribute_values().cloned())
                    .send()
                    .await;
                match result {
                    Ok(_) => written += 1,
                    // Changed since the Scan: its own write gave it its keys.
                    Err(aws_sdk_dynamodb::error::SdkError::ServiceError(context))
                        if context.err().is_conditional_check_failed_exception() => {}
                    Err(other) => return Err(sdk_unavailable(other)),
                }
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(written);
            }
        }
    }

    pub(super) async fn status_counts(&self) -> Result<StatusCounts, Unavailable> {
        Ok(self.counts_and_reads().await?.0)
    }

    async fn erase_once(&self, erasure: &Erasure) -> Result<Option<EraseOutcome>, Unavailable> {
        let id = erasure.application_id;
        let items = self.application_items(id).await?;
        let item = items
            .iter()
            .find(|item| string(item, layout::SORT_KEY).as_deref() == Some(layout::APPLICATION_SORT_KEY));
        let tombstone = item
            .map(|item| layout::erased_application_from(|name| string(item, name).map(Into::into)))
            .transpose()
            .map_err(|e| Unavailable(format!("unreadable tombstone: {e}")))?
            .flatten();
        let application = match item {
            Some(item) if tombstone.is_none() => self.live_from(item)?,
            _ => None,
        };
        // The address's reservation lists the notices made for it.
        let email_key = item.and_then(|item| string(item, attr::EMAIL_KEY));
        let email_pk = email_key.as_ref().map(|key| format!("{}{key}", layout::EMAIL_PREFIX));
        let mut notices = Vec::new();
        if application.is_some()
            && let Some(email_pk) = &email_pk
            && let Some(reservation) = self.get_item(email_pk, layout::EMAIL_SORT_KEY).await?
            && string(&reservation, attr::APPLICATION_ID) == Some(id.to_string())
            && let Some(AttributeValue::Ss(ids)) = reservation.get(attr::NOTICES)
        {
            notices.extend(ids.iter().filter_map(|id| NoticeId::parse(id)));
        }
        let now = erasure.at.epoch();
        let history: Vec<Version> =
            Self::history_keys(&items, now).iter().filter_map(|sk| layout::history_version_of(sk)).collect();
        let documents = Self::documents_in(&items)?.into_iter().map(|d| d.document_id).collect();
        let notes = Self::note_ids_in(&items);
        let mails = Self::mail_ids_in(&items);
        let read = plan::ErasureRead { application, tombstone, history, notices, documents, notes, mails };
        let plan = match plan::erase(erasure, read) {
            Ok(plan) => plan,
            Err(outcome) => return Ok(Some(outcome)),
        };
        let pk = layout::application_pk(id);
        // What does not fit the erasure's own transaction (100 items) goes
        // first, in transactions of its own: each only removes (a message, a
        // notice), so an erasure interrupted between them and asked again
        // finishes, and nothing is left that the last one would have taken.
        let mut removals: Vec<TransactWriteItem> = plan
            .notices
            .iter()
            .map(|notice| self.delete(&layout::notice_pk(*notice), layout::NOTICE_SORT_KEY))
            .chain(plan.documents.iter().map(|document| self.delete(&pk, &layout::document_sk(*document))))
            .chain(plan.notes.iter().map(|note| self.delete(&pk, &layout::note_sk(*note))))
            .chain(plan.mails.iter().map(|mail| self.delete(&pk, &layout::mail_sk(mail))))
            .chain(plan.clear_messages.iter().map(|version| {
                let sk = layout::history_sk(*version);
                transact_update(self.history_update(&pk, &sk, "REMOVE #message", None))
            }))
            .collect();
        while removals.len() > REMOVALS_PER_TRANSACTION {
            let batch: Vec<TransactWriteItem> = removals.drain(..REMOVALS_PER_TRANSACTION).collect();
            if let Sent::Cancelled(reasons) = self.send(batch).await? {
                return if raced(&reasons) {
                    Ok(None)
                } else {
                    Err(Unavailable(format!("transaction cancelled: {}", cancelled_by(&reasons))))
                };
            }
        }
        // The tombstone replaces the whole item: every field and marker goes.
        let tombstone = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item_of(
                &pk,
                layout::APPLICATION_SORT_KEY,
                layout::tombstone_attributes(&plan.tombstone),
            )))
            .condition_expression("#version = :version AND attribute_not_exists(#erased)")
            .expression_attribute_names("#version", attr::VERSION)
            .expression_attribute_names("#erased", attr::ERASED_AT)
            .expression_attribute_values(":version", n(i64::from(plan.before.version.get())))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::None)
            .build()
            .expect("complete");
        let mut writes = vec![
            transact_put(tombstone),
            transact_put(self.history_put(id, &plan.entry, None)),
            transact_put(self.audit_put(&plan.audit)),
        ];
        if let Some(email_pk) = email_pk {
            let delete = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(keys(&email_pk, layout::EMAIL_SORT_KEY)))
                .condition_expression("attribute_not_exists(#pk) OR #id = :id")
                .expression_attribute_names("#pk", layout::PARTITION_KEY)
                .expression_attribute_names("#id", attr::APPLICATION_ID)
                .expression_attribute_values(":id", s(&id.to_string()))
                .build()
                .expect("complete");
            writes.push(TransactWriteItem::builder().delete(delete).build());
        }
        writes.push(self.delete(&layout::token_pk(&plan.token), layout::TOKEN_SORT_KEY));
        writes.extend(removals);
        writes.extend(self.count_updates(&plan.count_changes()));
        writes.extend(self.due_writes(id, plan::due(&plan.before), None));
        match self.send(writes).await? {
            Sent::Done => Ok(Some(plan.outcome())),
            Sent::Cancelled(reasons) if raced(&reasons) => Ok(None),
            Sent::Cancelled(reasons) => {
                Err(Unavailable(format!("transaction cancelled: {}", cancelled_by(&reasons))))
            }
        }
    }

    pub(super) async fn erase_all(&self, erasure: &Erasure) -> Result<EraseOutcome, Unavailable> {
        for attempt in 0..ATTEMPTS {
            if let Some(outcome) = self.erase_once(erasure).await? {
                return Ok(outcome);
            }
            pause(attempt).await;
        }
        Err(Unavailable("transaction conflicts persisted".into()))
    }

    pub(super) async fn append_audit_entry(&self, entry: &AuditEntry) -> Result<(), Unavailable> {
        let put = self.audit_put(entry);
        self.client
            .put_item()
            .table_name(put.table_name())
            .set_item(Some(put.item().clone()))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", layout::PARTITION_KEY)
            .send()
            .await
            .map_err(sdk_unavailable)?;
        Ok(())
    }

    pub(super) async fn audit_page(
        &self,
        before: Option<AuditId>,
        limit: usize,
    ) -> Result<AuditPage, Unavailable> {
        let limit = limit.clamp(1, ListQuery::MAX_LIMIT);
        let start = before.map(|id| keys(layout::AUDIT_PARTITION, &id.to_string()));
        let output = self
            .client
            .query()
            .table_name(&self.audit_table)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", layout::PARTITION_KEY)
            .expression_attribute_values(":pk", s(layout::AUDIT_PARTITION))
            .scan_index_forward(false)
            .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(sdk_unavailable)?;
        let mut entries = Vec::new();
        for item in output.items() {
            let id = string(item, layout::SORT_KEY).unwrap_or_default();
            entries.push(
                layout::audit_entry_from(&id, |name| string(item, name).map(Into::into))
                    .map_err(|e| Unavailable(format!("unreadable audit entry: {e}")))?,
            );
        }
        let next = if entries.len() > limit {
            entries.truncate(limit);
            entries.last().map(|entry| entry.id)
        } else {
            None
        };
        Ok(AuditPage { entries, next })
    }
}

pub(super) fn decode_history(item: &Item) -> Result<HistoryEntry, Unavailable> {
    layout::history_entry_from(|name| string(item, name).map(Into::into))
        .map_err(|e| Unavailable(format!("unreadable history item: {e}")))
}

/// Whether `query` lists `stored` (the exact searches filter here what the
/// list's Query conditions would).
fn shows(query: &ListQuery, stored: &StoredApplication) -> bool {
    query.admits(
        stored.receipt.received_at,
        stored.receipt.application_id,
        stored.status,
        stored.assignee.as_ref(),
    )
}

/// The first `limit` of `items` (newest first) and the cursor after them.
fn page_of(mut items: Vec<StoredApplication>, limit: usize) -> Page {
    let limit = limit.clamp(1, ListQuery::MAX_LIMIT);
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(Cursor::after)
    } else {
        None
    };
    Page { items, next }
}

#[async_trait]
impl Review for DynamoStore {
    async fn decide(&self, decision: &DecisionWrite) -> Result<DecideOutcome, Unavailable> {
        self.decide_all(decision).await
    }

    async fn correct(&self, correction: &CorrectionWrite) -> Result<CorrectOutcome, Unavailable> {
        self.correct_all(correction).await
    }

    async fn record(
        &self,
        application_id: ApplicationId,
    ) -> Result<Option<(Record, Vec<HistoryEntry>)>, Unavailable> {
        self.record_of(application_id).await
    }

    async fn list(&self, query: &ListQuery) -> Result<Page, Unavailable> {
        self.list_page(query).await
    }

    async fn count_by_status(&self) -> Result<StatusCounts, Unavailable> {
        self.status_counts().await
    }

    async fn related(&self, query: &Related) -> Result<Vec<RelatedApplication>, Unavailable> {
        self.related_of(query).await
    }

    async fn erase(&self, erasure: &Erasure) -> Result<EraseOutcome, Unavailable> {
        self.erase_all(erasure).await
    }

    async fn append_audit(&self, entry: &AuditEntry) -> Result<(), Unavailable> {
        self.append_audit_entry(entry).await
    }

    async fn audit_log(&self, before: Option<AuditId>, limit: usize) -> Result<AuditPage, Unavailable> {
        self.audit_page(before, limit).await
    }
}
