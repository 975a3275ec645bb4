//! Documents (contract v3, *Documents*; issue 22) the whole way, in a real
//! browser (headless Debian chromium) against the local server, its own
//! upload target and its `.eml` outbox: an operator asks for documents in the
//! console; the applicant opens the link of the 資料提出のお願い mail, adds a
//! real PDF (by the file input), a PNG (dropped) and a renamed executable,
//! sees that one refused by the submission check, removes it and submits the
//! rest; the operator sees 資料確認待ち, downloads the PDF (byte-equal to what
//! was sent) and approves.

use anyhow::{Result, bail};
use base64::Engine as _;
use integration_tests::browser::{Browser, Site, Verified, corporation_application};
use integration_tests::sample_files;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const WIDTH: u32 = 1280;
const HEIGHT: u32 = 900;
const ENTER: &str = "\u{E007}";

/// The local server's first operator: (email, password).
fn operator(site: &Site) -> (String, String) {
    site.operator().expect("the first operator")
}

async fn sign_in(browser: &Browser, site: &Site) -> Result<()> {
    let (email, password) = operator(site);
    browser.wait_until("document.documentElement.dataset.view === 'signin'").await?;
    browser.type_into("signin-email", &email).await?;
    browser.type_into("signin-password", &password).await?;
    browser.click("signin-submit").await?;
    browser.wait_until("document.documentElement.dataset.view !== 'signin'").await
}

/// The console at the application's detail, signed in (the session is this tab's).
async fn open_detail(browser: &Browser, site: &Site, applied: &Verified) -> Result<()> {
    browser.client.goto(&site.api(&format!("/admin/?view=detail&id={}", applied.application_id))).await?;
    browser.wait_until("document.documentElement.dataset.ready === 'true'").await?;
    browser
        .wait_until(
            "document.documentElement.dataset.view === 'signin' || document.documentElement.dataset.view === 'detail'",
        )
        .await?;
    if browser.eval("return document.documentElement.dataset.view").await? == "signin" {
        sign_in(browser, site).await?;
    }
    browser
        .wait_until(&format!(
            "document.documentElement.dataset.view === 'detail' && !document.getElementById('detail-body').hidden && document.getElementById('detail-title').textContent.startsWith('{}')",
            applied.reception_number
        ))
        .await
}

/// Records every CSP violation of the pages opened from now on.
async fn record_csp_violations(browser: &Browser) -> Result<()> {
    browser
        .cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": "window.__violations = []; document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));" }),
        )
        .await?;
    Ok(())
}

async fn assert_no_csp_violation(browser: &Browser, page: &str) -> Result<()> {
    assert_eq!(
        browser.eval("return window.__violations").await?,
        json!([]),
        "nothing the CSP blocks on {page}"
    );
    Ok(())
}

/// Opens `link` as a new page: after the page took the token out of the
/// address bar, another link to it differs by its fragment only, which a
/// browser would follow without loading the page again.
async fn open_link(browser: &Browser, link: &str) -> Result<()> {
    browser.client.goto("about:blank").await?;
    browser.open(link).await
}

/// Opens the documents link and waits for its form.
async fn open_documents(browser: &Browser, link: &str) -> Result<()> {
    open_link(browser, link).await?;
    browser.wait_until("!document.getElementById('docs-form').hidden").await?;
    assert_eq!(browser.client.current_url().await?.fragment(), None, "the token left the address bar");
    Ok(())
}

/// Chooses files through the page's file input (as the file chooser does).
async fn choose_files(browser: &Browser, paths: &[&Path]) -> Result<()> {
    let list: Vec<String> = paths.iter().map(|p| p.to_str().expect("a UTF-8 path").to_owned()).collect();
    browser.css("#docs-input").await?.send_keys(&list.join("\n")).await?;
    Ok(())
}

/// Drops a file on the drop zone, as a drag from the desktop does: a `drop`
/// event whose DataTransfer holds it.
async fn drop_file(browser: &Browser, name: &str, content_type: &str, bytes: &[u8]) -> Result<()> {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    browser
        .eval_with(
            "const bytes = Uint8Array.from(atob(arguments[0]), (c) => c.charCodeAt(0));\
             const data = new DataTransfer();\
             data.items.add(new File([bytes], arguments[1], { type: arguments[2] }));\
             const zone = document.getElementById('docs-dropzone');\
             zone.dispatchEvent(new DragEvent('dragenter', { dataTransfer: data, bubbles: true, cancelable: true }));\
             zone.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));",
            vec![json!(encoded), json!(name), json!(content_type)],
        )
        .await?;
    Ok(())
}

