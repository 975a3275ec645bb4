//! The form in a real browser: headless Debian chromium through chromedriver,
//! against the local server (form and API on one origin, SQLite store).
//!
//! Needs /usr/bin/chromium and /usr/bin/chromedriver (scripts/dev-env installs
//! them); a missing browser fails these tests, it never skips them.

use anyhow::Result;
use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
use integration_tests::browser::{
    Browser, Site, corporation_application, seed_inputs, sole_proprietor_application,
};
use serde::Deserialize;
use serde_json::{Value, json};
use shared::domain::Status;
use shared::domain::{Application, RawApplication};
use shared::routes::public_routes;
use shared::store::Tooling;
use shared::store::sqlite::SqliteStore;

const WIDTH: u32 = 1280;
const HEIGHT: u32 = 900;

async fn open_form() -> Result<(Site, Browser)> {
    let site = Site::start().await?;
    let browser = Browser::start(WIDTH, HEIGHT).await?;
    browser.open(&site.url()).await?;
    Ok((site, browser))
}

async fn fill(browser: &Browser, values: &[(String, String)]) -> Result<()> {
    for (id, value) in values {
        browser.type_into(id, value).await?;
    }
    Ok(())
}

/// Fills the whole form for a corporation with the seed's examples and `email`.
async fn fill_corporation(browser: &Browser, email: &str) -> Result<()> {
    browser.click("contractType").await?;
    fill(browser, &seed_inputs(email)).await?;
    browser.click("agreedToTerms").await
}

/// What the form sends for [`fill_corporation`], as the contract's JSON.
fn corporation_json(email: &str) -> Value {
    corporation_application(email)
}

/// The Idempotency-Key the page made when it opened step 2 (kept in its draft).
async fn idempotency_key(browser: &Browser) -> Result<String> {
    let key = browser
        .eval("return JSON.parse(sessionStorage.getItem('partner-registration:draft')).idempotencyKey")
        .await?;
    Ok(key.as_str().expect("a key while step 2 is open").to_owned())
}

/// Goes from step 1 to step 2 and waits for it.
async fn confirm(browser: &Browser) -> Result<()> {
    browser.click("to-confirm").await?;
    browser
        .wait_until("location.hash === '#confirm' && !document.getElementById('step-confirm').hidden")
        .await
}

/// Presses 申し込む and waits for step 3; returns the link's expiry shown.
async fn submit_and_complete(browser: &Browser) -> Result<String> {
    browser.click("submit-application").await?;
    browser.wait_until("!document.getElementById('step-complete').hidden").await?;
    browser.text("expires-at").await
}

/// The decoded text of each mail of `kind` in the local server's outbox,
/// waiting (the server sends right after answering) until there are `count`.
async fn mails(site: &Site, kind: &str, count: usize) -> Result<Vec<String>> {
    let mails = site.wait_for_mails(count, |mail| mail.kind == kind).await?;
    Ok(mails.into_iter().map(|mail| mail.text).collect())
}

/// The verification link of a mail's text.
fn link_in(text: &str) -> String {
    integration_tests::browser::link_in(text).expect("a verification link")
}

/// The review rows of step 2, as (key, shown value).
async fn review(browser: &Browser) -> Result<Vec<(String, String)>> {
    let rows = browser
        .eval(
            "return Array.from(document.querySelectorAll('#review .review__row'), \
             row => [row.dataset.review, row.querySelector('dd').textContent])",
        )
        .await?;
    Ok(rows
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| (row[0].as_str().unwrap().to_owned(), row[1].as_str().unwrap().to_owned()))
        .collect())
}

/// Proves the application is stored, unverified: the local server's SQLite
/// store holds exactly one application, this one; through the API, the same
/// key and body replay the same answer. Returns its verification link, from
/// the one mail in the outbox.
async fn assert_stored(site: &Site, key: &str, body: &Value) -> Result<String> {
    let store = SqliteStore::open_dir(site.data.path())?;
    let stored = store.list_by_status(Status::AwaitingVerification, 10).await?;
    assert_eq!(stored.len(), 1, "one application stored");
    assert_eq!(
        store.list_by_status(Status::Received, 10).await?.len(),
        0,
        "not received before its link is used"
    );
    let raw = RawApplication::deserialize(body)?;
    assert_eq!(stored[0].application, Application::parse(&raw).expect("a valid body").application);

    let http = reqwest::Client::new();
    let replay =
        http.post(site.api("/api/applications")).header("Idempotency-Key", key).json(body).send().await?;
    assert_eq!(replay.status(), 202, "the stored application replays");
    assert_eq!(replay.headers().get("Idempotent-Replayed").map(|v| v.to_str().unwrap()), Some("true"));
    let replayed: Value = replay.json().await?;
    assert_eq!(replayed["status"], "verification_sent");

    let links = mails(site, "verification", 1).await?;
    assert_eq!(links.len(), 1, "one link mailed");
    Ok(link_in(&links[0]))
}

