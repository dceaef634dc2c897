//! Capture input: naming the inputs (files, folders recursive and sorted, `-` for standard
//! input) and reading them.
//!
//! Files are read by our own pcap/pcapng reader ([`file`]): it reads in large blocks and hands
//! out records as ranges of shared blocks, so packets cross to the workers without a copy,
//! and it knows pcapng files whose interfaces have different link types. libpcap
//! ([`libpcap`]) reads the same files in a test that proves both give the same records; live
//! interfaces are read through libpcap in [`live`].

use std::io::{self, ErrorKind, Read, Seek, SeekFrom};

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::time::TsNanos;

pub mod compress;
pub mod file;
pub mod libpcap;
pub mod live;
mod paths;

pub use compress::Compression;
use compress::Sniffed;
pub use file::FileReader as Reader;
use paths::io_reason;
pub use paths::{expand, InputPath};

/// Bytes the stream reader thread reads at a time (the pipe buffer is 64 KiB).
const STREAM_CHUNK: usize = 1 << 16;
/// Chunks in flight between the stream thread and the reader; bounds the memory a fast
/// writer can fill to `STREAM_CHUNK * STREAM_QUEUE`.
const STREAM_QUEUE: usize = 16;
/// How long a stream may stay silent before a note on stderr says what the scan waits for.
pub const SILENCE_NOTE: Duration = Duration::from_secs(10);
/// How often a reader waiting on a silent stream looks at the stop flag.
const STOP_POLL: Duration = Duration::from_millis(100);

/// An opened input: the bytes (decompressed when the input was compressed), and whether the
/// caller must check `stop` itself (a regular file, read directly) or the stream ends on its
/// own once `stop` is set.
pub struct Opened {
    pub read: Box<dyn Read + Send>,
    pub caller_checks_stop: bool,
    /// The compression its first bytes showed.
    pub compression: Option<Compression>,
    /// Compressed bytes consumed so far, for the progress line (when not compressed, the
    /// record reader counts what it reads).
    pub consumed: Option<Arc<AtomicU64>>,
}

/// Opens an input for reading, recognising by its first bytes (not its name) a compressed
/// capture, which is then read through its decoder, and an archive, which is refused with a
/// message naming it. A regular file is read directly (the caller checks `stop` between
/// records). Standard input, a FIFO or a device is opened and read on a thread of its own,
/// because both its open (a FIFO without a writer) and its reads can block for ever: the
/// reader then waits in slices, notices `stop` (SIGINT/SIGTERM), and notes on stderr when
/// nothing has come for [`SILENCE_NOTE`] (it keeps waiting). Once `stop` is set, a read that
/// would wait returns end of input, so the records already read are still analysed.
pub fn open_input(p: &InputPath, stop: &Arc<AtomicBool>) -> Result<Opened, String> {
    if p.shown == "-" {
        // Redirected from a file (`< x.pcap`): nothing to wait for, read it directly (a
        // duplicate of the descriptor shares its offset, and can seek back after a look).
        if std::fs::metadata("/dev/stdin").is_ok_and(|m| m.is_file()) {
            use std::os::fd::AsFd;
            let fd = io::stdin()
                .as_fd()
                .try_clone_to_owned()
                .map_err(|e| io_reason(&e))?;
            return open_file(std::fs::File::from(fd));
        }
    } else {
        let m = std::fs::metadata(&p.path).map_err(|e| io_reason(&e))?;
        if m.is_file() {
            return open_file(std::fs::File::open(&p.path).map_err(|e| io_reason(&e))?);
        }
        if m.is_dir() {
            return Err("is a folder".into());
        }
    }
    let mut stream = open_stream(p, stop)?;
    let head = compress::read_head(&mut stream).map_err(|e| format!("cannot read: {e}"))?;
    match compress::sniff(&head) {
        Sniffed::Plain => {
            stream.unread(head);
            Ok(Opened {
                read: Box::new(stream),
                caller_checks_stop: false,
                compression: None,
                consumed: None,
            })
        }
        Sniffed::Refused(why) => Err(why.into()),
        Sniffed::Compressed(c) => decompressed(
            c,
            Box::new(compress::Peeked {
                head,
                pos: 0,
                inner: stream,
            }),
            false,
        ),
    }
}

/// A whole capture in memory (the scan fuzz target's input), recognised as a file is: so the
/// fuzzer reaches the decoders too.
pub fn open_bytes(data: Vec<u8>) -> Result<Opened, String> {
    match compress::sniff(data.get(..compress::SNIFF_LEN).unwrap_or(&data)) {
        Sniffed::Plain => Ok(Opened {
            read: Box::new(io::Cursor::new(data)),
            caller_checks_stop: true,
            compression: None,
            consumed: None,
        }),
        Sniffed::Refused(why) => Err(why.into()),
        Sniffed::Compressed(c) => {
            let mut o = decompressed(c, Box::new(io::Cursor::new(data)), true)?;
            o.read = Box::new(o.read.take(MAX_IN_MEMORY_DECOMPRESSED));
            Ok(o)
        }
    }
}

/// What a capture in memory may decompress to. A fuzzer's 64 KiB of zstd RLE blocks can
/// declare gigabytes; a file may (it is read a block at a time, so it costs only time), but
/// one fuzz input must stay fast for the campaign to go on.
const MAX_IN_MEMORY_DECOMPRESSED: u64 = 16 << 20;

