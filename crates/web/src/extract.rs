//! Who is asking: a bearer token (machines) or the session cookie (the console).

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use loanbook_service::{Actor, auth};
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::problem::{Problem, describe_json_error};

/// The cookie holding the console session token.
pub const SESSION_COOKIE: &str = "lb_session";

/// The bearer token sent with an API request, if any. The API does not accept the console's
/// cookie: a browser sends a cookie on its own, so accepting it would expose every API
/// endpoint to cross-site requests; console forms carry their own CSRF token.
pub fn token(parts: &Parts) -> Option<String> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(|t| t.trim().to_owned())
}

/// An authenticated actor, with the request id for the audit log.
pub struct Authenticated(pub Actor, pub String);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = token(parts).ok_or_else(|| {
            Problem::from(loanbook_service::ServiceError::Unauthenticated(
                "send Authorization: Bearer <token> (POST /api/v1/auth/login gives one)".into(),
            ))
        })?;
        let mut actor = auth::authenticate(&state.app, &token).await?;
        actor.request_id = parts
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(64).collect());
        Ok(Authenticated(actor, token))
    }
}

/// A JSON body whose errors name the field and the rule, never the value.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => {
                use axum::extract::rejection::JsonRejection;
                let detail = match &rejection {
                    JsonRejection::JsonDataError(e) => describe_json_error(
                        &std::error::Error::source(e)
                            .map(|s| s.to_string())
                            .unwrap_or_default(),
                    ),
                    JsonRejection::JsonSyntaxError(_) => "the body is not valid JSON".to_owned(),
                    JsonRejection::MissingJsonContentType(_) => {
                        "send Content-Type: application/json".to_owned()
                    }
                    JsonRejection::BytesRejection(_) => {
                        "the body could not be read (too large?)".to_owned()
                    }
                    _ => "the body could not be read".to_owned(),
                };
                Err(Problem::bad_request(detail))
            }
        }
    }
}

/// A text body (CSV, a JSON document kept as written): UTF-8, or a 400 problem saying so.
pub struct TextBody(pub String);

impl<S: Send + Sync> FromRequest<S> for TextBody {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| Problem::bad_request("the body could not be read (too large?)"))?;
        String::from_utf8(bytes.to_vec())
            .map(TextBody)
            .map_err(|e| {
                Problem::bad_request(format!(
                    "the body is not UTF-8 text (invalid byte at offset {})",
                    e.utf8_error().valid_up_to()
                ))
            })
    }
}

/// The caller's address for records such as e-signatures: the connection's peer, or
/// — behind a proxy — the first `X-Forwarded-For` address.
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().chars().take(64).collect::<String>())
            .filter(|v| !v.is_empty());
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        Ok(ClientIp(
            forwarded.or(peer).unwrap_or_else(|| "unknown".to_owned()),
        ))
    }
}
