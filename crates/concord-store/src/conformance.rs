//! The storage conformance suite: the same checks on SQLite (always) and on PostgreSQL (when
//! `CONCORD_TEST_POSTGRES_URL` names a server; in CI the test script always starts one).

use std::path::PathBuf;

use concord_domain::audit::{AuditFilter, AuditRecord};
use concord_domain::auth::{Grant, Role, Scope};
use concord_domain::calendar::Date;
use concord_domain::codes::{Barcode, Code};
use concord_domain::ids::{ApiTokenId, AuditId, BranchId, MemberId, PatronId, StaffId};
use concord_domain::org::{BranchDraft, BranchInput, MemberDraft, MemberInput};

use crate::accounts::{self, SessionPrincipal};
use concord_domain::circulation::{LoanPeriod, MatchPoints, PolicyRule, PolicySettings};
use concord_domain::ids::PolicyRuleId;
use concord_domain::money::{Currency, Money};
use concord_domain::patron::{NoticePreferences, PatronStatus, PrivacyChoices};

use crate::patrons::{self, PatronRow};
use crate::{Store, StoreConfig, StoreError, audit, org, policies};

const NOW: i64 = 1_795_000_000;

async fn stores() -> Vec<(Store, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::open(&StoreConfig::Sqlite {
        data_dir: PathBuf::from(dir.path()),
        synchronous_full: false,
    })
    .await
    .unwrap();
    let mut stores = vec![(sqlite, Some(dir))];
    match std::env::var(crate::testing::POSTGRES_URL_VAR) {
        Ok(admin) if !admin.is_empty() => {
            let url = crate::testing::fresh_postgres_database(&admin)
                .await
                .unwrap();
            let pg = Store::open(&StoreConfig::Postgres {
                url,
                max_connections: 4,
            })
            .await
            .unwrap();
            stores.push((pg, None));
        }
        _ => assert!(
            std::env::var("CI").is_err(),
            "CI must run the conformance suite on PostgreSQL too: set {}",
            crate::testing::POSTGRES_URL_VAR
        ),
    }
    stores
}

fn member(code: &str) -> MemberDraft {
    MemberDraft::parse(&MemberInput {
        code: code.into(),
        name: format!("{code} Library"),
        kind: "public".into(),
        ..MemberInput::default()
    })
    .unwrap()
}

fn branch(code: &str) -> BranchDraft {
    BranchDraft::parse(&BranchInput {
        code: code.into(),
        name: format!("{code} branch"),
        opening_hours: vec![("monday".into(), "09:00-17:00".into())],
        closed_dates: vec![("2026-12-25".into(), "Christmas".into())],
        is_pickup_location: true,
        ..BranchInput::default()
    })
    .unwrap()
}

#[tokio::test]
async fn members_and_branches_round_trip_on_every_engine() {
    for (store, _dir) in stores().await {
        let engine = store.engine();
        let mut tx = store.write().await.unwrap();
        let a = org::insert_member(&mut tx, MemberId(1), &member("a"), NOW)
            .await
            .unwrap();
        let b1 = org::insert_branch(&mut tx, BranchId(11), a.id, &branch("a1"), NOW)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let mut conn = store.read().await.unwrap();
        assert_eq!(
            org::member_by_code(&mut conn, &Code::parse("c", "A").unwrap())
                .await
                .unwrap(),
            Some(a.clone()),
            "{engine:?}"
        );
        let loaded = org::branch_by_code(&mut conn, &Code::parse("c", "a1").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(loaded, b1, "{engine:?}");
        assert_eq!(
            loaded.closed_dates[0].date,
            Date::parse("d", "2026-12-25").unwrap()
        );
        assert_eq!(
            org::list_branches(&mut conn, Some(a.id)).await.unwrap(),
            vec![b1]
        );
        drop(conn);

        // A duplicate code is reported as such, not as a bare database error.
        let mut tx = store.write().await.unwrap();
        let err = org::insert_member(&mut tx, MemberId(2), &member("A"), NOW)
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Duplicate { ref what } if what == "member code A"),
            "{engine:?}: {err}"
        );
        drop(tx);
        store.close().await;
    }
}

#[tokio::test]
async fn an_uncommitted_transaction_leaves_nothing_behind() {
    for (store, _dir) in stores().await {
        {
            let mut tx = store.write().await.unwrap();
            org::insert_member(&mut tx, MemberId(1), &member("gone"), NOW)
                .await
                .unwrap();
            // Dropped without commit.
        }
        let mut conn = store.read().await.unwrap();
        assert!(
            org::list_members(&mut conn).await.unwrap().is_empty(),
            "{:?}",
            store.engine()
        );
        drop(conn);
        store.close().await;
    }
}

#[tokio::test]
async fn accounts_sessions_tokens_and_throttle_on_every_engine() {
    for (store, _dir) in stores().await {
        let mut tx = store.write().await.unwrap();
        let m = org::insert_member(&mut tx, MemberId(1), &member("m"), NOW)
            .await
            .unwrap();
        let b = org::insert_branch(&mut tx, BranchId(2), m.id, &branch("m1"), NOW)
            .await
            .unwrap();
        let grants = [
            Grant {
                role: Role::Circulation,
                scope: Scope::Branch {
                    member: m.id,
                    branch: b.id,
                },
            },
            Grant {
                role: Role::ReadOnly,
                scope: Scope::Consortium,
            },
        ];
        accounts::insert_staff(&mut tx, StaffId(3), "dev", "Dev", "hash", &grants, NOW)
            .await
            .unwrap();
        accounts::insert_session(
            &mut tx,
            "digest",
            SessionPrincipal::Staff(3),
            "csrf",
            NOW,
            NOW + 60,
        )
        .await
        .unwrap();
        let grant = Grant {
            role: Role::Circulation,
            scope: Scope::Member { member: m.id },
        };
        accounts::insert_api_token(
            &mut tx,
            ApiTokenId(4),
            "kiosk",
            "tokendigest",
            grant,
            "operator",
            NOW,
            None,
        )
        .await
        .unwrap();
        for t in [NOW - 10, NOW - 5] {
            accounts::record_login_failure(&mut tx, "staff:dev", t)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();

        let mut conn = store.read().await.unwrap();
        let staff = accounts::staff_by_username(&mut conn, "dev")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(staff.grants, grants);
        let session = accounts::session(&mut conn, "digest", NOW)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(session.principal, SessionPrincipal::Staff(3));
        assert!(
            accounts::session(&mut conn, "digest", NOW + 60)
                .await
                .unwrap()
                .is_none(),
            "expired sessions are not returned"
        );
        let token = accounts::live_api_token(&mut conn, "tokendigest", NOW)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(token.grant, grant);
        assert_eq!(
            accounts::login_failures(&mut conn, "staff:dev", NOW - 60)
                .await
                .unwrap()
                .len(),
            2
        );
        drop(conn);

        let mut tx = store.write().await.unwrap();
        assert!(
            accounts::revoke_api_token(&mut tx, ApiTokenId(4), NOW)
                .await
                .unwrap()
        );
        assert!(
            !accounts::revoke_api_token(&mut tx, ApiTokenId(4), NOW)
                .await
                .unwrap()
        );
        tx.commit().await.unwrap();
        let mut conn = store.read().await.unwrap();
        assert!(
            accounts::live_api_token(&mut conn, "tokendigest", NOW)
                .await
                .unwrap()
                .is_none()
        );
        drop(conn);
        store.close().await;
    }
}

#[tokio::test]
async fn patrons_and_audit_on_every_engine() {
    for (store, _dir) in stores().await {
        let mut tx = store.write().await.unwrap();
        let m = org::insert_member(&mut tx, MemberId(1), &member("m"), NOW)
            .await
            .unwrap();
        let other = org::insert_member(&mut tx, MemberId(5), &member("o"), NOW)
            .await
            .unwrap();
        let b = org::insert_branch(&mut tx, BranchId(2), m.id, &branch("m1"), NOW)
            .await
            .unwrap();
        let row = PatronRow {
            family_name: "Müller".into(),
            given_names: "Anna".into(),
            home_branch: b.id,
            home_member: m.id,
            patron_type: Code::parse("t", "adult").unwrap(),
            expires_on: Date::parse("d", "2028-01-01").unwrap(),
            email: Some("Anna@Example.org".into()),
            phone: None,
            sms_number: None,
            date_of_birth: None,
            preferred_pickup_branch: None,
            notices: NoticePreferences::default(),
            privacy: PrivacyChoices::default(),
            status: PatronStatus::Active,
        };
        let card = Barcode::parse("card", "2900001").unwrap();
        patrons::insert_patron(&mut tx, PatronId(7), &card, &row, Some("pinhash"), NOW)
            .await
            .unwrap();
        for (id, member_id) in [(100, m.id), (101, other.id), (102, m.id)] {
            let record = AuditRecord {
                actor: "staff:dev".into(),
                action: "patron.update".into(),
                entity_kind: "patron".into(),
                entity_id: "7".into(),
                member_id: Some(member_id),
                before: Some("{\"a\":1}".into()),
                after: Some("{\"a\":2}".into()),
                reason: None,
            };
            audit::append(&mut tx, AuditId(id), NOW + id, &record)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();

        // A failed statement ends the transaction on PostgreSQL, so a service never carries on after
        // a store error; here the duplicate card gets a transaction of its own.
        let mut tx = store.write().await.unwrap();
        let err = patrons::add_card(&mut tx, PatronId(7), &card, NOW)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Duplicate { .. }), "{err}");
        drop(tx);

        let mut conn = store.read().await.unwrap();
        for query in ["2900001", "müller", "MÜLLER a", "anna@example.org"] {
            // Names are folded to lower case in Rust, not SQL, so both engines match the same way.
            let found = patrons::search_patrons(&mut conn, query, None, 10)
                .await
                .unwrap();
            assert_eq!(found.len(), 1, "{:?} {query}", store.engine());
        }
        assert!(
            patrons::search_patrons(&mut conn, "müller", Some(other.id), 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            patrons::search_patrons(&mut conn, "%", None, 10)
                .await
                .unwrap()
                .is_empty(),
            "LIKE wildcards are literal"
        );
        let (patron, pin) = patrons::patron_by_card(&mut conn, &card)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(patron.display_name(), "Anna Müller");
        assert_eq!(pin.as_deref(), Some("pinhash"));

        let filter = AuditFilter {
            member_id: Some(m.id),
            limit: 10,
            ..AuditFilter::default()
        };
        let entries = audit::list(&mut conn, &filter).await.unwrap();
        assert_eq!(
            entries.iter().map(|e| e.id.0).collect::<Vec<_>>(),
            [102, 100],
            "newest first, one member"
        );
        let page = audit::list(
            &mut conn,
            &AuditFilter {
                before_id: Some(AuditId(102)),
                limit: 1,
                ..filter.clone()
            },
        )
        .await
        .unwrap();
        assert_eq!(page[0].id.0, 100);
        let since = audit::list(
            &mut conn,
            &AuditFilter {
                since: Some(NOW + 101),
                limit: 10,
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(since.len(), 2);
        drop(conn);
        store.close().await;
    }
}

#[tokio::test]
async fn sqlite_backup_is_a_consistent_copy() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&StoreConfig::Sqlite {
        data_dir: dir.path().to_path_buf(),
        synchronous_full: true,
    })
    .await
    .unwrap();
    let mut tx = store.write().await.unwrap();
    org::insert_member(&mut tx, MemberId(1), &member("kept"), NOW)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let target = dir.path().join("copy").join("backup.sqlite3");
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    store.backup_to(&target).await.unwrap();
    assert!(
        matches!(store.backup_to(&target).await, Err(StoreError::Config(_))),
        "never overwrites"
    );
    store.close().await;

    let restored_dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        &target,
        restored_dir.path().join(crate::engine::SQLITE_FILE),
    )
    .unwrap();
    let restored = Store::open(&StoreConfig::Sqlite {
        data_dir: restored_dir.path().to_path_buf(),
        synchronous_full: false,
    })
    .await
    .unwrap();
    let mut conn = restored.read().await.unwrap();
    assert_eq!(org::list_members(&mut conn).await.unwrap().len(), 1);
    drop(conn);
    restored.close().await;
}

