//! A connection's send queue: bytes the connection owns (PDU headers,
//! responses, digests) interleaved with data it does not copy (C2HData
//! payloads sent straight from a request's buffers). The stream is
//! `buf[..p1] + ext1 + buf[p1..p2] + ext2 + ... + buf[pn..]`, where `pk` is
//! where extent `k` was queued; one `writev` sends as much of it as the
//! socket takes. An extent carries the request whose buffers it points
//! into: once it is sent, the request is handed back for release.

use std::collections::VecDeque;

/// Data queued by reference: `len` bytes at `data`, sent after `buf[..pos]`.
struct Ext {
    pos: usize,
    data: *const u8,
    len: usize,
    /// The request to release once this extent is sent.
    req: Option<u16>,
}

/// Most iovecs handed to one `writev`.
const MAX_IOV: usize = 256;

#[derive(Default)]
pub struct TxQueue {
    buf: Vec<u8>,
    /// Bytes of `buf` sent.
    off: usize,
    ext: VecDeque<Ext>,
    /// Bytes of the first extent sent (when `off` is at its position).
    ext_sent: usize,
    /// Bytes of queued extents not yet sent.
    ext_unsent: usize,
    /// The iovecs of the next `writev`, kept to avoid an allocation per flush.
    iov: Vec<libc::iovec>,
}

impl TxQueue {
    pub fn with_capacity(n: usize) -> TxQueue {
        TxQueue { buf: Vec::with_capacity(n), ..TxQueue::default() }
    }

