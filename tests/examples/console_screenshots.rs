//! Screenshots of the operators' console, at 1280 and 768 px wide, into the
//! committed `docs/screenshots/` (or DIR): the list, a detail with its checks,
//! and the approval dialog, over the first start's sample applications; at
//! 1280 px the detail with a note and its assignee (the whole page), the
//! detail as an operator who is no supervisor sees it (no erasure, no export,
//! no audit), a correction's changes before saving, and the mails' delivery
//! status: an approved application whose 審査完了のお知らせ bounced (SES's
//! events fed to the local server's `/local/ses-events`) in the detail's
//! メール送信履歴, and its row flagged in the list.
//! Run through `scripts/screenshots` (which makes the form's too).

use anyhow::{Context, Result};
use integration_tests::browser::{Browser, Site, Verified};
use std::path::PathBuf;
use std::time::Duration;

const WIDTHS: [(u32, u32); 2] = [(1280, 860), (768, 1000)];

#[tokio::main]
async fn main() -> Result<()> {
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/screenshots")));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let site = Site::start().await?;
    local::samples::create(&site.url(), site.data.path()).await?;
    let operator = site.running.as_ref().and_then(|r| r.first_operator.clone()).context("an operator")?;
    for (width, height) in WIDTHS {
        let browser = Browser::start(width, height).await?;
        let shoot = async {
            let save = |name: &str, png: Vec<u8>| {
                let path = out.join(format!("console-{width}-{name}.png"));
                std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
                println!("{}", path.display());
                anyhow::Ok(())
            };
            browser.client.goto(&site.api("/admin/")).await?;
            browser.wait_until("document.documentElement.dataset.view === 'signin'").await?;
            browser.type_into("signin-email", operator.email.as_str()).await?;
            browser.type_into("signin-password", &operator.password).await?;
            browser.click("signin-submit").await?;
            browser
                .wait_until("document.querySelectorAll('#list-rows tr').length === 3 && document.querySelector('.tabs__count')")
                .await?;
            save("list", browser.client.screenshot().await?)?;
            // The second corporation: its region disagrees with its postal code, its phone is shared.
            browser.css("#list-rows tr:first-child a").await?.click().await?;
            browser
                .wait_until("!document.getElementById('detail-body').hidden && document.querySelector('#detail-checks [data-check=postalCode]')")
                .await?;
            // The focus ring of the heading is the keyboard's, not the picture's.
            browser.eval("document.activeElement.blur()").await?;
            tokio::time::sleep(Duration::from_millis(200)).await;
            save("detail", browser.client.screenshot().await?)?;
            if width == WIDTHS[0].0 {
                // The desk: a note and the operator as the assignee, the notes beside the history.
                browser.type_into("note-text", "在籍確認の電話をしました。折り返しの連絡待ちです。").await?;
                browser.click("note-add").await?;
                browser
                    .wait_until("document.querySelectorAll('#detail-notes .notes__item').length === 1")
                    .await?;
                browser.click("assign-me").await?;
                browser.wait_until("!document.getElementById('assign-none').hidden").await?;
                browser.eval("document.activeElement.blur()").await?;
                tokio::time::sleep(Duration::from_millis(200)).await;
                save("desk", browser.full_page_png(width, height).await?)?;
            }
            browser.click("decide-approve").await?;
            browser.wait_until("document.getElementById('decision-dialog').open").await?;
            tokio::time::sleep(Duration::from_millis(200)).await;
            save("dialog", browser.client.screenshot().await?)?;
            anyhow::Ok(())
        };
        let result = shoot.await;
        browser.close().await?;
        result?;
    }
    let (email, password) = site.add_operator("clerk@example.com", shared::domain::Role::Operator)?;
    let browser = Browser::start(WIDTHS[0].0, WIDTHS[0].1).await?;
    let shoot = async {
        browser.client.goto(&site.api("/admin/")).await?;
        browser.wait_until("document.documentElement.dataset.view === 'signin'").await?;
        browser.type_into("signin-email", &email).await?;
        browser.type_into("signin-password", &password).await?;
        browser.click("signin-submit").await?;
        browser.wait_until("document.querySelectorAll('#list-rows tr').length === 3").await?;
        browser.css("#list-rows tr:first-child a").await?.click().await?;
        browser
            .wait_until("!document.getElementById('detail-body').hidden && document.querySelector('#detail-checks [data-check=postalCode]')")
            .await?;
        browser.eval("document.activeElement.blur()").await?;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let path = out.join(format!("console-{}-operator-detail.png", WIDTHS[0].0));
        std::fs::write(&path, browser.client.screenshot().await?)
            .with_context(|| format!("writing {}", path.display()))?;
        println!("{}", path.display());
        // A correction (訂正) of the street: its changes shown before saving.
        browser.click("correct-open").await?;
        browser.wait_until("document.getElementById('correct-addressStreet')").await?;
        browser.eval("document.getElementById('correct-addressStreet').value = '梅田1-2-3'").await?;
        browser.click("correction-review").await?;
        browser.wait_until("document.getElementById('correction-dialog').open").await?;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let path = out.join(format!("console-{}-correction.png", WIDTHS[0].0));
        std::fs::write(&path, browser.client.screenshot().await?)
            .with_context(|| format!("writing {}", path.display()))?;
        println!("{}", path.display());
        anyhow::Ok(())
    };
    let result = shoot.await;
    browser.close().await?;
    result?;
    mails(&site, &operator, &out).await?;
    println!("console screenshots written to {}", out.display());
    Ok(())
}

