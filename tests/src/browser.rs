//! Harness for the browser tests and the screenshot tool: the local server on a
//! fresh data directory, chromedriver on a free port, and headless Debian
//! chromium driven through fantoccini. Everything started here is stopped on drop.

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

/// The local server (form and API on one origin) over its own temporary data.
pub struct Site {
    pub running: Option<local::Running>,
    pub data: TempDir,
}

impl Site {
    pub async fn start() -> Result<Site> {
        let data = tempfile::tempdir()?;
        let running = start_local(0, data.path()).await?;
        Ok(Site { running: Some(running), data })
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
        self.running = Some(start_local(addr.port(), self.data.path()).await?);
        Ok(())
    }
}

async fn start_local(port: u16, data_dir: &Path) -> Result<local::Running> {
    let mut config = local::Config::new(port, data_dir);
    config.web_dir = web_dir();
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
    /// Runs a Chrome DevTools Protocol command through chromedriver, e.g. `Input.imeSetComposition`:
    /// real input events, as an IME or a keyboard produces them.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Result<Value> {
        Ok(self.client.issue_cmd(Cdp { cmd: cmd.to_owned(), params }).await?)
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
