//! stderr as a person reads it: the progress bar of a scan, and warnings and errors in one
//! style (`shadowdesk: warning: FILE: what happened`), printed on lines of their own above
//! the bar rather than onto it.
//!
//! The bar is `indicatif`'s: it draws on a terminal only, at most 20 times a second, keeps a
//! rate over the last seconds for the ETA, and its `suspend` lets another line through. The
//! subscriber's writer ([`Stderr`]) goes through the bar that is showing, if one is.

use std::fmt::{self, Write as _};
use std::io::{self, Write};
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;

/// The bar on screen, if any: the log writer suspends it around each line.
static SHOWING: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// How often the bar redraws by itself, so elapsed time and the spinner move while a FIFO
/// is silent.
const TICK: Duration = Duration::from_millis(250);

/// The progress of a scan over its inputs; cleared from the screen when dropped.
pub struct Progress {
    bar: ProgressBar,
    inputs: usize,
}

impl Progress {
    /// A bar on stderr. `total` is the bytes of all inputs when every size is known up front
    /// (regular files; for compressed ones the compressed size): then it shows a percent and
    /// an ETA; otherwise bytes and rate only.
    pub fn start(total: Option<u64>, inputs: usize) -> Progress {
        let target = ProgressDrawTarget::stderr();
        let bar = ProgressBar::with_draw_target(total, target);
        bar.set_style(style(total.is_some()));
        bar.enable_steady_tick(TICK);
        if let Ok(mut s) = SHOWING.lock() {
            *s = Some(bar.clone());
        }
        Progress { bar, inputs }
    }

    /// Input `k` (from 1) of the scan starts.
    pub fn input(&self, k: usize, shown: &str, compression: Option<&str>) {
        self.bar
            .set_message(input_label(k, self.inputs, shown, compression));
    }

    /// Bytes of input consumed so far, over all inputs.
    pub fn set(&self, bytes: u64) {
        self.bar.set_position(bytes);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Ok(mut s) = SHOWING.lock() {
            *s = None;
        }
        self.bar.finish_and_clear();
    }
}

