use super::*;

fn plain(v: i64) -> String {
    v.to_string()
}

fn categories(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_string()).collect()
}

fn series(name: &str, values: &[Option<i64>]) -> Series {
    Series {
        name: name.to_string(),
        values: values.to_vec(),
    }
}

fn chart<'a>(categories: &'a [String], series: &'a [Series]) -> Chart<'a> {
    Chart {
        title: "Test",
        categories,
        series,
        format: &plain,
    }
}

/// The start tags named `name`, e.g. every `<rect …>`.
fn tags<'a>(svg: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<{name} ");
    svg.match_indices(&open)
        .map(|(at, _)| {
            let rest = &svg[at..];
            &rest[..rest.find('>').expect("a closed tag")]
        })
        .collect()
}

/// The integer value of attribute `name` in start tag `tag`.
fn attr(tag: &str, name: &str) -> i128 {
    let key = format!(" {name}=\"");
    let start = tag.find(&key).expect("the attribute") + key.len();
    let end = start + tag[start..].find('"').expect("a closing quote");
    tag[start..end].parse().expect("an integer")
}

/// Checks that every tag is closed in order, that no `>` stands in text and that every
/// `&` starts an entity: a tiny well-formedness check.
fn assert_well_formed(svg: &str) {
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = svg;
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        assert!(!text.contains('>'), "a stray '>' in {text:?}");
        for (at, _) in text.match_indices('&') {
            let entity = &text[at..];
            let known = ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"];
            assert!(
                known.iter().any(|e| entity.starts_with(e)),
                "bare & in {text:?}"
            );
        }
        let close = open + rest[open..].find('>').expect("a closed tag");
        let tag = &rest[open + 1..close];
        assert!(!tag.contains('<'), "a '<' inside tag {tag:?}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop(), Some(name), "mismatched </{name}>");
        } else if !tag.ends_with('/') {
            stack.push(tag.split_whitespace().next().expect("a tag name"));
        }
        rest = &rest[close + 1..];
    }
    assert!(stack.is_empty(), "unclosed tags {stack:?}");
    assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"));
    assert!(svg.contains(r#"width="100%""#) && svg.contains(r#"role="img""#));
    for bad in ["NaN", "inf", "<script", "<style", "href", "@import"] {
        assert!(!svg.contains(bad), "{bad} in {svg}");
    }
}

#[test]
fn nice_max_steps() {
    let nice = |min, max| {
        let s = Scale::nice(min, max);
        (s.low, s.high, s.step)
    };
    assert_eq!(nice(0, 87), (0, 100, 20)); // 87 / 5 = 17.4 → step 20, 5 steps
    assert_eq!(nice(0, 100), (0, 100, 20));
    assert_eq!(nice(0, 101), (0, 125, 25)); // 20 would need 6 steps
    assert_eq!(nice(0, 1234), (0, 1250, 250)); // 1234 / 5 = 246.8 → step 250
    assert_eq!(nice(0, 7), (0, 8, 2)); // 2.5 is no integer step: 1 → 2
    assert_eq!(nice(0, 11), (0, 15, 5)); // 2 needs 6 steps; 2.5 skipped → 5
    assert_eq!(nice(0, 0), (0, 1, 1));
    // 1,234,567.89 in minor units → 25,000,000 a step (250,000.00), top 1,250,000.00
    assert_eq!(nice(0, 123_456_789), (0, 125_000_000, 25_000_000));
    assert_eq!(nice(-30, 70), (-50, 75, 25)); // step 20: 2 + 4 = 6 steps; 25: 2 + 3
    assert_eq!(nice(-87, -5), (-100, 0, 20));
    let big = Scale::nice(0, i128::from(i64::MAX));
    assert!(big.high >= i128::from(i64::MAX) && big.ticks().count() <= 6);
}

#[test]
fn four_to_six_gridlines() {
    for max in 3..=20_000 {
        for min in [0, -1, -max / 3, -max] {
            let ticks = Scale::nice(min, max).ticks().count();
            // −5..=5: step 2 needs 6 steps and 2.5 is no integer → step 5, 3 ticks
            let want = if (min, max) == (-5, 5) { 3..=3 } else { 4..=6 };
            assert!(want.contains(&ticks), "{min}..={max}: {ticks} ticks");
        }
    }
}

#[test]
fn a_known_point_on_a_known_chart() {
    let cats = categories(&["a", "b", "c", "d"]);
    let s = [series("s", &[Some(0), Some(50), Some(87), Some(100)])];
    let svg = line(&chart(&cats, &s));
    assert_well_formed(&svg);
    // axis 0..100; one legend row → plot top 38 + 14 = 52, bottom 268 (216 high)
    // ticks "0".."100": widest 3 × 6 = 18, + 14 = 32 → left 40 (the minimum); 668 wide
    // b: x = 40 + (2·1 + 1) × 668 / (2 × 4) = 40 + 250.5 → 291 (half up)
    // 50: y = 268 − 50 × 216 / 100 = 268 − 108 = 160
    assert!(svg.contains(r#"<circle cx="291" cy="160" r="3""#), "{svg}");
    assert!(svg.contains("<title>b · s: 50</title>"));
    assert!(svg.contains(r#"viewBox="0 0 720 300""#));
    assert_eq!(tags(&svg, "polyline").len(), 1);
    // gridlines at 0, 20, …, 100; 100 at the top: y = 52
    assert_eq!(tags(&svg, "line").len(), 6);
    assert!(svg.contains(r#"<line x1="40" y1="52" x2="708" y2="52""#));
}

#[test]
fn none_leaves_a_gap() {
    let cats = categories(&["1", "2", "3", "4", "5"]);
    let s = [series("s", &[Some(1), Some(2), None, Some(3), Some(4)])];
    let svg = line(&chart(&cats, &s));
    assert_well_formed(&svg);
    assert_eq!(tags(&svg, "polyline").len(), 2);
    assert_eq!(tags(&svg, "circle").len(), 4);
    // a lone point is a circle only; values past the categories' end are None
    let s = [series("s", &[Some(1), None, Some(2)])];
    let svg = line(&chart(&cats, &s));
    assert_eq!(tags(&svg, "polyline").len(), 0);
    assert_eq!(tags(&svg, "circle").len(), 2);
}

#[test]
fn stacked_bar_heights_add_up() {
    let cats = categories(&["q1"]);
    let s = [
        series("a", &[Some(30)]),
        series("b", &[Some(20)]),
        series("c", &[Some(50)]),
    ];
    let svg = bars(&chart(&cats, &s), true);
    assert_well_formed(&svg);
    // the legend squares are 10 wide, the bar parts wider
    let parts: Vec<_> = tags(&svg, "rect")
        .into_iter()
        .filter(|r| attr(r, "width") > 10)
        .collect();
    assert_eq!(parts.len(), 3);
    // 30 + 20 + 50 = 100 = the axis top: the parts fill the plot, 268 − 52 = 216
    let total: i128 = parts.iter().map(|r| attr(r, "height")).sum();
    assert_eq!(total, 216);
    for pair in parts.windows(2) {
        assert_eq!(
            attr(pair[1], "y") + attr(pair[1], "height"),
            attr(pair[0], "y")
        );
    }
    assert_eq!(attr(parts[0], "y") + attr(parts[0], "height"), 268);
}

#[test]
fn grouped_bars_sit_side_by_side() {
    let cats = categories(&["x", "y"]);
    let s = [
        series("a", &[Some(10), Some(20)]),
        series("b", &[Some(40), None]),
    ];
    let svg = bars(&chart(&cats, &s), false);
    assert_well_formed(&svg);
    let parts: Vec<_> = tags(&svg, "rect")
        .into_iter()
        .filter(|r| attr(r, "width") > 10)
        .collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(
        attr(parts[0], "x") + attr(parts[0], "width"),
        attr(parts[1], "x")
    );
    assert!(svg.contains("<title>x · b: 40</title>"));
}

#[test]
fn negative_values() {
    let cats = categories(&["a", "b"]);
    let s = [series("s", &[Some(-30), Some(70)])];
    let svg = bars(&chart(&cats, &s), false);
    assert_well_formed(&svg);
    // axis −50..75 (step 25); the zero line is drawn darker
    assert!(svg.contains(">-50</text>") && svg.contains(">75</text>"));
    let zero = tags(&svg, "line")
        .into_iter()
        .find(|l| l.contains("#9aa3b2"))
        .expect("a zero line");
    let zero_y = attr(zero, "y1");
    let parts: Vec<_> = tags(&svg, "rect")
        .into_iter()
        .filter(|r| attr(r, "width") > 10)
        .collect();
    assert_eq!(attr(parts[0], "y"), zero_y); // −30 hangs from the zero line
    assert_eq!(attr(parts[1], "y") + attr(parts[1], "height"), zero_y); // 70 stands on it
    // stacked: negatives stack downwards from zero, positives upwards
    let s = [
        series("p", &[Some(40), Some(5)]),
        series("n", &[Some(-20), Some(-60)]),
    ];
    let svg = bars(&chart(&cats, &s), true);
    assert_well_formed(&svg);
    // a: +40 and −20, b: +5 and −60 → −60..40, step 20
    assert!(svg.contains(">-60</text>") && svg.contains(">40</text>"));
    let svg = line(&chart(&cats, &s));
    assert_well_formed(&svg);
}

#[test]
fn escapes_text() {
    let cats = categories(&["<script>alert(1)</script>", "b&c"]);
    let s = [series("<script>x</script>", &[Some(1), Some(2)])];
    let title = "\"quoted\" & <b>";
    let fmt = |v: i64| format!("<{v}>");
    let c = Chart {
        title,
        categories: &cats,
        series: &s,
        format: &fmt,
    };
    for svg in [line(&c), bars(&c, false), bars(&c, true)] {
        assert_well_formed(&svg);
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(svg.contains("&lt;script&gt;x&lt;/script&gt;"));
        assert!(svg.contains("b&amp;c") && svg.contains("&lt;1&gt;"));
        assert!(svg.contains("<title>&quot;quoted&quot; &amp; &lt;b&gt;</title>"));
    }
    let parts = [("<script>".to_string(), 1)];
    let svg = share_bar("<t>", &parts, &fmt);
    assert_well_formed(&svg);
    assert!(svg.contains("&lt;script&gt;"));
}

#[test]
fn empty_charts() {
    let none: Vec<String> = Vec::new();
    let cats = categories(&["a", "b"]);
    let blank = [series("s", &[None, None])];
    let empties = [
        line(&chart(&none, &blank)),
        line(&chart(&cats, &blank)),
        line(&chart(&cats, &[])),
        bars(&chart(&cats, &blank), false),
        bars(&chart(&none, &blank), true),
        share_bar("Shares", &[], &plain),
        share_bar("Shares", &[("a".to_string(), 0)], &plain),
    ];
    for svg in empties {
        assert_well_formed(&svg);
        assert!(svg.contains(NO_DATA), "{svg}");
        assert!(svg.contains(r#"viewBox="0 0 720 60""#));
        assert!(!svg.contains("<circle") && !svg.contains("<polyline"));
    }
}

#[test]
fn x_labels_thinned() {
    let names: Vec<String> = (1..=40).map(|m| format!("m{m}")).collect();
    let values: Vec<Option<i64>> = (1..=40).map(Some).collect();
    let s = [series("s", &values)];
    let svg = line(&chart(&names, &s));
    assert_well_formed(&svg);
    let shown = names
        .iter()
        .filter(|n| svg.contains(&format!(">{n}</text>")));
    // stride max(⌈40 / 12⌉ = 4, ⌈(18 + 8) × 40 / 668⌉ = 2) = 4: 0, 4, …, 32 and 39 (36 makes way)
    assert_eq!(shown.count(), 10);
    assert_eq!(x_labels(40, 18, 668), [0, 4, 8, 12, 16, 20, 24, 28, 32, 39]);
    assert_eq!(x_labels(18, 42, 650), [0, 2, 4, 6, 8, 10, 12, 14, 17]); // 50 × 18 / 650 → 2
    assert_eq!(x_labels(5, 42, 650), [0, 1, 2, 3, 4]);
    assert_eq!(x_labels(1, 42, 650), [0]);
    assert!(x_labels(1000, 6, 668).len() <= 12);
    assert!(svg.contains(">m1</text>") && svg.contains(">m40</text>"));
    assert_eq!(tags(&svg, "circle").len(), 40);
}

#[test]
fn share_bar_parts() {
    let parts: Vec<(String, i64)> = [
        ("正常 Pass", 700),
        ("关注 Special", 0),
        ("次级", 200),
        ("可疑", 100),
    ]
    .iter()
    .map(|(n, v)| ((*n).to_string(), *v))
    .collect();
    let svg = share_bar("五级分类 Classes", &parts, &plain);
    assert_well_formed(&svg);
    assert!(svg.contains(r#"viewBox="0 0 720 80""#));
    let bar: Vec<_> = tags(&svg, "rect")
        .into_iter()
        .filter(|r| attr(r, "y") == 26)
        .collect();
    assert_eq!(bar.len(), 3); // the 0 part is skipped
    // 704 wide: 700 / 1000 → 492.8 → 493; then 900 / 1000 → 633.6 → 634
    let widths: Vec<i128> = bar.iter().map(|r| attr(r, "width")).collect();
    assert_eq!(widths, [493, 141, 70]);
    // each part keeps its index's colour
    assert!(bar[1].contains(PALETTE[2]));
    assert!(svg.contains("<title>次级: 200 (20.0%)</title>"));
    assert!(svg.contains(">正常 Pass 70.0%</text>"));
}

#[test]
fn extreme_values_do_not_overflow() {
    let cats = categories(&["a", "b"]);
    let s = [
        series("max", &[Some(i64::MAX), Some(i64::MIN)]),
        series("max2", &[Some(i64::MAX), Some(i64::MIN)]),
    ];
    for svg in [
        line(&chart(&cats, &s)),
        bars(&chart(&cats, &s), false),
        bars(&chart(&cats, &s), true),
    ] {
        assert_well_formed(&svg);
    }
    let parts = [("a".to_string(), i64::MAX), ("b".to_string(), i64::MAX)];
    assert_well_formed(&share_bar("big", &parts, &plain));
}
