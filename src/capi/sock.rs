//! `spdk/sock.h`: TCP sockets and poll groups over [`crate::sock`].
//!
//! Errors: SPDK v26.01 returns negative errno values from these functions
//! (its deprecation of "-1 and errno"); rspdk returns the negative errno and
//! also sets `errno`, so code written either way keeps working. Functions
//! returning pointers return NULL and set `errno`.
//!
//! Not provided: interrupt registration (`spdk_sock_group_register_interrupt`).

use super::{cstr, guard};
use crate::sock::{self as core, Errno, Group, ImplOpts, Sock, SockOpts};
use std::ffi::{c_char, c_int, c_void};
use std::rc::Rc;

/// Opaque: a socket.
pub struct spdk_sock {
    _private: [u8; 0],
}
/// Opaque: a poll group of sockets.
pub struct spdk_sock_group {
    _private: [u8; 0],
}

/// `TAILQ_ENTRY(spdk_sock_request) link` of a request's internal fields.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_sock_request_link {
    pub tqe_next: *mut spdk_sock_request,
    pub tqe_prev: *mut *mut spdk_sock_request,
}

/// The socket layer's fields of a request: not for the application.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct __sock_request_internal {
    pub link: spdk_sock_request_link,
    /// The queue the request is on (NULL when on none).
    pub curr_list: *mut c_void,
    /// Bytes of the request already written.
    pub offset: u32,
    /// Last zero-copy send that carried bytes of this request.
    pub zcopy_idx: u32,
    /// Some bytes went out zero-copy and the kernel has not released them yet.
    pub pending_zcopy: bool,
}

/// An asynchronous write (`spdk_sock_writev_async`). The `iovcnt` iovecs
/// follow the struct immediately in memory; see `SPDK_SOCK_REQUEST_IOV`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_sock_request {
    /// Called once: 0 when all bytes are written, or a negative errno.
    pub cb_fn: Option<unsafe extern "C" fn(cb_arg: *mut c_void, err: c_int)>,
    pub cb_arg: *mut c_void,
    pub internal: __sock_request_internal,
    pub iovcnt: c_int,
}

const _: () = assert!(std::mem::size_of::<spdk_sock_request>() == 64);
const _: () = assert!(std::mem::size_of::<spdk_sock_opts>() == 56);

/// `enum spdk_placement_mode`.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum spdk_placement_mode {
    PLACEMENT_NONE,
    PLACEMENT_NAPI,
    PLACEMENT_CPU,
    PLACEMENT_MARK,
}

pub const SPDK_TLS_VERSION_1_1: u32 = 11;
pub const SPDK_TLS_VERSION_1_2: u32 = 12;
pub const SPDK_TLS_VERSION_1_3: u32 = 13;

/// Looks up a TLS key by identity (used by the "ssl" implementation, which rspdk lacks).
pub type spdk_sock_get_key_cb = Option<unsafe extern "C" fn(out: *mut u8, out_len: c_int, cipher: *mut *const c_char, psk_identity: *const c_char, get_key_ctx: *mut c_void) -> c_int>;

/// `struct spdk_sock_impl_opts`: options of one implementation. The TLS
/// fields (`psk_*`, `get_key*`, `tls_cipher_suites`) belong to "ssl"; the
/// posix implementation reports them NULL and ignores them when set.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_sock_impl_opts {
    /// Minimum size of a socket's receive buffer.
    pub recv_buf_size: u32,
    /// Minimum size of a socket's send buffer.
    pub send_buf_size: u32,
    /// A receive pipe (sized by `spdk_sock_set_recvbuf`) that reads ahead of the application.
    pub enable_recv_pipe: bool,
    /// Deprecated by SPDK: `enable_zerocopy_send_server` / `_client`.
    pub enable_zerocopy_send: bool,
    pub enable_quickack: bool,
    /// An `enum spdk_placement_mode` (only `PLACEMENT_NONE` is supported).
    pub enable_placement_id: u32,
    pub enable_zerocopy_send_server: bool,
    pub enable_zerocopy_send_client: bool,
    /// Sends smaller than this go without `MSG_ZEROCOPY`.
    pub zerocopy_threshold: u32,
    pub tls_version: u32,
    pub enable_ktls: bool,
    pub psk_key: *mut u8,
    pub psk_key_size: u32,
    pub psk_identity: *mut c_char,
    pub get_key: spdk_sock_get_key_cb,
    pub get_key_ctx: *mut c_void,
    pub tls_cipher_suites: *const c_char,
}

