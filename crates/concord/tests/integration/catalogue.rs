//! The shared catalogue end to end: real fixture records imported with de-duplication, rejects,
//! re-import, export round trip, merges and their undo, the MARC editor and item permissions.

use std::path::PathBuf;

use concord_domain::auth::Principal;
use concord_domain::catalogue::holdings::HoldingsMapping;
use concord_domain::ids::BibId;
use concord_marc::{InvalidText, ReadOptions, read_any_with_options};
use concord_server::service::catalogue::{self, ImportSummary};
use concord_store::catalogue as store;

use crate::support::{TWO_MEMBERS, TestServer, csrf_in, engines, import_marc};

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/marc")
        .join(path)
}

fn mapping(pairs: &[(&str, &str)]) -> HoldingsMapping {
    let mut mapping = HoldingsMapping::default();
    for (from, to) in pairs {
        mapping.branches.insert((*from).into(), (*to).into());
    }
    mapping
}

fn shire_mapping() -> HoldingsMapping {
    mapping(&[
        ("DESMARAIS", "SHIRE-CEN"),
        ("HUNTINGTON", "SHIRE-HOB"),
        ("BR1", "SHIRE-CEN"),
    ])
}

async fn import_bytes(
    server: &TestServer,
    member: &str,
    bytes: &[u8],
    mapping: &HoldingsMapping,
) -> ImportSummary {
    import_marc(server, member, bytes, mapping, InvalidText::Error).await
}

async fn import_file(
    server: &TestServer,
    member: &str,
    path: &str,
    mapping: &HoldingsMapping,
) -> ImportSummary {
    import_bytes(
        server,
        member,
        &std::fs::read(fixture(path)).unwrap(),
        mapping,
    )
    .await
}

async fn counts(server: &TestServer) -> (i64, i64, i64) {
    let mut conn = server.ctx.store.read().await.unwrap();
    store::counts(&mut conn).await.unwrap()
}

#[tokio::test]
async fn well_formed_records_import_and_reimporting_changes_nothing() {
    for engine in engines() {
        let server = TestServer::start_on(engine).await;
        server.load_org(TWO_MEMBERS).await;
        let mut created = 0;
        for (path, records) in [
            ("evergreen/lul_fre_100.mrc", 100),
            ("evergreen/jazz_1k.mrc", 1000),
            ("evergreen/map_data.mrc", 3),
            ("evergreen/nepali.marc", 96),
            ("evergreen/evergreen_concerto_bibs_fre.xml", 100),
            ("marc-perl/marc-xml_batch-ns.xml", 10),
            ("koha-misc4dev/koha_misc4dev_biblios.xml", 435),
        ] {
            let summary = import_file(&server, "SHIRE", path, &shire_mapping()).await;
            let c = &summary.counts;
            assert_eq!(c.read, records, "{path}");
            assert_eq!(c.rejected, 0, "{path}: {:?}", summary.rejections);
            // Koha's sample file holds one record twice under one 001, the second with a
            // later 005: it replaces the first.
            assert_eq!(
                c.created + c.merged + c.updated + c.unchanged,
                records,
                "{path}: {c:?}"
            );
            created += c.created;
        }
        let before = counts(&server).await;
        assert_eq!(before.0 as u64, created);
        assert!(before.2 > 1000, "items: {before:?}");
        let mut conn = server.ctx.store.read().await.unwrap();
        let seq = store::max_change_seq(&mut conn).await.unwrap();
        drop(conn);
        assert!(seq >= created as i64);
        let again = import_file(&server, "SHIRE", "evergreen/jazz_1k.mrc", &shire_mapping()).await;
        assert_eq!(
            (
                again.counts.created,
                again.counts.merged,
                again.counts.items_created
            ),
            (0, 0, 0),
            "{:?}",
            again.counts
        );
        assert_eq!(again.counts.unchanged, 1000);
        assert_eq!(counts(&server).await, before);
        let mut conn = server.ctx.store.read().await.unwrap();
        assert_eq!(
            store::max_change_seq(&mut conn).await.unwrap(),
            seq,
            "a re-import logs no change"
        );
    }
}

#[tokio::test]
async fn authorities_are_kept_apart_from_bibs() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    let summary = import_file(
        &server,
        "SHIRE",
        "evergreen/auth-subset100.mrc",
        &shire_mapping(),
    )
    .await;
    assert_eq!(summary.counts.authorities, 17);
    assert_eq!(summary.counts.created, 0);
    assert_eq!(counts(&server).await, (0, 17, 0));
}

#[tokio::test]
async fn malformed_files_report_their_specific_errors_and_lose_no_good_record() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    let summary = import_file(&server, "SHIRE", "pymarc/bad_records.mrc", &shire_mapping()).await;
    assert_eq!(summary.counts.read, 8);
    assert_eq!(summary.counts.rejected, 3, "{:?}", summary.rejections);
    // The five good records are copies of one book: one bib, the others matched to it.
    let c = &summary.counts;
    assert_eq!(c.created + c.merged + c.unchanged, 5, "{c:?}");
    assert_eq!(counts(&server).await.0, 1);
    let reasons: Vec<String> = summary
        .rejections
        .iter()
        .map(|r| format!("{} {} {}", r.record_number, r.byte_offset, r.reason))
        .collect();
    assert_eq!(
        reasons[0],
        "4 381 directory is malformed: 13 bytes long, not a whole number of 12-byte entries"
    );
    assert_eq!(reasons[2], "7 764 record has no fields");

    for (path, words) in [
        (
            "marc4j/chabon-missing-datafield-tag.xml",
            "unexpected element",
        ),
        ("marc4j/chabon-missing-subfield-code.xml", "code"),
    ] {
        let summary = import_file(&server, "SHIRE", path, &shire_mapping()).await;
        assert_eq!(summary.counts.rejected, 1, "{path}: {:?}", summary.counts);
        assert!(
            summary.rejections[0].reason.contains(words),
            "{path}: {}",
            summary.rejections[0].reason
        );
    }
}

