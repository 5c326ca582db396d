//! Little-endian field writers and readers shared by the admin-command
//! builders (`identify`, `logpage`, `features`, `reservation`).
//!
//! Every function clips to the buffer: a field that does not fit is written
//! only as far as the buffer goes (writers) or read as zero bytes (readers),
//! so a wrong offset can never panic on wire data.

/// Writes `bytes` at `off`, clipped to the buffer.
pub(crate) fn put(buf: &mut [u8], off: usize, bytes: &[u8]) {
    if let Some(dst) = buf.get_mut(off..) {
        let n = dst.len().min(bytes.len());
        dst[..n].copy_from_slice(&bytes[..n]);
    }
}

pub(crate) fn put_u16(buf: &mut [u8], off: usize, v: u16) {
    put(buf, off, &v.to_le_bytes());
}

pub(crate) fn put_u32(buf: &mut [u8], off: usize, v: u32) {
    put(buf, off, &v.to_le_bytes());
}

pub(crate) fn put_u64(buf: &mut [u8], off: usize, v: u64) {
    put(buf, off, &v.to_le_bytes());
}

/// Writes `vals` one after another from `off`, clipped to the buffer.
pub(crate) fn put_u32s(buf: &mut [u8], off: usize, vals: impl IntoIterator<Item = u32>) {
    for (i, v) in vals.into_iter().enumerate() {
        let at = off + i * 4;
        if at >= buf.len() {
            break;
        }
        put_u32(buf, at, v);
    }
}

pub(crate) fn put_u128(buf: &mut [u8], off: usize, v: u128) {
    put(buf, off, &v.to_le_bytes());
}

/// Copies `s` into the `len`-byte field at `off` and fills the rest of the
/// field with `pad` (a space for ASCII identifiers, NUL for NQNs); a longer
/// string is cut at the field's end.
pub(crate) fn put_padded(buf: &mut [u8], off: usize, len: usize, s: &str, pad: u8) {
    let bytes = s.as_bytes();
    let n = bytes.len().min(len);
    put(buf, off, &bytes[..n]);
    let fill = vec![pad; len - n];
    put(buf, off + n, &fill);
}

/// Reads `N` bytes at `off`; bytes beyond the buffer read as zero.
pub(crate) fn get<const N: usize>(buf: &[u8], off: usize) -> [u8; N] {
    let mut out = [0u8; N];
    if let Some(src) = buf.get(off..) {
        let n = src.len().min(N);
        out[..n].copy_from_slice(&src[..n]);
    }
    out
}

pub(crate) fn get_u64(buf: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(get::<8>(buf, off))
}

#[cfg(test)]
pub(crate) fn rd_u16(buf: &[u8], off: usize) -> u16 {
    u16::from_le_bytes(get::<2>(buf, off))
}

#[cfg(test)]
pub(crate) fn rd_u32(buf: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(get::<4>(buf, off))
}

/// Builds a status value for the `Err` side of the admin helpers:
/// status code type in bits 15:8, status code in bits 7:0.
pub const fn status(sct: u8, sc: u8) -> u16 {
    ((sct as u16) << 8) | sc as u16
}

/// Splits a status of the admin helpers into (status code type, status code).
pub const fn status_parts(s: u16) -> (u8, u8) {
    ((s >> 8) as u8, s as u8)
}

/// Statuses the admin helpers return (`status(sct, sc)`).
pub mod st {
    use super::status;
    use crate::nvme::spec::{sc, sct};
    pub const INVALID_FIELD: u16 = status(sct::GENERIC, sc::INVALID_FIELD);
    pub const COMMAND_SEQUENCE_ERROR: u16 = status(sct::GENERIC, 0x0c);
    pub const HOST_ID_INCONSISTENT_FORMAT: u16 = status(sct::GENERIC, 0x18);
    pub const KEEP_ALIVE_INVALID: u16 = status(sct::GENERIC, 0x1a);
    pub const RESERVATION_CONFLICT: u16 = status(sct::GENERIC, 0x83);
    pub const FEATURE_NOT_SAVEABLE: u16 = status(sct::COMMAND_SPECIFIC, 0x0d);
    pub const FEATURE_NOT_CHANGEABLE: u16 = status(sct::COMMAND_SPECIFIC, 0x0e);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writers_clip_to_the_buffer() {
        let mut b = [0u8; 4];
        put_u32(&mut b, 2, 0xaabb_ccdd);
        assert_eq!(b, [0, 0, 0xdd, 0xcc]);
        put_u64(&mut b, 9, 1);
        put_padded(&mut b, 0, 3, "abcdef", b' ');
        assert_eq!(&b[..3], b"abc");
        put_padded(&mut b, 1, 3, "x", b' ');
        assert_eq!(&b, b"ax  ");
        assert_eq!(get_u64(&b, 2), 0x2020);
        assert_eq!(get::<2>(&b, 100), [0, 0]);
        assert_eq!(st::RESERVATION_CONFLICT, 0x0083);
        assert_eq!(st::FEATURE_NOT_SAVEABLE, 0x010d);
        assert_eq!(status_parts(st::FEATURE_NOT_SAVEABLE), (1, 0x0d));
    }
}
