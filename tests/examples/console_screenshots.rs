//! Screenshots of the operators' console, at 1280 and 768 px wide, into the
//! committed `docs/screenshots/` (or DIR): the list, a detail with its checks,
//! and the approval dialog, over the first start's sample applications; at
//! 1280 px the detail with a note and its assignee (the whole page), the
//! detail as an operator who is no supervisor sees it (no erasure, no export,
//! no audit), and a correction's changes before saving.
//! Run through `scripts/screenshots` (which makes the form's too).

use anyhow::{Context, Result};
use integration_tests::browser::{Browser, Site};
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
    println!("console screenshots written to {}", out.display());
    Ok(())
}
