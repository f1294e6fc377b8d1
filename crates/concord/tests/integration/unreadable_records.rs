//! Bibs whose stored MARC bytes cannot be read back, as the importer stored them before the
//! ISO 2709 writer started refusing such records: the public catalogue and the staff pages
//! keep answering with what the store still knows, search finds them by that, a record's
//! exports refuse plainly, the bulk export leaves them out and names them, an undo that needs
//! such a record refuses without changing anything, and staff can replace the record.

use concord_domain::auth::Principal;
use concord_domain::catalogue::holdings::HoldingsMapping;
use concord_domain::ids::BibId;
use concord_marc::{DataField, InvalidText, Leader, Record, Tag, to_iso2709};
use concord_server::service::catalogue::{self, ImportSummary};
use concord_store::StoreConfig;
use concord_store::catalogue as store;
use serde_json::{Value, json};

use crate::support::{
    Client, Engine, TWO_MEMBERS, TestServer, add_item, engines, import_marc, wait_for_index,
};

fn book(id: &str, title: &str) -> Record {
    let mut record = Record::new(Leader::parse("00000nam a2200000 a 4500").unwrap());
    record.push_control(Tag::parse("001").unwrap(), id);
    record.push_control(
        Tag::parse("008").unwrap(),
        "200101s2001    xxu           000 0 eng d",
    );
    record.push_data(
        DataField::new(Tag::parse("100").unwrap(), '1', ' ')
            .with_subfield('a', "Baggins, Bilbo,")
            .with_subfield('d', "2890-"),
    );
    record
        .push_data(DataField::new(Tag::parse("245").unwrap(), '1', '0').with_subfield('a', title));
    record
}

/// Imports the records for SHIRE and returns the ids of the bibs they made, oldest first.
async fn import(server: &TestServer, records: &[Record]) -> Vec<BibId> {
    let before = newest_bib(server).await;
    let summary = import_for(server, "SHIRE", records).await;
    assert_eq!(summary.counts.created, records.len() as u64, "{summary:?}");
    let mut conn = server.ctx.store.read().await.unwrap();
    store::bibs_page(&mut conn, None, None, before, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|bib| bib.id)
        .collect()
}

/// Imports the records for `member`, whatever becomes of them.
async fn import_for(server: &TestServer, member: &str, records: &[Record]) -> ImportSummary {
    let mut bytes = Vec::new();
    for record in records {
        bytes.extend(to_iso2709(record).unwrap());
    }
    import_marc(
        server,
        member,
        &bytes,
        &HoldingsMapping::default(),
        InvalidText::Error,
    )
    .await
}

async fn newest_bib(server: &TestServer) -> i64 {
    let mut conn = server.ctx.store.read().await.unwrap();
    let mut after = i64::MIN;
    loop {
        let page = store::bibs_page(&mut conn, None, None, after, 1000)
            .await
            .unwrap();
        match page.last() {
            Some(last) => after = last.id.0,
            None => return after,
        }
    }
}

/// ISO 2709 bytes with these fields as they are, whatever a writer would make of them.
fn raw_iso2709(fields: &[(&str, &[u8])]) -> Vec<u8> {
    let mut directory = Vec::new();
    let mut data = Vec::new();
    for (tag, content) in fields {
        let start = data.len();
        data.extend_from_slice(content);
        data.push(0x1e);
        directory.extend_from_slice(format!("{tag}{:04}{start:05}", content.len() + 1).as_bytes());
    }
    directory.push(0x1e);
    let base = 24 + directory.len();
    let length = base + data.len() + 1;
    let mut bytes = format!("{length:05}nam a22{base:05} a 4500").into_bytes();
    bytes.extend(directory);
    bytes.extend(data);
    bytes.push(0x1d);
    bytes
}

