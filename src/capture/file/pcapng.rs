//! pcapng: sections, interface description blocks (link type, `if_tsresol`, `if_tsoffset`)
//! and the three kinds of packet block, each interface with its own link type.

use super::{to_dlt, u16_at, u32_at, FileReader, Format, Iface, PacketAt, MAX_PCAPNG_BLOCK};
use crate::capture::{Next, Record};
use crate::time::TsNanos;

impl FileReader {
    /// Reads the section header and interface descriptions at the start of a pcapng file.
    pub(super) fn pcapng_headers(&mut self) -> Result<(), String> {
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

    pub(super) fn next_pcapng(&mut self) -> Next<'_> {
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
                        iface: 0,
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
