use chrono::TimeZone;
use proptest::prelude::*;

use super::*;
use crate::test_support::{dec, product};

/// ≤ 50,000 and grade A/B → automatic; ≤ 200,000 → loan officer then branch manager;
/// above → loan officer then committee 2 of 3. Amounts in fen.
fn table() -> AuthorityRules {
    let json = serde_json::json!([
        {
            "priority": 30,
            "min_amount_minor": 20_000_001,
            "steps": [
                { "kind": "loan_officer", "votes_required": 1, "voters": 1, "sla_hours": 24 },
                { "kind": "committee", "votes_required": 2, "voters": 3, "sla_hours": 72 }
            ]
        },
        {
            "priority": 10,
            "max_amount_minor": 5_000_000,
            "risk_grades": ["A", "B"],
            "steps": [{ "kind": "automatic", "votes_required": 1, "voters": 1, "sla_hours": 1 }]
        },
        {
            "priority": 20,
            "max_amount_minor": 20_000_000,
            "steps": [
                { "kind": "loan_officer", "votes_required": 1, "voters": 1, "sla_hours": 24 },
                { "kind": "branch_manager", "votes_required": 1, "voters": 1, "sla_hours": 48 }
            ]
        }
    ]);
    serde_json::from_value(json).unwrap()
}

fn kinds(steps: &[StepSpec]) -> Vec<StepKind> {
    steps.iter().map(|s| s.kind).collect()
}

#[test]
fn step_kinds_have_codes_and_roles() {
    for kind in StepKind::ALL {
        assert_eq!(StepKind::parse(kind.code()), Some(kind));
        let json = serde_json::to_value(kind).unwrap();
        assert_eq!(json, serde_json::Value::String(kind.code().into()));
        assert!(kind.may_decide("admin"));
    }
    assert_eq!(StepKind::parse("manager"), None);
    assert!(StepKind::LoanOfficer.may_decide("loan_officer"));
    assert!(StepKind::BranchManager.may_decide("approver"));
    assert!(!StepKind::BranchManager.may_decide("loan_officer"));
    assert!(StepKind::Committee.may_decide("committee_member"));
    assert!(!StepKind::Committee.may_decide("approver"));
    assert!(!StepKind::Automatic.may_decide("loan_officer"));
}

#[test]
fn the_rules_table_routes_by_amount_and_grade() {
    use StepKind::*;
    let rules = table();
    let priorities: Vec<u32> = rules.rules().iter().map(|r| r.priority).collect();
    assert_eq!(priorities, [10, 20, 30]);
    let steps =
        |amount, grade| kinds(&required_steps(&rules, "ANY", amount, grade, false).unwrap());
    assert_eq!(steps(5_000_000, "A"), [Automatic]);
    assert_eq!(steps(4_999_999, "B"), [Automatic]);
    // grade C falls through to the next rule
    assert_eq!(steps(3_000_000, "C"), [LoanOfficer, BranchManager]);
    assert_eq!(steps(5_000_001, "A"), [LoanOfficer, BranchManager]);
    assert_eq!(steps(20_000_000, "A"), [LoanOfficer, BranchManager]);
    let big = required_steps(&rules, "ANY", 20_000_001, "A", false).unwrap();
    assert_eq!(kinds(&big), [LoanOfficer, Committee]);
    assert_eq!(big[1], StepSpec::committee(2, 3, 72));
}

#[test]
fn a_referral_turns_the_automatic_step_into_a_loan_officer() {
    let rules = table();
    let steps = required_steps(&rules, "ANY", 1_000_000, "A", true).unwrap();
    assert_eq!(steps, [StepSpec::single(StepKind::LoanOfficer, 24)]);
    // a referral does not change a human chain
    let steps = required_steps(&rules, "ANY", 10_000_000, "A", true).unwrap();
    assert_eq!(
        kinds(&steps),
        [StepKind::LoanOfficer, StepKind::BranchManager]
    );
}

