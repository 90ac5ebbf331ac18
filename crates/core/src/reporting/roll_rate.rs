//! The roll-rate matrix (迁徙率): of the principal in each bucket at the start of a
//! period, the share found in each bucket at its end — or gone (paid off, settled,
//! written off). Rows are the start buckets; each row's shares add up to one (within
//! rounding). M1 → M2 is the roll rate collectors watch.

use rust_decimal::Decimal;
use serde::Serialize;

use super::ratio;
use crate::delinquency::Bucket;

/// Where one loan's principal was at the start of a period and where it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Move {
    /// Bucket at the start.
    pub from: Bucket,
    /// Bucket at the end; `None` when the loan left the book.
    pub to: Option<Bucket>,
    /// Principal at the start (minor units), the weight.
    pub principal: i64,
}

/// One row of the matrix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Row {
    /// The start bucket.
    pub from: Bucket,
    /// Principal that started in it.
    pub principal: i64,
    /// Shares ending in each bucket, in [`Bucket::ALL`] order.
    pub to: Vec<Decimal>,
    /// Share that left the book.
    pub closed: Decimal,
}

/// The matrix of `moves`: one row per start bucket, worst last.
pub fn matrix(moves: &[Move]) -> Vec<Row> {
    Bucket::ALL
        .iter()
        .map(|from| {
            let row: Vec<&Move> = moves.iter().filter(|m| m.from == *from).collect();
            let base: i64 = row.iter().map(|m| m.principal).sum();
            let ended = |to: Option<Bucket>| -> i64 {
                row.iter().filter(|m| m.to == to).map(|m| m.principal).sum()
            };
            Row {
                from: *from,
                principal: base,
                to: Bucket::ALL
                    .iter()
                    .map(|b| ratio(ended(Some(*b)), base))
                    .collect(),
                closed: ratio(ended(None), base),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_crafted_month_rolls_as_counted_by_hand() {
        let m = |from, to, principal| Move {
            from,
            to,
            principal,
        };
        let moves = [
            m(Bucket::Current, Some(Bucket::Current), 800_000),
            m(Bucket::Current, Some(Bucket::M1), 150_000),
            m(Bucket::Current, None, 50_000),
            m(Bucket::M1, Some(Bucket::Current), 30_000),
            m(Bucket::M1, Some(Bucket::M1), 10_000),
            m(Bucket::M1, Some(Bucket::M2), 60_000),
        ];
        let rows = matrix(&moves);
        assert_eq!(rows[0].principal, 1_000_000);
        assert_eq!(rows[0].to[1].to_string(), "0.1500");
        assert_eq!(rows[0].closed.to_string(), "0.0500");
        // M1 → M2: 60,000 of 100,000
        assert_eq!(rows[1].to[2].to_string(), "0.6000");
        assert_eq!(rows[1].to[0].to_string(), "0.3000");
        assert_eq!(rows[4].principal, 0);
        assert_eq!(rows[4].closed, Decimal::new(0, 4));
    }

    proptest! {
        #[test]
        fn each_row_adds_up_to_one(
            moves in prop::collection::vec((0usize..5, 0usize..6, 1i64..1_000_000), 1..40)
        ) {
            let moves: Vec<Move> = moves
                .into_iter()
                .map(|(f, t, p)| Move { from: Bucket::ALL[f], to: Bucket::ALL.get(t).copied(), principal: p })
                .collect();
            for row in matrix(&moves) {
                if row.principal > 0 {
                    let total: Decimal = row.to.iter().copied().sum::<Decimal>() + row.closed;
                    prop_assert!((total - Decimal::ONE).abs() <= Decimal::new(3, 4), "{total}");
                }
            }
        }
    }
}