/// Opens a verification link, checks what it shows, confirms, and returns the
/// reception number the page then shows.
async fn confirm_by_link(browser: &Browser, link: &str) -> Result<String> {
    browser.open(link).await?;
    browser.wait_until("!document.getElementById('verify-preview').hidden").await?;
    assert_eq!(browser.client.current_url().await?.fragment(), None, "the token left the address bar");
    browser.click("verify-confirm").await?;
    browser.wait_until("!document.getElementById('verify-done').hidden").await?;
    browser.text("reception-number").await
}

#[tokio::test]
async fn a_corporation_applies_through_to_the_completion_page() -> Result<()> {
    let (site, browser) = open_form().await?;
    assert_eq!(browser.client.title().await?, "登録内容の入力 | パートナー登録お申し込みフォーム");
    // The terms are loaded from their content files, in full.
    browser.wait_until("document.getElementById('terms-text').textContent.includes('本規約は2018年8月30日より施行します。')").await?;
    browser
        .wait_until(
            "document.getElementById('privacy-text').textContent.includes('グランフロント大阪 タワーA 32F')",
        )
        .await?;

    let email = "corp@example.com";
    fill_corporation(&browser, email).await?;
    confirm(&browser).await?;
    assert_eq!(browser.eval("return document.activeElement.id").await?, "step-confirm-title");
    assert_eq!(
        browser.eval("return document.querySelector('.steps__item[aria-current=step]').dataset.step").await?,
        "2"
    );
    let shown = review(&browser).await?;
    let expected = [
        ("email", email),
        ("contractType", "法人"),
        ("corporateName", "エックスサーバー株式会社"),
        ("corporateNameKana", "エックスサーバーカブシキガイシャ"),
        ("name", "山田 太郎"),
        ("nameKana", "ヤマダ タロウ"),
        ("postalCode", "530-0011"),
        ("addressRegion", "大阪府大阪市北区"),
        ("addressStreet", "大深町4-20"),
        ("addressBuilding", "グランフロント大阪 タワーA 32F"),
        ("phone", "06-6292-8811"),
        ("invoiceNumber", "T7000012050002"),
        ("employeeCount", "30"),
        ("annualReferralCount", "10"),
        ("agreedToTerms", "同意する"),
    ];
    let expected: Vec<(String, String)> =
        expected.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    assert_eq!(shown, expected);

    let key = idempotency_key(&browser).await?;
    let expires_at = submit_and_complete(&browser).await?;
    assert!(expires_at.contains('年'), "{expires_at}");
    assert_eq!(browser.client.current_url().await?.fragment(), Some("complete"));
    assert_eq!(browser.text("sent-to").await?, email);
    let step3 = browser.text("step-complete").await?;
    assert!(step3.contains("まだ完了していません") && step3.contains("この内容で確定する"), "{step3}");
    // The draft is gone; the expiry stays for a reload, the address does not.
    assert_eq!(
        browser.eval("return sessionStorage.getItem('partner-registration:draft')").await?,
        Value::Null
    );
    let kept = browser.eval("return JSON.stringify(Object.assign({}, sessionStorage))").await?;
    assert!(!kept.as_str().unwrap().contains(email), "{kept}");
    browser.client.refresh().await?;
    browser.wait_until("document.documentElement.dataset.ready === 'true'").await?;
    assert_eq!(browser.text("expires-at").await?, expires_at);

    // The mail's link, opened: the application as entered, then the number.
    let link = assert_stored(&site, &key, &corporation_json(email)).await?;
    browser.open(&link).await?;
    browser.wait_until("!document.getElementById('verify-preview').hidden").await?;
    let preview = browser.text("verify-review").await?;
    assert!(preview.contains("エックスサーバー株式会社") && preview.contains("06-6292-8811"), "{preview}");
    assert_eq!(browser.text("verify-expires-at").await?, expires_at);
    assert_eq!(browser.eval("return document.activeElement.id").await?, "verify-preview-title");
    browser.click("verify-confirm").await?;
    browser.wait_until("!document.getElementById('verify-done').hidden").await?;
    let reception_number = browser.text("reception-number").await?;
    assert!(browser.text("received-at").await?.contains('年'));

    let store = SqliteStore::open_dir(site.data.path())?;
    let received = store.list_by_status(Status::Received, 10).await?;
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].receipt.reception_number.as_str(), reception_number);
    // The 控え and the operators' notice follow the confirmation, once each.
    let copies = mails(&site, "acknowledgement", 1).await?;
    assert!(copies[0].contains(&reception_number) && copies[0].contains("エックスサーバー株式会社"));
    assert_eq!(mails(&site, "operator-notice", 1).await?.len(), 1);

    // The link again (a reload, a second click in the mail): the same number
    // and the status, and nothing of the application.
    browser.open(&link).await?;
    browser.wait_until("!document.getElementById('verify-used').hidden").await?;
    assert_eq!(browser.text("used-reception-number").await?, reception_number);
    assert_eq!(browser.text("used-status").await?, Status::Received.label());
    let page = browser.eval("return document.body.innerText").await?;
    let page = page.as_str().unwrap_or_default();
    assert!(!page.contains("エックスサーバー株式会社") && !page.contains("06-6292-8811"), "{page}");
    assert_eq!(test_support::outbox_files(site.data.path()).len(), 3, "nothing mailed twice");
    browser.close().await
}

