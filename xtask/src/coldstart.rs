//! `coldstart`: cold starts of release function binaries under a Lambda Runtime
//! API emulator, beside a hello-world `lambda_http` binary built in the same run.
//!
//! For each run the harness starts a fresh process with `AWS_LAMBDA_RUNTIME_API`
//! pointing at the emulator and records, from just before `spawn`:
//! - **init**: until the process polls `/runtime/invocation/next` for the first time;
//! - **first response**: until it posts the response to one API Gateway v2 event;
//! - **peak RSS**: `VmHWM` from `/proc/<pid>/status` once it has answered.
//!
//! Binaries run in turn (hello, f1, f2, …, hello, …) so that drift in the machine's
//! load affects all alike. Linux only (`/proc`).
//!
//! ```text
//! cargo run --release -p xtask -- coldstart --function postal --runs 30
//! ```

use anyhow::{Context, Result, anyhow, bail};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::routing::{get, post};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc;

/// The hello-world baseline: the `hello` binary of this package (src/bin/hello.rs).
pub const BASELINE: &str = "hello";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Function packages to measure (under functions/), each beside the baseline.
    #[arg(long = "function", default_values_t = ["postal".to_string()])]
    pub functions: Vec<String>,
    /// FUNCTION=PATH: the API Gateway v2 event to serve; by default the first
    /// events/<function>-*.json.
    #[arg(long = "event")]
    pub events: Vec<String>,
    /// Cold starts per binary (the median is reported).
    #[arg(long, default_value_t = 30)]
    pub runs: usize,
    /// KEY=VALUE set for every function process (e.g. TABLE_NAME=…).
    #[arg(long = "env")]
    pub env: Vec<String>,
    /// Use these binaries instead of building: NAME=PATH (NAME is a function or hello).
    #[arg(long = "binary")]
    pub binaries: Vec<String>,
    /// Show the functions' stdout and stderr.
    #[arg(long)]
    pub show_output: bool,
    /// TEXT in every event whose last 6 characters become a per-run number, so
    /// that each cold start does first-time work (a new idempotency key, email or
    /// application id) instead of a replay. Repeatable.
    #[arg(long = "vary")]
    pub vary: Vec<String>,
}

/// One cold start.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub init: Duration,
    pub first_response: Duration,
    pub peak_rss_kib: u64,
}

enum Mark {
    Next(Instant),
    Response(Instant, Bytes),
    Error(String),
}

/// The invocation the emulator hands out next.
struct Pending {
    event: Bytes,
    request_id: String,
    function_name: String,
    served: bool,
    marks: mpsc::UnboundedSender<Mark>,
}

type Shared = Arc<Mutex<Option<Pending>>>;

/// The Runtime API (2018-06-01) as a function process sees it.
fn emulator(state: Shared) -> Router {
    Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route("/2018-06-01/runtime/invocation/{id}/response", post(response))
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .with_state(state)
}

async fn next(State(state): State<Shared>) -> Result<(HeaderMap, Bytes), StatusCode> {
    let now = Instant::now();
    let invocation = {
        let mut guard = state.lock().expect("emulator state");
        match guard.as_mut() {
            Some(pending) if !pending.served => {
                pending.served = true;
                let _ = pending.marks.send(Mark::Next(now));
                Some((pending.event.clone(), pending.request_id.clone(), pending.function_name.clone()))
            }
            _ => None,
        }
    };
    let Some((event, request_id, function_name)) = invocation else {
        // One invocation per process: later polls wait until the harness kills it.
        tokio::time::sleep(Duration::from_secs(60)).await;
        return Err(StatusCode::GONE);
    };
    let deadline = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default() + Duration::from_secs(30);
    let mut headers = HeaderMap::new();
    let header = |s: String| HeaderValue::from_str(&s).expect("ASCII header");
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert("lambda-runtime-aws-request-id", header(request_id));
    headers.insert("lambda-runtime-deadline-ms", header(deadline.as_millis().to_string()));
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        header(format!("arn:aws:lambda:ap-northeast-1:000000000000:function:{function_name}")),
    );
    headers.insert(
        "lambda-runtime-trace-id",
        HeaderValue::from_static(
            "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0",
        ),
    );
    Ok((headers, event))
}

