//! The catalogue's JSON API: bibs with holdings, their MARC (read as MARCXML, written through the
//! MARC editor's line format), items, and merges with undo.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use concord_domain::ids::{BibId, BibMergeId, ItemId};
use concord_store::catalogue::{ItemRow, MergeRow};
use serde::{Deserialize, Serialize};

use super::SharedState;
use super::api::{ApiError, ApiJson, csrf};
use super::auth::Auth;
use crate::service::ServiceError;
use crate::service::catalogue::{self, BibDetail, ItemInput, UndoReport};

type ApiResult<T> = Result<T, ApiError>;

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/api/v1/bibs/{id}", get(get_bib))
        .route("/api/v1/bibs/{id}/marc", get(get_marc).put(put_marc))
        .route("/api/v1/bibs/{id}/items", post(add_item))
        .route("/api/v1/bibs/{id}/merge", post(merge))
        .route("/api/v1/bibs/{id}/withdraw", post(withdraw_bib))
        .route("/api/v1/bibs/{id}/restore", post(restore_bib))
        .route("/api/v1/items/{id}", get(get_item).put(update_item))
        .route(
            "/api/v1/members/{code}/hidden-locations",
            get(get_hidden_locations).put(put_hidden_locations),
        )
        .route(
            "/api/v1/members/{code}/shelving-locations",
            get(get_shelving_locations).put(put_location_names),
        )
        .route("/api/v1/items/{id}/withdraw", post(withdraw_item))
        .route("/api/v1/merges/{id}/undo", post(undo_merge))
}

fn id<T: std::str::FromStr>(raw: &str, what: &str) -> Result<T, ApiError> {
    raw.parse()
        .map_err(|_| ApiError(ServiceError::not_found(format!("{what} {raw}"))))
}

fn require_staff(auth: &Auth) -> Result<(), ApiError> {
    let principal = auth.require()?;
    if principal.is_staff() {
        Ok(())
    } else {
        Err(ApiError(ServiceError::new(
            concord_domain::ErrorCode::Forbidden,
            "This needs a staff account.",
        )))
    }
}

#[derive(Serialize)]
pub struct ItemView {
    pub id: String,
    pub bib: String,
    pub member: String,
    pub branch: String,
    pub current_branch: String,
    pub barcode: String,
    pub call_number: String,
    pub item_type: String,
    pub shelving_location: Option<String>,
    pub price_minor: Option<i64>,
    pub status: &'static str,
    pub hidden_from_other_members: bool,
}

fn item_view(detail: Option<&BibDetail>, item: &ItemRow) -> ItemView {
    let member = detail
        .and_then(|d| d.members.get(&item.member_id))
        .map_or_else(|| item.member_id.to_string(), |m| m.code.to_string());
    let branch = |id| {
        detail
            .and_then(|d| d.branches.get(&id))
            .map_or_else(|| id.to_string(), |b| b.code.to_string())
    };
    ItemView {
        id: item.id.to_string(),
        bib: item.bib_id.to_string(),
        member,
        branch: branch(item.branch_id),
        current_branch: branch(item.current_branch_id),
        barcode: item.barcode.to_string(),
        call_number: item.call_number.clone(),
        item_type: item.item_type.to_string(),
        shelving_location: item.shelving_location.as_ref().map(ToString::to_string),
        price_minor: item.price_minor,
        status: item.status.as_str(),
        hidden_from_other_members: item.hidden_from_other_members,
    }
}

#[derive(Serialize)]
pub struct MergeView {
    pub id: String,
    pub kept_bib: String,
    pub merged_bib: Option<String>,
    pub source_record_id: String,
    pub rule: String,
    pub items: Vec<String>,
    pub merged_by: String,
    pub merged_at: i64,
    pub undone_at: Option<i64>,
}

fn merge_view(merge: &MergeRow) -> MergeView {
    MergeView {
        id: merge.id.to_string(),
        kept_bib: merge.kept_bib.to_string(),
        merged_bib: merge.merged_bib.map(|b| b.to_string()),
        source_record_id: merge.source_record_id.clone(),
        rule: merge.rule.clone(),
        items: merge.items.iter().map(ToString::to_string).collect(),
        merged_by: merge.merged_by.clone(),
        merged_at: merge.merged_at,
        undone_at: merge.undone_at,
    }
}

#[derive(Serialize)]
pub struct IdentifierView {
    pub kind: &'static str,
    pub value: String,
}

