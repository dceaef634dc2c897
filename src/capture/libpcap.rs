//! Reading capture files through libpcap: the reference the file reader is tested against
//! (live capture has its own libpcap loop, in `live`).

use super::{InputPath, Next, Record};

/// An open capture.
pub struct Reader {
    cap: pcap::Capture<pcap::Offline>,
    pub linktype: i32,
    /// Records read so far.
    pub records: u64,
}

impl Reader {
    /// Opens a file (or `-`, which libpcap reads from standard input). The error is a short
    /// reason suitable after the file name.
    pub fn open(p: &InputPath) -> Result<Reader, String> {
        if p.shown != "-" {
            if let Ok(m) = std::fs::metadata(&p.path) {
                if m.len() == 0 {
                    return Err("empty file, not a pcap or pcapng capture".into());
                }
            }
        }
        let cap = pcap::Capture::from_file_with_precision(&p.path, pcap::Precision::Nano)
            .map_err(|e| open_reason(&e))?;
        let linktype = cap.get_datalink().0;
        Ok(Reader {
            cap,
            linktype,
            records: 0,
        })
    }

    pub fn next_record(&mut self) -> Next<'_> {
        match self.cap.next_packet() {
            Ok(pkt) => {
                self.records += 1;
                let h = pkt.header;
                // In nanosecond precision libpcap puts nanoseconds in tv_usec. time_t and
                // suseconds_t are i32 on some targets, hence the conversion clippy sees as useless.
                #[allow(clippy::useless_conversion)]
                let ts = i64::from(h.ts.tv_sec)
                    .saturating_mul(1_000_000_000)
                    .saturating_add(i64::from(h.ts.tv_usec));
                Next::Record(Record {
                    ts,
                    linktype: self.linktype,
                    data: pkt.data,
                    wire_len: h.len,
                    block: None,
                    iface: 0,
                })
            }
            Err(pcap::Error::NoMorePackets) => Next::End,
            Err(e) => Next::Cut(e.to_string()),
        }
    }
}

fn open_reason(e: &pcap::Error) -> String {
    let s = e.to_string();
    let s = s.strip_prefix("libpcap error: ").unwrap_or(&s).to_owned();
    if s.contains("unknown file format") || s.contains("bad dump file format") {
        format!("not a pcap or pcapng capture ({s})")
    } else if s.contains("truncated") {
        format!("capture header cut short ({s})")
    } else if s.contains("No such file") {
        "no such file or folder".into()
    } else {
        s
    }
}
