//! The operators' console (`web/admin/`) in a real browser: headless Debian
//! chromium through chromedriver, against the local server (console, operator
//! API and its authorizer on one origin, SQLite store, `.eml` outbox). The
//! applications are made as applicants make them: submitted over HTTP and
//! confirmed with their link's token.

use anyhow::{Context, Result};
use integration_tests::browser::{Browser, Site, Verified, corporation_application};
use serde_json::{Value, json};
use std::time::Duration;

const WIDTH: u32 = 1280;
const HEIGHT: u32 = 900;
const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";

/// The seed's corporate application under `email`, changed by `edit`.
fn application(email: &str, edit: impl FnOnce(&mut Value)) -> Value {
    let mut application = corporation_application(email);
    edit(&mut application);
    application
}

/// The local server's first operator: (email, password).
fn operator(site: &Site) -> (String, String) {
    site.operator().expect("the first operator")
}

/// The console at `path` (relative to /admin/), once its script has started.
async fn open_console(browser: &Browser, site: &Site, path: &str) -> Result<()> {
    browser.client.goto(&site.api(&format!("/admin/{path}"))).await?;
    browser.wait_until("document.documentElement.dataset.ready === 'true'").await
}

/// Signs in through the page's form.
async fn sign_in(browser: &Browser, site: &Site) -> Result<()> {
    let (email, password) = operator(site);
    sign_in_as(browser, &email, &password).await
}

/// Signs `email` in through the page's form.
async fn sign_in_as(browser: &Browser, email: &str, password: &str) -> Result<()> {
    browser.wait_until("document.documentElement.dataset.view === 'signin'").await?;
    browser.type_into("signin-email", email).await?;
    browser.type_into("signin-password", password).await?;
    browser.click("signin-submit").await?;
    browser.wait_until("document.documentElement.dataset.view !== 'signin'").await
}

/// A started site with `count` verified corporate applications, and a signed-in console.
async fn console_with(count: usize) -> Result<(Site, Browser, Vec<Verified>)> {
    let site = Site::start().await?;
    let mut applied = Vec::new();
    for n in 0..count {
        applied
            .push(site.verified_application(&application(&format!("partner{n}@example.com"), |_| {})).await?);
    }
    let browser = Browser::start(WIDTH, HEIGHT).await?;
    open_console(&browser, &site, "").await?;
    sign_in(&browser, &site).await?;
    wait_for_rows(&browser, count.min(50)).await?;
    Ok((site, browser, applied))
}

async fn wait_for_rows(browser: &Browser, count: usize) -> Result<()> {
    browser
        .wait_until(&format!(
            "document.documentElement.dataset.view === 'list' && !document.getElementById('list-table').hasAttribute('aria-busy') && document.querySelectorAll('#list-rows tr').length === {count}"
        ))
        .await
}

/// The reception numbers shown in the list, top to bottom.
async fn listed(browser: &Browser) -> Result<Vec<String>> {
    let numbers = browser
        .eval("return [...document.querySelectorAll('#list-rows tr td:nth-child(2)')].map(td => td.textContent)")
        .await?;
    Ok(serde_json::from_value(numbers)?)
}

/// Opens an application's detail from the list and waits for it.
async fn open_detail(browser: &Browser, applied: &Verified) -> Result<()> {
    browser
        .css(&format!("#list-rows tr[data-application-id='{}'] a", applied.application_id))
        .await?
        .click()
        .await?;
    wait_for_detail(browser, applied).await
}

async fn wait_for_detail(browser: &Browser, applied: &Verified) -> Result<()> {
    browser
        .wait_until(&format!(
            "document.documentElement.dataset.view === 'detail' && !document.getElementById('detail-body').hidden && document.getElementById('detail-title').textContent.startsWith('{}')",
            applied.reception_number
        ))
        .await
}

async fn active_id(browser: &Browser) -> Result<String> {
    Ok(browser.eval("return document.activeElement.id").await?.as_str().unwrap_or_default().to_owned())
}

/// Presses `key` on the focused element.
async fn press(browser: &Browser, key: &str) -> Result<()> {
    browser.client.active_element().await?.send_keys(key).await?;
    Ok(())
}

/// The text of the mail of `kind` sent to `to`, waiting for its delivery.
async fn mail_to(site: &Site, kind: &str, to: &str) -> Result<String> {
    let mails = site.wait_for_mails(1, |m| m.kind == kind && m.to == to).await?;
    Ok(mails[0].text.clone())
}

fn mails_of_kind(site: &Site, kind: &str) -> usize {
    site.outbox_mails().map(|mails| mails.iter().filter(|m| m.kind == kind).count()).unwrap_or(0)
}

/// Opens the decision dialog of `decision` and waits until it is open.
async fn open_decision(browser: &Browser, decision: &str) -> Result<()> {
    browser.click(&format!("decide-{decision}")).await?;
    browser.wait_until("document.getElementById('decision-dialog').open").await
}

async fn status_shown(browser: &Browser) -> Result<String> {
    browser.text("detail-status").await
}

#[tokio::test]
async fn an_operator_signs_in_with_a_wrong_password_then_the_right_one() -> Result<()> {
    let site = Site::start().await?;
    site.verified_application(&application("signin@example.com", |_| {})).await?;
    let browser = Browser::start(WIDTH, HEIGHT).await?;
    // Any violation of the page's CSP is recorded, from before its first script.
    browser
        .cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": "window.__violations = []; document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));" }),
        )
        .await?;
    open_console(&browser, &site, "").await?;
    browser.wait_until("document.documentElement.dataset.view === 'signin'").await?;
    assert_eq!(active_id(&browser).await?, "signin-email", "focus starts in the form");
    assert!(!browser.is_shown("console-nav").await?, "nothing of the console before signing in");
    browser.assert_accessible("console: sign-in").await?;

    let (email, password) = operator(&site);
    browser.type_into("signin-email", &email).await?;
    browser.type_into("signin-password", "not-the-password-at-all").await?;
    browser.click("signin-submit").await?;
    browser.wait_until("!document.getElementById('signin-error').hidden").await?;
    assert_eq!(browser.text("signin-error").await?, "メールアドレスまたはパスワードが正しくありません。");
    assert_eq!(browser.value("signin-password").await?, "", "the wrong password is cleared");
    assert_eq!(active_id(&browser).await?, "signin-password");
    browser.assert_accessible("console: sign-in, wrong password").await?;

    browser.type_into("signin-password", &password).await?;
    browser.click("signin-submit").await?;
    wait_for_rows(&browser, 1).await?;
    assert_eq!(browser.text("account-name").await?, email);
    browser.assert_accessible("console: list").await?;
    assert_eq!(active_id(&browser).await?, "list-title");
    // The session is this tab's: a reload keeps it, and nothing but the token is stored.
    let stored = browser.eval("return Object.keys(sessionStorage)").await?;
    assert_eq!(stored, json!(["partner-console:session"]));
    let local = browser.eval("return localStorage.length").await?;
    assert_eq!(local, json!(0));
    browser.client.refresh().await?;
    browser.wait_until("document.documentElement.dataset.ready === 'true'").await?;
    wait_for_rows(&browser, 1).await?;
    browser.css("#list-rows a").await?.click().await?;
    browser.wait_until("!document.getElementById('detail-body').hidden").await?;
    assert_eq!(browser.eval("return window.__violations").await?, json!([]), "nothing the CSP blocks");
    browser.click("detail-back").await?;
    wait_for_rows(&browser, 1).await?;

    // サインアウト ends the session at the server too.
    let token =
        browser.eval("return JSON.parse(sessionStorage.getItem('partner-console:session')).token").await?;
    browser.click("sign-out").await?;
    browser.wait_until("document.documentElement.dataset.view === 'signin'").await?;
    assert_eq!(browser.eval("return sessionStorage.length").await?, json!(0));
    let after = reqwest::Client::new()
        .get(site.api("/api/admin/applications"))
        .bearer_auth(token.as_str().unwrap())
        .send()
        .await?;
    assert_eq!(after.status().as_u16(), 401, "the token no longer works");
    browser.close().await
}