#[tokio::test]
async fn a_dead_or_mistyped_link_says_so_and_offers_to_apply_again() -> Result<()> {
    let (site, browser) = open_form().await?;
    for (fragment, expected) in [
        (format!("token={}", "0".repeat(64)), "無効です"),
        ("token=abc".to_owned(), "形式が正しくありません"),
        (String::new(), "形式が正しくありません"),
    ] {
        browser.open(&format!("{}verify#{fragment}", site.url())).await?;
        browser.wait_until("!document.getElementById('verify-failed').hidden").await?;
        let message = browser.text("verify-failed-message").await?;
        assert!(message.contains(expected), "{fragment}: {message}");
        let again = browser.eval("return document.getElementById('apply-again').href").await?;
        assert_eq!(again.as_str(), Some(site.url().as_str()));
    }
    // A superseded link: the newer submission's mail holds the live one.
    let http = reqwest::Client::new();
    for key in ["first-key-for-a-link", "second-key-for-a-link"] {
        let sent = http
            .post(site.api("/api/applications"))
            .header("Idempotency-Key", key)
            .json(&corporation_json("twice@example.com"))
            .send()
            .await?;
        assert_eq!(sent.status(), 202);
        // One at a time: the first link mail is sent before the second submission.
        mails(&site, "verification", if key.starts_with("first") { 1 } else { 2 }).await?;
    }
    let links: Vec<String> = mails(&site, "verification", 2).await?.iter().map(|t| link_in(t)).collect();
    let mut outcomes = Vec::new();
    for link in &links {
        browser.open(link).await?;
        browser
            .wait_until(
                "!document.getElementById('verify-preview').hidden || !document.getElementById('verify-failed').hidden",
            )
            .await?;
        outcomes.push(browser.is_shown("verify-preview").await?);
    }
    outcomes.sort();
    assert_eq!(outcomes, [false, true], "one link is live, the superseded one is not");
    browser.close().await
}

/// Keys as WebDriver spells them.
const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";