/// Overwrites the stored MARC of `bib` and logs the change, as an old import would have left it.
async fn store_marc(server: &TestServer, bib: BibId, marc: &[u8]) {
    let mut tx = server.ctx.store.write().await.unwrap();
    sqlx::query("UPDATE bib SET marc = $1 WHERE id = $2")
        .bind(marc.to_vec())
        .bind(bib.0)
        .execute(&mut *tx)
        .await
        .unwrap();
    store::log_change(&mut tx, "bib", bib.0, server.ctx.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    server.ctx.catalogue_changed();
}

/// The hits of a search in `view` (a member's code, or the whole consortium when empty).
async fn search_hits_in(client: &Client, view: &str, query: &str) -> Vec<Value> {
    let answer = client
        .get(&format!(
            "/api/v1/search?view={view}&q={}",
            query.replace(' ', "%20")
        ))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()["hits"].as_array().unwrap().clone()
}

async fn search_ids_in(client: &Client, view: &str, query: &str) -> Vec<String> {
    search_hits_in(client, view, query)
        .await
        .iter()
        .map(|hit| hit["id"].as_str().unwrap().to_string())
        .collect()
}

async fn search_ids(client: &Client, query: &str) -> Vec<String> {
    search_ids_in(client, "", query).await
}

/// The titles (245 $a) of the records of an ISO 2709 file, in file order.
fn titles_of(bytes: &[u8]) -> Vec<String> {
    concord_marc::read_iso2709(bytes)
        .map(|record| {
            record
                .unwrap()
                .field("245")
                .and_then(|field| field.subfield('a'))
                .unwrap()
                .to_string()
        })
        .collect()
}

/// The member names of the holdings sections of a record page, in page order.
fn holdings_sections(page: &str) -> Vec<String> {
    page.split("<section class=\"holdings\"><h3>")
        .skip(1)
        .map(|rest| rest.split("</h3>").next().unwrap().to_string())
        .collect()
}

/// Checks every public page of a bib whose record cannot be read for `problem`.
async fn check_unreadable_bib(client: &Client, bib: BibId, title: &str, problem: &str) {
    let notice = format!("could not be read ({problem})");
    for (path, first_holder) in [
        (format!("/record/{bib}"), "Rohan University Library"),
        (format!("/m/SHIRE/record/{bib}"), "Shire Libraries"),
        (format!("/m/ROHAN/record/{bib}"), "Rohan University Library"),
    ] {
        let page = client.get(&path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert!(page.body.contains(&format!("<h1>{title}</h1>")), "{path}");
        assert!(page.body.contains(&notice), "{path}: {}", page.body);
        assert!(page.body.contains("Baggins, Bilbo, 2890-"), "{path}");
        assert!(page.body.contains("Shire Central"), "{path}");
        // No export is offered, and there is no MARC view to show.
        assert!(!page.body.contains(".ris\""), "{path}");
        assert!(!page.body.contains("class=\"marc\""), "{path}");
        let sections = holdings_sections(&page.body);
        assert_eq!(sections.len(), 2, "{path}: {sections:?}");
        assert!(
            sections[0].starts_with(first_holder),
            "{path}: {sections:?}"
        );
        if path.starts_with("/m/") {
            assert!(sections[0].contains("(this library)"), "{path}");
        }
    }

    let json = client.get(&format!("/api/v1/records/{bib}")).await;
    assert_eq!(json.status, 200, "{}", json.body);
    let record = json.json();
    assert_eq!(record["title"], title);
    assert_eq!(record["unreadable_marc"], problem);
    assert_eq!(record["holdings"].as_array().unwrap().len(), 2);
    // Only the permalink: every export would answer 409.
    assert_eq!(
        record["links"],
        json!({ "permalink": format!("/record/{bib}") }),
        "{record}"
    );

    for path in [
        format!("/record/{bib}.xml"),
        format!("/record/{bib}.ris"),
        format!("/record/{bib}.bib"),
        format!("/record/{bib}?format=bibtex"),
        format!("/m/SHIRE/record/{bib}.ris"),
    ] {
        let export = client.get(&path).await;
        assert_eq!(export.status, 409, "{path}: {}", export.body);
        assert!(
            export.body.contains(&format!(
                "The MARC record of bib {bib} cannot be read ({problem})"
            )),
            "{path}: {}",
            export.body
        );
    }
}

/// Exports the whole catalogue as ISO 2709 through the service and through `concord export
/// marc`: both hold the records of the `written` bibs and name each `left_out` bib with the
/// start of the reason.
async fn check_bulk_export(
    server: &TestServer,
    engine: Engine,
    written: &[BibId],
    left_out: &[(BibId, &str)],
) {
    let mut expected_titles = Vec::new();
    for bib in written {
        let detail = catalogue::bib(&server.ctx, *bib).await.unwrap();
        expected_titles.push(detail.bib.summary.title.clone());
    }
    let mut expected_skipped = left_out.to_vec();
    expected_skipped.sort_by_key(|(bib, _)| *bib);

    let mut bytes = Vec::new();
    let summary = catalogue::export(&server.ctx, &Principal::Operator, None, None, |record| {
        concord_marc::write_iso2709(&mut bytes, record)
            .map_err(|e| catalogue::ExportWriteError::RecordRefused(e.to_string()))
    })
    .await
    .unwrap();
    assert_eq!(summary.written, written.len() as u64, "{engine:?}");
    let titles = titles_of(&bytes);
    assert_eq!(titles.len(), written.len(), "{engine:?}: {titles:?}");
    for title in &expected_titles {
        assert!(titles.contains(title), "{engine:?}: {title} in {titles:?}");
    }
    assert_eq!(
        summary.skipped.len(),
        expected_skipped.len(),
        "{engine:?}: {:?}",
        summary.skipped
    );
    for (skipped, (bib, reason)) in summary.skipped.iter().zip(&expected_skipped) {
        assert_eq!(skipped.bib, *bib, "{engine:?}: {:?}", summary.skipped);
        assert!(
            skipped.reason.starts_with(reason),
            "{engine:?}: {skipped:?}"
        );
    }

    // The operator's command writes the same records and names the bibs it left out.
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("catalogue.mrc");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_concord"));
    command
        .env_remove("CONCORD_DATABASE_URL")
        .env("CONCORD_LOG", "error");
    match &server.config {
        StoreConfig::Sqlite { data_dir, .. } => command.env("CONCORD_DATA_DIR", data_dir),
        StoreConfig::Postgres { url, .. } => command
            .env("CONCORD_DATA_DIR", dir.path())
            .env("CONCORD_DATABASE_URL", url),
    };
    let run = command
        .args(["export", "marc", "--output", output.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{engine:?}: {stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("exported {} records", written.len())),
        "{engine:?}: {stdout}"
    );
    assert!(
        stderr.contains(&format!("left out {} bibs", left_out.len())),
        "{engine:?}: {stderr}"
    );
    for (bib, reason) in left_out {
        assert!(
            stderr.contains(&format!("  bib {bib}: {reason}")),
            "{engine:?}: {stderr}"
        );
    }
    assert_eq!(
        titles_of(&std::fs::read(&output).unwrap()),
        titles,
        "{engine:?}"
    );
}

/// A load merge whose saved source record cannot be read: its undo is refused with the bib
/// named, and nothing changes.
async fn check_undo_of_unreadable_merge(server: &TestServer, engine: Engine, staff: &Client) {
    let [kept] = import(server, &[book("m1", "Mirkwood road atlas")]).await[..] else {
        panic!("{engine:?}");
    };
    // Rohan's copy of the same book merges into Shire's bib.
    let summary = import_for(server, "ROHAN", &[book("m2", "Mirkwood road atlas")]).await;
    assert_eq!(summary.counts.merged, 1, "{engine:?}: {summary:?}");
    let mut conn = server.ctx.store.read().await.unwrap();
    let merges = store::merges_of_bib(&mut conn, kept).await.unwrap();
    drop(conn);
    let [merge] = &merges[..] else {
        panic!("{engine:?}: {merges:?}");
    };
    assert!(merge.source_marc.is_some(), "{engine:?}");

    let mut tx = server.ctx.store.write().await.unwrap();
    sqlx::query("UPDATE bib_merge SET source_marc = $1 WHERE id = $2")
        .bind(b"00026nam a2200025 a 4500\x1e\x1d".to_vec())
        .bind(merge.id.0)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let newest_before = newest_bib(server).await;
    let undo = staff
        .post_json(&format!("/api/v1/merges/{}/undo", merge.id), &json!({}))
        .await;
    assert_eq!(undo.status, 409, "{engine:?}: {}", undo.body);
    assert_eq!(undo.error_code(), "record_unreadable", "{engine:?}");
    assert!(
        undo.body.contains(&format!("bib {kept}")) && undo.body.contains("record has no fields"),
        "{engine:?}: {}",
        undo.body
    );
    // All or nothing: no bib was made and the merge still stands.
    assert_eq!(newest_bib(server).await, newest_before, "{engine:?}");
    let mut conn = server.ctx.store.read().await.unwrap();
    let after = store::merges_of_bib(&mut conn, kept).await.unwrap();
    assert_eq!(after.len(), 1, "{engine:?}");
    assert_eq!(after[0].undone_at, None, "{engine:?}");
}

#[tokio::test]
async fn bibs_whose_stored_record_cannot_be_read_keep_their_pages() {
    for engine in engines() {
        let server = TestServer::start_on(engine).await;
        server.load_org(TWO_MEMBERS).await;
        server
            .staff("shirecat", "cataloguing", "member:SHIRE")
            .await;
        let bibs = import(
            &server,
            &[
                book("u1", "Broken hobbit atlas"),
                book("u2", "Truncated dragon diary"),
                book("u3", "Danish fairy tales"),
            ],
        )
        .await;
        let [no_fields, truncated, danish] = bibs[..] else {
            panic!("{engine:?}: {bibs:?}");
        };
        for (n, bib) in bibs.iter().enumerate() {
            add_item(&server, *bib, &format!("S{n}"), "SHIRE-CEN", false).await;
            add_item(&server, *bib, &format!("R{n}"), "ROHAN-MAIN", false).await;
        }
        // A bib whose only copy Shire keeps out of other members' views.
        let [kept_back] = import(&server, &[book("u5", "Elvish sea chart")]).await[..] else {
            panic!("{engine:?}");
        };
        add_item(&server, kept_back, "SK", "SHIRE-CEN", true).await;
        let client = Client::new(&server);
        wait_for_index(&server).await;
        assert_eq!(
            search_ids(&client, "hobbit atlas").await,
            [no_fields.to_string()]
        );

        // A record with no fields (an empty MARCXML record once imported), a record cut short,
        // and DanMARC's 001 with subfields, which reads back as a control field holding
        // subfield delimiters.
        store_marc(&server, no_fields, b"00026nam a2200025 a 4500\x1e\x1d").await;
        let whole = to_iso2709(&book("u2", "Truncated dragon diary")).unwrap();
        store_marc(&server, truncated, &whole[..whole.len() / 2]).await;
        let danish_marc = raw_iso2709(&[
            ("001", b"00\x1fa12345678\x1fbdbc".as_slice()),
            ("245", b"10\x1faDanish fairy tales"),
        ]);
        store_marc(&server, danish, &danish_marc).await;
        store_marc(&server, kept_back, b"00026nam a2200025 a 4500\x1e\x1d").await;
        // The follower indexes the unreadable bibs from what the store keeps beside their
        // records, with their copies, and goes on with later changes.
        let later = import(&server, &[book("u4", "Gardening almanac")]).await;
        wait_for_index(&server).await;
        assert_eq!(
            search_ids(&client, "gardening almanac").await,
            [later[0].to_string()],
            "{engine:?}"
        );
        for (query, bib) in [("hobbit atlas", no_fields), ("dragon diary", truncated)] {
            let hits = search_hits_in(&client, "", query).await;
            assert_eq!(hits.len(), 1, "{engine:?} {query}: {hits:?}");
            assert_eq!(hits[0]["id"], bib.to_string(), "{engine:?} {query}");
            assert_eq!(
                hits[0]["author"], "Baggins, Bilbo, 2890-",
                "{engine:?} {query}"
            );
            let members: Vec<&str> = hits[0]["holdings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|holding| holding["member"].as_str().unwrap())
                .collect();
            assert_eq!(members.len(), 2, "{engine:?} {query}: {hits:?}");
            assert!(
                members.contains(&"SHIRE") && members.contains(&"ROHAN"),
                "{members:?}"
            );
        }
        assert_eq!(
            search_ids(&client, "callnumber:S0").await,
            [no_fields.to_string()],
            "{engine:?}: found by its copy's call number"
        );
        assert_eq!(
            search_ids(&client, "danish fairy").await,
            [danish.to_string()]
        );
        // The copy kept back keeps the bib out of every view but its member's.
        assert!(
            search_ids(&client, "elvish chart").await.is_empty(),
            "{engine:?}"
        );
        assert!(
            search_ids_in(&client, "ROHAN", "elvish chart")
                .await
                .is_empty(),
            "{engine:?}"
        );
        assert_eq!(
            search_ids_in(&client, "SHIRE", "elvish chart").await,
            [kept_back.to_string()],
            "{engine:?}"
        );
        // A rebuild of the index makes the same documents as the follower.
        concord_server::service::search::reindex(&server.ctx, |_, _| {})
            .await
            .unwrap();
        assert_eq!(
            search_ids(&client, "dragon diary").await,
            [truncated.to_string()],
            "{engine:?}"
        );
        assert_eq!(
            search_ids_in(&client, "SHIRE", "elvish chart").await,
            [kept_back.to_string()],
            "{engine:?}"
        );

        // The export writes the rest, and names the unreadable bibs and DanMARC's record,
        // which reads but which ISO 2709 cannot hold.
        check_bulk_export(
            &server,
            engine,
            &[later[0]],
            &[
                (
                    no_fields,
                    "its stored record cannot be read (record has no fields)",
                ),
                (
                    truncated,
                    "its stored record cannot be read (truncated record",
                ),
                (
                    kept_back,
                    "its stored record cannot be read (record has no fields)",
                ),
                (
                    danish,
                    "the export format cannot hold it (field 001 contains a MARC delimiter",
                ),
            ],
        )
        .await;

        check_unreadable_bib(
            &client,
            no_fields,
            "Broken hobbit atlas",
            "record has no fields",
        )
        .await;
        let cut = whole.len() / 2;
        check_unreadable_bib(
            &client,
            truncated,
            "Truncated dragon diary",
            &format!(
                "truncated record: input ends after {cut} of {} bytes",
                whole.len()
            ),
        )
        .await;

        // DanMARC's record reads: every page and export answers, the delimiters shown as
        // symbols in the MARC view.
        let page = client.get(&format!("/record/{danish}")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("001 00␟a12345678␟bdbc"), "{}", page.body);
        for extension in ["xml", "ris", "bib"] {
            let export = client.get(&format!("/record/{danish}.{extension}")).await;
            assert_eq!(export.status, 200, "{extension}: {}", export.body);
        }
        let danish_json = client.get(&format!("/api/v1/records/{danish}")).await;
        assert_eq!(
            danish_json.json()["links"]["marcxml"],
            format!("/record/{danish}.xml")
        );

        let staff = server.staff_client("shirecat").await;
        check_undo_of_unreadable_merge(&server, engine, &staff).await;

        // Staff see the bib with the problem named, and replace the record.
        let admin_page = staff.get(&format!("/admin/bibs/{no_fields}")).await;
        assert_eq!(admin_page.status, 200, "{}", admin_page.body);
        assert!(
            admin_page
                .body
                .contains("The stored MARC record could not be read (record has no fields)"),
            "{}",
            admin_page.body
        );
        let bib_json = staff.get(&format!("/api/v1/bibs/{no_fields}")).await;
        assert_eq!(bib_json.status, 200, "{}", bib_json.body);
        assert_eq!(bib_json.json()["unreadable_marc"], "record has no fields");
        assert_eq!(bib_json.json()["items"].as_array().unwrap().len(), 2);
        let marcxml = staff.get(&format!("/api/v1/bibs/{no_fields}/marc")).await;
        assert_eq!(marcxml.status, 409, "{}", marcxml.body);
        assert_eq!(marcxml.error_code(), "record_unreadable");
        let editor = staff.get(&format!("/admin/bibs/{no_fields}/marc")).await;
        assert_eq!(editor.status, 200, "{}", editor.body);
        assert!(
            editor.body.contains("245 00 $a Broken hobbit atlas"),
            "{}",
            editor.body
        );
        let replacement = concord_marc::to_line_format(&book("u1", "Repaired hobbit atlas"));
        let saved = staff
            .put_json(
                &format!("/api/v1/bibs/{no_fields}/marc"),
                &json!({ "text": replacement }),
            )
            .await;
        assert_eq!(saved.status, 200, "{}", saved.body);
        wait_for_index(&server).await;
        assert_eq!(
            search_ids(&client, "repaired hobbit").await,
            [no_fields.to_string()],
            "{engine:?}"
        );
        let page = client.get(&format!("/record/{no_fields}")).await;
        assert_eq!(page.status, 200);
        assert!(!page.body.contains("could not be read"), "{}", page.body);
        assert!(page.body.contains("<pre class=\"marc\">"), "{}", page.body);
        let ris = client.get(&format!("/record/{no_fields}.ris")).await;
        assert_eq!(ris.status, 200, "{}", ris.body);
        assert!(
            ris.body.contains("AU  - Baggins, Bilbo\r\n"),
            "{}",
            ris.body
        );
    }
}