#[tokio::test]
async fn an_item_at_a_branch_of_another_member_is_rejected_naming_the_code() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    let summary = import_file(
        &server,
        "SHIRE",
        "evergreen/lul_fre_100.mrc",
        &mapping(&[("DESMARAIS", "ROHAN-MAIN")]),
    )
    .await;
    assert_eq!(summary.counts.rejected, 100);
    assert!(
        summary.rejections[0].reason.contains("\"ROHAN-MAIN\"")
            && summary.rejections[0].reason.contains("SHIRE"),
        "{}",
        summary.rejections[0].reason
    );
    assert_eq!(counts(&server).await, (0, 0, 0));
}

#[tokio::test]
async fn duplicates_merge_on_load_with_their_rule_and_a_merge_can_be_undone() {
    for engine in engines() {
        let server = TestServer::start_on(engine).await;
        server.load_org(TWO_MEMBERS).await;
        let first = import_file(
            &server,
            "SHIRE",
            "evergreen/lul_fre_100.mrc",
            &shire_mapping(),
        )
        .await;
        let rohan = mapping(&[("DESMARAIS", "ROHAN-MAIN")]);
        // Rohan's export of the same books, with its own barcodes.
        let bytes = std::fs::read(fixture("evergreen/lul_fre_100.mrc")).unwrap();
        let records: Vec<_> = read_any_with_options(bytes.as_slice(), ReadOptions::default())
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut rohan_file = Vec::new();
        for mut record in records {
            for field in record.fields.iter_mut() {
                if let concord_marc::Field::Data(data) = field
                    && data.tag.as_str() == "949"
                {
                    for subfield in data.subfields.iter_mut().filter(|s| s.code == 'i') {
                        subfield.value = format!("R{}", subfield.value);
                    }
                }
            }
            concord_marc::write_iso2709(&mut rohan_file, &record).unwrap();
        }
        let second = import_bytes(&server, "ROHAN", &rohan_file, &rohan).await;
        assert_eq!(second.counts.created, 0, "{:?}", second.counts);
        assert_eq!(second.counts.merged, first.counts.created);
        assert_eq!(counts(&server).await.0 as u64, first.counts.created);

        // Every bib now holds both members' items; the merge names the rule and the member.
        let mut conn = server.ctx.store.read().await.unwrap();
        let page = store::bibs_page(&mut conn, None, None, i64::MIN, 1000)
            .await
            .unwrap();
        let bib = &page[0];
        let merges = store::merges_of_bib(&mut conn, bib.id).await.unwrap();
        drop(conn);
        assert_eq!(merges.len(), 1);
        assert!(
            ["lccn", "isbn", "match_key"].contains(&merges[0].rule.as_str()),
            "{}",
            merges[0].rule
        );
        assert!(!merges[0].items.is_empty());
        let detail = catalogue::bib(&server.ctx, bib.id).await.unwrap();
        let members: std::collections::BTreeSet<_> =
            detail.items.iter().map(|i| i.member_id).collect();
        assert_eq!(members.len(), 2);

        let report = catalogue::undo_merge(&server.ctx, &Principal::Operator, merges[0].id)
            .await
            .unwrap();
        assert!(report.not_restored.is_empty());
        assert_eq!(report.items_moved_back, merges[0].items);
        let restored = catalogue::bib(&server.ctx, report.restored_bib)
            .await
            .unwrap();
        assert_eq!(restored.items.len(), merges[0].items.len());
        let kept = catalogue::bib(&server.ctx, bib.id).await.unwrap();
        assert!(kept.items.iter().all(|i| !merges[0].items.contains(&i.id)));
        let twice = catalogue::undo_merge(&server.ctx, &Principal::Operator, merges[0].id).await;
        assert!(twice.is_err());
    }
}

async fn export_bytes(server: &TestServer, member: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let summary = catalogue::export(
        &server.ctx,
        &Principal::Operator,
        Some(member),
        None,
        |record| {
            concord_marc::write_iso2709(&mut out, record)
                .map_err(|e| catalogue::ExportWriteError::RecordRefused(e.to_string()))
        },
    )
    .await
    .unwrap();
    assert!(summary.skipped.is_empty(), "{:?}", summary.skipped);
    out
}

#[tokio::test]
async fn an_export_imported_into_an_empty_consortium_gives_back_the_same_records() {
    let first = TestServer::start().await;
    first.load_org(TWO_MEMBERS).await;
    import_file(&first, "SHIRE", "evergreen/jazz_1k.mrc", &shire_mapping()).await;
    import_file(&first, "SHIRE", "evergreen/map_data.mrc", &shire_mapping()).await;
    let exported = export_bytes(&first, "SHIRE").await;
    let second = TestServer::start().await;
    second.load_org(TWO_MEMBERS).await;
    let summary = import_bytes(&second, "SHIRE", &exported, &HoldingsMapping::default()).await;
    assert_eq!(summary.counts.rejected, 0, "{:?}", summary.rejections);
    assert_eq!(
        counts(&second).await.2,
        counts(&first).await.2,
        "same items"
    );
    let again = export_bytes(&second, "SHIRE").await;
    assert!(
        exported == again,
        "the second export differs from the first"
    );
}

