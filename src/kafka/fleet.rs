//! `merge --kafka`: the latest report snapshot of every sensor, read back from the report
//! topic. Kafka keeps a key's records in order on one partition, so the last record of a
//! key is that sensor's newest snapshot.

use std::collections::BTreeMap;
use std::time::Duration;

use rskafka::client::partition::{OffsetAt, UnknownTopicHandling};
use rskafka::client::ClientBuilder;

use super::Options;

/// Bytes one fetch may return. A snapshot is one record and may be large (a report of
/// thousands of hosts); 16 MiB bounds what one fetch holds in memory.
const FETCH_MAX_BYTES: i32 = 16 << 20;
/// A broker that does not answer within this is reported, not waited for: `merge` is a
/// batch command.
const TIMEOUT: Duration = Duration::from_secs(15);

/// Every sensor's newest snapshot, by sensor name (the record key).
pub fn latest_snapshots(opts: &Options) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let topic = opts
        .report_topic
        .clone()
        .ok_or("--kafka needs --kafka-report-topic with merge")?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the I/O runtime: {e}"))?;
    let brokers = opts.brokers.join(",");
    rt.block_on(async {
        let mut b = ClientBuilder::new(opts.brokers.clone()).client_id("shadowdesk/merge");
        if let Some(t) = &opts.tls {
            b = b.tls_config(t.clone());
        }
        if let Some(s) = &opts.sasl {
            b = b.sasl_config(s.clone());
        }
        let client = tokio::time::timeout(TIMEOUT, b.build())
            .await
            .map_err(|_| format!("kafka {brokers}: no answer"))?
            .map_err(|e| format!("kafka {brokers}: {e}"))?;
        let topics = client
            .list_topics()
            .await
            .map_err(|e| format!("kafka {brokers}: {e}"))?;
        let t = topics
            .into_iter()
            .find(|t| t.name == topic)
            .ok_or_else(|| format!("kafka {brokers}: no topic {topic}"))?;
        let mut latest: BTreeMap<String, (i64, Vec<u8>)> = BTreeMap::new();
        for p in t.partitions {
            let pc = client
                .partition_client(topic.clone(), p, UnknownTopicHandling::Error)
                .await
                .map_err(|e| format!("kafka {topic}/{p}: {e}"))?;
            let mut offset = pc
                .get_offset(OffsetAt::Earliest)
                .await
                .map_err(|e| format!("kafka {topic}/{p}: {e}"))?;
            let end = pc
                .get_offset(OffsetAt::Latest)
                .await
                .map_err(|e| format!("kafka {topic}/{p}: {e}"))?;
            while offset < end {
                let (records, _hw) = tokio::time::timeout(
                    TIMEOUT,
                    pc.fetch_records(offset, 1..FETCH_MAX_BYTES, 1_000),
                )
                .await
                .map_err(|_| format!("kafka {topic}/{p}: no answer to a fetch"))?
                .map_err(|e| format!("kafka {topic}/{p}: {e}"))?;
                if records.is_empty() {
                    break;
                }
                for r in records {
                    offset = offset.max(r.offset + 1);
                    let (Some(k), Some(v)) = (r.record.key, r.record.value) else {
                        continue;
                    };
                    let k = String::from_utf8_lossy(&k).into_owned();
                    // Offsets only grow within a partition, and a key lives on one.
                    latest.insert(k, (r.offset, v));
                }
            }
        }
        Ok(latest.into_iter().map(|(k, (_, v))| (k, v)).collect())
    })
}