/// The list as shown: (name, state, document id or "").
async fn files_shown(browser: &Browser) -> Result<Vec<(String, String, String)>> {
    let rows = browser
        .eval(
            "return [...document.querySelectorAll('#docs-files .file')].map((li) => \
               [li.querySelector('.file__name').textContent, li.dataset.state, li.dataset.documentId || ''])",
        )
        .await?;
    Ok(serde_json::from_value(rows)?)
}

async fn wait_for_states(browser: &Browser, expected: &[(&str, &str)]) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let shown = files_shown(browser).await?;
        let states: Vec<(&str, &str)> = shown.iter().map(|(n, s, _)| (n.as_str(), s.as_str())).collect();
        if states == expected {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the files are {shown:?}, not {expected:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn active_id(browser: &Browser) -> Result<String> {
    Ok(browser.eval("return document.activeElement.id").await?.as_str().unwrap_or_default().to_owned())
}

/// Writes `files` (name, bytes) into `dir` and returns their paths.
fn write_files(dir: &Path, files: &[(&str, &[u8])]) -> Result<Vec<PathBuf>> {
    files
        .iter()
        .map(|(name, bytes)| {
            let path = dir.join(name);
            std::fs::write(&path, bytes)?;
            Ok(path)
        })
        .collect()
}

/// The one file chromium finished downloading into `dir` (not a `.crdownload`).
async fn downloaded(dir: &Path) -> Result<PathBuf> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let files: Vec<PathBuf> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_none_or(|x| x != "crdownload"))
            .collect();
        if let [file] = files.as_slice() {
            return Ok(file.clone());
        }
        if Instant::now() > deadline {
            bail!("downloads: {files:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn documents_are_requested_uploaded_checked_submitted_downloaded_and_approved() -> Result<()> {
    let site = Site::start().await?;
    let email = "documents@example.com";
    let applied = site.verified_application(&corporation_application(email)).await?;
    let browser = Browser::start(WIDTH, HEIGHT).await?;
    record_csp_violations(&browser).await?;

    // 1. The operator asks for documents, with a template's message.
    open_detail(&browser, &site, &applied).await?;
    browser.click("decide-request_documents").await?;
    browser.wait_until("document.getElementById('decision-dialog').open").await?;
    browser.css("#decision-templates button").await?.click().await?;
    browser.type_into("decision-message", "\n担当: 審査チーム 佐藤").await?;
    browser.click("decision-submit").await?;
    browser.wait_until("document.getElementById('detail-status').textContent === '資料提出待ち'").await?;
    assert!(browser.is_shown("documents-empty").await?, "no documents yet");
    assert_no_csp_violation(&browser, "the console").await?;

    // 2. The link of the mail, opened: the request, its deadline and limits.
    let link = site.documents_link(email, 1).await?;
    open_documents(&browser, &link).await?;
    assert_eq!(active_id(&browser).await?, "docs-form-title");
    assert_eq!(browser.text("docs-reception-number").await?, applied.reception_number);
    let message = browser.text("docs-message").await?;
    assert!(message.contains("履歴事項全部証明書") && message.contains("担当: 審査チーム 佐藤"), "{message}");
    let expires = browser.text("docs-expires-at").await?;
    assert!(expires.contains('年') && expires.ends_with("まで"), "{expires}");
    let limits = browser.text("docs-limits").await?;
    assert!(limits.contains("PDF") && limits.contains("10MB"), "{limits}");
    browser.assert_accessible("documents: the empty form").await?;

    // Refused before any upload: a type the request does not take, a file too large.
    drop_file(&browser, "メモ.txt", "text/plain", "テキスト".as_bytes()).await?;
    browser.wait_until("!document.getElementById('docs-error').hidden").await?;
    let error = browser.text("docs-error").await?;
    assert!(error.contains("「メモ.txt」は提出できない形式") && error.contains("PDF"), "{error}");
    browser
        .eval(
            "const data = new DataTransfer();\
             data.items.add(new File([new Uint8Array(10 * 1024 * 1024 + 1)], 'scan.pdf', { type: 'application/pdf' }));\
             document.getElementById('docs-dropzone').dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));",
        )
        .await?;
    browser.wait_until("document.getElementById('docs-error').textContent.includes('scan.pdf')").await?;
    let error = browser.text("docs-error").await?;
    assert!(error.contains("大きすぎます") && error.contains("10MB"), "{error}");
    assert!(files_shown(&browser).await?.is_empty(), "neither went into the list");
    browser.assert_accessible("documents: a file refused before upload").await?;

    // 3. A real PDF and a renamed executable by the file input, a PNG dropped.
    let dir = tempfile::tempdir()?;
    let pdf = sample_files::pdf();
    let png = sample_files::png();
    let paths =
        write_files(dir.path(), &[("履歴事項全部証明書.pdf", &pdf), ("見積書.pdf", &sample_files::elf())])?;
    choose_files(&browser, &[&paths[0], &paths[1]]).await?;
    drop_file(&browser, "本人確認書類.png", "image/png", &png).await?;
    wait_for_states(
        &browser,
        &[
            ("履歴事項全部証明書.pdf", "uploaded"),
            ("見積書.pdf", "uploaded"),
            ("本人確認書類.png", "uploaded"),
        ],
    )
    .await?;
    assert!(browser.text("docs-error").await?.is_empty(), "the earlier refusals went with the new files");
    let meta = browser
        .eval("return [...document.querySelectorAll('#docs-files .file__meta')].map((m) => m.textContent)")
        .await?;
    assert_eq!(meta, json!(["PDF・1KB", "PDF・4KB", "PNG画像・1KB"]));
    let progress = browser
        .eval("return [...document.querySelectorAll('#docs-files progress')].map((p) => p.value)")
        .await?;
    assert_eq!(progress, json!([100, 100, 100]));
    browser.assert_accessible("documents: three files uploaded").await?;

    // 4. The submission check refuses the executable, named from the page's list.
    browser.click("docs-submit").await?;
    browser.wait_until("!document.getElementById('docs-submit-error').hidden").await?;
    let error = browser.text("docs-submit-error").await?;
    assert!(error.contains("「見積書.pdf」は提出できませんでした"), "{error}");
    assert_eq!(active_id(&browser).await?, "docs-submit-error", "the keyboard is at the problem");
    wait_for_states(
        &browser,
        &[
            ("履歴事項全部証明書.pdf", "uploaded"),
            ("見積書.pdf", "refused"),
            ("本人確認書類.png", "uploaded"),
        ],
    )
    .await?;
    browser.assert_accessible("documents: a file refused by the submission check").await?;
    // Removed by the keyboard: its remove button, Enter.
    browser
        .eval("document.querySelector('#docs-files .file[data-state=refused] .file__remove').focus()")
        .await?;
    browser.client.active_element().await?.send_keys(ENTER).await?;
    wait_for_states(&browser, &[("履歴事項全部証明書.pdf", "uploaded"), ("本人確認書類.png", "uploaded")])
        .await?;
    assert!(!browser.is_shown("docs-submit-error").await?, "the problem went with the file");
    let focused = browser
        .eval("return document.activeElement.closest('.file').querySelector('.file__name').textContent")
        .await?;
    assert_eq!(focused, "本人確認書類.png", "focus moved to the next file");
    browser.client.active_element().await?.send_keys("\u{E004}").await?; // Tab: to 提出する
    assert_eq!(active_id(&browser).await?, "docs-submit");
    browser.client.active_element().await?.send_keys(ENTER).await?;
    browser.wait_until("!document.getElementById('docs-done').hidden").await?;
    assert_eq!(browser.text("docs-done-number").await?, applied.reception_number);
    let sent = browser.text("docs-done-files").await?;
    assert!(
        sent.contains("履歴事項全部証明書.pdf")
            && sent.contains("本人確認書類.png")
            && !sent.contains("見積書"),
        "{sent}"
    );
    assert_eq!(active_id(&browser).await?, "docs-done-title");
    browser.assert_accessible("documents: submitted").await?;
    assert_no_csp_violation(&browser, "the documents page").await?;
    // The applicant's 資料受領のお知らせ and the operators' notice, once each.
    let received = site.wait_for_mails(1, |m| m.kind == "documents-received").await?;
    assert_eq!(received[0].to, email);
    assert!(received[0].subject.contains("資料受領"), "{}", received[0].subject);
    let notice = site.wait_for_mails(1, |m| m.kind == "documents-notice").await?;
    assert!(notice[0].text.contains(&applied.reception_number), "{}", notice[0].text);
    assert!(!notice[0].text.contains("履歴事項全部証明書"), "no file names in the operators' notice");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let kinds: Vec<String> = site.outbox_mails()?.into_iter().map(|m| m.kind).collect();
    assert_eq!(kinds.iter().filter(|k| *k == "documents-received").count(), 1, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| *k == "documents-notice").count(), 1, "{kinds:?}");

    // The link again: what was sent, and nothing more taken.
    open_documents_again(&browser, &link).await?;
    let sent = browser.text("docs-submitted-files").await?;
    assert!(sent.contains("履歴事項全部証明書.pdf") && sent.contains("本人確認書類.png"), "{sent}");
    browser.assert_accessible("documents: submitted before").await?;

    // 5. The operator: 資料確認待ち, the documents, the PDF downloaded byte for byte.
    open_detail(&browser, &site, &applied).await?;
    assert_eq!(browser.text("detail-status").await?, "資料確認待ち");
    let rows = browser
        .eval(
            "return [...document.querySelectorAll('#documents-rows tr')].map((tr) => [...tr.cells].slice(0, 3).map((td) => td.textContent).concat([tr.dataset.scan]))",
        )
        .await?;
    assert_eq!(
        rows,
        json!([
            ["履歴事項全部証明書.pdf", "PDF", "1KB", "not_scanned"],
            ["本人確認書類.png", "PNG画像", "1KB", "not_scanned"]
        ])
    );
    // The scan state's word and guidance, as Rust declares them.
    let shown = browser.text("documents-rows").await?;
    let not_scanned = shared::domain::ScanState::NotScanned;
    assert!(shown.contains(not_scanned.label()) && shown.contains(not_scanned.guidance()), "{shown}");
    browser.assert_accessible("console: the submitted documents").await?;
    let downloads = tempfile::tempdir()?;
    browser
        .cdp(
            "Browser.setDownloadBehavior",
            json!({ "behavior": "allow", "downloadPath": downloads.path().to_str().unwrap() }),
        )
        .await?;
    browser.css("#documents-rows tr:first-child button").await?.click().await?;
    let file = downloaded(downloads.path()).await?;
    assert_eq!(std::fs::read(&file)?, pdf, "the PDF downloaded is the one sent ({})", file.display());
    assert!(!browser.is_shown("documents-error").await?);
    assert_eq!(
        browser.eval("return document.documentElement.dataset.view").await?,
        "detail",
        "the console stayed"
    );

    // GuardDuty's results as the console shows them (fed to the local
    // server, which never scans): the PNG with threats has no download, the
    // PDF it could not look into says what to do and still downloads.
    let ids = browser
        .eval(
            "return [...document.querySelectorAll('#documents-rows tr')].map((tr) => tr.dataset.documentId)",
        )
        .await?;
    let (pdf_id, png_id) = (ids[0].as_str().unwrap(), ids[1].as_str().unwrap());
    site.feed_scan_result(&applied, pdf_id, "UNSUPPORTED").await?;
    site.feed_scan_result(&applied, png_id, "THREATS_FOUND").await?;
    open_detail(&browser, &site, &applied).await?;
    browser
        .wait_until(
            "document.querySelector('#documents-rows tr:last-child')?.dataset.scan === 'threats_found'",
        )
        .await?;
    let rows = browser
        .eval(
            "return [...document.querySelectorAll('#documents-rows tr')].map((tr) => [tr.dataset.scan, tr.cells[4].textContent, tr.querySelectorAll('button').length])",
        )
        .await?;
    let (unsupported, threats) =
        (shared::domain::ScanState::Unsupported, shared::domain::ScanState::ThreatsFound);
    assert_eq!(rows[0][0], "unsupported");
    let shown = rows[0][1].as_str().unwrap();
    assert!(shown.contains(unsupported.label()) && shown.contains(unsupported.guidance()), "{shown}");
    assert_eq!(rows[0][2], 1, "still downloadable");
    assert_eq!(rows[1][0], "threats_found");
    assert!(rows[1][1].as_str().unwrap().contains(threats.label()), "{}", rows[1][1]);
    assert_eq!(rows[1][2], 0, "no download of a file with threats");
    browser.assert_accessible("console: scan results").await?;

    // 6. The approval.
    browser.click("decide-approve").await?;
    browser.wait_until("document.getElementById('decision-dialog').open").await?;
    browser.click("decision-submit").await?;
    browser.wait_until("document.getElementById('detail-status').textContent === '承認'").await?;
    site.wait_for_mails(1, |m| m.kind == "approved" && m.to == email).await?;
    assert_eq!(
        browser.eval("return document.querySelectorAll('#documents-rows tr').length").await?,
        json!(2),
        "the documents stay in view after the decision"
    );
    assert_no_csp_violation(&browser, "the console").await?;

    // The link after the decision takes nothing.
    open_link(&browser, &link).await?;
    browser.wait_until("!document.getElementById('docs-closed').hidden").await?;
    assert_eq!(browser.text("docs-closed-status").await?, "承認");
    browser.close().await
}

/// Opens the link of a request whose documents were sent: the page says so.
async fn open_documents_again(browser: &Browser, link: &str) -> Result<()> {
    open_link(browser, link).await?;
    browser.wait_until("!document.getElementById('docs-submitted').hidden").await?;
    Ok(())
}

/// A network failure, while uploading and while submitting: the file's
/// 再試行 and the page's もう一度送信する send again once the line is back.
#[tokio::test]
async fn an_upload_and_a_submission_are_retried_after_a_network_failure() -> Result<()> {
    let mut site = Site::start().await?;
    let applied = site.verified_application(&corporation_application("retry@example.com")).await?;
    let link = site.request_documents(&applied, 2, "登記簿の写しをお送りください。").await?;
    let browser = Browser::start(375, 800).await?;
    open_documents(&browser, &link).await?;
    // At 375 px nothing scrolls sideways.
    let overflow = browser.eval("return document.documentElement.scrollWidth").await?;
    assert!(overflow.as_u64().unwrap_or(0) <= 375, "the page is {overflow} px wide at 375 px");
    browser.assert_accessible("documents at 375 px").await?;

    let addr = site.addr();
    site.stop().await?;
    drop_file(&browser, "登記簿.pdf", "application/pdf", &sample_files::pdf()).await?;
    wait_for_states(&browser, &[("登記簿.pdf", "failed")]).await?;
    assert!(browser.text("docs-files").await?.contains("通信エラー"));
    browser.assert_accessible("documents: an upload that failed").await?;
    site.restart_on(addr).await?;
    browser.css("#docs-files .file__retry").await?.click().await?;
    wait_for_states(&browser, &[("登記簿.pdf", "uploaded")]).await?;

    site.stop().await?;
    browser.click("docs-submit").await?;
    browser.wait_until("!document.getElementById('docs-retry').hidden").await?;
    assert!(browser.text("docs-submit-error").await?.contains("もう一度送信する"));
    site.restart_on(addr).await?;
    browser.click("docs-retry").await?;
    browser.wait_until("!document.getElementById('docs-done').hidden").await?;
    assert_eq!(browser.text("docs-done-number").await?, applied.reception_number);
    browser.close().await
}

/// A link that is not one (mistyped, cut short, superseded) says so, under the CSP.
#[tokio::test]
async fn a_documents_link_that_does_not_work_says_why() -> Result<()> {
    let site = Site::start().await?;
    let browser = Browser::start(WIDTH, HEIGHT).await?;
    record_csp_violations(&browser).await?;
    open_link(&browser, &format!("{}documents#token=abc", site.url())).await?;
    browser.wait_until("!document.getElementById('docs-failed').hidden").await?;
    assert!(browser.text("docs-failed-message").await?.contains("リンクの形式が正しくありません"));
    assert_eq!(browser.client.current_url().await?.fragment(), None, "the fragment left the address bar");
    browser.assert_accessible("documents: a malformed link").await?;
    open_link(&browser, &format!("{}documents#token={}", site.url(), "0".repeat(64))).await?;
    browser.wait_until("!document.getElementById('docs-failed').hidden").await?;
    assert!(!browser.is_shown("docs-reload").await?, "an unknown link is not retried");
    assert_no_csp_violation(&browser, "the documents page").await?;
    browser.close().await
}
