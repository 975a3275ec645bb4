//! `bench-review`: the operators' list, search and CSV export at scale
//! (issue 13). Seeds N verified applications (default 100,000) into a new
//! store, then measures on it, many times each, with `get` of one
//! application by id as the same-run baseline:
//! - the first page (50) newest first, the first page of one status, page 20 by its cursor;
//! - the exact searches (reception number, email, phone) and two substring
//!   searches of names, one that matches a few % and one that matches nothing
//!   (it reads every application);
//! - the full CSV export streamed through the admin function's own handler
//!   (`GET /api/admin/applications.csv`, [`admin::Handler::export_stream`], as
//!   the local server serves it): time, bytes, peak RSS.
//!
//! Seeding goes through the store's own [`shared::store::Tooling::import`],
//! which writes what a confirmation would have left (the application with its
//! address and reception reservations, its partner code if approved, its
//! mails marked sent): SQLite in transactions of 5,000 rows, DynamoDB by
//! BatchWriteItem (25 items a request, several requests in flight). No
//! history or tokens (the list, the searches and the export read none).
//!
//! ```text
//! cargo run --release -p xtask -- bench-review --backend sqlite --data-dir /tmp/bench
//! AWS_ENDPOINT_URL=http://127.0.0.1:5000 cargo run --release -p xtask -- \
//!     bench-review --backend dynamodb --table bench-review --count 10000
//! ```
//! `scripts/bench-review` runs both, moto started as the other scripts do.

use anyhow::{Context, Result, anyhow, bail, ensure};
use shared::domain::{
    Application, ApplicationId, PartnerCode, Receipt, ReceptionNumber, Status, Timestamp, Version,
};
use shared::keyed::IdentifierKey;
use shared::store::dynamodb::DynamoStore;
use shared::store::sqlite::SqliteStore;
use shared::store::{Cursor, Imported, ListQuery, Search, Store, StoredApplication};
use std::borrow::Cow;
use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    Sqlite,
    Dynamodb,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, value_enum)]
    pub backend: Backend,
    /// Verified applications to seed.
    #[arg(long, default_value_t = 100_000)]
    pub count: usize,
    /// SQLite: a new data directory (its applications.sqlite3 must not exist).
    #[arg(long, required_if_eq("backend", "sqlite"))]
    pub data_dir: Option<PathBuf>,
    /// DynamoDB (AWS_ENDPOINT_URL on 127.0.0.1 only): the table to create and seed.
    #[arg(long, required_if_eq("backend", "dynamodb"))]
    pub table: Option<String>,
    /// Most runs of one case.
    #[arg(long, default_value_t = 200)]
    pub runs: usize,
    /// Fewest runs of one case, whatever `--max-secs` says.
    #[arg(long, default_value_t = 5)]
    pub min_runs: usize,
    /// Stop repeating a case after this many seconds (once it has `--min-runs`).
    #[arg(long, default_value_t = 15.0)]
    pub max_secs: f64,
    /// Most runs of the full export; 0 leaves it out (moto at 100,000: hours).
    #[arg(long, default_value_t = 5)]
    pub export_runs: usize,
    /// Also export to this S3 bucket (created here; AWS_ENDPOINT_URL on
    /// 127.0.0.1 only) as the admin function does on AWS: a multipart upload
    /// and a 303 to its link, measured beside the streamed export.
    #[arg(long)]
    pub export_bucket: Option<String>,
    /// DynamoDB seeding: BatchWriteItem requests in flight.
    #[arg(long, default_value_t = 8)]
    pub in_flight: usize,
}

pub fn run(args: Args) -> Result<()> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(bench(args))
}

/// How many applications of each status: received, documents_requested, approved, rejected (of 20).
const STATUS_TWENTIETHS: [(Status, u64); 4] =
    [(Status::Received, 8), (Status::DocumentsRequested, 3), (Status::Approved, 7), (Status::Rejected, 2)];

