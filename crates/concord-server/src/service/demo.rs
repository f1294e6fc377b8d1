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
    ensure_catalogue(ctx, &operator, &branches).await?;
    ensure_location_names(ctx, &operator).await?;
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
    tx.commit().await?;
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

/// One slice of a demo catalogue file, loaded for one member.
struct DemoCatalogueFile {
    name: &'static str,
    bytes: &'static [u8],
    member: &'static str,
    /// How many records of the file (from the start) this member holds.
    take: usize,
}

/// Real records (see `demo/catalogue/SOURCES.md`) embedded in the binary so the demo needs no
/// source tree. Some slices repeat across members, so those records merge on load and their
/// record page shows holdings of several members.
const DEMO_CATALOGUE: &[DemoCatalogueFile] = &[
    DemoCatalogueFile {
        name: "uva.mrc",
        bytes: include_bytes!("../../demo/catalogue/uva.mrc"),
        member: "OVSU",
        take: usize::MAX,
    },
    DemoCatalogueFile {
        name: "uva.mrc",
        bytes: include_bytes!("../../demo/catalogue/uva.mrc"),
        member: "RIVER",
        take: 120,
    },
    DemoCatalogueFile {
        name: "jazz.mrc",
        bytes: include_bytes!("../../demo/catalogue/jazz.mrc"),
        member: "RIVER",
        take: usize::MAX,
    },
    DemoCatalogueFile {
        name: "jazz.mrc",
        bytes: include_bytes!("../../demo/catalogue/jazz.mrc"),
        member: "HILL",
        take: 150,
    },
    DemoCatalogueFile {
        name: "concerto_enhanced.mrc",
        bytes: include_bytes!("../../demo/catalogue/concerto_enhanced.mrc"),
        member: "HILL",
        take: usize::MAX,
    },
    DemoCatalogueFile {
        name: "concerto.mrc",
        bytes: include_bytes!("../../demo/catalogue/concerto.mrc"),
        member: "RIVER",
        take: usize::MAX,
    },
    DemoCatalogueFile {
        name: "koha.mrc",
        bytes: include_bytes!("../../demo/catalogue/koha.mrc"),
        member: "GREEN",
        take: usize::MAX,
    },
    DemoCatalogueFile {
        name: "koha.mrc",
        bytes: include_bytes!("../../demo/catalogue/koha.mrc"),
        member: "HILL",
        take: 80,
    },
    DemoCatalogueFile {
        name: "lul_fre.mrc",
        bytes: include_bytes!("../../demo/catalogue/lul_fre.mrc"),
        member: "OVSU",
        take: usize::MAX,
    },
    DemoCatalogueFile {
        name: "concerto_fre.mrc",
        bytes: include_bytes!("../../demo/catalogue/concerto_fre.mrc"),
        member: "GREEN",
        take: usize::MAX,
    },
    DemoCatalogueFile {
        name: "nepali.mrc",
        bytes: include_bytes!("../../demo/catalogue/nepali.mrc"),
        member: "RIVER",
        take: usize::MAX,
    },
    DemoCatalogueFile {
        name: "spec_test.mrc",
        bytes: include_bytes!("../../demo/catalogue/spec_test.mrc"),
        member: "OVSU",
        take: usize::MAX,
    },
    DemoCatalogueFile {
        name: "kits.mrc",
        bytes: include_bytes!("../../demo/catalogue/kits.mrc"),
        member: "GREEN",
        take: usize::MAX,
    },
    DemoCatalogueFile {
        name: "concerto_maps.mrc",
        bytes: include_bytes!("../../demo/catalogue/concerto_maps.mrc"),
        member: "OVSU",
        take: usize::MAX,
    },
    DemoCatalogueFile {
        name: "concerto_rda.mrc",
        bytes: include_bytes!("../../demo/catalogue/concerto_rda.mrc"),
        member: "VHSL",
        take: usize::MAX,
    },
    DemoCatalogueFile {
        name: "spec_test.mrc",
        bytes: include_bytes!("../../demo/catalogue/spec_test.mrc"),
        member: "VHSL",
        take: 40,
    },
];

/// The demo item type for a record, from its leader: what a library would shelve it as.
fn demo_item_type(record: &concord_marc::Record, n: usize) -> &'static str {
    match (record.record_type(), record.bibliographic_level()) {
        (_, 's') => "SERIAL",
        ('c' | 'd', _) => "SCORE",
        ('e' | 'f', _) => "MAP",
        ('g', _) => "DVD",
        ('i' | 'j', _) => "CD",
        ('k' | 'o' | 'r', _) => "KIT",
        _ if n.is_multiple_of(17) => "REFERENCE",
        _ => "BOOK",
    }
}

/// The demo's shelving locations, by code, with what every member calls them.
const DEMO_LOCATIONS: [(&str, &str); 7] = [
    ("STACKS", "Main stacks"),
    ("REFERENCE", "Reference, not for loan"),
    ("AV", "Films and music"),
    ("SCORES", "Printed music"),
    ("MAPS", "Map room"),
    ("PERIODICALS", "Periodicals"),
    ("KITS", "Kits and games"),
];

