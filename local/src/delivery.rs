//! Mail spawning: each stored event's mails are delivered in a task of their
//! own, tracked so that shutdown waits for them. Here the local server stands
//! where the table's stream and the notify function stand on AWS; the delivery
//! policy itself is `shared::mail::deliver`, the same as there.
//!
//! Deliveries of one event run one after the other: a replayed request hands
//! its event over again while the first delivery may still be sending, and
//! two deliveries that both read "not sent" would both send. (On AWS the
//! stream delivers one shard's records in order, one batch at a time.)

use shared::keyed::IdentifierKey;
use shared::mail::{self, MailConfig, MailEvent, Mailer, Postman};
use shared::store::Store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio_util::task::TaskTracker;

/// One lock per event being delivered, gone when no delivery holds or waits for it.
type InFlight = Arc<Mutex<HashMap<MailEvent, Arc<tokio::sync::Mutex<()>>>>>;

/// What mails are delivered with, shared by the deliveries in flight.
#[derive(Clone)]
pub(crate) struct Delivery {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) mailer: Arc<dyn Mailer>,
    pub(crate) config: Arc<MailConfig>,
    pub(crate) key: Arc<IdentifierKey>,
    pub(crate) tasks: TaskTracker,
    pub(crate) in_flight: InFlight,
}

impl Delivery {
    /// Delivers the mails of `event` in the background (tracked, so shutdown
    /// waits), after any delivery of the same event still running.
    pub(crate) fn spawn(&self, event: MailEvent) {
        let delivery = self.clone();
        self.tasks.spawn(async move {
            let turn = Arc::clone(
                delivery.in_flight.lock().unwrap_or_else(|p| p.into_inner()).entry(event).or_default(),
            );
            {
                let _turn = turn.lock().await;
                let postman = Postman {
                    store: &*delivery.store,
                    mailer: &*delivery.mailer,
                    config: &delivery.config,
                    key: &delivery.key,
                };
                if let Err(error) = mail::deliver(&postman, event).await {
                    tracing::error!(subject = %event.subject(), %error, "mail delivery failed");
                }
            }
            let mut in_flight = delivery.in_flight.lock().unwrap_or_else(|p| p.into_inner());
            // The map's and this task's: nobody else waits for this event.
            if Arc::strong_count(&turn) == 2 {
                in_flight.remove(&event);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_trait::async_trait;
    use shared::mail::{Mail, OutboxMailer, SendError};
    use shared::store::Intake;
    use shared::store::sqlite::SqliteStore;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// The outbox, slowly, counting what it sent.
    struct Slow {
        outbox: OutboxMailer,
        sent: AtomicUsize,
    }

    #[async_trait]
    impl Mailer for Slow {
        async fn send(&self, mail: &Mail) -> Result<String, SendError> {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            self.sent.fetch_add(1, Ordering::SeqCst);
            self.outbox.send(mail).await
        }
    }

    #[tokio::test]
    async fn an_event_handed_over_twice_at_once_is_mailed_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open_dir(dir.path()).unwrap());
        let key = IdentifierKey::for_tests();
        let application = {
            use serde::Deserialize;
            let value = test_support::seed_application();
            let raw = shared::domain::RawApplication::deserialize(&value).unwrap();
            shared::domain::Application::parse(&raw).unwrap().application
        };
        let submission = test_support::submission(&key, application, 3600);
        let shared::store::SubmitOutcome::Created { event, .. } = store.submit(&submission).await.unwrap()
        else {
            panic!("created")
        };
        let mailer = Arc::new(Slow { outbox: OutboxMailer::new(dir.path()), sent: AtomicUsize::new(0) });
        let delivery = Delivery {
            store,
            mailer: mailer.clone(),
            config: Arc::new(
                MailConfig::from_lookup(mail::pairs(&[
                    (mail::ENV_PUBLIC_BASE_URL, "http://127.0.0.1:8080"),
                    (mail::ENV_FROM, "desk@example.com"),
                    (mail::ENV_REPLY_TO, "desk@example.com"),
                    (mail::ENV_OPERATOR, "operator@example.com"),
                ]))
                .unwrap(),
            ),
            key: Arc::new(key),
            tasks: TaskTracker::new(),
            in_flight: InFlight::default(),
        };
        // A request and its replay: the same event, twice, at once.
        delivery.spawn(event);
        delivery.spawn(event);
        delivery.tasks.close();
        delivery.tasks.wait().await;
        assert_eq!(mailer.sent.load(Ordering::SeqCst), 1, "one verification mail");
        assert!(delivery.in_flight.lock().unwrap().is_empty(), "nothing left in flight");
    }
}
