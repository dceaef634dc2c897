//! Compressed captures (gzip, zstd, xz, lz4 frames), recognised by their first bytes whatever
//! the file is called, and a named refusal for archives and compressors we do not read.
//!
//! A decompressed stream is bounded by nothing but its own input, like any stream on standard
//! input: the reader holds at most a block of it at a time, so a "bomb" costs time, not
//! memory. A corrupt or cut-short stream is a read error that names the format; the record
//! reader turns it into a cut naming the record (see `FileReader::fill`).

use std::fmt;
use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Bytes looked at to recognise an input: tar's `ustar` magic ends at offset 262.
pub const SNIFF_LEN: usize = 262;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    Gzip,
    Zstd,
    Xz,
    Lz4,
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Xz => "xz",
            Compression::Lz4 => "lz4",
        })
    }
}

/// What an input's first bytes say it is.
#[derive(Debug, PartialEq, Eq)]
pub enum Sniffed {
    /// Not compressed: pcap, pcapng, or something the record reader will name as unknown.
    Plain,
    Compressed(Compression),
    /// A format we do not read; the text says which and what to do.
    Refused(&'static str),
}

/// Recognises a compressed stream or an archive by its magic bytes (`head` is the first
/// [`SNIFF_LEN`] bytes, or all of a shorter input).
pub fn sniff(head: &[u8]) -> Sniffed {
    let starts = |m: &[u8]| head.starts_with(m);
    if starts(&[0x1f, 0x8b]) {
        Sniffed::Compressed(Compression::Gzip)
    } else if starts(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Sniffed::Compressed(Compression::Zstd)
    } else if starts(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Sniffed::Compressed(Compression::Xz)
    } else if starts(&[0x04, 0x22, 0x4d, 0x18]) {
        Sniffed::Compressed(Compression::Lz4)
    } else if starts(&[0x02, 0x21, 0x4c, 0x18]) {
        Sniffed::Refused(
            "lz4 in its legacy format (lz4 -l), which is not read: recompress it with plain lz4, or pipe it: lz4 -dc FILE | shadowdesk scan -",
        )
    } else if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") || starts(b"PK\x07\x08") {
        Sniffed::Refused("a zip archive, not a capture: extract it first (unzip FILE)")
    } else if starts(&[b'7', b'z', 0xbc, 0xaf, 0x27, 0x1c]) {
        Sniffed::Refused("a 7z archive, not a capture: extract it first (7z x FILE)")
    } else if starts(b"Rar!\x1a\x07") {
        Sniffed::Refused("a RAR archive, not a capture: extract it first")
    } else if starts(b"BZh") && head.get(3).is_some_and(|b| (b'1'..=b'9').contains(b)) {
        Sniffed::Refused(
            "bzip2-compressed, which is not read directly: pipe it (bzcat FILE | shadowdesk scan -)",
        )
    } else if starts(&[0x1f, 0x9d]) {
        Sniffed::Refused(
            "compressed with Unix compress (.Z), which is not read directly: pipe it (zcat FILE | shadowdesk scan -)",
        )
    } else if head.get(257..262) == Some(b"ustar") {
        Sniffed::Refused("a tar archive, not a capture: extract it first (tar -xf FILE)")
    } else {
        Sniffed::Plain
    }
}

/// Reads up to [`SNIFF_LEN`] bytes (fewer only at the end of the input).
pub fn read_head(r: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(SNIFF_LEN);
    r.take(SNIFF_LEN as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Counts the bytes read through it: the compressed bytes consumed, for the progress line.
pub struct Counted<R> {
    pub inner: R,
    pub count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Bytes already read from `inner` (to recognise it), given back before the rest.
pub struct Peeked<R> {
    pub head: Vec<u8>,
    pub pos: usize,
    pub inner: R,
}

impl<R: Read> Read for Peeked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos < self.head.len() {
            let n = buf.len().min(self.head.len() - self.pos);
            buf[..n].copy_from_slice(&self.head[self.pos..self.pos + n]);
            self.pos += n;
            return Ok(n);
        }
        self.inner.read(buf)
    }
}

/// The decoder for `c` over `src`. Every stream of a file is read: multi-member gzip (what
/// `cat a.gz b.gz` and pigz make), concatenated zstd frames, xz streams and lz4 frames.
pub fn decoder(c: Compression, src: Box<dyn Read + Send>) -> io::Result<Box<dyn Read + Send>> {
    let inner: Box<dyn Read + Send> = match c {
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(src)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(src)?),
        Compression::Xz => Box::new(liblzma::read::XzDecoder::new_multi_decoder(src)),
        Compression::Lz4 => Box::new(Lz4Frames(lz4_flex::frame::FrameDecoder::new(EofSeen {
            inner: src,
            eof: false,
        }))),
    };
    Ok(Box::new(Labeled { inner, c }))
}

