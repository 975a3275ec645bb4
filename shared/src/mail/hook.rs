//! What a handler calls once an event that must be mailed is durably stored.
//! On AWS nothing (the table's stream drives the notify function); the local
//! server passes a hook that delivers right away.

use super::MailEvent;
use std::sync::Arc;

/// The hook's function.
pub type AfterEvent = Arc<dyn Fn(MailEvent) + Send + Sync>;

/// An optional [`AfterEvent`]: none on Lambda.
#[derive(Clone, Default)]
pub struct EventHook(Option<AfterEvent>);

impl EventHook {
    pub fn new(hook: AfterEvent) -> Self {
        EventHook(Some(hook))
    }

    /// Hands `event` to the hook, if there is one.
    pub fn stored(&self, event: MailEvent) {
        if let Some(hook) = &self.0 {
            hook(event);
        }
    }
}
