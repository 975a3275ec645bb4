//! `load`: many submissions at once against a running server, then proof that
//! nothing was lost and nothing doubled, on the new lifecycle:
//! 1. submissions, some replayed with the same key and body, some reusing the
//!    previous submission's address under a new key: every answer is 202 (or
//!    503 while storage is down on purpose), every replay identical, and every
//!    address that got a 202 has exactly one live application in the store;
//! 2. every stored application confirmed through its link, all at once, some
//!    twice: each answers 200 with its reception number, the same again;
//!    afterwards all are `received` and none is left waiting;
//! 3. with `--outbox`, the mails: one 控え and one operators' notice per
//!    confirmed application, and no mail of any kind twice for one record.
//!
//! `verify`: the acknowledged addresses of an earlier run all have their
//! application stored (after a crash and restart).
//!
//! ```text
//! cargo run --release -p xtask -- load --base-url http://127.0.0.1:3000 \
//!     --count 2000 --concurrency 32 --sqlite .local/applications.sqlite3 --outbox .local/outbox
//! ```
//! The server must run without rate limits (`RATE_LIMIT_SUBMISSIONS_PER_CLIENT=0`,
//! `RATE_LIMIT_SUBMISSIONS_PER_ADDRESS=0` and friends): every request comes
//! from one address, and re-applications reuse mail addresses.

use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};
use shared::domain::Status;
use shared::keyed::IdentifierKey;
use shared::store::dynamodb::DynamoStore;
use shared::store::sqlite::SqliteStore;
use shared::store::{Store, StoredApplication};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The server, e.g. http://127.0.0.1:3000 (loopback only).
    #[arg(long)]
    pub base_url: String,
    /// Distinct submissions (each a new idempotency key).
    #[arg(long, default_value_t = 2000)]
    pub count: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Share (%) of submissions sent again with the same key and body once answered.
    #[arg(long, default_value_t = 10)]
    pub retry_percent: usize,
    /// Share (%) of submissions that reuse the previous submission's email under a new key.
    #[arg(long, default_value_t = 5)]
    pub reuse_email_percent: usize,
    #[command(flatten)]
    pub storage: Storage,
    /// The storage may be down on purpose: 503 is expected, the counts are not
    /// compared, and nothing is confirmed.
    #[arg(long)]
    pub fault: bool,
    /// Appends every acknowledged (202) address here, as JSON lines, when answered.
    #[arg(long)]
    pub acknowledged: Option<PathBuf>,
    /// Pause between requests of one worker (to stretch a run for fault injection).
    #[arg(long, default_value_t = 0)]
    pub pace_ms: u64,
    /// The local server's outbox: count the mails once the confirmations are done.
    #[arg(long)]
    pub outbox: Option<PathBuf>,
}

/// Where the server stores applications, and the key its links are made with.
#[derive(Debug, Clone, clap::Args)]
pub struct Storage {
    /// The embedded store's database (DATA_DIR/applications.sqlite3).
    #[arg(long, conflicts_with = "table", required_unless_present = "table")]
    pub sqlite: Option<PathBuf>,
    /// The DynamoDB table (at AWS_ENDPOINT_URL).
    #[arg(long)]
    pub table: Option<String>,
    /// The directory of the server's identifier key (its data directory);
    /// by default the SQLite database's directory.
    #[arg(long)]
    pub key_dir: Option<PathBuf>,
}

impl Storage {
    fn key(&self) -> Result<IdentifierKey> {
        let dir = match (&self.key_dir, &self.sqlite) {
            (Some(dir), _) => dir.clone(),
            (None, Some(path)) => path.parent().map(Path::to_owned).unwrap_or_default(),
            (None, None) => bail!("--key-dir: the server's data directory"),
        };
        IdentifierKey::load_or_create(&dir).map_err(|e| anyhow!("{e}"))
    }
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// JSON lines written by `load --acknowledged`.
    #[arg(long)]
    pub acknowledged: PathBuf,
    #[command(flatten)]
    pub storage: Storage,
}

