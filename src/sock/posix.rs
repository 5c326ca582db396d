//! The "posix" implementation: kernel TCP sockets, non-blocking, with
//! `MSG_ZEROCOPY` sends (and their notifications read from the error queue)
//! where the kernel offers `SO_ZEROCOPY`.

use super::{Errno, ImplOpts, Result, Sock, SockOpts};
use parking_lot::Mutex;
use std::ffi::{CStr, CString};
use std::os::fd::RawFd;

/// The implementation's global options (`sock_impl_set_options`).
pub(crate) static OPTS: Mutex<ImplOpts> = Mutex::new(ImplOpts::DEFAULT);

/// `SO_ZEROCOPY` (linux/asm-generic/socket.h).
const SO_ZEROCOPY: i32 = 60;
/// `SO_EE_ORIGIN_ZEROCOPY` (linux/errqueue.h).
const SO_EE_ORIGIN_ZEROCOPY: u8 = 5;
const LISTEN_BACKLOG: i32 = 512;

pub(crate) fn setsockopt_int(fd: RawFd, level: i32, name: i32, val: i32) -> Result<()> {
    // SAFETY: an int option read from a local.
    let rc = unsafe { libc::setsockopt(fd, level, name, (&val as *const i32).cast(), std::mem::size_of::<i32>() as libc::socklen_t) };
    if rc < 0 {
        Err(Errno::last())
    } else {
        Ok(())
    }
}

fn getsockopt_int(fd: RawFd, level: i32, name: i32) -> Result<i32> {
    let mut val = 0i32;
    let mut len = std::mem::size_of::<i32>() as libc::socklen_t;
    // SAFETY: an int option written into a local.
    let rc = unsafe { libc::getsockopt(fd, level, name, (&mut val as *mut i32).cast(), &mut len) };
    if rc < 0 {
        Err(Errno::last())
    } else {
        Ok(val)
    }
}

/// The addresses `ip`:`port` resolves to (numeric only: no DNS on this path).
/// Brackets around an IPv6 address are accepted.
fn resolve(ip: &str, port: i32, passive: bool) -> Result<Vec<(libc::sockaddr_storage, libc::socklen_t, i32)>> {
    if !(0..=65535).contains(&port) {
        return Err(Errno(libc::EINVAL));
    }
    let host = ip.strip_prefix('[').and_then(|s| s.strip_suffix(']')).unwrap_or(ip);
    let host = CString::new(host).map_err(|_| Errno(libc::EINVAL))?;
    let service = CString::new(port.to_string()).unwrap();
    // SAFETY: an all-zero addrinfo is a valid hints value.
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_family = libc::AF_UNSPEC;
    hints.ai_socktype = libc::SOCK_STREAM;
    hints.ai_flags = libc::AI_NUMERICSERV | libc::AI_NUMERICHOST | if passive { libc::AI_PASSIVE } else { 0 };
    let mut res: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: valid strings and hints; res is freed below.
    let rc = unsafe { libc::getaddrinfo(host.as_ptr(), service.as_ptr(), &hints, &mut res) };
    if rc != 0 {
        return Err(Errno(libc::EINVAL));
    }
    let mut out = Vec::new();
    let mut p = res;
    while !p.is_null() {
        // SAFETY: a node of the list getaddrinfo returned.
        let ai = unsafe { &*p };
        // SAFETY: an all-zero sockaddr_storage is valid; ai_addr holds ai_addrlen bytes.
        let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        let len = (ai.ai_addrlen as usize).min(std::mem::size_of::<libc::sockaddr_storage>());
        // SAFETY: copying len bytes of the address into the storage.
        unsafe { std::ptr::copy_nonoverlapping(ai.ai_addr.cast::<u8>(), (&mut ss as *mut libc::sockaddr_storage).cast::<u8>(), len) };
        out.push((ss, len as libc::socklen_t, ai.ai_family));
        p = ai.ai_next;
    }
    // SAFETY: the list getaddrinfo allocated.
    unsafe { libc::freeaddrinfo(res) };
    if out.is_empty() {
        return Err(Errno(libc::EINVAL));
    }
    Ok(out)
}

