//! Output: NDJSON events, the JSON report, and the human summary.
//!
//! Event fields (one JSON object per line; CONTRACT.md fixes the first eight):
//! `ts` (RFC 3339 UTC, µs), `kind` (`dns` = a question in a query, `dns_answer` = a
//! response, `tls` = a ClientHello SNI), `src_ip`/`src_port` (always the client: the host
//! that asked or sent the hello), `dst_ip`/`dst_port`, `hostname`, `vendor`, `sanctioned`;
//! then `transport`, and when a vendor matched `vendor_name`, `category`, `matched` (the
//! catalog pattern), `strength` (`strong`|`weak`), `tenant`; `qtype` for `dns`;
//! `rcode`, `cnames`, `answers` and `via` (the CNAME target that named the vendor) for
//! `dns_answer`.

use std::io::{self, BufWriter, Write};
use std::net::IpAddr;

use serde_json::{json, Value};

use std::collections::BTreeMap;

use crate::aggregate::{Aggregator, Usage, Visibility};
use crate::catalog::Catalog;
use crate::model::InputSummary;
use crate::stats::Stats;
use crate::time::rfc3339;

/// Writes one JSON object field by field into a byte buffer, in a fixed field order and
/// without building a tree: the event path runs once per observation.
pub struct JsonLine<'a> {
    buf: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> JsonLine<'a> {
    pub fn new(buf: &'a mut Vec<u8>) -> JsonLine<'a> {
        buf.clear();
        buf.push(b'{');
        JsonLine { buf, first: true }
    }

    fn key(&mut self, k: &str) {
        if !self.first {
            self.buf.push(b',');
        }
        self.first = false;
        self.buf.push(b'"');
        self.buf.extend_from_slice(k.as_bytes());
        self.buf.extend_from_slice(b"\":");
    }

    fn string(&mut self, v: &str) {
        // serde_json's escaping: quotes, backslashes and control characters.
        let _ = serde_json::to_writer(&mut *self.buf, v);
    }

    pub fn str(&mut self, k: &str, v: &str) {
        self.key(k);
        self.string(v);
    }

    pub fn opt_str(&mut self, k: &str, v: Option<&str>) {
        self.key(k);
        match v {
            Some(v) => self.string(v),
            None => self.buf.extend_from_slice(b"null"),
        }
    }

    pub fn bool(&mut self, k: &str, v: bool) {
        self.opt_bool(k, Some(v));
    }

    pub fn opt_bool(&mut self, k: &str, v: Option<bool>) {
        self.key(k);
        self.buf.extend_from_slice(match v {
            Some(true) => b"true",
            Some(false) => b"false",
            None => b"null",
        });
    }

    pub fn num(&mut self, k: &str, v: u64) {
        self.key(k);
        let _ = write!(self.buf, "{v}");
    }

    /// A value whose Display form needs no escaping (addresses).
    pub fn display(&mut self, k: &str, v: &impl std::fmt::Display) {
        self.key(k);
        let _ = write!(self.buf, "\"{v}\"");
    }

    pub fn ts(&mut self, k: &str, ts: crate::time::TsNanos) {
        self.key(k);
        self.buf.push(b'"');
        self.buf.extend_from_slice(rfc3339(ts).as_bytes());
        self.buf.push(b'"');
    }

    pub fn str_array<'s>(&mut self, k: &str, items: impl Iterator<Item = &'s str>) {
        self.key(k);
        self.buf.push(b'[');
        for (i, s) in items.enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            self.string(s);
        }
        self.buf.push(b']');
    }

    pub fn display_array<T: std::fmt::Display>(&mut self, k: &str, items: impl Iterator<Item = T>) {
        self.key(k);
        self.buf.push(b'[');
        for (i, v) in items.enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            let _ = write!(self.buf, "\"{v}\"");
        }
        self.buf.push(b']');
    }

    pub fn end(self) {
        self.buf.push(b'}');
    }
}

/// A line-oriented sink that treats a closed pipe (`| head`) as the reader being done, not
/// as an error.
pub struct Sink {
    out: Option<Box<dyn Write + Send>>,
    flush_lines: bool,
}

impl Sink {
    /// `-` is standard output. `append` keeps what a file holds (live capture: a restart or
    /// a log rotation never clobbers events); `flush_lines` flushes after every line, so a
    /// shipper tailing the file sees each event as soon as it is known.
    pub fn create(path: &str, append: bool, flush_lines: bool) -> io::Result<Sink> {
        let out: Box<dyn Write + Send> = if path == "-" {
            Box::new(BufWriter::with_capacity(1 << 16, io::stdout()))
        } else {
            let f = std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .append(append)
                .truncate(!append)
                .open(path)?;
            Box::new(BufWriter::with_capacity(1 << 16, f))
        };
        Ok(Sink {
            out: Some(out),
            flush_lines,
        })
    }