/// The mails' delivery status at 1280 px: the first row approved through its
/// dialog, then SES's events fed in as a supervisor may (the 控え delivered,
/// the 審査完了のお知らせ bounced: no such address), the detail's メール送信履歴
/// read again, and the list (すべて) with the row flagged メール不達.
async fn mails(site: &Site, operator: &local::operators::FirstOperator, out: &std::path::Path) -> Result<()> {
    let (width, height) = WIDTHS[0];
    let browser = Browser::start(width, height).await?;
    let shoot = async {
        let save = |name: &str, png: Vec<u8>| {
            let path = out.join(format!("console-{width}-{name}.png"));
            std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
            println!("{}", path.display());
            anyhow::Ok(())
        };
        browser.client.goto(&site.api("/admin/")).await?;
        browser.wait_until("document.documentElement.dataset.view === 'signin'").await?;
        browser.type_into("signin-email", operator.email.as_str()).await?;
        browser.type_into("signin-password", &operator.password).await?;
        browser.click("signin-submit").await?;
        browser.wait_until("document.querySelectorAll('#list-rows tr').length === 3").await?;
        let row = browser
            .eval("const tr = document.querySelector('#list-rows tr'); return [tr.dataset.applicationId, tr.cells[1].textContent, tr.cells[5].textContent]")
            .await?;
        let (application_id, reception_number, email): (String, String, String) =
            serde_json::from_value(row)?;
        let applied = Verified { application_id, reception_number, email };
        browser.css("#list-rows tr:first-child a").await?.click().await?;
        browser.wait_until("!document.getElementById('detail-body').hidden").await?;
        browser.click("decide-approve").await?;
        browser.wait_until("document.getElementById('decision-dialog').open").await?;
        browser.click("decision-submit").await?;
        browser.wait_until("document.getElementById('detail-partner-code')").await?;
        let mails = site.listed_mails(&applied, 3).await?;
        let mail = |kind: &str| {
            mails.iter().find(|m| m["kind"] == kind).with_context(|| format!("no {kind} in {mails:?}"))
        };
        site.feed_ses_event(&applied, mail("acknowledgement")?, "delivery").await?;
        site.feed_ses_event(&applied, mail("approved")?, "bounce-noemail").await?;
        browser.client.refresh().await?;
        browser
            .wait_until("!document.getElementById('detail-body').hidden && document.querySelector('#detail-mails [data-status=bounced]')")
            .await?;
        browser.eval("document.activeElement.blur(); document.getElementById('mails-panel').scrollIntoView({ block: 'center' })").await?;
        tokio::time::sleep(Duration::from_millis(200)).await;
        save("mails", browser.client.screenshot().await?)?;
        browser.click("detail-back").await?;
        browser.wait_until("document.documentElement.dataset.view === 'list'").await?;
        browser.click("tab-all").await?;
        browser
            .wait_until("document.querySelectorAll('#list-rows tr').length === 3 && document.querySelector('#list-rows .mail-flag') && document.querySelector('.tabs__count')")
            .await?;
        browser.eval("document.activeElement.blur()").await?;
        tokio::time::sleep(Duration::from_millis(200)).await;
        save("list-mail-flag", browser.client.screenshot().await?)?;
        anyhow::Ok(())
    };
    let result = shoot.await;
    browser.close().await?;
    result
}