/// Presses Tab and returns the id of the element that then has focus.
async fn tab(browser: &Browser) -> Result<String> {
    browser.client.active_element().await?.send_keys(TAB).await?;
    Ok(browser.eval("return document.activeElement.id").await?.as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn the_whole_form_works_by_keyboard_alone() -> Result<()> {
    let (site, browser) = open_form().await?;
    let email = "keyboard@example.com";
    let values: std::collections::HashMap<String, String> = seed_inputs(email).into_iter().collect();
    // The tab order follows the seed, with nothing unreachable and nothing hidden in between.
    let order = [
        "email",
        "emailConfirmation",
        "contractType",
        "corporateName",
        "corporateNameKana",
        "lastName",
        "firstName",
        "lastNameKana",
        "firstNameKana",
        "postalCode",
        "postal-lookup",
        "addressRegion",
        "addressStreet",
        "addressBuilding",
        "phone",
        "invoiceNumber",
        "employeeCount",
        "annualReferralCount",
        "terms-text",
        "privacy-text",
        "agreedToTerms",
        "to-confirm",
    ];
    assert_eq!(tab(&browser).await?, "skip-link");
    for id in order {
        assert_eq!(tab(&browser).await?, id);
        let active = browser.client.active_element().await?;
        match id {
            "email" | "emailConfirmation" => active.send_keys(email).await?,
            "contractType" | "agreedToTerms" => active.send_keys(" ").await?,
            "postal-lookup" | "terms-text" | "privacy-text" => {}
            "to-confirm" => active.send_keys(ENTER).await?,
            _ => active.send_keys(&values[id]).await?,
        }
    }
    browser.wait_until("!document.getElementById('step-confirm').hidden").await?;
    assert_eq!(browser.eval("return document.activeElement.id").await?, "step-confirm-title");
    assert_eq!(tab(&browser).await?, "back-to-input");
    assert_eq!(tab(&browser).await?, "submit-application");
    let key = idempotency_key(&browser).await?;
    browser.client.active_element().await?.send_keys(ENTER).await?;
    browser.wait_until("!document.getElementById('step-complete').hidden").await?;
    let link = assert_stored(&site, &key, &corporation_json(email)).await?;
    // The link's page by keyboard too: the button is the first stop after the title.
    browser.open(&link).await?;
    browser.wait_until("!document.getElementById('verify-preview').hidden").await?;
    assert_eq!(browser.eval("return document.activeElement.id").await?, "verify-preview-title");
    assert_eq!(tab(&browser).await?, "verify-confirm");
    browser.client.active_element().await?.send_keys(ENTER).await?;
    browser.wait_until("!document.getElementById('verify-done').hidden").await?;
    assert_eq!(browser.eval("return document.activeElement.id").await?, "verify-done-title");
    assert!(!browser.text("reception-number").await?.is_empty());
    browser.close().await
}

#[tokio::test]
async fn a_sole_proprietor_applies_without_corporate_fields() -> Result<()> {
    let (site, browser) = open_form().await?;
    let email = "sole@example.com";
    browser.click("contractType-sole").await?;
    // The corporate fields are inactive and say so.
    for id in ["corporateName", "corporateNameKana"] {
        assert!(!browser.css(&format!("#{id}")).await?.is_enabled().await?, "{id} disabled");
        assert!(browser.is_shown(&format!("{id}-inactive")).await?);
    }
    let values: Vec<_> =
        seed_inputs(email).into_iter().filter(|(id, _)| !id.starts_with("corporate")).collect();
    fill(&browser, &values).await?;
    browser.click("agreedToTerms").await?;
    confirm(&browser).await?;
    let shown = review(&browser).await?;
    assert!(shown.contains(&("contractType".into(), "個人事業主".into())));
    assert!(!shown.iter().any(|(key, _)| key.starts_with("corporate")), "{shown:?}");

    let key = idempotency_key(&browser).await?;
    submit_and_complete(&browser).await?;

    let body = sole_proprietor_application(email);
    let link = assert_stored(&site, &key, &body).await?;
    let reception_number = confirm_by_link(&browser, &link).await?;
    let copy = &mails(&site, "acknowledgement", 1).await?[0];
    assert!(copy.contains(&reception_number) && !copy.contains("契約法人名"), "{copy}");
    browser.close().await
}

#[tokio::test]
async fn an_empty_submit_shows_every_required_error() -> Result<()> {
    let (_site, browser) = open_form().await?;
    // Every key of the contract has its input.
    for field in shared::domain::Field::ALL {
        let found = browser
            .eval_with("return document.getElementsByName(arguments[0]).length", vec![json!(field.key())])
            .await?;
        assert!(found.as_u64() >= Some(1), "no input for {}", field.key());
    }

    browser.click("to-confirm").await?;
    browser.wait_until("!document.getElementById('error-summary').hidden").await?;
    assert_eq!(browser.step().await?, 1);

    // The server's own answer to an empty application is what the page must show.
    let empty = RawApplication::default();
    let errors = Application::parse(&empty).unwrap_err().errors;
    assert!(errors.len() >= 10);
    let summary: Vec<String> = browser
        .eval("return Array.from(document.querySelectorAll('#error-summary-list a'), a => a.textContent)")
        .await?
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    let messages: Vec<String> = errors.iter().map(|issue| issue.message.to_string()).collect();
    assert_eq!(summary, messages);
    for issue in &errors {
        let key = issue.field.key();
        assert_eq!(browser.text(&format!("{key}-error")).await?, issue.message, "{key}");
        let invalid = browser
            .eval_with(
                "return document.getElementsByName(arguments[0])[0].getAttribute('aria-invalid')",
                vec![json!(key)],
            )
            .await?;
        assert_eq!(invalid, "true", "{key} aria-invalid");
        let described = browser
            .eval_with(
                "return document.getElementsByName(arguments[0])[0].getAttribute('aria-describedby')",
                vec![json!(key)],
            )
            .await?;
        assert!(
            described.as_str().unwrap().split(' ').any(|id| id == format!("{key}-error")),
            "{key} describedby"
        );
    }
    // Focus is on the first field in error, and a summary link leads to its field.
    assert_eq!(browser.eval("return document.activeElement.id").await?, "email");
    browser.css("#error-summary-list li:nth-child(4) a").await?.click().await?;
    assert_eq!(browser.eval("return document.activeElement.name").await?, errors[3].field.key());
    assert!(browser.client.title().await?.starts_with("エラー: "));
    browser.close().await
}

#[tokio::test]
async fn a_field_is_checked_with_the_servers_message_when_it_loses_focus() -> Result<()> {
    let (_site, browser) = open_form().await?;
    browser.type_into("email", "not-an-address").await?;
    browser.click("phone").await?; // leaves 「メールアドレス」
    browser.wait_until("!document.getElementById('email-error').hidden").await?;
    let expected = shared::messages::Issue::invalid_format(shared::domain::Field::Email).message;
    assert_eq!(browser.text("email-error").await?, expected);
    assert_eq!(browser.css("#email").await?.attr("aria-invalid").await?.as_deref(), Some("true"));
    // Untouched fields show nothing yet.
    assert!(!browser.is_shown("emailConfirmation-error").await?);
    assert!(!browser.is_shown("error-summary").await?);

    // Correcting the address clears the error while typing.
    browser.css("#email").await?.clear().await?;
    browser.type_into("email", "sample@example.com").await?;
    browser.wait_until("document.getElementById('email-error').hidden").await?;
    assert_eq!(browser.css("#email").await?.attr("aria-invalid").await?, None);
    browser.close().await
}

#[tokio::test]
async fn postal_autofill_fills_the_address_and_lets_the_applicant_choose() -> Result<()> {
    let (site, browser) = open_form().await?;

    // One address.
    browser.type_into("postalCode", "5300011").await?;
    browser.click("postal-lookup").await?;
    browser.wait_until("document.getElementById('addressRegion').value !== ''").await?;
    assert_eq!(browser.value("addressRegion").await?, "大阪府大阪市北区");
    assert_eq!(browser.value("addressStreet").await?, "大深町");
    assert_eq!(browser.eval("return document.activeElement.id").await?, "addressStreet");

    // Several addresses: the applicant chooses, and the choice is filled in.
    let http = reqwest::Client::new();
    let answer: Value = http.get(site.api("/api/postal/4980000")).send().await?.json().await?;
    let addresses = answer["addresses"].as_array().expect("addresses").clone();
    assert!(addresses.len() >= 2, "4980000 has several addresses");
    browser.css("#postalCode").await?.clear().await?;
    browser.type_into("postalCode", "498-0000").await?;
    browser.click("postal-lookup").await?;
    browser.wait_until("!document.getElementById('postal-choices').hidden").await?;
    let buttons = browser.client.find_all(fantoccini::Locator::Css("#postal-choice-list button")).await?;
    assert_eq!(buttons.len(), addresses.len());
    assert_eq!(browser.eval("return document.activeElement.className").await?, "postal__choice");
    buttons[1].click().await?;
    let chosen = &addresses[1];
    let line1 = chosen["line1"].as_str().map(str::to_owned).unwrap_or_else(|| {
        format!("{}{}", chosen["prefecture"].as_str().unwrap(), chosen["city"].as_str().unwrap())
    });
    assert_eq!(browser.value("addressRegion").await?, line1);
    assert!(!browser.is_shown("postal-choices").await?);

    // An invalid code and an unknown one get the server's clear messages.
    for (code, status) in [("12", 400), ("0000000", 404)] {
        browser.css("#postalCode").await?.clear().await?;
        browser.type_into("postalCode", code).await?;
        browser.click("postal-lookup").await?;
        let envelope: Value = http.get(site.api(&format!("/api/postal/{code}"))).send().await?.json().await?;
        let message = envelope["error"]["message"].as_str().expect("envelope").to_owned();
        assert_eq!(
            http.get(site.api(&format!("/api/postal/{code}"))).send().await?.status(),
            status,
            "{code}"
        );
        browser
            .wait_until(&format!(
                "document.getElementById('postal-status').textContent === {}",
                json!(message)
            ))
            .await?;
    }
    browser.close().await
}

#[tokio::test]
async fn going_back_from_step_2_keeps_every_value() -> Result<()> {
    let (_site, browser) = open_form().await?;
    fill_corporation(&browser, "back@example.com").await?;
    let before = all_values(&browser).await?;
    confirm(&browser).await?;

    // 「修正する」
    browser.click("back-to-input").await?;
    browser.wait_until("!document.getElementById('step-input').hidden").await?;
    assert_eq!(all_values(&browser).await?, before);

    // The browser's back and forward buttons.
    confirm(&browser).await?;
    browser.client.back().await?;
    browser.wait_until("!document.getElementById('step-input').hidden").await?;
    assert_eq!(all_values(&browser).await?, before);
    browser.client.forward().await?;
    browser.wait_until("!document.getElementById('step-confirm').hidden").await?;

    // A reload keeps the draft, even on step 2.
    browser.client.refresh().await?;
    browser.wait_until("document.documentElement.dataset.ready === 'true' && !document.getElementById('step-confirm').hidden").await?;
    browser.client.back().await?;
    browser.wait_until("!document.getElementById('step-input').hidden").await?;
    assert_eq!(all_values(&browser).await?, before);
    browser.close().await
}

/// Every input's value (radios and the checkbox as their checked state).
async fn all_values(browser: &Browser) -> Result<Value> {
    browser
        .eval(
            "return Array.from(document.querySelectorAll('#application-form input'), \
             i => [i.id, (i.type === 'radio' || i.type === 'checkbox') ? i.checked : i.value])",
        )
        .await
}

#[tokio::test]
async fn a_double_click_on_submit_creates_one_application() -> Result<()> {
    let (site, browser) = open_form().await?;
    let email = "double@example.com";
    fill_corporation(&browser, email).await?;
    confirm(&browser).await?;
    let key = idempotency_key(&browser).await?;

    // A slow network, so that the second click lands while the first request is in flight.
    browser.cdp("Network.enable", json!({})).await?;
    let slow = json!({"offline": false, "latency": 400, "downloadThroughput": -1, "uploadThroughput": -1});
    browser.cdp("Network.emulateNetworkConditions", slow).await?;
    // A real double click: two presses of the mouse, as fast as the browser takes them.
    let element = browser.css("#submit-application").await?;
    let pointer = MouseActions::new("mouse".to_owned())
        .then(PointerAction::MoveToElement { element, duration: None, x: 0.0, y: 0.0 })
        .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })
        .then(PointerAction::Up { button: MOUSE_BUTTON_LEFT })
        .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })
        .then(PointerAction::Up { button: MOUSE_BUTTON_LEFT });
    browser.client.perform_actions(pointer).await?;
    browser.wait_until("!document.getElementById('step-complete').hidden").await?;

    // One request left the page (a second would have ended by now), and no error was shown.
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    let posts = browser
        .eval(
            "return performance.getEntriesByType('resource')\
             .filter(e => new URL(e.name).pathname === '/api/applications').length",
        )
        .await?;
    assert_eq!(posts, 1);
    assert!(!browser.is_shown("submit-error").await.unwrap_or(false));
    assert_stored(&site, &key, &corporation_json(email)).await?;
    browser.close().await
}

