//! Integrity of the built-in catalog (issue 16): lookalike names match nothing, every catalog
//! domain leads to its own vendor only, and the catalog is as broad as the issue asks.

use std::collections::BTreeMap;

use super::{Catalog, Endpoint, Rule};

fn cat() -> Catalog {
    Catalog::builtin().expect("the built-in catalog validates")
}

/// RFC 3492 Punycode of one label (lower-case input), as IDNA's ToASCII writes it after
/// `xn--`: a minimal encoder so the homographs below are real A-labels, not guesses.
fn punycode(input: &str) -> String {
    const BASE: u32 = 36;
    const TMIN: u32 = 1;
    const TMAX: u32 = 26;
    const SKEW: u32 = 38;
    const DAMP: u32 = 700;
    let digit = |d: u32| -> char {
        if d < 26 {
            (b'a' + d as u8) as char
        } else {
            (b'0' + (d - 26) as u8) as char
        }
    };
    let adapt = |mut delta: u32, num: u32, first: bool| -> u32 {
        delta /= if first { DAMP } else { 2 };
        delta += delta / num;
        let mut k = 0;
        while delta > ((BASE - TMIN) * TMAX) / 2 {
            delta /= BASE - TMIN;
            k += BASE;
        }
        k + (BASE - TMIN + 1) * delta / (delta + SKEW)
    };
    let cps: Vec<u32> = input.chars().map(|c| c as u32).collect();
    let mut out: String = input.chars().filter(char::is_ascii).collect();
    let basic = out.len() as u32;
    let mut h = basic;
    if basic > 0 {
        out.push('-');
    }
    let (mut n, mut delta, mut bias) = (128u32, 0u32, 72u32);
    while (h as usize) < cps.len() {
        let m = *cps.iter().filter(|&&c| c >= n).min().unwrap();
        delta += (m - n) * (h + 1);
        n = m;
        for &c in &cps {
            if c < n {
                delta += 1;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        TMIN
                    } else if k >= bias + TMAX {
                        TMAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    out.push(digit(t + (q - t) % (BASE - t)));
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out.push(digit(q));
                bias = adapt(delta, h + 1, h == basic);
                delta = 0;
                h += 1;
            }
        }
        delta += 1;
        n += 1;
    }
    out
}

#[test]
fn punycode_matches_published_vectors() {
    // RFC 3492's own examples are in other scripts; these are the IDNA A-labels every
    // registry shows (münchen.de is xn--mnchen-3ya.de), and Python's `punycode` codec gives
    // the Cyrillic ones (`'zеndesk'.encode('punycode')` is b'zndesk-3of').
    assert_eq!(punycode("münchen"), "mnchen-3ya");
    assert_eq!(punycode("bücher"), "bcher-kva");
    assert_eq!(punycode("z\u{435}ndesk"), "zndesk-3of");
    assert_eq!(punycode("int\u{435}rcom"), "intrcom-9gg");
}

/// The first label of `domain` with each Latin `e` or `a` in turn replaced by its Cyrillic
/// twin (U+0435, U+0430): the registrable homographs of a catalog domain.
fn homographs(domain: &str) -> Vec<String> {
    let (label, rest) = domain.split_once('.').unwrap();
    let mut out = Vec::new();
    for (i, c) in label.char_indices() {
        let twin = match c {
            'e' => '\u{435}',
            'a' => '\u{430}',
            _ => continue,
        };
        let mut s = String::new();
        s.push_str(&label[..i]);
        s.push(twin);
        s.push_str(&label[i + 1..]);
        out.push(format!("xn--{}.{rest}", punycode(&s)));
    }
    out
}