/// `struct spdk_sock_opts`: per-socket options (`opts_size` convention).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_sock_opts {
    /// Size of the structure as the caller knows it.
    pub opts_size: usize,
    /// `SO_PRIORITY` of the socket (0: left alone).
    pub priority: c_int,
    /// Zero-copy sends, if the implementation options allow them too.
    pub zcopy: bool,
    pub reserved13: [u8; 3],
    /// Milliseconds unacknowledged data may wait before the connection drops (`TCP_USER_TIMEOUT`; 0: the kernel's).
    pub ack_timeout: u32,
    pub reserved: [u8; 4],
    /// Overrides of the implementation options for this socket (copied).
    pub impl_opts: *mut spdk_sock_impl_opts,
    pub impl_opts_size: usize,
    /// Source address of a connect (NULL: any).
    pub src_addr: *const c_char,
    /// Source port of a connect (0: ephemeral).
    pub src_port: u16,
    pub reserved50: [u8; 2],
    /// Milliseconds a connect may take (0: no limit).
    pub connect_timeout: u32,
}

pub type spdk_sock_cb = Option<unsafe extern "C" fn(arg: *mut c_void, group: *mut spdk_sock_group, sock: *mut spdk_sock)>;
pub type spdk_sock_connect_cb_fn = Option<unsafe extern "C" fn(cb_arg: *mut c_void, status: c_int)>;

fn set_errno(e: i32) {
    // SAFETY: the calling thread's errno slot.
    unsafe { *libc::__errno_location() = e };
}

/// Negative errno, with errno set too.
fn fail(e: Errno) -> c_int {
    set_errno(e.0);
    -e.0
}

fn status(r: core::Result<()>) -> c_int {
    match r {
        Ok(()) => 0,
        Err(e) => fail(e),
    }
}

unsafe fn sock_mut<'a>(s: *mut spdk_sock) -> Option<&'a mut Sock> {
    // SAFETY: NULL or a live socket from this library.
    unsafe { s.cast::<Sock>().as_mut() }
}

/// True when the field ending at `end` bytes lies within `size`.
fn has(size: usize, end: usize) -> bool {
    end <= size
}

macro_rules! field_end {
    ($t:ty, $f:ident) => {
        std::mem::offset_of!($t, $f) + {
            fn sz<T>(_: impl Fn(&$t) -> &T) -> usize {
                std::mem::size_of::<T>()
            }
            sz(|x: &$t| &x.$f)
        }
    };
}

fn impl_to_c(o: &ImplOpts) -> spdk_sock_impl_opts {
    spdk_sock_impl_opts {
        recv_buf_size: o.recv_buf_size,
        send_buf_size: o.send_buf_size,
        enable_recv_pipe: o.enable_recv_pipe,
        enable_zerocopy_send: o.enable_zerocopy_send_server || o.enable_zerocopy_send_client,
        enable_quickack: o.enable_quickack,
        enable_placement_id: o.enable_placement_id,
        enable_zerocopy_send_server: o.enable_zerocopy_send_server,
        enable_zerocopy_send_client: o.enable_zerocopy_send_client,
        zerocopy_threshold: o.zerocopy_threshold,
        tls_version: o.tls_version,
        enable_ktls: o.enable_ktls,
        psk_key: std::ptr::null_mut(),
        psk_key_size: 0,
        psk_identity: std::ptr::null_mut(),
        get_key: None,
        get_key_ctx: std::ptr::null_mut(),
        tls_cipher_suites: std::ptr::null(),
    }
}

