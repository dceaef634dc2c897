//! `identity` events vs tshark's truth on the identity captures in
//! `../shared/pcaps/identity` (public test captures and real-client recordings, truth by
//! `gen_identity_truth.py`): through `scripts/identity-check.sh`, the gate CI runs on all of
//! them, and directly on a few, so a broken script cannot pass everything.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use crate::util::{bin, check_event, events, require, root, tsv};

fn shared_identity() -> Option<PathBuf> {
    let p = root().join("../shared/pcaps/identity");
    require(p.is_dir(), &format!("{} is not present", p.display())).then_some(p)
}

type Row = (String, String, String, String);

fn identity_rows(cap: &std::path::Path) -> BTreeSet<Row> {
    let (o, evs) = events(&[cap.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    evs.iter()
        .filter(|e| e["kind"] == "identity")
        .map(|e| {
            check_event(e);
            let s = |k: &str| e[k].as_str().unwrap().to_owned();
            (s("ip"), s("field"), s("value"), s("source"))
        })
        .collect()
}

/// One capture per source, each row compared here: the device (DHCP + FQDN, mDNS, NBNS) and
/// the users (Kerberos two-part principals over UDP, NTLM over SMB3 and HTTP).
#[test]
fn every_truth_row_and_nothing_else() {
    let Some(dir) = shared_identity() else {
        return;
    };
    for name in [
        "ndpi/gnutella.pcap",
        "recorded/real-krb5-kinit.pcap",
        "recorded/real-ntlm-smb3.pcap",
        "recorded/real-session-dhclient-krb-http6.pcap",
        "recorded/real-dhcp-dhclient.pcap",
        "suricata-verify/smb-eicar-file.pcap",
    ] {
        let cap = dir.join(name);
        let truth: BTreeSet<Row> = tsv(&PathBuf::from(format!("{}.identity.tsv", cap.display())))
            .into_iter()
            .map(|r| {
                (
                    r["ip"].clone(),
                    r["field"].clone(),
                    r["value"].clone(),
                    r["source"].clone(),
                )
            })
            .collect();
        assert_eq!(identity_rows(&cap), truth, "{name}");
    }
}

/// An event only when a binding (ip, field, source) is new or its value changes: the kinit
/// capture asks for the same principals many times from a few addresses, alternating.
#[test]
fn a_binding_is_written_when_new_or_changed() {
    let Some(dir) = shared_identity() else {
        return;
    };
    let (_, evs) = events(&[dir.join("zeek/kinit.pcap").to_str().unwrap()]);
    let mut last = std::collections::HashMap::new();
    let mut distinct = BTreeSet::new();
    for e in evs.iter().filter(|e| e["kind"] == "identity") {
        let key = (
            e["ip"].to_string(),
            e["field"].to_string(),
            e["source"].to_string(),
        );
        let value = e["value"].to_string();
        assert_ne!(last.insert(key, value.clone()), Some(value.clone()), "{e}");
        distinct.insert(value);
    }
    // 11 truth rows; the packets are many more (replies, retries, TGS exchanges).
    assert_eq!(distinct.len(), 11);
    assert!(evs.len() < 20, "{}", evs.len());
}

#[test]
fn the_conformance_script_passes_on_every_capture() {
    let Some(_) = shared_identity() else {
        return;
    };
    let o = Command::new(root().join("scripts/identity-check.sh"))
        .args(["--bin", bin()])
        .output()
        .expect("running scripts/identity-check.sh");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains(", 0 missed, 0 unexplained extras"), "{out}");
}