/// An address the server acknowledged with 202.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Acknowledged {
    pub email: String,
    pub expires_at: String,
}

#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    body: String,
    replayed: bool,
    latency: Duration,
}

#[derive(Debug)]
struct Job {
    index: usize,
    key: String,
    email: String,
    retry: bool,
    reuses_email_of: Option<usize>,
}

#[derive(Debug)]
struct Outcome {
    job: Job,
    first: Result<Answer, String>,
    retry: Option<Result<Answer, String>>,
}

/// The seed application of events/submit-valid.json, with `email` set.
fn application(template: &serde_json::Value, email: &str) -> String {
    let mut body = template.clone();
    body["email"] = email.into();
    body["emailConfirmation"] = email.into();
    body.to_string()
}

fn template() -> Result<serde_json::Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../events/submit-valid.json");
    let event: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).with_context(|| path.display().to_string())?)?;
    let body = event["body"].as_str().ok_or_else(|| anyhow!("{} has no body", path.display()))?;
    Ok(serde_json::from_str(body)?)
}

fn plan(args: &Args, tag: &str) -> Vec<Job> {
    let every = |percent: usize| 100usize.checked_div(percent).unwrap_or(usize::MAX);
    let (retry_every, reuse_every) = (every(args.retry_percent), every(args.reuse_email_percent));
    let email = |i: usize| format!("load-{tag}-{i:05}@example.com");
    (0..args.count)
        .map(|index| {
            let reuses = (index % reuse_every == reuse_every - 1 && index > 0).then(|| index - 1);
            Job {
                index,
                key: format!("load-{tag}-{index:05}-key"),
                email: email(reuses.unwrap_or(index)),
                retry: index % retry_every == 0,
                reuses_email_of: reuses,
            }
        })
        .collect()
}

async fn post(client: &reqwest::Client, url: &str, key: Option<&str>, body: &str) -> Result<Answer, String> {
    let started = Instant::now();
    let mut request = client.post(url).header("content-type", "application/json").body(body.to_owned());
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let response = request.send().await.map_err(|e| format!("{e}"))?;
    let status = response.status().as_u16();
    let replayed = response.headers().get("idempotent-replayed").is_some_and(|v| v == "true");
    let body = response.text().await.map_err(|e| format!("{e}"))?;
    Ok(Answer { status, body, replayed, latency: started.elapsed() })
}

pub async fn open_store(storage: &Storage) -> Result<Box<dyn Store>> {
    Ok(match (&storage.sqlite, &storage.table) {
        (Some(path), _) => Box::new(SqliteStore::open(path).map_err(|e| anyhow!("{e}"))?),
        (None, Some(table)) => {
            let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
            Box::new(DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table.clone()))
        }
        (None, None) => bail!("--sqlite or --table"),
    })
}

/// Every live application of these statuses, by lower-cased address.
async fn by_email(store: &dyn Store, statuses: &[Status]) -> Result<HashMap<String, Vec<StoredApplication>>> {
    let mut found: HashMap<String, Vec<StoredApplication>> = HashMap::new();
    for &status in statuses {
        for stored in store.list_by_status(status, 1_000_000).await.map_err(|e| anyhow!("{e}"))? {
            found.entry(stored.application.email.as_str().to_lowercase()).or_default().push(stored);
        }
    }
    Ok(found)
}

