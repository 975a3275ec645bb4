//! The mails' delivery status over real HTTP on the local server: every mail
//! about a verified application listed in its detail, `sent` once it is in
//! the outbox; an SES event fed in (`POST /local/ses-events`, the shape the
//! mail-events function reads on AWS) moves it and flags the list's row;
//! only a supervisor may feed one.

use crate::support::{applied_and_confirmed, sign_in, sign_in_as};
use serde_json::{Value, json};
use std::time::Duration;

fn sample(name: &str) -> Value {
    let path = test_support::workspace_root().join("events").join(format!("mail-events-{name}.json"));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[tokio::test]
async fn each_mail_is_listed_sent_and_an_ses_event_moves_it_and_flags_the_row() {
    let data = tempfile::tempdir().unwrap();
    let running = local::start(local::Config::new(0, data.path())).await.unwrap();
    let base = running.url();
    let client = reqwest::Client::new();

    let id = applied_and_confirmed(
        &client,
        &running,
        data.path(),
        "mails@example.com",
        "mail-status-path-key-0001",
    )
    .await;

    // The first start's operator: a supervisor.
    let bearer = sign_in(&client, &running).await;
    let detail = |bearer: String| {
        let (client, url) = (client.clone(), format!("{base}api/admin/applications/{id}"));
        async move { client.get(url).bearer_auth(bearer).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    // Delivery runs beside the answer: wait for both confirmation mails.
    let mut mails = Vec::new();
    for _ in 0..100 {
        mails = detail(bearer.clone()).await["mails"].as_array().unwrap().clone();
        if mails.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let listed: Vec<(&str, &str, &str, &str)> = mails
        .iter()
        .map(|m| {
            (
                m["mailId"].as_str().unwrap(),
                m["kind"].as_str().unwrap(),
                m["to"].as_str().unwrap(),
                m["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("acknowledgement", "acknowledgement", "applicant", "sent"),
            ("operator-notice", "operator-notice", "operators", "sent"),
        ],
        "the verification link is not listed: {mails:?}"
    );
    assert!(mails.iter().all(|m| m["detail"].is_null() && m["sentAt"].is_string()));
    let row = |bearer: String| {
        let (client, url) = (client.clone(), format!("{base}api/admin/applications?status=received"));
        async move {
            let page: Value = client.get(url).bearer_auth(bearer).send().await.unwrap().json().await.unwrap();
            page["items"][0].clone()
        }
    };
    assert_eq!(row(bearer.clone()).await["mailProblem"], false);

    // The applicant's 控え bounced: SES's event, tagged as the mail was sent.
    let mut event = sample("bounce-noemail");
    event["detail"]["mail"]["tags"]["application"] = json!([id]);
    event["detail"]["mail"]["tags"]["mail"] = json!(["acknowledgement"]);
    event["detail"]["mail"]["messageId"] = mails[0]["messageId"].clone();
    let feed = |bearer: String, body: Value| {
        let (client, url) = (client.clone(), format!("{base}{}", &shared::routes::LOCAL_SES_EVENTS[1..]));
        async move { client.post(url).bearer_auth(bearer).json(&body).send().await.unwrap() }
    };
    // An operator may not; a supervisor may.
    let clerk_password = "operator-password-0123";
    local::operators::add(
        data.path(),
        "clerk@example.com",
        Some(clerk_password.into()),
        Some(shared::domain::Role::Operator),
    )
    .unwrap();
    let clerk = sign_in_as(&client, &running, "clerk@example.com", clerk_password).await;
    let refused = feed(clerk, event.clone()).await;
    assert_eq!(refused.status().as_u16(), 403);
    assert_eq!(row(bearer.clone()).await["mailProblem"], false, "nothing recorded");
    let answer = feed(bearer.clone(), event.clone()).await;
    assert_eq!(answer.status().as_u16(), 200);
    assert_eq!(answer.json::<Value>().await.unwrap(), json!({ "recorded": true }));
    let again = feed(bearer.clone(), event.clone()).await.json::<Value>().await.unwrap();
    assert_eq!(
        again,
        json!({ "recorded": false }),
        "an event arrives at least once; the second changes nothing"
    );
    let mails = detail(bearer.clone()).await["mails"].as_array().unwrap().clone();
    assert_eq!(mails[0]["status"], "bounced");
    assert_eq!(mails[0]["detail"], "宛先のメールアドレスが存在しません");
    assert_eq!(mails[1]["status"], "sent");
    assert_eq!(row(bearer.clone()).await["mailProblem"], true);

    // Junk is a clear 4xx, never a 500.
    let junk = client
        .post(format!("{base}{}", &shared::routes::LOCAL_SES_EVENTS[1..]))
        .bearer_auth(&bearer)
        .header("content-type", "application/json")
        .body("[")
        .send()
        .await
        .unwrap();
    assert_eq!(junk.status().as_u16(), 400);
    let unsigned = client
        .post(format!("{base}{}", &shared::routes::LOCAL_SES_EVENTS[1..]))
        .json(&event)
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status().as_u16(), 401);
    running.shutdown().await.unwrap();
}
