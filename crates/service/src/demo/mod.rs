//! The demo bank for `loanbook serve --demo`: one user for every role, products and a
//! few thousand customers with valid identity numbers, made deterministically so that
//! every demo looks the same.

use loanbook_core::money::{Currency, Money};
use serde::Serialize;

use chrono::NaiveDate;

use crate::auth::{self, NewUser, Role};
use crate::customers;
use crate::{Actor, App, ServiceError, products};

pub mod history;
pub mod pipeline;

/// How far back the demo bank's history goes.
pub const HISTORY_MONTHS: u32 = 18;

/// What the demo created.
#[derive(Clone, Debug, Serialize)]
pub struct DemoReport {
    /// (username, role, password) of every demo user.
    pub users: Vec<(String, String, String)>,
    /// Products created.
    pub products: usize,
    /// Customers created.
    pub customers: usize,
    /// The history lived, when asked for.
    pub history: Option<history::HistoryReport>,
    /// Applications taken in today's pipeline (declined attempts included).
    pub pipeline: u32,
    /// Customer-service tickets waiting today.
    pub tickets: u32,
}

/// A small deterministic generator (xorshift64*), so the demo is the same every time.
pub(crate) struct Dice(pub(crate) u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "高",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超",
    "秀英", "建华", "志强", "晓东", "丽华", "海燕", "子涵", "浩然",
];
/// (region code, province, city).
const REGIONS: &[(&str, &str, &str)] = &[
    ("440305", "广东省", "深圳市"),
    ("440106", "广东省", "广州市"),
    ("110105", "北京市", "北京市"),
    ("310115", "上海市", "上海市"),
    ("330106", "浙江省", "杭州市"),
    ("320106", "江苏省", "南京市"),
    ("510107", "四川省", "成都市"),
    ("420106", "湖北省", "武汉市"),
    ("350102", "福建省", "福州市"),
    ("370102", "山东省", "济南市"),
];
const EMPLOYERS: &[&str] = &[
    "华南制造有限公司",
    "城市商业银行",
    "市第一人民医院",
    "某科技有限公司",
    "区教育局",
    "物流集团",
    "个体经营",
];

fn id_number(dice: &mut Dice, region: &str) -> String {
    let year = 1962 + dice.below(42);
    let month = 1 + dice.below(12);
    let day = 1 + dice.below(28);
    resident_id(
        &format!("{region}{year}{month:02}{day:02}"),
        dice.below(1000),
    )
}

/// A valid resident ID number from a 6-digit region and a `YYYYMMDD` birth date
/// (`prefix`, 14 digits) and a sequence number (its last three digits are used), for demo
/// and test data.
pub fn resident_id(prefix: &str, seq: u64) -> String {
    let body = format!("{prefix}{:03}", seq % 1000);
    let check = loanbook_risk::identity::id_check_character(&body).unwrap_or('0');
    format!("{body}{check}")
}

/// A Luhn-valid 16-digit bank card number for demo and test data: `622202` and `seq`.
pub fn bank_card(seq: u64) -> String {
    let body = format!("622202{:09}", seq % 1_000_000_000);
    let digit = loanbook_risk::identity::luhn_check_digit(&body).unwrap_or(0);
    format!("{body}{digit}")
}

fn product(
    code: &str,
    name: &str,
    max: &str,
    months: (u32, u32),
    rates: (&str, &str),
    provinces: &[&str],
) -> serde_json::Value {
    serde_json::json!({
        "code": code, "name": name, "currency": "CNY",
        "amount_min": "1000.00", "amount_max": max,
        "term_min_months": months.0, "term_max_months": months.1,
        "rate_min": rates.0, "rate_max": rates.1,
        "methods": ["annuity", "equal_principal", "interest_only"],
        "grace_days": 3, "penalty_multiplier": "1.5", "compound_interest": true, "rounding": "half_up",
        "fees": {"origination_rate": "0.01", "late_fee": "50.00"},
        "eligibility": {"age_min": 22, "age_max": 60, "provinces": provinces},
        "required_documents": ["id_card", "bank_statement"]
    })
}

