//! Screenshots of every step of the form at 1280 px and 375 px wide, for review.
//! Run through `scripts/screenshots [DIR]` (default: the git-ignored `screenshots/`).

use anyhow::{Context, Result};
use integration_tests::browser::{Browser, Site, seed_inputs};
use std::path::PathBuf;

const WIDTHS: [(u32, u32); 2] = [(1280, 900), (375, 812)];

#[tokio::main]
async fn main() -> Result<()> {
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../screenshots")));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let site = Site::start().await?;
    for (width, height) in WIDTHS {
        let browser = Browser::start(width, height).await?;
        let result = shoot(&site, &browser, width, height, &out).await;
        browser.close().await?;
        result?;
    }
    println!("screenshots written to {}", out.display());
    Ok(())
}

async fn shoot(site: &Site, browser: &Browser, width: u32, height: u32, out: &std::path::Path) -> Result<()> {
    let save = |name: &str, png: Vec<u8>| {
        let path = out.join(format!("{width}-{name}.png"));
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        println!("{}", path.display());
        anyhow::Ok(())
    };
    browser.open(&site.url()).await?;
    browser.wait_until("!document.querySelector('#terms-text .terms__fallback')").await?;
    save("1-input", browser.full_page_png(width, height).await?)?;

    browser.click("to-confirm").await?;
    browser.wait_until("!document.getElementById('error-summary').hidden").await?;
    save("1-input-errors", browser.full_page_png(width, height).await?)?;

    browser.click("contractType").await?;
    for (id, value) in seed_inputs(&format!("{width}@example.com")) {
        browser.css(&format!("#{id}")).await?.clear().await?;
        browser.type_into(&id, &value).await?;
    }
    browser.click("agreedToTerms").await?;
    // Several addresses for one postal code: the applicant's choice.
    browser.css("#postalCode").await?.clear().await?;
    browser.type_into("postalCode", "4980000").await?;
    browser.click("postal-lookup").await?;
    if browser.wait_until("!document.getElementById('postal-choices').hidden").await.is_ok() {
        browser.eval("document.getElementById('postalCode').closest('.field').scrollIntoView()").await?;
        save("1-input-postal-choices", browser.client.screenshot().await?)?;
        browser.css("#postal-choice-list button").await?.click().await?;
    }
    browser.css("#postalCode").await?.clear().await?;
    browser.type_into("postalCode", "530-0011").await?;
    browser.css("#addressRegion").await?.clear().await?;
    browser.type_into("addressRegion", "大阪府大阪市北区").await?;
    browser.css("#addressStreet").await?.clear().await?;
    browser.type_into("addressStreet", "大深町4-20").await?;

    browser.click("to-confirm").await?;
    browser.wait_until("!document.getElementById('step-confirm').hidden").await?;
    save("2-confirm", browser.full_page_png(width, height).await?)?;

    browser.click("submit-application").await?;
    browser.wait_until("!document.getElementById('step-complete').hidden").await?;
    save("3-complete", browser.full_page_png(width, height).await?)?;
    Ok(())
}
