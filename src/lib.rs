//! shadowdesk: which customer-support SaaS vendors does each host use, and which of them are
//! not sanctioned?
//!
//! The data flows one way, one module per stage:
//!
//! ```text
//! capture → decode (+ defrag) → flow (state, TCP reassembly, QUIC Initials)
//!   → proto (dns, tls, quic, preamble) → aggregate (catalog + policy: classify; per-host
//!   report) → output (events, report, summary)
//! ```
//!
//! - `capture`: our pcap/pcapng block reader for files, libpcap for live interfaces (and as
//!   the reference the file reader is tested against).
//! - `decode`: link layers, tunnels and IP/TCP/UDP headers; `defrag` reassembles IP fragments.
//! - `flow`: the only place per-connection state lives (one table per worker); `table` holds
//!   the ageing and eviction rules it shares with `defrag`.
//! - `proto`: pure parsers, bytes in and plain values out (`ech` reads both the hello's
//!   extension and the HTTPS record's configs).
//! - `catalog` (vendors from `fingerprints/`) and `policy` (what is sanctioned for whom).
//! - `aggregate` and `output`: events, the report and the summary; the cross-flow view (a
//!   client's DNS answers, its ECH configs) that attributes hellos lives in `aggregate`.
//! - `pipeline` wires the stages onto threads (one reader, N workers, one aggregator) and is,
//!   with `app` and the capture threads of `capture::live`, the only place where threads and
//!   channels appear.
//!
//! Nothing here panics on input bytes; bad bytes are skipped and counted.

#![forbid(unsafe_code)]

pub mod aggregate;
pub mod app;
pub mod capture;
pub mod catalog;
pub mod cli;
pub mod decode;
pub mod defrag;
pub mod escape;
pub mod event;
pub mod flow;
pub mod memcap;
pub mod outfile;
pub mod output;
pub mod pipeline;
pub mod policy;
pub mod proto;
pub mod report;
pub mod schema;
pub mod stats;
pub mod table;
pub mod time;
