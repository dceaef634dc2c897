//! Our own pcap and pcapng reader.
//!
//! Why not libpcap for files: libpcap copies each record out of a small stdio buffer, and the
//! pipeline then copied it again into the batches for the workers. Here the file is read in
//! blocks of [`BLOCK_SIZE`] bytes and each record is handed out as a range of a shared block
//! (`Arc<Vec<u8>>`), so a packet reaches its worker without any per-packet copy. It also
//! reads pcapng files whose interfaces have different link types, which libpcap refuses.
//!
//! Formats: classic pcap in either byte order, with microsecond, nanosecond (0xa1b23c4d)
//! and Kuznetzov's modified (0xa1b2cd34) headers; pcapng sections in either byte order with
//! Enhanced, Simple and obsolete Packet blocks, per-interface link type, `if_tsresol` and
//! `if_tsoffset`. Anything cut short or inconsistent stops the file with [`Next::Cut`],
//! naming the record, after every complete record before it.

use std::io::{ErrorKind, Read};
use std::sync::Arc;

use super::{InputPath, Next, Record};
use crate::time::TsNanos;

/// Bytes read per block; a record larger than this gets a block of its own size.
pub const BLOCK_SIZE: usize = 1 << 20;
/// Blocks kept for reuse once the workers are done with them; bounds the reader's memory.
const POOL_BLOCKS: usize = 16;
/// libpcap's bound on a record's captured length (its MAXIMUM_SNAPLEN), unless the file's
/// own snaplen is larger; a larger length means a corrupt record.
const MAX_CAPLEN: u32 = 262_144;
/// pcapng blocks larger than this are corrupt (libpcap uses the same 16 MiB bound).
const MAX_PCAPNG_BLOCK: u32 = 16 * 1024 * 1024;

#[derive(Clone, Copy, Debug)]
struct Iface {
    linktype: i32,
    snaplen: u32,
    /// Timestamp units per second.
    units: u64,
    offset_secs: i64,
}

#[derive(Clone, Debug)]
enum Format {
    Pcap {
        le: bool,
        nano: bool,
        linktype: i32,
        /// 16, or 24 for the modified format.
        rec_hdr: usize,
        max_caplen: u32,
    },
    Pcapng {
        le: bool,
        ifaces: Vec<Iface>,
    },
}

/// A packet block's record, located in the current block.
struct PacketAt {
    iface: Iface,
    ts: TsNanos,
    start: usize,
    caplen: usize,
    wire_len: u32,
}

pub struct FileReader {
    src: Box<dyn Read + Send>,
    block: Arc<Vec<u8>>,
    /// Earlier blocks, possibly still held by batches in flight.
    pool: Vec<Arc<Vec<u8>>>,
    pos: usize,
    eof: bool,
    fmt: Format,
    /// Link type of the file (pcap) or of its first interface (pcapng).
    pub linktype: i32,
    /// Packet records read so far.
    pub records: u64,
}

/// libpcap reports some link types under their DLT number rather than the LINKTYPE one
/// written in files; follow it so the rest of the program sees one numbering.
fn to_dlt(linktype: u32) -> i32 {
    match linktype & 0xffff {
        101 => 12, // LINKTYPE_RAW → DLT_RAW
        100 => 11, // LINKTYPE_ATM_RFC1483
        other => other as i32,
    }
}

/// The header field at `at`, in the file's byte order. Callers check the length first; a
/// field past the end reads as 0 rather than panicking.
fn u16_at(b: &[u8], at: usize, le: bool) -> u16 {
    crate::wire::u16_in(b, at, le).unwrap_or(0)
}

fn u32_at(b: &[u8], at: usize, le: bool) -> u32 {
    crate::wire::u32_in(b, at, le).unwrap_or(0)
}