const SURNAMES: [(&str, &str); 30] = [
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("田中", "タナカ"),
    ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"),
    ("山本", "ヤマモト"),
    ("中村", "ナカムラ"),
    ("小林", "コバヤシ"),
    ("加藤", "カトウ"),
    ("吉田", "ヨシダ"),
    ("山田", "ヤマダ"),
    ("佐々木", "ササキ"),
    ("山口", "ヤマグチ"),
    ("松本", "マツモト"),
    ("井上", "イノウエ"),
    ("木村", "キムラ"),
    ("林", "ハヤシ"),
    ("斎藤", "サイトウ"),
    ("清水", "シミズ"),
    ("山崎", "ヤマザキ"),
    ("森", "モリ"),
    ("池田", "イケダ"),
    ("橋本", "ハシモト"),
    ("阿部", "アベ"),
    ("石川", "イシカワ"),
    ("前田", "マエダ"),
    ("藤田", "フジタ"),
    ("小川", "オガワ"),
    ("岡田", "オカダ"),
];

const GIVEN_NAMES: [(&str, &str); 20] = [
    ("太郎", "タロウ"),
    ("花子", "ハナコ"),
    ("翔太", "ショウタ"),
    ("美咲", "ミサキ"),
    ("大輔", "ダイスケ"),
    ("陽子", "ヨウコ"),
    ("健一", "ケンイチ"),
    ("恵子", "ケイコ"),
    ("拓也", "タクヤ"),
    ("由美", "ユミ"),
    ("直樹", "ナオキ"),
    ("真由美", "マユミ"),
    ("誠", "マコト"),
    ("愛", "アイ"),
    ("浩二", "コウジ"),
    ("彩", "アヤ"),
    ("蓮", "レン"),
    ("結衣", "ユイ"),
    ("悠人", "ユウト"),
    ("さくら", "サクラ"),
];

const COMPANY_WORDS: [(&str, &str); 12] = [
    ("青葉", "アオバ"),
    ("東邦", "トウホウ"),
    ("大和", "ヤマト"),
    ("未来", "ミライ"),
    ("丸一", "マルイチ"),
    ("日進", "ニッシン"),
    ("富士見", "フジミ"),
    ("北斗", "ホクト"),
    ("若葉", "ワカバ"),
    ("光陽", "コウヨウ"),
    ("新星", "シンセイ"),
    ("朝日", "アサヒ"),
];

const COMPANY_KINDS: [(&str, &str); 8] = [
    ("商事", "ショウジ"),
    ("工業", "コウギョウ"),
    ("電機", "デンキ"),
    ("物産", "ブッサン"),
    ("企画", "キカク"),
    ("通信", "ツウシン"),
    ("システム", "システム"),
    ("不動産", "フドウサン"),
];

const COMPANY_FORMS: [(&str, &str); 3] =
    [("株式会社", "カブシキガイシャ"), ("合同会社", "ゴウドウガイシャ"), ("有限会社", "ユウゲンガイシャ")];

/// Postal code, region, the street's town (numbers are added).
const ADDRESSES: [(&str, &str, &str); 8] = [
    ("5300011", "大阪府大阪市北区", "大深町"),
    ("1000005", "東京都千代田区", "丸の内"),
    ("1500002", "東京都渋谷区", "渋谷"),
    ("0600001", "北海道札幌市中央区", "北一条西"),
    ("4600008", "愛知県名古屋市中区", "栄"),
    ("8120011", "福岡県福岡市博多区", "博多駅前"),
    ("9800021", "宮城県仙台市青葉区", "中央"),
    ("2200012", "神奈川県横浜市西区", "みなとみらい"),
];

const DOMAINS: [&str; 5] = ["example.co.jp", "example.jp", "example.com", "example.ne.jp", "example.or.jp"];

/// The substring that matches a few % (one surname of 30: about 3.3 %).
pub const FEW_TEXT: &str = "渡辺";
/// A substring that matches nothing.
pub const NO_TEXT: &str = "ヴァルハラ";