#[tokio::test]
async fn patron_details_cards_duplicates_and_merges_on_every_engine() {
    for (store, _dir) in stores().await {
        let engine = store.engine();
        let mut tx = store.write().await.unwrap();
        let m = org::insert_member(&mut tx, MemberId(1), &member("m"), NOW)
            .await
            .unwrap();
        let b = org::insert_branch(&mut tx, BranchId(2), m.id, &branch("m1"), NOW)
            .await
            .unwrap();
        let full = PatronRow {
            family_name: "Rossi".into(),
            given_names: "Maria".into(),
            home_branch: b.id,
            home_member: m.id,
            patron_type: Code::parse("t", "adult").unwrap(),
            expires_on: Date::parse("d", "2028-01-01").unwrap(),
            email: Some("maria@example.org".into()),
            phone: Some("+44 117 496 0000".into()),
            sms_number: Some("07700 900123".into()),
            date_of_birth: Some(Date::parse("d", "1980-02-29").unwrap()),
            preferred_pickup_branch: Some(b.id),
            notices: NoticePreferences {
                email: false,
                sms: true,
                print: true,
            },
            privacy: PrivacyChoices {
                keep_reading_history: true,
                contact_home_member_only: true,
            },
            status: PatronStatus::Pending,
        };
        let a_card = Barcode::parse("card", "A-1").unwrap();
        let inserted = patrons::insert_patron(&mut tx, PatronId(10), &a_card, &full, None, NOW)
            .await
            .unwrap();
        let other = PatronRow {
            email: None,
            phone: None,
            sms_number: None,
            date_of_birth: None,
            status: PatronStatus::Active,
            ..full.clone()
        };
        let b_card = Barcode::parse("card", "B-1").unwrap();
        patrons::insert_patron(&mut tx, PatronId(11), &b_card, &other, Some("h"), NOW)
            .await
            .unwrap();
        patrons::add_card(
            &mut tx,
            PatronId(11),
            &Barcode::parse("c", "B-2").unwrap(),
            NOW + 1,
        )
        .await
        .unwrap();
        patrons::deactivate_card(&mut tx, &b_card, NOW + 2)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let mut conn = store.read().await.unwrap();
        let read = patrons::patron_by_id(&mut conn, PatronId(10))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read, inserted, "{engine:?}");
        let cards = patrons::cards_of(&mut conn, PatronId(11)).await.unwrap();
        let listed: Vec<(&str, bool)> = cards
            .iter()
            .map(|c| (c.barcode.as_str(), c.active))
            .collect();
        assert_eq!(listed, [("B-2", true), ("B-1", false)], "{engine:?}");
        assert_eq!(cards[1].deactivated_at, Some(NOW + 2));
        // A deactivated card no longer logs in but still belongs to its patron.
        assert!(
            patrons::patron_by_card(&mut conn, &b_card)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            patrons::card(&mut conn, &b_card)
                .await
                .unwrap()
                .unwrap()
                .patron,
            PatronId(11)
        );
        // Search by phone and SMS number, whatever the punctuation and prefix.
        for query in ["0117 496 0000", "+447700900123"] {
            let found = patrons::search_patrons(&mut conn, query, None, 10)
                .await
                .unwrap();
            assert_eq!(found.len(), 1, "{engine:?} {query}");
        }
        let pending = patrons::pending_patrons(&mut conn, Some(m.id))
            .await
            .unwrap();
        assert_eq!(pending.len(), 1);
        let candidates = patrons::duplicate_candidates(
            &mut conn,
            "rossi",
            "MARIA",
            Some("nobody@example.org"),
            &[],
            None,
            10,
        )
        .await
        .unwrap();
        assert_eq!(candidates.len(), 2, "{engine:?}: same search name");
        let by_phone = patrons::duplicate_candidates(
            &mut conn,
            "Verdi",
            "Anna",
            None,
            &["174960000".to_string()],
            None,
            10,
        )
        .await
        .unwrap();
        assert_eq!(by_phone.len(), 1, "{engine:?}: same phone key");
        drop(conn);

        let mut tx = store.write().await.unwrap();
        patrons::set_patron_status(&mut tx, PatronId(10), PatronStatus::Active, NOW)
            .await
            .unwrap();
        let moved = patrons::merge_patron_into(&mut tx, PatronId(11), PatronId(10))
            .await
            .unwrap();
        assert_eq!(moved, [("patron_card", 2)]);
        tx.commit().await.unwrap();
        let mut conn = store.read().await.unwrap();
        assert!(
            patrons::patron_by_id(&mut conn, PatronId(11))
                .await
                .unwrap()
                .is_none()
        );
        let survivor = patrons::patron_by_id(&mut conn, PatronId(10))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(survivor.status, PatronStatus::Active);
        let cards: Vec<String> = survivor.cards.iter().map(ToString::to_string).collect();
        assert_eq!(cards, ["A-1", "B-2"], "{engine:?}");
        assert_eq!(
            patrons::cards_of(&mut conn, PatronId(10))
                .await
                .unwrap()
                .len(),
            3
        );
    }
}

