//! Integration tests: they run the real `shadowdesk` binary on the captures in
//! `testdata/captures/` (recorded from real clients by `testdata/record.sh`) and check its
//! output against tshark's reading of the same files (`*.truth.tsv`, `*.dns-answers.tsv`)
//! and against what the recording script did (`testdata/MANIFEST.tsv`).

mod util;

mod bad_input; // cut, empty, foreign, missing inputs; unsupported link types
mod baseline; // --baseline and --fail-on-new between two real captures of one client
mod captures; // events vs tshark truth, per link type and format; split/out-of-order hellos
mod catalog_roles; // endpoint roles of catalog domains in `vendors`, and their errors
mod cli; // exit codes, policy errors, stdout purity, vendors listing
mod community_id; // community_id against the spec's capture and baseline
mod compressed; // .gz/.zst/.xz/.lz4 inputs, archives refused, outputs to a full disk, progress bar, --help
mod csv; // --csv read back by Python's csv module, against the report
mod dns_parser; // why dns-parser 0.8 was replaced: names it loses on real captures
mod encapsulation; // tunnels, fragments, STARTTLS, proxies (captures/more)
mod evidence; // the evidence chain of a CNAME-attributed hello and of an alias, vs tshark
mod exposure; // plain HTTP, credentials in clear, weak TLS towards vendors; no secret in any output
mod files; // outputs onto devices, FIFOs, symlinks, missing folders; scans stopped by signals; escaped names
mod filters; // --since, --until, --host against tshark's packet times
mod hidden; // ECH, SNI-less hellos, encrypted DNS, and the visibility they leave
mod html; // --html: the page in headless Chromium, against tshark truth; hostile names; scale
mod http_heads; // heads past 8 KiB counted, on a hand-built adversarial capture
mod identity; // identity events (DHCP, mDNS, NBNS, Kerberos, NTLM) vs tshark truth
mod identity_join; // vendor events carry the device and user of EXPECTED.tsv (issue 13)
mod ja4; // the ja4 fingerprint vs FoxIO's reference, and the client class
mod kafka; // --kafka against a real broker (tansu), read back with kafka-python
mod kafka_common; // what the kafka tests share: prerequisites, reading back what was consumed
mod kafka_secure; // --kafka over TLS and SASL, refusals named, the password nowhere
mod live; // shadowdesk live on a veth between namespaces, with real clients
mod merge; // merge: reports of any split of real captures, merged in any order, give the whole scan
mod merge_sensors; // merge: a client two sensors saw is one host with both sensors' counts, exposures, help desks
mod pivot; // input, --sensor, rcode_name/qtype/min_ttl, tls_version/alpn vs tshark
mod reader; // our pcap/pcapng reader gives the records libpcap gives
mod regions; // data regions, require-region and require-cert on captures/regions (issue 16)
mod report; // the per-host and per-vendor report vs what the recording script did
mod robustness; // corrupted and snapped packets never panic
mod roles; // operator / integration / visitor and tenant ownership on the office day
mod schema; // the published JSON Schemas: generated from the types, and every output fits them
mod summary; // the summary's counts, plurals, names, zones, and where it is printed
mod threads; // identical output for any --threads
mod time_offset;
mod time_order; // --time-order: several inputs as one timeline, same events // an if_tsoffset that saturates the timestamp
