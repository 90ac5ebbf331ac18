//! Users, roles and permissions; login with lockout; console sessions and API tokens.
//!
//! Authorization is checked here, in the service layer, by every use case through
//! [`Actor::require`] — handlers only find out who the actor is.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::Duration;
use rand_core::{OsRng, RngCore};
use serde::Serialize;
use sha2::{Digest, Sha256};

use loanbook_store::audit::timestamp;
use loanbook_store::users::{self, UserRow};

use crate::{App, ServiceError, Violation, record};

/// A permission a use case requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Permission {
    /// See customers (personal data masked).
    CustomerRead,
    /// Create and change customers, contacts, collateral, guarantors.
    CustomerWrite,
    /// See personal data unmasked (each unmasking is audited).
    PiiView,
    /// Upload documents and credit reports.
    DocumentWrite,
    /// See products.
    ProductRead,
    /// Create product versions.
    ProductWrite,
    /// See the ledger.
    LedgerRead,
    /// Post manual journal entries and reversals.
    LedgerPost,
    /// Read the audit log.
    AuditRead,
    /// Manage users and roles.
    UserManage,
    /// See credit models and their monitoring.
    ModelRead,
    /// Deploy credit models and change their status.
    ModelManage,
    /// See loan applications.
    ApplicationRead,
    /// Create, submit and withdraw loan applications.
    ApplicationWrite,
    /// See funding sources.
    FundingRead,
    /// Create funding sources.
    FundingManage,
    /// Import AML watch lists.
    WatchListManage,
    /// Decide approval steps and vote in the credit committee.
    ApplicationDecide,
    /// Import credit policies and authority rules.
    PolicyManage,
    /// Generate contracts and record signatures.
    ContractManage,
    /// Release disbursements and import payment confirmations.
    DisbursementRelease,
    /// See loans, their schedules and transactions.
    LoanRead,
    /// Record repayments, prepayments and payoffs.
    RepaymentPost,
    /// Run the daily close.
    EodRun,
    /// Request a restructure (extension, rate change, plan change, principal grace, LPR
    /// conversion).
    LoanRestructure,
    /// Approve or reject a restructure (four-eyes: not one's own request).
    LoanRestructureApprove,
    /// Request a write-off.
    LoanWriteOff,
    /// Approve or reject a write-off (four-eyes).
    LoanWriteOffApprove,
    /// Request a manual five-tier class override.
    LoanClassify,
    /// Approve or reject a class override (four-eyes).
    LoanClassifyApprove,
    /// Complete closing tasks (collateral release) and archive closed loans.
    LoanClose,
    /// See collection cases and work one's own: calls, promises, visits.
    CollectionWork,
    /// Configure collectors and the strategy, assign cases, legal action, agencies,
    /// request settlements and collateral disposal.
    CollectionManage,
    /// Approve or reject a settlement (four-eyes: not one's own request).
    SettlementApprove,
    /// See and work early warnings and their actions.
    WarningManage,
    /// Schedule and record post-loan inspections.
    InspectionWork,
    /// Open, work and resolve customer-service tickets.
    TicketWork,
    /// Borrowers' contact preferences, message templates and the outbox.
    NotificationManage,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 38] = [
        Permission::CustomerRead,
        Permission::CustomerWrite,
        Permission::PiiView,
        Permission::DocumentWrite,
        Permission::ProductRead,
        Permission::ProductWrite,
        Permission::LedgerRead,
        Permission::LedgerPost,
        Permission::AuditRead,
        Permission::UserManage,
        Permission::ModelRead,
        Permission::ModelManage,
        Permission::ApplicationRead,
        Permission::ApplicationWrite,
        Permission::FundingRead,
        Permission::FundingManage,
        Permission::WatchListManage,
        Permission::ApplicationDecide,
        Permission::PolicyManage,
        Permission::ContractManage,
        Permission::DisbursementRelease,
        Permission::LoanRead,
        Permission::RepaymentPost,
        Permission::EodRun,
        Permission::LoanRestructure,
        Permission::LoanRestructureApprove,
        Permission::LoanWriteOff,
        Permission::LoanWriteOffApprove,
        Permission::LoanClassify,
        Permission::LoanClassifyApprove,
        Permission::LoanClose,
        Permission::CollectionWork,
        Permission::CollectionManage,
        Permission::SettlementApprove,
        Permission::WarningManage,
        Permission::InspectionWork,
        Permission::TicketWork,
        Permission::NotificationManage,
    ];

    /// The code, e.g. `pii:view`.
    pub fn code(self) -> &'static str {
        match self {
            Permission::CustomerRead => "customer:read",
            Permission::CustomerWrite => "customer:write",
            Permission::PiiView => "pii:view",
            Permission::DocumentWrite => "document:write",
            Permission::ProductRead => "product:read",
            Permission::ProductWrite => "product:write",
            Permission::LedgerRead => "ledger:read",
            Permission::LedgerPost => "ledger:post",
            Permission::AuditRead => "audit:read",
            Permission::UserManage => "user:manage",
            Permission::ModelRead => "model:read",
            Permission::ModelManage => "model:manage",
            Permission::ApplicationRead => "application:read",
            Permission::ApplicationWrite => "application:write",
            Permission::FundingRead => "funding:read",
            Permission::FundingManage => "funding:manage",
            Permission::WatchListManage => "watchlist:manage",
            Permission::ApplicationDecide => "application:decide",
            Permission::PolicyManage => "policy:manage",
            Permission::ContractManage => "contract:manage",
            Permission::DisbursementRelease => "disbursement:release",
            Permission::LoanRead => "loan:read",
            Permission::RepaymentPost => "repayment:post",
            Permission::EodRun => "eod:run",
            Permission::LoanRestructure => "loan:restructure",
            Permission::LoanRestructureApprove => "loan:restructure_approve",
            Permission::LoanWriteOff => "loan:write_off",
            Permission::LoanWriteOffApprove => "loan:write_off_approve",
            Permission::LoanClassify => "loan:classify",
            Permission::LoanClassifyApprove => "loan:classify_approve",
            Permission::LoanClose => "loan:close",
            Permission::CollectionWork => "collection:work",
            Permission::CollectionManage => "collection:manage",
            Permission::SettlementApprove => "settlement:approve",
            Permission::WarningManage => "warning:manage",
            Permission::InspectionWork => "inspection:work",
            Permission::TicketWork => "ticket:work",
            Permission::NotificationManage => "notification:manage",
        }
    }
}