/// Overlays the first `len` bytes' worth of fields of `src` on `base`.
///
/// # Safety
/// `src` points to at least `len` readable bytes.
unsafe fn impl_from_c(base: &ImplOpts, src: *const spdk_sock_impl_opts, len: usize) -> Result<ImplOpts, Errno> {
    let mut o = *base;
    let mut c = impl_to_c(base);
    // SAFETY: per the contract, copying only the bytes the caller has.
    unsafe { std::ptr::copy_nonoverlapping(src.cast::<u8>(), (&mut c as *mut spdk_sock_impl_opts).cast::<u8>(), len.min(std::mem::size_of::<spdk_sock_impl_opts>())) };
    let t = |end: usize| has(len, end);
    if t(field_end!(spdk_sock_impl_opts, recv_buf_size)) {
        o.recv_buf_size = c.recv_buf_size;
    }
    if t(field_end!(spdk_sock_impl_opts, send_buf_size)) {
        o.send_buf_size = c.send_buf_size;
    }
    if t(field_end!(spdk_sock_impl_opts, enable_recv_pipe)) {
        o.enable_recv_pipe = c.enable_recv_pipe;
    }
    if t(field_end!(spdk_sock_impl_opts, enable_quickack)) {
        o.enable_quickack = c.enable_quickack;
    }
    if t(field_end!(spdk_sock_impl_opts, enable_placement_id)) {
        if c.enable_placement_id != spdk_placement_mode::PLACEMENT_NONE as u32 {
            return Err(Errno(libc::ENOTSUP));
        }
        o.enable_placement_id = c.enable_placement_id;
    }
    if t(field_end!(spdk_sock_impl_opts, enable_zerocopy_send_server)) {
        o.enable_zerocopy_send_server = c.enable_zerocopy_send_server;
    }
    if t(field_end!(spdk_sock_impl_opts, enable_zerocopy_send_client)) {
        o.enable_zerocopy_send_client = c.enable_zerocopy_send_client;
    }
    if t(field_end!(spdk_sock_impl_opts, zerocopy_threshold)) {
        o.zerocopy_threshold = c.zerocopy_threshold;
    }
    if t(field_end!(spdk_sock_impl_opts, tls_version)) {
        o.tls_version = c.tls_version;
    }
    if t(field_end!(spdk_sock_impl_opts, enable_ktls)) {
        if c.enable_ktls {
            return Err(Errno(libc::ENOTSUP));
        }
        o.enable_ktls = c.enable_ktls;
    }
    Ok(o)
}

/// Reads a caller's `spdk_sock_opts` (fields beyond `opts_size` take defaults).
///
/// # Safety
/// `opts` is NULL or points to `opts->opts_size` readable bytes.
unsafe fn sock_opts_from_c(opts: *const spdk_sock_opts) -> Result<SockOpts, Errno> {
    let mut o = SockOpts::default();
    if opts.is_null() {
        return Ok(o);
    }
    // SAFETY: per the contract; the first field is always there.
    let size = unsafe { (*opts).opts_size };
    if size == 0 {
        return Err(Errno(libc::EINVAL));
    }
    let mut c = default_opts_value();
    // SAFETY: copying only the bytes the caller has.
    unsafe { std::ptr::copy_nonoverlapping(opts.cast::<u8>(), (&mut c as *mut spdk_sock_opts).cast::<u8>(), size.min(std::mem::size_of::<spdk_sock_opts>())) };
    let t = |end: usize| has(size, end);
    if t(field_end!(spdk_sock_opts, priority)) {
        o.priority = c.priority;
    }
    if t(field_end!(spdk_sock_opts, zcopy)) {
        o.zcopy = c.zcopy;
    }
    if t(field_end!(spdk_sock_opts, ack_timeout)) {
        o.ack_timeout_ms = c.ack_timeout;
    }
    if t(field_end!(spdk_sock_opts, impl_opts_size)) && !c.impl_opts.is_null() {
        let base = *crate::sock::posix::OPTS.lock();
        // SAFETY: the caller's impl options of the size it gives.
        o.impl_opts = Some(unsafe { impl_from_c(&base, c.impl_opts, c.impl_opts_size) }?);
    }
    if t(field_end!(spdk_sock_opts, src_addr)) && !c.src_addr.is_null() {
        // SAFETY: the caller's string.
        o.src_addr = Some(unsafe { cstr(c.src_addr) }.ok_or(Errno(libc::EINVAL))?.to_string());
    }
    if t(field_end!(spdk_sock_opts, src_port)) {
        o.src_port = c.src_port;
    }
    if t(field_end!(spdk_sock_opts, connect_timeout)) {
        o.connect_timeout_ms = c.connect_timeout;
    }
    Ok(o)
}

fn default_opts_value() -> spdk_sock_opts {
    spdk_sock_opts {
        opts_size: std::mem::size_of::<spdk_sock_opts>(),
        priority: 0,
        zcopy: true,
        reserved13: [0; 3],
        ack_timeout: 0,
        reserved: [0; 4],
        impl_opts: std::ptr::null_mut(),
        impl_opts_size: 0,
        src_addr: std::ptr::null(),
        src_port: 0,
        reserved50: [0; 2],
        connect_timeout: 0,
    }
}

