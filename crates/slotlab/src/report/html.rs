//! One self-contained HTML page: the lesson's claims, then each
//! experiment's table, charts (inline SVG), notes and methods. No scripts,
//! no fonts, no requests: it opens from a file anywhere.

use super::chart::Chart;
use super::{display_rows, methods};
use crate::measure::Verdict;
use crate::measure::{Section, Suite};
use std::fmt::Write;

/// `&`, `<`, `>`, `"`, `'` escaped for HTML text and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// What a section is called and what it shows.
fn heading(experiment: &str) -> (&'static str, &'static str) {
    match experiment {
        "compare" => (
            "Every layout, side by side",
            "The lesson's exercise — build N readings, sum .value — for every layout in Rust and CPython, with ratios against CPython's dict and slots classes.",
        ),
        "gc" => (
            "Collector pauses",
            "How long a tracing collector pauses with N objects alive: the Rust model's full trace and CPython's gc.collect(), and every collection CPython ran during the build.",
        ),
        "access" => (
            "Attribute access",
            "Nanoseconds per read and write of .value, by every route Rust and CPython take to it.",
        ),
        "sweep" => (
            "Growth with N",
            "Time and bytes per object as N grows: does the gap per object grow, or only the total?",
        ),
        "stream" => (
            "The event stream",
            "Bytes per event and encode/decode speed of the compressed event stream, next to whole-series codecs and the same events held as records and slots objects.",
        ),
        "ingest" => (
            "High-volume ingestion",
            "The same events through a source → parse → store pipeline into each layout in turn: events per second, bytes held per event, latency from creation to stored, and events accepted, stored, dropped and rejected.",
        ),
        "census" => (
            "Your program",
            "Live objects of your program by class when it ended, what __slots__ would save per class (measured on copies, as it is and with __slots__), whether each class can take them and the exact change.",
        ),
        "seed" => (
            "The lesson's exercise",
            "Build N readings, sum .value, measure time and peak memory.",
        ),
        _ => ("Results", ""),
    }
}

const STYLE: &str = "body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}\
h1{margin-bottom:0.2em}table{border-collapse:collapse;margin:1em 0;font-size:0.9em}\
th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f3f3f3}\
td:nth-child(-n+2),th:nth-child(-n+2){text-align:left}.held{color:#1a7f37}.not_held{color:#c62828}\
.not_measured{color:#777}.claims td{text-align:left}.caption{color:#555}.method{color:#555;font-size:0.85em}\
figure{margin:1em 0}figure svg{max-width:100%;height:auto}";

fn verdict_class(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Held => "held",
        Verdict::NotHeld => "not_held",
        Verdict::NotMeasured => "not_measured",
    }
}