/// Checks that `username` names an active user whose role holds `permission` — someone a
/// piece of work (a ticket, an inspection, a warning, collection cases) may be given to.
/// Returns the trimmed name; the inner error is the violation of `field`.
///
/// # Errors
/// A database error (outer).
pub(crate) async fn worker(
    app: &crate::App,
    field: &str,
    username: &str,
    permission: Permission,
) -> Result<Result<String, crate::Violation>, ServiceError> {
    use crate::Violation;
    let name = username.trim().to_owned();
    if name.is_empty() {
        return Ok(Err(Violation::new(field, "is required")));
    }
    let Some(user) = users::by_username(app.db().pool(), &name).await? else {
        return Ok(Err(Violation::new(
            field,
            format!("there is no user '{name}'"),
        )));
    };
    if user.status != "active" {
        return Ok(Err(Violation::new(
            field,
            format!("user '{name}' is {}", user.status),
        )));
    }
    if !Role::parse(&user.role).is_some_and(|r| r.allows(permission)) {
        return Ok(Err(Violation::new(
            field,
            format!(
                "user '{name}' (role {}) lacks the permission {}",
                user.role,
                permission.code()
            ),
        )));
    }
    Ok(Ok(name))
}

/// A role: a named set of permissions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 系统管理员: everything.
    Admin,
    /// 信贷员 / 客户经理.
    LoanOfficer,
    /// 信贷分析师.
    CreditAnalyst,
    /// 审批人.
    Approver,
    /// 贷审会委员.
    CommitteeMember,
    /// 运营.
    Operations,
    /// 催收员.
    Collector,
    /// 合规.
    Compliance,
    /// 客服.
    CustomerService,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 9] = [
        Role::Admin,
        Role::LoanOfficer,
        Role::CreditAnalyst,
        Role::Approver,
        Role::CommitteeMember,
        Role::Operations,
        Role::Collector,
        Role::Compliance,
        Role::CustomerService,
    ];

    /// The code, e.g. `loan_officer`.
    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::LoanOfficer => "loan_officer",
            Role::CreditAnalyst => "credit_analyst",
            Role::Approver => "approver",
            Role::CommitteeMember => "committee_member",
            Role::Operations => "operations",
            Role::Collector => "collector",
            Role::Compliance => "compliance",
            Role::CustomerService => "customer_service",
        }
    }

    /// Parses a role code.
    pub fn parse(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The permission matrix.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::Admin => &Permission::ALL,
            Role::LoanOfficer => &[
                CustomerRead,
                CustomerWrite,
                DocumentWrite,
                ProductRead,
                ApplicationRead,
                ApplicationWrite,
                ApplicationDecide,
                ContractManage,
                LoanRead,
                LoanRestructure,
                LoanClassify,
                WarningManage,
                InspectionWork,
            ],
            Role::CreditAnalyst => &[
                CustomerRead,
                DocumentWrite,
                ProductRead,
                ModelRead,
                ModelManage,
                ApplicationRead,
                PolicyManage,
                LoanRead,
                LoanClassify,
                WarningManage,
            ],
            Role::Approver => &[
                CustomerRead,
                ProductRead,
                ModelRead,
                ApplicationRead,
                FundingRead,
                ApplicationDecide,
                LoanRead,
                LoanRestructureApprove,
                LoanWriteOffApprove,
                LoanClassifyApprove,
                SettlementApprove,
            ],
            Role::CommitteeMember => &[
                CustomerRead,
                ProductRead,
                ModelRead,
                ApplicationRead,
                FundingRead,
                ApplicationDecide,
                LoanRead,
                LoanWriteOffApprove,
            ],
            Role::Operations => &[
                CustomerRead,
                ProductRead,
                ProductWrite,
                LedgerRead,
                LedgerPost,
                ApplicationRead,
                FundingRead,
                FundingManage,
                ContractManage,
                DisbursementRelease,
                LoanRead,
                RepaymentPost,
                EodRun,
                LoanRestructure,
                LoanWriteOff,
                LoanClose,
                CollectionManage,
                CollectionWork,
                NotificationManage,
            ],
            Role::Collector => &[CustomerRead, LoanRead, CollectionWork],
            Role::Compliance => &[
                CustomerRead,
                PiiView,
                ProductRead,
                LedgerRead,
                AuditRead,
                ModelRead,
                ApplicationRead,
                FundingRead,
                WatchListManage,
                LoanRead,
                WarningManage,
                TicketWork,
            ],
            Role::CustomerService => &[
                CustomerRead,
                CustomerWrite,
                ProductRead,
                ApplicationRead,
                LoanRead,
                TicketWork,
                NotificationManage,
            ],
        }
    }

    /// Whether the role holds `permission`.
    pub fn allows(self, permission: Permission) -> bool {
        self.permissions().contains(&permission)
    }
}

