//! The pcap/pcapng block reader: any bytes as a capture file, every record read to the end.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shadowdesk::capture::{Next, Reader};

fuzz_target!(|data: &[u8]| {
    let Ok(mut r) = Reader::from_reader(Box::new(std::io::Cursor::new(data.to_vec()))) else {
        return;
    };
    loop {
        match r.next_record() {
            Next::Record(rec) => {
                // The record must lie inside what the reader holds.
                std::hint::black_box(rec.data.iter().fold(0u8, |a, b| a ^ b));
            }
            Next::Idle => continue,
            Next::End | Next::Cut(_) => break,
        }
    }
});
