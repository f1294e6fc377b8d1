//! Circulation through the API: checkout with blocks and overrides, check-in routing, renewals,
//! fines and payments, concurrent checkouts of the same items on both engines, and what the
//! catalogue says of a copy on loan.

use concord_domain::auth::Principal;
use concord_domain::catalogue::{BibSummary, ItemStatus};
use concord_domain::circulation::{LoanPeriod, MatchPoints, PolicyRule, PolicySettings};
use concord_domain::codes::{Barcode, Code};
use concord_domain::ids::{BibId, ItemId, PatronId, PolicyRuleId};
use concord_domain::money::{Currency, Money};
use concord_domain::patron::PatronInput;
use concord_server::Context;
use concord_server::service::{circulation, patrons};
use concord_store::catalogue::{BibRow, ItemRow};
use serde_json::json;

use crate::support::{Client, TWO_MEMBERS, TestServer, engines};

/// The consortium default rule the tests lend under: 14 days, 1 renewal, 3 loans, 2 of a type,
/// 0.25 a day after 1 grace day up to 5.00, blocked over 10.00, lent across members.
pub fn default_rule(currency: Currency) -> PolicyRule {
    let money = |minor| Some(Money::new(minor, currency));
    PolicyRule {
        id: PolicyRuleId(1),
        match_points: MatchPoints::default(),
        settings: PolicySettings {
            loan_period: Some(LoanPeriod::Days(14)),
            renewals_allowed: Some(1),
            max_loans_total: Some(3),
            max_loans_of_item_type: Some(2),
            fine_per_period: money(25),
            grace_periods: Some(1),
            max_fine_per_item: money(500),
            charge_fines_when_closed: Some(true),
            patron_fine_limit: money(1000),
            default_replacement_cost: money(2000),
            lost_item_processing_fee: money(500),
            holdable: Some(true),
            lendable_outside_owning_member: Some(true),
        },
    }
}

