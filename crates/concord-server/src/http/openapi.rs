//! The OpenAPI 3.1 description of the JSON API, served at `/api/openapi.json`.
//!
//! Written by hand next to the routes it describes; a test reads every `route("/api/…")` in this
//! folder and fails when one is missing here or documented but gone, so the two cannot drift.

use axum::Json;
use serde_json::{Map, Value, json};

fn error_response(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

fn body(schema: Value) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": schema } } })
}

fn ok(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema } } })
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn list_of(name: &str) -> Value {
    json!({ "type": "array", "items": reference(name) })
}

fn path_param(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "description": description, "schema": { "type": "string" } })
}

fn query_param(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": { "type": "string" } })
}

/// One operation: a summary, its tag, parameters, optional request body, the success response.
fn op(
    summary: &str,
    tag: &str,
    parameters: Vec<Value>,
    request: Option<Value>,
    success: (&str, Value),
) -> Value {
    let mut responses = Map::new();
    responses.insert(success.0.to_string(), success.1);
    responses.insert(
        "401".into(),
        error_response("Not logged in, or the token is unknown, expired or revoked"),
    );
    responses.insert("403".into(), error_response("The role or scope does not allow this (code forbidden), or the anti-forgery token is missing (csrf_mismatch)"));
    responses.insert("404".into(), error_response("No such thing"));
    responses.insert(
        "422".into(),
        error_response("Input is not valid; `fields` names each field and why"),
    );
    let mut operation = json!({ "summary": summary, "tags": [tag], "parameters": parameters, "responses": responses });
    if let (Some(request), Some(map)) = (request, operation.as_object_mut()) {
        map.insert("requestBody".into(), request);
    }
    operation
}

fn search_parameters() -> Vec<Value> {
    vec![
        query_param(
            "q",
            "Query: words, \"phrases\", AND/OR/NOT, -word, and fields title:, author:, subject:, series:, isbn:, issn:, callnumber:, publisher:",
        ),
        query_param(
            "format",
            "Format code (book, ebook, large_print, dvd, ...); repeat to OR values",
        ),
        query_param("member", "Member code holding a visible item"),
        query_param("branch", "Branch code holding a visible item"),
        query_param(
            "language",
            "MARC language code (eng, fre, ...): every language of the text counts",
        ),
        query_param("year", "Exact publication year"),
        query_param("decade", "Decade of publication (1990 for the 1990s)"),
        query_param(
            "available",
            "true: only titles with a visible item on the shelf now; a member code: on the shelf now at that member (repeat to OR)",
        ),
        query_param("audience", "Audience code (adult, juvenile, ...)"),
        query_param("subject", "Main subject heading (exact facet value)"),
        query_param("author", "Author name (exact facet value)"),
        query_param(
            "subject_heading",
            "A whole subject heading with its subdivisions, as a record or /api/v1/browse gives it",
        ),
        query_param(
            "series_heading",
            "A series title without its numbering, as a record or /api/v1/browse gives it",
        ),
        query_param(
            "filing_title",
            "A title as it files (folded, without a leading article its record marks), as /api/v1/suggest and /api/v1/browse give it: every edition with exactly that title",
        ),
        query_param(
            "sort",
            "relevance (default), title, author, date (newest publication first) or added (most recently added to the catalogue first)",
        ),
        query_param("page", "Page number from 1"),
        query_param("page_size", "Hits per page, 1-100 (default 20)"),
        query_param("view", "A member code: search that member's view"),
    ]
}

fn search_results_schema() -> Value {
    let counts = json!({ "type": "array", "items": { "type": "object", "required": ["value", "count"], "properties": {
        "value": { "type": "string" },
        "count": { "type": "integer", "description": "Exact number of matching records with the value" },
        "copies": { "type": "integer", "description": "member, branch and available_now only: exact number of the matching records' copies the view sees that give the value (held by that member or branch, or on a shelf now there)" } } } });
    let hit = json!({ "type": "object", "properties": {
        "id": { "type": "string" }, "title": { "type": "string" }, "author": { "type": ["string", "null"] },
        "year": { "type": ["integer", "null"] }, "format": { "type": "string" },
        "language": { "type": ["string", "null"], "description": "The MARC code of the main language it is in (008/35-37, else the first of 041 $a)" },
        "added": { "type": ["string", "null"], "format": "date-time", "description": "When the bib, or its newest copy every member may see, was added; in a search sorted by added with one member selected, when that member added its newest copy (one it keeps back counted only in its own view)" },
        "holdings": { "type": "array", "description": "The copies the view shows, by member (the viewing member's first) and within it by branch", "items": { "type": "object", "properties": {
            "member": { "type": "string" }, "items": { "type": "integer" }, "available": { "type": "integer" },
            "branches": { "type": "array", "items": { "type": "object", "properties": {
                "branch": { "type": "string" }, "items": { "type": "integer" }, "available": { "type": "integer" },
                "call_number": { "type": ["string", "null"], "description": "The call number of the branch's first copy on the shelf, or of its first copy when none is" } } } } } } }
    } });
    json!({ "type": "object", "required": ["total", "hits", "facets"], "properties": {
        "total": { "type": "integer", "description": "Exact number of matching records" },
        "page": { "type": "integer" }, "page_size": { "type": "integer" },
        "hits": { "type": "array", "items": hit },
        "facets": { "type": "object", "description": "format, language, decade, subject, author, member, branch, available_now, audience: exact counts. available_now counts `available` (a copy on a shelf now at any library the view sees) and the code of each library with one on its shelf", "additionalProperties": counts },
        "suggestion": { "type": ["object", "null"], "description": "Did you mean: for a search that found fewer than 3 records, the query with its unknown or rare words spelled as the catalogue spells them, when that finds more records in the same view with the same narrowing",
            "properties": { "q": { "type": "string" }, "total": { "type": "integer", "description": "Exact number of records the suggested query finds" } } }
    } })
}

