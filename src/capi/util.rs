//! `spdk/crc32.h`, `spdk/crc16.h`, `spdk/uuid.h`, `spdk/string.h`, `spdk/cpuset.h`
//! (the inline helpers of `spdk/util.h` are in the header's raw section).

use super::{cstr, guard};
use crate::util::{crc, string, uuid};
use std::cell::RefCell;
use std::ffi::{c_char, c_int, c_long, c_longlong, c_void, CString};

pub use crate::util::cpuset::spdk_cpuset;

pub const SPDK_CPUSET_SIZE: u32 = 1024;
pub const SPDK_UUID_STRING_LEN: u32 = 37;

unsafe fn bytes<'a>(buf: *const c_void, len: usize) -> &'a [u8] {
    if buf.is_null() || len == 0 {
        &[]
    } else {
        // SAFETY: per the C contract, buf holds len readable bytes.
        unsafe { std::slice::from_raw_parts(buf as *const u8, len) }
    }
}

/// CRC-32C of `buf` continuing from `crc` (no inversion in or out).
#[no_mangle]
pub unsafe extern "C" fn spdk_crc32c_update(buf: *const c_void, len: usize, crc: u32) -> u32 {
    // SAFETY: forwarding the caller's buffer.
    guard(crc, || crc::crc32c_update(unsafe { bytes(buf, len) }, crc))
}

/// CRC-32C over an I/O vector.
#[no_mangle]
pub unsafe extern "C" fn spdk_crc32c_iov_update(iov: *mut libc::iovec, iovcnt: c_int, crc32c: u32) -> u32 {
    guard(crc32c, || {
        if iov.is_null() || iovcnt <= 0 {
            return crc32c;
        }
        // SAFETY: the caller's array of iovcnt entries.
        let v = unsafe { std::slice::from_raw_parts(iov, iovcnt as usize) };
        // SAFETY: each entry describes a readable buffer.
        v.iter().fold(crc32c, |c, e| crc::crc32c_update(unsafe { bytes(e.iov_base, e.iov_len) }, c))
    })
}

/// CRC-32 (IEEE) of `buf` continuing from `crc` (no inversion in or out).
#[no_mangle]
pub unsafe extern "C" fn spdk_crc32_ieee_update(buf: *const c_void, len: usize, crc: u32) -> u32 {
    // SAFETY: forwarding the caller's buffer.
    guard(crc, || crc::crc32_ieee_update(unsafe { bytes(buf, len) }, crc))
}

/// CRC-16 T10-DIF of `buf` continuing from `init_crc`.
#[no_mangle]
pub unsafe extern "C" fn spdk_crc16_t10dif(init_crc: u16, buf: *const c_void, len: usize) -> u16 {
    // SAFETY: forwarding the caller's buffer.
    guard(init_crc, || crc::crc16_t10dif(init_crc, unsafe { bytes(buf, len) }))
}

/// Copies `len` bytes from `src` to `dst` and returns their CRC-16 T10-DIF.
#[no_mangle]
pub unsafe extern "C" fn spdk_crc16_t10dif_copy(init_crc: u16, dst: *mut u8, src: *mut u8, len: usize) -> u16 {
    guard(init_crc, || {
        if len == 0 || dst.is_null() || src.is_null() {
            return init_crc;
        }
        // SAFETY: the caller's non-overlapping buffers of len bytes.
        unsafe { std::ptr::copy_nonoverlapping(src, dst, len) };
        crc::crc16_t10dif(init_crc, unsafe { bytes(dst as *const c_void, len) })
    })
}

