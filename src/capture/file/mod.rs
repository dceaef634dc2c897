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

mod pcap;
mod pcapng;

use super::{InputPath, Next};
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
    /// Bytes read from `src` so far, for the progress line.
    pub bytes_in: u64,
    /// The read error that ended the input, returned once the bytes before it are used up.
    read_err: Option<(ErrorKind, String)>,
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
            bytes_in: 0,
            read_err: None,
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
    /// A read error (a corrupt compressed stream, an I/O error) keeps the bytes read before
    /// it: the records they hold are handed out first, and the error comes where they end.
    fn fill(&mut self, n: usize) -> std::io::Result<()> {
        if self.avail() >= n {
            return Ok(());
        }
        if self.eof {
            return match &self.read_err {
                Some((kind, msg)) => Err(std::io::Error::new(*kind, msg.clone())),
                None => Ok(()),
            };
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
        self.bytes_in += (buf.len() - rest) as u64;
        self.block = Arc::new(buf);
        match got {
            Ok(got) if got < want => self.eof = true,
            Ok(_) => {}
            Err(e) => {
                self.eof = true;
                self.read_err = Some((e.kind(), e.to_string()));
                if self.avail() < n {
                    return Err(e);
                }
            }
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
            while !b.len().is_multiple_of(4) {
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
