//! Bank transfers (放款指令) behind the [`BankTransfer`] trait: the instruction-file
//! protocol ([`export_instructions`], [`parse_confirmations`], [`FileBank`]) and a
//! simulator for demos and tests ([`SimulatedBank`]).
//!
//! Decisions: a batch is checked before anything is written (one currency, positive
//! amounts, unique orders, at most [`MAX_BATCH`]); the instruction file ends with a
//! trailer (count, total, SHA-256 of the lines before it) so the bank can prove it got
//! the whole file; a file is published with a no-clobber link from a `.tmp` file, so the
//! bank never sees half a file and an existing file is never overwritten (overwriting a
//! file the bank already read could pay twice). The payee account is plain only in the
//! exported file; `Debug` masks it.

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::pin::Pin;

use chrono::NaiveDate;
use loanbook_core::money::Money;
use loanbook_store::crypto::mask;
use sha2::{Digest, Sha256};

use crate::Violation;

/// Most instructions in one batch, and most rows in one confirmation file.
pub const MAX_BATCH: usize = 10_000;

/// The header of the instruction file.
pub const INSTRUCTION_HEADER: &str =
    "order_id,value_date,funding_source,payee_name,payee_account,amount,currency,reference";

/// One payment to make: a disbursement order.
#[derive(Clone, PartialEq, Eq)]
pub struct PaymentInstruction {
    /// The payment order.
    pub order_id: i64,
    /// The loan's reference, sent as the payment reference.
    pub loan_ref: String,
    /// The amount (positive).
    pub amount: Money,
    /// The payee's account name.
    pub payee_name: String,
    /// The payee's account number, in plain text: only in the exported file (masked in
    /// `Debug`).
    pub payee_account: String,
    /// The funding source the money leaves from.
    pub funding_source: String,
    /// The value date (起息日) of the transfer.
    pub value_date: NaiveDate,
}

impl fmt::Debug for PaymentInstruction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaymentInstruction")
            .field("order_id", &self.order_id)
            .field("loan_ref", &self.loan_ref)
            .field("amount", &self.amount)
            .field("payee_name", &self.payee_name)
            .field("payee_account", &mask(&self.payee_account, 4, 4))
            .field("funding_source", &self.funding_source)
            .field("value_date", &self.value_date)
            .finish()
    }
}

/// Where a payment stands at the bank.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaymentStatus {
    /// Handed to the bank; the outcome comes later.
    Sent,
    /// The bank paid it.
    Confirmed,
    /// The bank did not pay it, for the reason given.
    Failed(String),
}

impl PaymentStatus {
    /// `sent`, `confirmed` or `failed`.
    pub fn code(&self) -> &'static str {
        match self {
            PaymentStatus::Sent => "sent",
            PaymentStatus::Confirmed => "confirmed",
            PaymentStatus::Failed(_) => "failed",
        }
    }
}

/// The bank's answer for one order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confirmation {
    /// The payment order.
    pub order_id: i64,
    /// Its status.
    pub status: PaymentStatus,
    /// The bank's reference (for a `Sent` order of [`FileBank`]: the file name).
    pub bank_reference: String,
}

/// Why a transfer or an import failed.
#[derive(Debug, thiserror::Error)]
pub enum BankError {
    /// The batch breaks rules; nothing was sent.
    #[error("payment batch: {}", join(.0))]
    InvalidBatch(Vec<Violation>),
    /// The confirmation file has bad rows; nothing was imported.
    #[error("confirmation file: {}", join(.0))]
    InvalidConfirmations(Vec<Violation>),
    /// The outbox directory does not exist or is not a directory.
    #[error("the bank outbox {0} is not an existing directory")]
    NoOutbox(PathBuf),
    /// An instruction file of that name is already in the outbox.
    #[error("{0} already exists: refusing to overwrite an instruction file")]
    AlreadyExists(PathBuf),
    /// Writing the instruction file failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
}

