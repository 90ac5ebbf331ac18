//! The posting queue: the repayments, prepayments and payoffs asked for at the same time
//! in one process are posted together, in one transaction (group commit).
//!
//! A caller's request waits in the queue while the batch before it is written; the next
//! batch takes everything waiting (up to [`MAX_BATCH`]). Each request is answered only
//! after its batch commits, so an answer is as durable as a transaction of its own. One
//! request's refusal (a bad amount, a loan not serviced) answers that request and does
//! not touch the others; a database error or a concurrent change to one of the loans
//! rolls the batch back and each request is then posted on its own.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot};

use super::posting::{Request, post_many};
use super::repayments::{Checked, Operation, RepaymentInput, RepaymentView, check};
use crate::{Actor, App, ServiceError};
use loanbook_store::audit::timestamp;
use loanbook_store::idempotency::{self, Claim};

/// The most requests posted in one transaction.
pub const MAX_BATCH: usize = 256;

/// A request waiting to be posted.
pub(crate) struct Job {
    actor: Actor,
    loan_id: i64,
    input: RepaymentInput,
    op: Operation,
    key: Option<String>,
    reply: oneshot::Sender<Result<RepaymentView, ServiceError>>,
}

impl Job {
    /// The idempotency scope of the request (the kind of movement and the loan).
    fn scope(&self) -> String {
        format!("{}:{}", self.op.kind(), self.loan_id)
    }

    /// The hash that tells a retry from another request under the same key.
    fn request_hash(&self) -> String {
        let mut request = serde_json::to_string(&self.input).unwrap_or_default();
        if let Operation::Prepay(mode) = &self.op {
            // the mode is part of the request: the same key with the other mode is refused
            request.push_str(&format!("\u{1f}{mode:?}"));
        }
        hex::encode(Sha256::digest(request.as_bytes()))
    }
}

/// The queue of one application (shared by its clones); its worker starts on first use.
#[derive(Clone, Default)]
pub(crate) struct Queue {
    sender: Arc<Mutex<Option<mpsc::UnboundedSender<Job>>>>,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Queue")
    }
}

impl Queue {
    /// The sender to the running worker, starting one when there is none (or the runtime
    /// of the last one has gone).
    fn sender(&self, app: &App) -> Option<mpsc::UnboundedSender<Job>> {
        let mut slot = self.sender.lock().ok()?;
        if let Some(s) = slot.as_ref().filter(|s| !s.is_closed()) {
            return Some(s.clone());
        }
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        let (tx, rx) = mpsc::unbounded_channel();
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        for _ in 0..workers(app.db().backend()) {
            runtime.spawn(worker(app.clone(), rx.clone()));
        }
        *slot = Some(tx.clone());
        Some(tx)
    }
}

/// Posts one request through the queue and waits for its answer.
pub(crate) async fn submit(
    app: &App,
    actor: &Actor,
    loan_id: i64,
    input: &RepaymentInput,
    op: Operation,
    key: Option<&str>,
) -> Result<RepaymentView, ServiceError> {
    let (reply, answer) = oneshot::channel();
    let job = Job {
        actor: actor.clone(),
        loan_id,
        input: input.clone(),
        op,
        key: key.map(str::to_owned),
        reply,
    };
    let unsent = match app.queue().sender(app) {
        Some(s) => s.send(job).err().map(|e| e.0),
        None => Some(job),
    };
    if let Some(job) = unsent {
        // no worker at hand: post it here, as a batch of one
        post_batch(app, vec![job]).await;
    }
    answer.await.unwrap_or_else(|_| {
        Err(ServiceError::Conflict(
            "the posting was interrupted; retry with the same Idempotency-Key".into(),
        ))
    })
}

/// Batch workers per process: SQLite writes one transaction at a time, so one; on
/// PostgreSQL each worker's transaction runs in its own server process, so while one
/// batch is written the next is taken and written beside it.
fn workers(backend: loanbook_store::Backend) -> usize {
    match backend {
        loanbook_store::Backend::Sqlite => 1,
        loanbook_store::Backend::Postgres => POSTGRES_WORKERS,
    }
}

/// Batch workers per process on PostgreSQL.
const POSTGRES_WORKERS: usize = 2;

/// Takes batches off the queue until every sender is gone. Workers take turns at the
/// queue: one holds it while it gathers a batch.
async fn worker(app: App, queue: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Job>>>) {
    // requests this worker put off (retries of a request in its last batch) go first,
    // without waiting for the queue, which another worker may hold while it is empty
    let mut carried: VecDeque<Job> = VecDeque::new();
    loop {
        let mut keys = HashSet::new();
        let mut batch = Vec::new();
        let mut later = Vec::new();
        let mut take = |job: Job, batch: &mut Vec<Job>| {
            // a retry of a request in this batch waits for the next one, to find its answer
            if let Some(k) = &job.key
                && !keys.insert((job.scope(), k.clone()))
            {
                later.push(job);
            } else {
                batch.push(job);
            }
        };
        while batch.len() < MAX_BATCH
            && let Some(job) = carried.pop_front()
        {
            take(job, &mut batch);
        }
        let rx = if batch.is_empty() {
            let mut rx = queue.lock().await;
            match rx.recv().await {
                Some(job) => take(job, &mut batch),
                None => return,
            }
            Some(rx)
        } else {
            queue.try_lock().ok()
        };
        if let Some(mut rx) = rx {
            while batch.len() < MAX_BATCH {
                let Ok(job) = rx.try_recv() else {
                    break;
                };
                take(job, &mut batch);
            }
        }
        for job in later.into_iter().rev() {
            carried.push_front(job);
        }
        if !batch.is_empty() {
            post_batch(&app, batch).await;
        }
    }
}