#[tokio::test]
async fn a_failed_connection_can_be_retried_with_the_same_key() -> Result<()> {
    let (mut site, browser) = open_form().await?;
    let email = "retry@example.com";
    fill_corporation(&browser, email).await?;
    confirm(&browser).await?;
    let key = idempotency_key(&browser).await?;

    // The server is gone: the page says so and lets the applicant try again.
    let addr = site.addr();
    site.stop().await?;
    browser.click("submit-application").await?;
    browser.wait_until("!document.getElementById('submit-error').hidden").await?;
    assert!(browser.text("submit-error").await?.contains("通信エラー"));
    assert!(browser.css("#submit-application").await?.is_enabled().await?);
    assert_eq!(browser.step().await?, 2);

    // Say the first attempt had in fact been stored: the retry must replay it,
    // which only happens when the page sends the same key.
    site.restart_on(addr).await?;
    let stored = reqwest::Client::new()
        .post(site.api("/api/applications"))
        .header("Idempotency-Key", &key)
        .json(&corporation_json(email))
        .send()
        .await?;
    assert_eq!(stored.status(), 202);
    submit_and_complete(&browser).await?;
    // The page's retry was a replay: one application, one link.
    assert_stored(&site, &key, &corporation_json(email)).await?;
    browser.close().await
}