#[tokio::test]
async fn the_list_filters_by_tab_and_search_and_the_url_keeps_the_place() -> Result<()> {
    let site = Site::start().await?;
    let corporation = site.verified_application(&application("corp@example.com", |_| {})).await?;
    let sole = site
        .verified_application(&application("sole@example.com", |a| {
            a["contractType"] = json!("sole_proprietor");
            a["corporateName"] = json!("");
            a["corporateNameKana"] = json!("");
            a["lastName"] = json!("𠮷野");
            a["firstName"] = json!("花子");
            a["lastNameKana"] = json!("ヨシノ");
            a["firstNameKana"] = json!("ハナコ");
            a["invoiceNumber"] = json!("");
            a["phone"] = json!("03-1234-5678");
        }))
        .await?;
    let browser = Browser::start(WIDTH, HEIGHT).await?;
    open_console(&browser, &site, "").await?;
    sign_in(&browser, &site).await?;
    wait_for_rows(&browser, 2).await?;
    // Newest first, with the columns the issue names.
    assert_eq!(
        listed(&browser).await?,
        [sole.reception_number.as_str(), corporation.reception_number.as_str()]
    );
    let first_row = browser
        .eval(
            "return [...document.querySelectorAll('#list-rows tr:first-child td')].map(td => td.textContent)",
        )
        .await?;
    let cells: Vec<String> = serde_json::from_value(first_row)?;
    assert_eq!(
        cells[1..],
        [
            sole.reception_number.clone(),
            "受付済".into(),
            "個人事業主".into(),
            "𠮷野 花子".into(),
            "sole@example.com".into(),
            // 担当: nobody yet.
            "—".into()
        ]
    );
    assert!(cells[0].starts_with("20"), "{cells:?}");

    // Search: a reception number exactly, a name by substring.
    browser.type_into("search-q", &corporation.reception_number).await?;
    press(&browser, ENTER).await?;
    wait_for_rows(&browser, 1).await?;
    assert_eq!(listed(&browser).await?, [corporation.reception_number.as_str()]);
    let url = browser.client.current_url().await?;
    assert!(
        !url.as_str().contains(&corporation.reception_number),
        "the search text stays out of the URL: {url}"
    );
    browser.css("#search-q").await?.clear().await?;
    browser.type_into("search-q", "𠮷野").await?;
    press(&browser, ENTER).await?;
    wait_for_rows(&browser, 1).await?;
    assert_eq!(listed(&browser).await?, [sole.reception_number.as_str()]);

    // Back: the previous search again; a reload keeps it.
    browser.client.back().await?;
    browser.wait_until("document.getElementById('search-q').value !== '𠮷野'").await?;
    wait_for_rows(&browser, 1).await?;
    assert_eq!(listed(&browser).await?, [corporation.reception_number.as_str()]);
    browser.client.refresh().await?;
    browser.wait_until("document.documentElement.dataset.ready === 'true'").await?;
    wait_for_rows(&browser, 1).await?;
    assert_eq!(browser.value("search-q").await?, corporation.reception_number);
    browser.click("search-clear").await?;
    wait_for_rows(&browser, 2).await?;

    // A tab: the URL says it, back returns to 受付済.
    browser.click("tab-approved").await?;
    wait_for_rows(&browser, 0).await?;
    assert!(browser.client.current_url().await?.as_str().ends_with("/admin/?status=approved"));
    assert!(browser.is_shown("list-empty").await?);
    browser.assert_accessible("console: an empty tab").await?;
    assert_eq!(
        browser.eval("return document.getElementById('tab-approved').getAttribute('aria-current')").await?,
        "page"
    );
    browser.client.back().await?;
    wait_for_rows(&browser, 2).await?;

    // The detail from the list, back to the list.
    open_detail(&browser, &sole).await?;
    assert!(
        browser
            .client
            .current_url()
            .await?
            .as_str()
            .ends_with(&format!("/admin/?view=detail&id={}", sole.application_id))
    );
    let fields = browser
        .eval("return Object.fromEntries([...document.querySelectorAll('#detail-fields [data-field]')].map(r => [r.dataset.field, [r.querySelector('dt').textContent, r.querySelector('dd').textContent]]))")
        .await?;
    assert_eq!(fields["lastName"], json!(["名前(姓)", "𠮷野"]));
    assert_eq!(fields["contractType"], json!(["契約者種別", "個人事業主"]));
    assert_eq!(fields["phone"], json!(["電話番号", "03-1234-5678"]));
    assert!(fields.get("corporateName").is_none(), "no corporate fields for a sole proprietor");
    let history = browser.text("detail-history").await?;
    assert!(history.contains("お申し込み") && history.contains("メールアドレスの確認"), "{history}");
    browser.assert_accessible("console: a sole proprietor's detail").await?;
    browser.client.back().await?;
    wait_for_rows(&browser, 2).await?;
    browser.close().await
}

