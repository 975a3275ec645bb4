//! Harness for the browser tests and the screenshot tool: the local server on a
//! fresh data directory, chromedriver on a free port, and headless Debian
//! chromium driven through fantoccini. Everything started here is stopped on drop.
//!
//! - accessibility: [`Browser::axe`], [`Browser::assert_accessible`] (axe-core,
//!   installed by `scripts/dev-env`);
//! - the console's tests: [`Site::operator`], [`Site::operator_token`],
//!   [`Site::verified_application`] with [`sample_applications`],
//!   [`corporation_application`], [`sole_proprietor_application`], and the
//!   outbox: [`Site::outbox_mails`], [`Site::wait_for_mails`], [`Site::mails_with_subject`];
//!   the mails' delivery status: [`Site::listed_mails`], [`Site::feed_ses_event`].

use anyhow::{Context, Result, bail};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// How long a condition in the page may take to become true.
pub const WAIT: Duration = Duration::from_secs(10);

/// The checkout's `web/`.
pub fn web_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../web")
}

/// axe-core's browser build, installed by `scripts/dev-env` (`npm ci` in
/// `tests/axe/`, the version pinned by its `package-lock.json`).
pub fn axe_script_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("axe/node_modules/axe-core/axe.min.js")
}

/// The WCAG 2.1 A and AA rules that [`Browser::axe`] runs.
pub const AXE_TAGS: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/// One rule that axe-core found broken on the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule, e.g. `color-contrast`.
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: String,
    /// What the rule asks for, in a line.
    pub help: String,
    pub help_url: String,
    pub nodes: Vec<ViolationNode>,
}

/// One element that breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViolationNode {
    /// axe's selector of the element (one per frame level), joined with ` > `.
    pub target: String,
    /// The element's opening tag, as axe shows it.
    pub html: String,
    /// axe's explanation, e.g. the contrast found and the one needed.
    pub failure_summary: String,
}

impl Violation {
    /// Whether it must fail a test: `serious` or `critical`.
    pub fn is_serious(&self) -> bool {
        matches!(self.impact.as_str(), "serious" | "critical")
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "[{}] {}: {} ({})", self.impact, self.id, self.help, self.help_url)?;
        for node in &self.nodes {
            writeln!(f, "  - {}  {}", node.target, node.html)?;
            for line in node.failure_summary.lines() {
                writeln!(f, "      {line}")?;
            }
        }
        Ok(())
    }
}

fn violations_from(value: &Value) -> Result<Vec<Violation>> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let list = value.as_array().with_context(|| format!("axe's violations: {value}"))?;
    Ok(list
        .iter()
        .map(|v| Violation {
            id: text(&v["id"]),
            impact: text(&v["impact"]),
            help: text(&v["help"]),
            help_url: text(&v["helpUrl"]),
            nodes: v["nodes"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|node| ViolationNode {
                    target: match &node["target"] {
                        Value::Array(parts) => parts
                            .iter()
                            .map(|part| part.as_str().map(str::to_owned).unwrap_or_else(|| part.to_string()))
                            .collect::<Vec<_>>()
                            .join(" > "),
                        other => other.to_string(),
                    },
                    html: text(&node["html"]),
                    failure_summary: text(&node["failureSummary"]),
                })
                .collect(),
        })
        .collect())
}

/// The local server (form and API on one origin) over its own temporary data.
pub struct Site {
    pub running: Option<local::Running>,
    pub data: TempDir,
    configure: Configure,
}

/// What a test changes in the local server's configuration (kept for restarts).
type Configure = std::sync::Arc<dyn Fn(&mut local::Config) + Send + Sync>;

impl Site {
    pub async fn start() -> Result<Site> {
        Site::start_with(|_| {}).await
    }

    /// Started with `configure` applied to the local server's configuration
    /// (also at [`Site::restart_on`]), e.g. to lift the rate limits:
    /// `Site::start_with(|c| c.settings.limits.submissions_per_client = None)`.
    pub async fn start_with(configure: impl Fn(&mut local::Config) + Send + Sync + 'static) -> Result<Site> {
        Site::start_on(0, configure).await
    }

