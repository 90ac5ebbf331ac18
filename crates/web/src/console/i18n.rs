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
    ("actions", "操作", "Actions"),
    ("active", "正常还款", "active"),
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
    ("balance", "余额", "Balance"),
    ("bucket", "逾期档", "Bucket"),
    ("business_date", "会计日期", "Business date"),
    ("cash_flow", "现金流预测", "Cash-flow projection"),
    ("channel", "渠道", "Channel"),
    ("class_history", "分类历史", "Class history"),
    ("closed", "已结清", "closed"),
    ("collateral", "抵押物", "Collateral"),
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
    ("contracts_to_sign", "待签合同", "Contracts to sign"),
    ("count", "笔数", "Count"),
    ("credit_analyst", "信用分析师", "credit analyst"),
    ("credit_report", "征信报告", "Credit bureau reports"),
    ("customer", "客户", "Customer"),
    ("customer_service", "客户服务", "customer service"),
    ("customers", "客户资料管理", "Customers"),
    ("date", "日期", "Date"),
    ("decision", "审批决定", "Decision"),
    ("declined", "已拒绝", "declined"),
    ("disbursed", "已放款", "disbursed"),
    ("disbursement", "放款", "Disbursement"),
    (
        "disbursements_to_release",
        "待放款",
        "Disbursements to release",
    ),
    ("documents", "文档", "Documents"),
    ("download_csv", "导出 CSV", "Export CSV"),
    ("download_xlsx", "导出 Excel", "Export XLSX"),
    ("dpd", "逾期天数", "Days past due"),
    ("due_date", "到期日", "Due date"),
    ("eod", "日终批处理", "End-of-day close"),
    ("equal_principal", "等额本金", "equal principal"),
    ("five_tier", "五级分类", "Five-tier classification"),
    ("funding_source", "资金来源", "Funding sources"),
    ("guarantee", "保证人", "Guarantors"),
    ("history", "历史", "History"),
    ("home", "工作台", "My work"),
    ("inspection", "贷后检查", "Post-loan inspections"),
    ("interest", "利息", "Interest"),
    ("interest_only", "先息后本", "interest-only"),
    ("language", "语言", "Language"),
    ("liquidity", "资金来源流动性", "Funding-source liquidity"),
    ("loan", "贷款", "Loan"),
    ("loan_officer", "信贷员", "loan officer"),
    ("loans", "贷款台账", "Loan ledger"),
    ("log_in", "登录", "Log in"),
    ("log_out", "退出", "Log out"),
    ("model_performance", "模型表现", "Model performance"),
    (
        "monthly_report",
        "月度经营报告",
        "Monthly performance report",
    ),
    ("name", "名称", "Name"),
    ("no_items", "暂无", "Nothing here"),
    ("npl", "不良贷款率", "NPL ratio"),
    ("officer_performance", "信贷员业绩", "Officer performance"),
    ("operations", "运营", "operations"),
    ("overdue", "逾期", "Overdue"),
    ("par", "逾期率", "Portfolio at risk"),
    ("password", "密码", "Password"),
    ("payoff", "结清", "Pay off"),
    ("penalty_interest", "罚息", "Penalty interest"),
    ("portfolio", "资产组合概览", "Portfolio overview"),
    ("prepayment", "提前还款", "Prepayment"),
    ("principal", "本金", "Principal"),
    ("print", "打印", "Print"),
    ("product", "贷款产品", "Loan products"),
    ("profile", "基本资料", "Profile"),
    ("provision", "贷款损失准备", "Loan-loss provision"),
    ("provision_coverage", "拨备覆盖率", "Provision coverage"),
    ("reasons", "拒绝原因", "Reason codes"),
    ("repayment", "还款", "Repayment"),
    ("reports", "报表", "Reports"),
    ("restructure", "重组", "Restructure"),
    ("risk_grade", "风险等级", "Risk grade"),
    ("risk_report", "风险分析报告", "Risk analysis report"),
    ("roles", "角色", "Roles"),
    ("roll_rate", "迁徙率", "Roll rates"),
    ("run", "运行", "Run"),
    ("schedule", "还款计划", "Repayment schedule"),
    ("score", "信用评分", "Credit score"),
    ("search", "查询", "Search"),
    ("status", "状态", "Status"),
    ("submit", "提交", "Submit"),
    ("term", "期限(月)", "Term (months)"),
    ("ticket", "客户服务工单", "Service tickets"),
    ("total", "合计", "Total"),
    ("transactions", "交易流水", "Transactions"),
    ("trial_balance", "试算平衡", "Trial balance"),
    ("username", "用户名", "Username"),
    ("users", "用户与角色", "Users and roles"),
    ("vintage", "账龄分析", "Vintage curves"),
    ("warning", "风险预警", "Early warnings"),
    ("write_off", "核销", "Write-off"),
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

    #[test]
    fn a_user_record_language_picks_the_console_language() {
        assert_eq!(Lang::of("en"), Lang::En);
        assert_eq!(Lang::of("en-GB"), Lang::En);
        assert_eq!(Lang::of("zh-CN"), Lang::Zh);
        assert_eq!(Lang::Zh.other().code(), "en");
    }
}
