use super::*;

fn session(secs: i64, bursts: u32) -> Session {
    Session {
        start: 0,
        end: secs * 1_000_000_000,
        bursts_up: bursts,
        ..Session::default()
    }
}

fn ev(entries: &[(Ep, Client, &str, Option<Session>)]) -> Evidence {
    let mut e = Evidence::default();
    for (ep, c, tenant, s) in entries {
        let x = e.by.entry((*ep, *c, tenant.to_string())).or_default();
        x.names.insert("n.example".into());
        x.events += 1;
        if let Some(s) = s {
            x.connections += 1;
            x.add(s);
        } else if *c != Client::None {
            x.connections += 1;
        }
    }
    e
}

fn role(e: &Evidence, by: OursBy) -> Role {
    decide(e, |_| by).role
}

use Client::{Browser, Library, None as Dns};
use Ep::*;

#[test]
fn agent_endpoints_make_operators_unless_a_library_calls_them() {
    let u = OursBy::Unknown;
    assert_eq!(role(&ev(&[(Agent, Browser, "", None)]), u), Role::Operator);
    assert_eq!(role(&ev(&[(Agent, Dns, "", None)]), u), Role::Operator);
    assert_eq!(
        role(&ev(&[(Agent, Library, "", None)]), u),
        Role::Integration
    );
}

#[test]
fn api_endpoints_make_integrations_unless_only_a_browser_calls_them() {
    let u = OursBy::Unknown;
    assert_eq!(role(&ev(&[(Api, Library, "", None)]), u), Role::Integration);
    assert_eq!(role(&ev(&[(Api, Dns, "", None)]), u), Role::Integration);
    // A widget's browser calls: DNS for the name, then a browser's hello.
    let widget = ev(&[(Api, Dns, "", None), (Api, Browser, "", None)]);
    assert_eq!(role(&widget, u), Role::Visitor);
}

#[test]
fn end_user_and_shared_endpoints_make_visitors() {
    let e = ev(&[
        (EndUser, Browser, "", Some(session(900, 200))),
        (Shared, Library, "", None),
        (EndUser, Dns, "", None),
    ]);
    assert_eq!(role(&e, OursBy::Unknown), Role::Visitor);
}

#[test]
fn tenants_by_client_session_and_owner() {
    let working = Some(session(475, 60));
    let reading = Some(session(19, 3));
    let t = |c, s| ev(&[(Tenant, c, "acme", s)]);
    // A library client: integration, whoever owns the tenant.
    assert_eq!(
        role(&t(Library, reading), OursBy::ThirdPartyCname),
        Role::Integration
    );
    // Sustained browser work in our tenant or one of unknown owner: operator.
    assert_eq!(role(&t(Browser, working), OursBy::Declared), Role::Operator);
    assert_eq!(role(&t(Browser, working), OursBy::Unknown), Role::Operator);
    // ... not in another organisation's (its help center, however long).
    assert_eq!(
        role(&t(Browser, working), OursBy::ThirdPartyCname),
        Role::Visitor
    );
    // A short visit, even to our own tenant, is a visit.
    assert_eq!(
        role(&t(Browser, reading), OursBy::OwnDomainCname),
        Role::Visitor
    );
    // Long but idle (a page left open; a widget's keep-alive every 30 s): not work.
    assert_eq!(
        role(&t(Browser, Some(session(600, 20))), OursBy::Unknown),
        Role::Visitor
    );
    // DNS alone says nothing about a tenant's use.
    assert_eq!(role(&t(Dns, None), OursBy::Declared), Role::Visitor);
}

#[test]
fn sustained_thresholds() {
    assert!(is_sustained(&session(180, 9)));
    assert!(!is_sustained(&session(179, 100)));
    assert!(!is_sustained(&session(181, 9)));
    assert!(is_sustained(&session(475, 60)));
}

#[test]
fn operator_evidence_wins_over_integration() {
    let e = ev(&[(Agent, Browser, "", None), (Api, Library, "", None)]);
    let v = decide(&e, |_| OursBy::Unknown);
    assert_eq!(v.role, Role::Operator);
    assert!(
        v.reasons[0].starts_with("agent endpoint"),
        "{:?}",
        v.reasons
    );
}
