//! Logins, sessions, anti-forgery tokens, throttling and integration tokens.

use serde_json::json;

use crate::support::{Client, TWO_MEMBERS, TestServer, csrf_in};

#[tokio::test]
async fn cookie_sessions_need_the_anti_forgery_token_and_end_at_logout() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    server
        .staff("admin", "consortium_admin", "consortium")
        .await;
    let admin = server.staff_client("admin").await;
    let member = json!({"code": "GONDOR", "name": "Gondor Public Library", "kind": "public"});

    let without = Client {
        csrf: None,
        ..admin.clone()
    };
    let refused = without.post_json("/api/v1/members", &member).await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.error_code(), "csrf_mismatch");
    let wrong = Client {
        csrf: Some("0".repeat(64)),
        ..admin.clone()
    };
    assert_eq!(
        wrong
            .post_json("/api/v1/members", &member)
            .await
            .error_code(),
        "csrf_mismatch"
    );
    assert_eq!(
        admin.post_json("/api/v1/members", &member).await.status,
        201
    );

    assert_eq!(admin.delete("/api/v1/session").await.status, 204);
    let after = admin.get("/api/v1/me").await;
    assert_eq!(after.status, 401);
    assert_eq!(after.error_code(), "unauthenticated");
}

#[tokio::test]
async fn html_login_and_forms_carry_the_token() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    server
        .staff("admin", "consortium_admin", "consortium")
        .await;
    let browser = Client::new(&server);

    let form = browser.get("/login").await;
    assert_eq!(form.status, 200);
    assert_eq!(csrf_in(&form.body).len(), 64);
    let forged = browser
        .post_form(
            "/login",
            &[
                ("csrf", "forged"),
                ("username", "admin"),
                ("password", "admin-password"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    // Every login page sets a fresh token; a browser posts the one from the page it shows.
    let token = csrf_in(&forged.body);
    let wrong = browser
        .post_form(
            "/login",
            &[
                ("csrf", &token),
                ("username", "admin"),
                ("password", "nope"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("The login details are not right."));
    let token = csrf_in(&wrong.body);
    let ok = browser
        .post_form(
            "/login",
            &[
                ("csrf", &token),
                ("username", "Admin"),
                ("password", "admin-password"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(ok.headers["location"], "/admin");

    let dashboard = browser.get("/admin").await;
    assert!(dashboard.body.contains("staff:admin"), "{}", dashboard.body);
    let page = browser.get("/admin/members/SHIRE").await;
    let token = csrf_in(&page.body);
    let bad = browser
        .post_form(
            "/admin/members/SHIRE",
            &[
                ("csrf", &token),
                ("code", "SHIRE"),
                ("name", ""),
                ("kind", "public"),
                ("colour", "green"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains("is required") && bad.body.contains("is not a colour like #1a5276"),
        "{}",
        bad.body
    );
    let saved = browser
        .post_form(
            "/admin/members/SHIRE",
            &[
                ("csrf", &token),
                ("code", "SHIRE"),
                ("name", "The Shire"),
                ("kind", "public"),
                ("colour", "#2e6b30"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303);
    let no_token = browser
        .post_form(
            "/admin/members/SHIRE",
            &[("code", "SHIRE"), ("name", "X"), ("kind", "public")],
        )
        .await;
    assert_eq!(no_token.status, 403);
    assert!(
        browser
            .get("/admin/members/SHIRE")
            .await
            .body
            .contains("The Shire")
    );
}

#[tokio::test]
async fn repeated_failed_logins_are_throttled() {
    let server = TestServer::start().await;
    server
        .staff("admin", "consortium_admin", "consortium")
        .await;
    let client = Client::new(&server);
    for _ in 0..5 {
        let reply = client
            .post_json(
                "/api/v1/session",
                &json!({"username": "admin", "password": "guess"}),
            )
            .await;
        assert_eq!(reply.status, 401);
        assert_eq!(reply.error_code(), "bad_credentials");
    }
    // Even the right password waits now.
    let reply = client
        .post_json(
            "/api/v1/session",
            &json!({"username": "admin", "password": "admin-password"}),
        )
        .await;
    assert_eq!(reply.status, 429, "{}", reply.body);
    assert_eq!(reply.error_code(), "too_many_attempts");
    assert!(reply.headers.contains_key("retry-after"));
    // Unknown usernames are answered the same way as wrong passwords.
    let reply = client
        .post_json(
            "/api/v1/session",
            &json!({"username": "nobody", "password": "guess"}),
        )
        .await;
    assert_eq!(reply.error_code(), "bad_credentials");
}

#[tokio::test]
async fn api_tokens_are_scoped_and_revocable() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    server
        .staff("shire.admin", "member_admin", "member:SHIRE")
        .await;
    let admin = server.staff_client("shire.admin").await;

    let created = admin
        .post_json(
            "/api/v1/tokens",
            &json!({"name": "Hobbiton kiosk", "role": "circulation", "scope": "branch:SHIRE-HOB"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let token = created.json();
    let secret = token["secret"].as_str().unwrap().to_string();
    assert!(
        admin.get("/api/v1/tokens").await.json()[0]
            .get("secret")
            .is_none(),
        "the secret is shown once"
    );

    let kiosk = Client {
        bearer: Some(secret.clone()),
        ..Client::new(&server)
    };
    let me = kiosk.get("/api/v1/me").await.json();
    assert_eq!(me["kind"], "token");
    assert_eq!(me["grants"][0]["scope"], "branch:SHIRE-HOB");
    let registered = kiosk
        .post_json("/api/v1/patrons", &json!({"card": "3001", "family_name": "Proudfoot", "home_branch": "SHIRE-HOB", "patron_type": "adult", "expires_on": "2030-01-01"}))
        .await;
    assert_eq!(
        registered.status, 201,
        "bearer requests need no anti-forgery token: {}",
        registered.body
    );
    let refused = kiosk
        .post_json("/api/v1/patrons", &json!({"card": "3002", "family_name": "Rider", "home_branch": "ROHAN-MAIN", "patron_type": "adult", "expires_on": "2030-01-01"}))
        .await;
    assert_eq!(refused.status, 403);

    // A member admin cannot issue tokens for another member.
    let other = admin
        .post_json(
            "/api/v1/tokens",
            &json!({"name": "x", "role": "read_only", "scope": "member:ROHAN"}),
        )
        .await;
    assert_eq!(other.status, 403);

    let id = token["id"].as_str().unwrap();
    assert_eq!(
        admin.delete(&format!("/api/v1/tokens/{id}")).await.status,
        200
    );
    let after = kiosk.get("/api/v1/me").await;
    assert_eq!(after.status, 401);
    assert!(after.body.contains("unknown, expired or revoked"));
    assert_eq!(
        admin.delete(&format!("/api/v1/tokens/{id}")).await.status,
        409
    );
}
