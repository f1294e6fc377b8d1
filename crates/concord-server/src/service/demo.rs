//! The demo consortium: a realistic shape to try Concord on, created idempotently by `concord demo`.
//!
//! The organisation is loaded from `demo/consortium.toml` through the same path as
//! `concord org load`; staff logins for every role and a few hundred patrons are added if missing.
//! Nothing here is special-cased elsewhere: tests build their own fixtures and never rely on it.

use concord_domain::auth::Principal;
use concord_domain::calendar::Date;
use concord_domain::codes::{Barcode, Code};
use concord_domain::ids::PatronId;
use concord_domain::org::Branch;
use concord_domain::patron::{NoticePreferences, PatronStatus, PrivacyChoices};
use concord_store::patrons::{self as patron_store, PatronRow};
use serde::Serialize;

use super::accounts::{StaffInput, create_staff};
use super::{Change, ServiceResult, audit, orgfile};
use crate::Context;
use crate::secrets;

/// The demo's organisation file.
pub const CONSORTIUM_FILE: &str = include_str!("../../demo/consortium.toml");

/// A staff login the demo creates.
#[derive(Debug, Clone, Serialize)]
pub struct DemoLogin {
    pub username: String,
    pub password: String,
    pub role: String,
    pub scope: String,
}

/// What the demo made, for printing and for `demo-credentials.json`.
#[derive(Debug, Clone, Serialize)]
pub struct DemoSummary {
    pub consortium: String,
    pub members: usize,
    pub branches: usize,
    pub patrons: i64,
    pub staff: Vec<DemoLogin>,
    pub patron_card: String,
    pub patron_pin: String,
    pub patron_name: String,
}

const STAFF: &[(&str, &str, &str, &str, &str)] = &[
    (
        "admin",
        "Alex Central",
        "consortium_admin",
        "consortium",
        "concord-admin",
    ),
    (
        "river.admin",
        "Rita Rivers",
        "member_admin",
        "member:RIVER",
        "river-admin-pw",
    ),
    (
        "river.circ",
        "Dev Patel",
        "circulation",
        "branch:RIVER-MAIN",
        "river-circ-pw",
    ),
    (
        "hill.circ",
        "Hana Brook",
        "circulation",
        "member:HILL",
        "hill-circ-pw",
    ),
    (
        "ovsu.cat",
        "Priya Raman",
        "cataloguing",
        "member:OVSU",
        "ovsu-cat-pw",
    ),
    (
        "viewer",
        "Sam Observer",
        "read_only",
        "consortium",
        "viewer-only-pw",
    ),
];

const GIVEN: &[&str] = &[
    "Maria", "James", "Aisha", "Wei", "Olivia", "Mateo", "Chloe", "Noah", "Fatima", "Liam",
    "Sofia", "Ethan", "Amara", "Lucas", "Hannah", "Diego", "Grace", "Yusuf", "Emma", "Kenji",
];
const FAMILY: &[&str] = &[
    "Rossi", "Smith", "Okafor", "Zhang", "Johnson", "García", "Müller", "Nguyen", "Khan", "Brown",
    "Kowalski", "O'Brien", "Haddad", "Silva", "Jensen",
];

/// The demo patron whose card and PIN are printed.
pub const DEMO_PATRON_CARD: &str = "21000000001";
pub const DEMO_PATRON_PIN: &str = "1234";

fn patron_type_for(branch: &Branch, n: usize) -> &'static str {
    let pick =
        |choices: &[&'static str]| choices.get(n % choices.len()).copied().unwrap_or("ADULT");
    match branch.code.as_str().split('-').next().unwrap_or("") {
        "OVSU" => pick(&["STUDENT", "STUDENT", "FACULTY"]),
        "GREEN" => pick(&["STUDENT", "STUDENT", "STUDENT", "STAFF"]),
        "VHSL" => "CLINICIAN",
        _ => pick(&["ADULT", "ADULT", "CHILD", "SENIOR"]),
    }
}

/// Creates (or completes) the demo consortium and returns its logins.
pub async fn ensure(ctx: &Context) -> ServiceResult<DemoSummary> {
    let operator = Principal::Operator;
    orgfile::load(ctx, &operator, CONSORTIUM_FILE).await?;
    let members = super::org::list_members(ctx).await?;
    let branches = super::org::list_branches(ctx, None).await?;

    let mut logins = Vec::new();
    for (username, display_name, role, scope, password) in STAFF {
        let exists = {
            let mut conn = ctx.store.read().await?;
            concord_store::accounts::staff_by_username(&mut conn, username)
                .await?
                .is_some()
        };
        if !exists {
            create_staff(
                ctx,
                &operator,
                &StaffInput {
                    username: (*username).into(),
                    display_name: (*display_name).into(),
                    password: (*password).into(),
                    grants: vec![((*role).into(), (*scope).into())],
                },
            )
            .await?;
        }
        logins.push(DemoLogin {
            username: (*username).into(),
            password: (*password).into(),
            role: (*role).into(),
            scope: (*scope).into(),
        });
    }

    ensure_patrons(ctx, &operator, &branches).await?;
    ensure_policies(ctx, &operator).await?;
    let patrons = {
        let mut conn = ctx.store.read().await?;
        patron_store::count_patrons(&mut conn).await?
    };
    let consortium = super::org::consortium(ctx).await?;
    Ok(DemoSummary {
        consortium: consortium.name,
        members: members.len(),
        branches: branches.len(),
        patrons,
        staff: logins,
        patron_card: DEMO_PATRON_CARD.into(),
        patron_pin: DEMO_PATRON_PIN.into(),
        patron_name: "Maria Rossi".into(),
    })
}

