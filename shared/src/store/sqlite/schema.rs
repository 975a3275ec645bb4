//! Every table, index and trigger of the SQLite store, and the migration that
//! brings a file made by an earlier version up to this one.
//!
//! Each table's columns are declared once, in [`tables`]: `CREATE TABLE` and
//! the migration (which adds the columns an older file lacks) are both
//! generated from that list, so the two cannot disagree. The columns are
//! named after the layout's attributes ([`attr`], [`Field::key`]); the few
//! keys DynamoDB keeps in `pk` instead are [`OWN_KEYS`].

use crate::domain::Field;
use crate::store::layout::{self, attr};
use rusqlite::Connection;

/// The key of `idempotency` and `counters` (DynamoDB's `pk` without its prefix).
pub(super) const KEY: &str = "key";
/// The key of `tokens`: the token's hash (DynamoDB's `pk` without its prefix).
pub(super) const HASH: &str = "hash";
/// The key of `audit`: the entry's id (DynamoDB's `sk`).
pub(super) const ID: &str = "id";

/// The table of the status counts.
pub(super) const STATUS_COUNTS: &str = "status_counts";

/// One column: its name, its SQL type and whether it may be NULL.
pub(super) struct Column {
    pub(super) name: &'static str,
    sql_type: &'static str,
    rule: Rule,
}

