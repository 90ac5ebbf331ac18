//! `loanbook`: the command line of the loanbook credit-operations platform.
//!
//! Thin like the web layer: parse arguments, call one service function, print the
//! result. Bad input exits with code 2 and names the argument (or the row and field)
//! and the rule; nothing goes to stdout then. Other failures exit with code 1.

mod admin;
mod bench;
mod bench_eod;
mod bench_prepare;
mod collections;
mod context;
mod customer;
mod error;
mod ledger;
mod loan_ops;
mod model;
mod origination;
mod product;
mod schedule;
mod serve;
mod service_desk;
mod servicing;
mod servicing_ops;
mod warnings;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use context::Location;
use error::CliError;

/// loanbook — credit operations: customers, products, origination, servicing, the
/// daily close, collections and the ledger.
#[derive(Debug, Parser)]
#[command(
    name = "loanbook",
    version,
    about,
    max_term_width = 100,
    args_override_self = true
)]
struct Cli {
    /// Database to use: sqlite://PATH (the default) or postgres://USER@HOST/DB.
    #[arg(
        long,
        global = true,
        env = "LOANBOOK_DATABASE_URL",
        default_value = "sqlite://./loanbook-data/loanbook.db",
        value_name = "URL"
    )]
    database_url: String,

    /// Directory for documents and the master key.
    #[arg(
        long,
        global = true,
        env = "LOANBOOK_DATA_DIR",
        default_value = "./loanbook-data",
        value_name = "DIR"
    )]
    data_dir: PathBuf,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The daily close (日终).
    #[command(subcommand)]
    Eod(servicing::EodCommand),
    /// Record a repayment (还款) on a loan.
    Repay(servicing::RepayArgs),
    /// Calculate a repayment schedule (还款计划), its totals and its APR.
    Schedule(Box<schedule::ScheduleArgs>),
    /// Serve the console and the API (initialises an empty database; `--demo` adds the
    /// demo bank).
    Serve(serve::ServeArgs),
    /// Initialise a new database: schema, master key, chart of accounts, business date
    /// and the first administrator.
    Init(admin::InitArgs),
    /// Apply missing schema migrations.
    Migrate,
    /// Customers (客户资料).
    #[command(subcommand)]
    Customer(customer::CustomerCommand),
    /// Loan products (贷款产品).
    #[command(subcommand)]
    Product(product::ProductCommand),
    /// Users.
    #[command(subcommand)]
    User(UserCommand),
    /// Credit models (评分卡): train, evaluate, score.
    #[command(subcommand)]
    Model(model::ModelCommand),
    /// The general ledger (总账).
    #[command(subcommand)]
    Ledger(ledger::LedgerCommand),
    /// The audit log (审计日志).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// AML watch lists (反洗钱名单).
    #[command(subcommand)]
    Watchlist(WatchlistCommand),
    /// Loan applications (贷款申请): batch import.
    #[command(subcommand)]
    Application(origination::ApplicationCommand),
    /// Credit policies (授信政策): versioned decision tables.
    #[command(subcommand)]
    Policy(origination::PolicyCommand),
    /// Approval authority rules (审批权限).
    #[command(subcommand, name = "authority-rules")]
    AuthorityRules(origination::RulesCommand),
    /// Payments: the bank's confirmations of disbursements (放款指令) and bank statements of
    /// repayments (银行流水).
    #[command(subcommand)]
    Payment(origination::PaymentCommand),
    /// Loans (贷款).
    #[command(subcommand)]
    Loan(origination::LoanCommand),
    /// The loan prime rate table (LPR).
    #[command(subcommand)]
    Lpr(loan_ops::LprCommand),
    /// Early warnings (风险预警): the worklist, actions, evaluation.
    #[command(subcommand)]
    Warning(warnings::WarningCommand),
    /// The industry and region watch list of early warning (行业/区域预警名单).
    #[command(subcommand, name = "risk-watch")]
    RiskWatch(warnings::RiskWatchCommand),
    /// Collections (催收): the case queue, the action log, promises, settlements, collectors.
    #[command(subcommand)]
    Collection(collections::CollectionCommand),
    /// Borrower notifications: the outbox and the dispatcher.
    #[command(subcommand)]
    Notify(collections::NotifyCommand),
    /// Customer-service tickets (客服工单): SLA, assignment, resolution, rating, statements.
    #[command(subcommand)]
    Ticket(service_desk::TicketCommand),
    /// Post-loan inspections (贷后检查): the work queue and the checklist.
    #[command(subcommand)]
    Inspection(service_desk::InspectionCommand),
    /// Benchmarks on a scratch database (figures for docs/performance.md).
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add a user with a role.
    Add(admin::UserAddArgs),
}