/// The acknowledged addresses without exactly one live application.
pub async fn missing(store: &dyn Store, acknowledged: &[Acknowledged]) -> Result<Vec<String>> {
    let stored = by_email(store, &Status::ALL).await?;
    Ok(acknowledged
        .iter()
        .map(|ack| ack.email.to_lowercase())
        .collect::<HashSet<_>>()
        .into_iter()
        .filter(|email| stored.get(email).map_or(0, Vec::len) != 1)
        .collect())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

pub fn run(args: Args) -> Result<()> {
    if !(args.base_url.starts_with("http://127.0.0.1:") || args.base_url.starts_with("http://localhost:")) {
        bail!("--base-url must be on 127.0.0.1");
    }
    tokio::runtime::Runtime::new()?.block_on(load(args))
}

/// Runs `work` on every item with `concurrency` workers; results in item order.
async fn in_parallel<I, T, F, Fut>(
    items: Vec<I>,
    concurrency: usize,
    pace: Duration,
    work: F,
) -> Result<Vec<T>>
where
    I: Send + 'static,
    T: Send + 'static,
    F: Fn(I) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = T> + Send,
{
    let queue = Arc::new(std::sync::Mutex::new(items.into_iter().enumerate()));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (queue, work) = (queue.clone(), work.clone());
        workers.spawn(async move {
            let mut done = Vec::new();
            loop {
                let Some((index, item)) = queue.lock().expect("queue").next() else { break };
                done.push((index, work(item).await));
                if !pace.is_zero() {
                    tokio::time::sleep(pace).await;
                }
            }
            done
        });
    }
    let mut results = Vec::new();
    while let Some(done) = workers.join_next().await {
        results.extend(done?);
    }
    results.sort_by_key(|(index, _)| *index);
    Ok(results.into_iter().map(|(_, result)| result).collect())
}

async fn load(args: Args) -> Result<()> {
    let template = template()?;
    let tag = format!("{:x}", SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis() % 0xffff_ffff);
    let jobs = plan(&args, &tag);
    let base = args.base_url.trim_end_matches('/').to_owned();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(args.concurrency)
        .build()?;
    let acknowledged_file = match &args.acknowledged {
        Some(path) => Some(Arc::new(std::sync::Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| path.display().to_string())?,
        ))),
        None => None,
    };
    let record = move |email: &str, answer: &Result<Answer, String>| {
        if let (Some(file), Ok(answer)) = (&acknowledged_file, answer)
            && answer.status == 202
            && let Ok(sent) = serde_json::from_str::<serde_json::Value>(&answer.body)
        {
            let ack = Acknowledged {
                email: email.to_owned(),
                expires_at: sent["expiresAt"].as_str().unwrap_or_default().to_owned(),
            };
            let mut file = file.lock().expect("acknowledged file");
            let _ = writeln!(file, "{}", serde_json::to_string(&ack).expect("serialisable"));
            let _ = file.flush();
        }
    };

    let started = Instant::now();
    let url = format!("{base}/api/applications");
    let (submit_client, pace) = (client.clone(), Duration::from_millis(args.pace_ms));
    let outcomes = in_parallel(jobs, args.concurrency, pace, move |job: Job| {
        let (client, url, template, record) =
            (submit_client.clone(), url.clone(), template.clone(), record.clone());
        async move {
            let body = application(&template, &job.email);
            let first = post(&client, &url, Some(&job.key), &body).await;
            record(&job.email, &first);
            let retry = if job.retry {
                let answer = post(&client, &url, Some(&job.key), &body).await;
                record(&job.email, &answer);
                Some(answer)
            } else {
                None
            };
            Outcome { job, first, retry }
        }
    })
    .await?;
    let submitted_in = started.elapsed();
    let mut report = Report::default();
    let accepted = check_submissions(&args, &outcomes, &mut report);
    report.phase("submissions", outcomes.len(), submitted_in);
    let store = open_store(&args.storage).await?;
    check_stored(&args, store.as_ref(), &accepted, &mut report).await?;
    if !args.fault {
        confirm_all(&args, &client, &base, store.as_ref(), &mut report).await?;
        if let Some(outbox) = &args.outbox {
            check_mails(outbox, report.confirmed, &mut report).await?;
        }
    }
    report.finish(&args)
}

/// What a run found, printed at the end.
#[derive(Default)]
struct Report {
    problems: Vec<String>,
    statuses: BTreeMap<String, usize>,
    latencies: Vec<Duration>,
    lines: Vec<String>,
    confirmed: usize,
}

impl Report {
    fn tally(&mut self, answer: &Result<Answer, String>) {
        let label = match answer {
            Ok(a) => {
                self.latencies.push(a.latency);
                a.status.to_string()
            }
            Err(_) => "transport error".to_owned(),
        };
        *self.statuses.entry(label).or_default() += 1;
    }

