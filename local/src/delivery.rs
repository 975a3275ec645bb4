//! Mail spawning: each stored event's mails are delivered in a task of their
//! own, tracked so that shutdown waits for them. Here the local server stands
//! where the table's stream and the notify function stand on AWS; the delivery
//! policy itself is `shared::mail::deliver`, the same as there.

use shared::keyed::IdentifierKey;
use shared::mail::{self, MailConfig, MailEvent, Mailer, Postman};
use shared::store::Store;
use std::sync::Arc;
use tokio_util::task::TaskTracker;

/// What mails are delivered with, shared by the deliveries in flight.
#[derive(Clone)]
pub(crate) struct Delivery {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) mailer: Arc<dyn Mailer>,
    pub(crate) config: Arc<MailConfig>,
    pub(crate) key: Arc<IdentifierKey>,
    pub(crate) tasks: TaskTracker,
}

impl Delivery {
    /// Delivers the mails of `event` in the background (tracked, so shutdown waits).
    pub(crate) fn spawn(&self, event: MailEvent) {
        let delivery = self.clone();
        self.tasks.spawn(async move {
            let postman = Postman {
                store: &*delivery.store,
                mailer: &*delivery.mailer,
                config: &delivery.config,
                key: &delivery.key,
            };
            if let Err(error) = mail::deliver(&postman, event).await {
                tracing::error!(subject = %event.subject(), %error, "mail delivery failed");
            }
        });
    }
}
