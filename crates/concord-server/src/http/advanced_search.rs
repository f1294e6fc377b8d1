//! Advanced search: a form of labelled fields (title, author, subject, series, publisher,
//! ISBN or ISSN, call number), limits (formats, language, library, years of publication,
//! available now) and an order, for patrons who do not write `title:` themselves. It writes the
//! search in the query language and sends the browser to the ordinary results page, so the
//! results' address is an ordinary search that can be bookmarked, and the search box there
//! shows how the search is written.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use concord_domain::error::FieldError;
use concord_domain::org::Member;
use concord_search::{FacetField, SearchRequest};
use maud::{Markup, html};

use super::auth::Auth;
use super::pages::{View, html_response, render};
use super::search_api::SearchParams;
use super::search_pages::{PlaceNames, base_path, facet_value_label, search_url, view_switch};
use super::{AppState, SharedState};
use crate::service::search;
use crate::service::{ServiceError, ServiceResult};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/search/advanced", get(advanced))
        .route("/m/{member}/search/advanced", get(advanced))
}

/// The text fields of the form: parameter, label, and the query-language field it searches
/// (`None`: every keyword field).
const TEXT_FIELDS: [(&str, &str, Option<&str>); 8] = [
    ("all", "advanced.all", None),
    ("title", "advanced.title", Some("title")),
    ("author", "advanced.author", Some("author")),
    ("subject", "advanced.subject", Some("subject")),
    ("series", "advanced.series", Some("series")),
    ("publisher", "advanced.publisher", Some("publisher")),
    ("isbn", "advanced.isbn", Some("isbn")),
    ("callnumber", "advanced.callnumber", Some("callnumber")),
];

/// The earliest and latest years a search may name.
const YEARS: std::ops::RangeInclusive<i64> = -9999..=9999;

/// What the form asks, as typed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct AdvancedForm {
    text: HashMap<&'static str, String>,
    formats: Vec<String>,
    language: String,
    member: String,
    year_from: String,
    year_to: String,
    available: bool,
    sort: String,
}

impl AdvancedForm {
    fn read(pairs: &[(String, String)]) -> AdvancedForm {
        let mut form = AdvancedForm::default();
        for (name, value) in pairs {
            let value = value.trim();
            if let Some((field, _, _)) = TEXT_FIELDS.iter().find(|(field, _, _)| field == name) {
                form.text.insert(field, value.to_string());
                continue;
            }
            match name.as_str() {
                "format" if !value.is_empty() => form.formats.push(value.to_string()),
                "language" => form.language = value.to_string(),
                "member" => form.member = value.to_string(),
                "year_from" => form.year_from = value.to_string(),
                "year_to" => form.year_to = value.to_string(),
                "available" => form.available = !value.is_empty(),
                "sort" => form.sort = value.to_string(),
                _ => {}
            }
        }
        form
    }

    fn text(&self, field: &str) -> &str {
        self.text.get(field).map_or("", String::as_str)
    }

    /// The search the form asks for, as the results page's parameters, or what is wrong with
    /// it, every field at once.
    fn search_pairs(&self) -> Result<Vec<(String, String)>, ServiceError> {
        let mut errors = Vec::new();
        let mut year = |name: &str, value: &str| -> Option<i64> {
            if value.is_empty() {
                return None;
            }
            match value.parse::<i64>() {
                Ok(year) if YEARS.contains(&year) => Some(year),
                _ => {
                    errors.push(FieldError::new(name, "must be a year such as 1999"));
                    None
                }
            }
        };
        let from = year("year_from", &self.year_from);
        let to = year("year_to", &self.year_to);
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            errors.push(FieldError::new(
                "year_to",
                "must be the same year as the first or later",
            ));
        }
        if !errors.is_empty() {
            return Err(ServiceError::invalid(errors));
        }
        let mut parts = Vec::new();
        for (name, _, field) in TEXT_FIELDS {
            let value = self.text(name);
            if value.is_empty() {
                continue;
            }
            parts.push(match (name, field) {
                (_, None) => value.to_string(),
                // A number may be either kind.
                ("isbn", _) => format!("(isbn:({value}) OR issn:({value}))"),
                (_, Some(field)) => format!("{field}:({value})"),
            });
        }
        if from.is_some() || to.is_some() {
            let bound = |year: Option<i64>| year.map_or_else(|| "*".to_string(), |y| y.to_string());
            parts.push(format!("year:[{} TO {}]", bound(from), bound(to)));
        }
        let mut pairs = vec![("q".to_string(), parts.join(" "))];
        for format in &self.formats {
            pairs.push(("format".into(), format.clone()));
        }
        for (name, value) in [("language", &self.language), ("member", &self.member)] {
            if !value.is_empty() {
                pairs.push((name.into(), value.clone()));
            }
        }
        // On the shelf now: at the library chosen, or at any.
        if self.available {
            let at = if self.member.is_empty() {
                "true".to_owned()
            } else {
                self.member.clone()
            };
            pairs.push(("available".into(), at));
        }
        if !self.sort.is_empty() {
            pairs.push(("sort".into(), self.sort.clone()));
        }
        Ok(pairs)
    }
}

