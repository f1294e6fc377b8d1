//! A record page's description for search engines and other harvesters: schema.org in JSON-LD,
//! as library catalogues publish it so that web searches lead to a library's copies. The work
//! (type by format, title, authors, date, edition, summary, ISBNs, language, subjects, series)
//! and one offer per
//! copy a visitor may see, with the library holding it and whether it is on the shelf.

use concord_domain::catalogue::ItemStatus;
use concord_domain::format::Format;
use concord_domain::languages::{language_name, language_tag};
use concord_search::description::{Description, NoteKind};
use concord_search::{NameKind, NameRole};
use serde_json::{Value, json};

use crate::service::search::PublicRecord;

/// The schema.org type of a material format.
fn schema_type(format: Format) -> &'static str {
    match format {
        Format::Book
        | Format::Ebook
        | Format::LargePrint
        | Format::Braille
        | Format::Manuscript => "Book",
        Format::AudiobookCd
        | Format::AudiobookCassette
        | Format::AudiobookOnline
        | Format::SpokenWordRecording => "Audiobook",
        Format::MusicCd
        | Format::MusicVinyl
        | Format::MusicCassette
        | Format::MusicOnline
        | Format::MusicRecording => "MusicAlbum",
        Format::MusicScore => "SheetMusic",
        format if format.is_film() => "Movie",
        Format::Map => "Map",
        Format::Serial | Format::Ejournal => "Periodical",
        Format::Website => "WebSite",
        Format::Database => "Dataset",
        Format::Software => "SoftwareApplication",
        Format::VisualMaterial => "VisualArtwork",
        _ => "CreativeWork",
    }
}

/// Whether a copy can be borrowed now, as schema.org says of an offer.
fn availability(status: ItemStatus) -> &'static str {
    match status {
        ItemStatus::Available => "https://schema.org/InStock",
        // Reference copies are used in the library.
        ItemStatus::NotForLoan => "https://schema.org/InStoreOnly",
        _ => "https://schema.org/OutOfStock",
    }
}

/// The record's description as a JSON-LD document, ready to sit inside a `<script>` element
/// (see [`script_safe`]).
pub(crate) fn record_json_ld(
    record: &PublicRecord,
    permalink: &str,
    described: &Description,
) -> String {
    let document = &record.document;
    let mut work = json!({
        "@context": "https://schema.org",
        "@type": schema_type(document.format),
        "@id": permalink,
        "url": permalink,
        "name": document.title,
    });
    // Each name under its role: a film's directors as its `director`, the authors of anything
    // else as `author`, editors as `editor`, everyone else (a film's cast among them, which
    // records often enter without a role) as `contributor`.
    let film = document.format.is_film();
    let mut people: Vec<(&str, Vec<Value>)> = Vec::new();
    let mut add =
        |key: &'static str, person: Value| match people.iter_mut().find(|(k, _)| *k == key) {
            Some((_, named)) => named.push(person),
            None => people.push((key, vec![person])),
        };
    if document.cited_names.is_empty() {
        for name in &document.authors {
            add("author", json!({ "@type": "Person", "name": name }));
        }
    }
    for name in &document.cited_names {
        let kind = match name.kind {
            NameKind::Corporate => "Organization",
            NameKind::Person | NameKind::PersonByForename => "Person",
        };
        let key = if name.role.credited_as_author(film) {
            if film { "director" } else { "author" }
        } else if name.role == NameRole::Editor {
            "editor"
        } else {
            "contributor"
        };
        add(key, json!({ "@type": kind, "name": name.name }));
    }
    let mut put = |key: &str, value: Value| {
        if let Some(object) = work.as_object_mut() {
            object.insert(key.to_string(), value);
        }
    };
    for (key, named) in people {
        put(key, Value::Array(named));
    }
    if let Some(year) = document.publication_year {
        put("datePublished", json!(year.to_string()));
    }
    if let Some(publisher) = document.publishers.first() {
        put(
            "publisher",
            json!({ "@type": "Organization", "name": publisher }),
        );
    }
    if !document.isbns.is_empty() {
        put("isbn", json!(document.isbns));
    }
    if !document.issns.is_empty() {
        put("issn", json!(document.issns));
    }
    // schema.org asks for BCP 47 tags; a language without one is named.
    let languages: Vec<&str> = document
        .languages
        .iter()
        .map(|code| {
            language_tag(code)
                .or_else(|| language_name(code))
                .unwrap_or(code)
        })
        .collect();
    match languages.as_slice() {
        [] => {}
        [language] => put("inLanguage", json!(language)),
        several => put("inLanguage", json!(several)),
    }
    if !document.subject_facets.is_empty() {
        put("about", json!(document.subject_facets));
    }
    if let Some(series) = document.series.first() {
        put(
            "isPartOf",
            json!({ "@type": "CreativeWorkSeries", "name": series }),
        );
    }
    // A summary or abstract describes the work; a review or content advice does not.
    if let Some(summary) = described.summaries.iter().find(|summary| {
        matches!(
            summary.kind,
            NoteKind::Summary | NoteKind::Abstract | NoteKind::Scope | NoteKind::Subject
        )
    }) {
        put("description", json!(summary.text));
    }
    if let Some(edition) = described.editions.first() {
        put("bookEdition", json!(edition));
    }
    if matches!(document.format, Format::Ebook) {
        put("bookFormat", json!("https://schema.org/EBook"));
    }
    let offers: Vec<Value> = record
        .holdings
        .iter()
        .flat_map(|member| {
            member.branches.iter().flat_map(move |branch| {
                branch.items.iter().map(move |item| {
                    let mut offer = json!({
                        "@type": "Offer",
                        "availability": availability(item.status),
                        "offeredBy": {
                            "@type": "Library",
                            "name": format!("{}, {}", member.member.branding.display_name, branch.branch.name),
                        },
                    });
                    if let Some(object) = offer.as_object_mut() {
                        if !item.call_number.is_empty() {
                            object.insert("sku".into(), json!(item.call_number));
                        }
                        if let Some(due) = item.due {
                            object.insert("availabilityStarts".into(), json!(due.to_string()));
                        }
                    }
                    offer
                })
            })
        })
        .collect();
    if !offers.is_empty() {
        put("offers", Value::Array(offers));
    }
    script_safe(&work)
}

/// `value` as JSON that can sit inside a `<script>` element: `<`, `>` and `&` (which JSON has
/// only inside strings) written as their `\u` escapes, so that no text can end the element or
/// read as markup to a checker that does not know script content is raw.
fn script_safe(value: &Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cannot_end_the_script_element() {
        let value =
            json!({ "name": "Riddles </script><script>alert(1)</script> <!-- Smith & Sons" });
        let safe = script_safe(&value);
        assert!(!safe.contains(['<', '>', '&']), "{safe}");
        assert_eq!(serde_json::from_str::<Value>(&safe).unwrap(), value);
    }
}
