//! Counter-offers (调整审批): an approver grants different terms than those requested.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::product::Product;

/// A counter-offer (反要约 / 调整审批): the approver grants different terms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CounterOffer {
    /// Amount offered, in minor units.
    pub amount_minor: i64,
    /// Term offered, in months.
    pub term_months: u32,
    /// Annual rate offered; `None` keeps the requested (or priced) rate.
    pub rate: Option<Decimal>,
}

impl CounterOffer {
    /// Checks the offer against `product` and the request (`requested_minor`,
    /// `requested_term_months`, `requested_rate`).
    ///
    /// # Errors
    /// Every rule broken, as (field, rule) pairs: `amount_minor` outside the product's
    /// bounds or above the requested amount; `term_months` outside the product's bounds;
    /// `rate` outside the product's rate bounds; `offer` when nothing differs from the
    /// request.
    pub fn validate(
        &self,
        product: &Product,
        requested_minor: i64,
        requested_term_months: u32,
        requested_rate: Option<Decimal>,
    ) -> Result<(), Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let (min, max) = (product.amount_min, product.amount_max);
        if self.amount_minor < min.amount_minor() || self.amount_minor > max.amount_minor() {
            errors.push((
                "amount_minor",
                format!(
                    "must be within the product's {min}..={max} {} (got {} minor units)",
                    product.currency, self.amount_minor
                ),
            ));
        }
        if self.amount_minor > requested_minor {
            errors.push((
                "amount_minor",
                format!(
                    "must not exceed the requested {requested_minor} minor units (got {})",
                    self.amount_minor
                ),
            ));
        }
        let (term_min, term_max) = (product.term_min_months, product.term_max_months);
        if !(term_min..=term_max).contains(&self.term_months) {
            errors.push((
                "term_months",
                format!(
                    "must be within the product's {term_min}..={term_max} months (got {})",
                    self.term_months
                ),
            ));
        }
        if let Some(rate) = self.rate
            && !(product.rate_min..=product.rate_max).contains(&rate)
        {
            errors.push((
                "rate",
                format!(
                    "must be within the product's {}..={} (got {rate})",
                    product.rate_min, product.rate_max
                ),
            ));
        }
        let differs = self.amount_minor != requested_minor
            || self.term_months != requested_term_months
            || self.rate.is_some_and(|r| Some(r) != requested_rate);
        if !differs {
            errors.push((
                "offer",
                "must change the amount, the term or the rate of the request".into(),
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}
