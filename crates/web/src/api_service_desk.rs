//! `/api/v1` for the service desk and the loan officers' field work: customer-service
//! tickets (客服工单) with their SLA, assignment, responses, resolution, rating and
//! account statements, and post-loan inspections (贷后检查) with their work queue.
//!
//! A ticket moves open → in_progress (assigned) → resolved → closed (rated); a wrong
//! move answers 409. Inspections are `pending` until completed with the checklist; the
//! completion answers the next periodic inspection it scheduled (`next`).

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use loanbook_service::inspections::{self, CompleteInput, FollowUp, ScheduleInput};
use loanbook_service::tickets::{self, CommentInput, RatingInput, StatementInput, TicketInput};
use loanbook_service::{Permission, loans};
use serde::Deserialize;
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::api::{ApiResult, created, ok};
use crate::extract::{Authenticated, JsonBody};

/// `POST /api/v1/tickets`
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketRequest {
    /// The customer.
    pub customer_id: i64,
    /// The loan it is about, if any (one of the customer's).
    pub loan_id: Option<i64>,
    /// inquiry (咨询), complaint (投诉) or request (申请).
    #[serde(default)]
    pub kind: String,
    /// phone, email, counter, app or letter.
    #[serde(default)]
    pub channel: String,
    /// normal (default) or high.
    pub priority: Option<String>,
    /// One line, at most 200 characters.
    #[serde(default)]
    pub subject: String,
    /// What the customer said, at most 4000 characters.
    #[serde(default)]
    pub description: String,
}

/// `POST /api/v1/tickets/{id}/assign` and `POST /api/v1/inspections/{id}/assign`
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    /// The user to work it (holding `ticket:work`, or `inspection:work`).
    #[serde(default)]
    pub assigned_to: String,
}

/// `POST /api/v1/tickets/{id}/comment`
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentRequest {
    /// The text (at most 4000 characters).
    #[serde(default)]
    pub note: String,
    /// response (said to the customer, default; the first sets first_response_at) or
    /// note (internal).
    pub kind: Option<String>,
}

/// `POST /api/v1/tickets/{id}/resolve`
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveRequest {
    /// What was done or answered (at most 4000 characters).
    #[serde(default)]
    pub resolution: String,
}

/// `POST /api/v1/tickets/{id}/rate`
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateRequest {
    /// 1 (very dissatisfied) to 5 (very satisfied).
    pub rating: i64,
    /// What the customer said (at most 500 characters).
    pub comment: Option<String>,
}

/// `POST /api/v1/tickets/{id}/reopen`
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenRequest {
    /// Why the customer is not satisfied (at most 4000 characters).
    #[serde(default)]
    pub reason: String,
}

/// `POST /api/v1/tickets/{id}/statement`
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatementRequest {
    /// The loan (default: the ticket's).
    pub loan_id: Option<i64>,
    /// First business date, YYYY-MM-DD.
    #[serde(default)]
    pub from: String,
    /// Last business date, YYYY-MM-DD (at most the business date).
    #[serde(default)]
    pub to: String,
}

/// `POST /api/v1/loans/{id}/inspections`
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleRequest {
    /// Due date, YYYY-MM-DD (default: the business date; at most 366 days later).
    pub due_on: Option<String>,
    /// Who does it (a user holding `inspection:work`).
    pub assigned_to: Option<String>,
    /// Why (required).
    #[serde(default)]
    pub reason: String,
}

/// A follow-up task of an inspection.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpRequest {
    /// What to do.
    #[serde(default)]
    pub task: String,
    /// By when, YYYY-MM-DD (not before the inspection).
    #[serde(default)]
    pub due_on: String,
    /// Who (an active user).
    #[serde(default)]
    pub owner: String,
}

/// `POST /api/v1/inspections/{id}/complete`
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteRequest {
    /// When it was done, YYYY-MM-DD (default: the business date).
    pub done_on: Option<String>,
    /// use_of_funds, business_status, collateral → satisfactory, concern, adverse or
    /// not_applicable (all three required).
    #[serde(default)]
    pub checklist: BTreeMap<String, String>,
    /// What was found.
    #[serde(default)]
    pub findings: String,
    /// Documents of the borrower on file.
    #[serde(default)]
    pub document_ids: Vec<i64>,
    /// Tasks that follow from it (at most 20).
    #[serde(default)]
    pub follow_ups: Vec<FollowUpRequest>,
}