    /// The same on `port` (0: any free one), for a configuration that must
    /// name the site's own address before it starts.
    pub async fn start_on(
        port: u16,
        configure: impl Fn(&mut local::Config) + Send + Sync + 'static,
    ) -> Result<Site> {
        let configure: Configure = std::sync::Arc::new(configure);
        let data = tempfile::tempdir()?;
        let running = start_local(port, data.path(), &configure).await?;
        Ok(Site { running: Some(running), data, configure })
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.running.as_ref().expect("running").addr
    }

    /// The form's URL.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr())
    }

    /// An API URL on the same origin, e.g. `api("/api/applications")`.
    pub fn api(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr())
    }

    /// Stops the server (requests now fail as on a dropped connection).
    pub async fn stop(&mut self) -> Result<()> {
        if let Some(running) = self.running.take() {
            running.shutdown().await?;
        }
        Ok(())
    }

    /// Starts the server again on the same port, over the same data.
    pub async fn restart_on(&mut self, addr: std::net::SocketAddr) -> Result<()> {
        self.running = Some(start_local(addr.port(), self.data.path(), &self.configure).await?);
        Ok(())
    }
}

/// A mail the local server wrote to its outbox (`DATA_DIR/outbox/*.eml`).
#[derive(Debug, Clone)]
pub struct OutboxMail {
    /// The file's name: `{time}-{about}-{kind}.eml`, so the list sorts by time.
    pub file: String,
    /// The kind's slug (`shared::mail::MailKind::slug`): `verification`,
    /// `acknowledgement`, `operator-notice`, `already-received`,
    /// `documents-requested`, `approved`, `rejected`.
    pub kind: String,
    /// The first recipient's address.
    pub to: String,
    /// The decoded subject, e.g. `【パートナー登録】資料提出のお願い(受付番号:…)`.
    pub subject: String,
    /// The decoded plain-text part.
    pub text: String,
}

/// An application submitted and confirmed by its link ([`Site::verified_application`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub application_id: String,
    pub reception_number: String,
    pub email: String,
}

