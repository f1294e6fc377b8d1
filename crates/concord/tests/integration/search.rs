//! Catalogue search end to end: the index follows the change log within a second on both
//! engines, a second server with an empty index catches up by itself, hidden items stay out of
//! other members' views, and the JSON search and record endpoints and exports.

use std::time::{Duration, Instant};

use concord_domain::audit::AuditFilter;
use concord_domain::auth::Principal;
use concord_domain::catalogue::holdings::HoldingsMapping;
use concord_domain::codes::Code;
use concord_domain::ids::BibId;
use concord_marc::{DataField, InvalidText, Leader, Record, Tag, to_iso2709};
use concord_search::{FacetField, SearchRequest, SearchResponse};
use concord_server::service::catalogue::{self, ItemInput};
use concord_server::service::search;
use concord_store::catalogue as store;
use serde_json::json;

use crate::support::{
    Client, TWO_MEMBERS, TestServer, add_copy, add_item, add_shelved_copy, csrf_in, engines,
    import_marc, patron_client,
};

/// A printed English book with a subject.
fn book(id: &str, title: &str, author: &str, year: u32, subject: &str) -> Record {
    filed_book(id, (title, '0'), author, year, subject)
}

/// [`book`] with the 245's second indicator: the characters of a leading article that do not
/// file.
fn filed_book(
    id: &str,
    (title, nonfiling): (&str, char),
    author: &str,
    year: u32,
    subject: &str,
) -> Record {
    let mut record = Record::new(Leader::parse("00000nam a2200000 a 4500").unwrap());
    record.push_control(Tag::parse("001").unwrap(), id);
    record.push_control(
        Tag::parse("008").unwrap(),
        format!("200101s{year}    xxu           000 0 eng d"),
    );
    record
        .push_data(DataField::new(Tag::parse("100").unwrap(), '1', ' ').with_subfield('a', author));
    record.push_data(
        DataField::new(Tag::parse("245").unwrap(), '1', nonfiling).with_subfield('a', title),
    );
    record.push_data(
        DataField::new(Tag::parse("260").unwrap(), ' ', ' ')
            .with_subfield('b', "Testing Press")
            .with_subfield('c', year.to_string()),
    );
    record.push_data(
        DataField::new(Tag::parse("650").unwrap(), ' ', '0').with_subfield('a', subject),
    );
    record
}

/// Imports the records for SHIRE (without items) and returns their bib ids in order.
async fn import(server: &TestServer, records: &[Record]) -> Vec<BibId> {
    let mut bytes = Vec::new();
    for record in records {
        bytes.extend(to_iso2709(record).unwrap());
    }
    let summary = import_marc(
        server,
        "SHIRE",
        &bytes,
        &HoldingsMapping::default(),
        InvalidText::Error,
    )
    .await;
    assert_eq!(
        summary.counts.created,
        records.len() as u64,
        "{:?}",
        summary
    );
    let mut conn = server.ctx.store.read().await.unwrap();
    store::bibs_page(&mut conn, None, None, i64::MIN, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|bib| bib.id)
        .collect()
}

/// Two editions of "The hobbit" (filed under H) and "Leaf by Niggle", with control numbers
/// `{prefix}1` to `{prefix}3`, in that order.
fn tolkien(prefix: &str) -> Vec<Record> {
    let hobbit = |n: u32, year| {
        filed_book(
            &format!("{prefix}{n}"),
            ("The hobbit", '4'),
            "Tolkien, J. R. R.",
            year,
            "Dragons",
        )
    };
    vec![
        hobbit(1, 1937),
        hobbit(2, 1966),
        book(
            &format!("{prefix}3"),
            "Leaf by Niggle",
            "Tolkien, J. R. R.",
            1945,
            "Painters",
        ),
    ]
}

/// [`import`], then waits until the search index finds every record.
async fn import_searchable(server: &TestServer, records: &[Record]) -> Vec<BibId> {
    let bibs = import(server, records).await;
    let total = records.len() as u64;
    search_until(server, &request("", None), WITHIN_A_SECOND, |r| {
        r.total == total
    })
    .await;
    bibs
}

fn request(query: &str, view: Option<&str>) -> SearchRequest {
    let mut request = SearchRequest::new(query);
    request.view = view.map(|code| Code::parse("view", code).unwrap());
    request
}