/// The organisation, the default rule and one bib.
pub async fn circulation_fixture(ctx: &Context) -> BibId {
    concord_server::service::orgfile::load(ctx, &Principal::Operator, TWO_MEMBERS)
        .await
        .unwrap();
    let mut tx = ctx.store.write().await.unwrap();
    concord_store::policies::insert_policy_rule(
        &mut tx,
        &default_rule(Currency::USD),
        "defaults",
        ctx.now(),
    )
    .await
    .unwrap();
    let bib = BibId(ctx.new_id());
    concord_store::catalogue::insert_bib(
        &mut tx,
        &BibRow {
            id: bib,
            summary: BibSummary {
                record_type: 'a',
                bibliographic_level: 'm',
                title: "The Hobbit".into(),
                author: "Tolkien, J. R. R.".into(),
                publication_year: Some(1937),
            },
            match_key: None,
            title_key: "hobbit".into(),
            marc: Vec::new(),
            source_member: None,
            source_record_id: "test-1".into(),
            withdrawn: false,
            version: 1,
            created_at: ctx.now(),
            updated_at: ctx.now(),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    bib
}

/// An item of `bib` owned by the branch `branch_code`.
pub async fn add_item(
    ctx: &Context,
    bib: BibId,
    branch_code: &str,
    barcode: &str,
    item_type: &str,
) {
    let mut tx = ctx.store.write().await.unwrap();
    let branch =
        concord_store::org::branch_by_code(&mut tx, &Code::parse("b", branch_code).unwrap())
            .await
            .unwrap()
            .unwrap();
    concord_store::catalogue::insert_item(
        &mut tx,
        &ItemRow {
            id: ItemId(ctx.new_id()),
            bib_id: bib,
            member_id: branch.member_id,
            branch_id: branch.id,
            current_branch_id: branch.id,
            barcode: Barcode::parse("b", barcode).unwrap(),
            call_number: "823 TOL".into(),
            item_type: Code::parse("t", item_type).unwrap(),
            shelving_location: None,
            price_minor: Some(1599),
            status: ItemStatus::Available,
            hidden_from_other_members: false,
            created_at: ctx.now(),
            updated_at: ctx.now(),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// A patron of the branch's member holding `card`, expiring on `expires_on`.
pub async fn add_patron(
    ctx: &Context,
    card: &str,
    branch_code: &str,
    expires_on: &str,
) -> PatronId {
    let input = PatronInput {
        card: card.into(),
        family_name: format!("Baggins {card}"),
        given_names: "Bilbo".into(),
        home_branch: branch_code.into(),
        patron_type: "ADULT".into(),
        expires_on: expires_on.into(),
        ..PatronInput::default()
    };
    patrons::register(ctx, &Principal::Operator, &input, None, true)
        .await
        .unwrap()
        .id
}

fn block_codes(reply: &crate::support::Reply) -> Vec<String> {
    reply.json()["error"]["blocks"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|b| b["code"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn checkout_checkin_renew_with_blocks_overrides_and_routing() {
    for engine in engines() {
        let server = TestServer::start_on(engine).await;
        let bib = circulation_fixture(&server.ctx).await;
        for n in 1..=5 {
            add_item(&server.ctx, bib, "SHIRE-CEN", &format!("S{n}"), "BOOK").await;
        }
        add_item(&server.ctx, bib, "ROHAN-MAIN", "R1", "DVD").await;
        let bilbo = add_patron(&server.ctx, "P1", "SHIRE-CEN", "2099-01-01").await;
        add_patron(&server.ctx, "P2", "SHIRE-HOB", "2000-01-01").await;
        server.staff("desk", "circulation", "member:SHIRE").await;
        server.staff("reader", "read_only", "member:SHIRE").await;
        let desk = server.staff_client("desk").await;

        let out = |card: &str, item: &str| json!({"branch": "SHIRE-CEN", "patron_card": card, "item_barcode": item});
        let first = desk.post_json("/api/v1/checkout", &out("P1", "S1")).await;
        assert_eq!(first.status, 201, "{engine:?}: {}", first.body);
        assert_eq!(first.json()["title"], "The Hobbit");
        // The checkout logged a change of the bib for the search index (availability facets).
        let mut conn = server.ctx.store.read().await.unwrap();
        let newest = concord_store::catalogue::max_change_seq(&mut conn)
            .await
            .unwrap();
        let last = concord_store::catalogue::changes_since(&mut conn, newest - 1, 1)
            .await
            .unwrap();
        drop(conn);
        assert_eq!(
            (last[0].entity_kind.as_str(), last[0].entity_id),
            ("bib", bib.0)
        );
        let due = first.json()["due_at"].as_i64().unwrap();
        let now = server.ctx.now();
        // Fourteen days, moved on to the next open day (Shire Central opens Mondays and Tuesdays).
        assert!(
            (now + 13 * 86_400..=now + 22 * 86_400).contains(&due),
            "due {due}"
        );

        // The same item again: refused as data, and not overridable.
        let again = desk.post_json("/api/v1/checkout", &out("P1", "S1")).await;
        assert_eq!(again.status, 409, "{}", again.body);
        assert_eq!(again.error_code(), "blocked");
        assert_eq!(block_codes(&again), ["item_already_on_loan"]);
        assert_eq!(again.json()["error"]["blocks"][0]["overridable"], false);
        assert!(
            again.json()["error"]["blocks"][0]["message"]
                .as_str()
                .unwrap()
                .contains("already on loan")
        );

        // Two of a type, then the per-type limit blocks; staff override with a reason.
        assert_eq!(
            desk.post_json("/api/v1/checkout", &out("P1", "S2"))
                .await
                .status,
            201
        );
        let third = desk.post_json("/api/v1/checkout", &out("P1", "S3")).await;
        assert_eq!(block_codes(&third), ["too_many_loans_of_item_type"]);
        assert_eq!(third.json()["error"]["blocks"][0]["overridable"], true);
        let mut with_reason = out("P1", "S3");
        with_reason["override_reason"] = json!("  ");
        assert_eq!(
            desk.post_json("/api/v1/checkout", &with_reason)
                .await
                .status,
            422
        );
        with_reason["override_reason"] = json!("Dissertation deadline");
        let overridden = desk.post_json("/api/v1/checkout", &with_reason).await;
        assert_eq!(overridden.status, 201, "{}", overridden.body);
        assert_eq!(
            overridden.json()["overridden"],
            json!(["too_many_loans_of_item_type"])
        );
        let audit = concord_server::service::audit::browse(
            &server.ctx,
            &Principal::Operator,
            &concord_domain::audit::AuditFilter::default(),
        )
        .await
        .unwrap();
        assert!(audit.iter().any(|e| e.action == "override_checkout_block"
            && e.reason.as_deref() == Some("Dissertation deadline")));

        // Now the total limit too: every block at once.
        let fourth = desk.post_json("/api/v1/checkout", &out("P1", "R1")).await;
        assert_eq!(block_codes(&fourth), ["too_many_loans"]);

        // An expired card.
        let expired = desk.post_json("/api/v1/checkout", &out("P2", "S4")).await;
        assert_eq!(block_codes(&expired), ["card_expired"]);

        // Read-only staff may not lend, nor may anyone at another member's desk.
        let reader = server.staff_client("reader").await;
        assert_eq!(
            reader
                .post_json("/api/v1/checkout", &out("P1", "S4"))
                .await
                .error_code(),
            "forbidden"
        );
        let elsewhere = desk
            .post_json(
                "/api/v1/checkout",
                &json!({"branch": "ROHAN-MAIN", "patron_card": "P1", "item_barcode": "S4"}),
            )
            .await;
        assert_eq!(elsewhere.error_code(), "forbidden");
        let unknown = desk.post_json("/api/v1/checkout", &out("P1", "NOPE")).await;
        assert_eq!(unknown.status, 404);

        // Renew once, then no renewals left.
        let renew = json!({"branch": "SHIRE-CEN", "item_barcode": "S1"});
        let renewed = desk.post_json("/api/v1/renew", &renew).await;
        assert_eq!(renewed.status, 200, "{}", renewed.body);
        assert_eq!(renewed.json()["renewals_used"], 1);
        let refused = desk.post_json("/api/v1/renew", &renew).await;
        assert_eq!(block_codes(&refused), ["no_renewals_left"]);

        // Loans page data.
        let loans = desk.get(&format!("/api/v1/patrons/{bilbo}/loans")).await;
        assert_eq!(loans.status, 200, "{}", loans.body);
        assert_eq!(loans.json().as_array().unwrap().len(), 3);

        // Check in at home: to the shelf; at Hobbiton (same member, not floating): home in transit.
        let back = desk
            .post_json(
                "/api/v1/checkin",
                &json!({"branch": "SHIRE-CEN", "item_barcode": "S1"}),
            )
            .await;
        assert_eq!(back.status, 200, "{}", back.body);
        assert_eq!(back.json()["routing"], "to_shelf");
        let away = desk
            .post_json(
                "/api/v1/checkin",
                &json!({"branch": "SHIRE-HOB", "item_barcode": "S2"}),
            )
            .await;
        assert_eq!(away.json()["routing"], "in_transit");
        assert_eq!(away.json()["transit_to_branch_name"], "Shire Central");
        // In transit it cannot be lent; received at home it goes to the shelf.
        let in_transit = desk.post_json("/api/v1/checkout", &out("P1", "S2")).await;
        assert_eq!(block_codes(&in_transit), ["item_not_for_loan"]);
        let home = desk
            .post_json(
                "/api/v1/checkin",
                &json!({"branch": "SHIRE-CEN", "item_barcode": "S2"}),
            )
            .await;
        assert_eq!(home.json()["routing"], "to_shelf");

        // A floating member keeps items where they are returned. Only an administrator of that
        // member (or of the consortium) may say so, and the change is audited.
        server
            .staff("rohan-admin", "member_admin", "member:ROHAN")
            .await;
        let stranger = server.staff_client("rohan-admin").await;
        let float = json!({"items_float": true});
        let refused = stranger
            .put_json("/api/v1/members/SHIRE/items-float", &float)
            .await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert_eq!(refused.error_code(), "forbidden");
        assert_eq!(
            desk.put_json("/api/v1/members/SHIRE/items-float", &float)
                .await
                .status,
            403
        );
        server
            .staff("shire-admin", "member_admin", "member:SHIRE")
            .await;
        let admin = server.staff_client("shire-admin").await;
        let before = admin.get("/api/v1/members/SHIRE/items-float").await;
        assert_eq!(before.json(), json!({"items_float": false}));
        let set = admin
            .put_json("/api/v1/members/SHIRE/items-float", &float)
            .await;
        assert_eq!(set.status, 200, "{}", set.body);
        assert_eq!(
            admin.get("/api/v1/members/SHIRE/items-float").await.json(),
            json!({"items_float": true})
        );
        let audit = admin
            .get("/api/v1/audit?action=set_items_float&member=SHIRE")
            .await
            .json();
        assert_eq!(audit[0]["actor"], "staff:shire-admin", "{audit}");
        assert_eq!(audit[0]["before"], json!(false));
        assert_eq!(audit[0]["after"], json!(true));
        // The page shows the switch ticked.
        let page = admin.get("/admin/members/SHIRE/floating").await;
        assert_eq!(page.status, 200);
        assert!(
            page.body
                .contains(r#"name="items_float" value="yes" checked"#),
            "{}",
            page.body
        );
        let floated = desk
            .post_json(
                "/api/v1/checkin",
                &json!({"branch": "SHIRE-HOB", "item_barcode": "S3"}),
            )
            .await;
        assert_eq!(floated.json()["routing"], "to_shelf");

        let consistency = circulation::check_consistency(&server.ctx, &Principal::Operator)
            .await
            .unwrap();
        assert_eq!(consistency.open_loans, 0);
        assert_eq!(consistency.items_on_loan_without_loan, 0);
    }
}

#[tokio::test]
async fn fines_payments_waivers_and_refunds_on_the_ledger() {
    for engine in engines() {
        let server = TestServer::start_on(engine).await;
        let bib = circulation_fixture(&server.ctx).await;
        add_item(&server.ctx, bib, "SHIRE-CEN", "S1", "BOOK").await;
        let bilbo = add_patron(&server.ctx, "P1", "SHIRE-CEN", "2099-01-01").await;
        server.staff("desk", "circulation", "member:SHIRE").await;
        let desk = server.staff_client("desk").await;

        let charge = |amount: &str, reason: &str| json!({"amount": amount, "reason": reason});
        let fines = format!("/api/v1/patrons/{bilbo}/fines");
        assert_eq!(
            desk.post_json(
                &format!("/api/v1/patrons/{bilbo}/charges"),
                &charge("3.00", "DAMAGE")
            )
            .await
            .status,
            201
        );
        assert_eq!(
            desk.post_json(
                &format!("/api/v1/patrons/{bilbo}/charges"),
                &charge("2.00", "PRINTING")
            )
            .await
            .status,
            201
        );
        let owed = desk.get(&fines).await.json();
        assert_eq!(owed["balance_minor"], 500);

        // A partial payment goes to the oldest charge first.
        let paid = desk
            .post_json(
                &format!("/api/v1/patrons/{bilbo}/payments"),
                &charge("3.50", "CASH"),
            )
            .await;
        assert_eq!(paid.status, 201, "{}", paid.body);
        assert_eq!(paid.json()["entry_ids"].as_array().unwrap().len(), 2);
        let state = desk.get(&fines).await.json();
        assert_eq!(state["balance_minor"], 150);
        assert_eq!(state["charges"][0]["outstanding"], "0.00 USD");
        assert_eq!(state["charges"][1]["outstanding"], "1.50 USD");
        let second_charge = state["charges"][1]["charge_id"]
            .as_str()
            .unwrap()
            .to_string();
        let first_charge = state["charges"][0]["charge_id"]
            .as_str()
            .unwrap()
            .to_string();

        // Overpaying is refused with the ledger's reason.
        let over = desk
            .post_json(
                &format!("/api/v1/patrons/{bilbo}/payments"),
                &charge("9.00", "CASH"),
            )
            .await;
        assert_eq!(over.status, 409, "{}", over.body);
        let waived = desk
            .post_json(
                &format!("/api/v1/patrons/{bilbo}/waivers"),
                &json!({"amount": "1.50", "reason": "GOODWILL", "charge_id": second_charge}),
            )
            .await;
        assert_eq!(waived.status, 201, "{}", waived.body);
        let refunded = desk
            .post_json(
                &format!("/api/v1/patrons/{bilbo}/refunds"),
                &json!({"amount": "1.00", "reason": "FOUND", "charge_id": first_charge}),
            )
            .await;
        assert_eq!(refunded.status, 201, "{}", refunded.body);
        assert_eq!(desk.get(&fines).await.json()["balance_minor"], 0);

        // Lost: the item's price plus the processing fee, linked to the loan.
        let out = desk
            .post_json(
                "/api/v1/checkout",
                &json!({"branch": "SHIRE-CEN", "patron_card": "P1", "item_barcode": "S1"}),
            )
            .await;
        assert_eq!(out.status, 201, "{}", out.body);
        let lost = circulation::mark_not_returned(
            &server.ctx,
            &Principal::Operator,
            "SHIRE-CEN",
            "S1",
            circulation::NotReturned::Lost,
        )
        .await
        .unwrap();
        assert_eq!(lost.unwrap().minor_units, 1599 + 500);
        let state = desk.get(&fines).await.json();
        assert_eq!(state["balance_minor"], 2099);
        // Owing more than the limit blocks borrowing.
        add_item(&server.ctx, bib, "SHIRE-CEN", "S2", "BOOK").await;
        let blocked = desk
            .post_json(
                "/api/v1/checkout",
                &json!({"branch": "SHIRE-CEN", "patron_card": "P1", "item_barcode": "S2"}),
            )
            .await;
        assert_eq!(block_codes(&blocked), ["fines_over_limit"]);
        // Found and checked in: the loan closes.
        let back = desk
            .post_json(
                "/api/v1/checkin",
                &json!({"branch": "SHIRE-CEN", "item_barcode": "S1"}),
            )
            .await;
        assert_eq!(back.status, 200, "{}", back.body);
        let consistency = circulation::check_consistency(&server.ctx, &Principal::Operator)
            .await
            .unwrap();
        assert_eq!(consistency.open_loans, 0);
        assert_eq!(consistency.ledger_entries_without_loan, 0);
    }
}

#[tokio::test]
async fn fifty_concurrent_clients_get_exactly_one_loan_per_item() {
    for engine in engines() {
        let server = TestServer::start_on(engine).await;
        let bib = circulation_fixture(&server.ctx).await;
        const ITEMS: usize = 10;
        const CLIENTS: usize = 60;
        for n in 0..ITEMS {
            add_item(&server.ctx, bib, "SHIRE-CEN", &format!("C{n}"), "BOOK").await;
        }
        // Each client its own patron, so loan limits do not decide who wins.
        for c in 0..CLIENTS {
            add_patron(&server.ctx, &format!("CARD{c}"), "SHIRE-CEN", "2099-01-01").await;
        }
        server.staff("desk", "circulation", "member:SHIRE").await;
        let desk = server.staff_client("desk").await;
        let mut tasks = Vec::new();
        for c in 0..CLIENTS {
            let client: Client = desk.clone();
            tasks.push(tokio::spawn(async move {
                let mut outcomes = Vec::new();
                // Every client tries items in a different order so they collide everywhere.
                for k in 0..ITEMS {
                    let item = (c + k) % ITEMS;
                    let reply = client
                        .post_json(
                            "/api/v1/checkout",
                            &json!({"branch": "SHIRE-CEN", "patron_card": format!("CARD{c}"), "item_barcode": format!("C{item}")}),
                        )
                        .await;
                    outcomes.push((item, reply.status, reply.body));
                }
                outcomes
            }));
        }
        let mut successes = vec![0; ITEMS];
        for task in tasks {
            for (item, status, body) in task.await.unwrap() {
                match status {
                    201 => successes[item] += 1,
                    409 => assert!(body.contains("\"blocked\""), "{engine:?}: {body}"),
                    other => panic!("{engine:?}: status {other}: {body}"),
                }
            }
        }
        // Each client may hold at most 2 books (the per-type limit): refusals for that are fine.
        assert_eq!(successes, vec![1; ITEMS], "{engine:?}");
        let consistency = circulation::check_consistency(&server.ctx, &Principal::Operator)
            .await
            .unwrap();
        assert_eq!(consistency.open_loans, ITEMS as u64);
        assert_eq!(consistency.loans_with_item_not_on_loan, 0);
        assert_eq!(consistency.items_on_loan_without_loan, 0);
    }
}

#[tokio::test]
async fn the_desk_pages_lend_block_override_and_route_returns() {
    let server = TestServer::start().await;
    let bib = circulation_fixture(&server.ctx).await;
    add_item(&server.ctx, bib, "SHIRE-CEN", "S1", "BOOK").await;
    add_item(&server.ctx, bib, "SHIRE-CEN", "S2", "BOOK").await;
    add_item(&server.ctx, bib, "SHIRE-CEN", "S3", "BOOK").await;
    add_patron(&server.ctx, "P1", "SHIRE-CEN", "2099-01-01").await;
    server.staff("desk", "circulation", "member:SHIRE").await;
    let desk = server.staff_client("desk").await;

    let start = desk.get("/desk").await;
    assert_eq!(start.status, 200);
    assert!(start.body.contains(r#"id="card" name="card""#) && start.body.contains("autofocus"));
    let page = desk.get("/desk?branch=SHIRE-CEN&card=P1").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(r#"<label for="item">"#));
    let csrf = crate::support::csrf_in(&page.body);
    let scan = |item: &'static str| {
        let csrf = csrf.clone();
        let desk = desk.clone();
        async move {
            desk.post_form(
                "/desk",
                &[
                    ("csrf", &csrf),
                    ("branch", "SHIRE-CEN"),
                    ("card", "P1"),
                    ("item", item),
                ],
            )
            .await
        }
    };
    let lent = scan("S1").await;
    assert!(
        lent.body.contains(r#"role="status""#) && lent.body.contains("Lent The Hobbit (S1)"),
        "{}",
        lent.body
    );
    assert!(lent.body.contains("Due-date slip"));
    scan("S2").await;
    let blocked = scan("S3").await;
    assert!(blocked.body.contains(r#"role="alert""#), "{}", blocked.body);
    assert!(
        blocked
            .body
            .contains(r#"data-block="too_many_loans_of_item_type""#)
    );
    assert!(blocked.body.contains(r#"name="override_reason""#));
    let overridden = desk
        .post_form(
            "/desk",
            &[
                ("csrf", &csrf),
                ("branch", "SHIRE-CEN"),
                ("card", "P1"),
                ("item", "S3"),
                ("override_reason", "Exam week"),
            ],
        )
        .await;
    assert!(
        overridden.body.contains("Lent The Hobbit (S3)"),
        "{}",
        overridden.body
    );

    let checkin = desk.get("/desk/checkin?branch=SHIRE-HOB").await;
    assert!(checkin.body.contains("autofocus"));
    let routed = desk
        .post_form(
            "/desk/checkin",
            &[("csrf", &csrf), ("branch", "SHIRE-HOB"), ("item", "S1")],
        )
        .await;
    assert!(
        routed.body.contains("In transit to Shire Central"),
        "{}",
        routed.body
    );
    let shelved = desk
        .post_form(
            "/desk/checkin",
            &[("csrf", &csrf), ("branch", "SHIRE-CEN"), ("item", "S2")],
        )
        .await;
    assert!(shelved.body.contains("To shelf"), "{}", shelved.body);
}

#[tokio::test]
async fn a_visiting_patron_is_served_at_another_members_desk_without_their_private_record() {
    let server = TestServer::start().await;
    let bib = circulation_fixture(&server.ctx).await;
    // Rohan's law library opens on weekdays, so that it can lend.
    let with_hours = TWO_MEMBERS.replace(
        "  name = \"Law Library\"\n",
        "  name = \"Law Library\"\n  hours = { monday = \"09:00-17:00\", wednesday = \"09:00-17:00\", friday = \"09:00-17:00\" }\n",
    );
    assert_ne!(with_hours, TWO_MEMBERS);
    concord_server::service::orgfile::load(&server.ctx, &Principal::Operator, &with_hours)
        .await
        .unwrap();
    add_item(&server.ctx, bib, "SHIRE-CEN", "S1", "BOOK").await;
    add_item(&server.ctx, bib, "ROHAN-LAW", "R1", "BOOK").await;
    add_patron(&server.ctx, "P1", "SHIRE-CEN", "2099-01-01").await;
    circulation::checkout(
        &server.ctx,
        &Principal::Operator,
        "SHIRE-CEN",
        "P1",
        "S1",
        None,
    )
    .await
    .unwrap();
    server
        .staff("rohan.desk", "circulation", "member:ROHAN")
        .await;
    let desk = server.staff_client("rohan.desk").await;

    // Rohan's desk may not read a Shire patron's record, yet serves them.
    let record = desk.get("/api/v1/patrons?q=P1").await.json();
    assert!(record.as_array().unwrap().is_empty(), "{record}");
    let page = desk.get("/desk?branch=ROHAN-LAW&card=P1").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("visiting patron"), "{}", page.body);
    assert!(page.body.contains("1 items on loan"), "{}", page.body);
    assert!(
        !page.body.contains("<td>S1</td>"),
        "another member's loan is not listed"
    );
    let csrf = crate::support::csrf_in(&page.body);
    let lent = desk
        .post_form(
            "/desk",
            &[
                ("csrf", &csrf),
                ("branch", "ROHAN-LAW"),
                ("card", "P1"),
                ("item", "R1"),
            ],
        )
        .await;
    assert!(lent.body.contains("Lent The Hobbit (R1)"), "{}", lent.body);
    assert!(lent.body.contains("<td>R1</td>"), "{}", lent.body);
    assert!(lent.body.contains("2 items on loan"), "{}", lent.body);
    assert!(!lent.body.contains("<td>S1</td>"));

    // A desk outside the staff member's own member is refused.
    let elsewhere = desk.get("/desk?branch=SHIRE-CEN&card=P1").await;
    assert_eq!(elsewhere.status, 403, "{}", elsewhere.body);
}

#[tokio::test]
async fn merging_patrons_moves_their_loans_and_their_account() {
    for engine in engines() {
        let server = TestServer::start_on(engine).await;
        let bib = circulation_fixture(&server.ctx).await;
        add_item(&server.ctx, bib, "SHIRE-CEN", "S1", "BOOK").await;
        let keep = add_patron(&server.ctx, "P1", "SHIRE-CEN", "2099-01-01").await;
        let absorb = add_patron(&server.ctx, "P2", "SHIRE-CEN", "2099-01-01").await;
        let operator = Principal::Operator;
        circulation::checkout(&server.ctx, &operator, "SHIRE-CEN", "P2", "S1", None)
            .await
            .unwrap();
        circulation::charge(&server.ctx, &operator, absorb, "2.50", "DAMAGE", None)
            .await
            .unwrap();

        patrons::merge(&server.ctx, &operator, keep, absorb)
            .await
            .unwrap();
        let account = circulation::patron_circulation(&server.ctx, &operator, keep)
            .await
            .unwrap();
        assert_eq!(account.loans.len(), 1, "{engine:?}: the loan moved");
        assert_eq!(account.loans[0].barcode, "S1");
        assert_eq!(
            account.ledger_state.balance().to_string(),
            "2.50 USD",
            "{engine:?}"
        );
        // The loan is the survivor's: it comes back under their name.
        let returned = circulation::checkin(&server.ctx, &operator, "SHIRE-CEN", "S1")
            .await
            .unwrap();
        assert_eq!(returned.patron_id, Some(keep), "{engine:?}");
        assert!(
            patrons::patron(&server.ctx, &operator, absorb)
                .await
                .is_err(),
            "{engine:?}: the absorbed patron is gone"
        );
    }
}

#[tokio::test]
async fn the_daily_job_fines_overdue_loans_once_and_anonymises_reading_history() {
    for engine in engines() {
        let server = TestServer::start_on(engine).await;
        let bib = circulation_fixture(&server.ctx).await;
        add_item(&server.ctx, bib, "SHIRE-CEN", "S1", "BOOK").await;
        let bilbo = add_patron(&server.ctx, "P1", "SHIRE-CEN", "2099-01-01").await;
        // Bilbo keeps a reading history.
        {
            let mut tx = server.ctx.store.write().await.unwrap();
            sqlx::query("UPDATE patron SET keep_reading_history = 1 WHERE id = $1")
                .bind(bilbo.0)
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        let receipt = circulation::checkout(
            &server.ctx,
            &Principal::Operator,
            "SHIRE-CEN",
            "P1",
            "S1",
            None,
        )
        .await
        .unwrap();
        // The loan fell due ten days ago (and was borrowed long ago).
        {
            let mut tx = server.ctx.store.write().await.unwrap();
            let now = server.ctx.now();
            sqlx::query("UPDATE loan SET due_at = $2 WHERE id = $1")
                .bind(receipt.loan_id)
                .bind(now - 10 * 86_400)
                .execute(&mut *tx)
                .await
                .unwrap();
            sqlx::query("UPDATE reading_history SET borrowed_at = $1")
                .bind(now - 400 * 86_400)
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        let before = circulation::patron_circulation(&server.ctx, &Principal::Operator, bilbo)
            .await
            .unwrap();
        assert_eq!(before.reading_history.len(), 1);
        let run = circulation::run_due_jobs(&server.ctx, &Principal::Operator, Some(365), true)
            .await
            .unwrap();
        assert_eq!(run.loans_fined, 1, "{engine:?}");
        assert_eq!(run.reading_history_anonymised, 1);
        let account = circulation::patron_circulation(&server.ctx, &Principal::Operator, bilbo)
            .await
            .unwrap();
        // Ten days late, one day's grace, 0.25 a day: 2.25 (or 2.50 across a day boundary).
        let owed = account.ledger_state.balance().minor_units;
        assert!((225..=250).contains(&owed), "{owed}");
        assert!(account.reading_history.is_empty());
        // Running again the same day charges nothing more; checking in charges only any rest.
        let again = circulation::run_due_jobs(&server.ctx, &Principal::Operator, Some(365), true)
            .await
            .unwrap();
        assert_eq!(again.loans_fined, 0);
        let back = circulation::checkin(&server.ctx, &Principal::Operator, "SHIRE-CEN", "S1")
            .await
            .unwrap();
        assert_eq!(back.fine_charged, None);
        let after = circulation::patron_circulation(&server.ctx, &Principal::Operator, bilbo)
            .await
            .unwrap();
        assert_eq!(after.ledger_state.balance().minor_units, owed);
        assert!(after.loans.is_empty());
    }
}

/// The real `concord serve` is killed with SIGKILL in the middle of a checkout and check-in load;
/// after a restart no loan is half-written.
#[tokio::test]
async fn a_server_killed_mid_load_leaves_no_half_written_loan() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::sync::Arc;

    const ITEMS: usize = 60;
    const PATRONS: usize = 20;
    let dir = tempfile::tempdir().unwrap();
    {
        let store = concord_store::Store::open(&concord_store::StoreConfig::Sqlite {
            data_dir: dir.path().to_path_buf(),
            synchronous_full: true,
        })
        .await
        .unwrap();
        let clock: Arc<dyn concord_server::clock::Clock> =
            Arc::new(concord_server::clock::SystemClock);
        let ctx = Context::new(store, clock, 12).unwrap();
        let bib = circulation_fixture(&ctx).await;
        for n in 0..ITEMS {
            add_item(
                &ctx,
                bib,
                "SHIRE-CEN",
                &format!("K{n}"),
                if n % 2 == 0 { "BOOK" } else { "DVD" },
            )
            .await;
        }
        for p in 0..PATRONS {
            add_patron(&ctx, &format!("KP{p}"), "SHIRE-CEN", "2099-01-01").await;
        }
        let staff = concord_server::service::accounts::StaffInput {
            username: "desk".into(),
            display_name: "Desk".into(),
            password: "desk-password".into(),
            grants: vec![("circulation".into(), "member:SHIRE".into())],
        };
        concord_server::service::accounts::create_staff(&ctx, &Principal::Operator, &staff)
            .await
            .unwrap();
        ctx.store.close().await;
    }

    let mut server = Command::new(env!("CARGO_BIN_EXE_concord"))
        .arg("serve")
        .env("CONCORD_DATA_DIR", dir.path())
        .env("CONCORD_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let base = first
        .strip_prefix("listening on ")
        .expect("the address")
        .trim_end_matches('/')
        .to_string();
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let login: serde_json::Value = http
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"username": "desk", "password": "desk-password"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client = Client {
        http,
        base: base.clone(),
        csrf: login["csrf_token"].as_str().map(str::to_string),
        bearer: None,
    };

    // Each finished cycle bumps the counter; the test waits on it changing, not on a timer.
    let (done, mut cycles) = tokio::sync::watch::channel(0usize);
    let done = Arc::new(done);
    let mut workers = Vec::new();
    for p in 0..PATRONS {
        let client = client.clone();
        let done = Arc::clone(&done);
        workers.push(tokio::spawn(async move {
            let mut k = p;
            loop {
                let item = format!("K{}", k % ITEMS);
                k += PATRONS + 1;
                let body = json!({"branch": "SHIRE-CEN", "patron_card": format!("KP{p}"), "item_barcode": item});
                let Ok(out) = client.http.post(format!("{}/api/v1/checkout", client.base))
                    .header("x-csrf-token", client.csrf.clone().unwrap())
                    .json(&body)
                    .send()
                    .await
                else {
                    return;
                };
                if out.status() == 201 {
                    let back = json!({"branch": "SHIRE-HOB", "item_barcode": item});
                    if client.http.post(format!("{}/api/v1/checkin", client.base))
                        .header("x-csrf-token", client.csrf.clone().unwrap())
                        .json(&back)
                        .send()
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                done.send_modify(|count| *count += 1);
            }
        }));
    }
    // Kill once the load is well under way.
    tokio::time::timeout(
        std::time::Duration::from_secs(120),
        cycles.wait_for(|count| *count >= 200),
    )
    .await
    .expect("the load did not reach 200 cycles within two minutes")
    .unwrap();
    assert!(
        Command::new("kill")
            .args(["-KILL", &server.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    server.wait().unwrap();
    for worker in workers {
        worker.await.unwrap();
    }

    // Restart on the same data and check every loan against its item.
    let output = Command::new(env!("CARGO_BIN_EXE_concord"))
        .arg("check-loans")
        .env("CONCORD_DATA_DIR", dir.path())
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "{report} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let check: serde_json::Value = serde_json::from_str(report.trim()).unwrap();
    assert_eq!(check["loans_with_item_not_on_loan"], 0);
    assert_eq!(check["items_on_loan_without_loan"], 0);
    assert_eq!(check["ledger_entries_without_loan"], 0);
}

/// The server keeps branches, calendars and rules between checkouts. A rule added through the
/// service applies to the very next checkout; a rule or a member's floating changed by a second
/// server sharing the database applies to this server's next checkout or check-in too.
#[tokio::test]
async fn settings_changed_here_or_by_another_server_apply_to_the_next_action() {
    use concord_domain::ErrorCode;
    use concord_domain::circulation::policy_input::PolicyRuleInput;
    use concord_domain::circulation::{Block, Routing};
    use concord_server::service::policies;

    for engine in engines() {
        let server = TestServer::start_on(engine).await;
        let bib = circulation_fixture(&server.ctx).await;
        for n in 0..3 {
            add_item(&server.ctx, bib, "SHIRE-CEN", &format!("G{n}"), "BOOK").await;
        }
        add_patron(&server.ctx, "GP1", "SHIRE-CEN", "2099-01-01").await;
        let who = Principal::Operator;
        let lend = |barcode: &'static str| {
            circulation::checkout(&server.ctx, &who, "SHIRE-CEN", "GP1", barcode, None)
        };
        // The first checkout reads the settings and keeps them.
        lend("G0").await.unwrap();

        let books_not_for_loan = |limit: &str| PolicyRuleInput {
            description: "books".into(),
            item_type: "BOOK".into(),
            settings: vec![("max_loans_of_item_type".into(), limit.into())],
            ..PolicyRuleInput::default()
        };
        let rule = policies::create(&server.ctx, &who, &books_not_for_loan("0"))
            .await
            .unwrap();
        let refused = lend("G1").await.unwrap_err();
        assert_eq!(refused.code, ErrorCode::Blocked, "{engine:?}: {refused:?}");
        assert!(
            refused
                .blocks
                .iter()
                .any(|block| matches!(block, Block::TooManyLoansOfItemType { .. })),
            "{engine:?}: {:?}",
            refused.blocks
        );

        // Another server on the same database lifts the limit: this server's next checkout
        // follows, although nothing told this process.
        let other = server.second_server().await;
        policies::update(&other.ctx, &who, rule.rule.id, &books_not_for_loan("5"))
            .await
            .unwrap();
        lend("G1").await.unwrap();

        // Returned at the member's other branch, an item goes home while the member's items do
        // not float, and stays once the other server lets them float.
        let back = circulation::checkin(&server.ctx, &who, "SHIRE-HOB", "G0")
            .await
            .unwrap();
        assert!(
            matches!(back.routing, Routing::InTransit { .. }),
            "{engine:?}: {:?}",
            back.routing
        );
        circulation::set_items_float(&other.ctx, &who, "SHIRE", true)
            .await
            .unwrap();
        let back = circulation::checkin(&server.ctx, &who, "SHIRE-HOB", "G1")
            .await
            .unwrap();
        assert_eq!(back.routing, Routing::ToShelf, "{engine:?}");
    }
}

#[tokio::test]
async fn a_copy_on_loan_says_until_when_on_its_record_page_and_its_shelf() {
    let server = TestServer::start().await;
    let bib = circulation_fixture(&server.ctx).await;
    add_item(&server.ctx, bib, "SHIRE-CEN", "L1", "BOOK").await;
    add_item(&server.ctx, bib, "SHIRE-CEN", "L2", "BOOK").await;
    add_patron(&server.ctx, "CARDL", "SHIRE-CEN", "2099-01-01").await;
    server.staff("desk", "circulation", "member:SHIRE").await;
    let desk = server.staff_client("desk").await;
    let lent = desk
        .post_json(
            "/api/v1/checkout",
            &json!({"branch": "SHIRE-CEN", "patron_card": "CARDL", "item_barcode": "L1"}),
        )
        .await;
    assert_eq!(lent.status, 201, "{}", lent.body);
    let (on_loan, on_shelf, due) = {
        let mut conn = server.ctx.store.read().await.unwrap();
        let mut item_id = async |barcode: &str| {
            concord_store::catalogue::item_by_barcode(
                &mut conn,
                &Barcode::parse("b", barcode).unwrap(),
            )
            .await
            .unwrap()
            .unwrap()
            .id
        };
        let on_loan = item_id("L1").await;
        let on_shelf = item_id("L2").await;
        let loan = concord_store::circulation::open_loan_of_item(&mut conn, on_loan)
            .await
            .unwrap()
            .unwrap();
        let offset = concord_store::org::consortium(&mut conn)
            .await
            .unwrap()
            .map_or(0, |consortium| consortium.utc_offset_seconds);
        let due =
            concord_domain::calendar::Date::from_unix(loan.due_at, i32::try_from(offset).unwrap());
        (on_loan, on_shelf, due.to_string())
    };
    let public = Client::new(&server);
    let until = format!("On loan until {due}");
    let record = public.get(&format!("/record/{bib}")).await;
    assert!(record.body.contains(&until), "{until}\n{}", record.body);
    // The shelf around the other copy says the same of it.
    let shelf = public.get(&format!("/shelf/{on_shelf}")).await;
    assert_eq!(shelf.status, 200, "{}", shelf.body);
    assert!(shelf.body.contains(&until), "{until}\n{}", shelf.body);
    let json = public
        .get(&format!("/api/v1/shelf/{on_shelf}"))
        .await
        .json();
    let neighbours: Vec<&serde_json::Value> = json["before"]
        .as_array()
        .unwrap()
        .iter()
        .chain(json["after"].as_array().unwrap())
        .collect();
    assert_eq!(neighbours.len(), 1, "{json}");
    assert_eq!(neighbours[0]["item"], on_loan.to_string());
    assert_eq!(neighbours[0]["status"], "on_loan");
    assert_eq!(neighbours[0]["due"], due, "{json}");
    assert_eq!(json["at"]["due"], serde_json::Value::Null);
}