/// splitmix64 of (index, salt): the seeded data is the same in every run.
fn mix(index: u64, salt: u64) -> u64 {
    let mut z =
        index.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(salt.wrapping_mul(0xD1B5_4A32_D192_ED03));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn pick<T: Copy>(list: &[T], index: u64, salt: u64) -> T {
    list[(mix(index, salt) % list.len() as u64) as usize]
}

/// A distinct reception number for each index (a bijection of 0..23⁸).
fn reception_number(index: usize) -> ReceptionNumber {
    const ALPHABET: &[u8] = b"0123456789ACEFHJKPRTWXY";
    let space = 23u64.pow(8);
    let mut n = (index as u64).wrapping_mul(1_000_003).wrapping_add(4_242_424) % space;
    let mut chars = [0u8; 8];
    for c in chars.iter_mut().rev() {
        *c = ALPHABET[(n % 23) as usize];
        n /= 23;
    }
    let text = format!(
        "PR-{}-{}",
        std::str::from_utf8(&chars[..4]).expect("ascii"),
        std::str::from_utf8(&chars[4..]).expect("ascii")
    );
    ReceptionNumber::parse(&text).expect("a valid reception number")
}

/// `T` and 13 digits with a valid check digit.
fn invoice_number(index: u64) -> String {
    let body: String = format!("{:012}", mix(index, 7) % 1_000_000_000_000);
    let weighted: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 { d } else { d * 2 }
        })
        .sum();
    format!("T{}{body}", 9 - weighted % 9)
}

/// The email of the `index`th application (unique).
pub fn email_of(index: usize) -> String {
    format!("partner{index:06}@{}", pick(&DOMAINS, index as u64, 11))
}

/// The phone of the `index`th application, as typed (unique: a bijection of the 8 digits).
fn phone_of(index: usize) -> String {
    let prefix = ["090", "080"][index % 2];
    format!("{prefix}{}", 10_000_000 + (index as u64 * 7_919 + 1_234_567) % 90_000_000)
}

/// The `index`th seeded application: verified, received within the year before `now`.
pub fn seeded(index: usize, now: i64) -> Result<StoredApplication> {
    let i = index as u64;
    let received_at =
        Timestamp::from_epoch(now - 3_600 - (mix(i, 1) % (365 * 86_400)) as i64).context("received time")?;
    let verified_at = received_at.plus_secs(30 + (mix(i, 2) % 3_600) as i64);
    let corporation = mix(i, 3) % 10 < 6;
    let (last, last_kana) = pick(&SURNAMES, i, 4);
    let (first, first_kana) = pick(&GIVEN_NAMES, i, 5);
    let (postal, region, town) = pick(&ADDRESSES, i, 6);
    let mut values: HashMap<&str, String> = HashMap::from([
        ("email", email_of(index)),
        ("contractType", if corporation { "corporation" } else { "sole_proprietor" }.to_owned()),
        ("lastName", last.to_owned()),
        ("firstName", first.to_owned()),
        ("lastNameKana", last_kana.to_owned()),
        ("firstNameKana", first_kana.to_owned()),
        ("postalCode", postal.to_owned()),
        ("addressRegion", region.to_owned()),
        (
            "addressStreet",
            format!("{town}{}-{}-{}", 1 + mix(i, 8) % 5, 1 + mix(i, 9) % 30, 1 + mix(i, 10) % 20),
        ),
        ("phone", phone_of(index)),
    ]);
    if mix(i, 12).is_multiple_of(2) {
        values.insert(
            "addressBuilding",
            format!("{}ビル {}F", pick(&COMPANY_WORDS, i, 13).0, 1 + mix(i, 14) % 20),
        );
    }
    if corporation {
        let (word, word_kana) = pick(&COMPANY_WORDS, i, 15);
        let (kind, kind_kana) = pick(&COMPANY_KINDS, i, 16);
        let (form, form_kana) = pick(&COMPANY_FORMS, i, 17);
        let (name, kana) = if mix(i, 18).is_multiple_of(2) {
            (format!("{form}{word}{kind}"), format!("{form_kana}{word_kana}{kind_kana}"))
        } else {
            (format!("{word}{kind}{form}"), format!("{word_kana}{kind_kana}{form_kana}"))
        };
        values.insert("corporateName", name);
        values.insert("corporateNameKana", kana);
        values.insert("invoiceNumber", invoice_number(i));
        values.insert("employeeCount", (1 + mix(i, 19) % 500).to_string());
    } else if mix(i, 20) % 10 < 3 {
        values.insert("invoiceNumber", invoice_number(i));
    }
    if mix(i, 21) % 10 < 7 {
        values.insert("annualReferralCount", (mix(i, 22) % 100).to_string());
    }
    let application =
        Application::from_stored(|field| values.get(field.key()).map(|v| Cow::Owned(v.clone())))
            .map_err(|fields| anyhow!("seeded application {index} does not validate: {fields:?}"))?;
    let mut roll = mix(i, 23) % 20;
    let status = STATUS_TWENTIETHS
        .iter()
        .find_map(|&(status, share)| {
            if roll < share {
                Some(status)
            } else {
                roll -= share;
                None
            }
        })
        .unwrap_or(Status::Received);
    // Submitted (1), confirmed (2), then one decision, two for some approvals.
    let confirmed = Version::FIRST.next();
    let version = match status {
        Status::Received => confirmed,
        Status::Approved if mix(i, 24).is_multiple_of(3) => confirmed.next().next(),
        _ => confirmed.next(),
    };
    Ok(StoredApplication {
        receipt: Receipt {
            application_id: ApplicationId::new(received_at.time()),
            reception_number: reception_number(index),
            received_at,
        },
        application,
        status,
        version,
        verified_at: Some(verified_at),
        // A rejected application is kept until its retention ends (in the future here).
        expires_at: (status == Status::Rejected).then(|| Timestamp::from_epoch(now + 180 * 86_400)).flatten(),
        supersedes: None,
        partner_code: (status == Status::Approved).then(PartnerCode::random),
        assignee: None,
        mail_problem: false,
    })
}

