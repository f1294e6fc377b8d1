//! Bibs whose stored MARC bytes cannot be read back, as the importer stored them before the
//! ISO 2709 writer started refusing such records: the public catalogue and the staff pages
//! keep answering with what the store still knows, the exports refuse plainly, the search
//! index's follower passes over them, and staff can replace the record.

use concord_domain::auth::Principal;
use concord_domain::catalogue::holdings::HoldingsMapping;
use concord_domain::ids::BibId;
use concord_marc::{
    DataField, InvalidText, Leader, ReadOptions, Record, RecordOffset, Tag, read_any_with_options,
    to_iso2709,
};
use concord_server::service::catalogue::{self, ImportOptions};
use concord_store::catalogue as store;
use serde_json::json;

use crate::support::{Client, TWO_MEMBERS, TestServer, add_item, engines, wait_for_index};

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
    let mut bytes = Vec::new();
    for record in records {
        bytes.extend(to_iso2709(record).unwrap());
    }
    let reader = read_any_with_options(
        bytes.as_slice(),
        ReadOptions {
            invalid_text: InvalidText::Error,
        },
    )
    .unwrap()
    .with_offsets();
    let summary = catalogue::import(
        &server.ctx,
        &Principal::Operator,
        reader,
        &ImportOptions {
            member_code: "SHIRE",
            mapping: &HoldingsMapping::default(),
            batch_size: 100,
            file_name: "test",
        },
        |_| {},
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(summary.counts.created, records.len() as u64, "{summary:?}");
    let mut conn = server.ctx.store.read().await.unwrap();
    store::bibs_page(&mut conn, None, None, before, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|bib| bib.id)
        .collect()
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

async fn search_ids(client: &Client, query: &str) -> Vec<String> {
    let answer = client
        .get(&format!("/api/v1/search?q={}", query.replace(' ', "%20")))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hit| hit["id"].as_str().unwrap().to_string())
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
        // The follower passes over the unreadable bibs and goes on with later changes.
        let later = import(&server, &[book("u4", "Gardening almanac")]).await;
        wait_for_index(&server).await;
        assert_eq!(
            search_ids(&client, "gardening almanac").await,
            [later[0].to_string()],
            "{engine:?}"
        );
        assert!(
            search_ids(&client, "hobbit atlas").await.is_empty(),
            "{engine:?}"
        );
        assert!(
            search_ids(&client, "dragon diary").await.is_empty(),
            "{engine:?}"
        );
        assert_eq!(
            search_ids(&client, "danish fairy").await,
            [danish.to_string()]
        );

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

        // Staff see the bib with the problem named, and replace the record.
        let staff = server.staff_client("shirecat").await;
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