fn browse_schema() -> Value {
    let heading = json!({ "type": "object", "properties": {
        "see_from": { "type": "string", "description": "Present on a cross-reference: the form a patron looks under, which an authority record leads from to the heading the catalogue uses instead (see) or as well (see also); the entry's place in the list is this form's" },
        "relation": { "type": "string", "enum": ["see", "see_also", "narrower", "broader", "later", "earlier"], "description": "Present on a cross-reference: how the heading relates to see_from: used instead of it (see), related to it (see_also), a narrower or broader term, a later or earlier heading" },
        "heading": { "type": "string", "description": "The heading; a title as the first of its records the view has gives it" },
        "count": { "type": "integer", "description": "The titles the view has under the heading; for a title, its editions and formats" },
        "search": { "type": "array", "description": "The search parameter and value that find exactly those titles (filing_title, author, subject_heading or series_heading); the value is also what after and before page from", "items": { "type": "string" }, "minItems": 2, "maxItems": 2 },
        "record": { "type": "string", "description": "Present on a title with one record only: that record's id" },
        "other_title_of": { "type": "string", "description": "Present on a title listed under another title of its record (246 variant, 130/240/730 uniform or 740 added title): the record's own title" } } });
    json!({ "type": "object", "properties": {
        "kind": { "type": "string", "enum": ["title", "author", "subject", "series"] },
        "headings": { "type": "array", "description": "In alphabetical order, folded (case and accents aside): the headings, and the cross-references (see, see also) whose headings the view has titles under; titles as they file, without a leading article their records mark", "items": heading },
        "earlier_before": { "type": "string", "description": "Present when the view has headings before these: the `before` of the previous page" },
        "later_after": { "type": "string", "description": "Present when the view has headings after these: the `after` of the next page" } } })
}

fn suggest_schema() -> Value {
    let suggestion = json!({ "type": "object", "properties": {
        "kind": { "type": "string", "enum": ["title", "author", "subject", "series"] },
        "text": { "type": "string", "description": "The title or heading" },
        "count": { "type": "integer", "description": "The titles the view has under the heading; for a title, its editions and formats" },
        "see_from": { "type": "string", "description": "Present when the heading is offered for another form of it that begins with the text (an authority record's see reference)" },
        "search": { "type": "array", "description": "The search parameter and value that find exactly those titles", "items": { "type": "string" }, "minItems": 2, "maxItems": 2 },
        "record": { "type": "string", "description": "Present on a title with one record only: that record's id" },
        "other_title_of": { "type": "string", "description": "Present on a title that is another title of its record (246, 130/240/730, 740): the record's own title" } } });
    json!({ "type": "object", "properties": {
        "q": { "type": "string" },
        "suggestions": { "type": "array", "description": "Titles, then authors, then subjects, then series; within each, the most titles first, except the titles with the words typed further in, which follow those that begin with them, the best-matching first", "items": suggestion } } })
}

fn shelf_schema() -> Value {
    let item = json!({ "type": "object", "properties": {
        "item": { "type": "string" }, "record": { "type": "string" },
        "location": { "type": ["string", "null"], "description": "Its shelving location's name, or the code when its member has not named it" },
        "call_number": { "type": "string" },
        "status": { "type": "string" }, "due": { "type": ["string", "null"], "description": "YYYY-MM-DD for items on loan" },
        "title": { "type": "string" }, "author": { "type": "string" } } });
    json!({ "type": "object", "properties": {
        "branch": { "type": "string" }, "branch_name": { "type": "string" },
        "member": { "type": "string" }, "member_name": { "type": "string" },
        "before": { "type": "array", "description": "In shelf order, the nearest last", "items": item.clone() },
        "at": item.clone(),
        "after": { "type": "array", "description": "In shelf order, the nearest first", "items": item },
        "more_before": { "type": "boolean" }, "more_after": { "type": "boolean" } } })
}

fn public_record_schema() -> Value {
    let item = json!({ "type": "object", "properties": {
        "id": { "type": "string", "description": "The item: the shelf around it is /api/v1/shelf/{id}" },
        "location": { "type": ["string", "null"], "description": "Where in the branch it stands: its shelving location's name, or the code when its member has not named it" },
        "call_number": { "type": "string" }, "status": { "type": "string" },
        "due": { "type": ["string", "null"], "description": "YYYY-MM-DD for items on loan" } } });
    let branch = json!({ "type": "object", "properties": {
        "branch": { "type": "string" }, "branch_name": { "type": "string" }, "items": { "type": "array", "items": item } } });
    let member = json!({ "type": "object", "properties": {
        "member": { "type": "string" }, "member_name": { "type": "string" }, "branches": { "type": "array", "items": branch } } });
    let strings = json!({ "type": "array", "items": { "type": "string" } });
    let note = json!({ "type": "object", "properties": {
        "kind": { "type": "string" }, "text": { "type": "string" } } });
    json!({ "type": "object", "properties": {
        "id": { "type": "string" }, "title": { "type": "string" },
        "title_in_own_script": { "type": "string", "description": "Present when the record gives its title in its own script too (an 880 linked to the 245): that title" },
        "authors": strings.clone(),
        "year": { "type": ["integer", "null"] }, "format": { "type": "string" },
        "language": { "type": ["string", "null"], "description": "The main language, as a MARC code (008/35-37, else the first of 041 $a)" },
        "languages": { "type": "array", "items": { "type": "string" }, "description": "Every language of the text or of what is sung or spoken (008, 041 $a $d), as MARC codes, the main one first" },
        "original_languages": { "type": "array", "items": { "type": "string" }, "description": "The languages it was translated from (041 $h), as MARC codes" },
        "publishers": strings.clone(), "subjects": strings.clone(), "series": strings.clone(), "isbns": strings.clone(), "issns": strings,
        "responsibility": { "type": "string", "description": "Present when the record has one: the statement of responsibility (245 $c)" },
        "uniform_title": { "type": "string", "description": "Present when the record has one: the title the work is known by (130 or 240)" },
        "editions": strings.clone(), "physical": strings.clone(),
        "publication": { "type": "array", "description": "Publication statements (260, 264)", "items": { "type": "object", "properties": {
            "role": { "type": "string", "enum": ["publication", "production", "distribution", "manufacture", "copyright"] }, "statement": { "type": "string" } } } },
        "summaries": { "type": "array", "description": "520: kind summary, subject, review, scope, abstract or content_advice", "items": note.clone() },
        "contents": { "type": "array", "description": "505, cut into its entries", "items": { "type": "object", "properties": {
            "completeness": { "type": "string", "enum": ["complete", "incomplete", "partial"] }, "entries": strings.clone() } } },
        "notes": { "type": "array", "description": "The other public notes (5XX), in the record's order; kind names the note (general, bibliography, performers, cast, audience, language, awards...)", "items": note },
        "online": { "type": "array", "description": "856 links (http and https only): the resource, another version of it, or something related", "items": { "type": "object", "properties": {
            "url": { "type": "string" }, "text": { "type": "string" }, "note": { "type": "string" },
            "relationship": { "type": "string", "enum": ["resource", "version", "related"] } } } },
        "citations": { "type": "object", "description": "The record cited as plain text in APA (7th edition), MLA (9th) and Chicago (17th, bibliography) style", "properties": {
            "apa": { "type": "string" }, "mla": { "type": "string" }, "chicago": { "type": "string" } } },
        "holdings": { "type": "array", "items": member },
        "other_editions": { "type": "array", "description": "Other editions, translations and formats of the work (a title proper or uniform title and a name in common) that the view sees, the newest first, at most 10", "items": { "type": "object", "properties": {
            "id": { "type": "string" }, "title": { "type": "string" }, "year": { "type": ["integer", "null"] }, "format": { "type": "string" } } } },
        "links": { "type": "object", "description": "permalink and the MARCXML, RIS and BibTeX exports (the exports left out when unreadable_marc is present)", "properties": {
            "permalink": { "type": "string" }, "marcxml": { "type": "string" }, "ris": { "type": "string" }, "bibtex": { "type": "string" } } },
        "unreadable_marc": { "type": "string", "description": "Present when the stored MARC record cannot be read: what is wrong with it. The title, main author, year and holdings still come from the catalogue; the exports answer 409 record_unreadable and are not linked" }
    } })
}