/// The seeded applications `range`, as the store imports them.
pub(crate) fn imported(
    range: std::ops::Range<usize>,
    key: &IdentifierKey,
    now: i64,
) -> Result<Vec<Imported>> {
    range
        .map(|index| {
            let stored = seeded(index, now)?;
            let email_key = key.email(&stored.application.email);
            Ok(Imported { stored, email_key })
        })
        .collect()
}

/// Seeds a store through its own import ([`shared::store::Tooling::import`]), `chunk`
/// applications a call, `in_flight` calls at once: the store writes its own
/// layout, so the seed cannot drift from what the store reads.
pub(crate) async fn seed(
    store: Arc<dyn Store>,
    key: Arc<IdentifierKey>,
    count: usize,
    now: i64,
    chunk: usize,
    in_flight: usize,
) -> Result<()> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..in_flight.max(1) {
        let (store, key, next) = (Arc::clone(&store), Arc::clone(&key), Arc::clone(&next));
        workers.spawn(async move {
            loop {
                let start = next.fetch_add(chunk, Ordering::Relaxed);
                if start >= count {
                    return Ok::<(), anyhow::Error>(());
                }
                let applications = imported(start..(start + chunk).min(count), &key, now)?;
                store.import(&applications).await.map_err(|e| anyhow!("{e}"))?;
            }
        });
    }
    while let Some(result) = workers.join_next().await {
        result??;
    }
    Ok(())
}

/// The latencies of one case.
struct Sample {
    name: String,
    runs: usize,
    median: Duration,
    p95: Duration,
    min: Duration,
    rows: usize,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// Runs `case` once unmeasured, then up to `runs` times (at least `min_runs`,
/// else until `max_secs` have passed). `case` returns the rows it answered,
/// which must be the same every time.
async fn measure<F, Fut>(
    name: &str,
    runs: usize,
    min_runs: usize,
    max_secs: f64,
    mut case: F,
) -> Result<Sample>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<usize>>,
{
    let rows = case().await.with_context(|| name.to_owned())?;
    let mut times = Vec::new();
    let started = Instant::now();
    while times.len() < runs.max(1) && (times.len() < min_runs || started.elapsed().as_secs_f64() < max_secs)
    {
        let at = Instant::now();
        let answered = case().await.with_context(|| name.to_owned())?;
        times.push(at.elapsed());
        ensure!(answered == rows, "{name}: {answered} rows, {rows} before");
    }
    times.sort();
    let sample = Sample {
        name: name.to_owned(),
        runs: times.len(),
        median: percentile(&times, 0.5),
        p95: percentile(&times, 0.95),
        min: times[0],
        rows,
    };
    eprintln!(
        "  {} — {} runs, median {:?}, p95 {:?}, rows {}",
        sample.name, sample.runs, sample.median, sample.p95, sample.rows
    );
    Ok(sample)
}

fn ms(duration: Duration) -> String {
    let ms = duration.as_secs_f64() * 1_000.0;
    if ms < 10.0 {
        format!("{ms:.3} ms")
    } else if ms < 1_000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.2} s", ms / 1_000.0)
    }
}

