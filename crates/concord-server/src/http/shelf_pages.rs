//! Browsing a branch's shelf: the items standing either side of one item, in call number order
//! (`/shelf/{item}`, a member's view under `/m/{member}`), as a patron finds neighbours of a
//! book in the stacks. Reached from a record page's copies.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use concord_domain::ids::ItemId;
use concord_domain::org::Member;
use concord_store::catalogue::ShelfItem;
use maud::{Markup, html};

use super::SharedState;
use super::auth::Auth;
use super::pages::{HeadLinks, View, html_response, render};
use super::search_pages::{ViewPath, base_path, status_text, view_switch};
use crate::service::search::{self, ShelfStretch};
use crate::service::{ServiceError, ServiceResult};

/// Items shown either side of the one browsed from.
const EACH_SIDE: usize = 6;

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/shelf/{item}", get(shelf))
        .route("/m/{member}/shelf/{item}", get(shelf))
}

/// The address of the shelf around `item` in the view of `member` (none: the consortium's).
pub(super) fn shelf_url(member: Option<&Member>, item: ItemId) -> String {
    format!("{}/shelf/{item}", base_path(member))
}

pub(super) fn item_id(raw: &str) -> ServiceResult<ItemId> {
    raw.parse::<i64>()
        .map(ItemId)
        .map_err(|_| ServiceError::not_found(format!("item {raw} on a shelf")))
}

async fn shelf_page(
    state: &SharedState,
    auth: &Auth,
    member_code: Option<&str>,
    raw: &str,
) -> ServiceResult<Response> {
    let view = View::new(state, auth);
    let member = search::view_of(&state.ctx, member_code).await?;
    let member = member.as_ref();
    let id = item_id(raw)?;
    let stretch = search::shelf(&state.ctx, id, member.map(|m| &m.code), EACH_SIDE).await?;
    let title = view.tf(
        "shelf.title",
        &[
            ("branch", &stretch.branch.name),
            ("call_number", &stretch.at.call_number),
        ],
    );
    // The consortium's view has this shelf only when every view sees the copy; otherwise "all
    // libraries" leads to the record, which every view has.
    let everyone = if stretch.seen_by_all {
        shelf_url(None, id)
    } else {
        format!("/record/{}", stretch.at.bib_id)
    };
    let body = html! {
        (view_switch(&view, member, &everyone))
        h1 { (title) }
        p class="muted" { (stretch.member.branding.display_name) }
        (shelf_body(&view, member, &stretch))
    };
    let canonical = shelf_url(None, id);
    Ok(html_response(
        StatusCode::OK,
        view.page_with_head(
            &title,
            member,
            HeadLinks {
                canonical: stretch.seen_by_all.then_some(canonical.as_str()),
                feed: None,
            },
            body,
        ),
    ))
}

fn shelf_body(view: &View<'_>, member: Option<&Member>, stretch: &ShelfStretch) -> Markup {
    let base = base_path(member);
    // A branch whose copies have no shelving location shows no empty column.
    let located = !stretch.locations.is_empty();
    let row = |item: &ShelfItem, here: bool| {
        html! {
            tr class=[here.then_some("here")] aria-current=[here.then_some("true")] {
                td {
                    @if here {
                        (item.call_number)
                    } @else {
                        a href=(shelf_url(member, item.item_id)) title=(view.t("shelf.browse_from")) { (item.call_number) }
                    }
                }
                td {
                    a href=(format!("{base}/record/{}", item.bib_id)) { (item.title) }
                    @if !item.author.is_empty() { span class="muted" { " · " (item.author) } }
                }
                @if located { td { @if let Some(location) = stretch.locations.get(&item.item_id) { (location) } } }
                td { (status_text(view, item.status, stretch.due.get(&item.item_id).map(ToString::to_string))) }
            }
        }
    };
    html! {
        @if stretch.more_before {
            @if let Some(first) = stretch.before.first() {
                p { a href=(shelf_url(member, first.item_id)) rel="prev" { "← " (view.t("shelf.earlier")) } }
            }
        }
        table class="shelf" {
            caption class="visually-hidden" { (view.t("shelf.caption")) }
            thead { tr {
                th scope="col" { (view.t("record.call_number")) }
                th scope="col" { (view.t("shelf.title_column")) }
                @if located { th scope="col" { (view.t("record.location")) } }
                th scope="col" { (view.t("record.status")) }
            } }
            tbody {
                @for item in &stretch.before { (row(item, false)) }
                (row(&stretch.at, true))
                @for item in &stretch.after { (row(item, false)) }
            }
        }
        @if stretch.more_after {
            @if let Some(last) = stretch.after.last() {
                p { a href=(shelf_url(member, last.item_id)) rel="next" { (view.t("shelf.later")) " →" } }
            }
        }
    }
}

/// The shelf around a copy in the consortium's view, or under `/m/{member}` a member's.
async fn shelf(
    State(state): State<SharedState>,
    auth: Auth,
    Path(path): Path<ViewPath<String>>,
) -> Response {
    let result = shelf_page(&state, &auth, path.member.as_deref(), &path.of).await;
    render(&state, &auth, result)
}