/// Each decision through its dialog, with the mail it sends read back.
#[tokio::test]
async fn each_decision_is_confirmed_in_a_dialog_and_mails_the_applicant() -> Result<()> {
    let (site, browser, applied) = console_with(3).await?;

    // 資料提出を依頼: a message is required; a template fills it, editable.
    open_detail(&browser, &applied[0]).await?;
    open_decision(&browser, "request_documents").await?;
    assert_eq!(active_id(&browser).await?, "decision-message");
    let consequence = browser.text("decision-consequence").await?;
    assert!(consequence.contains("資料提出のお願い") && consequence.contains("メール"), "{consequence}");
    browser.click("decision-submit").await?;
    browser.wait_until("!document.getElementById('decision-message-error').hidden").await?;
    assert_eq!(active_id(&browser).await?, "decision-message");
    browser.assert_accessible("console: the documents dialog with its error").await?;
    browser.css("#decision-templates button").await?.click().await?;
    browser.type_into("decision-message", "\n担当: 審査チーム 佐藤").await?;
    browser.click("decision-submit").await?;
    browser.wait_until("!document.getElementById('decision-dialog').open").await?;
    browser.wait_until("document.getElementById('detail-status').textContent === '資料提出待ち'").await?;
    assert_eq!(active_id(&browser).await?, "detail-title");
    let mail = mail_to(&site, "documents-requested", "partner0@example.com").await?;
    assert!(mail.contains("履歴事項全部証明書") && mail.contains("担当: 審査チーム 佐藤"), "{mail}");
    assert!(browser.text("detail-history").await?.contains("担当: 審査チーム 佐藤"));

    // 承認: no message; the consequence says a contract is formed and a code issued.
    open_decision(&browser, "approve").await?;
    assert!(!browser.is_shown("decision-message-field").await?);
    let consequence = browser.text("decision-consequence").await?;
    assert!(consequence.contains("契約が成立") && consequence.contains("取次店コード"), "{consequence}");
    browser.assert_accessible("console: the approval dialog").await?;
    // A double click decides once: the button is busy after the first.
    browser.eval("const b = document.getElementById('decision-submit'); b.click(); b.click();").await?;
    browser.wait_until("document.getElementById('detail-partner-code')").await?;
    let code = browser.text("detail-partner-code").await?;
    assert!(code.starts_with("TC-"), "{code}");
    assert_eq!(status_shown(&browser).await?, "承認");
    browser.assert_accessible("console: an approved detail").await?;
    let mail = mail_to(&site, "approved", "partner0@example.com").await?;
    assert!(mail.contains(&code), "{mail}");
    let buttons = browser.eval("return document.getElementById('decide-buttons').children.length").await?;
    assert_eq!(buttons, json!(0), "nothing left to decide");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mails_of_kind(&site, "approved"), 1, "one approval mail");

    // 否認 with an optional message, from the list again.
    browser.click("detail-back").await?;
    wait_for_rows(&browser, 2).await?;
    open_detail(&browser, &applied[1]).await?;
    open_decision(&browser, "reject").await?;
    browser.assert_accessible("console: the rejection dialog").await?;
    browser.type_into("decision-message", "今回は見送らせていただきます。").await?;
    browser.click("decision-submit").await?;
    browser.wait_until("document.getElementById('detail-status').textContent === '否認'").await?;
    let mail = mail_to(&site, "rejected", "partner1@example.com").await?;
    assert!(mail.contains("今回は見送らせていただきます。"), "{mail}");

    // The tabs count what is where.
    browser.click("detail-back").await?;
    wait_for_rows(&browser, 1).await?;
    browser.wait_until("document.querySelector('#tab-approved .tabs__count')").await?;
    let counts = browser
        .eval("return Object.fromEntries([...document.querySelectorAll('.tabs__link')].map(a => [a.id, a.querySelector('.tabs__count') && a.querySelector('.tabs__count').textContent]))")
        .await?;
    assert_eq!(counts["tab-received"], "1");
    assert_eq!(counts["tab-approved"], "1");
    assert_eq!(counts["tab-rejected"], "1");
    assert_eq!(counts["tab-documents_requested"], "0");
    browser.close().await
}

/// 訂正: the detail's fields become inputs under the form's labels (the
/// address and the contract type stay as they are), the changes are shown
/// before saving, a value the form refuses comes back beside its input, and
/// the saved street is mailed to the applicant once (read back from the outbox).
#[tokio::test]
async fn a_correction_of_the_street_is_reviewed_saved_and_mailed_once() -> Result<()> {
    let (site, browser, applied) = console_with(1).await?;
    open_detail(&browser, &applied[0]).await?;
    browser.click("correct-open").await?;
    browser.wait_until("document.getElementById('correct-addressStreet')").await?;
    assert_eq!(active_id(&browser).await?, "correct-corporateName", "the first input has the focus");
    let label =
        browser.eval("return document.querySelector('label[for=correct-addressStreet]').textContent").await?;
    assert_eq!(label, json!("住所(町域、丁目・番地)"));
    let email_input = browser.eval("return Boolean(document.getElementById('correct-email'))").await?;
    assert_eq!(email_input, json!(false), "the address is not an input");
    browser.assert_accessible("console: a correction in place").await?;

    // A value the form refuses: beside its input, with the form's own message.
    browser.eval("document.getElementById('correct-phone').value = '12'").await?;
    browser.click("correction-review").await?;
    browser.wait_until("document.getElementById('correction-dialog').open").await?;
    browser.click("correction-submit").await?;
    browser.wait_until("!document.getElementById('correct-phone-error').hidden").await?;
    assert_eq!(active_id(&browser).await?, "correct-phone");
    assert_eq!(
        browser.eval("return document.getElementById('correct-phone').getAttribute('aria-invalid')").await?,
        json!("true")
    );

    // The street: the change is shown before it is saved.
    browser.eval("document.getElementById('correct-phone').value = '06-6292-8811'").await?;
    browser.eval("document.getElementById('correct-addressStreet').value = ''").await?;
    browser.type_into("correct-addressStreet", "梅田1-2-3").await?;
    browser.click("correction-review").await?;
    browser.wait_until("document.getElementById('correction-dialog').open").await?;
    let changes = browser.text("correction-changes").await?;
    assert!(
        changes.contains("住所(町域、丁目・番地)")
            && changes.contains("大深町4-20")
            && changes.contains("梅田1-2-3"),
        "{changes}"
    );
    assert!(!changes.contains("電話番号"), "only what changed: {changes}");
    assert!(browser.text("correction-consequence").await?.contains("登録内容訂正のお知らせ"));
    browser.assert_accessible("console: a correction's changes before saving").await?;
    browser.eval("const b = document.getElementById('correction-submit'); b.click(); b.click();").await?;
    browser.wait_until("!document.getElementById('correction-dialog').open && !document.getElementById('correct-open').hidden").await?;
    let street = browser
        .eval("return document.querySelector('#detail-fields [data-field=addressStreet] dd').textContent")
        .await?;
    assert_eq!(street, json!("梅田1-2-3"));
    let history = browser.text("detail-history").await?;
    assert!(history.contains("登録内容の訂正") && history.contains("住所(町域、丁目・番地)"), "{history}");
    assert!(!history.contains("梅田"), "no value in the history: {history}");
    assert_eq!(status_shown(&browser).await?, "受付済");

    let mail = mail_to(&site, "corrected", "partner0@example.com").await?;
    assert!(mail.contains("住所(町域、丁目・番地)") && mail.contains("梅田1-2-3"), "{mail}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mails_of_kind(&site, "corrected"), 1, "one correction mail");
    browser.close().await
}

#[tokio::test]
async fn a_decision_after_another_operators_change_reloads_and_explains() -> Result<()> {
    let (site, browser, applied) = console_with(1).await?;
    open_detail(&browser, &applied[0]).await?;
    open_decision(&browser, "reject").await?;
    browser.type_into("decision-message", "見送りの理由です。").await?;

    // Meanwhile a second operator session asks for documents (version 2 → 3).
    let token = site.operator_token().await?;
    let other = reqwest::Client::new()
        .post(site.api(&format!("/api/admin/applications/{}/decisions", applied[0].application_id)))
        .bearer_auth(&token)
        .header("idempotency-key", "second-session-decision-01")
        .json(&json!({ "decision": "request_documents", "expectedVersion": 2, "message": "登記簿をお送りください。" }))
        .send()
        .await?;
    assert_eq!(other.status().as_u16(), 200);

    browser.click("decision-submit").await?;
    browser.wait_until("!document.getElementById('detail-notice').hidden").await?;
    let notice = browser.text("detail-notice").await?;
    assert!(notice.contains("他の運用者") && notice.contains("最新の内容"), "{notice}");
    assert!(
        !browser.eval("return document.getElementById('decision-dialog').open").await?.as_bool().unwrap()
    );
    assert_eq!(status_shown(&browser).await?, "資料提出待ち", "reloaded");
    assert!(browser.text("detail-history").await?.contains("登記簿をお送りください。"));
    assert_eq!(active_id(&browser).await?, "detail-notice");
    browser.assert_accessible("console: a version conflict explained").await?;
    // The message typed is still there when the operator tries again.
    open_decision(&browser, "reject").await?;
    assert_eq!(browser.value("decision-message").await?, "見送りの理由です。");
    browser.click("decision-submit").await?;
    browser.wait_until("document.getElementById('detail-status').textContent === '否認'").await?;
    mail_to(&site, "rejected", "partner0@example.com").await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mails_of_kind(&site, "rejected"), 1, "one rejection mail");
    browser.close().await
}