async fn advanced_page(
    state: &AppState,
    auth: &Auth,
    member_code: Option<&str>,
    pairs: &[(String, String)],
) -> ServiceResult<Response> {
    let member = search::view_of(&state.ctx, member_code).await?;
    let member = member.as_ref();
    let form = AdvancedForm::read(pairs);
    let mut error = None;
    if pairs.iter().any(|(name, _)| name == "run") {
        match form.search_pairs() {
            Ok(search) => {
                let mut params = SearchParams::parse(&search)?;
                params.view = member.map(|m| m.code.clone());
                return Ok(Redirect::to(&search_url(member, &params)).into_response());
            }
            Err(problem) => error = Some(problem),
        }
    }
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(html_response(
        status,
        form_page(state, auth, member, &form, error.as_ref()).await?,
    ))
}

/// The facets whose values the form offers: formats, languages, libraries.
const CHOICES: [FacetField; 3] = [FacetField::Format, FacetField::Language, FacetField::Member];

/// For each of [`CHOICES`], the values the catalogue holds in the view, by label: counted in
/// one pass over the catalogue.
async fn choices(
    view: &View<'_>,
    member: Option<&Member>,
    names: &PlaceNames,
) -> ServiceResult<[Vec<(String, String)>; 3]> {
    let mut request = SearchRequest::new("");
    request.view = member.map(|m| m.code.clone());
    request.facets = CHOICES.to_vec();
    request.facet_limit = 500;
    request.page_size = 1;
    let response = view
        .state
        .view_answers
        .answer(view.state, "advanced_choices", request)
        .await?;
    Ok(CHOICES.map(|facet| {
        let mut values: Vec<(String, String)> = response
            .facets
            .get(&facet)
            .into_iter()
            .flatten()
            .map(|count| {
                (
                    count.value.clone(),
                    facet_value_label(view, facet, &count.value, names),
                )
            })
            .collect();
        values.sort_by_key(|(_, label)| label.to_lowercase());
        values
    }))
}

async fn form_page(
    state: &AppState,
    auth: &Auth,
    member: Option<&Member>,
    form: &AdvancedForm,
    error: Option<&ServiceError>,
) -> ServiceResult<Markup> {
    let view = View::new(state, auth);
    let names = PlaceNames::load(state, member).await?;
    let [formats, languages, libraries] = choices(&view, member, &names).await?;
    let base = base_path(member);
    let title = view.t("advanced.title_page");
    let sorts = [
        ("", "search.sort_relevance"),
        ("title", "search.sort_title"),
        ("author", "search.sort_author"),
        ("date", "search.sort_date"),
        ("added", "search.sort_added"),
    ];
    let body = html! {
        h1 { (title) }
        (view_switch(&view, member, "/search/advanced"))
        (view.errors(error))
        form class="advanced" method="get" action=(format!("{base}/search/advanced")) {
            input type="hidden" name="run" value="1";
            fieldset {
                legend { (view.t("advanced.find")) }
                @for (name, label, _) in TEXT_FIELDS {
                    (view.text_input(error, name, view.t(label), form.text(name), "text", false))
                }
            }
            fieldset {
                legend { (view.t("advanced.limit")) }
                @if !formats.is_empty() {
                    fieldset class="choices" {
                        legend { (view.t("search.facet_format")) }
                        @for (value, label) in &formats {
                            @let id = format!("format-{value}");
                            div {
                                input type="checkbox" id=(id) name="format" value=(value) checked[form.formats.contains(value)];
                                label for=(id) { (label) }
                            }
                        }
                    }
                }
                (select(&view, "language", "search.facet_language", &languages, &form.language))
                (select(&view, "member", "search.facet_member", &libraries, &form.member))
                fieldset class="years" {
                    legend { (view.t("advanced.published")) }
                    (view.text_input(error, "year_from", view.t("advanced.year_from"), &form.year_from, "number", false))
                    (view.text_input(error, "year_to", view.t("advanced.year_to"), &form.year_to, "number", false))
                }
                div {
                    input type="checkbox" id="available" name="available" value="true" checked[form.available];
                    label for="available" { (view.t("search.available_now")) " " span class="hint" { (view.t("advanced.available_hint")) } }
                }
            }
            label for="sort" { (view.t("search.sort_label")) }
            select id="sort" name="sort" {
                @for (value, key) in sorts {
                    option value=(value) selected[form.sort == value] { (view.t(key)) }
                }
            }
            button type="submit" { (view.t("search.button")) }
        }
    };
    Ok(view.branded_page(title, member, body))
}

