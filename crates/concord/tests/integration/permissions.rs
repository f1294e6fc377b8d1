//! Staff see and change only what their role and member allow; patrons see only their own account.

use serde_json::json;

use crate::support::{Client, TWO_MEMBERS, TestServer, engines, patron_client};

async fn register(client: &Client, card: &str, family: &str, branch: &str) -> String {
    let reply = client
        .post_json(
            "/api/v1/patrons",
            &json!({"card": card, "family_name": family, "given_names": "Test", "home_branch": branch,
                    "patron_type": "adult", "expires_on": "2030-01-31", "pin": "4321"}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.json()["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn member_staff_cannot_read_or_change_another_members_patrons() {
    for engine in engines() {
        let server = TestServer::start_on(engine).await;
        server.load_org(TWO_MEMBERS).await;
        server
            .staff("shire.desk", "circulation", "branch:SHIRE-CEN")
            .await;
        server
            .staff("rohan.desk", "circulation", "member:ROHAN")
            .await;
        let shire = server.staff_client("shire.desk").await;
        let rohan = server.staff_client("rohan.desk").await;

        let frodo = register(&shire, "1001", "Baggins", "SHIRE-HOB").await;
        let eomer = register(&rohan, "2001", "Eomund", "ROHAN-LAW").await;

        // Reading: own member yes, other member 403 with a reason a person can act on.
        assert_eq!(
            shire.get(&format!("/api/v1/patrons/{frodo}")).await.status,
            200
        );
        let refused = shire.get(&format!("/api/v1/patrons/{eomer}")).await;
        assert_eq!(refused.status, 403, "{engine:?}: {}", refused.body);
        assert_eq!(refused.error_code(), "forbidden");
        assert!(
            refused.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("another member library"),
            "{}",
            refused.body
        );

        // Changing: refused, and nothing changed.
        let change = json!({"family_name": "Changed", "home_branch": "ROHAN-LAW", "patron_type": "adult", "expires_on": "2030-01-31"});
        let refused = shire
            .put_json(&format!("/api/v1/patrons/{eomer}"), &change)
            .await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert_eq!(
            rohan.get(&format!("/api/v1/patrons/{eomer}")).await.json()["family_name"],
            "Eomund"
        );

        // Registering a patron at another member's branch is refused too.
        let refused = shire
            .post_json("/api/v1/patrons", &json!({"card": "1002", "family_name": "X", "home_branch": "ROHAN-MAIN", "patron_type": "adult", "expires_on": "2030-01-01"}))
            .await;
        assert_eq!(refused.status, 403, "{}", refused.body);

        // Searching shows only the member's own patrons.
        let found = shire.get("/api/v1/patrons?q=e").await.json();
        assert!(found.as_array().unwrap().is_empty(), "{found}");
        let found = shire.get("/api/v1/patrons?q=bag").await.json();
        assert_eq!(found.as_array().unwrap().len(), 1);
        let found = shire.get("/api/v1/patrons?q=2001").await.json();
        assert!(
            found.as_array().unwrap().is_empty(),
            "another member's card is not found: {found}"
        );

        // The HTML page says the same.
        let page = shire.get(&format!("/admin/patrons/{eomer}")).await;
        assert_eq!(page.status, 403);
        assert!(page.body.contains("another member library"));
    }
}

#[tokio::test]
async fn a_patron_sees_only_their_own_account() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    server.staff("desk", "circulation", "member:SHIRE").await;
    let desk = server.staff_client("desk").await;
    let frodo = register(&desk, "1001", "Baggins", "SHIRE-CEN").await;
    let sam = register(&desk, "1002", "Gamgee", "SHIRE-CEN").await;

    let (status, patron, login) = patron_client(&server, "1001", "4321").await;
    assert_eq!(status, 200, "{login}");

    let me = patron.get("/api/v1/me").await.json();
    assert_eq!(me["kind"], "patron");
    assert_eq!(me["patron"]["id"], frodo);
    assert_eq!(
        patron.get(&format!("/api/v1/patrons/{frodo}")).await.status,
        200
    );
    let refused = patron.get(&format!("/api/v1/patrons/{sam}")).await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        refused.json()["error"]["message"],
        "You can only see your own account."
    );
    // An id that does not exist reveals nothing more than one that is not theirs.
    assert_eq!(patron.get("/api/v1/patrons/999").await.status, 403);
    assert_eq!(patron.get("/api/v1/patrons?q=gamgee").await.status, 403);
    assert_eq!(patron.get("/api/v1/audit").await.status, 403);

    // The account page shows their details.
    let page = patron.get("/account").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Hello, Test Baggins"), "{}", page.body);
    assert!(page.body.contains("1001"));
    assert!(!page.body.contains("Gamgee"));
}

#[tokio::test]
async fn roles_limit_what_staff_may_do() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    server.staff("viewer", "read_only", "consortium").await;
    server.staff("cat", "cataloguing", "member:SHIRE").await;
    server
        .staff("shire.admin", "member_admin", "member:SHIRE")
        .await;
    let viewer = server.staff_client("viewer").await;
    let cat = server.staff_client("cat").await;
    let admin = server.staff_client("shire.admin").await;

    let frodo = register(&admin, "1001", "Baggins", "SHIRE-CEN").await;
    assert_eq!(
        viewer.get(&format!("/api/v1/patrons/{frodo}")).await.status,
        200,
        "read-only staff may look"
    );
    let change = json!({"family_name": "Changed", "home_branch": "SHIRE-CEN", "patron_type": "adult", "expires_on": "2030-01-31"});
    let refused = viewer
        .put_json(&format!("/api/v1/patrons/{frodo}"), &change)
        .await;
    assert_eq!(refused.status, 403);
    assert!(
        refused.body.contains("Your role does not allow this"),
        "{}",
        refused.body
    );
    assert_eq!(
        cat.get(&format!("/api/v1/patrons/{frodo}")).await.status,
        403,
        "cataloguers do not see patrons"
    );

    // A member admin edits its own member's branding but not another member's, and cannot create members.
    let own =
        json!({"code": "SHIRE", "name": "Shire Libraries", "kind": "public", "colour": "#123456"});
    assert_eq!(
        admin.put_json("/api/v1/members/SHIRE", &own).await.status,
        200
    );
    let other = json!({"code": "ROHAN", "name": "Taken over", "kind": "academic"});
    assert_eq!(
        admin.put_json("/api/v1/members/ROHAN", &other).await.status,
        403
    );
    let new = json!({"code": "GONDOR", "name": "Gondor", "kind": "public"});
    assert_eq!(admin.post_json("/api/v1/members", &new).await.status, 403);

    // A member admin cannot hand out consortium-wide access.
    let escalate = json!({"username": "sneaky", "display_name": "S", "password": "long-enough-pw", "grants": [{"role": "consortium_admin", "scope": "consortium"}]});
    let refused = admin.post_json("/api/v1/staff", &escalate).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let fine = json!({"username": "shire.new", "display_name": "New", "password": "long-enough-pw", "grants": [{"role": "circulation", "scope": "branch:SHIRE-HOB"}]});
    assert_eq!(admin.post_json("/api/v1/staff", &fine).await.status, 201);
}