/// A regular file, from its start (its current offset, for standard input).
fn open_file(mut f: std::fs::File) -> Result<Opened, String> {
    let start = f
        .stream_position()
        .map_err(|e| format!("cannot read: {e}"))?;
    let head = compress::read_head(&mut f).map_err(|e| format!("cannot read: {e}"))?;
    f.seek(SeekFrom::Start(start))
        .map_err(|e| format!("cannot read: {e}"))?;
    match compress::sniff(&head) {
        // Returned as it is, not wrapped: a `File` fills the reader's blocks without zeroing
        // them first (a wrapper that only has `read` costs a memset of the whole file,
        // measured as 44 % of a scan's instructions). The reader checks `stop` itself
        // between records.
        Sniffed::Plain => Ok(Opened {
            read: Box::new(f),
            caller_checks_stop: true,
            compression: None,
            consumed: None,
        }),
        Sniffed::Refused(why) => Err(why.into()),
        Sniffed::Compressed(c) => decompressed(c, Box::new(f), true),
    }
}

/// `src` read through the decoder for `c`. What the stream holds is looked at too, so a
/// `.tar.gz` is named as the tar archive it is.
fn decompressed(
    c: Compression,
    src: Box<dyn Read + Send>,
    caller_checks_stop: bool,
) -> Result<Opened, String> {
    let count = Arc::new(AtomicU64::new(0));
    let counted = compress::Counted {
        inner: src,
        count: Arc::clone(&count),
    };
    let mut dec = compress::decoder(c, Box::new(counted)).map_err(|e| format!("{c}: {e}"))?;
    let head = compress::read_head(&mut dec).map_err(|e| format!("cannot read: {e}"))?;
    match compress::sniff(&head) {
        Sniffed::Plain => {}
        Sniffed::Refused(why) => return Err(format!("{c}-compressed, and inside {why}")),
        Sniffed::Compressed(inner) => {
            return Err(format!(
                "{c}-compressed, and inside {inner}-compressed again: decompress it once first"
            ))
        }
    }
    Ok(Opened {
        read: Box::new(compress::Peeked {
            head,
            pos: 0,
            inner: dec,
        }),
        caller_checks_stop,
        compression: Some(c),
        consumed: Some(count),
    })
}

/// Standard input (not a file), a FIFO or a device, read on a thread of its own (see
/// [`open_input`]).
fn open_stream(p: &InputPath, stop: &Arc<AtomicBool>) -> Result<StreamInput, String> {
    let (tx, rx) = crossbeam_channel::bounded::<io::Result<Vec<u8>>>(STREAM_QUEUE);
    let path = p.path.clone();
    let stdin = p.shown == "-";
    std::thread::Builder::new()
        .name("stream-reader".into())
        .spawn(move || {
            let mut src: Box<dyn Read> = if stdin {
                Box::new(io::stdin())
            } else {
                match std::fs::File::open(&path) {
                    Ok(f) => Box::new(f),
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                }
            };
            loop {
                let mut buf = vec![0u8; STREAM_CHUNK];
                match src.read(&mut buf) {
                    Ok(0) => return,
                    Ok(n) => {
                        buf.truncate(n);
                        if tx.send(Ok(buf)).is_err() {
                            return;
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                }
            }
        })
        .map_err(|e| format!("cannot start a thread to read it: {e}"))?;
    Ok(StreamInput {
        rx,
        buf: Vec::new(),
        pos: 0,
        stop: Arc::clone(stop),
        shown: p.shown.clone(),
        last_data: Instant::now(),
        noted: false,
    })
}

/// The reading end of [`open_input`]'s stream thread.
struct StreamInput {
    rx: crossbeam_channel::Receiver<io::Result<Vec<u8>>>,
    buf: Vec<u8>,
    pos: usize,
    stop: Arc<AtomicBool>,
    shown: String,
    last_data: Instant,
    noted: bool,
}

impl StreamInput {
    /// Gives back bytes read to recognise the input, before the rest of the current chunk.
    fn unread(&mut self, mut head: Vec<u8>) {
        head.extend_from_slice(self.buf.get(self.pos..).unwrap_or_default());
        self.buf = head;
        self.pos = 0;
    }
}

impl Read for StreamInput {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.buf.len() {
            // End of input, so the records already buffered are still read.
            if self.stop.load(Ordering::Relaxed) {
                return Ok(0);
            }
            match self.rx.recv_timeout(STOP_POLL) {
                Ok(Ok(chunk)) => {
                    self.buf = chunk;
                    self.pos = 0;
                    self.last_data = Instant::now();
                }
                Ok(Err(e)) => return Err(e),
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => return Ok(0),
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                    if !self.noted && self.last_data.elapsed() >= SILENCE_NOTE {
                        self.noted = true;
                        tracing::warn!(
                            input = %self.shown,
                            "{}: nothing has arrived for {} s; still waiting (for a FIFO: is anything writing to it?)",
                            self.shown,
                            SILENCE_NOTE.as_secs()
                        );
                    }
                }
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// One record.
pub struct Record<'a> {
    pub ts: TsNanos,
    /// Link type of the interface the record came from (libpcap's DLT numbering).
    pub linktype: i32,
    pub data: &'a [u8],
    /// Length on the wire (may exceed `data.len()` under a snaplen).
    pub wire_len: u32,
    /// The shared block `data` lies in, when the reader has one: lets a consumer keep the
    /// bytes without copying them.
    pub block: Option<&'a Arc<Vec<u8>>>,
    /// Live capture: the index of the interface it came from; 0 for files.
    pub iface: u32,
}

pub enum Next<'a> {
    Record(Record<'a>),
    /// Live capture only: time passed without a packet.
    Idle,
    End,
    /// The file stops inside a record or is corrupt there; `String` says how.
    Cut(String),
}