/// Adds the 409 of a circulation action: a conflict, or a refusal with its blocks as data.
fn blocked_op(mut operation: Value) -> Value {
    if let Some(responses) = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    {
        responses.insert(
            "409".into(),
            json!({ "description": "Refused: `blocked` with every block (see Blocked), or another conflict (e.g. the ledger would go negative)", "content": { "application/json": { "schema": { "oneOf": [reference("Blocked"), reference("Error")] } } } }),
        );
    }
    operation
}

/// The whole document.
pub fn document() -> Value {
    let mut document = organisation_and_accounts();
    add_catalogue(&mut document);
    document
}

/// The catalogue's schemas and paths (`http/catalogue_api.rs`), added to the document apart so the
/// one `json!` literal above stays within the macro's recursion limit.
fn add_catalogue(document: &mut Value) {
    let id = path_param("id", "An id");
    let schemas = json!({
        "Identifier": { "type": "object", "properties": {
            "kind": { "type": "string", "enum": ["isbn", "issn", "lccn", "oclc"] }, "value": { "type": "string", "description": "Normalised (ISBN-13, ISSN with hyphen, LCCN normalised, OCLC digits)" } } },
        "Item": { "type": "object", "properties": {
            "id": { "type": "string" }, "bib": { "type": "string" }, "member": { "type": "string", "description": "The owning member's code" },
            "branch": { "type": "string" }, "current_branch": { "type": "string" }, "barcode": { "type": "string" },
            "call_number": { "type": "string" }, "item_type": { "type": "string", "example": "BOOK" },
            "shelving_location": { "type": ["string", "null"] }, "price_minor": { "type": ["integer", "null"], "description": "Price in minor units (cents)" },
            "status": { "type": "string", "example": "available" }, "hidden_from_other_members": { "type": "boolean" } } },
        "ItemInput": { "type": "object", "required": ["barcode", "branch", "item_type"], "properties": {
            "barcode": { "type": "string" }, "branch": { "type": "string", "description": "Home branch code; it decides the owning member" },
            "current_branch": { "type": "string" }, "call_number": { "type": "string" }, "item_type": { "type": "string" },
            "shelving_location": { "type": "string" }, "price": { "type": "string", "example": "12.50" },
            "status": { "type": "string" }, "hidden_from_other_members": { "type": "boolean" } } },
        "Merge": { "type": "object", "properties": {
            "id": { "type": "string" }, "kept_bib": { "type": "string" },
            "merged_bib": { "type": ["string", "null"], "description": "The withdrawn bib of a hand merge; null for a merge on load" },
            "source_record_id": { "type": "string", "description": "The merged-in record's 001 (or its position in the file)" },
            "rule": { "type": "string", "enum": ["isbn", "issn", "lccn", "oclc", "match_key", "manual"] },
            "items": { "type": "array", "items": { "type": "string" } },
            "merged_by": { "type": "string" }, "merged_at": { "type": "integer" }, "undone_at": { "type": ["integer", "null"] } } },
        "UndoReport": { "type": "object", "properties": {
            "restored_bib": { "type": "string" }, "items_moved_back": { "type": "array", "items": { "type": "string" } },
            "not_restored": { "type": "array", "items": { "type": "string" }, "description": "Items left where they are, with the reason" } } },
        "Bib": { "type": "object", "properties": {
            "id": { "type": "string" }, "title": { "type": "string" }, "author": { "type": "string" },
            "publication_year": { "type": ["integer", "null"] }, "record_type": { "type": "string" },
            "withdrawn": { "type": "boolean" }, "version": { "type": "integer" },
            "identifiers": list_of("Identifier"),
            "items": { "type": "array", "items": reference("Item"), "description": "The holdings of every member" },
            "merges": list_of("Merge"),
            "marc": { "type": "string", "description": "The record in the MARC editor's line format; empty when it cannot be read" },
            "unreadable_marc": { "type": "string", "description": "Present when the stored MARC record cannot be read: what is wrong with it (the MARCXML then answers 409 record_unreadable; replacing the record repairs it)" } } }
    });
    let marc_text = json!({ "type": "object", "required": ["text"], "properties": { "text": { "type": "string", "description": "The record in line format: `LDR …`, `001 …`, `245 10 $aTitle`" } } });
    let paths = json!({
        "/api/v1/bibs/{id}": { "get": op("A bib with every member's holdings, identifiers and merge history", "catalogue", vec![id.clone()], None, ("200", ok("The bib", reference("Bib")))) },
        "/api/v1/bibs/{id}/marc": {
            "get": op("The bib as MARCXML", "catalogue", vec![id.clone()], None, ("200", json!({ "description": "MARCXML", "content": { "application/marcxml+xml": { "schema": { "type": "string" } } } }))),
            "put": op("Replace the record through the MARC editor's line format (cataloguing role)", "catalogue", vec![id.clone()], Some(body(marc_text)), ("200", ok("Saved", json!({ "type": "object", "properties": { "id": { "type": "string" }, "version": { "type": "integer" }, "title": { "type": "string" } } }))))
        },
        "/api/v1/bibs/{id}/items": { "post": op("Add an item to a bib (for a member the caller manages)", "catalogue", vec![id.clone()], Some(body(reference("ItemInput"))), ("201", ok("Created", reference("Item")))) },
        "/api/v1/bibs/{id}/merge": { "post": op("Merge another bib into this one: its items move here and it is withdrawn", "catalogue", vec![id.clone()], Some(body(json!({ "type": "object", "required": ["merged"], "properties": { "merged": { "type": "string", "description": "The id of the bib merged into this one" } } }))), ("200", ok("The merge", reference("Merge")))) },
        "/api/v1/items/{id}": {
            "get": op("One item", "catalogue", vec![id.clone()], None, ("200", ok("The item", reference("Item")))),
            "put": op("Change an item", "catalogue", vec![id.clone()], Some(body(reference("ItemInput"))), ("200", ok("Changed", reference("Item"))))
        },
        "/api/v1/bibs/{id}/withdraw": { "post": op("Delete a bib: out of search, record pages and exports, its row and record kept (409 while a copy that is not withdrawn or a merged record rests on it)", "catalogue", vec![id.clone()], None, ("200", ok("Deleted", reference("Bib")))) },
        "/api/v1/bibs/{id}/restore": { "post": op("Bring a deleted bib back (409 for one merged into another: undo the merge)", "catalogue", vec![id.clone()], None, ("200", ok("Restored", reference("Bib")))) },
        "/api/v1/items/{id}/withdraw": { "post": op("Withdraw an item", "catalogue", vec![id.clone()], None, ("200", ok("Withdrawn", reference("Item")))) },
        "/api/v1/merges/{id}/undo": { "post": op("Undo a merge, reporting the items that could not be moved back", "catalogue", vec![id], None, ("200", ok("What was restored", reference("UndoReport")))) }
    });
    for (section, additions) in [
        (&["components", "schemas"][..], schemas),
        (&["paths"][..], paths),
    ] {
        let mut target = &mut *document;
        for key in section {
            target = &mut target[*key];
        }
        if let (Some(target), Value::Object(additions)) = (target.as_object_mut(), additions) {
            target.extend(additions);
        }
    }
}

