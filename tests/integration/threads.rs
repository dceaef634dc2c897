//! The output does not depend on the number of worker threads.

use crate::util::*;

#[test]
fn same_events_and_report_for_any_thread_count() {
    let dir = root().join("testdata/captures");
    let d = dir.to_str().unwrap();
    let one = run(&["scan", "-q", "--threads", "1", "--events", "-", d]);
    assert!(one.status.success());
    assert!(one.stdout.len() > 1000);
    for n in ["2", "3", "4"] {
        let other = run(&["scan", "-q", "--threads", n, "--events", "-", d]);
        assert_eq!(one.stdout, other.stdout, "events differ with --threads {n}");
    }
    let r1 = run(&["scan", "-q", "--threads", "1", "--report", "-", d]);
    let r4 = run(&["scan", "-q", "--threads", "4", "--report", "-", d]);
    // All but `meta` (the time it was written, and the options, which differ).
    let sans_meta = |o: &std::process::Output| {
        let mut doc = report_doc(&o.stdout);
        assert_eq!(doc["meta"]["tool"]["name"], "shadowdesk");
        doc.as_object_mut().unwrap().remove("meta");
        doc
    };
    assert_eq!(sans_meta(&r1), sans_meta(&r4));
}