/// A choice of one value of a facet, or any.
fn select(
    view: &View<'_>,
    name: &str,
    label: &str,
    values: &[(String, String)],
    chosen: &str,
) -> Markup {
    html! {
        @if !values.is_empty() {
            label for=(name) { (view.t(label)) }
            select id=(name) name=(name) {
                option value="" selected[chosen.is_empty()] { (view.t("advanced.any")) }
                @for (value, text) in values {
                    option value=(value) selected[chosen == value] { (text) }
                }
            }
        }
    }
}

/// The consortium's advanced search, or under `/m/{member}` the member's.
async fn advanced(
    State(state): State<SharedState>,
    auth: Auth,
    member: Option<Path<String>>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let member = member.map(|Path(member)| member);
    let result = advanced_page(&state, &auth, member.as_deref(), &pairs).await;
    render(&state, &auth, result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::search_api::tests::pairs;

    #[test]
    fn the_form_is_written_in_the_query_language() {
        let form = AdvancedForm::read(&pairs(&[
            ("all", "dragons"),
            ("title", "  hobbit "),
            ("author", "Tolkien, J. R. R."),
            ("isbn", "978-0-261-10221-7"),
            ("year_from", "1937"),
            ("year_to", ""),
            ("format", "book"),
            ("format", "large_print"),
            ("language", "eng"),
            ("available", "true"),
            ("sort", "date"),
            ("run", "1"),
        ]));
        assert_eq!(
            form.search_pairs().unwrap(),
            pairs(&[
                (
                    "q",
                    "dragons title:(hobbit) author:(Tolkien, J. R. R.) \
                     (isbn:(978-0-261-10221-7) OR issn:(978-0-261-10221-7)) year:[1937 TO *]"
                ),
                ("format", "book"),
                ("format", "large_print"),
                ("language", "eng"),
                ("available", "true"),
                ("sort", "date"),
            ])
        );
        // On the shelf now at the library chosen.
        let at_library = AdvancedForm::read(&pairs(&[
            ("title", "hobbit"),
            ("member", "SHIRE"),
            ("available", "true"),
        ]));
        assert_eq!(
            at_library.search_pairs().unwrap(),
            pairs(&[
                ("q", "title:(hobbit)"),
                ("member", "SHIRE"),
                ("available", "SHIRE"),
            ])
        );
        // Nothing asked: everything, in the catalogue's order.
        assert_eq!(
            AdvancedForm::read(&[]).search_pairs().unwrap(),
            pairs(&[("q", "")])
        );
    }

    #[test]
    fn bad_years_are_named() {
        let form = AdvancedForm::read(&pairs(&[("year_from", "nineteen"), ("year_to", "99999")]));
        let error = form.search_pairs().unwrap_err();
        let fields: Vec<&str> = error.fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["year_from", "year_to"]);
        let form = AdvancedForm::read(&pairs(&[("year_from", "2001"), ("year_to", "1999")]));
        let error = form.search_pairs().unwrap_err();
        assert_eq!(error.fields[0].field, "year_to");
    }
}