/// `struct spdk_uuid`: 16 raw bytes.
#[repr(C)]
#[derive(Clone, Copy)]
pub union spdk_uuid_u {
    pub raw: [u8; 16],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_uuid {
    pub u: spdk_uuid_u,
}
const _: () = assert!(std::mem::size_of::<spdk_uuid>() == 16);

unsafe fn raw(u: *const spdk_uuid) -> Option<[u8; 16]> {
    // SAFETY: NULL or the caller's struct; every bit pattern is a valid [u8; 16].
    unsafe { u.as_ref().map(|u| u.u.raw) }
}

/// Parses the 36-character text form; 0 or -EINVAL.
#[no_mangle]
pub unsafe extern "C" fn spdk_uuid_parse(uuid: *mut spdk_uuid, uuid_str: *const c_char) -> c_int {
    guard(-libc::EFAULT, || {
        // SAFETY: the caller's C string and struct.
        let (Some(s), Some(out)) = (unsafe { cstr(uuid_str) }, unsafe { uuid.as_mut() }) else { return -libc::EINVAL };
        match uuid::parse(s) {
            Some(r) => {
                out.u.raw = r;
                0
            }
            None => -libc::EINVAL,
        }
    })
}

/// Writes the lower-case text form (needs `SPDK_UUID_STRING_LEN` bytes); 0 or -EINVAL.
#[no_mangle]
pub unsafe extern "C" fn spdk_uuid_fmt_lower(uuid_str: *mut c_char, uuid_str_size: usize, uuid: *const spdk_uuid) -> c_int {
    guard(-libc::EFAULT, || {
        // SAFETY: NULL or the caller's struct.
        let Some(r) = (unsafe { raw(uuid) }) else { return -libc::EINVAL };
        if uuid_str.is_null() || uuid_str_size < SPDK_UUID_STRING_LEN as usize {
            return -libc::EINVAL;
        }
        let s = uuid::fmt_lower(&r);
        // SAFETY: the buffer has at least 37 bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(s.as_ptr(), uuid_str as *mut u8, 36);
            *uuid_str.add(36) = 0;
        }
        0
    })
}