#[tokio::test]
async fn an_expired_session_asks_to_sign_in_again_and_loses_nothing_typed() -> Result<()> {
    let (site, browser, applied) = console_with(1).await?;
    open_detail(&browser, &applied[0]).await?;
    open_decision(&browser, "request_documents").await?;
    browser.type_into("decision-message", "決算書の写しをお送りください。").await?;
    // The session ends (signed out elsewhere, or expired) while the dialog is open.
    let token =
        browser.eval("return JSON.parse(sessionStorage.getItem('partner-console:session')).token").await?;
    let ended = reqwest::Client::new()
        .delete(site.api(shared::routes::local_sessions::SIGN_OUT))
        .bearer_auth(token.as_str().unwrap())
        .send()
        .await?;
    assert_eq!(ended.status().as_u16(), 204);

    browser.click("decision-submit").await?;
    browser.wait_until("document.getElementById('reauth-dialog').open").await?;
    let (email, password) = operator(&site);
    assert_eq!(browser.value("reauth-email").await?, email, "the operator's own address is offered");
    assert_eq!(active_id(&browser).await?, "reauth-email");
    browser.assert_accessible("console: signing in again").await?;
    browser.click("reauth-secret").await?;
    browser.type_into("reauth-secret", &password).await?;
    press(&browser, ENTER).await?;
    // Signed in again, the decision goes through with what was typed.
    browser.wait_until("document.getElementById('detail-status').textContent === '資料提出待ち'").await?;
    let mail = mail_to(&site, "documents-requested", "partner0@example.com").await?;
    assert!(mail.contains("決算書の写しをお送りください。"), "{mail}");
    browser.close().await
}

#[tokio::test]
async fn the_csv_of_the_current_tab_downloads() -> Result<()> {
    let (_site, browser, applied) = console_with(2).await?;
    let downloads = tempfile::tempdir()?;
    browser
        .cdp(
            "Browser.setDownloadBehavior",
            json!({ "behavior": "allow", "downloadPath": downloads.path().to_str().unwrap() }),
        )
        .await?;
    browser.click("export-csv").await?;
    let mut file = None;
    for _ in 0..200 {
        file = std::fs::read_dir(downloads.path())?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|x| x == "csv"));
        if file.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let file = file.context("a downloaded CSV")?;
    let name = file.file_name().unwrap().to_str().unwrap().to_owned();
    assert!(name.starts_with("applications-received-"), "{name}");
    let bytes = std::fs::read(&file)?;
    let text = std::str::from_utf8(&bytes)?.strip_prefix('\u{FEFF}').context("a BOM")?;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert!(reader.headers()?.iter().any(|h| h == "メールアドレス"));
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>()?;
    assert_eq!(rows.len(), applied.len());
    for applied in &applied {
        assert!(
            rows.iter().any(|r| r.iter().any(|c| c == applied.reception_number)),
            "{}",
            applied.reception_number
        );
    }
    browser.close().await
}

/// The list's announcement (「受付済」: 1件表示中) reaches assistive technology
/// without a toast over the page: it once stayed on screen after an application
/// was opened, over the detail's related applications at 1280 px.
#[tokio::test]
async fn the_lists_announcement_never_covers_the_page() -> Result<()> {
    let (_site, browser, applied) = console_with(2).await?;
    browser.type_into("search-q", &applied[0].reception_number).await?;
    press(&browser, ENTER).await?;
    wait_for_rows(&browser, 1).await?;
    browser.wait_until("document.getElementById('console-status').textContent.includes('件')").await?;
    let size = "const r = document.getElementById('console-status').getBoundingClientRect(); return [r.width, r.height]";
    let (width, height): (f64, f64) = serde_json::from_value(browser.eval(size).await?)?;
    assert!(width <= 1.0 && height <= 1.0, "announced, not shown: {width}×{height}");
    open_detail(&browser, &applied[0]).await?;
    let left = browser.eval("return document.getElementById('console-status').textContent").await?;
    assert_eq!(left, json!(""), "nothing of the list is left over the detail");
    browser.close().await
}

