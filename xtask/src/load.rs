//! `load`: many submissions at once against a running server, then proof that
//! nothing was lost: every 201 resolves to a stored application, stored
//! applications equal the unique accepted ones, replays are identical and no
//! unexpected 5xx was answered. `verify`: the acknowledged applications of an
//! earlier run are all stored (after a crash and restart).
//!
//! ```text
//! cargo run --release -p xtask -- load --base-url http://127.0.0.1:3000 \
//!     --count 2000 --concurrency 32 --sqlite .local/applications.sqlite3
//! ```

use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};
use shared::store::Store;
use shared::store::dynamodb::DynamoStore;
use shared::store::sqlite::SqliteStore;
use std::collections::{BTreeMap, HashSet};
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
    /// The storage may be down on purpose: 503 is expected, the counts are not compared.
    #[arg(long)]
    pub fault: bool,
    /// Appends every acknowledged (201) application here, as JSON lines, when answered.
    #[arg(long)]
    pub acknowledged: Option<PathBuf>,
    /// Pause between requests of one worker (to stretch a run for fault injection).
    #[arg(long, default_value_t = 0)]
    pub pace_ms: u64,
}

/// Where the server stores applications: read directly to check them.
#[derive(Debug, Clone, clap::Args)]
pub struct Storage {
    /// The embedded store's database (DATA_DIR/applications.sqlite3).
    #[arg(long, conflicts_with = "table", required_unless_present = "table")]
    pub sqlite: Option<PathBuf>,
    /// The DynamoDB table (at AWS_ENDPOINT_URL).
    #[arg(long)]
    pub table: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// JSON lines written by `load --acknowledged`.
    #[arg(long)]
    pub acknowledged: PathBuf,
    #[command(flatten)]
    pub storage: Storage,
}

/// An application the server acknowledged with 201.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Acknowledged {
    pub application_id: String,
    pub reception_number: String,
    pub received_at: String,
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

