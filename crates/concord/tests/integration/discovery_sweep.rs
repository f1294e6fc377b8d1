//! Every real record in the fixtures through the public catalogue. Each bibliographic record of
//! every file under `fixtures/marc` that the lenient readers accept (up to
//! [`MAX_RECORDS_PER_FILE`], which today takes them all) is imported into one server, holdings
//! fields becoming SHIRE's items, together with a few synthetic records carrying the characters
//! that break markup and citation formats. ROHAN then gets a copy of every tenth bib and a copy
//! kept out of other members' views of another tenth, so that member views meet bibs held by
//! one member, by both, by none, and by a member that keeps its copy to itself.
//!
//! Then for every bib: the record page (with its holdings sections, by member code); the record
//! page in the view of every member holding a copy (its own copies first, marked as this
//! library's) and of one holding none; the MARCXML, RIS and BibTeX exports (BibTeX must find as
//! many people in `author` and `editor` as the record has authors and editors); the JSON record; and a keyword search for
//! its title as a patron types it (and without accents, for accented titles), both as the JSON
//! search (`total`, `hits` and `facets`, a total no smaller than the hits, the bib among the
//! hits). A bib whose every copy is kept in its member's view is searched in that view, and the
//! consortium's search must not find it. For every [`SHELVES_EVERY`]th bib, the shelf its first
//! call number leads to: a whole, light page, its call numbers in shelf order.
//!
//! Results pages are the costly part (searches with facets, rendered), so they are sampled, and
//! the sample says so in the output: for every [`RESULTS_PAGES_EVERY`]th bib and every synthetic
//! one, the HTML results page of each of its title searches (200, under 100 KB, whole markup,
//! record text escaped; if it lists the bib, the JSON search must too) and of the typed title
//! in a member's view; for every [`FOLLOW_LINKS_EVERY`]th bib and every synthetic one, each
//! facet, sort, narrowing and page link of those pages must answer 200 with a whole page, and a
//! facet value's page must total what the facet counted.
//!
//! Every failure is collected, naming the fixture file and record number, and the test fails
//! once at the end with the whole list, so one run shows everything.
//!
//! Records the importer refuses as malformed stay out (the output lists them with the reason);
//! records refused for their holdings (an item without a branch) are imported again without
//! holdings, so their bibs are checked too. Records that merge into a bib made from an earlier
//! file are not bibs of their own.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use concord_domain::auth::Principal;
use concord_domain::catalogue::ItemStatus;
use concord_domain::catalogue::holdings::{HoldingsMapping, default_layouts};
use concord_domain::catalogue::shelf::shelf_key;
use concord_domain::ids::{BibId, MemberId};
use concord_domain::languages::{language_name, language_tag};
use concord_domain::percent::percent_encode;
use concord_marc::{
    DataField, Field, InvalidText, Leader, ReadOptions, Record, RecordError, RecordOffset, Tag,
    detect_format, read_any_with_options, read_iso2709, read_marcxml, to_iso2709,
};
use concord_search::{NameRole, document_from_record};
use concord_server::service::catalogue::{self, ImportOptions};
use concord_store::catalogue as store;
use tokio::task::JoinSet;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::support::{Client, TWO_MEMBERS, TestServer, add_item, wait_for_index};

/// How many requests the sweep keeps in flight: enough to keep both cores busy while one
/// request waits on the other's I/O.
const REQUESTS_IN_FLIGHT: usize = 6;

/// The page weight a record or results page must stay under.
const MAX_PAGE_BYTES: usize = 100 * 1024;

/// How many title words a search uses, and how many hits it looks through for the bib.
const TITLE_WORDS: usize = 5;
const HITS_LOOKED_AT: usize = 100;

fn fixtures_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/marc")
}

