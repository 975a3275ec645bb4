//! The server binary logs at `info` when no level is configured: started with
//! neither `RUST_LOG` nor `AWS_LAMBDA_LOG_LEVEL` (and once with both blank),
//! its request lines reach its standard output.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The server process, killed (by its own id) when the test ends however it
/// ends, and its data directory, removed after it.
struct Process {
    child: Child,
    _data: tempfile::TempDir,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `target/…/local` on a free port with `env` (the two log variables
/// removed first) and returns it with a channel of its stdout lines.
fn start(env: &[(&str, &str)]) -> (Process, mpsc::Receiver<String>) {
    let data = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_local"));
    command
        .args(["--no-samples", "--port", "0", "--data-dir"])
        .arg(data.path())
        .env_remove("RUST_LOG")
        .env_remove("AWS_LAMBDA_LOG_LEVEL")
        .env_remove("LOCAL_AWS")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = command.spawn().expect("starting the local binary");
    let stdout = child.stdout.take().unwrap();
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    (Process { child, _data: data }, received)
}

fn next_line(lines: &mpsc::Receiver<String>, seen: &[String]) -> String {
    lines
        .recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|_| panic!("no more output within 30 s; so far: {seen:#?}"))
}

/// Waits for the server's URL, asks it to validate `{}`, and returns every line
/// it printed until the request's log line (or fails after 30 s).
async fn request_lines(env: &[(&str, &str)]) -> Vec<String> {
    let (_process, lines) = start(env);
    let mut seen = Vec::new();
    let url = loop {
        let line = next_line(&lines, &seen);
        seen.push(line.clone());
        if let Some(url) = line.split_whitespace().find(|word| word.starts_with("http://")) {
            break url.to_owned();
        }
    };
    let response = reqwest::Client::new()
        .post(format!("{url}api/validate"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    loop {
        let line = next_line(&lines, &seen);
        seen.push(line.clone());
        if line.contains("/api/validate") {
            return seen;
        }
    }
}

#[tokio::test]
async fn request_lines_are_logged_when_no_level_is_set() {
    for env in [&[][..], &[("RUST_LOG", ""), ("AWS_LAMBDA_LOG_LEVEL", "")][..]] {
        let lines = request_lines(env).await;
        let logged: serde_json::Value =
            serde_json::from_str(lines.last().unwrap()).expect("the request line is JSON");
        assert_eq!(logged["level"], "INFO", "{env:?}: {logged}");
        assert_eq!(logged["fields"]["route"], "/api/validate", "{env:?}: {logged}");
        assert_eq!(logged["fields"]["status"], 422, "{env:?}: {logged}");
    }
}