/// Fills the fields of `opts` that fit in `opts->opts_size` with defaults.
#[no_mangle]
pub unsafe extern "C" fn spdk_sock_get_default_opts(opts: *mut spdk_sock_opts) {
    guard((), || {
        if opts.is_null() {
            return;
        }
        // SAFETY: the caller's struct of at least opts_size bytes.
        unsafe {
            let size = (*opts).opts_size;
            let d = default_opts_value();
            let n = size.min(std::mem::size_of::<spdk_sock_opts>());
            let skip = std::mem::size_of::<usize>();
            if n > skip {
                std::ptr::copy_nonoverlapping((&d as *const spdk_sock_opts).cast::<u8>().add(skip), opts.cast::<u8>().add(skip), n - skip);
            }
        }
    })
}

unsafe fn open(ip: *const c_char, port: c_int, impl_name: *const c_char, opts: *const spdk_sock_opts, listen: bool) -> *mut spdk_sock {
    // SAFETY: the caller's strings and options.
    let r = (|| unsafe {
        let ip = cstr(ip).ok_or(Errno(libc::EINVAL))?;
        if !impl_name.is_null() && !core::impl_known(cstr(impl_name)) {
            return Err(Errno(libc::EINVAL));
        }
        let o = sock_opts_from_c(opts)?;
        if listen {
            Sock::listen(ip, port, &o)
        } else {
            Sock::connect(ip, port, &o)
        }
    })();
    match r {
        Ok(s) => Box::into_raw(s).cast(),
        Err(e) => {
            set_errno(e.0);
            std::ptr::null_mut()
        }
    }
}

/// A socket listening on `ip`:`port` (`impl_name` NULL or "posix").
#[no_mangle]
pub unsafe extern "C" fn spdk_sock_listen(ip: *const c_char, port: c_int, impl_name: *const c_char) -> *mut spdk_sock {
    // SAFETY: the caller's strings.
    guard(std::ptr::null_mut(), || unsafe { open(ip, port, impl_name, std::ptr::null(), true) })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_sock_listen_ext(ip: *const c_char, port: c_int, impl_name: *const c_char, opts: *mut spdk_sock_opts) -> *mut spdk_sock {
    // SAFETY: the caller's strings and options.
    guard(std::ptr::null_mut(), || unsafe { open(ip, port, impl_name, opts, true) })
}

/// A socket connected to `ip`:`port`; returns once the connection is up.
#[no_mangle]
pub unsafe extern "C" fn spdk_sock_connect(ip: *const c_char, port: c_int, impl_name: *const c_char) -> *mut spdk_sock {
    // SAFETY: the caller's strings.
    guard(std::ptr::null_mut(), || unsafe { open(ip, port, impl_name, std::ptr::null(), false) })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_sock_connect_ext(ip: *const c_char, port: c_int, impl_name: *const c_char, opts: *mut spdk_sock_opts) -> *mut spdk_sock {
    // SAFETY: the caller's strings and options.
    guard(std::ptr::null_mut(), || unsafe { open(ip, port, impl_name, opts, false) })
}

/// Connects (synchronously: the posix implementation has no asynchronous
/// connect, which SPDK allows) and calls `cb_fn(cb_arg, 0)` before returning
/// the socket; on failure returns NULL without calling it.
#[no_mangle]
pub unsafe extern "C" fn spdk_sock_connect_async(ip: *const c_char, port: c_int, impl_name: *const c_char, opts: *mut spdk_sock_opts, cb_fn: spdk_sock_connect_cb_fn, cb_arg: *mut c_void) -> *mut spdk_sock {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's strings and options.
        let s = unsafe { open(ip, port, impl_name, opts, false) };
        if !s.is_null() {
            if let Some(f) = cb_fn {
                // SAFETY: the application's callback.
                unsafe { f(cb_arg, 0) };
            }
        }
        s
    })
}

/// A pending connection of a listening socket; NULL with errno EAGAIN when none waits.
#[no_mangle]
pub unsafe extern "C" fn spdk_sock_accept(sock: *mut spdk_sock) -> *mut spdk_sock {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's socket.
        let Some(s) = (unsafe { sock_mut(sock) }) else {
            set_errno(libc::EINVAL);
            return std::ptr::null_mut();
        };
        match s.accept() {
            Ok(n) => Box::into_raw(n).cast(),
            Err(e) => {
                set_errno(e.0);
                std::ptr::null_mut()
            }
        }
    })
}

/// Closes `*sock` and sets it to NULL; requests still queued complete with
/// -ECANCELED. -EBUSY while the socket is in a group.
#[no_mangle]
pub unsafe extern "C" fn spdk_sock_close(sock: *mut *mut spdk_sock) -> c_int {
    guard(-libc::EFAULT, || {
        // SAFETY: the caller's handle slot.
        if sock.is_null() || unsafe { (*sock).is_null() } {
            return fail(Errno(libc::EBADF));
        }
        // SAFETY: a live socket from this library.
        let s = unsafe { *sock }.cast::<Sock>();
        // SAFETY: as above; the slot is cleared before callbacks could reuse it.
        match unsafe { Sock::close(s) } {
            Ok(()) => {
                // SAFETY: the caller's handle slot.
                unsafe { *sock = std::ptr::null_mut() };
                0
            }
            Err(e) => fail(e),
        }
    })
}