    /// Closes a phase: its throughput and latencies, then its statuses.
    fn phase(&mut self, name: &str, count: usize, elapsed: Duration) {
        let mut latencies = std::mem::take(&mut self.latencies);
        latencies.sort();
        let statuses = std::mem::take(&mut self.statuses);
        let requests: usize = statuses.values().sum();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        self.lines.push(format!(
            "{name}: {count} ({requests} requests) in {:.2} s = {:.0} req/s; latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            elapsed.as_secs_f64(),
            requests as f64 / elapsed.as_secs_f64(),
            ms(percentile(&latencies, 0.5)),
            ms(percentile(&latencies, 0.99)),
            ms(latencies.last().copied().unwrap_or_default()),
        ));
        self.lines.push(format!("  statuses: {statuses:?}"));
    }

    fn finish(self, args: &Args) -> Result<()> {
        println!("concurrency {}, {} submissions", args.concurrency, args.count);
        for line in &self.lines {
            println!("{line}");
        }
        if self.problems.is_empty() {
            println!("PASS");
            Ok(())
        } else {
            for problem in self.problems.iter().take(20) {
                eprintln!("problem: {problem}");
            }
            bail!("FAIL: {} problems", self.problems.len())
        }
    }
}

/// Phase 1's answers; returns the addresses that got a 202.
fn check_submissions(args: &Args, outcomes: &[Outcome], report: &mut Report) -> HashSet<String> {
    let mut accepted = HashSet::new();
    let (mut retries, mut identical, mut pairs) = (0, 0, 0);
    for outcome in outcomes {
        let job = &outcome.job;
        report.tally(&outcome.first);
        let first = match &outcome.first {
            Ok(answer) => answer,
            Err(error) => {
                if !args.fault {
                    report.problems.push(format!("#{}: {error}", job.index));
                }
                continue;
            }
        };
        let sent = |answer: &Answer| {
            answer.status == 202
                && serde_json::from_str::<serde_json::Value>(&answer.body)
                    .is_ok_and(|body| body["status"] == "verification_sent")
        };
        match first.status {
            202 if sent(first) => {
                accepted.insert(job.email.to_lowercase());
            }
            503 if args.fault => {}
            status => report.problems.push(format!("#{}: unexpected {status} {}", job.index, first.body)),
        }
        if job.reuses_email_of.is_some() {
            pairs += 1;
        }
        let Some(retry) = &outcome.retry else { continue };
        report.tally(retry);
        retries += 1;
        match retry {
            Ok(again) => {
                let same = again.status == first.status && again.body == first.body;
                if same && (first.status != 202 || again.replayed) {
                    identical += 1;
                } else if !args.fault || (first.status == 202 && again.status != 503) {
                    report.problems.push(format!(
                        "#{}: replay {} {} (replayed: {}) differs from {} {}",
                        job.index, again.status, again.body, again.replayed, first.status, first.body
                    ));
                }
                if sent(again) {
                    // A retry after a 503 may be the first acceptance.
                    accepted.insert(job.email.to_lowercase());
                }
            }
            Err(error) if !args.fault => report.problems.push(format!("#{} retry: {error}", job.index)),
            Err(_) => {}
        }
    }
    report.lines.push(format!(
        "replays identical: {identical} of {retries}; submissions reusing an address: {pairs}; addresses acknowledged: {}",
        accepted.len()
    ));
    accepted
}