/// lz4_flex's decoder returns end of input at the end of each frame; the next read starts
/// the next frame. Only the end of the file ends the input.
struct Lz4Frames(lz4_flex::frame::FrameDecoder<EofSeen>);

impl Read for Lz4Frames {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.0.read(buf)?;
            if n > 0 || buf.is_empty() || self.0.get_ref().eof {
                return Ok(n);
            }
        }
    }
}

/// Notes when its source has ended.
struct EofSeen {
    inner: Box<dyn Read + Send>,
    eof: bool,
}

impl Read for EofSeen {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.eof = true;
        }
        Ok(n)
    }
}

/// Says which decoder failed: its own messages ("corrupt deflate stream") do not.
struct Labeled {
    inner: Box<dyn Read + Send>,
    c: Compression,
}

impl Read for Labeled {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            let why = if e.kind() == io::ErrorKind::UnexpectedEof {
                "cut short".to_owned()
            } else {
                format!("corrupt ({e})")
            };
            io::Error::new(e.kind(), format!("{} data {why}", self.c))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const PCAP_HEADER: [u8; 24] = [
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
    ];

    fn compress(c: Compression, data: &[u8]) -> Vec<u8> {
        match c {
            Compression::Gzip => {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            Compression::Zstd => zstd::encode_all(data, 1).unwrap(),
            Compression::Xz => {
                let mut out = Vec::new();
                liblzma::read::XzEncoder::new(data, 1)
                    .read_to_end(&mut out)
                    .unwrap();
                out
            }
            Compression::Lz4 => {
                let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
        }
    }

    fn decompress(c: Compression, data: Vec<u8>) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        decoder(c, Box::new(io::Cursor::new(data)))?.read_to_end(&mut out)?;
        Ok(out)
    }

    const ALL: [Compression; 4] = [
        Compression::Gzip,
        Compression::Zstd,
        Compression::Xz,
        Compression::Lz4,
    ];

    // Two members/frames/streams one after the other (`cat a.gz b.gz`) read as one input,
    // and the magic of each format is what the format's own encoder writes.
    #[test]
    fn concatenated_streams_are_all_read() {
        let a: Vec<u8> = PCAP_HEADER.iter().copied().chain(0..=200).collect();
        let b: Vec<u8> = (0..=255).rev().collect();
        for c in ALL {
            let mut both = compress(c, &a);
            assert_eq!(sniff(&both), Sniffed::Compressed(c));
            both.extend(compress(c, &b));
            let got = decompress(c, both).unwrap();
            assert_eq!(got, [a.clone(), b.clone()].concat(), "{c}");
        }
    }

    // Every cut of a stream gives a prefix of the data or an error naming the format; never
    // a panic, never bytes that were not there.
    #[test]
    fn cut_or_corrupt_streams_are_errors_naming_the_format() {
        let data: Vec<u8> = (0..1000u32).flat_map(|i| (i * 7).to_le_bytes()).collect();
        for c in ALL {
            let full = compress(c, &data);
            let mut errors = 0;
            // Every cut in the headers, then a sample (each cut decodes the whole prefix).
            let cuts = (0..full.len().min(64)).chain((64..full.len()).step_by(full.len() / 50 + 1));
            for n in cuts {
                match decompress(c, full[..n].to_vec()) {
                    Ok(got) => assert!(data.starts_with(&got), "{c} cut at {n}"),
                    Err(e) => {
                        errors += 1;
                        assert!(e.to_string().starts_with(&format!("{c} data")), "{e}");
                    }
                }
            }
            assert!(errors > 0, "{c}: no cut was reported");
            let mut bad = full.clone();
            let mid = bad.len() / 2;
            bad[mid] ^= 0x55;
            if let Err(e) = decompress(c, bad) {
                assert!(e.to_string().starts_with(&format!("{c} data")), "{e}");
            }
        }
    }

    #[test]
    fn archives_and_other_compressors_are_named() {
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        for (head, word) in [
            (&b"PK\x03\x04rest"[..], "zip"),
            (&tar[..], "tar"),
            (&b"BZh91AY&SY"[..], "bzip2"),
            (&[b'7', b'z', 0xbc, 0xaf, 0x27, 0x1c, 0, 4][..], "7z"),
            (&[0x1f, 0x9d, 0x90][..], "compress"),
        ] {
            match sniff(head) {
                Sniffed::Refused(why) => assert!(why.contains(word), "{why}"),
                other => panic!("{word}: {other:?}"),
            }
        }
        assert_eq!(sniff(&PCAP_HEADER), Sniffed::Plain);
        assert_eq!(sniff(&[0x0a, 0x0d, 0x0d, 0x0a]), Sniffed::Plain);
        assert_eq!(sniff(&[]), Sniffed::Plain);
        assert_eq!(sniff(&[0x1f]), Sniffed::Plain);
    }
}
