//! A chart (or two) for each experiment's section, from its saved
//! results: compare's bars, gc's pauses, access' nanoseconds per read and
//! write, sweep's lines, the stream's bytes per reading, ingest's speed,
//! bytes and latency, and a census' bytes per instance.

use super::bars::{Bar, BarChart, Group};
use super::chart::{self, Chart, ChartError};
use super::front::{by_layout, compare_charts, runtime_key, runtime_name};
use super::svg::number;
use crate::measure::census::Census;
use crate::measure::{Measurement, Section, keys};

/// The charts of `section`, in the order shown.
pub fn section_charts(section: &Section) -> Result<Vec<Chart>, ChartError> {
    let ms = &section.results.measurements;
    let bars = match section.experiment.as_str() {
        "compare" | "seed" => compare_charts(ms),
        "gc" => gc_charts(ms),
        "access" => vec![access_chart(ms)],
        "sweep" if !ms.is_empty() => return chart::sweep_charts(&section.results),
        "stream" => vec![stream_chart(ms)],
        "ingest" => ingest_charts(ms),
        "census" => section.results.census.iter().map(census_chart).collect(),
        "store" => vec![store_chart(ms)],
        _ => Vec::new(),
    };
    Ok(bars
        .into_iter()
        .filter(|c| !c.is_empty())
        .map(|c| Chart {
            stem: "bars",
            title: c.title.clone(),
            svg: c.svg(),
        })
        .collect())
}

fn extra(m: &Measurement, key: &str) -> Option<f64> {
    m.extra.get(key).copied()
}

/// Full-collection pauses, Rust and CPython, and CPython's collections
/// during the build.
fn gc_charts(ms: &[Measurement]) -> Vec<BarChart> {
    let n = ms.first().map_or(0, |m| m.n);
    let during: Vec<&Measurement> = ms
        .iter()
        .filter(|m| extra(m, keys::BUILD_COLLECTIONS).is_some())
        .collect();
    vec![
        BarChart {
            title: format!(
                "One full collection with {} objects alive",
                number(n as f64)
            ),
            unit: "ms per pause".to_owned(),
            groups: by_layout(ms, |_| true, |m| m.time.median_s * 1e3),
            key: runtime_key(),
        },
        BarChart {
            title: "CPython's own collections while building them".to_owned(),
            unit: "ms of pauses in all".to_owned(),
            groups: during
                .iter()
                .map(|m| Group {
                    label: m.layout.clone(),
                    bars: vec![Bar {
                        text: Some(format!(
                            "{} ms, {} collections",
                            number(extra(m, keys::BUILD_PAUSE_TOTAL_S).unwrap_or(0.0) * 1e3),
                            number(extra(m, keys::BUILD_COLLECTIONS).unwrap_or(0.0))
                        )),
                        ..Bar::new(
                            runtime_name(m),
                            m.layout.clone(),
                            extra(m, keys::BUILD_PAUSE_TOTAL_S).unwrap_or(0.0) * 1e3,
                        )
                    }],
                })
                .collect(),
            key: None,
        },
    ]
}

/// Nanoseconds per read and per write, by route (`slots · by name`).
fn access_chart(ms: &[Measurement]) -> BarChart {
    let mut groups: Vec<Group> = Vec::new();
    for m in ms {
        let Some(ns) = extra(m, keys::NS_PER_OP) else {
            continue;
        };
        let (route, op) = m.layout.rsplit_once(" · ").unwrap_or((&m.layout, ""));
        let (layout, how) = route.split_once(" · ").unwrap_or((route, ""));
        let label = format!(
            "{layout} · {}",
            if m.runtime.is_rust() { how } else { "r.value" }
        );
        let bar = Bar {
            pale: op == "write",
            ..Bar::new(format!("{} {op}", runtime_name(m)), layout, ns)
        };
        match groups.iter_mut().find(|g| g.label == label) {
            Some(g) => g.bars.push(bar),
            None => groups.push(Group {
                label,
                bars: vec![bar],
            }),
        }
    }
    BarChart {
        title: "Reading and writing .value".to_owned(),
        unit: "ns per operation".to_owned(),
        groups,
        key: Some(("read".to_owned(), "write".to_owned())),
    }
}