fn join(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A bank, or a bank's file interface.
pub trait BankTransfer: Send + Sync + fmt::Debug {
    /// The bank's name.
    fn name(&self) -> &str;

    /// Hands `batch` to the bank; returns one confirmation per instruction, in order.
    ///
    /// # Errors
    /// [`BankError::InvalidBatch`] (nothing sent) or a failure to hand it over.
    fn submit<'a>(
        &'a self,
        batch: &'a [PaymentInstruction],
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Confirmation>, BankError>> + Send + 'a>>;
}

/// Checks a batch: 1..=[`MAX_BATCH`] instructions, one currency, positive amounts, unique
/// positive order ids, required text without line breaks.
///
/// # Errors
/// [`BankError::InvalidBatch`] with every broken rule, by instruction index
/// (`instructions[3].amount`).
pub fn validate_batch(batch: &[PaymentInstruction]) -> Result<(), BankError> {
    let mut v = Vec::new();
    if batch.is_empty() {
        v.push(Violation::new("instructions", "the batch is empty"));
    }
    if batch.len() > MAX_BATCH {
        v.push(Violation::new(
            "instructions",
            format!("{} instructions, more than {MAX_BATCH}", batch.len()),
        ));
    }
    let currency = batch.first().map(|i| i.amount.currency());
    let mut orders = HashSet::new();
    for (n, i) in batch.iter().enumerate().take(MAX_BATCH) {
        let field = |name: &str| format!("instructions[{n}].{name}");
        if i.order_id <= 0 {
            v.push(Violation::new(
                field("order_id"),
                format!("{} is not positive", i.order_id),
            ));
        } else if !orders.insert(i.order_id) {
            v.push(Violation::new(
                field("order_id"),
                format!("{} is twice in the batch", i.order_id),
            ));
        }
        if !i.amount.is_positive() {
            v.push(Violation::new(
                field("amount"),
                format!("{} is not positive", i.amount),
            ));
        }
        if Some(i.amount.currency()) != currency {
            v.push(Violation::new(
                field("amount"),
                format!("{} differs from the batch currency", i.amount.currency()),
            ));
        }
        for (name, value) in [
            ("loan_ref", &i.loan_ref),
            ("payee_name", &i.payee_name),
            ("payee_account", &i.payee_account),
            ("funding_source", &i.funding_source),
        ] {
            if value.trim().is_empty() {
                v.push(Violation::new(field(name), "is required"));
            } else if value.chars().any(char::is_control) {
                v.push(Violation::new(
                    field(name),
                    "must not contain line breaks or control characters",
                ));
            }
        }
    }
    if v.is_empty() {
        Ok(())
    } else {
        Err(BankError::InvalidBatch(v))
    }
}

/// The instruction file for `batch`: a CSV header ([`INSTRUCTION_HEADER`]), one row per
/// instruction (amount with two decimals, the loan reference as `reference`), then
/// `TRAILER,<count>,<total>,<sha256>` where the SHA-256 (lower-case hex) covers every
/// byte before the trailer line. Lines end with `\n`.
///
/// The total is the sum of the amounts' minor units written as a decimal; it is the
/// batch's total when the batch is in one currency, which [`validate_batch`] checks.
pub fn export_instructions(batch: &[PaymentInstruction]) -> String {
    let mut body = String::with_capacity(64 * (batch.len() + 1));
    body.push_str(INSTRUCTION_HEADER);
    body.push('\n');
    let mut total_minor: i128 = 0;
    for i in batch {
        total_minor += i128::from(i.amount.amount_minor());
        let fields = [
            i.order_id.to_string(),
            i.value_date.format("%Y-%m-%d").to_string(),
            i.funding_source.clone(),
            i.payee_name.clone(),
            i.payee_account.clone(),
            i.amount.to_string(),
            i.amount.currency().code().to_owned(),
            i.loan_ref.clone(),
        ];
        let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        body.push_str(&row.join(","));
        body.push('\n');
    }
    let hash = hex::encode(Sha256::digest(body.as_bytes()));
    let sign = if total_minor < 0 { "-" } else { "" };
    let magnitude = total_minor.unsigned_abs();
    body.push_str(&format!(
        "TRAILER,{},{sign}{}.{:02},{hash}\n",
        batch.len(),
        magnitude / 100,
        magnitude % 100
    ));
    body
}

/// `field` quoted as CSV needs it (RFC 4180): in double quotes, inner quotes doubled,
/// when it holds a comma, a quote or a line break.
fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

/// Reads the bank's confirmation file: `order_id,status,bank_reference[,reason]` per
/// line, `status` `confirmed` or `failed` (a failed row needs a reason), an optional
/// header line starting `order_id`. Every row is checked before any is returned.
///
/// # Errors
/// [`BankError::InvalidConfirmations`] with every bad row (row number, field, rule):
/// a wrong number of fields, an order id that is not a positive integer or appears
/// twice, an unknown status, a confirmed row without a bank reference, a failed row
/// without a reason, no rows, more than [`MAX_BATCH`] rows.
pub fn parse_confirmations(csv_text: &str) -> Result<Vec<Confirmation>, BankError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(csv_text.as_bytes());
    let mut v = Vec::new();
    let mut out = Vec::new();
    let mut orders = HashSet::new();
    let mut rows = 0;
    for (index, record) in reader.records().enumerate() {
        // Rows are numbered by line of the file (the csv reader skips blank lines).
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let row = e.position().map_or(index + 1, |p| line_number(p.line()));
                v.push(Violation::new("csv", e.to_string()).at_row(row));
                continue;
            }
        };
        let row = record
            .position()
            .map_or(index + 1, |p| line_number(p.line()));
        if index == 0
            && record
                .get(0)
                .is_some_and(|f| f.eq_ignore_ascii_case("order_id"))
        {
            continue;
        }
        if record.iter().all(str::is_empty) {
            continue;
        }
        rows += 1;
        if rows > MAX_BATCH {
            v.push(Violation::new("csv", format!("more than {MAX_BATCH} rows")).at_row(row));
            break;
        }
        match parse_row(&record, row, &mut orders) {
            Ok(c) => out.push(c),
            Err(mut problems) => v.append(&mut problems),
        }
    }
    if out.is_empty() && v.is_empty() {
        v.push(Violation::new("csv", "the file has no confirmations").at_row(1));
    }
    if v.is_empty() {
        Ok(out)
    } else {
        Err(BankError::InvalidConfirmations(v))
    }
}