/// memcmp-style comparison.
#[no_mangle]
pub unsafe extern "C" fn spdk_uuid_compare(u1: *const spdk_uuid, u2: *const spdk_uuid) -> c_int {
    // SAFETY: the caller's structs.
    guard(0, || match (unsafe { raw(u1) }, unsafe { raw(u2) }) {
        (Some(a), Some(b)) => a.cmp(&b) as c_int,
        _ => 0,
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_uuid_generate(uuid: *mut spdk_uuid) {
    guard((), || {
        // SAFETY: NULL or the caller's struct.
        if let Some(u) = unsafe { uuid.as_mut() } {
            u.u.raw = uuid::generate();
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_uuid_copy(dst: *mut spdk_uuid, src: *const spdk_uuid) {
    guard((), || {
        // SAFETY: the caller's structs.
        if let (Some(d), Some(s)) = (unsafe { dst.as_mut() }, unsafe { raw(src) }) {
            d.u.raw = s;
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_uuid_is_null(uuid: *const spdk_uuid) -> bool {
    // SAFETY: the caller's struct.
    guard(true, || unsafe { raw(uuid) }.is_none_or(|r| r == [0; 16]))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_uuid_set_null(uuid: *mut spdk_uuid) {
    guard((), || {
        // SAFETY: NULL or the caller's struct.
        if let Some(u) = unsafe { uuid.as_mut() } {
            u.u.raw = [0; 16];
        }
    })
}

thread_local! {
    static STRERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// The message of `errnum` (a thread-local string, valid until the next call on this thread).
#[no_mangle]
pub extern "C" fn spdk_strerror(errnum: c_int) -> *const c_char {
    guard(c"Unknown error".as_ptr(), || {
        let msg = std::io::Error::from_raw_os_error(errnum.abs()).to_string();
        let msg = msg.split(" (os error").next().unwrap_or(&msg).to_string();
        STRERROR.with(|s| {
            *s.borrow_mut() = CString::new(msg).unwrap_or_default();
            s.borrow().as_ptr()
        })
    })
}

/// Writes the message of `errnum` into `buf` (at most `buflen` bytes, NUL-terminated).
#[no_mangle]
pub unsafe extern "C" fn spdk_strerror_r(errnum: c_int, buf: *mut c_char, buflen: usize) {
    guard((), || {
        if buf.is_null() || buflen == 0 {
            return;
        }
        let msg = std::io::Error::from_raw_os_error(errnum.abs()).to_string();
        let msg = msg.split(" (os error").next().unwrap_or(&msg);
        let n = msg.len().min(buflen - 1);
        // SAFETY: buf holds buflen bytes; we write n + 1 <= buflen.
        unsafe {
            std::ptr::copy_nonoverlapping(msg.as_ptr(), buf as *mut u8, n);
            *buf.add(n) = 0;
        }
    })
}

/// A non-negative number, or -EINVAL (not a number) / -ERANGE (overflow or negative).
#[no_mangle]
pub unsafe extern "C" fn spdk_strtol(nptr: *const c_char, base: c_int) -> c_long {
    guard(-libc::EINVAL as c_long, || {
        // SAFETY: the caller's C string.
        let Some(s) = (unsafe { cstr(nptr) }) else { return -libc::EINVAL as c_long };
        match string::parse_nonneg(s, base as u32) {
            Ok(v) if v <= c_long::MAX as i64 => v as c_long,
            Ok(_) => -libc::ERANGE as c_long,
            Err(e) => -e.errno() as c_long,
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_strtoll(nptr: *const c_char, base: c_int) -> c_longlong {
    guard(-libc::EINVAL as c_longlong, || {
        // SAFETY: the caller's C string.
        let Some(s) = (unsafe { cstr(nptr) }) else { return -libc::EINVAL as c_longlong };
        match string::parse_nonneg(s, base as u32) {
            Ok(v) => v as c_longlong,
            Err(e) => -e.errno() as c_longlong,
        }
    })
}

/// Trims leading and trailing white space in place; returns `s`.
#[no_mangle]
pub unsafe extern "C" fn spdk_str_trim(s: *mut c_char) -> *mut c_char {
    guard(s, || {
        if s.is_null() {
            return s;
        }
        // SAFETY: the caller's writable C string.
        let len = unsafe { libc::strlen(s) };
        let all = unsafe { std::slice::from_raw_parts(s as *const u8, len) };
        let t = string::trim(all);
        let (off, n) = (t.as_ptr() as usize - all.as_ptr() as usize, t.len());
        // SAFETY: moving bytes within the same buffer, then terminating it.
        unsafe {
            std::ptr::copy(s.add(off), s, n);
            *s.add(n) = 0;
        }
        s
    })
}

/// Removes trailing `\r` and `\n`; returns how many were removed.
#[no_mangle]
pub unsafe extern "C" fn spdk_str_chomp(s: *mut c_char) -> c_int {
    guard(0, || {
        if s.is_null() {
            return 0;
        }
        // SAFETY: the caller's writable C string.
        let mut len = unsafe { libc::strlen(s) };
        let mut removed = 0;
        // SAFETY: indices stay within the string.
        while len > 0 && matches!(unsafe { *s.add(len - 1) } as u8, b'\n' | b'\r') {
            unsafe { *s.add(len - 1) = 0 };
            len -= 1;
            removed += 1;
        }
        removed
    })
}

/// Copies `src` into `dst` (`size` bytes, no terminator), padding with `pad`.
#[no_mangle]
pub unsafe extern "C" fn spdk_strcpy_pad(dst: *mut c_void, src: *const c_char, size: usize, pad: c_int) {
    guard((), || {
        if dst.is_null() || size == 0 {
            return;
        }
        // SAFETY: dst holds size bytes; src is a C string (NULL treated as empty).
        unsafe {
            let n = if src.is_null() { 0 } else { libc::strlen(src).min(size) };
            std::ptr::copy_nonoverlapping(src as *const u8, dst as *mut u8, n);
            std::ptr::write_bytes((dst as *mut u8).add(n), pad as u8, size - n);
        }
    })
}

/// Length of `str` (at most `size` bytes) without trailing `pad` bytes.
#[no_mangle]
pub unsafe extern "C" fn spdk_strlen_pad(str_: *const c_void, size: usize, pad: c_int) -> usize {
    guard(0, || {
        // SAFETY: the caller's buffer of size bytes.
        let b = unsafe { bytes(str_, size) };
        b.iter().rposition(|&c| c != pad as u8).map_or(0, |i| i + 1)
    })
}

unsafe fn set_mut<'a>(s: *mut spdk_cpuset) -> Option<&'a mut spdk_cpuset> {
    // SAFETY: NULL or the caller's struct.
    unsafe { s.as_mut() }
}

#[no_mangle]
pub extern "C" fn spdk_cpuset_alloc() -> *mut spdk_cpuset {
    guard(std::ptr::null_mut(), || Box::into_raw(Box::default()))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_cpuset_free(set: *mut spdk_cpuset) {
    guard((), || {
        if !set.is_null() {
            // SAFETY: allocated by spdk_cpuset_alloc.
            drop(unsafe { Box::from_raw(set) });
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_cpuset_equal(set1: *const spdk_cpuset, set2: *const spdk_cpuset) -> bool {
    // SAFETY: the caller's structs.
    guard(false, || match (unsafe { set1.as_ref() }, unsafe { set2.as_ref() }) {
        (Some(a), Some(b)) => a.cpus == b.cpus,
        _ => false,
    })
}

/// Parses a hex mask (`0x5`) or a list (`[0,2-3]`); 0 or -1.
#[no_mangle]
pub unsafe extern "C" fn spdk_cpuset_parse(set: *mut spdk_cpuset, mask: *const c_char) -> c_int {
    guard(-1, || {
        // SAFETY: the caller's struct and string.
        let (Some(s), Some(m)) = (unsafe { set_mut(set) }, unsafe { cstr(mask) }) else { return -1 };
        match spdk_cpuset::parse(m) {
            Some(p) => {
                s.cpus = p.cpus;
                0
            }
            None => -1,
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_cpuset_copy(dst: *mut spdk_cpuset, src: *const spdk_cpuset) {
    guard((), || {
        // SAFETY: the caller's structs.
        if let (Some(d), Some(s)) = (unsafe { set_mut(dst) }, unsafe { src.as_ref() }) {
            d.cpus = s.cpus;
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_cpuset_negate(set: *mut spdk_cpuset) {
    guard((), || {
        // SAFETY: the caller's struct.
        if let Some(s) = unsafe { set_mut(set) } {
            s.cpus.iter_mut().for_each(|b| *b = !*b);
        }
    })
}

fn combine(dst: *mut spdk_cpuset, src: *const spdk_cpuset, op: fn(u8, u8) -> u8) {
    // SAFETY: the caller's structs.
    if let (Some(d), Some(s)) = (unsafe { dst.as_mut() }, unsafe { src.as_ref() }) {
        d.cpus.iter_mut().zip(s.cpus.iter()).for_each(|(a, b)| *a = op(*a, *b));
    }
}

#[no_mangle]
pub extern "C" fn spdk_cpuset_and(dst: *mut spdk_cpuset, src: *const spdk_cpuset) {
    guard((), || combine(dst, src, |a, b| a & b))
}

#[no_mangle]
pub extern "C" fn spdk_cpuset_or(dst: *mut spdk_cpuset, src: *const spdk_cpuset) {
    guard((), || combine(dst, src, |a, b| a | b))
}

#[no_mangle]
pub extern "C" fn spdk_cpuset_xor(dst: *mut spdk_cpuset, src: *const spdk_cpuset) {
    guard((), || combine(dst, src, |a, b| a ^ b))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_cpuset_zero(set: *mut spdk_cpuset) {
    guard((), || {
        // SAFETY: the caller's struct.
        if let Some(s) = unsafe { set_mut(set) } {
            s.zero();
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_cpuset_set_cpu(set: *mut spdk_cpuset, cpu: u32, state: bool) {
    guard((), || {
        // SAFETY: the caller's struct.
        if let Some(s) = unsafe { set_mut(set) } {
            s.set(cpu, state);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_cpuset_get_cpu(set: *const spdk_cpuset, cpu: u32) -> bool {
    // SAFETY: the caller's struct.
    guard(false, || unsafe { set.as_ref() }.is_some_and(|s| s.get(cpu)))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_cpuset_count(set: *const spdk_cpuset) -> u32 {
    // SAFETY: the caller's struct.
    guard(0, || unsafe { set.as_ref() }.map_or(0, |s| s.count()))
}

/// The mask as hex text without `0x`, kept inside the set.
#[no_mangle]
pub unsafe extern "C" fn spdk_cpuset_fmt(set: *mut spdk_cpuset) -> *const c_char {
    // SAFETY: the caller's struct.
    guard(std::ptr::null(), || unsafe { set_mut(set) }.map_or(std::ptr::null(), |s| s.fmt_cached()))
}
