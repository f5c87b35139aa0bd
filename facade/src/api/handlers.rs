//! The REST endpoints of the seed, each a thin translation between a URL and
//! one herd command (docs/REST.md lists them with their replies).

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use proto::client::MAX_SCORE;
use serde_json::{Map, Value, json};

use super::AppState;
use super::error::{ApiError, Segments};
use super::tokens::{self, WriteQuery};
use crate::board::Topic;
use crate::catalog::Catalog;
use crate::protocol::{AuthId, Medal, Reply, Request, Score, SetBy, Tally};
use crate::push::{RegistryFull, parse_client_id};

/// A JSON reply or a JSON error.
type JsonResult = Result<Json<Value>, ApiError>;

/// A read's reply (JSON, with its `Olympic-Version`) or a JSON error.
type ReadResult = Result<Response, ApiError>;

/// A JSON reply with its `Olympic-Version` (and, for writes, its cookie),
/// or a JSON error.
type VersionedResult = Result<(HeaderMap, Json<Value>), ApiError>;

/// `GET /getMedalTally/{team}`.
pub async fn get_medal_tally(
    State(app): State<AppState>,
    headers: HeaderMap,
    Segments(team): Segments<String>,
) -> ReadResult {
    let token = tokens::token(&headers)?;
    let catalog = app.herd.catalog().await?;
    let team = known_team(&catalog, &team)?;
    let request = Request::Tally(team.to_owned());
    if let Some(rendered) = app.view.read_json(&request, token.as_ref()) {
        return Ok(json_response(rendered));
    }
    match tokens::read(&app.herd, &app.view, &request, token.as_ref()).await? {
        (Reply::Tally(tally), headers) => Ok((headers, Json(tally_json(&tally))).into_response()),
        (other, _) => Err(unexpected(&app, other)),
    }
}

/// A read's reply: a JSON body rendered already, with its headers.
fn json_response((body, mut headers): (bytes::Bytes, HeaderMap)) -> Response {
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    (headers, body).into_response()
}

/// `GET|POST|PUT /incrementMedalTally/{team}/{medal_type}/{auth_id}`.
pub async fn increment_medal_tally(
    State(app): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<WriteQuery>,
    Segments((team, medal, auth)): Segments<(String, String, String)>,
) -> VersionedResult {
    let token = tokens::token(&headers)?;
    let key = tokens::idempotency_key(&headers, &query)?;
    let catalog = app.herd.catalog().await?;
    let team = known_team(&catalog, &team)?;
    let medal = Medal::parse(&medal).ok_or_else(|| {
        ApiError::not_found(format!("no such medal: {medal:?} (gold, silver or bronze)"))
    })?;
    let auth = auth_id(&auth)?;
    let request = Request::Medal(team.to_owned(), medal, auth, key);
    match tokens::write(&app.herd, &app.view, &request, token.as_ref()).await? {
        (Reply::OkTally(tally), vector) => {
            let mut body = tally_json(&tally);
            body["ok"] = json!(true);
            body["message"] = json!(format!("{} medal added to {}", medal.as_str(), tally.team));
            Ok((written(vector.as_ref()), Json(body)))
        }
        (Reply::Denied, _) => Err(ApiError::forbidden(
            "not authorized: only Cacofonix may add medals",
        )),
        (other, _) => Err(unexpected(&app, other)),
    }
}

/// The headers of a successful write: its token, header and cookie.
fn written(vector: Option<&crate::version::Vector>) -> HeaderMap {
    vector.map_or_else(HeaderMap::new, |v| tokens::reply_headers(v, true))
}

/// `GET /getScore/{event_type}`.
pub async fn get_score(
    State(app): State<AppState>,
    headers: HeaderMap,
    Segments(event): Segments<String>,
) -> ReadResult {
    let token = tokens::token(&headers)?;
    let catalog = app.herd.catalog().await?;
    let event = known_event(&catalog, &event)?;
    let request = Request::Score(event.to_owned());
    if let Some(rendered) = app.view.read_json(&request, token.as_ref()) {
        return Ok(json_response(rendered));
    }
    match tokens::read(&app.herd, &app.view, &request, token.as_ref()).await? {
        (Reply::Score(score), headers) => Ok((headers, Json(score_json(&score))).into_response()),
        (other, _) => Err(unexpected(&app, other)),
    }
}

/// `GET|POST|PUT /setScore/{event_type}/{rome_score}/{gaul_score}/{auth_id}`.
pub async fn set_score(
    State(app): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<WriteQuery>,
    Segments((event, rome, gaul, auth)): Segments<(String, String, String, String)>,
) -> VersionedResult {
    let token = tokens::token(&headers)?;
    let key = tokens::idempotency_key(&headers, &query)?;
    let catalog = app.herd.catalog().await?;
    let event = known_event(&catalog, &event)?;
    let rome_score = score(&rome, "rome_score")?;
    let gaul_score = score(&gaul, "gaul_score")?;
    let auth = auth_id(&auth)?;
    let (rome, gaul) = rome_and_gaul(&catalog)?;
    let request = Request::SetScore(
        event.to_owned(),
        auth,
        vec![(rome.to_owned(), rome_score), (gaul.to_owned(), gaul_score)],
        key,
    );
    match tokens::write(&app.herd, &app.view, &request, token.as_ref()).await? {
        (Reply::OkScore(score), vector) => {
            let mut body = score_json(&score);
            body["ok"] = json!(true);
            body["message"] = json!(format!("{} score set", score.event));
            Ok((written(vector.as_ref()), Json(body)))
        }
        (Reply::Denied, _) => Err(ApiError::forbidden(
            "not authorized: only Cacofonix may set scores",
        )),
        (other, _) => Err(unexpected(&app, other)),
    }
}