/// `VmRSS` and `VmHWM` of this process, kB.
fn memory_kb() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The export request as API Gateway passes it, with an operator's claims.
fn export_request() -> lambda_http::Request {
    use lambda_http::RequestExt;
    use lambda_http::aws_lambda_events::apigw::{
        ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription,
        ApiGatewayV2httpRequestContext,
    };
    let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
    jwt.claims.insert(admin::operator::USERNAME_CLAIM.to_owned(), "bench@partner.example.jp".to_owned());
    // The export is a supervisor's.
    let role = shared::domain::Role::Supervisor;
    jwt.claims.insert(
        admin::operator::GROUPS_CLAIM.to_owned(),
        format!("[{}]", role.groups().collect::<Vec<_>>().join(" ")),
    );
    let mut authorizer = ApiGatewayRequestAuthorizer::default();
    authorizer.jwt = Some(jwt);
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.http.method = lambda_http::http::Method::GET;
    context.http.path = Some(shared::routes::ADMIN_EXPORT.path.to_owned());
    context.authorizer = Some(authorizer);
    lambda_http::http::Request::builder()
        .method("GET")
        .uri(shared::routes::ADMIN_EXPORT.path)
        .body(lambda_http::Body::Empty)
        .expect("a request")
        .with_request_context(lambda_http::request::RequestContext::ApiGatewayV2(context))
}

fn page_query(status: Option<Status>, search: Option<Search>, cursor: Option<Cursor>) -> ListQuery {
    ListQuery { status, search, from: None, to: None, limit: 50, cursor, assignee: None }
}

