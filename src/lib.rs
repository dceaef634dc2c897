//! shadowdesk: which customer-support SaaS vendors does each host use, and which of them are
//! not sanctioned?
//!
//! The data flows one way, one module per stage:
//!
//! ```text
//! capture → decode → flow (state, TCP reassembly) → proto (dns, tls) → aggregate
//!   (catalog + policy: classify; per-host report) → output (events, report, summary)
//! ```
//!
//! `pipeline` wires the stages onto threads (one reader, N workers, one aggregator) and is,
//! with `app`, the only place where threads and channels appear. `proto` and `catalog` are
//! pure: bytes or names in, plain values out. Nothing here panics on input bytes; bad bytes
//! are skipped and counted.

#![forbid(unsafe_code)]

pub mod aggregate;
pub mod app;
pub mod capture;
pub mod catalog;
pub mod cli;
pub mod decode;
pub mod defrag;
pub mod flow;
pub mod output;
pub mod pipeline;
pub mod policy;
pub mod proto;
pub mod stats;
pub mod time;