/// Every file under `directory`, sorted, so failures are listed in a stable order.
fn files_under(directory: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![directory.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Where a bib came from.
#[derive(Debug, Clone)]
struct Source {
    file: String,
    /// One-based, as the importer numbers records.
    record_number: u64,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.record_number {
            0 => write!(f, "{} record (not found)", self.file),
            number => write!(f, "{} record {number}", self.file),
        }
    }
}

/// One fixture file's records as the lenient reader gives them, with their byte offsets and
/// their numbers in the file.
struct FixtureFile {
    name: String,
    records: Vec<(u64, Result<Record, RecordError>)>,
    numbers: Vec<u64>,
}

impl FixtureFile {
    fn new(name: String, records: Vec<(u64, Result<Record, RecordError>)>) -> FixtureFile {
        let numbers = (1..=records.len() as u64).collect();
        FixtureFile {
            name,
            records,
            numbers,
        }
    }
}

/// How many records of each file the sweep takes. Today that is every record (the largest file
/// has 2,000, and the whole sweep takes about a minute on two cores in a debug build); the cap
/// keeps a large fixture added later from slowing every test run.
const MAX_RECORDS_PER_FILE: usize = 2_000;

fn read_fixture(path: &Path) -> Option<FixtureFile> {
    let bytes = std::fs::read(path).unwrap();
    let sniffed = bytes.get(..1024).unwrap_or(&bytes);
    detect_format(sniffed)?;
    let reader = read_any_with_options(
        bytes.as_slice(),
        ReadOptions {
            invalid_text: InvalidText::Replace,
        },
    )
    .ok()?;
    let name = path
        .strip_prefix(fixtures_root())
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned();
    Some(FixtureFile::new(
        name,
        reader.with_offsets().take(MAX_RECORDS_PER_FILE).collect(),
    ))
}

/// Records with the characters that HTML, RIS and BibTeX each treat specially, in the title,
/// the author, a note and a subject; and one with a title of punctuation only.
fn synthetic_file() -> FixtureFile {
    let record = |id: &str, title: &str, author: &str| {
        let mut record = Record::new(Leader::parse("00000nam a2200000 a 4500").unwrap());
        record.push_control(Tag::parse("001").unwrap(), id);
        record.push_control(
            Tag::parse("008").unwrap(),
            "200101s2020    xxu           000 0 eng d",
        );
        record.push_data(
            DataField::new(Tag::parse("100").unwrap(), '1', ' ').with_subfield('a', author),
        );
        record.push_data(
            DataField::new(Tag::parse("245").unwrap(), '1', '0')
                .with_subfield('a', title)
                .with_subfield('c', "by someone\twith a tab."),
        );
        record.push_data(
            DataField::new(Tag::parse("260").unwrap(), ' ', ' ')
                .with_subfield('b', "Smith & Sons {Press}")
                .with_subfield('c', "2020"),
        );
        record.push_data(
            DataField::new(Tag::parse("500").unwrap(), ' ', ' ').with_subfield(
                'a',
                "A note\non two lines & <b>bold</b>, a bell\u{7} and \u{88}markers\u{89}.",
            ),
        );
        record.push_data(
            DataField::new(Tag::parse("650").unwrap(), ' ', '0')
                .with_subfield('a', "Fish & chips <cookery>")
                .with_subfield('x', "History."),
        );
        record
    };
    let records = [
        record(
            "synthetic-1",
            "Fish & chips <script>alert(1)</script> for 100% of {curly} cooks",
            "O'Brien, \"Pat\" <pat@example.org>",
        ),
        record(
            "synthetic-2",
            "Costs in $ and # of items_with underscores ~ tilde ^ caret \\ backslash",
            "Back\\slash, T. {Tex}",
        ),
        record(
            "synthetic-3",
            "A title\nbroken over\r\nlines\tand tabbed",
            "Newline,\nAuthor",
        ),
        record("synthetic-4", "... / :", "Nobody, N."),
        // Accents as MARC-8 records give them: combining characters after their letters.
        record(
            "synthetic-5",
            "Bibliothe\u{300}que de Que\u{301}bec",
            "Mu\u{308}ller, Hans",
        ),
    ];
    let mut bytes = Vec::new();
    for record in &records {
        bytes.extend(to_iso2709(record).unwrap());
    }
    let reader = read_any_with_options(bytes.as_slice(), ReadOptions::default()).unwrap();
    FixtureFile::new(
        "(synthetic special characters)".into(),
        reader.with_offsets().collect(),
    )
}

/// Maps every branch code the fixtures' holdings fields name to one of SHIRE's two branches,
/// so that records with items import with them instead of being refused for an unknown branch.
fn branch_mapping(files: &[FixtureFile]) -> HoldingsMapping {
    let mut codes = BTreeSet::new();
    for file in files {
        for record in file.records.iter().filter_map(|(_, r)| r.as_ref().ok()) {
            for layout in default_layouts() {
                for field in record.fields(&layout.tag) {
                    let branch_subfields = [Some(layout.branch), layout.current_branch];
                    for code in branch_subfields.into_iter().flatten() {
                        if let Some(value) = field.subfield(code) {
                            codes.insert(value.trim().to_string());
                        }
                    }
                }
            }
        }
    }
    let mut mapping = HoldingsMapping::default();
    for (n, code) in codes.into_iter().enumerate() {
        let branch = if n % 2 == 0 { "SHIRE-CEN" } else { "SHIRE-HOB" };
        mapping.branches.insert(code, branch.into());
    }
    mapping
}

/// Gives ROHAN an item of every tenth bib, shown to everyone, and of another tenth, kept out of
/// other members' views, so that member views meet bibs held by one member, by both, and by
/// one that hides its copy.
async fn add_rohan_items(server: &TestServer, bibs: &[Bib]) {
    for (n, bib) in bibs.iter().enumerate() {
        let (branch, hidden) = match n % 10 {
            3 => ("ROHAN-MAIN", false),
            7 => ("ROHAN-LAW", true),
            _ => continue,
        };
        add_item(server, bib.id, &format!("ROHAN{n:06}"), branch, hidden).await;
    }
}

/// Fills in which members hold each bib's items, from the store.
async fn find_holders(server: &TestServer, bibs: &mut [Bib]) {
    let mut conn = server.ctx.store.read().await.unwrap();
    let codes: BTreeMap<MemberId, String> = concord_store::org::list_members(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .map(|member| (member.id, member.code.to_string()))
        .collect();
    let items = store::items_of_bib_range(&mut conn, BibId(i64::MIN), BibId(i64::MAX))
        .await
        .unwrap();
    let mut holders: BTreeMap<BibId, Holders> = BTreeMap::new();
    for item in items
        .iter()
        .filter(|item| item.status != ItemStatus::Withdrawn)
    {
        let code = codes[&item.member_id].clone();
        let bib = holders.entry(item.bib_id).or_default();
        if !item.hidden_from_other_members {
            bib.shown_to_all.insert(code.clone());
        }
        bib.any.insert(code);
    }
    for bib in bibs {
        bib.holders = holders.remove(&bib.id).unwrap_or_default();
    }
}

/// The fields the shared bib keeps of a source record: everything but the holdings fields.
fn bib_fields(record: &Record, mapping: &HoldingsMapping) -> Vec<Field> {
    record
        .fields
        .iter()
        .filter(|field| !mapping.is_holdings_tag(field.tag().as_str()))
        .cloned()
        .collect()
}

/// One bib to check, with its stored record.
#[derive(Clone)]
struct Bib {
    id: BibId,
    source: Source,
    /// The stored record, or why it cannot be read.
    record: Result<Arc<Record>, String>,
    /// The members with its items (filled in once every item is added).
    holders: Holders,
}

/// Which members hold a bib's items.
#[derive(Clone, Default)]
struct Holders {
    /// Members with any item of the bib.
    any: BTreeSet<String>,
    /// Members with an item that other members' views show.
    shown_to_all: BTreeSet<String>,
}

/// Imports one file for SHIRE and returns the bibs it created, each with the record it came
/// from (found by its fields, which the bib keeps as they were read), and the records refused
/// for their holdings (an item without a branch, say), to be imported again without them.
async fn import_file(
    server: &TestServer,
    file: &FixtureFile,
    mapping: &HoldingsMapping,
    rejections: &mut BTreeMap<String, Vec<String>>,
    newest_bib: &mut i64,
) -> (Vec<Bib>, Option<FixtureFile>) {
    let mut refused_for_holdings = Vec::new();
    let records = file
        .records
        .iter()
        .map(|(offset, record)| (*offset, record.clone()));
    let summary = catalogue::import(
        &server.ctx,
        &Principal::Operator,
        records,
        &ImportOptions {
            member_code: "SHIRE",
            mapping,
            batch_size: catalogue::DEFAULT_BATCH_SIZE,
            file_name: &file.name,
        },
        |rejection| {
            let parsed = rejection
                .record
                .as_deref()
                .and_then(|bytes| read_iso2709(bytes).next())
                .and_then(Result::ok);
            if let Some(record) = parsed
                && !rejection.reason.starts_with("cannot store")
            {
                refused_for_holdings.push((rejection.record_number, record));
            }
        },
        |_| {},
    )
    .await
    .unwrap();
    for rejection in &summary.rejections {
        rejections
            .entry(file.name.clone())
            .or_default()
            .push(format!("{} {}", rejection.record_number, rejection.reason));
    }
    let mut created = Vec::new();
    let mut after = *newest_bib;
    loop {
        let mut conn = server.ctx.store.read().await.unwrap();
        let page = store::bibs_page(&mut conn, None, None, after, 1000)
            .await
            .unwrap();
        drop(conn);
        let Some(last) = page.last() else { break };
        after = last.id.0;
        created.extend(page);
    }
    *newest_bib = after;
    let refused = (!refused_for_holdings.is_empty()).then(|| FixtureFile {
        name: file.name.clone(),
        numbers: refused_for_holdings.iter().map(|(n, _)| *n).collect(),
        records: refused_for_holdings
            .into_iter()
            .map(|(_, record)| (0, Ok(record)))
            .collect(),
    });
    // Each bib is the first record of its file with its fields not taken by an earlier bib: a
    // record that replaced an earlier version of itself (a later 005 under the same 001) has
    // its bib where the earlier version made it.
    let mut taken = std::collections::HashSet::new();
    let bibs = created
        .into_iter()
        .map(|bib| {
            let record = match read_iso2709(&bib.marc).next() {
                Some(Ok(record)) => Ok(Arc::new(record)),
                Some(Err(error)) => Err(error.to_string()),
                None => Err("no record".to_string()),
            };
            let fields = record.as_ref().map_or(&[][..], |r| r.fields.as_slice());
            let position = file
                .records
                .iter()
                .enumerate()
                .find(|(position, (_, source))| {
                    !taken.contains(position)
                        && source
                            .as_ref()
                            .is_ok_and(|source| bib_fields(source, mapping) == fields)
                })
                .map(|(position, _)| position);
            if let Some(position) = position {
                taken.insert(position);
            }
            Bib {
                id: bib.id,
                source: Source {
                    file: file.name.clone(),
                    record_number: position
                        .and_then(|p| file.numbers.get(p).copied())
                        .unwrap_or(0),
                },
                record,
                holders: Holders::default(),
            }
        })
        .collect();
    (bibs, refused)
}

// ----- the checks -----

/// Text as maud escapes it in a page.
fn html_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            other => out.push(other),
        }
    }
    out
}