#[derive(Deserialize)]
struct QueueQuery {
    assigned_to: Option<String>,
}

/// Open a ticket (needs `ticket:work`): its SLA due time follows the kind and priority
/// (inquiry 24 h / 8 h, complaint 48 h / 24 h, request 72 h / 24 h).
#[utoipa::path(post, path = "/api/v1/tickets", tag = "service desk", request_body = TicketRequest, security(("bearer" = [])),
    responses((status = 201, description = "the ticket with its history"), (status = 422, description = "kind, channel, priority, subject, description, customer_id or loan_id refused")))]
async fn open_ticket(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    JsonBody(b): JsonBody<TicketRequest>,
) -> ApiResult {
    let input = TicketInput {
        customer_id: b.customer_id,
        loan_id: b.loan_id,
        kind: b.kind,
        channel: b.channel,
        priority: b.priority,
        subject: b.subject,
        description: b.description,
    };
    created(tickets::open(&s.app, &actor, &input).await?)
}

/// Tickets by id: `status` (open, in_progress, resolved, closed, or pending for the first
/// two), `assigned_to`, `breached=true`, `customer_id`, `loan_id`, `after_id`, `limit`.
#[utoipa::path(get, path = "/api/v1/tickets", tag = "service desk",
    params(("status" = Option<String>, Query), ("assigned_to" = Option<String>, Query), ("breached" = Option<bool>, Query),
           ("customer_id" = Option<i64>, Query), ("loan_id" = Option<i64>, Query), ("after_id" = Option<i64>, Query), ("limit" = Option<i64>, Query)),
    security(("bearer" = [])), responses((status = 200, description = "tickets"), (status = 422, description = "status or limit refused")))]
async fn list_tickets(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Query(q): Query<tickets::ListInput>,
) -> ApiResult {
    ok(tickets::list(&s.app, &actor, &q).await?)
}

/// A ticket with its history (events).
#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "service desk", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, description = "the ticket and its events"), (status = 404, description = "no such ticket")))]
async fn get_ticket(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(tickets::get(&s.app, &actor, id).await?)
}

/// Assign a ticket to a user holding `ticket:work`; it is then in progress.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/assign", tag = "service desk", request_body = AssignRequest, params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, description = "the ticket"), (status = 404, description = "no such ticket"), (status = 409, description = "resolved or closed"), (status = 422, description = "assigned_to refused")))]
async fn assign_ticket(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<AssignRequest>,
) -> ApiResult {
    ok(tickets::assign(&s.app, &actor, id, &b.assigned_to).await?)
}

/// Add a response to the customer (the first sets `first_response_at`) or an internal
/// note.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/comment", tag = "service desk", request_body = CommentRequest, params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, description = "the ticket"), (status = 404, description = "no such ticket"), (status = 422, description = "note or kind refused")))]
async fn comment_ticket(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<CommentRequest>,
) -> ApiResult {
    let input = CommentInput {
        note: b.note,
        kind: b.kind,
    };
    ok(tickets::comment(&s.app, &actor, id, &input).await?)
}

/// Resolve a ticket with what was done or answered.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/resolve", tag = "service desk", request_body = ResolveRequest, params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, description = "the ticket, resolved"), (status = 404, description = "no such ticket"), (status = 409, description = "resolved or closed already"), (status = 422, description = "resolution refused")))]
async fn resolve_ticket(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<ResolveRequest>,
) -> ApiResult {
    ok(tickets::resolve(&s.app, &actor, id, &b.resolution).await?)
}

/// Record the customer's satisfaction rating (1–5) of a resolved ticket; it closes it.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/rate", tag = "service desk", request_body = RateRequest, params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, description = "the ticket, closed"), (status = 404, description = "no such ticket"), (status = 409, description = "not resolved"), (status = 422, description = "rating or comment refused")))]
async fn rate_ticket(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<RateRequest>,
) -> ApiResult {
    let input = RatingInput {
        rating: b.rating,
        comment: b.comment,
    };
    ok(tickets::rate(&s.app, &actor, id, &input).await?)
}

