//! A bounded multi-producer, multi-consumer ring of `Copy` values with bulk
//! (all-or-nothing) and burst operations.
//!
//! Producers reserve slots by advancing `prod_head` with a CAS, write them, and
//! then publish in reservation order by advancing `prod_tail`; consumers do the
//! same with `cons_head`/`cons_tail`. A producer sees free space only up to the
//! published `cons_tail`, so a slot is never overwritten before it was read.
//! There is no allocation after creation.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicUsize, Ordering};

#[repr(align(64))]
struct Padded(AtomicUsize);

pub struct Ring<T: Copy> {
    prod_head: Padded,
    prod_tail: Padded,
    cons_head: Padded,
    cons_tail: Padded,
    mask: usize,
    capacity: usize,
    slots: Box<[UnsafeCell<MaybeUninit<T>>]>,
}

// SAFETY: slots are handed from producer to consumer through the head/tail
// protocol above (Release on tail stores, Acquire on loads), so a value is
// never accessed by two threads at once; T itself must be Send.
unsafe impl<T: Copy + Send> Send for Ring<T> {}
// SAFETY: as above; all shared state is atomics or slots guarded by the protocol.
unsafe impl<T: Copy + Send> Sync for Ring<T> {}

impl<T: Copy> Ring<T> {
    /// A ring holding at most `capacity` elements (`capacity` >= 1).
    pub fn new(capacity: usize) -> Ring<T> {
        let capacity = capacity.max(1);
        let size = capacity.next_power_of_two();
        let slots = (0..size).map(|_| UnsafeCell::new(MaybeUninit::uninit())).collect();
        Ring {
            prod_head: Padded(AtomicUsize::new(0)),
            prod_tail: Padded(AtomicUsize::new(0)),
            cons_head: Padded(AtomicUsize::new(0)),
            cons_tail: Padded(AtomicUsize::new(0)),
            mask: size - 1,
            capacity,
            slots,
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Number of elements published and not yet taken.
    pub fn len(&self) -> usize {
        let tail = self.prod_tail.0.load(Ordering::Acquire);
        let head = self.cons_tail.0.load(Ordering::Acquire);
        tail.wrapping_sub(head).min(self.capacity)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn free_space(&self) -> usize {
        self.capacity - self.len()
    }

    /// Reserves `want` slots (or up to `want` if `burst`); returns the start index and count.
    fn reserve_prod(&self, want: usize, burst: bool) -> Option<(usize, usize)> {
        let mut head = self.prod_head.0.load(Ordering::Relaxed);
        loop {
            let cons_tail = self.cons_tail.0.load(Ordering::Acquire);
            // `head` may be stale (older than `cons_tail`): then this exceeds the
            // capacity, and the CAS below fails on the stale head and retries.
            let free = self.capacity.wrapping_add(cons_tail).wrapping_sub(head);
            let n = if burst { want.min(free) } else if want <= free { want } else { 0 };
            if n == 0 {
                return None;
            }
            match self.prod_head.0.compare_exchange_weak(head, head.wrapping_add(n), Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => return Some((head, n)),
                Err(h) => head = h,
            }
        }
    }

    fn reserve_cons(&self, want: usize, burst: bool) -> Option<(usize, usize)> {
        let mut head = self.cons_head.0.load(Ordering::Relaxed);
        loop {
            let prod_tail = self.prod_tail.0.load(Ordering::Acquire);
            // As above: a stale `head` gives a bogus count, and the CAS fails.
            let avail = prod_tail.wrapping_sub(head);
            let n = if burst { want.min(avail) } else if want <= avail { want } else { 0 };
            if n == 0 {
                return None;
            }
            match self.cons_head.0.compare_exchange_weak(head, head.wrapping_add(n), Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => return Some((head, n)),
                Err(h) => head = h,
            }
        }
    }

    fn publish(tail: &AtomicUsize, start: usize, n: usize) {
        // Earlier reservations publish first, keeping the ring's order. If the
        // thread owning an earlier reservation was descheduled (more threads
        // than cores), spinning would burn a whole timeslice: yield instead.
        let mut spins = 0u32;
        while tail.load(Ordering::Acquire) != start {
            if spins < 128 {
                spins += 1;
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
        tail.store(start.wrapping_add(n), Ordering::Release);
    }

    fn enqueue_inner(&self, items: &[T], burst: bool) -> usize {
        if items.is_empty() {
            return 0;
        }
        let Some((start, n)) = self.reserve_prod(items.len(), burst) else { return 0 };
        for (i, item) in items[..n].iter().enumerate() {
            let slot = &self.slots[start.wrapping_add(i) & self.mask];
            // SAFETY: slots start..start+n were reserved by this producer alone and
            // were already consumed (free space is bounded by cons_tail).
            unsafe { (*slot.get()).write(*item) };
        }
        Self::publish(&self.prod_tail.0, start, n);
        n
    }

    fn dequeue_inner(&self, out: &mut [T], burst: bool) -> usize {
        if out.is_empty() {
            return 0;
        }
        let Some((start, n)) = self.reserve_cons(out.len(), burst) else { return 0 };
        for (i, o) in out[..n].iter_mut().enumerate() {
            let slot = &self.slots[start.wrapping_add(i) & self.mask];
            // SAFETY: slots start..start+n were published by producers (prod_tail
            // passed them, Acquire) and are reserved by this consumer alone.
            *o = unsafe { (*slot.get()).assume_init() };
        }
        Self::publish(&self.cons_tail.0, start, n);
        n
    }

    /// Enqueues all of `items` or none; returns whether they were enqueued.
    pub fn enqueue_bulk(&self, items: &[T]) -> bool {
        !items.is_empty() && self.enqueue_inner(items, false) == items.len()
    }

    /// Enqueues as many of `items` as fit; returns the count.
    pub fn enqueue_burst(&self, items: &[T]) -> usize {
        self.enqueue_inner(items, true)
    }

    pub fn push(&self, item: T) -> bool {
        self.enqueue_inner(std::slice::from_ref(&item), false) == 1
    }

    /// Dequeues exactly `out.len()` elements or none.
    pub fn dequeue_bulk(&self, out: &mut [T]) -> bool {
        !out.is_empty() && self.dequeue_inner(out, false) == out.len()
    }

    /// Dequeues up to `out.len()` elements; returns the count.
    pub fn dequeue_burst(&self, out: &mut [T]) -> usize {
        self.dequeue_inner(out, true)
    }

    pub fn pop(&self) -> Option<T> {
        let mut v = MaybeUninit::<T>::uninit();
        // SAFETY: a one-element slice over `v`; dequeue_inner only writes it.
        let s = unsafe { std::slice::from_raw_parts_mut(v.as_mut_ptr(), 1) };
        if self.dequeue_inner(s, false) == 1 {
            // SAFETY: written by dequeue_inner above.
            Some(unsafe { v.assume_init() })
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn fifo_and_capacity() {
        let r = Ring::<u32>::new(5);
        assert!(r.enqueue_bulk(&[1, 2, 3]));
        assert!(!r.enqueue_bulk(&[4, 5, 6]), "all or nothing");
        assert_eq!(r.len(), 3);
        assert_eq!(r.enqueue_burst(&[4, 5, 6]), 2);
        assert_eq!(r.free_space(), 0);
        let mut out = [0u32; 8];
        assert_eq!(r.dequeue_burst(&mut out), 5);
        assert_eq!(&out[..5], &[1, 2, 3, 4, 5]);
        assert!(r.pop().is_none());
    }

    #[test]
    fn many_producers_one_consumer() {
        const PER: u64 = 30_000;
        let r = Arc::new(Ring::<(u64, u64)>::new(4096));
        let producers: Vec<_> = (0..3u64)
            .map(|p| {
                let r = r.clone();
                std::thread::spawn(move || {
                    for i in 0..PER {
                        while !r.push((p, i)) {
                            std::thread::yield_now();
                        }
                    }
                })
            })
            .collect();
        let mut next = [0u64; 3];
        let mut got = 0;
        let mut buf = [(0, 0); 32];
        while got < 3 * PER {
            let n = r.dequeue_burst(&mut buf);
            for &(p, i) in &buf[..n] {
                assert_eq!(next[p as usize], i, "per-producer order");
                next[p as usize] += 1;
            }
            got += n as u64;
        }
        producers.into_iter().for_each(|h| h.join().unwrap());
        assert!(r.is_empty());
    }

    #[test]
    fn many_consumers_take_each_once() {
        let r = Arc::new(Ring::<u32>::new(1 << 16));
        for i in 0..60_000u32 {
            assert!(r.push(i));
        }
        let consumers: Vec<_> = (0..3)
            .map(|_| {
                let r = r.clone();
                std::thread::spawn(move || {
                    let mut mine = Vec::new();
                    let mut buf = [0u32; 7];
                    while r.dequeue_bulk(&mut buf) {
                        mine.extend_from_slice(&buf);
                    }
                    while let Some(v) = r.pop() {
                        mine.push(v);
                    }
                    mine
                })
            })
            .collect();
        let mut all: Vec<u32> = consumers.into_iter().flat_map(|h| h.join().unwrap()).collect();
        all.sort_unstable();
        assert_eq!(all, (0..60_000).collect::<Vec<_>>());
    }
}