fn html_unescaped(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Problems of an HTML page that record data could cause: an `&` that starts no character
/// reference, a `<` that starts no tag, control characters HTML does not allow.
fn markup_problems(page: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if !page.starts_with("<!DOCTYPE html>") || !page.trim_end().ends_with("</html>") {
        problems.push("not a whole HTML document".to_string());
    }
    for (at, character) in page.char_indices() {
        let rest = &page[at + character.len_utf8()..];
        match character {
            '&' => {
                let reference: String = rest.chars().take_while(|c| *c != ';').take(12).collect();
                let well_formed = !reference.is_empty()
                    && reference.len() < 12
                    && rest.len() > reference.len()
                    && reference
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '#');
                if !well_formed {
                    problems.push(format!("bare & before {:?}", excerpt(rest)));
                }
            }
            '<' if !rest.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!') => {
                problems.push(format!("bare < before {:?}", excerpt(rest)));
            }
            c if c.is_control() && !matches!(c, '\n' | '\r' | '\t') => {
                problems.push(format!(
                    "control character {c:?} before {:?}",
                    excerpt(rest)
                ));
            }
            _ => {}
        }
        if problems.len() > 3 {
            break;
        }
    }
    problems
}

/// The subfields of `record` with markup in them that appear unescaped in `page`: values with
/// markup in them must only ever appear escaped.
fn unescaped_record_text(page: &str, record: &Record) -> Vec<String> {
    let mut problems = Vec::new();
    for field in &record.fields {
        if let Field::Data(data) = field {
            for subfield in &data.subfields {
                let value = subfield.value.as_str();
                let looks_like_markup = value.contains('<')
                    && value
                        .split('<')
                        .skip(1)
                        .any(|after| after.starts_with(|c: char| c.is_ascii_alphabetic()));
                if looks_like_markup && page.contains(value) {
                    problems.push(format!(
                        "page: {} ${} appears unescaped",
                        data.tag, subfield.code
                    ));
                }
            }
        }
    }
    problems
}

fn excerpt(text: &str) -> String {
    text.chars().take(30).collect()
}

fn check_record_page(page: &str, record: &Record, failures: &mut Vec<String>) {
    if page.len() >= MAX_PAGE_BYTES {
        failures.push(format!("page weighs {} bytes", page.len()));
    }
    for problem in markup_problems(page) {
        failures.push(format!("page: {problem}"));
    }
    let document = document_from_record(0, record, Vec::new());
    // The title says in which language it is, unless in the page's own (English).
    let lang = document
        .language
        .as_deref()
        .and_then(language_tag)
        .filter(|tag| *tag != "en")
        .map(|tag| format!(" lang=\"{tag}\""))
        .unwrap_or_default();
    let heading = format!("<h1{lang}>{}</h1>", html_escaped(&document.title));
    if !page.contains(&heading) {
        failures.push(format!("page has no heading {heading:?}"));
    }
    // Every language of its text is named (008 and 041, codes run together cut apart).
    if !document.languages.is_empty() {
        let names: Vec<&str> = document
            .languages
            .iter()
            .map(|code| language_name(code).unwrap_or(code))
            .collect();
        let line = format!(
            "<dt>Language</dt><dd>{}</dd>",
            html_escaped(&names.join(", "))
        );
        if !page.contains(&line) {
            failures.push(format!("page has no language line {line:?}"));
        }
    }
    failures.extend(unescaped_record_text(page, record));
    // The MARC view shows every field, one line each, starting with its tag.
    let marc_view = page
        .split_once("<pre class=\"marc\">")
        .and_then(|(_, rest)| rest.split_once("</pre>"))
        .map(|(view, _)| html_unescaped(view));
    match marc_view {
        None => failures.push("page has no MARC view".to_string()),
        Some(view) => {
            let line_tags: BTreeSet<&str> = view.lines().filter_map(|line| line.get(..3)).collect();
            let missing_tags: Vec<String> = record
                .fields
                .iter()
                .map(|field| field.tag().as_str().to_string())
                .filter(|tag| !line_tags.contains(tag.as_str()))
                .collect();
            if !missing_tags.is_empty() {
                failures.push(format!("MARC view lacks tags {missing_tags:?}"));
            }
            if !view.starts_with(record.leader.as_str()) {
                failures.push("MARC view does not start with the leader".to_string());
            }
            let lines = view.lines().count();
            if lines != record.fields.len() + 1 {
                failures.push(format!(
                    "MARC view has {lines} lines for a leader and {} fields",
                    record.fields.len()
                ));
            }
        }
    }
}

