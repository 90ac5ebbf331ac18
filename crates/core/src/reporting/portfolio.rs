//! Portfolio quality at a date from the cells of the close's portfolio snapshot (loans,
//! principal, overdue and provision per product, bucket and class).
//!
//! - PAR*n* (portfolio at risk): principal of loans more than *n* days past due ÷ all
//!   principal. With the buckets M1 1–30, M2 31–60, M3 61–90, M4+ > 90: PAR1 = M1 and
//!   beyond, PAR30 = M2 and beyond, PAR90 = M4+.
//! - NPL ratio (不良贷款率): principal classed substandard, doubtful or loss ÷ all principal.
//! - Provision coverage (拨备覆盖率): provisions held ÷ NPL principal.

use rust_decimal::Decimal;
use serde::Serialize;

use super::ratio;
use crate::delinquency::{Bucket, FiveTier};

/// One cell of a snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    /// Bucket of the cell's loans.
    pub bucket: Bucket,
    /// Five-tier class of the cell's loans.
    pub class: FiveTier,
    /// Loans.
    pub loans: i64,
    /// Principal outstanding (minor units).
    pub principal: i64,
    /// Provisions held.
    pub provision: i64,
}

/// The quality of a portfolio.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Quality {
    /// Loans.
    pub loans: i64,
    /// Principal outstanding.
    pub principal: i64,
    /// PAR1.
    pub par1: Decimal,
    /// PAR30.
    pub par30: Decimal,
    /// PAR90.
    pub par90: Decimal,
    /// Principal classed substandard or worse.
    pub npl_principal: i64,
    /// NPL ratio.
    pub npl_ratio: Decimal,
    /// Provisions held.
    pub provision: i64,
    /// Provisions ÷ NPL principal.
    pub provision_coverage: Decimal,
    /// Principal and its share per class, best first.
    pub five_tier: Vec<(FiveTier, i64, Decimal)>,
}

/// The quality of the portfolio of `cells`.
pub fn quality(cells: &[Cell]) -> Quality {
    let principal: i64 = cells.iter().map(|c| c.principal).sum();
    let at_risk = |worse_than: Bucket| -> i64 {
        cells
            .iter()
            .filter(|c| c.bucket > worse_than)
            .map(|c| c.principal)
            .sum()
    };
    let npl_principal: i64 = cells
        .iter()
        .filter(|c| c.class >= FiveTier::Substandard)
        .map(|c| c.principal)
        .sum();
    let provision: i64 = cells.iter().map(|c| c.provision).sum();
    let five_tier = FiveTier::ALL
        .iter()
        .map(|class| {
            let p: i64 = cells
                .iter()
                .filter(|c| c.class == *class)
                .map(|c| c.principal)
                .sum();
            (*class, p, ratio(p, principal))
        })
        .collect();
    Quality {
        loans: cells.iter().map(|c| c.loans).sum(),
        principal,
        par1: ratio(at_risk(Bucket::Current), principal),
        par30: ratio(at_risk(Bucket::M1), principal),
        par90: ratio(at_risk(Bucket::M3), principal),
        npl_principal,
        npl_ratio: ratio(npl_principal, principal),
        provision,
        provision_coverage: ratio(provision, npl_principal),
        five_tier,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cell(bucket: Bucket, class: FiveTier, principal: i64, provision: i64) -> Cell {
        Cell {
            bucket,
            class,
            loans: 1,
            principal,
            provision,
        }
    }

    /// A crafted book of 1,000,000.00: 900,000 current, 40,000 in M1, 30,000 in M2,
    /// 20,000 in M3 and 10,000 in M4+.
    fn book() -> Vec<Cell> {
        vec![
            cell(Bucket::Current, FiveTier::Pass, 90_000_000, 900_000),
            cell(Bucket::M1, FiveTier::SpecialMention, 4_000_000, 80_000),
            cell(Bucket::M2, FiveTier::Substandard, 3_000_000, 750_000),
            cell(Bucket::M3, FiveTier::Doubtful, 2_000_000, 1_000_000),
            cell(Bucket::M4Plus, FiveTier::Loss, 1_000_000, 1_000_000),
        ]
    }

    #[test]
    fn par_npl_and_coverage_of_a_crafted_book() {
        let q = quality(&book());
        assert_eq!(q.principal, 100_000_000);
        // PAR1 = (40k+30k+20k+10k) / 1,000k = 10%; PAR30 = 60k / 1,000k; PAR90 = 10k / 1,000k
        assert_eq!(q.par1.to_string(), "0.1000");
        assert_eq!(q.par30.to_string(), "0.0600");
        assert_eq!(q.par90.to_string(), "0.0100");
        // NPL = substandard + doubtful + loss = 60,000.00: 6%
        assert_eq!(q.npl_principal, 6_000_000);
        assert_eq!(q.npl_ratio.to_string(), "0.0600");
        // provisions 37,300.00 over NPL 60,000.00 = 62.17%
        assert_eq!(q.provision, 3_730_000);
        assert_eq!(q.provision_coverage.to_string(), "0.6217");
        assert_eq!(q.five_tier[0].2.to_string(), "0.9000");
        assert_eq!(q.five_tier[4], (FiveTier::Loss, 1_000_000, q.par90));
    }

    #[test]
    fn an_empty_book_has_zero_ratios() {
        let q = quality(&[]);
        assert_eq!(
            (q.par1, q.npl_ratio, q.provision_coverage),
            (Decimal::new(0, 4), Decimal::new(0, 4), Decimal::new(0, 4))
        );
    }

    proptest! {
        /// PAR90 ≤ PAR30 ≤ PAR1 ≤ 1, and the class shares add up to the whole (within
        /// the rounding of five ratios).
        #[test]
        fn par_is_monotone_and_shares_add_up(
            cells in prop::collection::vec((0usize..5, 0usize..5, 0i64..10_000_000, 0i64..1_000_000), 1..30)
        ) {
            let cells: Vec<Cell> = cells
                .into_iter()
                .map(|(b, c, p, v)| cell(Bucket::ALL[b], FiveTier::ALL[c], p, v))
                .collect();
            let q = quality(&cells);
            prop_assert!(q.par90 <= q.par30 && q.par30 <= q.par1 && q.par1 <= Decimal::ONE);
            if q.principal > 0 {
                let total: Decimal = q.five_tier.iter().map(|t| t.2).sum();
                prop_assert!((total - Decimal::ONE).abs() <= Decimal::new(3, 4), "{total}");
            }
            let npl: i64 = q.five_tier.iter().skip(2).map(|t| t.1).sum();
            prop_assert_eq!(npl, q.npl_principal);
        }
    }
}
