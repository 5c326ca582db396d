//! Socket layer tests over loopback: everything runs in one thread, driven
//! by polling (bounded loops, no timing).

use super::*;
use std::cell::RefCell;
use std::rc::Rc;

const SPIN: usize = 2_000_000;

fn listen_any(ip: &str) -> Box<Sock> {
    Sock::listen(ip, 0, &SockOpts::default()).expect("listen on an ephemeral loopback port")
}

fn port_of(l: &Sock) -> i32 {
    l.local_addr().unwrap().1 as i32
}

fn accept_one(l: &Sock) -> Box<Sock> {
    for _ in 0..SPIN {
        match l.accept() {
            Ok(s) => return s,
            Err(Errno(libc::EAGAIN)) => std::hint::spin_loop(),
            Err(e) => panic!("accept: {e}"),
        }
    }
    panic!("no connection to accept");
}

/// A connected (client, server) pair over `ip`.
fn pair(ip: &str) -> (Box<Sock>, Box<Sock>, Box<Sock>) {
    let l = listen_any(ip);
    let c = Sock::connect(ip, port_of(&l), &SockOpts::default()).expect("connect");
    let s = accept_one(&l);
    (l, c, s)
}

fn close(s: Box<Sock>) {
    // SAFETY: a socket of ours, not used afterwards.
    unsafe { Sock::close(Box::into_raw(s)) }.unwrap();
}

/// Reads exactly `n` bytes, flushing the writer meanwhile so queued writes
/// progress. While nothing arrives it waits on the descriptor in short
/// slices (the kernel may hold data back for an ACK), giving up only after
/// a long stretch without any progress.
fn read_exact(r: &mut Sock, n: usize, mut flush: impl FnMut()) -> Vec<u8> {
    let mut out = vec![0u8; n];
    let mut got = 0;
    let mut idle = 0;
    while got < n && idle < 6000 {
        flush();
        match r.recv(&mut out[got..]) {
            Ok(0) => panic!("peer closed after {got} of {n} bytes"),
            Ok(k) => {
                got += k;
                idle = 0;
            }
            Err(Errno(libc::EAGAIN)) => {
                idle += 1;
                let mut p = libc::pollfd { fd: r.fd(), events: libc::POLLIN, revents: 0 };
                // SAFETY: one pollfd in a local.
                unsafe { libc::poll(&mut p, 1, 5) };
            }
            Err(e) => panic!("recv: {e}"),
        }
    }
    assert_eq!(got, n, "all bytes arrived");
    out
}

/// A connected pair whose server side is a raw pointer, and an empty group.
fn pair_and_group() -> (Box<Sock>, Box<Sock>, *mut Sock, *mut Group) {
    let (l, c, s) = pair("127.0.0.1");
    (l, c, Box::into_raw(s), Box::into_raw(Group::new(std::ptr::null_mut()).unwrap()))
}

/// Removes `s` from `g` and frees both.
fn leave_and_free(g: *mut Group, s: *mut Sock) {
    // SAFETY: live group and member from pair_and_group, not used afterwards.
    unsafe {
        Group::remove(g, s).unwrap();
        Sock::close(s).unwrap();
        Group::close(g).unwrap();
    }
}

/// A write request with its iovecs right after it, as SPDK lays them out.
#[repr(C)]
struct Req<const N: usize> {
    req: spdk_sock_request,
    iov: [libc::iovec; N],
}

type Log = Rc<RefCell<Vec<(usize, i32)>>>;

struct Ctx {
    log: Log,
    tag: usize,
}

unsafe extern "C" fn req_done(arg: *mut std::ffi::c_void, status: i32) {
    // SAFETY: the tests pass a live Ctx.
    let c = unsafe { &*(arg as *const Ctx) };
    c.log.borrow_mut().push((c.tag, status));
}

