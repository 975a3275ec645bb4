//! The macro that expands the field table (`fields.rs`) into everything a field
//! needs: the [`Field`](super::Field) enum and its metadata, the
//! [`Application`](super::Application) struct, the loop that parses each member
//! and the one that lists its entries. A field is declared once, in the table;
//! nothing here names one.

/// The Rust type of an [`Application`](super::Application) member, by presence.
macro_rules! member_type {
    (Required, $ty:ty) => { $ty };
    (Optional, $ty:ty) => { Option<$ty> };
    (Corporate, $ty:ty) => { Option<$ty> };
}

/// Parses one member with the collector's rule for its presence.
macro_rules! parse_member {
    (Required, $ty:ty, $c:ident, $field:expr, $raw:ident) => {
        $c.required::<$ty>($field, $raw)
    };
    (Optional, $ty:ty, $c:ident, $field:expr, $raw:ident) => {
        $c.optional::<$ty>($field, $raw)
    };
    (Corporate, $ty:ty, $c:ident, $field:expr, $raw:ident) => {
        $c.corporate::<$ty>($field, $raw)
    };
}

/// Pushes one member's entry; blank optional members have none.
macro_rules! push_entry {
    (Required, $entries:ident, $field:expr, $value:expr) => {
        $entries.push(($field, $crate::domain::KeptValue::entry(&$value)))
    };
    (Optional, $entries:ident, $field:expr, $value:expr) => {
        if let Some(value) = &$value {
            $entries.push(($field, $crate::domain::KeptValue::entry(value)))
        }
    };
    (Corporate, $entries:ident, $field:expr, $value:expr) => {
        push_entry!(Optional, $entries, $field, $value)
    };
}

/// Expands the table. Each row is a field in the form's order: its variant, its
/// contract key, its label, presence, limit and review group, the type that
/// parses it (which gives its [`Kind`](super::Kind)), and, for a field the
/// application keeps, the member that holds it (`=> name`). Rows without a
/// member are checks of the request only (the confirmation, the consent).
macro_rules! field_table {
    (@kept $member:ident) => { true };
    (@kept) => { false };
    ($(
        $(#[$doc:meta])*
        $variant:ident {
            key: $key:literal,
            label: $label:literal,
            presence: $presence:ident,
            max_chars: $max:expr,
            group: $group:expr $(,)?
        }: $ty:ty $(=> $member:ident)?;
    )*) => {
        /// The keys of an application, in the form's order (the seed's).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Field {
            $($(#[$doc])* $variant,)*
        }

        impl Field {
            /// Every field, in the form's order.
            pub const ALL: [Field; [$(Field::$variant),*].len()] = [$(Field::$variant),*];
            /// How many fields there are.
            pub const COUNT: usize = Field::ALL.len();
            /// Every key, in the form's order (for decoding errors).
            pub const KEYS: [&'static str; Field::COUNT] = [$($key),*];

            /// The JSON key (camelCase), as in the contract, and the stored attribute's name.
            pub const fn key(self) -> &'static str {
                match self { $(Field::$variant => $key,)* }
            }

            /// The field a contract key names.
            pub fn from_key(key: &str) -> Option<Field> {
                match key { $($key => Some(Field::$variant),)* _ => None }
            }

            /// The label an applicant reads, from the seed form.
            pub const fn label(self) -> &'static str {
                match self { $(Field::$variant => $label,)* }
            }

            /// What kind of value it holds, which decides its parser.
            pub const fn kind(self) -> Kind {
                match self { $(Field::$variant => <$ty as FieldValue>::KIND,)* }
            }

            /// When it must be entered.
            pub const fn presence(self) -> Presence {
                match self { $(Field::$variant => Presence::$presence,)* }
            }

            /// The most characters a text may have after normalisation.
            pub const fn max_chars(self) -> Option<usize> {
                match self { $(Field::$variant => $max,)* }
            }

            /// The review row it shares with its neighbours (姓 and 名), if any.
            pub const fn group(self) -> Option<Group> {
                match self { $(Field::$variant => $group,)* }
            }

            /// True when an application keeps it (stored, mailed, listed);
            /// false for what only the request carries.
            pub const fn is_kept(self) -> bool {
                match self { $(Field::$variant => field_table!(@kept $($member)?),)* }
            }
        }

        /// A valid, normalised application: one member per kept field of the
        /// table (documented on its [`Field`] variant).
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[allow(missing_docs)]
        pub struct Application {
            $($(pub $member: member_type!($presence, $ty),)?)*
        }

        impl Application {
            /// Parses every kept field of `raw` with its type's parser and its
            /// presence rule, recording issues in `c`. `None` when any failed.
            pub(super) fn parse_members(raw: &RawApplication<'_>, c: &mut Collector) -> Option<Application> {
                $($(let $member = parse_member!($presence, $ty, c, Field::$variant, raw);)?)*
                Some(Application { $($($member: $member?,)?)* })
            }

            /// Every entered value with its field, in the form's order, borrowed:
            /// for confirmation screens, mails, storage and JSON. Blank optional
            /// fields are left out, and so is what only the request carries.
            pub fn entries(&self) -> Vec<(Field, Entry<'_>)> {
                let mut entries = Vec::with_capacity(Field::COUNT);
                $($(push_entry!($presence, entries, Field::$variant, self.$member);)?)*
                entries
            }
        }
    };
}

pub(crate) use {field_table, member_type, parse_member, push_entry};
