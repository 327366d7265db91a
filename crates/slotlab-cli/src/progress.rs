//! Progress on stderr (indicatif): hidden with --quiet, and by indicatif
//! itself when stderr is not a terminal. The library says how many steps
//! there are and what each is; this draws them.

use indicatif::{ProgressBar, ProgressStyle};
use slotlab::ingest::Stop;

/// A bar over a known number of steps, or a spinner; nothing until the
/// experiment begins.
pub struct Progress {
    quiet: bool,
    bar: Option<ProgressBar>,
    finished: u64,
    /// Said after every line once a stop has been asked for (ingest).
    stop: Option<Stop>,
}

impl Progress {
    /// Progress on stderr, or none with `quiet`.
    pub fn new(quiet: bool) -> Self {
        Self {
            quiet,
            bar: None,
            finished: 0,
            stop: None,
        }
    }

    /// Progress that says, once `stop` is asked for, that the run is
    /// stopping.
    pub fn stopping_on(mut self, stop: Stop) -> Self {
        self.stop = Some(stop);
        self
    }

    /// Clears the bar.
    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

impl slotlab::lab::experiment::Progress for Progress {
    fn begin(&mut self, title: &str, total: Option<u64>) {
        let (bar, template) = match (self.quiet, total) {
            (true, _) => (ProgressBar::hidden(), "{prefix}"),
            (false, Some(total)) => (
                ProgressBar::new(total),
                "{prefix} [{bar:30}] {pos}/{len} {msg}",
            ),
            (false, None) => (
                ProgressBar::new_spinner(),
                "{prefix} {spinner} {elapsed} {msg}",
            ),
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(title.to_owned());
        self.bar = Some(bar);
        self.finished = 0;
    }

    /// A step starts: shows its label; the bar counts the steps finished.
    fn step(&mut self, label: &str) {
        let Some(bar) = &self.bar else { return };
        let mut line = label.to_owned();
        if self.stop.as_ref().is_some_and(Stop::requested) {
            line.push_str(" — stopping, storing what was accepted (Ctrl-C again quits)");
        }
        bar.set_message(line);
        bar.set_position(self.finished);
        bar.tick();
        self.finished += 1;
    }
}
