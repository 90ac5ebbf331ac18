//! The repayment waterfall (还款顺序): how a payment is split across what a borrower owes.
//!
//! What is owed is split into an overdue and a current (due, not yet overdue) bucket. An
//! allocation order is a list of `(stage, component)` steps; each step pays what is still
//! owed of that component in that stage, up to what is left of the payment. Whatever is left
//! after the last step is an advance, held and applied at the next due date by the servicing
//! engine.
//!
//! ```
//! use loanbook_core::money::{Currency, Money};
//! use loanbook_core::product::Component;
//! use loanbook_core::waterfall::{allocate, default_order, Due, Dues};
//!
//! let cny = |s: &str| Money::parse(s, Currency::CNY).unwrap();
//! let dues = Dues {
//!     overdue: vec![Due { component: Component::Principal, amount: cny("800") }],
//!     current: vec![Due { component: Component::Interest, amount: cny("50") }],
//! };
//! // 1000 − 800 overdue principal − 50 due interest = 150 advance
//! let allocation = allocate(cny("1000"), &dues, &default_order()).unwrap();
//! assert_eq!(allocation.total(Component::Principal), cny("800"));
//! assert_eq!(allocation.advance, cny("150"));
//! ```

use serde::Serialize;

use crate::money::{Currency, Money, MoneyError};
use crate::product::Component;

/// Which bucket of what is owed an allocation step pays from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Overdue amounts only.
    Overdue,
    /// Current amounts only (due, not yet overdue).
    Current,
    /// Both buckets, the overdue amount first.
    Any,
}

impl Stage {
    /// The bucket indices this stage draws on, in the order they are paid.
    fn buckets(self) -> &'static [usize] {
        match self {
            Stage::Overdue => &[OVERDUE],
            Stage::Current => &[CURRENT],
            Stage::Any => &[OVERDUE, CURRENT],
        }
    }
}

/// An amount owed of one component.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Due {
    /// What is owed.
    pub component: Component,
    /// How much (not negative; a negative amount counts as nothing owed).
    pub amount: Money,
}

/// What a borrower owes, split into the overdue and the current bucket. A component may
/// appear more than once in a bucket (e.g. interest of two overdue installments); the
/// amounts are summed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Dues {
    /// Past due after grace.
    pub overdue: Vec<Due>,
    /// Due, not yet overdue.
    pub current: Vec<Due>,
}

/// How a payment was split.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Allocation {
    /// The amount paid at each step of the order that paid anything, in order. A step of
    /// [`Stage::Any`] is reported as `Any` (its overdue part was paid first).
    pub paid: Vec<(Stage, Component, Money)>,
    /// What was left after every step: held and applied at the next due date.
    pub advance: Money,
}

impl Allocation {
    /// The amount paid to `component` across all stages.
    pub fn total(&self, component: Component) -> Money {
        // Every row is part of the payment, so the sum is at most the payment: no overflow.
        let minor = self
            .paid
            .iter()
            .filter(|(_, c, _)| *c == component)
            .map(|(_, _, m)| m.amount_minor())
            .sum();
        Money::from_minor(minor, self.advance.currency())
    }

    /// The amount paid at all steps (the payment less the advance).
    pub fn total_paid(&self) -> Money {
        let minor = self.paid.iter().map(|(_, _, m)| m.amount_minor()).sum();
        Money::from_minor(minor, self.advance.currency())
    }
}

/// The order of the servicing default: penalty interest → compound interest → fees (each
/// from either bucket, overdue first) → overdue interest → overdue principal → due
/// interest → due principal.
pub fn default_order() -> Vec<(Stage, Component)> {
    vec![
        (Stage::Any, Component::PenaltyInterest),
        (Stage::Any, Component::CompoundInterest),
        (Stage::Any, Component::Fees),
        (Stage::Overdue, Component::Interest),
        (Stage::Overdue, Component::Principal),
        (Stage::Current, Component::Interest),
        (Stage::Current, Component::Principal),
    ]
}

const OVERDUE: usize = 0;
const CURRENT: usize = 1;

fn component_index(component: Component) -> usize {
    match component {
        Component::Fees => 0,
        Component::PenaltyInterest => 1,
        Component::CompoundInterest => 2,
        Component::Interest => 3,
        Component::Principal => 4,
    }
}

/// Still owed, in minor units, per bucket and component.
type Owed = [[i64; 5]; 2];

fn owed_of(dues: &Dues, currency: Currency) -> Result<Owed, MoneyError> {
    let mut owed = [[0i64; 5]; 2];
    for (bucket, list) in [(OVERDUE, &dues.overdue), (CURRENT, &dues.current)] {
        for due in list {
            if due.amount.currency() != currency {
                return Err(MoneyError::CurrencyMismatch(
                    currency,
                    due.amount.currency(),
                ));
            }
            let slot = &mut owed[bucket][component_index(due.component)];
            *slot = slot
                .checked_add(due.amount.amount_minor().max(0))
                .ok_or(MoneyError::Overflow)?;
        }
    }
    Ok(owed)
}

