//! Classic pcap records: a 16-byte header (24 in Kuznetzov's modified format) before each
//! packet, in the byte order and time unit of the file header that [`FileReader::from_reader`]
//! recognised.

use super::{u32_at, FileReader};
use crate::capture::{Next, Record};

impl FileReader {
    pub(super) fn next_pcap(
        &mut self,
        le: bool,
        nano: bool,
        linktype: i32,
        rec_hdr: usize,
        max_caplen: u32,
    ) -> Next<'_> {
        if let Err(e) = self.fill(rec_hdr) {
            return self.cut(format!("read error: {e}"));
        }
        let have = self.avail();
        if have == 0 {
            return Next::End;
        }
        if have < rec_hdr {
            return self.cut(format!(
                "file ends inside the record header ({have} of {rec_hdr} bytes)"
            ));
        }
        let h = &self.block[self.pos..self.pos + rec_hdr];
        let secs = u32_at(h, 0, le) as i64;
        let frac = u32_at(h, 4, le) as i64;
        let caplen = u32_at(h, 8, le);
        let wire_len = u32_at(h, 12, le);
        if caplen > max_caplen {
            return self.cut(format!(
                "captured length {caplen} is larger than any snaplen; the file is corrupt here"
            ));
        }
        let need = rec_hdr + caplen as usize;
        if let Err(e) = self.fill(need) {
            return self.cut(format!("read error: {e}"));
        }
        if self.avail() < need {
            let got = self.avail() - rec_hdr;
            return self.cut(format!(
                "file ends inside the record: {caplen} captured bytes announced, {got} present"
            ));
        }
        let start = self.pos + rec_hdr;
        self.pos += need;
        self.records += 1;
        let ts = secs * 1_000_000_000 + if nano { frac } else { frac * 1000 };
        Next::Record(Record {
            ts,
            linktype,
            data: &self.block[start..start + caplen as usize],
            wire_len,
            block: Some(&self.block),
            iface: 0,
        })
    }
}