/// Bytes per reading for the stream, the whole-series codecs and the
/// layouts holding the same readings.
fn stream_chart(ms: &[Measurement]) -> BarChart {
    let n = ms.first().map_or(0, |m| m.n);
    let bytes = |m: &Measurement| extra(m, keys::BYTES_PER_READING).unwrap_or(m.bytes_per_object);
    // The stream row's method names the dataset: "stream: <what>
    // appended one by one …".
    let dataset = ms
        .iter()
        .find_map(|m| m.method.strip_prefix("stream: "))
        .and_then(|rest| rest.split(" appended").next())
        .unwrap_or("the events");
    BarChart {
        title: format!("Bytes per reading: {dataset}, {} events", number(n as f64)),
        unit: "bytes per reading".to_owned(),
        groups: ms
            .iter()
            .map(|m| Group {
                // `stream (hand-written codecs, …)`, `pco, whole series`:
                // the name before the explanation.
                label: m
                    .layout
                    .split([',', '('])
                    .next()
                    .unwrap_or(&m.layout)
                    .trim()
                    .to_owned(),
                bars: vec![Bar {
                    pale: !m.runtime.is_rust(),
                    ..Bar::new(runtime_name(m), m.layout.clone(), bytes(m))
                }],
            })
            .collect(),
        key: None,
    }
}

/// Events per second, bytes held per event, and latency percentiles.
fn ingest_charts(ms: &[Measurement]) -> Vec<BarChart> {
    let per_layout =
        |key: &'static str, scale: f64| move |m: &Measurement| extra(m, key).unwrap_or(0.0) * scale;
    let has = |key: &'static str| move |m: &Measurement| extra(m, key).is_some();
    let latency = ms
        .iter()
        .filter(|m| extra(m, keys::LATENCY_P50_US).is_some())
        .map(|m| Group {
            label: m.layout.clone(),
            bars: [
                ("p50", keys::LATENCY_P50_US),
                ("p99", keys::LATENCY_P99_US),
                ("max", keys::LATENCY_MAX_US),
            ]
            .into_iter()
            .filter_map(|(name, key)| {
                Some(Bar {
                    pale: name != "p50",
                    ..Bar::new(name, m.layout.clone(), extra(m, key)? / 1e3)
                })
            })
            .collect(),
        })
        .collect();
    vec![
        BarChart {
            title: "Events per second through the pipeline".to_owned(),
            unit: "million events per second".to_owned(),
            groups: by_layout(
                ms,
                has(keys::EVENTS_PER_S),
                per_layout(keys::EVENTS_PER_S, 1e-6),
            ),
            key: None,
        },
        BarChart {
            title: "Bytes held per event".to_owned(),
            unit: "bytes per event".to_owned(),
            groups: by_layout(
                ms,
                has(keys::BYTES_PER_EVENT),
                per_layout(keys::BYTES_PER_EVENT, 1.0),
            ),
            key: None,
        },
        BarChart {
            title: "Latency from creation to stored".to_owned(),
            unit: "ms".to_owned(),
            groups: latency,
            key: Some(("p50".to_owned(), "p99, max".to_owned())),
        },
    ]
}

/// A store's bytes per event, by column and on disk.
fn store_chart(ms: &[Measurement]) -> BarChart {
    BarChart {
        title: format!(
            "The store: bytes per event, {} events",
            number(ms.first().map_or(0, |m| m.n) as f64)
        ),
        unit: "bytes per event".to_owned(),
        groups: ms
            .iter()
            .map(|m| Group {
                label: m.layout.clone(),
                bars: vec![Bar::new("", "stream", m.bytes_per_object)],
            })
            .collect(),
        key: None,
    }
}

