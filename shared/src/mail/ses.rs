//! Sends through SES v2 `SendEmail` with `Content::Raw`: the same MIME bytes the
//! outbox writes, so what is tested locally is what SES delivers. (`Simple`
//! would have SES build its own MIME, which the outbox could not show.)

use super::{Mail, Mailer, SendError};
use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, MessageTag, RawMessage};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct SesMailer {
    client: Client,
    configuration_set: Option<String>,
}

impl SesMailer {
    /// `client` is built once per cold start; `configuration_set` comes from [`super::MailConfig`].
    pub fn new(client: Client, configuration_set: Option<String>) -> Self {
        SesMailer { client, configuration_set }
    }

    /// The Lambda setup: a client from the shared SDK configuration with
    /// [`Self::client_config`]'s settings.
    pub fn from_sdk(sdk: &aws_config::SdkConfig, configuration_set: Option<String>) -> Self {
        SesMailer::new(Client::from_conf(Self::client_config(sdk).build()), configuration_set)
    }

    /// The SES client settings on top of the shared SDK configuration. No one
    /// waits on a notification, while an attempt abandoned by a short timeout
    /// may still have been sent and would be sent again: so, patient attempts.
    pub fn client_config(sdk: &aws_config::SdkConfig) -> aws_sdk_sesv2::config::Builder {
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(2))
            .operation_attempt_timeout(Duration::from_secs(5))
            .operation_timeout(Duration::from_secs(10))
            .build();
        aws_sdk_sesv2::config::Builder::from(sdk).timeout_config(timeouts)
    }
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, mail: &Mail) -> Result<String, SendError> {
        let sent_at = time::OffsetDateTime::now_utc().unix_timestamp();
        let raw = RawMessage::builder()
            .data(Blob::new(mail.to_mime(sent_at)))
            .build()
            .map_err(|_| SendError::new(mail.kind, "raw message without data"))?;
        // Ids this system made (ULIDs, slugs): what SES allows in a tag.
        let tags = mail.tracking.as_ref().map(|tracking| {
            [
                (super::TAG_APPLICATION, tracking.application_id.to_string()),
                (super::TAG_MAIL, tracking.mail_id.to_string()),
            ]
            .into_iter()
            .filter_map(|(name, value)| MessageTag::builder().name(name).value(value).build().ok())
            .collect::<Vec<_>>()
        });
        let output = self
            .client
            .send_email()
            .from_email_address(&mail.from)
            // The envelope names the one validated recipient; SES does not read it from the headers.
            .destination(Destination::builder().to_addresses(&mail.to).build())
            .content(EmailContent::builder().raw(raw).build())
            .set_configuration_set_name(self.configuration_set.clone())
            .set_email_tags(tags)
            .send()
            .await
            .map_err(|err| SendError::new(mail.kind, describe(&err)))?;
        // Sent: an error now would send it again. SES always names the message;
        // without a name its record stays `sent` (no event can match it).
        Ok(output.message_id.unwrap_or_default())
    }
}

/// The failure's kind and SES error code only: SES messages can quote addresses.
fn describe<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> String {
    match err {
        SdkError::ServiceError(service) => {
            format!("SES rejected the request: {}", service.err().code().unwrap_or("unknown code"))
        }
        SdkError::TimeoutError(_) => "SES did not answer in time".to_owned(),
        SdkError::DispatchFailure(_) => "SES could not be reached".to_owned(),
        SdkError::ResponseError(_) => "SES sent an unreadable response".to_owned(),
        _ => "the SES request could not be made".to_owned(),
    }
}