fn new_req<const N: usize>(bufs: [&[u8]; N], ctx: &Ctx) -> Box<Req<N>> {
    // SAFETY: all-zero is a valid request (no callback, null pointers).
    let mut r: Box<Req<N>> = Box::new(unsafe { std::mem::zeroed() });
    r.req.cb_fn = Some(req_done);
    r.req.cb_arg = (ctx as *const Ctx).cast_mut().cast();
    r.req.iovcnt = N as i32;
    for (i, b) in bufs.iter().enumerate() {
        r.iov[i] = libc::iovec { iov_base: b.as_ptr().cast_mut().cast(), iov_len: b.len() };
    }
    r
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

#[test]
fn sock_listen_connect_accept_loopback() {
    let (l, mut c, mut s) = pair("127.0.0.1");
    assert!(l.is_listening());
    assert!(!c.is_server() && s.is_server());
    let (la, lp, pa, pp) = c.getaddr().unwrap();
    assert_eq!(la, "127.0.0.1");
    assert_eq!(pa, "127.0.0.1");
    assert_eq!(pp as i32, port_of(&l));
    let (sla, slp, spa, spp) = s.getaddr().unwrap();
    assert_eq!((sla.as_str(), slp, spa.as_str(), spp), ("127.0.0.1", pp, "127.0.0.1", lp));
    assert_eq!(c.family(), Ok(libc::AF_INET));
    assert!(c.is_connected() && s.is_connected());
    assert!(!l.is_connected());
    assert_eq!(c.interface_name().as_deref(), Some("lo"));
    assert_eq!(c.numa_id(), None, "the loopback device has no NUMA node");
    // Nothing to read yet: EAGAIN, not a block.
    let mut b = [0u8; 4];
    assert_eq!(s.recv(&mut b), Err(Errno(libc::EAGAIN)));
    let iov = libc::iovec { iov_base: b"ping".as_ptr().cast_mut().cast(), iov_len: 4 };
    // SAFETY: one iovec over a static buffer.
    assert_eq!(unsafe { c.writev_raw(&iov, 1) }, Ok(4));
    assert_eq!(read_exact(&mut s, 4, || {}), b"ping");
    // No second connection waits.
    assert_eq!(l.accept().err(), Some(Errno(libc::EAGAIN)));
    close(c);
    close(s);
    close(l);
}

#[test]
fn sock_bad_addresses_and_ports() {
    let o = SockOpts::default();
    assert_eq!(Sock::listen("127.0.0.1", -1, &o).err(), Some(Errno(libc::EINVAL)));
    assert_eq!(Sock::listen("127.0.0.1", 65536, &o).err(), Some(Errno(libc::EINVAL)));
    assert_eq!(Sock::connect("not-an-address", 4420, &o).err(), Some(Errno(libc::EINVAL)));
    assert_eq!(Sock::connect("300.1.1.1", 4420, &o).err(), Some(Errno(libc::EINVAL)));
    // A port nobody listens on: take one from a listener, then close it.
    let l = listen_any("127.0.0.1");
    let port = port_of(&l);
    close(l);
    assert_eq!(Sock::connect("127.0.0.1", port, &o).err(), Some(Errno(libc::ECONNREFUSED)));
    // The same port twice.
    let l = listen_any("127.0.0.1");
    assert_eq!(Sock::listen("127.0.0.1", port_of(&l), &o).err(), Some(Errno(libc::EADDRINUSE)));
    close(l);
}

#[test]
fn sock_readv_into_several_buffers() {
    let (l, mut c, mut s) = pair("127.0.0.1");
    let data = pattern(1000, 7);
    let iov = libc::iovec { iov_base: data.as_ptr().cast_mut().cast(), iov_len: data.len() };
    // SAFETY: one iovec over `data`.
    assert_eq!(unsafe { c.writev_raw(&iov, 1) }, Ok(1000));
    let (mut a, mut b, mut d) = ([0u8; 10], [0u8; 90], [0u8; 900]);
    let mut iovs = [
        libc::iovec { iov_base: a.as_mut_ptr().cast(), iov_len: a.len() },
        libc::iovec { iov_base: b.as_mut_ptr().cast(), iov_len: b.len() },
        libc::iovec { iov_base: d.as_mut_ptr().cast(), iov_len: d.len() },
    ];
    let mut got = 0;
    for _ in 0..SPIN {
        // SAFETY: iovecs over local arrays, advanced past what was read.
        match unsafe { s.readv_raw(iovs.as_mut_ptr(), 3) } {
            Ok(n) => {
                got += n;
                let mut left = n;
                for v in iovs.iter_mut() {
                    let k = left.min(v.iov_len);
                    // SAFETY: moving within the same local array.
                    v.iov_base = unsafe { v.iov_base.cast::<u8>().add(k) }.cast();
                    v.iov_len -= k;
                    left -= k;
                }
                if got == 1000 {
                    break;
                }
            }
            Err(Errno(libc::EAGAIN)) => {}
            Err(e) => panic!("readv: {e}"),
        }
    }
    assert_eq!(got, 1000);
    assert_eq!(&a[..], &data[..10]);
    assert_eq!(&b[..], &data[10..100]);
    assert_eq!(&d[..], &data[100..]);
    close(c);
    close(s);
    close(l);
}

/// Large requests, far beyond the socket buffers, go out in pieces over many
/// flushes and complete in submission order with all bytes intact.
fn big_writes_in_order(writer_is_server: bool) {
    let (l, c, s) = pair("127.0.0.1");
    let (w, mut r) = if writer_is_server { (s, c) } else { (c, s) };
    let w = Box::into_raw(w);
    // A small send buffer forces many partial sends.
    // SAFETY: w is live.
    posix::setsockopt_int(unsafe { (*w).fd() }, libc::SOL_SOCKET, libc::SO_SNDBUF, 16384).unwrap();
    let log: Log = Rc::default();
    let chunks: Vec<Vec<u8>> = (0..6).map(|i| pattern((1 << 20) | (i * 4099), i as u8)).collect();
    let ctxs: Vec<Ctx> = (0..6).map(|tag| Ctx { log: log.clone(), tag }).collect();
    let mut reqs: Vec<Box<Req<3>>> = chunks
        .iter()
        .zip(&ctxs)
        .map(|(ch, cx)| {
            let (a, rest) = ch.split_at(100);
            let (b, d) = rest.split_at(rest.len() / 2);
            new_req([a, b, d], cx)
        })
        .collect();
    for r in reqs.iter_mut() {
        // SAFETY: live socket; the request and its buffers outlive the test's polling.
        unsafe { Sock::writev_async(w, &mut r.req) };
    }
    assert!(log.borrow().is_empty(), "nothing completes before a flush");
    let total: usize = chunks.iter().map(|c| c.len()).sum();
    let mut sends = 0;
    let got = read_exact(&mut r, total, || {
        // SAFETY: w stays live; flushes interleave with reads.
        if let Ok(n) = unsafe { Sock::flush(w) } {
            sends += (n > 0) as usize;
        }
    });
    assert!(sends > 6, "the requests went out in pieces ({sends} sends)");
    let want: Vec<u8> = chunks.concat();
    assert!(got == want, "the stream carries the requests' bytes in order");
    for _ in 0..SPIN {
        if log.borrow().len() == 6 {
            break;
        }
        // SAFETY: w is live.
        let _ = unsafe { Sock::flush(w) };
    }
    assert_eq!(*log.borrow(), (0..6).map(|t| (t, 0)).collect::<Vec<_>>());
    // SAFETY: w is live.
    assert_eq!(unsafe { (*w).pending_requests() }, 0);
    // SAFETY: w came from Box::into_raw.
    unsafe { Sock::close(w) }.unwrap();
    close(r);
    close(l);
}

#[test]
fn sock_writev_async_large_requests_complete_in_order_client() {
    big_writes_in_order(false);
}

#[test]
fn sock_writev_async_large_requests_complete_in_order_zerocopy_server() {
    // Accepted sockets send zero-copy by default (enable_zerocopy_send_server).
    let (l, _c, s) = pair("127.0.0.1");
    assert!(s.zcopy(), "the kernel offers SO_ZEROCOPY on loopback TCP");
    drop((l, _c, s));
    big_writes_in_order(true);
}

#[test]
fn sock_zerocopy_threshold_mixes_copied_and_zerocopy_sends_in_order() {
    let io = ImplOpts { zerocopy_threshold: 4096, ..ImplOpts::default() };
    let o = SockOpts { impl_opts: Some(io), ..SockOpts::default() };
    let l = Sock::listen("127.0.0.1", 0, &o).unwrap();
    let mut c = Sock::connect("127.0.0.1", port_of(&l), &SockOpts::default()).unwrap();
    let s = Box::into_raw(accept_one(&l));
    // SAFETY: s is live.
    assert!(unsafe { (*s).zcopy() });
    let log: Log = Rc::default();
    let small = pattern(64, 1);
    let big = pattern(256 * 1024, 2);
    let ctxs: Vec<Ctx> = (0..4).map(|tag| Ctx { log: log.clone(), tag }).collect();
    let mut reqs = [new_req([&big[..]], &ctxs[0]), new_req([&small[..]], &ctxs[1]), new_req([&big[..]], &ctxs[2]), new_req([&small[..]], &ctxs[3])];
    for (i, r) in reqs.iter_mut().enumerate() {
        // SAFETY: live socket and request.
        unsafe { Sock::writev_async(s, &mut r.req) };
        if i % 2 == 1 {
            // Flush the small one alone: below the threshold, sent by copy.
            // SAFETY: s is live.
            let _ = unsafe { Sock::flush(s) };
        }
    }
    let total = 2 * (big.len() + small.len());
    let got = read_exact(&mut c, total, || {
        // SAFETY: s is live.
        let _ = unsafe { Sock::flush(s) };
    });
    assert!(got == [&big[..], &small[..], &big[..], &small[..]].concat());
    for _ in 0..SPIN {
        if log.borrow().len() == 4 {
            break;
        }
        // SAFETY: s is live.
        let _ = unsafe { Sock::flush(s) };
    }
    assert_eq!(*log.borrow(), vec![(0, 0), (1, 0), (2, 0), (3, 0)]);
    // SAFETY: from Box::into_raw.
    unsafe { Sock::close(s) }.unwrap();
    close(c);
    close(l);
}

#[test]
fn sock_close_cancels_queued_requests() {
    let (l, c, s) = pair("127.0.0.1");
    let s = Box::into_raw(s);
    let log: Log = Rc::default();
    let data = pattern(100, 3);
    let ctxs: Vec<Ctx> = (0..3).map(|tag| Ctx { log: log.clone(), tag }).collect();
    let mut reqs: Vec<_> = ctxs.iter().map(|cx| new_req([&data[..]], cx)).collect();
    for r in reqs.iter_mut() {
        // SAFETY: live socket and request.
        unsafe { Sock::writev_async(s, &mut r.req) };
    }
    // SAFETY: from Box::into_raw.
    unsafe { Sock::close(s) }.unwrap();
    assert_eq!(*log.borrow(), vec![(0, -libc::ECANCELED), (1, -libc::ECANCELED), (2, -libc::ECANCELED)]);
    close(c);
    close(l);
}

#[test]
fn sock_peer_close_gives_eof_then_write_errors() {
    let (l, c, mut s) = pair("127.0.0.1");
    let mut c = c;
    let data = pattern(300, 9);
    let iov = libc::iovec { iov_base: data.as_ptr().cast_mut().cast(), iov_len: data.len() };
    // SAFETY: one iovec over `data`.
    assert_eq!(unsafe { c.writev_raw(&iov, 1) }, Ok(300));
    close(c);
    assert_eq!(read_exact(&mut s, 300, || {}), data);
    let mut b = [0u8; 16];
    let mut eof = false;
    for _ in 0..SPIN {
        match s.recv(&mut b) {
            Ok(0) => {
                eof = true;
                break;
            }
            Ok(n) => panic!("{n} unexpected bytes"),
            Err(Errno(libc::EAGAIN)) => {}
            Err(e) => panic!("recv: {e}"),
        }
    }
    assert!(eof, "recv returns 0 once the peer closed");
    assert!(!s.is_connected());
    // Writing to the closed peer: the first write may land, then RST makes it fail.
    let s = Box::into_raw(s);
    let log: Log = Rc::default();
    let ctx = Ctx { log: log.clone(), tag: 0 };
    let mut err = None;
    let mut reqs = Vec::new();
    for _ in 0..SPIN {
        let mut r = new_req([&data[..]], &ctx);
        // SAFETY: live socket; requests are kept in `reqs` until the end.
        unsafe { Sock::writev_async(s, &mut r.req) };
        reqs.push(r);
        // SAFETY: s is live.
        if let Err(e) = unsafe { Sock::flush(s) } {
            err = Some(e);
            break;
        }
    }
    let e = err.expect("writes fail once the peer is gone");
    assert!(e.0 == libc::EPIPE || e.0 == libc::ECONNRESET, "{e}");
    let statuses: Vec<i32> = log.borrow().iter().map(|x| x.1).collect();
    assert_eq!(statuses.len(), reqs.len(), "every request completed");
    assert_eq!(*statuses.last().unwrap(), -e.0, "the failed request carries the error");
    // SAFETY: from Box::into_raw.
    unsafe { Sock::close(s) }.unwrap();
    close(l);
}

#[test]
fn sock_group_many_sockets() {
    const N: usize = 40;
    let l = listen_any("127.0.0.1");
    let port = port_of(&l);
    let mut clients = Vec::new();
    let mut servers = Vec::new();
    for _ in 0..N {
        clients.push(Sock::connect("127.0.0.1", port, &SockOpts::default()).unwrap());
        servers.push(Box::into_raw(accept_one(&l)));
    }
    let g = Box::into_raw(Group::new(0x5eed as *mut std::ffi::c_void).unwrap());
    // SAFETY: g is live.
    assert_eq!(unsafe { (*g).ctx() } as usize, 0x5eed);
    let got: Rc<RefCell<Vec<Vec<u8>>>> = Rc::new(RefCell::new(vec![Vec::new(); N]));
    let calls = Rc::new(RefCell::new(0usize));
    for (i, &s) in servers.iter().enumerate() {
        let (got, calls) = (got.clone(), calls.clone());
        let cb: group::ReadyFn = Rc::new(move |grp, sock| {
            assert_eq!(grp, g);
            *calls.borrow_mut() += 1;
            let mut b = [0u8; 64];
            // SAFETY: the group hands us a live member.
            if let Ok(n) = unsafe { (*sock).recv(&mut b) } {
                got.borrow_mut()[i].extend_from_slice(&b[..n]);
            }
        });
        // SAFETY: live group and socket.
        unsafe { Group::add(g, s, cb) }.unwrap();
    }
    // SAFETY: as above: a socket is in at most one group.
    assert_eq!(unsafe { Group::add(g, servers[0], Rc::new(|_, _| {})) }, Err(Errno(libc::EINVAL)));
    // Nothing written yet: a poll runs no callback.
    // SAFETY: g is live.
    assert_eq!(unsafe { Group::poll(g, 32) }, Ok(0));
    for (i, c) in clients.iter_mut().enumerate() {
        let msg = format!("client {i}");
        let iov = libc::iovec { iov_base: msg.as_ptr().cast_mut().cast(), iov_len: msg.len() };
        // SAFETY: one iovec over `msg`.
        assert_eq!(unsafe { c.writev_raw(&iov, 1) }, Ok(msg.len()));
    }
    let done = |got: &Vec<Vec<u8>>| got.iter().enumerate().all(|(i, v)| *v == format!("client {i}").into_bytes());
    for _ in 0..SPIN {
        if done(&got.borrow()) {
            break;
        }
        // SAFETY: g is live; at most 7 callbacks per poll.
        let n = unsafe { Group::poll(g, 7) }.unwrap();
        assert!(n <= 7);
    }
    assert!(done(&got.borrow()), "every socket's data arrived through its callback");
    assert!(*calls.borrow() >= N);
    // Closing a member is refused; so is closing a group with members.
    // SAFETY: live socket in the group.
    assert_eq!(unsafe { Sock::close(servers[0]) }, Err(Errno(libc::EBUSY)));
    // SAFETY: g is live.
    assert_eq!(unsafe { Group::close(g) }, Err(Errno(libc::EBUSY)));
    for &s in &servers {
        // SAFETY: live members, removed then closed.
        unsafe {
            Group::remove(g, s).unwrap();
            Sock::close(s).unwrap();
        }
    }
    // SAFETY: g is empty now.
    unsafe { Group::close(g) }.unwrap();
    for c in clients {
        close(c);
    }
    close(l);
}

#[test]
fn sock_group_remove_stops_callbacks() {
    let (l, mut c, s, g) = pair_and_group();
    let calls = Rc::new(RefCell::new(0usize));
    let k = calls.clone();
    // SAFETY: live group and socket.
    unsafe { Group::add(g, s, Rc::new(move |_, _| *k.borrow_mut() += 1)) }.unwrap();
    let iov = libc::iovec { iov_base: b"x".as_ptr().cast_mut().cast(), iov_len: 1 };
    // SAFETY: one iovec over a static byte.
    assert_eq!(unsafe { c.writev_raw(&iov, 1) }, Ok(1));
    for _ in 0..SPIN {
        // SAFETY: g is live.
        if unsafe { Group::poll(g, 32) }.unwrap() > 0 {
            break;
        }
    }
    assert_eq!(*calls.borrow(), 1, "readable: one callback (level-triggered, data left unread)");
    // SAFETY: live group and member.
    unsafe { Group::remove(g, s) }.unwrap();
    // SAFETY: as above; it is no longer a member.
    assert_eq!(unsafe { Group::remove(g, s) }, Err(Errno(libc::EINVAL)));
    for _ in 0..100 {
        // SAFETY: g is live.
        assert_eq!(unsafe { Group::poll(g, 32) }, Ok(0));
    }
    assert_eq!(*calls.borrow(), 1, "no callback after removal although data waits");
    // SAFETY: s is live and out of the group; g is empty.
    unsafe {
        assert_eq!((*s).recv(&mut [0u8; 4]), Ok(1));
        Sock::close(s).unwrap();
        Group::close(g).unwrap();
    }
    close(c);
    close(l);
}

#[test]
fn sock_group_callback_may_remove_and_close_other_members() {
    let l = listen_any("127.0.0.1");
    let port = port_of(&l);
    let mut c1 = Sock::connect("127.0.0.1", port, &SockOpts::default()).unwrap();
    let s1 = Box::into_raw(accept_one(&l));
    let mut c2 = Sock::connect("127.0.0.1", port, &SockOpts::default()).unwrap();
    let s2 = Box::into_raw(accept_one(&l));
    let g = Box::into_raw(Group::new(std::ptr::null_mut()).unwrap());
    let calls = Rc::new(RefCell::new(0usize));
    // Whichever callback runs first removes and closes both sockets.
    let gone = Rc::new(RefCell::new(false));
    for &s in &[s1, s2] {
        let (calls, gone) = (calls.clone(), gone.clone());
        let cb: group::ReadyFn = Rc::new(move |grp, _| {
            *calls.borrow_mut() += 1;
            if !*gone.borrow() {
                *gone.borrow_mut() = true;
                for &x in &[s1, s2] {
                    // SAFETY: both are live members until this runs once.
                    unsafe {
                        Group::remove(grp, x).unwrap();
                        Sock::close(x).unwrap();
                    }
                }
            }
        });
        // SAFETY: live group and socket.
        unsafe { Group::add(g, s, cb) }.unwrap();
    }
    let iov = libc::iovec { iov_base: b"y".as_ptr().cast_mut().cast(), iov_len: 1 };
    // SAFETY: one iovec over a static byte.
    unsafe {
        c1.writev_raw(&iov, 1).unwrap();
        c2.writev_raw(&iov, 1).unwrap();
    }
    for _ in 0..SPIN {
        // SAFETY: g is live.
        unsafe { Group::poll(g, 32) }.unwrap();
        if *gone.borrow() {
            break;
        }
    }
    assert!(*gone.borrow());
    assert_eq!(*calls.borrow(), 1, "the closed member's pending event is skipped");
    // SAFETY: g is live and empty.
    unsafe {
        assert!((*g).is_empty());
        Group::close(g).unwrap();
    }
    close(c1);
    close(c2);
    close(l);
}

#[test]
fn sock_ipv6_loopback() {
    let l = match Sock::listen("::1", 0, &SockOpts::default()) {
        Ok(l) => l,
        Err(e) if [libc::EADDRNOTAVAIL, libc::EAFNOSUPPORT].contains(&e.0) => {
            eprintln!("no IPv6 loopback here ({e}): skipped");
            return;
        }
        Err(e) => panic!("listen on ::1: {e}"),
    };
    let mut c = Sock::connect("[::1]", port_of(&l), &SockOpts::default()).unwrap();
    let mut s = accept_one(&l);
    assert_eq!(c.family(), Ok(libc::AF_INET6));
    let (la, _, pa, pp) = c.getaddr().unwrap();
    assert_eq!((la.as_str(), pa.as_str(), pp as i32), ("::1", "::1", port_of(&l)));
    let iov = libc::iovec { iov_base: b"six".as_ptr().cast_mut().cast(), iov_len: 3 };
    // SAFETY: one iovec over a static buffer.
    assert_eq!(unsafe { c.writev_raw(&iov, 1) }, Ok(3));
    assert_eq!(read_exact(&mut s, 3, || {}), b"six");
    close(c);
    close(s);
    close(l);
}

#[test]
fn sock_impl_options_roundtrip() {
    let _g = OPTS_LOCK.lock();
    let before = impl_get_opts("posix").unwrap();
    assert_eq!(before, ImplOpts::default());
    assert_eq!(impl_get_opts("uring").err(), Some(Errno(libc::EINVAL)));
    let mut o = before;
    o.recv_buf_size = 4 << 20;
    o.enable_zerocopy_send_client = true;
    o.zerocopy_threshold = 1234;
    impl_set_opts("posix", o).unwrap();
    assert_eq!(impl_get_opts("posix").unwrap(), o);
    // New client sockets pick up the client zero-copy setting.
    let l = listen_any("127.0.0.1");
    let c = Sock::connect("127.0.0.1", port_of(&l), &SockOpts::default()).unwrap();
    assert!(c.zcopy());
    assert_eq!(c.impl_opts().zerocopy_threshold, 1234);
    impl_set_opts("posix", before).unwrap();
    let c2 = Sock::connect("127.0.0.1", port_of(&l), &SockOpts::default()).unwrap();
    assert!(!c2.zcopy());
    assert_eq!(set_default_impl("posix"), Ok(()));
    assert_eq!(set_default_impl("ssl"), Err(Errno(libc::EINVAL)));
    close(c);
    close(c2);
    close(l);
}

/// Tests that change the global options hold this.
pub(crate) static OPTS_LOCK: parking_lot::Mutex<()> = parking_lot::Mutex::new(());

#[test]
fn sock_group_zerocopy_notifications_are_not_readable_events() {
    let (l, mut c, s, g) = pair_and_group();
    // SAFETY: s is live.
    assert!(unsafe { (*s).zcopy() });
    let readable = Rc::new(RefCell::new(0usize));
    let k = readable.clone();
    // SAFETY: live group and socket.
    unsafe { Group::add(g, s, Rc::new(move |_, _| *k.borrow_mut() += 1)) }.unwrap();
    let log: Log = Rc::default();
    let data = pattern(64 * 1024, 5);
    let ctxs: Vec<Ctx> = (0..8).map(|tag| Ctx { log: log.clone(), tag }).collect();
    let mut reqs: Vec<_> = ctxs.iter().map(|cx| new_req([&data[..]], cx)).collect();
    for r in reqs.iter_mut() {
        // SAFETY: live socket and request.
        unsafe { Sock::writev_async(s, &mut r.req) };
    }
    let mut got = 0;
    let mut b = vec![0u8; 1 << 16];
    for _ in 0..SPIN {
        if log.borrow().len() == 8 && got == 8 * data.len() {
            break;
        }
        // SAFETY: g is live.
        unsafe { Group::poll(g, 32) }.unwrap();
        if let Ok(n) = c.recv(&mut b) {
            got += n;
        }
    }
    assert_eq!(got, 8 * data.len());
    assert_eq!(*log.borrow(), (0..8).map(|t| (t, 0)).collect::<Vec<_>>());
    assert_eq!(*readable.borrow(), 0, "the peer sent nothing: no readable callback");
    leave_and_free(g, s);
    close(c);
    close(l);
}

fn kernel_has_data(s: &Sock) -> bool {
    let mut b = 0u8;
    // SAFETY: a one-byte peek into a local.
    unsafe { libc::recv(s.fd(), (&mut b as *mut u8).cast(), 1, libc::MSG_PEEK | libc::MSG_DONTWAIT) > 0 }
}

#[test]
fn sock_recv_pipe_reads_ahead_in_one_call() {
    let (l, mut c, mut s) = pair("127.0.0.1");
    assert!(!s.has_pipe());
    s.set_recvbuf(64 * 1024).unwrap();
    assert!(s.has_pipe(), "enable_recv_pipe is on by default");
    let data = pattern(1000, 11);
    let iov = libc::iovec { iov_base: data.as_ptr().cast_mut().cast(), iov_len: data.len() };
    // SAFETY: one iovec over `data`.
    assert_eq!(unsafe { c.writev_raw(&iov, 1) }, Ok(1000));
    // Wait until the kernel holds all of it, then take a small header.
    let mut peek = vec![0u8; 1000];
    for _ in 0..SPIN {
        // SAFETY: a peek into a local buffer.
        if unsafe { libc::recv(s.fd(), peek.as_mut_ptr().cast(), 1000, libc::MSG_PEEK | libc::MSG_DONTWAIT) } == 1000 {
            break;
        }
    }
    let mut hdr = [0u8; 8];
    assert_eq!(s.recv(&mut hdr), Ok(8));
    assert_eq!(&hdr[..], &data[..8]);
    assert_eq!(s.pipe_len(), 992, "the rest went into the pipe in the same readv");
    assert!(!kernel_has_data(&s), "nothing left in the kernel");
    let rest = read_exact(&mut s, 992, || {});
    assert_eq!(&rest[..], &data[8..]);
    assert_eq!(s.pipe_len(), 0);
    // A pipe with data is not resized; an empty one can be removed.
    // SAFETY: one iovec over `data`.
    unsafe { c.writev_raw(&iov, 1) }.unwrap();
    let mut one = [0u8; 1];
    let _ = read_exact(&mut s, 1, || {});
    if s.pipe_len() > 0 {
        assert_eq!(s.set_recvbuf(0), Err(Errno(libc::EBUSY)));
    }
    let _ = read_exact(&mut s, 999, || {});
    s.set_recvbuf(0).unwrap();
    assert!(!s.has_pipe());
    assert_eq!(s.recv(&mut one), Err(Errno(libc::EAGAIN)));
    close(c);
    close(s);
    close(l);
}

#[test]
fn sock_recv_pipe_disabled_by_option() {
    let _g = OPTS_LOCK.lock();
    let o = SockOpts { impl_opts: Some(ImplOpts { enable_recv_pipe: false, ..ImplOpts::default() }), ..SockOpts::default() };
    let l = listen_any("127.0.0.1");
    let mut c = Sock::connect("127.0.0.1", port_of(&l), &o).unwrap();
    c.set_recvbuf(64 * 1024).unwrap();
    assert!(!c.has_pipe());
    let s = accept_one(&l);
    close(c);
    close(s);
    close(l);
}

#[test]
fn sock_group_calls_back_while_the_pipe_holds_data() {
    let (l, mut c, s, g) = pair_and_group();
    // SAFETY: s is live.
    unsafe { (*s).set_recvbuf(4096) }.unwrap();
    let got = Rc::new(RefCell::new(Vec::new()));
    let calls = Rc::new(RefCell::new(0usize));
    let (gk, ck) = (got.clone(), calls.clone());
    // Each callback takes 10 bytes only.
    let cb: group::ReadyFn = Rc::new(move |_, sock| {
        *ck.borrow_mut() += 1;
        let mut b = [0u8; 10];
        // SAFETY: a live member.
        if let Ok(n) = unsafe { (*sock).recv(&mut b) } {
            gk.borrow_mut().extend_from_slice(&b[..n]);
        }
    });
    // SAFETY: live group and socket.
    unsafe { Group::add(g, s, cb) }.unwrap();
    let data = pattern(100, 13);
    let iov = libc::iovec { iov_base: data.as_ptr().cast_mut().cast(), iov_len: data.len() };
    // SAFETY: one iovec over `data`.
    assert_eq!(unsafe { c.writev_raw(&iov, 1) }, Ok(100));
    for _ in 0..SPIN {
        if got.borrow().len() == 100 {
            break;
        }
        // SAFETY: g is live.
        let n = unsafe { Group::poll(g, 32) }.unwrap();
        assert!(n <= 1, "one socket: at most one callback per poll");
    }
    assert_eq!(*got.borrow(), data, "all bytes came through the callbacks");
    // SAFETY: s is live.
    assert!(!kernel_has_data(unsafe { &*s }));
    assert!(*calls.borrow() >= 10);
    let before = *calls.borrow();
    // SAFETY: g is live.
    assert_eq!(unsafe { Group::poll(g, 32) }, Ok(0), "pipe and kernel empty: no callback");
    assert_eq!(*calls.borrow(), before);
    leave_and_free(g, s);
    close(c);
    close(l);
}

#[test]
fn sock_recv_next_uses_the_group_pool() {
    let (l, mut c, s, g) = pair_and_group();
    // SAFETY: s is live and not yet in a group.
    assert_eq!(unsafe { (*s).recv_next() }, Err(Errno(libc::EINVAL)), "outside a group");
    // SAFETY: live group and socket.
    unsafe { Group::add(g, s, Rc::new(|_, _| {})) }.unwrap();
    // SAFETY: s is live.
    assert_eq!(unsafe { (*s).recv_next() }, Err(Errno(libc::ENOBUFS)), "empty pool");
    let mut a = vec![0u8; 16];
    let mut b = vec![0u8; 16];
    // SAFETY: g is live; the buffers outlive their use.
    unsafe {
        (*g).provide_buf(a.as_mut_ptr(), a.len(), 1 as *mut std::ffi::c_void).unwrap();
        (*g).provide_buf(b.as_mut_ptr(), b.len(), 2 as *mut std::ffi::c_void).unwrap();
        assert_eq!((*g).provide_buf(std::ptr::null_mut(), 4, std::ptr::null_mut()), Err(Errno(libc::EINVAL)));
        assert_eq!((*s).recv_next(), Err(Errno(libc::EAGAIN)));
        assert_eq!((*g).pool_len(), 2, "the buffer went back on EAGAIN");
    }
    let data = pattern(20, 17);
    let iov = libc::iovec { iov_base: data.as_ptr().cast_mut().cast(), iov_len: data.len() };
    // SAFETY: one iovec over `data`.
    assert_eq!(unsafe { c.writev_raw(&iov, 1) }, Ok(20));
    let mut parts = Vec::new();
    for _ in 0..SPIN {
        // SAFETY: s is live.
        match unsafe { (*s).recv_next() } {
            Ok(Some(p)) => {
                parts.push(p);
                if parts.iter().map(|p| p.1).sum::<usize>() == 20 {
                    break;
                }
            }
            Err(Errno(libc::EAGAIN)) => {}
            other => panic!("recv_next: {other:?}"),
        }
    }
    // Last in, first out: b (ctx 2) first, then a (ctx 1).
    assert_eq!(parts.len(), 2);
    assert_eq!((parts[0].0, parts[0].1, parts[0].2 as usize), (b.as_mut_ptr(), 16, 2));
    assert_eq!((parts[1].0, parts[1].1, parts[1].2 as usize), (a.as_mut_ptr(), 4, 1));
    assert_eq!([&b[..], &a[..4]].concat(), data);
    // SAFETY: g is live.
    assert_eq!(unsafe { (*g).pool_len() }, 0);
    leave_and_free(g, s);
    close(c);
    close(l);
}