#[tokio::test]
async fn cataloguers_edit_only_their_own_members_items_and_the_editor_names_bad_tags() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    import_file(&server, "SHIRE", "evergreen/map_data.mrc", &shire_mapping()).await;
    server
        .staff("shirecat", "cataloguing", "member:SHIRE")
        .await;
    server
        .staff("rohancat", "cataloguing", "member:ROHAN")
        .await;
    server
        .staff("shirecirc", "circulation", "member:SHIRE")
        .await;
    let mut conn = server.ctx.store.read().await.unwrap();
    let bib: BibId = store::bibs_page(&mut conn, None, None, i64::MIN, 10)
        .await
        .unwrap()[0]
        .id;
    drop(conn);
    let shire = server.staff_client("shirecat").await;
    let rohan = server.staff_client("rohancat").await;
    let view = shire.get(&format!("/api/v1/bibs/{bib}")).await;
    assert_eq!(view.status, 200, "{}", view.body);
    let item_id = view.json()["items"][0]["id"].as_str().unwrap().to_string();
    let barcode = view.json()["items"][0]["barcode"]
        .as_str()
        .unwrap()
        .to_string();
    let change = serde_json::json!({"barcode": barcode, "branch": "SHIRE-HOB", "item_type": "MAP", "call_number": "G 1"});
    let refused = rohan
        .put_json(&format!("/api/v1/items/{item_id}"), &change)
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let ok = shire
        .put_json(&format!("/api/v1/items/{item_id}"), &change)
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.json()["item_type"], "MAP");
    let added = rohan
        .post_json(
            &format!("/api/v1/bibs/{bib}/items"),
            &serde_json::json!({"barcode": "ROHAN-1", "branch": "ROHAN-LAW", "item_type": "BOOK"}),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.body);
    let withdraw = rohan
        .post_json(
            &format!("/api/v1/items/{item_id}/withdraw"),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(withdraw.status, 403);

    // The MARC editor: a bad tag is named; a good edit saves a new version and is audited.
    let marc = view.json()["marc"].as_str().unwrap().to_string();
    let broken = marc.replacen("245 ", "24! ", 1);
    let bad = shire
        .put_json(
            &format!("/api/v1/bibs/{bib}/marc"),
            &serde_json::json!({"text": broken}),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("24!"), "{}", bad.body);
    let circ = server.staff_client("shirecirc").await;
    let edited = marc.replacen("245 ", "500    $a Edited in Concord.\n245 ", 1);
    let refused = circ
        .put_json(
            &format!("/api/v1/bibs/{bib}/marc"),
            &serde_json::json!({"text": edited}),
        )
        .await;
    assert_eq!(refused.status, 403);
    let saved = shire
        .put_json(
            &format!("/api/v1/bibs/{bib}/marc"),
            &serde_json::json!({"text": edited}),
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(saved.json()["version"], 2);
    let xml = shire.get(&format!("/api/v1/bibs/{bib}/marc")).await;
    assert!(xml.body.contains("Edited in Concord."), "{}", xml.body);
    server
        .staff("admin", "consortium_admin", "consortium")
        .await;
    let admin = server.staff_client("admin").await;
    let audit = admin.get("/api/v1/audit").await;
    assert!(
        audit.body.contains("item.update") && audit.body.contains("bib.update"),
        "{}",
        audit.body
    );
}

#[tokio::test]
async fn bibs_merge_by_hand_and_the_merge_can_be_undone() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    import_file(&server, "SHIRE", "evergreen/map_data.mrc", &shire_mapping()).await;
    server.staff("cat", "cataloguing", "member:SHIRE").await;
    let client = server.staff_client("cat").await;
    let mut conn = server.ctx.store.read().await.unwrap();
    let page = store::bibs_page(&mut conn, None, None, i64::MIN, 10)
        .await
        .unwrap();
    drop(conn);
    let (kept, merged) = (page[0].id, page[1].id);
    let moved = catalogue::bib(&server.ctx, merged)
        .await
        .unwrap()
        .items
        .len();
    let reply = client
        .post_json(
            &format!("/api/v1/bibs/{kept}/merge"),
            &serde_json::json!({"merged": merged.to_string()}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["rule"], "manual");
    let merge_id = reply.json()["id"].as_str().unwrap().to_string();
    assert!(
        catalogue::bib(&server.ctx, merged)
            .await
            .unwrap()
            .bib
            .withdrawn
    );
    let undo = client
        .post_json(
            &format!("/api/v1/merges/{merge_id}/undo"),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(undo.status, 200, "{}", undo.body);
    let back = catalogue::bib(&server.ctx, merged).await.unwrap();
    assert!(!back.bib.withdrawn);
    assert_eq!(back.items.len(), moved);
}

/// A multipart/form-data body with text fields and one file, as a browser sends it.
fn multipart_body(fields: &[(&str, &str)], file_name: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "concord-test-boundary-7d1f";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\ncontent-disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\ncontent-type: application/marc\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn the_cataloguer_pages_show_a_record_edit_its_marc_and_manage_only_own_items() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    server
        .staff("shirecat", "cataloguing", "member:SHIRE")
        .await;
    server
        .staff("rohancat", "cataloguing", "member:ROHAN")
        .await;
    let shire = server.staff_client("shirecat").await;
    let rohan = server.staff_client("rohancat").await;

    // The dashboard links to the catalogue; the import page loads a file for the member.
    let dashboard = shire.get("/admin").await;
    assert!(
        dashboard.body.contains("/admin/catalogue"),
        "{}",
        dashboard.body
    );
    let form = shire.get("/admin/catalogue/import").await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(
        !form.body.contains("value=\"ROHAN\""),
        "only members the cataloguer manages"
    );
    let file = std::fs::read(fixture("evergreen/map_data.mrc")).unwrap();
    // The default mapping reads 852 $b as the branch code; this fixture's codes are not branches
    // of SHIRE, so every record with items is rejected and the page lists the rejections.
    let (content_type, body) = multipart_body(
        &[("csrf", &csrf_in(&form.body)), ("member", "SHIRE")],
        "map_data.mrc",
        &file,
    );
    let forged = shire
        .http
        .post(format!("{}/admin/catalogue/import", shire.base))
        .header("content-type", content_type.clone())
        .body(multipart_body(&[("csrf", "forged"), ("member", "SHIRE")], "x.mrc", &file).1)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    let uploaded = shire
        .http
        .post(format!("{}/admin/catalogue/import", shire.base))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status().as_u16(), 200);
    let page = uploaded.text().await.unwrap();
    // The summary reads as the command line's: counts by name, corrections only when any.
    let summary = page
        .split("role=\"status\"><p>")
        .nth(1)
        .and_then(|rest| rest.split("</p>").next())
        .unwrap_or_else(|| panic!("{page}"));
    assert!(summary.starts_with("read "), "{summary}");
    assert!(
        summary.contains(" · created ") && summary.contains(" · rejected "),
        "{summary}"
    );
    assert!(
        !summary.contains("updated") && !summary.contains("deleted"),
        "{summary}"
    );
    assert!(
        page.contains("Rejected records") || summary.contains("rejected 0"),
        "{page}"
    );

    // Import with the branch mapping so the records carry SHIRE items.
    import_file(&server, "SHIRE", "evergreen/map_data.mrc", &shire_mapping()).await;
    let mut conn = server.ctx.store.read().await.unwrap();
    let page_of_bibs = store::bibs_page(&mut conn, None, None, i64::MIN, 10)
        .await
        .unwrap();
    drop(conn);
    let bib = page_of_bibs
        .iter()
        .find(|b| !b.summary.title.is_empty())
        .unwrap()
        .clone();
    let detail = catalogue::bib(&server.ctx, bib.id).await.unwrap();
    let item = detail.items[0].clone();

    // The lookup finds the record by title prefix and by barcode.
    let prefix: String = bib.summary.title.chars().take(6).collect();
    let found = shire
        .get(&format!("/admin/catalogue?q={}", prefix.replace(' ', "+")))
        .await;
    assert!(
        found.body.contains(&format!("/admin/bibs/{}", bib.id)),
        "{}",
        found.body
    );
    let by_barcode = shire
        .get(&format!("/admin/catalogue?q={}", item.barcode))
        .await;
    assert!(by_barcode.body.contains(&format!("/admin/bibs/{}", bib.id)));

    // The record page: description, tagged MARC, holdings with the item and an edit link.
    let record = shire.get(&format!("/admin/bibs/{}", bib.id)).await;
    assert_eq!(record.status, 200, "{}", record.body);
    assert!(record.body.contains("Physical description") || record.body.contains("Title"));
    assert!(record.body.contains("245 "), "the tagged MARC view");
    assert!(record.body.contains(item.barcode.as_str()));
    assert!(record.body.contains(&format!("/admin/items/{}", item.id)));
    let theirs = rohan.get(&format!("/admin/bibs/{}", bib.id)).await;
    assert!(!theirs.body.contains(&format!("/admin/items/{}", item.id)));
    let refused = rohan.get(&format!("/admin/items/{}", item.id)).await;
    assert_eq!(refused.status, 403);

    // The MARC editor names the line and tag of a mistake, and saves a good edit.
    let editor = shire.get(&format!("/admin/bibs/{}/marc", bib.id)).await;
    assert_eq!(editor.status, 200, "{}", editor.body);
    let text = concord_marc::to_line_format(detail.record.as_ref().unwrap());
    let broken = text.replacen("245 ", "24! ", 1);
    let bad = shire
        .post_form(
            &format!("/admin/bibs/{}/marc", bib.id),
            &[("csrf", &csrf_in(&editor.body)), ("marc", &broken)],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(
        bad.body.contains("24!") && bad.body.contains("line "),
        "{}",
        bad.body
    );
    let edited = text.replacen("245 ", "500    $a Catalogued in the page editor.\n245 ", 1);
    let saved = shire
        .post_form(
            &format!("/admin/bibs/{}/marc", bib.id),
            &[("csrf", &csrf_in(&editor.body)), ("marc", &edited)],
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert!(saved.body.contains("Catalogued in the page editor."));

    // Item edit and withdraw through the forms.
    let item_page = shire.get(&format!("/admin/items/{}", item.id)).await;
    assert_eq!(item_page.status, 200, "{}", item_page.body);
    let changed = shire
        .post_form(
            &format!("/admin/items/{}", item.id),
            &[
                ("csrf", &csrf_in(&item_page.body)),
                ("barcode", item.barcode.as_str()),
                ("branch", "SHIRE-HOB"),
                ("current_branch", ""),
                ("call_number", "G 4000 .P1"),
                ("item_type", "MAP"),
                ("shelving_location", ""),
                ("price", ""),
                ("status", "available"),
            ],
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert!(changed.body.contains("G 4000 .P1"));
    let withdrawn = shire
        .post_form(
            &format!("/admin/items/{}/withdraw", item.id),
            &[("csrf", &csrf_in(&item_page.body))],
        )
        .await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.body);
    assert_eq!(
        catalogue::item(&server.ctx, item.id)
            .await
            .unwrap()
            .status
            .as_str(),
        "withdrawn"
    );

    // Merge another record into this one by hand, then undo it from the merge history.
    let other = page_of_bibs.iter().find(|b| b.id != bib.id).unwrap().id;
    let merged = shire
        .post_form(
            &format!("/admin/bibs/{}/merge", bib.id),
            &[
                ("csrf", &csrf_in(&record.body)),
                ("merged", &other.to_string()),
            ],
        )
        .await;
    assert_eq!(merged.status, 200, "{}", merged.body);
    assert!(merged.body.contains("Undo this merge"), "{}", merged.body);
    let merge_id = catalogue::bib(&server.ctx, bib.id).await.unwrap().merges[0].id;
    let undone = shire
        .post_form(
            &format!("/admin/merges/{merge_id}/undo"),
            &[("csrf", &csrf_in(&merged.body))],
        )
        .await;
    assert_eq!(undone.status, 200, "{}", undone.body);
    assert!(
        undone.body.contains("The merge has been undone"),
        "{}",
        undone.body
    );
    assert!(
        !catalogue::bib(&server.ctx, other)
            .await
            .unwrap()
            .bib
            .withdrawn
    );
}

/// A record with a title, an optional 001 and one 949 item at `branch`.
fn record_with_item(
    control_number: Option<&str>,
    title: &str,
    barcode: &str,
    branch: &str,
) -> Vec<u8> {
    use concord_marc::{DataField, Leader, Record, Tag};
    let mut record = Record::new(Leader::new(b'a', b'm'));
    if let Some(control_number) = control_number {
        record.push_control(Tag::parse("001").unwrap(), control_number);
    }
    record
        .push_data(DataField::new(Tag::parse("245").unwrap(), '1', '0').with_subfield('a', title));
    record.push_data(
        DataField::new(Tag::parse("949").unwrap(), ' ', ' ')
            .with_subfield('a', "QA 76")
            .with_subfield('i', barcode)
            .with_subfield('m', branch),
    );
    concord_marc::to_iso2709(&record).unwrap()
}

#[test]
fn a_record_rejected_after_parsing_is_reported_at_its_real_byte_offset() {
    let dir = tempfile::tempdir().unwrap();
    let concord = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_concord"))
            .env_remove("CONCORD_DATABASE_URL")
            .env("CONCORD_DATA_DIR", dir.path())
            .env("CONCORD_LOG", "warn")
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let org = dir.path().join("org.toml");
    std::fs::write(&org, crate::support::TWO_MEMBERS).unwrap();
    concord(&["org", "load", org.to_str().unwrap()]);

    let first = record_with_item(Some("r1"), "Kept", "B-1", "SHIRE-CEN");
    let second = record_with_item(Some("r2"), "At another member", "B-2", "ROHAN-MAIN");
    let third = record_with_item(Some("r3"), "Also kept", "B-3", "SHIRE-HOB");
    let file = dir.path().join("load.mrc");
    std::fs::write(&file, [first.clone(), second.clone(), third].concat()).unwrap();
    let out = concord(&[
        "import",
        "marc",
        "--member",
        "SHIRE",
        "--json",
        file.to_str().unwrap(),
    ]);
    assert!(out.contains("\"rejected\":1"), "{out}");

    let notes = std::fs::read_to_string(dir.path().join("load.mrc.rejects.txt")).unwrap();
    assert!(
        notes.contains(&format!("record 2\tbyte {}\t", first.len()))
            && notes.contains("ROHAN-MAIN"),
        "{notes}"
    );
    // The rejects file holds the rejected record itself, ready to be fixed and re-imported.
    let rejected = std::fs::read(dir.path().join("load.mrc.rejects.mrc")).unwrap();
    let rejected: Vec<_> = concord_marc::read_iso2709(&rejected)
        .map(Result::unwrap)
        .collect();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].control("001"), Some("r2"));
}

#[tokio::test]
async fn a_record_without_001_is_recognised_when_imported_again() {
    for engine in engines() {
        let server = TestServer::start_on(engine).await;
        server.load_org(TWO_MEMBERS).await;
        // Two different source records of one book (same ISBN), neither with a 001: the
        // second must merge into the first's bib, not pass for the first one seen again.
        let with_isbn = |bytes: Vec<u8>| {
            let mut record = concord_marc::read_iso2709(&bytes).next().unwrap().unwrap();
            record.push_data(
                concord_marc::DataField::new(concord_marc::Tag::parse("020").unwrap(), ' ', ' ')
                    .with_subfield('a', "9780306406157"),
            );
            concord_marc::to_iso2709(&record).unwrap()
        };
        let file = [
            record_with_item(None, "No control number", "N-1", "SHIRE-CEN"),
            record_with_item(None, "Another without one", "N-2", "SHIRE-CEN"),
            with_isbn(record_with_item(None, "Same book", "N-4", "SHIRE-CEN")),
            with_isbn(record_with_item(
                None,
                "Same book, other record",
                "N-5",
                "SHIRE-HOB",
            )),
        ]
        .concat();
        let first = import_bytes(&server, "SHIRE", &file, &HoldingsMapping::default()).await;
        assert_eq!(
            (
                first.counts.created,
                first.counts.merged,
                first.counts.rejected
            ),
            (3, 1, 0),
            "{:?}",
            first.counts
        );
        let before = counts(&server).await;

        let again = import_bytes(&server, "SHIRE", &file, &HoldingsMapping::default()).await;
        assert_eq!(
            (
                again.counts.unchanged,
                again.counts.created,
                again.counts.merged,
                again.counts.items_created
            ),
            (4, 0, 0, 0),
            "{:?}",
            again.counts
        );
        assert_eq!(counts(&server).await, before);

        // The same record exported later with one more item: recognised, only the item added.
        let more = [
            record_with_item(None, "No control number", "N-1", "SHIRE-CEN"),
            record_with_item(None, "No control number", "N-3", "SHIRE-HOB"),
        ];
        let mut with_two_items: concord_marc::Record = concord_marc::read_iso2709(&more[0])
            .next()
            .unwrap()
            .unwrap();
        let extra = concord_marc::read_iso2709(&more[1])
            .next()
            .unwrap()
            .unwrap();
        with_two_items.push_data(extra.field("949").unwrap().clone());
        let bytes = concord_marc::to_iso2709(&with_two_items).unwrap();
        let later = import_bytes(&server, "SHIRE", &bytes, &HoldingsMapping::default()).await;
        assert_eq!(
            (
                later.counts.unchanged,
                later.counts.merged,
                later.counts.items_created
            ),
            (1, 0, 1),
            "{:?}",
            later.counts
        );
        assert_eq!(counts(&server).await.0, before.0);
    }
}

/// A record of a book with a control number, leader/05 `status`, a 005 when `stamp` is given,
/// an ISBN, a title and a copy at SHIRE's central branch for each barcode.
fn versioned_book(
    control_number: Option<&str>,
    status: u8,
    stamp: Option<&str>,
    isbn: &str,
    title: &str,
    barcodes: &[&str],
) -> concord_marc::Record {
    use concord_marc::{DataField, Leader, Record, Tag};
    let mut leader = Leader::new(b'a', b'm');
    leader.set(5, status);
    let mut record = Record::new(leader);
    if let Some(control_number) = control_number {
        record.push_control(Tag::parse("001").unwrap(), control_number);
    }
    if let Some(stamp) = stamp {
        record.push_control(Tag::parse("005").unwrap(), stamp);
    }
    record.push_data(DataField::new(Tag::parse("020").unwrap(), ' ', ' ').with_subfield('a', isbn));
    record
        .push_data(DataField::new(Tag::parse("245").unwrap(), '1', '0').with_subfield('a', title));
    for barcode in barcodes {
        record.push_data(
            DataField::new(Tag::parse("949").unwrap(), ' ', ' ')
                .with_subfield('a', "QA 76")
                .with_subfield('i', *barcode)
                .with_subfield('m', "SHIRE-CEN"),
        );
    }
    record
}

async fn import_records(server: &TestServer, records: &[&concord_marc::Record]) -> ImportSummary {
    let bytes: Vec<u8> = records
        .iter()
        .flat_map(|record| concord_marc::to_iso2709(record).unwrap())
        .collect();
    import_bytes(server, "SHIRE", &bytes, &HoldingsMapping::default()).await
}

/// SHIRE's bib made from its record with this control number (not withdrawn).
async fn shire_bib(server: &TestServer, control_number: &str) -> Option<store::BibRow> {
    let mut conn = server.ctx.store.read().await.unwrap();
    let code = concord_domain::codes::Code::parse("member", "SHIRE").unwrap();
    let shire = concord_store::org::member_by_code(&mut conn, &code)
        .await
        .unwrap()
        .unwrap();
    store::bib_from_source(&mut conn, shire.id, control_number)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_later_version_of_a_members_record_replaces_it_and_an_earlier_one_is_left_out() {
    for engine in engines() {
        let server = TestServer::start_on(engine).await;
        server.load_org(TWO_MEMBERS).await;
        let isbn = "9780306406157";
        let first = versioned_book(
            Some("v-1"),
            b'n',
            Some("20240101120000.0"),
            isbn,
            "Original title",
            &["V-1"],
        );
        let summary = import_records(&server, &[&first]).await;
        assert_eq!(
            (summary.counts.created, summary.counts.items_created),
            (1, 1)
        );
        let bib = shire_bib(&server, "v-1").await.unwrap();

        // A correction (leader/05 c, a later 005) with one more copy replaces the record in
        // place, keeps the bib and its copies, and the audit keeps the version replaced.
        let corrected = versioned_book(
            Some("v-1"),
            b'c',
            Some("20250315083000.0"),
            isbn,
            "Corrected title",
            &["V-1", "V-2"],
        );
        let summary = import_records(&server, &[&corrected]).await;
        let c = &summary.counts;
        assert_eq!(
            (c.updated, c.created, c.merged, c.items_created),
            (1, 0, 0, 1),
            "{c:?}"
        );
        let now = shire_bib(&server, "v-1").await.unwrap();
        assert_eq!(now.id, bib.id);
        assert_eq!(now.summary.title, "Corrected title");
        assert_eq!(now.version, 2);
        assert_eq!(counts(&server).await, (1, 0, 2));
        let audit = audit_of(&server, Some(bib.id.to_string()), Some("bib.import_update")).await;
        assert_eq!(audit.len(), 1);
        assert!(
            audit[0]
                .before
                .as_deref()
                .unwrap()
                .contains("Original title"),
            "{:?}",
            audit[0]
        );

        // An earlier version is left out; the same version again changes nothing, whatever
        // its status says.
        let earlier = versioned_book(
            Some("v-1"),
            b'c',
            Some("20231231235959.9"),
            isbn,
            "Older title",
            &[],
        );
        let mut again = corrected.clone();
        again.leader.set(5, b'n');
        let summary = import_records(&server, &[&earlier, &again]).await;
        let c = &summary.counts;
        assert_eq!((c.older, c.unchanged, c.updated), (1, 1, 0), "{c:?}");
        let now = shire_bib(&server, "v-1").await.unwrap();
        assert_eq!(
            (now.summary.title.as_str(), now.version),
            ("Corrected title", 2)
        );

        // An edit in the MARC editor stamps 005, so the file's version no longer replaces it.
        let text = concord_marc::to_line_format(&corrected).replace("Corrected", "Edited");
        catalogue::update_record(&server.ctx, &Principal::Operator, bib.id, &text)
            .await
            .unwrap();
        let summary = import_records(&server, &[&corrected]).await;
        assert_eq!(summary.counts.older, 1, "{:?}", summary.counts);
        let now = shire_bib(&server, "v-1").await.unwrap();
        assert_eq!(now.summary.title, "Edited title");

        // Another book under the same control number, even with a later 005, is a new bib:
        // nothing of the first is replaced.
        let other = versioned_book(
            Some("v-1"),
            b'n',
            Some("20300101000000.0"),
            "9780262033848",
            "Another book entirely",
            &["V-3"],
        );
        let summary = import_records(&server, &[&other]).await;
        let c = &summary.counts;
        assert_eq!((c.created, c.updated), (1, 0), "{c:?}");
        let mut conn = server.ctx.store.read().await.unwrap();
        let first_bib = store::bib(&mut conn, bib.id).await.unwrap().unwrap();
        assert_eq!(first_bib.summary.title, "Edited title");
        assert_eq!(counts(&server).await.0, 2);
    }
}

#[tokio::test]
async fn a_record_marked_deleted_takes_its_bib_out_only_when_nothing_rests_on_it() {
    for engine in engines() {
        let server = TestServer::start_on(engine).await;
        server.load_org(TWO_MEMBERS).await;
        let stamp = Some("20240101120000.0");
        let unheld = versioned_book(
            Some("d-1"),
            b'n',
            stamp,
            "9780306406157",
            "Weeded everywhere",
            &[],
        );
        let held = versioned_book(
            Some("d-2"),
            b'n',
            stamp,
            "9780262033848",
            "Still on the shelf",
            &["D-2"],
        );
        let summary = import_records(&server, &[&unheld, &held]).await;
        assert_eq!(summary.counts.created, 2);
        let unheld_bib = shire_bib(&server, "d-1").await.unwrap();

        let deleted = |record: &concord_marc::Record| {
            let mut record = record.clone();
            record.leader.set(5, b'd');
            record
        };
        let never_imported =
            versioned_book(Some("d-3"), b'd', stamp, "9780131103627", "Never here", &[]);
        let unnumbered = versioned_book(None, b'd', stamp, "9780131103627", "No number", &[]);
        let summary = import_records(
            &server,
            &[
                &deleted(&unheld),
                &deleted(&held),
                &never_imported,
                &unnumbered,
            ],
        )
        .await;
        let c = &summary.counts;
        assert_eq!(
            (c.deleted, c.unchanged, c.rejected, c.created, c.merged),
            (1, 1, 2, 0, 0),
            "{summary:?}"
        );
        let reasons: Vec<&str> = summary
            .rejections
            .iter()
            .map(|r| r.reason.as_str())
            .collect();
        assert!(reasons[0].contains("still has 1 item(s)"), "{reasons:?}");
        assert!(
            reasons[1].contains("no control number (001)"),
            "{reasons:?}"
        );

        let mut conn = server.ctx.store.read().await.unwrap();
        let gone = store::bib(&mut conn, unheld_bib.id).await.unwrap().unwrap();
        drop(conn);
        assert!(gone.withdrawn, "{gone:?}");
        assert!(shire_bib(&server, "d-1").await.is_none());
        let audit = audit_of(&server, None, Some("bib.import_delete")).await;
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].entity_id, unheld_bib.id.to_string());
        assert!(
            audit[0]
                .before
                .as_deref()
                .unwrap()
                .contains("Weeded everywhere"),
            "{:?}",
            audit[0]
        );
        assert!(!shire_bib(&server, "d-2").await.unwrap().withdrawn);

        // The deletion again finds nothing left to take out.
        let summary = import_records(&server, &[&deleted(&unheld)]).await;
        assert_eq!((summary.counts.unchanged, summary.counts.deleted), (1, 0));
    }
}