async fn bench(args: Args) -> Result<()> {
    let now = Timestamp::now().epoch();
    let key = Arc::new(IdentifierKey::for_tests());
    let seeding = Instant::now();
    let mut dynamodb = None;
    let store: Arc<dyn Store> = match args.backend {
        Backend::Sqlite => {
            let dir = args.data_dir.clone().context("--data-dir")?;
            let path = dir.join(shared::store::sqlite::FILE_NAME);
            ensure!(!path.exists(), "{} exists: give a new --data-dir", path.display());
            let store: Arc<dyn Store> = Arc::new(SqliteStore::open_dir(&dir).map_err(|e| anyhow!("{e}"))?);
            // One writer: SQLite has one; 5,000 rows a transaction.
            seed(Arc::clone(&store), Arc::clone(&key), args.count, now, 5_000, 1).await?;
            store
        }
        Backend::Dynamodb => {
            let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
            if !(endpoint.starts_with("http://127.0.0.1:") || endpoint.starts_with("http://localhost:")) {
                bail!("AWS_ENDPOINT_URL must point at a local endpoint on 127.0.0.1, not {endpoint:?}");
            }
            let table = args.table.clone().context("--table")?;
            let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
            let client = aws_sdk_dynamodb::Client::new(&sdk);
            shared::store::dynamodb::create_table(&client, &table).await.map_err(|e| anyhow!("{e}"))?;
            let dynamo = DynamoStore::new(client, table);
            dynamodb = Some(dynamo.clone());
            let store: Arc<dyn Store> = Arc::new(dynamo);
            // 8 applications (≤ 32 items) a call: BatchWriteItem takes 25 items a request.
            seed(Arc::clone(&store), Arc::clone(&key), args.count, now, 8, args.in_flight).await?;
            store
        }
    };
    let seeded_in = seeding.elapsed();
    println!(
        "backend {:?}: seeded {} verified applications in {:.1} s",
        args.backend,
        args.count,
        seeded_in.as_secs_f64()
    );

    let (runs, min_runs, max_secs) = (args.runs, args.min_runs, args.max_secs);
    let list = |query: ListQuery| {
        let store = Arc::clone(&store);
        move || {
            let (store, query) = (Arc::clone(&store), query.clone());
            async move { Ok(store.list(&query).await.map_err(|e| anyhow!("{e}"))?.items.len()) }
        }
    };
    // Page 20: the cursor after page 19, read once.
    let mut cursor = None;
    for _ in 0..19 {
        let page = store.list(&page_query(None, None, cursor)).await.map_err(|e| anyhow!("{e}"))?;
        cursor = Some(page.next.context("fewer than 20 pages")?);
    }
    let newest = store.list(&page_query(None, None, None)).await.map_err(|e| anyhow!("{e}"))?;
    let some_id = newest.items.first().context("nothing listed")?.receipt.application_id;
    let get = || {
        let store = Arc::clone(&store);
        async move { Ok(usize::from(store.get(some_id).await.map_err(|e| anyhow!("{e}"))?.is_some())) }
    };

    let probe = seeded(args.count / 2, now)?;
    let text = |q: &str| {
        let text = shared::normalize::text(q).replace(' ', "");
        Search::Text { reading: shared::normalize::hiragana_as_katakana(text.clone()), text }
    };
    let mut samples =
        vec![measure("baseline: get one application by id", runs, min_runs, max_secs, get).await?];
    let cases: Vec<(&str, ListQuery)> = vec![
        ("list: first page (50), newest first", page_query(None, None, None)),
        ("list: first page (50), status received", page_query(Some(Status::Received), None, None)),
        ("list: page 20 by cursor", page_query(None, None, cursor)),
        (
            "search: reception number (exact)",
            page_query(None, Some(Search::ReceptionNumber(probe.receipt.reception_number)), None),
        ),
        (
            "search: email (exact)",
            page_query(None, Some(Search::Email(key.email(&probe.application.email))), None),
        ),
        (
            "search: phone (exact, by index)",
            page_query(None, Some(Search::Phone(probe.application.phone.clone())), None),
        ),
        ("search: name 渡辺 (~3 %), first page", page_query(None, Some(text(FEW_TEXT)), None)),
        ("search: name that matches nothing (reads all)", page_query(None, Some(text(NO_TEXT)), None)),
    ];
    for (name, query) in cases {
        samples.push(measure(name, runs, min_runs, max_secs, list(query)).await?);
    }
    // The detail's reviewer check and the console's tab counts (issue 15).
    let related = shared::store::Related::of(&probe, 20);
    let store_for_related = Arc::clone(&store);
    samples.push(
        measure("detail's check: related (phone, T-number, company)", runs, min_runs, max_secs, || {
            let (store, related) = (Arc::clone(&store_for_related), related.clone());
            async move { Ok(store.related(&related).await.map_err(|e| anyhow!("{e}"))?.len()) }
        })
        .await?,
    );
    let store_for_counts = Arc::clone(&store);
    samples.push(
        measure("tabs: count by status", runs, min_runs, max_secs, || {
            let store = Arc::clone(&store_for_counts);
            async move {
                let counts = store.count_by_status().await.map_err(|e| anyhow!("{e}"))?;
                Ok(usize::try_from(counts.get(Status::Received)).unwrap_or(usize::MAX))
            }
        })
        .await?,
    );
    if let Some(dynamo) = &dynamodb {
        // The items one count request reads (issue 24): the counters, against
        // the counting Query per status that the counts made before them.
        let (_, after) = dynamo.counts_and_reads().await.map_err(|e| anyhow!("{e}"))?;
        let mut before = 0;
        for status in Status::ALL {
            before += dynamo.count_of(status, now, true).await.map_err(|e| anyhow!("{e}"))?.1;
        }
        println!(
            "tabs: items read per count request: {before} by a counting Query per status, {after} by the counters"
        );
    }
    let expected = [1, 50, 50, 50, 1, 1, 1, 50, 0];
    for (sample, expected) in samples.iter().zip(expected) {
        ensure!(sample.rows == expected, "{}: {} rows, expected {expected}", sample.name, sample.rows);
    }

    // The export, streamed through the admin function's handler as the local
    // server serves it (on Lambda it is one answer, at most 5 MB).
    // No document is read here: the files' directory only has to exist.
    let files = std::env::temp_dir().join(format!("review-bench-files-{}", std::process::id()));
    let files = Arc::new(shared::documents::local::LocalFiles::open(&files)?);
    let handler = Arc::new(admin::Handler::new(
        Arc::clone(&store),
        files,
        Arc::clone(&key),
        admin::Settings::default(),
    ));
    let mut export_times = Vec::new();
    let (mut bytes, mut rows, mut peak_rise, mut peak) = (0usize, 0usize, 0u64, 0u64);
    // Run 0 warms up; none at all with `--export-runs 0`.
    let export_runs = if args.export_runs == 0 { 0 } else { args.export_runs + 1 };
    for run in 0..export_runs {
        // Peak RSS from here (Linux: 5 resets VmHWM to the current RSS).
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let (rss_before, _) = memory_kb();
        let at = Instant::now();
        // The local server's path: the chunks as they are read, each dropped
        // once counted, as a client's socket would take them.
        let Ok((head, mut chunks)) = handler.export_stream(&export_request()).await else {
            anyhow::bail!("the export was refused");
        };
        ensure!(head.status() == 200, "export answered {}", head.status());
        let (mut body_bytes, mut line_ends) = (0usize, 0usize);
        while let Some(chunk) = chunks.recv().await {
            let chunk = chunk.map_err(|admin::Broken| anyhow::anyhow!("the export broke off"))?;
            body_bytes += chunk.len();
            line_ends += chunk.windows(2).filter(|w| w == b"\r\n").count();
        }
        let elapsed = at.elapsed();
        let (_, hwm) = memory_kb();
        bytes = body_bytes;
        rows = line_ends - 1;
        ensure!(rows == args.count, "export: {rows} rows of {}", args.count);
        if run > 0 {
            export_times.push(elapsed);
            peak_rise = peak_rise.max(hwm.saturating_sub(rss_before));
            peak = peak.max(hwm);
        }
    }
    let to_s3 = match &args.export_bucket {
        None => None,
        Some(_) if export_runs == 0 => {
            bail!("--export-bucket compares with the streamed export: --export-runs > 0")
        }
        Some(bucket) => Some(export_to_s3(&store, &key, bucket, export_runs, args.count, bytes).await?),
    };
    samples.push(
        measure("baseline: get one application by id (again, after)", runs, min_runs, max_secs, get).await?,
    );
    export_times.sort();

    let baseline = samples[0].median;
    println!();
    println!(
        "| case ({:?}, {} applications) | runs | median | p95 | min | rows | ÷ get median |",
        args.backend, args.count
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for sample in &samples {
        println!(
            "| {} | {} | {} | {} | {} | {} | {:.1} |",
            sample.name,
            sample.runs,
            ms(sample.median),
            ms(sample.p95),
            ms(sample.min),
            sample.rows,
            sample.median.as_secs_f64() / baseline.as_secs_f64()
        );
    }
    if export_times.is_empty() {
        println!();
        println!("export: not run (--export-runs 0)");
    } else {
        println!(
            "| export: CSV of all {} rows via admin::Handler::export_stream | {} | {} | {} | {} | {} | {:.0} |",
            rows,
            export_times.len(),
            ms(percentile(&export_times, 0.5)),
            ms(percentile(&export_times, 0.95)),
            ms(export_times[0]),
            rows,
            percentile(&export_times, 0.5).as_secs_f64() / baseline.as_secs_f64()
        );
        println!();
        println!(
            "export: {bytes} bytes ({:.1} MB); peak RSS during an export {:.1} MB ({:.1} MB above the RSS before it)",
            bytes as f64 / 1e6,
            peak as f64 / 1024.0,
            peak_rise as f64 / 1024.0
        );
    }
    if let Some(s3) = to_s3 {
        println!(
            "export to S3 (multipart, 303): {} runs, median {}, min {}; peak RSS during an export {:.1} MB ({:.1} MB above the RSS before it); the link downloads {} bytes, {} rows",
            s3.times.len(),
            ms(percentile(&s3.times, 0.5)),
            ms(s3.times[0]),
            s3.peak as f64 / 1024.0,
            s3.peak_rise as f64 / 1024.0,
            s3.bytes,
            s3.rows
        );
    }
    println!("seeding: {} applications in {:.1} s", args.count, seeded_in.as_secs_f64());
    Ok(())
}

/// The S3 export's runs: times sorted, peak RSS (kB), what the link downloads.
struct S3Export {
    times: Vec<Duration>,
    peak: u64,
    peak_rise: u64,
    bytes: usize,
    rows: usize,
}

/// The export as the admin function makes it on AWS: written to `bucket` as
/// a multipart upload, answered 303. The peak RSS is taken before the link is
/// downloaded (the download is the browser's, not the function's); the
/// download must be the streamed export's `streamed_bytes` and `count` rows.
async fn export_to_s3(
    store: &Arc<dyn Store>,
    key: &Arc<IdentifierKey>,
    bucket: &str,
    runs: usize,
    count: usize,
    streamed_bytes: usize,
) -> Result<S3Export> {
    use shared::documents::s3::S3Files;
    use shared::exports::s3::S3Exports;
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
    if !(endpoint.starts_with("http://127.0.0.1:") || endpoint.starts_with("http://localhost:")) {
        bail!(
            "--export-bucket: AWS_ENDPOINT_URL must point at a local endpoint on 127.0.0.1, not {endpoint:?}"
        );
    }
    let sdk = shared::aws::load_sdk_config().await.map_err(|e| anyhow!("{e}"))?;
    S3Files::create_bucket(&S3Files::client(&sdk), bucket).await.map_err(|e| anyhow!("{e}"))?;
    let files = std::env::temp_dir().join(format!("review-bench-files-{}", std::process::id()));
    let files = Arc::new(shared::documents::local::LocalFiles::open(&files)?);
    let handler = admin::Handler::new(Arc::clone(store), files, Arc::clone(key), admin::Settings::default())
        .exports_to(Arc::new(S3Exports::new(S3Exports::client(&sdk), bucket)));
    let mut result = S3Export { times: Vec::new(), peak: 0, peak_rise: 0, bytes: 0, rows: 0 };
    // Every run first, the links downloaded after: a download held in this
    // process would count in the peak.
    let mut locations = Vec::new();
    for run in 0..runs.max(2) {
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let (rss_before, _) = memory_kb();
        let at = Instant::now();
        let response = handler.handle(export_request()).await;
        let elapsed = at.elapsed();
        let (_, hwm) = memory_kb();
        ensure!(response.status() == 303, "the S3 export answered {}", response.status());
        locations.push(response.headers()["location"].to_str()?.to_owned());
        if run > 0 {
            result.times.push(elapsed);
            result.peak_rise = result.peak_rise.max(hwm.saturating_sub(rss_before));
            result.peak = result.peak.max(hwm);
        }
    }
    for location in locations {
        let body = reqwest::get(&location).await?.error_for_status()?.bytes().await?;
        result.bytes = body.len();
        result.rows = body.windows(2).filter(|w| w == b"\r\n").count() - 1;
        ensure!(result.rows == count, "S3 export: {} rows of {count}", result.rows);
        ensure!(
            result.bytes == streamed_bytes,
            "S3 export: {} bytes, streamed {streamed_bytes}",
            result.bytes
        );
    }
    result.times.sort();
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_applications_are_valid_varied_and_unique() {
        let now = Timestamp::now().epoch();
        let mut emails = std::collections::HashSet::new();
        let mut numbers = std::collections::HashSet::new();
        let mut phones = std::collections::HashSet::new();
        let mut statuses = HashMap::new();
        let mut few = 0;
        for index in 0..3_000 {
            let stored = seeded(index, now).unwrap();
            assert!(emails.insert(stored.application.email.as_str().to_owned()));
            assert!(numbers.insert(stored.receipt.reception_number));
            assert!(phones.insert(stored.application.phone.as_str().to_owned()));
            *statuses.entry(stored.status).or_insert(0) += 1;
            let search = shared::store::layout::search_text(&stored.application);
            assert!(!search.contains(NO_TEXT));
            few += usize::from(search.contains(FEW_TEXT));
        }
        assert_eq!(statuses.len(), 4);
        assert!((50..200).contains(&few), "{few} of 3000 match {FEW_TEXT}");
    }
}
