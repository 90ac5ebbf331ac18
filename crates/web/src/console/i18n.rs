//! The console's two languages. Every label is keyed by its name in code (GLOSSARY.md)
//! and carries the glossary's Chinese and English words; a user's choice is kept on
//! their user record, so it follows them from device to device.

/// A language of the console.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// 简体中文.
    Zh,
    /// English.
    En,
}

impl Lang {
    /// The language of a user record's `language` (anything but `en` is Chinese).
    pub fn of(code: &str) -> Lang {
        if code.starts_with("en") {
            Lang::En
        } else {
            Lang::Zh
        }
    }

    /// The BCP 47 code kept on the user record and written into `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The other language, for the toggle.
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// The label of `key` in this language; an unknown key is shown as itself, so a
    /// missing label is visible rather than blank.
    pub fn t(self, key: &str) -> &str {
        match LABELS.binary_search_by(|(k, _, _)| (*k).cmp(key)) {
            Ok(i) => match self {
                Lang::Zh => LABELS[i].1,
                Lang::En => LABELS[i].2,
            },
            Err(_) => key,
        }
    }
}

/// (code name, 中文, English), sorted by code name.
const LABELS: &[(&str, &str, &str)] = &[
    ("_language", "English", "中文"),
    ("action", "操作", "Action"),
    ("actions", "操作", "Actions"),
    ("active", "正常还款", "active"),
    ("actor", "操作人", "Actor"),
    ("admin", "系统管理员", "administrator"),
    ("amount", "金额", "Amount"),
    ("annuity", "等额本息", "equal installments"),
    ("application", "贷款申请", "Loan application"),
    ("applications", "贷款申请", "Applications"),
    ("approval", "审批", "Approval"),
    ("approval_funnel", "审批漏斗", "Approval funnel"),
    ("approval_rate", "审批通过率", "Approval rate"),
    ("approved", "已批准", "approved"),
    ("approver", "审批人", "approver"),
    ("assessment", "信用评估", "Credit assessment"),
    ("assign", "分派", "Assign"),
    ("audit_log", "审计日志", "Audit log"),
    ("authority_rule", "审批权限", "Approval authority"),
    ("available", "可用额度", "Available"),
    ("bad", "坏账", "Bad"),
    ("bad_rate", "坏账率", "Bad rate"),
    ("balance", "余额", "Balance"),
    ("bucket", "逾期档", "Bucket"),
    ("bureau", "征信机构", "Bureau"),
    ("business_date", "会计日期", "Business date"),
    ("call", "电话", "call"),
    ("cash_flow", "现金流预测", "Cash-flow projection"),
    ("channel", "渠道", "Channel"),
    ("claims_paid", "称已还款", "claims paid"),
    ("class_history", "分类历史", "Class history"),
    ("closed", "已结清", "closed"),
    ("code", "代码", "Code"),
    ("cohort", "放款月份", "Cohort"),
    ("collateral", "抵押物", "Collateral"),
    ("collected", "回收", "Collected"),
    ("collection_case", "催收案件", "Collection cases"),
    (
        "collection_performance",
        "催收绩效",
        "Collection performance",
    ),
    ("collections", "催收", "Collections"),
    ("collector", "催收员", "collector"),
    ("committee_member", "贷审会委员", "credit committee member"),
    ("committee_votes", "贷审会投票", "Committee votes"),
    ("compliance", "合规", "compliance"),
    ("configuration", "配置", "Configuration"),
    ("contacts", "联系人", "Contacts"),
    ("contract", "借款合同", "Loan contract"),
    ("contracted", "已签约", "contracted"),
    ("contracts_to_sign", "待签合同", "Contracts to sign"),
    ("count", "笔数", "Count"),
    ("created", "已创建", "created"),
    ("credit_analyst", "信用分析师", "credit analyst"),
    ("credit_report", "征信报告", "Credit bureau reports"),
    ("customer", "客户", "Customer"),
    ("customer_service", "客户服务", "customer service"),
    ("customers", "客户资料管理", "Customers"),
    ("date", "日期", "Date"),
    ("decision", "审批决定", "Decision"),
    ("declined", "已拒绝", "declined"),
    ("description", "描述", "Description"),
    ("details", "明细", "Details"),
    ("direction", "方向", "Direction"),
    ("disbursed", "已放款", "disbursed"),
    ("disbursement", "放款", "Disbursement"),
    (
        "disbursements_to_release",
        "待放款",
        "Disbursements to release",
    ),
    ("dispute", "有争议", "dispute"),
    ("documents", "文档", "Documents"),
    ("download_csv", "导出 CSV", "Export CSV"),
    ("download_xlsx", "导出 Excel", "Export XLSX"),
    ("dpd", "逾期天数", "Days past due"),
    ("drawn", "已用额度", "Drawn"),
    ("due_date", "到期日", "Due date"),
    ("duration_ms", "耗时(毫秒)", "Duration (ms)"),
    ("email", "电子邮件", "e-mail"),
    ("entity", "对象", "Entity"),
    ("eod", "日终批处理", "End-of-day close"),
    ("equal_principal", "等额本金", "equal principal"),
    ("file", "文件", "File"),
    ("finished", "结束", "Finished"),
    ("five_tier", "五级分类", "Five-tier classification"),
    ("from", "从", "From"),
    ("funding_source", "资金来源", "Funding sources"),
    ("guarantee", "保证人", "Guarantors"),
    ("hardship", "经济困难", "hardship"),
    ("history", "历史", "History"),
    ("home", "工作台", "My work"),
    ("id", "编号", "No."),
    ("id_number", "证件号", "ID number"),
    ("inspection", "贷后检查", "Post-loan inspections"),
    ("interest", "利息", "Interest"),
    ("interest_only", "先息后本", "interest-only"),
    ("kind", "类型", "Kind"),
    ("language", "语言", "Language"),
    ("left_message", "已留言", "left a message"),
    ("letter", "信函", "letter"),
    ("limit", "额度", "Limit"),
    ("liquidity", "资金来源流动性", "Funding-source liquidity"),
    ("loan", "贷款", "Loan"),
    ("loan_officer", "信贷员", "loan officer"),
    ("loans", "贷款台账", "Loan ledger"),
    ("log_in", "登录", "Log in"),
    ("log_out", "退出", "Log out"),
    ("ltv", "抵押率", "LTV"),
    ("model_performance", "模型表现", "Model performance"),
    ("month", "月份", "Month"),
    (
        "monthly_report",
        "月度经营报告",
        "Monthly performance report",
    ),
    ("name", "名称", "Name"),
    ("no_answer", "无人接听", "no answer"),
    ("no_items", "暂无", "Nothing here"),
    ("note", "备注", "note"),
    ("npl", "不良贷款率", "NPL ratio"),
    ("officer_performance", "信贷员业绩", "Officer performance"),
    ("operations", "运营", "operations"),
    ("other", "其他", "other"),
    ("outcome", "结果", "Outcome"),
    ("overdue", "逾期", "Overdue"),
    ("par", "逾期率", "Portfolio at risk"),
    ("par30", "PAR30", "PAR30"),
    ("party", "对象", "Party"),
    ("password", "密码", "Password"),
    ("payoff", "结清", "Pay off"),
    ("penalty_interest", "罚息", "Penalty interest"),
    ("permissions", "权限", "Permissions"),
    ("phone", "手机", "Phone"),
    ("portfolio", "资产组合概览", "Portfolio overview"),
    ("prepayment", "提前还款", "Prepayment"),
    ("principal", "本金", "Principal"),
    ("print", "打印", "Print"),
    ("product", "贷款产品", "Loan products"),
    ("profile", "基本资料", "Profile"),
    ("promise_to_pay", "承诺还款", "promise to pay"),
    ("provision", "贷款损失准备", "Loan-loss provision"),
    ("provision_coverage", "拨备覆盖率", "Provision coverage"),
    ("queue", "队列", "Queue"),
    ("reason", "原因", "Reason"),
    ("reasons", "拒绝原因", "Reason codes"),
    ("recovered", "回收金额", "Recovered"),
    ("reference", "参考号", "Reference"),
    ("refuses_to_pay", "拒绝还款", "refuses to pay"),
    ("region", "地区", "Region"),
    ("repayment", "还款", "Repayment"),
    ("reports", "报表", "Reports"),
    ("restructure", "重组", "Restructure"),
    ("risk_grade", "风险等级", "Risk grade"),
    ("risk_report", "风险分析报告", "Risk analysis report"),
    ("roles", "角色", "Roles"),
    ("roll_rate", "迁徙率", "Roll rates"),
    ("rule", "规则", "Rule"),
    ("run", "运行", "Run"),
    ("schedule", "还款计划", "Repayment schedule"),
    ("score", "信用评分", "Credit score"),
    ("search", "查询", "Search"),
    ("severity", "级别", "Severity"),
    ("share", "占比", "Share"),
    ("size", "大小(字节)", "Size (bytes)"),
    ("sms", "短信", "SMS"),
    ("staff", "经办人", "Staff"),
    ("stage", "阶段", "Stage"),
    ("started", "开始", "Started"),
    ("status", "状态", "Status"),
    ("step", "审批环节", "Step"),
    ("subject", "主题", "Subject"),
    ("submit", "提交", "Submit"),
    ("submitted", "已提交", "submitted"),
    ("summary", "摘要", "Summary"),
    ("term", "期限(月)", "Term (months)"),
    ("ticket", "客户服务工单", "Service tickets"),
    ("to", "至", "To"),
    ("total", "合计", "Total"),
    ("transactions", "交易流水", "Transactions"),
    ("trial_balance", "试算平衡", "Trial balance"),
    ("unreachable", "无法联系", "unreachable"),
    ("uploaded_by", "上传人", "Uploaded by"),
    ("username", "用户名", "Username"),
    ("users", "用户与角色", "Users and roles"),
    ("utilisation", "使用率", "Utilisation"),
    ("valuation", "估值", "Valuation"),
    ("version", "版本", "Version"),
    ("vintage", "账龄分析", "Vintage curves"),
    ("visit", "上门", "visit"),
    ("visited", "已上门", "visited"),
    ("votes", "票数", "Votes"),
    ("warning", "风险预警", "Early warnings"),
    ("write_off", "核销", "Write-off"),
    ("wrong_number", "号码错误", "wrong number"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_labels_are_sorted_and_unique_so_lookups_find_them() {
        for pair in LABELS.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} before {}", pair[0].0, pair[1].0);
        }
        assert_eq!(Lang::Zh.t("npl"), "不良贷款率");
        assert_eq!(Lang::En.t("npl"), "NPL ratio");
        assert_eq!(Lang::En.t("write_off"), "Write-off");
        assert_eq!(Lang::Zh.t("no_such_label"), "no_such_label");
    }

    /// Every label key the console's pages use, found in their source: `.t("key")` and
    /// the quoted words of `&["…"]` lists (table headers and options).
    fn keys_used() -> Vec<String> {
        let sources = [
            include_str!("mod.rs"),
            include_str!("home.rs"),
            include_str!("customers.rs"),
            include_str!("loans.rs"),
            include_str!("collections.rs"),
            include_str!("reports/mod.rs"),
            include_str!("reports/sections.rs"),
            include_str!("admin.rs"),
            include_str!("origination.rs"),
        ];
        let mut keys = Vec::new();
        for src in sources {
            for part in src.split(".t(\"").skip(1) {
                keys.push(part.split('"').next().unwrap_or("").to_owned());
            }
            for part in src.split("&[").skip(1) {
                let list = part.split(']').next().unwrap_or("");
                if !list.trim_start().starts_with('"') {
                    continue;
                }
                keys.extend(
                    list.split('"')
                        .skip(1)
                        .step_by(2)
                        .map(|k| k.trim_start_matches('#').to_owned()),
                );
            }
        }
        keys.retain(|k| {
            !k.is_empty()
                && k.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        });
        keys
    }

    #[test]
    fn every_key_the_pages_use_has_both_labels() {
        let missing: Vec<String> = keys_used()
            .into_iter()
            .filter(|k| {
                LABELS
                    .binary_search_by(|(l, _, _)| (*l).cmp(k.as_str()))
                    .is_err()
            })
            .filter(|k| k != "no_such_label")
            .collect();
        assert!(missing.is_empty(), "keys without labels: {missing:?}");
        assert!(keys_used().len() > 100);
    }

    #[test]
    fn a_user_record_language_picks_the_console_language() {
        assert_eq!(Lang::of("en"), Lang::En);
        assert_eq!(Lang::of("en-GB"), Lang::En);
        assert_eq!(Lang::of("zh-CN"), Lang::Zh);
        assert_eq!(Lang::Zh.other().code(), "en");
    }
}