impl FileReader {
    /// Opens a file, or standard input for `-`. The error is a short reason to print after
    /// the file name.
    pub fn open(p: &InputPath) -> Result<FileReader, String> {
        let src: Box<dyn Read + Send> = if p.shown == "-" {
            Box::new(std::io::stdin())
        } else {
            let f = std::fs::File::open(&p.path).map_err(|e| match e.kind() {
                ErrorKind::NotFound => "no such file or folder".to_owned(),
                ErrorKind::PermissionDenied => "permission denied".to_owned(),
                _ => e.to_string(),
            })?;
            Box::new(f)
        };
        FileReader::from_reader(src)
    }

    pub fn from_reader(src: Box<dyn Read + Send>) -> Result<FileReader, String> {
        let mut r = FileReader {
            src,
            block: Arc::new(Vec::new()),
            pool: Vec::new(),
            pos: 0,
            eof: false,
            fmt: Format::Pcapng {
                le: true,
                ifaces: Vec::new(),
            },
            linktype: 0,
            records: 0,
        };
        r.fill(24).map_err(|e| format!("cannot read: {e}"))?;
        let have = r.avail();
        if have == 0 {
            return Err("empty file, not a pcap or pcapng capture".into());
        }
        let b = &r.block[r.pos..];
        let magic_le = if have >= 4 {
            u32::from_le_bytes([b[0], b[1], b[2], b[3]])
        } else {
            0
        };
        let magic_be = magic_le.swap_bytes();
        let pcap_kind = |m: u32| match m {
            0xa1b2_c3d4 => Some((false, 16)),
            0xa1b2_3c4d => Some((true, 16)),
            0xa1b2_cd34 => Some((false, 24)),
            _ => None,
        };
        if let Some((nano, rec_hdr)) = pcap_kind(magic_le).or(pcap_kind(magic_be)) {
            let le = pcap_kind(magic_le).is_some();
            if have < 24 {
                return Err(format!("capture header cut short ({have} of 24 bytes)"));
            }
            let snaplen = u32_at(b, 16, le);
            let linktype = to_dlt(u32_at(b, 20, le));
            r.fmt = Format::Pcap {
                le,
                nano,
                linktype,
                rec_hdr,
                max_caplen: snaplen.clamp(MAX_CAPLEN, 16 << 20),
            };
            r.linktype = linktype;
            r.pos += 24;
            return Ok(r);
        }
        if magic_le == 0x0a0d_0d0a {
            // Read the section header and the interface blocks that follow it, so the link
            // type is known before the first packet.
            match r.pcapng_headers() {
                Ok(()) => return Ok(r),
                Err(e) => return Err(format!("capture header cut short or corrupt ({e})")),
            }
        }
        Err("not a pcap or pcapng capture (unknown file format)".into())
    }

    fn avail(&self) -> usize {
        self.block.len() - self.pos
    }

    /// Makes at least `n` bytes available at `pos` (fewer only at end of file).
    fn fill(&mut self, n: usize) -> std::io::Result<()> {
        if self.avail() >= n || self.eof {
            return Ok(());
        }
        let size = BLOCK_SIZE.max(n);
        let rest = self.block.len() - self.pos;
        // Reuse a block no batch holds any more (fresh pages cost a page fault and zeroing
        // each); otherwise start a new one.
        let mut buf = self.recycled(size);
        buf.extend_from_slice(&self.block[self.pos..]);
        let old = std::mem::take(&mut self.block);
        if self.pool.len() < POOL_BLOCKS && old.capacity() >= BLOCK_SIZE {
            self.pool.push(old);
        }
        self.pos = 0;
        // read_to_end fills the spare capacity without zeroing it first.
        let want = size - rest;
        let got = (&mut self.src).take(want as u64).read_to_end(&mut buf);
        self.block = Arc::new(buf);
        if got? < want {
            self.eof = true;
        }
        Ok(())
    }