    /// Writes one line (the newline is added).
    pub fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        let Some(out) = self.out.as_mut() else {
            return Ok(());
        };
        let mut r = out.write_all(line).and_then(|_| out.write_all(b"\n"));
        if self.flush_lines && r.is_ok() {
            r = out.flush();
        }
        self.check(r)
    }

    pub fn write_pretty(&mut self, v: &Value) -> io::Result<()> {
        let Some(out) = self.out.as_mut() else {
            return Ok(());
        };
        let r = serde_json::to_writer_pretty(&mut *out, v)
            .map_err(io::Error::from)
            .and_then(|_| out.write_all(b"\n"));
        self.check(r)
    }

    pub fn flush(&mut self) -> io::Result<()> {
        let r = match self.out.as_mut() {
            Some(o) => o.flush(),
            None => Ok(()),
        };
        self.check(r)
    }

    fn check(&mut self, r: io::Result<()>) -> io::Result<()> {
        match r {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.out = None;
                Ok(())
            }
            other => other,
        }
    }
}

/// Writes the report in one piece: see [`crate::outfile`] for where the bytes go (standard
/// output for `-`, into a device or FIFO in place, else a temporary file renamed over the
/// target), so a reader never sees half a report.
pub fn write_report(path: &str, doc: &Value) -> io::Result<()> {
    let mut bytes = serde_json::to_vec_pretty(doc).map_err(io::Error::from)?;
    bytes.push(b'\n');
    crate::outfile::write_whole(path, &bytes)
}