fn line_number(line: u64) -> usize {
    usize::try_from(line).unwrap_or(usize::MAX)
}

/// One confirmation row, or every rule it breaks.
fn parse_row(
    record: &csv::StringRecord,
    row: usize,
    orders: &mut HashSet<i64>,
) -> Result<Confirmation, Vec<Violation>> {
    let problem = |field: &str, rule: String| Violation::new(field, rule).at_row(row);
    if !(3..=4).contains(&record.len()) {
        return Err(vec![problem(
            "csv",
            format!(
                "{} fields; expected order_id,status,bank_reference[,reason]",
                record.len()
            ),
        )]);
    }
    let mut v = Vec::new();
    let order_text = record.get(0).unwrap_or_default();
    let order_id = match order_text.parse::<i64>() {
        Ok(id) if id > 0 => {
            if !orders.insert(id) {
                v.push(problem("order_id", format!("{id} appears twice")));
            }
            id
        }
        _ => {
            v.push(problem(
                "order_id",
                format!("'{order_text}' is not a positive integer"),
            ));
            0
        }
    };
    let reference = record.get(2).unwrap_or_default().to_owned();
    let reason = record.get(3).unwrap_or_default().to_owned();
    let status_text = record.get(1).unwrap_or_default();
    let status = match status_text.to_ascii_lowercase().as_str() {
        "confirmed" => {
            if reference.is_empty() {
                v.push(problem(
                    "bank_reference",
                    "is required for a confirmed payment".to_owned(),
                ));
            }
            PaymentStatus::Confirmed
        }
        "failed" => {
            if reason.is_empty() {
                v.push(problem(
                    "reason",
                    "is required for a failed payment".to_owned(),
                ));
            }
            PaymentStatus::Failed(reason)
        }
        _ => {
            v.push(problem(
                "status",
                format!("'{status_text}' is not confirmed or failed"),
            ));
            PaymentStatus::Sent
        }
    };
    if v.is_empty() {
        Ok(Confirmation {
            order_id,
            status,
            bank_reference: reference,
        })
    } else {
        Err(v)
    }
}

