//! The stored policy matrix: who may change which rules, field errors, and "which rule applies
//! and why" over the API and on the staff page.

use serde_json::json;

use crate::support::{TWO_MEMBERS, TestServer, engines};

async fn patron(server: &TestServer, card: &str, branch: &str, patron_type: &str) {
    let admin = server.staff_client("admin").await;
    let reply = admin
        .post_json(
            "/api/v1/patrons",
            &json!({"card": card, "family_name": format!("Reader{card}"), "home_branch": branch,
                    "patron_type": patron_type, "expires_on": "2030-01-01"}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
}

#[tokio::test]
async fn member_admins_manage_only_their_own_rules_and_explain_names_the_rule() {
    for engine in engines() {
        let server = TestServer::start_on(engine).await;
        server.load_org(TWO_MEMBERS).await;
        server
            .staff("admin", "consortium_admin", "consortium")
            .await;
        server
            .staff("shire.admin", "member_admin", "member:SHIRE")
            .await;
        server
            .staff("shire.circ", "circulation", "member:SHIRE")
            .await;
        let admin = server.staff_client("admin").await;
        let shire = server.staff_client("shire.admin").await;
        let circ = server.staff_client("shire.circ").await;

        let defaults = json!({"description": "Consortium defaults", "settings": {
            "loan_period": "21d", "renewals_allowed": "2", "max_loans_total": "30",
            "max_loans_of_item_type": "30", "fine_per_period": "0.25", "grace_periods": "1",
            "max_fine_per_item": "5", "charge_fines_when_closed": "no", "patron_fine_limit": "10",
            "default_replacement_cost": "20", "lost_item_processing_fee": "5", "holdable": "yes",
            "lendable_outside_owning_member": "yes"}});
        // A consortium default needs a consortium administrator.
        let refused = shire.post_json("/api/v1/policies", &defaults).await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        let created = admin.post_json("/api/v1/policies", &defaults).await;
        assert_eq!(created.status, 201, "{}", created.body);
        let default_id = created.json()["id"].as_str().unwrap().to_string();
        assert_eq!(created.json()["settings"]["fine_per_period"], "0.25");

        // Clear field errors, all at once.
        let bad = shire
            .post_json(
                "/api/v1/policies",
                &json!({"description": "DVDs", "circulating_member": "SHIRE",
                "settings": {"loan_period": "7", "fine_per_period": "0,5", "holdable": "maybe"}}),
            )
            .await;
        assert_eq!(bad.status, 422, "{}", bad.body);
        let body = bad.json();
        let fields: Vec<&str> = body["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        // Settings arrive as a JSON object, read in name order.
        assert_eq!(fields, ["fine_per_period", "holdable", "loan_period"]);

        let dvd = json!({"description": "Shire DVDs: one week", "circulating_member": "SHIRE",
                         "item_type": "dvd", "settings": {"loan_period": "7d"}});
        let created = shire.post_json("/api/v1/policies", &dvd).await;
        assert_eq!(created.status, 201, "{}", created.body);
        let shire_rule = created.json()["id"].as_str().unwrap().to_string();
        // A branch rule is its member's rule; a member admin cannot write another member's.
        let rohan_branch = shire
            .post_json(
                "/api/v1/policies",
                &json!({"description": "Law", "circulating_branch": "ROHAN-LAW",
                "settings": {"loan_period": "2d"}}),
            )
            .await;
        assert_eq!(rohan_branch.status, 403, "{}", rohan_branch.body);
        let rohan = admin
            .post_json(
                "/api/v1/policies",
                &json!({"description": "Rohan law library: two days",
                "circulating_branch": "ROHAN-LAW", "settings": {"loan_period": "2d"}}),
            )
            .await;
        assert_eq!(rohan.status, 201, "{}", rohan.body);
        assert_eq!(rohan.json()["circulating_member"], "ROHAN");
        let rohan_id = rohan.json()["id"].as_str().unwrap().to_string();
        for path in [
            format!("/api/v1/policies/{rohan_id}"),
            format!("/api/v1/policies/{default_id}"),
        ] {
            let changed = shire.put_json(&path, &dvd).await;
            assert_eq!(changed.status, 403, "{path}: {}", changed.body);
            assert_eq!(shire.delete(&path).await.status, 403, "{path}");
        }
        // Nor can a member admin hand their rule to another member.
        let moved = shire
            .put_json(
                &format!("/api/v1/policies/{shire_rule}"),
                &json!({"description": "x",
                "circulating_member": "ROHAN", "settings": {"loan_period": "7d"}}),
            )
            .await;
        assert_eq!(moved.status, 403, "{}", moved.body);
        assert_eq!(circ.post_json("/api/v1/policies", &dvd).await.status, 403);
        // Every staff member can read the matrix.
        assert_eq!(
            circ.get("/api/v1/policies")
                .await
                .json()
                .as_array()
                .unwrap()
                .len(),
            3
        );

        patron(&server, "P-1", "SHIRE-CEN", "adult").await;
        let explained = circ
            .get("/api/v1/policies/explain?patron=P-1&branch=SHIRE-HOB&item_type=DVD&shelving_location=STACKS")
            .await;
        assert_eq!(explained.status, 200, "{}", explained.body);
        let body = explained.json();
        assert_eq!(body["complete"], true);
        let loan = &body["values"][0];
        assert_eq!(loan["field"], "loan_period");
        assert_eq!(loan["value"], "7 days");
        assert_eq!(loan["supplied_by"]["description"], "Shire DVDs: one week");
        assert_eq!(
            loan["passed_over"][0]["rule"]["description"],
            "Rohan law library: two days"
        );
        assert_eq!(
            loan["passed_over"][0]["reason"],
            "does not match: circulating_branch is SHIRE-HOB, not ROHAN-LAW; circulating_member is SHIRE, not ROHAN"
        );
        let renewals = &body["values"][1];
        assert_eq!(
            renewals["supplied_by"]["description"],
            "Consortium defaults"
        );
        assert_eq!(
            renewals["passed_over"][0]["rule"]["description"],
            "Shire DVDs: one week"
        );
        assert_eq!(
            renewals["passed_over"][0]["reason"],
            "matches but does not set this value"
        );

        let missing = circ.get("/api/v1/policies/explain?patron=NOPE&branch=SHIRE-HOB&item_type=DVD&shelving_location=X").await;
        assert_eq!(missing.status, 422);
        assert_eq!(missing.json()["error"]["fields"][0]["field"], "patron");

        let page = circ
            .get("/admin/policies/explain?patron=P-1&branch=SHIRE-HOB&item_type=DVD&shelving_location=STACKS")
            .await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("Shire DVDs: one week"), "{}", page.body);
        assert!(page.body.contains("7 days"));
        assert!(
            page.body
                .contains("circulating_branch is SHIRE-HOB, not ROHAN-LAW")
        );
        let list = circ.get("/admin/policies").await;
        assert!(list.body.contains("item_type=DVD"), "{}", list.body);

        // Changes are audited with before and after.
        let audit = admin.get("/api/v1/audit?entity_kind=policy_rule").await;
        let entries = audit.json();
        let actions: Vec<&str> = entries
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions.iter().filter(|a| **a == "policy.create").count(), 3);
    }
}