/// Writes what was queued by `spdk_sock_writev_async`; completed requests'
/// callbacks run from here. 0 on success (even if data is still queued).
#[no_mangle]
pub unsafe extern "C" fn spdk_sock_flush(sock: *mut spdk_sock) -> c_int {
    guard(-libc::EFAULT, || {
        if sock.is_null() {
            return fail(Errno(libc::EBADF));
        }
        // SAFETY: a live socket; it may be freed by a callback, not touched after.
        match unsafe { Sock::flush(sock.cast()) } {
            Ok(_) => 0,
            Err(e) => fail(e),
        }
    })
}

fn ssize(r: core::Result<usize>) -> isize {
    match r {
        Ok(n) => n as isize,
        Err(e) => fail(e) as isize,
    }
}

/// Bytes read (0: the peer closed), or a negative errno (-EAGAIN: no data yet).
#[no_mangle]
pub unsafe extern "C" fn spdk_sock_recv(sock: *mut spdk_sock, buf: *mut c_void, len: usize) -> isize {
    guard(-libc::EFAULT as isize, || {
        // SAFETY: the caller's socket.
        let Some(s) = (unsafe { sock_mut(sock) }) else { return fail(Errno(libc::EBADF)) as isize };
        if buf.is_null() && len > 0 {
            return fail(Errno(libc::EINVAL)) as isize;
        }
        let mut iov = libc::iovec { iov_base: buf, iov_len: len };
        // SAFETY: the caller's buffer of len bytes.
        ssize(unsafe { s.readv_raw(&mut iov, 1) })
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_sock_readv(sock: *mut spdk_sock, iov: *mut libc::iovec, iovcnt: c_int) -> isize {
    guard(-libc::EFAULT as isize, || {
        // SAFETY: the caller's socket.
        let Some(s) = (unsafe { sock_mut(sock) }) else { return fail(Errno(libc::EBADF)) as isize };
        // SAFETY: the caller's iovecs.
        ssize(unsafe { s.readv_raw(iov, iovcnt) })
    })
}

/// Reads the next part of the stream into a buffer from the group's pool
/// (`spdk_sock_group_provide_buf`): returns its length and sets `*buf` and
/// `*ctx`; the buffer is the caller's again. 0 at end of stream; -ENOBUFS
/// with an empty pool, -EAGAIN when nothing waits, -EINVAL outside a group.
#[no_mangle]
pub unsafe extern "C" fn spdk_sock_recv_next(sock: *mut spdk_sock, buf: *mut *mut c_void, ctx: *mut *mut c_void) -> c_int {
    guard(-libc::EFAULT, || {
        // SAFETY: the caller's socket.
        let Some(s) = (unsafe { sock_mut(sock) }) else { return fail(Errno(libc::EBADF)) };
        if buf.is_null() || ctx.is_null() {
            return fail(Errno(libc::EINVAL));
        }
        match s.recv_next() {
            Ok(Some((b, n, c))) => {
                // SAFETY: the caller's result slots.
                unsafe {
                    *buf = b.cast();
                    *ctx = c;
                }
                n.min(c_int::MAX as usize) as c_int
            }
            Ok(None) => 0,
            Err(e) => fail(e),
        }
    })
}

/// Gives `group` a receive buffer of `len` bytes for `spdk_sock_recv_next`;
/// `ctx` comes back with it. Buffers are used last-in first-out.
#[no_mangle]
pub unsafe extern "C" fn spdk_sock_group_provide_buf(group: *mut spdk_sock_group, buf: *mut c_void, len: usize, ctx: *mut c_void) -> c_int {
    guard(-libc::EFAULT, || {
        // SAFETY: NULL or the caller's live group.
        match unsafe { group.cast::<Group>().as_mut() } {
            Some(g) => status(g.provide_buf(buf.cast(), len, ctx)),
            None => fail(Errno(libc::EINVAL)),
        }
    })
}

/// Writes what the kernel takes now; -EAGAIN while asynchronous writes are queued.
#[no_mangle]
pub unsafe extern "C" fn spdk_sock_writev(sock: *mut spdk_sock, iov: *mut libc::iovec, iovcnt: c_int) -> isize {
    guard(-libc::EFAULT as isize, || {
        // SAFETY: the caller's socket.
        let Some(s) = (unsafe { sock_mut(sock) }) else { return fail(Errno(libc::EBADF)) as isize };
        // SAFETY: the caller's iovecs.
        ssize(unsafe { s.writev_raw(iov, iovcnt) })
    })
}

/// Queues `req` (its iovecs follow it); its callback runs once, in order,
/// from a group poll or `spdk_sock_flush` (or at once with an error).
#[no_mangle]
pub unsafe extern "C" fn spdk_sock_writev_async(sock: *mut spdk_sock, req: *mut spdk_sock_request) {
    guard((), || {
        if req.is_null() {
            return;
        }
        if sock.is_null() {
            // SAFETY: the caller's request; its callback is the application's.
            unsafe {
                if let Some(f) = (*req).cb_fn {
                    f((*req).cb_arg, -libc::EBADF);
                }
            }
            return;
        }
        // SAFETY: a live socket and request per the API contract.
        unsafe { Sock::writev_async(sock.cast(), req) }
    })
}

/// Local and peer addresses (text) and ports of a connected socket.
#[no_mangle]
pub unsafe extern "C" fn spdk_sock_getaddr(sock: *mut spdk_sock, saddr: *mut c_char, slen: c_int, sport: *mut u16, caddr: *mut c_char, clen: c_int, cport: *mut u16) -> c_int {
    guard(-libc::EFAULT, || {
        // SAFETY: the caller's socket.
        let Some(s) = (unsafe { sock_mut(sock) }) else { return fail(Errno(libc::EBADF)) };
        let (la, lp, pa, pp) = match s.getaddr() {
            Ok(v) => v,
            Err(e) => return fail(e),
        };
        let put = |dst: *mut c_char, len: c_int, v: &str| -> bool {
            if dst.is_null() {
                return true;
            }
            if len <= v.len() as c_int {
                return false;
            }
            // SAFETY: the caller's buffer of len bytes, larger than the text.
            unsafe {
                std::ptr::copy_nonoverlapping(v.as_ptr(), dst.cast::<u8>(), v.len());
                *dst.add(v.len()) = 0;
            }
            true
        };
        if !put(saddr, slen, &la) || !put(caddr, clen, &pa) {
            return fail(Errno(libc::ENOSPC));
        }
        // SAFETY: the caller's optional port slots.
        unsafe {
            if !sport.is_null() {
                *sport = lp;
            }
            if !cport.is_null() {
                *cport = pp;
            }
        }
        0
    })
}

static IMPL_NAME: &[u8] = b"posix\0";

#[no_mangle]
pub unsafe extern "C" fn spdk_sock_get_impl_name(sock: *mut spdk_sock) -> *const c_char {
    guard(std::ptr::null(), || if sock.is_null() { std::ptr::null() } else { IMPL_NAME.as_ptr().cast() })
}

#[no_mangle]
pub extern "C" fn spdk_sock_get_default_impl() -> *const c_char {
    IMPL_NAME.as_ptr().cast()
}

/// Selects the default implementation: "posix" (the only one).
#[no_mangle]
pub unsafe extern "C" fn spdk_sock_set_default_impl(impl_name: *const c_char) -> c_int {
    guard(-libc::EFAULT, || {
        // SAFETY: the caller's string.
        match unsafe { cstr(impl_name) } {
            Some(n) => status(core::set_default_impl(n)),
            None => fail(Errno(libc::EINVAL)),
        }
    })
}

/// Name of the interface holding the socket's local address (NULL if none
/// matches); the string lives as long as the socket.
#[no_mangle]
pub unsafe extern "C" fn spdk_sock_get_interface_name(sock: *mut spdk_sock) -> *const c_char {
    // SAFETY: the caller's socket.
    guard(std::ptr::null(), || unsafe { sock_mut(sock) }.and_then(|s| s.interface_name_c()).map_or(std::ptr::null(), |c| c.as_ptr()))
}

/// Writes the socket layer's configuration (an array of RPC calls) into `w`.
#[no_mangle]
pub unsafe extern "C" fn spdk_sock_write_config_json(w: *mut super::bdev_types::spdk_json_write_ctx) {
    guard((), || {
        // SAFETY: NULL or a live writer context from spdk_json_write_begin.
        if let Some(c) = unsafe { w.cast::<super::json::WriteCtx>().as_mut() } {
            c.w.value(&crate::rpc::sock::config());
        }
    })
}

/// NUMA node of the socket's network device; -1 (`SPDK_ENV_NUMA_ID_ANY`) when unknown.
#[no_mangle]
pub unsafe extern "C" fn spdk_sock_get_numa_id(sock: *mut spdk_sock) -> i32 {
    // SAFETY: the caller's socket.
    guard(-1, || unsafe { sock_mut(sock) }.and_then(|s| s.numa_id()).unwrap_or(-1))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_sock_set_recvlowat(sock: *mut spdk_sock, nbytes: c_int) -> c_int {
    // SAFETY: the caller's socket.
    guard(-libc::EFAULT, || match unsafe { sock_mut(sock) } {
        Some(s) => status(s.set_recvlowat(nbytes)),
        None => fail(Errno(libc::EBADF)),
    })
}

/// Sets the receive buffer (never below the implementation's `recv_buf_size`).
#[no_mangle]
pub unsafe extern "C" fn spdk_sock_set_recvbuf(sock: *mut spdk_sock, sz: c_int) -> c_int {
    // SAFETY: the caller's socket.
    guard(-libc::EFAULT, || match unsafe { sock_mut(sock) } {
        Some(s) => status(s.set_recvbuf(sz)),
        None => fail(Errno(libc::EBADF)),
    })
}

/// Sets the send buffer (never below the implementation's `send_buf_size`).
#[no_mangle]
pub unsafe extern "C" fn spdk_sock_set_sendbuf(sock: *mut spdk_sock, sz: c_int) -> c_int {
    // SAFETY: the caller's socket.
    guard(-libc::EFAULT, || match unsafe { sock_mut(sock) } {
        Some(s) => status(s.set_sendbuf(sz)),
        None => fail(Errno(libc::EBADF)),
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_sock_is_ipv6(sock: *mut spdk_sock) -> bool {
    // SAFETY: the caller's socket.
    guard(false, || unsafe { sock_mut(sock) }.is_some_and(|s| s.family() == Ok(libc::AF_INET6)))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_sock_is_ipv4(sock: *mut spdk_sock) -> bool {
    // SAFETY: the caller's socket.
    guard(false, || unsafe { sock_mut(sock) }.is_some_and(|s| s.family() == Ok(libc::AF_INET)))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_sock_is_connected(sock: *mut spdk_sock) -> bool {
    // SAFETY: the caller's socket.
    guard(false, || unsafe { sock_mut(sock) }.is_some_and(|s| s.is_connected()))
}

/// A new, empty poll group carrying `ctx`.
#[no_mangle]
pub extern "C" fn spdk_sock_group_create(ctx: *mut c_void) -> *mut spdk_sock_group {
    guard(std::ptr::null_mut(), || match Group::new(ctx) {
        Ok(g) => Box::into_raw(g).cast(),
        Err(e) => {
            set_errno(e.0);
            std::ptr::null_mut()
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_sock_group_get_ctx(group: *mut spdk_sock_group) -> *mut c_void {
    // SAFETY: NULL or the caller's live group.
    guard(std::ptr::null_mut(), || unsafe { group.cast::<Group>().as_ref() }.map_or(std::ptr::null_mut(), |g| g.ctx()))
}

/// Adds `sock` to `group`; `cb_fn(cb_arg, group, sock)` runs from the group's
/// polls while the socket is readable (or hung up).
#[no_mangle]
pub unsafe extern "C" fn spdk_sock_group_add_sock(group: *mut spdk_sock_group, sock: *mut spdk_sock, cb_fn: spdk_sock_cb, cb_arg: *mut c_void) -> c_int {
    guard(-libc::EFAULT, || {
        let Some(f) = cb_fn else { return fail(Errno(libc::EINVAL)) };
        if group.is_null() || sock.is_null() {
            return fail(Errno(libc::EINVAL));
        }
        let arg = super::SendPtr(cb_arg);
        // SAFETY: the application's callback with its own argument.
        let cb: crate::sock::group::ReadyFn = Rc::new(move |g: *mut Group, s: *mut Sock| unsafe { f(arg.0, g.cast(), s.cast()) });
        // SAFETY: a live group and socket per the API contract.
        status(unsafe { Group::add(group.cast(), sock.cast(), cb) })
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_sock_group_remove_sock(group: *mut spdk_sock_group, sock: *mut spdk_sock) -> c_int {
    guard(-libc::EFAULT, || {
        if group.is_null() || sock.is_null() {
            return fail(Errno(libc::EINVAL));
        }
        // SAFETY: a live group and socket per the API contract.
        status(unsafe { Group::remove(group.cast(), sock.cast()) })
    })
}

/// Flushes the members' writes and runs up to 32 readiness callbacks;
/// returns how many ran, or a negative errno.
#[no_mangle]
pub unsafe extern "C" fn spdk_sock_group_poll(group: *mut spdk_sock_group) -> c_int {
    // SAFETY: the caller's group.
    unsafe { spdk_sock_group_poll_count(group, crate::sock::group::MAX_EVENTS_PER_POLL as c_int) }
}

#[no_mangle]
pub unsafe extern "C" fn spdk_sock_group_poll_count(group: *mut spdk_sock_group, max_events: c_int) -> c_int {
    guard(-libc::EFAULT, || {
        if group.is_null() || max_events <= 0 {
            return fail(Errno(libc::EINVAL));
        }
        // SAFETY: a live group per the API contract.
        match unsafe { Group::poll(group.cast(), max_events as usize) } {
            Ok(n) => n as c_int,
            Err(e) => fail(e),
        }
    })
}

/// Frees `*group` and sets it to NULL; -EBUSY while sockets remain in it.
#[no_mangle]
pub unsafe extern "C" fn spdk_sock_group_close(group: *mut *mut spdk_sock_group) -> c_int {
    guard(-libc::EFAULT, || {
        // SAFETY: the caller's handle slot.
        if group.is_null() || unsafe { (*group).is_null() } {
            return fail(Errno(libc::EINVAL));
        }
        // SAFETY: a live group from this library.
        match unsafe { Group::close((*group).cast()) } {
            Ok(()) => {
                // SAFETY: the caller's handle slot.
                unsafe { *group = std::ptr::null_mut() };
                0
            }
            Err(e) => fail(e),
        }
    })
}

/// The group best placed to serve `sock`. Placement ids are not supported,
/// so no group is ever better than another: `*group` is set to NULL (the
/// caller picks, `hint` included) and 0 is returned.
#[no_mangle]
pub unsafe extern "C" fn spdk_sock_get_optimal_sock_group(sock: *mut spdk_sock, group: *mut *mut spdk_sock_group, hint: *mut spdk_sock_group) -> c_int {
    let _ = hint;
    guard(-libc::EFAULT, || {
        if sock.is_null() || group.is_null() {
            return fail(Errno(libc::EINVAL));
        }
        // SAFETY: the caller's result slot.
        unsafe { *group = std::ptr::null_mut() };
        0
    })
}

/// Copies the options of `impl_name` into `opts` (up to `*len` bytes) and
/// sets `*len` to the bytes filled.
#[no_mangle]
pub unsafe extern "C" fn spdk_sock_impl_get_opts(impl_name: *const c_char, opts: *mut spdk_sock_impl_opts, len: *mut usize) -> c_int {
    guard(-libc::EFAULT, || {
        if opts.is_null() || len.is_null() {
            return fail(Errno(libc::EINVAL));
        }
        // SAFETY: the caller's string.
        let Some(name) = (unsafe { cstr(impl_name) }) else { return fail(Errno(libc::EINVAL)) };
        let o = match core::impl_get_opts(name) {
            Ok(o) => o,
            Err(e) => return fail(e),
        };
        let c = impl_to_c(&o);
        // SAFETY: the caller's struct of *len bytes.
        unsafe {
            let n = (*len).min(std::mem::size_of::<spdk_sock_impl_opts>());
            std::ptr::copy_nonoverlapping((&c as *const spdk_sock_impl_opts).cast::<u8>(), opts.cast::<u8>(), n);
            *len = n;
        }
        0
    })
}

/// Sets the options of `impl_name` from the first `len` bytes of `opts`.
/// Placement ids and kernel TLS are refused (-ENOTSUP).
#[no_mangle]
pub unsafe extern "C" fn spdk_sock_impl_set_opts(impl_name: *const c_char, opts: *const spdk_sock_impl_opts, len: usize) -> c_int {
    guard(-libc::EFAULT, || {
        if opts.is_null() {
            return fail(Errno(libc::EINVAL));
        }
        // SAFETY: the caller's string.
        let Some(name) = (unsafe { cstr(impl_name) }) else { return fail(Errno(libc::EINVAL)) };
        let base = match core::impl_get_opts(name) {
            Ok(o) => o,
            Err(e) => return fail(e),
        };
        // SAFETY: the caller's struct of len bytes.
        match unsafe { impl_from_c(&base, opts, len) } {
            Ok(o) => status(core::impl_set_opts(name, o)),
            Err(e) => fail(e),
        }
    })
}
