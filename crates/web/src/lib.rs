//! The REST API (`/api/v1`, OpenAPI) and the server-rendered console. Thin: parse the
//! request, call one service function, render the answer.
//!
//! Filled from the system-of-record issue on.
#![deny(missing_docs)]