#[tokio::test]
async fn policy_rules_round_trip_on_every_engine() {
    for (store, _dir) in stores().await {
        let engine = store.engine();
        let mut tx = store.write().await.unwrap();
        let m = org::insert_member(&mut tx, MemberId(1), &member("m"), NOW)
            .await
            .unwrap();
        let b = org::insert_branch(&mut tx, BranchId(2), m.id, &branch("m1"), NOW)
            .await
            .unwrap();
        let default_rule = PolicyRule {
            id: PolicyRuleId(100),
            match_points: MatchPoints::default(),
            settings: PolicySettings {
                loan_period: Some(LoanPeriod::Days(21)),
                fine_per_period: Some(Money::new(25, Currency::GBP)),
                holdable: Some(true),
                ..PolicySettings::default()
            },
        };
        let member_rule = PolicyRule {
            id: PolicyRuleId(101),
            match_points: MatchPoints {
                circulating_member: Some(m.id),
                circulating_branch: Some(b.id),
                patron_home_member: Some(m.id),
                patron_type: Some(Code::parse("p", "child").unwrap()),
                item_type: Some(Code::parse("i", "dvd").unwrap()),
                shelving_location: Some(Code::parse("s", "quick").unwrap()),
            },
            settings: PolicySettings {
                loan_period: Some(LoanPeriod::Hours(4)),
                ..PolicySettings::default()
            },
        };
        policies::insert_policy_rule(&mut tx, &default_rule, "Consortium defaults", NOW)
            .await
            .unwrap();
        policies::insert_policy_rule(&mut tx, &member_rule, "Quick DVDs for children", NOW)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let mut conn = store.read().await.unwrap();
        let listed = policies::list_policy_rules(&mut conn).await.unwrap();
        let rules: Vec<&PolicyRule> = listed.iter().map(|r| &r.rule).collect();
        assert_eq!(rules, [&default_rule, &member_rule], "{engine:?}");
        assert_eq!(listed[1].description, "Quick DVDs for children");
        drop(conn);

        let mut tx = store.write().await.unwrap();
        let mut changed = member_rule.clone();
        changed.match_points.circulating_branch = None;
        changed.settings.renewals_allowed = Some(0);
        assert!(
            policies::update_policy_rule(&mut tx, &changed, "Changed", NOW + 5)
                .await
                .unwrap()
        );
        assert!(
            policies::delete_policy_rule(&mut tx, default_rule.id)
                .await
                .unwrap()
        );
        assert!(
            !policies::delete_policy_rule(&mut tx, default_rule.id)
                .await
                .unwrap()
        );
        tx.commit().await.unwrap();
        let mut conn = store.read().await.unwrap();
        let stored = policies::policy_rule(&mut conn, changed.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.rule, changed, "{engine:?}");
        assert_eq!((stored.created_at, stored.updated_at), (NOW, NOW + 5));
        assert!(
            policies::policy_rule(&mut conn, default_rule.id)
                .await
                .unwrap()
                .is_none()
        );
    }
}

#[tokio::test]
async fn catalogue_bibs_identifiers_items_and_change_log_on_every_engine() {
    use concord_domain::catalogue::{BibSummary, Identifier, IdentifierKind, ItemStatus};
    use concord_domain::ids::{BibId, ItemId};

    use crate::catalogue::{self, BibRow, ItemRow};

    for (store, _dir) in stores().await {
        let engine = store.engine();
        let mut tx = store.write().await.unwrap();
        let a = org::insert_member(&mut tx, MemberId(1), &member("a"), NOW)
            .await
            .unwrap();
        let a1 = org::insert_branch(&mut tx, BranchId(11), a.id, &branch("a1"), NOW)
            .await
            .unwrap();
        // Every byte value, including NUL and the ISO 2709 separators, survives the BLOB.
        let marc: Vec<u8> = (0..=255u8).chain([0x1d, 0x1e, 0x1f, 0]).collect();
        let bib = BibRow {
            id: BibId(101),
            summary: BibSummary {
                record_type: 'a',
                bibliographic_level: 'm',
                title: "Über Bücher".into(),
                author: "Ørsted, Hans".into(),
                publication_year: Some(1820),
            },
            match_key: Some("uber buchers|orsted|1820|am".into()),
            title_key: "uber bucher".into(),
            marc,
            source_member: Some(a.id),
            source_record_id: "ocm0001".into(),
            withdrawn: false,
            version: 1,
            created_at: NOW,
            updated_at: NOW,
        };
        catalogue::insert_bib(&mut tx, &bib).await.unwrap();
        let isbn = Identifier {
            kind: IdentifierKind::Isbn,
            value: "9780679450047".into(),
        };
        let oclc = Identifier {
            kind: IdentifierKind::Oclc,
            value: "1".into(),
        };
        catalogue::replace_identifiers(&mut tx, bib.id, &[isbn.clone(), oclc.clone()])
            .await
            .unwrap();
        let first = catalogue::log_change(&mut tx, "bib", bib.id.0, NOW)
            .await
            .unwrap();
        let item = ItemRow {
            id: ItemId(201),
            bib_id: bib.id,
            member_id: a.id,
            branch_id: a1.id,
            current_branch_id: a1.id,
            barcode: Barcode::parse("b", "31234000001").unwrap(),
            call_number: "QC 1 .O7".into(),
            item_type: Code::parse("t", "BOOK").unwrap(),
            shelving_location: None,
            price_minor: Some(2500),
            status: ItemStatus::Available,
            hidden_from_other_members: false,
            created_at: NOW,
            updated_at: NOW,
        };
        catalogue::insert_item(&mut tx, &item).await.unwrap();
        let second = catalogue::log_change(&mut tx, "bib", bib.id.0, NOW + 1)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let mut conn = store.read().await.unwrap();
        assert_eq!(
            catalogue::bib(&mut conn, bib.id).await.unwrap(),
            Some(bib.clone()),
            "{engine:?}"
        );
        assert_eq!(
            catalogue::bib_with_identifier(&mut conn, &isbn)
                .await
                .unwrap(),
            Some(bib.id),
            "{engine:?}"
        );
        let missing = Identifier {
            kind: IdentifierKind::Issn,
            value: "9780679450047".into(),
        };
        assert_eq!(
            catalogue::bib_with_identifier(&mut conn, &missing)
                .await
                .unwrap(),
            None,
            "the kind is part of the identifier ({engine:?})"
        );
        let mut identifiers = catalogue::identifiers_of(&mut conn, bib.id).await.unwrap();
        identifiers.sort();
        let mut expected = vec![isbn, oclc];
        expected.sort();
        assert_eq!(identifiers, expected, "{engine:?}");
        assert_eq!(
            catalogue::bibs_by_title_prefix(&mut conn, "ÜBER b", 10)
                .await
                .unwrap()
                .len(),
            1,
            "{engine:?}"
        );
        assert_eq!(
            catalogue::item_by_barcode(&mut conn, &item.barcode)
                .await
                .unwrap(),
            Some(item.clone()),
            "{engine:?}"
        );
        assert!(second > first, "{engine:?}: {first} then {second}");
        let changes = catalogue::changes_since(&mut conn, first, 10)
            .await
            .unwrap();
        assert_eq!(
            changes.iter().map(|c| c.seq).collect::<Vec<_>>(),
            vec![second],
            "{engine:?}"
        );
        assert_eq!(catalogue::max_change_seq(&mut conn).await.unwrap(), second);
        drop(conn);

        // A second item with the same barcode is a Duplicate, not a bare database error.
        let mut tx = store.write().await.unwrap();
        let err = catalogue::insert_item(
            &mut tx,
            &ItemRow {
                id: ItemId(202),
                ..item.clone()
            },
        )
        .await
        .unwrap_err();
        assert!(
            matches!(err, StoreError::Duplicate { ref what } if what == "barcode 31234000001"),
            "{engine:?}: {err}"
        );
        drop(tx);

        // Sequence numbers keep rising across transactions.
        let mut tx = store.write().await.unwrap();
        let third = catalogue::log_change(&mut tx, "item", item.id.0, NOW + 2)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(third > second, "{engine:?}");

        // An import batch logs its bibs at once: consecutive numbers, in the order given.
        let mut tx = store.write().await.unwrap();
        catalogue::log_changes(&mut tx, "bib", &[7, 5, 9], NOW + 3)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut conn = store.read().await.unwrap();
        let logged: Vec<(i64, i64)> = catalogue::changes_since(&mut conn, third, 10)
            .await
            .unwrap()
            .iter()
            .map(|c| (c.seq, c.entity_id))
            .collect();
        assert_eq!(
            logged,
            vec![(third + 1, 7), (third + 2, 5), (third + 3, 9)],
            "{engine:?}"
        );
        drop(conn);
        store.close().await;
    }
}

