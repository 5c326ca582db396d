//! `spdk/json.h`: the JSON writer (`spdk_json_write_*`) over
//! [`crate::util::json_write::Writer`], and the parsed-value form
//! (`struct spdk_json_val`) with SPDK's decoders, as RPC methods written in
//! C receive their parameters.

use super::bdev_types::spdk_json_write_ctx;
use super::{cstr, guard};
use crate::util::json_write::Writer;
use serde_json::Value;
use std::ffi::{c_char, c_int, c_void, CStr};

/// `enum spdk_json_val_type`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum spdk_json_val_type {
    SPDK_JSON_VAL_INVALID = 0,
    SPDK_JSON_VAL_NULL = 1 << 1,
    SPDK_JSON_VAL_TRUE = 1 << 2,
    SPDK_JSON_VAL_FALSE = 1 << 3,
    SPDK_JSON_VAL_NUMBER = 1 << 4,
    SPDK_JSON_VAL_STRING = 1 << 5,
    SPDK_JSON_VAL_ARRAY_BEGIN = 1 << 6,
    SPDK_JSON_VAL_ARRAY_END = 1 << 7,
    SPDK_JSON_VAL_OBJECT_BEGIN = 1 << 8,
    SPDK_JSON_VAL_OBJECT_END = 1 << 9,
    SPDK_JSON_VAL_NAME = 1 << 10,
}

const T_NULL: u32 = 1 << 1;
const T_TRUE: u32 = 1 << 2;
const T_FALSE: u32 = 1 << 3;
const T_NUMBER: u32 = 1 << 4;
const T_STRING: u32 = 1 << 5;
const T_ARRAY_BEGIN: u32 = 1 << 6;
const T_ARRAY_END: u32 = 1 << 7;
const T_OBJECT_BEGIN: u32 = 1 << 8;
const T_OBJECT_END: u32 = 1 << 9;
const T_NAME: u32 = 1 << 10;

/// `struct spdk_json_val`: one value of a flattened JSON document. For
/// strings, names and numbers, `start`/`len` are its text (strings
/// unescaped); for `_BEGIN` values, `len` counts the values up to the
/// matching `_END`. `type` holds an `enum spdk_json_val_type`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct spdk_json_val {
    pub start: *mut c_void,
    pub len: u32,
    pub r#type: u32,
}

/// A flattened document: the values and the bytes they point into.
pub struct Flat {
    pub vals: Vec<spdk_json_val>,
    _text: Vec<u8>,
}

/// Flattens a serde value into SPDK's value array (what C methods receive).
pub fn flatten(v: &Value) -> Flat {
    // First pass: (type, text range or count) with offsets into `text`.
    let mut text = Vec::new();
    let mut items: Vec<(u32, usize, u32)> = Vec::new();
    fn walk(v: &Value, text: &mut Vec<u8>, items: &mut Vec<(u32, usize, u32)>) {
        let push_text = |t: u32, s: &[u8], text: &mut Vec<u8>, items: &mut Vec<(u32, usize, u32)>| {
            items.push((t, text.len(), s.len() as u32));
            text.extend_from_slice(s);
            text.push(0);
        };
        match v {
            Value::Null => items.push((T_NULL, 0, 0)),
            Value::Bool(true) => items.push((T_TRUE, 0, 0)),
            Value::Bool(false) => items.push((T_FALSE, 0, 0)),
            Value::Number(n) => push_text(T_NUMBER, n.to_string().as_bytes(), text, items),
            Value::String(s) => push_text(T_STRING, s.as_bytes(), text, items),
            Value::Array(a) => {
                let at = items.len();
                items.push((T_ARRAY_BEGIN, 0, 0));
                a.iter().for_each(|x| walk(x, text, items));
                items[at].2 = (items.len() - at - 1) as u32;
                items.push((T_ARRAY_END, 0, 0));
            }
            Value::Object(m) => {
                let at = items.len();
                items.push((T_OBJECT_BEGIN, 0, 0));
                for (k, x) in m {
                    push_text(T_NAME, k.as_bytes(), text, items);
                    walk(x, text, items);
                }
                items[at].2 = (items.len() - at - 1) as u32;
                items.push((T_OBJECT_END, 0, 0));
            }
        }
    }
    walk(v, &mut text, &mut items);
    let base = text.as_mut_ptr();
    let vals = items
        .into_iter()
        .map(|(t, off, len)| {
            let textual = matches!(t, T_NUMBER | T_STRING | T_NAME);
            // SAFETY: off is within `text`, which the Flat keeps alive and never grows again.
            let start = if textual { unsafe { base.add(off) } } else { base };
            spdk_json_val { start: start.cast(), len, r#type: t }
        })
        .collect();
    Flat { vals, _text: text }
}

fn val_bytes<'a>(v: &spdk_json_val) -> &'a [u8] {
    if v.start.is_null() || v.len == 0 {
        return &[];
    }
    // SAFETY: start/len describe the value's text in its document (caller's contract).
    unsafe { std::slice::from_raw_parts(v.start as *const u8, v.len as usize) }
}

/// The number of values a value spans (`spdk_json_val_len`).
fn span(v: &spdk_json_val) -> usize {
    if v.r#type == T_ARRAY_BEGIN || v.r#type == T_OBJECT_BEGIN {
        v.len as usize + 2
    } else {
        1
    }
}