#[derive(Serialize)]
pub struct BibView {
    pub id: String,
    pub title: String,
    pub author: String,
    pub publication_year: Option<i32>,
    pub record_type: String,
    pub withdrawn: bool,
    pub version: i64,
    pub identifiers: Vec<IdentifierView>,
    pub items: Vec<ItemView>,
    pub merges: Vec<MergeView>,
    /// The record in line format (as the MARC editor shows it); empty when it cannot be read.
    pub marc: String,
    /// Present when the stored MARC record cannot be read: what is wrong with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreadable_marc: Option<String>,
}

async fn get_bib(
    State(state): State<SharedState>,
    auth: Auth,
    Path(raw): Path<String>,
) -> ApiResult<Json<BibView>> {
    require_staff(&auth)?;
    bib_json(&state, id::<BibId>(&raw, "bib")?).await
}

/// Deletes the bib (out of the catalogue, when no copy and no merged record rest on it).
async fn withdraw_bib(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> ApiResult<Json<BibView>> {
    change_withdrawal(&state, &auth, &headers, &raw, true).await
}

/// Brings a deleted bib back into the catalogue.
async fn restore_bib(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> ApiResult<Json<BibView>> {
    change_withdrawal(&state, &auth, &headers, &raw, false).await
}

async fn change_withdrawal(
    state: &SharedState,
    auth: &Auth,
    headers: &HeaderMap,
    raw: &str,
    withdraw: bool,
) -> ApiResult<Json<BibView>> {
    csrf(auth, headers)?;
    let (who, id) = (auth.require()?, id::<BibId>(raw, "bib")?);
    let bib = if withdraw {
        catalogue::withdraw_bib(&state.ctx, who, id).await?
    } else {
        catalogue::restore_bib(&state.ctx, who, id).await?
    };
    bib_json(state, bib.id).await
}

/// The bib with every member's holdings, identifiers, merges and record, as the API gives it.
async fn bib_json(state: &SharedState, id: BibId) -> ApiResult<Json<BibView>> {
    let detail = catalogue::bib(&state.ctx, id).await?;
    Ok(Json(BibView {
        id: detail.bib.id.to_string(),
        title: detail.bib.summary.title.clone(),
        author: detail.bib.summary.author.clone(),
        publication_year: detail.bib.summary.publication_year,
        record_type: detail.bib.summary.record_type.to_string(),
        withdrawn: detail.bib.withdrawn,
        version: detail.bib.version,
        identifiers: detail
            .identifiers
            .iter()
            .map(|i| IdentifierView {
                kind: i.kind.as_str(),
                value: i.value.clone(),
            })
            .collect(),
        items: detail
            .items
            .iter()
            .map(|i| item_view(Some(&detail), i))
            .collect(),
        merges: detail.merges.iter().map(merge_view).collect(),
        marc: detail
            .record
            .as_ref()
            .map(concord_marc::to_line_format)
            .unwrap_or_default(),
        unreadable_marc: detail.record.as_ref().err().map(|u| u.problem.clone()),
    }))
}

async fn get_marc(
    State(state): State<SharedState>,
    auth: Auth,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    require_staff(&auth)?;
    let detail = catalogue::bib(&state.ctx, id::<BibId>(&raw, "bib")?).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/marcxml+xml; charset=utf-8",
        )],
        concord_marc::to_marcxml(detail.readable_record()?),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MarcBody {
    /// The record in line format.
    text: String,
}

async fn put_marc(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<MarcBody>,
) -> ApiResult<Json<serde_json::Value>> {
    csrf(&auth, &headers)?;
    let bib = catalogue::update_record(
        &state.ctx,
        auth.require()?,
        id::<BibId>(&raw, "bib")?,
        &body.text,
    )
    .await?;
    Ok(Json(serde_json::json!({
        "id": bib.id.to_string(),
        "version": bib.version,
        "title": bib.summary.title,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemBody {
    barcode: String,
    branch: String,
    #[serde(default)]
    current_branch: Option<String>,
    #[serde(default)]
    call_number: String,
    item_type: String,
    #[serde(default)]
    shelving_location: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    hidden_from_other_members: bool,
}

impl From<ItemBody> for ItemInput {
    fn from(b: ItemBody) -> Self {
        ItemInput {
            barcode: b.barcode,
            branch: b.branch,
            current_branch: b.current_branch,
            call_number: b.call_number,
            item_type: b.item_type,
            shelving_location: b.shelving_location,
            price: b.price,
            status: b.status,
            hidden_from_other_members: b.hidden_from_other_members,
        }
    }
}

async fn add_item(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<ItemBody>,
) -> ApiResult<(axum::http::StatusCode, Json<ItemView>)> {
    csrf(&auth, &headers)?;
    let item = catalogue::add_item(
        &state.ctx,
        auth.require()?,
        id::<BibId>(&raw, "bib")?,
        &body.into(),
    )
    .await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(item_view(None, &item)),
    ))
}

async fn get_item(
    State(state): State<SharedState>,
    auth: Auth,
    Path(raw): Path<String>,
) -> ApiResult<Json<ItemView>> {
    require_staff(&auth)?;
    let item = catalogue::item(&state.ctx, id::<ItemId>(&raw, "item")?).await?;
    let detail = catalogue::bib(&state.ctx, item.bib_id).await?;
    Ok(Json(item_view(Some(&detail), &item)))
}

/// The shelving locations a member keeps out of other members' views.
#[derive(Debug, Serialize, Deserialize)]
struct HiddenLocationsBody {
    locations: Vec<String>,
}

impl HiddenLocationsBody {
    fn of(codes: Vec<concord_domain::codes::Code>) -> HiddenLocationsBody {
        HiddenLocationsBody {
            locations: codes.iter().map(ToString::to_string).collect(),
        }
    }
}

async fn get_hidden_locations(
    State(state): State<SharedState>,
    auth: Auth,
    Path(code): Path<String>,
) -> ApiResult<Json<HiddenLocationsBody>> {
    let codes = catalogue::hidden_locations(&state.ctx, auth.require()?, &code).await?;
    Ok(Json(HiddenLocationsBody::of(codes)))
}

async fn put_hidden_locations(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<HiddenLocationsBody>,
) -> ApiResult<Json<HiddenLocationsBody>> {
    csrf(&auth, &headers)?;
    let locations: Vec<&str> = body.locations.iter().map(String::as_str).collect();
    let codes =
        catalogue::set_hidden_locations(&state.ctx, auth.require()?, &code, &locations).await?;
    Ok(Json(HiddenLocationsBody::of(codes)))
}

/// What staff call a member's shelving locations.
#[derive(Debug, Deserialize)]
struct LocationNamesBody {
    names: Vec<LocationNameBody>,
}

#[derive(Debug, Deserialize)]
struct LocationNameBody {
    code: String,
    name: String,
}

async fn get_shelving_locations(
    State(state): State<SharedState>,
    auth: Auth,
    Path(code): Path<String>,
) -> ApiResult<Json<Vec<catalogue::ShelvingLocation>>> {
    Ok(Json(
        catalogue::shelving_locations(&state.ctx, auth.require()?, &code).await?,
    ))
}

async fn put_location_names(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<LocationNamesBody>,
) -> ApiResult<Json<Vec<catalogue::ShelvingLocation>>> {
    csrf(&auth, &headers)?;
    let names: Vec<(&str, &str)> = body
        .names
        .iter()
        .map(|named| (named.code.as_str(), named.name.as_str()))
        .collect();
    Ok(Json(
        catalogue::set_location_names(&state.ctx, auth.require()?, &code, &names).await?,
    ))
}

async fn update_item(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<ItemBody>,
) -> ApiResult<Json<ItemView>> {
    csrf(&auth, &headers)?;
    let item = catalogue::update_item(
        &state.ctx,
        auth.require()?,
        id::<ItemId>(&raw, "item")?,
        &body.into(),
    )
    .await?;
    Ok(Json(item_view(None, &item)))
}

async fn withdraw_item(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> ApiResult<Json<ItemView>> {
    csrf(&auth, &headers)?;
    let item =
        catalogue::withdraw_item(&state.ctx, auth.require()?, id::<ItemId>(&raw, "item")?).await?;
    Ok(Json(item_view(None, &item)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MergeBody {
    /// The bib to merge into this one (it is withdrawn; its items move here).
    merged: String,
}

async fn merge(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<MergeBody>,
) -> ApiResult<Json<MergeView>> {
    csrf(&auth, &headers)?;
    let merge = catalogue::merge_bibs(
        &state.ctx,
        auth.require()?,
        id::<BibId>(&raw, "bib")?,
        id::<BibId>(&body.merged, "bib")?,
    )
    .await?;
    Ok(Json(merge_view(&merge)))
}

async fn undo_merge(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> ApiResult<Json<UndoReport>> {
    csrf(&auth, &headers)?;
    let report = catalogue::undo_merge(
        &state.ctx,
        auth.require()?,
        id::<BibMergeId>(&raw, "merge")?,
    )
    .await?;
    Ok(Json(report))
}
