use crate::helpers::spawn_app;

#[tokio::test]
async fn the_home_page_renders_with_the_govuk_layout() {
    let app = spawn_app().await;
    let res = app.get("/").await;
    assert_eq!(res.status().as_u16(), 200);
    let nonce = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .split("'nonce-")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .unwrap()
        .to_string();
    let html = res.text().await.unwrap();
    assert!(html.contains("<html lang=\"en-GB\""), "{html}");
    assert!(html.contains("govuk-template"));
    assert!(html.contains("/assets/govuk/govuk-frontend.min.css"));
    assert!(html.contains("Outcomes"));
    // The one inline script carries this response's nonce.
    assert!(html.contains(&format!("nonce=\"{nonce}\"")));
    // No crown, no GDS Transport.
    assert!(!html.to_lowercase().contains("crown"));
}

#[tokio::test]
async fn an_unknown_page_shows_the_govuk_not_found_page() {
    let app = spawn_app().await;
    let res = app.get("/no-such-page").await;
    assert_eq!(res.status().as_u16(), 404);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert!(html.contains("Page not found"));
    assert!(html.contains("govuk-heading-l") || html.contains("govuk-heading-xl"));
    // Error pages are rendered without the request's CSP nonce: no inline script that the
    // policy would refuse (the browser journeys fail on any CSP refusal).
    assert!(!html.contains("nonce=\"\""), "{html}");
    assert!(!html.contains("js-enabled"), "{html}");
}

#[tokio::test]
async fn govuk_frontend_assets_are_served_from_the_binary() {
    let app = spawn_app().await;
    let css = app.get("/assets/govuk/govuk-frontend.min.css").await;
    assert_eq!(css.status().as_u16(), 200);
    assert!(css.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    let text = css.text().await.unwrap();
    assert!(text.contains("arial"), "compiled with Arial");
    assert!(!text.contains("GDS Transport"));
    let js = app.get("/assets/govuk/govuk-frontend.min.js").await;
    assert_eq!(js.status().as_u16(), 200);
    assert_eq!(app.get("/assets/nope.css").await.status().as_u16(), 404);
}