/// The demo credit policy (decision tables), named `consumer` for the CONSUMER product.
pub const DEMO_POLICY: &str = include_str!("../../../../data/policies/consumer.json");
/// The demo authority rules: automatic up to 50,000.00 for grades A and B; a loan officer
/// and the branch manager up to 200,000.00; above, a loan officer and the credit
/// committee (2 of 3).
pub const DEMO_AUTHORITY_RULES: &str =
    include_str!("../../../../data/policies/authority-rules.json");
/// The demo scorecard (trained on the German credit data) and its mapping.
pub const DEMO_MODEL: &str = include_str!("../../../../models/german-demo.json");
/// The demo scorecard's mapping to loanbook's fields.
pub const DEMO_MAPPING: &str = include_str!("../../../../models/german-demo.mapping.json");

/// What origination needs beyond products: the demo policy, the authority rules, the
/// champion scorecard and two funding sources (OWN 50,000,000.00; BANK-A 5,000,000.00).
///
/// # Errors
/// Any refusal of the service (a bug in the demo data).
pub async fn seed_origination(app: &App) -> Result<(), ServiceError> {
    let admin = Actor::system();
    crate::policies::import_policy(app, &admin, DEMO_POLICY).await?;
    crate::policies::import_rules(app, &admin, DEMO_AUTHORITY_RULES).await?;
    let mapping = serde_json::from_str(DEMO_MAPPING)
        .map_err(|e| ServiceError::invalid("mapping", e.to_string()))?;
    crate::models::deploy(app, &admin, DEMO_MODEL, &mapping, "champion", None).await?;
    for (code, name, limit) in [
        ("OWN", "自有资金 Own funds", "50000000.00"),
        ("BANK-A", "合作银行A Partner bank A", "5000000.00"),
    ] {
        crate::applications::create_funding_source(
            app,
            &admin,
            &crate::applications::FundingSourceInput {
                code: code.into(),
                name: name.into(),
                currency: None,
                limit: limit.into(),
            },
        )
        .await?;
    }
    Ok(())
}

/// The demo's logins beyond one per role: more officers (submitter, investigator and
/// decider must differ) and a full credit committee.
const EXTRA_USERS: [(&str, Role, &str); 4] = [
    ("li.officer", Role::LoanOfficer, "李信贷"),
    ("wang.officer", Role::LoanOfficer, "王信贷"),
    ("chen.committee", Role::CommitteeMember, "陈委员"),
    ("zhou.committee", Role::CommitteeMember, "周委员"),
];

