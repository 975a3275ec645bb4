//! The SAM template (infra/template.yaml): the linters pass, and what the Rust
//! code defines once (routes, table layout, environment names) is what the
//! template deploys, with the security properties the issue asks for.

use serde_json::{Value, json};
use shared::routes::{Access, ROUTES, cors};
use shared::store::layout;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use test_support::workspace_root;

/// The function that serves the form and the API's catch-all route.
const CATCH_ALL_FUNCTION: &str = "web";

/// The function that records SES's events on each mail (functions/mail-events).
const MAIL_EVENTS_FUNCTION: &str = "mail-events";

/// The daily retention sweep, run by a schedule (functions/retention).
const RETENTION_FUNCTION: &str = "retention";

fn template_path() -> PathBuf {
    workspace_root().join("infra/template.yaml")
}

// ------------------------------------------------------------------ linters

/// A tool from the project's venv (scripts/dev-env). Missing: a failure when
/// REQUIRE_SERVICES=1 (scripts/test), a notice otherwise.
fn venv_tool(name: &str) -> Option<PathBuf> {
    let path = workspace_root().join(".venv/bin").join(name);
    if path.is_file() {
        return Some(path);
    }
    if std::env::var("REQUIRE_SERVICES").as_deref() == Ok("1") {
        panic!("{} is missing: run scripts/dev-env (scripts/test does)", path.display());
    }
    eprintln!("skipping: {} is missing (run scripts/dev-env)", path.display());
    None
}

/// Runs a linter offline: a region, dummy credentials if none, no telemetry.
fn run_offline(tool: &Path, args: &[&str]) {
    let mut command = Command::new(tool);
    command.args(args).current_dir(workspace_root()).env("SAM_CLI_TELEMETRY", "0");
    for (name, default) in [
        ("AWS_REGION", "ap-northeast-1"),
        ("AWS_DEFAULT_REGION", "ap-northeast-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ] {
        if std::env::var_os(name).is_none() {
            command.env(name, default);
        }
    }
    let output = command.output().unwrap_or_else(|e| panic!("running {}: {e}", tool.display()));
    assert!(
        output.status.success(),
        "{} {args:?} failed ({}):\n{}\n{}",
        tool.display(),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn cfn_lint_passes() {
    if let Some(cfn_lint) = venv_tool("cfn-lint") {
        run_offline(&cfn_lint, &["infra/template.yaml", "infra/waf.yaml"]);
    }
}

#[test]
fn sam_validate_passes() {
    if let Some(sam) = venv_tool("sam") {
        // The SAM transform itself, then cfn-lint through SAM.
        run_offline(&sam, &["validate", "--template", "infra/template.yaml"]);
        run_offline(&sam, &["validate", "--lint", "--template", "infra/template.yaml"]);
        run_offline(&sam, &["validate", "--lint", "--template", "infra/waf.yaml"]);
    }
}

// ------------------------------------------------------------------ parsing

/// The template as JSON, with CloudFormation's short tags (`!Ref X`,
/// `!GetAtt A.B`, `!Sub …`) turned into their long forms.
pub(super) fn template() -> Value {
    parsed(&template_path())
}

fn parsed(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    let yaml: serde_norway::Value = serde_norway::from_str(&text).unwrap();
    long_form(yaml)
}

fn long_form(yaml: serde_norway::Value) -> Value {
    use serde_norway::Value as Y;
    match yaml {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(n).unwrap(),
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(long_form).collect()),
        Y::Mapping(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k.as_str().expect("string keys").to_owned(), long_form(v)))
                .collect(),
        ),
        Y::Tagged(tagged) => {
            let name = tagged.tag.to_string().trim_start_matches('!').to_owned();
            let value = long_form(tagged.value);
            match name.as_str() {
                "Ref" | "Condition" => json!({ name: value }),
                "GetAtt" => match value {
                    Value::String(s) => {
                        let (resource, attribute) = s.split_once('.').expect("!GetAtt Resource.Attribute");
                        json!({ "Fn::GetAtt": [resource, attribute] })
                    }
                    other => json!({ "Fn::GetAtt": other }),
                },
                _ => json!({ format!("Fn::{name}"): value }),
            }
        }
    }
}

pub(super) fn resources(template: &Value) -> &serde_json::Map<String, Value> {
    template["Resources"].as_object().unwrap()
}

fn of_type<'a>(template: &'a Value, kind: &str) -> Vec<(&'a String, &'a Value)> {
    resources(template).iter().filter(|(_, r)| r["Type"] == kind).collect()
}

/// A function's property, or the Globals' default.
fn function_property<'a>(template: &'a Value, function: &'a Value, name: &str) -> &'a Value {
    let own = &function["Properties"][name];
    if own.is_null() { &template["Globals"]["Function"][name] } else { own }
}

fn reference(name: &str) -> Value {
    json!({ "Ref": name })
}

fn get_att(resource: &str, attribute: &str) -> Value {
    json!({ "Fn::GetAtt": [resource, attribute] })
}

/// The binary (and package) name of each function resource.
fn binaries(template: &Value) -> BTreeMap<String, String> {
    of_type(template, "AWS::Serverless::Function")
        .into_iter()
        .map(|(id, f)| {
            assert_eq!(f["Metadata"]["BuildMethod"], "rust-cargolambda", "{id}");
            let binary =
                f["Metadata"]["BuildProperties"]["Binary"].as_str().unwrap_or_else(|| panic!("{id}: Binary"));
            (id.clone(), binary.to_owned())
        })
        .collect()
}

/// The resource id of the function that builds `binary`.
fn function_id(template: &Value, binary: &str) -> String {
    binaries(template)
        .into_iter()
        .find(|(_, b)| b == binary)
        .map(|(id, _)| id)
        .unwrap_or_else(|| panic!("no function builds {binary}"))
}

// ------------------------------------------------------------------ routes

/// (method, path, function) as the contract has them, plus the catch-all.
type RouteSet = BTreeSet<(String, String, String)>;

fn contract_routes() -> RouteSet {
    ROUTES.iter().map(|r| (r.method.to_owned(), r.path.to_owned(), r.function().name().to_owned())).collect()
}

fn template_routes(template: &Value) -> (RouteSet, Vec<String>) {
    let binaries = binaries(template);
    let mut routes = RouteSet::new();
    let mut catch_all = Vec::new();
    for (id, function) in of_type(template, "AWS::Serverless::Function") {
        let Some(events) = function["Properties"]["Events"].as_object() else {
            continue;
        };
        for (name, event) in events {
            if event["Type"] != "HttpApi" {
                continue;
            }
            let properties = &event["Properties"];
            assert_eq!(properties["ApiId"], reference("HttpApi"), "{id}.{name} is on the HTTP API");
            match (properties["Method"].as_str(), properties["Path"].as_str()) {
                // SAM's default route: everything no other route matches.
                (None, None) => catch_all.push(binaries[id].clone()),
                (Some(method), Some(path)) => {
                    routes.insert((method.to_uppercase(), path.to_owned(), binaries[id].clone()));
                }
                other => panic!("{id}.{name}: Method and Path go together, got {other:?}"),
            }
        }
    }
    (routes, catch_all)
}

/// The `cargo lambda watch` router in the root Cargo.toml, read as cargo-lambda
/// reads it (`cargo metadata`).
fn watch_routes() -> (RouteSet, Vec<(String, String)>) {
    let metadata = test_support::workspace_metadata();
    let router = metadata["lambda"]["watch"]["router"].as_object().expect("a watch router").clone();
    let mut routes = RouteSet::new();
    let mut catch_all = Vec::new();
    for (path, target) in router {
        match target {
            Value::String(function) => catch_all.push((path, function)),
            Value::Array(entries) => {
                for entry in entries {
                    let method = entry["method"].as_str().unwrap().to_uppercase();
                    routes.insert((method, path.clone(), entry["function"].as_str().unwrap().to_owned()));
                }
            }
            other => panic!("router entry {path}: {other}"),
        }
    }
    (routes, catch_all)
}

#[test]
fn routes_are_the_contracts_everywhere() {
    let template = template();
    let (routes, catch_all) = template_routes(&template);
    assert_eq!(routes, contract_routes(), "the template's routes are shared::routes::ROUTES");
    assert_eq!(catch_all, [CATCH_ALL_FUNCTION], "one $default route, to the form's function");

    let (watch, watch_catch_all) = watch_routes();
    assert_eq!(watch, contract_routes(), "the watch router's routes are shared::routes::ROUTES");
    let catch_all_paths: BTreeSet<&str> = watch_catch_all.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(catch_all_paths, BTreeSet::from(["/", "/{*path}"]));
    assert!(watch_catch_all.iter().all(|(_, f)| f == CATCH_ALL_FUNCTION));
}

#[test]
fn every_function_is_a_workspace_binary_built_for_the_architecture_parameter() {
    let template = template();
    // Graviton by default; x86_64 is what scripts/artefact-smoke builds and starts here.
    let architecture = &template["Parameters"]["Architecture"];
    assert_eq!(architecture["Default"], "arm64");
    assert_eq!(architecture["AllowedValues"], json!(["arm64", "x86_64"]));
    let binaries = binaries(&template);
    let expected: BTreeSet<String> = ROUTES
        .iter()
        .map(|r| r.function().name().to_owned())
        .chain([
            "notify".into(),
            CATCH_ALL_FUNCTION.into(),
            MAIL_EVENTS_FUNCTION.into(),
            RETENTION_FUNCTION.into(),
        ])
        .collect();
    assert_eq!(binaries.values().cloned().collect::<BTreeSet<_>>(), expected);

    let mut roles = BTreeSet::new();
    for (id, function) in of_type(&template, "AWS::Serverless::Function") {
        let binary = &binaries[id];
        assert!(
            workspace_root().join("functions").join(binary).join("src/main.rs").is_file(),
            "{id}: functions/{binary}/src/main.rs"
        );
        let property = |name| function_property(&template, function, name);
        assert_eq!(property("Runtime"), "provided.al2023", "{id}");
        assert_eq!(property("Architectures"), &json!([reference("Architecture")]), "{id}");
        assert_eq!(property("Handler"), "bootstrap", "{id}");
        assert_eq!(property("MemorySize"), 128, "{id}");
        assert_eq!(property("Tracing"), "Active", "{id}");
        assert_eq!(property("CodeUri"), "..", "{id}: the workspace root, relative to infra/");
        let timeout =
            function["Properties"]["Timeout"].as_u64().unwrap_or_else(|| panic!("{id}: own Timeout"));
        // Within API Gateway's 30 s, but for the daily sweep, which nothing
        // waits on: Lambda's 15 minutes at most.
        let limit = if binary == RETENTION_FUNCTION { 900 } else { 30 };
        assert!((1..=limit).contains(&timeout), "{id}: Timeout {timeout}");

        let logging = property("LoggingConfig");
        assert_eq!(logging["LogFormat"], "JSON", "{id}");
        let group = logging["LogGroup"]["Ref"].as_str().unwrap_or_else(|| panic!("{id}: own log group"));
        let group = &resources(&template)[group];
        assert_eq!(group["Type"], "AWS::Logs::LogGroup");
        assert_eq!(group["Properties"]["RetentionInDays"], reference("LogRetentionDays"), "{id}");

        let role = property("Role")["Fn::GetAtt"][0].as_str().unwrap_or_else(|| panic!("{id}: own role"));
        assert!(roles.insert(role.to_owned()), "{id}: {role} is shared with another function");
        assert!(function["Properties"]["Policies"].is_null(), "{id}: permissions live in its role");
    }
}

// ------------------------------------------------------------------ table