/// The record as MARCXML can carry it. XML 1.0 has no way to write C0 control characters
/// (other than tab, line feed and carriage return), not even as character references, so the
/// writer puts U+FFFD in their place (see `concord_marc::marcxml`); such characters come only
/// from broken records (marc4j's "bad characters" test record has U+0014 as indicators). The
/// export of such a record is compared with the record after that same substitution.
fn as_xml_carries_it(record: &Record) -> Record {
    let carried = |c: char| {
        if matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
        {
            '\u{fffd}'
        } else {
            c
        }
    };
    let mut record = record.clone();
    for field in &mut record.fields {
        match field {
            Field::Control(control) => control.value = control.value.chars().map(carried).collect(),
            Field::Data(data) => {
                data.indicator1 = carried(data.indicator1);
                data.indicator2 = carried(data.indicator2);
                for subfield in &mut data.subfields {
                    subfield.code = carried(subfield.code);
                    subfield.value = subfield.value.chars().map(carried).collect();
                }
            }
        }
    }
    record
}

/// The public MARCXML is the stored record without what it marks private (541, 561 and 583
/// with first indicator 0, nonpublic `$x` notes), field for field.
fn check_marcxml(body: &str, record: &Record, failures: &mut Vec<String>) {
    let read: Vec<Result<Record, RecordError>> = read_marcxml(body.as_bytes()).collect();
    let mut public = record.clone();
    concord_search::remove_private(&mut public);
    let record = &as_xml_carries_it(&public);
    match read.as_slice() {
        [Ok(back)] => {
            if back.leader != record.leader {
                failures.push(format!(
                    "MARCXML leader {:?} is not the stored {:?}",
                    back.leader.as_str(),
                    record.leader.as_str()
                ));
            }
            if back.fields != record.fields {
                let differing = back
                    .fields
                    .iter()
                    .zip(&record.fields)
                    .find(|(a, b)| a != b)
                    .map(|(a, b)| format!("{a:?} instead of {b:?}"))
                    .unwrap_or_else(|| {
                        format!(
                            "{} fields instead of {}",
                            back.fields.len(),
                            record.fields.len()
                        )
                    });
                failures.push(format!("MARCXML reads back differently: {differing}"));
            }
        }
        other => failures.push(format!(
            "MARCXML reads back as {} records: {:?}",
            other.len(),
            other.iter().filter_map(|r| r.as_ref().err()).next()
        )),
    }
}

fn check_ris(body: &str, failures: &mut Vec<String>) {
    let Some(text) = body.strip_suffix("\r\n") else {
        failures.push("RIS does not end with a line end".to_string());
        return;
    };
    let lines: Vec<&str> = text.split("\r\n").collect();
    if !lines.first().is_some_and(|line| line.starts_with("TY  - ")) {
        failures.push("RIS does not start with TY".to_string());
    }
    if lines.last() != Some(&"ER  - ") {
        failures.push("RIS does not end with ER".to_string());
    }
    for line in lines {
        let tag_ok = line.is_empty()
            || (line.len() >= 6
                && line.as_bytes()[0].is_ascii_uppercase()
                && (line.as_bytes()[1].is_ascii_uppercase()
                    || line.as_bytes()[1].is_ascii_digit())
                && &line.as_bytes()[2..6] == b"  - ");
        if !tag_ok || line.contains(['\r', '\n', '\t']) {
            failures.push(format!("RIS line {line:?}"));
        }
    }
}

/// The LaTeX escapes a BibTeX value may use for the characters that are special to it.
const BIBTEX_ESCAPES: [&str; 12] = [
    "\\textbackslash{}",
    "\\textasciitilde{}",
    "\\textasciicircum{}",
    "\\textbraceleft{}",
    "\\textbraceright{}",
    "\\{",
    "\\}",
    "\\%",
    "\\&",
    "\\$",
    "\\#",
    "\\_",
];

/// How many people BibTeX finds in an `author` value: it separates them at the word `and`, in
/// any case, outside braces.
fn bibtex_people(value: &str) -> usize {
    let mut depth = 0;
    let mut people = 1;
    for word in value.split(' ') {
        if depth == 0 && word.eq_ignore_ascii_case("and") {
            people += 1;
        }
        for character in word.chars() {
            match character {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
        }
    }
    people
}

/// Checks one BibTeX entry: `@type{key,` then `  name = {value}` lines, `}` last. BibTeX counts
/// every brace (a backslash does not hide one), so a value is valid when its braces balance;
/// and every character special to LaTeX must come escaped. In `author` and `editor`, braces
/// group a name (an organisation's) so that BibTeX takes it whole, and BibTeX must find as many
/// people as the record has authors and editors to cite (`people`).
fn check_bibtex(body: &str, people: (usize, usize), failures: &mut Vec<String>) {
    let mut lines = body.lines();
    let head = lines.next().unwrap_or("");
    let head_ok = head
        .strip_prefix('@')
        .and_then(|rest| rest.strip_suffix(','))
        .and_then(|rest| rest.split_once('{'))
        .is_some_and(|(kind, key)| {
            !kind.is_empty()
                && kind.chars().all(|c| c.is_ascii_lowercase())
                && !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':'))
        });
    if !head_ok {
        failures.push(format!("BibTeX entry starts {head:?}"));
    }
    let rest: Vec<&str> = lines.collect();
    if rest.last() != Some(&"}") || body.lines().filter(|l| l.starts_with('@')).count() != 1 {
        failures.push("BibTeX is not one entry closed by }".to_string());
    }
    for line in rest.iter().take(rest.len().saturating_sub(1)) {
        let field = line
            .strip_prefix("  ")
            .and_then(|line| line.split_once(" = {"))
            .and_then(|(name, value)| {
                let value = value.strip_suffix(',').unwrap_or(value);
                Some((name, value.strip_suffix('}')?))
            });
        let Some((name, value)) = field else {
            failures.push(format!("BibTeX line {line:?}"));
            continue;
        };
        if !name.chars().all(|c| c.is_ascii_lowercase()) {
            failures.push(format!("BibTeX field name {name:?}"));
        }
        let mut depth = 0i32;
        for character in value.chars() {
            match character {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            if depth < 0 {
                break;
            }
        }
        if depth != 0 {
            failures.push(format!("BibTeX {name} has unbalanced braces: {value:?}"));
        }
        if name == "url" {
            continue;
        }
        let mut stripped = value.to_string();
        for escape in BIBTEX_ESCAPES {
            stripped = stripped.replace(escape, "");
        }
        let expected = match name {
            "author" => Some(people.0),
            "editor" => Some(people.1),
            _ => None,
        };
        if let Some(expected) = expected {
            stripped = stripped.replace(['{', '}'], "");
            if bibtex_people(value) != expected {
                failures.push(format!(
                    "BibTeX finds {} people in {name} {value:?}, not {expected}",
                    bibtex_people(value)
                ));
            }
        }
        if let Some(special) = stripped.chars().find(|c| {
            matches!(
                c,
                '{' | '}' | '%' | '&' | '$' | '#' | '_' | '~' | '^' | '\\'
            )
        }) {
            failures.push(format!(
                "BibTeX {name} has an unescaped {special:?}: {value:?}"
            ));
        }
    }
}