/// Searches until `done` holds, failing after `limit`; returns the answer and how long it took.
/// The stopwatch measures the test itself, not a business "now".
#[allow(clippy::disallowed_methods)]
async fn search_until(
    server: &TestServer,
    request: &SearchRequest,
    limit: Duration,
    done: impl Fn(&SearchResponse) -> bool,
) -> (SearchResponse, Duration) {
    let started = Instant::now();
    loop {
        let response = search::search(&server.ctx, request.clone()).await.unwrap();
        if done(&response) {
            return (response, started.elapsed());
        }
        assert!(
            started.elapsed() < limit,
            "the index did not catch up within {limit:?}: {response:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The JSON-LD description a record page gives search engines.
fn linked_data(page: &str) -> serde_json::Value {
    let (_, rest) = page
        .split_once(r#"<script type="application/ld+json">"#)
        .expect("a JSON-LD block");
    serde_json::from_str(rest.split_once("</script>").unwrap().0).unwrap()
}

fn facet_count(response: &SearchResponse, facet: FacetField, value: &str) -> u64 {
    response
        .facets
        .get(&facet)
        .and_then(|counts| counts.iter().find(|c| c.value == value))
        .map_or(0, |c| c.count)
}

/// How long a test waits for the follower, which is woken by the commit itself and normally
/// applies a change within milliseconds. The bound is generous so that a loaded machine cannot
/// fail the test; latency is a benchmark's business, not a test's.
const WITHIN_A_SECOND: Duration = Duration::from_secs(10);

#[tokio::test]
async fn catalogue_changes_are_searchable_within_a_second_on_both_engines() {
    for engine in engines() {
        let server = TestServer::start_on(engine).await;
        server.load_org(TWO_MEMBERS).await;
        let bibs = import(
            &server,
            &[
                book(
                    "t1",
                    "The dragon of Erebor",
                    "Müller, Hans",
                    1999,
                    "Dragons",
                ),
                book(
                    "t2",
                    "Gardening for hobbits",
                    "Gamgee, Sam",
                    2005,
                    "Gardening",
                ),
            ],
        )
        .await;
        let (found, _) = search_until(&server, &request("dragon", None), WITHIN_A_SECOND, |r| {
            r.total == 1
        })
        .await;
        assert_eq!(found.hits[0].title, "The dragon of Erebor", "{engine:?}");
        // Diacritic folding: Muller finds Müller.
        let folded = search::search(&server.ctx, request("author:muller", None))
            .await
            .unwrap();
        assert_eq!(folded.total, 1, "{engine:?}");

        // An item added to a bib shows up in the member and availability facets.
        add_item(&server, bibs[0], "S0001", "SHIRE-CEN", false).await;
        let (counted, _) = search_until(&server, &request("dragon", None), WITHIN_A_SECOND, |r| {
            facet_count(r, FacetField::Member, "SHIRE") == 1
        })
        .await;
        assert_eq!(
            facet_count(&counted, FacetField::AvailableNow, "available"),
            1
        );

        // A status change (as circulation makes) updates "available now".
        let mut conn = server.ctx.store.read().await.unwrap();
        let item = store::items_of_bib(&mut conn, bibs[0]).await.unwrap()[0].clone();
        drop(conn);
        catalogue::update_item(
            &server.ctx,
            &Principal::Operator,
            item.id,
            &ItemInput {
                barcode: "S0001".into(),
                branch: "SHIRE-CEN".into(),
                current_branch: None,
                call_number: "CALL S0001".into(),
                item_type: "BOOK".into(),
                shelving_location: String::new(),
                price: String::new(),
                status: "missing".into(),
                hidden_from_other_members: false,
            },
        )
        .await
        .unwrap();
        search_until(&server, &request("dragon", None), WITHIN_A_SECOND, |r| {
            facet_count(r, FacetField::AvailableNow, "available") == 0
        })
        .await;

        // A ROHAN item kept from other members counts only in ROHAN's own view.
        add_item(&server, bibs[1], "R0001", "ROHAN-MAIN", true).await;
        search_until(
            &server,
            &request("gardening", Some("ROHAN")),
            WITHIN_A_SECOND,
            |r| facet_count(r, FacetField::Member, "ROHAN") == 1,
        )
        .await;
        let everyone = search::search(&server.ctx, request("gardening", None))
            .await
            .unwrap();
        assert_eq!(facet_count(&everyone, FacetField::Member, "ROHAN"), 0);
        let shire = search::search(&server.ctx, request("gardening", Some("SHIRE")))
            .await
            .unwrap();
        assert_eq!(facet_count(&shire, FacetField::Member, "ROHAN"), 0);
    }
}

#[tokio::test]
async fn a_second_server_with_an_empty_index_catches_up_from_the_log() {
    for engine in engines() {
        let server = TestServer::start_on(engine).await;
        server.load_org(TWO_MEMBERS).await;
        let records: Vec<Record> = (0..30)
            .map(|n| {
                book(
                    &format!("c{n}"),
                    &format!("Volume {n} of the chronicle"),
                    "Scribe, Anna",
                    1990 + n,
                    "History",
                )
            })
            .collect();
        import(&server, &records).await;
        let second = server.second_server().await;
        let (found, _) = search_until(
            &second,
            &request("chronicle", None),
            Duration::from_secs(10),
            |r| r.total == 30,
        )
        .await;
        assert_eq!(found.total, 30);
        let mut conn = second.ctx.store.read().await.unwrap();
        let newest = store::max_change_seq(&mut conn).await.unwrap();
        drop(conn);
        assert_eq!(second.ctx.search.applied_change_seq().unwrap(), newest);
    }
}

#[tokio::test]
async fn the_json_search_and_record_endpoints_respect_member_views() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    let bibs = import(
        &server,
        &[
            book(
                "j1",
                "Riddles in the dark",
                "Baggins, Bilbo",
                1937,
                "Riddles",
            ),
            {
                let mut songs = book(
                    "j2",
                    "Songs of the Riddermark",
                    "Eorl, Young",
                    1950,
                    "Songs",
                );
                songs.push_data(
                    DataField::new(Tag::parse("490").unwrap(), '0', ' ')
                        .with_subfield('a', "Riddermark tales ;")
                        .with_subfield('v', "2"),
                );
                songs
            },
        ],
    )
    .await;
    add_item(&server, bibs[0], "S1", "SHIRE-CEN", false).await;
    add_item(&server, bibs[0], "R1", "ROHAN-MAIN", true).await;
    search_until(
        &server,
        &request("riddles", Some("ROHAN")),
        Duration::from_secs(5),
        |r| facet_count(r, FacetField::Member, "ROHAN") == 1,
    )
    .await;
    let client = Client::new(&server);

    let everyone = client.get("/api/v1/search?q=riddles").await;
    assert_eq!(everyone.status, 200, "{}", everyone.body);
    let body = everyone.json();
    assert_eq!(body["total"], 1, "{body}");
    assert_eq!(body["hits"][0]["id"], bibs[0].to_string());
    assert_eq!(body["hits"][0]["title"], "Riddles in the dark");
    let members = body["facets"]["member"].as_array().unwrap();
    assert_eq!(members.len(), 1, "{body}");
    assert_eq!(members[0]["value"], "SHIRE");

    let rohan = client
        .get("/api/v1/search?q=riddles&view=ROHAN")
        .await
        .json();
    assert_eq!(rohan["facets"]["member"][0]["value"], "ROHAN", "{rohan}");

    let narrowed = client
        .get("/api/v1/search?q=riddl*&member=ROHAN")
        .await
        .json();
    assert_eq!(
        narrowed["total"], 0,
        "hidden items do not count outside ROHAN: {narrowed}"
    );

    let sorted = client
        .get("/api/v1/search?q=&sort=date&page_size=1")
        .await
        .json();
    assert_eq!(sorted["total"], 2, "{sorted}");
    assert_eq!(sorted["hits"][0]["title"], "Songs of the Riddermark");

    // A misspelt search finds nothing and suggests the catalogue's spelling, counted in the
    // same view; a search that finds something suggests nothing.
    assert_eq!(body["suggestion"], serde_json::Value::Null, "{body}");
    let misspelt = client.get("/api/v1/search?q=Ridles+dark").await.json();
    assert_eq!(misspelt["total"], 0, "{misspelt}");
    assert_eq!(
        misspelt["suggestion"],
        json!({ "q": "riddles dark", "total": 1 }),
        "{misspelt}"
    );
    let page = client.get("/m/ROHAN/search?q=ridles&sort=date").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Did you mean:"), "{}", page.body);
    assert!(
        page.body
            .contains(r#"<a href="/m/ROHAN/search?q=riddles&amp;sort=date"><strong>riddles</strong></a> (1 result)"#),
        "{}",
        page.body
    );
    let found = client.get("/search?q=riddles").await;
    assert!(!found.body.contains("Did you mean"), "{}", found.body);
    // Languages are named, not coded, on the results and record pages (the links keep the code).
    assert!(
        found.body.contains(r#"<a href="/search?q=riddles&amp;language=eng">English <span class="count">(1)</span></a>"#),
        "{}",
        found.body
    );
    let page = client.get(&format!("/record/{}", bibs[0])).await;
    assert!(page.body.contains("<dd>English</dd>"), "{}", page.body);
    // Search engines read the record in schema.org terms, with one offer per copy the visitor
    // may see (ROHAN's hidden copy only in ROHAN's view).
    let work = linked_data(&page.body);
    assert_eq!(work["@type"], "Book", "{work}");
    assert_eq!(work["name"], "Riddles in the dark");
    assert_eq!(
        work["author"],
        json!([{ "@type": "Person", "name": "Baggins, Bilbo" }])
    );
    assert_eq!(work["datePublished"], "1937");
    assert_eq!(work["inLanguage"], "en");
    assert_eq!(work["offers"].as_array().unwrap().len(), 1, "{work}");
    assert_eq!(
        work["offers"][0]["availability"],
        "https://schema.org/InStock"
    );
    assert_eq!(
        work["offers"][0]["offeredBy"]["name"],
        "Shire Libraries, Shire Central"
    );
    assert!(
        page.body.contains(&format!(
            r#"<link rel="canonical" href="/record/{}">"#,
            bibs[0]
        )),
        "{}",
        page.body
    );
    let in_rohan = linked_data(
        &client
            .get(&format!("/m/ROHAN/record/{}", bibs[0]))
            .await
            .body,
    );
    assert_eq!(
        in_rohan["offers"].as_array().unwrap().len(),
        2,
        "{in_rohan}"
    );
    // The author and the series link to their other works, in the same view.
    let by_author = r#"<a href="/m/ROHAN/search?author=Baggins%2C%20Bilbo">Baggins, Bilbo</a>"#;
    let page = client.get(&format!("/m/ROHAN/record/{}", bibs[0])).await;
    assert!(page.body.contains(by_author), "{}", page.body);
    let works = client
        .get("/api/v1/search?author=Baggins%2C%20Bilbo")
        .await
        .json();
    assert_eq!(works["total"], 1, "{works}");
    let page = client.get(&format!("/record/{}", bibs[1])).await;
    let in_series =
        r#"<a href="/search?series_heading=Riddermark%20tales">Riddermark tales ; 2</a>"#;
    assert!(page.body.contains(in_series), "{}", page.body);
    // Its subject heading, whole, links to the bibs under exactly that heading.
    let on_subject = r#"<li><a href="/search?subject_heading=Songs">Songs</a></li>"#;
    assert!(page.body.contains(on_subject), "{}", page.body);
    let volumes = client
        .get("/api/v1/search?series_heading=Riddermark%20tales")
        .await
        .json();
    assert_eq!(volumes["total"], 1, "{volumes}");
    assert_eq!(volumes["hits"][0]["id"], bibs[1].to_string(), "{volumes}");

    // Crawlers may read record pages, not the endless searches and shelves, accounts or staff
    // pages.
    let robots = client.get("/robots.txt").await;
    assert_eq!(robots.status, 200);
    for line in [
        "Disallow: /search",
        "Disallow: /m/*/search",
        "Disallow: /shelf/",
        "Disallow: /admin",
        "Allow: /record/",
    ] {
        assert!(
            robots.body.lines().any(|l| l == line),
            "{line}: {}",
            robots.body
        );
    }

    // Browsers can add the catalogue, or a member's view, to their search bar.
    let described = client.get("/opensearch.xml").await;
    assert_eq!(described.status, 200, "{}", described.body);
    assert!(described.body.starts_with("<?xml"), "{}", described.body);
    assert_eq!(
        described.headers.get("vary").and_then(|v| v.to_str().ok()),
        Some("Host, X-Forwarded-Proto")
    );
    assert!(
        described
            .body
            .contains("<ShortName>Test Consortium</ShortName>"),
        "{}",
        described.body
    );
    assert!(
        described.body.contains(r#"template="http://127.0.0.1:"#)
            && described.body.contains(r#"/search?q={searchTerms}""#),
        "{}",
        described.body
    );
    let rohan = client.get("/m/ROHAN/opensearch.xml").await.body;
    assert!(
        rohan.contains("<ShortName>Rohan University</ShortName>"),
        "{rohan}"
    );
    assert!(
        rohan.contains(r#"/m/ROHAN/search?q={searchTerms}""#),
        "{rohan}"
    );
    assert!(rohan.contains("&amp;view=ROHAN"), "{rohan}");
    assert_eq!(client.get("/m/NOWHERE/opensearch.xml").await.status, 404);
    let page = client.get("/m/ROHAN/search?q=riddles").await.body;
    assert!(
        page.contains(r#"<link rel="search" type="application/opensearchdescription+xml" title="Rohan University Library" href="/m/ROHAN/opensearch.xml">"#),
        "{page}"
    );

    let bad = client.get("/api/v1/search?q=x&sort=sideways").await;
    assert_eq!(bad.status, 422, "{}", bad.body);

    let record = client.get(&format!("/api/v1/records/{}", bibs[0])).await;
    assert_eq!(record.status, 200, "{}", record.body);
    let record = record.json();
    assert_eq!(record["title"], "Riddles in the dark");
    let holdings = record["holdings"].as_array().unwrap();
    assert_eq!(
        holdings.len(),
        1,
        "ROHAN's hidden item is not shown: {record}"
    );
    let in_rohan = client
        .get(&format!("/api/v1/records/{}?view=ROHAN", bibs[0]))
        .await
        .json();
    assert_eq!(
        in_rohan["holdings"][0]["member"], "ROHAN",
        "own holdings first: {in_rohan}"
    );
    assert_eq!(in_rohan["holdings"].as_array().unwrap().len(), 2);

    let xml = client.get(&format!("/record/{}.xml", bibs[0])).await;
    assert_eq!(xml.status, 200);
    assert!(
        xml.body.contains("<marc:datafield") || xml.body.contains("<datafield"),
        "{}",
        xml.body
    );
    assert!(xml.body.contains("Riddles in the dark"));
    let ris = client.get(&format!("/record/{}.ris", bibs[0])).await;
    assert!(ris.body.starts_with("TY  - BOOK"), "{}", ris.body);
    assert!(ris.body.contains("AU  - Baggins, Bilbo"), "{}", ris.body);
    assert!(ris.body.contains("PY  - 1937"), "{}", ris.body);
    let bibtex = client.get(&format!("/record/{}.bib", bibs[0])).await;
    assert!(bibtex.body.starts_with("@book{"), "{}", bibtex.body);
    assert!(
        bibtex.body.contains("title = {Riddles in the dark}"),
        "{}",
        bibtex.body
    );

    let missing = client.get("/api/v1/records/12345").await;
    assert_eq!(missing.status, 404);
}

/// A server of the two members with one book, "Riddles in the dark", and its `copies` (barcode,
/// branch, kept from other members), the last at ROHAN-LAW: returned once searches see them all
/// (the index applies changes in order, so once the last copy is in, so are the others).
async fn riddles_with_copies(copies: &[(&str, &str, bool)]) -> (TestServer, BibId) {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    let riddles = book(
        "r1",
        "Riddles in the dark",
        "Baggins, Bilbo",
        1937,
        "Riddles",
    );
    let bib = import(&server, &[riddles]).await[0];
    for (barcode, branch, hidden) in copies {
        add_item(&server, bib, barcode, branch, *hidden).await;
    }
    assert_eq!(copies.last().map(|copy| copy.1), Some("ROHAN-LAW"));
    search_until(&server, &request("riddles", None), WITHIN_A_SECOND, |r| {
        facet_count(r, FacetField::Branch, "ROHAN-LAW") == 1
    })
    .await;
    (server, bib)
}

#[tokio::test]
async fn branches_and_libraries_are_named_as_patrons_know_them() {
    let (server, _) =
        riddles_with_copies(&[("N1", "SHIRE-HOB", false), ("N2", "ROHAN-LAW", false)]).await;
    let client = Client::new(&server);

    // The consortium's page names each branch with its library; no code shows.
    let everyone = client.get("/search?q=riddles").await.body;
    for label in [
        "Hobbiton (Shire Libraries) <span class=\"count\">(1 title, 1 copy)</span>",
        "Law Library (Rohan University Library) <span class=\"count\">(1 title, 1 copy)</span>",
        "Shire Libraries <span class=\"count\">(1 title, 1 copy)</span>",
    ] {
        assert!(everyone.contains(label), "{label}: {everyone}");
    }
    assert!(!everyone.contains(">SHIRE-HOB "), "{everyone}");
    // A member's view names its own branches alone.
    let shire = client.get("/m/SHIRE/search?q=riddles").await.body;
    assert!(
        shire.contains(">Hobbiton <span class=\"count\">(1 title, 1 copy)</span>"),
        "{shire}"
    );
    assert!(
        shire.contains("Law Library (Rohan University Library)"),
        "{shire}"
    );
    // So do the narrowing it is chosen in and the page of all a facet's values.
    let narrowed = client.get("/search?q=riddles&branch=SHIRE-HOB").await.body;
    assert!(
        narrowed.contains("<strong>Hobbiton (Shire Libraries)</strong>"),
        "{narrowed}"
    );
    let values = client.get("/search/facet/branch?q=riddles").await.body;
    assert!(
        values.contains("Law Library (Rohan University Library)"),
        "{values}"
    );
    // The API gives codes, which the member and branch endpoints name.
    let json = client.get("/api/v1/search?q=riddles").await.json();
    assert_eq!(json["facets"]["branch"][0]["value"], "ROHAN-LAW", "{json}");
}

#[tokio::test]
async fn availability_says_at_which_library_a_title_is_on_the_shelf_now() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    let bibs = import(
        &server,
        &[
            book(
                "a1",
                "Riddles in the dark",
                "Baggins, Bilbo",
                1937,
                "Riddles",
            ),
            book("a2", "Riddles of the Mark", "Eorl, Young", 1950, "Riddles"),
        ],
    )
    .await;
    add_item(&server, bibs[0], "A1", "SHIRE-HOB", false).await;
    add_item(&server, bibs[0], "A2", "ROHAN-LAW", false).await;
    // Rohan's copy of the second is in transit; Shire keeps a copy of it back on its shelf.
    add_copy(&server, bibs[1], "A3", "ROHAN-MAIN", "in_transit", false).await;
    add_item(&server, bibs[1], "A4", "SHIRE-CEN", true).await;
    // The index applies changes in order: once the last copy is in, so are the others.
    search_until(
        &server,
        &request("riddles", Some("SHIRE")),
        WITHIN_A_SECOND,
        |r| facet_count(r, FacetField::Branch, "SHIRE-CEN") == 1,
    )
    .await;
    let client = Client::new(&server);

    // Each library with a copy on its shelf now, named and counted exactly.
    let everyone = client.get("/search?q=riddles").await.body;
    for label in [
        "Available now <span class=\"count\">(1 title, 2 copies)</span>",
        "On the shelf at Shire Libraries <span class=\"count\">(1 title, 1 copy)</span>",
        "On the shelf at Rohan University Library <span class=\"count\">(1 title, 1 copy)</span>",
    ] {
        assert!(everyone.contains(label), "{label}: {everyone}");
    }
    // Narrowed to one library's shelf, in the consortium's view and in Shire's own, where its
    // kept-back copy counts.
    let at_rohan = client
        .get("/api/v1/search?q=riddles&available=ROHAN")
        .await
        .json();
    assert_eq!(at_rohan["total"], 1, "{at_rohan}");
    assert_eq!(at_rohan["hits"][0]["id"], bibs[0].to_string(), "{at_rohan}");
    let at_shire = client
        .get("/api/v1/search?q=riddles&available=shire&view=SHIRE")
        .await
        .json();
    assert_eq!(at_shire["total"], 2, "{at_shire}");
    let page = client
        .get("/m/SHIRE/search?q=riddles&available=SHIRE")
        .await
        .body;
    assert!(
        page.contains("Availability: <strong>On the shelf at Shire Libraries</strong>"),
        "{page}"
    );
    let wrong = client
        .get("/api/v1/search?q=riddles&available=no+such")
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    assert!(wrong.body.contains("available"), "{}", wrong.body);
}

/// Maria's first step: the facets say how many copies each library has and which are on a
/// shelf now, counting in each view the copies that view may see.
#[tokio::test]
async fn facets_count_each_librarys_copies_and_those_on_the_shelf() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    let bibs = import(
        &server,
        &[
            book(
                "p1",
                "Pride and prejudice",
                "Austen, Jane",
                1813,
                "Courtship",
            ),
            book(
                "p2",
                "Pride and prejudice",
                "Austen, Jane",
                1995,
                "Courtship",
            ),
        ],
    )
    .await;
    // Shire: two copies of the first at Central (one kept back) and one away at Hobbiton.
    add_copy(&server, bibs[0], "P1", "SHIRE-CEN", "available", false).await;
    add_copy(&server, bibs[0], "P2", "SHIRE-CEN", "available", true).await;
    add_copy(&server, bibs[0], "P3", "SHIRE-HOB", "in_transit", false).await;
    // Rohan: one of the first, and two of the second, one of them in transit.
    add_copy(&server, bibs[0], "P4", "ROHAN-MAIN", "available", false).await;
    add_copy(&server, bibs[1], "P5", "ROHAN-MAIN", "in_transit", false).await;
    add_copy(&server, bibs[1], "P6", "ROHAN-LAW", "available", false).await;
    search_until(
        &server,
        &request("pride prejudice", None),
        WITHIN_A_SECOND,
        |r| facet_count(r, FacetField::Branch, "ROHAN-LAW") == 1,
    )
    .await;
    let client = Client::new(&server);
    let counts = |found: &serde_json::Value, facet: &str| -> Vec<(String, u64, u64)> {
        let mut counts: Vec<(String, u64, u64)> = found["facets"][facet]
            .as_array()
            .unwrap_or_else(|| panic!("{facet}: {found}"))
            .iter()
            .map(|value| {
                (
                    value["value"].as_str().unwrap().to_owned(),
                    value["count"].as_u64().unwrap(),
                    value["copies"].as_u64().unwrap(),
                )
            })
            .collect();
        counts.sort();
        counts
    };
    let owned = |list: &[(&str, u64, u64)]| -> Vec<(String, u64, u64)> {
        list.iter()
            .map(|(value, titles, copies)| ((*value).to_owned(), *titles, *copies))
            .collect()
    };

    // The whole consortium sees neither Shire's kept-back copy nor counts it on the shelf.
    let everyone = client.get("/api/v1/search?q=pride+prejudice").await.json();
    assert_eq!(everyone["total"], 2, "{everyone}");
    assert_eq!(
        counts(&everyone, "member"),
        owned(&[("ROHAN", 2, 3), ("SHIRE", 1, 2)])
    );
    assert_eq!(
        counts(&everyone, "branch"),
        owned(&[
            ("ROHAN-LAW", 1, 1),
            ("ROHAN-MAIN", 2, 2),
            ("SHIRE-CEN", 1, 1),
            ("SHIRE-HOB", 1, 1)
        ])
    );
    assert_eq!(
        counts(&everyone, "available_now"),
        owned(&[("ROHAN", 2, 2), ("SHIRE", 1, 1), ("available", 2, 3)])
    );
    // Facets that count records only say nothing of copies.
    assert!(
        everyone["facets"]["format"][0].get("copies").is_none(),
        "{everyone}"
    );

    // Shire's own view counts it: one title, three copies, two of them on Central's shelf.
    let shire = client
        .get("/api/v1/search?q=pride+prejudice&view=SHIRE")
        .await
        .json();
    assert_eq!(
        counts(&shire, "member"),
        owned(&[("ROHAN", 2, 3), ("SHIRE", 1, 3)])
    );
    assert_eq!(
        counts(&shire, "available_now"),
        owned(&[("ROHAN", 2, 2), ("SHIRE", 1, 2), ("available", 2, 4)])
    );

    // The page says it in words, and narrowing to a library finds its titles.
    let page = client.get("/m/SHIRE/search?q=pride+prejudice").await.body;
    for label in [
        "Shire Libraries <span class=\"count\">(1 title, 3 copies)</span>",
        "Rohan University Library <span class=\"count\">(2 titles, 3 copies)</span>",
        "On the shelf at Shire Libraries <span class=\"count\">(1 title, 2 copies)</span>",
        "Available now <span class=\"count\">(2 titles, 4 copies)</span>",
    ] {
        assert!(page.contains(label), "{label}: {page}");
    }
    let narrowed = client
        .get("/api/v1/search?q=pride+prejudice&member=SHIRE")
        .await
        .json();
    assert_eq!(narrowed["total"], 1, "{narrowed}");
    assert_eq!(narrowed["hits"][0]["id"], bibs[0].to_string(), "{narrowed}");
}

#[tokio::test]
async fn a_members_results_say_at_which_branch_a_copy_is_and_its_call_number() {
    let (server, bib) = riddles_with_copies(&[
        ("W1", "SHIRE-HOB", false),
        ("W2", "SHIRE-CEN", true),
        ("W3", "ROHAN-LAW", false),
    ])
    .await;
    let client = Client::new(&server);

    // Shire's view lists its copies by branch, each with a call number to find it by.
    let shire = client.get("/m/SHIRE/search?q=riddles").await.body;
    let own = shire
        .split(r#"<li class="own">"#)
        .nth(1)
        .and_then(|rest| rest.split("</ul>").next())
        .unwrap_or_else(|| panic!("{shire}"));
    assert!(
        own.starts_with("Shire Libraries: 2 of 2 available"),
        "{own}"
    );
    assert!(
        own.contains(
            r#"<li>Hobbiton: 1 of 1 available · <span class="callno">CALL W1</span></li>"#
        ),
        "{own}"
    );
    assert!(
        own.contains(
            r#"<li>Shire Central: 1 of 1 available · <span class="callno">CALL W2</span></li>"#
        ),
        "{own}"
    );
    // A record page says at its top whether a copy is on a shelf now, and where in the view's
    // library; in the consortium's view, how many (the kept-back copy not among them).
    let record = client.get(&format!("/m/SHIRE/record/{}", bib)).await.body;
    assert!(
        record.contains(r##"<p class="shelf-summary">3 of 3 copies on a shelf now · one at Shire Central: CALL W2 · <a href="#copies">See every copy</a></p>"##),
        "{record}"
    );
    let record = client.get(&format!("/record/{}", bib)).await.body;
    assert!(
        record.contains(
            r##"<p class="shelf-summary">2 of 2 copies on a shelf now · <a href="#copies">"##
        ),
        "{record}"
    );
    // Other libraries' copies, and every library's in the consortium's view, stay one line.
    assert!(
        shire.contains("<li>Rohan University Library: 1 of 1 available</li>"),
        "{shire}"
    );
    let everyone = client.get("/search?q=riddles").await.body;
    assert!(!everyone.contains(r#"class="branches""#), "{everyone}");

    // A patron signed in sees her own library's copies so in the consortium's view, first.
    server
        .staff("shire.circ", "circulation", "member:SHIRE")
        .await;
    let desk = server.staff_client("shire.circ").await;
    let patron = json!({"card": "W-9", "family_name": "Brandybuck", "given_names": "Meriadoc",
        "home_branch": "SHIRE-HOB", "patron_type": "adult", "expires_on": "2030-01-01", "pin": "1234"});
    let created = desk.post_json("/api/v1/patrons", &patron).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let (status, merry, session) = patron_client(&server, "W-9", "1234").await;
    assert_eq!(status, 200, "{session}");
    let mine = merry.get("/search?q=riddles").await.body;
    let own_at = mine
        .find(r#"<li class="own">Shire Libraries: 1 of 1 available<ul class="branches"><li>Hobbiton: 1 of 1 available · <span class="callno">CALL W1</span></li></ul></li>"#)
        .unwrap_or_else(|| panic!("{mine}"));
    let rohan_at = mine
        .find("<li>Rohan University Library: 1 of 1 available</li>")
        .unwrap_or_else(|| panic!("{mine}"));
    assert!(own_at < rohan_at, "{mine}");
    let record = merry.get(&format!("/record/{}", bib)).await.body;
    assert!(
        record.contains("2 of 2 copies on a shelf now · one at Hobbiton: CALL W1 · "),
        "{record}"
    );
    // In her library's view her own branch comes first, before Shire Central's code would.
    let mine = merry.get("/m/SHIRE/search?q=riddles").await.body;
    let hobbiton = mine
        .find("<li>Hobbiton: ")
        .unwrap_or_else(|| panic!("{mine}"));
    let central = mine
        .find("<li>Shire Central: ")
        .unwrap_or_else(|| panic!("{mine}"));
    assert!(hobbiton < central, "{mine}");
    assert!(
        everyone.contains("<li>Shire Libraries: 1 of 1 available</li>"),
        "{everyone}"
    );

    // The JSON gives every library's branches; a copy kept back only in its own view.
    let json = client.get("/api/v1/search?q=riddles").await.json();
    assert_eq!(
        json["hits"][0]["holdings"],
        json!([
            { "member": "ROHAN", "items": 1, "available": 1, "branches": [
                { "branch": "ROHAN-LAW", "items": 1, "available": 1, "call_number": "CALL W3" } ] },
            { "member": "SHIRE", "items": 1, "available": 1, "branches": [
                { "branch": "SHIRE-HOB", "items": 1, "available": 1, "call_number": "CALL W1" } ] },
        ]),
        "{json}"
    );
    let json = client
        .get("/api/v1/search?q=riddles&view=SHIRE")
        .await
        .json();
    assert_eq!(json["hits"][0]["holdings"][0]["member"], "SHIRE", "{json}");
    assert_eq!(
        json["hits"][0]["holdings"][0]["branches"][0]["call_number"], "CALL W2",
        "{json}"
    );
}

#[tokio::test]
async fn crawlers_are_given_every_record_page_the_consortium_shows() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    let bibs = import(
        &server,
        &[
            book("s1", "Maps of the Shire", "Took, Bell", 1980, "Maps"),
            book("s2", "Rohan horse lore", "Eorl, Young", 1950, "Horses"),
            book("s3", "Edoras muster rolls", "Theoden", 1990, "Musters"),
        ],
    )
    .await;
    add_item(&server, bibs[0], "S1", "SHIRE-CEN", false).await;
    // The third bib's only copy is one ROHAN keeps out of other members' views.
    add_item(&server, bibs[2], "R9", "ROHAN-MAIN", true).await;
    // The kept-back copy was the last change: once ROHAN's view counts it, all are indexed.
    search_until(
        &server,
        &request("edoras", Some("ROHAN")),
        WITHIN_A_SECOND,
        |r| facet_count(r, FacetField::Member, "ROHAN") == 1,
    )
    .await;
    let client = Client::new(&server);

    let robots = client.get("/robots.txt").await;
    let sitemap_line = robots
        .body
        .lines()
        .find(|line| line.starts_with("Sitemap: "))
        .unwrap_or_else(|| panic!("{}", robots.body))
        .to_owned();
    assert!(
        sitemap_line.starts_with("Sitemap: http://127.0.0.1:")
            && sitemap_line.ends_with("/sitemap.xml"),
        "{sitemap_line}"
    );
    let origin = sitemap_line
        .trim_start_matches("Sitemap: ")
        .trim_end_matches("/sitemap.xml")
        .to_owned();

    let index = client.get("/sitemap.xml").await;
    assert_eq!(index.status, 200, "{}", index.body);
    assert_eq!(
        index
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/xml; charset=utf-8")
    );
    assert!(index.body.starts_with("<?xml"), "{}", index.body);
    well_formed(&index.body);
    assert!(
        index
            .body
            .contains(r#"<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">"#),
        "{}",
        index.body
    );
    // One list of records (they are fewer than 50,000), named by its first id.
    let first = bibs[0].min(bibs[1]);
    for part in ["libraries.xml".to_owned(), format!("records-{first}.xml")] {
        assert!(
            index
                .body
                .contains(&format!("<loc>{origin}/sitemaps/{part}</loc>")),
            "{part}: {}",
            index.body
        );
    }
    assert_eq!(index.body.matches("<sitemap>").count(), 2, "{}", index.body);

    let records = client.get(&format!("/sitemaps/records-{first}.xml")).await;
    assert_eq!(records.status, 200, "{}", records.body);
    well_formed(&records.body);
    assert!(
        records
            .body
            .contains(r#"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">"#),
        "{}",
        records.body
    );
    // Both bibs everyone sees, the one without copies too; not the one kept back. Each with
    // when its record last changed.
    for (bib, listed) in [(bibs[0], true), (bibs[1], true), (bibs[2], false)] {
        assert_eq!(
            records
                .body
                .contains(&format!("<loc>{origin}/record/{bib}</loc>")),
            listed,
            "{bib}: {}",
            records.body
        );
        let changed = {
            let mut conn = server.ctx.store.read().await.unwrap();
            store::bib(&mut conn, bib)
                .await
                .unwrap()
                .unwrap()
                .updated_at
        };
        if listed {
            let entry = format!(
                "<url><loc>{origin}/record/{bib}</loc><lastmod>{}</lastmod></url>",
                concord_domain::calendar::utc_timestamp(changed)
            );
            assert!(records.body.contains(&entry), "{entry}: {}", records.body);
        }
    }
    let libraries = client.get("/sitemaps/libraries.xml").await;
    well_formed(&libraries.body);
    for page in ["/", "/m/SHIRE", "/m/ROHAN"] {
        assert!(
            libraries
                .body
                .contains(&format!("<loc>{origin}{page}</loc>")),
            "{page}: {}",
            libraries.body
        );
    }
    // A list from an id on starts there.
    let from_second = client
        .get(&format!("/sitemaps/records-{}.xml", first.0 + 1))
        .await;
    assert_eq!(
        from_second.body.matches("<url>").count(),
        1,
        "{}",
        from_second.body
    );
    // Past the last id there is nothing to list, and some names are no sitemap's.
    let past = format!("records-{}.xml", bibs[0].max(bibs[1]).max(bibs[2]).0 + 1);
    for missing in [
        past.as_str(),
        "records-x.xml",
        "records-0.txt",
        "robots.xml",
    ] {
        assert_eq!(
            client.get(&format!("/sitemaps/{missing}")).await.status,
            404,
            "{missing}"
        );
    }
}

#[tokio::test]
async fn a_facet_shows_five_values_then_more_then_all_of_them_a_page_at_a_time() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    // 25 almanacs sharing seven subjects, each with one of its own; the first has 210 more.
    let common = [
        "Almanacs",
        "Calendars",
        "Chronology",
        "Dates",
        "Ephemerides",
        "Tables",
        "Zodiac",
    ];
    let records: Vec<Record> = (1..=25)
        .map(|number| {
            let mut record = book(
                &format!("a{number}"),
                &format!("Almanac number {number}"),
                "Moore, Francis",
                1990,
                &format!("Topic {number:03}"),
            );
            let extra = if number == 1 { 210 } else { 0 };
            for subject in common
                .iter()
                .map(|s| (*s).to_owned())
                .chain((0..extra).map(|n| format!("Extra topic {n:03}")))
            {
                record.push_data(
                    DataField::new(Tag::parse("650").unwrap(), ' ', '0')
                        .with_subfield('a', &subject),
                );
            }
            record
        })
        .collect();
    import(&server, &records).await;
    search_until(&server, &request("almanac", None), WITHIN_A_SECOND, |r| {
        r.total == 25
    })
    .await;
    let client = Client::new(&server);

    // Narrowed to the seventh of seven subjects every almanac has: it is past the first five,
    // so the list of more values is open to show it.
    let page = client.get("/search?q=almanac&subject=Zodiac").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let subjects = page
        .body
        .split("<h3>Subject</h3>")
        .nth(1)
        .and_then(|rest| rest.split("</section>").next())
        .unwrap_or_else(|| panic!("{}", page.body));
    assert!(
        subjects.contains("<details open><summary>Show 15 more</summary>"),
        "{subjects}"
    );
    let (first, rest) = subjects.split_once("<details").unwrap();
    assert_eq!(first.matches("<li>").count(), 5, "{first}");
    assert!(rest.contains("<strong>Zodiac (25)</strong>"), "{rest}");
    assert!(
        subjects.contains(
            r#"<a href="/search/facet/subject?q=almanac&amp;subject=Zodiac" aria-label="See all values of Subject">See all</a>"#
        ),
        "{subjects}"
    );
    // Without it, nothing there narrows the search, and the list stays shut.
    let page = client.get("/search?q=almanac").await.body;
    assert!(
        page.contains("<details><summary>Show 15 more</summary>"),
        "{page}"
    );

    // All 242 values, most common first, 200 a page.
    let all = client.get("/search/facet/subject?q=almanac").await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert!(
        all.body.contains("<h1>Subject in the search almanac</h1>"),
        "{}",
        all.body
    );
    assert!(
        all.body
            .contains(r#"<a href="/search?q=almanac">Back to the 25 results</a>"#)
    );
    let values = |body: &str| {
        body.split(r#"<ul class="facet-values">"#)
            .nth(1)
            .and_then(|rest| rest.split("</ul>").next())
            .map_or(0, |list| list.matches("<li>").count())
    };
    assert_eq!(values(&all.body), 200);
    assert!(
        all.body.contains(r#"<a href="/search?q=almanac&amp;subject=Almanacs">Almanacs <span class="count">(25)</span></a>"#),
        "{}",
        all.body
    );
    assert!(
        all.body
            .contains(r#"href="/search/facet/subject?q=almanac&amp;values_page=2" rel="next""#),
        "{}",
        all.body
    );
    assert!(!all.body.contains(r#"rel="prev""#));
    let second = client
        .get("/search/facet/subject?q=almanac&values_page=2")
        .await;
    assert_eq!(values(&second.body), 42);
    assert!(second.body.contains(r#"rel="prev""#), "{}", second.body);
    assert!(!second.body.contains(r#"rel="next""#), "{}", second.body);
    // In a member's view, and with bad names and pages.
    let member = client.get("/m/ROHAN/search/facet/subject?q=almanac").await;
    assert_eq!(member.status, 200, "{}", member.body);
    assert!(
        member
            .body
            .contains(r#"<a href="/m/ROHAN/search?q=almanac">"#),
        "{}",
        member.body
    );
    assert_eq!(
        client.get("/search/facet/colour?q=almanac").await.status,
        404
    );
    assert_eq!(
        client
            .get("/search/facet/subject?q=almanac&values_page=0")
            .await
            .status,
        422
    );
}

#[tokio::test]
async fn advanced_search_writes_the_search_and_sends_the_patron_to_its_results() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    let bibs = import(
        &server,
        &[
            book(
                "v1",
                "Riddles in the dark",
                "Baggins, Bilbo",
                1937,
                "Riddles",
            ),
            book("v2", "Riddles of the Shire", "Took, Bell", 1985, "Hobbits"),
            book("v3", "Dark tower", "Baggins, Frodo", 1990, "Towers"),
        ],
    )
    .await;
    add_item(&server, bibs[0], "A1", "ROHAN-MAIN", false).await;
    search_until(&server, &request("riddles", None), WITHIN_A_SECOND, |r| {
        facet_count(r, FacetField::Member, "ROHAN") == 1
    })
    .await;
    let client = Client::new(&server);

    // The form offers the catalogue's formats, languages and libraries by name.
    let form = client.get("/search/advanced").await;
    assert_eq!(form.status, 200, "{}", form.body);
    for part in [
        r#"<input type="hidden" name="run" value="1">"#,
        r#"<label for="title">Title</label>"#,
        r#"<input type="checkbox" id="format-book" name="format" value="book">"#,
        r#"<option value="eng">English</option>"#,
        r#"<option value="ROHAN">Rohan University Library</option>"#,
    ] {
        assert!(form.body.contains(part), "{part}: {}", form.body);
    }
    let results = client.get("/search?q=riddles").await.body;
    assert!(
        results.contains(r#"<a href="/search/advanced">Advanced search</a>"#),
        "{results}"
    );

    // Fields and limits become an ordinary search.
    let asked = client
        .get("/search/advanced?run=1&all=riddles&author=baggins&title=&year_from=1930&year_to=1950&sort=date")
        .await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    let location = asked
        .headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap()
        .to_owned();
    assert_eq!(
        location,
        "/search?q=riddles%20author%3A%28baggins%29%20year%3A%5B1930%20TO%201950%5D&sort=date"
    );
    let found = client
        .get(&format!(
            "/api/v1/search?{}",
            location.trim_start_matches("/search?")
        ))
        .await
        .json();
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["hits"][0]["id"], bibs[0].to_string());
    // An open-ended range, and a limit to a library.
    let asked = client
        .get("/m/ROHAN/search/advanced?run=1&all=riddles&year_from=1980&member=SHIRE")
        .await;
    let location = asked.headers["location"].to_str().unwrap().to_owned();
    assert_eq!(
        location,
        "/m/ROHAN/search?q=riddles%20year%3A%5B1980%20TO%20%2A%5D&member=SHIRE"
    );
    let found = client
        .get(&format!(
            "/api/v1/search?view=ROHAN&{}",
            location.trim_start_matches("/m/ROHAN/search?")
        ))
        .await
        .json();
    assert_eq!(found["total"], 0, "{found}");
    let found = client
        .get("/api/v1/search?q=riddles%20year%3A%5B1980%20TO%20%2A%5D")
        .await
        .json();
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["hits"][0]["id"], bibs[1].to_string());

    // Years that are no years are named, and the form keeps what was typed.
    let wrong = client
        .get("/search/advanced?run=1&title=riddles&year_from=1990&year_to=1950")
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    assert!(
        wrong
            .body
            .contains("must be the same year as the first or later"),
        "{}",
        wrong.body
    );
    assert!(wrong.body.contains(r#"value="riddles""#), "{}", wrong.body);
}

#[tokio::test]
async fn recently_added_puts_new_bibs_and_new_copies_first() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    let bibs = import(
        &server,
        &[
            book("n1", "Lanterns of the north", "Rime, Ada", 1961, "Lanterns"),
            book("n2", "Lanterns of the south", "Rime, Ada", 2001, "Lanterns"),
        ],
    )
    .await;
    add_item(&server, bibs[1], "L0", "SHIRE-CEN", false).await;
    search_until(&server, &request("lanterns", None), WITHIN_A_SECOND, |r| {
        r.total == 2 && facet_count(r, FacetField::Member, "SHIRE") == 1
    })
    .await;
    let client = Client::new(&server);
    let added = |body: &serde_json::Value| -> Vec<String> {
        body["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|hit| hit["id"].as_str().unwrap().to_owned())
            .collect()
    };
    // Added together (the second with a copy): the later first.
    let found = client
        .get("/api/v1/search?q=lanterns&sort=added")
        .await
        .json();
    assert_eq!(
        added(&found),
        [bibs[1].to_string(), bibs[0].to_string()],
        "{found}"
    );
    let when = found["hits"][0]["added"].as_str().unwrap().to_owned();
    assert!(
        when.len() == 20 && when.ends_with('Z') && when.as_bytes()[10] == b'T',
        "{when}"
    );

    // A second later, a new copy of the first, and one of the second that ROHAN keeps back:
    // the first is news to everyone, the second's copy to nobody outside ROHAN.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    add_item(&server, bibs[0], "L1", "SHIRE-CEN", false).await;
    add_item(&server, bibs[1], "L2", "ROHAN-MAIN", true).await;
    search_until(
        &server,
        &request("lanterns", Some("ROHAN")),
        WITHIN_A_SECOND,
        |r| facet_count(r, FacetField::Member, "ROHAN") == 1,
    )
    .await;
    let found = client
        .get("/api/v1/search?q=lanterns&sort=added")
        .await
        .json();
    assert_eq!(
        added(&found),
        [bibs[0].to_string(), bibs[1].to_string()],
        "{found}"
    );
    let page = client.get("/search?q=lanterns").await.body;
    assert!(
        page.contains(r#"<a href="/search?q=lanterns&amp;sort=added">Recently added</a>"#),
        "{page}"
    );
    // The front pages show the newest titles, with links to all of them and to their feed; a
    // member's, those it holds (ROHAN's kept-back copy in its own view).
    for (base, narrowing, expected) in [
        ("", "", vec![bibs[0], bibs[1]]),
        ("/m/SHIRE", "member=SHIRE&amp;", vec![bibs[0], bibs[1]]),
        ("/m/ROHAN", "member=ROHAN&amp;", vec![bibs[1]]),
    ] {
        let page = client
            .get(if base.is_empty() { "/" } else { base })
            .await
            .body;
        let recent = page
            .split(r#"<h2 id="recent-heading">Recently added</h2>"#)
            .nth(1)
            .and_then(|rest| rest.split("</section>").next())
            .unwrap_or_else(|| panic!("{page}"));
        let listed: Vec<String> = recent
            .split(&format!(r#"<a class="hit-title" href="{base}/record/"#))
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .map(str::to_owned)
            .collect();
        let expected: Vec<String> = expected.iter().map(ToString::to_string).collect();
        assert_eq!(listed, expected, "{recent}");
        for link in [
            format!(
                r#"<a href="{base}/search?{narrowing}sort=added">See everything recently added</a>"#
            ),
            format!(
                r#"<a href="{base}/search/feed?{narrowing}sort=added" type="application/atom+xml">"#
            ),
        ] {
            assert!(recent.contains(&link), "{link}: {recent}");
        }
    }
    assert_eq!(
        client
            .get("/api/v1/search?q=lanterns&sort=newest")
            .await
            .status,
        422
    );

    // The same search as an Atom feed, named by the results page and the search description.
    assert!(
        page.contains(r#"<link rel="alternate" type="application/atom+xml" title="Atom feed of this search" href="/search/feed?q=lanterns">"#),
        "{page}"
    );
    let page = client
        .get("/search?q=lanterns&sort=added&page=2")
        .await
        .body;
    assert!(
        page.contains(r#"<a href="/search/feed?q=lanterns&amp;sort=added" type="application/atom+xml">Follow this search (Atom feed)</a>"#),
        "{page}"
    );
    let feed = client.get("/search/feed?q=lanterns&sort=added").await;
    assert_eq!(feed.status, 200, "{}", feed.body);
    assert_eq!(
        feed.headers["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    well_formed(&feed.body);
    let origin = client.get("/robots.txt").await.body;
    let origin = origin
        .lines()
        .find_map(|line| line.strip_prefix("Sitemap: "))
        .unwrap()
        .trim_end_matches("/sitemap.xml")
        .to_owned();
    for part in [
        r#"<feed xmlns="http://www.w3.org/2005/Atom">"#.to_owned(),
        r#"<totalResults xmlns="http://a9.com/-/spec/opensearch/1.1/">2</totalResults>"#.to_owned(),
        format!(
            r#"<link rel="self" type="application/atom+xml" href="{origin}/search/feed?q=lanterns&amp;sort=added">"#
        ),
        format!("<id>{origin}/record/{}</id>", bibs[0]),
        "<author><name>Rime, Ada</name></author>".to_owned(),
        "<summary>Book · 1961 · Shire Libraries: 1 of 1 available</summary>".to_owned(),
    ] {
        assert!(feed.body.contains(&part), "{part}: {}", feed.body);
    }
    // Entries in the search's order, the newest first, each dated.
    let first = feed
        .body
        .find(&format!("/record/{}</id>", bibs[0]))
        .unwrap();
    let second = feed
        .body
        .find(&format!("/record/{}</id>", bibs[1]))
        .unwrap();
    assert!(first < second, "{}", feed.body);
    assert_eq!(feed.body.matches("<updated>").count(), 3, "{}", feed.body);
    // A member's feed leads to its view's record pages; entries keep the record's one id.
    let rohan = client.get("/m/ROHAN/search/feed?q=lanterns").await.body;
    well_formed(&rohan);
    assert!(
        rohan.contains(&format!(r#"href="{origin}/m/ROHAN/record/{}""#, bibs[1]))
            && rohan.contains(&format!("<id>{origin}/record/{}</id>", bibs[1])),
        "{rohan}"
    );
    let description = client.get("/opensearch.xml").await.body;
    assert!(
        description.contains(&format!(r#"<Url type="application/atom+xml" method="get" template="{origin}/search/feed?q={{searchTerms}}">"#)),
        "{description}"
    );

    // A second later ROHAN adds a copy of the second for everyone: news to the consortium, not
    // at SHIRE, whose newest is still its copy of the first ("new at our library").
    tokio::time::sleep(Duration::from_millis(1100)).await;
    add_item(&server, bibs[1], "L3", "ROHAN-MAIN", false).await;
    search_until(&server, &request("lanterns", None), WITHIN_A_SECOND, |r| {
        facet_count(r, FacetField::Member, "ROHAN") == 1
    })
    .await;
    let found = client
        .get("/api/v1/search?q=lanterns&sort=added")
        .await
        .json();
    assert_eq!(
        added(&found),
        [bibs[1].to_string(), bibs[0].to_string()],
        "{found}"
    );
    let at_shire = client
        .get("/api/v1/search?q=lanterns&sort=added&member=SHIRE")
        .await
        .json();
    assert_eq!(
        added(&at_shire),
        [bibs[0].to_string(), bibs[1].to_string()],
        "{at_shire}"
    );
    // Each dated when SHIRE added its copy: the first's a second after the second's.
    let dates: Vec<&str> = at_shire["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hit| hit["added"].as_str().unwrap())
        .collect();
    assert!(dates[0] > dates[1], "{at_shire}");
    // SHIRE's feed of what is new at it, which its front page links to, in the same order.
    let feed = client
        .get("/m/SHIRE/search/feed?member=SHIRE&sort=added")
        .await
        .body;
    let first = feed.find(&format!("/record/{}</id>", bibs[0])).unwrap();
    let second = feed.find(&format!("/record/{}</id>", bibs[1])).unwrap();
    assert!(first < second, "{feed}");
}

/// Fails unless `xml` is a well-formed XML document.
fn well_formed(xml: &str) {
    let mut reader = quick_xml::Reader::from_str(xml);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(error) => panic!("{error} at {}: {xml}", reader.buffer_position()),
        }
    }
}

#[tokio::test]
async fn a_record_names_the_other_editions_and_formats_of_its_work() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    let novel = book(
        "p1",
        "Pride and prejudice",
        "Austen, Jane,",
        1813,
        "Courtship",
    );
    // Its subtitle differs; it is the same work.
    let mut reissue = Record::new(Leader::parse("00000nam a2200000 a 4500").unwrap());
    reissue.push_control(Tag::parse("001").unwrap(), "p2");
    reissue.push_data(
        DataField::new(Tag::parse("100").unwrap(), '1', ' ').with_subfield('a', "Austen, Jane,"),
    );
    reissue.push_data(
        DataField::new(Tag::parse("245").unwrap(), '1', '0')
            .with_subfield('a', "Pride and prejudice :")
            .with_subfield('b', "a novel"),
    );
    reissue
        .push_data(DataField::new(Tag::parse("260").unwrap(), ' ', ' ').with_subfield('c', "1990"));
    // A film: no main entry, the novelist among the added names, "&" for "and".
    let mut film = Record::new(Leader::parse("00000ngm a2200000 a 4500").unwrap());
    film.push_control(Tag::parse("001").unwrap(), "p3");
    film.push_data(
        DataField::new(Tag::parse("245").unwrap(), '0', '0')
            .with_subfield('a', "Pride & prejudice"),
    );
    film.push_data(DataField::new(Tag::parse("260").unwrap(), ' ', ' ').with_subfield('c', "2005"));
    for name in ["Wright, Joe,", "Austen, Jane,"] {
        film.push_data(
            DataField::new(Tag::parse("700").unwrap(), '1', ' ').with_subfield('a', name),
        );
    }
    let other = book("p4", "Persuasion", "Austen, Jane,", 1817, "Courtship");
    let bibs = import(&server, &[novel, reissue, film, other]).await;
    search_until(&server, &request("austen", None), WITHIN_A_SECOND, |r| {
        r.total == 4
    })
    .await;
    let client = Client::new(&server);

    let page = client.get(&format!("/record/{}", bibs[0])).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let editions = page
        .body
        .split("<h2>Other editions and formats</h2>")
        .nth(1)
        .and_then(|rest| rest.split("</ul>").next())
        .unwrap_or_else(|| panic!("{}", page.body));
    let film_at = editions.find(&format!(r#"href="/record/{}""#, bibs[2]));
    let reissue_at = editions.find(&format!(r#"href="/record/{}""#, bibs[1]));
    assert!(
        film_at.is_some() && reissue_at.is_some() && film_at < reissue_at,
        "the newest first: {editions}"
    );
    assert!(editions.contains("· 2005"), "{editions}");
    assert!(!editions.contains(&bibs[3].to_string()), "{editions}");
    // In a member's view the links stay in it; the JSON record gives them too.
    let rohan = client
        .get(&format!("/m/ROHAN/record/{}", bibs[0]))
        .await
        .body;
    assert!(
        rohan.contains(&format!(r#"href="/m/ROHAN/record/{}""#, bibs[2])),
        "{rohan}"
    );
    let record = client
        .get(&format!("/api/v1/records/{}", bibs[2]))
        .await
        .json();
    let ids: Vec<&str> = record["other_editions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edition| edition["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [bibs[1].to_string(), bibs[0].to_string()], "{record}");
    assert_eq!(record["other_editions"][0]["year"], 1990, "{record}");
    let persuasion = client
        .get(&format!("/api/v1/records/{}", bibs[3]))
        .await
        .json();
    assert_eq!(persuasion["other_editions"], json!([]), "{persuasion}");
}

#[tokio::test]
async fn a_member_keeps_a_whole_shelving_location_out_of_other_members_views() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    let bibs = import(
        &server,
        &[
            book(
                "h1",
                "Local history of Hobbiton",
                "Gamgee, Ham",
                1960,
                "Hobbiton",
            ),
            book("h2", "Hobbiton gardening", "Gamgee, Sam", 1970, "Gardening"),
        ],
    )
    .await;
    add_shelved_copy(&server, bibs[0], "LH1", "SHIRE-CEN", "LOCALHIST", "942 GAM").await;
    add_shelved_copy(&server, bibs[1], "GD1", "SHIRE-CEN", "STACKS", "942 GAM").await;
    let everyone = request("hobbiton", None);
    search_until(&server, &everyone, WITHIN_A_SECOND, |r| r.total == 2).await;

    // Only staff who manage SHIRE's items may keep SHIRE's locations back.
    server
        .staff("rohan.cat", "cataloguing", "member:ROHAN")
        .await;
    server
        .staff("shire.cat", "cataloguing", "member:SHIRE")
        .await;
    let rohan = server.staff_client("rohan.cat").await;
    let shire = server.staff_client("shire.cat").await;
    let url = "/api/v1/members/SHIRE/hidden-locations";
    let refused = rohan
        .put_json(url, &json!({"locations": ["LOCALHIST"]}))
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let bad = shire
        .put_json(url, &json!({"locations": ["local hist!"]}))
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("hidden_locations"), "{}", bad.body);
    let spaced = shire
        .put_json(url, &json!({"locations": ["local hist"]}))
        .await;
    assert_eq!(spaced.status, 422, "one code with a space: {}", spaced.body);
    let set = shire
        .put_json(url, &json!({"locations": ["localhist", "LOCALHIST"]}))
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(set.json()["locations"], json!(["LOCALHIST"]));
    assert_eq!(
        rohan.get(url).await.json()["locations"],
        json!(["LOCALHIST"])
    );

    // Other members no longer find, count or see the local history item; SHIRE's view does.
    let (found, _) = search_until(&server, &everyone, WITHIN_A_SECOND, |r| r.total == 1).await;
    assert_eq!(found.hits[0].bib_id, bibs[1].0);
    let in_rohan = search::search(&server.ctx, request("hobbiton", Some("ROHAN")))
        .await
        .unwrap();
    assert_eq!(in_rohan.total, 1);
    let in_shire = search::search(&server.ctx, request("hobbiton", Some("SHIRE")))
        .await
        .unwrap();
    assert_eq!(in_shire.total, 2);
    assert_eq!(facet_count(&in_shire, FacetField::Member, "SHIRE"), 2);
    let record = search::public_record(&server.ctx, bibs[0], None)
        .await
        .unwrap();
    assert!(record.holdings.is_empty(), "{:?}", record.holdings);
    let shire_code = Code::parse("view", "SHIRE").unwrap();
    let own = search::public_record(&server.ctx, bibs[0], Some(&shire_code))
        .await
        .unwrap();
    assert_eq!(own.holdings.len(), 1, "{:?}", own.holdings);

    // The staff page shows the setting and says what is wrong with a bad code; lifting it
    // there brings the item back everywhere.
    let page_url = "/admin/members/SHIRE/hidden-locations";
    let page = shire.get(page_url).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("LOCALHIST"), "{}", page.body);
    let csrf = csrf_in(&page.body);
    let wrong = shire
        .post_form(
            page_url,
            &[("csrf", &csrf), ("hidden_locations", "STACKS, hist!")],
        )
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    assert!(wrong.body.contains("STACKS, hist!"), "{}", wrong.body);
    assert_eq!(
        rohan.get(url).await.json()["locations"],
        json!(["LOCALHIST"])
    );
    let lifted = shire
        .post_form(page_url, &[("csrf", &csrf), ("hidden_locations", "")])
        .await;
    assert!(
        lifted.status == 200 || lifted.status == 303,
        "{}",
        lifted.status
    );
    assert_eq!(shire.get(url).await.json()["locations"], json!([]));
    search_until(&server, &everyone, WITHIN_A_SECOND, |r| r.total == 2).await;
    let filter = AuditFilter {
        action_prefix: Some("member.hidden_locations".into()),
        limit: 10,
        ..AuditFilter::default()
    };
    let entries =
        concord_server::service::audit::browse(&server.ctx, &Principal::Operator, &filter)
            .await
            .unwrap();
    assert_eq!(entries.len(), 2, "{entries:?}");
}

/// Staff name their member's shelving locations, and patrons read the name beside each copy
/// on the record page, its JSON and the shelf; a location nobody named shows its code, and
/// each member's names are its own.
#[tokio::test]
async fn patrons_read_each_copys_shelving_location_by_the_name_its_member_gives_it() {
    // Names and the locations in use are read from either store.
    for engine in engines() {
        let server = TestServer::start_on(engine).await;
        server.load_org(TWO_MEMBERS).await;
        let bibs = import(
            &server,
            &[
                book(
                    "n1",
                    "Riddles in the dark",
                    "Baggins, Bilbo",
                    1937,
                    "Riddles",
                ),
                book("n2", "Second breakfast", "Took, Peregrin", 1950, "Cookery"),
            ],
        )
        .await;
        let fiction = add_shelved_copy(&server, bibs[0], "N1", "SHIRE-CEN", "FIC", "823 BAG").await;
        add_shelved_copy(&server, bibs[0], "N2", "SHIRE-CEN", "REF", "823 BAG R").await;
        // ROHAN files its copy under a code SHIRE names too.
        add_shelved_copy(&server, bibs[0], "N3", "ROHAN-MAIN", "FIC", "823 BAG").await;
        add_item(&server, bibs[1], "N4", "SHIRE-HOB", false).await;
        server
            .staff("rohan.cat", "cataloguing", "member:ROHAN")
            .await;
        server
            .staff("shire.cat", "cataloguing", "member:SHIRE")
            .await;
        let rohan = server.staff_client("rohan.cat").await;
        let shire = server.staff_client("shire.cat").await;

        // Every location SHIRE's items stand at is listed, none named yet.
        let url = "/api/v1/members/SHIRE/shelving-locations";
        let listed = rohan.get(url).await;
        assert_eq!(listed.status, 200, "{}", listed.body);
        assert_eq!(
            listed.json(),
            json!([
                {"code": "FIC", "name": null, "items": 1, "kept_back": false},
                {"code": "REF", "name": null, "items": 1, "kept_back": false}
            ])
        );
        // Only staff who manage SHIRE's items name them, and a bad name is refused by name.
        let names = json!({"names": [
            {"code": "fic", "name": "Adult fiction"},
            {"code": "REF", "name": "  Reference  "},
            {"code": "LOCAL", "name": "Local history"}
        ]});
        let refused = rohan.put_json(url, &names).await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        let long = "x".repeat(81);
        let bad = shire
            .put_json(url, &json!({"names": [{"code": "FIC", "name": long}]}))
            .await;
        assert_eq!(bad.status, 422, "{}", bad.body);
        assert!(bad.body.contains("longer than 80"), "{}", bad.body);
        let set = shire.put_json(url, &names).await;
        assert_eq!(set.status, 200, "{}", set.body);
        assert_eq!(
            set.json(),
            json!([
                {"code": "FIC", "name": "Adult fiction", "items": 1, "kept_back": false},
                {"code": "LOCAL", "name": "Local history", "items": 0, "kept_back": false},
                {"code": "REF", "name": "Reference", "items": 1, "kept_back": false}
            ])
        );

        // Staff adding a copy are offered the locations by code, with their names.
        let form = shire.get(&format!("/admin/bibs/{}/items", bibs[1])).await;
        assert_eq!(form.status, 200, "{}", form.body);
        for choice in [
            "list=\"shelving-locations\"",
            "<option value=\"FIC\">Adult fiction</option>",
            "<option value=\"LOCAL\">Local history</option>",
            "<option value=\"REF\">Reference</option>",
        ] {
            assert!(form.body.contains(choice), "{choice}: {}", form.body);
        }

        // The staff record page gives each copy's code and, when named, its name.
        let staff_page = shire.get(&format!("/admin/bibs/{}", bibs[0])).await;
        assert_eq!(staff_page.status, 200, "{}", staff_page.body);
        assert!(
            staff_page.body.contains("FIC · Adult fiction"),
            "{}",
            staff_page.body
        );
        assert!(
            staff_page.body.contains("<td>FIC</td>"),
            "{}",
            staff_page.body
        );

        // The record page names SHIRE's locations; ROHAN's FIC is its own and unnamed.
        let client = Client::new(&server);
        let page = client.get(&format!("/record/{}", bibs[0])).await;
        assert_eq!(page.status, 200, "{}", page.body);
        for cell in [
            "<th scope=\"col\">Location</th>",
            "<td>Adult fiction</td>",
            "<td>Reference</td>",
            "<td>FIC</td>",
        ] {
            assert!(page.body.contains(cell), "{cell}: {}", page.body);
        }
        let record = client
            .get(&format!("/api/v1/records/{}", bibs[0]))
            .await
            .json();
        let located: Vec<(String, String)> = record["holdings"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|member| member["branches"].as_array().unwrap().clone())
            .flat_map(|branch| branch["items"].as_array().unwrap().clone())
            .map(|item| {
                (
                    item["call_number"].as_str().unwrap().to_owned(),
                    item["location"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert!(
            located.contains(&("823 BAG".into(), "Adult fiction".into())),
            "{record}"
        );
        assert!(
            located.contains(&("823 BAG R".into(), "Reference".into())),
            "{record}"
        );
        assert!(
            located.contains(&("823 BAG".into(), "FIC".into())),
            "{record}"
        );
        // A record whose copies have no location shows no empty column.
        let plain = client.get(&format!("/record/{}", bibs[1])).await;
        assert!(!plain.body.contains(">Location<"), "{}", plain.body);
        // The shelf names them too.
        let shelf = client.get(&format!("/shelf/{}", fiction.id)).await;
        assert_eq!(shelf.status, 200, "{}", shelf.body);
        assert!(
            shelf.body.contains("<td>Adult fiction</td>"),
            "{}",
            shelf.body
        );
        assert!(shelf.body.contains("<td>Reference</td>"), "{}", shelf.body);
        let shelf_json = client
            .get(&format!("/api/v1/shelf/{}", fiction.id))
            .await
            .json();
        assert_eq!(
            shelf_json["at"]["location"], "Adult fiction",
            "{shelf_json}"
        );

        // The staff page: a name cleared leaves the code, a new row names one more, and a bad
        // name is shown again as typed with what is wrong.
        let page_url = "/admin/members/SHIRE/locations";
        let form = shire.get(page_url).await;
        assert_eq!(form.status, 200, "{}", form.body);
        assert!(
            form.body.contains("value=\"Adult fiction\""),
            "{}",
            form.body
        );
        let csrf = csrf_in(&form.body);
        let wrong = shire
            .post_form(
                page_url,
                &[
                    ("csrf", &csrf),
                    ("code", "FIC"),
                    ("name", "Fiction"),
                    ("code", "ATTIC"),
                    ("name", &long),
                ],
            )
            .await;
        assert_eq!(wrong.status, 422, "{}", wrong.body);
        assert!(wrong.body.contains("value=\"Fiction\""), "{}", wrong.body);
        assert!(wrong.body.contains("value=\"ATTIC\""), "{}", wrong.body);
        assert!(wrong.body.contains("longer than 80"), "{}", wrong.body);
        let saved = shire
            .post_form(
                page_url,
                &[
                    ("csrf", &csrf),
                    ("code", "FIC"),
                    ("name", "Fiction"),
                    ("code", "REF"),
                    ("name", ""),
                    ("code", "ATTIC"),
                    ("name", "The attic"),
                    ("code", ""),
                    ("name", ""),
                ],
            )
            .await;
        assert!(
            saved.status == 200 || saved.status == 303,
            "{}",
            saved.status
        );
        let names: Vec<(String, Option<String>)> = shire
            .get(url)
            .await
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|location| {
                (
                    location["code"].as_str().unwrap().to_owned(),
                    location["name"].as_str().map(str::to_owned),
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                ("ATTIC".to_owned(), Some("The attic".to_owned())),
                ("FIC".to_owned(), Some("Fiction".to_owned())),
                ("REF".to_owned(), None),
            ]
        );
        let page = client.get(&format!("/record/{}", bibs[0])).await;
        assert!(page.body.contains("<td>Fiction</td>"), "{}", page.body);
        assert!(page.body.contains("<td>REF</td>"), "{}", page.body);
        let filter = AuditFilter {
            action_prefix: Some("member.location_names".into()),
            limit: 10,
            ..AuditFilter::default()
        };
        let entries =
            concord_server::service::audit::browse(&server.ctx, &Principal::Operator, &filter)
                .await
                .unwrap();
        assert_eq!(entries.len(), 2, "{entries:?}");
    }
}

/// Many patrons searching at once: once every search thread is busy, plain keyword searches
/// share passes over the index, and each still gets the answer it gets alone, through the API
/// as it is served (blocking search threads under the async server).
#[tokio::test]
async fn many_patrons_searching_at_once_get_the_answers_each_gets_alone() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    let bytes = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/marc/evergreen/jazz_1k.mrc"),
    )
    .unwrap();
    let mut mapping = HoldingsMapping::default();
    for (from, to) in [("HUNTINGTON", "SHIRE-HOB"), ("DESMARAIS", "SHIRE-CEN")] {
        mapping.branches.insert(from.into(), to.into());
    }
    let summary = import_marc(&server, "SHIRE", &bytes, &mapping, InvalidText::Replace).await;
    let created = summary.counts.created;
    assert!(created > 900, "{:?}", summary.counts);
    search_until(&server, &request("", None), WITHIN_A_SECOND, |r| {
        r.total == created
    })
    .await;
    // The follower makes changes searchable before tantivy's merges end, then reloads again
    // when they have; bibs with equal scores come in index order, which a merge changes. A
    // catch-up waits for the follower's own, merges and all, so every answer below is the
    // same index's.
    concord_server::service::search::catch_up(&server.ctx)
        .await
        .unwrap();
    let queries: Vec<String> = [
        "jazz",
        "piano",
        "blues",
        "quartet",
        "live",
        "music",
        "trio",
        "ellington",
        "davis",
        "the",
        "songs",
        "sessions",
    ]
    .iter()
    .flat_map(|word| {
        [
            format!("/api/v1/search?q={word}"),
            format!("/api/v1/search?q={word}&view=ROHAN&page=1&page_size=5"),
            format!("/api/v1/search?q={word}&format=music_cd"),
        ]
    })
    .collect();
    let client = Client::new(&server);
    let mut alone = Vec::new();
    for query in &queries {
        let reply = client.get(query).await;
        assert_eq!(reply.status, 200, "{query}: {}", reply.body);
        alone.push(reply.body);
    }
    // Every search through a pass, so that passes form on a machine with any number of cores.
    server
        .ctx
        .search
        .set_pass_sharing(concord_search::PassSharing::Always);
    let before = server.ctx.search.shared_pass_counts();
    for _round in 0..3 {
        let mut searches = tokio::task::JoinSet::new();
        for (query, expected) in queries.iter().zip(&alone) {
            let client = Client::new(&server);
            let (query, expected) = (query.clone(), expected.clone());
            searches.spawn(async move {
                let reply = client.get(&query).await;
                assert_eq!(reply.status, 200, "{query}: {}", reply.body);
                assert_eq!(reply.body, expected, "{query}");
            });
        }
        while let Some(done) = searches.join_next().await {
            done.unwrap();
        }
    }
    let after = server.ctx.search.shared_pass_counts();
    // Each went through a pass (how many shared one depends on the machine's cores; the search
    // crate's own test holds passes back to make them large).
    assert_eq!(
        after.searches - before.searches,
        3 * queries.len(),
        "{after:?}"
    );
}

#[tokio::test]
async fn a_record_in_its_own_script_is_found_and_shown_in_it() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    // Romanised 100 and 245, with the same in Chinese in linked 880s, as Library of Congress
    // records give them.
    let mut record = book(
        "v1",
        "Che piao qu na er le /",
        "Liu, Xugong.",
        2016,
        "Railroad travel",
    );
    let vernacular = || DataField::new(Tag::parse("880").unwrap(), '1', '0');
    record.push_data(
        vernacular()
            .with_subfield('6', "100-01/$1")
            .with_subfield('a', "刘旭恭."),
    );
    record.push_data(
        vernacular()
            .with_subfield('6', "245-02/$1")
            .with_subfield('a', "车票去哪儿了 /")
            .with_subfield('c', "刘旭恭著绘."),
    );
    let bibs = import(&server, &[record]).await;
    search_until(
        &server,
        &request("车票", None),
        Duration::from_secs(5),
        |r| r.total == 1,
    )
    .await;
    let client = Client::new(&server);
    for query in [
        "%E5%8E%BB%E5%93%AA%E5%84%BF",
        "author%3A%E5%88%98%E6%97%AD%E6%81%AD",
        "che+piao",
    ] {
        let found = client
            .get(&format!("/api/v1/search?q={query}"))
            .await
            .json();
        assert_eq!(found["total"], 1, "{query}: {found}");
    }
    let page = client.get(&format!("/record/{}", bibs[0])).await;
    assert!(
        page.body
            .contains(r#"<p class="own-script-title" dir="auto">车票去哪儿了</p>"#),
        "{}",
        page.body
    );
    assert!(page.body.contains("刘旭恭"), "{}", page.body);
    let json = client
        .get(&format!("/api/v1/records/{}", bibs[0]))
        .await
        .json();
    assert_eq!(json["title_in_own_script"], "车票去哪儿了", "{json}");
    assert!(
        json["authors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|author| author == "刘旭恭"),
        "{json}"
    );
}

#[tokio::test]
async fn a_record_page_describes_the_record_and_links_to_it_online() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    let field = |tag: &str, indicators: (char, char), subfields: &[(char, &str)]| {
        subfields.iter().fold(
            DataField::new(Tag::parse(tag).unwrap(), indicators.0, indicators.1),
            |field, (code, value)| field.with_subfield(*code, *value),
        )
    };
    let mut ebook = book(
        "d1",
        "Short stories /",
        "Writer, Ann,",
        2019,
        "Short stories",
    );
    for field in [
        field(
            "245",
            ('1', '0'),
            &[('c', "Ann Writer ; edited by Bo Editor.")],
        ),
        field("250", (' ', ' '), &[('a', "Second edition.")]),
        field(
            "264",
            (' ', '1'),
            &[('a', "London :"), ('b', "Quire Books,"), ('c', "2019.")],
        ),
        field("264", (' ', '4'), &[('c', "©2018")]),
        field("300", (' ', ' '), &[('a', "1 online resource (212 pages)")]),
        field(
            "505",
            ('0', ' '),
            &[('a', "The lighthouse -- Winter roads -- Last orders.")],
        ),
        field(
            "520",
            (' ', ' '),
            &[('a', "Twelve stories of the north coast.")],
        ),
        field(
            "586",
            (' ', ' '),
            &[('a', "Shortlisted for the Coast Prize, 2020.")],
        ),
        field(
            "541",
            ('0', ' '),
            &[('a', "Donated by Ms Secret Donor"), ('h', "£12.00")],
        ),
        field(
            "856",
            ('4', '0'),
            &[
                ('u', "https://ebooks.example.org/read/d1"),
                ('u', "javascript:alert(document.cookie)"),
                ('z', "Members sign in with their card."),
            ],
        ),
        field(
            "856",
            ('4', '2'),
            &[
                ('3', "Publisher description"),
                ('u', "http://publisher.example.org/d1"),
            ],
        ),
    ] {
        ebook.push_data(field);
    }
    let bibs = import(&server, &[ebook]).await;
    let client = Client::new(&server);
    let page = client.get(&format!("/record/{}", bibs[0])).await;
    assert_eq!(page.status, 200);
    for expected in [
        r#"<p class="responsibility">Ann Writer ; edited by Bo Editor</p>"#,
        "<dt>Edition</dt><dd>Second edition.</dd>",
        // The 260 and the 264 for publication under one heading, in the record's order.
        "<dt>Published</dt><dd>Testing Press 2019</dd><dd>London : Quire Books, 2019.</dd>\
         <dt>Copyright</dt><dd>©2018</dd>",
        "<dt>Physical description</dt><dd>1 online resource (212 pages)</dd>",
        r#"<a href="https://ebooks.example.org/read/d1" rel="noreferrer">Online access (ebooks.example.org)</a><span class="muted"> · Members sign in with their card.</span>"#,
        r#"<a href="http://publisher.example.org/d1" rel="noreferrer">Publisher description</a>"#,
        r#"<p class="summary">Twelve stories of the north coast.</p>"#,
        r#"<ul class="contents"><li>The lighthouse</li><li>Winter roads</li><li>Last orders</li></ul>"#,
        "<dt>Awards</dt><dd>Shortlisted for the Coast Prize, 2020.</dd>",
        r#""description":"Twelve stories of the north coast.""#,
        r#""bookEdition":"Second edition.""#,
        "<dt>APA</dt><dd>Writer, A. (2019). <i>Short stories</i> (Second edition). Testing Press.</dd>",
        "<dt>Chicago</dt><dd>Writer, Ann. <i>Short Stories.</i> Second edition. Testing Press, 2019.</dd>",
    ] {
        assert!(page.body.contains(expected), "{expected}\n{}", page.body);
    }
    // Zotero's connector finds the book in its COinS, on the record page and in results.
    let coins = "<span class=\"Z3988\" title=\"url_ver=Z39.88-2004&amp;ctx_ver=Z39.88-2004&amp;\
                 rft_val_fmt=info%3Aofi%2Ffmt%3Akev%3Amtx%3Abook&amp;rft.genre=book&amp;\
                 rft.btitle=Short+stories&amp;rft.au=Writer%2C+Ann&amp;rft.date=2019";
    assert!(page.body.contains(coins), "{}", page.body);
    search_until(
        &server,
        &request("lighthouse", None),
        WITHIN_A_SECOND,
        |r| r.total == 1,
    )
    .await;
    let results = client.get("/search?q=lighthouse").await;
    assert!(results.body.contains(coins), "{}", results.body);
    // The MARC view shows the address as text; no link is made of it.
    for absent in ["href=\"javascript:", "Secret Donor", "£12.00"] {
        assert!(!page.body.contains(absent), "{absent}\n{}", page.body);
    }
    // The record marks its source of acquisition private: no export carries it.
    let marcxml = client.get(&format!("/record/{}.xml", bibs[0])).await;
    assert_eq!(marcxml.status, 200);
    assert!(marcxml.body.contains("Quire Books"), "{}", marcxml.body);
    assert!(!marcxml.body.contains("Secret Donor"), "{}", marcxml.body);
    // Reference managers get the edition, the summary as abstract and the e-book's address.
    let ris = client.get(&format!("/record/{}.ris", bibs[0])).await;
    for line in [
        "ET  - Second edition.\r\n",
        "AB  - Twelve stories of the north coast.\r\n",
        "UR  - https://ebooks.example.org/read/d1\r\n",
    ] {
        assert!(ris.body.contains(line), "{line}\n{}", ris.body);
    }
    let bibtex = client.get(&format!("/record/{}.bib", bibs[0])).await;
    assert!(
        bibtex.body.contains("  edition = {Second edition.},\n"),
        "{}",
        bibtex.body
    );
    let json = client
        .get(&format!("/api/v1/records/{}", bibs[0]))
        .await
        .json();
    assert_eq!(json["responsibility"], "Ann Writer ; edited by Bo Editor");
    assert_eq!(
        json["citations"]["mla"],
        "Writer, Ann. Short Stories. Second edition, Testing Press, 2019."
    );
    assert_eq!(json["editions"], json!(["Second edition."]));
    assert_eq!(
        json["publication"],
        json!([
            { "role": "publication", "statement": "Testing Press 2019" },
            { "role": "publication", "statement": "London : Quire Books, 2019." },
            { "role": "copyright", "statement": "©2018" },
        ])
    );
    assert_eq!(
        json["contents"],
        json!([{ "completeness": "complete", "entries": ["The lighthouse", "Winter roads", "Last orders"] }])
    );
    assert_eq!(
        json["summaries"],
        json!([{ "kind": "summary", "text": "Twelve stories of the north coast." }])
    );
    assert_eq!(
        json["notes"],
        json!([{ "kind": "awards", "text": "Shortlisted for the Coast Prize, 2020." }])
    );
    assert_eq!(
        json["online"],
        json!([
            {
                "url": "https://ebooks.example.org/read/d1",
                "note": "Members sign in with their card.",
                "relationship": "resource",
            },
            {
                "url": "http://publisher.example.org/d1",
                "text": "Publisher description",
                "relationship": "related",
            },
        ])
    );
}

#[tokio::test]
async fn a_patron_browses_a_branchs_shelf_from_a_record() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    let titles = [
        ("s1", "Mrs Dalloway", "823.912 WOO"),
        ("s2", "Emma", "823.7 AUS"),
        ("s3", "Harry Potter", "823.914 ROW"),
        ("s4", "Wuthering Heights", "823.8 BRO"),
        ("s5", "The handmaid's tale", "823.92 ATW"),
        ("s6", "A local history", "823.913 LOC"),
        ("s7", "Travels", "910.4 PAL"),
        ("s8", "An atlas", "912 ATL"),
        ("s9", "A history", "940 HIS"),
    ];
    let records: Vec<Record> = titles
        .iter()
        .map(|(id, title, _)| book(id, title, "Writer, A.", 2000, "Fiction"))
        .collect();
    let bibs = import(&server, &records).await;
    for (n, (bib, (_, _, call_number))) in bibs.iter().zip(&titles).enumerate() {
        catalogue::add_item(
            &server.ctx,
            &Principal::Operator,
            *bib,
            &ItemInput {
                barcode: format!("3300{n}"),
                branch: "SHIRE-CEN".into(),
                call_number: (*call_number).into(),
                item_type: "BOOK".into(),
                status: "available".into(),
                // Shire keeps its local history to itself.
                hidden_from_other_members: call_number.contains("LOC"),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    let item_of = async |bib: BibId| {
        let mut conn = server.ctx.store.read().await.unwrap();
        store::items_of_bib(&mut conn, bib).await.unwrap()[0].id
    };
    let woolf = item_of(bibs[0]).await;
    let local = item_of(bibs[5]).await;
    let client = Client::new(&server);

    // The record page's call number leads to the shelf around that copy.
    let record = client.get(&format!("/record/{}", bibs[0])).await;
    let link = format!(
        r#"<a href="/shelf/{woolf}" title="Browse the shelf around this copy">823.912 WOO</a>"#
    );
    assert!(record.body.contains(&link), "{}", record.body);

    let titles_in_order = |body: &str| -> Vec<String> {
        body.split("<tbody>")
            .nth(1)
            .unwrap_or_default()
            .split("<tr")
            .skip(1)
            .map(|row| {
                let title_start = row.find("/record/").unwrap();
                let row = &row[title_start..];
                row[row.find('>').unwrap() + 1..row.find("</a>").unwrap()].to_owned()
            })
            .collect()
    };
    let shelf = client.get(&format!("/shelf/{woolf}")).await;
    assert_eq!(shelf.status, 200, "{}", shelf.body);
    assert!(
        shelf
            .body
            .contains("<h1>On the shelf at Shire Central: 823.912 WOO</h1>"),
        "{}",
        shelf.body
    );
    // Dewey's decimals in order, the hidden copy left out.
    let public_shelf = [
        "Emma",
        "Wuthering Heights",
        "Mrs Dalloway",
        "Harry Potter",
        "The handmaid's tale",
        "Travels",
        "An atlas",
        "A history",
    ];
    assert_eq!(titles_in_order(&shelf.body), public_shelf);
    assert!(!shelf.body.contains("Earlier on the shelf"));
    assert!(!shelf.body.contains("Further along the shelf"));
    assert!(
        shelf
            .body
            .contains(r#"<tr class="here" aria-current="true"><td>823.912 WOO</td>"#),
        "{}",
        shelf.body
    );
    // In Shire's own view the local history stands in its place.
    let own = client.get(&format!("/m/SHIRE/shelf/{woolf}")).await;
    assert_eq!(
        titles_in_order(&own.body),
        [
            "Emma",
            "Wuthering Heights",
            "Mrs Dalloway",
            "A local history",
            "Harry Potter",
            "The handmaid's tale",
            "Travels",
            "An atlas",
            "A history",
        ]
    );
    // From the first copy, six follow and a link leads further, to the sixth.
    let emma = client
        .get(&format!("/shelf/{}", item_of(bibs[1]).await))
        .await;
    assert_eq!(titles_in_order(&emma.body), public_shelf[..7]);
    let atlas = item_of(bibs[7]).await;
    assert!(
        emma.body.contains(&format!(
            r#"<a href="/shelf/{atlas}" rel="next">Further along the shelf →</a>"#
        )),
        "{}",
        emma.body
    );
    // From the last, six stand before it and a link leads earlier, to the first of them.
    let further = client
        .get(&format!("/shelf/{}", item_of(bibs[8]).await))
        .await;
    assert_eq!(titles_in_order(&further.body), public_shelf[1..]);
    assert!(
        further.body.contains(&format!(
            r#"<a href="/shelf/{}" rel="prev">← Earlier on the shelf</a>"#,
            item_of(bibs[3]).await
        )),
        "{}",
        further.body
    );
    assert!(
        own.body
            .contains(&format!(r#"href="/m/SHIRE/record/{}""#, bibs[5])),
        "{}",
        own.body
    );
    // Elsewhere it is not on the shelf at all.
    for path in [format!("/shelf/{local}"), format!("/m/ROHAN/shelf/{local}")] {
        assert_eq!(client.get(&path).await.status, 404, "{path}");
    }
    let own_local = client.get(&format!("/m/SHIRE/shelf/{local}")).await;
    assert_eq!(own_local.status, 200);
    // Its "all libraries" leads to the record, which every view has, and it names no
    // canonical shelf that others cannot see.
    assert!(
        own_local.body.contains(&format!(
            r#"<a href="/record/{}">Search all libraries</a>"#,
            bibs[5]
        )),
        "{}",
        own_local.body
    );
    assert!(
        !own_local.body.contains(r#"rel="canonical""#),
        "{}",
        own_local.body
    );
    assert!(
        own.body.contains(&format!(
            r#"<a href="/shelf/{woolf}">Search all libraries</a>"#
        )),
        "{}",
        own.body
    );
    assert_eq!(client.get("/shelf/not-an-item").await.status, 404);
    assert_eq!(client.get("/shelf/12345").await.status, 404);

    // The same as JSON, from the item id a record's holdings give.
    let record = client
        .get(&format!("/api/v1/records/{}", bibs[0]))
        .await
        .json();
    let id = record["holdings"][0]["branches"][0]["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(id, woolf.to_string());
    let shelf = client
        .get(&format!("/api/v1/shelf/{id}?each_side=2"))
        .await
        .json();
    let titles = |list: &serde_json::Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|item| item["title"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        titles(&shelf["before"]),
        ["Emma", "Wuthering Heights"],
        "{shelf}"
    );
    assert_eq!(shelf["at"]["call_number"], "823.912 WOO");
    assert_eq!(shelf["at"]["record"], bibs[0].to_string());
    assert_eq!(
        titles(&shelf["after"]),
        ["Harry Potter", "The handmaid's tale"]
    );
    assert_eq!(shelf["more_before"], false);
    assert_eq!(shelf["more_after"], true);
    assert_eq!(shelf["branch"], "SHIRE-CEN");
    let own = client
        .get(&format!("/api/v1/shelf/{id}?view=SHIRE&each_side=1"))
        .await
        .json();
    assert_eq!(titles(&own["after"]), ["A local history"], "{own}");
    let refused = client.get(&format!("/api/v1/shelf/{id}?each_side=0")).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("each_side"), "{}", refused.body);
    assert_eq!(
        client.get(&format!("/api/v1/shelf/{local}")).await.status,
        404
    );
}

#[tokio::test]
async fn a_title_in_another_language_says_which_for_screen_readers() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    let mut french = Record::new(Leader::parse("00000nam a2200000 a 4500").unwrap());
    french.push_control(Tag::parse("001").unwrap(), "l1");
    french.push_control(
        Tag::parse("008").unwrap(),
        "200101s1862    fr            000 1 fre d",
    );
    french.push_data(
        DataField::new(Tag::parse("245").unwrap(), '1', '4')
            .with_subfield('a', "Les misérables /")
            .with_subfield('c', "Victor Hugo."),
    );
    let english = book("l2", "Emma", "Austen, Jane,", 1815, "Courtship");
    let bibs = import(&server, &[french, english]).await;
    let client = Client::new(&server);
    let page = client.get(&format!("/record/{}", bibs[0])).await;
    for expected in [
        r#"<h1 lang="fr">Les misérables</h1>"#,
        r#"<p class="responsibility" lang="fr">Victor Hugo</p>"#,
    ] {
        assert!(page.body.contains(expected), "{expected}\n{}", page.body);
    }
    // An English title on an English page needs no word of it.
    let page = client.get(&format!("/record/{}", bibs[1])).await;
    assert!(page.body.contains("<h1>Emma</h1>"), "{}", page.body);
    // In results too, and the JSON hit names the language.
    search_until(&server, &request("", None), WITHIN_A_SECOND, |r| {
        r.total == 2
    })
    .await;
    let results = client.get("/search?q=&sort=title").await;
    for expected in [
        format!(r#"href="/record/{}" lang="fr">Les misérables</a>"#, bibs[0]),
        format!(r#"href="/record/{}">Emma</a>"#, bibs[1]),
    ] {
        assert!(
            results.body.contains(&expected),
            "{expected}\n{}",
            results.body
        );
    }
    let found = client.get("/api/v1/search?q=mis%C3%A9rables").await.json();
    assert_eq!(found["hits"][0]["language"], "fre", "{found}");
    // And feed readers.
    let feed = client.get("/search/feed?q=&sort=title").await;
    well_formed(&feed.body);
    for expected in [
        r#"<title xml:lang="fr">Les misérables</title>"#,
        r#"<title xml:lang="en">Emma</title>"#,
    ] {
        assert!(feed.body.contains(expected), "{expected}\n{}", feed.body);
    }
}

#[tokio::test]
async fn a_record_in_several_languages_is_found_under_each_and_names_them() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    let record = |id: &str, title: &str, field_008: &str, field_041: DataField| {
        let mut record = Record::new(Leader::parse("00000nam a2200000 a 4500").unwrap());
        record.push_control(Tag::parse("001").unwrap(), id);
        record.push_control(Tag::parse("008").unwrap(), field_008);
        record.push_data(field_041);
        record.push_data(
            DataField::new(Tag::parse("245").unwrap(), '1', '0').with_subfield('a', title),
        );
        record
    };
    let field_041 = |indicator1: char| DataField::new(Tag::parse("041").unwrap(), indicator1, ' ');
    // French poems with the English on facing pages, coded as before 2001; and an English
    // translation of a Russian novel.
    let poems = record(
        "p1",
        "Poèmes et poésies",
        "200101s1962    fr            000 1 fre d",
        field_041('0').with_subfield('a', "freeng"),
    );
    let novel = record(
        "p2",
        "Poems of a Russian summer",
        "200101s1990    enk           000 1 eng d",
        field_041('1')
            .with_subfield('a', "eng")
            .with_subfield('h', "rus"),
    );
    let bibs = import(&server, &[poems, novel]).await;
    let mut english = request("poems", None);
    english.filters = vec![(FacetField::Language, "eng".to_owned())];
    search_until(&server, &english, WITHIN_A_SECOND, |r| r.total == 2).await;

    let client = Client::new(&server);
    let page = client.get(&format!("/record/{}", bibs[0])).await;
    assert!(
        page.body
            .contains("<dt>Language</dt><dd>French, English</dd>"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Translated from"), "{}", page.body);
    let work = linked_data(&page.body);
    assert_eq!(work["inLanguage"], json!(["fr", "en"]), "{work}");
    let page = client.get(&format!("/record/{}", bibs[1])).await;
    for expected in [
        "<dt>Language</dt><dd>English</dd>",
        "<dt>Translated from</dt><dd>Russian</dd>",
    ] {
        assert!(page.body.contains(expected), "{expected}\n{}", page.body);
    }

    let record = client
        .get(&format!("/api/v1/records/{}", bibs[0]))
        .await
        .json();
    assert_eq!(record["language"], "fre", "{record}");
    assert_eq!(record["languages"], json!(["fre", "eng"]), "{record}");
    let record = client
        .get(&format!("/api/v1/records/{}", bibs[1]))
        .await
        .json();
    assert_eq!(record["original_languages"], json!(["rus"]), "{record}");

    // The language facet counts each bib under each of its languages, and the Russian
    // original is not one of them.
    let found = client.get("/api/v1/search?q=poems").await.json();
    assert_eq!(found["total"], 2, "{found}");
    let languages = &found["facets"]["language"];
    let count = |code: &str| {
        languages
            .as_array()
            .unwrap()
            .iter()
            .find(|value| value["value"] == code)
            .map(|value| value["count"].clone())
    };
    assert_eq!(count("eng"), Some(json!(2)), "{languages}");
    assert_eq!(count("fre"), Some(json!(1)), "{languages}");
    assert_eq!(count("rus"), None, "{languages}");
    let french = client
        .get("/api/v1/search?q=poems&language=fra")
        .await
        .json();
    assert_eq!(french["total"], 1, "{french}");
    assert_eq!(french["hits"][0]["id"], bibs[0].to_string(), "{french}");
}

#[tokio::test]
async fn a_film_is_cited_and_described_by_its_director_not_its_cast() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    // A DVD, its record in the usual shape: no main entry, the director with a relator, the
    // cast and the studio without one.
    let mut film = Record::new(Leader::parse("00000ngm a2200000 a 4500").unwrap());
    film.push_control(Tag::parse("001").unwrap(), "f1");
    film.push_control(Tag::parse("007").unwrap(), "vd cvaizq");
    film.push_control(
        Tag::parse("008").unwrap(),
        "030101s2002    cau119            vleng d",
    );
    let field = |tag: &str, subfields: &[(char, &str)]| {
        subfields.iter().fold(
            DataField::new(Tag::parse(tag).unwrap(), '1', ' '),
            |field, (code, value)| field.with_subfield(*code, *value),
        )
    };
    film.push_data(field(
        "245",
        &[
            ('a', "The lord of the rings :"),
            ('b', "the fellowship of the ring /"),
        ],
    ));
    film.push_data(
        DataField::new(Tag::parse("264").unwrap(), ' ', '1')
            .with_subfield('a', "Burbank, CA :")
            .with_subfield('b', "New Line Home Entertainment,")
            .with_subfield('c', "2002."),
    );
    film.push_data(field("700", &[('a', "McKellen, Ian.")]));
    film.push_data(field(
        "700",
        &[('a', "Jackson, Peter,"), ('e', "film director.")],
    ));
    let bibs = import(&server, &[film]).await;
    let client = Client::new(&server);

    let json = client
        .get(&format!("/api/v1/records/{}", bibs[0]))
        .await
        .json();
    assert_eq!(json["format"], "dvd", "{json}");
    assert_eq!(
        json["citations"]["apa"],
        "Jackson, P. (Director). (2002). The lord of the rings: the fellowship of the ring \
         [Film]. New Line Home Entertainment."
    );
    assert_eq!(
        json["citations"]["chicago"],
        "The Lord of the Rings: The Fellowship of the Ring. Directed by Peter Jackson. \
         Burbank, CA: New Line Home Entertainment, 2002. DVD."
    );
    let page = client.get(&format!("/record/{}", bibs[0])).await;
    assert!(
        page.body.contains("Jackson, P. (Director). (2002). <i>"),
        "{}",
        page.body
    );
    // Reference managers' browser connectors read the same credit from the COinS.
    let coins = page
        .body
        .split_once(r#"<span class="Z3988" title=""#)
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(title, _)| title.to_owned())
        .unwrap();
    assert!(coins.contains("rft.creator=Jackson%2C+Peter"), "{coins}");
    assert!(!coins.contains("McKellen"), "{coins}");
    let work = linked_data(&page.body);
    assert_eq!(work["@type"], "Movie", "{work}");
    assert_eq!(
        work["director"],
        json!([{ "@type": "Person", "name": "Jackson, Peter" }])
    );
    assert_eq!(
        work["contributor"],
        json!([{ "@type": "Person", "name": "McKellen, Ian" }])
    );
    assert!(work.get("author").is_none(), "{work}");
    // Reference managers take a video's authors as its directors.
    let ris = client.get(&format!("/record/{}.ris", bibs[0])).await;
    for line in [
        "TY  - VIDEO\r\n",
        "AU  - Jackson, Peter\r\n",
        "A4  - McKellen, Ian\r\n",
    ] {
        assert!(ris.body.contains(line), "{line}\n{}", ris.body);
    }
    let bibtex = client.get(&format!("/record/{}.bib", bibs[0])).await;
    assert!(
        bibtex.body.contains("  author = {Jackson, Peter},\n"),
        "{}",
        bibtex.body
    );
}

#[tokio::test]
async fn a_patron_browses_authors_subjects_and_series_and_finds_the_titles_counted() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    let with = |mut record: Record, tag: &str, subfields: &[(char, &str)]| {
        let indicators = if tag == "650" { (' ', '0') } else { ('0', ' ') };
        record.push_data(subfields.iter().fold(
            DataField::new(Tag::parse(tag).unwrap(), indicators.0, indicators.1),
            |field, (code, value)| field.with_subfield(*code, *value),
        ));
        record
    };
    let masters = [('a', "Masters of music ;"), ('v', "3")];
    let bibs = import(
        &server,
        &[
            with(
                book("b1", "Symphonies", "Dvořák, Antonín,", 1990, "Symphonies"),
                "490",
                &masters,
            ),
            with(
                book("b2", "Letters", "Dvořák, Antonín,", 1991, "Composers"),
                "650",
                &[
                    ('a', "Composers"),
                    ('z', "Czech Republic"),
                    ('v', "Correspondence."),
                ],
            ),
            with(
                book("b3", "Dances", "Dvorak, Ann,", 1992, "Dance"),
                "490",
                &masters,
            ),
            book("b4", "Local songs", "Dvorak, Zoe,", 1993, "Songs"),
        ],
    )
    .await;
    // Zoe's only copy is ROHAN's, kept out of other members' views.
    add_item(&server, bibs[0], "S1", "SHIRE-CEN", false).await;
    add_item(&server, bibs[1], "S2", "SHIRE-CEN", false).await;
    add_item(&server, bibs[2], "S3", "SHIRE-CEN", false).await;
    add_item(&server, bibs[3], "R1", "ROHAN-MAIN", true).await;
    // Every copy indexed: ROHAN sees all four, the consortium three.
    search_until(
        &server,
        &request("dvorak", Some("ROHAN")),
        WITHIN_A_SECOND,
        |r| r.total == 4,
    )
    .await;
    search_until(&server, &request("dvorak", None), WITHIN_A_SECOND, |r| {
        r.total == 3
    })
    .await;
    let client = Client::new(&server);

    // The front page leads to browsing; typed in lower case without accents.
    let front = client.get("/").await;
    assert!(
        front
            .body
            .contains(r#"<a href="/browse">Browse titles, authors, subjects and series</a>"#),
        "{}",
        front.body
    );
    let page = client.get("/browse?kind=author&from=dvo").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let rows = |body: &str| -> Vec<(String, String)> {
        body.split("<tr><td><a href=\"")
            .skip(1)
            .filter_map(|row| {
                let (href, rest) = row.split_once("\">")?;
                let (heading, rest) = rest.split_once("</a></td><td>")?;
                let (count, _) = rest.split_once("</td>")?;
                Some((html_unescape(href), format!("{heading} | {count}")))
            })
            .collect()
    };
    let listed = rows(&page.body);
    assert_eq!(
        listed
            .iter()
            .map(|(_, row)| row.as_str())
            .collect::<Vec<_>>(),
        ["Dvorak, Ann | 1 title", "Dvořák, Antonín | 2 titles"],
        "{}",
        page.body
    );
    // Each heading's search finds exactly the titles counted.
    for (href, row) in &listed {
        let results = client.get(href).await;
        let expected = if row.ends_with("2 titles") {
            "2 results"
        } else {
            "1 result"
        };
        assert!(results.body.contains(expected), "{href}: {}", results.body);
    }
    // ROHAN's view lists its own hidden copy's author too.
    let rohan = client
        .get("/m/ROHAN/browse?kind=author&from=dvorak%20z")
        .await;
    assert_eq!(
        rows(&rohan.body)
            .first()
            .map(|(href, row)| (href.as_str(), row.as_str())),
        Some((
            "/m/ROHAN/search?author=Dvorak%2C%20Zoe",
            "Dvorak, Zoe | 1 title"
        )),
        "{}",
        rohan.body
    );
    assert!(!rows(&page.body).iter().any(|(_, row)| row.contains("Zoe")));

    // Subjects with their subdivisions; series without their numbers, as JSON.
    let subjects = client
        .get("/api/v1/browse?kind=subject&from=composers")
        .await
        .json();
    assert_eq!(
        subjects["headings"][0],
        json!({ "heading": "Composers", "count": 1, "search": ["subject_heading", "Composers"] }),
        "{subjects}"
    );
    assert_eq!(
        subjects["headings"][1]["heading"], "Composers -- Czech Republic -- Correspondence",
        "{subjects}"
    );
    let series = client
        .get("/api/v1/browse?kind=series&from=MASTERS&limit=1")
        .await
        .json();
    assert_eq!(
        series["headings"][0]["heading"], "Masters of music",
        "{series}"
    );
    assert_eq!(series["headings"][0]["count"], 2, "{series}");
    assert!(series.get("earlier_before").is_none(), "{series}");
    let found = client
        .get("/api/v1/search?series_heading=Masters%20of%20music")
        .await
        .json();
    assert_eq!(found["total"], 2, "{found}");
    // The next page of authors after the first.
    let first = client.get("/api/v1/browse?limit=1").await.json();
    let after = first["later_after"].as_str().unwrap().to_owned();
    let next = client
        .get(&format!(
            "/api/v1/browse?limit=1&after={}",
            concord_domain::percent::percent_encode(&after)
        ))
        .await
        .json();
    assert_ne!(
        next["headings"][0]["heading"],
        first["headings"][0]["heading"]
    );
    assert_eq!(
        next["earlier_before"], next["headings"][0]["heading"],
        "{next}"
    );

    // Bad requests say what is wrong.
    let bad = client.get("/api/v1/browse?kind=call_number&limit=0").await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    for field in ["kind", "limit"] {
        assert!(bad.body.contains(field), "{field}: {}", bad.body);
    }
    // Crawlers are kept off browse lists.
    let robots = client.get("/robots.txt").await;
    assert!(
        robots.body.contains("Disallow: /browse\n"),
        "{}",
        robots.body
    );
}

fn html_unescape(text: &str) -> String {
    text.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

#[tokio::test]
async fn titles_are_browsed_as_they_file_each_leading_to_its_editions_or_its_record() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    let mut books = tolkien("b");
    let mut hobbies = book("b4", "Hobbies for all", "Lee, Ann", 1990, "Hobbies");
    hobbies.push_data(
        DataField::new(Tag::parse("246").unwrap(), '3', '0')
            .with_subfield('a', "Pastimes for everyone"),
    );
    books.push(hobbies);
    let bibs = import_searchable(&server, &books).await;
    let client = Client::new(&server);
    // Typed with its article, a title is found where it files.
    let page = client
        .get("/api/v1/browse?kind=title&from=The%20Hobbit&limit=2")
        .await
        .json();
    assert_eq!(page["kind"], "title", "{page}");
    assert_eq!(
        page["headings"],
        json!([
            { "heading": "The hobbit", "count": 2, "search": ["filing_title", "hobbit"] },
            { "heading": "Leaf by Niggle", "count": 1, "search": ["filing_title", "leaf by niggle"], "record": bibs[2].to_string() },
        ]),
        "{page}"
    );
    assert_eq!(page["earlier_before"], "hobbit", "{page}");
    assert_eq!(page["later_after"], "leaf by niggle", "{page}");
    // Its search finds exactly the editions counted.
    let found = client
        .get("/api/v1/search?filing_title=hobbit")
        .await
        .json();
    assert_eq!(found["total"], 2, "{found}");
    // The page before, from the value the page gives.
    let earlier = client
        .get("/api/v1/browse?kind=title&before=hobbit")
        .await
        .json();
    assert_eq!(
        earlier["headings"][0]["heading"], "Hobbies for all",
        "{earlier}"
    );
    assert_eq!(earlier["later_after"], "hobbies for all", "{earlier}");

    // The page lists them as they file, a title of several editions leading to them and one
    // of a single record to it, in the member's view too.
    let html = client.get("/m/SHIRE/browse?kind=title&from=hob").await.body;
    let hobbit = html
        .find(r#"<a href="/m/SHIRE/search?filing_title=hobbit">The hobbit</a>"#)
        .unwrap_or_else(|| panic!("{html}"));
    let leaf = html
        .find(&format!(
            r#"<a href="/m/SHIRE/record/{}">Leaf by Niggle</a>"#,
            bibs[2]
        ))
        .unwrap_or_else(|| panic!("{html}"));
    let hobbies = html.find(">Hobbies for all</a>").unwrap();
    assert!(hobbies < hobbit && hobbit < leaf, "{html}");
    assert!(html.contains("2 editions"), "{html}");
    assert!(
        html.contains(r#"<option value="title" selected>"#),
        "{html}"
    );

    // A record's other title is listed too, as written, leading to it and naming its own.
    let html = client.get("/browse?kind=title&from=past").await.body;
    assert!(
        html.contains(&format!(
            r#"<a href="/record/{}">Pastimes for everyone</a> <span class="muted">other title of Hobbies for all</span>"#,
            bibs[3]
        )),
        "{html}"
    );
    let page = client
        .get("/api/v1/browse?kind=title&from=past&limit=1")
        .await
        .json();
    assert_eq!(
        page["headings"][0]["other_title_of"], "Hobbies for all",
        "{page}"
    );
}

#[tokio::test]
async fn a_title_is_offered_as_a_patron_types_with_or_without_its_article() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    let mut books = tolkien("t");
    books.push(book("t4", "北京妇女发展报告", "Wang, Li", 2005, "Women"));
    let bibs = import_searchable(&server, &books).await;
    let client = Client::new(&server);
    // Titles come first, as they file: both editions under one title, found exactly.
    for typed in ["hob", "The Hob"] {
        let offered = client
            .get(&format!("/api/v1/suggest?q={}", typed.replace(' ', "%20")))
            .await
            .json();
        assert_eq!(
            offered["suggestions"][0],
            json!({ "kind": "title", "text": "The hobbit", "count": 2, "search": ["filing_title", "hobbit"] }),
            "{typed}: {offered}"
        );
    }
    let found = client
        .get("/api/v1/search?filing_title=hobbit")
        .await
        .json();
    assert_eq!(found["total"], 2, "{found}");
    // The results page names the title as its records write it.
    let page = client.get("/search?filing_title=hobbit").await.body;
    assert!(
        page.contains("Title: <strong>The hobbit</strong>"),
        "{page}"
    );
    // A title with one record leads to it.
    let offered = client.get("/api/v1/suggest?q=leaf").await.json();
    assert_eq!(
        offered["suggestions"][0],
        json!({ "kind": "title", "text": "Leaf by Niggle", "count": 1, "search": ["filing_title", "leaf by niggle"], "record": bibs[2].to_string() }),
        "{offered}"
    );
    // So does a word inside it, after the titles that begin so.
    let offered = client.get("/api/v1/suggest?q=nigg").await.json();
    assert_eq!(
        offered["suggestions"][0],
        json!({ "kind": "title", "text": "Leaf by Niggle", "count": 1, "search": ["filing_title", "leaf by niggle"], "record": bibs[2].to_string() }),
        "{offered}"
    );
    let options = client.get("/search/suggest?q=leaf").await.body;
    assert!(
        options.contains(&format!(
            r#"data-href="/record/{}">Leaf by Niggle <span class="muted">title</span>"#,
            bibs[2]
        )),
        "{options}"
    );
    let options = client.get("/m/SHIRE/search/suggest?q=hobbit").await.body;
    assert!(
        options.contains(
            r#"data-href="/m/SHIRE/search?filing_title=hobbit">The hobbit <span class="muted">title · 2 editions</span>"#
        ),
        "{options}"
    );
    // One Chinese character can begin a word; one Latin letter offers nothing.
    let offered = client.get("/api/v1/suggest?q=%E5%8C%97").await.json();
    assert_eq!(
        offered["suggestions"][0]["text"], "北京妇女发展报告",
        "{offered}"
    );
    let offered = client.get("/api/v1/suggest?q=t").await.json();
    assert_eq!(offered["suggestions"], json!([]), "{offered}");
    // Then the names: Tolkien's three titles.
    let offered = client.get("/api/v1/suggest?q=tolk").await.json();
    assert_eq!(
        offered["suggestions"],
        json!([{ "kind": "author", "text": "Tolkien, J. R. R.", "count": 3, "search": ["author", "Tolkien, J. R. R."] }]),
        "{offered}"
    );
}

#[tokio::test]
async fn a_name_looked_up_under_another_form_leads_to_the_one_the_catalogue_uses() {
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;
    // The name authority: Twain, with Clemens as a form a patron may look under.
    let mut authority = Record::new(Leader::parse("00000nz  a2200000n  4500").unwrap());
    authority.push_control(Tag::parse("001").unwrap(), "n79021164");
    authority.push_data(
        DataField::new(Tag::parse("100").unwrap(), '1', ' ')
            .with_subfield('a', "Twain, Mark,")
            .with_subfield('d', "1835-1910"),
    );
    authority.push_data(
        DataField::new(Tag::parse("400").unwrap(), '1', ' ')
            .with_subfield('a', "Clemens, Samuel Langhorne,")
            .with_subfield('d', "1835-1910"),
    );
    // The subject authority "Houses": its broader term, and a related subject.
    let mut houses = Record::new(Leader::parse("00000nz  a2200000n  4500").unwrap());
    houses.push_control(Tag::parse("001").unwrap(), "sh85062383");
    houses.push_data(
        DataField::new(Tag::parse("150").unwrap(), ' ', ' ').with_subfield('a', "Houses"),
    );
    houses.push_data(
        DataField::new(Tag::parse("550").unwrap(), ' ', ' ')
            .with_subfield('w', "g")
            .with_subfield('a', "Buildings"),
    );
    houses.push_data(
        DataField::new(Tag::parse("550").unwrap(), ' ', ' ')
            .with_subfield('a', "Architecture, Domestic"),
    );
    for record in [&authority, &houses] {
        let summary = import_marc(
            &server,
            "SHIRE",
            &to_iso2709(record).unwrap(),
            &HoldingsMapping::default(),
            InvalidText::Error,
        )
        .await;
        assert_eq!(summary.counts.authorities, 1, "{summary:?}");
    }
    let bibs = import_searchable(
        &server,
        &[
            book(
                "c1",
                "Roughing it",
                "Twain, Mark, 1835-1910",
                1872,
                "Travel",
            ),
            book("c2", "Cleaning", "Clean, Ann", 1990, "Houses"),
        ],
    )
    .await;
    let client = Client::new(&server);

    let page = client.get("/browse?kind=author&from=clem").await;
    assert!(
        page.body.contains(
            r#"<tr class="see"><td>Clemens, Samuel Langhorne, 1835-1910 <span class="muted">see</span> <a href="/search?author=Twain%2C%20Mark%2C%201835-1910">Twain, Mark, 1835-1910</a></td><td>1 title</td></tr>"#
        ),
        "{}",
        page.body
    );
    // In order: "Clean, Ann" before "Clemens".
    let page = client.get("/browse?kind=author&from=cle").await;
    let clean = page.body.find("Clean, Ann").unwrap();
    let clemens = page.body.find("Clemens, Samuel").unwrap();
    assert!(clean < clemens, "{}", page.body);
    let listed = client
        .get("/api/v1/browse?kind=author&from=clemens")
        .await
        .json();
    assert_eq!(
        listed["headings"][0],
        json!({
            "see_from": "Clemens, Samuel Langhorne, 1835-1910",
            "relation": "see",
            "heading": "Twain, Mark, 1835-1910",
            "count": 1,
            "search": ["author", "Twain, Mark, 1835-1910"],
        }),
        "{listed}"
    );

    // A broader subject leads down to the narrower one, a related subject across to it.
    let page = client.get("/browse?kind=subject&from=buil").await;
    assert!(
        page.body.contains(
            r#"<tr class="see"><td>Buildings <span class="muted">narrower term</span> <a href="/search?subject_heading=Houses">Houses</a></td><td>1 title</td></tr>"#
        ),
        "{}",
        page.body
    );
    let listed = client
        .get("/api/v1/browse?kind=subject&from=architecture")
        .await
        .json();
    assert_eq!(
        listed["headings"][0],
        json!({
            "see_from": "Architecture, Domestic",
            "relation": "see_also",
            "heading": "Houses",
            "count": 1,
            "search": ["subject_heading", "Houses"],
        }),
        "{listed}"
    );
    // The first page holds the references before its first heading, in alphabetical order.
    let listed = client
        .get("/api/v1/browse?kind=subject&from=houses&limit=1")
        .await
        .json();
    let entries: Vec<(&str, &str)> = listed["headings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry["see_from"].as_str().unwrap_or(""),
                entry["relation"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            ("Architecture, Domestic", "see_also"),
            ("Buildings", "narrower"),
            ("", "")
        ],
        "{listed}"
    );

    // Typing in the search box offers the headings that begin with the text, and the heading
    // an authority record leads to from a form that does.
    let offered = client.get("/api/v1/suggest?q=TW").await.json();
    assert_eq!(
        offered,
        json!({ "q": "TW", "suggestions": [{
            "kind": "author",
            "text": "Twain, Mark, 1835-1910",
            "count": 1,
            "search": ["author", "Twain, Mark, 1835-1910"],
        }] }),
        "{offered}"
    );
    let offered = client.get("/api/v1/suggest?q=clemens").await.json();
    assert_eq!(
        offered["suggestions"],
        json!([{
            "kind": "author",
            "text": "Twain, Mark, 1835-1910",
            "count": 1,
            "see_from": "Clemens, Samuel Langhorne, 1835-1910",
            "search": ["author", "Twain, Mark, 1835-1910"],
        }]),
        "{offered}"
    );
    // Subjects after authors; a related heading ("Buildings", narrower term "Houses") is for
    // the browse list, not offered for what it is not.
    let offered = client.get("/api/v1/suggest?q=ho").await.json();
    assert_eq!(
        offered["suggestions"],
        json!([{ "kind": "subject", "text": "Houses", "count": 1, "search": ["subject_heading", "Houses"] }]),
        "{offered}"
    );
    let offered = client.get("/api/v1/suggest?q=buil").await.json();
    assert_eq!(offered["suggestions"], json!([]), "{offered}");
    // One letter offers nothing; a bad limit is refused, named.
    let offered = client.get("/api/v1/suggest?q=t").await.json();
    assert_eq!(offered["suggestions"], json!([]), "{offered}");
    let bad = client.get("/api/v1/suggest?q=tw&limit=0").await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("limit"), "{}", bad.body);
    // What the search box's script lists: options that lead to the heading's titles.
    let options = client.get("/search/suggest?q=clem").await;
    assert_eq!(options.status, 200);
    assert!(
        options.body.contains(
            r#"<li role="option" id="q-suggestion-0" aria-selected="false" data-href="/search?author=Twain%2C%20Mark%2C%201835-1910">Twain, Mark, 1835-1910 <span class="muted">author, also called Clemens, Samuel Langhorne, 1835-1910 · 1 title</span></li>"#
        ),
        "{}",
        options.body
    );
    let options = client.get("/search/suggest?q=zz").await;
    assert_eq!((options.status, options.body.as_str()), (200, ""));
    // A browser's search bar gets them as OpenSearch suggestions.
    let bar = client.get("/opensearch/suggest?q=twa").await;
    assert_eq!(
        bar.headers["content-type"],
        "application/x-suggestions+json"
    );
    assert_eq!(bar.json(), json!(["twa", ["Twain, Mark, 1835-1910"]]));
    let description = client.get("/opensearch.xml").await;
    assert!(
        description
            .body
            .contains(r#"type="application/x-suggestions+json""#),
        "{}",
        description.body
    );

    // Once Twain's only copy is ROHAN's and hidden, the consortium's list has no Twain to
    // lead to: the reference goes too; ROHAN's list keeps it.
    add_item(&server, bibs[0], "R1", "ROHAN-MAIN", true).await;
    search_until(&server, &request("roughing", None), WITHIN_A_SECOND, |r| {
        r.total == 0
    })
    .await;
    let page = client.get("/browse?kind=author&from=clem").await;
    assert!(!page.body.contains("Clemens"), "{}", page.body);
    let page = client.get("/m/ROHAN/browse?kind=author&from=clem").await;
    assert!(
        page.body.contains("Clemens, Samuel Langhorne"),
        "{}",
        page.body
    );
    // Nor is it offered as patrons type, except in ROHAN's view, where it leads to ROHAN's.
    let offered = client.get("/api/v1/suggest?q=twain").await.json();
    assert_eq!(offered["suggestions"], json!([]), "{offered}");
    let offered = client
        .get("/api/v1/suggest?q=twain&view=ROHAN")
        .await
        .json();
    assert_eq!(offered["suggestions"][0]["count"], 1, "{offered}");
    let options = client.get("/m/ROHAN/search/suggest?q=twain").await;
    assert!(
        options
            .body
            .contains(r#"data-href="/m/ROHAN/search?author=Twain%2C%20Mark%2C%201835-1910""#),
        "{}",
        options.body
    );

    // An authority stored before references were kept gets them once, when asked.
    {
        let mut tx = server.ctx.store.write().await.unwrap();
        sqlx::query("DELETE FROM authority_reference")
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::query("UPDATE authority SET references_written = NULL")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let page = client.get("/m/ROHAN/browse?kind=author&from=clem").await;
    assert!(!page.body.contains("Clemens"), "{}", page.body);
    assert_eq!(
        catalogue::fill_authority_references(&server.ctx)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        catalogue::fill_authority_references(&server.ctx)
            .await
            .unwrap(),
        0
    );
    let page = client.get("/m/ROHAN/browse?kind=author&from=clem").await;
    assert!(
        page.body.contains("Clemens, Samuel Langhorne"),
        "{}",
        page.body
    );
    // Written again (as after an upgrade that keeps more of them): replaced, not doubled.
    {
        let mut tx = server.ctx.store.write().await.unwrap();
        sqlx::query("UPDATE authority SET references_written = NULL")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    assert_eq!(
        catalogue::fill_authority_references(&server.ctx)
            .await
            .unwrap(),
        2
    );
    let page = client.get("/m/ROHAN/browse?kind=author&from=clem").await;
    assert_eq!(
        page.body.matches("Clemens, Samuel Langhorne").count(),
        1,
        "{}",
        page.body
    );
    let page = client.get("/browse?kind=subject&from=buil").await;
    assert_eq!(
        page.body.matches("narrower term").count(),
        1,
        "{}",
        page.body
    );
}