#[test]
fn table_matches_the_layout_module() {
    let template = template();
    let table = &resources(&template)["ApplicationsTable"];
    let properties = &table["Properties"];
    assert_eq!(table["Type"], "AWS::DynamoDB::Table");

    let key = |hash: &str, range: &str| json!([{ "AttributeName": hash, "KeyType": "HASH" }, { "AttributeName": range, "KeyType": "RANGE" }]);
    assert_eq!(properties["KeySchema"], key(layout::PARTITION_KEY, layout::SORT_KEY));
    let indexes = properties["GlobalSecondaryIndexes"].as_array().unwrap();
    assert_eq!(indexes.len(), 6);
    assert_eq!(indexes[0]["IndexName"], layout::STATUS_INDEX);
    assert_eq!(
        indexes[0]["KeySchema"],
        key(layout::STATUS_INDEX_PARTITION_KEY, layout::STATUS_INDEX_SORT_KEY)
    );
    assert_eq!(indexes[1]["IndexName"], layout::RECEIVED_INDEX);
    assert_eq!(
        indexes[1]["KeySchema"],
        key(layout::RECEIVED_INDEX_PARTITION_KEY, layout::RECEIVED_INDEX_SORT_KEY)
    );
    assert_eq!(indexes[1]["Projection"], json!({ "ProjectionType": "ALL" }));
    assert_eq!(indexes[2]["IndexName"], layout::PHONE_INDEX);
    assert_eq!(indexes[2]["KeySchema"], key(layout::PHONE_INDEX_PARTITION_KEY, layout::PHONE_INDEX_SORT_KEY));
    assert_eq!(indexes[2]["Projection"], json!({ "ProjectionType": "ALL" }));
    // The sparse, compact ones: the reviewer's check by T-number and by
    // corporate name, and the name search, each projecting its layout list.
    let include =
        |attributes: &[&str]| json!({ "ProjectionType": "INCLUDE", "NonKeyAttributes": attributes });
    assert_eq!(indexes[3]["IndexName"], layout::INVOICE_INDEX);
    assert_eq!(
        indexes[3]["KeySchema"],
        key(layout::INVOICE_INDEX_PARTITION_KEY, layout::INVOICE_INDEX_SORT_KEY)
    );
    assert_eq!(indexes[3]["Projection"], include(&layout::RELATED_PROJECTION));
    assert_eq!(indexes[4]["IndexName"], layout::CORPORATE_NAME_INDEX);
    assert_eq!(
        indexes[4]["KeySchema"],
        key(layout::CORPORATE_NAME_INDEX_PARTITION_KEY, layout::CORPORATE_NAME_INDEX_SORT_KEY)
    );
    assert_eq!(indexes[4]["Projection"], include(&layout::RELATED_PROJECTION));
    assert_eq!(indexes[5]["IndexName"], layout::SEARCH_INDEX);
    assert_eq!(
        indexes[5]["KeySchema"],
        key(layout::SEARCH_INDEX_PARTITION_KEY, layout::SEARCH_INDEX_SORT_KEY)
    );
    assert_eq!(indexes[5]["Projection"], include(&layout::SEARCH_PROJECTION));
    // DynamoDB's limits: 20 indexes a table, 100 projected attributes over all of them.
    let projected: usize =
        indexes.iter().map(|i| i["Projection"]["NonKeyAttributes"].as_array().map_or(0, Vec::len)).sum();
    assert!(
        indexes.len() <= 20 && projected <= 100,
        "{} indexes, {projected} projected attributes",
        indexes.len()
    );
    let definitions: BTreeMap<&str, &str> = properties["AttributeDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["AttributeName"].as_str().unwrap(), d["AttributeType"].as_str().unwrap()))
        .collect();
    let keys = [
        layout::PARTITION_KEY,
        layout::SORT_KEY,
        layout::STATUS_INDEX_PARTITION_KEY,
        layout::STATUS_INDEX_SORT_KEY,
        layout::RECEIVED_INDEX_PARTITION_KEY,
        layout::PHONE_INDEX_PARTITION_KEY,
        layout::INVOICE_INDEX_PARTITION_KEY,
        layout::CORPORATE_NAME_INDEX_PARTITION_KEY,
        layout::SEARCH_INDEX_PARTITION_KEY,
        layout::SEARCH_INDEX_SORT_KEY,
    ];
    assert_eq!(definitions, keys.into_iter().map(|k| (k, "S")).collect(), "every key is a string");

    // Whole applications: the store's list_by_status decodes them from the index.
    assert_eq!(indexes[0]["Projection"], json!({ "ProjectionType": "ALL" }));

    assert_eq!(
        properties["TimeToLiveSpecification"],
        json!({ "AttributeName": layout::TTL_ATTRIBUTE, "Enabled": true })
    );
    assert_eq!(properties["StreamSpecification"]["StreamViewType"], layout::STREAM_VIEW_TYPE);
    assert_eq!(properties["BillingMode"], "PAY_PER_REQUEST");
}

#[test]
fn table_is_encrypted_recoverable_and_kept() {
    let template = template();
    let table = &resources(&template)["ApplicationsTable"];
    assert_eq!(table["Properties"]["SSESpecification"]["SSEEnabled"], true);
    assert_eq!(table["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"], true);
    assert_eq!(table["Properties"]["DeletionProtectionEnabled"], true);
    assert_eq!(table["DeletionPolicy"], "Retain");
    assert_eq!(table["UpdateReplacePolicy"], "Retain");
    for (id, queue) in of_type(&template, "AWS::SQS::Queue") {
        assert_eq!(queue["Properties"]["SqsManagedSseEnabled"], true, "{id} is encrypted");
    }
}

// ------------------------------------------------------------------ notify

#[test]
fn notify_reads_inserted_applications_and_parks_failures() {
    let template = template();
    let functions = binaries(&template);
    let notify_id = functions.iter().find(|(_, b)| *b == "notify").map(|(id, _)| id.clone()).unwrap();
    let notify = &resources(&template)[&notify_id];
    let events: Vec<&Value> = notify["Properties"]["Events"]
        .as_object()
        .unwrap()
        .values()
        .filter(|e| e["Type"] == "DynamoDB")
        .collect();
    assert_eq!(events.len(), 1, "one stream event");
    let stream = &events[0]["Properties"];
    assert_eq!(stream["Stream"], get_att("ApplicationsTable", "StreamArn"));
    assert_eq!(stream["BisectBatchOnFunctionError"], true);
    let retries = stream["MaximumRetryAttempts"].as_u64().expect("bounded retries");
    assert!((1..=10).contains(&retries), "MaximumRetryAttempts {retries}");
    assert_eq!(stream["FunctionResponseTypes"], json!(["ReportBatchItemFailures"]));

    // Only the records of a mail event, by the layout's key prefixes and statuses.
    let filters = stream["FilterCriteria"]["Filters"].as_array().unwrap();
    let mut patterns: Vec<Value> =
        filters.iter().map(|f| serde_json::from_str(f["Pattern"].as_str().unwrap()).unwrap()).collect();
    let key = |prefix: &str| json!({ layout::PARTITION_KEY: { "S": [{ "prefix": prefix }] } });
    let status = |status: shared::domain::Status| json!({ layout::attr::STATUS: { "S": [status.as_str()] } });
    use shared::domain::Status;
    // Exactly the history actions that send a mail: the decisions (their
    // result mail) and the applicant's documents (資料受領のお知らせ and the
    // operators' notice). Compared as sets: the order of HistoryAction::ALL is
    // no business of the filter's.
    let mut decisions: Vec<&str> = shared::domain::HistoryAction::ALL
        .into_iter()
        .filter(|action| !action.mails().is_empty())
        .map(|action| action.as_str())
        .collect();
    assert!(!decisions.is_empty());
    decisions.sort_unstable();
    if let Some(actions) =
        patterns.get_mut(3).and_then(|p| p["dynamodb"]["NewImage"][layout::attr::ACTION]["S"].as_array_mut())
    {
        actions.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    }
    assert_eq!(
        patterns,
        [
            json!({ "eventName": ["INSERT"],
                    "dynamodb": { "Keys": key(layout::APPLICATION_PREFIX), "NewImage": status(Status::AwaitingVerification) } }),
            json!({ "eventName": ["INSERT"], "dynamodb": { "Keys": key(layout::NOTICE_PREFIX) } }),
            json!({ "eventName": ["MODIFY"],
                    "dynamodb": { "Keys": key(layout::APPLICATION_PREFIX),
                                  "OldImage": status(shared::domain::Transition::Confirm.from()[0]),
                                  "NewImage": status(shared::domain::Transition::Confirm.to()) } }),
            // A history item that mails (it shares its application's pk).
            json!({ "eventName": ["INSERT"],
                    "dynamodb": { "Keys": { layout::PARTITION_KEY: { "S": [{ "prefix": layout::APPLICATION_PREFIX }] },
                                            layout::SORT_KEY: { "S": [{ "prefix": layout::HISTORY_SORT_PREFIX }] } },
                                  "NewImage": { layout::attr::ACTION: { "S": decisions } } } }),
        ]
    );
    let id = shared::domain::ApplicationId::parse("01JABCDEFGHJKMNPQRSTVWXYZ0").expect("a ULID");
    assert!(layout::is_application_item(&layout::application_pk(id)));
    let version = shared::domain::Version::FIRST.next();
    assert!(layout::is_history_item(&layout::history_sk(version)));
    assert!(!layout::is_history_item(layout::APPLICATION_SORT_KEY));

    // Failures go to an encrypted queue, whose depth raises an alarm.
    let on_failure = &stream["DestinationConfig"]["OnFailure"];
    assert_eq!(on_failure["Type"], "SQS");
    let queue = on_failure["Destination"]["Fn::GetAtt"][0].as_str().expect("a queue of this stack");
    assert_eq!(resources(&template)[queue]["Type"], "AWS::SQS::Queue");
    let depth_alarms: Vec<_> = of_type(&template, "AWS::CloudWatch::Alarm")
        .into_iter()
        .filter(|(_, a)| {
            let p = &a["Properties"];
            p["Namespace"] == "AWS/SQS"
                && p["MetricName"] == "ApproximateNumberOfMessagesVisible"
                && p["Dimensions"] == json!([{ "Name": "QueueName", "Value": get_att(queue, "QueueName") }])
                && p["Threshold"] == 1
                && p["AlarmActions"].as_array().is_some_and(|a| !a.is_empty())
        })
        .collect();
    assert_eq!(depth_alarms.len(), 1, "an alarm on the failure queue's depth");
}

/// The environment names notify's code reads (`shared/src/mail/config.rs`,
/// whose constants are private to `shared::mail`).
fn mail_environment_names() -> BTreeSet<String> {
    let source = std::fs::read_to_string(workspace_root().join("shared/src/mail/config.rs")).unwrap();
    let names: BTreeSet<String> = source
        .lines()
        .filter_map(|line| line.trim().strip_prefix("pub const ENV_"))
        .filter_map(|rest| rest.split('"').nth(1))
        .map(str::to_owned)
        .collect();
    assert!(names.contains("MAIL_FROM"), "found no ENV_ constants in shared/src/mail/config.rs");
    // The mail states the documents link's deadline (MailConfig reads it).
    let mut names = names;
    names.insert(shared::documents::settings::ENV_REQUEST_TTL_DAYS.to_owned());
    names
}

#[test]
fn functions_get_the_environment_their_code_reads() {
    let template = template();
    let functions = binaries(&template);
    let environment = |binary: &str| -> BTreeMap<String, Value> {
        let id = functions.iter().find(|(_, b)| *b == binary).map(|(id, _)| id).unwrap();
        resources(&template)[id]["Properties"]["Environment"]["Variables"]
            .as_object()
            .map(|vars| vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    };
    let table = reference("ApplicationsTable");
    let table_env = shared::store::dynamodb::TABLE_NAME_ENV;
    let key_env = shared::keyed::SECRET_ENV;
    let secret = reference("IdentifierKeySecret");
    assert_eq!(resources(&template)["IdentifierKeySecret"]["Type"], "AWS::SecretsManager::Secret");

    let submit = environment("submit");
    let limits = [
        (shared::limits::ENV_SUBMISSIONS_PER_CLIENT, "RateLimitSubmissionsPerClient"),
        (shared::limits::ENV_SUBMISSIONS_TOTAL, "RateLimitSubmissionsTotal"),
        (shared::limits::ENV_SUBMISSIONS_PER_ADDRESS, "RateLimitSubmissionsPerAddress"),
        (shared::limits::ENV_VERIFICATIONS_PER_CLIENT, "RateLimitVerificationsPerClient"),
        (submit::ENV_VERIFICATION_TTL_HOURS, "VerificationTtlHours"),
    ];
    let mut expected =
        BTreeMap::from([(table_env.to_owned(), table.clone()), (key_env.to_owned(), secret.clone())]);
    for (name, parameter) in limits {
        expected.insert(name.to_owned(), reference(parameter));
        assert!(template["Parameters"][parameter]["Default"].is_number(), "{parameter} has a default");
    }
    assert_eq!(submit, expected);
    assert_eq!(template["Parameters"]["RateLimitSubmissionsPerClient"]["Default"], 10);
    assert_eq!(template["Parameters"]["RateLimitSubmissionsTotal"]["Default"], 1000);
    assert_eq!(template["Parameters"]["RateLimitSubmissionsPerAddress"]["Default"], 3);
    assert_eq!(template["Parameters"]["VerificationTtlHours"]["Default"], 24);

    let notify = environment("notify");
    assert_eq!(notify[table_env], table);
    assert_eq!(notify[key_env], secret);
    let mut names: BTreeSet<String> = notify.keys().cloned().collect();
    names.remove(table_env);
    names.remove(key_env);
    assert_eq!(names, mail_environment_names(), "notify's mail settings are the ones shared::mail reads");
    for (name, value) in &notify {
        if name == "SES_CONFIGURATION_SET" {
            // The parameter, or the stack's own set (mail_goes_through_a_set_that_requires_tls).
            continue;
        }
        let parameter =
            value["Ref"].as_str().or_else(|| value["Fn::If"][1]["Ref"].as_str()).unwrap_or_default();
        assert!(
            template["Parameters"][parameter].is_object() || name == table_env || name == key_env,
            "{name} comes from a parameter"
        );
    }
    // The applicant's documents: the table, the key (the link's token), the
    // link's rate limit, the bucket and the limits.
    let bucket = documents_bucket_name(&template);
    assert_eq!(
        environment("documents"),
        BTreeMap::from([
            (table_env.to_owned(), table.clone()),
            (key_env.to_owned(), secret.clone()),
            (
                shared::limits::ENV_VERIFICATIONS_PER_CLIENT.to_owned(),
                reference("RateLimitVerificationsPerClient")
            ),
            (DOCUMENTS_BUCKET_ENV.to_owned(), bucket.clone()),
            (DOCUMENT_MAX_FILES_ENV.to_owned(), reference("DocumentMaxFiles")),
            (DOCUMENT_MAX_FILE_BYTES_ENV.to_owned(), reference("DocumentMaxFileBytes")),
            (DOCUMENT_MAX_TOTAL_BYTES_ENV.to_owned(), reference("DocumentMaxTotalBytes")),
        ])
    );

    // The operator API: both tables, the key, the rejections' retention (set
    // at the decision), and the documents' bucket, link lifetime and
    // scanning. Not the documents' retention: the retention function's.
    assert_eq!(
        environment("admin"),
        BTreeMap::from([
            (table_env.to_owned(), table),
            (ADMIN_AUDIT_TABLE_ENV.to_owned(), reference("AuditTable")),
            (key_env.to_owned(), secret),
            (ADMIN_REJECTED_RETENTION_ENV.to_owned(), reference("RejectedRetentionDays")),
            (DOCUMENTS_BUCKET_ENV.to_owned(), bucket),
            (ADMIN_DOCUMENT_REQUEST_TTL_ENV.to_owned(), reference("DocumentRequestTtlDays")),
            (ADMIN_DOCUMENT_MALWARE_SCANNING_ENV.to_owned(), reference("DocumentMalwareScanning")),
            // Who may be assigned: the operators' pool.
            (admin::directory::ENV_USER_POOL_ID.to_owned(), reference("OperatorUserPool")),
        ])
    );

    // The web function: the console's sign-in, only with PublicBaseUrl (the
    // client has an OAuth flow only then); else empty, and the console says
    // it is not configured.
    let with_base_url = |value: Value| json!({ "Fn::If": ["HasPublicBaseUrl", value, ""] });
    assert_eq!(
        environment(CATCH_ALL_FUNCTION),
        BTreeMap::from([
            (
                web::ENV_COGNITO_DOMAIN.to_owned(),
                with_base_url(json!({
                    "Fn::Sub": "https://${OperatorUserPoolDomain}.auth.${AWS::Region}.amazoncognito.com"
                }))
            ),
            (web::ENV_COGNITO_CLIENT_ID.to_owned(), with_base_url(reference("OperatorConsoleClient"))),
            (web::ENV_PUBLIC_BASE_URL.to_owned(), with_base_url(reference("PublicBaseUrl"))),
            (
                web::ENV_DOCUMENTS_UPLOAD_ORIGIN.to_owned(),
                json!({ "Fn::Sub": [
                    "https://partner-documents-${StackUuid}.s3.${AWS::Region}.${AWS::URLSuffix}",
                    { "StackUuid": { "Fn::Select": [2, { "Fn::Split": ["/", { "Ref": "AWS::StackId" }] }] } }
                ] })
            ),
        ])
    );
    // The page uploads to the bucket the documents function presigns for.
    let upload_origin = &environment(CATCH_ALL_FUNCTION)[web::ENV_DOCUMENTS_UPLOAD_ORIGIN]["Fn::Sub"];
    assert_eq!(
        upload_origin[0].as_str().unwrap().trim_start_matches("https://").split('.').next(),
        documents_bucket_name(&template)["Fn::Sub"][0].as_str()
    );
    // The same domain as the sign-in page the stack reports.
    let login = &template["Outputs"]["OperatorLoginUrl"]["Value"];
    assert_eq!(environment(CATCH_ALL_FUNCTION)[web::ENV_COGNITO_DOMAIN]["Fn::If"][1], *login);

    for binary in ["validate", "postal"] {
        assert!(environment(binary).is_empty(), "{binary} needs no settings");
    }
    // The events function: the table (DynamoStore::from_env), nothing else:
    // no key, no mail settings, not the audit table.
    assert_eq!(
        environment(MAIL_EVENTS_FUNCTION),
        BTreeMap::from([(table_env.to_owned(), reference("ApplicationsTable"))])
    );
    // The retention function (functions/retention/src/main.rs): both tables
    // (DynamoStore::from_env; an undecided application's erasure is
    // audited), the key (shared::aws::clients reads it; an erasure deletes
    // the link's token), the bucket, and the two retentions it applies
    // (Policy::from_env). A rejection's is the admin function's, set at the
    // decision in the due entry the sweep reads.
    assert_eq!(
        environment(RETENTION_FUNCTION),
        BTreeMap::from([
            (table_env.to_owned(), reference("ApplicationsTable")),
            (AUDIT_TABLE_ENV.to_owned(), reference("AuditTable")),
            (key_env.to_owned(), reference("IdentifierKeySecret")),
            (DOCUMENTS_BUCKET_ENV.to_owned(), documents_bucket_name(&template)),
            (DOCUMENT_RETENTION_ENV.to_owned(), reference("DocumentRetentionDays")),
            (UNDECIDED_RETENTION_ENV.to_owned(), reference("UndecidedRetentionDays")),
        ])
    );
    assert_eq!(AUDIT_TABLE_ENV, ADMIN_AUDIT_TABLE_ENV, "the name admin's main.rs reads");
}

use shared::store::dynamodb::AUDIT_TABLE_NAME_ENV as AUDIT_TABLE_ENV;
use shared::store::retention::{ENV_UNDECIDED_RETENTION_DAYS as UNDECIDED_RETENTION_ENV, UndecidedRetention};

/// The names functions/admin/src/main.rs reads besides `TABLE_NAME` and
/// `IDENTIFIER_KEY_SECRET` (the crate exports no constants for them).
const ADMIN_AUDIT_TABLE_ENV: &str = "AUDIT_TABLE_NAME";
const ADMIN_REJECTED_RETENTION_ENV: &str = "REJECTED_RETENTION_DAYS";
use shared::documents::settings::{
    ENV_BUCKET as DOCUMENTS_BUCKET_ENV, ENV_MALWARE_SCANNING as ADMIN_DOCUMENT_MALWARE_SCANNING_ENV,
    ENV_MAX_FILE_BYTES as DOCUMENT_MAX_FILE_BYTES_ENV, ENV_MAX_FILES as DOCUMENT_MAX_FILES_ENV,
    ENV_MAX_TOTAL_BYTES as DOCUMENT_MAX_TOTAL_BYTES_ENV,
    ENV_REQUEST_TTL_DAYS as ADMIN_DOCUMENT_REQUEST_TTL_ENV, ENV_RETENTION_DAYS as DOCUMENT_RETENTION_ENV,
};

/// Rejected applications are deleted once the retention the rejection sets
/// has passed (a year by default, a parameter of the stack): by the daily
/// retention function, with the table's TTL as the backstop.
#[test]
fn rejected_retention_days_is_a_parameter_that_reaches_the_admin_function() {
    let template = template();
    let parameter = &template["Parameters"]["RejectedRetentionDays"];
    assert_eq!(parameter["Type"], "Number");
    assert_eq!(parameter["Default"], 365);
    assert_eq!(parameter["MinValue"], 1);
    assert_eq!(parameter["MaxValue"], 3650);
    let admin = &resources(&template)["AdminFunction"];
    assert_eq!(admin["Metadata"]["BuildProperties"]["Binary"], "admin");
    assert_eq!(
        admin["Properties"]["Environment"]["Variables"][ADMIN_REJECTED_RETENTION_ENV],
        reference("RejectedRetentionDays")
    );
    // The TTL that deletes them is the applications table's.
    assert_eq!(
        resources(&template)["ApplicationsTable"]["Properties"]["TimeToLiveSpecification"]["AttributeName"],
        layout::TTL_ATTRIBUTE
    );
}

/// Point-in-time recovery keeps erased applications for its window: the
/// window is a parameter (AWS's 35 days by default), and the README's
/// retention table names it and the stream's 24 hours.
#[test]
fn the_recovery_window_is_a_parameter_the_readme_states() {
    let template = template();
    let parameter = &template["Parameters"]["PointInTimeRecoveryDays"];
    assert_eq!(parameter["Type"], "Number");
    assert_eq!(parameter["Default"], 35);
    assert_eq!(parameter["MinValue"], 1);
    assert_eq!(parameter["MaxValue"], 35);
    let recovery =
        &resources(&template)["ApplicationsTable"]["Properties"]["PointInTimeRecoverySpecification"];
    assert_eq!(recovery["PointInTimeRecoveryEnabled"], true);
    assert_eq!(recovery["RecoveryPeriodInDays"], reference("PointInTimeRecoveryDays"));

    let readme = std::fs::read_to_string(test_support::workspace_root().join("README.md")).unwrap();
    let retention = readme.split("### Retention").nth(1).expect("a retention section");
    let table: Vec<&str> =
        retention.lines().skip_while(|l| !l.starts_with('|')).take_while(|l| l.starts_with('|')).collect();
    let row = |needle: &str| table.iter().find(|row| row.contains(needle)).copied();
    let backups = row("PointInTimeRecoveryDays").expect("a row for the backups' window");
    assert!(backups.contains("35 days") && backups.contains("replay-erasures"), "{backups}");
    let stream = row("stream").expect("a row for the stream");
    assert!(stream.contains("24 hours"), "{stream}");
}

/// Mail leaves SES over TLS only: the stack creates a configuration set with
/// `TlsPolicy: REQUIRE` and notify sends with it, unless the
/// `SesConfigurationSet` parameter names an existing set; notify may use
/// whichever set it is given, and no other.
#[test]
fn mail_goes_through_a_set_that_requires_tls() {
    let template = template();
    let set = &resources(&template)["MailConfigurationSet"];
    assert_eq!(set["Type"], "AWS::SES::ConfigurationSet");
    assert_eq!(set["Properties"]["DeliveryOptions"]["TlsPolicy"], "REQUIRE");
    let condition = set["Condition"].as_str().expect("created only when no set is named");
    assert_eq!(
        template["Conditions"][condition],
        json!({ "Fn::Equals": [reference("SesConfigurationSet"), ""] })
    );
    assert_eq!(template["Parameters"]["SesConfigurationSet"]["Default"], "");
    let has_set = json!({ "Fn::Not": [{ "Fn::Equals": [reference("SesConfigurationSet"), ""] }] });
    assert_eq!(template["Conditions"]["HasConfigurationSet"], has_set);

    let chosen = json!({ "Fn::If": ["HasConfigurationSet", reference("SesConfigurationSet"), reference("MailConfigurationSet")] });
    let notify = &resources(&template)["NotifyFunction"];
    assert_eq!(notify["Properties"]["Environment"]["Variables"]["SES_CONFIGURATION_SET"], chosen);

    let ses: Vec<Value> = statements(&template)
        .into_iter()
        .map(|(_, s)| s)
        .filter(|s| as_list(&s["Action"]).iter().any(|a| a.as_str().unwrap().starts_with("ses:")))
        .collect();
    let resources = as_list(&ses[0]["Resource"]);
    assert_eq!(resources.len(), 2, "the identity and the set");
    let (arn, names) = (&resources[1]["Fn::Sub"][0], &resources[1]["Fn::Sub"][1]);
    assert!(arn.as_str().unwrap().ends_with(":configuration-set/${Name}"), "{arn}");
    assert_eq!(names["Name"], chosen);
}

// ------------------------------------------------------------------ mail delivery status

/// The SES event types the configuration set publishes, each with the
/// `detail-type` SES gives it on EventBridge (EventBridge's SES reference).
/// Not SEND: a mail is `sent` when notify records it.
const MAIL_EVENTS: [(&str, &str); 5] = [
    ("DELIVERY", "Email Delivered"),
    ("BOUNCE", "Email Bounced"),
    ("COMPLAINT", "Email Complaint Received"),
    ("REJECT", "Email Rejected"),
    ("DELIVERY_DELAY", "Email Delivery Delayed"),
];

/// The configuration set notify sends with: the parameter's, or the stack's own.
fn chosen_configuration_set() -> Value {
    json!({ "Fn::If": ["HasConfigurationSet", reference("SesConfigurationSet"), reference("MailConfigurationSet")] })
}

fn sorted_strings(value: &Value) -> Vec<String> {
    let mut strings: Vec<String> =
        as_list(value).iter().map(|v| v.as_str().expect("strings").to_owned()).collect();
    strings.sort();
    strings
}

/// The stack's own set applies the account's suppression list to bounces and
/// complaints; a set named in `SesConfigurationSet` keeps its owner's options.
#[test]
fn the_configuration_set_suppresses_bounced_and_complaining_addresses() {
    let template = template();
    let set = &resources(&template)["MailConfigurationSet"];
    assert_eq!(set["Condition"], "CreatesConfigurationSet");
    assert_eq!(
        set["Properties"]["SuppressionOptions"],
        json!({ "SuppressedReasons": ["BOUNCE", "COMPLAINT"] })
    );
    // Still TLS only (mail_goes_through_a_set_that_requires_tls).
    assert_eq!(set["Properties"]["DeliveryOptions"]["TlsPolicy"], "REQUIRE");
    assert_eq!(of_type(&template, "AWS::SES::ConfigurationSet").len(), 1);
}

/// The set notify sends with, whichever it is, publishes exactly the five
/// delivery events to EventBridge's default bus (the only bus SES publishes to).
#[test]
fn the_configuration_set_sends_its_delivery_events_to_the_default_bus() {
    let template = template();
    let destinations = of_type(&template, "AWS::SES::ConfigurationSetEventDestination");
    assert_eq!(destinations.len(), 1, "one event destination");
    let (_, destination) = destinations[0];
    assert!(destination["Condition"].is_null(), "on the parameter's set too");
    let p = &destination["Properties"];
    assert_eq!(p["ConfigurationSetName"], chosen_configuration_set());
    // The same set notify sends with.
    assert_eq!(
        resources(&template)[&function_id(&template, "notify")]["Properties"]["Environment"]["Variables"]["SES_CONFIGURATION_SET"],
        chosen_configuration_set()
    );
    let d = &p["EventDestination"];
    assert_eq!(d["Enabled"], true);
    let mut expected: Vec<String> = MAIL_EVENTS.iter().map(|(t, _)| (*t).to_owned()).collect();
    expected.sort();
    assert_eq!(sorted_strings(&d["MatchingEventTypes"]), expected, "exactly the delivery events, not SEND");
    assert_eq!(
        d["EventBridgeDestination"],
        json!({ "EventBusArn": { "Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default" } })
    );
    for other in ["CloudWatchDestination", "KinesisFirehoseDestination", "SnsDestination"] {
        assert!(d[other].is_null(), "{other}");
    }
    // Named by the stack's id: unique on a set that other stacks use too.
    let name = d["Name"]["Fn::Sub"][0].as_str().expect("a name of the stack's id");
    assert!(name.contains("${StackUuid}"), "{name}");
}

/// A rule on the default bus takes SES's five events of this stack's set only
/// (by the `ses:configuration-set` tag SES puts on every mail) to the events
/// function, which only this rule may invoke; what cannot be delivered or
/// recorded lands in an encrypted queue that only this rule and the
/// function's destination write to, whose depth raises an alarm.
#[test]
fn a_rule_takes_this_sets_events_to_the_mail_events_function() {
    let template = template();
    let function = function_id(&template, MAIL_EVENTS_FUNCTION);
    let function_resource = &resources(&template)[&function];
    // Invoked by the rule alone: no SAM event source of its own.
    assert!(function_resource["Properties"]["Events"].is_null(), "{function} has events of its own");

    let rules = of_type(&template, "AWS::Events::Rule");
    assert_eq!(rules.len(), 1);
    let (rule_id, rule) = rules[0];
    let p = &rule["Properties"];
    assert!(p["EventBusName"].is_null() || p["EventBusName"] == "default", "{}", p["EventBusName"]);
    assert_eq!(p["State"], "ENABLED");
    let pattern = &p["EventPattern"];
    assert_eq!(pattern["source"], json!(["aws.ses"]));
    let mut detail_types: Vec<String> = MAIL_EVENTS.iter().map(|(_, d)| (*d).to_owned()).collect();
    detail_types.sort();
    assert_eq!(sorted_strings(&pattern["detail-type"]), detail_types);
    assert_eq!(
        pattern["detail"],
        json!({ "mail": { "tags": { "ses:configuration-set": [chosen_configuration_set()] } } })
    );
    assert_eq!(pattern.as_object().unwrap().len(), 3, "source, detail-type and detail: {pattern}");

    let targets = p["Targets"].as_array().unwrap();
    assert_eq!(targets.len(), 1);
    let target = &targets[0];
    assert_eq!(target["Arn"], get_att(&function, "Arn"));
    let retries = target["RetryPolicy"]["MaximumRetryAttempts"].as_u64().expect("a retry policy");
    assert!((1..=185).contains(&retries), "{retries}");
    let age = target["RetryPolicy"]["MaximumEventAgeInSeconds"].as_u64().unwrap();
    assert!((60..=86400).contains(&age), "{age}");
    let queue = target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0].as_str().expect("a dead-letter queue");
    assert_eq!(target["DeadLetterConfig"]["Arn"], get_att(queue, "Arn"));

    // EventBridge may invoke the function for this rule only.
    let permissions: Vec<&Value> = of_type(&template, "AWS::Lambda::Permission")
        .into_iter()
        .map(|(_, permission)| &permission["Properties"])
        .filter(|p| p["FunctionName"].to_string().contains(&format!("\"{function}\"")))
        .collect();
    assert_eq!(permissions.len(), 1, "one permission for {function}");
    assert_eq!(
        *permissions[0],
        json!({ "Action": "lambda:InvokeFunction", "FunctionName": get_att(&function, "Arn"),
                "Principal": "events.amazonaws.com", "SourceArn": get_att(rule_id, "Arn") })
    );

    // Lambda's own retries of an event the function failed, then the same queue.
    let invoke = &function_resource["Properties"]["EventInvokeConfig"];
    assert!(invoke["MaximumRetryAttempts"].as_u64().is_some_and(|n| n <= 2), "{invoke}");
    assert_eq!(
        invoke["DestinationConfig"]["OnFailure"],
        json!({ "Type": "SQS", "Destination": get_att(queue, "Arn") })
    );

    // The queue: encrypted, kept a week at most (the events name the
    // recipients), written by EventBridge for this rule only.
    let queue_resource = &resources(&template)[queue];
    assert_eq!(queue_resource["Type"], "AWS::SQS::Queue");
    assert_eq!(queue_resource["Properties"]["SqsManagedSseEnabled"], true);
    let retention = queue_resource["Properties"]["MessageRetentionPeriod"].as_u64().unwrap();
    assert!(retention <= 7 * 24 * 3600, "{retention}");
    let policies: Vec<&Value> = of_type(&template, "AWS::SQS::QueuePolicy")
        .into_iter()
        .map(|(_, policy)| &policy["Properties"])
        .filter(|p| p["Queues"] == json!([reference(queue)]))
        .collect();
    assert_eq!(policies.len(), 1, "a policy on {queue}");
    assert_eq!(
        policies[0]["PolicyDocument"]["Statement"],
        json!([{ "Sid": "FromTheRule", "Effect": "Allow",
                 "Principal": { "Service": "events.amazonaws.com" },
                 "Action": "sqs:SendMessage",
                 "Resource": get_att(queue, "Arn"),
                 "Condition": { "ArnEquals": { "aws:SourceArn": get_att(rule_id, "Arn") } } }])
    );
    let depth: Vec<_> = of_type(&template, "AWS::CloudWatch::Alarm")
        .into_iter()
        .filter(|(_, a)| {
            let p = &a["Properties"];
            p["Namespace"] == "AWS/SQS"
                && p["MetricName"] == "ApproximateNumberOfMessagesVisible"
                && p["Dimensions"] == json!([{ "Name": "QueueName", "Value": get_att(queue, "QueueName") }])
                && p["Threshold"] == 1
                && p["AlarmActions"] == json!([reference("AlarmTopic")])
        })
        .collect();
    assert_eq!(depth.len(), 1, "an alarm on {queue}'s depth");
    assert_eq!(template["Outputs"]["MailEventsFailureQueueUrl"]["Value"], reference(queue));
}

/// The account's reputation, as SES reviews it (5 % bounces, 0.1 %
/// complaints), alarmed at half: the account-wide metrics (no dimension), to
/// the alarm topic, to which `AlarmEmail` is subscribed when given.
#[test]
fn the_bounce_and_complaint_rates_raise_alarms() {
    let template = template();
    let alarms: BTreeMap<String, &Value> = of_type(&template, "AWS::CloudWatch::Alarm")
        .into_iter()
        .map(|(_, a)| &a["Properties"])
        .filter(|p| p["Namespace"] == "AWS/SES")
        .map(|p| (p["MetricName"].as_str().unwrap().to_owned(), p))
        .collect();
    assert_eq!(
        alarms.keys().map(String::as_str).collect::<Vec<_>>(),
        ["Reputation.BounceRate", "Reputation.ComplaintRate"]
    );
    for (metric, threshold) in [("Reputation.BounceRate", 0.02), ("Reputation.ComplaintRate", 0.0005)] {
        let p = alarms[metric];
        assert_eq!(p["Threshold"].as_f64(), Some(threshold), "{metric}");
        assert_eq!(p["ComparisonOperator"], "GreaterThanOrEqualToThreshold", "{metric}");
        assert!(p["Dimensions"].is_null(), "{metric}: the account's rate");
        assert_eq!(p["Statistic"], "Maximum", "{metric}");
        assert_eq!(p["Period"], 3600, "{metric}");
        assert_eq!(p["EvaluationPeriods"], 1, "{metric}");
        // A quiet hour does not make a high rate low.
        assert_eq!(p["TreatMissingData"], "ignore", "{metric}");
        assert_eq!(p["AlarmActions"], json!([reference("AlarmTopic")]), "{metric}");
        assert_eq!(p["OKActions"], json!([reference("AlarmTopic")]), "{metric}");
    }

    assert_eq!(resources(&template)["AlarmTopic"]["Type"], "AWS::SNS::Topic");
    let subscription = &resources(&template)["AlarmSubscription"];
    assert_eq!(subscription["Condition"], "HasAlarmEmail");
    assert_eq!(
        subscription["Properties"],
        json!({ "TopicArn": reference("AlarmTopic"), "Protocol": "email", "Endpoint": reference("AlarmEmail") })
    );
    assert_eq!(template["Parameters"]["AlarmEmail"]["Default"], "");
    assert_eq!(
        template["Conditions"]["HasAlarmEmail"],
        json!({ "Fn::Not": [{ "Fn::Equals": [reference("AlarmEmail"), ""] }] })
    );
}

// ------------------------------------------------------------------ IAM

/// Every statement of every policy in the template, with where it is.
fn statements(template: &Value) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    for (id, role) in of_type(template, "AWS::IAM::Role") {
        for policy in role["Properties"]["Policies"].as_array().into_iter().flatten() {
            for statement in policy["PolicyDocument"]["Statement"].as_array().unwrap() {
                found.push((format!("{id}/{}", policy["PolicyName"]), statement.clone()));
            }
        }
    }
    for (id, policy) in of_type(template, "AWS::IAM::ManagedPolicy") {
        for statement in policy["Properties"]["PolicyDocument"]["Statement"].as_array().unwrap() {
            found.push((id.clone(), statement.clone()));
        }
    }
    found
}

