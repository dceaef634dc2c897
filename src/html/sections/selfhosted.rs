//! Self-hosted help desks: the organisation's own instances, which no vendor column shows.

use super::{capped, word};
use crate::aggregate::selfhosted::SelfHostedUse;

pub struct SelfHostedView<'a> {
    pub product: &'a str,
    pub product_name: &'a str,
    /// `10.0.0.3:80`, `[fd00::3]:443`.
    pub server: String,
    pub server_names: &'a [&'a str],
    pub certificate_names: &'a [&'a str],
    pub hosts: Vec<String>,
    pub hosts_more: u64,
    pub first_seen: String,
    pub last_seen: String,
    /// field, match, pattern, source.
    pub signatures: Vec<[&'a str; 4]>,
}

pub fn view<'a>(s: &'a SelfHostedUse<'a>) -> SelfHostedView<'a> {
    let (hosts, more) = capped(&s.hosts);
    SelfHostedView {
        product: s.product,
        product_name: s.product_name,
        server: std::net::SocketAddr::new(s.server_ip, s.server_port).to_string(),
        server_names: &s.server_names,
        certificate_names: &s.certificate_names,
        hosts,
        hosts_more: more as u64 + s.hosts_not_listed,
        first_seen: word(&s.first_seen),
        last_seen: word(&s.last_seen),
        signatures: s
            .signatures
            .iter()
            .map(|g| [g.field, g.how, g.pattern, g.source])
            .collect(),
    }
}