/// Reopen a resolved or closed ticket within 7 days of its resolution: a new SLA clock
/// from now; resolution and rating cleared (kept in the history).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/reopen", tag = "service desk", request_body = ReopenRequest, params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, description = "the ticket, open or in progress"), (status = 404, description = "no such ticket"), (status = 409, description = "pending, or resolved more than 7 days ago"), (status = 422, description = "reason refused")))]
async fn reopen_ticket(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<ReopenRequest>,
) -> ApiResult {
    ok(tickets::reopen(&s.app, &actor, id, &b.reason).await?)
}

/// The account statement (对账单) a request ticket asks for: a loan's movements booked in
/// the period with their allocation, the installments due in it, totals and the balances
/// now (needs `ticket:work` and `loan:read`; recorded on the ticket).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/statement", tag = "service desk", request_body = StatementRequest, params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, description = "the statement"), (status = 404, description = "no such ticket"), (status = 409, description = "not a request, or closed"), (status = 422, description = "from, to or loan_id refused")))]
async fn ticket_statement(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<StatementRequest>,
) -> ApiResult {
    let input = StatementInput {
        loan_id: b.loan_id,
        from: b.from,
        to: b.to,
    };
    ok(tickets::statement(&s.app, &actor, id, &input).await?)
}

/// Flag every pending ticket past its SLA due time now (once each): `breached` counts
/// those flagged by this sweep.
#[utoipa::path(post, path = "/api/v1/tickets/sla-sweep", tag = "service desk", security(("bearer" = [])),
    responses((status = 200, description = "breached: the number flagged")))]
async fn sla_sweep(State(s): State<AppState>, Authenticated(actor, _): Authenticated) -> ApiResult {
    let breached = tickets::sweep(&s.app, &actor).await?;
    ok(serde_json::json!({ "breached": breached }))
}

/// Inspections, the earliest due first: `status` (pending, done), `due_by` (due on or
/// before, YYYY-MM-DD), `assigned_to`, `loan_id`, `limit` (default 100, at most 500).
#[utoipa::path(get, path = "/api/v1/inspections", tag = "service desk",
    params(("status" = Option<String>, Query), ("due_by" = Option<String>, Query), ("assigned_to" = Option<String>, Query), ("loan_id" = Option<i64>, Query), ("limit" = Option<i64>, Query)),
    security(("bearer" = [])), responses((status = 200, description = "inspections"), (status = 422, description = "status, due_by or limit refused")))]
async fn list_inspections(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Query(q): Query<inspections::ListInput>,
) -> ApiResult {
    ok(inspections::list(&s.app, &actor, &q).await?)
}

/// A work queue: the pending inspections of `assigned_to` (default: the caller) due by
/// the business date.
#[utoipa::path(get, path = "/api/v1/inspections/queue", tag = "service desk", params(("assigned_to" = Option<String>, Query)), security(("bearer" = [])),
    responses((status = 200, description = "inspections due, the earliest first")))]
async fn inspection_queue(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Query(q): Query<QueueQuery>,
) -> ApiResult {
    let assignee = q.assigned_to.as_deref().filter(|a| !a.trim().is_empty());
    ok(inspections::queue(&s.app, &actor, assignee).await?)
}

/// One inspection.
#[utoipa::path(get, path = "/api/v1/inspections/{id}", tag = "service desk", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, description = "the inspection"), (status = 404, description = "no such inspection")))]
async fn get_inspection(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(inspections::get(&s.app, &actor, id).await?)
}

/// The inspections of a loan, the earliest due first.
#[utoipa::path(get, path = "/api/v1/loans/{id}/inspections", tag = "service desk",
    params(("id" = String, Path, description = "the loan's id, or its external id")), security(("bearer" = [])),
    responses((status = 200, description = "inspections"), (status = 404, description = "no such external id")))]
async fn loan_inspections(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(key): Path<String>,
) -> ApiResult {
    let id = loans::resolve(&s.app, &actor, &key).await?;
    let input = inspections::ListInput {
        loan_id: Some(id),
        limit: Some(500),
        ..inspections::ListInput::default()
    };
    ok(inspections::list(&s.app, &actor, &input).await?)
}

