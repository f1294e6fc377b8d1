//! Patrons as one identity: several cards, duplicate warnings, merges, online registration and
//! the patron's own account.

use serde_json::{Value, json};

use crate::support::{Client, Engine, TWO_MEMBERS, TestServer, csrf_in, engines, patron_client};

fn maria(card: &str) -> Value {
    json!({"card": card, "family_name": "Rossi", "given_names": "Maria", "home_branch": "SHIRE-CEN",
           "patron_type": "adult", "expires_on": "2030-01-01", "email": "maria@example.org",
           "date_of_birth": "1980-02-29", "pin": "1234"})
}

/// A server with the two-member consortium, and clients for SHIRE's circulation desk and a
/// consortium administrator.
async fn shire_desk_and_consortium_admin(engine: Engine) -> (TestServer, Client, Client) {
    let server = TestServer::start_on(engine).await;
    server.load_org(TWO_MEMBERS).await;
    server
        .staff("admin", "consortium_admin", "consortium")
        .await;
    server
        .staff("shire.circ", "circulation", "member:SHIRE")
        .await;
    let shire = server.staff_client("shire.circ").await;
    let admin = server.staff_client("admin").await;
    (server, shire, admin)
}

#[tokio::test]
async fn cards_duplicates_and_merges() {
    for engine in engines() {
        let (server, shire, admin) = shire_desk_and_consortium_admin(engine).await;

        let first = shire.post_json("/api/v1/patrons", &maria("S-1")).await;
        assert_eq!(first.status, 201, "{}", first.body);
        let a = first.json()["id"].as_str().unwrap().to_string();

        // The same person again: a warning naming the candidate, nothing written.
        let again = shire.post_json("/api/v1/patrons", &maria("S-2")).await;
        assert_eq!(again.status, 409, "{}", again.body);
        assert_eq!(again.error_code(), "possible_duplicate");
        assert_eq!(again.json()["candidates"][0]["id"], a.as_str());
        let reasons = again.json()["candidates"][0]["reasons"].clone();
        assert_eq!(
            reasons,
            json!(["same_name", "same_email", "same_date_of_birth"])
        );
        // Registered at another member, the warning still comes: one identity consortium-wide.
        let mut elsewhere = maria("R-1");
        elsewhere["home_branch"] = json!("ROHAN-MAIN");
        assert_eq!(
            admin
                .post_json("/api/v1/patrons", &elsewhere)
                .await
                .error_code(),
            "possible_duplicate"
        );
        let mut anyway = maria("S-2");
        anyway["register_anyway"] = json!(true);
        let second = shire.post_json("/api/v1/patrons", &anyway).await;
        assert_eq!(second.status, 201, "{}", second.body);
        let b = second.json()["id"].as_str().unwrap().to_string();
        elsewhere["register_anyway"] = json!(true);
        let rohan = admin.post_json("/api/v1/patrons", &elsewhere).await;
        assert_eq!(rohan.status, 201);
        let c = rohan.json()["id"].as_str().unwrap().to_string();

        // More than one card; a barcode belongs to one patron consortium-wide.
        let added = shire
            .post_json(
                &format!("/api/v1/patrons/{a}/cards"),
                &json!({"barcode": "S-1b"}),
            )
            .await;
        assert_eq!(added.status, 201, "{}", added.body);
        assert_eq!(added.json()["cards"], json!(["S-1", "S-1b"]));
        let taken = shire
            .post_json(
                &format!("/api/v1/patrons/{a}/cards"),
                &json!({"barcode": "R-1"}),
            )
            .await;
        assert_eq!(taken.status, 409);
        let found = shire.get("/api/v1/patrons?q=S-1b").await;
        assert_eq!(found.json()[0]["id"], a.as_str());
        let (status, _, _) = patron_client(&server, "S-1b", "1234").await;
        assert_eq!(status, 200, "either card logs in");
        let off = shire
            .delete(&format!("/api/v1/patrons/{a}/cards/S-1b"))
            .await;
        assert_eq!(off.status, 200, "{}", off.body);
        assert_eq!(off.json()["cards"], json!(["S-1"]));
        let (status, _, _) = patron_client(&server, "S-1b", "1234").await;
        assert_eq!(status, 401, "a deactivated card no longer logs in");
        assert_eq!(
            shire
                .delete(&format!("/api/v1/patrons/{a}/cards/S-1"))
                .await
                .status,
            409,
            "the last card stays"
        );
        let cards = shire
            .get(&format!("/api/v1/patrons/{a}/cards"))
            .await
            .json();
        assert_eq!(cards.as_array().unwrap().len(), 2);

        // Merging across members needs a scope covering both.
        let refused = shire
            .post_json(&format!("/api/v1/patrons/{a}/merge"), &json!({"absorb": c}))
            .await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert_eq!(shire.get(&format!("/api/v1/patrons/{c}")).await.status, 403);
        assert_eq!(
            admin.get(&format!("/api/v1/patrons/{c}")).await.status,
            200,
            "refused merge changed nothing"
        );

        let merged = shire
            .post_json(&format!("/api/v1/patrons/{a}/merge"), &json!({"absorb": b}))
            .await;
        assert_eq!(merged.status, 200, "{}", merged.body);
        assert_eq!(merged.json()["cards"], json!(["S-1", "S-2"]));
        assert_eq!(shire.get(&format!("/api/v1/patrons/{b}")).await.status, 404);
        let (status, _, body) = patron_client(&server, "S-2", "1234").await;
        assert_eq!(status, 200);
        let me = Client {
            csrf: body["csrf_token"].as_str().map(str::to_string),
            ..patron_client(&server, "S-2", "1234").await.1
        };
        assert_eq!(
            me.get("/api/v1/me").await.json()["patron"]["id"],
            a.as_str()
        );
        let audit = admin
            .get(&format!("/api/v1/audit?action=patron.merge&entity_id={a}"))
            .await
            .json();
        let entry = &audit[0];
        assert_eq!(entry["before"]["absorb"]["id"], b.parse::<i64>().unwrap());
        assert_eq!(entry["after"]["moved"], json!([["patron_card", 1]]));

        let across = admin
            .post_json(&format!("/api/v1/patrons/{a}/merge"), &json!({"absorb": c}))
            .await;
        assert_eq!(across.status, 200, "a consortium admin covers both members");
    }
}