/// Every acknowledged address has exactly one live application, and (without
/// faults) nothing else is stored.
async fn check_stored(
    args: &Args,
    store: &dyn Store,
    accepted: &HashSet<String>,
    report: &mut Report,
) -> Result<()> {
    let stored = by_email(store, &Status::ALL).await?;
    let (mut lost, mut doubled) = (0, 0);
    for email in accepted {
        match stored.get(email).map_or(0, Vec::len) {
            1 => {}
            0 => {
                lost += 1;
                report.problems.push(format!("{email}: acknowledged, not stored"));
            }
            n => {
                doubled += 1;
                report.problems.push(format!("{email}: {n} live applications"));
            }
        }
    }
    let total: usize = stored.values().map(Vec::len).sum();
    if !args.fault && total != accepted.len() {
        report
            .problems
            .push(format!("{total} stored applications, {} addresses acknowledged", accepted.len()));
    }
    report.lines.push(format!(
        "stored: {total} live applications; every 202 stored: {} of {} ({lost} lost, {doubled} doubled)",
        accepted.len() - lost - doubled,
        accepted.len()
    ));
    Ok(())
}

/// Phase 2: every waiting application confirmed through its link, at once.
async fn confirm_all(
    args: &Args,
    client: &reqwest::Client,
    base: &str,
    store: &dyn Store,
    report: &mut Report,
) -> Result<()> {
    let key = Arc::new(args.storage.key()?);
    let waiting =
        store.list_by_status(Status::AwaitingVerification, 1_000_000).await.map_err(|e| anyhow!("{e}"))?;
    let count = waiting.len();
    let url = format!("{base}/api/verifications");
    let every = 100usize.checked_div(args.retry_percent).unwrap_or(usize::MAX);
    let items: Vec<(usize, StoredApplication)> = waiting.into_iter().enumerate().collect();
    let started = Instant::now();
    let client = client.clone();
    let answers = in_parallel(
        items,
        args.concurrency,
        Duration::ZERO,
        move |(index, stored): (usize, StoredApplication)| {
            let (client, url, key) = (client.clone(), url.clone(), key.clone());
            async move {
                let token = key.verification_token(stored.receipt.application_id);
                let body = serde_json::json!({ "token": token.as_str() }).to_string();
                let first = post(&client, &url, None, &body).await;
                let again =
                    if index % every == 0 { Some(post(&client, &url, None, &body).await) } else { None };
                (stored, first, again)
            }
        },
    )
    .await?;
    let elapsed = started.elapsed();
    let mut confirmed = 0;
    for (stored, first, again) in &answers {
        report.tally(first);
        let expected = stored.receipt.reception_number.as_str();
        let ok = |answer: &Result<Answer, String>| {
            answer
                .as_ref()
                .ok()
                .filter(|a| a.status == 200)
                .and_then(|a| serde_json::from_str::<serde_json::Value>(&a.body).ok())
                .is_some_and(|body| body["receptionNumber"] == expected && body["status"] == "received")
        };
        if ok(first) {
            confirmed += 1;
        } else {
            report.problems.push(format!(
                "{}: confirmation {:?}",
                stored.receipt.application_id,
                first.as_ref().map(|a| (a.status, a.body.clone()))
            ));
        }
        if let Some(again) = again {
            report.tally(again);
            let same = matches!((first, again), (Ok(a), Ok(b)) if a.body == b.body);
            if !ok(again) || !same {
                report
                    .problems
                    .push(format!("{}: the second confirmation differs", stored.receipt.application_id));
            }
        }
    }
    report.phase("confirmations", count, elapsed);
    let received = store.list_by_status(Status::Received, 1_000_000).await.map_err(|e| anyhow!("{e}"))?.len();
    let left = store
        .list_by_status(Status::AwaitingVerification, 1_000_000)
        .await
        .map_err(|e| anyhow!("{e}"))?
        .len();
    if received != count || left != 0 {
        report.problems.push(format!("after confirming {count}: {received} received, {left} still waiting"));
    }
    report
        .lines
        .push(format!("confirmed: {confirmed} of {count}; received now: {received}; still waiting: {left}"));
    report.confirmed = confirmed;
    Ok(())
}