#[tokio::test]
async fn erasure_needs_a_reason_and_a_second_confirmation() -> Result<()> {
    let (site, browser, applied) = console_with(1).await?;
    open_detail(&browser, &applied[0]).await?;
    browser.click("erase-open").await?;
    browser.wait_until("document.getElementById('erasure-dialog').open").await?;
    assert_eq!(active_id(&browser).await?, "erasure-reason");
    browser.click("erasure-next").await?;
    browser.wait_until("!document.getElementById('erasure-reason-error').hidden").await?;
    assert!(!browser.is_shown("erasure-submit").await?, "no erasure without a reason");
    browser.assert_accessible("console: erasure, the reason").await?;
    // A code from the list, never free text (it is kept for good).
    let options = browser
        .eval("return [...document.getElementById('erasure-reason').options].map((o) => o.value).filter(Boolean)")
        .await?;
    assert_eq!(options, json!(["applicant_request", "duplicate", "mistaken", "retention", "other"]));
    browser.choose("erasure-reason", "applicant_request").await?;
    browser.click("erasure-next").await?;
    browser.wait_until("!document.getElementById('erasure-step-confirm').hidden").await?;
    assert_eq!(active_id(&browser).await?, "erasure-confirm-text");
    assert!(browser.text("erasure-confirm-text").await?.contains("元に戻せません"));
    browser.assert_accessible("console: erasure, the second confirmation").await?;
    // Cancelling leaves everything as it was.
    browser.click("erasure-cancel").await?;
    assert_eq!(active_id(&browser).await?, "erase-open", "focus back on the opener");
    assert!(browser.text("detail-fields").await?.contains("partner0@example.com"));

    browser.click("erase-open").await?;
    browser.wait_until("document.getElementById('erasure-dialog').open").await?;
    browser.choose("erasure-reason", "applicant_request").await?;
    browser.click("erasure-next").await?;
    assert!(browser.text("erasure-reason-echo").await?.contains("ご本人からの削除請求"));
    browser.click("erasure-submit").await?;
    browser.wait_until("!document.getElementById('detail-erased').hidden").await?;
    assert!(!browser.text("detail-fields").await?.contains("partner0@example.com"));
    assert!(!browser.is_shown("mails-panel").await?, "no mails once erased");
    let history = browser.text("detail-history").await?;
    assert!(history.contains("個人情報の消去") && history.contains("ご本人からの削除請求"), "{history}");
    browser.assert_accessible("console: an erased application").await?;
    assert_eq!(
        browser.eval("return document.getElementById('decide-buttons').children.length").await?,
        json!(0)
    );
    // Gone from the list; the audit names it by id only.
    browser.click("nav-audit").await?;
    browser.wait_until("document.documentElement.dataset.view === 'audit' && document.querySelectorAll('#audit-rows tr').length > 0").await?;
    let audit = browser.text("audit-rows").await?;
    assert!(audit.contains("個人情報の消去") && audit.contains(&applied[0].application_id), "{audit}");
    assert!(!audit.contains("partner0@example.com"));
    browser.assert_accessible("console: the audit").await?;
    browser.click("nav-list").await?;
    wait_for_rows(&browser, 0).await?;
    let _ = site;
    browser.close().await
}

/// The contract's *Who may do what* in the console: an operator (not a
/// supervisor) sees no erasure, export or audit, and the server refuses the
/// audit's address typed in; the first account, a supervisor, sees all three.
#[tokio::test]
async fn an_operator_sees_no_erasure_export_or_audit_and_a_supervisor_does() -> Result<()> {
    let site = Site::start().await?;
    let applied = site.verified_application(&application("roles@example.com", |_| {})).await?;
    let (email, password) = site.add_operator("clerk@example.com", shared::domain::Role::Operator)?;
    let browser = Browser::start(WIDTH, HEIGHT).await?;
    let result = async {
        open_console(&browser, &site, "").await?;
        sign_in_as(&browser, &email, &password).await?;
        wait_for_rows(&browser, 1).await?;
        assert_eq!(browser.eval("return document.documentElement.dataset.roles").await?, "operator");
        assert!(browser.is_shown("nav-list").await?);
        for control in ["nav-audit", "export-csv", "export-note"] {
            assert!(!browser.is_shown(control).await?, "{control} is shown to an operator");
        }
        open_detail(&browser, &applied).await?;
        assert!(browser.is_shown("decide-approve").await?, "an operator decides");
        assert!(!browser.is_shown("erase-panel").await?, "no erasure for an operator");
        assert!(!browser.is_shown("erase-open").await?);
        browser.assert_accessible("an operator's detail").await?;
        // The audit's address typed in: the server refuses it, and says why.
        open_console(&browser, &site, "?view=audit").await?;
        browser.wait_until("!document.getElementById('audit-error').hidden").await?;
        let refused = browser.text("audit-error").await?;
        assert!(refused.contains("責任者"), "{refused}");
        assert!(!browser.is_shown("nav-audit").await?);

        browser.click("sign-out").await?;
        open_console(&browser, &site, "").await?;
        sign_in(&browser, &site).await?;
        wait_for_rows(&browser, 1).await?;
        assert_eq!(browser.eval("return document.documentElement.dataset.roles").await?, "operator supervisor");
        for control in ["nav-audit", "export-csv", "export-note"] {
            assert!(browser.is_shown(control).await?, "{control} is hidden from a supervisor");
        }
        open_detail(&browser, &applied).await?;
        assert!(browser.is_shown("erase-panel").await? && browser.is_shown("erase-open").await?);
        browser.click("nav-audit").await?;
        browser.wait_until("document.documentElement.dataset.view === 'audit' && document.querySelectorAll('#audit-rows tr').length > 0").await?;
        assert!(!browser.is_shown("audit-error").await?);
        anyhow::Ok(())
    }
    .await;
    browser.close().await?;
    result
}

/// The desk (contract v3, *Notes* and *Assignment*): a note added in the
/// detail shows at the top of the notes, beside the history, and leaves the
/// version (a decision after it succeeds); 自分に割り当てる makes the
/// operator the assignee, and the list's 担当: 自分 shows exactly that one.
#[tokio::test]
async fn a_note_an_assignment_to_self_and_the_own_filter() -> Result<()> {
    let (site, browser, applied) = console_with(2).await?;
    let result = async {
        let (email, _) = operator(&site);
        open_detail(&browser, &applied[0]).await?;
        assert_eq!(browser.text("assignee-current").await?, "未割当");
        browser.type_into("note-text", "在籍確認の電話をしました。\n折り返し待ち").await?;
        browser.click("note-add").await?;
        browser.wait_until("document.querySelectorAll('#detail-notes .notes__item').length === 1").await?;
        let text = browser
            .eval("return document.querySelector('#detail-notes .notes__item .notes__text').textContent")
            .await?;
        assert_eq!(text, "在籍確認の電話をしました。\n折り返し待ち");
        assert_eq!(browser.eval("return document.getElementById('note-text').value").await?, "");
        browser.type_into("note-text", "二件目").await?;
        browser.click("note-add").await?;
        browser.wait_until("document.querySelectorAll('#detail-notes .notes__item').length === 2").await?;
        let first = browser
            .eval("return document.querySelector('#detail-notes .notes__item .notes__text').textContent")
            .await?;
        assert_eq!(first, "二件目", "newest first");
        // An empty note is refused with the server's Japanese message.
        browser.click("note-add").await?;
        browser.wait_until("!document.getElementById('note-error').hidden").await?;
        assert_eq!(browser.text("note-error").await?, "メモを入力してください。");

        browser.click("assign-me").await?;
        browser
            .wait_until(&format!(
                "document.getElementById('assignee-current').textContent === '{email}(自分)'"
            ))
            .await?;
        assert!(!browser.is_shown("assign-me").await? && browser.is_shown("assign-none").await?);
        // The version read before the note and the assignment still decides.
        open_decision(&browser, "approve").await?;
        browser.click("decision-submit").await?;
        browser.wait_until("document.getElementById('detail-status').textContent === '承認'").await?;
        browser.assert_accessible("console: the detail with notes and an assignee").await?;

        browser.click("detail-back").await?;
        wait_for_rows(&browser, 1).await?;
        browser.click("tab-all").await?;
        wait_for_rows(&browser, 2).await?;
        browser.click("assignee-me").await?;
        browser.wait_until("location.search.includes('assignee=me')").await?;
        wait_for_rows(&browser, 1).await?;
        assert_eq!(listed(&browser).await?, [applied[0].reception_number.clone()]);
        let cell =
            browser.eval("return document.querySelector('#list-rows tr td:last-child').textContent").await?;
        assert_eq!(cell, email.as_str());
        browser.click("assignee-none").await?;
        browser.wait_until("location.search.includes('assignee=none')").await?;
        wait_for_rows(&browser, 1).await?;
        assert_eq!(listed(&browser).await?, [applied[1].reception_number.clone()]);
        browser.assert_accessible("console: the list's 担当 filter").await?;
        anyhow::Ok(())
    }
    .await;
    browser.close().await?;
    result
}