#[tokio::test]
async fn loans_ledger_and_jobs_on_every_engine() {
    use crate::bench_fixture;
    use crate::catalogue;
    use crate::circulation::{self as circ, LedgerRow, LoanRow};
    use concord_domain::ids::{ItemId, LedgerEntryId};

    for (store, _dir) in stores().await {
        let engine = store.engine();
        let (member_id, branch_id) = circulation_fixture(&store).await;

        // The benchmark fixture made what its numbering promises, readable by the normal queries.
        let mut conn = store.read().await.unwrap();
        let item = catalogue::item_by_barcode(
            &mut conn,
            &Barcode::parse("b", &bench_fixture::item_barcode(4)).unwrap(),
        )
        .await
        .unwrap()
        .expect("fixture item 4");
        assert_eq!(
            item.branch_id, branch_id,
            "{engine:?}: item 4 is at branch 0"
        );
        assert_eq!(item.status.as_str(), "available");
        // Its shelf key is the store's own, so that no fill is left for the next open.
        let stored_key: Option<String> =
            sqlx::query_scalar("SELECT shelf_key FROM item WHERE id = $1")
                .bind(item.id.0)
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        assert_eq!(
            stored_key.as_deref(),
            Some(concord_domain::catalogue::shelf::shelf_key(&item.call_number).as_str()),
            "{engine:?}"
        );
        let (patron, _) = patrons::patron_by_card(
            &mut conn,
            &Barcode::parse("c", &bench_fixture::patron_card(2)).unwrap(),
        )
        .await
        .unwrap()
        .expect("fixture patron 2");
        assert_eq!(patron.home_branch, branch_id);
        // Its keys in SQL are the ones the domain makes of its names, so searches find it.
        assert_eq!(
            patron_ids_found(&mut conn, "Patron 2, Bench").await,
            [patron.id.0],
            "{engine:?}"
        );
        assert!(
            patrons::patron_by_card(
                &mut conn,
                &Barcode::parse("c", &bench_fixture::patron_card(3)).unwrap()
            )
            .await
            .unwrap()
            .is_none(),
            "{engine:?}: only three patrons"
        );
        drop(conn);

        // claim_item moves an item exactly once: the second claim from the same status fails.
        let mut tx = store.write().await.unwrap();
        assert!(
            circ::claim_item(&mut tx, item.id, item.bib_id, "available", "on_loan", NOW)
                .await
                .unwrap()
        );
        assert!(
            !circ::claim_item(&mut tx, item.id, item.bib_id, "available", "on_loan", NOW)
                .await
                .unwrap(),
            "{engine:?}: claimed twice"
        );
        let loan = LoanRow {
            id: 100,
            item_id: item.id,
            patron_id: patron.id,
            member_id,
            branch_id,
            checked_out_at: NOW,
            due_at: NOW + 86_400,
            renewals_used: 0,
            returned_at: None,
            returned_branch_id: None,
            override_reason: Some("known to staff".into()),
            override_by: Some("staff:desk".into()),
            policy_rule_ids: "1,2".into(),
            fine_charged_minor: 0,
        };
        circ::insert_loan(&mut tx, &loan).await.unwrap();
        tx.commit().await.unwrap();

        // The partial unique index refuses a second open loan of the item, whatever the caller.
        let mut tx = store.write().await.unwrap();
        let second = circ::insert_loan(
            &mut tx,
            &LoanRow {
                id: 101,
                ..loan.clone()
            },
        )
        .await;
        assert!(
            matches!(second, Err(StoreError::Duplicate { .. })),
            "{engine:?}: {second:?}"
        );
        drop(tx);
        let mut conn = store.read().await.unwrap();
        assert_eq!(
            circ::loan(&mut conn, 100).await.unwrap(),
            Some(loan.clone())
        );
        assert_eq!(
            circ::open_loan_of_item(&mut conn, item.id).await.unwrap(),
            Some(loan.clone())
        );
        drop(conn);

        // Once returned, the item may be lent again: the index covers open loans only.
        let mut tx = store.write().await.unwrap();
        assert!(
            circ::close_loan(&mut tx, 100, NOW + 60, branch_id, 0)
                .await
                .unwrap()
        );
        assert!(
            !circ::close_loan(&mut tx, 100, NOW + 61, branch_id, 0)
                .await
                .unwrap(),
            "{engine:?}: closed twice"
        );
        circ::insert_loan(
            &mut tx,
            &LoanRow {
                id: 102,
                ..loan.clone()
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();

        // The ledger reads back what was written, in order, with its links.
        let mut tx = store.write().await.unwrap();
        let charge = LedgerRow {
            id: LedgerEntryId(200),
            patron_id: patron.id,
            kind: "charge".into(),
            charge_id: None,
            amount_minor: 1250,
            currency: "EUR".into(),
            reason: "LOST".into(),
            loan_id: Some(102),
            item_id: Some(ItemId(item.id.0)),
            note: Some("found wet".into()),
            created_by: "staff:desk".into(),
            created_at: NOW,
        };
        let payment = LedgerRow {
            id: LedgerEntryId(201),
            kind: "payment".into(),
            charge_id: Some(LedgerEntryId(200)),
            amount_minor: 500,
            reason: "CASH".into(),
            loan_id: None,
            item_id: None,
            note: None,
            created_at: NOW + 1,
            ..charge.clone()
        };
        circ::insert_ledger_entry(&mut tx, &charge).await.unwrap();
        circ::insert_ledger_entry(&mut tx, &payment).await.unwrap();
        tx.commit().await.unwrap();
        let mut conn = store.read().await.unwrap();
        assert_eq!(
            circ::ledger_of(&mut conn, patron.id).await.unwrap(),
            vec![charge, payment],
            "{engine:?}"
        );
        assert_eq!(
            circ::ledger_entries_without_loan(&mut conn).await.unwrap(),
            0
        );
        drop(conn);

        // The job queue: queued jobs in run order; a failure keeps a job queued with one more
        // attempt and a later time; a finished job leaves the queue.
        let mut tx = store.write().await.unwrap();
        circ::enqueue_job(&mut tx, 301, "overdue_fines", NOW + 10, NOW)
            .await
            .unwrap();
        circ::enqueue_job(&mut tx, 300, "anonymise_reading_history", NOW + 5, NOW)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut conn = store.read().await.unwrap();
        let queued = circ::queued_jobs(&mut conn).await.unwrap();
        assert_eq!(
            queued.iter().map(|j| j.id).collect::<Vec<_>>(),
            [300, 301],
            "{engine:?}"
        );
        drop(conn);
        let mut tx = store.write().await.unwrap();
        circ::fail_job(&mut tx, 300, "disk full", NOW + 100)
            .await
            .unwrap();
        circ::finish_job(&mut tx, 301, NOW + 11).await.unwrap();
        tx.commit().await.unwrap();
        let mut conn = store.read().await.unwrap();
        let queued = circ::queued_jobs(&mut conn).await.unwrap();
        assert_eq!(queued.len(), 1, "{engine:?}");
        let job = queued.first().unwrap();
        assert_eq!((job.id, job.attempts, job.run_after), (300, 1, NOW + 100));
        drop(conn);

        // The raw baseline's writes agree with the application's reading of them.
        let other = bench_fixture::item_barcode(6);
        let mut tx = store.write().await.unwrap();
        let card = bench_fixture::patron_card(0);
        assert!(
            bench_fixture::raw_checkout(&mut tx, "M1", &card, &other, 400, NOW)
                .await
                .unwrap()
        );
        assert!(
            !bench_fixture::raw_checkout(&mut tx, "M1", &card, &other, 401, NOW)
                .await
                .unwrap(),
            "{engine:?}: lent twice"
        );
        assert!(
            bench_fixture::raw_checkin(&mut tx, "M1", &other, NOW)
                .await
                .unwrap()
        );
        assert!(
            !bench_fixture::raw_checkin(&mut tx, "M1", &other, NOW)
                .await
                .unwrap()
        );
        tx.commit().await.unwrap();
        let mut conn = store.read().await.unwrap();
        assert_eq!(
            circ::items_on_loan_without_loan(&mut conn).await.unwrap(),
            0
        );
    }
}

/// Many writers at once (on SQLite they share group commits): every committed action is kept,
/// every dropped or failed one leaves nothing, and a failure never takes its neighbours with it.
#[tokio::test]
async fn concurrent_writers_keep_exactly_the_committed_actions_on_every_engine() {
    for (store, _dir) in stores().await {
        let engine = store.engine();
        let store = std::sync::Arc::new(store);
        let mut tx = store.write().await.unwrap();
        org::insert_member(&mut tx, MemberId(1), &member("taken"), NOW)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut tasks = tokio::task::JoinSet::new();
        for n in 0..60_i64 {
            let store = std::sync::Arc::clone(&store);
            tasks.spawn(async move {
                let mut tx = store.write().await.unwrap();
                let code = if n % 5 == 0 {
                    "taken".to_string()
                } else {
                    format!("m{n}")
                };
                let inserted =
                    org::insert_member(&mut tx, MemberId(100 + n), &member(&code), NOW).await;
                match (n % 5, n % 3, inserted) {
                    // A duplicate code fails; the transaction is dropped.
                    (0, _, result) => {
                        assert!(result.is_err(), "member {n}");
                        false
                    }
                    (_, 0, result) => {
                        result.unwrap();
                        drop(tx);
                        false
                    }
                    (_, _, result) => {
                        result.unwrap();
                        tx.commit().await.unwrap();
                        true
                    }
                }
            });
        }
        let mut committed = 0;
        while let Some(done) = tasks.join_next().await {
            if done.unwrap() {
                committed += 1;
            }
        }
        let mut conn = store.read().await.unwrap();
        let members = org::list_members(&mut conn).await.unwrap();
        assert_eq!(members.len(), committed + 1, "{engine:?}");
        for member in &members {
            let n: i64 = member.id.0 - 100;
            assert!(
                member.id.0 == 1 || (n % 5 != 0 && n % 3 != 0),
                "{engine:?}: member {n} should not be there"
            );
        }
    }
}

/// One member with two branches, and the benchmark fixture's bibs, items and patrons on them.
async fn circulation_fixture(store: &Store) -> (MemberId, BranchId) {
    use crate::bench_fixture::{self, FixtureBranch};
    let mut tx = store.write().await.unwrap();
    let m = org::insert_member(&mut tx, MemberId(1), &member("m"), NOW)
        .await
        .unwrap();
    let b1 = org::insert_branch(&mut tx, BranchId(2), m.id, &branch("m1"), NOW)
        .await
        .unwrap();
    let b2 = org::insert_branch(&mut tx, BranchId(3), m.id, &branch("m2"), NOW)
        .await
        .unwrap();
    bench_fixture::insert_bibs(&mut tx, 5, NOW).await.unwrap();
    for (index, b) in [b1.id, b2.id].into_iter().enumerate() {
        let place = FixtureBranch {
            branch_id: b.0,
            member_id: m.id.0,
        };
        bench_fixture::insert_items(&mut tx, place, index as u64, 2, 10, NOW)
            .await
            .unwrap();
        bench_fixture::insert_patrons(&mut tx, place, index as u64, 2, 3, "2099-01-01", NOW)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    (m.id, b1.id)
}

/// Every change to the consortium, members, branches and rules moves the settings generation
/// on, in its own transaction: a rolled-back change leaves it where it was, and a committed one
/// is seen on a read connection, as another server's cache checks it.
#[tokio::test]
async fn every_settings_change_moves_the_settings_generation_on_every_engine() {
    use crate::settings_generation;

    for (store, _dir) in stores().await {
        let engine = store.engine();
        let generation = || async {
            let mut conn = store.read().await.unwrap();
            settings_generation::current(&mut conn).await.unwrap()
        };
        let start = generation().await;
        let mut seen = start;
        let mut moved = |now: i64, what: &str| {
            assert!(now > seen, "{engine:?}: {what} did not move the generation");
            seen = now;
        };

        let mut tx = store.write().await.unwrap();
        let m = org::insert_member(&mut tx, MemberId(1), &member("g"), NOW)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        moved(generation().await, "insert_member");

        let mut tx = store.write().await.unwrap();
        org::update_member(&mut tx, m.id, &member("g"), NOW)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        moved(generation().await, "update_member");

        let mut tx = store.write().await.unwrap();
        let b = org::insert_branch(&mut tx, BranchId(2), m.id, &branch("g1"), NOW)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        moved(generation().await, "insert_branch");

        let mut tx = store.write().await.unwrap();
        org::update_branch(&mut tx, b.id, m.id, &branch("g1"), NOW)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        moved(generation().await, "update_branch");

        let mut tx = store.write().await.unwrap();
        org::save_consortium(
            &mut tx,
            3,
            &org::ConsortiumSettings {
                code: "C".into(),
                name: "C".into(),
                currency: "GBP".into(),
                utc_offset_seconds: 0,
            },
            NOW,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        moved(generation().await, "save_consortium");

        let mut tx = store.write().await.unwrap();
        crate::circulation::set_member_items_float(&mut tx, m.id, true)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        moved(generation().await, "set_member_items_float");

        let rule = PolicyRule {
            id: PolicyRuleId(4),
            match_points: MatchPoints::default(),
            settings: PolicySettings::default(),
        };
        let mut tx = store.write().await.unwrap();
        policies::insert_policy_rule(&mut tx, &rule, "r", NOW)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        moved(generation().await, "insert_policy_rule");

        let mut tx = store.write().await.unwrap();
        policies::update_policy_rule(&mut tx, &rule, "r2", NOW)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        moved(generation().await, "update_policy_rule");

        let mut tx = store.write().await.unwrap();
        policies::delete_policy_rule(&mut tx, rule.id)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        moved(generation().await, "delete_policy_rule");

        // A change that is not committed does not move it.
        {
            let mut tx = store.write().await.unwrap();
            policies::insert_policy_rule(&mut tx, &rule, "dropped", NOW)
                .await
                .unwrap();
        }
        assert_eq!(generation().await, seen, "{engine:?}: a rollback moved it");
        // The transaction that makes a change sees its own bump before it commits.
        let mut tx = store.write().await.unwrap();
        policies::insert_policy_rule(&mut tx, &rule, "r3", NOW)
            .await
            .unwrap();
        assert!(settings_generation::current(&mut tx).await.unwrap() > seen);
        tx.commit().await.unwrap();
        store.close().await;
    }
}

/// Every column that refers to a patron, read from the schema itself.
async fn columns_referring_to_patrons(store: &Store) -> Vec<(String, String)> {
    let sql = match store.engine() {
        crate::engine::Engine::Sqlite => {
            "SELECT m.name AS table_name, f.\"from\" AS column_name
             FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f
             WHERE m.type = 'table' AND f.\"table\" = 'patron'"
        }
        crate::engine::Engine::Postgres => {
            "SELECT CAST(source.relname AS TEXT) AS table_name, CAST(a.attname AS TEXT) AS column_name
             FROM pg_constraint c
             JOIN pg_class source ON source.oid = c.conrelid
             JOIN pg_class target ON target.oid = c.confrelid
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
             WHERE c.contype = 'f' AND target.relname = 'patron'
               AND source.relnamespace = CAST(current_schema() AS regnamespace)"
        }
    };
    let mut conn = store.read().await.unwrap();
    let rows = sqlx::query(sql).fetch_all(&mut *conn).await.unwrap();
    let mut columns: Vec<(String, String)> = rows
        .iter()
        .map(|row| {
            use sqlx::Row as _;
            (
                row.try_get::<String, _>("table_name").unwrap(),
                row.try_get::<String, _>("column_name").unwrap(),
            )
        })
        .collect();
    columns.sort();
    columns
}

#[tokio::test]
async fn a_patron_merge_moves_every_row_the_schema_ties_to_a_patron_on_every_engine() {
    for (store, _dir) in stores().await {
        let found = columns_referring_to_patrons(&store).await;
        let mut listed: Vec<(String, String)> = patrons::PATRON_REFERENCES
            .iter()
            .map(|(table, column)| (table.to_string(), column.to_string()))
            .collect();
        listed.sort();
        assert!(
            !found.is_empty(),
            "{:?}: no foreign keys read",
            store.engine()
        );
        assert_eq!(
            found,
            listed,
            "{:?}: a table refers to patrons but merges would not move its rows; add it to PATRON_REFERENCES",
            store.engine()
        );
    }
}

/// A bib with no record, keyed by `title_key`, as tests that look at bibs only by id and title
/// need them.
fn plain_bib(id: i64, title: &str, title_key: &str) -> crate::catalogue::BibRow {
    use concord_domain::catalogue::BibSummary;
    crate::catalogue::BibRow {
        id: concord_domain::ids::BibId(id),
        summary: BibSummary {
            record_type: 'a',
            bibliographic_level: 'm',
            title: title.into(),
            author: String::new(),
            publication_year: None,
        },
        match_key: None,
        title_key: title_key.into(),
        marc: Vec::new(),
        source_member: None,
        source_record_id: format!("r{id}"),
        withdrawn: false,
        version: 1,
        created_at: NOW,
        updated_at: NOW,
    }
}

/// An available book of `member` at `branch`, its barcode made from `id`, without a call
/// number or location: what a test sets apart from that, it sets.
fn plain_item(
    id: i64,
    bib: concord_domain::ids::BibId,
    member: MemberId,
    branch: BranchId,
) -> crate::catalogue::ItemRow {
    use concord_domain::catalogue::ItemStatus;
    crate::catalogue::ItemRow {
        id: concord_domain::ids::ItemId(id),
        bib_id: bib,
        member_id: member,
        branch_id: branch,
        current_branch_id: branch,
        barcode: Barcode::parse("b", &format!("3100{id}")).unwrap(),
        call_number: String::new(),
        item_type: Code::parse("t", "BOOK").unwrap(),
        shelving_location: None,
        price_minor: None,
        status: ItemStatus::Available,
        hidden_from_other_members: false,
        created_at: NOW,
        updated_at: NOW,
    }
}

#[tokio::test]
async fn title_lookup_ignores_case_accents_and_punctuation_on_every_engine() {
    use concord_domain::catalogue::normalise_words;
    use concord_domain::ids::BibId;
    use concord_marc::{DataField, Leader, Record, Tag};

    use crate::catalogue::{self, BibRow, DerivedColumns};

    // As the catalogue service keys them: by filing title (here the title itself, but for "The
    // hobbit", whose record marks "The " as non-filing).
    let key = |title: &str| normalise_words(title.strip_prefix("The ").unwrap_or(title));
    let bib = |id: i64, title: &str| plain_bib(id, title, &key(title));
    for (store, _dir) in stores().await {
        let engine = store.engine();
        let mut tx = store.write().await.unwrap();
        for (id, title) in [
            (1, "Études de Chopin"),
            (2, "Etudes : a study guide"),
            (3, "ÉTUDES D'ORCHESTRE"),
            (4, "The hobbit, or, There and back again"),
            (5, "100% pure_luck"),
            (6, "Zebra"),
        ] {
            catalogue::insert_bib(&mut tx, &bib(id, title))
                .await
                .unwrap();
        }
        // Bibs stored before title keys existed: one whose record cannot be read, one whose 245
        // marks four non-filing characters; and one renamed since.
        let mut record = Record::new(Leader::parse("00000nam a2200000 a 4500").unwrap());
        record.push_data(
            DataField::new(Tag::parse("245").unwrap(), '1', '4')
                .with_subfield('a', "The Lord of the rings."),
        );
        let marc = concord_marc::to_iso2709(&record).unwrap();
        for (id, title, marc) in [
            (7, "Étude in Ölfarben", Vec::new()),
            (8, "The Lord of the rings", marc),
        ] {
            sqlx::query("INSERT INTO bib (id, record_type, bibliographic_level, title, author, marc, source_record_id, withdrawn, version, created_at, updated_at) VALUES ($1, 'a', 'm', $2, '', $3, $4, 0, 1, $5, $5)")
                .bind(id)
                .bind(title)
                .bind(marc)
                .bind(format!("r{id}"))
                .bind(NOW)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        let renamed = plain_bib(6, "Études nouvelles", "").summary;
        let derived = DerivedColumns {
            summary: &renamed,
            match_key: None,
            title_key: "etudes nouvelles",
        };
        catalogue::update_bib_record(&mut tx, BibId(6), &derived, &[], NOW)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let ids = |found: Vec<BibRow>| found.iter().map(|b| b.id.0).collect::<Vec<_>>();
        let mut conn = store.read().await.unwrap();
        let etudes = ids(catalogue::bibs_by_title_prefix(&mut conn, "etudes", 10)
            .await
            .unwrap());
        assert_eq!(etudes, [2, 3, 1, 6], "{engine:?}: key order, then id");
        for typed in ["ÉTUDES", "Études", "études d", "  etudes  de "] {
            let found = ids(catalogue::bibs_by_title_prefix(&mut conn, typed, 10)
                .await
                .unwrap());
            assert!(found.contains(&1), "{engine:?}: {typed} found {found:?}");
        }
        // With or without the article the record files without.
        for typed in ["the hobbit or", "hobbit", "The Hob"] {
            let found = catalogue::bibs_by_title_prefix(&mut conn, typed, 10)
                .await
                .unwrap();
            assert_eq!(ids(found), [4], "{engine:?}: {typed}");
        }
        // LIKE's wildcards are plain text here.
        assert_eq!(
            ids(catalogue::bibs_by_title_prefix(&mut conn, "100% pure", 10)
                .await
                .unwrap()),
            [5],
            "{engine:?}"
        );
        assert!(
            catalogue::bibs_by_title_prefix(&mut conn, "%", 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            catalogue::bibs_by_title_prefix(&mut conn, "zebra", 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            ids(catalogue::bibs_by_title_prefix(&mut conn, "etudes", 2)
                .await
                .unwrap()),
            [2, 3],
            "{engine:?}: the limit"
        );
        // The bib without a key is found once the store has filled keys in (as opening does).
        assert!(
            ids(catalogue::bibs_by_title_prefix(&mut conn, "etude in", 10)
                .await
                .unwrap())
            .is_empty()
        );
        drop(conn);
        catalogue::fill_title_keys(&store).await.unwrap();
        let mut conn = store.read().await.unwrap();
        assert_eq!(
            ids(
                catalogue::bibs_by_title_prefix(&mut conn, "ETUDE IN OLF", 10)
                    .await
                    .unwrap()
            ),
            [7],
            "{engine:?}"
        );
        for typed in ["lord of the", "the lord of"] {
            let found = catalogue::bibs_by_title_prefix(&mut conn, typed, 10)
                .await
                .unwrap();
            assert_eq!(ids(found), [8], "{engine:?}: {typed}");
        }
        // Its match key is worked out again from its record too.
        let lord = catalogue::bib(&mut conn, BibId(8)).await.unwrap().unwrap();
        assert_eq!(
            lord.match_key.as_deref(),
            Some("lord of the rings|||am"),
            "{engine:?}"
        );
    }
}

#[tokio::test]
async fn keys_made_without_the_marks_that_spell_words_are_made_again_on_every_engine() {
    use concord_domain::catalogue::{filing_title_key, match_key};
    use concord_domain::ids::BibId;
    use concord_marc::{DataField, Leader, Record, Tag};

    use crate::catalogue;

    let record = |title: &str, author: &str| {
        let mut record = Record::new(Leader::parse("00000nam a2200000 a 4500").unwrap());
        record.push_data(
            DataField::new(Tag::parse("100").unwrap(), '1', ' ').with_subfield('a', author),
        );
        record.push_data(
            DataField::new(Tag::parse("245").unwrap(), '1', '0').with_subfield('a', title),
        );
        record
    };
    // Two Nepali books by one author, one word apart by a vowel sign, and a French one; their
    // keys as the store wrote them when every combining mark was dropped.
    let books = [
        (
            1,
            record("कला र संस्कृति /", "शर्मा, कृष्ण."),
            "कल र ससकत",
            "कल र ससकत|शरम||am",
        ),
        (
            2,
            record("काल र संस्कृति /", "शर्मा, कृष्ण."),
            "कल र ससकत",
            "कल र ससकत|शरम||am",
        ),
        (
            3,
            record("Études /", "Müller, J."),
            "etudes",
            "etudes|muller||am",
        ),
        // And an Arabic title stretched with tatweel, which keys kept then.
        (4, record("كـتاب /", "علي"), "كـتاب", "كـتاب|علي||am"),
    ];
    for (store, _dir) in stores().await {
        let engine = store.engine();
        let mut tx = store.write().await.unwrap();
        for (id, record, title_key, old_match_key) in &books {
            sqlx::query("INSERT INTO bib (id, record_type, bibliographic_level, title, author, marc, source_record_id, withdrawn, version, created_at, updated_at, title_key, match_key) VALUES ($1, 'a', 'm', $2, '', $3, $4, 0, 1, $5, $5, $6, $7)")
                .bind(*id)
                .bind(record.field("245").and_then(|f| f.subfield('a')).unwrap())
                .bind(concord_marc::to_iso2709(record).unwrap())
                .bind(format!("r{id}"))
                .bind(NOW)
                .bind(*title_key)
                .bind(*old_match_key)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        let migration = crate::migrate::migration_sql(14, engine).unwrap();
        sqlx::raw_sql(migration).execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();

        let mut conn = store.read().await.unwrap();
        let emptied: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM bib WHERE title_key IS NULL ORDER BY id")
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        assert_eq!(emptied, [1, 2, 4], "{engine:?}: only keys in such scripts");
        drop(conn);
        catalogue::fill_title_keys(&store).await.unwrap();
        let mut conn = store.read().await.unwrap();
        for (id, record, _, _) in &books {
            let bib = catalogue::bib(&mut conn, BibId(*id))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(bib.title_key, filing_title_key(record), "{engine:?}: {id}");
            assert_eq!(bib.match_key, match_key(record), "{engine:?}: {id}");
        }
        // The two books no longer share a key, so neither merges into the other.
        let art = catalogue::bib_with_match_key(&mut conn, "कला र संस्कृति|शर्मा||am")
            .await
            .unwrap();
        assert_eq!(art, Some(BibId(1)), "{engine:?}");
        let book = catalogue::bib(&mut conn, BibId(4)).await.unwrap().unwrap();
        assert_eq!(book.title_key, "كتاب", "{engine:?}");
        drop(conn);
        store.close().await;
    }
}

#[tokio::test]
async fn hidden_locations_and_the_bibs_they_touch_on_every_engine() {
    use concord_domain::ids::BibId;

    use crate::catalogue::{self, ItemRow};

    let code = |text: &str| Code::parse("code", text).unwrap();
    for (store, _dir) in stores().await {
        let engine = store.engine();
        let mut tx = store.write().await.unwrap();
        let a = org::insert_member(&mut tx, MemberId(1), &member("a"), NOW)
            .await
            .unwrap();
        let b = org::insert_member(&mut tx, MemberId(2), &member("b"), NOW)
            .await
            .unwrap();
        let a1 = org::insert_branch(&mut tx, BranchId(11), a.id, &branch("a1"), NOW)
            .await
            .unwrap();
        for (id, location) in [(101, Some("LOCAL")), (102, Some("STACKS")), (103, None)] {
            let bib = plain_bib(id, &format!("Bib {id}"), &format!("bib {id}"));
            catalogue::insert_bib(&mut tx, &bib).await.unwrap();
            let item = ItemRow {
                shelving_location: location.map(code),
                ..plain_item(id + 100, bib.id, a.id, a1.id)
            };
            catalogue::insert_item(&mut tx, &item).await.unwrap();
        }
        org::replace_member_hidden_locations(&mut tx, a.id, &[code("LOCAL"), code("ARCHIVE")])
            .await
            .unwrap();
        org::replace_member_hidden_locations(&mut tx, b.id, &[code("LOCAL")])
            .await
            .unwrap();
        org::replace_member_hidden_locations(&mut tx, a.id, &[code("ARCHIVE"), code("LOCAL")])
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let mut conn = store.read().await.unwrap();
        assert_eq!(
            org::member_hidden_locations(&mut conn, a.id).await.unwrap(),
            [code("ARCHIVE"), code("LOCAL")],
            "{engine:?}"
        );
        assert_eq!(
            org::hidden_locations(&mut conn).await.unwrap().len(),
            3,
            "{engine:?}"
        );
        assert_eq!(
            catalogue::bibs_with_items_at(&mut conn, a.id, &[code("LOCAL"), code("ARCHIVE")])
                .await
                .unwrap(),
            [BibId(101)],
            "{engine:?}"
        );
        assert!(
            catalogue::bibs_with_items_at(&mut conn, b.id, &[code("LOCAL")])
                .await
                .unwrap()
                .is_empty()
        );
    }
}

/// The ids of the patrons a staff search for `typed` finds, in the order it gives them.
async fn patron_ids_found(conn: &mut sqlx::AnyConnection, typed: &str) -> Vec<i64> {
    patrons::search_patrons(conn, typed, None, 10)
        .await
        .unwrap()
        .iter()
        .map(|p| p.id.0)
        .collect()
}

/// Writes patrons' name keys as an older store made them.
async fn set_patron_keys(store: &Store, keys: &[(i64, &str)]) {
    let mut tx = store.write().await.unwrap();
    // Ids bind as i64, as the store binds them: PostgreSQL connections keep one prepared
    // statement per SQL text, and the refill runs this same UPDATE.
    for (id, old_key) in keys {
        sqlx::query("UPDATE patron SET search_name = $2 WHERE id = $1")
            .bind(*id)
            .bind(*old_key)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

/// Writes `old_keys` as an older store made them, and gives whom a staff search for `typed`
/// finds then, and after migration `version` and the refill that opening runs.
async fn found_before_and_after_migration(
    store: &Store,
    old_keys: &[(i64, &str)],
    version: i64,
    typed: &str,
) -> (Vec<i64>, Vec<i64>) {
    set_patron_keys(store, old_keys).await;
    let mut conn = store.read().await.unwrap();
    let before = patron_ids_found(&mut conn, typed).await;
    drop(conn);
    migrate_and_refill_patron_keys(store, version).await;
    let mut conn = store.read().await.unwrap();
    (before, patron_ids_found(&mut conn, typed).await)
}

/// Runs migration `version` again, then the refill of emptied name keys, as opening does.
async fn migrate_and_refill_patron_keys(store: &Store, version: i64) {
    let mut tx = store.write().await.unwrap();
    let migration = crate::migrate::migration_sql(version, store.engine()).unwrap();
    sqlx::raw_sql(migration).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    patrons::fill_search_names(store).await.unwrap();
}

#[tokio::test]
async fn patrons_are_found_by_name_whatever_the_accents_on_every_engine() {
    let born = Date::parse("d", "1975-06-01").unwrap();
    for (store, _dir) in stores().await {
        let engine = store.engine();
        let mut tx = store.write().await.unwrap();
        let m = org::insert_member(&mut tx, MemberId(1), &member("m"), NOW)
            .await
            .unwrap();
        let b = org::insert_branch(&mut tx, BranchId(2), m.id, &branch("m1"), NOW)
            .await
            .unwrap();
        let named = |family: &str, given: &str| PatronRow {
            family_name: family.into(),
            given_names: given.into(),
            home_branch: b.id,
            home_member: m.id,
            patron_type: Code::parse("t", "adult").unwrap(),
            expires_on: Date::parse("d", "2028-01-01").unwrap(),
            email: None,
            phone: None,
            sms_number: None,
            date_of_birth: Some(born),
            preferred_pickup_branch: None,
            notices: NoticePreferences::default(),
            privacy: PrivacyChoices::default(),
            status: PatronStatus::Active,
        };
        let people = [
            (10, "Müller", "Jürgen"),
            (11, "Dvořák", "Antonín"),
            (12, "O'Connor", "Siobhán"),
            (13, "Smith-Jones", "Mary"),
            (14, "Muller", "Anna"),
            (15, "Παπαδόπουλος", "Γιώργος"),
            (16, "शर्मा", "कृष्ण"),
        ];
        for (id, family, given) in people {
            let card = Barcode::parse("card", &format!("N-{id}")).unwrap();
            patrons::insert_patron(
                &mut tx,
                PatronId(id),
                &card,
                &named(family, given),
                None,
                NOW,
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();

        let mut conn = store.read().await.unwrap();
        let cases: &[(&str, &[i64])] = &[
            // Surname order: the folded name, then the id.
            ("muller", &[14, 10]),
            ("MÜLLER", &[14, 10]),
            ("muller j", &[10]),
            ("Muller, Jurgen", &[10]),
            ("dvorak", &[11]),
            ("DVOŘÁK A", &[11]),
            ("oconnor", &[12]),
            ("o'connor s", &[12]),
            ("O’Connor", &[12]),
            ("smith-jones", &[13]),
            ("smith jones m", &[13]),
            ("jurgen", &[]),
            // Marks alone find no one, and LIKE's wildcards are never wildcards.
            ("%", &[]),
            ("_", &[]),
            ("m%r", &[]),
            ("-", &[]),
        ];
        for (typed, expected) in cases {
            assert_eq!(
                patron_ids_found(&mut conn, typed).await,
                *expected,
                "{engine:?}: {typed}"
            );
        }
        // Registered once with accents and once without, one person is a candidate duplicate.
        let candidates =
            patrons::duplicate_candidates(&mut conn, "Muller", "Jurgen", None, &[], None, 10)
                .await
                .unwrap();
        assert_eq!(
            candidates.iter().map(|p| p.id.0).collect::<Vec<_>>(),
            [10],
            "{engine:?}"
        );
        drop(conn);

        // A database an older store wrote: its keys were only lower-cased. Migration 0011 empties
        // them and opening the store works them out again.
        let old = [(10, "müller jürgen"), (11, "dvořák antonín")];
        assert_eq!(
            found_before_and_after_migration(&store, &old, 11, "dvorak").await,
            (vec![], vec![11]),
            "{engine:?}"
        );
        let mut conn = store.read().await.unwrap();
        assert_eq!(
            patron_ids_found(&mut conn, "muller").await,
            [14, 10],
            "{engine:?}"
        );
        assert_eq!(
            patron_ids_found(&mut conn, "oconnor").await,
            [12],
            "{engine:?}"
        );
        let unkeyed: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM patron WHERE search_name IS NULL")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        assert_eq!(unkeyed, 0, "{engine:?}");
        assert_eq!(
            patron_ids_found(&mut conn, "ΠΑΠΑΔΟΠΟΥΛΟΣ").await,
            [15],
            "{engine:?}"
        );
        drop(conn);

        // Keys made before final sigma folded (migration 0012 empties just those).
        let old = [(15, "παπαδοπουλος γιωργος")];
        assert_eq!(
            found_before_and_after_migration(&store, &old, 12, "ΠΑΠΑΔΟΠΟΥΛΟΣ").await,
            (vec![], vec![15]),
            "{engine:?}"
        );
        let mut conn = store.read().await.unwrap();
        assert_eq!(
            patron_ids_found(&mut conn, "παπαδόπουλος γ").await,
            [15],
            "{engine:?}"
        );
        drop(conn);

        // Keys made when every combining mark was dropped, Devanagari vowel signs and viramas
        // among them (migration 0014 empties just the keys in such scripts).
        assert_eq!(
            found_before_and_after_migration(&store, &[(16, "शरम कषण")], 14, "शर्मा").await,
            (vec![], vec![16]),
            "{engine:?}"
        );
        let mut conn = store.read().await.unwrap();
        assert_eq!(
            patron_ids_found(&mut conn, "शर्मा कृ").await,
            [16],
            "{engine:?}"
        );
        assert_eq!(patron_ids_found(&mut conn, "शरम").await, [] as [i64; 0]);
        let search_name: String =
            sqlx::query_scalar("SELECT search_name FROM patron WHERE id = 14")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        assert_eq!(search_name, "muller anna", "{engine:?}: other keys stay");
        drop(conn);
        store.close().await;
    }
}

#[tokio::test]
async fn a_branchs_shelf_reads_in_call_number_order_either_way_on_every_engine() {
    use concord_domain::catalogue::ItemStatus;
    use concord_domain::catalogue::shelf::shelf_key;
    use concord_domain::ids::ItemId;

    use crate::catalogue::{self, Along, ItemRow, ShelfPlace};

    let code = |text: &str| Code::parse("code", text).unwrap();
    for (store, _dir) in stores().await {
        let engine = store.engine();
        let mut tx = store.write().await.unwrap();
        let a = org::insert_member(&mut tx, MemberId(1), &member("a"), NOW)
            .await
            .unwrap();
        let a1 = org::insert_branch(&mut tx, BranchId(11), a.id, &branch("a1"), NOW)
            .await
            .unwrap();
        let a2 = org::insert_branch(&mut tx, BranchId(12), a.id, &branch("a2"), NOW)
            .await
            .unwrap();
        // (item id, call number, branch, hidden, location, status, bib withdrawn), stored out of
        // shelf order.
        let items = [
            (
                201,
                "823.92 ATW",
                a1.id,
                false,
                None,
                ItemStatus::OnLoan,
                false,
            ),
            (
                202,
                "823.912 WOO",
                a1.id,
                false,
                None,
                ItemStatus::Available,
                false,
            ),
            (
                203,
                "823 AUS",
                a1.id,
                false,
                None,
                ItemStatus::Available,
                false,
            ),
            (
                204,
                "823.914 ROW",
                a1.id,
                true,
                None,
                ItemStatus::Available,
                false,
            ),
            (
                205,
                "823.9 LOC",
                a1.id,
                false,
                Some("LOCAL"),
                ItemStatus::Available,
                false,
            ),
            (
                206,
                "823.913 GON",
                a1.id,
                false,
                None,
                ItemStatus::Withdrawn,
                false,
            ),
            (207, "", a1.id, false, None, ItemStatus::Available, false),
            (
                208,
                "823.915 OLD",
                a1.id,
                false,
                None,
                ItemStatus::Available,
                true,
            ),
            (
                209,
                "823.912 WOO",
                a2.id,
                false,
                None,
                ItemStatus::Available,
                false,
            ),
            (
                210,
                "910.4 PAL",
                a1.id,
                false,
                None,
                ItemStatus::Available,
                false,
            ),
            // The same call number as 202: the item id orders them.
            (
                211,
                "823.912 woo",
                a1.id,
                false,
                None,
                ItemStatus::Available,
                false,
            ),
        ];
        for (id, call_number, branch, hidden, location, status, withdrawn) in items {
            let mut bib = plain_bib(id, &format!("Title {id}"), &format!("title {id}"));
            bib.withdrawn = withdrawn;
            catalogue::insert_bib(&mut tx, &bib).await.unwrap();
            let item = ItemRow {
                call_number: call_number.into(),
                shelving_location: location.map(code),
                status,
                hidden_from_other_members: hidden,
                ..plain_item(id, bib.id, a.id, branch)
            };
            catalogue::insert_item(&mut tx, &item).await.unwrap();
        }
        org::replace_member_hidden_locations(&mut tx, a.id, &[code("LOCAL")])
            .await
            .unwrap();
        // An item stored before the store kept shelf keys.
        sqlx::query("UPDATE item SET shelf_key = NULL WHERE id = 210")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        crate::catalogue::fill_shelf_keys(&store).await.unwrap();

        let mut conn = store.read().await.unwrap();
        let key = shelf_key("823.912 WOO");
        let place = |public| ShelfPlace {
            branch: a1.id,
            shelf_key: &key,
            item: ItemId(202),
            public,
        };
        let ids = |found: Vec<catalogue::ShelfItem>| -> Vec<i64> {
            found.iter().map(|item| item.item_id.0).collect()
        };
        let public_after = catalogue::shelf_items(&mut conn, place(true), Along::After, 10)
            .await
            .unwrap();
        assert_eq!(ids(public_after.clone()), [211, 201, 210], "{engine:?}");
        assert_eq!(public_after[1].title, "Title 201");
        assert_eq!(public_after[1].status, ItemStatus::OnLoan);
        assert_eq!(
            ids(
                catalogue::shelf_items(&mut conn, place(true), Along::Before, 10)
                    .await
                    .unwrap()
            ),
            [203],
            "{engine:?}"
        );
        // The member's own view sees its hidden item and its kept-back location too.
        assert_eq!(
            ids(
                catalogue::shelf_items(&mut conn, place(false), Along::After, 10)
                    .await
                    .unwrap()
            ),
            [211, 204, 201, 210],
            "{engine:?}"
        );
        assert_eq!(
            ids(
                catalogue::shelf_items(&mut conn, place(false), Along::Before, 10)
                    .await
                    .unwrap()
            ),
            [205, 203],
            "{engine:?}"
        );
        assert_eq!(
            ids(
                catalogue::shelf_items(&mut conn, place(true), Along::After, 2)
                    .await
                    .unwrap()
            ),
            [211, 201],
            "{engine:?}"
        );
    }
}

#[tokio::test]
async fn authority_cross_references_read_by_key_range_on_every_engine() {
    use concord_domain::ids::AuthorityId;

    use crate::catalogue::{self, AuthorityReference};

    let related =
        |kind: &str, relation: &str, key: &str, variant: &str, heading: &str| AuthorityReference {
            kind: kind.into(),
            relation: relation.into(),
            sort_key: key.into(),
            variant: variant.into(),
            heading: heading.into(),
        };
    let reference = |kind: &str, key: &str, variant: &str, heading: &str| {
        related(kind, "see", key, variant, heading)
    };
    let twain = [
        reference("author", "clemens samuel", "Clemens, Samuel", "Twain, Mark"),
        reference("author", "snodgrass q", "Snodgrass, Q.", "Twain, Mark"),
        related(
            "author",
            "see_also",
            "clemens orion",
            "Clemens, Orion",
            "Twain, Mark",
        ),
    ];
    // Sort keys compare byte by byte: "z" before "ä" (a folded key holds no capitals).
    let others = [
        reference("author", "eliot george", "Eliot, George", "Evans, Mary Ann"),
        reference(
            "subject",
            "second world war",
            "Second World War",
            "World War, 1939-1945",
        ),
        reference("author", "ä", "Ä", "A"),
        related(
            "subject",
            "narrower",
            "world war 1939 1945",
            "World War, 1939-1945",
            "World War, 1939-1945 -- Campaigns",
        ),
    ];
    for (store, _dir) in stores().await {
        let engine = store.engine();
        let mut tx = store.write().await.unwrap();
        catalogue::insert_authority(
            &mut tx,
            AuthorityId(1),
            "Twain, Mark",
            b"1",
            "t",
            NOW,
            &twain,
        )
        .await
        .unwrap();
        catalogue::insert_authority(&mut tx, AuthorityId(2), "Old", b"2", "o", NOW, &[])
            .await
            .unwrap();
        // An authority stored before references were kept.
        sqlx::query("UPDATE authority SET references_written = NULL WHERE id = 2")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let mut conn = store.read().await.unwrap();
        let waiting = catalogue::authorities_without_references(&mut conn, i64::MIN, 10)
            .await
            .unwrap();
        assert_eq!(waiting, [(AuthorityId(2), b"2".to_vec())], "{engine:?}");
        drop(conn);
        // Written twice (as when every authority's references are written again): the
        // second writing replaces the first.
        for _ in 0..2 {
            let mut tx = store.write().await.unwrap();
            catalogue::write_authority_references(&mut tx, AuthorityId(2), &others)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }

        let mut conn = store.read().await.unwrap();
        assert!(
            catalogue::authorities_without_references(&mut conn, i64::MIN, 10)
                .await
                .unwrap()
                .is_empty()
        );
        let variants = |found: Vec<AuthorityReference>| -> Vec<String> {
            found.into_iter().map(|found| found.variant).collect()
        };
        let all = catalogue::references_between(&mut conn, "author", None, None, 10)
            .await
            .unwrap();
        assert_eq!(
            variants(all),
            [
                "Clemens, Orion",
                "Clemens, Samuel",
                "Eliot, George",
                "Snodgrass, Q.",
                "Ä"
            ],
            "{engine:?}"
        );
        // After a key (exclusive), up to a key (inclusive), and at most a limit.
        let between = catalogue::references_between(
            &mut conn,
            "author",
            Some("clemens samuel"),
            Some("snodgrass q"),
            10,
        )
        .await
        .unwrap();
        assert_eq!(
            variants(between),
            ["Eliot, George", "Snodgrass, Q."],
            "{engine:?}"
        );
        let first = catalogue::references_between(&mut conn, "author", None, Some("s"), 1)
            .await
            .unwrap();
        assert_eq!(variants(first), ["Clemens, Orion"], "{engine:?}");
        let subjects = catalogue::references_between(&mut conn, "subject", Some("a"), None, 10)
            .await
            .unwrap();
        // The subjects, see and narrower term alike, in key order.
        let of_subjects: Vec<&AuthorityReference> = others
            .iter()
            .filter(|reference| reference.kind == "subject")
            .collect();
        assert_eq!(
            subjects.iter().collect::<Vec<_>>(),
            of_subjects,
            "{engine:?}"
        );
    }
}