/// Seeds the demo bank on an initialised, empty database; with `history_until`, the
/// bank then lives its days from the open business date up to that date (see
/// [`history`]) and leaves today's pipeline of applications.
///
/// # Errors
/// Any refusal of the service (a bug in the demo data).
pub async fn seed(
    app: &App,
    customers_wanted: usize,
    history_until: Option<NaiveDate>,
    progress: &(dyn Fn(NaiveDate) + Sync),
) -> Result<DemoReport, ServiceError> {
    let admin = Actor::system();
    let mut users = Vec::new();
    let mut actors = Vec::new();
    let logins = Role::ALL
        .iter()
        .filter(|r| **r != Role::Admin)
        .map(|r| (r.code().replace('_', "."), *r, format!("演示 {}", r.code())))
        .chain(
            EXTRA_USERS
                .iter()
                .map(|(u, r, n)| ((*u).to_owned(), *r, (*n).to_owned())),
        );
    for (username, role, display_name) in logins {
        let password = crate::admin::generate_password();
        let user = auth::add_user(
            app,
            &admin,
            &NewUser {
                username: username.clone(),
                display_name,
                role: role.code().into(),
                password: password.clone(),
            },
        )
        .await?;
        users.push((username.clone(), role.code().to_owned(), password));
        actors.push(Actor {
            user_id: user.id,
            username,
            role,
            request_id: None,
        });
    }
    let of =
        |role: Role| -> Vec<Actor> { actors.iter().filter(|a| a.role == role).cloned().collect() };
    let staff = history::Staff {
        officers: of(Role::LoanOfficer),
        manager: of(Role::Approver).remove(0),
        committee: of(Role::CommitteeMember),
        operations: of(Role::Operations).remove(0),
        customer_service: of(Role::CustomerService).remove(0),
    };
    // the demo collector works every queue, so the close has someone to give cases to
    crate::collections::cases::put_collector(
        app,
        &admin,
        &crate::collections::cases::CollectorInput {
            username: "collector".into(),
            queues: ["M1", "M2", "M3", "M4+"].map(String::from).to_vec(),
            region: None,
            active: Some(true),
            max_open_cases: None,
        },
    )
    .await?;
    let catalogue = [
        product(
            "CONSUMER",
            "个人消费贷 Personal consumer loan",
            "300000.00",
            (3, 36),
            ("0.0435", "0.18"),
            &[],
        ),
        product(
            "GD-ONLINE",
            "粤通网贷 Guangdong online loan",
            "200000.00",
            (3, 24),
            ("0.072", "0.24"),
            &["广东省"],
        ),
        product(
            "SME",
            "小微经营贷 Small business loan",
            "3000000.00",
            (6, 60),
            ("0.0385", "0.15"),
            &[],
        ),
    ];
    for p in &catalogue {
        products::add(app, &admin, p).await?;
    }
    seed_origination(app).await?;
    let mut dice = Dice(0x5EED_1234_ABCD_0001);
    let mut rows = String::from(
        "kind,name,id_number,uscc,phone,province,city,address,employer,monthly_income,legal_representative,industry\n",
    );
    let mut seen = std::collections::HashSet::new();
    let mut made = 0;
    while made < customers_wanted {
        let (region, province, city) = *dice.pick(REGIONS);
        let id = id_number(&mut dice, region);
        if !seen.insert(id.clone()) {
            continue;
        }
        let name = format!("{}{}", dice.pick(SURNAMES), dice.pick(GIVEN));
        let phone = format!("1{}{:09}", 3 + dice.below(7), dice.below(1_000_000_000));
        let income = Money::from_minor(300_000 + 100 * dice.below(45_000) as i64, Currency::CNY);
        let address = format!("{city}某区某路{}号", 1 + dice.below(300));
        rows.push_str(&format!(
            "individual,{name},{id},,{phone},{province},{city},{address},{},{income},,\n",
            dice.pick(EMPLOYERS)
        ));
        made += 1;
    }
    let count = customers::import_csv(app, &admin, rows.as_bytes()).await?;
    let mut report = DemoReport {
        users,
        products: catalogue.len(),
        customers: count,
        history: None,
        pipeline: 0,
        tickets: 0,
    };
    if let Some(until) = history_until {
        let ids = customer_ids(app, &admin).await?;
        // three in four customers come to the bank in the history, the rest today
        let (past, now) = ids.split_at(ids.len() * 3 / 4);
        report.history = Some(history::live(app, &staff, past, until, progress).await?);
        let today = app.business_date().await?;
        report.pipeline = pipeline::today(app, &staff, now, today).await?;
        report.tickets = pipeline::tickets(app, &staff.customer_service).await?;
    }
    Ok(report)
}

/// Every customer's id, oldest first.
async fn customer_ids(app: &App, admin: &Actor) -> Result<Vec<i64>, ServiceError> {
    let mut ids = Vec::new();
    loop {
        let page = customers::search(
            app,
            admin,
            &customers::SearchInput {
                after_id: ids.last().copied(),
                limit: Some(500),
                ..Default::default()
            },
        )
        .await?;
        if page.is_empty() {
            return Ok(ids);
        }
        ids.extend(page.iter().map(|c| c.id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::apps;

    #[tokio::test]
    async fn the_demo_bank_seeds() {
        for (app, admin, t) in apps().await {
            let report = seed(&app, 50, None, &|_| {}).await.unwrap();
            assert_eq!(
                (report.users.len(), report.products, report.customers),
                (12, 3, 50),
                "{}",
                t.label
            );
            let found = customers::search(
                &app,
                &admin,
                &customers::SearchInput {
                    limit: Some(500),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            assert_eq!(found.len(), 50);
            assert!(found.iter().all(|c| {
                c.id_number
                    .as_deref()
                    .is_some_and(|i| i.contains("**********"))
            }));
        }
    }
}