/// The mails of the detail of `applied`, as the console shows them: for each
/// row, its mail id, and its cells' text (メール, 配信状況, 宛先, 送信日時).
async fn mails_shown(browser: &Browser) -> Result<Vec<(String, Vec<String>)>> {
    let rows = browser
        .eval("return [...document.querySelectorAll('#detail-mails tr')].map(tr => [tr.dataset.mailId, [...tr.cells].map(td => td.textContent)])")
        .await?;
    Ok(serde_json::from_value(rows)?)
}

/// Mail delivery status (contract v3): the detail lists every mail sent
/// about an approved application, each 送信済み once in the outbox; SES's
/// bounce of the 受付の控え, fed to the local server as a supervisor may, shows
/// as 不達 with its reason after a reload, and the list flags the row in words.
#[tokio::test]
async fn the_detail_lists_each_mail_and_a_bounce_flags_the_row() -> Result<()> {
    let (site, browser, applied) = console_with(2).await?;
    let result = async {
        // Both mails of the confirmation are recorded before the detail is opened.
        site.listed_mails(&applied[0], 2).await?;
        open_detail(&browser, &applied[0]).await?;
        let shown = mails_shown(&browser).await?;
        assert_eq!(
            shown.iter().map(|(id, cells)| (id.as_str(), cells[0].as_str(), cells[1].as_str(), cells[2].as_str())).collect::<Vec<_>>(),
            [
                ("acknowledgement", "受付の控え", "送信済み", "申込者"),
                ("operator-notice", "新しいお申し込みの通知(担当者宛)", "送信済み", "担当者"),
            ],
            "the verification link is not listed"
        );
        assert!(shown.iter().all(|(_, cells)| cells[3].starts_with("20")), "送信日時: {shown:?}");
        assert!(!browser.is_shown("mails-empty").await?);
        assert!(
            browser.eval("return document.getElementById('detail-mail-problem')").await?.is_null(),
            "no problem yet"
        );

        // 承認: its 審査完了のお知らせ is listed once it is sent (after a reload).
        open_decision(&browser, "approve").await?;
        browser.click("decision-submit").await?;
        browser.wait_until("document.getElementById('detail-partner-code')").await?;
        mail_to(&site, "approved", &applied[0].email).await?;
        let mails = site.listed_mails(&applied[0], 3).await?;
        browser.client.refresh().await?;
        browser.wait_until("document.documentElement.dataset.ready === 'true'").await?;
        wait_for_detail(&browser, &applied[0]).await?;
        let shown = mails_shown(&browser).await?;
        assert_eq!(shown.len(), 3, "{shown:?}");
        assert_eq!(shown[2].1[0], "審査完了のお知らせ");
        assert!(shown.iter().all(|(_, cells)| cells[1] == "送信済み"), "{shown:?}");

        // The 控え bounced: SES's event for it, tagged as the mail was sent.
        let acknowledgement = mails.iter().find(|m| m["mailId"] == "acknowledgement").context("the 控え")?;
        site.feed_ses_event(&applied[0], acknowledgement, "bounce-noemail").await?;
        browser.client.refresh().await?;
        browser.wait_until("document.documentElement.dataset.ready === 'true'").await?;
        wait_for_detail(&browser, &applied[0]).await?;
        browser.wait_until("document.querySelector('#detail-mails tr[data-mail-id=acknowledgement][data-status=bounced]')").await?;
        let bounced = browser
            .eval(
                "const td = document.querySelector('#detail-mails tr[data-mail-id=acknowledgement] td:nth-child(2)');
                 return { badge: td.querySelector('.delivery').textContent, tone: td.querySelector('.delivery').className,
                          reason: td.querySelector('.delivery__note').textContent, at: td.querySelector('.delivery__at').textContent };",
            )
            .await?;
        assert_eq!(bounced["badge"], "不達");
        assert_eq!(bounced["tone"], "delivery delivery--danger");
        assert_eq!(bounced["reason"], "宛先のメールアドレスが存在しません");
        assert!(bounced["at"].as_str().unwrap_or_default().ends_with("に更新"), "{bounced}");
        let shown = mails_shown(&browser).await?;
        assert_eq!(shown[1].1[1], "送信済み", "the operators' notice is as it was");
        assert_eq!(shown[2].1[1], "送信済み");
        let problem = browser.text("detail-mail-problem").await?;
        assert!(problem.contains("届いていません"), "{problem}");
        browser.eval("document.activeElement.blur()").await?;
        browser.assert_accessible("console: the detail's mails with a bounce").await?;

        // The table scrolls by keyboard: Tab reaches it from the heading.
        browser.eval("document.getElementById('detail-title').focus()").await?;
        let mut reached = false;
        for _ in 0..30 {
            press(&browser, TAB).await?;
            if active_id(&browser).await? == "mails-table-wrap" {
                reached = true;
                break;
            }
        }
        assert!(reached, "the mails' table is reachable by Tab");

        // At 375 px: nothing wider than the window (the table scrolls in its
        // box), and each mail's status in view before it scrolls.
        browser.set_viewport(375, 800).await?;
        let narrow = browser
            .eval(
                "const wrap = document.getElementById('mails-table-wrap').getBoundingClientRect();
                 const statuses = [...document.querySelectorAll('#detail-mails .delivery')].map(b => b.getBoundingClientRect());
                 return { overflow: document.documentElement.scrollWidth - window.innerWidth,
                          statusesInView: statuses.every(r => r.right <= wrap.right) };",
            )
            .await?;
        assert_eq!(narrow, json!({ "overflow": 0, "statusesInView": true }), "the detail at 375 px");
        browser.assert_accessible("console: the detail's mails at 375 px").await?;

        // The list flags the row, in words, beside its status (in view at 375
        // px); the other row has no flag.
        browser.click("detail-back").await?;
        wait_for_rows(&browser, 1).await?;
        browser.click("tab-all").await?;
        wait_for_rows(&browser, 2).await?;
        let in_view = browser
            .eval("return document.querySelector('#list-rows .mail-flag').getBoundingClientRect().right <= document.querySelector('#list-table').parentElement.getBoundingClientRect().right")
            .await?;
        assert_eq!(in_view, json!(true), "the flag at 375 px");
        browser.assert_accessible("console: the list with a flagged row at 375 px").await?;
        browser.set_viewport(WIDTH, HEIGHT).await?;
        let flags = browser
            .eval("return Object.fromEntries([...document.querySelectorAll('#list-rows tr')].map(tr => [tr.dataset.applicationId, tr.querySelector('.mail-flag') && tr.querySelector('.mail-flag').textContent]))")
            .await?;
        assert_eq!(flags[&applied[0].application_id], "メール不達");
        assert_eq!(flags[&applied[1].application_id], Value::Null);
        let status = browser
            .eval(&format!(
                "return document.querySelector('#list-rows tr[data-application-id=\"{}\"] td:nth-child(3)').textContent",
                applied[0].application_id
            ))
            .await?;
        assert_eq!(status, "承認 メール不達", "the status, then the flag as a word of its own");
        let columns = browser.eval("return document.querySelectorAll('#list-table thead th').length").await?;
        assert_eq!(columns, json!(7), "no column added");
        browser.assert_accessible("console: the list with a flagged row").await?;
        anyhow::Ok(())
    }
    .await;
    browser.close().await?;
    result
}