#[test]
fn lookalikes_match_no_vendor() {
    let c = cat();
    let mut names: Vec<String> = [
        "zendesk.com.evil.example",
        "notzendesk.com",
        "zendesk-com.example",
        "zendesk.co",
        "zendeskcom",
        "intercom.io.attacker.net",
        "freshdesk.com-login.example",
        "login-freshdesk.com",
        "salesforce.com.phish.example",
        "hubspot.com.example",
        "my-salesforce.com",
        "zendesk.com-support.example",
        "acme.zendesk.com.evil.example",
    ]
    .map(str::to_owned)
    .to_vec();
    let targets = [
        "zendesk.com",
        "intercom.io",
        "freshdesk.com",
        "salesforce.com",
        "helpscout.net",
        "kustomerapp.com",
        "gladly.com",
        "hubspot.com",
        "zohodesk.com",
    ];
    let mut n_homographs = 0;
    for d in targets {
        // The target itself is in the catalog: a homograph of a name the catalog lacks
        // would prove nothing.
        assert!(c.lookup(d).is_some(), "{d} is no longer in the catalog");
        for h in homographs(d) {
            assert!(h.starts_with("xn--") && h.is_ascii(), "{h}");
            names.push(format!("acme.{h}"));
            names.push(h);
            n_homographs += 1;
        }
    }
    assert!(n_homographs >= 12, "{n_homographs} homographs");
    assert!(names.iter().any(|n| n == "xn--zndesk-3of.com"));
    let hits: Vec<String> = names
        .iter()
        .filter_map(|n| {
            c.lookup(n)
                .map(|m| format!("{n} -> {} ({})", m.vendor.id, m.pattern))
        })
        .collect();
    assert!(hits.is_empty(), "lookalikes matched: {hits:#?}");
}

/// Every rule with its vendor id.
fn all_rules(c: &Catalog) -> Vec<(&str, &Rule)> {
    c.vendors()
        .iter()
        .flat_map(|v| {
            c.rules_of(&v.id)
                .into_iter()
                .map(move |r| (v.id.as_str(), r))
        })
        .collect()
}

#[test]
fn every_catalog_domain_resolves_to_its_own_vendor() {
    let c = cat();
    for (id, r) in all_rules(&c) {
        let m = c
            .lookup(&r.pattern)
            .unwrap_or_else(|| panic!("{} matches nothing", r.pattern));
        assert_eq!(m.vendor.id, id, "{} of {id}", r.pattern);
        assert_eq!(m.pattern, r.pattern);
        if !r.exact {
            let probe = format!("probe-x1.{}", r.pattern);
            assert_eq!(c.lookup(&probe).unwrap().vendor.id, id, "{probe}");
        }
    }
}

/// Pairs of vendors where one claims the other's name or a name under it, neither line
/// marked `role=shared`: (the narrower pattern and its vendor, the wider and its vendor).
fn overlaps(c: &Catalog) -> Vec<String> {
    let rules = all_rules(c);
    let shared = |r: &Rule| r.endpoint == Some(Endpoint::Shared);
    let mut out = Vec::new();
    for (a, ra) in &rules {
        for (b, rb) in &rules {
            if a == b || rb.exact {
                continue;
            }
            // rb (a suffix rule of b) covers ra's name: equal, or ra under rb.
            let covers = ra.pattern == rb.pattern
                || ra
                    .pattern
                    .strip_suffix(rb.pattern.as_str())
                    .is_some_and(|l| l.ends_with('.'));
            if covers && !shared(ra) && !shared(rb) {
                out.push(format!("{} ({a}) under {} ({b})", ra.pattern, rb.pattern));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn no_two_vendors_claim_one_name_without_a_shared_mark() {
    let offenders = overlaps(&cat());
    assert!(
        offenders.is_empty(),
        "names claimed by two vendors without role=shared on either line:\n  {}",
        offenders.join("\n  ")
    );
}

#[test]
fn overlap_check_sees_a_suffix_claim() {
    let defs = vec![
        super::parse_file(
            "a.vendor",
            "id = a\nname = A\ncategory = live_chat\ndomain = chat.example strong\n",
        )
        .unwrap(),
        super::parse_file(
            "b.vendor",
            "id = b\nname = B\ncategory = live_chat\ndomain = w.chat.example strong exact\ndomain = x.example strong role=shared\n",
        )
        .unwrap(),
        super::parse_file(
            "c.vendor",
            "id = c\nname = C\ncategory = live_chat\ndomain = y.x.example strong\n",
        )
        .unwrap(),
    ];
    let c = Catalog::from_defs(defs).unwrap();
    assert_eq!(overlaps(&c), ["w.chat.example (b) under chat.example (a)"]);
}

#[test]
fn catalog_holds_at_least_350_vendors() {
    let c = cat();
    let mut by_cat: BTreeMap<&str, usize> = BTreeMap::new();
    for v in c.vendors() {
        *by_cat.entry(v.category.as_str()).or_default() += 1;
    }
    assert!(
        c.len() >= 350,
        "issue 16 asks for at least 350 customer-support vendors; the catalog holds {} ({by_cat:?})",
        c.len()
    );
}