/// Phase 3: the outbox, once the server has delivered (it sends right after
/// answering): one 控え and one notice per confirmation, nothing twice.
async fn check_mails(outbox: &Path, confirmed: usize, report: &mut Report) -> Result<()> {
    let kinds = |names: &[String]| {
        let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for name in names {
            // <stamp>-<subject>-<kind>.eml
            let Some(rest) = name.strip_suffix(".eml") else { continue };
            let Some((_, rest)) = rest.split_once('-') else { continue };
            let Some((subject, kind)) = rest.split_once('-') else { continue };
            by.entry(kind.to_owned()).or_default().push(subject.to_owned());
        }
        by
    };
    let mut by = BTreeMap::new();
    for _ in 0..200 {
        let names: Vec<String> = match std::fs::read_dir(outbox) {
            Ok(entries) => entries.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect(),
            Err(_) => Vec::new(),
        };
        by = kinds(&names);
        let count = |kind: &str| by.get(kind).map_or(0, Vec::len);
        if count("acknowledgement") >= confirmed && count("operator-notice") >= confirmed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut line = Vec::new();
    for (kind, subjects) in &by {
        let unique: HashSet<&String> = subjects.iter().collect();
        if unique.len() != subjects.len() {
            report.problems.push(format!("{kind}: {} mails for {} records", subjects.len(), unique.len()));
        }
        line.push(format!("{kind} {}", subjects.len()));
    }
    for kind in ["acknowledgement", "operator-notice"] {
        let sent = by.get(kind).map_or(0, Vec::len);
        if sent != confirmed {
            report.problems.push(format!("{sent} {kind} mails for {confirmed} confirmations"));
        }
    }
    report.lines.push(format!("mails: {} (none twice for one record)", line.join(", ")));
    Ok(())
}

/// Reads `load --acknowledged` output.
pub fn read_acknowledged(path: &Path) -> Result<Vec<Acknowledged>> {
    let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| serde_json::from_str(line).with_context(|| format!("{}: {line}", path.display())))
        .collect()
}

pub fn verify(args: VerifyArgs) -> Result<()> {
    tokio::runtime::Runtime::new()?.block_on(async {
        let acknowledged = read_acknowledged(&args.acknowledged)?;
        let unique: HashSet<String> = acknowledged.iter().map(|a| a.email.to_lowercase()).collect();
        let store = open_store(&args.storage).await?;
        let missing = missing(store.as_ref(), &acknowledged).await?;
        println!(
            "acknowledged: {} (addresses {}), stored with exactly one application: {}, missing or doubled: {}",
            acknowledged.len(),
            unique.len(),
            unique.len() - missing.len(),
            missing.len()
        );
        if missing.is_empty() {
            println!("PASS");
            Ok(())
        } else {
            bail!("FAIL: missing {:?}", &missing[..missing.len().min(10)])
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(count: usize) -> Args {
        Args {
            base_url: "http://127.0.0.1:1".into(),
            count,
            concurrency: 1,
            retry_percent: 10,
            reuse_email_percent: 5,
            storage: Storage { sqlite: Some("x".into()), table: None, key_dir: None },
            fault: false,
            acknowledged: None,
            pace_ms: 0,
            outbox: None,
        }
    }

    #[test]
    fn plan_has_the_asked_shares() {
        let jobs = plan(&args(2000), "t");
        assert_eq!(jobs.iter().filter(|j| j.retry).count(), 200);
        assert_eq!(jobs.iter().filter(|j| j.reuses_email_of.is_some()).count(), 100);
        let keys: HashSet<&str> = jobs.iter().map(|j| j.key.as_str()).collect();
        assert_eq!(keys.len(), 2000);
        let emails: HashSet<&str> = jobs.iter().map(|j| j.email.as_str()).collect();
        assert_eq!(emails.len(), 1900);
        for job in jobs.iter().filter(|j| j.reuses_email_of.is_some()) {
            assert_eq!(job.email, jobs[job.index - 1].email);
        }
    }

    #[test]
    fn template_is_the_seed_application() {
        let body = application(&template().unwrap(), "a@example.com");
        let value: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(value["emailConfirmation"], "a@example.com");
        assert_eq!(value["agreedToTerms"], true);
    }

    #[test]
    fn percentiles() {
        let ms: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&ms, 0.99), Duration::from_millis(99));
        assert_eq!(percentile(&ms, 0.5), Duration::from_millis(50));
    }
}