/// A socket of `family`, non-blocking, close-on-exec, with the options
/// every socket of ours gets.
fn new_socket(family: i32, opts: &ImplOpts, sopts: &SockOpts) -> Result<RawFd> {
    // SAFETY: plain socket creation.
    let fd = unsafe { libc::socket(family, libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(Errno::last());
    }
    let r = (|| {
        grow_buf(fd, libc::SO_RCVBUF, opts.recv_buf_size);
        grow_buf(fd, libc::SO_SNDBUF, opts.send_buf_size);
        setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
        setsockopt_int(fd, libc::IPPROTO_TCP, libc::TCP_NODELAY, 1)?;
        if sopts.priority != 0 {
            setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_PRIORITY, sopts.priority)?;
        }
        if family == libc::AF_INET6 {
            setsockopt_int(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, 1)?;
        }
        if sopts.ack_timeout_ms != 0 {
            setsockopt_int(fd, libc::IPPROTO_TCP, libc::TCP_USER_TIMEOUT, sopts.ack_timeout_ms.min(i32::MAX as u32) as i32)?;
        }
        Ok(())
    })();
    match r {
        Ok(()) => Ok(fd),
        Err(e) => {
            // SAFETY: our descriptor.
            unsafe { libc::close(fd) };
            Err(e)
        }
    }
}

/// Raises a buffer size to `want` if the kernel's default is smaller
/// (best effort: the kernel caps it at its own maximum).
fn grow_buf(fd: RawFd, name: i32, want: u32) {
    let want = want.min(i32::MAX as u32) as i32;
    if getsockopt_int(fd, libc::SOL_SOCKET, name).is_ok_and(|cur| cur < want) {
        let _ = setsockopt_int(fd, libc::SOL_SOCKET, name, want);
    }
}

/// Per-socket options after the socket's own overrides.
fn effective(opts: &SockOpts) -> ImplOpts {
    opts.impl_opts.unwrap_or_else(|| *OPTS.lock())
}

/// Turns zero-copy on if the options ask for it and the kernel agrees.
fn try_zcopy(fd: RawFd, wanted: bool) -> bool {
    wanted && setsockopt_int(fd, libc::SOL_SOCKET, SO_ZEROCOPY, 1).is_ok()
}

pub(crate) fn listen(ip: &str, port: i32, sopts: &SockOpts) -> Result<Box<Sock>> {
    let opts = effective(sopts);
    let mut last = Errno(libc::EINVAL);
    for (ss, len, family) in resolve(ip, port, true)? {
        let fd = match new_socket(family, &opts, sopts) {
            Ok(fd) => fd,
            Err(e) => {
                last = e;
                continue;
            }
        };
        // SAFETY: the resolved address and its length.
        let ok = unsafe { libc::bind(fd, (&ss as *const libc::sockaddr_storage).cast(), len) == 0 && libc::listen(fd, LISTEN_BACKLOG) == 0 };
        if !ok {
            last = Errno::last();
            // SAFETY: our descriptor.
            unsafe { libc::close(fd) };
            continue;
        }
        let zc = try_zcopy(fd, sopts.zcopy && opts.enable_zerocopy_send_server);
        return Ok(Sock::new(fd, true, true, zc, opts, sopts.clone()));
    }
    Err(last)
}