fn mark(state: &Shared, mark: Mark) {
    if let Some(pending) = state.lock().expect("emulator state").as_ref() {
        let _ = pending.marks.send(mark);
    }
}

async fn response(State(state): State<Shared>, UrlPath(_id): UrlPath<String>, body: Bytes) -> StatusCode {
    mark(&state, Mark::Response(Instant::now(), body));
    StatusCode::ACCEPTED
}

async fn error(State(state): State<Shared>, UrlPath(_id): UrlPath<String>, body: Bytes) -> StatusCode {
    mark(&state, Mark::Error(String::from_utf8_lossy(&body).into_owned()));
    StatusCode::ACCEPTED
}

async fn init_error(State(state): State<Shared>, body: Bytes) -> StatusCode {
    mark(&state, Mark::Error(String::from_utf8_lossy(&body).into_owned()));
    StatusCode::ACCEPTED
}

/// What to start: a binary, the event it serves and its environment.
#[derive(Debug, Clone)]
pub struct Subject {
    pub name: String,
    pub binary: PathBuf,
    pub event: Bytes,
    pub env: Vec<(String, String)>,
}

/// Variables passed from the harness's environment to the function.
const PASSED_THROUGH: [&str; 7] = [
    "PATH",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
];

/// Starts `subject` once against the emulator at `address` and measures it;
/// returns the measures and the function's answer (with `successful`, only a
/// 2xx or a batch response without failures: a measure of a refusal would
/// measure the wrong path).
async fn cold_start(
    state: &Shared,
    address: &str,
    subject: &Subject,
    run: usize,
    show_output: bool,
    vary: &[String],
    successful: bool,
) -> Result<(Sample, Bytes)> {
    let (marks, mut received) = mpsc::unbounded_channel();
    *state.lock().expect("emulator state") = Some(Pending {
        event: vary_event(&subject.event, vary, run_stamp(run)),
        request_id: format!("00000000-0000-4000-8000-{run:012}"),
        function_name: subject.name.clone(),
        served: false,
        marks,
    });
    let mut command = Command::new(&subject.binary);
    // The environment Lambda gives a function, plus the endpoint of the local
    // emulator; nothing else of this shell (which may set AWS_CA_BUNDLE, say).
    command.env_clear();
    for (key, value) in std::env::vars() {
        if PASSED_THROUGH.contains(&key.as_str()) {
            command.env(key, value);
        }
    }
    command
        .env("AWS_LAMBDA_RUNTIME_API", address)
        .env("AWS_LAMBDA_FUNCTION_NAME", &subject.name)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{}", subject.name))
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "coldstart")
        .env("AWS_REGION", std::env::var("AWS_REGION").unwrap_or_else(|_| "ap-northeast-1".into()))
        .env("_HANDLER", "bootstrap")
        .envs(subject.env.iter().map(|(k, v)| (k, v)));
    if !show_output {
        command.stdout(Stdio::null()).stderr(Stdio::null());
    }
    let started = Instant::now();
    let mut child = command.spawn().with_context(|| format!("starting {}", subject.binary.display()))?;
    let outcome = async {
        let mut init = None;
        loop {
            let mark = tokio::time::timeout(Duration::from_secs(20), received.recv())
                .await
                .map_err(|_| anyhow!("no answer within 20 s (rerun with --show-output)"))?
                .ok_or_else(|| anyhow!("emulator closed"))?;
            match mark {
                Mark::Next(at) => init = Some(at - started),
                Mark::Response(at, body) => {
                    let init = init.ok_or_else(|| anyhow!("a response before any poll"))?;
                    let peak_rss_kib = peak_rss_kib(child.id())?;
                    if successful {
                        check_response(&body)?;
                    }
                    return Ok((Sample { init, first_response: at - started, peak_rss_kib }, body));
                }
                Mark::Error(error) => bail!("the function reported an error: {error}"),
            }
        }
    }
    .await;
    let _ = child.kill();
    let _ = child.wait();
    *state.lock().expect("emulator state") = None;
    outcome.with_context(|| format!("{} run {run}", subject.name))
}