#[derive(Debug, Subcommand)]
enum WatchlistCommand {
    /// Import a watch list (CSV: list,name,id_number,reason); it replaces the current one.
    Import {
        /// The CSV file.
        #[arg(long, value_name = "FILE")]
        csv: String,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Verify the hash chain: exit 0 when intact, 1 naming the first broken record.
    Verify,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return error::exit_for_clap(&err),
    };
    let result = match &cli.command {
        Command::Schedule(args) => schedule::run(args),
        Command::Model(command) if command.is_offline() => model::run(command),
        command => run_async(&cli, command),
    };
    match result {
        Ok(output) => {
            print!("{output}");
            ExitCode::SUCCESS
        }
        Err(err) => err.report(),
    }
}

fn run_async(cli: &Cli, command: &Command) -> Result<String, CliError> {
    // Logs go to stderr; they carry no personal data (bodies are never logged). A
    // benchmark logs warnings only, so that request lines do not flood its report.
    let default_filter = if matches!(command, Command::Bench(_)) {
        "warn"
    } else {
        "warn,loanbook_web=info"
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LOANBOOK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter)),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let location = Location {
        database_url: cli.database_url.clone(),
        data_dir: cli.data_dir.clone(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Failed(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async {
        match command {
            Command::Model(command) => model::run_registry(&location, command).await,
            Command::Schedule(_) => unreachable!("handled synchronously"),
            Command::Serve(args) => serve::run(&location, args).await,
            Command::Init(args) => admin::init(&location, args).await,
            Command::Migrate => admin::migrate(&location).await,
            Command::Customer(c) => customer::run(&location, c).await,
            Command::Product(p) => product::run(&location, p).await,
            Command::User(UserCommand::Add(args)) => admin::user_add(&location, args).await,
            Command::Ledger(l) => ledger::run(&location, l).await,
            Command::Audit(AuditCommand::Verify) => admin::audit_verify(&location).await,
            Command::Watchlist(WatchlistCommand::Import { csv }) => {
                admin::watchlist_import(&location, csv).await
            }
            Command::Application(c) => origination::application(&location, c).await,
            Command::Policy(c) => origination::policy(&location, c).await,
            Command::AuthorityRules(c) => origination::rules(&location, c).await,
            Command::Payment(c) => origination::payment(&location, c).await,
            Command::Loan(c) => origination::loan(&location, c).await,
            Command::Lpr(c) => loan_ops::lpr_command(&location, c).await,
            Command::Warning(c) => warnings::run(&location, c).await,
            Command::Collection(c) => collections::run(&location, c).await,
            Command::Notify(c) => collections::notify(&location, c).await,
            Command::RiskWatch(c) => warnings::risk_watch(&location, c).await,
            Command::Ticket(c) => service_desk::ticket(&location, c).await,
            Command::Inspection(c) => service_desk::inspection(&location, c).await,
            Command::Bench(c) => bench::run(c).await,
            Command::Eod(c) => servicing::eod(&location, c).await,
            Command::Repay(a) => servicing::repay(&location, a).await,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