fn organisation_and_accounts() -> Value {
    let code = path_param("code", "A member or branch code");
    let shelving_location = json!({ "type": "object", "properties": {
        "code": { "type": "string" }, "name": { "type": ["string", "null"] },
        "items": { "type": "integer" }, "kept_back": { "type": "boolean" } } });
    let id = path_param("id", "An id");
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Concord API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The JSON API of Concord, a library services platform for consortia. Integrations authenticate with `Authorization: Bearer <token>` (issued with `concord token create` or on the tokens page); browser sessions log in at /api/v1/session and send the returned csrf_token as `X-CSRF-Token` on every change.",
            "license": { "name": "GPL-3.0-or-later" }
        },
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer" },
                "session": { "type": "apiKey", "in": "cookie", "name": "concord_session" }
            },
            "schemas": {
                "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "object", "required": ["code", "message"], "properties": {
                    "code": { "type": "string", "enum": concord_domain::ErrorCode::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>() },
                    "message": { "type": "string" },
                    "fields": { "type": "array", "items": { "type": "object", "properties": { "field": { "type": "string" }, "reason": { "type": "string" } } } }
                } } } },
                "Member": { "type": "object", "properties": {
                    "code": { "type": "string" }, "name": { "type": "string" },
                    "kind": { "type": "string", "enum": ["public", "academic", "school", "special"] },
                    "display_name": { "type": "string" }, "colour": { "type": "string", "example": "#1f5f8b" }, "logo_url": { "type": ["string", "null"] } } },
                "MemberInput": { "type": "object", "required": ["code", "name", "kind"], "properties": {
                    "code": { "type": "string" }, "name": { "type": "string" }, "kind": { "type": "string" },
                    "display_name": { "type": "string" }, "colour": { "type": "string" }, "logo_url": { "type": "string" } } },
                "Branch": { "type": "object", "properties": {
                    "code": { "type": "string" }, "member": { "type": "string" }, "name": { "type": "string" }, "address": { "type": "string" },
                    "opening_hours": { "type": "object", "additionalProperties": { "type": "string" }, "example": { "monday": "09:00-12:30, 13:30-17:00", "sunday": "closed" } },
                    "closed_dates": { "type": "array", "items": { "type": "object", "properties": { "date": { "type": "string", "format": "date" }, "reason": { "type": "string" } } } },
                    "pickup_location": { "type": "boolean" }, "curbside": { "type": "boolean" } } },
                "BranchInput": { "type": "object", "required": ["code", "name"], "properties": {
                    "code": { "type": "string" }, "name": { "type": "string" }, "address": { "type": "string" },
                    "opening_hours": { "type": "object", "additionalProperties": { "type": "string" } },
                    "closed_dates": { "type": "array", "items": { "type": "object", "properties": { "date": { "type": "string" }, "reason": { "type": "string" } } } },
                    "pickup_location": { "type": "boolean" }, "curbside": { "type": "boolean" } } },
                "Patron": { "type": "object", "properties": {
                    "id": { "type": "string" }, "cards": { "type": "array", "items": { "type": "string" } },
                    "family_name": { "type": "string" }, "given_names": { "type": "string" },
                    "home_branch": { "type": "string" }, "home_member": { "type": "string" }, "patron_type": { "type": "string" },
                    "expires_on": { "type": "string", "format": "date" }, "email": { "type": ["string", "null"] }, "phone": { "type": ["string", "null"] } } },
                "PatronInput": { "type": "object", "required": ["family_name", "home_branch", "patron_type", "expires_on"], "properties": {
                    "card": { "type": "string" }, "family_name": { "type": "string" }, "given_names": { "type": "string" },
                    "home_branch": { "type": "string" }, "patron_type": { "type": "string" }, "expires_on": { "type": "string", "format": "date" },
                    "email": { "type": "string" }, "phone": { "type": "string" }, "pin": { "type": "string" } } },
                "Grant": { "type": "object", "properties": { "role": { "type": "string", "enum": ["consortium_admin", "member_admin", "circulation", "cataloguing", "read_only"] }, "scope": { "type": "string", "example": "branch:RIVER-MAIN" } } },
                "Staff": { "type": "object", "properties": { "username": { "type": "string" }, "display_name": { "type": "string" }, "disabled": { "type": "boolean" }, "grants": { "type": "array", "items": reference("Grant") } } },
                "StaffInput": { "type": "object", "required": ["username", "display_name", "password", "grants"], "properties": { "username": { "type": "string" }, "display_name": { "type": "string" }, "password": { "type": "string", "minLength": 10 }, "grants": { "type": "array", "items": reference("Grant") } } },
                "Token": { "type": "object", "properties": { "id": { "type": "string" }, "name": { "type": "string" }, "role": { "type": "string" }, "scope": { "type": "string" }, "created_by": { "type": "string" }, "created_at": { "type": "integer" }, "expires_at": { "type": ["integer", "null"] }, "revoked_at": { "type": ["integer", "null"] }, "last_used_at": { "type": ["integer", "null"] }, "secret": { "type": "string", "description": "Only in the response that creates the token" } } },
                "AuditEntry": { "type": "object", "properties": { "id": { "type": "string" }, "at": { "type": "integer" }, "actor": { "type": "string" }, "action": { "type": "string" }, "entity_kind": { "type": "string" }, "entity_id": { "type": "string" }, "member": { "type": ["string", "null"] }, "before": {}, "after": {}, "reason": { "type": ["string", "null"] } } },
                "LoadSummary": { "type": "object", "properties": { "members_created": { "type": "integer" }, "members_updated": { "type": "integer" }, "members_unchanged": { "type": "integer" }, "branches_created": { "type": "integer" }, "branches_updated": { "type": "integer" }, "branches_unchanged": { "type": "integer" } } },
                "PolicyRule": { "type": "object", "properties": { "id": { "type": "string" }, "description": { "type": "string" }, "circulating_member": { "type": ["string", "null"] }, "circulating_branch": { "type": ["string", "null"] }, "patron_home_member": { "type": ["string", "null"] }, "patron_type": { "type": ["string", "null"] }, "item_type": { "type": ["string", "null"] }, "shelving_location": { "type": ["string", "null"] }, "specificity": { "type": "integer" }, "settings": { "type": "object", "additionalProperties": { "type": "string" }, "example": { "loan_period": "14d", "fine_per_period": "0.25" } } } },
                "PolicyRuleInput": { "type": "object", "required": ["description"], "properties": { "description": { "type": "string" }, "circulating_member": { "type": "string" }, "circulating_branch": { "type": "string" }, "patron_home_member": { "type": "string" }, "patron_type": { "type": "string" }, "item_type": { "type": "string" }, "shelving_location": { "type": "string" }, "settings": { "type": "object", "additionalProperties": { "type": "string" } } } },
                "Blocked": { "type": "object", "required": ["error"], "description": "A refusal a librarian must see: every reason at once, each saying whether staff with the override permission may lend anyway (resend with override_reason)", "properties": { "error": { "type": "object", "required": ["code", "message", "blocks"], "properties": {
                    "code": { "type": "string", "enum": ["blocked"] }, "message": { "type": "string" },
                    "blocks": { "type": "array", "items": { "type": "object", "required": ["code", "message", "overridable"], "properties": { "code": { "type": "string", "example": "card_expired" }, "message": { "type": "string" }, "overridable": { "type": "boolean" } } } }
                } } } },
                "LoanMade": { "type": "object", "properties": { "loan_id": { "type": "string" }, "patron_id": { "type": "string" }, "item_barcode": { "type": "string" }, "title": { "type": "string" }, "due_at": { "type": "integer", "description": "Unix seconds" }, "overridden": { "type": "array", "items": { "type": "string" }, "description": "Codes of the blocks overridden" } } },
                "Returned": { "type": "object", "properties": { "item_barcode": { "type": "string" }, "title": { "type": "string" }, "routing": { "type": "string", "enum": ["to_shelf", "in_transit"] }, "transit_to_branch": { "type": ["string", "null"] }, "transit_to_branch_name": { "type": ["string", "null"] }, "loan_id": { "type": ["string", "null"] }, "fine_charged": { "type": ["string", "null"], "example": "1.50 EUR" } } },
                "Renewed": { "type": "object", "properties": { "loan_id": { "type": "string" }, "item_barcode": { "type": "string" }, "due_at": { "type": "integer" }, "renewals_used": { "type": "integer" }, "overridden": { "type": "array", "items": { "type": "string" } } } },
                "LoanLine": { "type": "object", "properties": { "loan_id": { "type": "string" }, "item_barcode": { "type": "string" }, "title": { "type": "string" }, "author": { "type": "string" }, "checked_out_at": { "type": "integer" }, "due_at": { "type": "integer" }, "renewals_used": { "type": "integer" } } },
                "Fines": { "type": "object", "properties": { "balance": { "type": "string" }, "balance_minor": { "type": "integer", "description": "Integer minor units of the currency" }, "currency": { "type": "string", "example": "EUR" },
                    "charges": { "type": "array", "items": { "type": "object", "properties": { "charge_id": { "type": "string" }, "charged": { "type": "string" }, "paid": { "type": "string" }, "waived": { "type": "string" }, "refunded": { "type": "string" }, "outstanding": { "type": "string" } } } },
                    "entries": { "type": "array", "items": { "type": "object", "properties": { "id": { "type": "string" }, "kind": { "type": "string", "enum": ["charge", "payment", "waiver", "refund"] }, "charge_id": { "type": ["string", "null"] }, "amount": { "type": "string" }, "amount_minor": { "type": "integer" }, "currency": { "type": "string" }, "reason": { "type": "string" }, "loan_id": { "type": ["string", "null"] }, "created_at": { "type": "integer" } } } } } },
                "LedgerInput": { "type": "object", "required": ["amount", "reason"], "properties": { "amount": { "type": "string", "example": "2.50", "description": "A decimal amount in the consortium's currency" }, "reason": { "type": "string", "example": "LOST", "description": "A reason code (charges) or payment method code (payments)" }, "charge_id": { "type": "string", "description": "The charge a waiver or refund applies to" }, "note": { "type": "string" } } },
                "Recorded": { "type": "object", "properties": { "entry_ids": { "type": "array", "items": { "type": "string" } } } },
                "Session": { "type": "object", "properties": { "csrf_token": { "type": "string" }, "expires_at": { "type": "integer" } } }
            }
        },
        "security": [{ "bearer": [] }, { "session": [] }],
        "paths": {
            "/api/openapi.json": { "get": op("This document", "meta", vec![], None, ("200", ok("The OpenAPI document", json!({ "type": "object" })))) },
            "/api/v1/session": {
                "post": op("Staff login (sets the session cookie)", "sessions", vec![], Some(body(json!({ "type": "object", "required": ["username", "password"], "properties": { "username": { "type": "string" }, "password": { "type": "string" } } }))), ("200", ok("Logged in", reference("Session")))),
                "delete": op("Log out", "sessions", vec![], None, ("204", json!({ "description": "Logged out" })))
            },
            "/api/v1/patron-session": { "post": op("Patron login with card and PIN", "sessions", vec![], Some(body(json!({ "type": "object", "required": ["card", "pin"], "properties": { "card": { "type": "string" }, "pin": { "type": "string" } } }))), ("200", ok("Logged in", reference("Session")))) },
            "/api/v1/me": { "get": op("Who is asking: staff grants or the patron's own record", "sessions", vec![], None, ("200", ok("The principal", json!({ "type": "object" })))) },
            "/api/v1/consortium": { "get": op("The consortium and its members", "organisation", vec![], None, ("200", ok("The consortium", json!({ "type": "object" })))) },
            "/api/v1/members": {
                "get": op("List members", "organisation", vec![], None, ("200", ok("Members", list_of("Member")))),
                "post": op("Create a member (consortium administrators)", "organisation", vec![], Some(body(reference("MemberInput"))), ("201", ok("Created", reference("Member"))))
            },
            "/api/v1/members/{code}": {
                "get": op("One member", "organisation", vec![code.clone()], None, ("200", ok("The member", reference("Member")))),
                "put": op("Change a member's details and branding", "organisation", vec![code.clone()], Some(body(reference("MemberInput"))), ("200", ok("Changed", reference("Member"))))
            },
            "/api/v1/members/{code}/branches": {
                "get": op("A member's branches", "organisation", vec![code.clone()], None, ("200", ok("Branches", list_of("Branch")))),
                "post": op("Add a branch to a member", "organisation", vec![code.clone()], Some(body(reference("BranchInput"))), ("201", ok("Created", reference("Branch"))))
            },
            "/api/v1/branches": { "get": op("Every branch", "organisation", vec![], None, ("200", ok("Branches", list_of("Branch")))) },
            "/api/v1/branches/{code}": {
                "get": op("One branch", "organisation", vec![code.clone()], None, ("200", ok("The branch", reference("Branch")))),
                "put": op("Change a branch: hours, closed dates, pickup, curbside", "organisation", vec![code.clone()], Some(body(reference("BranchInput"))), ("200", ok("Changed", reference("Branch"))))
            },
            "/api/v1/org/load": { "post": op("Load a whole-consortium TOML file (the request body)", "organisation", vec![], Some(json!({ "required": true, "content": { "text/plain": { "schema": { "type": "string" } } } })), ("200", ok("What was created, updated and left unchanged", reference("LoadSummary")))) },
            "/api/v1/patrons": {
                "get": op("Find patrons by card, name (surname first) or email, within the caller's scope", "patrons", vec![query_param("q", "Card, name or email")], None, ("200", ok("Patrons", list_of("Patron")))),
                "post": op("Register a patron", "patrons", vec![], Some(body(reference("PatronInput"))), ("201", ok("Registered", reference("Patron"))))
            },
            "/api/v1/patrons/{id}": {
                "get": op("One patron (staff within scope, or the patron themself)", "patrons", vec![id.clone()], None, ("200", ok("The patron", reference("Patron")))),
                "put": op("Change a patron", "patrons", vec![id.clone()], Some(body(reference("PatronInput"))), ("200", ok("Changed", reference("Patron"))))
            },
            "/api/v1/patrons/{id}/pin": { "put": op("Set a patron's PIN", "patrons", vec![id.clone()], Some(body(json!({ "type": "object", "required": ["pin"], "properties": { "pin": { "type": "string" } } }))), ("204", json!({ "description": "Set" }))) },
            "/api/v1/patrons/{id}/cards": {
                "get": op("A patron's cards, active and deactivated", "patrons", vec![id.clone()], None, ("200", ok("Cards", json!({ "type": "array", "items": { "type": "object", "properties": { "barcode": { "type": "string" }, "active": { "type": "boolean" }, "created_at": { "type": "integer" }, "deactivated_at": { "type": ["integer", "null"] } } } })))),
                "post": op("Add a card (a barcode belongs to one patron for good)", "patrons", vec![id.clone()], Some(body(json!({ "type": "object", "required": ["barcode"], "properties": { "barcode": { "type": "string" } } }))), ("201", ok("The patron", reference("Patron"))))
            },
            "/api/v1/patrons/{id}/cards/{barcode}": { "delete": op("Deactivate a card (never the last active one)", "patrons", vec![id.clone(), path_param("barcode", "The card's barcode")], None, ("200", ok("The patron", reference("Patron")))) },
            "/api/v1/patrons/{id}/merge": { "post": op("Merge another patron into this one: cards (and later loans, holds, fines) move, the other record is removed", "patrons", vec![id.clone()], Some(body(json!({ "type": "object", "required": ["absorb"], "properties": { "absorb": { "type": "string", "description": "The id of the patron merged in" } } }))), ("200", ok("The patron kept", reference("Patron")))) },
            "/api/v1/patrons/{id}/account": { "put": op("A patron's own contact details, pickup library, notice channels and privacy choices (the patron, or staff who may write the patron)", "patrons", vec![id.clone()], Some(body(json!({ "type": "object", "properties": { "email": { "type": "string" }, "phone": { "type": "string" }, "sms_number": { "type": "string" }, "preferred_pickup_branch": { "type": "string" }, "notice_channels": { "type": "array", "items": { "type": "string", "enum": ["email", "sms", "print"] } }, "keep_reading_history": { "type": "boolean" }, "contact_home_member_only": { "type": "boolean" } } }))), ("200", ok("The patron", reference("Patron")))) },
            "/api/v1/me/pin": { "put": op("A patron changes their own PIN (the current PIN is required; wrong guesses are throttled)", "patrons", vec![], Some(body(json!({ "type": "object", "required": ["current_pin", "new_pin"], "properties": { "current_pin": { "type": "string" }, "new_pin": { "type": "string" } } }))), ("204", json!({ "description": "Changed" }))) },
            "/api/v1/registrations": { "get": op("Online self-registrations waiting for approval, within the caller's scope", "patrons", vec![], None, ("200", ok("Pending patrons", list_of("Patron")))) },
            "/api/v1/registrations/{id}/{decision}": { "post": op("Approve or reject a self-registration", "patrons", vec![id.clone(), path_param("decision", "approve or reject")], None, ("200", ok("The patron", reference("Patron")))) },
            "/api/v1/policies": {
                "get": op("Every circulation rule", "policies", vec![], None, ("200", ok("Rules", list_of("PolicyRule")))),
                "post": op("Create a rule (consortium defaults need a consortium administrator; member admins manage their own member's rules)", "policies", vec![], Some(body(reference("PolicyRuleInput"))), ("201", ok("Created", reference("PolicyRule"))))
            },
            "/api/v1/policies/explain": { "get": op("Which rule applies and why: each value, the rule that supplied it, and why more specific rules did not", "policies", vec![
                query_param("patron", "Patron card barcode"), query_param("branch", "Circulating branch code"), query_param("item_type", "Item type code"), query_param("shelving_location", "Shelving location code")
            ], None, ("200", ok("The explanation", json!({ "type": "object", "properties": { "complete": { "type": "boolean" }, "missing": { "type": "array", "items": { "type": "string" } }, "values": { "type": "array", "items": { "type": "object" } }, "rules": { "type": "array", "items": { "type": "object" } } } })))) },
            "/api/v1/policies/{id}": {
                "get": op("One rule", "policies", vec![id.clone()], None, ("200", ok("The rule", reference("PolicyRule")))),
                "put": op("Change a rule", "policies", vec![id.clone()], Some(body(reference("PolicyRuleInput"))), ("200", ok("Changed", reference("PolicyRule")))),
                "delete": op("Delete a rule", "policies", vec![id.clone()], None, ("204", json!({ "description": "Deleted" })))
            },
            "/api/v1/checkout": { "post": blocked_op(op("Lend an item to a patron at a branch's desk; one transaction. Refused with every block at once; staff with the override permission may resend with override_reason", "circulation", vec![], Some(body(json!({ "type": "object", "required": ["branch", "patron_card", "item_barcode"], "properties": { "branch": { "type": "string" }, "patron_card": { "type": "string" }, "item_barcode": { "type": "string" }, "override_reason": { "type": "string" } } }))), ("201", ok("Lent", reference("LoanMade"))))) },
            "/api/v1/checkin": { "post": blocked_op(op("Take an item back at a branch's desk: closes its loan, charges any overdue fine, and says where it goes next (to the shelf, or in transit home)", "circulation", vec![], Some(body(json!({ "type": "object", "required": ["branch", "item_barcode"], "properties": { "branch": { "type": "string" }, "item_barcode": { "type": "string" } } }))), ("200", ok("Returned", reference("Returned"))))) },
            "/api/v1/renew": { "post": blocked_op(op("Renew an open loan (staff at a branch, or the patron themself)", "circulation", vec![], Some(body(json!({ "type": "object", "required": ["item_barcode"], "properties": { "branch": { "type": "string" }, "item_barcode": { "type": "string" }, "override_reason": { "type": "string" } } }))), ("200", ok("Renewed", reference("Renewed"))))) },
            "/api/v1/patrons/{id}/loans": { "get": op("A patron's open loans (staff within scope, or the patron themself)", "circulation", vec![id.clone()], None, ("200", ok("Loans", list_of("LoanLine")))) },
            "/api/v1/patrons/{id}/fines": { "get": op("A patron's ledger: balance, each charge's balance and every entry", "circulation", vec![id.clone()], None, ("200", ok("The ledger", reference("Fines")))) },
            "/api/v1/patrons/{id}/charges": { "post": blocked_op(op("Add a manual charge to a patron's ledger", "circulation", vec![id.clone()], Some(body(reference("LedgerInput"))), ("201", ok("Recorded", reference("Recorded"))))) },
            "/api/v1/patrons/{id}/payments": { "post": blocked_op(op("Record a payment, full or partial; it is applied to the oldest outstanding charges first", "circulation", vec![id.clone()], Some(body(reference("LedgerInput"))), ("201", ok("Recorded (one entry per charge paid)", reference("Recorded"))))) },
            "/api/v1/patrons/{id}/waivers": { "post": blocked_op(op("Waive all or part of one charge (charge_id)", "circulation", vec![id.clone()], Some(body(reference("LedgerInput"))), ("201", ok("Recorded", reference("Recorded"))))) },
            "/api/v1/patrons/{id}/refunds": { "post": blocked_op(op("Refund all or part of what was paid on one charge (charge_id)", "circulation", vec![id.clone()], Some(body(reference("LedgerInput"))), ("201", ok("Recorded", reference("Recorded"))))) },
            "/api/v1/members/{code}/hidden-locations": {
                "get": op("The shelving locations a member keeps out of other members' views", "catalogue", vec![code.clone()], None, ("200", ok("The locations", json!({ "type": "object", "properties": { "locations": { "type": "array", "items": { "type": "string" } } } })))),
                "put": op("Set the shelving locations a member keeps out of other members' views: items there are shown, counted and found only in its own view (staff who manage its items; audited; searches follow within a second)", "catalogue", vec![code.clone()], Some(body(json!({ "type": "object", "required": ["locations"], "properties": { "locations": { "type": "array", "items": { "type": "string" } } } }))), ("200", ok("Set", json!({ "type": "object", "properties": { "locations": { "type": "array", "items": { "type": "string" } } } }))))
            },
            "/api/v1/members/{code}/shelving-locations": {
                "get": op("A member's shelving locations: every one its items stand at, named or kept back, by code, with its name (none: patrons see the code), its items and whether it is kept from other members", "catalogue", vec![code.clone()], None, ("200", ok("The locations", json!({ "type": "array", "items": shelving_location.clone() })))),
                "put": op("Name a member's shelving locations as patrons read them beside each copy; a code left out or with an empty name is shown as it is (staff who manage its items; audited)", "catalogue", vec![code.clone()], Some(body(json!({ "type": "object", "required": ["names"], "properties": { "names": { "type": "array", "items": { "type": "object", "required": ["code", "name"], "properties": { "code": { "type": "string", "example": "FIC" }, "name": { "type": "string", "maxLength": 80, "example": "Adult fiction" } } } } } }))), ("200", ok("Named", json!({ "type": "array", "items": shelving_location }))))
            },
            "/api/v1/members/{code}/items-float": {
                "get": op("Whether a member's items float (stay at whichever of its branches they are returned to)", "circulation", vec![code.clone()], None, ("200", ok("The flag", json!({ "type": "object", "properties": { "items_float": { "type": "boolean" } } })))),
                "put": op("Let a member's items float, or send them home on return (member or consortium administrators; audited)", "circulation", vec![code.clone()], Some(body(json!({ "type": "object", "required": ["items_float"], "properties": { "items_float": { "type": "boolean" } } }))), ("200", ok("Set", json!({ "type": "object", "properties": { "items_float": { "type": "boolean" } } }))))
            },
            "/api/v1/staff": {
                "get": op("Staff accounts the caller manages", "accounts", vec![], None, ("200", ok("Staff", list_of("Staff")))),
                "post": op("Create a staff account", "accounts", vec![], Some(body(reference("StaffInput"))), ("201", ok("Created", reference("Staff"))))
            },
            "/api/v1/tokens": {
                "get": op("API tokens in the caller's scope", "accounts", vec![], None, ("200", ok("Tokens", list_of("Token")))),
                "post": op("Issue an API token (the secret is returned once)", "accounts", vec![], Some(body(json!({ "type": "object", "required": ["name", "role", "scope"], "properties": { "name": { "type": "string" }, "role": { "type": "string" }, "scope": { "type": "string" }, "valid_days": { "type": "integer" } } }))), ("201", ok("Issued", reference("Token"))))
            },
            "/api/v1/tokens/{id}": { "delete": op("Revoke a token", "accounts", vec![id.clone()], None, ("200", ok("Revoked", reference("Token")))) },
            "/api/v1/audit": { "get": op("Browse the audit log, newest first", "audit", vec![
                query_param("member", "Member code"), query_param("actor", "e.g. staff:alice"), query_param("entity_kind", "member, branch, patron, staff, api_token"),
                query_param("entity_id", "The record's id or code"), query_param("action", "Action prefix, e.g. patron."), query_param("since", "YYYY-MM-DD"),
                query_param("until", "YYYY-MM-DD"), query_param("before", "Entries older than this id"), query_param("limit", "At most this many (1-1000)")
            ], None, ("200", ok("Entries", list_of("AuditEntry")))) },
            "/api/v1/search": { "get": op("Search the consortium's catalogue (public; exact total and facet counts)", "discovery", search_parameters(), None, ("200", ok("Results", search_results_schema()))) },
            "/api/v1/records/{id}": { "get": op("A record as the public sees it, with the holdings visible in the view", "discovery", vec![
                id.clone(), query_param("view", "A member code: that member's view (its hidden items shown, its holdings first)")
            ], None, ("200", ok("The record", public_record_schema()))) },
            "/api/v1/shelf/{item}": { "get": op("The copies either side of an item on its branch's shelf, in call number order, as the view sees them (public)", "discovery", vec![
                path_param("item", "The item an `id` of a record's holdings names"),
                query_param("view", "A member code: that member's view (its hidden items shown)"),
                query_param("each_side", "Copies either side, 1 to 50 (6 unless given)")
            ], None, ("200", ok("A stretch of the shelf", shelf_schema()))) },
            "/api/v1/browse": { "get": op("Titles, authors, subjects or series in alphabetical order, each with the number of titles the view has under it (public)", "discovery", vec![
                query_param("kind", "title, author, subject or series (author unless given)"),
                query_param("from", "Text to start from, in any case and with or without accents (for titles, a leading article is passed over)"),
                query_param("after", "A heading's search value: the page after it (a page's later_after)"),
                query_param("before", "A heading's search value: the page before it (a page's earlier_before)"),
                query_param("limit", "Headings a page lists, 1 to 100 (20 unless given)"),
                query_param("view", "A member code: that member's view (its hidden items counted)")
            ], None, ("200", ok("A page of headings", browse_schema()))) },
            "/api/v1/suggest": { "get": op("What to offer while a patron types: titles, authors, subjects and series that begin with the text (a title also without a leading article typed), or headings that an authority record leads to from a form that does, the most titles first (public)", "discovery", vec![
                query_param("q", "The text typed; nothing is offered for less than two letters or digits, unless the one is a character of a script written without spaces (Chinese, Japanese, Korean, Thai...)"),
                query_param("limit", "Suggestions of each kind, 1 to 10 (4 unless given)"),
                query_param("view", "A member code: that member's view (its hidden items counted)")
            ], None, ("200", ok("Headings offered", suggest_schema()))) }
        }
    })
}