/// Where a demo copy of `item_type` is shelved, among [`DEMO_LOCATIONS`]: reference copies
/// at REFERENCE, which the "Reference: not for loan" rule names.
fn demo_location(item_type: &str) -> &'static str {
    match item_type {
        "REFERENCE" => "REFERENCE",
        "DVD" | "CD" => "AV",
        "SCORE" => "SCORES",
        "MAP" => "MAPS",
        "SERIAL" => "PERIODICALS",
        "KIT" => "KITS",
        _ => "STACKS",
    }
}

/// Names the demo's shelving locations for every member that has named none, so that running
/// the demo again never undoes a name changed since.
async fn ensure_location_names(ctx: &Context, who: &Principal) -> ServiceResult<()> {
    for member in super::org::list_members(ctx).await? {
        let locations =
            super::catalogue::shelving_locations(ctx, who, member.code.as_str()).await?;
        if locations.iter().any(|location| location.name.is_some()) {
            continue;
        }
        super::catalogue::set_location_names(ctx, who, member.code.as_str(), &DEMO_LOCATIONS)
            .await?;
    }
    Ok(())
}

/// A call number from the record's LC (050/090) or Dewey (082) class, else a shelf mark from the
/// main entry, the way small libraries shelve fiction.
fn demo_call_number(record: &concord_marc::Record) -> String {
    for tag in ["050", "090", "082"] {
        if let Some(field) = record.field(tag) {
            let text: Vec<&str> = field
                .subfields
                .iter()
                .filter(|s| s.code == 'a' || s.code == 'b')
                .map(|s| s.value.trim())
                .collect();
            if !text.is_empty() {
                return text.join(" ");
            }
        }
    }
    let author = concord_domain::catalogue::summarise(record).author;
    let letters: String = author
        .chars()
        .filter(|c| c.is_alphabetic())
        .take(3)
        .collect::<String>()
        .to_uppercase();
    if letters.is_empty() {
        "GEN".into()
    } else {
        format!("GEN {letters}")
    }
}

/// The record with its source holdings replaced by one or two 852s at the member's branches.
fn with_demo_holdings(
    mut record: concord_marc::Record,
    member: &str,
    branches: &[&Branch],
    n: usize,
) -> concord_marc::Record {
    use concord_marc::{DataField, Tag};
    record
        .fields
        .retain(|f| !matches!(f.tag().as_str(), "852" | "949" | "999" | "952"));
    let (Ok(tag), false) = (Tag::parse("852"), branches.is_empty()) else {
        return record;
    };
    let item_type = demo_item_type(&record, n);
    let call_number = demo_call_number(&record);
    // Every third record has a second copy at the member's next branch.
    let copies = if n.is_multiple_of(3) { 2 } else { 1 };
    for copy in 0..copies {
        let Some(branch) = branches.get((n + copy) % branches.len()) else {
            continue;
        };
        let field = DataField::new(tag, ' ', ' ')
            .with_subfield('b', branch.code.as_str())
            .with_subfield('c', demo_location(item_type))
            .with_subfield('h', call_number.clone())
            .with_subfield('p', format!("3{member}{n:06}{copy}"))
            .with_subfield('y', item_type)
            .with_subfield('9', format!("{}.{:02}", 10 + n % 40, (n * 7) % 100));
        record.push_data(field);
    }
    record
}

/// Loads the demo catalogue through the import service, once: when the store already has bibs
/// the catalogue is left as it is (re-importing would change nothing, but takes time).
async fn ensure_catalogue(
    ctx: &Context,
    who: &Principal,
    branches: &[Branch],
) -> ServiceResult<()> {
    let (bibs, _, _) = {
        let mut conn = ctx.store.read().await?;
        concord_store::catalogue::counts(&mut conn).await?
    };
    if bibs > 0 {
        return Ok(());
    }
    let mapping = concord_domain::catalogue::holdings::HoldingsMapping::default();
    let mut loaded = 0;
    for file in DEMO_CATALOGUE {
        let member_branches: Vec<&Branch> = branches
            .iter()
            .filter(|b| {
                b.code
                    .as_str()
                    .strip_prefix(file.member)
                    .is_some_and(|rest| rest.starts_with('-'))
            })
            .collect();
        let records =
            concord_marc::RecordOffset::with_offsets(concord_marc::read_iso2709(file.bytes))
                .take(file.take)
                .enumerate()
                .map(|(n, (offset, record))| {
                    (
                        offset,
                        record.map(|r| with_demo_holdings(r, file.member, &member_branches, n)),
                    )
                });
        let summary = super::catalogue::import(
            ctx,
            who,
            records,
            &super::catalogue::ImportOptions {
                member_code: file.member,
                mapping: &mapping,
                batch_size: super::catalogue::DEFAULT_BATCH_SIZE,
                file_name: &format!("demo:{}", file.name),
            },
            |_| {},
            |_| {},
        )
        .await?;
        loaded += summary.counts.read;
        tracing::info!(
            file = file.name,
            member = file.member,
            created = summary.counts.created,
            merged = summary.counts.merged,
            rejected = summary.counts.rejected,
            "demo catalogue"
        );
    }
    tracing::info!(records = loaded, "demo catalogue loaded");
    Ok(())
}
