//! Screenshots of the documents page (web/documents/), the page of the
//! 資料提出のお願い mail's link, at 1280 and 375 px wide, into the committed
//! `docs/screenshots/` (or DIR): the request with two files uploaded and one
//! refused before upload (its type); and at 1280 px the console's detail
//! once they are submitted (資料確認待ち, 提出書類). Run through `scripts/screenshots`.

use anyhow::{Context, Result};
use base64::Engine as _;
use integration_tests::browser::{Browser, Site, corporation_application};
use integration_tests::sample_files;
use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;

// 1280 px last: it goes on to submit, after which the link takes no more files.
const WIDTHS: [(u32, u32); 2] = [(375, 812), (1280, 860)];

#[tokio::main]
async fn main() -> Result<()> {
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/screenshots")));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let site = Site::start().await?;
    let applied = site.verified_application(&corporation_application("documents@example.com")).await?;
    let message = "お申し込みの審査のため、次の資料のご提出をお願いいたします。\n\n\
                   ・履歴事項全部証明書(発行から3か月以内のもの)の写し\n\
                   ・ご担当者さまの本人確認書類(運転免許証など)の写し\n\n\
                   このメールに記載のリンクから、ファイル(PDF・JPEG・PNG)でご提出ください。";
    let link = site.request_documents(&applied, 2, message).await?;
    let files = [
        ("履歴事項全部証明書.pdf", "application/pdf", sample_files::pdf()),
        ("運転免許証_表.png", "image/png", sample_files::png()),
        ("メモ.txt", "text/plain", "提出できない形式".as_bytes().to_vec()),
    ];
    for (width, height) in WIDTHS {
        let browser = Browser::start(width, height).await?;
        let shoot = async {
            browser.client.goto("about:blank").await?;
            browser.open(&link).await?;
            browser.wait_until("!document.getElementById('docs-form').hidden").await?;
            // Dropped as from the desktop, all at once: two go up, one is refused.
            let encoded: Vec<_> = files
                .iter()
                .map(|(name, kind, bytes)| {
                    json!([name, kind, base64::engine::general_purpose::STANDARD.encode(bytes)])
                })
                .collect();
            browser
                .eval_with(
                    "const data = new DataTransfer();\
                     for (const [name, type, b64] of arguments[0]) {\
                       data.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], name, { type }));\
                     }\
                     document.getElementById('docs-dropzone').dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));",
                    vec![json!(encoded)],
                )
                .await?;
            browser
                .wait_until(
                    "document.querySelectorAll('#docs-files .file[data-state=uploaded]').length === 2",
                )
                .await?;
            // The focus ring of the heading is the keyboard's, not the picture's.
            browser.eval("document.activeElement.blur()").await?;
            tokio::time::sleep(Duration::from_millis(200)).await;
            let png = browser.full_page_png(width, height).await?;
            let path = out.join(format!("documents-{width}-upload.png"));
            std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
            println!("{}", path.display());
            if width != 1280 {
                return anyhow::Ok(());
            }
            // Submitted, as the operator then sees it: 資料確認待ち and the documents.
            browser.click("docs-submit").await?;
            browser.wait_until("!document.getElementById('docs-done').hidden").await?;
            let (email, password) = site.operator()?;
            browser
                .client
                .goto(&site.api(&format!("/admin/?view=detail&id={}", applied.application_id)))
                .await?;
            browser.wait_until("document.documentElement.dataset.view === 'signin'").await?;
            browser.type_into("signin-email", &email).await?;
            browser.type_into("signin-password", &password).await?;
            browser.click("signin-submit").await?;
            browser
                .wait_until("document.documentElement.dataset.view === 'detail' && document.querySelectorAll('#documents-rows tr').length === 2")
                .await?;
            // GuardDuty's results, as on AWS (fed to the local server, which
            // never scans): the PDF clean, the PNG flagged.
            let ids = browser
                .eval("return [...document.querySelectorAll('#documents-rows tr')].map((tr) => tr.dataset.documentId)")
                .await?;
            site.feed_scan_result(&applied, ids[0].as_str().unwrap_or_default(), "NO_THREATS_FOUND").await?;
            site.feed_scan_result(&applied, ids[1].as_str().unwrap_or_default(), "THREATS_FOUND").await?;
            browser.client.refresh().await?;
            browser
                .wait_until("document.querySelector('#documents-rows tr:last-child')?.dataset.scan === 'threats_found'")
                .await?;
            browser.eval("document.activeElement.blur(); document.getElementById('documents-title').scrollIntoView()").await?;
            tokio::time::sleep(Duration::from_millis(200)).await;
            let path = out.join("console-1280-documents.png");
            std::fs::write(&path, browser.client.screenshot().await?)
                .with_context(|| format!("writing {}", path.display()))?;
            println!("{}", path.display());
            anyhow::Ok(())
        };
        let result = shoot.await;
        browser.close().await?;
        result?;
    }
    println!("documents screenshots written to {}", out.display());
    Ok(())
}