/// Who is acting, as established by a login, a session or a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// User id (0 for the system).
    pub user_id: i64,
    /// Login name (`system` for the CLI acting as the operator of the machine).
    pub username: String,
    /// Role.
    pub role: Role,
    /// The request, for the audit log.
    pub request_id: Option<String>,
}

impl Actor {
    /// The operator at the machine (the CLI): acts as `system` with the admin role.
    pub fn system() -> Actor {
        Actor {
            user_id: 0,
            username: "system".into(),
            role: Role::Admin,
            request_id: None,
        }
    }

    /// Refuses unless the actor's role holds `permission`.
    ///
    /// # Errors
    /// [`ServiceError::Forbidden`].
    pub fn require(&self, permission: Permission) -> Result<(), ServiceError> {
        if self.role.allows(permission) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden {
                role: self.role.code().into(),
                permission: permission.code().into(),
            })
        }
    }

    fn from_user(user: &UserRow) -> Result<Actor, ServiceError> {
        let role = Role::parse(&user.role).ok_or_else(|| {
            ServiceError::Conflict(format!("user {} has an unknown role", user.username))
        })?;
        Ok(Actor {
            user_id: user.id,
            username: user.username.clone(),
            role,
            request_id: None,
        })
    }
}

/// Failed logins before the account locks.
pub const MAX_FAILED_LOGINS: i64 = 5;
/// How long a lock lasts.
pub const LOCK_MINUTES: i64 = 15;
/// How long a console session lasts.
pub const SESSION_HOURS: i64 = 12;