pub(crate) fn connect(ip: &str, port: i32, sopts: &SockOpts) -> Result<Box<Sock>> {
    let opts = effective(sopts);
    let src = match &sopts.src_addr {
        Some(a) => Some(resolve(a, sopts.src_port as i32, true)?),
        None if sopts.src_port != 0 => None,
        None => None,
    };
    let mut last = Errno(libc::EINVAL);
    for (ss, len, family) in resolve(ip, port, false)? {
        let fd = match new_socket(family, &opts, sopts) {
            Ok(fd) => fd,
            Err(e) => {
                last = e;
                continue;
            }
        };
        let r = (|| {
            if let Some(src) = &src {
                let (sss, slen, _) = src.iter().find(|(_, _, f)| *f == family).ok_or(Errno(libc::EAFNOSUPPORT))?;
                // SAFETY: a resolved address and its length.
                if unsafe { libc::bind(fd, (sss as *const libc::sockaddr_storage).cast(), *slen) } != 0 {
                    return Err(Errno::last());
                }
            } else if sopts.src_port != 0 {
                let any = if family == libc::AF_INET6 { "::" } else { "0.0.0.0" };
                let v = resolve(any, sopts.src_port as i32, true)?;
                // SAFETY: a resolved address and its length.
                if unsafe { libc::bind(fd, (&v[0].0 as *const libc::sockaddr_storage).cast(), v[0].1) } != 0 {
                    return Err(Errno::last());
                }
            }
            if opts.enable_quickack {
                setsockopt_int(fd, libc::IPPROTO_TCP, libc::TCP_QUICKACK, 1)?;
            }
            // SAFETY: the resolved address and its length.
            if unsafe { libc::connect(fd, (&ss as *const libc::sockaddr_storage).cast(), len) } != 0 {
                let e = Errno::last();
                if e.0 != libc::EINPROGRESS {
                    return Err(e);
                }
                wait_connected(fd, sopts.connect_timeout_ms)?;
            }
            Ok(())
        })();
        match r {
            Ok(()) => {
                let zc = try_zcopy(fd, sopts.zcopy && opts.enable_zerocopy_send_client);
                return Ok(Sock::new(fd, false, false, zc, opts, sopts.clone()));
            }
            Err(e) => {
                last = e;
                // SAFETY: our descriptor.
                unsafe { libc::close(fd) };
            }
        }
    }
    Err(last)
}

/// Waits for a non-blocking connect to finish (SPDK's connect is synchronous).
fn wait_connected(fd: RawFd, timeout_ms: u32) -> Result<()> {
    let mut pfd = libc::pollfd { fd, events: libc::POLLOUT, revents: 0 };
    let timeout = if timeout_ms == 0 { -1 } else { timeout_ms.min(i32::MAX as u32) as i32 };
    loop {
        // SAFETY: one pollfd in a local.
        let rc = unsafe { libc::poll(&mut pfd, 1, timeout) };
        if rc < 0 {
            let e = Errno::last();
            if e.0 == libc::EINTR {
                continue;
            }
            return Err(e);
        }
        if rc == 0 {
            return Err(Errno(libc::ETIMEDOUT));
        }
        break;
    }
    match getsockopt_int(fd, libc::SOL_SOCKET, libc::SO_ERROR)? {
        0 => Ok(()),
        e => Err(Errno(e)),
    }
}

pub(crate) fn accept(l: &Sock) -> Result<Box<Sock>> {
    if !l.listening || l.fd < 0 {
        return Err(Errno(libc::EINVAL));
    }
    // SAFETY: accepting on our listening descriptor; the peer address is not wanted.
    let fd = unsafe { libc::accept4(l.fd, std::ptr::null_mut(), std::ptr::null_mut(), libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC) };
    if fd < 0 {
        return Err(Errno::last());
    }
    let opts = l.opts;
    grow_buf(fd, libc::SO_RCVBUF, opts.recv_buf_size);
    grow_buf(fd, libc::SO_SNDBUF, opts.send_buf_size);
    let r = (|| {
        setsockopt_int(fd, libc::IPPROTO_TCP, libc::TCP_NODELAY, 1)?;
        if l.sock_opts.priority != 0 {
            setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_PRIORITY, l.sock_opts.priority)?;
        }
        if opts.enable_quickack {
            setsockopt_int(fd, libc::IPPROTO_TCP, libc::TCP_QUICKACK, 1)?;
        }
        Ok(())
    })();
    if let Err(e) = r {
        // SAFETY: our descriptor.
        unsafe { libc::close(fd) };
        return Err(e);
    }
    let zc = l.zcopy && try_zcopy(fd, true);
    Ok(Sock::new(fd, false, true, zc, opts, l.sock_opts.clone()))
}

