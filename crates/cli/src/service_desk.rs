//! `loanbook ticket open | list | show | assign | comment | resolve | rate | reopen |
//! statement | sweep` and `loanbook inspection list | show | schedule | assign |
//! complete`: the service desk (客服工单) and post-loan inspections (贷后检查) from the
//! command line. The CLI acts as `cli:<os user>` with the admin role.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use clap::{Args, Subcommand};
use loanbook_service::ServiceError;
use loanbook_service::inspections::{
    self, CompleteInput, Completed, FollowUp, InspectionView, ScheduleInput,
};
use loanbook_service::tickets::{
    self, CommentInput, RatingInput, StatementInput, TicketDetail, TicketInput, TicketView,
};

use crate::context::{Location, json, operator};
use crate::error::CliError;

/// `loanbook ticket …`
#[derive(Debug, Subcommand)]
pub enum TicketCommand {
    /// Open a ticket; its SLA due time follows the kind and priority.
    Open(Box<OpenArgs>),
    /// Tickets by id, filtered.
    List(ListArgs),
    /// A ticket with its history.
    Show {
        /// Ticket id.
        id: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Assign a ticket to a user who works tickets (it is then in progress).
    Assign {
        /// Ticket id.
        id: i64,
        /// The user.
        #[arg(long)]
        to: String,
    },
    /// Add a response to the customer (or, with --internal, a note).
    Comment {
        /// Ticket id.
        id: i64,
        /// The text.
        #[arg(long)]
        note: String,
        /// An internal note, not a response to the customer.
        #[arg(long)]
        internal: bool,
    },
    /// Resolve a ticket.
    Resolve {
        /// Ticket id.
        id: i64,
        /// What was done or answered.
        #[arg(long)]
        resolution: String,
    },
    /// Record the customer's rating (1–5) of a resolved ticket; it closes it.
    Rate {
        /// Ticket id.
        id: i64,
        /// 1 (very dissatisfied) to 5 (very satisfied).
        #[arg(long, allow_hyphen_values = true)]
        rating: i64,
        /// What the customer said.
        #[arg(long)]
        comment: Option<String>,
    },
    /// Reopen a resolved or closed ticket within 7 days of its resolution.
    Reopen {
        /// Ticket id.
        id: i64,
        /// Why the customer is not satisfied.
        #[arg(long)]
        reason: String,
    },
    /// The account statement a request ticket asks for.
    Statement {
        /// Ticket id.
        id: i64,
        /// The loan (default: the ticket's).
        #[arg(long)]
        loan: Option<i64>,
        /// First business date, YYYY-MM-DD.
        #[arg(long)]
        from: String,
        /// Last business date, YYYY-MM-DD.
        #[arg(long)]
        to: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Flag every pending ticket past its SLA due time (once each).
    Sweep,
}

/// `loanbook ticket open`
#[derive(Debug, Args)]
pub struct OpenArgs {
    /// The customer.
    #[arg(long)]
    customer: i64,
    /// The loan it is about (one of the customer's).
    #[arg(long)]
    loan: Option<i64>,
    /// inquiry, complaint or request.
    #[arg(long)]
    kind: String,
    /// phone, email, counter, app or letter.
    #[arg(long)]
    channel: String,
    /// normal (default) or high.
    #[arg(long)]
    priority: Option<String>,
    /// One line.
    #[arg(long)]
    subject: String,
    /// What the customer said.
    #[arg(long)]
    description: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `loanbook ticket list`
#[derive(Debug, Args)]
pub struct ListArgs {
    /// open, in_progress, resolved, closed, or pending (open and in progress).
    #[arg(long)]
    status: Option<String>,
    /// Assigned to this user.
    #[arg(long)]
    assigned_to: Option<String>,
    /// Only those that breached their SLA.
    #[arg(long)]
    breached: bool,
    /// Of this customer.
    #[arg(long)]
    customer: Option<i64>,
    /// About this loan.
    #[arg(long)]
    loan: Option<i64>,
    /// Ids above this.
    #[arg(long)]
    after_id: Option<i64>,
    /// At most this many (default 50, at most 500).
    #[arg(long)]
    limit: Option<i64>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `loanbook inspection …`
#[derive(Debug, Subcommand)]
pub enum InspectionCommand {
    /// Inspections, the earliest due first; `--due` for a work queue (due by the business
    /// date).
    List {
        /// pending or done.
        #[arg(long)]
        status: Option<String>,
        /// Due on or before this date.
        #[arg(long, conflicts_with = "due")]
        due_by: Option<String>,
        /// Pending and due by the business date.
        #[arg(long)]
        due: bool,
        /// Assigned to this user.
        #[arg(long)]
        assigned_to: Option<String>,
        /// Of this loan.
        #[arg(long)]
        loan: Option<i64>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// One inspection.
    Show {
        /// Inspection id.
        id: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Schedule an inspection of an active loan by hand.
    Schedule {
        /// The loan.
        #[arg(long)]
        loan: i64,
        /// Why.
        #[arg(long)]
        reason: String,
        /// Due date (default: the business date).
        #[arg(long)]
        due_on: Option<String>,
        /// Who does it.
        #[arg(long)]
        assign: Option<String>,
    },
    /// Assign a pending inspection to a user who does inspections.
    Assign {
        /// Inspection id.
        id: i64,
        /// The user.
        #[arg(long)]
        to: String,
    },
    /// Record an inspection as done; the next periodic one is scheduled by the loan's
    /// class.
    Complete(Box<CompleteArgs>),
}

/// `loanbook inspection complete`
#[derive(Debug, Args)]
pub struct CompleteArgs {
    /// Inspection id.
    id: i64,
    /// Use of funds: satisfactory, concern, adverse or not_applicable.
    #[arg(long)]
    use_of_funds: String,
    /// Business status: satisfactory, concern, adverse or not_applicable.
    #[arg(long)]
    business_status: String,
    /// Collateral: satisfactory, concern, adverse or not_applicable.
    #[arg(long)]
    collateral: String,
    /// What was found.
    #[arg(long)]
    findings: String,
    /// When it was done (default: the business date).
    #[arg(long)]
    done_on: Option<String>,
    /// A supporting document of the borrower on file (repeatable).
    #[arg(long = "document", value_name = "ID")]
    documents: Vec<i64>,
    /// A follow-up task as TASK|DUE_ON|OWNER (repeatable).
    #[arg(long = "follow-up", value_name = "TASK|DUE_ON|OWNER")]
    follow_ups: Vec<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Maps a service error, naming the flag of each field: `renames` maps a field (or the
/// first part of `field.item` / `field[i].part`) to its flag's name.
fn flags(e: ServiceError, renames: &[(&str, &str)]) -> CliError {
    let ServiceError::Invalid(mut violations) = e else {
        return CliError::from_service(e, true);
    };
    for v in &mut violations {
        let field = v.field.clone();
        let (head, tail) = match field.split_once('.') {
            Some(("checklist", item)) => (item.to_owned(), None),
            _ => match field.split_once('[') {
                Some((head, rest)) => (head.to_owned(), Some(rest.to_owned())),
                None => (field.clone(), None),
            },
        };
        let name = renames
            .iter()
            .find(|(from, _)| *from == head)
            .map_or(head.clone(), |(_, to)| (*to).to_owned());
        v.field = name;
        if let Some(rest) = tail {
            v.rule = format!("[{rest}: {}", v.rule);
        }
    }
    CliError::from_service(ServiceError::Invalid(violations), true)
}

const TICKET_FLAGS: &[(&str, &str)] = &[
    ("customer_id", "customer"),
    ("loan_id", "loan"),
    ("assigned_to", "to"),
];

const INSPECTION_FLAGS: &[(&str, &str)] = &[
    ("assigned_to", "assign"),
    ("document_ids", "document"),
    ("follow_ups", "follow_up"),
];

fn one(t: &TicketView) -> String {
    let about = t.loan_id.map(|l| format!(" loan {l}")).unwrap_or_default();
    let assigned = t
        .assigned_to
        .as_deref()
        .map(|a| format!(", assigned to {a}"))
        .unwrap_or_default();
    let rating = t
        .rating
        .map(|r| format!(", rated {r}/5"))
        .unwrap_or_default();
    let breached = if t.breached { " BREACHED" } else { "" };
    format!(
        "ticket {} {} ({}, {}) customer {}{about}: {}{assigned}{rating}; due {}{breached}\n",
        t.id, t.kind, t.priority, t.channel, t.customer_id, t.status, t.sla_due_at
    )
}

fn detail(d: &TicketDetail) -> String {
    let mut out = one(&d.ticket);
    let _ = writeln!(out, "  {}", d.ticket.subject);
    for e in &d.events {
        let _ = writeln!(out, "  {} {:<14} {:<13} {}", e.at, e.actor, e.kind, e.note);
    }
    out
}

fn inspection_line(i: &InspectionView) -> String {
    let assigned = i.assigned_to.as_deref().unwrap_or("-");
    let result = i.result.as_deref().unwrap_or("");
    let overdue = if i.overdue { " OVERDUE" } else { "" };
    format!(
        "inspection {:<5} loan {:<7} {:<9} due {} {:<7} {assigned:<16} {result}{overdue}\n",
        i.id, i.loan_id, i.kind, i.due_on, i.status
    )
}

fn completed(c: &Completed) -> String {
    let i = &c.inspection;
    let mut out = format!(
        "inspection {} of loan {} done on {}: {}\n",
        i.id,
        i.loan_id,
        i.done_on.as_deref().unwrap_or(""),
        i.result.as_deref().unwrap_or("")
    );
    match &c.next {
        Some(n) => {
            let _ = writeln!(
                out,
                "next: inspection {} ({}) due {}",
                n.id, n.kind, n.due_on
            );
        }
        None => out.push_str("next: none scheduled\n"),
    }
    out
}

fn follow_up(text: &str) -> Result<FollowUp, CliError> {
    let parts: Vec<&str> = text.split('|').collect();
    match parts.as_slice() {
        [task, due_on, owner] => Ok(FollowUp {
            task: (*task).to_owned(),
            due_on: (*due_on).to_owned(),
            owner: (*owner).to_owned(),
        }),
        _ => Err(CliError::usage(
            "--follow-up",
            format!("must be TASK|DUE_ON|OWNER (got '{text}')"),
        )),
    }
}

/// Runs a `ticket` command.
pub async fn ticket(location: &Location, c: &TicketCommand) -> Result<String, CliError> {
    let app = location.app().await?;
    let actor = operator();
    let fl = |e| flags(e, TICKET_FLAGS);
    match c {
        TicketCommand::Open(a) => {
            let input = TicketInput {
                customer_id: a.customer,
                loan_id: a.loan,
                kind: a.kind.clone(),
                channel: a.channel.clone(),
                priority: a.priority.clone(),
                subject: a.subject.clone(),
                description: a.description.clone(),
            };
            let d = tickets::open(&app, &actor, &input).await.map_err(fl)?;
            if a.json {
                return json(&d);
            }
            Ok(one(&d.ticket))
        }
        TicketCommand::List(l) => {
            let input = tickets::ListInput {
                status: l.status.clone(),
                assigned_to: l.assigned_to.clone(),
                breached: Some(l.breached),
                customer_id: l.customer,
                loan_id: l.loan,
                after_id: l.after_id,
                limit: l.limit,
            };
            let list = tickets::list(&app, &actor, &input).await.map_err(fl)?;
            if l.json {
                return json(&list);
            }
            Ok(list.iter().map(one).collect())
        }
        TicketCommand::Show { id, json: as_json } => {
            let d = tickets::get(&app, &actor, *id).await?;
            if *as_json {
                return json(&d);
            }
            Ok(detail(&d))
        }
        TicketCommand::Assign { id, to } => Ok(one(&tickets::assign(&app, &actor, *id, to)
            .await
            .map_err(fl)?
            .ticket)),
        TicketCommand::Comment { id, note, internal } => {
            let input = CommentInput {
                note: note.clone(),
                kind: Some(if *internal { "note" } else { "response" }.into()),
            };
            let d = tickets::comment(&app, &actor, *id, &input)
                .await
                .map_err(fl)?;
            Ok(one(&d.ticket))
        }
        TicketCommand::Resolve { id, resolution } => {
            Ok(one(&tickets::resolve(&app, &actor, *id, resolution)
                .await
                .map_err(fl)?
                .ticket))
        }
        TicketCommand::Rate {
            id,
            rating,
            comment,
        } => {
            let input = RatingInput {
                rating: *rating,
                comment: comment.clone(),
            };
            Ok(one(&tickets::rate(&app, &actor, *id, &input)
                .await
                .map_err(fl)?
                .ticket))
        }
        TicketCommand::Reopen { id, reason } => {
            Ok(one(&tickets::reopen(&app, &actor, *id, reason)
                .await
                .map_err(fl)?
                .ticket))
        }
        TicketCommand::Statement {
            id,
            loan,
            from,
            to,
            json: as_json,
        } => {
            let input = StatementInput {
                loan_id: *loan,
                from: from.clone(),
                to: to.clone(),
            };
            let s = tickets::statement(&app, &actor, *id, &input)
                .await
                .map_err(fl)?;
            if *as_json {
                return json(&s);
            }
            let mut out = format!(
                "statement of loan {} from {} to {} (ticket {})\n",
                s.loan.id, s.from, s.to, s.ticket_id
            );
            for l in &s.lines {
                let reversed = if l.reversed_by.is_some() {
                    " (reversed)"
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    "  {} {:<14} {:>14} {}{reversed}",
                    l.business_date, l.kind, l.amount, l.reference
                );
            }
            let x = &s.totals;
            let _ = writeln!(
                out,
                "disbursed {}, paid {} (principal {}, interest {}, penalty {}, fees {}), refunded {}; principal outstanding now {}",
                x.disbursed,
                x.paid,
                x.paid_principal,
                x.paid_interest,
                x.paid_penalty,
                x.paid_fees,
                x.refunded,
                s.loan.principal_outstanding
            );
            Ok(out)
        }
        TicketCommand::Sweep => {
            let n = tickets::sweep(&app, &actor).await?;
            Ok(format!("{n} tickets flagged as past their SLA\n"))
        }
    }
}

/// Runs an `inspection` command.
pub async fn inspection(location: &Location, c: &InspectionCommand) -> Result<String, CliError> {
    let app = location.app().await?;
    let actor = operator();
    let fl = |e| flags(e, INSPECTION_FLAGS);
    match c {
        InspectionCommand::List {
            status,
            due_by,
            due,
            assigned_to,
            loan,
            json: as_json,
        } => {
            let (status, due_by) = if *due {
                let date = app.business_date().await?;
                (Some("pending".to_owned()), Some(date.to_string()))
            } else {
                (status.clone(), due_by.clone())
            };
            let input = inspections::ListInput {
                status,
                due_by,
                assigned_to: assigned_to.clone(),
                loan_id: *loan,
                limit: Some(500),
            };
            let list = inspections::list(&app, &actor, &input).await.map_err(fl)?;
            if *as_json {
                return json(&list);
            }
            Ok(list.iter().map(inspection_line).collect())
        }
        InspectionCommand::Show { id, json: as_json } => {
            let i = inspections::get(&app, &actor, *id).await?;
            if *as_json {
                return json(&i);
            }
            let mut out = inspection_line(&i);
            for (item, answer) in &i.checklist {
                let _ = writeln!(out, "  {item}: {answer}");
            }
            if !i.findings.is_empty() {
                let _ = writeln!(out, "  findings: {}", i.findings);
            }
            for f in &i.follow_ups {
                let _ = writeln!(out, "  follow-up by {} ({}): {}", f.due_on, f.owner, f.task);
            }
            Ok(out)
        }
        InspectionCommand::Schedule {
            loan,
            reason,
            due_on,
            assign,
        } => {
            let input = ScheduleInput {
                due_on: due_on.clone(),
                assigned_to: assign.clone(),
                reason: reason.clone(),
            };
            Ok(inspection_line(
                &inspections::schedule(&app, &actor, *loan, &input)
                    .await
                    .map_err(fl)?,
            ))
        }
        InspectionCommand::Assign { id, to } => Ok(inspection_line(
            &inspections::assign(&app, &actor, *id, to)
                .await
                .map_err(|e| flags(e, &[("assigned_to", "to")]))?,
        )),
        InspectionCommand::Complete(a) => {
            let checklist: BTreeMap<String, String> = [
                ("use_of_funds", &a.use_of_funds),
                ("business_status", &a.business_status),
                ("collateral", &a.collateral),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.clone()))
            .collect();
            let input = CompleteInput {
                done_on: a.done_on.clone(),
                checklist,
                findings: a.findings.clone(),
                document_ids: a.documents.clone(),
                follow_ups: a
                    .follow_ups
                    .iter()
                    .map(|f| follow_up(f))
                    .collect::<Result<_, _>>()?,
            };
            let c = inspections::complete(&app, &actor, a.id, &input)
                .await
                .map_err(fl)?;
            if a.json {
                return json(&c);
            }
            Ok(completed(&c))
        }
    }
}