    /// The owned bytes, to append to.
    pub fn bytes(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Queues `len` bytes at `data` (which must stay valid and unchanged
    /// until the extent is sent or the queue cleared) after what is queued.
    pub fn push_ext(&mut self, data: *const u8, len: usize, req: Option<u16>) {
        if len == 0 && req.is_none() {
            return;
        }
        self.ext_unsent += len;
        self.ext.push_back(Ext { pos: self.buf.len(), data, len, req });
    }

    /// Bytes queued and not yet sent.
    pub fn unsent(&self) -> usize {
        self.buf.len() - self.off + self.ext_unsent - self.ext_sent
    }

    pub fn is_empty(&self) -> bool {
        self.unsent() == 0 && self.ext.is_empty()
    }

    /// Sends with `send` (a `writev`: iovecs in, bytes taken out) until it
    /// takes less than offered or all is sent; requests whose extents went
    /// out are appended to `done`. Returns the bytes sent, or the error of
    /// the first `send` that failed before anything was sent.
    pub fn flush<E>(&mut self, mut send: impl FnMut(&[libc::iovec]) -> Result<usize, E>, done: &mut Vec<u16>) -> Result<usize, E> {
        let mut total = 0;
        loop {
            self.retire(done);
            self.fill_iovecs();
            if self.iov.is_empty() {
                break;
            }
            let offered: usize = self.iov.iter().map(|v| v.iov_len).sum();
            let n = match send(&self.iov) {
                Ok(n) => n,
                Err(e) if total == 0 => return Err(e),
                Err(_) => break,
            };
            self.advance(n);
            total += n;
            if n < offered {
                self.retire(done);
                break;
            }
        }
        self.compact();
        Ok(total)
    }

    /// Drops everything queued; the requests of unsent extents go to `done`.
    pub fn clear(&mut self, done: &mut Vec<u16>) {
        done.extend(self.ext.drain(..).filter_map(|e| e.req));
        self.buf.clear();
        self.off = 0;
        self.ext_sent = 0;
        self.ext_unsent = 0;
    }

    /// The next stretch of the stream as iovecs, into `iov`.
    fn fill_iovecs(&mut self) {
        let mut v = std::mem::take(&mut self.iov);
        v.clear();
        let mut at = self.off;
        let mut first = true;
        for e in &self.ext {
            if v.len() + 2 > MAX_IOV {
                self.iov = v;
                return;
            }
            if e.pos > at {
                v.push(libc::iovec { iov_base: self.buf[at..].as_ptr() as *mut _, iov_len: e.pos - at });
                at = e.pos;
            }
            let skip = if first { self.ext_sent } else { 0 };
            first = false;
            if e.len > skip {
                v.push(libc::iovec { iov_base: e.data.wrapping_add(skip) as *mut _, iov_len: e.len - skip });
            }
        }
        if self.buf.len() > at {
            v.push(libc::iovec { iov_base: self.buf[at..].as_ptr() as *mut _, iov_len: self.buf.len() - at });
        }
        self.iov = v;
    }

    /// Accounts `n` bytes as sent, in stream order. Extents sent in full
    /// get length 0 (the sent prefix `retire` takes off).
    fn advance(&mut self, mut n: usize) {
        let mut i = 0;
        while n > 0 {
            let Some(&Ext { pos, len, .. }) = self.ext.get(i) else {
                self.off += n;
                return;
            };
            if pos > self.off {
                let k = n.min(pos - self.off);
                self.off += k;
                n -= k;
                continue;
            }
            let k = n.min(len - self.ext_sent);
            self.ext_sent += k;
            n -= k;
            if self.ext_sent == len {
                self.ext_unsent -= len;
                self.ext_sent = 0;
                self.ext[i].len = 0;
                i += 1;
            }
        }
    }

    /// Takes the extents already sent (at or before `off`, nothing left of
    /// them) off the queue and reports their requests.
    fn retire(&mut self, done: &mut Vec<u16>) {
        // Sent extents have length 0 (`advance`), as do release markers;
        // `ext_sent` belongs to the first one with bytes left, untouched here.
        while let Some(e) = self.ext.front() {
            if e.pos > self.off || e.len > 0 {
                break;
            }
            if let Some(r) = e.req {
                done.push(r);
            }
            self.ext.pop_front();
        }
    }

    /// Frees the sent prefix of `buf` now and then.
    fn compact(&mut self) {
        if self.off == self.buf.len() && self.ext.is_empty() {
            self.buf.clear();
            self.off = 0;
        } else if self.off > (1 << 20) {
            let cut = self.off;
            self.buf.drain(..cut);
            for e in self.ext.iter_mut() {
                e.pos -= cut;
            }
            self.off = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sink that takes at most `cap` bytes per call.
    fn sink(out: &mut Vec<u8>, cap: usize) -> impl FnMut(&[libc::iovec]) -> Result<usize, ()> + '_ {
        move |iov| {
            let mut n = 0;
            for v in iov {
                let k = v.iov_len.min(cap - n);
                // SAFETY: the queue's iovecs describe live memory.
                out.extend_from_slice(unsafe { std::slice::from_raw_parts(v.iov_base as *const u8, k) });
                n += k;
                if n == cap {
                    break;
                }
            }
            Ok(n)
        }
    }

    #[test]
    fn interleaves_owned_bytes_and_extents_in_order_whatever_the_socket_takes() {
        let a: Vec<u8> = (0..5000u32).map(|i| i as u8).collect();
        let b: Vec<u8> = (0..300u32).map(|i| (i * 7) as u8).collect();
        for cap in [1usize, 3, 7, 64, 100, 4999, 5000, 1 << 20] {
            let mut q = TxQueue::default();
            let mut want = Vec::new();
            q.bytes().extend_from_slice(b"hdr1");
            want.extend_from_slice(b"hdr1");
            q.push_ext(a.as_ptr(), a.len(), None);
            want.extend_from_slice(&a);
            q.bytes().extend_from_slice(b"dg");
            want.extend_from_slice(b"dg");
            q.push_ext(b.as_ptr(), b.len(), Some(7));
            want.extend_from_slice(&b);
            q.push_ext(b.as_ptr(), 10, Some(8));
            want.extend_from_slice(&b[..10]);
            q.bytes().extend_from_slice(b"resp");
            want.extend_from_slice(b"resp");
            assert_eq!(q.unsent(), want.len());
            let mut got = Vec::new();
            let mut done = Vec::new();
            let mut rounds = 0;
            while !q.is_empty() {
                q.flush(sink(&mut got, cap), &mut done).unwrap();
                rounds += 1;
                assert!(rounds < 100_000);
            }
            assert!(got == want, "stream differs with {cap} bytes per send");
            assert_eq!(done, vec![7, 8], "requests released in order once sent ({cap})");
            assert_eq!(q.unsent(), 0);
        }
    }

    #[test]
    fn a_request_is_released_only_after_its_extent_is_sent() {
        let d = [9u8; 100];
        let mut q = TxQueue::default();
        q.bytes().extend_from_slice(&[1; 10]);
        q.push_ext(d.as_ptr(), d.len(), Some(3));
        let mut got = Vec::new();
        let mut done = Vec::new();
        q.flush(sink(&mut got, 60), &mut done).unwrap();
        assert!(done.is_empty(), "60 of 110 bytes sent: the extent is not");
        q.flush(sink(&mut got, 49), &mut done).unwrap();
        assert!(done.is_empty(), "109 of 110");
        q.flush(sink(&mut got, 1), &mut done).unwrap();
        assert_eq!(done, vec![3]);
        assert!(q.is_empty());
    }

    #[test]
    fn clear_hands_back_unsent_requests_and_errors_pass_through() {
        let d = [0u8; 8];
        let mut q = TxQueue::default();
        q.push_ext(d.as_ptr(), 8, Some(1));
        q.push_ext(d.as_ptr(), 8, Some(2));
        let mut done = Vec::new();
        assert_eq!(q.flush(|_| Err::<usize, i32>(11), &mut done), Err(11));
        q.clear(&mut done);
        assert_eq!(done, vec![1, 2]);
        assert!(q.is_empty());
    }
}
