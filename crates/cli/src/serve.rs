//! `loanbook serve`: the console and the API.

use std::net::SocketAddr;

use clap::Args;
use loanbook_service::{admin, customers, demo};

use crate::context::{Location, operator};
use crate::error::CliError;

/// Arguments of `loanbook serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// On an empty database, create the demo bank: a user for every role (passwords
    /// printed), products and a few thousand customers.
    #[arg(long)]
    demo: bool,
    /// Customers the demo creates.
    #[arg(long, default_value_t = 2000, hide = true)]
    demo_customers: usize,
}

/// Initialises an empty database (printing the admin login), seeds the demo when
/// asked, and serves until Ctrl-C.
pub async fn run(location: &Location, args: &ServeArgs) -> Result<String, CliError> {
    let (app, key_created) = location.app_creating_key().await?;
    if key_created {
        println!(
            "created the master key {} (mode 0600): back it up",
            location
                .data_dir()
                .join(loanbook_store::crypto::KEY_FILE)
                .display()
        );
    }
    if !admin::is_initialised(&app).await? {
        let password = admin::generate_password();
        let today = chrono::Local::now().date_naive();
        admin::initialise(&app, today, "admin", &password).await?;
        println!("initialised a new loanbook: business date {today}");
        println!("  administrator login: admin / {password}");
    }
    if args.demo {
        let empty = customers::search(
            &app,
            &operator(),
            &customers::SearchInput {
                limit: Some(1),
                ..Default::default()
            },
        )
        .await?
        .is_empty();
        if empty {
            println!(
                "creating the demo bank ({} customers)…",
                args.demo_customers
            );
            let report = demo::seed(&app, args.demo_customers).await?;
            println!(
                "demo bank: {} products, {} customers; logins:",
                report.products, report.customers
            );
            for (user, role, password) in &report.users {
                println!("  {user:<20} {role:<18} {password}");
            }
        } else {
            println!("the database already has customers: the demo bank is not created again");
        }
    }
    println!(
        "loanbook is serving on http://{}  (console /, API /api/v1, docs /api/docs)",
        args.addr
    );
    loanbook_web::serve(app, args.addr)
        .await
        .map_err(|e| CliError::Failed(format!("cannot serve on {}: {e}", args.addr)))?;
    Ok(String::new())
}