#[tokio::test]
async fn an_application_is_approved_by_keyboard_alone() -> Result<()> {
    let (site, browser, applied) = console_with(1).await?;
    // From the list's heading: through the tools to the row's link.
    let mut reached = false;
    for _ in 0..30 {
        press(&browser, TAB).await?;
        let link = browser.eval("return document.activeElement.closest('#list-rows') !== null").await?;
        if link.as_bool() == Some(true) {
            reached = true;
            break;
        }
    }
    assert!(reached, "the row's link is reachable by Tab");
    press(&browser, ENTER).await?;
    wait_for_detail(&browser, &applied[0]).await?;
    assert_eq!(active_id(&browser).await?, "detail-title");
    let mut on_approve = false;
    for _ in 0..40 {
        press(&browser, TAB).await?;
        if active_id(&browser).await? == "decide-approve" {
            on_approve = true;
            break;
        }
    }
    assert!(on_approve, "承認 is reachable by Tab");
    press(&browser, ENTER).await?;
    browser.wait_until("document.getElementById('decision-dialog').open").await?;
    assert_eq!(active_id(&browser).await?, "decision-cancel", "focus in the dialog, on the safe choice");
    // Esc closes it and gives focus back to 承認.
    press(&browser, "\u{E00C}").await?;
    browser.wait_until("!document.getElementById('decision-dialog').open").await?;
    assert_eq!(active_id(&browser).await?, "decide-approve");
    press(&browser, ENTER).await?;
    browser.wait_until("document.getElementById('decision-dialog').open").await?;
    press(&browser, TAB).await?;
    assert_eq!(active_id(&browser).await?, "decision-submit");
    press(&browser, ENTER).await?;
    browser.wait_until("document.getElementById('detail-partner-code')").await?;
    assert_eq!(status_shown(&browser).await?, "承認");
    assert_eq!(active_id(&browser).await?, "detail-title");
    mail_to(&site, "approved", "partner0@example.com").await?;
    browser.close().await
}

#[tokio::test]
async fn the_detail_shows_the_reviewers_checks() -> Result<()> {
    let site = Site::start().await?;
    let first = site.verified_application(&application("first@example.com", |_| {})).await?;
    // Another corporation with the same phone, and a region that does not match its postal code.
    let second = site
        .verified_application(&application("second@example.com", |a| {
            a["corporateName"] = json!("別会社株式会社");
            a["corporateNameKana"] = json!("ベツガイシャカブシキガイシャ");
            a["addressRegion"] = json!("東京都千代田区");
            a["invoiceNumber"] = json!("");
        }))
        .await?;
    let browser = Browser::start(WIDTH, HEIGHT).await?;
    open_console(&browser, &site, &format!("?view=detail&id={}", second.application_id)).await?;
    sign_in(&browser, &site).await?;
    wait_for_detail(&browser, &second).await?;
    browser.wait_until("document.querySelector('#detail-checks [data-check=postalCode]')").await?;
    let postal = browser
        .eval("return document.querySelector('#detail-checks [data-check=postalCode]').dataset.state")
        .await?;
    assert_eq!(postal, "warn", "東京都千代田区 is not 530-0011's");
    browser
        .wait_until(&format!(
            "document.querySelector('#detail-related [data-application-id=\"{}\"]')",
            first.application_id
        ))
        .await?;
    let related = browser.text("detail-related").await?;
    assert!(related.contains(&first.reception_number) && related.contains("電話番号"), "{related}");

    open_console(&browser, &site, &format!("?view=detail&id={}", first.application_id)).await?;
    wait_for_detail(&browser, &first).await?;
    browser.wait_until("document.querySelector('#detail-checks [data-check=postalCode]')").await?;
    let states = browser
        .eval("return Object.fromEntries([...document.querySelectorAll('#detail-checks [data-check]')].map(li => [li.dataset.check, li.dataset.state]))")
        .await?;
    assert_eq!(states["postalCode"], "ok");
    assert_eq!(states["invoiceNumber"], "ok", "the seed's T-number has a valid check digit");
    browser.assert_accessible("console: a detail with its checks").await?;
    browser.close().await
}