/// `GET|POST|PUT /registerClient/{client_id}/{event_type}`.
pub async fn register_client(
    State(app): State<AppState>,
    Segments((client, event)): Segments<(String, String)>,
) -> JsonResult {
    let catalog = app.herd.catalog().await?;
    let event = known_event(&catalog, &event)?;
    let (client, new) = register(&app, &client, Topic::Event(event.to_owned()))?;
    Ok(Json(json!({
        "ok": true,
        "message": if new { "registered" } else { "already registered" },
        "client": client,
        "event": event,
        "push": format!("http://{client}/pushUpdate/{event}/{{stamp}}/{{team}}/{{score}}/..."),
    })))
}

/// `GET|POST|PUT /registerClient/{client_id}/medals/{team}`.
pub async fn register_medals(
    State(app): State<AppState>,
    Segments((client, team)): Segments<(String, String)>,
) -> JsonResult {
    let catalog = app.herd.catalog().await?;
    let team = known_team(&catalog, &team)?;
    let (client, new) = register(&app, &client, Topic::Team(team.to_owned()))?;
    Ok(Json(json!({
        "ok": true,
        "message": if new { "registered" } else { "already registered" },
        "client": client,
        "team": team,
        "push": format!(
            "http://{client}/pushUpdate/medals/{team}/{{gold}}/{{silver}}/{{bronze}}/{{stamp}}"
        ),
    })))
}

/// Registers the push address `client` for `topic`: the address in its
/// canonical form and whether it is new.
fn register(app: &AppState, client: &str, topic: Topic) -> Result<(String, bool), ApiError> {
    let client = parse_client_id(client).ok_or_else(|| {
        ApiError::bad_request("clientID must be the tablet's push address, host:port")
    })?;
    let new = app
        .pusher
        .register(&topic, &client)
        .map_err(|RegistryFull| {
            let (Topic::Event(name) | Topic::Team(name)) = &topic;
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!("too many tablets are registered for {name}"),
            )
        })?;
    Ok((client, new))
}

/// `{"medals": {"bronze": b, "gold": g, "silver": s}, "team": t}`.
pub fn tally_json(tally: &Tally) -> Value {
    json!({
        "medals": { "bronze": tally.bronze, "gold": tally.gold, "silver": tally.silver },
        "team": tally.team,
    })
}

/// `{"event": e, "scores": {team: n, ...}, "updated_at": t|null, "updated_by": s|null}`.
pub fn score_json(score: &Score) -> Value {
    let scores: Map<String, Value> = score
        .scores
        .iter()
        .map(|(team, points)| (team.clone(), json!(points)))
        .collect();
    json!({
        "event": score.event,
        "scores": scores,
        "updated_at": score.set.as_ref().map(SetBy::at),
        "updated_by": score.set.as_ref().map(|set| &set.server),
    })
}

/// The canonical team name, or 404.
pub fn known_team<'a>(catalog: &'a Catalog, team: &str) -> Result<&'a str, ApiError> {
    catalog.team(team).ok_or_else(|| {
        ApiError::not_found(format!(
            "no such team: {team:?} (teams: {})",
            catalog.teams.join(", ")
        ))
    })
}

/// The canonical event name, or 404.
pub fn known_event<'a>(catalog: &'a Catalog, event: &str) -> Result<&'a str, ApiError> {
    catalog.event(event).ok_or_else(|| {
        ApiError::not_found(format!(
            "no such event: {event:?} (events: {})",
            catalog.events.join(", ")
        ))
    })
}

/// The seed's setScore names Rome and Gaul; the herd wants every team once.
fn rome_and_gaul(catalog: &Catalog) -> Result<(&str, &str), ApiError> {
    match (catalog.team("Rome"), catalog.team("Gaul")) {
        (Some(rome), Some(gaul)) if catalog.teams.len() == 2 => Ok((rome, gaul)),
        _ => Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "setScore sets Rome and Gaul, but this herd's teams are: {}",
                catalog.teams.join(", ")
            ),
        )),
    }
}

/// A score within the herd's range, ±[`MAX_SCORE`], or 400 naming it.
fn score(text: &str, what: &str) -> Result<i64, ApiError> {
    text.parse()
        .ok()
        .filter(|score: &i64| (-MAX_SCORE..=MAX_SCORE).contains(score))
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "{what} must be an integer from -{MAX_SCORE} to {MAX_SCORE}, not {:?}",
                clipped(text)
            ))
        })
}

/// At most [`MAX_SHOWN`] characters of `text`, for an error message.
fn clipped(text: &str) -> String {
    match text.char_indices().nth(MAX_SHOWN) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_owned(),
    }
}

/// Characters of a bad value quoted back in an error message.
const MAX_SHOWN: usize = 40;

fn auth_id(text: &str) -> Result<AuthId, ApiError> {
    AuthId::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))
}

/// The error for a reply the endpoint did not expect.
pub fn unexpected(app: &AppState, reply: Reply) -> ApiError {
    match reply {
        Reply::Invalid => {
            // Names were checked against the catalog, so the herd's own
            // configuration may have changed: read it again next time.
            app.herd.forget_catalog();
            ApiError::bad_request("the herd rejected the request as invalid")
        }
        Reply::Denied => ApiError::forbidden("not authorized"),
        Reply::Failed => {
            tracing::warn!("the herd could not make a write durable");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the herd could not make the write durable; nothing was applied",
            )
        }
        _ => ApiError::from(crate::herd_link::LinkError::Unexpected),
    }
}
