//! The `shadowdesk` binary: parse flags, set up logging to stderr, run, map to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SHADOWDESK_LOG")
        // rskafka says each failed connection attempt itself; the Kafka output says once
        // when the broker goes away and when it is back (src/kafka/worker.rs).
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,rskafka=off"));
    // Warnings and errors in the style of `shadowdesk: error: ...` below, on lines of their
    // own above the progress bar (see `term`).
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(shadowdesk::term::Stderr)
        .event_format(shadowdesk::term::OneStyle)
        .init();
    let cli = match shadowdesk::cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            // Help and version are not errors; everything else is a usage error (2).
            return ExitCode::from(if e.use_stderr() {
                shadowdesk::app::EXIT_ERROR
            } else {
                0
            });
        }
    };
    match shadowdesk::app::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(shadowdesk::app::Fatal(msg)) => {
            eprintln!("shadowdesk: error: {msg}");
            ExitCode::from(shadowdesk::app::EXIT_ERROR)
        }
    }
}