#[tokio::test]
async fn self_registration_waits_for_staff_approval() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    server
        .staff("shire.circ", "circulation", "member:SHIRE")
        .await;
    server
        .staff("rohan.circ", "circulation", "member:ROHAN")
        .await;
    let visitor = Client::new(&server);
    let form = visitor.get("/register").await;
    assert_eq!(form.status, 200);
    let forged = visitor
        .post_form(
            "/register",
            &[
                ("csrf", "forged"),
                ("family_name", "Baggins"),
                ("home_branch", "SHIRE-HOB"),
                ("pin", "4321"),
                ("email", "bilbo@example.org"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    let token = csrf_in(&forged.body);
    let done = visitor
        .post_form(
            "/register",
            &[
                ("csrf", &token),
                ("family_name", "Baggins"),
                ("given_names", "Bilbo"),
                ("home_branch", "SHIRE-HOB"),
                ("pin", "4321"),
                ("email", "bilbo@example.org"),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    let card = done
        .body
        .split("registration number is ")
        .nth(1)
        .unwrap()
        .split('.')
        .next()
        .unwrap()
        .to_string();

    let (status, _, body) = patron_client(&server, &card, "4321").await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["code"], "account_pending");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("waiting for library staff")
    );

    let rohan = server.staff_client("rohan.circ").await;
    assert!(
        rohan
            .get("/api/v1/registrations")
            .await
            .json()
            .as_array()
            .unwrap()
            .is_empty()
    );
    let shire = server.staff_client("shire.circ").await;
    let pending = shire.get("/api/v1/registrations").await.json();
    assert_eq!(pending[0]["status"], "pending");
    let id = pending[0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        rohan
            .post_json(&format!("/api/v1/registrations/{id}/approve"), &json!({}))
            .await
            .status,
        403
    );
    let page = shire.get("/admin/registrations").await;
    assert!(page.body.contains("Baggins"));
    let approved = shire
        .post_form(
            &format!("/admin/registrations/{id}/approve"),
            &[("csrf", &csrf_in(&page.body))],
        )
        .await;
    assert_eq!(approved.status, 303, "{}", approved.body);
    let (status, _, _) = patron_client(&server, &card, "4321").await;
    assert_eq!(status, 200);
    server
        .staff("admin", "consortium_admin", "consortium")
        .await;
    let audit = server
        .staff_client("admin")
        .await
        .get(&format!("/api/v1/audit?entity_id={id}"))
        .await
        .json();
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["patron.registration.approve", "patron.self_register"]
    );

    // Throttled by address: a script cannot register without end.
    let mut last = 0;
    for n in 0..6 {
        let form = visitor.get("/register").await;
        let reply = visitor
            .post_form(
                "/register",
                &[
                    ("csrf", &csrf_in(&form.body)),
                    ("family_name", &format!("Took{n}")),
                    ("home_branch", "SHIRE-HOB"),
                    ("pin", "4321"),
                    ("phone", "0117 496 0000"),
                ],
            )
            .await;
        last = reply.status;
    }
    assert_eq!(last, 429);
}

#[tokio::test]
async fn patrons_change_their_own_preferences_and_pin_only() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    server
        .staff("admin", "consortium_admin", "consortium")
        .await;
    let admin = server.staff_client("admin").await;
    let a = admin
        .post_json("/api/v1/patrons", &maria("S-1"))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut other = maria("S-9");
    other["family_name"] = json!("Verdi");
    other["email"] = json!("verdi@example.org");
    other["date_of_birth"] = json!("1990-01-01");
    let b = admin.post_json("/api/v1/patrons", &other).await.json()["id"]
        .as_str()
        .unwrap()
        .to_string();

    let (_, me, _) = patron_client(&server, "S-1", "1234").await;
    let choices = json!({"email": "maria@example.org", "sms_number": "+39 06 1234 5678",
        "notice_channels": ["email", "sms"], "keep_reading_history": true, "preferred_pickup_branch": "ROHAN-MAIN"});
    let saved = me
        .put_json(&format!("/api/v1/patrons/{a}/account"), &choices)
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(saved.json()["notice_channels"], json!(["email", "sms"]));
    assert_eq!(saved.json()["keep_reading_history"], true);
    assert_eq!(saved.json()["preferred_pickup_branch"], "ROHAN-MAIN");
    let not_pickup = me
        .put_json(
            &format!("/api/v1/patrons/{a}/account"),
            &json!({"preferred_pickup_branch": "SHIRE-HOB"}),
        )
        .await;
    assert_eq!(not_pickup.status, 422);
    assert_eq!(
        not_pickup.json()["error"]["fields"][0]["field"],
        "preferred_pickup_branch"
    );
    let theirs = me
        .put_json(&format!("/api/v1/patrons/{b}/account"), &choices)
        .await;
    assert_eq!(theirs.status, 403, "{}", theirs.body);

    // The account page: the reading-history opt-in starts off and is saved by the form.
    let page = me.get("/account").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Keep a list of what I have borrowed"));
    let saved = me
        .post_form(
            "/account",
            &[
                ("csrf", &csrf_in(&page.body)),
                ("email", "maria@example.org"),
                ("notice_email", "1"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let view = admin.get(&format!("/api/v1/patrons/{a}")).await.json();
    assert_eq!(view["keep_reading_history"], false);
    assert_eq!(view["notice_channels"], json!(["email"]));

    let wrong = me
        .put_json(
            "/api/v1/me/pin",
            &json!({"current_pin": "9999", "new_pin": "5678"}),
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert_eq!(wrong.json()["error"]["fields"][0]["field"], "current_pin");
    assert_eq!(
        me.put_json(
            "/api/v1/me/pin",
            &json!({"current_pin": "1234", "new_pin": "5678"})
        )
        .await
        .status,
        204
    );
    assert_eq!(patron_client(&server, "S-1", "1234").await.0, 401);
    assert_eq!(patron_client(&server, "S-1", "5678").await.0, 200);
    let audit = admin
        .get(&format!("/api/v1/audit?entity_id={a}"))
        .await
        .json();
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"patron.account") && actions.contains(&"patron.pin"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn staff_find_patrons_by_name_whatever_the_accents() {
    for engine in engines() {
        let (_server, shire, admin) = shire_desk_and_consortium_admin(engine).await;
        let juergen = |card: &str, family: &str, given: &str| {
            json!({"card": card, "family_name": family, "given_names": given,
                   "home_branch": "SHIRE-CEN", "patron_type": "adult", "expires_on": "2030-01-01",
                   "date_of_birth": "1975-06-01", "pin": "1234"})
        };
        let first = shire
            .post_json("/api/v1/patrons", &juergen("S-10", "Müller", "Jürgen"))
            .await;
        assert_eq!(first.status, 201, "{}", first.body);
        let id = first.json()["id"].as_str().unwrap().to_string();

        for typed in [
            "muller",
            "MULLER",
            "m%C3%BCller",
            "Muller%2C%20J",
            "muller-jurgen",
        ] {
            let found = shire.get(&format!("/api/v1/patrons?q={typed}")).await;
            assert_eq!(found.status, 200, "{}", found.body);
            assert_eq!(
                found.json()[0]["id"],
                id.as_str(),
                "{typed}: {}",
                found.body
            );
            assert_eq!(found.json()[0]["family_name"], "Müller");
        }
        // The staff page's search finds the patron the same way.
        let page = shire.get("/admin/patrons?q=muller").await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("Müller"), "{}", page.body);

        // Registered again without the accents and with the same date of birth: a warning.
        let again = shire
            .post_json("/api/v1/patrons", &juergen("S-11", "Muller", "Jurgen"))
            .await;
        assert_eq!(again.status, 409, "{}", again.body);
        assert_eq!(again.error_code(), "possible_duplicate");
        assert_eq!(again.json()["candidates"][0]["id"], id.as_str());
        assert_eq!(
            again.json()["candidates"][0]["reasons"],
            json!(["same_name", "same_date_of_birth"])
        );

        // Staff who may not see the patron's contact details still find them by their folded name.
        let private = json!({"notice_channels": ["print"], "contact_home_member_only": true});
        let saved = shire
            .put_json(&format!("/api/v1/patrons/{id}/account"), &private)
            .await;
        assert_eq!(saved.status, 200, "{}", saved.body);
        let found = admin.get("/api/v1/patrons?q=muller%20j").await.json();
        assert_eq!(found[0]["id"], id.as_str(), "{found}");
        assert_eq!(found[0]["date_of_birth"], Value::Null, "{found}");
    }
}