fn as_list(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    }
}

/// Every statement a role has, in its own policies and its managed ones.
fn role_statements(template: &Value, role: &str) -> Vec<Value> {
    let role_resource = &resources(template)[role];
    let mut all = Vec::new();
    for policy in role_resource["Properties"]["Policies"].as_array().into_iter().flatten() {
        all.extend(policy["PolicyDocument"]["Statement"].as_array().unwrap().clone());
    }
    for managed in as_list(&role_resource["Properties"]["ManagedPolicyArns"]) {
        let id = managed["Ref"].as_str().expect("only this template's managed policies");
        all.extend(
            resources(template)[id]["Properties"]["PolicyDocument"]["Statement"].as_array().unwrap().clone(),
        );
    }
    all
}

/// The actions a role is allowed, with the resources of each.
fn role_actions(template: &Value, role: &str) -> BTreeMap<String, Vec<Value>> {
    let mut actions: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for statement in role_statements(template, role) {
        for action in as_list(&statement["Action"]) {
            actions
                .entry(action.as_str().unwrap().to_owned())
                .or_default()
                .extend(as_list(&statement["Resource"]));
        }
    }
    actions
}

#[test]
fn iam_is_least_privilege() {
    let template = template();
    for (place, statement) in statements(&template) {
        assert_eq!(statement["Effect"], "Allow", "{place}: only Allow statements");
        assert!(statement["NotAction"].is_null() && statement["NotResource"].is_null(), "{place}");
        let actions = as_list(&statement["Action"]);
        assert!(!actions.is_empty(), "{place}");
        for action in &actions {
            let action = action.as_str().unwrap();
            assert!(!action.contains('*'), "{place}: wildcard action {action}");
        }
        let resources = as_list(&statement["Resource"]);
        assert!(!resources.is_empty(), "{place}");
        if resources.contains(&json!("*")) {
            // X-Ray has no resource-level permissions; nothing else may use "*".
            assert!(
                actions.iter().all(|a| a.as_str().unwrap().starts_with("xray:")),
                "{place}: Resource \"*\""
            );
        }
    }

    let functions = binaries(&template);
    let role_of = |binary: &str| {
        let id = functions.iter().find(|(_, b)| *b == binary).map(|(id, _)| id).unwrap();
        resources(&template)[id]["Properties"]["Role"]["Fn::GetAtt"][0].as_str().unwrap().to_owned()
    };
    let services = |actions: &BTreeMap<String, Vec<Value>>| -> BTreeSet<String> {
        actions.keys().map(|a| a.split(':').next().unwrap().to_owned()).collect()
    };
    for binary in ["validate", "postal", CATCH_ALL_FUNCTION] {
        let actions = role_actions(&template, &role_of(binary));
        assert_eq!(services(&actions), BTreeSet::from(["logs".to_owned(), "xray".to_owned()]), "{binary}");
    }

    let table = get_att("ApplicationsTable", "Arn");
    let submit = role_actions(&template, &role_of("submit"));
    assert_eq!(
        services(&submit),
        BTreeSet::from(["dynamodb".into(), "logs".into(), "secretsmanager".into(), "xray".into()])
    );
    for (action, resources) in submit.iter().filter(|(a, _)| a.starts_with("dynamodb:")) {
        assert_eq!(resources, &vec![table.clone()], "submit {action}: the table only");
    }
    for action in ["dynamodb:Scan", "dynamodb:Query", "dynamodb:BatchWriteItem"] {
        assert!(!submit.contains_key(action), "submit {action}");
    }
    let secret = reference("IdentifierKeySecret");
    assert_eq!(submit["secretsmanager:GetSecretValue"], vec![secret.clone()]);

    let notify = role_actions(&template, &role_of("notify"));
    assert_eq!(
        services(&notify),
        BTreeSet::from([
            "dynamodb".into(),
            "logs".into(),
            "secretsmanager".into(),
            "ses".into(),
            "sqs".into(),
            "xray".into()
        ])
    );
    assert_eq!(notify["secretsmanager:GetSecretValue"], vec![secret]);
    for action in ["dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream"] {
        assert_eq!(notify[action], vec![get_att("ApplicationsTable", "StreamArn")], "notify {action}");
    }
    assert_eq!(notify["sqs:SendMessage"], vec![get_att("NotifyFailureQueue", "Arn")]);
    // The markers and, with each, the mail's record: nothing else of the table.
    let dynamodb: BTreeSet<&str> =
        notify.keys().filter(|a| a.starts_with("dynamodb:")).map(String::as_str).collect();
    assert_eq!(
        dynamodb,
        BTreeSet::from([
            "dynamodb:DescribeStream",
            "dynamodb:GetItem",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
            "dynamodb:ListStreams",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem"
        ])
    );
    for action in ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem"] {
        assert_eq!(notify[action], vec![get_att("ApplicationsTable", "Arn")], "notify {action}");
    }
    // The audit table is no business of submit's or notify's.
    for (binary, actions) in [("submit", &submit), ("notify", &notify)] {
        for (action, resources) in actions {
            assert!(
                !resources.iter().any(|r| r.to_string().contains("AuditTable")),
                "{binary} {action} on the audit table"
            );
        }
    }
    for action in notify.keys().filter(|a| a.starts_with("dynamodb:")) {
        assert!(
            !["dynamodb:Scan", "dynamodb:Query", "dynamodb:DeleteItem"].contains(&action.as_str()),
            "{action}"
        );
    }

    // The events function: its logs and X-Ray, conditional UpdateItem on the
    // applications (a TransactWriteItems of Updates needs nothing more), and
    // its failure queue (Lambda's on-failure destination sends with the
    // function's role). No read, query or scan, no stream, no mail, no key.
    let mail_events_role = role_of(MAIL_EVENTS_FUNCTION);
    let mail_events_log_group = resources(&template)[&function_id(&template, MAIL_EVENTS_FUNCTION)]["Properties"]
        ["LoggingConfig"]["LogGroup"]["Ref"]
        .as_str()
        .unwrap()
        .to_owned();
    let log_group = get_att(&mail_events_log_group, "Arn");
    assert_eq!(
        role_actions(&template, &mail_events_role),
        BTreeMap::from([
            ("dynamodb:UpdateItem".to_owned(), vec![table.clone()]),
            ("logs:CreateLogStream".to_owned(), vec![log_group.clone()]),
            ("logs:PutLogEvents".to_owned(), vec![log_group]),
            ("sqs:SendMessage".to_owned(), vec![get_att("MailEventsFailureQueue", "Arn")]),
            ("xray:PutTraceSegments".to_owned(), vec![json!("*")]),
            ("xray:PutTelemetryRecords".to_owned(), vec![json!("*")]),
        ]),
        "{mail_events_role}'s actions and their resources"
    );
    assert_eq!(
        resources(&template)[&mail_events_role]["Properties"]["AssumeRolePolicyDocument"]["Statement"],
        json!([{ "Effect": "Allow", "Principal": { "Service": "lambda.amazonaws.com" }, "Action": "sts:AssumeRole" }])
    );

    // The documents bucket: the documents function under incoming/ (presigned
    // PUTs, the first bytes, the copy's source, a mismatch deleted) and
    // documents/ (the copy, a replay's re-check); the admin function's is
    // the_admin_role_is_least_privilege_and_the_audit_is_append_only's, the
    // retention function's the_retention_role_is_least_privilege's. No other
    // function has any S3 action.
    for binary in
        functions.values().filter(|b| !["documents", "admin", RETENTION_FUNCTION].contains(&b.as_str()))
    {
        let actions = role_actions(&template, &role_of(binary));
        assert!(!services(&actions).contains("s3"), "{binary} has S3 actions: {actions:?}");
    }
    let documents = role_actions(&template, &role_of("documents"));
    assert_eq!(
        services(&documents),
        BTreeSet::from([
            "dynamodb".into(),
            "logs".into(),
            "s3".into(),
            "secretsmanager".into(),
            "xray".into()
        ])
    );
    let s3: BTreeMap<&str, BTreeSet<String>> = documents
        .iter()
        .filter(|(a, _)| a.starts_with("s3:"))
        .map(|(a, r)| (a.as_str(), r.iter().map(Value::to_string).collect()))
        .collect();
    let under = |prefixes: &[&str]| -> BTreeSet<String> {
        prefixes.iter().map(|p| documents_bucket_arn(&template, &format!("/{p}/*")).to_string()).collect()
    };
    assert_eq!(
        s3,
        BTreeMap::from([
            ("s3:PutObject", under(&["incoming", "documents"])),
            ("s3:GetObject", under(&["incoming", "documents"])),
            ("s3:DeleteObject", under(&["incoming"])),
        ]),
        "the documents function's S3 actions and their prefixes"
    );
    // The table as submit has it: the same actions, on the table only.
    let dynamodb = |actions: &BTreeMap<String, Vec<Value>>| -> BTreeMap<String, Vec<Value>> {
        actions
            .iter()
            .filter(|(a, _)| a.starts_with("dynamodb:"))
            .map(|(a, r)| (a.clone(), r.clone()))
            .collect()
    };
    assert_eq!(dynamodb(&documents), dynamodb(&submit), "the documents function's table access is submit's");
    assert_eq!(documents["secretsmanager:GetSecretValue"], vec![reference("IdentifierKeySecret")]);
    for (action, resources) in &documents {
        assert!(
            !resources.iter().any(|r| r.to_string().contains("AuditTable")),
            "documents {action} on the audit table"
        );
    }

    // Mail: only from the configured identity and sender address.
    let ses: Vec<(String, Value)> = statements(&template)
        .into_iter()
        .filter(|(_, s)| as_list(&s["Action"]).iter().any(|a| a.as_str().unwrap().starts_with("ses:")))
        .collect();
    assert_eq!(ses.len(), 1);
    let statement = &ses[0].1;
    let identity = as_list(&statement["Resource"])[0]["Fn::Sub"].as_str().unwrap().to_owned();
    assert!(identity.ends_with(":identity/${SesIdentity}"), "{identity}");
    assert_eq!(
        statement["Condition"]["StringEqualsIgnoreCase"]["ses:FromAddress"],
        reference("SenderAddress")
    );
}

