//! The five repayment methods.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How principal and interest are repaid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepaymentMethod {
    /// 等额本息: equal installments; interest on the falling balance.
    Annuity,
    /// 等额本金: equal principal parts; interest on the falling balance.
    EqualPrincipal,
    /// 先息后本: interest each period, all principal at maturity.
    InterestOnly,
    /// 到期一次还本付息: principal and all interest in one payment at maturity.
    Bullet,
    /// 等本等息: equal principal parts; interest every period on the original principal.
    Flat,
}

impl RepaymentMethod {
    /// Every method, in the order the console lists them.
    pub const ALL: [RepaymentMethod; 5] = [
        RepaymentMethod::Annuity,
        RepaymentMethod::EqualPrincipal,
        RepaymentMethod::InterestOnly,
        RepaymentMethod::Bullet,
        RepaymentMethod::Flat,
    ];

    /// The code used in configuration and JSON: `annuity`, `equal_principal`, …
    pub const fn code(self) -> &'static str {
        match self {
            RepaymentMethod::Annuity => "annuity",
            RepaymentMethod::EqualPrincipal => "equal_principal",
            RepaymentMethod::InterestOnly => "interest_only",
            RepaymentMethod::Bullet => "bullet",
            RepaymentMethod::Flat => "flat",
        }
    }

    /// True for the methods with a constant installment, which alone take an
    /// installment multiple.
    pub const fn has_constant_installment(self) -> bool {
        matches!(self, RepaymentMethod::Annuity | RepaymentMethod::Flat)
    }

    /// True for the methods that amortise principal over several periods, which alone
    /// take a principal grace.
    pub const fn amortises(self) -> bool {
        matches!(
            self,
            RepaymentMethod::Annuity | RepaymentMethod::EqualPrincipal | RepaymentMethod::Flat
        )
    }
}

impl fmt::Display for RepaymentMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A method name loanbook does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown repayment method '{0}': expected annuity, equal-principal, interest-only, bullet or flat"
)]
pub struct UnknownMethod(pub String);

impl FromStr for RepaymentMethod {
    type Err = UnknownMethod;

    /// Accepts the codes with `_` or `-`: `equal-principal` and `equal_principal`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let code = s.replace('-', "_");
        RepaymentMethod::ALL
            .into_iter()
            .find(|m| m.code() == code)
            .ok_or_else(|| UnknownMethod(s.to_owned()))
    }
}