/// An API Gateway v2 response with a 2xx status, or a stream batch response
/// without failed items.
fn check_response(body: &[u8]) -> Result<()> {
    let value: serde_json::Value = serde_json::from_slice(body).context("the response is not JSON")?;
    if let Some(failures) = value.get("batchItemFailures") {
        return match failures.as_array() {
            Some(failures) if failures.is_empty() => Ok(()),
            _ => bail!("the function reported failed records: {value}"),
        };
    }
    match value.get("statusCode").and_then(|s| s.as_u64()) {
        Some(status) if (200..300).contains(&status) => Ok(()),
        other => bail!("the function answered status {other:?}: {value}"),
    }
}

/// Six digits unique to this run of this process (and unlikely to repeat across
/// processes), so that each cold start sees unseen keys.
fn run_stamp(run: usize) -> String {
    let seconds = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() as usize;
    format!("{:06}", (seconds % 10_000 * 100 + run) % 1_000_000)
}

/// `event` with the last 6 characters of every occurrence of each `vary` text
/// replaced by `stamp` (6 ASCII digits).
fn vary_event(event: &Bytes, vary: &[String], stamp: String) -> Bytes {
    if vary.is_empty() {
        return event.clone();
    }
    let mut text = String::from_utf8_lossy(event).into_owned();
    for original in vary {
        let keep = original.char_indices().rev().nth(5).map_or(0, |(i, _)| i);
        text = text.replace(original.as_str(), &format!("{}{stamp}", &original[..keep]));
    }
    text.into()
}

/// The high-water mark of resident memory so far.
pub fn peak_rss_kib(pid: u32) -> Result<u64> {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).context("reading /proc (Linux only)")?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| anyhow!("no VmHWM in /proc/{pid}/status"))
}

/// Median of a non-empty slice (the lower middle for an even count).
pub fn median<T: Copy + Ord>(values: &[T]) -> T {
    let mut sorted = values.to_vec();
    sorted.sort();
    sorted[(sorted.len() - 1) / 2]
}

/// Measures every subject `runs` times, in turn.
pub async fn measure(
    subjects: &[Subject],
    runs: usize,
    show_output: bool,
    vary: &[String],
) -> Result<Vec<Vec<Sample>>> {
    let (state, address, server) = start_emulator().await?;
    let mut samples = vec![Vec::with_capacity(runs); subjects.len()];
    for run in 0..runs {
        for (subject, samples) in subjects.iter().zip(&mut samples) {
            samples.push(cold_start(&state, &address, subject, run, show_output, vary, true).await?.0);
        }
    }
    server.abort();
    Ok(samples)
}

/// Starts every subject once, in turn, under the emulator, and returns each
/// one's answer to its event, whatever its status (`xtask smoke` checks each
/// answer itself, refusals among them).
pub async fn answers(subjects: &[Subject], show_output: bool, vary: &[String]) -> Result<Vec<Bytes>> {
    let (state, address, server) = start_emulator().await?;
    let mut answers = Vec::with_capacity(subjects.len());
    for subject in subjects {
        answers.push(cold_start(&state, &address, subject, 0, show_output, vary, false).await?.1);
    }
    server.abort();
    Ok(answers)
}

async fn start_emulator() -> Result<(Shared, String, tokio::task::JoinHandle<std::io::Result<()>>)> {
    let state: Shared = Arc::new(Mutex::new(None));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?.to_string();
    let server = tokio::spawn(axum::serve(listener, emulator(state.clone())).into_future());
    Ok((state, address, server))
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask is in the workspace").to_owned()
}

