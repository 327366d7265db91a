//! Progress on stderr (indicatif): hidden with --quiet, and by indicatif
//! itself when stderr is not a terminal.

use indicatif::{ProgressBar, ProgressStyle};

/// A bar over a known number of steps, or a spinner.
pub struct Progress {
    bar: ProgressBar,
    finished: u64,
}

impl Progress {
    /// A bar of `total` steps.
    pub fn bar(quiet: bool, total: u64, prefix: String) -> Self {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(total)
        };
        if let Ok(style) = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg}") {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(prefix);
        Self { bar, finished: 0 }
    }

    /// A spinner, for work whose length is not known up front.
    pub fn spinner(quiet: bool, prefix: String) -> Self {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new_spinner()
        };
        if let Ok(style) = ProgressStyle::with_template("{prefix} {spinner} {elapsed} {msg}") {
            bar.set_style(style);
        }
        bar.set_prefix(prefix);
        Self { bar, finished: 0 }
    }

    /// A step starts: shows its label; the bar counts the steps finished.
    pub fn step(&mut self, label: &str) {
        self.bar.set_message(label.to_owned());
        self.bar.set_position(self.finished);
        self.bar.tick();
        self.finished += 1;
    }

    /// Clears the bar.
    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}