/// Splits `payment` across `dues` in `order`.
///
/// Each step pays what is still owed of its component in its stage, up to what is left of
/// the payment; a step repeated or overlapping an earlier one (e.g. `Any` then `Overdue`
/// for the same component) pays only what the earlier ones left. Components the order
/// does not name are not paid. What is left is the [`Allocation::advance`].
///
/// Guaranteed (asserted in debug builds): Σ paid + advance = payment exactly; no step is
/// paid more than was owed; no step is paid anything while an earlier step is still owed.
/// A payment must not be negative (amounts are validated at the edge; a debug build
/// asserts it); in a release build a negative payment pays nothing and is all advance.
///
/// # Errors
/// [`MoneyError::CurrencyMismatch`] when a due is not in the payment's currency;
/// [`MoneyError::Overflow`] when the amounts owed of one component sum out of range.
pub fn allocate(
    payment: Money,
    dues: &Dues,
    order: &[(Stage, Component)],
) -> Result<Allocation, MoneyError> {
    debug_assert!(!payment.is_negative(), "negative payment {payment}");
    let currency = payment.currency();
    let mut owed = owed_of(dues, currency)?;
    let mut left = payment.amount_minor();
    let mut paid = Vec::new();
    for &(stage, component) in order {
        let c = component_index(component);
        let mut step_minor = 0i64;
        for &bucket in stage.buckets() {
            let take = left.min(owed[bucket][c]).max(0);
            owed[bucket][c] -= take;
            left -= take;
            step_minor += take;
        }
        // Ordering: if this step is still owed anything, the payment is used up, so no
        // later step can be paid.
        debug_assert!(
            left <= 0 || stage.buckets().iter().all(|&b| owed[b][c] == 0),
            "step {stage:?} {component:?} left unpaid with {left} minor units remaining"
        );
        if step_minor > 0 {
            paid.push((stage, component, Money::from_minor(step_minor, currency)));
        }
    }
    let allocation = Allocation {
        paid,
        advance: Money::from_minor(left, currency),
    };
    debug_assert_eq!(
        allocation.total_paid().amount_minor() + allocation.advance.amount_minor(),
        payment.amount_minor(),
        "allocation does not conserve the payment"
    );
    Ok(allocation)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::cny;
    use proptest::prelude::*;

    fn due(component: Component, amount: &str) -> Due {
        Due {
            component,
            amount: cny(amount),
        }
    }

    /// Overdue: 10.00 penalty, 2.00 compound, 30.00 late fee, 120.00 interest, 800.00
    /// principal; current: 100.00 interest, 850.00 principal. Total 1912.00.
    fn dues() -> Dues {
        Dues {
            overdue: vec![
                due(Component::PenaltyInterest, "10"),
                due(Component::CompoundInterest, "2"),
                due(Component::Fees, "30"),
                due(Component::Interest, "120"),
                due(Component::Principal, "800"),
            ],
            current: vec![
                due(Component::Interest, "100"),
                due(Component::Principal, "850"),
            ],
        }
    }

    #[test]
    fn partial_payment_stops_inside_overdue_principal() {
        // 500 − 10 penalty − 2 compound − 30 fees − 120 overdue interest = 338 of 800 principal
        let a = allocate(cny("500"), &dues(), &default_order()).unwrap();
        assert_eq!(
            a.paid,
            vec![
                (Stage::Any, Component::PenaltyInterest, cny("10")),
                (Stage::Any, Component::CompoundInterest, cny("2")),
                (Stage::Any, Component::Fees, cny("30")),
                (Stage::Overdue, Component::Interest, cny("120")),
                (Stage::Overdue, Component::Principal, cny("338")),
            ]
        );
        assert_eq!(a.advance, cny("0"));
        assert_eq!(a.total(Component::Interest), cny("120"));
    }

    #[test]
    fn exact_payoff_pays_everything_and_leaves_no_advance() {
        // 10 + 2 + 30 + 120 + 800 + 100 + 850 = 1912
        let a = allocate(cny("1912"), &dues(), &default_order()).unwrap();
        assert_eq!(a.paid.len(), 7);
        assert_eq!(a.advance, cny("0"));
        // 120 overdue + 100 current interest
        assert_eq!(a.total(Component::Interest), cny("220"));
        // 800 + 850
        assert_eq!(a.total(Component::Principal), cny("1650"));
        assert_eq!(a.total_paid(), cny("1912"));
    }

    #[test]
    fn overpayment_becomes_an_advance() {
        // 2000.50 − 1912.00 = 88.50 held for the next due date
        let a = allocate(cny("2000.50"), &dues(), &default_order()).unwrap();
        assert_eq!(a.total_paid(), cny("1912"));
        assert_eq!(a.advance, cny("88.50"));
    }

    #[test]
    fn zero_payment_pays_nothing() {
        let a = allocate(cny("0"), &dues(), &default_order()).unwrap();
        assert!(a.paid.is_empty());
        assert_eq!(a.advance, cny("0"));
        assert_eq!(a.total(Component::Principal), cny("0"));
    }

    #[test]
    fn any_stage_takes_both_buckets_overdue_first() {
        // fees 30 overdue + 15 current; a payment of 40 pays 40 of the 45 fees
        let dues = Dues {
            overdue: vec![due(Component::Fees, "30")],
            current: vec![due(Component::Fees, "15"), due(Component::Interest, "5")],
        };
        let a = allocate(cny("40"), &dues, &default_order()).unwrap();
        assert_eq!(a.paid, vec![(Stage::Any, Component::Fees, cny("40"))]);
        // 50 pays 45 fees, then 5 due interest
        let a = allocate(cny("50"), &dues, &default_order()).unwrap();
        assert_eq!(a.total(Component::Fees), cny("45"));
        assert_eq!(a.total(Component::Interest), cny("5"));
        assert_eq!(a.advance, cny("0"));
    }

    #[test]
    fn repeated_components_are_summed_and_overlaps_not_paid_twice() {
        // two overdue interest rows 60 + 60 = 120
        let dues = Dues {
            overdue: vec![
                due(Component::Interest, "60"),
                due(Component::Interest, "60"),
            ],
            current: vec![],
        };
        let order = [
            (Stage::Any, Component::Interest),
            (Stage::Overdue, Component::Interest),
        ];
        // 200 − 120 = 80 advance; the second step finds nothing left to pay
        let a = allocate(cny("200"), &dues, &order).unwrap();
        assert_eq!(a.paid, vec![(Stage::Any, Component::Interest, cny("120"))]);
        assert_eq!(a.advance, cny("80"));
    }

    #[test]
    fn a_due_in_another_currency_is_refused() {
        let dues = Dues {
            overdue: vec![Due {
                component: Component::Principal,
                amount: Money::parse("1", Currency::USD).unwrap(),
            }],
            current: vec![],
        };
        assert_eq!(
            allocate(cny("1"), &dues, &default_order()),
            Err(MoneyError::CurrencyMismatch(Currency::CNY, Currency::USD))
        );
    }

    fn any_component() -> impl Strategy<Value = Component> + Clone {
        (0..5usize).prop_map(|i| Component::DEFAULT_ORDER[i])
    }

    fn any_dues() -> impl Strategy<Value = Dues> {
        let one = (any_component(), 0i64..10_000_000).prop_map(|(component, minor)| Due {
            component,
            amount: Money::from_minor(minor, Currency::CNY),
        });
        (
            prop::collection::vec(one.clone(), 0..8),
            prop::collection::vec(one, 0..8),
        )
            .prop_map(|(overdue, current)| Dues { overdue, current })
    }

    /// Owed per step of the default order, computed directly from the dues.
    fn owed_per_step(dues: &Dues) -> Vec<i64> {
        let sum = |list: &[Due], c: Component| -> i64 {
            list.iter()
                .filter(|d| d.component == c)
                .map(|d| d.amount.amount_minor())
                .sum()
        };
        default_order()
            .into_iter()
            .map(|(stage, c)| match stage {
                Stage::Overdue => sum(&dues.overdue, c),
                Stage::Current => sum(&dues.current, c),
                Stage::Any => sum(&dues.overdue, c) + sum(&dues.current, c),
            })
            .collect()
    }

    proptest! {
        #[test]
        fn allocation_conserves_money_and_respects_the_order(
            dues in any_dues(),
            payment_minor in 0i64..200_000_000,
        ) {
            let payment = Money::from_minor(payment_minor, Currency::CNY);
            let order = default_order();
            let a = allocate(payment, &dues, &order).unwrap();
            // Σ paid + advance = payment exactly
            prop_assert_eq!(
                a.total_paid().amount_minor() + a.advance.amount_minor(),
                payment_minor
            );
            prop_assert!(!a.advance.is_negative());
            // paid per step, zero where the step paid nothing
            let paid: Vec<i64> = order
                .iter()
                .map(|&(s, c)| {
                    a.paid
                        .iter()
                        .find(|(ps, pc, _)| *ps == s && *pc == c)
                        .map_or(0, |(_, _, m)| m.amount_minor())
                })
                .collect();
            let owed = owed_per_step(&dues);
            for (step, (&p, &o)) in paid.iter().zip(&owed).enumerate() {
                // nothing paid exceeds its due
                prop_assert!(p <= o, "step {} paid {} of {}", step, p, o);
                // nothing later is paid while this step is unpaid
                if p < o {
                    prop_assert!(paid[step + 1..].iter().all(|&later| later == 0));
                    prop_assert!(a.advance.is_zero());
                }
            }
        }
    }
}
