//! Progress on the terminal for what takes a while: imports, exports and
//! long listings. Drawn on stderr only when it is a terminal, so scripts
//! and pipes see nothing of it; the closing line stays on screen.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::Duration;

/// A spinner with a message, for a step whose size is unknown.
pub fn spinner(message: impl Into<String>) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(message.into());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// A counter of rows, with the total when it is known.
pub fn rows(message: impl Into<String>, total: Option<u64>) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
    let template = match total {
        Some(_) => "{msg} [{bar:30}] {human_pos}/{human_len} ({eta})",
        None => "{spinner} {msg}: {human_pos} ({per_sec})",
    };
    bar.set_style(
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(message.into());
    if total.is_none() {
        bar.enable_steady_tick(Duration::from_millis(120));
    }
    bar
}

/// Ends a progress display with a line that stays.
pub fn done(bar: &ProgressBar, message: impl Into<String>) {
    bar.set_style(
        ProgressStyle::with_template("✓ {msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.finish_with_message(message.into());
}