/// The report document: `hosts` lists every host with vendor traffic or a blind spot
/// (encrypted DNS, or [`Visibility::has_hidden_traffic`]); hosts with neither are left out.
/// `vendors` is the same data turned round for scoping.
pub fn report(
    agg: &Aggregator,
    catalog: &Catalog,
    inputs: &[InputSummary],
    stats: &Stats,
) -> Value {
    let no_vendors = BTreeMap::new();
    let no_visibility = Visibility::default();
    let listed = agg.listed();
    let ips = &listed.ips;
    let hosts: Vec<Value> = ips
        .iter()
        .map(|ip| {
            let vendors = agg.hosts.get(ip).unwrap_or(&no_vendors);
            let encrypted: Vec<Value> = agg
                .encrypted_dns
                .get(ip)
                .into_iter()
                .flatten()
                .map(|((proto, server), seen)| {
                    json!({
                        "protocol": proto,
                        "resolver": server,
                        "first_seen": rfc3339(seen.first_seen),
                        "last_seen": rfc3339(seen.last_seen),
                        "connections": seen.connections,
                    })
                })
                .collect();
            let vs: Vec<Value> = vendors
                .iter()
                .map(|(id, u)| {
                    let v = catalog.vendor(id);
                    json!({
                        "vendor": id,
                        "name": v.map(|v| v.name.as_str()),
                        "category": v.map(|v| v.category.as_str()),
                        "sanctioned": u.sanctioned,
                        "strength": if u.strong { "strong" } else { "weak" },
                        "hostnames": u.hostnames,
                        "hostnames_not_listed": u.hostnames_dropped,
                        "tenants": u.tenants,
                        "first_seen": rfc3339(u.first_seen),
                        "last_seen": rfc3339(u.last_seen),
                        "events": u.events,
                        "events_by_kind": u.by_kind,
                    })
                })
                .collect();
            let unsanctioned: Vec<&String> = vendors
                .iter()
                .filter(|(_, u)| !u.sanctioned)
                .map(|(id, _)| id)
                .collect();
            json!({
                "ip": ip.to_string(),
                "unsanctioned": unsanctioned,
                "vendors": vs,
                // Names this host resolved over these are invisible to a passive sensor.
                "encrypted_dns": encrypted,
                "visibility": visibility_json(agg.visibility.get(ip).unwrap_or(&no_visibility)),
            })
        })
        .collect();

    let vendors: Vec<Value> = by_vendor(agg)
        .iter()
        .map(|(id, hs)| {
            let first = hs
                .iter()
                .map(|(_, u)| u.first_seen)
                .min()
                .unwrap_or_default();
            let last = hs
                .iter()
                .map(|(_, u)| u.last_seen)
                .max()
                .unwrap_or_default();
            json!({
                "vendor": id,
                "name": catalog.vendor(id).map(|v| v.name.as_str()),
                "first_seen": rfc3339(first),
                "last_seen": rfc3339(last),
                "hosts": hs.iter().map(|(ip, u)| json!({
                    "ip": ip.to_string(),
                    "sanctioned": u.sanctioned,
                    "first_seen": rfc3339(u.first_seen),
                    "last_seen": rfc3339(u.last_seen),
                    "events": u.events,
                    "hostnames": u.hostnames,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();

    let inputs: Vec<Value> = inputs
        .iter()
        .map(|i| json!({ "path": i.path, "packets": i.packets, "linktype": i.linktype, "error": i.error }))
        .collect();
    let f = &stats.flows;
    let total = agg.visibility_total();
    json!({
        "hosts": hosts,
        "vendors": vendors,
        // The same counts over every host, listed or not.
        "visibility": visibility_json(&total),
        // Hosts with only hidden traffic past the listing limit (`--all-hosts` lists them).
        "hosts_not_listed": listed.hidden_not_listed,
        "inputs": inputs,
        "stats": {
            "packets": stats.packets,
            "bytes": stats.bytes,
            "packets_snapped": stats.snapped,
            "packets_truncated": stats.truncated,
            "packets_skipped": stats.skipped,
            "events": agg.events,
            "events_by_kind": agg.events_by_kind,
            "unsanctioned_events": agg.unsanctioned_events,
            "tcp_flows": f.flows_created,
            "flows_evicted_idle": f.evicted_idle,
            "flows_evicted_cap": f.evicted_cap,
            "flows_evicted_memcap": f.evicted_memcap,
            "flow_buffer_overflows": f.buffer_overflows,
            // What a limit made us give up, by the limit's name; each may be a lost name.
            "dropped": {
                "reassembly_window": f.dropped_window,
                "reassembly_pieces": f.dropped_pieces,
                "reassembly_memcap": f.dropped_memcap,
                "flows_memcap": f.evicted_memcap,
                "defrag_memcap": stats.defrag.dropped_memcap,
                "usage_memcap": agg.dropped.usage_memcap,
                "visibility_memcap": agg.dropped.visibility_memcap,
                "encrypted_dns_memcap": agg.dropped.encrypted_dns_memcap,
                "dns_cache_cleared": agg.dropped.dns_cache_cleared,
                "hidden_hosts_not_listed": listed.hidden_not_listed,
            },
            "capture": stats.kernel.map(|k| json!({
                "packets_received": k.received,
                "packets_dropped_kernel": k.dropped,
                "packets_dropped_interface": k.if_dropped,
            })),
            "ip_fragments": stats.defrag.fragments,
            "ip_datagrams_reassembled": stats.defrag.reassembled,
            "ip_fragments_dropped": {
                "overlap": stats.defrag.dropped_overlap,
                "oversize": stats.defrag.dropped_oversize,
                "timeout": stats.defrag.dropped_timeout,
                "table_full": stats.defrag.dropped_table_full,
            },
        }
    })
}

/// How much of a host's traffic had a name: the share of connections the vendor list can
/// speak for, and what hid the rest.
fn visibility_json(v: &Visibility) -> Value {
    let connections = v.connections();
    let share = (connections > 0).then(|| {
        let named = (v.named + v.attributed) as f64 / connections as f64;
        (named * 1000.0).round() / 1000.0
    });
    json!({
        "connections": connections,
        "tls_hellos": v.tls_hellos,
        "quic_hellos": v.quic_hellos,
        "http_requests": v.http_requests,
        "other_tcp": v.other_tcp,
        "named": v.named,
        "attributed": v.attributed,
        "unnamed": v.unnamed,
        "unnamed_hellos": v.unnamed_hellos,
        "named_share": share,
        "ech": v.ech,
        "ech_offered": v.ech_offered,
        "encrypted_dns_connections": v.encrypted_dns,
        "dns_queries": v.dns_queries,
    })
}

/// The report turned round: vendor id → the hosts that used it.
fn by_vendor<'a>(agg: &'a Aggregator) -> BTreeMap<&'a str, Vec<(IpAddr, &'a Usage)>> {
    let mut m: BTreeMap<&str, Vec<(IpAddr, &Usage)>> = BTreeMap::new();
    for (ip, vendors) in &agg.hosts {
        for (id, u) in vendors {
            m.entry(id.as_str()).or_default().push((*ip, u));
        }
    }
    m
}

/// The readable summary for a terminal: per host, then per vendor.
pub fn summary(
    agg: &Aggregator,
    catalog: &Catalog,
    inputs: &[InputSummary],
    stats: &Stats,
) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let name = |id: &str| {
        catalog
            .vendor(id)
            .map(|v| v.name.clone())
            .unwrap_or_else(|| id.to_owned())
    };
    let short = |ts: i64| rfc3339(ts)[..19].replace('T', " ");
    let _ = writeln!(
        s,
        "shadowdesk: {} input(s), {} packets, {} events, {} host(s) using support vendors",
        inputs.len(),
        stats.packets,
        agg.events,
        agg.hosts.len()
    );
    if agg.hosts.is_empty() {
        let _ = writeln!(s, "\nNo customer-support vendor traffic seen.");
    }
    for (ip, vendors) in &agg.hosts {
        let bad = vendors.values().filter(|u| !u.sanctioned).count();
        let _ = writeln!(
            s,
            "\nHOST {ip}  ({} vendor(s), {bad} unsanctioned)",
            vendors.len()
        );
        if let Some(v) = agg.visibility.get(ip) {
            let connections = v.connections();
            if let Some(share) = (100 * (v.named + v.attributed)).checked_div(connections) {
                let _ = writeln!(
                    s,
                    "     visibility: {share}% of {connections} connections named ({} on the wire, {} from its DNS), {} no name",
                    v.named, v.attributed, v.unnamed
                );
            }
        }
        for (id, u) in vendors {
            let mark = if u.sanctioned { "  ok " } else { "  !! " };
            let status = if u.sanctioned {
                "sanctioned"
            } else {
                "UNSANCTIONED"
            };
            let weak = if u.strong {
                ""
            } else {
                " (weak evidence: shared infrastructure only)"
            };
            let _ = writeln!(
                s,
                "{mark}{:<28} {status:<12} {:>5} events  {} .. {}{weak}",
                name(id),
                u.events,
                short(u.first_seen),
                short(u.last_seen)
            );
            if !u.tenants.is_empty() {
                let _ = writeln!(
                    s,
                    "       tenant: {}",
                    u.tenants.iter().cloned().collect::<Vec<_>>().join(", ")
                );
            }
            let mut hn: Vec<String> = u.hostnames.iter().cloned().collect();
            if u.hostnames_dropped > 0 {
                hn.push(format!("(+{} more)", u.hostnames_dropped));
            }
            let _ = writeln!(s, "       names:  {}", hn.join(", "));
        }
    }
    let turned = by_vendor(agg);
    if !turned.is_empty() {
        let _ = writeln!(s, "\nBY VENDOR");
        for (id, hs) in turned {
            let _ = writeln!(s, "  {} ({id}): {} host(s)", name(id), hs.len());
            for (ip, u) in hs {
                let status = if u.sanctioned {
                    "sanctioned"
                } else {
                    "UNSANCTIONED"
                };
                let _ = writeln!(
                    s,
                    "    {ip:<40} {status:<12} {:>5} events  {} .. {}",
                    u.events,
                    short(u.first_seen),
                    short(u.last_seen)
                );
            }
        }
    }
    if !agg.encrypted_dns.is_empty() {
        let _ = writeln!(s, "\nENCRYPTED DNS (these hosts' lookups are not visible; their vendor list may be incomplete)");
        for (ip, servers) in &agg.encrypted_dns {
            for ((proto, server), seen) in servers {
                let _ = writeln!(
                    s,
                    "  {ip:<40} {proto:<5} {server:<30} {:>5} connections  {} .. {}",
                    seen.connections,
                    short(seen.first_seen),
                    short(seen.last_seen)
                );
            }
        }
    }
    let listed = agg.listed();
    let hidden: Vec<_> = agg
        .visibility
        .iter()
        .filter(|(ip, v)| v.has_hidden_traffic() && listed.ips.contains(ip))
        .collect();
    if !hidden.is_empty() {
        let _ = writeln!(
            s,
            "\nHIDDEN TRAFFIC (encrypted connections whose destination has no name: the vendor list may miss them)"
        );
        for (ip, v) in hidden {
            let connections = v.connections();
            let _ = writeln!(
                s,
                "  {ip:<40} {connections:>5} connections: {} named, {} attributed, {} no name; {} used ECH",
                v.named, v.attributed, v.unnamed, v.ech
            );
        }
        if listed.hidden_not_listed > 0 {
            let _ = writeln!(
                s,
                "  ... and {} more hosts with only hidden traffic (--all-hosts lists them)",
                listed.hidden_not_listed
            );
        }
    }
    let problems: Vec<&InputSummary> = inputs.iter().filter(|i| i.error.is_some()).collect();
    if !problems.is_empty() {
        let _ = writeln!(s, "\nINPUT PROBLEMS");
        for i in problems {
            // A file found in a folder may have any name: keep its bytes off the terminal.
            let _ = writeln!(
                s,
                "  {}: {}",
                crate::escape::text(&i.path),
                i.error.as_deref().unwrap_or("")
            );
        }
    }
    s
}