/// The file protocol: each batch becomes an instruction file in an outbox directory the
/// bank's host-to-host link picks up; confirmations come back later as a file read by
/// [`parse_confirmations`].
#[derive(Clone, Debug)]
pub struct FileBank {
    outbox_dir: PathBuf,
}

impl FileBank {
    /// Writes instruction files into `outbox_dir` (which must exist).
    pub fn new(outbox_dir: impl Into<PathBuf>) -> FileBank {
        FileBank {
            outbox_dir: outbox_dir.into(),
        }
    }

    /// The outbox directory.
    pub fn outbox_dir(&self) -> &Path {
        &self.outbox_dir
    }

    /// The file name for `batch`: `instructions-<first order id>-<count>.csv`.
    pub fn file_name(batch: &[PaymentInstruction]) -> String {
        let first = batch.first().map_or(0, |i| i.order_id);
        format!("instructions-{first}-{}.csv", batch.len())
    }

    async fn submit_file(
        &self,
        batch: &[PaymentInstruction],
    ) -> Result<Vec<Confirmation>, BankError> {
        validate_batch(batch)?;
        let name = FileBank::file_name(batch);
        let path = self.outbox_dir.join(&name);
        let contents = export_instructions(batch);
        let dir = self.outbox_dir.clone();
        let written = path.clone();
        tokio::task::spawn_blocking(move || publish(&dir, &written, contents.as_bytes()))
            .await
            .map_err(|e| BankError::Io {
                path: path.clone(),
                source: std::io::Error::other(e.to_string()),
            })??;
        Ok(batch
            .iter()
            .map(|i| Confirmation {
                order_id: i.order_id,
                status: PaymentStatus::Sent,
                bank_reference: name.clone(),
            })
            .collect())
    }
}

/// Writes `contents` to `path.tmp`, syncs it, links it to `path` (failing if `path`
/// exists) and removes the `.tmp` name: readers see the whole file or none.
fn publish(dir: &Path, path: &Path, contents: &[u8]) -> Result<(), BankError> {
    if !dir.is_dir() {
        return Err(BankError::NoOutbox(dir.to_owned()));
    }
    if path.exists() {
        return Err(BankError::AlreadyExists(path.to_owned()));
    }
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| BankError::Io { path, source }
    };
    let mut file = std::fs::File::create(&tmp).map_err(io(&tmp))?;
    file.write_all(contents).map_err(io(&tmp))?;
    file.sync_all().map_err(io(&tmp))?;
    drop(file);
    let linked = std::fs::hard_link(&tmp, path);
    // The .tmp name goes in every case; a failed removal only leaves a stray file.
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(BankError::AlreadyExists(path.to_owned()));
        }
        Err(source) => {
            return Err(BankError::Io {
                path: path.to_owned(),
                source,
            });
        }
    }
    // Make the new directory entry durable too.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

impl BankTransfer for FileBank {
    fn name(&self) -> &str {
        "file"
    }

    fn submit<'a>(
        &'a self,
        batch: &'a [PaymentInstruction],
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Confirmation>, BankError>> + Send + 'a>> {
        Box::pin(self.submit_file(batch))
    }
}

/// A stand-in bank for demos and tests — it moves no money. It confirms every
/// instruction at once with reference `SIM-<order id>`.
///
/// Test trigger: an amount whose minor units end in 13 (e.g. `5000.13`) fails with
/// `account closed`.
#[derive(Clone, Copy, Debug, Default)]
pub struct SimulatedBank;

impl BankTransfer for SimulatedBank {
    fn name(&self) -> &str {
        "simulated"
    }

