//! One self-contained HTML page: a first screen that answers the lesson
//! (bytes and time per layout, each claim in a line, how it was measured),
//! then each experiment's charts (inline SVG), table, notes and methods.
//! No scripts, no fonts, no requests: it opens from a file anywhere, in a
//! light or dark scheme, and prints a section to a page.

use super::chart::{Chart, ChartError};
use super::svg::escape;
use super::{display_rows, figures, front, methods, svg};
use crate::measure::Verdict;
use crate::measure::{Section, Suite};
use std::fmt::Write;

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
        "store" => (
            "The store",
            "A saved stream or store read back: the bytes each column holds per event, on disk in all, and the codecs its chunks use.",
        ),
        "seed" => (
            "The lesson's exercise",
            "Build N readings, sum .value, measure time and peak memory.",
        ),
        _ => ("Results", ""),
    }
}

const STYLE: &str = "\
:root{color-scheme:light dark;--fg:#1d1d1f;--bg:#fff;--muted:#5f6368;--line:#ccc;--head:#f1f3f4}\
@media (prefers-color-scheme:dark){:root{--fg:#e8eaed;--bg:#16181d;--muted:#a0a4aa;--line:#3c4043;--head:#23262c}}\
body{font-family:system-ui,sans-serif;max-width:1200px;margin:1.5em auto;padding:0 1em;color:var(--fg);background:var(--bg)}\
h1{margin:0 0 0.3em;font-size:1.6em}h2{margin-top:1.6em}\
.lede{margin:0 0 0.5em}.caption,.method,footer{color:var(--muted)}.method,footer{font-size:0.85em}\
.pair{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,440px),1fr));gap:0.5em 1.5em}\
figure{margin:0.5em 0;min-width:0}figure svg{display:block;width:100%;height:auto}\
figcaption{color:var(--muted);font-size:0.85em}\
.chart text{fill:currentColor;font-family:system-ui,sans-serif;font-size:12px}\
.chart .chart-title{font-size:14px;font-weight:600}.chart .group{font-weight:600}.chart .tick,.chart .legend{font-size:11.5px}\
.scroll{overflow-x:auto;max-width:100%}\
table{border-collapse:collapse;margin:0.8em 0;font-size:0.88em}\
th,td{border:1px solid var(--line);padding:4px 8px;text-align:right}th{background:var(--head)}\
td:nth-child(-n+2),th:nth-child(-n+2){text-align:left}\
.held{color:#1a7f37}.not_held{color:#c62828}.not_measured{color:var(--muted)}\
@media (prefers-color-scheme:dark){.held{color:#57d163}.not_held{color:#ff8a80}}\
ul.claims{list-style:none;padding:0;margin:0.4em 0}\
ul.claims li{margin:0.3em 0;display:grid;grid-template-columns:11em 1fr;gap:0 0.6em}\
.verdict{font-weight:600}.from{color:var(--muted);font-size:0.85em}\
nav{margin:1em 0;font-size:0.9em}nav a{margin-right:1em;color:inherit}\
@media print{nav{display:none}section.experiment{break-before:page}figure,table,ul.claims li{break-inside:avoid}\
body{max-width:none}}";

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
    out.push_str("<div class=\"scroll\"><table>\n<tr>");
    for header in &display.headers {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(header));
    }
    out.push_str("</tr>\n");
    for row in &display.rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{}</td>", escape(cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table></div>\n");
}

/// Charts, two to a row where the page is wide enough.
fn figures(out: &mut String, charts: &[Chart]) {
    if charts.is_empty() {
        return;
    }
    out.push_str("<div class=\"pair\">\n");
    for chart in charts {
        // The SVG's own title says what it shows (and is read out).
        let _ = writeln!(out, "<figure>\n{}\n</figure>", chart.svg);
    }
    out.push_str("</div>\n");
}

/// The first screen: the lesson's answer in two charts, each claim in a
/// line, and how it was all measured.
fn first_screen(
    out: &mut String,
    about: &str,
    suite: &Suite,
    compare: Option<(&Section, &[Chart])>,
) {
    out.push_str(
        "<section id=\"answer\">\n<p class=\"lede\">Build N <code>Reading(timestamp, value)</code> \
         objects and sum <code>.value</code>: what each layout costs in bytes and in time, \
         Rust's model next to CPython, and whether the lesson's claims hold.</p>\n",
    );
    if let Some((_, charts)) = compare {
        figures(out, charts);
    }
    let claims = front::merged_claims(suite);
    if !claims.is_empty() {
        out.push_str("<h2>The lesson's claims, checked</h2>\n<ul class=\"claims\">\n");
        for merged in &claims {
            let claim = merged.claim;
            let _ = writeln!(
                out,
                "<li><span class=\"verdict {}\">{}</span> <span><strong>{}</strong> — {} \
                 <span class=\"from\">({})</span></span></li>",
                verdict_class(claim.verdict),
                escape(claim.verdict.label()),
                escape(&claim.claim),
                escape(front::headline(claim)),
                escape(merged.experiment)
            );
        }
        out.push_str(
            "</ul>\n<details><summary>The evidence in full</summary>\n<div class=\"scroll\"><table class=\"claims\">\n\
             <tr><th scope=\"col\">claim</th><th scope=\"col\">verdict</th><th scope=\"col\">evidence</th>\
             <th scope=\"col\">from</th></tr>\n",
        );
        for merged in &claims {
            let claim = merged.claim;
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td></tr>",
                escape(&claim.claim),
                verdict_class(claim.verdict),
                escape(claim.verdict.label()),
                escape(&claim.evidence),
                escape(merged.experiment)
            );
        }
        out.push_str("</table></div>\n</details>\n");
    }
    let _ = writeln!(out, "<footer>\n<p>{}</p>", escape(about));
    if let Some(m) = compare.and_then(|(s, _)| s.results.measurements.first()) {
        let _ = writeln!(
            out,
            "<p>N = {} readings per case; times are medians of {} measured runs after {} warm-up. \
             Rust's bytes are the heap bytes requested inside the measured window, counted by \
             slotlab's allocator; CPython's are tracemalloc's peak (its times come from untraced \
             runs). Every section below says how each of its figures was measured.</p>",
            svg::number(m.n as f64),
            m.repetitions,
            m.warmup
        );
    }
    out.push_str("</footer>\n</section>\n");
}