async fn send(client: &reqwest::Client, url: &str, key: &str, body: &str) -> Result<Answer, String> {
    let started = Instant::now();
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .body(body.to_owned())
        .send()
        .await
        .map_err(|e| format!("{e}"))?;
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

/// How many applications the storage holds.
async fn stored_count(storage: &Storage) -> Result<usize> {
    match (&storage.sqlite, &storage.table) {
        (Some(path), _) => {
            let connection = rusqlite::Connection::open(path)?;
            let count: i64 =
                connection.query_row("SELECT count(*) FROM applications", [], |row| row.get(0))?;
            Ok(count as usize)
        }
        (None, Some(table)) => {
            use aws_sdk_dynamodb::types::AttributeValue;
            use shared::store::layout;
            let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
            let client = aws_sdk_dynamodb::Client::new(&sdk);
            let mut count = 0;
            let mut start = None;
            loop {
                let page = client
                    .scan()
                    .table_name(table)
                    .filter_expression("#sk = :sk")
                    .expression_attribute_names("#sk", layout::SORT_KEY)
                    .expression_attribute_values(
                        ":sk",
                        AttributeValue::S(layout::APPLICATION_SORT_KEY.into()),
                    )
                    .set_exclusive_start_key(start)
                    .send()
                    .await?;
                count += page.count() as usize;
                start = page.last_evaluated_key;
                if start.is_none() {
                    return Ok(count);
                }
            }
        }
        (None, None) => bail!("--sqlite or --table"),
    }
}

/// The acknowledged applications that are not stored as acknowledged.
pub async fn missing(store: &dyn Store, acknowledged: &[Acknowledged]) -> Result<Vec<String>> {
    let mut missing = Vec::new();
    for ack in acknowledged {
        // An acknowledgement the server sent holds a well-formed id; any other is missing.
        let Some(id) = shared::domain::ApplicationId::parse(&ack.application_id) else {
            missing.push(ack.application_id.clone());
            continue;
        };
        match store.get(id).await.map_err(|e| anyhow!("{e}"))? {
            Some(stored) if stored.receipt.reception_number.as_str() == ack.reception_number => {}
            _ => missing.push(ack.application_id.clone()),
        }
    }
    Ok(missing)
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

async fn load(args: Args) -> Result<()> {
    let template = template()?;
    let tag = format!("{:x}", SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis() % 0xffff_ffff);
    let jobs = plan(&args, &tag);
    let url = format!("{}/api/applications", args.base_url.trim_end_matches('/'));
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
    let record = move |answer: &Result<Answer, String>| {
        if let (Some(file), Ok(answer)) = (&acknowledged_file, answer)
            && answer.status == 201
            && let Ok(ack) = serde_json::from_str::<Acknowledged>(&answer.body)
        {
            let mut file = file.lock().expect("acknowledged file");
            let _ = writeln!(file, "{}", serde_json::to_string(&ack).expect("serialisable"));
            let _ = file.flush();
        }
    };

    let started = Instant::now();
    let queue = Arc::new(std::sync::Mutex::new(jobs.into_iter()));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency.max(1) {
        let (queue, client, url, template, record) =
            (queue.clone(), client.clone(), url.clone(), template.clone(), record.clone());
        let pace = Duration::from_millis(args.pace_ms);
        workers.spawn(async move {
            let mut outcomes = Vec::new();
            loop {
                let Some(job) = queue.lock().expect("queue").next() else { break };
                let body = application(&template, &job.email);
                let first = send(&client, &url, &job.key, &body).await;
                record(&first);
                let retry = if job.retry {
                    let answer = send(&client, &url, &job.key, &body).await;
                    record(&answer);
                    Some(answer)
                } else {
                    None
                };
                outcomes.push(Outcome { job, first, retry });
                if !pace.is_zero() {
                    tokio::time::sleep(pace).await;
                }
            }
            outcomes
        });
    }
    let mut outcomes = Vec::new();
    while let Some(done) = workers.join_next().await {
        outcomes.extend(done?);
    }
    let elapsed = started.elapsed();
    outcomes.sort_by_key(|o| o.job.index);
    check(&args, &outcomes, elapsed).await
}

async fn check(args: &Args, outcomes: &[Outcome], elapsed: Duration) -> Result<()> {
    let mut problems: Vec<String> = Vec::new();
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    let mut latencies = Vec::new();
    let mut accepted: Vec<Acknowledged> = Vec::new();
    let mut replays_identical = 0;
    let mut retries = 0;
    let mut email_pairs = 0;
    let tally = |answer: &Result<Answer, String>, statuses: &mut BTreeMap<String, usize>| {
        let label = match answer {
            Ok(a) => a.status.to_string(),
            Err(_) => "transport error".to_owned(),
        };
        *statuses.entry(label).or_default() += 1;
    };
    // Both sides of an email pair may be the one that loses the race (409).
    let shares_email: HashSet<usize> = outcomes
        .iter()
        .filter_map(|o| o.job.reuses_email_of.map(|other| [other, o.job.index]))
        .flatten()
        .collect();
    for outcome in outcomes {
        let job = &outcome.job;
        tally(&outcome.first, &mut statuses);
        let first = match &outcome.first {
            Ok(answer) => answer,
            Err(error) => {
                if !args.fault {
                    problems.push(format!("#{}: {error}", job.index));
                }
                continue;
            }
        };
        latencies.push(first.latency);
        match first.status {
            201 => match serde_json::from_str::<Acknowledged>(&first.body) {
                Ok(ack) => accepted.push(ack),
                Err(e) => problems.push(format!("#{}: 201 without a receipt ({e})", job.index)),
            },
            409 if shares_email.contains(&job.index) => {}
            503 if args.fault => {}
            status => problems.push(format!("#{}: unexpected {status} {}", job.index, first.body)),
        }
        if let Some(retry) = &outcome.retry {
            tally(retry, &mut statuses);
            retries += 1;
            match retry {
                Ok(again) => {
                    latencies.push(again.latency);
                    let identical = again.status == first.status && again.body == first.body;
                    if identical && (first.status != 201 || again.replayed) {
                        replays_identical += 1;
                    } else if !args.fault || (first.status == 201 && again.status != 503) {
                        problems.push(format!(
                            "#{}: replay {} {} (replayed: {}) differs from {} {}",
                            job.index, again.status, again.body, again.replayed, first.status, first.body
                        ));
                    }
                    if again.status == 201 && first.status != 201 {
                        // A retry after a 503 may be the first acceptance.
                        if let Ok(ack) = serde_json::from_str::<Acknowledged>(&again.body) {
                            accepted.push(ack);
                        }
                    }
                }
                Err(error) if !args.fault => problems.push(format!("#{} retry: {error}", job.index)),
                Err(_) => {}
            }
        }
        if let Some(other) = job.reuses_email_of {
            email_pairs += 1;
            let status = |o: &Outcome| o.first.as_ref().map(|a| a.status).ok();
            let pair = [status(&outcomes[other]), status(outcome)];
            let created = pair.iter().filter(|s| **s == Some(201)).count();
            let conflicts = pair.iter().filter(|s| **s == Some(409)).count();
            if (created != 1 || conflicts != 1) && !args.fault {
                problems.push(format!(
                    "#{} and #{other} share an email: {pair:?}, expected one 201 and one 409",
                    job.index
                ));
            }
        }
    }
    let unique: HashSet<&str> = accepted.iter().map(|a| a.application_id.as_str()).collect();
    let unique_accepted: Vec<Acknowledged> = {
        let mut seen = HashSet::new();
        accepted.iter().filter(|a| seen.insert(a.application_id.clone())).cloned().collect()
    };
    let store = open_store(&args.storage).await?;
    let missing = missing(store.as_ref(), &unique_accepted).await?;
    if !missing.is_empty() {
        problems.push(format!(
            "{} acknowledged applications are not stored: {:?}",
            missing.len(),
            &missing[..missing.len().min(5)]
        ));
    }
    let stored = stored_count(&args.storage).await;
    match &stored {
        Ok(stored) if !args.fault && *stored != unique.len() => {
            problems.push(format!("{stored} stored applications, {} unique accepted", unique.len()))
        }
        Err(e) if !args.fault => problems.push(format!("counting stored applications: {e}")),
        _ => {}
    }
    let five_xx: usize = statuses.iter().filter(|(s, _)| s.starts_with('5')).map(|(_, n)| n).sum();

    latencies.sort();
    let requests = statuses.values().sum::<usize>();
    println!(
        "submissions: {} ({} retried with the same key, {} reusing an email), concurrency {}",
        outcomes.len(),
        retries,
        email_pairs,
        args.concurrency
    );
    println!(
        "requests: {requests} in {:.2} s = {:.0} req/s",
        elapsed.as_secs_f64(),
        requests as f64 / elapsed.as_secs_f64()
    );
    println!(
        "latency: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    println!("statuses: {statuses:?}");
    println!("unique accepted (201): {}", unique.len());
    match stored {
        Ok(stored) => println!("stored applications: {stored}"),
        Err(e) => println!("stored applications: unknown ({e})"),
    }
    println!(
        "every 201 stored: {} of {} ({} missing)",
        unique_accepted.len() - missing.len(),
        unique_accepted.len(),
        missing.len()
    );
    println!("identical replays: {replays_identical} of {retries}");
    println!("5xx: {five_xx}{}", if args.fault { " (503 expected while storage is down)" } else { "" });
    if problems.is_empty() {
        println!("PASS");
        Ok(())
    } else {
        for problem in problems.iter().take(20) {
            eprintln!("problem: {problem}");
        }
        bail!("FAIL: {} problems", problems.len())
    }
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
        let unique: HashSet<&str> = acknowledged.iter().map(|a| a.application_id.as_str()).collect();
        let store = open_store(&args.storage).await?;
        let missing = missing(store.as_ref(), &acknowledged).await?;
        println!(
            "acknowledged: {} (unique {}), stored as acknowledged: {}, missing: {}",
            acknowledged.len(),
            unique.len(),
            acknowledged.len() - missing.len(),
            missing.len()
        );
        match stored_count(&args.storage).await {
            Ok(n) => println!("stored applications: {n}"),
            Err(e) => println!("stored applications: unknown ({e})"),
        }
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
            storage: Storage { sqlite: Some("x".into()), table: None },
            fault: false,
            acknowledged: None,
            pace_ms: 0,
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