    fn submit<'a>(
        &'a self,
        batch: &'a [PaymentInstruction],
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Confirmation>, BankError>> + Send + 'a>> {
        Box::pin(async move {
            validate_batch(batch)?;
            Ok(batch
                .iter()
                .map(|i| Confirmation {
                    order_id: i.order_id,
                    status: if i.amount.amount_minor() % 100 == 13 {
                        PaymentStatus::Failed("account closed".to_owned())
                    } else {
                        PaymentStatus::Confirmed
                    },
                    bank_reference: format!("SIM-{}", i.order_id),
                })
                .collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use loanbook_core::money::Currency;

    use super::*;

    fn instruction(order_id: i64, amount_minor: i64) -> PaymentInstruction {
        PaymentInstruction {
            order_id,
            loan_ref: format!("LN-{order_id}"),
            amount: Money::from_minor(amount_minor, Currency::CNY),
            payee_name: "张三".to_owned(),
            payee_account: "6222020200112233445".to_owned(),
            funding_source: "own-funds".to_owned(),
            value_date: NaiveDate::from_ymd_opt(2026, 11, 24).expect("a date"),
        }
    }

    fn batch() -> Vec<PaymentInstruction> {
        let mut b = vec![instruction(101, 5_000_000), instruction(102, 1_234_550)];
        b.push(PaymentInstruction {
            payee_name: "Acme, \"Ltd\"".to_owned(),
            ..instruction(103, 99)
        });
        b
    }

    #[test]
    fn export_has_rows_and_a_checkable_trailer() {
        let text = export_instructions(&batch());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[0], INSTRUCTION_HEADER);
        assert_eq!(
            lines[1],
            "101,2026-11-24,own-funds,张三,6222020200112233445,50000.00,CNY,LN-101"
        );
        assert_eq!(
            lines[3],
            "103,2026-11-24,own-funds,\"Acme, \"\"Ltd\"\"\",6222020200112233445,0.99,CNY,LN-103"
        );
        let trailer: Vec<&str> = lines[4].split(',').collect();
        // 50000.00 + 12345.50 + 0.99 = 62346.49
        assert_eq!(&trailer[..3], ["TRAILER", "3", "62346.49"]);
        let before = &text[..text.find("TRAILER").expect("a trailer")];
        assert_eq!(trailer[3], hex::encode(Sha256::digest(before.as_bytes())));
        assert!(text.ends_with('\n'));

        // The rows read back with a CSV reader.
        let mut reader = csv::Reader::from_reader(before.as_bytes());
        let names: Vec<String> = reader
            .records()
            .map(|r| r.expect("a record")[3].to_owned())
            .collect();
        assert_eq!(names, ["张三", "张三", "Acme, \"Ltd\""]);
    }

    #[test]
    fn bad_batches_are_refused_with_every_reason() {
        let mut b = batch();
        b[1].order_id = 101;
        b[2].amount = Money::from_minor(0, Currency::CNY);
        b[0].payee_account = " ".to_owned();
        b.push(PaymentInstruction {
            amount: Money::from_minor(100, Currency::USD),
            payee_name: "a\nb".to_owned(),
            ..instruction(104, 100)
        });
        let err = validate_batch(&b).expect_err("bad");
        let BankError::InvalidBatch(v) = &err else {
            panic!("{err}");
        };
        let fields: Vec<&str> = v.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "instructions[0].payee_account",
                "instructions[1].order_id",
                "instructions[2].amount",
                "instructions[3].amount",
                "instructions[3].payee_name"
            ],
            "{err}"
        );
        assert!(matches!(
            validate_batch(&[]),
            Err(BankError::InvalidBatch(_))
        ));
        assert!(!format!("{:?}", b[1]).contains("6222020200112233445"));
    }