#[test]
fn product_scoped_rules_and_no_match() {
    let rule = |priority, product: Option<&str>, kind| AuthorityRule {
        priority,
        product_code: product.map(Into::into),
        min_amount_minor: 0,
        max_amount_minor: Some(1_000_000),
        risk_grades: vec![],
        steps: vec![StepSpec::single(kind, 24)],
    };
    let rules = AuthorityRules::new(vec![
        rule(1, Some("MORTGAGE"), StepKind::BranchManager),
        rule(2, None, StepKind::LoanOfficer),
    ])
    .unwrap();
    let first = |product| required_steps(&rules, product, 500_000, "A", false).unwrap()[0].kind;
    assert_eq!(first("MORTGAGE"), StepKind::BranchManager);
    assert_eq!(first("CONSUMER"), StepKind::LoanOfficer);
    let err = required_steps(&rules, "CONSUMER", 1_000_001, "D", false).unwrap_err();
    assert_eq!(
        err,
        AuthorityError::NoRule {
            product: "CONSUMER".into(),
            amount: 1_000_001,
            grade: "D".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "no authority rule matches product 'CONSUMER', amount 1000001 (minor units), risk grade 'D'"
    );
}

fn invalid(rules: Vec<AuthorityRule>) -> (usize, String, String) {
    match AuthorityRules::new(rules) {
        Err(AuthorityError::Invalid { index, field, rule }) => (index, field, rule),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn invalid_tables_name_the_rule_and_the_field() {
    let good = || AuthorityRule {
        priority: 1,
        product_code: None,
        min_amount_minor: 0,
        max_amount_minor: None,
        risk_grades: vec![],
        steps: vec![StepSpec::single(StepKind::LoanOfficer, 24)],
    };
    let with = |f: &dyn Fn(&mut AuthorityRule)| {
        let mut second = good();
        second.priority = 2;
        f(&mut second);
        vec![good(), second]
    };

    assert_eq!(
        AuthorityRules::new(with(&|r| r.priority = 1)),
        Err(AuthorityError::DuplicatePriority {
            index: 1,
            priority: 1,
            first_index: 0
        })
    );
    let (index, field, rule) = invalid(with(&|r| {
        r.min_amount_minor = 10;
        r.max_amount_minor = Some(9);
    }));
    assert_eq!((index, field.as_str()), (1, "max_amount_minor"));
    assert_eq!(rule, "must be at least min_amount_minor 10 (got 9)");

    let (_, field, rule) = invalid(with(&|r| {
        r.steps = vec![StepSpec::single(StepKind::LoanOfficer, 24); 11];
    }));
    assert_eq!(field, "steps");
    assert!(rule.contains("got 11"), "{rule}");

    let (_, field, _) = invalid(with(&|r| r.steps.clear()));
    assert_eq!(field, "steps");

    let (_, field, rule) = invalid(with(&|r| {
        r.steps.push(StepSpec::single(StepKind::Automatic, 1));
    }));
    assert_eq!(field, "steps");
    assert!(rule.contains("only step"), "{rule}");

    for (committee, bad_field) in [
        (StepSpec::committee(0, 3, 24), "steps[0].votes_required"),
        (StepSpec::committee(4, 3, 24), "steps[0].votes_required"),
        (StepSpec::committee(2, 16, 24), "steps[0].voters"),
        (StepSpec::committee(2, 3, 0), "steps[0].sla_hours"),
        (StepSpec::committee(2, 3, 721), "steps[0].sla_hours"),
    ] {
        let (index, field, _) = invalid(with(&|r| r.steps = vec![committee]));
        assert_eq!((index, field.as_str()), (1, bad_field), "{committee:?}");
    }
    let (_, field, rule) = invalid(with(&|r| {
        r.steps = vec![StepSpec {
            kind: StepKind::BranchManager,
            votes_required: 2,
            voters: 2,
            sla_hours: 24,
        }]
    }));
    assert_eq!(field, "steps[0].votes_required");
    assert_eq!(rule, "must be 1 for a branch_manager step (got 2)");

    let (_, field, _) = invalid(with(&|r| r.risk_grades = vec![" ".into()]));
    assert_eq!(field, "risk_grades");

    // the boundaries themselves are fine
    assert!(
        AuthorityRules::new(with(&|r| r.steps = vec![StepSpec::committee(15, 15, 720)])).is_ok()
    );
    assert!(AuthorityRules::new(with(&|r| r.steps = vec![StepSpec::committee(1, 1, 1)])).is_ok());

    let many: Vec<AuthorityRule> = (0..=MAX_RULES as u32)
        .map(|priority| AuthorityRule { priority, ..good() })
        .collect();
    assert_eq!(
        AuthorityRules::new(many),
        Err(AuthorityError::TooManyRules { count: 201 })
    );
    // a table without rules would route nothing
    assert_eq!(AuthorityRules::new(Vec::new()), Err(AuthorityError::Empty));
}

#[test]
fn deserializing_validates_and_rejects_unknown_fields() {
    let err = serde_json::from_value::<AuthorityRules>(serde_json::json!([
        { "priority": 1, "steps": [{ "kind": "committee", "votes_required": 4, "voters": 3, "sla_hours": 24 }] }
    ]))
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("rule 0: steps[0].votes_required: must be between 1 and voters 3 (got 4)"),
        "{err}"
    );
    assert!(
        serde_json::from_value::<AuthorityRules>(serde_json::json!([
            { "priority": 1, "amount": 5, "steps": [] }
        ]))
        .is_err()
    );
    // a round trip keeps the table
    let rules = table();
    let back: AuthorityRules =
        serde_json::from_value(serde_json::to_value(&rules).unwrap()).unwrap();
    assert_eq!(back, rules);
}

fn vote(voter: &str, approve: bool) -> Vote {
    Vote {
        voter: voter.into(),
        approve,
    }
}

#[test]
fn a_committee_of_three_needs_two() {
    let step = StepSpec::committee(2, 3, 72);
    assert_eq!(
        tally(&step, &[]),
        StepOutcome::Pending {
            approvals: 0,
            rejections: 0,
            needed: 2
        }
    );
    assert_eq!(
        tally(&step, &[vote("a", true)]),
        StepOutcome::Pending {
            approvals: 1,
            rejections: 0,
            needed: 1
        }
    );
    assert_eq!(
        tally(&step, &[vote("a", true), vote("b", true)]),
        StepOutcome::Approved
    );
    // one rejection is tolerated (3 − 2 = 1), two are not
    assert_eq!(
        tally(&step, &[vote("a", false)]),
        StepOutcome::Pending {
            approvals: 0,
            rejections: 1,
            needed: 2
        }
    );
    assert_eq!(
        tally(&step, &[vote("a", false), vote("b", false)]),
        StepOutcome::Rejected
    );
    assert_eq!(
        tally(&step, &[vote("a", true), vote("b", false), vote("c", true)]),
        StepOutcome::Approved
    );
}

#[test]
fn a_voter_counts_once() {
    let step = StepSpec::committee(2, 3, 72);
    // alice's second vote is ignored, whichever way it goes
    assert_eq!(
        tally(&step, &[vote("alice", true), vote("alice", true)]),
        StepOutcome::Pending {
            approvals: 1,
            rejections: 0,
            needed: 1
        }
    );
    assert_eq!(
        tally(
            &step,
            &[
                vote("alice", false),
                vote("alice", true),
                vote("bob", false)
            ]
        ),
        StepOutcome::Rejected
    );
}

#[test]
fn a_single_decider_decides_with_one_vote() {
    let step = StepSpec::single(StepKind::BranchManager, 48);
    assert_eq!(tally(&step, &[vote("m", true)]), StepOutcome::Approved);
    assert_eq!(tally(&step, &[vote("m", false)]), StepOutcome::Rejected);
    // unanimity: any rejection rejects
    let unanimous = StepSpec::committee(3, 3, 24);
    assert_eq!(
        tally(&unanimous, &[vote("a", true), vote("b", false)]),
        StepOutcome::Rejected
    );
}

fn committee_and_votes() -> impl Strategy<Value = (StepSpec, Vec<Vote>)> {
    (1u32..=MAX_VOTERS)
        .prop_flat_map(|voters| (1..=voters, Just(voters)))
        .prop_flat_map(|(required, voters)| {
            let votes = proptest::collection::vec(any::<bool>(), 0..=voters as usize);
            (Just(StepSpec::committee(required, voters, 24)), votes)
        })
        .prop_map(|(step, approvals)| {
            let votes = approvals
                .into_iter()
                .enumerate()
                .map(|(i, approve)| vote(&format!("member{i}"), approve))
                .collect();
            (step, votes)
        })
}

proptest! {
    #[test]
    fn the_order_of_distinct_votes_does_not_matter(
        (step, votes, shuffled) in committee_and_votes()
            .prop_flat_map(|(step, votes)| (Just(step), Just(votes.clone()), Just(votes).prop_shuffle()))
    ) {
        prop_assert_eq!(tally(&step, &votes), tally(&step, &shuffled));
    }

    #[test]
    fn approved_and_rejected_are_never_both_reachable(
        (step, votes, shuffled) in committee_and_votes()
            .prop_flat_map(|(step, votes)| (Just(step), Just(votes.clone()), Just(votes).prop_shuffle()))
    ) {
        // Every prefix of either order is a state the step can pass through.
        let outcomes: Vec<StepOutcome> = (0..=votes.len())
            .flat_map(|n| [tally(&step, &votes[..n]), tally(&step, &shuffled[..n])])
            .collect();
        let approved = outcomes.contains(&StepOutcome::Approved);
        let rejected = outcomes.contains(&StepOutcome::Rejected);
        prop_assert!(!(approved && rejected));
        // and once every member voted, the step is decided
        if votes.len() == step.voters as usize {
            prop_assert!(approved || rejected);
        }
    }
}

#[test]
fn four_eyes_keeps_the_submitter_the_investigator_and_earlier_deciders_out() {
    let investigators = vec!["ivan".to_owned()];
    let deciders = vec!["olga".to_owned()];
    let check = |actor| four_eyes(actor, Some("alice"), "carol", &investigators, &deciders);
    assert_eq!(check("bob"), Ok(()));
    let err = check("alice").unwrap_err();
    assert_eq!(
        err.to_string(),
        "four-eyes: alice submitted application and may not approve it"
    );
    assert_eq!(
        check("carol"),
        Err(FourEyes::Submitter {
            actor: "carol".into(),
            act: "created"
        })
    );
    assert_eq!(
        check("ivan").unwrap_err().to_string(),
        "four-eyes: ivan investigated application and may not approve it"
    );
    assert_eq!(
        check("olga"),
        Err(FourEyes::AlreadyDecided {
            actor: "olga".into()
        })
    );
    // the system decides automatic steps even on applications it created
    assert_eq!(
        four_eyes(
            SYSTEM_ACTOR,
            None,
            SYSTEM_ACTOR,
            &[],
            &[SYSTEM_ACTOR.into()]
        ),
        Ok(())
    );
    // no submitter yet: only the creator is excluded
    assert_eq!(four_eyes("alice", None, "carol", &[], &[]), Ok(()));
}

#[test]
fn sla_due_and_overdue() {
    let started = Utc.with_ymd_and_hms(2026, 3, 1, 9, 30, 0).unwrap();
    // 9:30 + 24 h
    assert_eq!(
        sla_due(started, 24),
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0).unwrap()
    );
    // 720 h = 30 days
    assert_eq!(
        sla_due(started, 720),
        Utc.with_ymd_and_hms(2026, 3, 31, 9, 30, 0).unwrap()
    );
    let due = sla_due(started, 24);
    assert!(!is_overdue(started, 24, due));
    assert!(is_overdue(started, 24, due + TimeDelta::seconds(1)));
    assert!(!is_overdue(started, 24, started));
    assert_eq!(
        sla_due(DateTime::<Utc>::MAX_UTC, 1),
        DateTime::<Utc>::MAX_UTC
    );
}

#[test]
fn a_counter_offer_within_bounds_that_changes_something() {
    let p = product(); // 1000–200000, 3–24 months, 0.072–0.24
    let offer = |amount_minor, term_months, rate: Option<&str>| CounterOffer {
        amount_minor,
        term_months,
        rate: rate.map(dec),
    };
    let requested = 10_000_000; // 100000.00
    let rate = Some(dec("0.12"));
    assert_eq!(
        offer(8_000_000, 12, None).validate(&p, requested, 12, rate),
        Ok(())
    );
    assert_eq!(
        offer(requested, 24, None).validate(&p, requested, 12, rate),
        Ok(())
    );
    assert_eq!(
        offer(requested, 12, Some("0.15")).validate(&p, requested, 12, rate),
        Ok(())
    );
    let fields = |o: CounterOffer| -> Vec<&'static str> {
        o.validate(&p, requested, 12, rate)
            .unwrap_err()
            .into_iter()
            .map(|(field, _)| field)
            .collect()
    };
    assert_eq!(fields(offer(requested, 12, None)), ["offer"]);
    assert_eq!(fields(offer(requested, 12, Some("0.12"))), ["offer"]);
    assert_eq!(fields(offer(requested + 1, 12, None)), ["amount_minor"]);
    assert_eq!(fields(offer(99_999, 12, None)), ["amount_minor"]);
    assert_eq!(fields(offer(8_000_000, 36, None)), ["term_months"]);
    assert_eq!(fields(offer(8_000_000, 2, None)), ["term_months"]);
    assert_eq!(fields(offer(8_000_000, 12, Some("0.25"))), ["rate"]);
    assert_eq!(
        fields(offer(30_000_000, 36, Some("0.01"))),
        ["amount_minor", "amount_minor", "term_months", "rate"]
    );
    let errors = offer(8_000_000, 12, Some("0.25"))
        .validate(&p, requested, 12, rate)
        .unwrap_err();
    assert_eq!(
        errors[0].1,
        "must be within the product's 0.072..=0.24 (got 0.25)"
    );
    // a priced request (no requested rate) is changed by naming any rate
    assert_eq!(
        offer(requested, 12, Some("0.12")).validate(&p, requested, 12, None),
        Ok(())
    );
}