#[tokio::test]
async fn authority_updates_replace_their_references_and_deletions_remove_them() {
    use concord_domain::catalogue::versions::latest_transaction;
    use concord_marc::{ControlField, Field, Tag};
    for engine in engines() {
        let server = TestServer::start_on(engine).await;
        server.load_org(TWO_MEMBERS).await;
        // The first real authority record of the file with a 005 and a see reference.
        let bytes = std::fs::read(fixture("evergreen/auth-subset100.mrc")).unwrap();
        let original = concord_marc::read_iso2709(&bytes)
            .filter_map(Result::ok)
            .find(|record| {
                record.is_authority()
                    && latest_transaction(record).is_some()
                    && ["400", "450"].iter().any(|tag| record.field(tag).is_some())
            })
            .unwrap();
        let with_005 = |record: &concord_marc::Record, stamp: &str| {
            let mut record = record.clone();
            record.fields.retain(|f| f.tag().as_str() != "005");
            record.fields.insert(
                1,
                Field::Control(ControlField {
                    tag: Tag::parse("005").unwrap(),
                    value: stamp.to_string(),
                }),
            );
            record
        };
        let with_variant = |record: &concord_marc::Record, variant: &str| {
            let mut record = record.clone();
            for field in &mut record.fields {
                if let Field::Data(data) = field
                    && matches!(data.tag.as_str(), "400" | "450")
                {
                    for subfield in &mut data.subfields {
                        if subfield.code == 'a' {
                            subfield.value = variant.to_string();
                        }
                    }
                }
            }
            record
        };
        let variants = || async {
            let mut conn = server.ctx.store.read().await.unwrap();
            let mut variants = Vec::new();
            for kind in ["author", "subject"] {
                for reference in store::references_between(&mut conn, kind, None, None, 100)
                    .await
                    .unwrap()
                {
                    variants.push(reference.variant);
                }
            }
            variants
        };

        let summary = import_records(&server, &[&original]).await;
        assert_eq!(summary.counts.authorities, 1, "{summary:?}");
        let before = variants().await;
        assert!(!before.is_empty());
        assert!(!before.iter().any(|v| v.starts_with("Zzyzx")), "{before:?}");

        // A later version: its references replace the old ones.
        let later = with_variant(&with_005(&original, "20300101000000.0"), "Zzyzx, Quentin");
        let summary = import_records(&server, &[&later]).await;
        assert_eq!(
            (summary.counts.updated, summary.counts.authorities),
            (1, 1),
            "{summary:?}"
        );
        let after = variants().await;
        assert!(after.iter().any(|v| v.starts_with("Zzyzx")), "{after:?}");
        assert_eq!(after.len(), before.len(), "{before:?} -> {after:?}");
        assert_eq!(counts(&server).await.1, 1);

        // An earlier version and one without a 005 leave it as it is.
        let earlier = with_variant(&with_005(&original, "19000101000000.0"), "Aardvark, Early");
        let mut undated = with_variant(&original, "Aardvark, Undated");
        undated.fields.retain(|f| f.tag().as_str() != "005");
        let summary = import_records(&server, &[&earlier, &undated]).await;
        assert_eq!(
            (summary.counts.older, summary.counts.unchanged),
            (1, 1),
            "{summary:?}"
        );
        assert_eq!(variants().await, after);

        // A deletion under the same control number that names another heading leaves the
        // authority where it is.
        let mut someone_else = later.clone();
        someone_else.leader.set(5, b'd');
        for field in &mut someone_else.fields {
            if let Field::Data(data) = field
                && data.tag.as_str().starts_with('1')
                && let Some(name) = data.subfields.iter_mut().find(|s| s.code == 'a')
            {
                name.value = "Someone else entirely".to_string();
            }
        }
        let summary = import_records(&server, &[&someone_else]).await;
        assert_eq!(summary.counts.rejected, 1, "{summary:?}");
        assert!(
            summary.rejections[0].reason.contains("another heading"),
            "{summary:?}"
        );
        assert_eq!(counts(&server).await.1, 1);

        // Deleted, heading replaced (leader/05 x): the authority and its references go.
        let mut replaced = later.clone();
        replaced.leader.set(5, b'x');
        let summary = import_records(&server, &[&replaced]).await;
        assert_eq!(summary.counts.deleted, 1, "{summary:?}");
        assert!(variants().await.is_empty());
        assert_eq!(counts(&server).await.1, 0);
    }
}

