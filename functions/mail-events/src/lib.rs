//! The mail-events function: SES's delivery events (DELIVERY, BOUNCE,
//! COMPLAINT, REJECT, DELIVERY_DELAY), which the configuration set publishes
//! to EventBridge and a rule sends here, recorded on the mail they are about.
//!
//! The mail is found by the SES message tags notify sent it with (its
//! application and its [`shared::domain::MailId`]): one conditional write of
//! that record, no scan and no read ([`plan::delivery`] decides what it
//! changes; the store only carries it out). An event that names no tracked
//! mail, or a mail that is gone, resent or already further along, is logged
//! by its ids and reason only and otherwise ignored: the events quote the
//! recipient's address and the receiving server's diagnostic, and nothing of
//! that is read. A store that cannot be reached fails the invocation, and
//! EventBridge retries it (then its dead-letter queue keeps it).

use lambda_runtime::{Error, LambdaEvent};
use shared::mail::ses_event;
use shared::store::{Deliveries, DeliveryOutcome, Unavailable, plan};

/// What the handler needs, built once per cold start.
pub struct Deps {
    pub store: Box<dyn Deliveries>,
}

/// Records one EventBridge event of SES.
pub async fn handle(deps: &Deps, event: LambdaEvent<serde_json::Value>) -> Result<(), Error> {
    record(&*deps.store, &event.payload).await?;
    Ok(())
}

/// Reads `event` and carries out what it says: the function's whole work,
/// which the local server runs too (`POST /local/ses-events`).
///
/// An event that is not a delivery event of a tracked mail is
/// [`DeliveryOutcome::Ignored`] too, as one for a mail that is gone.
pub async fn record(
    store: &dyn Deliveries,
    event: &serde_json::Value,
) -> Result<DeliveryOutcome, Unavailable> {
    let report = match ses_event::report(event) {
        Ok(report) => report,
        Err(ignored) => {
            tracing::info!(reason = %ignored, "SES event ignored");
            return Ok(DeliveryOutcome::Ignored);
        }
    };
    let update = plan::delivery(&report);
    let application = report.application_id.to_string();
    let outcome = store.record_delivery(&update).await?;
    match outcome {
        DeliveryOutcome::Recorded => {
            tracing::info!(
                %application,
                mail = %report.mail_id,
                status = report.status.as_str(),
                flagged = update.flags_problem,
                "delivery status recorded"
            );
        }
        DeliveryOutcome::Ignored => {
            tracing::info!(
                %application,
                mail = %report.mail_id,
                status = report.status.as_str(),
                "SES event ignored: no such mail for that message, or it is already that far"
            );
        }
    }
    Ok(outcome)
}