/// Posts a batch and answers each request; after a failure of the whole batch each
/// request is posted on its own.
async fn post_batch(app: &App, jobs: Vec<Job>) {
    match run(app, &jobs).await {
        Ok(answers) => {
            for (job, answer) in jobs.into_iter().zip(answers) {
                let _ = job.reply.send(answer);
            }
        }
        Err(e) if jobs.len() == 1 => {
            if let Some(job) = jobs.into_iter().next() {
                let _ = job.reply.send(Err(e));
            }
        }
        Err(_) => {
            for job in jobs {
                let answer = match run(app, std::slice::from_ref(&job)).await {
                    Ok(mut answers) => answers
                        .pop()
                        .unwrap_or_else(|| Err(ServiceError::Conflict("not posted".into()))),
                    Err(e) => Err(e),
                };
                let _ = job.reply.send(answer);
            }
        }
    }
}

/// Posts `jobs` in one transaction; the inner results answer the requests.
async fn run(
    app: &App,
    jobs: &[Job],
) -> Result<Vec<Result<RepaymentView, ServiceError>>, ServiceError> {
    let mut answers: Vec<Option<Result<RepaymentView, ServiceError>>> =
        jobs.iter().map(|_| None).collect();
    let mut tx = app.db().begin().await?;
    let business_date = loanbook_store::business_date::get(&mut *tx)
        .await?
        .ok_or(ServiceError::NotInitialised)?;
    let checked: Vec<Option<Checked>> = jobs
        .iter()
        .zip(&mut answers)
        .map(|(job, answer)| match check(&job.input, business_date) {
            Ok(c) => Some(c),
            Err(e) => {
                *answer = Some(Err(e));
                None
            }
        })
        .collect();

    // claim the keys of the requests that carry one
    let scopes: Vec<String> = jobs.iter().map(Job::scope).collect();
    let hashes: Vec<String> = jobs.iter().map(Job::request_hash).collect();
    let keyed: Vec<usize> = (0..jobs.len())
        .filter(|&n| checked[n].is_some() && jobs[n].key.is_some())
        .collect();
    let claims: Vec<Claim<'_>> = keyed
        .iter()
        .map(|&n| Claim {
            scope: &scopes[n],
            key: jobs[n].key.as_deref().unwrap_or_default(),
            request_hash: &hashes[n],
        })
        .collect();
    let fresh = idempotency::claim_many(&mut tx, &claims, &timestamp(app.now())).await?;
    for (&n, fresh) in keyed.iter().zip(fresh) {
        if !fresh {
            answers[n] = Some(retried(&mut tx, &scopes[n], &jobs[n], &hashes[n]).await?);
        }
    }

    let to_post: Vec<usize> = (0..jobs.len()).filter(|&n| answers[n].is_none()).collect();
    let requests: Vec<Request<'_>> = to_post
        .iter()
        .filter_map(|&n| {
            checked[n].as_ref().map(|c| Request {
                actor: &jobs[n].actor,
                loan_id: jobs[n].loan_id,
                checked: c,
                op: &jobs[n].op,
            })
        })
        .collect();
    let posted = post_many(&mut tx, app, business_date, &requests).await?;
    let mut bodies = Vec::new();
    for (&n, result) in to_post.iter().zip(posted) {
        if let Some(key) = jobs[n].key.as_deref() {
            match &result {
                Ok(view) => bodies.push((n, key, serde_json::to_string(view).unwrap_or_default())),
                // a refused request leaves its key free for a corrected retry
                Err(_) => idempotency::release(&mut tx, &scopes[n], key).await?,
            }
        }
        answers[n] = Some(result);
    }
    let complete: Vec<(&str, &str, i64, &str)> = bodies
        .iter()
        .map(|(n, key, body)| (scopes[*n].as_str(), *key, 201, body.as_str()))
        .collect();
    idempotency::complete_many(&mut tx, &complete).await?;
    tx.commit()
        .await
        .map_err(loanbook_store::StoreError::from)?;
    Ok(answers
        .into_iter()
        .map(|a| a.unwrap_or_else(|| Err(ServiceError::Conflict("not posted".into()))))
        .collect())
}

/// The answer to a request whose key was used before: the first answer, or a conflict.
async fn retried(
    tx: &mut loanbook_store::Tx<'_>,
    scope: &str,
    job: &Job,
    request_hash: &str,
) -> Result<Result<RepaymentView, ServiceError>, ServiceError> {
    let key = job.key.as_deref().unwrap_or_default();
    let Some(first) = idempotency::stored(tx, scope, key).await? else {
        return Ok(Err(ServiceError::Conflict(format!(
            "the request with key '{key}' is still in progress"
        ))));
    };
    if first.request_hash != request_hash {
        return Ok(Err(ServiceError::Conflict(format!(
            "the Idempotency-Key '{key}' was used for a different request"
        ))));
    }
    Ok(RepaymentView::from_json(&first.body).ok_or_else(|| {
        ServiceError::Conflict(format!("the request with key '{key}' is still in progress"))
    }))
}