/// Builds the binaries in release and returns their paths. A function's binary
/// has its package's name; the baseline is a binary of this package. Each is
/// built by its own cargo invocation, so that it links only its own package's
/// features of the shared crate (as when built alone for deployment).
fn build(binaries: &[String]) -> Result<Vec<PathBuf>> {
    binaries.iter().map(|binary| build_one(binary)).collect()
}

fn build_one(binary: &str) -> Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let package = if binary == BASELINE { env!("CARGO_PKG_NAME") } else { binary };
    let output = Command::new(cargo)
        .current_dir(workspace_root())
        .args([
            "build",
            "--release",
            "--message-format=json-render-diagnostics",
            "-p",
            package,
            "--bin",
            binary,
        ])
        .stderr(Stdio::inherit())
        .output()
        .context("running cargo build")?;
    if !output.status.success() {
        bail!("cargo build of {binary} failed");
    }
    for line in output.stdout.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let message: serde_json::Value = serde_json::from_slice(line)?;
        if let (Some(executable), Some(binary_name)) =
            (message["executable"].as_str(), message["target"]["name"].as_str())
            && binary_name == binary
        {
            return Ok(PathBuf::from(executable));
        }
    }
    bail!("cargo built no binary named {binary}")
}

pub(crate) fn default_event(function: &str) -> Result<PathBuf> {
    let dir = workspace_root().join("events");
    let mut candidates: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| dir.display().to_string())?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("{function}-")) && n.ends_with(".json"))
        })
        .collect();
    // A successful request measures the whole path: `{function}-valid.json` when
    // there is one (the others are refusals), `{function}-insert.json` for a
    // stream (notify: a new application, which mails; its `-decision` sample
    // names an application no table holds), else the first by name.
    for preferred in ["valid", "insert"] {
        let path = dir.join(format!("{function}-{preferred}.json"));
        if candidates.contains(&path) {
            return Ok(path);
        }
    }
    candidates.sort();
    candidates
        .into_iter()
        .next()
        .ok_or_else(|| anyhow!("no events/{function}-*.json; pass --event {function}=PATH"))
}

fn pairs(values: &[String], what: &str) -> Result<Vec<(String, String)>> {
    values
        .iter()
        .map(|pair| {
            pair.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .ok_or_else(|| anyhow!("{what} {pair:?} is not NAME=VALUE"))
        })
        .collect()
}

pub fn run(args: Args) -> Result<()> {
    if args.runs == 0 {
        bail!("--runs must be at least 1");
    }
    let events = pairs(&args.events, "--event")?;
    let env = pairs(&args.env, "--env")?;
    let given = pairs(&args.binaries, "--binary")?;
    let names: Vec<String> =
        std::iter::once(BASELINE.to_owned()).chain(args.functions.iter().cloned()).collect();
    let to_build: Vec<String> =
        names.iter().filter(|n| !given.iter().any(|(g, _)| g == *n)).cloned().collect();
    let built = if to_build.is_empty() { vec![] } else { build(&to_build)? };

    let mut subjects = Vec::new();
    for name in &names {
        let binary = match given.iter().find(|(g, _)| g == name) {
            Some((_, path)) => PathBuf::from(path),
            None => built[to_build.iter().position(|b| b == name).expect("built")].clone(),
        };
        let event_function = if name == BASELINE { args.functions.first().unwrap_or(name) } else { name };
        let event_path = match events.iter().find(|(f, _)| f == event_function) {
            Some((_, path)) => PathBuf::from(path),
            None => default_event(event_function)?,
        };
        let event = std::fs::read(&event_path).with_context(|| event_path.display().to_string())?;
        serde_json::from_slice::<serde_json::Value>(&event)
            .with_context(|| format!("{} is not JSON", event_path.display()))?;
        subjects.push(Subject { name: name.clone(), binary, event: event.into(), env: env.clone() });
    }

    let runtime = tokio::runtime::Runtime::new()?;
    let samples = runtime.block_on(measure(&subjects, args.runs, args.show_output, &args.vary))?;
    print_report(&subjects, &samples, args.runs);
    Ok(())
}