/// An address that already has a received application sees exactly what a
/// new one sees (the page tells a stranger nothing); the mail tells its owner.
#[tokio::test]
async fn an_address_that_applied_before_sees_the_same_page_and_gets_a_reminder() -> Result<()> {
    let (site, browser) = open_form().await?;
    let email = "taken@example.com";
    let first = reqwest::Client::new()
        .post(site.api("/api/applications"))
        .header("Idempotency-Key", "first-application")
        .json(&corporation_json(email))
        .send()
        .await?;
    assert_eq!(first.status(), 202);
    let link = link_in(&mails(&site, "verification", 1).await?[0]);
    let reception_number = confirm_by_link(&browser, &link).await?;

    browser.open(&site.url()).await?;
    browser.wait_until("document.documentElement.dataset.ready === 'true'").await?;
    fill_corporation(&browser, email).await?;
    confirm(&browser).await?;
    submit_and_complete(&browser).await?;
    assert!(!browser.is_shown("submit-error").await?);
    let reminders = mails(&site, "already-received", 1).await?;
    assert!(reminders[0].contains(&reception_number) && !reminders[0].contains("verify#"));
    let store = SqliteStore::open_dir(site.data.path())?;
    assert_eq!(store.list_by_status(Status::AwaitingVerification, 10).await?.len(), 0, "nothing new kept");
    browser.close().await
}

#[tokio::test]
async fn readings_fill_themselves_from_the_ime_and_normalise_as_typed() -> Result<()> {
    let (_site, browser) = open_form().await?;

    // 姓: や → やま → やまだ → 山田, committed.
    browser.click("lastName").await?;
    browser.ime_type("やまだ", "山田").await?;
    assert_eq!(browser.value("lastName").await?, "山田");
    assert_eq!(browser.value("lastNameKana").await?, "ヤマダ");

    // 契約法人名 in two conversions: えっくすさーばー → エックスサーバー, かぶしきがいしゃ → 株式会社.
    browser.click("corporateName").await?;
    browser.ime_type("えっくすさーばー", "エックスサーバー").await?;
    browser.ime_type("かぶしきがいしゃ", "株式会社").await?;
    assert_eq!(browser.value("corporateName").await?, "エックスサーバー株式会社");
    assert_eq!(browser.value("corporateNameKana").await?, "エックスサーバーカブシキガイシャ");

    // A reading the applicant typed themself is left alone; hiragana becomes katakana.
    browser.type_into("firstNameKana", "たろう").await?;
    assert_eq!(browser.value("firstNameKana").await?, "タロウ");
    browser.click("firstName").await?;
    browser.ime_type("はなこ", "花子").await?;
    assert_eq!(browser.value("firstNameKana").await?, "タロウ");

    // Full-width digits become half-width as they are typed.
    browser.type_into("phone", "０６－６２９２－８８１１").await?;
    assert_eq!(browser.value("phone").await?, "06－6292－8811");
    browser.type_into("employeeCount", "３０").await?;
    assert_eq!(browser.value("employeeCount").await?, "30");
    browser.close().await
}