/// A user as shown to other users.
#[derive(Clone, Debug, Serialize)]
pub struct UserView {
    /// Id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role code.
    pub role: String,
    /// Language.
    pub language: String,
    /// Status.
    pub status: String,
}

impl From<&UserRow> for UserView {
    fn from(u: &UserRow) -> UserView {
        UserView {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role.clone(),
            language: u.language.clone(),
            status: u.status.clone(),
        }
    }
}

/// A new user.
#[derive(Clone, Debug)]
pub struct NewUser {
    /// Login name: 3–32 of a–z, 0–9, `.`, `_`, `-`.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role code.
    pub role: String,
    /// Password: at least 10 characters with a letter and a digit.
    pub password: String,
}

fn check_password(password: &str) -> Option<Violation> {
    let long = password.chars().count() >= 10;
    let letter = password.chars().any(char::is_alphabetic);
    let digit = password.chars().any(|c| c.is_ascii_digit());
    (!(long && letter && digit)).then(|| {
        Violation::new(
            "password",
            "must be at least 10 characters with a letter and a digit",
        )
    })
}

fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes any password")
        .to_string()
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Adds a user.
///
/// # Errors
/// Forbidden without `user:manage`; invalid fields; a taken username.
pub async fn add_user(app: &App, actor: &Actor, new: &NewUser) -> Result<UserView, ServiceError> {
    actor.require(Permission::UserManage)?;
    let mut violations = Vec::new();
    let name_ok = (3..=32).contains(&new.username.len())
        && new
            .username
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if !name_ok {
        violations.push(Violation::new(
            "username",
            "must be 3–32 of a–z, 0–9, '.', '_' and '-'",
        ));
    }
    if Role::parse(&new.role).is_none() {
        let roles: Vec<_> = Role::ALL.iter().map(|r| r.code()).collect();
        violations.push(Violation::new(
            "role",
            format!(
                "unknown role '{}': expected one of {}",
                new.role,
                roles.join(", ")
            ),
        ));
    }
    violations.extend(check_password(&new.password));
    if !violations.is_empty() {
        return Err(ServiceError::Invalid(violations));
    }
    let display_name = if new.display_name.trim().is_empty() {
        new.username.clone()
    } else {
        new.display_name.clone()
    };
    let row = UserRow {
        id: 0,
        username: new.username.clone(),
        display_name,
        role: new.role.clone(),
        password_hash: hash_password(&new.password),
        language: "zh-CN".into(),
        status: "active".into(),
        failed_logins: 0,
        locked_until: None,
        created_at: timestamp(app.now()),
    };
    let mut tx = app.db().begin().await?;
    let id = match users::insert(&mut tx, &row).await {
        Ok(id) => id,
        Err(e) if e.is_unique_violation() => {
            return Err(ServiceError::Conflict(format!(
                "the username '{}' is taken",
                new.username
            )));
        }
        Err(e) => return Err(e.into()),
    };
    let view = UserView::from(&UserRow { id, ..row });
    record(
        &mut tx,
        actor,
        "user.create",
        "user",
        &id.to_string(),
        None,
        Some(serde_json::to_value(&view).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// Every user.
///
/// # Errors
/// Forbidden without `user:manage`.
pub async fn list_users(app: &App, actor: &Actor) -> Result<Vec<UserView>, ServiceError> {
    actor.require(Permission::UserManage)?;
    Ok(users::list(app.db())
        .await?
        .iter()
        .map(UserView::from)
        .collect())
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// An argon2 hash of nothing in particular, checked against when the user is unknown so that
/// the answer takes as long as for a known one.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$2j4Yh9lSGSO1LmbcXR1Jv3zJKqkXQt8M0m2q2d5Jr9w";

/// A successful login.
#[derive(Clone, Debug, Serialize)]
pub struct Login {
    /// The session token (a cookie for the console, a bearer token for the API).
    pub token: String,
    /// When it expires.
    pub expires_at: String,
    /// Who logged in.
    pub user: UserView,
}

/// Logs in with a password. Five failures in a row lock the account for 15 minutes;
/// the answer to a wrong name and a wrong password is the same.
///
/// # Errors
/// [`ServiceError::Unauthenticated`] or [`ServiceError::Locked`].
pub async fn login(app: &App, username: &str, password: &str) -> Result<Login, ServiceError> {
    let now = app.now();
    let wrong = || ServiceError::Unauthenticated("wrong username or password".into());
    // Read and check the password outside any transaction: on SQLite a transaction holds
    // the write lock, and argon2 takes tens of milliseconds.
    let user = users::by_username(app.db().pool(), username).await?;
    let Some(user) = user.filter(|u| u.status == "active") else {
        // Spend the same time as a real check so names cannot be probed by timing.
        let _ = verify_password(password, DUMMY_HASH);
        return Err(wrong());
    };
    if let Some(until) = &user.locked_until
        && until.as_str() > timestamp(now).as_str()
    {
        return Err(ServiceError::Locked(until.clone()));
    }
    let actor = Actor::from_user(&user)?;
    if !verify_password(password, &user.password_hash) {
        // counted atomically, so parallel guesses cannot slip past the limit
        let failures = users::add_failure(app.db(), user.id).await?;
        let lock = (failures >= MAX_FAILED_LOGINS)
            .then(|| timestamp(now + Duration::minutes(LOCK_MINUTES)));
        let mut tx = app.db().begin().await?;
        if let Some(until) = &lock {
            users::set_failures(&mut tx, user.id, 0, Some(until)).await?;
        }
        let action = if lock.is_some() {
            "auth.locked"
        } else {
            "auth.login_failed"
        };
        record(
            &mut tx,
            &actor,
            action,
            "user",
            &user.id.to_string(),
            None,
            Some(serde_json::json!({"failures": failures})),
        )
        .await?;
        tx.commit().await?;
        return Err(match lock {
            Some(until) => ServiceError::Locked(until),
            None => wrong(),
        });
    }
    let mut tx = app.db().begin().await?;
    users::set_failures(&mut tx, user.id, 0, None).await?;
    let token = new_token("lbs_");
    let expires_at = timestamp(now + Duration::hours(SESSION_HOURS));
    users::insert_session(
        &mut tx,
        &token_hash(&token),
        user.id,
        &timestamp(now),
        &expires_at,
    )
    .await?;
    record(
        &mut tx,
        &actor,
        "auth.login",
        "user",
        &user.id.to_string(),
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(Login {
        token,
        expires_at,
        user: UserView::from(&user),
    })
}

/// The actor behind a session token or an API token.
///
/// # Errors
/// [`ServiceError::Unauthenticated`] for an unknown, expired or revoked token.
pub async fn authenticate(app: &App, token: &str) -> Result<Actor, ServiceError> {
    let hash = token_hash(token);
    let user = if token.starts_with("lbs_") {
        users::session_user(app.db(), &hash, &timestamp(app.now())).await?
    } else {
        users::api_token_user(app.db(), &hash).await?
    };
    let user = user.ok_or_else(|| {
        ServiceError::Unauthenticated("the token is unknown, expired or revoked".into())
    })?;
    Actor::from_user(&user)
}

/// Ends the session of `token`.
///
/// # Errors
/// A database error.
pub async fn logout(app: &App, actor: &Actor, token: &str) -> Result<(), ServiceError> {
    let mut tx = app.db().begin().await?;
    users::revoke_session(&mut tx, &token_hash(token), &timestamp(app.now())).await?;
    record(
        &mut tx,
        actor,
        "auth.logout",
        "user",
        &actor.user_id.to_string(),
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A new API token, shown once.
#[derive(Clone, Debug, Serialize)]
pub struct NewApiToken {
    /// Id, for revocation.
    pub id: i64,
    /// The token: send as `Authorization: Bearer …`.
    pub token: String,
}

/// Creates an API token for the actor.
///
/// # Errors
/// A database error; an empty name.
pub async fn create_api_token(
    app: &App,
    actor: &Actor,
    name: &str,
) -> Result<NewApiToken, ServiceError> {
    if name.trim().is_empty() || name.chars().count() > 100 {
        return Err(ServiceError::invalid("name", "must be 1–100 characters"));
    }
    let token = new_token("lbt_");
    let mut tx = app.db().begin().await?;
    let id = users::insert_api_token(
        &mut tx,
        &token_hash(&token),
        actor.user_id,
        name,
        &timestamp(app.now()),
    )
    .await?;
    record(
        &mut tx,
        actor,
        "api_token.create",
        "api_token",
        &id.to_string(),
        None,
        Some(serde_json::json!({"name": name})),
    )
    .await?;
    tx.commit().await?;
    Ok(NewApiToken { id, token })
}

/// Revokes one of the actor's API tokens.
///
/// # Errors
/// [`ServiceError::NotFound`] when the actor has no such live token.
pub async fn revoke_api_token(app: &App, actor: &Actor, id: i64) -> Result<(), ServiceError> {
    let mut tx = app.db().begin().await?;
    if !users::revoke_api_token(&mut tx, id, actor.user_id, &timestamp(app.now())).await? {
        return Err(ServiceError::NotFound(format!("API token {id}")));
    }
    record(
        &mut tx,
        actor,
        "api_token.revoke",
        "api_token",
        &id.to_string(),
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The console languages a user may choose.
pub const LANGUAGES: [&str; 2] = ["zh-CN", "en"];

/// The console language of the acting user (`zh-CN` or `en`).
///
/// # Errors
/// A database error.
pub async fn language(app: &App, actor: &Actor) -> Result<String, ServiceError> {
    Ok(users::by_username(app.db().pool(), &actor.username)
        .await?
        .map_or_else(|| LANGUAGES[0].to_owned(), |u| u.language))
}

/// Keeps the acting user's console language, so it follows them to every device.
///
/// # Errors
/// [`ServiceError::Invalid`] naming `language` when it is not one of [`LANGUAGES`].
pub async fn set_language(app: &App, actor: &Actor, language: &str) -> Result<(), ServiceError> {
    if !LANGUAGES.contains(&language) {
        return Err(ServiceError::invalid(
            "language",
            format!("must be one of {}", LANGUAGES.join(", ")),
        ));
    }
    let before = self::language(app, actor).await?;
    let mut tx = app.db().begin().await?;
    users::set_language(&mut tx, actor.user_id, language).await?;
    record(
        &mut tx,
        actor,
        "user.language",
        "user",
        &actor.user_id.to_string(),
        Some(serde_json::json!({ "language": before })),
        Some(serde_json::json!({ "language": language })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::apps;

    fn officer(name: &str) -> NewUser {
        NewUser {
            username: name.into(),
            display_name: "王小明".into(),
            role: "loan_officer".into(),
            password: "Officer-2026-pass".into(),
        }
    }

    #[tokio::test]
    async fn a_user_keeps_their_console_language_and_a_bad_one_changes_nothing() {
        for (app, admin, t) in apps().await {
            add_user(&app, &admin, &officer("wang")).await.unwrap();
            let ok = login(&app, "wang", "Officer-2026-pass").await.unwrap();
            let wang = authenticate(&app, &ok.token).await.unwrap();
            assert_eq!(language(&app, &wang).await.unwrap(), "zh-CN", "{}", t.label);
            set_language(&app, &wang, "en").await.unwrap();
            assert_eq!(language(&app, &wang).await.unwrap(), "en");
            match set_language(&app, &wang, "fr").await {
                Err(ServiceError::Invalid(v)) => assert_eq!(v[0].field, "language"),
                other => panic!("{}: fr was not refused: {other:?}", t.label),
            }
            assert_eq!(language(&app, &wang).await.unwrap(), "en");
            let filter = loanbook_store::audit::AuditFilter {
                actor: Some("wang".into()),
                limit: 10,
                ..Default::default()
            };
            let log = loanbook_store::audit::query(app.db(), &filter)
                .await
                .unwrap();
            assert_eq!(log[0].action, "user.language");
            assert_eq!(log[0].after.as_deref(), Some(r#"{"language":"en"}"#));
        }
    }

    #[tokio::test]
    async fn login_lockout_tokens_and_revocation() {
        for (app, admin, t) in apps().await {
            add_user(&app, &admin, &officer("wang")).await.unwrap();
            let ok = login(&app, "wang", "Officer-2026-pass").await.unwrap();
            let actor = authenticate(&app, &ok.token).await.unwrap();
            assert_eq!(
                (actor.username.as_str(), actor.role),
                ("wang", Role::LoanOfficer),
                "{}",
                t.label
            );
            // an API token works until revoked
            let api = create_api_token(&app, &actor, "batch").await.unwrap();
            assert_eq!(
                authenticate(&app, &api.token).await.unwrap().username,
                "wang"
            );
            revoke_api_token(&app, &actor, api.id).await.unwrap();
            assert!(matches!(
                authenticate(&app, &api.token).await,
                Err(ServiceError::Unauthenticated(_))
            ));
            // logout ends the session
            logout(&app, &actor, &ok.token).await.unwrap();
            assert!(authenticate(&app, &ok.token).await.is_err());
            // four failures answer "wrong", the fifth locks, and then even the right password is refused
            for _ in 0..4 {
                assert!(matches!(
                    login(&app, "wang", "nope").await,
                    Err(ServiceError::Unauthenticated(_))
                ));
            }
            assert!(matches!(
                login(&app, "wang", "nope").await,
                Err(ServiceError::Locked(_))
            ));
            assert!(matches!(
                login(&app, "wang", "Officer-2026-pass").await,
                Err(ServiceError::Locked(_))
            ));
            assert!(matches!(
                login(&app, "nobody", "x").await,
                Err(ServiceError::Unauthenticated(_))
            ));
        }
    }

    #[tokio::test]
    async fn bad_users_are_refused_and_nothing_is_written() {
        for (app, admin, t) in apps().await {
            let mut bad = officer("X!");
            bad.role = "boss".into();
            bad.password = "short".into();
            let Err(ServiceError::Invalid(v)) = add_user(&app, &admin, &bad).await else {
                panic!("{}", t.label)
            };
            let fields: Vec<_> = v.iter().map(|v| v.field.as_str()).collect();
            assert_eq!(fields, ["username", "role", "password"]);
            add_user(&app, &admin, &officer("lili")).await.unwrap();
            assert!(matches!(
                add_user(&app, &admin, &officer("lili")).await,
                Err(ServiceError::Conflict(_))
            ));
            // an officer may not manage users
            let li = Actor {
                username: "lili".into(),
                role: Role::LoanOfficer,
                user_id: 2,
                request_id: None,
            };
            assert!(matches!(
                add_user(&app, &li, &officer("zhao")).await,
                Err(ServiceError::Forbidden { .. })
            ));
            assert_eq!(
                list_users(&app, &admin).await.unwrap().len(),
                2,
                "{}",
                t.label
            );
        }
    }

    #[test]
    fn the_matrix() {
        assert!(Role::Admin.allows(Permission::UserManage));
        assert!(Role::Compliance.allows(Permission::PiiView));
        assert!(!Role::LoanOfficer.allows(Permission::PiiView));
        assert!(!Role::Collector.allows(Permission::CustomerWrite));
        assert!(Role::Operations.allows(Permission::LedgerPost));
        assert!(!Role::Compliance.allows(Permission::LedgerPost));
        // restructures: requested by operations and officers, approved by approvers
        assert!(Role::Operations.allows(Permission::LoanRestructure));
        assert!(Role::LoanOfficer.allows(Permission::LoanRestructure));
        assert!(!Role::LoanOfficer.allows(Permission::LoanRestructureApprove));
        assert!(Role::Approver.allows(Permission::LoanRestructureApprove));
        assert!(!Role::CommitteeMember.allows(Permission::LoanRestructureApprove));
        assert!(Role::CommitteeMember.allows(Permission::LoanWriteOffApprove));
        assert!(!Role::Operations.allows(Permission::LoanWriteOffApprove));
    }
}