fn table(out: &mut String, section: &Section) {
    let display = display_rows(&section.results.measurements);
    if let Some(caption) = &display.caption {
        let _ = writeln!(out, "<p class=\"caption\">{}</p>", escape(caption));
    }
    out.push_str("<table>\n<tr>");
    for header in &display.headers {
        let _ = write!(out, "<th>{}</th>", escape(header));
    }
    out.push_str("</tr>\n");
    for row in &display.rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{}</td>", escape(cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

/// The page. `about` describes the run (machine, versions); `charts` go
/// into the section of their experiment.
pub fn render_html(about: &str, suite: &Suite, charts: &[(String, Chart)]) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>slotlab report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>slotlab: what an object's memory layout costs</h1>\n<p class=\"caption\">{}</p>\n",
        escape(about)
    );
    let claims: Vec<_> = suite
        .sections
        .iter()
        .flat_map(|s| {
            s.results
                .claims
                .iter()
                .map(move |c| (s.experiment.as_str(), c))
        })
        .collect();
    if !claims.is_empty() {
        out.push_str(
            "<h2>The lesson's claims, checked against these figures</h2>\n\
             <table class=\"claims\">\n<tr><th>claim</th><th>verdict</th><th>evidence</th><th>from</th></tr>\n",
        );
        for (experiment, claim) in claims {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td></tr>",
                escape(&claim.claim),
                verdict_class(claim.verdict),
                escape(claim.verdict.label()),
                escape(&claim.evidence),
                escape(experiment)
            );
        }
        out.push_str("</table>\n");
    }
    for section in &suite.sections {
        let (title, intro) = heading(&section.experiment);
        let _ = writeln!(
            out,
            "<section id=\"{}\">\n<h2>{}</h2>\n<p>{}</p>",
            escape(&section.experiment),
            escape(title),
            escape(intro)
        );
        if !section.results.measurements.is_empty() {
            table(&mut out, section);
        }
        if let Some(census) = &section.results.census {
            census_table(&mut out, census);
        }
        for (experiment, chart) in charts {
            if *experiment == section.experiment {
                let _ = writeln!(
                    out,
                    "<figure>\n{}\n<figcaption>{}</figcaption>\n</figure>",
                    chart.svg,
                    escape(&chart.title)
                );
            }
        }
        for note in &section.results.notes {
            let _ = writeln!(out, "<p class=\"method\">Note: {}</p>", escape(note));
        }
        for method in methods(&section.results.measurements) {
            let _ = writeln!(out, "<p class=\"method\">Measured: {}.</p>", escape(method));
        }
        out.push_str("</section>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// A census as a table, its totals and the change for each class.
fn census_table(out: &mut String, census: &crate::measure::census::Census) {
    let _ = writeln!(
        out,
        "<p>{} — {}</p>\n<table>\n<tr>{}</tr>",
        escape(&census.program.join(" ")),
        escape(&super::census::totals(census)),
        super::census::HEADERS
            .iter()
            .map(|h| format!("<th>{}</th>", escape(h)))
            .collect::<String>()
    );
    for class in census.ranked() {
        let cells: String = super::census::row(class)
            .iter()
            .map(|c| format!("<td>{}</td>", escape(c)))
            .collect();
        let _ = writeln!(out, "<tr>{cells}</tr>");
    }
    out.push_str("</table>\n<ul>\n");
    for class in census.ranked() {
        let _ = writeln!(out, "<li>{}</li>", escape(&super::census::advice(class)));
    }
    out.push_str("</ul>\n");
    let lines = super::census::verification(census);
    if let Some((first, rest)) = lines.split_first() {
        let _ = writeln!(out, "<p>{}</p>\n<ul>", escape(first));
        for line in rest {
            let _ = writeln!(out, "<li>{}</li>", escape(line.trim()));
        }
        out.push_str("</ul>\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::Results;
    use crate::measure::fixtures::compare_like;

    /// A census as `census --format json` writes it (trimmed).
    const CENSUS_JSON: &str = r#"{"program": ["app.py"], "python_version": "3.11.7",
        "ended": "exit", "status": 0, "error": null, "program_s": 0.1, "objects": 125000,
        "counted_s": 0.01, "sampled_s": 0.1, "rss_bytes": 36000000, "min_instances": 1000,
        "sample_max": 1000, "copies": 1000, "classes": [{"module": "__main__",
        "qualname": "Reading", "file": "/x/app.py", "line": 2, "own": true,
        "instances": 100000, "sampled": 1000,
        "attr_sets": [{"attrs": ["timestamp", "value"], "instances": 1000}],
        "bytes_now": 88.0, "bytes_slots": 48.0, "verdict": "ready", "reason": null,
        "slots": ["timestamp", "value"], "bases": [], "weakrefs": false}]}"#;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
    }

    #[test]
    fn a_self_contained_page_with_claims_tables_and_charts() {
        let suite = Suite {
            sections: vec![Section {
                experiment: "compare".into(),
                results: compare_like(),
            }],
        };
        let chart = Chart {
            stem: "x",
            title: "A <chart>".into(),
            svg: "<svg id=\"c\"></svg>".into(),
        };
        let page = render_html("N = 1,000; 2 cores", &suite, &[("compare".into(), chart)]);
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("<td class=\"held\">held</td>"));
        assert!(page.contains("<th>time ÷ CPython slots</th>"));
        assert!(page.contains("<svg id=\"c\"></svg>"));
        assert!(page.contains("<figcaption>A &lt;chart&gt;</figcaption>"));
        assert!(page.contains("Note: dataclass(slots) skipped"));
        // A census renders as "Your program": its classes and the change.
        let census: crate::measure::census::Census = serde_json::from_str(CENSUS_JSON).unwrap();
        let suite = Suite {
            sections: vec![Section {
                experiment: "census".into(),
                results: Results {
                    census: Some(census),
                    ..Results::default()
                },
            }],
        };
        let page = render_html("saved", &suite, &[]);
        assert!(page.contains("<h2>Your program</h2>"));
        assert!(page.contains("<td>__main__.Reading</td>"));
        assert!(page.contains("__slots__ = (&quot;timestamp&quot;, &quot;value&quot;)"));
        assert!(
            !page.contains("<th>implementation</th>"),
            "no empty measurement table"
        );
        // Nothing is fetched: no scripts, links, external images or URLs.
        for forbidden in ["<script", "<link", "src=", "http://", "https://"] {
            assert!(!page.contains(forbidden), "{forbidden}");
        }
    }
}