/// The audit log's entries for an entity (by id) and of actions beginning with a prefix,
/// newest first.
async fn audit_of(
    server: &TestServer,
    entity_id: Option<String>,
    action_prefix: Option<&str>,
) -> Vec<concord_domain::audit::AuditEntry> {
    let mut conn = server.ctx.store.read().await.unwrap();
    concord_store::audit::list(
        &mut conn,
        &concord_domain::audit::AuditFilter {
            entity_id,
            action_prefix: action_prefix.map(str::to_owned),
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

/// A staff action with nothing to say beyond its address.
async fn post(client: &crate::support::Client, path: &str) -> crate::support::Reply {
    client.post_json(path, &serde_json::json!({})).await
}

#[tokio::test]
async fn a_record_nothing_rests_on_is_deleted_and_restored_and_a_merged_ones_permalink_leads_on() {
    for engine in engines() {
        let server = TestServer::start_on(engine).await;
        server.load_org(TWO_MEMBERS).await;
        server
            .staff("shirecat", "cataloguing", "member:SHIRE")
            .await;
        let stamp = Some("20240101120000.0");
        let held = versioned_book(Some("w-1"), b'n', stamp, "9780306406157", "Held", &["W-1"]);
        let spare = versioned_book(Some("w-2"), b'n', stamp, "9780262033848", "Spare", &[]);
        let other = versioned_book(Some("w-3"), b'n', stamp, "9780131103627", "Other", &[]);
        import_records(&server, &[&held, &spare, &other]).await;
        let held = shire_bib(&server, "w-1").await.unwrap().id;
        let spare = shire_bib(&server, "w-2").await.unwrap().id;
        let other = shire_bib(&server, "w-3").await.unwrap().id;
        let cataloguer = server.staff_client("shirecat").await;
        let public = crate::support::Client::new(&server);

        // A record with a copy stays, and says why.
        let refused = post(&cataloguer, &format!("/api/v1/bibs/{held}/withdraw")).await;
        assert_eq!(refused.status, 409, "{}", refused.body);
        assert!(refused.body.contains("1 item(s)"), "{}", refused.body);

        // One with nothing on it is deleted: gone from the public pages, kept for staff.
        let staff_page = cataloguer.get(&format!("/admin/bibs/{spare}")).await.body;
        assert!(staff_page.contains("Delete record"), "{staff_page}");
        let deleted = post(&cataloguer, &format!("/api/v1/bibs/{spare}/withdraw")).await;
        assert_eq!(deleted.status, 200, "{}", deleted.body);
        assert_eq!(deleted.json()["withdrawn"], true);
        assert_eq!(public.get(&format!("/record/{spare}")).await.status, 404);
        let staff_page = cataloguer.get(&format!("/admin/bibs/{spare}")).await.body;
        assert!(staff_page.contains("Restore this record"), "{staff_page}");
        let again = post(&cataloguer, &format!("/api/v1/bibs/{spare}/withdraw")).await;
        assert_eq!(again.status, 409, "{}", again.body);

        // And brought back.
        let restored = post(&cataloguer, &format!("/api/v1/bibs/{spare}/restore")).await;
        assert_eq!(restored.status, 200, "{}", restored.body);
        assert_eq!(restored.json()["withdrawn"], false);
        assert_eq!(public.get(&format!("/record/{spare}")).await.status, 200);
        let audit = audit_of(&server, Some(spare.to_string()), None).await;
        let actions: Vec<&str> = audit.iter().map(|entry| entry.action.as_str()).collect();
        assert_eq!(actions, ["bib.restore", "bib.withdraw"]);

        // A record merged into another: its permalink, exports and JSON lead there for good,
        // it comes back only by undoing the merge, and the record kept stays.
        catalogue::merge_bibs(&server.ctx, &Principal::Operator, held, other)
            .await
            .unwrap();
        for (path, target) in [
            (format!("/record/{other}"), format!("/record/{held}")),
            (
                format!("/m/SHIRE/record/{other}.ris"),
                format!("/m/SHIRE/record/{held}.ris"),
            ),
            (
                format!("/api/v1/records/{other}?view=SHIRE"),
                format!("/api/v1/records/{held}?view=SHIRE"),
            ),
        ] {
            let moved = public.get(&path).await;
            assert_eq!(moved.status, 308, "{path}: {}", moved.body);
            assert_eq!(moved.headers["location"], target.as_str(), "{path}");
        }
        let refused = post(&cataloguer, &format!("/api/v1/bibs/{other}/restore")).await;
        assert_eq!(refused.status, 409, "{}", refused.body);
        assert!(refused.body.contains("undo that merge"), "{}", refused.body);
        let refused = post(&cataloguer, &format!("/api/v1/bibs/{held}/withdraw")).await;
        assert_eq!(refused.status, 409, "{}", refused.body);
        // A record no one ever had is still not found.
        assert_eq!(public.get("/record/12345").await.status, 404);
    }
}

#[tokio::test]
async fn a_batch_matches_its_own_new_records_before_and_after_it_replaces_one() {
    for engine in engines() {
        let server = TestServer::start_on(engine).await;
        server.load_org(TWO_MEMBERS).await;
        let book = |number: &str, stamp: &str, isbn: &str, title: &str, barcodes: &[&str]| {
            versioned_book(Some(number), b'n', Some(stamp), isbn, title, barcodes)
        };
        let old = "20240101120000.0";
        let new = "20250101120000.0";
        let earlier = book("b-0", old, "9780131103627", "Loaded before", &["B-0"]);
        import_records(&server, &[&earlier]).await;
        let (bibs_before, _, items_before) = counts(&server).await;

        // In one batch: a new record and another of the same book (merged into it, not a
        // second bib); the first again in a later version (replacing it while it is still to
        // be written); a later version of a bib loaded before (after which the batch asks the
        // store); then a new record and another of it, and a copy whose barcode the batch
        // gave already (skipped).
        let first = book("b-1", old, "9780306406157", "New in this batch", &["B-1"]);
        let same_book = book(
            "c-9",
            old,
            "9780306406157",
            "Same book, other record",
            &["B-2"],
        );
        let first_later = book(
            "b-1",
            new,
            "9780306406157",
            "New in this batch, corrected",
            &[],
        );
        let earlier_later = book("b-0", new, "9780131103627", "Loaded before, corrected", &[]);
        let second = book(
            "b-3",
            old,
            "9780262033848",
            "After the correction",
            &["B-3"],
        );
        let second_again = book("c-8", old, "9780262033848", "Its twin", &["B-3", "B-4"]);
        let file = [
            &first,
            &same_book,
            &first_later,
            &earlier_later,
            &second,
            &second_again,
        ];
        let summary = import_records(&server, &file).await;
        let c = &summary.counts;
        assert_eq!(
            (c.created, c.merged, c.updated, c.rejected, c.items_created),
            (2, 2, 2, 0, 4),
            "{summary:?}"
        );
        assert_eq!(
            counts(&server).await,
            (bibs_before + 2, 0, items_before + 4)
        );
        assert_eq!(
            shire_bib(&server, "b-1").await.unwrap().summary.title,
            "New in this batch, corrected"
        );
        assert_eq!(
            shire_bib(&server, "b-0").await.unwrap().summary.title,
            "Loaded before, corrected"
        );
        // The same file again changes nothing.
        let again = import_records(&server, &file).await;
        let c = &again.counts;
        assert_eq!(
            (c.created, c.merged, c.updated, c.items_created, c.rejected),
            (0, 0, 0, 0, 0),
            "{again:?}"
        );
    }
}
