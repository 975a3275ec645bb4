//! The application domain: one type per field of the form, each holding only
//! valid, normalised values, and [`Application::parse`], which returns every
//! field error at once.

mod application;
mod count;
mod email;
mod kana;
mod numbers;
mod phone_plan;
mod text;

pub use application::{Application, Contractor, Entry, Invalid, RawApplication, Validated};
pub use count::{Count, RawCount};
pub use email::Email;
pub use kana::{CorporateNameKana, PersonNameKana};
pub use numbers::{InvoiceNumber, Phone, PostalCode};
pub use text::{AddressBuilding, AddressRegion, AddressStreet, CorporateName, PersonName};