    /// An empty buffer of at least `size` bytes' capacity, from the pool when one is free.
    fn recycled(&mut self, size: usize) -> Vec<u8> {
        for i in 0..self.pool.len() {
            if let Some(v) = Arc::get_mut(&mut self.pool[i]) {
                if v.capacity() >= size {
                    let mut v = std::mem::take(v);
                    v.clear();
                    self.pool.swap_remove(i);
                    return v;
                }
            }
        }
        Vec::with_capacity(size)
    }

    fn cut(&self, what: String) -> Next<'_> {
        Next::Cut(format!("record {}: {what}", self.records + 1))
    }

    pub fn next_record(&mut self) -> Next<'_> {
        match self.fmt {
            Format::Pcap {
                le,
                nano,
                linktype,
                rec_hdr,
                max_caplen,
            } => self.next_pcap(le, nano, linktype, rec_hdr, max_caplen),
            Format::Pcapng { .. } => self.next_pcapng(),
        }
    }

    fn next_pcap(
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
        })
    }

    /// Reads the section header and interface descriptions at the start of a pcapng file.
    fn pcapng_headers(&mut self) -> Result<(), String> {
        loop {
            self.fill(8).map_err(|e| e.to_string())?;
            if self.avail() < 8 {
                return if self.linktype_known() {
                    Ok(())
                } else {
                    Err("no interface description".into())
                };
            }
            let b = &self.block[self.pos..];
            let typ = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            // Section headers and interface descriptions only; stop before the first packet.
            let is_header = typ == 0x0a0d_0d0a
                || matches!(self.fmt, Format::Pcapng { le, .. } if u32_at(b, 0, le) == 1);
            if !is_header {
                return Ok(());
            }
            self.pcapng_block()?;
        }
    }

    fn linktype_known(&self) -> bool {
        matches!(&self.fmt, Format::Pcapng { ifaces, .. } if !ifaces.is_empty())
    }

    fn next_pcapng(&mut self) -> Next<'_> {
        loop {
            match self.pcapng_block() {
                Err(e) => return self.cut(e),
                Ok(None) if self.avail() == 0 && self.eof => return Next::End,
                Ok(None) => continue,
                Ok(Some(p)) => {
                    self.records += 1;
                    return Next::Record(Record {
                        ts: p.ts,
                        linktype: p.iface.linktype,
                        data: &self.block[p.start..p.start + p.caplen],
                        wire_len: p.wire_len,
                        block: Some(&self.block),
                    });
                }
            }
        }
    }

    /// Consumes one pcapng block: a packet for packet blocks, None for other blocks (and at
    /// the end of the file).
    fn pcapng_block(&mut self) -> Result<Option<PacketAt>, String> {
        self.fill(12).map_err(|e| format!("read error: {e}"))?;
        let have = self.avail();
        if have == 0 {
            return Ok(None);
        }
        if have < 12 {
            return Err(format!("file ends inside a block header ({have} bytes)"));
        }
        let (raw_type, bom) = {
            let b = &self.block[self.pos..];
            (
                u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
                u32::from_le_bytes([b[8], b[9], b[10], b[11]]),
            )
        };
        if raw_type == 0x0a0d_0d0a {
            let le = match bom {
                0x1a2b_3c4d => true,
                0x4d3c_2b1a => false,
                _ => return Err("section header with an unknown byte-order mark".into()),
            };
            self.fmt = Format::Pcapng {
                le,
                ifaces: Vec::new(),
            };
        }
        let Format::Pcapng { le, .. } = self.fmt else {
            return Err("not a pcapng file".into());
        };
        let (typ, total) = {
            let b = &self.block[self.pos..];
            (u32_at(b, 0, le), u32_at(b, 4, le))
        };
        if total < 12 || total % 4 != 0 || total > MAX_PCAPNG_BLOCK {
            return Err(format!(
                "block of type {typ:#x} has an impossible length {total}; the file is corrupt here"
            ));
        }
        let total = total as usize;
        self.fill(total).map_err(|e| format!("read error: {e}"))?;
        if self.avail() < total {
            return Err(format!(
                "file ends inside a block of {total} bytes ({} present)",
                self.avail()
            ));
        }
        let start = self.pos;
        self.pos += total;
        let b = &self.block[start..start + total];
        let body_end = total - 4;
        let Format::Pcapng { ifaces, .. } = &mut self.fmt else {
            return Ok(None);
        };
        match typ {
            1 if total >= 20 => {
                let mut iface = Iface {
                    linktype: to_dlt(u16_at(b, 8, le) as u32),
                    snaplen: u32_at(b, 12, le),
                    units: 1_000_000,
                    offset_secs: 0,
                };
                let mut at = 16;
                while at + 4 <= body_end {
                    let code = u16_at(b, at, le);
                    let len = u16_at(b, at + 2, le) as usize;
                    let val = at + 4;
                    if code == 0 || val + len > body_end {
                        break;
                    }
                    match (code, len) {
                        (9, 1) => {
                            let v = b[val];
                            let units = if v & 0x80 != 0 {
                                1u64.checked_shl((v & 0x7f) as u32)
                            } else {
                                10u64.checked_pow(v as u32)
                            };
                            iface.units = units.filter(|u| *u > 0).unwrap_or(1_000_000);
                        }
                        (14, 8) => {
                            let hi = u32_at(b, val, le) as u64;
                            let lo = u32_at(b, val + 4, le) as u64;
                            iface.offset_secs =
                                (if le { (lo << 32) | hi } else { (hi << 32) | lo }) as i64;
                        }
                        _ => {}
                    }
                    at = val + len.div_ceil(4) * 4;
                }
                if ifaces.is_empty() {
                    self.linktype = iface.linktype;
                }
                ifaces.push(iface);
                Ok(None)
            }
            // Enhanced (6) and obsolete (2) packet blocks share the layout after byte 8.
            6 | 2 if total >= 32 => {
                let id = if typ == 6 {
                    u32_at(b, 8, le) as usize
                } else {
                    u16_at(b, 8, le) as usize
                };
                let Some(iface) = ifaces.get(id).copied() else {
                    return Err(format!(
                        "packet for interface {id}, which the file never described"
                    ));
                };
                let ts_raw = ((u32_at(b, 12, le) as u64) << 32) | u32_at(b, 16, le) as u64;
                let caplen = u32_at(b, 20, le) as usize;
                let wire_len = u32_at(b, 24, le);
                if 28 + caplen > body_end {
                    return Err(format!(
                        "captured length {caplen} overruns its block of {total} bytes"
                    ));
                }
                let ts = ts_nanos(ts_raw, iface);
                Ok(Some(PacketAt {
                    iface,
                    ts,
                    start: start + 28,
                    caplen,
                    wire_len,
                }))
            }
            3 if total >= 16 => {
                let Some(iface) = ifaces.first().copied() else {
                    return Err("simple packet block before any interface description".into());
                };
                let wire_len = u32_at(b, 8, le);
                let mut caplen = (wire_len as usize).min(body_end - 12);
                if iface.snaplen > 0 {
                    caplen = caplen.min(iface.snaplen as usize);
                }
                // Simple packet blocks carry no timestamp.
                Ok(Some(PacketAt {
                    iface,
                    ts: 0,
                    start: start + 12,
                    caplen,
                    wire_len,
                }))
            }
            _ => Ok(None),
        }
    }
}

