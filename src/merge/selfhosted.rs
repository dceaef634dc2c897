//! Self-hosted help desks combined ([`crate::aggregate::selfhosted`]): per product, server
//! address and port, first seen the minimum, last seen the maximum, and the names, client
//! hosts, signatures and certificate names the union, capped as a scan caps them when listed.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use crate::aggregate::selfhosted::{
    SelfHostedUse, SignatureShown, MAX_CLIENTS, MAX_INSTANCES, MAX_NAMES,
};
use crate::event::Timestamp;
use crate::selfhosted::Signatures;
use crate::time::TsNanos;

use super::combine::Bad;
use super::owned;

/// Product (its index in the built-in signatures, the scan's order), server, port.
type Key = (usize, IpAddr, u16);

#[derive(Clone, Debug)]
struct Instance {
    names: BTreeSet<String>,
    clients: BTreeSet<IpAddr>,
    clients_not_listed: u64,
    first: TsNanos,
    last: TsNanos,
    /// Indexes into the built-in signatures.
    matched: BTreeSet<usize>,
    certificate_names: BTreeSet<String>,
}

/// Every part's help desks, uncapped until listed: which ones a cap keeps depends on the
/// union. A report lists at most [`MAX_INSTANCES`] of [`MAX_CLIENTS`] hosts each, so this
/// holds at most that much per report read.
#[derive(Debug, Default)]
pub struct SelfHosted {
    instances: BTreeMap<Key, Instance>,
}

impl SelfHosted {
    /// Adds a report's list; a product or signature this version does not know is an error
    /// (the report came from another signature file, and its help desks cannot be told apart
    /// as this one would).
    pub fn add(&mut self, list: &[owned::SelfHostedUse]) -> Result<(), Bad> {
        let s = Signatures::builtin();
        for x in list {
            let product = s
                .products
                .iter()
                .position(|p| p.id == x.product)
                .ok_or_else(|| format!("unknown self-hosted product {:?}", x.product))?;
            let mut matched = BTreeSet::new();
            for g in &x.signatures {
                let i = s
                    .sigs
                    .iter()
                    .position(|k| {
                        k.product == product
                            && k.field.as_str() == g.field
                            && k.how.as_str() == g.how
                            && k.pattern == g.pattern
                            && k.source == g.source
                    })
                    .ok_or_else(|| {
                        format!(
                            "unknown {} signature {} {:?}",
                            x.product, g.field, g.pattern
                        )
                    })?;
                matched.insert(i);
            }
            let o = Instance {
                names: x.server_names.iter().cloned().collect(),
                clients: x.hosts.iter().copied().collect(),
                clients_not_listed: x.hosts_not_listed,
                first: x.first_seen.0,
                last: x.last_seen.0,
                matched,
                certificate_names: x.certificate_names.iter().cloned().collect(),
            };
            match self
                .instances
                .get_mut(&(product, x.server_ip, x.server_port))
            {
                None => {
                    self.instances
                        .insert((product, x.server_ip, x.server_port), o);
                }
                Some(i) => {
                    i.names.extend(o.names);
                    i.clients.extend(o.clients);
                    i.clients_not_listed += o.clients_not_listed;
                    i.first = i.first.min(o.first);
                    i.last = i.last.max(o.last);
                    i.matched.extend(o.matched);
                    i.certificate_names.extend(o.certificate_names);
                }
            }
        }
        Ok(())
    }

    /// Help desks past [`MAX_INSTANCES`], the latest first seen: a scan keeps the first it
    /// meets and does not list the count either.
    pub fn not_listed(&self) -> usize {
        self.instances.len().saturating_sub(MAX_INSTANCES)
    }

    /// The report's list, by product, then server and port.
    pub fn listed(&self) -> Vec<SelfHostedUse<'_>> {
        let s = Signatures::builtin();
        let mut kept: Vec<(&Key, &Instance)> = self.instances.iter().collect();
        if kept.len() > MAX_INSTANCES {
            kept.sort_by(|a, b| (a.1.first, a.0).cmp(&(b.1.first, b.0)));
            kept.truncate(MAX_INSTANCES);
            kept.sort_by(|a, b| a.0.cmp(b.0));
        }
        kept.into_iter()
            .filter_map(|(&(p, ip, port), i)| {
                let product = s.products.get(p)?;
                // Past the caps a scan keeps the first it meets; the merge, the first in
                // order (README, "Splitting an archive across machines").
                let clients: Vec<IpAddr> = i.clients.iter().copied().take(MAX_CLIENTS).collect();
                let past = (i.clients.len() - clients.len()) as u64;
                Some(SelfHostedUse {
                    product: &product.id,
                    product_name: &product.name,
                    server_ip: ip,
                    server_port: port,
                    server_names: i.names.iter().take(MAX_NAMES).map(String::as_str).collect(),
                    hosts: clients,
                    hosts_not_listed: i.clients_not_listed + past,
                    first_seen: Timestamp(i.first),
                    last_seen: Timestamp(i.last),
                    signatures: SignatureShown::of(s, &i.matched),
                    certificate_names: i
                        .certificate_names
                        .iter()
                        .take(MAX_NAMES)
                        .map(String::as_str)
                        .collect(),
                })
            })
            .collect()
    }
}