/// The first few words of 245 $a as a patron types them: composed (NFC), as keyboards give
/// letters with accents; a script's own marks (a Devanagari vowel sign or virama) kept in their
/// word, as its keyboards type them; romanisation's ligature halves (`t︠s︡`) left out, as no
/// keyboard types them.
fn title_words(record: &Record) -> Vec<String> {
    let title: String = record
        .field("245")
        .and_then(|field| field.subfield('a'))
        .unwrap_or("")
        .nfc()
        .filter(|c| !('\u{FE20}'..='\u{FE2F}').contains(c))
        .collect();
    title
        .split(|c: char| !c.is_alphanumeric() && !is_combining_mark(c))
        .map(|word| word.trim_start_matches(is_combining_mark))
        .filter(|word| !word.is_empty())
        .take(TITLE_WORDS)
        .map(str::to_string)
        .collect()
}

/// The words typed without their accents, when that makes them plain ASCII and different
/// (a Latin-script title with accents), as many patrons type them.
fn unaccented(words: &[String]) -> Option<String> {
    let typed = words.join(" ");
    let folded = concord_domain::text::fold(&typed);
    (folded.is_ascii() && folded != typed.to_lowercase()).then_some(folded)
}

/// The JSON search for `query` in `view` (a member's code, or the consortium's when `None`):
/// whether it has bib `id` among its first hits, and its total; `None` when the answer is
/// wrong (said in `failures`). A valid answer has `total`, `hits` and `facets`, and a total no
/// smaller than the hits it gives.
async fn search_json(
    client: &Client,
    query: &str,
    view: Option<&str>,
    id: BibId,
    failures: &mut Vec<String>,
) -> Option<(bool, u64)> {
    let view_parameter = view.map_or_else(String::new, |code| format!("&view={code}"));
    let url = format!(
        "/api/v1/search?q={}&page_size={HITS_LOOKED_AT}{view_parameter}",
        percent_encode(query)
    );
    let answer = client.get(&url).await;
    if answer.status != 200 {
        failures.push(format!("a search for {query:?} answered {}", answer.status));
        return None;
    }
    let body: serde_json::Value = match serde_json::from_str(&answer.body) {
        Ok(body) => body,
        Err(error) => {
            failures.push(format!("a search for {query:?} is not JSON: {error}"));
            return None;
        }
    };
    let (Some(total), Some(hits), true) = (
        body["total"].as_u64(),
        body["hits"].as_array(),
        body["facets"].is_object(),
    ) else {
        failures.push(format!(
            "a search for {query:?} lacks total, hits or facets: {}",
            excerpt(&answer.body)
        ));
        return None;
    };
    if total < hits.len() as u64 {
        failures.push(format!(
            "a search for {query:?} totals {total} but gives {} hits",
            hits.len()
        ));
    }
    Some((hits.iter().any(|hit| hit["id"] == id.to_string()), total))
}

/// The member names of a record page's holdings sections, in page order, each with whether it
/// is marked as the viewer's own library.
fn holdings_sections(page: &str) -> Vec<(String, bool)> {
    page.split("<section class=\"holdings\"><h3>")
        .skip(1)
        .filter_map(|rest| rest.split_once("</h3>"))
        .map(|(heading, _)| match heading.split_once(" <span") {
            Some((name, marker)) => (html_unescaped(name), marker.contains("this library")),
            None => (html_unescaped(heading), false),
        })
        .collect()
}

/// Checks that a record page in `view` (a member's code, or the consortium's when `None`)
/// lists the members whose copies the view shows: the viewing member's own first and marked
/// as such, then the others by code.
fn check_holdings_sections(
    page: &str,
    holders: &Holders,
    view: Option<&str>,
    names: &BTreeMap<String, String>,
    failures: &mut Vec<String>,
) {
    let own = view.filter(|code| holders.any.contains(*code));
    let others = holders
        .shown_to_all
        .iter()
        .filter(|code| Some(code.as_str()) != view);
    let expected: Vec<(String, bool)> = own
        .map(|code| (names[code].clone(), true))
        .into_iter()
        .chain(others.map(|code| (names[code].clone(), false)))
        .collect();
    let found = holdings_sections(page);
    if found != expected {
        failures.push(format!(
            "holdings sections {found:?} instead of {expected:?}"
        ));
    }
}

/// The total a results page states in its heading ("1 result", "4,371 results").
fn results_total(page: &str) -> Option<u64> {
    let (_, rest) = page.split_once("<h2 id=\"results-heading\">")?;
    let (heading, _) = rest.split_once("</h2>")?;
    heading.split(' ').next()?.replace(',', "").parse().ok()
}

/// Every link of a results page to another results page (facets, removing a narrowing, sorts,
/// pages), as the browser would request it.
fn search_links(page: &str) -> Vec<String> {
    page.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split_once('"'))
        .map(|(href, _)| html_unescaped(href))
        .filter(|href| {
            href.starts_with("/search")
                || href
                    .strip_prefix("/m/")
                    .and_then(|rest| rest.split_once('/'))
                    .is_some_and(|(_, path)| path.starts_with("search"))
        })
        .collect()
}

/// The facet links of a results page with the count each promises.
fn facet_links(page: &str) -> Vec<(String, u64)> {
    let Some((_, facets)) = page.split_once("<aside class=\"facets\"") else {
        return Vec::new();
    };
    counted_links(facets.split("</aside>").next().unwrap_or(""))
}

/// The links of a stretch of a page that end in a count, `… <span class="count">(12)</span>`
/// or, for holdings, `(12 titles, 15 copies)`, with that count (of records).
fn counted_links(html: &str) -> Vec<(String, u64)> {
    html.split("<a href=\"")
        .skip(1)
        .filter_map(|rest| {
            let (href, rest) = rest.split_once('"')?;
            let (link, _) = rest.split_once("</a>")?;
            let (_, count) = link.split_once("<span class=\"count\">(")?;
            let count = count
                .split(|c: char| !(c.is_ascii_digit() || c == ','))
                .next()?
                .replace(',', "")
                .parse()
                .ok()?;
            Some((html_unescaped(href), count))
        })
        .collect()
}

