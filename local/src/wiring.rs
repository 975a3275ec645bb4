//! Wiring: the store, the key and the mailer of the configured backend, and
//! the functions' handlers built on them, once per start. The only module that
//! knows both backends; the handlers it builds are the Lambda binaries' own.

use crate::config::{Backend, Config};
use crate::delivery::Delivery;
use crate::files::private_database;
use crate::operators;
use crate::purge::{Retention, purge_expired};
use shared::aws::load_sdk_config;
use shared::documents::local::LocalFiles;
use shared::documents::s3::S3Files;
use shared::documents::{Kept, Uploads};
use shared::keyed::IdentifierKey;
use shared::mail::{self, MailConfig, Mailer, OutboxMailer, SesMailer};
use shared::store::Store;
use shared::store::dynamodb::{DynamoStore, create_table};
use shared::store::sqlite::SqliteStore;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::task::TaskTracker;

/// Sender settings for local runs, unless the environment sets them
/// (`MAIL_FROM`, `MAIL_REPLY_TO`, `MAIL_OPERATOR`, …, as on Lambda).
const LOCAL_MAIL_DEFAULTS: [(&str, &str); 4] = [
    (mail::ENV_FROM, "partner-desk@example.com"),
    (mail::ENV_FROM_NAME, "パートナー登録窓口"),
    (mail::ENV_REPLY_TO, "partner-desk@example.com"),
    (mail::ENV_OPERATOR, "operator@example.com"),
];

/// The functions' handlers with their dependencies, built once.
pub(crate) struct Functions {
    pub(crate) submit: submit::Handler,
    pub(crate) admin: admin::Handler,
    pub(crate) documents: documents::Handler,
    /// The embedded backend's file store, which is also the upload target
    /// (on the AWS backend the bucket is).
    pub(crate) files: Option<LocalFiles>,
    pub(crate) body_read_timeout: Duration,
    pub(crate) operators: Arc<operators::api::Operators>,
    /// The mail records, for the SES events fed in (`router::SES_EVENTS`).
    pub(crate) deliveries: Arc<dyn shared::store::Deliveries>,
}

/// What the server was started with, to tell the person who started it.
#[derive(Debug, Clone)]
pub struct Locations {
    pub applications: String,
    pub mails: String,
}

/// After an erasure: the application's mails leave the outbox at once, and
/// so do those of the notices the erasure deleted with it. A failure is
/// logged (no file name: it carries an id, not personal data, but the kind of
/// error is all an operator needs); the next purge sweeps what is left.
fn forget_erased(outbox: OutboxMailer, store: Arc<dyn Store>) -> admin::AfterErasure {
    Arc::new(move |application_id| {
        let (outbox, store) = (outbox.clone(), Arc::clone(&store));
        Box::pin(async move {
            match outbox.forget(application_id) {
                Ok(mails) => tracing::info!(mails, "erased application's mails deleted"),
                Err(error) => {
                    tracing::warn!(error = %error.kind(), "deleting an erased application's mails failed")
                }
            }
            if let Err(error) = outbox.sweep(store.as_ref(), true).await {
                tracing::warn!(%error, "sweeping the notices' mails failed");
            }
        })
    })
}