/// The page: the first screen, then a section per experiment with its
/// charts, table, notes and methods. `about` describes the run (machine,
/// versions, N).
pub fn render_html(about: &str, suite: &Suite) -> Result<String, ChartError> {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>slotlab report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>slotlab: what an object's memory layout costs</h1>\n"
    );
    let charts = suite
        .sections
        .iter()
        .map(figures::section_charts)
        .collect::<Result<Vec<_>, _>>()?;
    // The first screen shows compare's charts (the lesson's own run).
    let compare = suite
        .sections
        .iter()
        .zip(&charts)
        .find(|(s, _)| s.experiment == "compare" || s.experiment == "seed")
        .map(|(s, c)| (s, c.as_slice()));
    first_screen(&mut out, about, suite, compare);
    out.push_str("<nav>");
    for section in &suite.sections {
        let _ = write!(
            out,
            "<a href=\"#{}\">{}</a>",
            escape(&section.experiment),
            escape(heading(&section.experiment).0)
        );
    }
    out.push_str("</nav>\n");
    for (section, charts) in suite.sections.iter().zip(&charts) {
        let (title, intro) = heading(&section.experiment);
        let _ = writeln!(
            out,
            "<section class=\"experiment\" id=\"{}\">\n<h2>{}</h2>\n<p>{}</p>",
            escape(&section.experiment),
            escape(title),
            escape(intro)
        );
        figures(&mut out, charts);
        if !section.results.measurements.is_empty() {
            table(&mut out, section);
        }
        if let Some(census) = &section.results.census {
            census_table(&mut out, census);
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
    Ok(out)
}

/// A census as a table, its totals and the change for each class.
fn census_table(out: &mut String, census: &crate::measure::census::Census) {
    let _ = writeln!(
        out,
        "<p>{} — {}</p>\n<div class=\"scroll\"><table>\n<tr>{}</tr>",
        escape(&census.program.join(" ")),
        escape(&super::census::totals(census)),
        super::census::HEADERS
            .iter()
            .map(|h| format!("<th scope=\"col\">{}</th>", escape(h)))
            .collect::<String>()
    );
    for class in census.ranked() {
        let cells: String = super::census::row(class)
            .iter()
            .map(|c| format!("<td>{}</td>", escape(c)))
            .collect();
        let _ = writeln!(out, "<tr>{cells}</tr>");
    }
    out.push_str("</table></div>\n<ul>\n");
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
        let page = render_html("N = 1,000; 2 cores", &suite).unwrap();
        assert!(page.starts_with("<!DOCTYPE html>"));
        // The first screen: both bar charts, the claims a line each, the
        // footer saying how it was measured.
        let first =
            &page[page.find("<section id=\"answer\">").unwrap()..page.find("<nav>").unwrap()];
        assert_eq!(first.matches("<svg").count(), 2);
        assert!(first.contains("<title>Bytes per reading (N = 1,000)</title>"));
        assert!(first.contains(
            "<span class=\"verdict held\">held</span> <span><strong>Significant memory reduction</strong>"
        ));
        assert!(first.contains("<footer>") && first.contains("N = 1,000; 2 cores"));
        assert!(first.contains("medians of 3 measured runs after 1 warm-up"));
        // The section repeats the charts, with the table and notes.
        assert!(page.contains("<th scope=\"col\">time ÷ CPython slots</th>"));
        assert!(page.contains("Note: dataclass(slots) skipped"));
        assert_eq!(page.matches("<svg").count(), 4);
        assert!(
            page.contains("@media (prefers-color-scheme:dark)") && page.contains("@media print")
        );
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
        let page = render_html("saved", &suite).unwrap();
        assert!(page.contains("<h2>Your program</h2>"));
        assert!(page.contains("<td>__main__.Reading</td>"));
        assert!(page.contains("__slots__ = (&quot;timestamp&quot;, &quot;value&quot;)"));
        assert!(page.contains("<title>Your classes: bytes per instance"));
        assert!(
            !page.contains("<th scope=\"col\">implementation</th>"),
            "no empty measurement table"
        );
        // Nothing is fetched: no scripts, links, external images or URLs
        // (the SVG namespace is a name, not a request).
        let page = page.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        for forbidden in ["<script", "<link", "src=", "http://", "https://"] {
            assert!(!page.contains(forbidden), "{forbidden}");
        }
    }
}