/// Reads zero-copy notifications from the error queue, handing each
/// released range of send indices (inclusive) to `release`.
pub(crate) fn reap_zcopy(fd: RawFd, mut release: impl FnMut(u32, u32)) {
    loop {
        let mut cbuf = [0u64; 32];
        // SAFETY: an all-zero msghdr is valid.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_control = cbuf.as_mut_ptr().cast();
        msg.msg_controllen = std::mem::size_of_val(&cbuf);
        // SAFETY: a valid msghdr over a local control buffer, no data.
        let rc = unsafe { libc::recvmsg(fd, &mut msg, libc::MSG_ERRQUEUE) };
        if rc < 0 {
            return;
        }
        // SAFETY: walking the control messages the kernel wrote into cbuf.
        unsafe {
            let mut c = libc::CMSG_FIRSTHDR(&msg);
            while !c.is_null() {
                let h = &*c;
                let is_err = (h.cmsg_level == libc::SOL_IP && h.cmsg_type == libc::IP_RECVERR)
                    || (h.cmsg_level == libc::SOL_IPV6 && h.cmsg_type == libc::IPV6_RECVERR);
                if is_err {
                    let e = std::ptr::read_unaligned(libc::CMSG_DATA(c).cast::<libc::sock_extended_err>());
                    if e.ee_origin == SO_EE_ORIGIN_ZEROCOPY && e.ee_errno == 0 {
                        release(e.ee_info, e.ee_data);
                    }
                }
                c = libc::CMSG_NXTHDR(&msg, c);
            }
        }
    }
}

/// The local (`peer` false) or remote address of a socket, as text and port.
pub(crate) fn sockname(fd: RawFd, peer: bool) -> Result<(String, u16)> {
    // SAFETY: an all-zero sockaddr_storage is valid.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    let p = (&mut ss as *mut libc::sockaddr_storage).cast::<libc::sockaddr>();
    // SAFETY: the storage and its length.
    let rc = unsafe {
        if peer {
            libc::getpeername(fd, p, &mut len)
        } else {
            libc::getsockname(fd, p, &mut len)
        }
    };
    if rc < 0 {
        return Err(Errno::last());
    }
    addr_text(&ss)
}

fn addr_text(ss: &libc::sockaddr_storage) -> Result<(String, u16)> {
    match ss.ss_family as i32 {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in.
            let a = unsafe { &*(ss as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            Ok((std::net::Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr)).to_string(), u16::from_be(a.sin_port)))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a sockaddr_in6.
            let a = unsafe { &*(ss as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
            Ok((std::net::Ipv6Addr::from(a.sin6_addr.s6_addr).to_string(), u16::from_be(a.sin6_port)))
        }
        _ => Err(Errno(libc::EAFNOSUPPORT)),
    }
}

pub(crate) fn family(fd: RawFd) -> Result<i32> {
    // SAFETY: an all-zero sockaddr_storage is valid.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: the storage and its length.
    if unsafe { libc::getsockname(fd, (&mut ss as *mut libc::sockaddr_storage).cast(), &mut len) } < 0 {
        return Err(Errno::last());
    }
    Ok(ss.ss_family as i32)
}

/// The name of the interface holding the socket's local address.
pub(crate) fn interface_of(fd: RawFd) -> Option<String> {
    let (local, _) = sockname(fd, false).ok()?;
    let mut ifs: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs allocates the list freed below.
    if unsafe { libc::getifaddrs(&mut ifs) } != 0 {
        return None;
    }
    let mut found = None;
    let mut p = ifs;
    while !p.is_null() {
        // SAFETY: a node of the list getifaddrs returned.
        let ifa = unsafe { &*p };
        if !ifa.ifa_addr.is_null() {
            // SAFETY: an all-zero storage is valid; ifa_addr holds an address of its family.
            let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
            // SAFETY: as above.
            let fam = unsafe { (*ifa.ifa_addr).sa_family } as i32;
            let len = match fam {
                libc::AF_INET => std::mem::size_of::<libc::sockaddr_in>(),
                libc::AF_INET6 => std::mem::size_of::<libc::sockaddr_in6>(),
                _ => 0,
            };
            if len > 0 {
                // SAFETY: copying an address of its family's size.
                unsafe { std::ptr::copy_nonoverlapping(ifa.ifa_addr.cast::<u8>(), (&mut ss as *mut libc::sockaddr_storage).cast::<u8>(), len) };
                if addr_text(&ss).is_ok_and(|(a, _)| a == local) {
                    // SAFETY: the interface name is a NUL-terminated string.
                    found = Some(unsafe { CStr::from_ptr(ifa.ifa_name) }.to_string_lossy().into_owned());
                    break;
                }
            }
        }
        p = ifa.ifa_next;
    }
    // SAFETY: the list getifaddrs allocated.
    unsafe { libc::freeifaddrs(ifs) };
    found
}