/// Builds the store, the key and the mailer for `backend`, and a submit
/// handler that delivers the mails through the shared delivery policy after
/// each stored event (on AWS the table's stream does that, in the notify
/// function). Mails that a previous run stored but did not send go out now.
pub(crate) async fn functions(
    config: &Config,
    public_base_url: &str,
    deliveries: &TaskTracker,
    operators: operators::api::Operators,
) -> anyhow::Result<(Functions, Locations, Option<JoinHandle<()>>)> {
    let defaults = mail::pairs(&LOCAL_MAIL_DEFAULTS);
    let mail_config = MailConfig::from_lookup(|name| {
        std::env::var(name)
            .ok()
            .or_else(|| defaults(name))
            .or_else(|| (name == mail::ENV_PUBLIC_BASE_URL).then(|| public_base_url.to_owned()))
    })?;
    let mut purger = None;
    let mut outbox = None;
    let mut local_files = None;
    #[allow(clippy::type_complexity)] // one tuple, taken apart at once
    let (store, mailer, key, locations, files): (
        Arc<dyn Store>,
        Arc<dyn Mailer>,
        IdentifierKey,
        Locations,
        (Arc<dyn Uploads>, Arc<dyn Kept>),
    ) = match config.backend {
        Backend::Embedded => {
            private_database(&config.data_dir)?;
            let store = Arc::new(SqliteStore::open_dir(&config.data_dir)?);
            let mailer = OutboxMailer::new(&config.data_dir);
            let key = IdentifierKey::load_or_create(&config.data_dir)?;
            let retention = Retention {
                key: key.clone(),
                policy: shared::store::retention::Policy {
                    undecided: config.undecided_retention,
                    documents_days: config.document_retention_days,
                },
            };
            let files = LocalFiles::open(&config.data_dir)?;
            purger = Some(
                purge_expired(
                    Arc::clone(&store),
                    mailer.clone(),
                    files.clone(),
                    retention,
                    config.purge_every,
                )
                .await?,
            );
            local_files = Some(files.clone());
            let files = Arc::new(files);
            outbox = Some(mailer.clone());
            let locations = Locations {
                applications: store.path().display().to_string(),
                mails: mailer.dir().display().to_string(),
            };
            (store, Arc::new(mailer), key, locations, (files.clone(), files))
        }
        Backend::Aws => {
            let sdk = load_sdk_config().await.map_err(anyhow::Error::msg)?;
            let store = DynamoStore::from_env(&sdk).map_err(anyhow::Error::msg)?;
            let exists = store.client().describe_table().table_name(store.table()).send().await.is_ok();
            if config.create_table && !exists {
                create_table(store.client(), store.table()).await?;
            }
            // The deployed key when the secret is named, else the data directory's.
            let key = if std::env::var(shared::keyed::SECRET_ENV).is_ok_and(|name| !name.is_empty()) {
                shared::keyed::from_secrets_manager(&sdk).await?
            } else {
                IdentifierKey::load_or_create(&config.data_dir)?
            };
            let mailer = SesMailer::from_sdk(&sdk, mail_config.configuration_set.clone());
            let bucket = std::env::var(shared::documents::settings::ENV_BUCKET)
                .unwrap_or_else(|_| format!("{}-documents", store.table()));
            let client = S3Files::client(&sdk);
            if config.create_table && client.head_bucket().bucket(&bucket).send().await.is_err() {
                S3Files::create_bucket(&client, &bucket).await?;
            }
            let files = Arc::new(S3Files::new(client, bucket, config.admin_settings.malware_scanning));
            let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| "AWS".to_owned());
            let locations = Locations {
                applications: format!("DynamoDB table {} at {endpoint}", store.table()),
                mails: format!("SES v2 at {endpoint}"),
            };
            (Arc::new(store), Arc::new(mailer), key, locations, (files.clone(), files))
        }
    };
    let (uploads, kept) = files;
    let key = Arc::new(key);
    let delivery = Delivery {
        store: Arc::clone(&store),
        mailer,
        config: Arc::new(mail_config),
        key: Arc::clone(&key),
        tasks: deliveries.clone(),
        in_flight: Default::default(),
    };
    // At least once: what was stored but not mailed before a crash or a kill.
    let pending = store.pending_mail().await?;
    if !pending.is_empty() {
        tracing::info!(events = pending.len(), "delivering mails a previous run did not send");
    }
    for event in pending {
        delivery.spawn(event);
    }
    let operators = Arc::new(operators.with_audit(Arc::clone(&store)));
    let decisions = delivery.clone();
    let mut admin = admin::Handler::new(Arc::clone(&store), kept, Arc::clone(&key), config.admin_settings)
        .directory(Arc::new(operators.db().clone()))
        .after_event(Arc::new(move |event| decisions.spawn(event)));
    if let Some(outbox) = outbox {
        admin = admin.after_erasure(forget_erased(outbox, Arc::clone(&store)));
    }
    let submitted = delivery.clone();
    let documents = documents::Handler::new(
        Arc::clone(&store) as Arc<dyn shared::store::Intake>,
        Arc::clone(&store) as Arc<dyn shared::store::Documents>,
        uploads,
        Arc::clone(&key),
        config.documents,
    )
    .after_event(Arc::new(move |event| submitted.spawn(event)));
    let deliveries = Arc::clone(&store) as Arc<dyn shared::store::Deliveries>;
    let submit = submit::Handler::new(store, key, config.settings)
        .after_event(Arc::new(move |event| delivery.spawn(event)));
    let functions = Functions {
        deliveries,
        submit,
        admin,
        documents,
        files: local_files,
        body_read_timeout: config.body_read_timeout,
        operators,
    };
    Ok((functions, locations, purger))
}