fn style(known_total: bool) -> ProgressStyle {
    // The input first and short, so the figures fit on an 80-column terminal.
    let t = if known_total {
        "{msg} {percent:>3}% [{bar:16}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}"
    } else {
        "{msg} {spinner} {bytes} {bytes_per_sec} {elapsed}"
    };
    // The templates are constants; a bad one would fail every run, not some.
    ProgressStyle::with_template(t)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// Characters of a file name shown in the bar; a longer one keeps its end.
const LABEL_NAME: usize = 24;

/// "[k/n] name", the file name without its folder, with the compression when there is one.
pub fn input_label(k: usize, n: usize, shown: &str, compression: Option<&str>) -> String {
    let name = std::path::Path::new(shown)
        .file_name()
        .map_or(shown.into(), |f| f.to_string_lossy());
    let chars = name.chars().count();
    let name = if chars > LABEL_NAME {
        let tail: String = name.chars().skip(chars - (LABEL_NAME - 1)).collect();
        format!("…{tail}")
    } else {
        name.into_owned()
    };
    match compression {
        Some(c) => format!("[{k}/{n}] {name} ({c})"),
        None => format!("[{k}/{n}] {name}"),
    }
}

/// The subscriber's writer: stderr, with the bar (if one shows) taken down around each line
/// and drawn again below it.
pub struct Stderr;

impl<'a> MakeWriter<'a> for Stderr {
    type Writer = StderrLine;
    fn make_writer(&'a self) -> StderrLine {
        StderrLine
    }
}

pub struct StderrLine;

impl Write for StderrLine {
    // The formatter hands over each event whole, in one write.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let bar = SHOWING.lock().ok().and_then(|s| s.clone());
        match bar {
            Some(bar) => bar.suspend(|| io::stderr().write_all(buf))?,
            None => io::stderr().write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

/// Formats each event as one line in the style of the program's other errors:
/// `shadowdesk: LEVEL: FILE: message: error`. The file (field `file`, `path`, `input` or
/// `interface`) is put first unless the message already names it; an `error` field follows
/// the message; other fields follow in parentheses unless the message already says them.
pub struct OneStyle;

impl<S, N> FormatEvent<S, N> for OneStyle
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut f = Fields::default();
        event.record(&mut f);
        writeln!(w, "{}", line(*event.metadata().level(), &f))
    }
}

#[derive(Default)]
struct Fields {
    message: String,
    name: Option<String>,
    error: Option<String>,
    other: Vec<(&'static str, String)>,
}

impl Fields {
    fn add(&mut self, field: &Field, value: String) {
        match field.name() {
            "message" => self.message = value,
            "file" | "path" | "input" | "interface" if self.name.is_none() => {
                self.name = Some(value)
            }
            "error" if self.error.is_none() => self.error = Some(value),
            n => self.other.push((n, value)),
        }
    }
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.add(field, value.to_owned());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.add(field, format!("{value:?}"));
    }
}

fn line(level: Level, f: &Fields) -> String {
    let word = match level {
        Level::ERROR => "error",
        Level::WARN => "warning",
        Level::INFO => "note",
        Level::DEBUG => "debug",
        Level::TRACE => "trace",
    };
    let mut s = format!("shadowdesk: {word}: ");
    if let Some(n) = f.name.as_deref().filter(|n| !f.message.contains(n)) {
        let _ = write!(s, "{n}: ");
    }
    s.push_str(&f.message);
    if let Some(e) = f.error.as_deref().filter(|e| !f.message.contains(e)) {
        let _ = write!(s, ": {e}");
    }
    let rest: Vec<String> = f
        .other
        .iter()
        .filter(|(_, v)| !s.contains(v.as_str()))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if !rest.is_empty() {
        let _ = write!(s, " ({})", rest.join(", "));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(message: &str, name: Option<&str>, error: Option<&str>) -> Fields {
        Fields {
            message: message.into(),
            name: name.map(Into::into),
            error: error.map(Into::into),
            other: Vec::new(),
        }
    }

    #[test]
    fn one_style_names_the_file_once() {
        assert_eq!(
            line(
                Level::ERROR,
                &fields("no such file or folder", Some("/x.pcap"), None)
            ),
            "shadowdesk: error: /x.pcap: no such file or folder"
        );
        // Already named in the message: not twice.
        assert_eq!(
            line(
                Level::WARN,
                &fields("/d/a.pcap: skipped: a FIFO", Some("/d/a.pcap"), None)
            ),
            "shadowdesk: warning: /d/a.pcap: skipped: a FIFO"
        );
        assert_eq!(
            line(
                Level::ERROR,
                &fields("writing the report", Some("r.json"), Some("disk full"))
            ),
            "shadowdesk: error: r.json: writing the report: disk full"
        );
        let mut f = fields(
            "record 4: cut; the 3 records before it were read",
            None,
            None,
        );
        f.other = vec![("records_read", "3".into()), ("signal", "15".into())];
        assert_eq!(
            line(Level::WARN, &f),
            "shadowdesk: warning: record 4: cut; the 3 records before it were read (signal=15)"
        );
    }

    #[test]
    fn the_input_label_counts_from_one() {
        assert_eq!(input_label(2, 70, "/cap/a.pcap", None), "[2/70] a.pcap");
        assert_eq!(
            input_label(1, 1, "b.pcap.zst", Some("zstd")),
            "[1/1] b.pcap.zst (zstd)"
        );
        assert_eq!(
            input_label(3, 9, "/x/sensor-01-2026-11-27T09.pcap", None),
            "[3/9] …r-01-2026-11-27T09.pcap"
        );
        assert_eq!(input_label(1, 1, "-", None), "[1/1] -");
    }
}