/// What checking one results page found.
#[derive(Default)]
struct ResultsChecked {
    /// Whether the page lists the bib.
    found: bool,
    bytes: usize,
    links_followed: usize,
    /// Facet links whose page's total was compared with the facet's count.
    facet_totals_compared: usize,
}

/// Checks the HTML results page at `path` (200, weight, markup, the record's text escaped),
/// whether it lists bib `id`, and when `follow_links`, every results page it links to: each
/// answers 200 as a whole page of its own, and a facet value's page totals what the facet
/// counted.
async fn check_results_page(
    client: &Client,
    path: &str,
    id: BibId,
    record: &Record,
    follow_links: bool,
    failures: &mut Vec<String>,
) -> ResultsChecked {
    let page = client.get(path).await;
    let mut checked = ResultsChecked {
        bytes: page.body.len(),
        ..ResultsChecked::default()
    };
    if page.status != 200 {
        failures.push(format!("{path} answered {}", page.status));
        return checked;
    }
    check_results_markup(path, &page.body, failures);
    for problem in unescaped_record_text(&page.body, record) {
        failures.push(format!("{path}: {problem}"));
    }
    let base = path.split("/search").next().unwrap_or("");
    checked.found = page.body.contains(&format!("href=\"{base}/record/{id}\""));
    if follow_links {
        let counts: BTreeMap<String, u64> = facet_links(&page.body).into_iter().collect();
        let links: BTreeSet<String> = search_links(&page.body).into_iter().collect();
        for link in links {
            checked.links_followed += 1;
            let linked = client.get(&link).await;
            if linked.status != 200 {
                failures.push(format!(
                    "{path} links to {link}, which answers {}",
                    linked.status
                ));
                continue;
            }
            if link.contains("/search/facet/") {
                check_facet_values(&link, &linked.body, &page.body, &counts, failures);
                continue;
            }
            if link.contains("/search/feed") {
                check_feed(&link, &linked.body, &page.body, failures);
                continue;
            }
            if link.contains("/search/advanced") {
                check_page(&link, &linked.body, failures);
                if !linked
                    .body
                    .contains(r#"<input type="hidden" name="run" value="1">"#)
                {
                    failures.push(format!("{link} is no advanced search form"));
                }
                continue;
            }
            check_results_markup(&link, &linked.body, failures);
            if let Some(count) = counts.get(&link) {
                checked.facet_totals_compared += 1;
                if results_total(&linked.body) != Some(*count) {
                    failures.push(format!(
                        "{path} counts {count} for {link}, which totals {:?}",
                        results_total(&linked.body)
                    ));
                }
            }
        }
    }
    checked
}

/// A page of all values of a facet, linked from the results page `results`: light, well
/// formed, naming the results page's total, and counting each value as the results page does.
fn check_facet_values(
    path: &str,
    page: &str,
    results: &str,
    counts: &BTreeMap<String, u64>,
    failures: &mut Vec<String>,
) {
    check_page(path, page, failures);
    let back = page
        .split_once(">Back to the ")
        .and_then(|(_, rest)| rest.split(' ').next())
        .and_then(|total| total.replace(',', "").parse::<u64>().ok());
    if back.is_none() || back != results_total(results) {
        failures.push(format!(
            "{path} names {back:?} results, its results page {:?}",
            results_total(results)
        ));
    }
    let values = facet_value_links(page);
    if values.is_empty() {
        failures.push(format!("{path} lists no value"));
    }
    for (link, count) in values {
        if let Some(listed) = counts.get(&link)
            && *listed != count
        {
            failures.push(format!(
                "{path} counts {count} for {link}, its results page {listed}"
            ));
        }
    }
}

/// An HTML page other than a results page: light and well formed.
fn check_page(path: &str, page: &str, failures: &mut Vec<String>) {
    if page.len() >= MAX_PAGE_BYTES {
        failures.push(format!("{path} weighs {} bytes", page.len()));
    }
    for problem in markup_problems(page) {
        failures.push(format!("{path}: {problem}"));
    }
}

/// The Atom feed of the search of the results page `results`: well-formed XML (record text
/// escaped), with the results page's total.
fn check_feed(path: &str, feed: &str, results: &str, failures: &mut Vec<String>) {
    let mut reader = quick_xml::Reader::from_str(feed);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(error) => {
                failures.push(format!("{path} is no well-formed XML: {error}"));
                return;
            }
        }
    }
    let total = feed
        .split_once("<totalResults xmlns=\"http://a9.com/-/spec/opensearch/1.1/\">")
        .and_then(|(_, rest)| rest.split_once('<'))
        .and_then(|(total, _)| total.parse::<u64>().ok());
    if total.is_none() || total != results_total(results) {
        failures.push(format!(
            "{path} totals {total:?}, its results page {:?}",
            results_total(results)
        ));
    }
}

/// The value links of a page of a facet's values with the count each promises.
fn facet_value_links(page: &str) -> Vec<(String, u64)> {
    let Some((_, list)) = page.split_once("<ul class=\"facet-values\">") else {
        return Vec::new();
    };
    counted_links(list.split("</ul>").next().unwrap_or(""))
}

fn check_results_markup(path: &str, page: &str, failures: &mut Vec<String>) {
    check_page(path, page, failures);
    if results_total(page).is_none() {
        failures.push(format!("{path} states no total"));
    }
}

/// What the sweep shares between the bibs it checks.
struct Sweep {
    client: Client,
    /// Member display names by code.
    member_names: BTreeMap<String, String>,
}

/// What checking one bib found: its failures, and how much was looked at.
struct Checked {
    bib: Bib,
    failures: Vec<String>,
    search_skipped: bool,
    /// Title searches made as JSON: one for the title as typed, and one without accents for
    /// accented titles.
    searches: usize,
    page_bytes: usize,
    member_pages: usize,
    /// Shelf pages opened (none or one).
    shelves: usize,
    results_pages: usize,
    heaviest_results_page: usize,
    links_followed: usize,
    facet_totals_compared: usize,
}

/// How often the shelf around a bib's first copy is opened: every this many bibs.
const SHELVES_EVERY: usize = 5;