fn print_report(subjects: &[Subject], samples: &[Vec<Sample>], runs: usize) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let summary: Vec<(Duration, Duration, Duration, u64, u64)> = samples
        .iter()
        .map(|s| {
            let init: Vec<Duration> = s.iter().map(|x| x.init).collect();
            let first: Vec<Duration> = s.iter().map(|x| x.first_response).collect();
            let rss: Vec<u64> = s.iter().map(|x| x.peak_rss_kib).collect();
            (
                median(&init),
                *init.iter().min().expect("runs ≥ 1"),
                median(&first),
                median(&rss),
                *rss.iter().max().expect("runs ≥ 1"),
            )
        })
        .collect();
    println!("cold starts: {runs} runs each, medians (init = spawn → first /next poll)");
    println!(
        "{:<14} {:>10} {:>9} {:>10} {:>11} {:>10} {:>10} {:>9} {:>9}",
        "binary", "size MB", "init ms", "init min", "1st resp ms", "peak RSS", "max RSS", "init ×", "resp ×"
    );
    let (base_init, _, base_first, _, _) = summary[0];
    for (subject, (init, init_min, first, rss, rss_max)) in subjects.iter().zip(&summary) {
        let size = std::fs::metadata(&subject.binary).map(|m| m.len()).unwrap_or(0);
        println!(
            "{:<14} {:>10.2} {:>9.3} {:>10.3} {:>11.3} {:>7.1} MB {:>7.1} MB {:>9.2} {:>9.2}",
            subject.name,
            size as f64 / 1e6,
            ms(*init),
            ms(*init_min),
            ms(*first),
            *rss as f64 / 1024.0,
            *rss_max as f64 / 1024.0,
            init.as_secs_f64() / base_init.as_secs_f64(),
            first.as_secs_f64() / base_first.as_secs_f64(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_events_are_successful_requests() {
        for (function, event) in [
            ("validate", "validate-valid.json"),
            ("submit", "submit-valid.json"),
            ("postal", "postal-5300011.json"),
            ("notify", "notify-insert.json"),
            ("web", "web-index.json"),
            ("admin", "admin-list.json"),
            ("documents", "documents-preview-unknown.json"),
            ("mail-events", "mail-events-bounce-general.json"),
            ("retention", "retention-scheduled.json"),
        ] {
            assert_eq!(default_event(function).unwrap().file_name().unwrap(), event);
        }
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[5, 1, 3]), 3);
        assert_eq!(median(&[4, 1, 3, 2]), 2);
    }

    #[test]
    fn reads_peak_rss_of_a_live_process() {
        let rss = peak_rss_kib(std::process::id()).unwrap();
        assert!(rss > 100, "{rss} KiB");
    }

    #[test]
    fn only_2xx_responses_pass() {
        assert!(check_response(br#"{"statusCode": 200, "body": "{}"}"#).is_ok());
        assert!(check_response(br#"{"statusCode": 500}"#).is_err());
        assert!(check_response(b"nope").is_err());
        assert!(check_response(br#"{"batchItemFailures": []}"#).is_ok());
        assert!(check_response(br#"{"batchItemFailures": [{"itemIdentifier": "1"}]}"#).is_err());
    }

    #[test]
    fn varies_the_last_six_characters() {
        let event = Bytes::from_static(
            br#"{"id": "01KB5Q9Z8E4M7T3W6X2C9HJ5RA", "pk": "APP#01KB5Q9Z8E4M7T3W6X2C9HJ5RA"}"#,
        );
        let varied = vary_event(&event, &["01KB5Q9Z8E4M7T3W6X2C9HJ5RA".into()], "000042".into());
        assert_eq!(
            &varied[..],
            br#"{"id": "01KB5Q9Z8E4M7T3W6X2C000042", "pk": "APP#01KB5Q9Z8E4M7T3W6X2C000042"}"#
        );
    }
}
