use super::combine::{join_history, parse_decided_by, Held};
use crate::policy::DecidedBy;

fn held(value: &str, first: i64, last: i64) -> Held {
    Held {
        value: value.into(),
        first,
        last,
    }
}

fn shape(v: &[Held]) -> Vec<(String, i64, i64)> {
    v.iter()
        .map(|h| (h.value.clone(), h.first, h.last))
        .collect()
}

// One address held by alice, then carol, then alice again, as three reports of a split saw
// it: alice's first stretch is cut in two by the split and is one entry again; her return
// after carol stays apart, as one scan records it; the order of the reports does not matter.
#[test]
fn identity_histories_join_across_a_split_but_not_across_another_value() {
    let parts = [
        vec![held("alice", 10, 20)],
        vec![held("alice", 25, 30), held("carol", 40, 50)],
        vec![held("alice", 60, 70)],
    ];
    let want = vec![
        ("alice".to_owned(), 10, 30),
        ("carol".to_owned(), 40, 50),
        ("alice".to_owned(), 60, 70),
    ];
    for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0]] {
        let all: Vec<Held> = order.iter().flat_map(|&i| parts[i].clone()).collect();
        assert_eq!(shape(&join_history(all)), want, "order {order:?}");
    }
}

#[test]
fn decided_by_reads_back_as_the_report_writes_it() {
    for d in [DecidedBy::Default, DecidedBy::Flag, DecidedBy::Line(17)] {
        assert_eq!(parse_decided_by(&d.to_string()), Some(d));
    }
    assert_eq!(parse_decided_by("policy line x"), None);
    assert_eq!(parse_decided_by("whatever"), None);
}