    #[test]
    fn confirmations_parse() {
        let text = "order_id,status,bank_reference,reason\n\
                    101,confirmed,BK-9001\n\
                    102 , FAILED , BK-9002 , payee name mismatch\n\
                    \n\
                    103,failed,,account frozen\n";
        let c = parse_confirmations(text).expect("parse");
        assert_eq!(
            c,
            [
                Confirmation {
                    order_id: 101,
                    status: PaymentStatus::Confirmed,
                    bank_reference: "BK-9001".into()
                },
                Confirmation {
                    order_id: 102,
                    status: PaymentStatus::Failed("payee name mismatch".into()),
                    bank_reference: "BK-9002".into()
                },
                Confirmation {
                    order_id: 103,
                    status: PaymentStatus::Failed("account frozen".into()),
                    bank_reference: String::new()
                },
            ]
        );
        assert_eq!(c[1].status.code(), "failed");
        // Without a header too.
        assert_eq!(
            parse_confirmations("7,confirmed,R7").expect("parse").len(),
            1
        );
    }

    #[test]
    fn every_bad_confirmation_row_is_reported() {
        let text = "order_id,status,bank_reference\n\
                    101,confirmed,BK-1\n\
                    x,confirmed,BK-2\n\
                    101,confirmed,BK-3\n\
                    104,paid,BK-4\n\
                    105,confirmed,\n\
                    106,failed,BK-6\n\
                    107\n\
                    -3,sent,\n";
        let err = parse_confirmations(text).expect_err("bad rows");
        let BankError::InvalidConfirmations(v) = &err else {
            panic!("{err}");
        };
        let found: Vec<(usize, &str)> = v
            .iter()
            .map(|v| (v.row.expect("a row"), v.field.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (3, "order_id"),
                (4, "order_id"),
                (5, "status"),
                (6, "bank_reference"),
                (7, "reason"),
                (8, "csv"),
                (9, "order_id"),
                (9, "status"),
            ],
            "{err}"
        );
        let message = err.to_string();
        assert!(
            message.contains("row 3: order_id: 'x' is not a positive integer"),
            "{message}"
        );
        assert!(
            message.contains("row 5: status: 'paid' is not confirmed or failed"),
            "{message}"
        );
        assert!(matches!(
            parse_confirmations("order_id,status,bank_reference\n"),
            Err(BankError::InvalidConfirmations(_))
        ));
    }

    #[tokio::test]
    async fn the_file_bank_writes_the_file_once() {
        let dir = std::env::temp_dir().join(format!("loanbook-outbox-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let bank = FileBank::new(&dir);
        let b = batch();
        let sent = bank.submit(&b).await.expect("submit");
        assert_eq!(sent.len(), 3);
        assert!(sent.iter().all(
            |c| c.status == PaymentStatus::Sent && c.bank_reference == "instructions-101-3.csv"
        ));
        let written = std::fs::read_to_string(dir.join("instructions-101-3.csv")).expect("file");
        assert_eq!(written, export_instructions(&b));
        let names: Vec<_> = std::fs::read_dir(&dir)
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["instructions-101-3.csv"], "no .tmp left");

        let again = bank.submit(&b).await.expect_err("a second file");
        assert!(matches!(again, BankError::AlreadyExists(_)), "{again}");
        assert_eq!(
            std::fs::read_to_string(dir.join("instructions-101-3.csv")).expect("file"),
            written
        );

        let missing = FileBank::new(dir.join("nope"))
            .submit(&b)
            .await
            .expect_err("no dir");
        assert!(matches!(missing, BankError::NoOutbox(_)), "{missing}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn the_simulator_confirms_and_fails_as_documented() {
        let b = vec![
            instruction(1, 500_000),
            instruction(2, 500_013),
            instruction(3, 113),
        ];
        let c = SimulatedBank.submit(&b).await.expect("submit");
        assert_eq!(
            c,
            [
                Confirmation {
                    order_id: 1,
                    status: PaymentStatus::Confirmed,
                    bank_reference: "SIM-1".into()
                },
                Confirmation {
                    order_id: 2,
                    status: PaymentStatus::Failed("account closed".into()),
                    bank_reference: "SIM-2".into()
                },
                Confirmation {
                    order_id: 3,
                    status: PaymentStatus::Failed("account closed".into()),
                    bank_reference: "SIM-3".into()
                },
            ]
        );
        assert!(SimulatedBank.submit(&[]).await.is_err());
    }
}