fn ts_nanos(raw: u64, iface: Iface) -> TsNanos {
    let secs = raw / iface.units;
    let frac = raw % iface.units;
    let nanos = (frac as u128 * 1_000_000_000 / iface.units as u128) as i64;
    (secs as i64)
        .saturating_add(iface.offset_secs)
        .saturating_mul(1_000_000_000)
        .saturating_add(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    type Rec = (TsNanos, i32, Vec<u8>, u32);

    fn read_all(bytes: Vec<u8>) -> (Vec<Rec>, Option<String>) {
        let mut r = match FileReader::from_reader(Box::new(std::io::Cursor::new(bytes))) {
            Ok(r) => r,
            Err(e) => return (Vec::new(), Some(e)),
        };
        let mut out = Vec::new();
        loop {
            match r.next_record() {
                Next::Record(rec) => {
                    out.push((rec.ts, rec.linktype, rec.data.to_vec(), rec.wire_len))
                }
                Next::End => return (out, None),
                Next::Cut(e) => return (out, Some(e)),
                Next::Idle => {}
            }
        }
    }

    fn pcap_be_nano() -> Vec<u8> {
        let mut f = vec![
            0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0,
            1,
        ];
        f.extend_from_slice(&[
            0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 3, 0, 0, 0, 60, 0xaa, 0xbb, 0xcc,
        ]);
        f
    }

    #[test]
    fn big_endian_nanosecond_pcap() {
        let (recs, err) = read_all(pcap_be_nano());
        assert_eq!(err, None);
        assert_eq!(recs, vec![(1_000_000_005, 1, vec![0xaa, 0xbb, 0xcc], 60)]);
    }

    #[test]
    fn every_cut_of_a_file_is_an_error_or_a_prefix() {
        let full = pcap_be_nano();
        for n in 0..full.len() {
            let (recs, err) = read_all(full[..n].to_vec());
            assert!(recs.is_empty());
            if n > 24 {
                assert!(err.unwrap().starts_with("record 1:"), "cut at {n}");
            } else if n < 24 {
                assert!(err.is_some(), "cut at {n}");
            }
        }
    }

    #[test]
    fn pcapng_two_interfaces_with_their_own_link_types_and_resolutions() {
        let mut f = Vec::new();
        let block = |f: &mut Vec<u8>, typ: u32, body: &[u8]| {
            let total = (12 + body.len()) as u32;
            f.extend_from_slice(&typ.to_le_bytes());
            f.extend_from_slice(&total.to_le_bytes());
            f.extend_from_slice(body);
            f.extend_from_slice(&total.to_le_bytes());
        };
        block(
            &mut f,
            0x0a0d0d0a,
            &[
                0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            ],
        );
        block(&mut f, 1, &[1, 0, 0, 0, 0, 0, 0, 0]); // Ethernet, µs
                                                     // Raw IP, if_tsresol = 9 (ns).
        block(
            &mut f,
            1,
            &[101, 0, 0, 0, 0, 0, 0, 0, 9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0],
        );
        let epb = |iface: u32, ts: u64, data: &[u8]| {
            let mut b = iface.to_le_bytes().to_vec();
            b.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
            b.extend_from_slice(&(ts as u32).to_le_bytes());
            b.extend_from_slice(&(data.len() as u32).to_le_bytes());
            b.extend_from_slice(&(data.len() as u32).to_le_bytes());
            b.extend_from_slice(data);
            while b.len() % 4 != 0 {
                b.push(0);
            }
            b
        };
        block(&mut f, 6, &epb(0, 2_000_001, &[1, 2, 3]));
        block(&mut f, 6, &epb(1, 3_000_000_007, &[4, 5, 6, 7, 8]));
        let (recs, err) = read_all(f.clone());
        assert_eq!(err, None);
        assert_eq!(
            recs,
            vec![
                (2_000_001_000, 1, vec![1, 2, 3], 3),
                (3_000_000_007, 12, vec![4, 5, 6, 7, 8], 5)
            ]
        );
        for n in 0..f.len() {
            let _ = read_all(f[..n].to_vec());
        }
    }

    #[test]
    fn not_a_capture() {
        assert!(
            read_all(b"hello world, this is text and not a capture".to_vec())
                .1
                .unwrap()
                .contains("not a pcap")
        );
        assert!(read_all(Vec::new()).1.unwrap().contains("empty"));
        assert!(read_all(vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0])
            .1
            .unwrap()
            .contains("cut short"));
    }
}
