//! Errors as `application/problem+json` (RFC 9457). Bodies never carry personal data:
//! rules name fields, not values.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use loanbook_service::{ServiceError, Violation};
use serde::Serialize;

/// A problem answer.
#[derive(Debug)]
pub struct Problem {
    status: StatusCode,
    title: &'static str,
    detail: String,
    errors: Vec<Violation>,
}

#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    detail: &'a str,
    #[serde(skip_serializing_if = "<[Violation]>::is_empty")]
    errors: &'a [Violation],
}

impl Problem {
    /// A problem with `status`.
    pub fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Problem {
        Problem {
            status,
            title,
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    /// 400: the body or a parameter could not be read.
    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "Bad request", detail)
    }
}

impl From<ServiceError> for Problem {
    fn from(e: ServiceError) -> Problem {
        let (status, title) = match &e {
            ServiceError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "Invalid input"),
            ServiceError::Forbidden { .. } => (StatusCode::FORBIDDEN, "Forbidden"),
            ServiceError::Refused { .. } => (StatusCode::FORBIDDEN, "Refused"),
            ServiceError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "Unauthenticated"),
            ServiceError::Locked(_) => (StatusCode::TOO_MANY_REQUESTS, "Account locked"),
            ServiceError::NotFound(_) => (StatusCode::NOT_FOUND, "Not found"),
            ServiceError::Conflict(_) => (StatusCode::CONFLICT, "Conflict"),
            ServiceError::NotInitialised => (StatusCode::SERVICE_UNAVAILABLE, "Not initialised"),
            ServiceError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "Internal error"),
        };
        let detail = match &e {
            ServiceError::Store(inner) => {
                tracing::error!(error = %inner, "store failure");
                "the database failed; the request changed nothing".to_owned()
            }
            other => other.to_string(),
        };
        let errors = match e {
            ServiceError::Invalid(v) => v,
            _ => Vec::new(),
        };
        Problem {
            status,
            title,
            detail,
            errors,
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = Body {
            kind: "about:blank",
            title: self.title,
            status: self.status.as_u16(),
            detail: &self.detail,
            errors: &self.errors,
        };
        let mut response = (self.status, axum::Json(&body)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// A serde error as a message that names the field but never repeats the value sent.
pub fn describe_json_error(message: &str) -> String {
    // "invalid type: string \"13800138000\", expected i64 at line 1 column 9"
    // (axum prefixes the field path: "name: invalid type: …")
    for marker in ["invalid type:", "invalid value:", "invalid length"] {
        if let Some(at) = message.find(marker)
            && let Some(expected) = message[at..].find(", expected")
        {
            return format!(
                "{}{}{}",
                &message[..at],
                marker.trim_end_matches(':'),
                &message[at + expected..]
            );
        }
    }
    message.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_drop_the_value() {
        assert_eq!(
            describe_json_error(
                "invalid type: string \"110101199003078515\", expected i64 at line 1 column 9"
            ),
            "invalid type, expected i64 at line 1 column 9"
        );
        assert_eq!(
            describe_json_error("missing field `name` at line 1 column 2"),
            "missing field `name` at line 1 column 2"
        );
    }
}
