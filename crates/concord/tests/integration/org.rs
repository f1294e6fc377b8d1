//! The consortium's organisation through the API and pages, with clear errors and an audit trail.

use serde_json::json;

use crate::support::{Client, TWO_MEMBERS, TestServer, engines};

#[tokio::test]
async fn members_and_branches_through_the_api_with_clear_errors() {
    for engine in engines() {
        let server = TestServer::start_on(engine).await;
        server
            .staff("admin", "consortium_admin", "consortium")
            .await;
        let admin = server.staff_client("admin").await;

        let created = admin
            .post_json("/api/v1/members", &json!({"code": "bree", "name": "Bree Public Library", "kind": "public", "colour": "#AA3300"}))
            .await;
        assert_eq!(created.status, 201, "{}", created.body);
        assert_eq!(created.json()["code"], "BREE");
        assert_eq!(created.json()["colour"], "#aa3300");

        let duplicate = admin
            .post_json(
                "/api/v1/members",
                &json!({"code": "BREE", "name": "Again", "kind": "public"}),
            )
            .await;
        assert_eq!(duplicate.status, 409, "{engine:?}: {}", duplicate.body);
        assert_eq!(
            duplicate.json()["error"]["message"],
            "member code BREE is already taken"
        );

        let invalid = admin
            .post_json(
                "/api/v1/members",
                &json!({"code": "a b", "name": "", "kind": "museum"}),
            )
            .await;
        assert_eq!(invalid.status, 422);
        let fields: Vec<String> = invalid.json()["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(fields, ["code", "name", "kind"]);

        let missing = admin
            .post_json("/api/v1/members", &json!({"name": "No code"}))
            .await;
        assert_eq!(missing.status, 422);
        assert!(
            missing.body.contains("missing field `code`"),
            "{}",
            missing.body
        );
        let typo = admin
            .post_json(
                "/api/v1/members",
                &json!({"code": "X", "name": "X", "kind": "public", "colur": "#000000"}),
            )
            .await;
        assert!(typo.body.contains("unknown field `colur`"), "{}", typo.body);

        let branch = json!({"code": "BREE-MAIN", "name": "Prancing Pony Reading Room", "address": "Great East Road",
            "opening_hours": {"monday": "09:00-12:00, 13:00-17:00", "saturday": "10:00-13:00"},
            "closed_dates": [{"date": "2026-12-25", "reason": "Christmas"}], "pickup_location": true, "curbside": true});
        let created = admin
            .post_json("/api/v1/members/BREE/branches", &branch)
            .await;
        assert_eq!(created.status, 201, "{}", created.body);
        let view = admin.get("/api/v1/branches/bree-main").await.json();
        assert_eq!(view["opening_hours"]["monday"], "09:00-12:00, 13:00-17:00");
        assert_eq!(view["opening_hours"]["sunday"], "closed");
        assert_eq!(view["closed_dates"][0]["date"], "2026-12-25");
        assert_eq!(view["member"], "BREE");

        let bad_hours = json!({"code": "BREE-2", "name": "Two", "opening_hours": {"monday": "17:00-09:00", "funday": "09:00-10:00"}});
        let refused = admin
            .post_json("/api/v1/members/BREE/branches", &bad_hours)
            .await;
        assert_eq!(refused.status, 422);
        assert!(
            refused.body.contains("opening_hours.funday")
                && refused
                    .body
                    .contains("closes at 09:00 before it opens at 17:00"),
            "{}",
            refused.body
        );
        assert_eq!(
            admin
                .post_json("/api/v1/members/NOPE/branches", &branch)
                .await
                .status,
            404
        );
        let unknown = admin.get("/api/v1/branches/NOPE").await;
        assert_eq!(unknown.status, 404);
        assert_eq!(
            unknown.json()["error"]["message"],
            "branch NOPE was not found"
        );
        assert_eq!(
            admin
                .post_json("/api/v1/members/BREE/branches", &branch)
                .await
                .status,
            409
        );
    }
}

#[tokio::test]
async fn a_whole_consortium_loads_in_one_step_and_again_without_changes() {
    let server = TestServer::start().await;
    server
        .staff("admin", "consortium_admin", "consortium")
        .await;
    let admin = server.staff_client("admin").await;
    // A consortium the size of SEO: 97 members, 257 branches.
    let mut file = String::from(
        "[consortium]\ncode = \"SEO\"\nname = \"Search Engine Ohio\"\nutc_offset = \"-05:00\"\n",
    );
    let mut branches = 0;
    for m in 0..97 {
        let kind = ["public", "academic", "school", "special"][m % 4];
        file.push_str(&format!(
            "[[members]]\ncode = \"M{m:03}\"\nname = \"Member {m}\"\nkind = \"{kind}\"\n"
        ));
        for b in 0..(if m < 63 { 3 } else { 2 }) {
            file.push_str(&format!("  [[members.branches]]\n  code = \"M{m:03}-{b}\"\n  name = \"Branch {b} of {m}\"\n  pickup = true\n  hours = {{ monday = \"09:00-17:00\" }}\n"));
            branches += 1;
        }
    }
    assert_eq!(branches, 257);
    // Before the consortium is set up its pages go by the software's name; once loaded, by the
    // consortium's own at once, and a member's view by the member's.
    let home = admin.get("/").await.body;
    assert!(
        home.contains(r#"<a class="name" href="/">Concord</a>"#),
        "{home}"
    );
    let loaded = admin.send_text("/api/v1/org/load", &file).await;
    assert_eq!(loaded.status, 200, "{}", loaded.body);
    let search = admin.get("/search").await.body;
    assert!(
        search.contains(r#"<a class="name" href="/">Search Engine Ohio</a>"#),
        "{search}"
    );
    assert!(
        search.contains("<title>Search · Search Engine Ohio</title>"),
        "{search}"
    );
    assert!(
        search.contains("<footer>Search Engine Ohio — one catalogue"),
        "{search}"
    );
    let member = admin.get("/m/M001/search").await.body;
    assert!(
        member.contains(r#"<a class="name" href="/m/M001">Member 1</a>"#),
        "{member}"
    );
    assert!(
        member.contains("<title>Search · Member 1</title>"),
        "{member}"
    );
    assert_eq!(loaded.json()["members_created"], 97);
    assert_eq!(loaded.json()["branches_created"], 257);
    let again = admin.send_text("/api/v1/org/load", &file).await.json();
    assert_eq!(again["members_unchanged"], 97);
    assert_eq!(again["branches_unchanged"], 257);
    assert_eq!(
        admin
            .get("/api/v1/branches")
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        257
    );

    // One bad line anywhere: nothing is written, and every problem is named.
    let broken = file
        .replace("code = \"M050-1\"", "code = \"M050-0\"")
        .replace("name = \"Member 7\"", "name = \"\"")
        + "[[members]]\ncode = \"NEW\"\nname = \"New\"\nkind = \"public\"\n";
    let refused = admin.send_text("/api/v1/org/load", &broken).await;
    assert_eq!(refused.status, 422);
    let fields = refused.json()["error"]["fields"].clone();
    assert_eq!(fields[0]["field"], "members[7].name");
    assert_eq!(fields[1]["field"], "members[50].branches[1].code");
    assert_eq!(
        fields[1]["reason"],
        "branch M050-0 appears twice in the file"
    );
    assert_eq!(
        admin.get("/api/v1/members/NEW").await.status,
        404,
        "nothing from a rejected file is written"
    );
}

#[tokio::test]
async fn every_change_is_audited_and_admins_browse_their_part() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    server
        .staff("admin", "consortium_admin", "consortium")
        .await;
    server
        .staff("shire.admin", "member_admin", "member:SHIRE")
        .await;
    let admin = server.staff_client("admin").await;
    let shire = server.staff_client("shire.admin").await;

    let update = json!({"code": "ROHAN", "name": "Rohan University Libraries", "kind": "academic"});
    assert_eq!(
        admin
            .put_json("/api/v1/members/ROHAN", &update)
            .await
            .status,
        200
    );
    let update =
        json!({"code": "SHIRE", "name": "Shire Libraries", "kind": "public", "colour": "#336633"});
    assert_eq!(
        shire
            .put_json("/api/v1/members/SHIRE", &update)
            .await
            .status,
        200
    );

    let log = admin
        .get("/api/v1/audit?entity_kind=member&action=member.update")
        .await
        .json();
    let entries = log.as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["actor"], "staff:shire.admin");
    assert_eq!(entries[0]["before"]["branding"]["colour"], "#2e6b30");
    assert_eq!(entries[0]["after"]["branding"]["colour"], "#336633");
    assert_eq!(entries[1]["entity_id"], "ROHAN");
    assert_eq!(entries[1]["before"]["name"], "Rohan University Library");

    // The member admin sees its own member's entries only, by default and when asking.
    let own = shire.get("/api/v1/audit").await.json();
    assert!(
        own.as_array()
            .unwrap()
            .iter()
            .all(|e| e["member"] == "SHIRE"),
        "{own}"
    );
    assert!(!own.as_array().unwrap().is_empty());
    assert_eq!(shire.get("/api/v1/audit?member=ROHAN").await.status, 403);
    let by_actor = admin.get("/api/v1/audit?actor=staff:admin").await.json();
    assert_eq!(by_actor.as_array().unwrap().len(), 1);
    let bad = admin.get("/api/v1/audit?limit=lots").await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.error_code(), "invalid_input");
    assert!(bad.body.contains("limit"), "{}", bad.body);
    let bad = admin.get("/api/v1/audit?since=yesterday").await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("since"));

    // The page lists them too.
    let browser = Client {
        csrf: None,
        ..admin.clone()
    };
    let page = browser.get("/admin/audit?entity_kind=member").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("member.update") && page.body.contains("staff:shire.admin"));
}

#[tokio::test]
async fn health_readiness_and_unknown_paths() {
    let server = TestServer::start().await;
    let client = Client::new(&server);
    let health = client.get("/healthz").await;
    assert_eq!((health.status, health.body.as_str()), (200, "ok"));
    assert!(health.headers.contains_key("x-request-id"));
    let ready = client.get("/readyz").await.json();
    assert_eq!(ready["status"], "ready");
    assert_eq!(
        ready["search"]["applied_change_seq"], ready["search"]["latest_change_seq"],
        "{ready}"
    );
    let openapi = client.get("/api/openapi.json").await;
    assert_eq!(openapi.status, 200);
    assert_eq!(openapi.json()["openapi"], "3.1.0");
    let missing = client.get("/api/v1/nothing-here").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.error_code(), "not_found");
    assert_eq!(client.get("/no-such-page").await.status, 404);
    assert_eq!(
        client.get("/admin").await.status,
        303,
        "staff pages send strangers to the login"
    );
}