/// Schedule an inspection of an active loan by hand (kind triggered; needs
/// `inspection:work`).
#[utoipa::path(post, path = "/api/v1/loans/{id}/inspections", tag = "service desk", request_body = ScheduleRequest,
    params(("id" = String, Path, description = "the loan's id, or its external id")), security(("bearer" = [])),
    responses((status = 201, description = "the inspection"), (status = 404, description = "no such loan"), (status = 409, description = "the loan is not active"), (status = 422, description = "due_on, assigned_to or reason refused")))]
async fn schedule_inspection(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(key): Path<String>,
    JsonBody(b): JsonBody<ScheduleRequest>,
) -> ApiResult {
    actor.require(Permission::InspectionWork)?;
    let id = loans::resolve(&s.app, &actor, &key).await?;
    let input = ScheduleInput {
        due_on: b.due_on,
        assigned_to: b.assigned_to,
        reason: b.reason,
    };
    created(inspections::schedule(&s.app, &actor, id, &input).await?)
}

/// Assign a pending inspection to a user holding `inspection:work`.
#[utoipa::path(post, path = "/api/v1/inspections/{id}/assign", tag = "service desk", request_body = AssignRequest, params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, description = "the inspection"), (status = 404, description = "no such inspection"), (status = 409, description = "done already"), (status = 422, description = "assigned_to refused")))]
async fn assign_inspection(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<AssignRequest>,
) -> ApiResult {
    ok(inspections::assign(&s.app, &actor, id, &b.assigned_to).await?)
}

/// Record a pending inspection as done: the checklist, findings, documents and follow-up
/// tasks; `result` is the worst answer and `next` the periodic inspection scheduled by
/// the loan's class.
#[utoipa::path(post, path = "/api/v1/inspections/{id}/complete", tag = "service desk", request_body = CompleteRequest, params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, description = "the inspection, done, and next"), (status = 404, description = "no such inspection"), (status = 409, description = "done already"), (status = 422, description = "every field refused: done_on, checklist.<item>, findings, document_ids, follow_ups[i].<field>")))]
async fn complete_inspection(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<CompleteRequest>,
) -> ApiResult {
    let input = CompleteInput {
        done_on: b.done_on,
        checklist: b.checklist,
        findings: b.findings,
        document_ids: b.document_ids,
        follow_ups: b
            .follow_ups
            .into_iter()
            .map(|f| FollowUp {
                task: f.task,
                due_on: f.due_on,
                owner: f.owner,
            })
            .collect(),
    };
    ok(inspections::complete(&s.app, &actor, id, &input).await?)
}

/// The OpenAPI document of these routes (merged into the whole).
#[derive(OpenApi)]
#[openapi(
    paths(open_ticket, list_tickets, get_ticket, assign_ticket, comment_ticket, resolve_ticket, rate_ticket, reopen_ticket,
          ticket_statement, sla_sweep, list_inspections, inspection_queue, get_inspection, loan_inspections,
          schedule_inspection, assign_inspection, complete_inspection),
    components(schemas(TicketRequest, AssignRequest, CommentRequest, ResolveRequest, RateRequest, ReopenRequest, StatementRequest,
                       ScheduleRequest, FollowUpRequest, CompleteRequest)),
    tags((name = "service desk", description = "customer-service tickets and post-loan inspections"))
)]
pub struct ServiceDeskDoc;

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tickets", get(list_tickets).post(open_ticket))
        .route("/api/v1/tickets/sla-sweep", post(sla_sweep))
        .route("/api/v1/tickets/{id}", get(get_ticket))
        .route("/api/v1/tickets/{id}/assign", post(assign_ticket))
        .route("/api/v1/tickets/{id}/comment", post(comment_ticket))
        .route("/api/v1/tickets/{id}/resolve", post(resolve_ticket))
        .route("/api/v1/tickets/{id}/rate", post(rate_ticket))
        .route("/api/v1/tickets/{id}/reopen", post(reopen_ticket))
        .route("/api/v1/tickets/{id}/statement", post(ticket_statement))
        .route("/api/v1/inspections", get(list_inspections))
        .route("/api/v1/inspections/queue", get(inspection_queue))
        .route("/api/v1/inspections/{id}", get(get_inspection))
        .route("/api/v1/inspections/{id}/assign", post(assign_inspection))
        .route(
            "/api/v1/inspections/{id}/complete",
            post(complete_inspection),
        )
        .route(
            "/api/v1/loans/{id}/inspections",
            get(loan_inspections).post(schedule_inspection),
        )
}