#[tokio::test]
async fn contact_details_kept_to_the_home_member_are_hidden_from_everyone_else() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    server
        .staff("shire.desk", "circulation", "member:SHIRE")
        .await;
    server
        .staff("central", "consortium_admin", "consortium")
        .await;
    let shire = server.staff_client("shire.desk").await;
    let central = server.staff_client("central").await;
    let frodo = register(&shire, "1001", "Baggins", "SHIRE-HOB").await;
    let private = json!({"email": "frodo@shire.example", "phone": "0117 496 0001",
        "notice_channels": ["email"], "contact_home_member_only": true});
    let saved = shire
        .put_json(&format!("/api/v1/patrons/{frodo}/account"), &private)
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    let url = format!("/api/v1/patrons/{frodo}");

    // Home member's staff see the details; consortium-wide staff see name, cards and status.
    let home = shire.get(&url).await.json();
    assert_eq!(home["email"], "frodo@shire.example");
    let seen = central.get(&url).await.json();
    assert_eq!(seen["family_name"], "Baggins");
    assert_eq!(seen["cards"], json!(["1001"]));
    assert_eq!(seen["email"], serde_json::Value::Null, "{seen}");
    assert_eq!(seen["phone"], serde_json::Value::Null, "{seen}");
    assert_eq!(seen["contact_home_member_only"], true);

    // Nor can they find the patron by those details; by name or card they can.
    let by_email = central.get("/api/v1/patrons?q=frodo@shire.example").await;
    assert!(
        by_email.json().as_array().unwrap().is_empty(),
        "{}",
        by_email.body
    );
    let by_name = central.get("/api/v1/patrons?q=bagg").await.json();
    assert_eq!(by_name.as_array().unwrap().len(), 1, "{by_name}");
    assert_eq!(by_name[0]["email"], serde_json::Value::Null);
    assert_eq!(
        shire
            .get("/api/v1/patrons?q=frodo@shire.example")
            .await
            .json()[0]["family_name"],
        "Baggins"
    );

    // Their edits keep the hidden details, and they cannot lift the patron's choice.
    let edit = json!({"family_name": "Baggins", "given_names": "Frodo", "home_branch": "SHIRE-HOB",
        "patron_type": "adult", "expires_on": "2031-01-31"});
    let edited = central.put_json(&url, &edit).await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    let lift = json!({"notice_channels": ["email"], "contact_home_member_only": false});
    let lifted = central
        .put_json(&format!("/api/v1/patrons/{frodo}/account"), &lift)
        .await;
    assert_eq!(lifted.status, 200, "{}", lifted.body);
    let home = shire.get(&url).await.json();
    assert_eq!(home["given_names"], "Frodo");
    assert_eq!(home["expires_on"], "2031-01-31");
    assert_eq!(home["email"], "frodo@shire.example", "{home}");
    assert_eq!(home["phone"], "0117 496 0001");
    assert_eq!(home["contact_home_member_only"], true);

    // The staff page says why the fields are not there.
    let page = central.get(&format!("/admin/patrons/{frodo}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("shown only to staff of the patron"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("frodo@shire.example"));
    let page = shire.get(&format!("/admin/patrons/{frodo}")).await;
    assert!(page.body.contains("frodo@shire.example"));

    // Nor does the audit log show them the details, in entries written before or after the
    // choice.
    let audit = central
        .get(&format!(
            "/api/v1/audit?entity_kind=patron&entity_id={frodo}"
        ))
        .await;
    assert_eq!(audit.status, 200, "{}", audit.body);
    assert!(
        audit.json().as_array().unwrap().len() >= 3,
        "{}",
        audit.body
    );
    assert!(
        !audit.body.contains("frodo@shire.example"),
        "{}",
        audit.body
    );
    assert!(!audit.body.contains("0117 496 0001"), "{}", audit.body);
    assert!(audit.body.contains("Baggins"));
    let page = central.get("/admin/audit").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(!page.body.contains("frodo@shire.example"));
}
