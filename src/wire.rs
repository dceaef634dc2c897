//! Reads of fixed-size integers from packet bytes, for every parser: bounds-checked, so a
//! short or hostile buffer gives `None`, never a panic. Network order unless the name says
//! otherwise (capture file headers come in either order).

/// The big-endian u16 at `at`, if `b` holds it.
#[inline]
pub fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(array(b, at)?))
}

/// The big-endian 24-bit integer at `at` (TLS handshake lengths), if `b` holds it.
#[inline]
pub fn be24(b: &[u8], at: usize) -> Option<u32> {
    let [x, y, z] = array(b, at)?;
    Some(u32::from_be_bytes([0, x, y, z]))
}

/// The big-endian u32 at `at`, if `b` holds it.
#[inline]
pub fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(array(b, at)?))
}

/// The u16 at `at` in little-endian order when `le`, else big-endian.
#[inline]
pub fn u16_in(b: &[u8], at: usize, le: bool) -> Option<u16> {
    let x = array(b, at)?;
    Some(if le {
        u16::from_le_bytes(x)
    } else {
        u16::from_be_bytes(x)
    })
}

/// The u32 at `at` in little-endian order when `le`, else big-endian.
#[inline]
pub fn u32_in(b: &[u8], at: usize, le: bool) -> Option<u32> {
    let x = array(b, at)?;
    Some(if le {
        u32::from_le_bytes(x)
    } else {
        u32::from_be_bytes(x)
    })
}

#[inline]
fn array<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
    b.get(at..at.checked_add(N)?)?.try_into().ok()
}

/// Reads a buffer front to back; every read past the end gives `None` and leaves the
/// position where it was.
#[derive(Clone, Debug)]
pub struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(b: &'a [u8]) -> Cursor<'a> {
        Cursor { b, pos: 0 }
    }

    /// Bytes read so far.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// The bytes not read yet.
    pub fn rest(&self) -> &'a [u8] {
        self.b.get(self.pos..).unwrap_or_default()
    }

    pub fn u8(&mut self) -> Option<u8> {
        let [x] = self.array()?;
        Some(x)
    }

    pub fn be16(&mut self) -> Option<u16> {
        self.array().map(u16::from_be_bytes)
    }

    pub fn be24(&mut self) -> Option<u32> {
        let [x, y, z] = self.array()?;
        Some(u32::from_be_bytes([0, x, y, z]))
    }

    pub fn be32(&mut self) -> Option<u32> {
        self.array().map(u32::from_be_bytes)
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.b.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    /// Skips `n` bytes.
    pub fn skip(&mut self, n: usize) -> Option<()> {
        self.take(n).map(|_| ())
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stop_at_the_end() {
        let b = [0x12, 0x34, 0x56, 0x78];
        assert_eq!(be16(&b, 2), Some(0x5678));
        assert_eq!(be16(&b, 3), None);
        assert_eq!(be16(&b, usize::MAX), None);
        assert_eq!(be24(&b, 1), Some(0x34_5678));
        assert_eq!(be32(&b, 0), Some(0x1234_5678));
        assert_eq!(be32(&b, 1), None);
        assert_eq!(u16_in(&b, 0, true), Some(0x3412));
        assert_eq!(u32_in(&b, 0, true), Some(0x7856_3412));
        let mut c = Cursor::new(&b);
        assert_eq!(c.u8(), Some(0x12));
        assert_eq!(c.be32(), None);
        assert_eq!(c.pos(), 1);
        assert_eq!(c.be24(), Some(0x34_5678));
        assert_eq!(c.u8(), None);
        assert_eq!(c.rest(), &[] as &[u8]);
    }
}