/// The page's labels are the field table's (web/js/fields.js, generated from
/// shared/src/domain/fields.rs), so the HTML cannot drift from it: every field
/// in the table's order, each with its own label, and a group's fields under
/// one label, the group's.
#[tokio::test]
async fn the_pages_labels_are_the_field_tables() -> Result<()> {
    let (_site, browser) = open_form().await?;
    // The module the page itself imports, read by the browser.
    let table = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             import('/js/fields.js').then(\
               ({ FIELDS, GROUPS }) => done({ fields: FIELDS, groups: GROUPS }),\
               (error) => done({ error: String(error) }));",
            vec![],
        )
        .await?;
    assert_eq!(table.get("error"), None, "importing fields.js");
    let fields = table["fields"].as_array().expect("FIELDS");
    let groups = table["groups"].as_array().expect("GROUPS");

    let mut expected: Vec<(String, String)> = Vec::new();
    for field in fields {
        match field["group"].as_str() {
            None => expected.push((
                field["key"].as_str().unwrap().to_owned(),
                field["label"].as_str().unwrap().to_owned(),
            )),
            Some(name) => {
                let group = groups
                    .iter()
                    .find(|group| group["name"] == name)
                    .unwrap_or_else(|| panic!("GROUPS lacks {name}"));
                let keys: Vec<&str> =
                    group["fields"].as_array().unwrap().iter().map(|key| key.as_str().unwrap()).collect();
                let entry = (keys.join(" "), group["label"].as_str().unwrap().to_owned());
                if !expected.contains(&entry) {
                    expected.push(entry);
                }
            }
        }
    }

    // Each `.field` names its fields in data-field (a group's separated by spaces).
    let shown = browser
        .eval(
            "return Array.from(document.querySelectorAll('#application-form .field'), \
             field => [field.dataset.field, field.querySelector('.field__label').textContent.trim()])",
        )
        .await?;
    let shown: Vec<(String, String)> = shown
        .as_array()
        .expect("fields")
        .iter()
        .map(|row| (row[0].as_str().unwrap().to_owned(), row[1].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(shown, expected);
    browser.close().await
}

/// The pages' methods and paths are the contract's: web/js/api.js (the form)
/// and the documents page's scripts write no `/api/` path of their own but use
/// routes.js (generated from shared/src/routes.rs and kept equal by
/// shared/tests/it/web_fields.rs), and some page calls each public route.
#[test]
fn the_page_takes_its_routes_from_the_generated_module() {
    let web = integration_tests::browser::web_dir();
    let api = std::fs::read_to_string(web.join("js/api.js")).unwrap();
    assert!(api.contains("import { ROUTES } from './routes.js';"), "web/js/api.js imports routes.js");
    let mut sources = vec![("js/api.js".to_owned(), api)];
    if let Ok(entries) = std::fs::read_dir(web.join("documents")) {
        for entry in entries.flatten().filter(|e| e.path().extension().is_some_and(|x| x == "js")) {
            let name = format!("documents/{}", entry.file_name().to_string_lossy());
            sources.push((name, std::fs::read_to_string(entry.path()).unwrap()));
        }
    }
    for (name, source) in &sources {
        assert!(!source.contains("/api/"), "web/{name} hard-codes an /api/ path");
    }
    for route in public_routes() {
        assert!(
            sources.iter().any(|(_, source)| source.contains(&format!("ROUTES.{}", route.name))),
            "no page calls {}",
            route.name
        );
    }
}

#[test]
fn the_page_has_no_inline_script_or_style() {
    for page in ["index.html", "verify/index.html", "documents/index.html"] {
        let html = std::fs::read_to_string(integration_tests::browser::web_dir().join(page)).unwrap();
        assert!(
            !html.contains("<script>") && !html.contains(" style=") && !html.contains("<style"),
            "{page}"
        );
        let handler = html.match_indices(" on").any(|(at, _)| {
            let rest = &html[at + 3..];
            let name_len = rest.bytes().take_while(u8::is_ascii_lowercase).count();
            name_len > 0 && rest[name_len..].starts_with('=')
        });
        assert!(!handler, "{page}: no inline event handlers");
        assert!(html.contains("script-src 'self'"), "{page}: the strict CSP");
    }
    let js_dir = integration_tests::browser::web_dir().join("js");
    for entry in std::fs::read_dir(js_dir).unwrap() {
        let source = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!source.contains("innerHTML") && !source.contains("insertAdjacentHTML"));
    }
}