/// The page rules: no inline script, style or handler; no markup parsed from
/// strings; served under a CSP header without `unsafe-inline` (the page has
/// no `<meta>` policy of its own, which would intersect with the header's).
#[tokio::test]
async fn the_console_follows_the_page_rules() -> Result<()> {
    let web = integration_tests::browser::web_dir();
    let html = std::fs::read_to_string(web.join("admin/index.html"))?;
    assert!(!html.contains("<script>") && !html.contains(" style=") && !html.contains("<style"));
    let handler = html.match_indices(" on").any(|(at, _)| {
        let rest = &html[at + 3..];
        let name_len = rest.bytes().take_while(u8::is_ascii_lowercase).count();
        name_len > 0 && rest[name_len..].starts_with('=')
    });
    assert!(!handler, "no inline event handlers");
    assert!(html.contains(r#"<script type="module" src="js/console.js">"#));
    let mut modules = 0;
    for entry in std::fs::read_dir(web.join("admin/js"))? {
        let source = std::fs::read_to_string(entry?.path())?;
        for banned in [
            "innerHTML",
            "insertAdjacentHTML",
            "outerHTML",
            "eval(",
            "new Function",
            "localStorage",
            "document.write",
        ] {
            assert!(!source.contains(banned), "{banned}");
        }
        modules += 1;
    }
    assert!(modules > 5);

    let site = Site::start().await?;
    let page = reqwest::get(site.api("/admin/")).await?;
    assert_eq!(page.status().as_u16(), 200);
    let policy = page.headers()["content-security-policy"].to_str()?.to_owned();
    assert!(policy.contains("default-src 'self'") && !policy.contains("unsafe"), "{policy}");
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    let without_slash = reqwest::get(site.api("/admin")).await?;
    assert_eq!(without_slash.status().as_u16(), 200);
    Ok(())
}

/// No page asks for a file that is not there: every load of the form, the
/// verification page and the console once logged a 404 for `/favicon.ico`;
/// they link the served icon now.
#[tokio::test]
async fn no_page_load_logs_a_missing_file() -> Result<()> {
    let site = Site::start().await?;
    let browser = Browser::start(WIDTH, HEIGHT).await?;
    for path in ["/", "/verify", "/admin/"] {
        browser.client.goto(&site.api(path)).await?;
        browser.wait_until("document.documentElement.dataset.ready === 'true'").await?;
        // The icon is asked for after the load, by the browser itself: no
        // event of the page says when, so give it the time it takes.
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
    let missing = browser.failed_loads(404).await?;
    assert!(missing.is_empty(), "404s in the browser's console: {missing:#?}");
    browser.close().await
}

/// At 1280 and 768 px: nothing wider than the window, and the detail's two
/// columns side by side without overlapping (a grid of tables once did).
#[tokio::test]
async fn the_console_lays_out_at_1280_and_768_px() -> Result<()> {
    let (site, browser, applied) = console_with(2).await?;
    for (width, height) in [(1280, 900), (768, 1000)] {
        browser.set_viewport(width, height).await?;
        open_console(&browser, &site, "").await?;
        wait_for_rows(&browser, 2).await?;
        let overflow =
            browser.eval("return document.documentElement.scrollWidth - window.innerWidth").await?;
        assert_eq!(overflow, json!(0), "the list at {width} px");
        open_console(&browser, &site, &format!("?view=detail&id={}", applied[0].application_id)).await?;
        wait_for_detail(&browser, &applied[0]).await?;
        let layout = browser
            .eval(
                "const main = document.querySelector('.detail-main').getBoundingClientRect();
                 const side = document.querySelector('.detail-side').getBoundingClientRect();
                 const widest = Math.max(...[...document.querySelectorAll('.detail-main .panel')].map(p => p.getBoundingClientRect().right));
                 return { overflow: document.documentElement.scrollWidth - window.innerWidth,
                          besides: side.left >= main.right, panelsInside: widest <= main.right + 0.5 };",
            )
            .await?;
        assert_eq!(
            layout,
            json!({ "overflow": 0, "besides": true, "panelsInside": true }),
            "the detail at {width} px"
        );
        browser.assert_accessible(&format!("console: the detail at {width} px")).await?;
    }
    browser.close().await
}

/// The AWS sign-in, against a stand-in for Cognito's endpoints
/// (`integration_tests::oauth`): the managed login by code + PKCE, the code
/// out of the address bar, a silent refresh when the token is about to
/// expire, and サインアウト revoking the refresh token and ending at the
/// managed login's logout.
#[tokio::test]
async fn on_aws_operators_sign_in_through_the_managed_login_with_pkce() -> Result<()> {
    use integration_tests::oauth::{CLIENT_ID, FakeCognito};
    use shared::http::console::{ConsoleConfig, SCOPE};
    let bound = FakeCognito::bind().await?;
    let domain = bound.domain()?;
    // The console's address is known once the site listens: a fixed port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let console = format!("http://127.0.0.1:{port}/admin/");
    let configured = ConsoleConfig::Cognito {
        domain: domain.clone(),
        client_id: CLIENT_ID.to_owned(),
        redirect_uri: console.clone(),
        logout_uri: console.clone(),
        scope: SCOPE.to_owned(),
    };
    let site = Site::start_on(port, move |c| c.console = configured.clone()).await?;
    let applied = site.verified_application(&application("aws@example.com", |_| {})).await?;
    let (email, password) = operator(&site);
    let fake = FakeCognito::serve(
        bound,
        &console,
        &site.api(shared::routes::local_sessions::SIGN_IN),
        &email,
        &password,
    )?;

    let config: Value = reqwest::get(site.api("/admin/config.json")).await?.json().await?;
    assert_eq!(config["signIn"], "cognito");
    let page = reqwest::get(site.api("/admin/")).await?;
    let policy = page.headers()["content-security-policy"].to_str()?.to_owned();
    assert!(policy.ends_with(&format!("connect-src 'self' {domain}")), "{policy}");

    let browser = Browser::start(WIDTH, HEIGHT).await?;
    open_console(&browser, &site, &format!("?view=detail&id={}", applied.application_id)).await?;
    browser.wait_until("document.documentElement.dataset.view === 'signin'").await?;
    assert!(!browser.is_shown("signin-form").await?, "no password form on AWS");
    browser.click("signin-cognito-start").await?;
    // Back from the managed login, on the page it started from.
    wait_for_detail(&browser, &applied).await?;
    let url = browser.client.current_url().await?;
    assert_eq!(
        url.as_str(),
        format!("{console}?view=detail&id={}", applied.application_id),
        "no code in the URL"
    );
    assert_eq!(fake.calls(), ["authorize", "token:authorization_code"]);
    assert_eq!(browser.text("account-name").await?, email, "from the ID token");
    let stored = browser.eval("return Object.keys(sessionStorage)").await?;
    assert_eq!(stored, json!(["partner-console:session"]), "the PKCE verifier is gone");

    // About to expire: the next call refreshes first, without leaving the page.
    browser
        .eval("const s = JSON.parse(sessionStorage.getItem('partner-console:session')); s.expiresAt = new Date(Date.now() + 5000).toISOString(); sessionStorage.setItem('partner-console:session', JSON.stringify(s));")
        .await?;
    browser.client.refresh().await?;
    browser.wait_until("document.documentElement.dataset.ready === 'true'").await?;
    wait_for_detail(&browser, &applied).await?;
    assert_eq!(fake.calls(), ["authorize", "token:authorization_code", "token:refresh_token"]);

    // A decision with the refreshed token, then サインアウト.
    open_decision(&browser, "approve").await?;
    browser.click("decision-submit").await?;
    browser.wait_until("document.getElementById('detail-partner-code')").await?;
    browser.click("sign-out").await?;
    browser.wait_until("document.documentElement.dataset.ready === 'true' && document.documentElement.dataset.view === 'signin'").await?;
    assert_eq!(
        fake.calls(),
        ["authorize", "token:authorization_code", "token:refresh_token", "revoke", "logout"]
    );
    assert_eq!(browser.eval("return sessionStorage.length").await?, json!(0));
    browser.close().await
}
