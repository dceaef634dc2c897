//! shadowdesk: which customer-support SaaS vendors does each host use, and which of them are
//! not sanctioned?
//!
//! The data flows one way, one module per stage:
//!
//! ```text
//! capture → decode (+ defrag) → dispatch → flow (state, TCP reassembly, QUIC Initials)
//!   → proto (dns, tls, quic, preamble) → aggregate (catalog + policy: classify; per-host
//!   report) → output (events, report, summary)
//! ```
//!
//! - `capture`: our pcap/pcapng block reader for files, libpcap for live interfaces (and as
//!   the reference the file reader is tested against).
//! - `decode`: link layers, tunnels and IP/TCP/UDP headers; `defrag` reassembles IP fragments.
//! - `dispatch`: the one table (port hints, content probes) that says which parser a packet
//!   or a TCP flow goes to.
//! - `flow`: the only place per-connection state lives (one TCP and one QUIC table per
//!   worker; `tcp`, `quic`, `reassembly`, and `probe`, which asks the parsers what a stream
//!   is); `table` holds the ageing and eviction rules it shares with `defrag`.
//! - `proto`: pure parsers, bytes in and plain values out (`ech` reads both the hello's
//!   extension and the HTTPS record's configs); `wire` is their bounds-checked reads.
//! - `model`: the types that cross stages: what a flow gives (`Extracted`), the
//!   `Observation`s the workers hand on (one per name, `What`), and `InputSummary`.
//! - `catalog` (vendors from `fingerprints/`) and `policy` (what is sanctioned for whom).
//! - `aggregate` and `output`: events, the report and the summary; the cross-flow view (a
//!   client's DNS answers, its ECH configs) that attributes hellos lives in `aggregate`.
//! - `pipeline` wires the stages onto threads: `reader` (read, decode, dispatch), `chunk`
//!   (batches to the workers), `worker` (flow tables and parsers), and `run`'s merge back
//!   into packet order. With `app` and the capture threads of `capture::live`, it is the
//!   only place where threads and channels appear.
//! - `memcap` splits `--memcap` into the budgets of the stages that hold attacker bytes;
//!   `stats` counts; `consumer` is the aggregator thread's side of a run (aggregator, events
//!   file, live ticks); `time`, `escape`, `outfile`, `cli` and `app` are the plumbing.
//!
//! Nothing here panics on input bytes; bad bytes are skipped and counted. `unsafe` is
//! forbidden for every target by Cargo.toml's `[lints]`.

pub mod aggregate;
pub mod app;
pub mod baseline;
pub mod capture;
pub mod catalog;
pub mod cli;
pub mod community_id;
pub mod consumer;
pub mod csv;
pub mod decode;
pub mod defrag;
pub mod dispatch;
pub mod escape;
pub mod event;
pub mod exit;
pub mod exposure;
pub mod filter;
pub mod findings;
pub mod flow;
pub mod html;
pub mod kafka;
pub mod memcap;
pub mod merge;
pub mod model;
pub mod outfile;
pub mod output;
pub mod pipeline;
pub mod policy;
pub mod proto;
pub mod report;
pub mod schema;
pub mod selfhosted;
pub mod stats;
pub mod table;
pub mod term;
pub mod time;
pub mod wire;
