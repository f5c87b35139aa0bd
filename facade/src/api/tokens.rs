//! Read-your-writes and retry-safe writes at the HTTP edge: the
//! `Olympic-Version` token a request carries (header or `olympic_version`
//! cookie) and the one a reply gives back; the `Idempotency-Key` header or
//! `idem` query parameter of a write. What a token means is in
//! [`crate::version`]; how reads wait for one is [`read`].

use std::time::{Duration, Instant};

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use cookie::{Cookie, SameSite};
use proto::idem::{IdemKey, MAX_KEY_LEN};
use serde::Deserialize;

use super::error::ApiError;
use crate::catalog::Herd;
use crate::herd_link::LinkError;
use crate::protocol::{Reply, Request};
use crate::replicas::READ_ATTEMPT_TIMEOUT;
use crate::version::{self, Vector};
use crate::view::ReadView;

/// Longest a read with a token waits for a replica that covers it.
pub const TOKEN_WAIT: Duration = Duration::from_secs(1);
/// Pause between rounds over the replicas while none covers a token yet.
pub const STALE_POLL: Duration = Duration::from_millis(5);
/// The idempotency key header (the IETF httpapi draft's name).
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// The write endpoints' query string: `?idem=<key>` stands in for the
/// `Idempotency-Key` header.
#[derive(Debug, Default, Deserialize)]
pub struct WriteQuery {
    /// The idempotency key, for clients that cannot set headers.
    pub idem: Option<String>,
}

/// The token a request carries: the `Olympic-Version` header, else the
/// `olympic_version` cookie; `None` if neither. A malformed one is a 400.
pub fn token(headers: &HeaderMap) -> Result<Option<Vector>, ApiError> {
    let bad = |_| ApiError::bad_request("the Olympic-Version token is malformed");
    if let Some(value) = headers.get(version::HEADER) {
        let text = value.to_str().map_err(|_| bad(()))?;
        return Vector::decode(text).map(Some).map_err(|_| bad(()));
    }
    for value in headers.get_all(COOKIE) {
        let Ok(text) = value.to_str() else { continue };
        for cookie in Cookie::split_parse(text).flatten() {
            if cookie.name() == version::COOKIE {
                return Vector::decode(cookie.value())
                    .map(Some)
                    .map_err(|_| bad(()));
            }
        }
    }
    Ok(None)
}

/// The write's idempotency key: the `Idempotency-Key` header (a bare or
/// double-quoted string), else `?idem=`; `None` if neither.
pub fn idempotency_key(
    headers: &HeaderMap,
    query: &WriteQuery,
) -> Result<Option<IdemKey>, ApiError> {
    let text = match headers.get(IDEMPOTENCY_KEY) {
        Some(value) => {
            let text = value.to_str().unwrap_or("");
            let unquoted = text.strip_prefix('"').and_then(|t| t.strip_suffix('"'));
            Some(unquoted.unwrap_or(text).to_owned())
        }
        None => query.idem.clone(),
    };
    text.map(|text| {
        IdemKey::new(&text).ok_or_else(|| {
            ApiError::bad_request(format!(
                "an idempotency key is 1 to {MAX_KEY_LEN} visible ASCII characters"
            ))
        })
    })
    .transpose()
}

/// Headers that give `vector` back: `Olympic-Version`, and the cookie too
/// when `cookie` (writes).
pub fn reply_headers(vector: &Vector, cookie: bool) -> HeaderMap {
    let token = vector.encode();
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(&token) {
        headers.insert(version::HEADER, value);
    }
    if cookie {
        let cookie = Cookie::build((version::COOKIE, token))
            .path("/")
            .same_site(SameSite::Lax)
            .build();
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            headers.insert(SET_COOKIE, value);
        }
    }
    headers
}

/// Reads with `request`: from the read view if it covers `token` (see
/// [`crate::view`]), else from a replica that covers `token`: each attempt
/// sends `VERSION` then the read on one connection, so the read returns at
/// least what the version says. A replica that fails is left for another;
/// one behind the token too, and after a round of them all the facade waits
/// [`STALE_POLL`] and tries again, for up to [`TOKEN_WAIT`], then answers
/// 503. Returns the reply and the headers giving back its token (the
/// view's or replica's vector, merged with `token`).
pub async fn read(
    herd: &Herd,
    view: &ReadView,
    request: &Request,
    token: Option<&Vector>,
) -> Result<(Reply, HeaderMap), ApiError> {
    if let Some(answer) = view.read(request, token) {
        return Ok(answer);
    }
    let (reply, vector) = read_herd(herd, request, token).await?;
    view.answered(&vector);
    Ok((reply, reply_headers(&vector, false)))
}

/// [`read`] from the herd itself.
async fn read_herd(
    herd: &Herd,
    request: &Request,
    token: Option<&Vector>,
) -> Result<(Reply, Vector), ApiError> {
    let deadline = Instant::now() + TOKEN_WAIT;
    let requests = [Request::Version, request.clone()];
    let mut skip = Vec::with_capacity(herd.replicas.len());
    let (mut failures, mut last) = (0, LinkError::Unreachable);
    loop {
        let Some(index) = herd.replicas.pick(&skip) else {
            if failures == herd.replicas.len() {
                return Err(last.into());
            }
            if Instant::now() >= deadline {
                return Err(stale());
            }
            tokio::time::sleep(STALE_POLL).await;
            skip.clear();
            failures = 0;
            continue;
        };
        skip.push(index);
        match herd
            .send_to(index, &requests, 1, READ_ATTEMPT_TIMEOUT)
            .await
        {
            Ok(mut replies) if replies.len() == 2 => {
                let reply = replies.pop().unwrap_or(Reply::Unexpected);
                let Some(Reply::Version(vector)) = replies.pop() else {
                    return Err(LinkError::Unexpected.into());
                };
                if token.is_none_or(|t| vector.covers(t)) {
                    return Ok((reply, vector.merged(token)));
                }
            }
            Ok(_) | Err(LinkError::Unexpected) => return Err(LinkError::Unexpected.into()),
            Err(LinkError::Unsendable) => return Err(LinkError::Unsendable.into()),
            Err(error) => {
                failures += 1;
                last = error;
            }
        }
    }
}

/// Writes with `request` (see [`Herd::request_many`]) and asks the same
/// replica, on the same connection, for its version right after: a token
/// that covers the write. Returns the reply and the token to give back
/// (merged with the request's `token`).
pub async fn write(
    herd: &Herd,
    view: &ReadView,
    request: &Request,
    token: Option<&Vector>,
) -> Result<(Reply, Option<Vector>), ApiError> {
    let requests = [request.clone(), Request::Version];
    let (mut replies, _) = herd.request_many(&requests, 0, herd.timeout).await?;
    let version = replies.pop();
    let reply = replies.pop().ok_or(ApiError::from(LinkError::Unexpected))?;
    let vector = match version {
        Some(Reply::Version(vector)) => Some(vector.merged(token)),
        _ => None,
    };
    if let Some(vector) = &vector {
        view.answered(vector);
    }
    Ok((reply, vector))
}

/// 503: no replica caught up with the token in time.
fn stale() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        format!(
            "no herd server has caught up with the Olympic-Version given within {} ms; try again",
            TOKEN_WAIT.as_millis()
        ),
    )
}