impl Site {
    /// The operator the local server created at its first start, as kept in
    /// the data directory's `operator.txt`: `(email, password)`.
    pub fn operator(&self) -> Result<(String, String)> {
        if let Some(first) = self.running.as_ref().and_then(|r| r.first_operator.as_ref()) {
            return Ok((first.email.to_string(), first.password.clone()));
        }
        let path = self.data.path().join(local::operators::FIRST_OPERATOR_FILE);
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let line = |name: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix(name).map(|rest| rest.trim().to_owned()))
                .with_context(|| format!("{} has no `{name}` line", path.display()))
        };
        Ok((line("email:")?, line("password:")?))
    }

    /// Adds an account of `role` to the running site, as `local operator add
    /// EMAIL --role ROLE --password-stdin` does: `(email, password)`.
    pub fn add_operator(&self, email: &str, role: shared::domain::Role) -> Result<(String, String)> {
        let password = format!("{}'s long passphrase", role.as_str());
        let added = local::operators::add(self.data.path(), email, Some(password.clone()), Some(role))?;
        anyhow::ensure!(added.role == role, "{email} is a {}", added.role);
        Ok((added.email.to_string(), password))
    }

    /// Signs [`Site::operator`] in (`POST /api/admin/sessions`) and returns the
    /// bearer token.
    pub async fn operator_token(&self) -> Result<String> {
        let (email, password) = self.operator()?;
        let answer = reqwest::Client::new()
            .post(self.api(shared::routes::local_sessions::SIGN_IN))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await?;
        let status = answer.status();
        let body: Value = answer.json().await.context("the sign-in's answer")?;
        if status != reqwest::StatusCode::CREATED {
            bail!("signing the operator in: {status} {body}");
        }
        body["token"].as_str().map(str::to_owned).with_context(|| format!("no token in {body}"))
    }

    /// Every mail in the outbox now, oldest first.
    pub fn outbox_mails(&self) -> Result<Vec<OutboxMail>> {
        let dir = self.data.path().join("outbox");
        let mut mails = Vec::new();
        for file in test_support::outbox_files(self.data.path()) {
            // `.name.partial` while the server is still writing it.
            let Some(stem) = file.strip_suffix(".eml").filter(|_| !file.starts_with('.')) else {
                continue;
            };
            let raw = std::fs::read(dir.join(&file)).with_context(|| format!("reading {file}"))?;
            let message = mail_parser::MessageParser::default()
                .parse(&raw)
                .with_context(|| format!("parsing {file}"))?;
            let kind = shared::mail::MailKind::ALL
                .into_iter()
                .map(shared::mail::MailKind::slug)
                .filter(|slug| stem.ends_with(&format!("-{slug}")))
                .max_by_key(|slug| slug.len())
                .unwrap_or_default()
                .to_owned();
            let to = message
                .to()
                .and_then(|to| to.first())
                .and_then(|address| address.address())
                .unwrap_or_default()
                .to_owned();
            mails.push(OutboxMail {
                kind,
                to,
                subject: message.subject().unwrap_or_default().to_owned(),
                text: message.body_text(0).map(|text| text.into_owned()).unwrap_or_default(),
                file,
            });
        }
        Ok(mails)
    }

    /// Waits (the server sends right after answering) until at least `count`
    /// mails match `select`, and returns those that do, oldest first.
    pub async fn wait_for_mails(
        &self,
        count: usize,
        select: impl Fn(&OutboxMail) -> bool,
    ) -> Result<Vec<OutboxMail>> {
        let deadline = Instant::now() + WAIT;
        loop {
            let mails: Vec<OutboxMail> = self.outbox_mails()?.into_iter().filter(|m| select(m)).collect();
            if mails.len() >= count {
                return Ok(mails);
            }
            if Instant::now() > deadline {
                bail!("{} of the {count} mails waited for are in the outbox", mails.len());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until at least `count` mails have a subject containing `part`
    /// (e.g. `資料提出のお願い`, `審査完了`, `審査結果`) and returns them, oldest first.
    pub async fn mails_with_subject(&self, part: &str, count: usize) -> Result<Vec<OutboxMail>> {
        self.wait_for_mails(count, |mail| mail.subject.contains(part))
            .await
            .with_context(|| format!("mails whose subject contains {part}"))
    }

    /// Submits `body` (`POST /api/applications` with a fresh Idempotency-Key),
    /// opens the link of the verification mail it sends (`POST
    /// /api/verifications` with its token), and returns what the confirmation
    /// answered: the application is then `received`, as an operator sees it.
    pub async fn verified_application(&self, body: &Value) -> Result<Verified> {
        let email = body["email"].as_str().context("the body has no email")?.to_owned();
        let is_link = |mail: &OutboxMail| mail.kind == "verification" && mail.to == email;
        let before = self.outbox_mails()?.iter().filter(|m| is_link(m)).count();
        let http = reqwest::Client::new();
        let key = test_support::unique("harness-application-");
        let sent = http
            .post(self.api(shared::routes::SUBMIT.path))
            .header("Idempotency-Key", &key)
            .json(body)
            .send()
            .await?;
        let status = sent.status();
        if status != reqwest::StatusCode::ACCEPTED {
            bail!("submitting {email}: {status} {}", sent.text().await.unwrap_or_default());
        }
        let links = self.wait_for_mails(before + 1, is_link).await.context("the verification mail")?;
        let link = link_in(&links.last().expect("one at least").text)?;
        let token = link.split_once("#token=").map(|(_, token)| token.to_owned()).context("no token")?;
        let confirmed =
            http.post(self.api(shared::routes::CONFIRM.path)).json(&json!({"token": token})).send().await?;
        let status = confirmed.status();
        let answer: Value = confirmed.json().await.context("the confirmation's answer")?;
        if status != reqwest::StatusCode::OK {
            bail!("confirming {email}: {status} {answer}");
        }
        let field = |name: &str| {
            answer[name].as_str().map(str::to_owned).with_context(|| format!("no {name} in {answer}"))
        };
        Ok(Verified {
            application_id: field("applicationId")?,
            reception_number: field("receptionNumber")?,
            email,
        })
    }
}

impl Site {
    /// Asks for documents about `applied` as an operator does (`POST
    /// …/decisions`, `request_documents` at `expected_version`, with
    /// `message`) and returns the link of the 資料提出のお願い mail it sends.
    pub async fn request_documents(
        &self,
        applied: &Verified,
        expected_version: u64,
        message: &str,
    ) -> Result<String> {
        let before = self.outbox_mails()?.iter().filter(|m| is_documents_request(m, &applied.email)).count();
        let token = self.operator_token().await?;
        let path = shared::routes::ADMIN_DECISIONS.path.replace("{applicationId}", &applied.application_id);
        let answer = reqwest::Client::new()
            .post(self.api(&path))
            .bearer_auth(&token)
            .header("Idempotency-Key", test_support::unique("harness-documents-"))
            .json(&json!({"decision": "request_documents", "expectedVersion": expected_version, "message": message}))
            .send()
            .await?;
        let status = answer.status();
        if status != reqwest::StatusCode::OK {
            bail!("asking for documents: {status} {}", answer.text().await.unwrap_or_default());
        }
        self.documents_link(&applied.email, before + 1).await
    }

    /// The link of the `count`th 資料提出のお願い mail to `to` (waiting for
    /// it), on this site's origin, rebuilt from its token (64 hex digits).
    pub async fn documents_link(&self, to: &str, count: usize) -> Result<String> {
        let mails = self.wait_for_mails(count, |m| is_documents_request(m, to)).await?;
        let text = &mails.get(count - 1).context("the 資料提出のお願い mail")?.text;
        let link = documents_link_in(text)?;
        let token: String = link
            .split_once("#token=")
            .context("a token")?
            .1
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .collect();
        if token.len() != 64 {
            bail!("not a 64-digit token: {link}");
        }
        Ok(format!("{}documents#token={token}", self.url()))
    }
}

impl Site {
    /// The mails the detail of `applied` lists (`GET
    /// /api/admin/applications/{id}`'s `mails`, oldest first), once at least
    /// `count` are recorded: a mail is recorded just after it is in the outbox.
    pub async fn listed_mails(&self, applied: &Verified, count: usize) -> Result<Vec<Value>> {
        let token = self.operator_token().await?;
        let path = shared::routes::ADMIN_DETAIL.path.replace("{applicationId}", &applied.application_id);
        let deadline = Instant::now() + WAIT;
        loop {
            let detail: Value =
                reqwest::Client::new().get(self.api(&path)).bearer_auth(&token).send().await?.json().await?;
            let mails = detail["mails"].as_array().with_context(|| format!("no mails in {detail}"))?;
            if mails.len() >= count {
                return Ok(mails.clone());
            }
            if Instant::now() > deadline {
                bail!("{} of the {count} mails waited for are listed: {mails:?}", mails.len());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Feeds SES's event `events/mail-events-{sample}.json` about `mail` (one
    /// of [`Site::listed_mails`]) of `applied` to the local server, as the
    /// first operator (a supervisor) may: its tags and message id made the
    /// mail's, its event time now. Fails unless it was recorded.
    pub async fn feed_ses_event(&self, applied: &Verified, mail: &Value, sample: &str) -> Result<()> {
        let path = test_support::workspace_root().join("events").join(format!("mail-events-{sample}.json"));
        let mut event: Value = serde_json::from_slice(
            &std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?,
        )?;
        let now = json!(shared::domain::Timestamp::now());
        event["time"] = now.clone();
        let detail = &mut event["detail"];
        detail["mail"]["tags"]["application"] = json!([applied.application_id]);
        detail["mail"]["tags"]["mail"] = json!([mail["mailId"]]);
        detail["mail"]["messageId"] = mail["messageId"].clone();
        for part in ["bounce", "deliveryDelay"] {
            if detail.get(part).is_some() {
                detail[part]["timestamp"] = now.clone();
            }
        }
        let token = self.operator_token().await?;
        let answer = reqwest::Client::new()
            .post(self.api(shared::routes::LOCAL_SES_EVENTS))
            .bearer_auth(&token)
            .json(&event)
            .send()
            .await?;
        let status = answer.status();
        let body: Value = answer.json().await.context("the event's answer")?;
        if status != reqwest::StatusCode::OK || body != json!({ "recorded": true }) {
            bail!("feeding {sample} about {}: {status} {body}", mail["mailId"]);
        }
        Ok(())
    }
}

impl Site {
    /// Feeds GuardDuty's result `status` (`THREATS_FOUND`, …) of the kept
    /// file `document_id` of `applied` to the local server, as its
    /// EventBridge event (`events/scan-result-threats-found.json`), as the
    /// first operator (a supervisor) may. Fails unless it was recorded.
    pub async fn feed_scan_result(&self, applied: &Verified, document_id: &str, status: &str) -> Result<()> {
        let path = test_support::workspace_root().join("events").join("scan-result-threats-found.json");
        let mut event: Value = serde_json::from_slice(
            &std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?,
        )?;
        let key = format!("{}{}/{document_id}", shared::domain::STORED_PREFIX, applied.application_id);
        event["detail"]["s3ObjectDetails"]["objectKey"] = json!(key);
        event["detail"]["scanResultDetails"]["scanResultStatus"] = json!(status);
        let token = self.operator_token().await?;
        let answer = reqwest::Client::new()
            .post(self.api(shared::routes::LOCAL_SCAN_RESULTS))
            .bearer_auth(&token)
            .json(&event)
            .send()
            .await?;
        let status_code = answer.status();
        let body: Value = answer.json().await.context("the scan result's answer")?;
        if status_code != reqwest::StatusCode::OK || body != json!({ "recorded": true }) {
            bail!("feeding {status} of {document_id}: {status_code} {body}");
        }
        Ok(())
    }
}

fn is_documents_request(mail: &OutboxMail, to: &str) -> bool {
    mail.kind == "documents-requested" && mail.to == to
}

/// The verification link (`http…/verify#token=…`) of a mail's text.
pub fn link_in(text: &str) -> Result<String> {
    link_to(text, "/verify#token=").context("the verification link")
}

/// The documents link (`http…/documents#token=…`) of a 資料提出のお願い mail's text.
pub fn documents_link_in(text: &str) -> Result<String> {
    link_to(text, "/documents#token=").context("the documents link")
}

/// The first link of `text` that contains `marker`.
fn link_to(text: &str, marker: &str) -> Result<String> {
    let links = text
        .match_indices("http")
        .map(|(start, _)| text[start..].chars().take_while(|c| !c.is_whitespace()).collect::<String>());
    let mut seen = Vec::new();
    for link in links {
        if (link.starts_with("http://") || link.starts_with("https://")) && link.contains(marker) {
            return Ok(link);
        }
        seen.push(link);
    }
    bail!("no link with {marker} in the mail (links: {seen:?})")
}

async fn start_local(port: u16, data_dir: &Path, configure: &Configure) -> Result<local::Running> {
    let mut config = local::Config::new(port, data_dir);
    config.web_dir = web_dir();
    configure(&mut config);
    local::start(config).await
}

/// A chromedriver process and one headless chromium session.
pub struct Browser {
    pub client: Client,
    _driver: DriverProcess,
    _profile: TempDir,
}

/// chromedriver, the leader of a process group that also holds chromium.
struct DriverProcess(Child);

impl Drop for DriverProcess {
    fn drop(&mut self) {
        // The whole group: chromedriver, chromium and chromium's helpers.
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.0.wait();
    }
}

impl Browser {
    /// A fresh browser (new profile, empty storage) with a `width`×`height` viewport.
    pub async fn start(width: u32, height: u32) -> Result<Browser> {
        for binary in [CHROMIUM, CHROMEDRIVER] {
            if !Path::new(binary).exists() {
                bail!("{binary} is missing: run scripts/dev-env (installs chromium and chromium-driver)");
            }
        }
        let port = free_port()?;
        // Its own process group: chromium and its helpers join it, and one
        // signal to the group ends them all, even when a test fails half-way.
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .context("starting chromedriver")?;
        let driver = DriverProcess(driver);
        let url = format!("http://127.0.0.1:{port}");
        wait_for_driver(&url).await?;
        let profile = tempfile::tempdir()?;
        let args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--no-first-run".to_owned(),
            "--hide-scrollbars".to_owned(),
            "--lang=ja-JP".to_owned(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let capabilities = json!({
            "browserName": "chrome",
            // A beforeunload prompt (unsaved input) must not block navigation in a test.
            "unhandledPromptBehavior": "accept",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
            // The console's messages, for [`Browser::failed_loads`].
            "goog:loggingPrefs": {"browser": "ALL"},
        });
        let Value::Object(capabilities) = capabilities else { unreachable!() };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&url)
            .await
            .context("starting a chromium session")?;
        let browser = Browser { client, _driver: driver, _profile: profile };
        browser.set_viewport(width, height).await?;
        Ok(browser)
    }

    /// Resizes the window so that the page's viewport is exactly `width`×`height`.
    pub async fn set_viewport(&self, width: u32, height: u32) -> Result<()> {
        self.client.set_window_size(width, height).await?;
        let inner = self.eval("return [window.innerWidth, window.innerHeight]").await?;
        let (iw, ih) = (inner[0].as_u64().unwrap_or(0) as u32, inner[1].as_u64().unwrap_or(0) as u32);
        if (iw, ih) != (width, height) && iw > 0 {
            self.client
                .set_window_size(width + width.saturating_sub(iw), height + height.saturating_sub(ih))
                .await?;
        }
        Ok(())
    }

    /// Closes the session; chromedriver stops when the browser is dropped.
    pub async fn close(self) -> Result<()> {
        self.client.clone().close().await?;
        Ok(())
    }

    /// Opens the form and waits until its script has started.
    pub async fn open(&self, url: &str) -> Result<()> {
        self.client.goto(url).await?;
        self.wait_until("document.documentElement.dataset.ready === 'true'").await
    }

    pub async fn eval(&self, script: &str) -> Result<Value> {
        Ok(self.client.execute(script, vec![]).await?)
    }

    pub async fn eval_with(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        Ok(self.client.execute(script, args).await?)
    }

    /// Polls a JavaScript expression until it is truthy.
    pub async fn wait_until(&self, expression: &str) -> Result<()> {
        let script = format!("return !!({expression});");
        let deadline = Instant::now() + WAIT;
        loop {
            if self.eval(&script).await?.as_bool() == Some(true) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("timed out waiting for `{expression}`");
            }
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
    }

    pub async fn css(&self, selector: &str) -> Result<Element> {
        self.client.find(Locator::Css(selector)).await.with_context(|| format!("finding {selector}"))
    }

    /// Clicks the element with this id.
    pub async fn click(&self, id: &str) -> Result<()> {
        self.css(&format!("#{id}")).await?.click().await?;
        Ok(())
    }

    /// Types into the input with this id, as keystrokes.
    pub async fn type_into(&self, id: &str, text: &str) -> Result<()> {
        self.css(&format!("#{id}")).await?.send_keys(text).await?;
        Ok(())
    }

    /// Chooses the option of this value in the select with this id, as a
    /// click on the option does (WebDriver's own selection).
    pub async fn choose(&self, id: &str, value: &str) -> Result<()> {
        self.css(&format!("#{id}")).await?.select_by_value(value).await?;
        Ok(())
    }

    /// The current value of the input with this id.
    pub async fn value(&self, id: &str) -> Result<String> {
        let value =
            self.eval_with("return document.getElementById(arguments[0]).value", vec![json!(id)]).await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// The visible text of the element with this id ("" when hidden).
    pub async fn text(&self, id: &str) -> Result<String> {
        Ok(self.css(&format!("#{id}")).await?.text().await?)
    }

    /// True when the element with this id is shown.
    pub async fn is_shown(&self, id: &str) -> Result<bool> {
        Ok(self.css(&format!("#{id}")).await?.is_displayed().await?)
    }

    /// The step whose panel is shown (1, 2 or 3).
    pub async fn step(&self) -> Result<u64> {
        let step = self
            .eval(
                "return Number(document.querySelector('[data-step-panel]:not([hidden])').dataset.stepPanel)",
            )
            .await?;
        step.as_u64().context("no step shown")
    }

    /// A full-page PNG: the window grows to the page's height, then returns.
    pub async fn full_page_png(&self, width: u32, height: u32) -> Result<Vec<u8>> {
        let page_height = self.eval("return document.documentElement.scrollHeight").await?;
        let page_height = page_height.as_u64().unwrap_or(height as u64) as u32;
        self.set_viewport(width, page_height.max(height)).await?;
        let png = self.client.screenshot().await?;
        self.set_viewport(width, height).await?;
        Ok(png)
    }
}

impl Browser {
    /// Runs axe-core's WCAG 2.1 A/AA rules ([`AXE_TAGS`]) on the current page
    /// and returns what they found broken, whatever the impact. axe.min.js is
    /// injected through WebDriver's execute (which the page's CSP does not
    /// govern) when the page does not have it yet. Fails when the file is
    /// missing: `scripts/dev-env` installs it.
    pub async fn axe(&self) -> Result<Vec<Violation>> {
        let loaded =
            self.eval("return typeof window.axe === 'object' && typeof window.axe.run === 'function'");
        if loaded.await?.as_bool() != Some(true) {
            let path = axe_script_path();
            let source = std::fs::read_to_string(&path).with_context(|| {
                format!(
                    "{} is missing: run scripts/dev-env (it installs axe-core with `npm ci` in tests/axe/)",
                    path.display()
                )
            })?;
            // Inside the function WebDriver wraps it in: axe's UMD wrapper sets window.axe.
            self.eval(&format!("{source}\n;return true;")).await.context("injecting axe-core")?;
            let loaded = self.eval("return typeof window.axe === 'object'").await?;
            if loaded.as_bool() != Some(true) {
                bail!("axe-core did not load from {}", path.display());
            }
        }
        let script = "const done = arguments[arguments.length - 1];\
            window.axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})\
              .then(result => done({violations: result.violations.map(v => ({\
                  id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,\
                  nodes: v.nodes.map(n => ({target: n.target, html: n.html, failureSummary: n.failureSummary})),\
                }))}),\
                error => done({error: String(error && error.stack || error)}));";
        let answer = self.client.execute_async(script, vec![json!(AXE_TAGS)]).await.context("running axe")?;
        if let Some(error) = answer.get("error") {
            bail!("axe.run failed: {}", error.as_str().unwrap_or_default());
        }
        violations_from(&answer["violations"])
    }

    /// Fails, listing each of them (rule, help, the failing elements and axe's
    /// summary of each), when axe finds a `serious` or `critical` violation on
    /// the current page; `state` names what the page shows, for the message.
    pub async fn assert_accessible(&self, state: &str) -> Result<()> {
        let serious: Vec<Violation> = self.axe().await?.into_iter().filter(Violation::is_serious).collect();
        if serious.is_empty() {
            return Ok(());
        }
        let listed: String = serious.iter().map(ToString::to_string).collect();
        bail!("axe: {} serious or critical violation(s) in {state}:\n{listed}", serious.len())
    }

    /// Runs a Chrome DevTools Protocol command through chromedriver, e.g. `Input.imeSetComposition`:
    /// real input events, as an IME or a keyboard produces them.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Result<Value> {
        Ok(self.client.issue_cmd(Cdp { cmd: cmd.to_owned(), params }).await?)
    }

    /// The loads that failed with `status` since the last read of the log, as
    /// the browser's console reports them (`… the server responded with a
    /// status of 404 (Not Found)`), the icon's among them.
    pub async fn failed_loads(&self, status: u16) -> Result<Vec<String>> {
        let log = self.client.issue_cmd(BrowserLog).await?;
        let needle = format!("status of {status} ");
        Ok(log
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|entry| entry["message"].as_str())
            .filter(|message| message.contains(&needle))
            .map(str::to_owned)
            .collect())
    }

    /// Types `kana` into the focused input the way a Japanese IME does: a
    /// composition growing kana by kana, converted to `converted`, then committed.
    pub async fn ime_type(&self, kana: &str, converted: &str) -> Result<()> {
        let mut typed = String::new();
        for c in kana.chars() {
            typed.push(c);
            let len = typed.chars().count();
            self.cdp(
                "Input.imeSetComposition",
                json!({"text": typed, "selectionStart": len, "selectionEnd": len}),
            )
            .await?;
        }
        let len = converted.chars().count();
        self.cdp(
            "Input.imeSetComposition",
            json!({"text": converted, "selectionStart": len, "selectionEnd": len}),
        )
        .await?;
        self.cdp("Input.insertText", json!({"text": converted})).await?;
        Ok(())
    }
}

/// chromedriver's log of the browser's console (`se/log`), emptied as it is read.
#[derive(Debug)]
struct BrowserLog;

impl fantoccini::wd::WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(&self, base_url: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/se/log", session_id.unwrap_or_default()))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({"type": "browser"}).to_string()))
    }
}

/// chromedriver's `goog/cdp/execute` endpoint.
#[derive(Debug)]
struct Cdp {
    cmd: String,
    params: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base_url: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/goog/cdp/execute", session_id.unwrap_or_default()))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({"cmd": self.cmd, "params": self.params});
        (http::Method::POST, Some(body.to_string()))
    }
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

async fn wait_for_driver(url: &str) -> Result<()> {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(response) = client.get(format!("{url}/status")).send().await
            && response.status().is_success()
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("chromedriver did not start on {url}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What the form sends for a corporation typing the seed's examples with
/// `email` (as [`seed_inputs`] types them), as the contract's JSON.
pub fn corporation_application(email: &str) -> Value {
    let mut application = serde_json::Map::new();
    for (key, value) in seed_inputs(email) {
        application.insert(key, json!(value));
    }
    application.insert("contractType".into(), json!("corporation"));
    application.insert("agreedToTerms".into(), json!(true));
    application.insert("website".into(), json!(""));
    Value::Object(application)
}

/// What the form sends for a sole proprietor (個人事業主): the seed's person
/// and address, without the corporate fields.
pub fn sole_proprietor_application(email: &str) -> Value {
    let mut application = corporation_application(email);
    let object = application.as_object_mut().expect("an object");
    object.remove("corporateName");
    object.remove("corporateNameKana");
    object.insert("contractType".into(), json!("sole_proprietor"));
    application
}

/// A few valid applications that differ from each other (kind, names,
/// address, phone, the optional fields) and from the seed, each with its own
/// address `{prefix}-{n}@example.com`: a corporation, a sole proprietor
/// without the optional fields, and another corporation in Tokyo.
pub fn sample_applications(prefix: &str) -> Vec<Value> {
    let mut corporation = corporation_application(&format!("{prefix}-1@example.com"));
    corporation["lastName"] = json!("佐藤");
    corporation["firstName"] = json!("花子");
    corporation["lastNameKana"] = json!("サトウ");
    corporation["firstNameKana"] = json!("ハナコ");

    let mut sole = sole_proprietor_application(&format!("{prefix}-2@example.com"));
    let object = sole.as_object_mut().expect("an object");
    for optional in ["addressBuilding", "invoiceNumber", "employeeCount", "annualReferralCount"] {
        object.insert(optional.into(), json!(""));
    }
    sole["lastName"] = json!("鈴木");
    sole["firstName"] = json!("一郎");
    sole["lastNameKana"] = json!("スズキ");
    sole["firstNameKana"] = json!("イチロウ");
    sole["phone"] = json!("090-1234-5678");

    let mut tokyo = corporation_application(&format!("{prefix}-3@example.com"));
    tokyo["corporateName"] = json!("株式会社サンプル商事");
    tokyo["corporateNameKana"] = json!("カブシキガイシャサンプルショウジ");
    tokyo["lastName"] = json!("高橋");
    tokyo["firstName"] = json!("健");
    tokyo["lastNameKana"] = json!("タカハシ");
    tokyo["firstNameKana"] = json!("ケン");
    tokyo["postalCode"] = json!("100-0005");
    tokyo["addressRegion"] = json!("東京都千代田区");
    tokyo["addressStreet"] = json!("丸の内1-1-1");
    tokyo["addressBuilding"] = json!("");
    tokyo["phone"] = json!("03-1234-5678");
    tokyo["employeeCount"] = json!("5");
    tokyo["annualReferralCount"] = json!("0");
    vec![corporation, sole, tokyo]
}

/// The seed's examples (`test_support::seed_application`), as a corporation
/// types them with `email`: one entry per text input id, numbers as typed.
/// The contract type and the agreement are clicked, not typed.
pub fn seed_inputs(email: &str) -> Vec<(String, String)> {
    let seed = test_support::seed_application_with_email(email);
    seed.as_object()
        .expect("the seed is an object")
        .iter()
        .filter_map(|(id, value)| match value {
            serde_json::Value::String(text) if id != "contractType" => Some((id.clone(), text.clone())),
            serde_json::Value::Number(number) => Some((id.clone(), number.to_string())),
            _ => None,
        })
        .collect()
}