/// The accessibility check itself: axe-core is loaded into the page (under
/// its CSP) and a serious violation fails `assert_accessible`, listed with its
/// rule and element.
#[tokio::test]
async fn axe_finds_a_broken_page_and_says_what_is_broken() -> Result<()> {
    let (_site, browser) = open_form().await?;
    assert_eq!(browser.eval("return typeof window.axe").await?, "undefined", "the page does not load axe");
    browser.assert_accessible("the empty form, checked once").await?;
    // Break it: an image without a text alternative, and grey on grey.
    browser
        .eval(
            "const img = document.createElement('img'); img.id = 'axe-probe-img'; img.src = '/favicon.ico';\
             const p = document.createElement('p'); p.id = 'axe-probe-text'; p.textContent = '読めない文字';\
             p.style.color = '#999'; p.style.background = '#aaa';\
             document.querySelector('main').prepend(img, p);",
        )
        .await?;
    let violations = browser.axe().await?;
    let ids: Vec<&str> = violations.iter().map(|v| v.id.as_str()).collect();
    assert!(ids.contains(&"image-alt") && ids.contains(&"color-contrast"), "{ids:?}");
    let message = browser.assert_accessible("the broken form").await.unwrap_err().to_string();
    assert!(message.contains("the broken form"), "{message}");
    assert!(message.contains("image-alt") && message.contains("#axe-probe-img"), "{message}");
    assert!(message.contains("color-contrast") && message.contains("#axe-probe-text"), "{message}");
    browser.close().await
}

/// Every state of the form and of the link's page passes axe-core's WCAG 2.1
/// A/AA rules with nothing serious or critical: step 1 empty, with every
/// required error, as a sole proprietor (the corporate fields faded), with a
/// choice of addresses; step 2; step 3; the link's preview, its confirmation
/// and a dead link; on a wide screen and a phone's.
#[tokio::test]
async fn every_state_of_the_form_passes_axe() -> Result<()> {
    let site = Site::start().await?;
    for (walk, (width, height)) in [(WIDTH, HEIGHT), (375, 812)].into_iter().enumerate() {
        let browser = Browser::start(width, height).await?;
        let walked = every_state_passes_axe(&site, &browser, &format!("{width}@example.com"), walk + 1).await;
        browser.close().await?;
        walked.map_err(|error| error.context(format!("{width} px wide")))?;
    }
    Ok(())
}

/// One walk through the states; `links` is how many link mails there are after its submission.
async fn every_state_passes_axe(site: &Site, browser: &Browser, email: &str, links: usize) -> Result<()> {
    browser.open(&site.url()).await?;
    browser.wait_until("!document.querySelector('#terms-text .terms__fallback')").await?;
    browser.assert_accessible("step 1, empty").await?;

    browser.click("to-confirm").await?;
    browser.wait_until("!document.getElementById('error-summary').hidden").await?;
    browser.assert_accessible("step 1 with every required error").await?;

    browser.click("contractType-sole").await?;
    browser.wait_until("document.querySelector('.field.is-inactive')").await?;
    browser.assert_accessible("step 1 as a sole proprietor (the corporate fields faded)").await?;

    browser.type_into("postalCode", "4980000").await?;
    browser.click("postal-lookup").await?;
    browser.wait_until("!document.getElementById('postal-choices').hidden").await?;
    browser.assert_accessible("step 1 with a choice of addresses").await?;
    browser.css("#postal-choice-list button").await?.click().await?;

    browser.click("contractType").await?;
    for (id, value) in seed_inputs(email) {
        browser.css(&format!("#{id}")).await?.clear().await?;
        browser.type_into(&id, &value).await?;
    }
    browser.click("agreedToTerms").await?;
    confirm(browser).await?;
    browser.assert_accessible("step 2 (確認)").await?;

    submit_and_complete(browser).await?;
    browser.assert_accessible("step 3 (完了)").await?;

    let link = link_in(mails(site, "verification", links).await?.last().expect("a link mail"));
    browser.open(&link).await?;
    browser.wait_until("!document.getElementById('verify-preview').hidden").await?;
    browser.assert_accessible("the link's preview").await?;
    browser.click("verify-confirm").await?;
    browser.wait_until("!document.getElementById('verify-done').hidden").await?;
    browser.assert_accessible("the link confirmed").await?;
    browser.open(&link).await?;
    browser.wait_until("!document.getElementById('verify-used').hidden").await?;
    browser.assert_accessible("the link used before").await?;

    browser.open(&format!("{}verify#token={}", site.url(), "0".repeat(64))).await?;
    browser.wait_until("!document.getElementById('verify-failed').hidden").await?;
    browser.assert_accessible("a dead link").await
}