/// Bytes per instance as the program has them and with `__slots__`, for
/// the classes that save the most.
fn census_chart(census: &Census) -> BarChart {
    let groups = census
        .ranked()
        .into_iter()
        .filter_map(|class| {
            let (now, slots) = (class.bytes_now?, class.bytes_slots?);
            Some(Group {
                label: format!("{} ×{}", class.qualname, number(class.instances as f64)),
                bars: vec![
                    Bar::new("as it is", "dict", now),
                    Bar::new("with __slots__", "slots", slots),
                ],
            })
        })
        .take(12)
        .collect();
    BarChart {
        title: "Your classes: bytes per instance, as they are and with __slots__".to_owned(),
        unit: "bytes per instance".to_owned(),
        groups,
        key: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::Results;
    use crate::measure::fixtures::measurement;

    fn row(runtime: &str, layout: &str, extras: &[(&str, f64)]) -> Measurement {
        let mut m = measurement(layout, 0, &[0.002]);
        m.runtime = runtime.parse().unwrap();
        m.extra = extras.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect();
        m
    }

    fn charts(experiment: &str, measurements: Vec<Measurement>) -> Vec<Chart> {
        section_charts(&Section {
            experiment: experiment.into(),
            results: Results {
                measurements,
                ..Results::default()
            },
        })
        .unwrap()
    }

    #[test]
    fn gc_shows_pauses_and_cpythons_collections_during_the_build() {
        let got = charts(
            "gc",
            vec![
                row("rust", "slots", &[]),
                row(
                    "cpython-3.11.7",
                    "slots",
                    &[
                        (keys::BUILD_COLLECTIONS, 28.0),
                        (keys::BUILD_PAUSE_TOTAL_S, 0.0004),
                    ],
                ),
            ],
        );
        assert_eq!(got.len(), 2);
        assert!(got[0].svg.contains(">2.00</text>"), "2 ms pauses");
        assert!(got[1].svg.contains(">0.400 ms, 28.0 collections</text>"));
    }

    #[test]
    fn access_groups_reads_and_writes_by_route() {
        let got = charts(
            "access",
            vec![
                row("rust", "slots · by name · read", &[(keys::NS_PER_OP, 6.1)]),
                row("rust", "slots · by name · write", &[(keys::NS_PER_OP, 3.7)]),
                row(
                    "cpython-3.11.7",
                    "slots · r.value · read",
                    &[(keys::NS_PER_OP, 19.2)],
                ),
            ],
        );
        let svg = &got[0].svg;
        assert_eq!(svg.matches("<rect x=").count(), 3);
        assert!(svg.contains(">slots · by name</text>") && svg.contains(">slots · r.value</text>"));
        assert!(svg.contains(">Rust write</text>"));
    }

    #[test]
    fn ingest_shows_speed_bytes_and_latency() {
        let extras = [
            (keys::EVENTS_PER_S, 8.0e6),
            (keys::BYTES_PER_EVENT, 40.5),
            (keys::LATENCY_P50_US, 1035.0),
            (keys::LATENCY_P99_US, 1300.0),
            (keys::LATENCY_MAX_US, 1329.0),
        ];
        let got = charts(
            "ingest",
            vec![
                row("rust", "slots", &extras),
                row("rust", "stream", &extras),
            ],
        );
        assert_eq!(got.len(), 3);
        assert!(
            got[0].svg.contains(">8.00</text>") && got[0].svg.contains("million events per second")
        );
        assert!(got[1].svg.contains(">40.5</text>"));
        assert!(got[2].svg.contains(">1.30</text>") && got[2].svg.contains(">p99</text>"));
    }

    #[test]
    fn the_stream_is_shown_next_to_the_codecs_and_layouts_on_its_dataset() {
        let mut stream = row(
            "rust",
            "stream (hand-written codecs, pco where it pays)",
            &[(keys::BYTES_PER_READING, 0.58)],
        );
        stream.method =
            "stream: a fleet of 100 sensors (seed 42) appended one by one into chunks".into();
        let got = charts(
            "stream",
            vec![
                stream,
                row(
                    "rust",
                    "zstd-3, raw records",
                    &[(keys::BYTES_PER_READING, 3.7)],
                ),
                row("cpython-3.11.7 (tracemalloc)", "slots", &[]),
            ],
        );
        let svg = &got[0].svg;
        assert!(svg.contains(
            "<title>Bytes per reading: a fleet of 100 sensors (seed 42), 1,000 events</title>"
        ));
        assert!(svg.contains(">stream</text>") && svg.contains(">zstd-3</text>"));
        assert!(svg.contains(">0.580</text>") && svg.contains(">3.70</text>"));
        assert!(!svg.contains("log scale"), "0.58 to 3.7 fits a linear axis");
    }

    #[test]
    fn a_section_with_nothing_to_chart_has_no_chart() {
        assert!(charts("ingest", Vec::new()).is_empty());
        assert!(charts("sweep", Vec::new()).is_empty());
        assert!(charts("unknown", vec![row("rust", "slots", &[])]).is_empty());
    }
}