/// Reads a JSON number's text as an unsigned integer in `max`'s range.
fn number_u64(v: &spdk_json_val, max: u64) -> Option<u64> {
    if v.r#type != T_NUMBER {
        return None;
    }
    let s = std::str::from_utf8(val_bytes(v)).ok()?;
    let n = match s.parse::<u64>() {
        Ok(n) => n,
        Err(_) => {
            let f: f64 = s.parse().ok()?;
            if f < 0.0 || f.fract() != 0.0 || f > u64::MAX as f64 {
                return None;
            }
            f as u64
        }
    };
    (n <= max).then_some(n)
}

fn number_i64(v: &spdk_json_val, min: i64, max: i64) -> Option<i64> {
    if v.r#type != T_NUMBER {
        return None;
    }
    let s = std::str::from_utf8(val_bytes(v)).ok()?;
    let n = match s.parse::<i64>() {
        Ok(n) => n,
        Err(_) => {
            let f: f64 = s.parse().ok()?;
            if f.fract() != 0.0 || f < i64::MIN as f64 || f > i64::MAX as f64 {
                return None;
            }
            f as i64
        }
    };
    (min..=max).contains(&n).then_some(n)
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_val_len(val: *const spdk_json_val) -> usize {
    // SAFETY: NULL or the caller's value.
    guard(0, || unsafe { val.as_ref() }.map_or(0, span))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_strequal(val: *const spdk_json_val, s: *const c_char) -> bool {
    guard(false, || {
        // SAFETY: the caller's value and C string.
        let (Some(v), Some(s)) = (unsafe { val.as_ref() }, (!s.is_null()).then(|| unsafe { CStr::from_ptr(s) })) else {
            return false;
        };
        (v.r#type == T_STRING || v.r#type == T_NAME) && val_bytes(v) == s.to_bytes()
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_strdup(val: *const spdk_json_val) -> *mut c_char {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's value.
        let Some(v) = (unsafe { val.as_ref() }) else { return std::ptr::null_mut() };
        if v.r#type != T_STRING && v.r#type != T_NAME {
            return std::ptr::null_mut();
        }
        let b = val_bytes(v);
        if b.contains(&0) {
            return std::ptr::null_mut();
        }
        // SAFETY: malloc'd for the caller (who frees it with free()); b.len()+1 bytes written.
        unsafe {
            let p = libc::malloc(b.len() + 1) as *mut u8;
            if !p.is_null() {
                std::ptr::copy_nonoverlapping(b.as_ptr(), p, b.len());
                *p.add(b.len()) = 0;
            }
            p.cast()
        }
    })
}

/// Stores a converted number through `num`; 0, or -1 if `val` is not a number in range.
fn store_number<T>(val: *const spdk_json_val, num: *mut T, conv: impl FnOnce(&spdk_json_val) -> Option<T>) -> c_int {
    guard(-1, || {
        // SAFETY: the caller's value.
        let Some(v) = (unsafe { val.as_ref() }) else { return -1 };
        match conv(v) {
            Some(n) if !num.is_null() => {
                // SAFETY: the caller's out-parameter.
                unsafe { *num = n };
                0
            }
            _ => -1,
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_number_to_uint8(val: *const spdk_json_val, num: *mut u8) -> c_int {
    store_number(val, num, |v| number_u64(v, u8::MAX as u64).map(|n| n as u8))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_number_to_uint16(val: *const spdk_json_val, num: *mut u16) -> c_int {
    store_number(val, num, |v| number_u64(v, u16::MAX as u64).map(|n| n as u16))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_number_to_uint32(val: *const spdk_json_val, num: *mut u32) -> c_int {
    store_number(val, num, |v| number_u64(v, u32::MAX as u64).map(|n| n as u32))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_number_to_uint64(val: *const spdk_json_val, num: *mut u64) -> c_int {
    store_number(val, num, |v| number_u64(v, u64::MAX).map(|n| n as u64))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_number_to_int32(val: *const spdk_json_val, num: *mut i32) -> c_int {
    store_number(val, num, |v| number_i64(v, i32::MIN as i64, i32::MAX as i64).map(|n| n as i32))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_number_to_int64(val: *const spdk_json_val, num: *mut i64) -> c_int {
    store_number(val, num, |v| number_i64(v, i64::MIN, i64::MAX).map(|n| n as i64))
}


pub type spdk_json_decode_fn = Option<unsafe extern "C" fn(val: *const spdk_json_val, out: *mut c_void) -> c_int>;

#[no_mangle]
pub unsafe extern "C" fn spdk_json_decode_bool(val: *const spdk_json_val, out: *mut c_void) -> c_int {
    guard(-1, || {
        // SAFETY: the caller's value.
        let Some(v) = (unsafe { val.as_ref() }) else { return -1 };
        let b = match v.r#type {
            T_TRUE => true,
            T_FALSE => false,
            _ => return -1,
        };
        // SAFETY: out points to a bool (decoder contract).
        unsafe { *(out as *mut bool) = b };
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_decode_uint8(val: *const spdk_json_val, out: *mut c_void) -> c_int {
    spdk_json_number_to_uint8(val, out.cast())
}
#[no_mangle]
pub unsafe extern "C" fn spdk_json_decode_uint16(val: *const spdk_json_val, out: *mut c_void) -> c_int {
    spdk_json_number_to_uint16(val, out.cast())
}
#[no_mangle]
pub unsafe extern "C" fn spdk_json_decode_uint32(val: *const spdk_json_val, out: *mut c_void) -> c_int {
    spdk_json_number_to_uint32(val, out.cast())
}
#[no_mangle]
pub unsafe extern "C" fn spdk_json_decode_uint64(val: *const spdk_json_val, out: *mut c_void) -> c_int {
    spdk_json_number_to_uint64(val, out.cast())
}
#[no_mangle]
pub unsafe extern "C" fn spdk_json_decode_int32(val: *const spdk_json_val, out: *mut c_void) -> c_int {
    spdk_json_number_to_int32(val, out.cast())
}
#[no_mangle]
pub unsafe extern "C" fn spdk_json_decode_int64(val: *const spdk_json_val, out: *mut c_void) -> c_int {
    spdk_json_number_to_int64(val, out.cast())
}

/// Decodes a string into a freshly allocated C string at `*(char **)out`
/// (a previous one there is freed).
#[no_mangle]
pub unsafe extern "C" fn spdk_json_decode_string(val: *const spdk_json_val, out: *mut c_void) -> c_int {
    guard(-1, || {
        // SAFETY: the caller's value.
        if !matches!(unsafe { val.as_ref() }, Some(v) if v.r#type == T_STRING) {
            return -1;
        }
        // SAFETY: as above.
        let s = unsafe { spdk_json_strdup(val) };
        if s.is_null() {
            return -1;
        }
        // SAFETY: out points to a char * the caller owns (NULL or malloc'd).
        unsafe {
            let slot = out as *mut *mut c_char;
            libc::free((*slot).cast());
            *slot = s;
        }
        0
    })
}

/// `struct spdk_json_object_decoder`.
#[repr(C)]
pub struct spdk_json_object_decoder {
    pub name: *const c_char,
    pub offset: usize,
    pub decode_func: spdk_json_decode_fn,
    pub optional: bool,
}

unsafe fn decode_object(values: *const spdk_json_val, decoders: *const spdk_json_object_decoder, n: usize, out: *mut c_void, relaxed: bool) -> c_int {
    // SAFETY: the caller's value array, starting with an object.
    let Some(first) = (unsafe { values.as_ref() }) else { return -1 };
    if first.r#type != T_OBJECT_BEGIN || decoders.is_null() && n > 0 {
        return -1;
    }
    // SAFETY: the caller's array of n decoders.
    let decs = if n == 0 { &[][..] } else { unsafe { std::slice::from_raw_parts(decoders, n) } };
    let mut seen = vec![false; n];
    let mut i = 1usize;
    let end = first.len as usize + 1;
    let mut rc = 0;
    while i < end {
        // SAFETY: i < end stays inside the object's values.
        let name = unsafe { &*values.add(i) };
        if name.r#type != T_NAME {
            return -1;
        }
        let value = values.wrapping_add(i + 1);
        // SAFETY: the value after a name exists inside the object.
        let vlen = span(unsafe { &*value });
        // SAFETY: decoder names are C strings.
        match decs.iter().position(|d| !d.name.is_null() && unsafe { CStr::from_ptr(d.name) }.to_bytes() == val_bytes(name)) {
            Some(k) => {
                if seen[k] {
                    rc = -1;
                }
                seen[k] = true;
                let d = &decs[k];
                // SAFETY: the decoder writes its field at out + offset (the caller's layout).
                let r = d.decode_func.map_or(-1, |f| unsafe { f(value, (out as *mut u8).add(d.offset).cast()) });
                if r != 0 {
                    rc = -1;
                }
            }
            None if relaxed => {}
            None => rc = -1,
        }
        i += 1 + vlen;
    }
    if decs.iter().zip(&seen).any(|(d, &s)| !s && !d.optional) {
        rc = -1;
    }
    rc
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_decode_object(values: *const spdk_json_val, decoders: *const spdk_json_object_decoder, num_decoders: usize, out: *mut c_void) -> c_int {
    // SAFETY: forwarded caller contract.
    guard(-1, || unsafe { decode_object(values, decoders, num_decoders, out, false) })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_decode_object_relaxed(values: *const spdk_json_val, decoders: *const spdk_json_object_decoder, num_decoders: usize, out: *mut c_void) -> c_int {
    // SAFETY: forwarded caller contract.
    guard(-1, || unsafe { decode_object(values, decoders, num_decoders, out, true) })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_decode_array(
    values: *const spdk_json_val,
    decode_func: spdk_json_decode_fn,
    out: *mut c_void,
    max_size: usize,
    out_size: *mut usize,
    stride: usize,
) -> c_int {
    guard(-1, || {
        // SAFETY: the caller's array value.
        let Some(first) = (unsafe { values.as_ref() }) else { return -1 };
        let Some(f) = decode_func else { return -1 };
        if first.r#type != T_ARRAY_BEGIN || out_size.is_null() {
            return -1;
        }
        let end = first.len as usize + 1;
        let (mut i, mut count) = (1usize, 0usize);
        while i < end {
            if count >= max_size {
                return -1;
            }
            let v = values.wrapping_add(i);
            // SAFETY: element i of the array; the element slot is inside the caller's out array.
            if unsafe { f(v, (out as *mut u8).add(count * stride).cast()) } != 0 {
                return -1;
            }
            count += 1;
            // SAFETY: as above.
            i += span(unsafe { &*v });
        }
        // SAFETY: the caller's out-parameter.
        unsafe { *out_size = count };
        0
    })
}

/// Frees the strings `spdk_json_decode_string` allocated in a decoded object.
#[no_mangle]
pub unsafe extern "C" fn spdk_json_free_object(decoders: *const spdk_json_object_decoder, num_decoders: usize, obj: *mut c_void) {
    guard((), || {
        if decoders.is_null() || obj.is_null() {
            return;
        }
        // SAFETY: the caller's decoders and decoded object.
        for d in unsafe { std::slice::from_raw_parts(decoders, num_decoders) } {
            if d.decode_func.map(|f| f as usize) == Some(spdk_json_decode_string as *const () as usize) {
                // SAFETY: the field holds NULL or a string we allocated.
                unsafe {
                    let slot = (obj as *mut u8).add(d.offset) as *mut *mut c_char;
                    libc::free((*slot).cast());
                    *slot = std::ptr::null_mut();
                }
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_next(pos: *mut spdk_json_val) -> *mut spdk_json_val {
    // Callers iterate arrays and objects whose end they check themselves;
    // this returns the value after `pos` (after its value for a name), or
    // NULL at the container's end.
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's position inside a document.
        let Some(v) = (unsafe { pos.as_ref() }) else { return std::ptr::null_mut() };
        let step = if v.r#type == T_NAME {
            // SAFETY: a name is followed by its value.
            1 + span(unsafe { &*pos.add(1) })
        } else {
            span(v)
        };
        // SAFETY: the document ends with an _END value; we stop on it.
        let next = unsafe { pos.add(step) };
        // SAFETY: as above.
        let t = unsafe { (*next).r#type };
        if t == T_ARRAY_END || t == T_OBJECT_END {
            std::ptr::null_mut()
        } else {
            next
        }
    })
}

unsafe fn first_in(v: *mut spdk_json_val, t: u32) -> *mut spdk_json_val {
    // SAFETY: the caller's value.
    match unsafe { v.as_ref() } {
        // SAFETY: a non-empty container's first value follows its _BEGIN.
        Some(b) if b.r#type == t && b.len > 0 => unsafe { v.add(1) },
        _ => std::ptr::null_mut(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_object_first(object: *mut spdk_json_val) -> *mut spdk_json_val {
    // SAFETY: forwarded.
    guard(std::ptr::null_mut(), || unsafe { first_in(object, T_OBJECT_BEGIN) })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_array_first(array_begin: *mut spdk_json_val) -> *mut spdk_json_val {
    // SAFETY: forwarded.
    guard(std::ptr::null_mut(), || unsafe { first_in(array_begin, T_ARRAY_BEGIN) })
}

/// Finds `key_name` in an object: 0, -EINVAL (not an object), -ENOENT, -EDOM (type mismatch).
#[no_mangle]
pub unsafe extern "C" fn spdk_json_find(
    object: *mut spdk_json_val,
    key_name: *const c_char,
    key: *mut *mut spdk_json_val,
    val: *mut *mut spdk_json_val,
    r#type: u32,
) -> c_int {
    guard(-libc::EINVAL, || {
        // SAFETY: the caller's object and key.
        let (Some(o), Some(k)) = (unsafe { object.as_ref() }, unsafe { cstr(key_name) }) else { return -libc::EINVAL };
        if o.r#type != T_OBJECT_BEGIN {
            return -libc::EINVAL;
        }
        let end = o.len as usize + 1;
        let mut i = 1;
        while i < end {
            // SAFETY: inside the object.
            let (n, v) = unsafe { (object.add(i), object.add(i + 1)) };
            // SAFETY: as above.
            let (nr, vr) = unsafe { (&*n, &*v) };
            if nr.r#type != T_NAME {
                return -libc::EINVAL;
            }
            if val_bytes(nr) == k.as_bytes() {
                if r#type != 0 && vr.r#type != r#type {
                    return -libc::EDOM;
                }
                // SAFETY: the caller's optional out-parameters.
                unsafe {
                    if !key.is_null() {
                        *key = n;
                    }
                    if !val.is_null() {
                        *val = v;
                    }
                }
                return 0;
            }
            i += 1 + span(vr);
        }
        -libc::ENOENT
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_find_string(object: *mut spdk_json_val, key_name: *const c_char, key: *mut *mut spdk_json_val, val: *mut *mut spdk_json_val) -> c_int {
    // SAFETY: forwarded.
    unsafe { spdk_json_find(object, key_name, key, val, T_STRING) }
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_find_array(object: *mut spdk_json_val, key_name: *const c_char, key: *mut *mut spdk_json_val, value: *mut *mut spdk_json_val) -> c_int {
    // SAFETY: forwarded.
    unsafe { spdk_json_find(object, key_name, key, value, T_ARRAY_BEGIN) }
}

// ---- The writer ----

pub type spdk_json_write_cb = Option<unsafe extern "C" fn(cb_ctx: *mut c_void, data: *const c_void, size: usize) -> c_int>;

/// What a `struct spdk_json_write_ctx *` points to.
pub(crate) struct WriteCtx {
    pub(crate) w: Writer,
    cb: spdk_json_write_cb,
    cb_ctx: *mut c_void,
    cb_failed: bool,
}

/// `SPDK_JSON_WRITE_FLAG_FORMATTED`.
pub const SPDK_JSON_WRITE_FLAG_FORMATTED: u32 = 1;

/// A context for internal use (no callback): the caller reads `w` afterwards.
pub(crate) fn ctx_new(w: Writer) -> *mut spdk_json_write_ctx {
    Box::into_raw(Box::new(WriteCtx { w, cb: None, cb_ctx: std::ptr::null_mut(), cb_failed: false })).cast()
}

/// Takes back a context made by `ctx_new`.
pub(crate) fn ctx_take(p: *mut spdk_json_write_ctx) -> Writer {
    // SAFETY: made by ctx_new and not freed (internal use only).
    unsafe { Box::from_raw(p as *mut WriteCtx) }.w
}

fn with<R>(w: *mut spdk_json_write_ctx, default: R, f: impl FnOnce(&mut WriteCtx) -> R) -> R {
    // SAFETY: a context from spdk_json_write_begin / ctx_new, used on one thread at a time.
    match unsafe { (w as *mut WriteCtx).as_mut() } {
        Some(c) => guard(default, || f(c)),
        None => default,
    }
}

fn rc(ok: bool) -> c_int {
    if ok {
        0
    } else {
        -1
    }
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_begin(write_cb: spdk_json_write_cb, cb_ctx: *mut c_void, flags: u32) -> *mut spdk_json_write_ctx {
    guard(std::ptr::null_mut(), || {
        let w = Writer::new(flags & SPDK_JSON_WRITE_FLAG_FORMATTED != 0);
        Box::into_raw(Box::new(WriteCtx { w, cb: write_cb, cb_ctx, cb_failed: false })).cast()
    })
}

/// Hands the output to the callback and frees the context; 0, or -1 if
/// anything failed (misuse, unbalanced nesting, the callback).
#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_end(w: *mut spdk_json_write_ctx) -> c_int {
    if w.is_null() {
        return -1;
    }
    guard(-1, || {
        // SAFETY: made by spdk_json_write_begin; freed here once.
        let mut c = unsafe { Box::from_raw(w as *mut WriteCtx) };
        let complete = c.w.complete();
        let out = c.w.take();
        let mut ok = complete && !c.cb_failed;
        if let Some(cb) = c.cb {
            let mut bytes = out;
            // SAFETY: the caller's callback and context.
            if !bytes.is_empty() && unsafe { cb(c.cb_ctx, bytes.as_mut_ptr().cast(), bytes.len()) } != 0 {
                ok = false;
            }
        }
        rc(ok)
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_null(w: *mut spdk_json_write_ctx) -> c_int {
    with(w, -1, |c| rc(c.w.raw_value(b"null")))
}
#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_bool(w: *mut spdk_json_write_ctx, val: bool) -> c_int {
    with(w, -1, |c| rc(c.w.raw_value(if val { b"true" } else { b"false" })))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_uint8(w: *mut spdk_json_write_ctx, val: u8) -> c_int {
    with(w, -1, |c| rc(c.w.raw_value(val.to_string().as_bytes())))
}
#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_uint16(w: *mut spdk_json_write_ctx, val: u16) -> c_int {
    with(w, -1, |c| rc(c.w.raw_value(val.to_string().as_bytes())))
}
#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_int32(w: *mut spdk_json_write_ctx, val: i32) -> c_int {
    with(w, -1, |c| rc(c.w.raw_value(val.to_string().as_bytes())))
}
#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_uint32(w: *mut spdk_json_write_ctx, val: u32) -> c_int {
    with(w, -1, |c| rc(c.w.raw_value(val.to_string().as_bytes())))
}
#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_int64(w: *mut spdk_json_write_ctx, val: i64) -> c_int {
    with(w, -1, |c| rc(c.w.raw_value(val.to_string().as_bytes())))
}
#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_uint64(w: *mut spdk_json_write_ctx, val: u64) -> c_int {
    with(w, -1, |c| rc(c.w.raw_value(val.to_string().as_bytes())))
}


#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_uint128(w: *mut spdk_json_write_ctx, low_val: u64, high_val: u64) -> c_int {
    let v = ((high_val as u128) << 64) | low_val as u128;
    with(w, -1, |c| rc(c.w.raw_value(v.to_string().as_bytes())))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_string(w: *mut spdk_json_write_ctx, val: *const c_char) -> c_int {
    if val.is_null() {
        return -1;
    }
    // SAFETY: the caller's C string.
    let b = unsafe { CStr::from_ptr(val) }.to_bytes();
    with(w, -1, |c| rc(c.w.string_bytes(b)))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_string_raw(w: *mut spdk_json_write_ctx, val: *const c_char, len: usize) -> c_int {
    if val.is_null() && len > 0 {
        return -1;
    }
    // SAFETY: the caller's len bytes.
    let b = if len == 0 { &[][..] } else { unsafe { std::slice::from_raw_parts(val as *const u8, len) } };
    with(w, -1, |c| rc(c.w.string_bytes(b)))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_array_begin(w: *mut spdk_json_write_ctx) -> c_int {
    with(w, -1, |c| rc(c.w.begin(false)))
}
#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_array_end(w: *mut spdk_json_write_ctx) -> c_int {
    with(w, -1, |c| rc(c.w.end(false)))
}
#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_object_begin(w: *mut spdk_json_write_ctx) -> c_int {
    with(w, -1, |c| rc(c.w.begin(true)))
}
#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_object_end(w: *mut spdk_json_write_ctx) -> c_int {
    with(w, -1, |c| rc(c.w.end(true)))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_name(w: *mut spdk_json_write_ctx, name: *const c_char) -> c_int {
    if name.is_null() {
        return -1;
    }
    // SAFETY: the caller's C string.
    let b = unsafe { CStr::from_ptr(name) }.to_bytes();
    with(w, -1, |c| rc(c.w.name(b)))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_name_raw(w: *mut spdk_json_write_ctx, name: *const c_char, len: usize) -> c_int {
    if name.is_null() {
        return -1;
    }
    // SAFETY: the caller's len bytes.
    let b = unsafe { std::slice::from_raw_parts(name as *const u8, len) };
    with(w, -1, |c| rc(c.w.name(b)))
}

/// Rebuilds a serde value from SPDK's value array (for `spdk_json_write_val`).
fn unflatten(vals: *const spdk_json_val) -> Option<(Value, usize)> {
    // SAFETY: the caller's value array, well formed.
    let v = unsafe { vals.as_ref() }?;
    let text = || String::from_utf8(val_bytes(v).to_vec()).ok();
    Some(match v.r#type {
        T_NULL => (Value::Null, 1),
        T_TRUE => (Value::Bool(true), 1),
        T_FALSE => (Value::Bool(false), 1),
        T_NUMBER => (serde_json::from_str(&text()?).ok()?, 1),
        T_STRING => (Value::String(text()?), 1),
        T_ARRAY_BEGIN => {
            let end = v.len as usize + 1;
            let (mut i, mut out) = (1, Vec::new());
            while i < end {
                let (x, n) = unflatten(vals.wrapping_add(i))?;
                out.push(x);
                i += n;
            }
            (Value::Array(out), end + 1)
        }
        T_OBJECT_BEGIN => {
            let end = v.len as usize + 1;
            let (mut i, mut out) = (1, serde_json::Map::new());
            while i < end {
                // SAFETY: inside the object.
                let name = unsafe { &*vals.add(i) };
                let k = String::from_utf8(val_bytes(name).to_vec()).ok()?;
                let (x, n) = unflatten(vals.wrapping_add(i + 1))?;
                out.insert(k, x);
                i += 1 + n;
            }
            (Value::Object(out), end + 1)
        }
        _ => return None,
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_val(w: *mut spdk_json_write_ctx, val: *const spdk_json_val) -> c_int {
    with(w, -1, |c| match unflatten(val) {
        Some((v, _)) => rc(c.w.value(&v)),
        None => -1,
    })
}

/// Writes `name`, then the value `f` writes.
unsafe fn named(w: *mut spdk_json_write_ctx, name: *const c_char, f: impl FnOnce() -> c_int) -> c_int {
    // SAFETY: forwarded caller contract.
    match unsafe { spdk_json_write_name(w, name) } {
        0 => f(),
        r => r,
    }
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_named_null(w: *mut spdk_json_write_ctx, name: *const c_char) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { named(w, name, || spdk_json_write_null(w)) }
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_named_bool(w: *mut spdk_json_write_ctx, name: *const c_char, val: bool) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { named(w, name, || spdk_json_write_bool(w, val)) }
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_named_uint8(w: *mut spdk_json_write_ctx, name: *const c_char, val: u8) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { named(w, name, || spdk_json_write_uint8(w, val)) }
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_named_uint16(w: *mut spdk_json_write_ctx, name: *const c_char, val: u16) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { named(w, name, || spdk_json_write_uint16(w, val)) }
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_named_int32(w: *mut spdk_json_write_ctx, name: *const c_char, val: i32) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { named(w, name, || spdk_json_write_int32(w, val)) }
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_named_uint32(w: *mut spdk_json_write_ctx, name: *const c_char, val: u32) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { named(w, name, || spdk_json_write_uint32(w, val)) }
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_named_int64(w: *mut spdk_json_write_ctx, name: *const c_char, val: i64) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { named(w, name, || spdk_json_write_int64(w, val)) }
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_named_uint64(w: *mut spdk_json_write_ctx, name: *const c_char, val: u64) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { named(w, name, || spdk_json_write_uint64(w, val)) }
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_named_uint128(w: *mut spdk_json_write_ctx, name: *const c_char, low_val: u64, high_val: u64) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { named(w, name, || spdk_json_write_uint128(w, low_val, high_val)) }
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_named_string(w: *mut spdk_json_write_ctx, name: *const c_char, val: *const c_char) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { named(w, name, || spdk_json_write_string(w, val)) }
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_named_array_begin(w: *mut spdk_json_write_ctx, name: *const c_char) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { named(w, name, || spdk_json_write_array_begin(w)) }
}

#[no_mangle]
pub unsafe extern "C" fn spdk_json_write_named_object_begin(w: *mut spdk_json_write_ctx, name: *const c_char) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { named(w, name, || spdk_json_write_object_begin(w)) }
}