/// 300 patrons spread over the branches, all with PIN 1234. One Argon2 hash is shared by the demo
/// patrons so that the demo starts in seconds; real registrations hash every PIN with its own salt.
async fn ensure_patrons(ctx: &Context, who: &Principal, branches: &[Branch]) -> ServiceResult<()> {
    const COUNT: usize = 300;
    let pin_hash = secrets::hash_password(DEMO_PATRON_PIN)?;
    let today = Date::from_unix(ctx.now(), 0);
    let mut tx = ctx.store.write().await?;
    let mut created = 0;
    for n in 0..COUNT {
        // The demo patron whose card is printed belongs to the demo circulation desk's branch.
        let branch = if n == 0 {
            branches.iter().find(|b| b.code.as_str() == "RIVER-MAIN")
        } else {
            branches.get(n % branches.len().max(1))
        };
        let Some(branch) = branch else { break };
        let card = Barcode::parse("card", &format!("2100{:07}", n + 1))?;
        if patron_store::patron_by_card(&mut tx, &card)
            .await?
            .is_some()
        {
            continue;
        }
        let given = GIVEN.get(n % GIVEN.len()).copied().unwrap_or("Pat");
        let family = FAMILY
            .get((n / GIVEN.len() + n) % FAMILY.len())
            .copied()
            .unwrap_or("Reader");
        let row = PatronRow {
            family_name: family.into(),
            given_names: given.into(),
            home_branch: branch.id,
            home_member: branch.member_id,
            patron_type: Code::parse("patron_type", patron_type_for(branch, n))?,
            // Most cards run for a few years; every 25th has lapsed, as at any real library.
            expires_on: if n % 25 == 24 {
                today.add_days(-30)
            } else {
                today.add_days(365 + (n as i32 % 3) * 365)
            },
            email: Some(format!(
                "{}.{}{}@example.org",
                given.to_lowercase(),
                family.to_lowercase().replace(['\'', ' '], ""),
                n + 1
            )),
            phone: (n % 3 == 0).then(|| format!("+1 614 555 {:04}", n % 10_000)),
            sms_number: None,
            date_of_birth: None,
            preferred_pickup_branch: None,
            notices: NoticePreferences::default(),
            privacy: PrivacyChoices::default(),
            status: PatronStatus::Active,
        };
        let patron = patron_store::insert_patron(
            &mut tx,
            PatronId(ctx.new_id()),
            &card,
            &row,
            Some(&pin_hash),
            ctx.now(),
        )
        .await?;
        audit(
            ctx,
            &mut tx,
            who,
            Change {
                action: "patron.create",
                entity_kind: "patron",
                entity_id: patron.id.to_string(),
                member: Some(patron.home_member),
                before: None,
                after: Some(&patron),
                reason: Some("demo consortium"),
            },
        )
        .await?;
        created += 1;
    }
    tx.commit().await.map_err(concord_store::StoreError::from)?;
    tracing::info!(created, "demo patrons");
    Ok(())
}

/// The consortium's default circulation rules: one rule that sets every value (so every policy is
/// complete) and a few by item type and shelving location. Added only when there are no rules, so
/// running the demo again never duplicates them or undoes a change made since.
async fn ensure_policies(ctx: &Context, who: &Principal) -> ServiceResult<()> {
    use concord_domain::circulation::policy_input::PolicyRuleInput;
    if !super::policies::list(ctx, who).await?.is_empty() {
        return Ok(());
    }
    let rule =
        |description: &str, item_type: &str, shelving_location: &str, settings: &[(&str, &str)]| {
            PolicyRuleInput {
                description: description.into(),
                item_type: item_type.into(),
                shelving_location: shelving_location.into(),
                settings: settings
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                    .collect(),
                ..PolicyRuleInput::default()
            }
        };
    let rules = [
        rule(
            "Consortium defaults: books and everything else",
            "",
            "",
            &[
                ("loan_period", "21d"),
                ("renewals_allowed", "2"),
                ("max_loans_total", "40"),
                ("max_loans_of_item_type", "40"),
                ("fine_per_period", "0.25"),
                ("grace_periods", "1"),
                ("max_fine_per_item", "10.00"),
                ("charge_fines_when_closed", "no"),
                ("patron_fine_limit", "20.00"),
                ("default_replacement_cost", "25.00"),
                ("lost_item_processing_fee", "5.00"),
                ("holdable", "yes"),
                ("lendable_outside_owning_member", "yes"),
            ],
        ),
        rule(
            "DVDs and Blu-rays: one week",
            "DVD",
            "",
            &[
                ("loan_period", "7d"),
                ("renewals_allowed", "1"),
                ("max_loans_of_item_type", "10"),
                ("fine_per_period", "1.00"),
            ],
        ),
        rule(
            "Laptops: four hours, in the building's own member only",
            "LAPTOP",
            "",
            &[
                ("loan_period", "4h"),
                ("renewals_allowed", "0"),
                ("max_loans_of_item_type", "1"),
                ("fine_per_period", "2.00"),
                ("holdable", "no"),
                ("lendable_outside_owning_member", "no"),
            ],
        ),
        rule(
            "Reference: not for loan",
            "",
            "REFERENCE",
            &[
                ("max_loans_of_item_type", "0"),
                ("holdable", "no"),
                ("lendable_outside_owning_member", "no"),
            ],
        ),
        rule(
            "New books: two weeks, no renewals",
            "",
            "NEW",
            &[("loan_period", "14d"), ("renewals_allowed", "0")],
        ),
    ];
    for input in &rules {
        super::policies::create(ctx, who, input).await?;
    }
    Ok(())
}