#[derive(Clone, Copy)]
enum Rule {
    /// May be NULL: a file made before the column existed gains it empty.
    Nullable,
    /// Never NULL, with this constraint (`NOT NULL`, `NOT NULL UNIQUE`,
    /// `PRIMARY KEY`): in the table since its first version, so never added
    /// (SQLite cannot add a key or a NOT NULL column without a default).
    Original(&'static str),
    /// Never NULL, but added after the table's first version: an older file
    /// gains it with this value on the rows it has.
    Added { default: &'static str },
}

impl Column {
    const fn nullable(name: &'static str, sql_type: &'static str) -> Column {
        Column { name, sql_type, rule: Rule::Nullable }
    }

    const fn original(name: &'static str, sql_type: &'static str, constraint: &'static str) -> Column {
        Column { name, sql_type, rule: Rule::Original(constraint) }
    }

    const fn added(name: &'static str, sql_type: &'static str, default: &'static str) -> Column {
        Column { name, sql_type, rule: Rule::Added { default } }
    }

    /// Its definition in `CREATE TABLE`.
    fn definition(&self) -> String {
        let constraint = match self.rule {
            Rule::Nullable => "",
            Rule::Original(constraint) => constraint,
            Rule::Added { .. } => "NOT NULL",
        };
        let definition = format!("{} {} {constraint}", quoted(self.name), self.sql_type);
        definition.trim_end().to_owned()
    }

    /// Its definition in `ALTER TABLE … ADD COLUMN`, for a file that lacks it;
    /// `None` for a column every version had.
    fn addition(&self) -> Option<String> {
        match self.rule {
            Rule::Nullable => Some(format!("{} {}", quoted(self.name), self.sql_type)),
            Rule::Original(_) => None,
            Rule::Added { default } => {
                Some(format!("{} {} NOT NULL DEFAULT {default}", quoted(self.name), self.sql_type))
            }
        }
    }
}

/// One table: its columns, and the constraints that span them.
pub(super) struct Table {
    pub(super) name: &'static str,
    pub(super) columns: Vec<Column>,
    constraints: &'static [&'static str],
}

impl Table {
    fn create(&self) -> String {
        let mut lines: Vec<String> = self.columns.iter().map(Column::definition).collect();
        lines.extend(self.constraints.iter().map(|constraint| (*constraint).to_owned()));
        format!("CREATE TABLE IF NOT EXISTS {} (\n    {}\n) STRICT;\n", self.name, lines.join(",\n    "))
    }
}

/// Every table of the store, with its columns in the order `CREATE TABLE` declares them.
pub(super) fn tables() -> Vec<Table> {
    let mut applications = vec![
        Column::original(attr::APPLICATION_ID, "TEXT", "PRIMARY KEY"),
        Column::original(attr::RECEPTION_NUMBER, "TEXT", "NOT NULL UNIQUE"),
        // The address's reservation: the same keyed hash as the DynamoDB key.
        Column::original(attr::EMAIL_KEY, "TEXT", "NOT NULL UNIQUE"),
        Column::original(attr::STATUS, "TEXT", "NOT NULL"),
        // Files from before the lifecycle: every application was at its first version.
        Column::added(attr::VERSION, "INTEGER", "1"),
        Column::original(attr::RECEIVED_AT, "TEXT", "NOT NULL"),
        Column::original(attr::UPDATED_AT, "TEXT", "NOT NULL"),
        Column::nullable(attr::VERIFIED_AT, "TEXT"),
        Column::nullable(attr::EXPIRES_AT, "INTEGER"),
        Column::nullable(attr::SUPERSEDES, "TEXT"),
        Column::nullable(attr::TOKEN_HASH, "TEXT"),
        Column::original(attr::TERMS_AGREED_AT, "TEXT", "NOT NULL"),
        Column::nullable(attr::VERIFICATION_SENT_AT, "TEXT"),
        Column::nullable(attr::ACKNOWLEDGEMENT_SENT_AT, "TEXT"),
        Column::nullable(attr::OPERATOR_NOTICE_SENT_AT, "TEXT"),
        Column::nullable(attr::PARTNER_CODE, "TEXT"),
        Column::nullable(attr::LISTING, "TEXT"),
        Column::nullable(attr::SEARCH_TEXT, "TEXT"),
        // Added with the desk: the operator it is assigned to (no lifecycle write touches it).
        Column::nullable(attr::ASSIGNEE, "TEXT"),
        // The keys of DynamoDB's related indexes, written as the layout writes
        // them (`layout::listed_attributes`). SQLite's check reads its own
        // indexes instead (`applications_by_invoice_number`,
        // `applications_by_corporate_name`), so rows from before these
        // columns may leave them empty.
        Column::nullable(attr::LISTED_INVOICE_NUMBER, "TEXT"),
        Column::nullable(attr::LISTED_CORPORATE_NAME, "TEXT"),
        // Added with the mails' delivery status: set by a delivery event alone.
        Column::nullable(attr::MAIL_PROBLEM, "INTEGER"),
    ];
    // Every kept field is nullable (blank optional fields are absent), so a new
    // optional field reaches an older file as an added column.
    applications.extend(Field::kept().map(|field| {
        Column::nullable(field.key(), if layout::is_numeric(field) { "INTEGER" } else { "TEXT" })
    }));
    vec![
        Table {
            name: "applications",
            columns: applications,
            // The address is required, but a column added to an older file
            // cannot be NOT NULL: required by a check instead.
            constraints: &[r#"CHECK ("email" IS NOT NULL)"#],
        },
        Table {
            name: "tokens",
            columns: vec![
                Column::original(HASH, "TEXT", "PRIMARY KEY"),
                Column::original(attr::APPLICATION_ID, "TEXT", "NOT NULL"),
                Column::original(attr::EXPIRES_AT, "INTEGER", "NOT NULL"),
                Column::nullable(attr::CONFIRMED_AT, "TEXT"),
            ],
            constraints: &[],
        },
        Table {
            name: "notices",
            columns: vec![
                Column::original(attr::NOTICE_ID, "TEXT", "PRIMARY KEY"),
                Column::original(attr::APPLICATION_ID, "TEXT", "NOT NULL"),
                Column::original(attr::EXPIRES_AT, "INTEGER", "NOT NULL"),
                Column::nullable(attr::ALREADY_RECEIVED_SENT_AT, "TEXT"),
            ],
            constraints: &[],
        },
        Table {
            name: "counters",
            columns: vec![
                Column::original(KEY, "TEXT", "PRIMARY KEY"),
                Column::original(attr::COUNT, "INTEGER", "NOT NULL"),
                Column::original(attr::EXPIRES_AT, "INTEGER", "NOT NULL"),
            ],
            constraints: &[],
        },
        Table {
            // One row per counted status (`plan::counted`), moved by every
            // plan in its transaction (DynamoDB's `COUNT#<status>` items).
            // Not `counters`: that is the rate limits'.
            name: STATUS_COUNTS,
            columns: vec![
                Column::original(attr::STATUS, "TEXT", "PRIMARY KEY"),
                Column::original(attr::COUNT, "INTEGER", "NOT NULL"),
            ],
            constraints: &[],
        },
        Table {
            name: "idempotency",
            columns: vec![
                Column::original(KEY, "TEXT", "PRIMARY KEY"),
                // Added with plan::IdempotencyRecord; filled by `migrate_idempotency`.
                Column::nullable(attr::APPLICATION_ID, "TEXT"),
                Column::original(attr::REQUEST_HASH, "TEXT", "NOT NULL"),
                Column::original(attr::RESPONSE_STATUS, "INTEGER", "NOT NULL"),
                Column::original(attr::RESPONSE_BODY, "TEXT", "NOT NULL"),
                Column::original(attr::EXPIRES_AT, "INTEGER", "NOT NULL"),
                // Added for a replay's event (a notice's id); a record from
                // before names no notice, and expires within a day.
                Column::nullable(attr::NOTICE_ID, "TEXT"),
            ],
            constraints: &[],
        },
        Table {
            name: "history",
            columns: vec![
                Column::original(attr::APPLICATION_ID, "TEXT", "NOT NULL"),
                Column::original(attr::VERSION, "INTEGER", "NOT NULL"),
                Column::original(attr::AT, "TEXT", "NOT NULL"),
                Column::original(attr::ACTOR, "TEXT", "NOT NULL"),
                Column::original(attr::ACTION, "TEXT", "NOT NULL"),
                Column::nullable(attr::FROM_STATUS, "TEXT"),
                Column::nullable(attr::TO_STATUS, "TEXT"),
                Column::nullable(attr::MESSAGE, "TEXT"),
                Column::nullable(attr::REASON, "TEXT"),
                Column::nullable(attr::RESULT_SENT_AT, "TEXT"),
                Column::nullable(attr::EXPIRES_AT, "INTEGER"),
                // Added with documents: a submission's count of files, and
                // the operators' notice of it (a second mail of one entry).
                Column::nullable(attr::FILES, "INTEGER"),
                Column::nullable(attr::OPERATOR_NOTICE_SENT_AT, "TEXT"),
                // Added with corrections: the keys a correction changed.
                Column::nullable(attr::FIELDS, "TEXT"),
            ],
            // One entry per version, so two writers of the same version cannot both succeed.
            constraints: &[r#"PRIMARY KEY ("applicationId", "version")"#],
        },
        Table {
            name: "document_requests",
            columns: vec![
                Column::original(HASH, "TEXT", "PRIMARY KEY"),
                Column::original(attr::APPLICATION_ID, "TEXT", "NOT NULL"),
                Column::original(attr::VERSION, "INTEGER", "NOT NULL"),
                Column::original(attr::EXPIRES_AT, "INTEGER", "NOT NULL"),
            ],
            constraints: &[],
        },
        Table {
            name: "documents",
            columns: vec![
                Column::original(attr::DOCUMENT_ID, "TEXT", "PRIMARY KEY"),
                Column::original(attr::APPLICATION_ID, "TEXT", "NOT NULL"),
                Column::original(attr::REQUEST_VERSION, "INTEGER", "NOT NULL"),
                Column::original(attr::FILE_NAME, "TEXT", "NOT NULL"),
                Column::original(attr::CONTENT_TYPE, "TEXT", "NOT NULL"),
                Column::original(attr::SIZE, "INTEGER", "NOT NULL"),
                Column::original(attr::UPLOADED_AT, "TEXT", "NOT NULL"),
                Column::nullable(attr::SUBMITTED_AT, "TEXT"),
            ],
            constraints: &[],
        },
        Table {
            // Operators' notes: outside the version, erased with the application.
            name: "notes",
            columns: vec![
                Column::original(attr::NOTE_ID, "TEXT", "PRIMARY KEY"),
                Column::original(attr::APPLICATION_ID, "TEXT", "NOT NULL"),
                Column::original(attr::AT, "TEXT", "NOT NULL"),
                Column::original(attr::ACTOR, "TEXT", "NOT NULL"),
                Column::original(attr::TEXT, "TEXT", "NOT NULL"),
            ],
            constraints: &[],
        },
        Table {
            // Mail records: one per mail sent about a verified application,
            // deleted with it (erasure, `purge_in`).
            name: "mails",
            columns: vec![
                Column::original(attr::APPLICATION_ID, "TEXT", "NOT NULL"),
                Column::original(attr::MAIL_ID, "TEXT", "NOT NULL"),
                Column::original(attr::MAIL_KIND, "TEXT", "NOT NULL"),
                Column::original(attr::SENT_AT, "TEXT", "NOT NULL"),
                Column::original(attr::MESSAGE_ID, "TEXT", "NOT NULL"),
                Column::original(attr::DELIVERY, "TEXT", "NOT NULL"),
                Column::original(attr::DELIVERY_RANK, "INTEGER", "NOT NULL"),
                Column::nullable(attr::DELIVERY_REASON, "TEXT"),
                Column::nullable(attr::DELIVERY_AT, "TEXT"),
            ],
            constraints: &[r#"PRIMARY KEY ("applicationId", "mailId")"#],
        },
        Table {
            name: "partner_codes",
            // Never deleted, so a code is never issued twice.
            columns: vec![
                Column::original(attr::PARTNER_CODE, "TEXT", "PRIMARY KEY"),
                Column::original(attr::APPLICATION_ID, "TEXT", "NOT NULL"),
            ],
            constraints: &[],
        },
        Table {
            name: "erased",
            columns: vec![
                Column::original(attr::APPLICATION_ID, "TEXT", "PRIMARY KEY"),
                Column::original(attr::RECEPTION_NUMBER, "TEXT", "NOT NULL"),
                Column::original(attr::RECEIVED_AT, "TEXT", "NOT NULL"),
                Column::nullable(attr::VERIFIED_AT, "TEXT"),
                Column::original(attr::ERASED_STATUS, "TEXT", "NOT NULL"),
                Column::original(attr::VERSION, "INTEGER", "NOT NULL"),
                Column::original(attr::ERASED_AT, "TEXT", "NOT NULL"),
            ],
            constraints: &[],
        },
        Table {
            name: "audit",
            columns: vec![
                Column::original(ID, "TEXT", "PRIMARY KEY"),
                Column::original(attr::AT, "TEXT", "NOT NULL"),
                Column::original(attr::ACTOR, "TEXT", "NOT NULL"),
                Column::original(attr::ACTION, "TEXT", "NOT NULL"),
                Column::nullable(attr::APPLICATION_ID, "TEXT"),
                // An export's record (`AuditEntry::export`); NULL on every other entry.
                Column::nullable(attr::EXPORT_STATUS, "TEXT"),
                Column::nullable(attr::EXPORT_FROM, "TEXT"),
                Column::nullable(attr::EXPORT_TO, "TEXT"),
                Column::nullable(attr::EXPORT_ROWS, "INTEGER"),
            ],
            constraints: &[],
        },
    ]
}

/// The indexes and triggers, made after the migration (an index may name a
/// column an older file has only once it is migrated).
///
/// The audit refuses UPDATE and DELETE by triggers, so no code path (nor a
/// mistaken one) can change an entry. `applications_by_corporate_name` indexes
/// the corporate name as the reviewer's check compares it (without spaces);
/// a query uses it only when it names the same expression (`related_in`).
const INDEXES: &str = r#"
CREATE INDEX IF NOT EXISTS byStatus ON applications ("status", "receivedAt");
CREATE INDEX IF NOT EXISTS tokens_by_application ON tokens ("applicationId");
CREATE INDEX IF NOT EXISTS counters_by_expiry ON counters ("expiresAt");
CREATE INDEX IF NOT EXISTS documents_by_application ON documents ("applicationId");
CREATE INDEX IF NOT EXISTS notes_by_application ON notes ("applicationId", "noteId");
CREATE INDEX IF NOT EXISTS applications_by_assignee ON applications ("assignee", "receivedAt");
CREATE INDEX IF NOT EXISTS document_requests_by_application ON document_requests ("applicationId");
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit is append-only'); END;
CREATE INDEX IF NOT EXISTS applications_by_received ON applications ("receivedAt", "applicationId");
CREATE INDEX IF NOT EXISTS applications_by_phone ON applications ("phone", "receivedAt");
CREATE INDEX IF NOT EXISTS applications_by_invoice_number ON applications ("invoiceNumber");
CREATE INDEX IF NOT EXISTS applications_by_corporate_name ON applications (replace("corporateName", ' ', ''));
-- The tabs' counts from the index alone (status and expiry), not the rows.
CREATE INDEX IF NOT EXISTS applications_by_status_expiry ON applications ("status", "expiresAt");
"#;

/// Brings the file up to this version and creates what it lacks: the
/// migration of existing tables, then every table, index and trigger, then
/// the search text of rows stored before it existed.
pub(super) fn prepare(connection: &Connection) -> rusqlite::Result<()> {
    let tables = tables();
    // A file from before the counts: counted once, when their table is made.
    let counted_before = table_exists(connection, STATUS_COUNTS)?;
    for table in &tables {
        let added = migrate(connection, table)?;
        if table.name == "idempotency" && added.contains(&attr::APPLICATION_ID) {
            migrate_idempotency(connection)?;
        }
    }
    let create: String = tables.iter().map(Table::create).collect();
    connection.execute_batch(&create)?;
    connection.execute_batch(INDEXES)?;
    if !counted_before {
        super::review::recount_in(connection)?;
    }
    backfill_search_text(connection)
}

fn table_exists(connection: &Connection, name: &str) -> rusqlite::Result<bool> {
    connection.query_row("SELECT EXISTS (SELECT 1 FROM pragma_table_info(?1))", [name], |row| row.get(0))
}

/// Adds to an existing table of an earlier version the columns it lacks
/// (`CREATE TABLE IF NOT EXISTS` alone would leave an old file unusable).
/// Returns their names; none for a table the file does not have yet.
fn migrate(connection: &Connection, table: &Table) -> rusqlite::Result<Vec<&'static str>> {
    let mut statement = connection.prepare("SELECT name FROM pragma_table_info(?1)")?;
    let existing: Vec<String> =
        statement.query_map([table.name], |row| row.get(0))?.collect::<Result<_, _>>()?;
    if existing.is_empty() {
        return Ok(Vec::new()); // A new table: `CREATE TABLE` makes it whole.
    }
    let mut added = Vec::new();
    for column in &table.columns {
        if existing.iter().any(|name| name == column.name) {
            continue;
        }
        if let Some(addition) = column.addition() {
            connection.execute_batch(&format!("ALTER TABLE {} ADD COLUMN {addition}", table.name))?;
            added.push(column.name);
        }
    }
    Ok(added)
}

/// Idempotency records before [`crate::store::plan::IdempotencyRecord`] had
/// no application id: a decision's kept it as its body, which it now moves; a
/// submission's cannot be rebuilt, and is dropped (it only guards replays for
/// 24 hours). Run once, when the column is added.
fn migrate_idempotency(connection: &Connection) -> rusqlite::Result<()> {
    connection.execute_batch(
        r#"UPDATE idempotency SET "applicationId" = "responseBody", "responseBody" = '' WHERE "key" LIKE 'DECISION#%';
           DELETE FROM idempotency WHERE "applicationId" IS NULL;"#,
    )
}

/// The search text of rows stored before it existed, by the one rule
/// ([`layout::search_text_from`]; a copy of it in SQL would drift).
fn backfill_search_text(connection: &Connection) -> rusqlite::Result<()> {
    let columns: Vec<String> = layout::SEARCH_FIELDS.iter().map(|field| quoted(field.key())).collect();
    let sql = format!(
        r#"SELECT "applicationId", {} FROM applications WHERE "searchText" IS NULL"#,
        columns.join(", ")
    );
    let mut statement = connection.prepare(&sql)?;
    let stale: Vec<(String, String)> = statement
        .query_map([], |row| {
            let mut values = std::collections::HashMap::new();
            for (index, field) in layout::SEARCH_FIELDS.iter().enumerate() {
                values.insert(*field, row.get::<_, Option<String>>(index + 1)?);
            }
            let text = layout::search_text_from(|field| values.get(&field).cloned().flatten());
            Ok((row.get(0)?, text))
        })?
        .collect::<Result<_, _>>()?;
    for (id, text) in stale {
        connection.execute(
            r#"UPDATE applications SET "searchText" = ?1 WHERE "applicationId" = ?2"#,
            rusqlite::params![text, id],
        )?;
    }
    Ok(())
}

/// `"name"`: a column name the layout gives at run time, quoted for SQL.
pub(super) fn quoted(name: &str) -> String {
    let mut quoted = String::with_capacity(name.len() + 2);
    quoted.push('"');
    quoted.push_str(name);
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The sqlite module's sources, each up to its tests (which may hold the
    /// SQL of an older layout, or a misspelling on purpose).
    fn sources() -> [(&'static str, &'static str); 6] {
        let production = |source: &'static str| source.split("#[cfg(test)]").next().unwrap_or(source);
        [
            ("mod.rs", production(include_str!("mod.rs"))),
            ("intake.rs", production(include_str!("intake.rs"))),
            ("review.rs", production(include_str!("review.rs"))),
            ("schema.rs", production(include_str!("schema.rs"))),
            ("documents.rs", production(include_str!("documents.rs"))),
            ("desk.rs", production(include_str!("desk.rs"))),
        ]
    }

    /// The names the layout gives: every `attr::` constant (read from its
    /// source, as the module has no list of them), every field's key, and the
    /// tables' own keys.
    fn layout_names() -> BTreeSet<&'static str> {
        let layout = include_str!("../layout.rs");
        let attr = &layout[layout.find("pub mod attr {").expect("layout::attr")..];
        let attr = &attr[..attr.find("\n}").expect("the end of layout::attr")];
        let mut names: BTreeSet<&str> = attr
            .lines()
            .filter_map(|line| line.trim().strip_prefix("pub const "))
            .filter_map(|declaration| declaration.split('"').nth(1))
            .collect();
        assert!(names.contains(attr::EXPIRES_AT) && names.contains(attr::ERASED_STATUS), "{names:?}");
        names.extend(Field::ALL.map(Field::key));
        names.extend(OWN_KEYS);
        names
    }

    /// The columns a file's keys have although no layout attribute names them.
    const OWN_KEYS: [&str; 3] = [KEY, HASH, ID];

    /// The bodies of the raw string literals (`r#"…"#`) in `source`: every
    /// statement, and every fragment of one, that quotes a column.
    fn raw_literals(source: &str) -> Vec<&str> {
        let mut literals = Vec::new();
        let mut rest = source;
        while let Some(start) = rest.find("r#\"") {
            let body = &rest[start + 3..];
            let end = body.find("\"#").expect("an unterminated raw string");
            literals.push(&body[..end]);
            rest = &body[end + 2..];
        }
        literals
    }

    /// What is wrong with the double-quoted identifiers of `source`'s SQL:
    /// each must be a column of a table the statement names (of any table
    /// for a fragment that names none), and a name the layout gives.
    /// Returns the problems and how many identifiers were checked.
    fn check(file: &str, source: &str, tables: &[Table], named: &BTreeSet<&str>) -> (Vec<String>, usize) {
        let mut problems = Vec::new();
        let mut checked = 0;
        if source.contains("\\\"") {
            // An identifier in an ordinary string would escape this check.
            problems.push(format!("{file}: SQL with quoted names is written as r#\"…\"#, not with \\\""));
        }
        for literal in raw_literals(source) {
            let pieces: Vec<&str> = literal.split('"').collect();
            if pieces.len().is_multiple_of(2) {
                problems.push(format!("{file}: unbalanced quotes in {literal:?}"));
                continue;
            }
            let words: BTreeSet<&str> = pieces
                .iter()
                .step_by(2)
                .flat_map(|piece| piece.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')))
                .collect();
            let named_tables: Vec<&Table> =
                tables.iter().filter(|table| words.contains(table.name)).collect();
            let candidates: Vec<&Table> =
                if named_tables.is_empty() { tables.iter().collect() } else { named_tables };
            for identifier in pieces.iter().skip(1).step_by(2) {
                checked += 1;
                if !candidates.iter().any(|table| table.columns.iter().any(|c| c.name == *identifier)) {
                    let names: Vec<&str> = candidates.iter().map(|table| table.name).collect();
                    problems.push(format!("{file}: \"{identifier}\" is no column of {names:?}"));
                }
                if !named.contains(identifier) {
                    problems.push(format!("{file}: \"{identifier}\" is no name the layout gives"));
                }
            }
        }
        (problems, checked)
    }

    /// Every quoted column of the module's SQL is declared by [`tables`] and
    /// named by the layout, so a typo or a renamed attribute fails here, not
    /// at run time on the one path that runs the statement.
    #[test]
    fn every_quoted_column_is_declared_and_named_by_the_layout() {
        let tables = tables();
        let named = layout_names();
        for table in &tables {
            for column in &table.columns {
                assert!(
                    named.contains(column.name),
                    "{}.{} is no name the layout gives",
                    table.name,
                    column.name
                );
            }
        }
        let mut problems = Vec::new();
        let mut checked = 0;
        for (file, source) in sources() {
            let (found, count) = check(file, source, &tables, &named);
            problems.extend(found);
            checked += count;
        }
        assert!(problems.is_empty(), "{problems:#?}");
        // The scan itself works: the module quotes well over a hundred columns.
        assert!(checked > 100, "only {checked} quoted columns found");
    }

    #[test]
    fn a_misspelt_misplaced_or_unnamed_column_is_found() {
        let tables = tables();
        let named = layout_names();
        let problems = |sql: &str| check("sample.rs", sql, &tables, &named).0;
        assert!(problems(r##"r#"SELECT "expiresAt" FROM tokens WHERE "hash" = ?1"#"##).is_empty());
        assert_eq!(problems(r##"r#"SELECT "expiresAT" FROM tokens"#"##).len(), 2, "misspelt");
        assert_eq!(problems(r##"r#"SELECT "count" FROM tokens"#"##).len(), 1, "another table's");
        assert_eq!(problems(r##"r#""applicationID" = ?1"#"##).len(), 2, "a fragment");
        assert_eq!(problems(r#"let sql = "SELECT \"expiresAT\" FROM tokens";"#).len(), 1, "escaped");
    }

    /// An idempotency table from before the records named their application:
    /// the decision's moves its id out of the body, the submission's (which
    /// cannot be rebuilt) is dropped, and the column is in the table's place.
    #[test]
    fn an_earlier_idempotency_table_is_migrated() {
        let connection = Connection::open_in_memory().unwrap();
        connection
            .execute_batch(
                r#"CREATE TABLE idempotency (key TEXT PRIMARY KEY, "requestHash" TEXT NOT NULL,
                   "responseStatus" INTEGER NOT NULL, "responseBody" TEXT NOT NULL, "expiresAt" INTEGER NOT NULL) STRICT;
                   INSERT INTO idempotency VALUES ('DECISION#k1', 'h', 200, '01KB5Q9Z8E4M7T3W6X2C9HJ5RA', 9999999999),
                   ('SUBMISSION#k2', 'h', 201, '{}', 9999999999);"#,
            )
            .unwrap();
        prepare(&connection).unwrap();
        prepare(&connection).unwrap(); // Idempotent: a second open changes nothing.
        let rows: Vec<(String, String, String)> = connection
            .prepare(r#"SELECT "key", "applicationId", "responseBody" FROM idempotency"#)
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let moved = ("DECISION#k1".to_owned(), "01KB5Q9Z8E4M7T3W6X2C9HJ5RA".to_owned(), String::new());
        assert_eq!(rows, [moved]);
    }
}