/// The shelf the record page's first call number leads to (when a copy has one): a light,
/// well-formed page around that copy, its call numbers in shelf order. How many shelves were
/// opened: none when no copy has a call number.
async fn check_shelf(client: &Client, record_page: &str, failures: &mut Vec<String>) -> usize {
    let Some(path) = record_page
        .split("href=\"/shelf/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(|item| format!("/shelf/{item}"))
    else {
        return 0;
    };
    let shelf = client.get(&path).await;
    if shelf.status != 200 {
        failures.push(format!("{path} answered {}", shelf.status));
        return 1;
    }
    check_page(&path, &shelf.body, failures);
    if shelf.body.matches(r#"aria-current="true""#).count() != 1 {
        failures.push(format!(
            "{path}: not one copy marked as the one browsed from"
        ));
    }
    // Each row's first cell is its call number, linked or (the copy browsed from) not.
    let call_numbers: Vec<String> = shelf
        .body
        .split("<tbody>")
        .nth(1)
        .unwrap_or_default()
        .split("<tr")
        .skip(1)
        .filter_map(|row| {
            let cell = row.split("<td>").nth(1)?.split("</td>").next()?;
            let text = match cell.split_once('>') {
                Some((_, rest)) if cell.starts_with("<a ") => rest.trim_end_matches("</a>"),
                _ => cell,
            };
            Some(html_unescaped(text))
        })
        .collect();
    let keys: Vec<String> = call_numbers.iter().map(|c| shelf_key(c)).collect();
    if call_numbers.is_empty() || !keys.is_sorted() {
        failures.push(format!(
            "{path}: call numbers out of shelf order: {call_numbers:?}"
        ));
    }
    1
}

/// How often a bib's title searches are also checked as HTML results pages: every this many
/// bibs (in import order), and every synthetic bib. Results pages cost about as much as the
/// rest of a bib's checks together; a third of the bibs is still well over a thousand pages.
const RESULTS_PAGES_EVERY: usize = 3;

/// How often a bib's results pages have their links followed: every this many bibs, and every
/// synthetic bib (whose facet values hold `&`, `<` and braces). A multiple of
/// [`RESULTS_PAGES_EVERY`], and not of ten, so that the sample meets every tenth of the bibs
/// ROHAN holds a copy of, or keeps one of to itself.
const FOLLOW_LINKS_EVERY: usize = 63;

async fn check_bib(sweep: Arc<Sweep>, bib: Bib, position: usize) -> Checked {
    let client = &sweep.client;
    let mut failures = Vec::new();
    let id = bib.id;
    if bib.source.record_number == 0 {
        failures.push("the stored record has the fields of no record of its file".to_string());
    }
    let record = match &bib.record {
        Ok(record) => Arc::clone(record),
        Err(error) => {
            // Still ask for every page: none may fail with a server error.
            failures.push(format!("the stored record cannot be read: {error}"));
            Arc::new(Record::new(
                Leader::parse("00000nam a2200000 a 4500").unwrap(),
            ))
        }
    };
    let record = &*record;

    let mut shelves = 0;
    let page = client.get(&format!("/record/{id}")).await;
    if page.status == 200 {
        check_record_page(&page.body, record, &mut failures);
        if position.is_multiple_of(SHELVES_EVERY) {
            shelves = check_shelf(client, &page.body, &mut failures).await;
        }
        check_holdings_sections(
            &page.body,
            &bib.holders,
            None,
            &sweep.member_names,
            &mut failures,
        );
    } else {
        failures.push(format!("record page answered {}", page.status));
    }

    // The member views: every member holding a copy, and one that holds none.
    let mut views: Vec<String> = bib.holders.any.iter().cloned().collect();
    let members: Vec<&String> = sweep.member_names.keys().collect();
    let not_holding = (0..members.len())
        .map(|n| members[(position + n) % members.len()])
        .find(|code| !bib.holders.any.contains(*code));
    views.extend(not_holding.cloned());
    for member in &views {
        let path = format!("/m/{member}/record/{id}");
        let member_page = client.get(&path).await;
        if member_page.status != 200 {
            failures.push(format!("{path} answered {}", member_page.status));
            continue;
        }
        let mut found = Vec::new();
        check_record_page(&member_page.body, record, &mut found);
        check_holdings_sections(
            &member_page.body,
            &bib.holders,
            Some(member.as_str()),
            &sweep.member_names,
            &mut found,
        );
        failures.extend(
            found
                .into_iter()
                .map(|failure| format!("{path}: {failure}")),
        );
    }

    let xml = client.get(&format!("/record/{id}.xml")).await;
    if xml.status == 200 {
        check_marcxml(&xml.body, record, &mut failures);
    } else {
        failures.push(format!("MARCXML export answered {}", xml.status));
    }

    let ris = client.get(&format!("/record/{id}.ris")).await;
    if ris.status == 200 {
        check_ris(&ris.body, &mut failures);
    } else {
        failures.push(format!("RIS export answered {}", ris.status));
    }

    let bibtex = client.get(&format!("/record/{id}.bib")).await;
    if bibtex.status == 200 {
        // Authors (of a film, its directors) and editors, by their headings' relators.
        let document = document_from_record(0, record, Vec::new());
        let film = document.format.is_film();
        let names = &document.cited_names;
        let authors = names
            .iter()
            .filter(|name| name.role.credited_as_author(film))
            .count();
        let editors = names
            .iter()
            .filter(|name| name.role == NameRole::Editor)
            .count();
        check_bibtex(&bibtex.body, (authors, editors), &mut failures);
    } else {
        failures.push(format!("BibTeX export answered {}", bibtex.status));
    }

    let json = client.get(&format!("/api/v1/records/{id}")).await;
    match serde_json::from_str::<serde_json::Value>(&json.body) {
        Ok(value) if json.status == 200 && value["id"] == id.to_string() => {}
        Ok(_) => failures.push(format!("JSON record answered {}", json.status)),
        Err(error) => failures.push(format!("JSON record is not JSON: {error}")),
    }

    let words = title_words(record);
    let search_skipped = words.is_empty();
    let synthetic = bib.source.file.starts_with("(synthetic");
    let with_results_pages = position.is_multiple_of(RESULTS_PAGES_EVERY) || synthetic;
    let follow_links = position.is_multiple_of(FOLLOW_LINKS_EVERY) || synthetic;
    // A bib whose every copy its member keeps to itself is found only in that member's view.
    let kept_in = if bib.holders.shown_to_all.is_empty() {
        bib.holders.any.first().cloned()
    } else {
        None
    };
    let search_base = kept_in
        .as_ref()
        .map_or_else(String::new, |code| format!("/m/{code}"));
    let mut searches = 0;
    let mut results = Vec::new();
    if !search_skipped {
        let typed = words.join(" ");
        for query in std::iter::once(typed.clone()).chain(unaccented(&words)) {
            searches += 1;
            let in_json = search_json(client, &query, kept_in.as_deref(), id, &mut failures).await;
            if let Some((false, total)) = in_json {
                failures.push(format!(
                    "a search for {query:?} in {search_base}/search does not find it among \
                     {total} hits"
                ));
            }
            if !with_results_pages {
                continue;
            }
            let path = format!("{search_base}/search?q={}", percent_encode(&query));
            let page =
                check_results_page(client, &path, id, record, follow_links, &mut failures).await;
            if page.found && in_json.is_some_and(|(found, _)| !found) {
                failures.push(format!("{path} lists it, but the JSON search does not"));
            }
            results.push(page);
        }
        // The same search in the view of the first member holding a copy, or of one holding
        // none.
        if let Some(member) = views
            .first()
            .filter(|member| with_results_pages && kept_in.as_ref() != Some(*member))
        {
            let path = format!("/m/{member}/search?q={}", percent_encode(&typed));
            results.push(
                check_results_page(client, &path, id, record, follow_links, &mut failures).await,
            );
        }
        if kept_in.is_some()
            && let Some((true, _)) = search_json(client, &typed, None, id, &mut failures).await
        {
            failures.push(format!(
                "the consortium's search for {typed:?} finds it, though every copy is kept \
                 in its member's view"
            ));
        }
    }
    Checked {
        bib,
        failures,
        search_skipped,
        searches,
        page_bytes: page.body.len(),
        member_pages: views.len(),
        shelves,
        results_pages: results.len(),
        heaviest_results_page: results.iter().map(|r| r.bytes).max().unwrap_or(0),
        links_followed: results.iter().map(|r| r.links_followed).sum(),
        facet_totals_compared: results.iter().map(|r| r.facet_totals_compared).sum(),
    }
}

/// The sweep's stopwatch measures the test itself, not a business "now".
#[allow(clippy::disallowed_methods)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_record_survives_the_public_catalogue() {
    let started = Instant::now();
    let server = TestServer::start().await;
    server.load_org(TWO_MEMBERS).await;

    let mut files: Vec<FixtureFile> = files_under(&fixtures_root())
        .iter()
        .filter_map(|path| read_fixture(path))
        .collect();
    files.push(synthetic_file());
    let mapping = branch_mapping(&files);
    let mut rejections = BTreeMap::new();
    let read_at = started.elapsed();
    let mut bibs = Vec::new();
    // Without holdings layouts, holdings fields stay in the bib like any other field.
    let without_holdings = HoldingsMapping {
        layouts: Vec::new(),
        ..HoldingsMapping::default()
    };
    let mut newest_bib = i64::MIN;
    for file in &files {
        let (created, refused) =
            import_file(&server, file, &mapping, &mut rejections, &mut newest_bib).await;
        bibs.extend(created);
        if let Some(refused) = refused {
            let mut again = BTreeMap::new();
            let (created, _) = import_file(
                &server,
                &refused,
                &without_holdings,
                &mut again,
                &mut newest_bib,
            )
            .await;
            bibs.extend(created);
            for (name, reasons) in again {
                rejections.insert(format!("{name} (again without holdings)"), reasons);
            }
        }
    }
    let records_read: usize = files.iter().map(|file| file.records.len()).sum();
    add_rohan_items(&server, &bibs).await;
    find_holders(&server, &mut bibs).await;
    let import_done_at = started.elapsed();
    wait_for_index(&server).await;
    let imported_at = started.elapsed();

    let member_names = {
        let mut conn = server.ctx.store.read().await.unwrap();
        concord_store::org::list_members(&mut conn)
            .await
            .unwrap()
            .into_iter()
            .map(|member| (member.code.to_string(), member.branding.display_name))
            .collect()
    };
    let sweep = Arc::new(Sweep {
        client: Client::new(&server),
        member_names,
    });
    let mut pending = bibs.clone().into_iter().enumerate();
    let mut running = JoinSet::new();
    let mut checked = Vec::new();
    loop {
        while running.len() < REQUESTS_IN_FLIGHT
            && let Some((position, bib)) = pending.next()
        {
            running.spawn(check_bib(Arc::clone(&sweep), bib, position));
        }
        match running.join_next().await {
            Some(result) => checked.push(result.unwrap()),
            None => break,
        }
    }
    let with_items = {
        let mut conn = server.ctx.store.read().await.unwrap();
        store::counts(&mut conn).await.unwrap().2
    };
    let skipped = checked.iter().filter(|c| c.search_skipped).count();
    let heaviest_page = checked.iter().map(|c| c.page_bytes).max().unwrap_or(0);
    let searches: usize = checked.iter().map(|c| c.searches).sum();
    let member_pages: usize = checked.iter().map(|c| c.member_pages).sum();
    let shelves: usize = checked.iter().map(|c| c.shelves).sum();
    let results_pages: usize = checked.iter().map(|c| c.results_pages).sum();
    let links_followed: usize = checked.iter().map(|c| c.links_followed).sum();
    let facet_totals_compared: usize = checked.iter().map(|c| c.facet_totals_compared).sum();
    let heaviest_results_page = checked
        .iter()
        .map(|c| c.heaviest_results_page)
        .max()
        .unwrap_or(0);
    let mut failures: Vec<String> = checked
        .iter()
        .flat_map(|c| {
            c.failures
                .iter()
                .map(move |failure| format!("{} (bib {}): {failure}", c.bib.source, c.bib.id))
        })
        .collect();
    failures.sort();
    println!(
        "discovery sweep: {} files, {records_read} records read, {} bibs checked, {with_items} \
         items, {member_pages} member-view record pages, {shelves} shelves (1 bib in \
         {SHELVES_EVERY}), {searches} title searches (JSON), \
         {results_pages} results pages (1 bib in {RESULTS_PAGES_EVERY}), {links_followed} \
         facet, sort and page links followed (1 bib in {FOLLOW_LINKS_EVERY}; \
         {facet_totals_compared} facet totals compared), {skipped} bibs without title words \
         (search not checked), heaviest record page {heaviest_page} bytes, heaviest results \
         page {heaviest_results_page} bytes; read in {read_at:.1?}, imported by \
         {import_done_at:.1?}, indexed by {imported_at:.1?}, all done in {:.1?}; records \
         refused by the importer: {rejections:#?}",
        files.len(),
        checked.len(),
        started.elapsed()
    );
    assert!(
        checked.len() > 4000,
        "too few bibs: {}, rejections {rejections:?}",
        checked.len()
    );
    assert!(
        member_pages > checked.len()
            && shelves > 200
            && results_pages > 2000
            && links_followed > 1000
            && facet_totals_compared > 1000,
        "too little looked at: {member_pages} member pages, {shelves} shelves, \
         {results_pages} results pages, \
         {links_followed} links, {facet_totals_compared} facet totals"
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