// ------------------------------------------------------------------ API, alarms, outputs

#[test]
fn api_is_throttled_with_cors_from_a_parameter() {
    let template = template();
    let api = &resources(&template)["HttpApi"];
    assert_eq!(api["Type"], "AWS::Serverless::HttpApi");
    let throttling = &api["Properties"]["DefaultRouteSettings"];
    assert_eq!(throttling["ThrottlingRateLimit"], reference("ThrottlingRateLimit"));
    assert_eq!(throttling["ThrottlingBurstLimit"], reference("ThrottlingBurstLimit"));
    for parameter in ["ThrottlingRateLimit", "ThrottlingBurstLimit"] {
        assert!(template["Parameters"][parameter]["Default"].as_u64().is_some_and(|n| n > 0), "{parameter}");
    }

    // CORS only for the listed origins, and none at all when the list is empty.
    let cors = &api["Properties"]["CorsConfiguration"]["Fn::If"];
    assert_eq!(cors[0], "HasCorsOrigins");
    assert_eq!(cors[1]["AllowOrigins"], json!({ "Fn::Split": [",", reference("AllowedOrigins")] }));
    assert!(!cors[1]["AllowOrigins"].to_string().contains('*'));
    assert_eq!(cors[2], reference("AWS::NoValue"));
    // The same policy as the local server's (shared::routes::cors).
    let strings = |key: &str| -> Vec<String> {
        as_list(&cors[1][key]).iter().map(|h| h.as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(strings("AllowMethods"), cors::ALLOW_METHODS);
    assert_eq!(strings("AllowHeaders"), cors::ALLOW_HEADERS);
    assert_eq!(strings("ExposeHeaders"), cors::EXPOSE_HEADERS);
    assert_eq!(cors[1]["MaxAge"].as_u64(), Some(cors::MAX_AGE_SECS));
}

#[test]
fn failures_raise_alarms() {
    let template = template();
    let alarms = of_type(&template, "AWS::CloudWatch::Alarm");
    let alarmed = |namespace: &str, metric: &str, dimension: &Value| {
        alarms.iter().any(|(_, a)| {
            let p = &a["Properties"];
            p["Namespace"] == namespace
                && p["MetricName"] == metric
                && p["Dimensions"].as_array().unwrap().iter().any(|d| &d["Value"] == dimension)
                && p["AlarmActions"].as_array().is_some_and(|a| !a.is_empty())
        })
    };
    assert!(alarmed("AWS/ApiGateway", "5xx", &reference("HttpApi")), "an alarm on the API's 5xx");
    for id in binaries(&template).keys() {
        assert!(alarmed("AWS/Lambda", "Errors", &reference(id)), "an alarm on {id}'s errors");
    }
}

#[test]
fn outputs_give_the_form_the_api_and_the_table() {
    let template = template();
    let outputs = &template["Outputs"];
    let form = outputs["FormUrl"]["Value"]["Fn::Sub"].as_str().unwrap();
    assert!(form.starts_with("https://${HttpApi}.execute-api.") && form.ends_with('/'), "{form}");
    let api = outputs["ApiUrl"]["Value"]["Fn::Sub"].as_str().unwrap();
    assert!(api.starts_with("https://${HttpApi}.execute-api.") && api.ends_with("/api/"), "{api}");
    assert_eq!(outputs["TableName"]["Value"], reference("ApplicationsTable"));

    // The operators: the pool to create them in, the console's client, the
    // managed sign-in and the console.
    assert_eq!(outputs["AuditTableName"]["Value"], reference("AuditTable"));
    assert_eq!(outputs["OperatorUserPoolId"]["Value"], reference("OperatorUserPool"));
    assert_eq!(outputs["OperatorConsoleClientId"]["Value"], reference("OperatorConsoleClient"));
    assert_eq!(
        outputs["OperatorLoginUrl"]["Value"]["Fn::Sub"],
        "https://${OperatorUserPoolDomain}.auth.${AWS::Region}.amazoncognito.com"
    );
    assert_eq!(outputs["OperatorConsoleUrl"]["Value"]["Fn::Sub"], "${PublicBaseUrl}/admin/");
    assert_eq!(outputs["OperatorConsoleUrl"]["Condition"], "HasPublicBaseUrl");
}

// ------------------------------------------------------------------ operators

/// Each HTTP route of the template, (METHOD, path) → its event's properties.
fn route_events(template: &Value) -> BTreeMap<(String, String), Value> {
    let mut routes = BTreeMap::new();
    for (_, function) in of_type(template, "AWS::Serverless::Function") {
        for event in function["Properties"]["Events"].as_object().into_iter().flat_map(|e| e.values()) {
            let properties = &event["Properties"];
            if let (Some(method), Some(path)) = (properties["Method"].as_str(), properties["Path"].as_str()) {
                routes.insert((method.to_uppercase(), path.to_owned()), properties.clone());
            }
        }
    }
    routes
}

/// The JWT authorizer guards every route whose `access()` is Operator and no
/// public route (nor the `$default` route): there is no DefaultAuthorizer, so
/// a route without `Auth` is open, as the form's are.
#[test]
fn the_jwt_authorizer_is_on_every_operator_route_and_on_no_public_route() {
    let template = template();
    let auth = &resources(&template)["HttpApi"]["Properties"]["Auth"];
    assert!(auth["DefaultAuthorizer"].is_null(), "no default authorizer: the form's routes stay open");
    let authorizers = auth["Authorizers"].as_object().unwrap();
    assert_eq!(authorizers.keys().collect::<Vec<_>>(), ["OperatorAuthorizer"]);
    let authorizer = &authorizers["OperatorAuthorizer"];
    assert_eq!(authorizer["IdentitySource"], "$request.header.Authorization");
    let jwt = &authorizer["JwtConfiguration"];
    assert_eq!(
        jwt["issuer"]["Fn::Sub"],
        "https://cognito-idp.${AWS::Region}.amazonaws.com/${OperatorUserPool}"
    );
    // A Cognito access token has no aud; API Gateway then matches its client_id.
    assert_eq!(jwt["audience"], json!([reference("OperatorConsoleClient")]));
    // Access tokens only: an ID token (same client) has no scope claim.
    assert_eq!(authorizer["AuthorizationScopes"], json!(["openid"]));

    let events = route_events(&template);
    for route in ROUTES {
        let event = &events[&(route.method.to_owned(), route.path.to_owned())];
        let named = event["Auth"]["Authorizer"].as_str();
        match route.access() {
            // A supervisor's route takes an operator's token too: the role is
            // the admin function's to check.
            Access::Operator | Access::Supervisor => {
                assert_eq!(named, Some("OperatorAuthorizer"), "{} {}", route.method, route.path)
            }
            Access::Public => assert!(
                event["Auth"].is_null() || named == Some("NONE"),
                "{} {} is public, yet has {}",
                route.method,
                route.path,
                event["Auth"]
            ),
        }
    }
    // The catch-all ($default: the form page, the contract's 404) is open too.
    let web = &resources(&template)["WebFunction"]["Properties"]["Events"];
    assert!(web.as_object().unwrap().values().all(|e| e["Properties"]["Auth"].is_null()));
    // A browser on another origin may send the bearer token (CORS).
    assert!(cors::ALLOW_HEADERS.contains(&"authorization"));
}

/// The admin function's own role: the applications (not the stream), the
/// index by name, the audit table append-only, the identifier key, and nothing
/// else (no SES: notify mails the decisions). No role may change or delete an
/// audit entry.
#[test]
fn the_admin_role_is_least_privilege_and_the_audit_is_append_only() {
    let template = template();
    let admin = &resources(&template)["AdminFunction"];
    assert_eq!(admin["Properties"]["Role"], get_att("AdminRole", "Arn"));
    let actions = role_actions(&template, "AdminRole");

    let table = get_att("ApplicationsTable", "Arn");
    let index = json!({ "Fn::Sub": format!("${{ApplicationsTable.Arn}}/index/{}", layout::STATUS_INDEX) });
    let received =
        json!({ "Fn::Sub": format!("${{ApplicationsTable.Arn}}/index/{}", layout::RECEIVED_INDEX) });
    let phone = json!({ "Fn::Sub": format!("${{ApplicationsTable.Arn}}/index/{}", layout::PHONE_INDEX) });
    let [invoice, company, search] =
        [layout::INVOICE_INDEX, layout::CORPORATE_NAME_INDEX, layout::SEARCH_INDEX]
            .map(|index| json!({ "Fn::Sub": format!("${{ApplicationsTable.Arn}}/index/{index}") }));
    let audit = get_att("AuditTable", "Arn");
    let secret = reference("IdentifierKeySecret");
    let log_group = get_att("AdminLogGroup", "Arn");
    let mut expected: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for action in ["GetItem", "BatchGetItem", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem"] {
        expected.insert(format!("dynamodb:{action}"), vec![table.clone()]);
    }
    expected.insert(
        "dynamodb:Query".into(),
        vec![table.clone(), index.clone(), received.clone(), phone.clone(), invoice, company, audit.clone()],
    );
    // The name search's parallel Scan, of its compact index only.
    expected.insert("dynamodb:Scan".into(), vec![search]);
    expected.get_mut("dynamodb:PutItem").unwrap().push(audit.clone());
    expected.insert("secretsmanager:GetSecretValue".into(), vec![secret.clone()]);
    expected.insert("logs:CreateLogStream".into(), vec![log_group.clone()]);
    expected.insert("logs:PutLogEvents".into(), vec![log_group]);
    expected.insert("xray:PutTraceSegments".into(), vec![json!("*")]);
    expected.insert("xray:PutTelemetryRecords".into(), vec![json!("*")]);
    // The documents: read with their scan tag (the download's presigned GET
    // acts with this role), deleted on erasure, listed by application; never
    // written.
    let documents = documents_bucket_arn(&template, "/documents/*");
    let incoming = documents_bucket_arn(&template, "/incoming/*");
    expected.insert("s3:GetObject".into(), vec![documents.clone()]);
    expected.insert("s3:GetObjectTagging".into(), vec![documents.clone()]);
    expected.insert("s3:DeleteObject".into(), vec![documents, incoming]);
    expected.insert("s3:ListBucket".into(), vec![documents_bucket_arn(&template, "")]);
    // An assignee is looked up in the operators' pool, and nothing else of it.
    expected.insert("cognito-idp:AdminGetUser".into(), vec![get_att("OperatorUserPool", "Arn")]);
    // The CSV export (issue 24, item 5): a multipart upload under exports/
    // (s3:PutObject authorises CreateMultipartUpload, UploadPart and
    // CompleteMultipartUpload; AbortMultipartUpload is its own action) and
    // its presigned GET; nothing else there, and no write anywhere else.
    let exports = documents_bucket_arn(&template, "/exports/*");
    expected.get_mut("s3:GetObject").unwrap().push(exports.clone());
    expected.insert("s3:PutObject".into(), vec![exports.clone()]);
    expected.insert("s3:AbortMultipartUpload".into(), vec![exports]);
    let mut sorted = actions.clone();
    for resources in sorted.values_mut().chain(expected.values_mut()) {
        resources.sort_by_key(|r| r.to_string());
    }
    assert_eq!(sorted, expected, "the admin role's actions and their resources");

    // No wildcard in what the admin role may do, but X-Ray's (no resource-level
    // permissions) and the objects under the bucket's three prefixes.
    for (action, resources) in &actions {
        assert!(!action.contains('*'), "{action}");
        if action.starts_with("xray:") {
            continue;
        }
        for resource in resources {
            let text = resource.to_string();
            let under_prefix = action.starts_with("s3:")
                && ["/documents/*\"", "/incoming/*\"", "/exports/*\""].iter().any(|p| text.contains(p));
            assert!(!text.contains('*') || under_prefix, "{action}: {resource}");
        }
    }
    // A listing only of those two prefixes (an application's files).
    let listing: Vec<Value> = role_statements(&template, "AdminRole")
        .into_iter()
        .filter(|s| as_list(&s["Action"]).contains(&json!("s3:ListBucket")))
        .collect();
    assert_eq!(listing.len(), 1);
    assert_eq!(
        listing[0]["Condition"],
        json!({ "StringLike": { "s3:prefix": ["documents/*", "incoming/*"] } })
    );

    // Append-only, for every function: nothing but Put and Query reach the
    // audit table, whichever role or policy.
    for (place, statement) in statements(&template) {
        if as_list(&statement["Resource"]).iter().any(|r| r.to_string().contains("AuditTable")) {
            for action in as_list(&statement["Action"]) {
                let action = action.as_str().unwrap();
                assert!(
                    ["dynamodb:PutItem", "dynamodb:Query"].contains(&action),
                    "{place}: {action} on the audit table"
                );
            }
        }
    }
    for (_, function) in of_type(&template, "AWS::Serverless::Function") {
        assert!(function["Properties"]["Policies"].is_null(), "permissions only in the roles");
    }
}

/// The audit table: `pk` the constant AUDIT, `sk` time#ULID; on demand,
/// encrypted, recoverable, kept; never expiring, no stream.
#[test]
fn the_audit_table_is_kept_encrypted_and_never_expires() {
    let template = template();
    let table = &resources(&template)["AuditTable"];
    assert_eq!(table["Type"], "AWS::DynamoDB::Table");
    assert_eq!(table["DeletionPolicy"], "Retain");
    assert_eq!(table["UpdateReplacePolicy"], "Retain");
    let p = &table["Properties"];
    assert_eq!(
        p["KeySchema"],
        json!([{ "AttributeName": "pk", "KeyType": "HASH" }, { "AttributeName": "sk", "KeyType": "RANGE" }])
    );
    assert_eq!(
        p["AttributeDefinitions"],
        json!([{ "AttributeName": "pk", "AttributeType": "S" }, { "AttributeName": "sk", "AttributeType": "S" }])
    );
    assert_eq!(p["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(
        p["SSESpecification"],
        resources(&template)["ApplicationsTable"]["Properties"]["SSESpecification"]
    );
    assert_eq!(p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"], true);
    assert_eq!(p["DeletionProtectionEnabled"], true);
    for absent in ["TimeToLiveSpecification", "StreamSpecification", "GlobalSecondaryIndexes"] {
        assert!(p[absent].is_null(), "the audit table has no {absent}");
    }
}

/// The operators' pool: accounts made by an administrator only, TOTP
/// required, long passwords of every class, threat protection enforced; the
/// operators and supervisors groups; the console a public client with the code grant only,
/// its callback the console page.
#[test]
fn the_operator_user_pool_is_admin_made_with_totp_and_a_public_code_client() {
    let template = template();
    let pool = &resources(&template)["OperatorUserPool"];
    assert_eq!(pool["Type"], "AWS::Cognito::UserPool");
    assert_eq!(pool["DeletionPolicy"], "Retain");
    let p = &pool["Properties"];
    assert_eq!(p["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"], true);
    assert_eq!(p["MfaConfiguration"], "ON");
    assert_eq!(p["EnabledMfas"], json!(["SOFTWARE_TOKEN_MFA"]));
    let password = &p["Policies"]["PasswordPolicy"];
    assert!(password["MinimumLength"].as_u64().is_some_and(|n| n >= 14), "{password}");
    for class in ["RequireUppercase", "RequireLowercase", "RequireNumbers", "RequireSymbols"] {
        assert_eq!(password[class], true, "{class}");
    }
    assert!(password["TemporaryPasswordValidityDays"].as_u64().is_some_and(|d| d <= 3), "{password}");
    // Threat protection needs the Plus plan.
    assert_eq!(p["UserPoolAddOns"]["AdvancedSecurityMode"], "ENFORCED");
    assert_eq!(p["UserPoolTier"], "PLUS");
    assert_eq!(p["UsernameAttributes"], json!(["email"]));
    assert_eq!(
        p["AccountRecoverySetting"]["RecoveryMechanisms"],
        json!([{ "Name": "verified_email", "Priority": 1 }])
    );
    assert_eq!(p["DeletionProtection"], "ACTIVE");

    // One group per role, named as the admin function reads them (`Role::group`).
    let groups = of_type(&template, "AWS::Cognito::UserPoolGroup");
    let mut names: Vec<&str> =
        groups.iter().filter_map(|(_, g)| g["Properties"]["GroupName"].as_str()).collect();
    names.sort_unstable();
    let mut roles: Vec<&str> = shared::domain::Role::ALL.iter().map(|role| role.group()).collect();
    roles.sort_unstable();
    assert_eq!(names, roles);
    assert_eq!(names, ["operators", "supervisors"]);
    for (_, group) in &groups {
        assert_eq!(group["Properties"]["UserPoolId"], reference("OperatorUserPool"));
    }

    let domain = &resources(&template)["OperatorUserPoolDomain"]["Properties"];
    assert_eq!(domain["UserPoolId"], reference("OperatorUserPool"));
    assert_eq!(domain["ManagedLoginVersion"], 2);
    let branding = &resources(&template)["OperatorLoginBranding"];
    assert_eq!(branding["Type"], "AWS::Cognito::ManagedLoginBranding");
    assert_eq!(branding["Properties"]["ClientId"], reference("OperatorConsoleClient"));
    assert_eq!(branding["Properties"]["UseCognitoProvidedValues"], true);

    let clients = of_type(&template, "AWS::Cognito::UserPoolClient");
    assert_eq!(clients.len(), 1, "one client: the console's");
    let (id, client) = clients[0];
    assert_eq!(id, "OperatorConsoleClient");
    let c = &client["Properties"];
    assert_eq!(c["UserPoolId"], reference("OperatorUserPool"));
    assert_eq!(c["GenerateSecret"], false, "public: a browser keeps no secret");
    assert_eq!(c["SupportedIdentityProviders"], json!(["COGNITO"]));
    assert_eq!(c["ExplicitAuthFlows"], json!(["ALLOW_REFRESH_TOKEN_AUTH"]), "no password flow on the client");
    assert_eq!(c["PreventUserExistenceErrors"], "ENABLED");
    assert_eq!(c["EnableTokenRevocation"], true);
    // A console's working day: access and ID tokens for an hour (refreshed
    // silently), a refresh token for 12 hours; revocable at sign-out.
    assert_eq!(c["AccessTokenValidity"], 60);
    assert_eq!(c["IdTokenValidity"], 60);
    assert_eq!(c["RefreshTokenValidity"], 12);
    assert_eq!(
        c["TokenValidityUnits"],
        json!({ "AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "hours" })
    );
    assert!(c["AuthSessionValidity"].as_u64().is_some_and(|m| (3..=15).contains(&m)));
    // With PublicBaseUrl (the only way without a cycle, see the template):
    // the code grant only, back to the console page.
    let with_base_url = |property: &str| {
        let choice = &c[property]["Fn::If"];
        assert_eq!(choice[0], "HasPublicBaseUrl", "{property}");
        choice[1].clone()
    };
    assert_eq!(with_base_url("AllowedOAuthFlowsUserPoolClient"), true);
    assert_eq!(with_base_url("AllowedOAuthFlows"), json!(["code"]));
    assert_eq!(with_base_url("AllowedOAuthScopes"), json!(["openid", "email"]));
    let console = json!([{ "Fn::Sub": "${PublicBaseUrl}/admin/" }]);
    assert_eq!(with_base_url("CallbackURLs"), console);
    assert_eq!(with_base_url("LogoutURLs"), console);
    assert_eq!(c["AllowedOAuthFlowsUserPoolClient"]["Fn::If"][2], false, "no PublicBaseUrl, no sign-in");
    // The API's authorizer names the client, so the client must not name the
    // API: a cycle that neither cfn-lint nor sam validate reports on the SAM
    // template (only on the transformed one).
    assert!(!client.to_string().contains("HttpApi"), "the console client depends on the API");
}

// ------------------------------------------------------------------ edge

/// An HTTP API cannot take a WAF web ACL: with `EdgeWebAclArn` (an ACL made in
/// us-east-1 by infra/waf.yaml) the stack puts a CloudFront distribution with
/// that ACL in front of the API, caching nothing; without it, nothing is made.
#[test]
fn an_optional_distribution_puts_waf_in_front_of_the_api() {
    let template = template();
    assert_eq!(template["Parameters"]["EdgeWebAclArn"]["Default"], "");
    assert_eq!(
        template["Conditions"]["HasEdge"],
        json!({ "Fn::Not": [{ "Fn::Equals": [reference("EdgeWebAclArn"), ""] }] })
    );
    let edge: Vec<_> = of_type(&template, "AWS::CloudFront::Distribution");
    assert_eq!(edge.len(), 1);
    let (_, distribution) = edge[0];
    assert_eq!(distribution["Condition"], "HasEdge");
    let config = &distribution["Properties"]["DistributionConfig"];
    assert_eq!(config["WebACLId"], reference("EdgeWebAclArn"));
    let origins = config["Origins"].as_array().unwrap();
    assert_eq!(origins.len(), 1);
    let domain = origins[0]["DomainName"]["Fn::Sub"].as_str().unwrap();
    assert!(domain.starts_with("${HttpApi}.execute-api."), "{domain}");
    assert_eq!(origins[0]["CustomOriginConfig"]["OriginProtocolPolicy"], "https-only");
    let behaviour = &config["DefaultCacheBehavior"];
    assert_eq!(behaviour["TargetOriginId"], origins[0]["Id"]);
    assert_eq!(behaviour["ViewerProtocolPolicy"], "redirect-to-https");
    // AWS's managed CachingDisabled: applications are personal data.
    assert_eq!(behaviour["CachePolicyId"], "4135ea2d-6df8-44a3-9df3-4b5a84be39ad");
    let methods: BTreeSet<&str> =
        behaviour["AllowedMethods"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    assert!(ROUTES.iter().all(|r| methods.contains(r.method)), "every route's method passes: {methods:?}");
    assert_eq!(template["Outputs"]["EdgeUrl"]["Condition"], "HasEdge");

    // The ACL: CloudFront's scope, requests per IP address counted and blocked.
    let waf = parsed(&workspace_root().join("infra/waf.yaml"));
    let acls = of_type(&waf, "AWS::WAFv2::WebACL");
    assert_eq!(acls.len(), 1);
    let acl = &acls[0].1["Properties"];
    assert_eq!(acl["Scope"], "CLOUDFRONT");
    let rate_rules: Vec<&Value> = acl["Rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|rule| {
            rule["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
                && rule["Action"]["Block"].is_object()
        })
        .collect();
    assert!(!rate_rules.is_empty(), "a rate-based rule per IP that blocks");
    let submit_path =
        ROUTES.iter().find(|r| r.method == "POST" && r.path.contains("applications")).unwrap().path;
    assert!(
        rate_rules.iter().any(|r| r.to_string().contains(submit_path)),
        "a tighter limit on {submit_path}"
    );
    assert_eq!(waf["Outputs"]["WebAclArn"]["Value"], get_att("WebAcl", "Arn"));
}

// ------------------------------------------------------------------ documents

/// The documents bucket's name as the template spells it (its `BucketName`,
/// `Fn::Sub [pattern, variables]`): the functions and their roles repeat it
/// rather than `!Ref` the bucket (see `the_documents_bucket_is_named_without_a_cycle`).
fn documents_bucket_name(template: &Value) -> Value {
    resources(template)["DocumentsBucket"]["Properties"]["BucketName"].clone()
}

/// An ARN in the documents bucket in the same form: `suffix` empty for the
/// bucket, `/documents/*` for the objects under a prefix.
fn documents_bucket_arn(template: &Value, suffix: &str) -> Value {
    let name = documents_bucket_name(template);
    let sub = &name["Fn::Sub"];
    let pattern = sub[0].as_str().expect("the bucket's name is a Fn::Sub with variables");
    json!({ "Fn::Sub": [format!("arn:${{AWS::Partition}}:s3:::{pattern}{suffix}"), sub[1]] })
}

/// Private (Block Public Access, no ACLs), encrypted (SSE-S3), TLS only, not
/// versioned (an erasure deletes for good), kept with the stack like the tables.
#[test]
fn the_documents_bucket_is_private_encrypted_tls_only_and_unversioned() {
    let template = template();
    let buckets = of_type(&template, "AWS::S3::Bucket");
    assert_eq!(buckets.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(), ["DocumentsBucket"]);
    let bucket = &resources(&template)["DocumentsBucket"];
    assert_eq!(bucket["DeletionPolicy"], "Retain");
    assert_eq!(bucket["UpdateReplacePolicy"], "Retain");
    let p = &bucket["Properties"];
    assert_eq!(
        p["PublicAccessBlockConfiguration"],
        json!({ "BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true })
    );
    assert_eq!(p["OwnershipControls"], json!({ "Rules": [{ "ObjectOwnership": "BucketOwnerEnforced" }] }));
    assert_eq!(
        p["BucketEncryption"],
        json!({ "ServerSideEncryptionConfiguration": [{ "ServerSideEncryptionByDefault": { "SSEAlgorithm": "AES256" } }] })
    );
    // Unversioned: a deleted object leaves no noncurrent version behind.
    assert!(p["VersioningConfiguration"].is_null(), "versioned: {}", p["VersioningConfiguration"]);
    assert!(p["ObjectLockEnabled"].is_null() && p["ObjectLockConfiguration"].is_null());
    assert!(p["AccessControl"].is_null() && p["WebsiteConfiguration"].is_null());

    // The bucket policy only denies: any request without TLS, on the bucket
    // and its objects. No grant goes through it.
    let policies = of_type(&template, "AWS::S3::BucketPolicy");
    assert_eq!(policies.len(), 1);
    let policy = &policies[0].1["Properties"];
    assert_eq!(policy["Bucket"], reference("DocumentsBucket"));
    let statements = policy["PolicyDocument"]["Statement"].as_array().unwrap();
    assert!(statements.iter().all(|s| s["Effect"] == "Deny"), "{statements:?}");
    assert!(
        statements.iter().any(|s| {
            s["Principal"] == "*"
                && s["Action"] == "s3:*"
                && s["Resource"]
                    == json!([get_att("DocumentsBucket", "Arn"), { "Fn::Sub": "${DocumentsBucket.Arn}/*" }])
                && s["Condition"] == json!({ "Bool": { "aws:SecureTransport": "false" } })
        }),
        "a TLS-only statement: {statements:?}"
    );
}

/// The browser uploads with a presigned PUT and its signed `content-type`:
/// that method and header only, from the form's origins only. Those are the
/// API's own (FormUrl), PublicBaseUrl's, CloudFront's (EdgeUrl) and the
/// HTTP API's own CORS list, `AllowedOrigins`; never `*`. And the console's
/// GET of an export, from this stack's origins only.
#[test]
fn the_documents_bucket_cors_allows_the_upload_from_the_forms_origins_and_the_export_to_the_console() {
    let template = template();
    let rules = resources(&template)["DocumentsBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(rules.len(), 3, "{rules:?}");
    let upload = |rule: &Value| {
        assert_eq!(rule["AllowedMethods"], json!(["PUT"]), "{rule}");
        assert_eq!(rule["AllowedHeaders"], json!(["content-type"]), "{rule}");
        assert_eq!(rule["MaxAge"], 600, "{rule}");
        assert!(rule["ExposedHeaders"].is_null(), "{rule}");
        assert!(!rule["AllowedOrigins"].to_string().contains('*'), "{rule}");
    };

    // The form this stack serves, wherever the applicant opens it.
    let form = &rules[0];
    upload(form);
    let outputs = &template["Outputs"];
    let without_slash = |output: &str| {
        let url = outputs[output]["Value"]["Fn::Sub"].as_str().unwrap();
        json!({ "Fn::Sub": url.strip_suffix('/').unwrap() })
    };
    assert_eq!(
        form["AllowedOrigins"],
        json!([
            without_slash("FormUrl"),
            { "Fn::If": ["HasPublicBaseUrl", reference("PublicBaseUrl"), reference("AWS::NoValue")] },
            { "Fn::If": ["HasEdge", without_slash("EdgeUrl"), reference("AWS::NoValue")] },
        ])
    );
    // The console (served by this stack only) follows the export's 303 to
    // its presigned GET with fetch: GET from the same origins, no headers
    // (the console's Accept is CORS-safelisted; the Authorization header is
    // dropped on a cross-origin redirect), nothing exposed.
    let console = &rules[1];
    assert_eq!(console["Id"], "console-export");
    assert_eq!(console["AllowedMethods"], json!(["GET"]), "{console}");
    assert!(console["AllowedHeaders"].is_null(), "{console}");
    assert!(console["ExposedHeaders"].is_null(), "{console}");
    assert_eq!(console["AllowedOrigins"], form["AllowedOrigins"]);
    assert_eq!(console["MaxAge"], 600);
    // A form hosted elsewhere: the origins the HTTP API's CORS allows, and
    // no rule at all without them.
    let other = &rules[2]["Fn::If"];
    assert_eq!(other[0], "HasCorsOrigins");
    upload(&other[1]);
    let api_cors = &resources(&template)["HttpApi"]["Properties"]["CorsConfiguration"]["Fn::If"];
    assert_eq!(api_cors[0], other[0]);
    assert_eq!(other[1]["AllowedOrigins"], api_cors[1]["AllowOrigins"]);
    assert_eq!(other[2], reference("AWS::NoValue"));
}

/// Uploads never submitted (`incoming/`) and exports (`exports/`) expire
/// after a day, as do incomplete multipart uploads; submitted files
/// (`documents/`) have no rule: erasure is the admin function's, retention
/// the retention function's.
#[test]
fn the_documents_bucket_expires_uploads_and_exports_after_a_day() {
    let template = template();
    let rules = resources(&template)["DocumentsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
        .as_array()
        .unwrap()
        .clone();
    let expiring: BTreeMap<&str, &Value> =
        rules.iter().filter_map(|r| r["Prefix"].as_str().map(|prefix| (prefix, r))).collect();
    assert_eq!(expiring.keys().copied().collect::<Vec<_>>(), ["exports/", "incoming/"]);
    for (prefix, rule) in &expiring {
        assert_eq!(rule["Status"], "Enabled", "{prefix}");
        assert_eq!(rule["ExpirationInDays"], 1, "{prefix}");
        assert!(rule["Filter"].is_null(), "{prefix}: the prefix is the rule's only filter");
    }
    let abort: Vec<&Value> =
        rules.iter().filter(|r| r["AbortIncompleteMultipartUpload"].is_object()).collect();
    assert_eq!(abort.len(), 1);
    assert_eq!(abort[0]["Status"], "Enabled");
    assert_eq!(abort[0]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"], 1);
    // The whole bucket, and nothing but the aborts.
    assert!(abort[0]["Prefix"].is_null() && abort[0]["Filter"].is_null());
    assert!(abort[0]["ExpirationInDays"].is_null() && abort[0]["ExpirationDate"].is_null());
    assert_eq!(rules.len(), 3, "{rules:?}");
    assert!(!rules.iter().any(|r| r.to_string().contains("documents/")), "no rule deletes submitted files");
}

/// GuardDuty Malware Protection for S3 scans the submitted files (under
/// `documents/`) and tags them, when `DocumentMalwareScanning` is `Enabled`
/// (the default); its role has the permissions AWS documents, the objects'
/// limited to that prefix. The admin function reads the setting.
#[test]
fn submitted_documents_are_scanned_for_malware_when_enabled() {
    let template = template();
    let parameter = &template["Parameters"]["DocumentMalwareScanning"];
    assert_eq!(parameter["Default"], "Enabled");
    assert_eq!(parameter["AllowedValues"], json!(["Enabled", "Disabled"]));
    assert_eq!(
        template["Conditions"]["ScanDocuments"],
        json!({ "Fn::Equals": [reference("DocumentMalwareScanning"), "Enabled"] })
    );

    let plans = of_type(&template, "AWS::GuardDuty::MalwareProtectionPlan");
    assert_eq!(plans.len(), 1);
    let plan = plans[0].1;
    assert_eq!(plan["Condition"], "ScanDocuments");
    let p = &plan["Properties"];
    assert_eq!(
        p["ProtectedResource"],
        json!({ "S3Bucket": { "BucketName": reference("DocumentsBucket"), "ObjectPrefixes": ["documents/"] } })
    );
    assert_eq!(p["Actions"], json!({ "Tagging": { "Status": "ENABLED" } }));
    let role = p["Role"]["Fn::GetAtt"][0].as_str().expect("a role of this stack");
    assert_eq!(p["Role"], get_att(role, "Arn"));
    let role_resource = &resources(&template)[role];
    assert_eq!(role_resource["Condition"], "ScanDocuments");
    assert_eq!(
        role_resource["Properties"]["AssumeRolePolicyDocument"]["Statement"],
        json!([{ "Effect": "Allow",
                 "Principal": { "Service": "malware-protection-plan.guardduty.amazonaws.com" },
                 "Action": "sts:AssumeRole" }])
    );
    assert!(role_resource["Properties"]["ManagedPolicyArns"].is_null());

    let actions = role_actions(&template, role);
    let bucket = get_att("DocumentsBucket", "Arn");
    let scanned = json!({ "Fn::Sub": "${DocumentsBucket.Arn}/documents/*" });
    let rule = json!({ "Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*" });
    let mut expected: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for action in
        ["PutRule", "DeleteRule", "PutTargets", "RemoveTargets", "DescribeRule", "ListTargetsByRule"]
    {
        expected.insert(format!("events:{action}"), vec![rule.clone()]);
    }
    for action in ["PutBucketNotification", "GetBucketNotification", "ListBucket"] {
        expected.insert(format!("s3:{action}"), vec![bucket.clone()]);
    }
    expected.insert(
        "s3:PutObject".into(),
        vec![json!({ "Fn::Sub": "${DocumentsBucket.Arn}/malware-protection-resource-validation-object" })],
    );
    for action in [
        "GetObject",
        "GetObjectVersion",
        "PutObjectTagging",
        "GetObjectTagging",
        "PutObjectVersionTagging",
        "GetObjectVersionTagging",
    ] {
        expected.insert(format!("s3:{action}"), vec![scanned.clone()]);
    }
    assert_eq!(actions, expected, "GuardDuty's role");
    // Rules it makes and changes are only its own managed ones.
    let managed: Vec<Value> = role_statements(&template, role)
        .into_iter()
        .filter(|s| as_list(&s["Action"]).contains(&json!("events:PutRule")))
        .collect();
    assert_eq!(
        managed[0]["Condition"],
        json!({ "StringLike": { "events:ManagedBy": "malware-protection-plan.guardduty.amazonaws.com" } })
    );

    // S3 sends its events to EventBridge while scanning is on (GuardDuty
    // listens there); a stack update must not turn that off.
    assert_eq!(
        resources(&template)["DocumentsBucket"]["Properties"]["NotificationConfiguration"],
        json!({ "Fn::If": ["ScanDocuments",
                           { "EventBridgeConfiguration": { "EventBridgeEnabled": true } },
                           reference("AWS::NoValue")] })
    );
    let admin = &resources(&template)["AdminFunction"]["Properties"]["Environment"]["Variables"];
    assert_eq!(admin[ADMIN_DOCUMENT_MALWARE_SCANNING_ENV], reference("DocumentMalwareScanning"));
}

/// The bucket's name comes from the stack's id, and the functions and their
/// roles spell it out instead of naming the bucket: its CORS rule names the
/// API and CloudFront, whose routes name the functions, so a `!Ref` from a
/// function (or its role) would be a cycle. Neither cfn-lint nor `sam
/// validate` sees it on the SAM template, only on the transformed one.
#[test]
fn the_documents_bucket_is_named_without_a_cycle() {
    let template = template();
    let name = documents_bucket_name(&template);
    assert_eq!(
        name,
        json!({ "Fn::Sub": ["partner-documents-${StackUuid}",
                            { "StackUuid": { "Fn::Select": [2, { "Fn::Split": ["/", reference("AWS::StackId")] }] } }] })
    );
    // Within S3's 63 characters: the prefix and a UUID.
    assert!("partner-documents-".len() + 36 <= 63);
    let cors = resources(&template)["DocumentsBucket"]["Properties"]["CorsConfiguration"].to_string();
    assert!(cors.contains("${HttpApi}") && cors.contains("${EdgeDistribution."), "{cors}");

    for (id, function) in of_type(&template, "AWS::Serverless::Function") {
        let role = function["Properties"]["Role"]["Fn::GetAtt"][0].as_str().unwrap();
        for (what, resource) in [(id.as_str(), function), (role, &resources(&template)[role])] {
            assert!(!resource.to_string().contains("DocumentsBucket"), "{what} names DocumentsBucket");
        }
        if let Some(value) = function["Properties"]["Environment"]["Variables"].get(DOCUMENTS_BUCKET_ENV) {
            assert_eq!(value, &name, "{id}: {DOCUMENTS_BUCKET_ENV} is the bucket's name");
        }
    }
    assert_eq!(template["Outputs"]["DocumentsBucketName"]["Value"], reference("DocumentsBucket"));
}

/// The documents' settings are parameters with the contract's defaults.
#[test]
fn the_documents_settings_are_parameters_with_the_contracts_defaults() {
    let template = template();
    for (name, default, min, max) in [
        ("DocumentMaxFiles", 10, 1, 50),
        ("DocumentMaxFileBytes", 10 * 1024 * 1024, 1, 100 * 1024 * 1024),
        ("DocumentMaxTotalBytes", 30 * 1024 * 1024, 1, 1024 * 1024 * 1024),
        ("DocumentRequestTtlDays", 14, 1, 60),
        ("DocumentRetentionDays", 90, 1, 3650),
    ] {
        let parameter = &template["Parameters"][name];
        assert_eq!(parameter["Type"], "Number", "{name}");
        assert_eq!(parameter["Default"], default, "{name}");
        assert_eq!(parameter["MinValue"], min, "{name}");
        assert_eq!(parameter["MaxValue"], max, "{name}");
    }
}

// ------------------------------------------------------------------ retention

/// The retention runs once a day: an EventBridge Scheduler schedule, at 03:00
/// Japan time and at the time (no flexible window), invokes the retention
/// function with its own role, which Scheduler alone may assume for this
/// account and which may invoke that function and park what it could not
/// deliver, nothing else. What it could not deliver goes to an encrypted
/// queue whose depth alarms. A run that failed is retried by Lambda (the
/// schedule invokes asynchronously).
#[test]
fn a_daily_schedule_runs_the_retention_function() {
    let template = template();
    let function = function_id(&template, RETENTION_FUNCTION);
    let function_resource = &resources(&template)[&function];
    // Invoked by the schedule alone: no SAM event source of its own.
    assert!(function_resource["Properties"]["Events"].is_null(), "{function} has events of its own");

    let schedules = of_type(&template, "AWS::Scheduler::Schedule");
    assert_eq!(schedules.len(), 1);
    let p = &schedules[0].1["Properties"];
    assert_eq!(p["ScheduleExpression"], "cron(0 3 * * ? *)", "daily at 03:00");
    assert_eq!(p["ScheduleExpressionTimezone"], "Asia/Tokyo");
    assert_eq!(p["FlexibleTimeWindow"], json!({ "Mode": "OFF" }));
    assert_eq!(p["State"], "ENABLED");
    assert!(p["GroupName"].is_null() && p["StartDate"].is_null() && p["EndDate"].is_null(), "{p}");

    let target = &p["Target"];
    assert_eq!(target["Arn"], get_att(&function, "Arn"));
    // Scheduler's default event: the function reads no payload.
    assert!(target["Input"].is_null(), "{target}");
    let retries = target["RetryPolicy"]["MaximumRetryAttempts"].as_u64().expect("a retry policy");
    assert!((1..=185).contains(&retries), "{retries}");
    let age = target["RetryPolicy"]["MaximumEventAgeInSeconds"].as_u64().unwrap();
    assert!((60..=86400).contains(&age), "{age}");
    let queue = target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0].as_str().expect("a dead-letter queue");
    assert_eq!(target["DeadLetterConfig"]["Arn"], get_att(queue, "Arn"));

    // The schedule's role: Scheduler's, for this account's schedules only;
    // this function invoked and the dead-letter events sent (Scheduler sends
    // them with the execution role), nothing else.
    let role = target["RoleArn"]["Fn::GetAtt"][0].as_str().expect("a role of this stack");
    assert_eq!(target["RoleArn"], get_att(role, "Arn"));
    let role_resource = &resources(&template)[role];
    assert_eq!(role_resource["Type"], "AWS::IAM::Role");
    assert_eq!(
        role_resource["Properties"]["AssumeRolePolicyDocument"]["Statement"],
        json!([{ "Effect": "Allow", "Principal": { "Service": "scheduler.amazonaws.com" }, "Action": "sts:AssumeRole",
                 "Condition": { "StringEquals": { "aws:SourceAccount": reference("AWS::AccountId") } } }])
    );
    assert_eq!(
        role_actions(&template, role),
        BTreeMap::from([
            ("lambda:InvokeFunction".to_owned(), vec![get_att(&function, "Arn")]),
            ("sqs:SendMessage".to_owned(), vec![get_att(queue, "Arn")]),
        ]),
        "{role}'s actions and their resources"
    );
    // The role is the grant: no resource policy lets anything invoke the
    // function, and no other role may.
    let permissions: Vec<&Value> = of_type(&template, "AWS::Lambda::Permission")
        .into_iter()
        .map(|(_, permission)| &permission["Properties"])
        .filter(|p| p["FunctionName"].to_string().contains(&format!("\"{function}\"")))
        .collect();
    assert!(permissions.is_empty(), "{permissions:?}");
    for (place, statement) in statements(&template) {
        if as_list(&statement["Action"]).contains(&json!("lambda:InvokeFunction")) {
            assert!(place.starts_with(&format!("{role}/")), "{place} may invoke a function");
        }
    }

    // Lambda runs a failed sweep again, twice at most; no destination.
    let invoke = &function_resource["Properties"]["EventInvokeConfig"];
    assert!(invoke["MaximumRetryAttempts"].as_u64().is_some_and(|n| n <= 2), "{invoke}");
    assert!(invoke["DestinationConfig"].is_null(), "{invoke}");

    // The queue: encrypted, its depth alarmed, its address an output. No
    // queue policy: Scheduler sends with the role.
    let queue_resource = &resources(&template)[queue];
    assert_eq!(queue_resource["Type"], "AWS::SQS::Queue");
    assert_eq!(queue_resource["Properties"]["SqsManagedSseEnabled"], true);
    assert!(
        of_type(&template, "AWS::SQS::QueuePolicy")
            .iter()
            .all(|(_, policy)| !policy["Properties"]["Queues"].to_string().contains(queue)),
        "a queue policy on {queue}"
    );
    let depth: Vec<_> = of_type(&template, "AWS::CloudWatch::Alarm")
        .into_iter()
        .filter(|(_, a)| {
            let p = &a["Properties"];
            p["Namespace"] == "AWS/SQS"
                && p["MetricName"] == "ApproximateNumberOfMessagesVisible"
                && p["Dimensions"] == json!([{ "Name": "QueueName", "Value": get_att(queue, "QueueName") }])
                && p["Threshold"] == 1
                && p["AlarmActions"] == json!([reference("AlarmTopic")])
        })
        .collect();
    assert_eq!(depth.len(), 1, "an alarm on {queue}'s depth");
    assert_eq!(template["Outputs"]["RetentionScheduleFailureQueueUrl"]["Value"], reference(queue));
}

/// The retention function's own role: in the applications table what a
/// sweep reads (the due entries, an application's item and partition) and
/// what its plans write (Deletes, the counters' Updates, an erasure's Puts),
/// no scan, no batch, no condition check, not the stream; the byStatus
/// index (the undecided); the audit table Put only; the key; in the bucket,
/// files deleted and listed under documents/ and incoming/ only.
#[test]
fn the_retention_role_is_least_privilege() {
    let template = template();
    let function = &resources(&template)[&function_id(&template, RETENTION_FUNCTION)];
    assert_eq!(function["Properties"]["Role"], get_att("RetentionRole", "Arn"));
    let log_group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"].as_str().unwrap();
    let log_group = get_att(log_group, "Arn");
    let table = get_att("ApplicationsTable", "Arn");
    let by_status =
        json!({ "Fn::Sub": format!("${{ApplicationsTable.Arn}}/index/{}", layout::STATUS_INDEX) });
    let mut expected: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for action in ["GetItem", "PutItem", "UpdateItem", "DeleteItem"] {
        expected.insert(format!("dynamodb:{action}"), vec![table.clone()]);
    }
    expected.insert("dynamodb:Query".into(), vec![table.clone(), by_status]);
    // An undecided application's erasure, audited in its transaction.
    expected.get_mut("dynamodb:PutItem").unwrap().push(get_att("AuditTable", "Arn"));
    expected.insert("secretsmanager:GetSecretValue".into(), vec![reference("IdentifierKeySecret")]);
    expected.insert("logs:CreateLogStream".into(), vec![log_group.clone()]);
    expected.insert("logs:PutLogEvents".into(), vec![log_group]);
    expected.insert("xray:PutTraceSegments".into(), vec![json!("*")]);
    expected.insert("xray:PutTelemetryRecords".into(), vec![json!("*")]);
    // An application's files: deleted (DeleteObjects checks s3:DeleteObject
    // on each key) and listed; never read or written.
    expected.insert(
        "s3:DeleteObject".into(),
        vec![documents_bucket_arn(&template, "/documents/*"), documents_bucket_arn(&template, "/incoming/*")],
    );
    expected.insert("s3:ListBucket".into(), vec![documents_bucket_arn(&template, "")]);
    let mut actions = role_actions(&template, "RetentionRole");
    for resources in actions.values_mut().chain(expected.values_mut()) {
        resources.sort_by_key(|r| r.to_string());
    }
    assert_eq!(actions, expected, "the retention role's actions and their resources");

    // Listings of those two prefixes only: the applications with files
    // (documents/ by delimiter) and an application's files.
    let listing: Vec<Value> = role_statements(&template, "RetentionRole")
        .into_iter()
        .filter(|s| as_list(&s["Action"]).contains(&json!("s3:ListBucket")))
        .collect();
    assert_eq!(listing.len(), 1);
    assert_eq!(
        listing[0]["Condition"],
        json!({ "StringLike": { "s3:prefix": ["documents/*", "incoming/*"] } })
    );
    assert_eq!(
        resources(&template)["RetentionRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"],
        json!([{ "Effect": "Allow", "Principal": { "Service": "lambda.amazonaws.com" }, "Action": "sts:AssumeRole" }])
    );
}

/// How long an undecided application is kept: a parameter, no limit (0) by
/// default as the README says, bounded as the code parses it.
#[test]
fn undecided_retention_days_is_a_parameter_with_no_limit_by_default() {
    let template = template();
    let parameter = &template["Parameters"]["UndecidedRetentionDays"];
    assert_eq!(parameter["Type"], "Number");
    assert_eq!(parameter["Default"], 0);
    assert_eq!(parameter["MinValue"], 0);
    let max = parameter["MaxValue"].as_u64().unwrap();
    assert_eq!(max, 3650);
    assert!(UndecidedRetention::parse("0").is_ok_and(|r| r.days() == 0));
    assert!(UndecidedRetention::parse(&max.to_string()).is_ok());
    assert!(UndecidedRetention::parse(&(max + 1).to_string()).is_err());
}