/// `GET /api/openapi.json`.
pub async fn serve() -> Json<Value> {
    Json(document())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Every `/api/` path routed in this folder, in OpenAPI's `{param}` form.
    fn routed_paths() -> BTreeSet<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
        let mut paths = BTreeSet::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            // `.route(` may be followed by a line break before the path (rustfmt).
            for piece in text.split(".route(").skip(1) {
                let Some(quoted) = piece.trim_start().strip_prefix('"') else {
                    continue;
                };
                let path = quoted.split('"').next().unwrap();
                if path.starts_with("/api/") {
                    paths.insert(path.to_string());
                }
            }
        }
        paths
    }

    #[test]
    fn every_api_route_is_documented_and_every_documented_path_is_routed() {
        let document = document();
        let documented: BTreeSet<String> = document["paths"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        let routed = routed_paths();
        let undocumented: Vec<_> = routed.difference(&documented).collect();
        let gone: Vec<_> = documented.difference(&routed).collect();
        assert!(
            undocumented.is_empty(),
            "routes missing from openapi.rs: {undocumented:?}"
        );
        assert!(gone.is_empty(), "documented paths with no route: {gone:?}");
    }

    #[test]
    fn every_reference_resolves() {
        let document = document();
        let text = document.to_string();
        for piece in text.split("#/components/schemas/").skip(1) {
            let name = piece.split('"').next().unwrap();
            assert!(
                document["components"]["schemas"].get(name).is_some(),
                "{name} is referenced but not defined"
            );
        }
    }
}
