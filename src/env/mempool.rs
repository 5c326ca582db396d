//! Thread-safe pools of fixed-size DMA-safe elements (`spdk_mempool_*`): the
//! elements live in one heap block; free elements sit in a lock-free ring.

use super::{mem, ring::Ring};
use parking_lot::Mutex;
use std::collections::HashMap;

pub struct Mempool {
    name: std::ffi::CString,
    base: *mut u8,
    stride: usize,
    count: usize,
    free: Ring<usize>,
}

// SAFETY: the element memory is owned by the pool; elements are handed out
// through the lock-free ring, one owner at a time.
unsafe impl Send for Mempool {}
// SAFETY: as above; shared access goes through the ring only.
unsafe impl Sync for Mempool {}

static BY_NAME: Mutex<Option<HashMap<String, usize>>> = Mutex::new(None);

impl Mempool {
    /// Creates a pool of `count` elements of `ele_size` bytes, each 64-byte aligned.
    pub fn create(name: &str, count: usize, ele_size: usize) -> Option<Box<Mempool>> {
        if count == 0 || ele_size == 0 || name.is_empty() {
            return None;
        }
        let stride = ele_size.checked_next_multiple_of(64)?;
        let base = mem::alloc(stride.checked_mul(count)?, 64)?;
        let free = Ring::new(count);
        for i in 0..count {
            free.push(base as usize + i * stride);
        }
        let pool = Box::new(Mempool { name: std::ffi::CString::new(name).ok()?, base, stride, count, free });
        BY_NAME.lock().get_or_insert_with(HashMap::new).insert(name.to_string(), &*pool as *const Mempool as usize);
        Some(pool)
    }

    pub fn name(&self) -> &std::ffi::CStr {
        &self.name
    }

    pub fn get(&self) -> Option<*mut u8> {
        self.free.pop().map(|p| p as *mut u8)
    }

    /// Takes `out.len()` elements, or none.
    pub fn get_bulk(&self, out: &mut [usize]) -> bool {
        self.free.dequeue_bulk(out)
    }

    pub fn owns(&self, p: *const u8) -> bool {
        let off = (p as usize).wrapping_sub(self.base as usize);
        off < self.stride * self.count && off % self.stride == 0
    }

    /// Returns an element; false (and nothing done) if it is not one of ours.
    pub fn put(&self, p: *mut u8) -> bool {
        self.owns(p) && self.free.push(p as usize)
    }

    pub fn put_bulk(&self, items: &[usize]) -> bool {
        items.iter().all(|&p| self.owns(p as *const u8)) && self.free.enqueue_bulk(items)
    }

    /// Elements currently free in the pool.
    pub fn count(&self) -> usize {
        self.free.len()
    }

    pub fn capacity(&self) -> usize {
        self.count
    }

    /// Element `i` (for iteration).
    pub fn element(&self, i: usize) -> *mut u8 {
        // SAFETY: callers pass i < count; the offset stays inside the pool's block.
        unsafe { self.base.add(i * self.stride) }
    }

    pub fn memory(&self) -> (*mut u8, usize) {
        (self.base, self.stride * self.count)
    }

    pub fn lookup(name: &str) -> Option<*const Mempool> {
        BY_NAME.lock().as_ref()?.get(name).map(|&p| p as *const Mempool)
    }
}

impl Drop for Mempool {
    fn drop(&mut self) {
        if let Some(m) = BY_NAME.lock().as_mut() {
            if m.get(self.name.to_str().unwrap_or("")) == Some(&(self as *const Mempool as usize)) {
                m.remove(self.name.to_str().unwrap_or(""));
            }
        }
        if self.free.len() != self.count {
            crate::log::warn(format_args!(
                "mempool {:?}: freed with {} of {} elements still out\n",
                self.name,
                self.count - self.free.len(),
                self.count
            ));
        }
        mem::free(self.base);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_put_bulk() {
        let p = Mempool::create("test_pool_a", 10, 100).unwrap();
        assert_eq!(p.count(), 10);
        let a = p.get().unwrap();
        assert_eq!(p.count(), 9);
        let mut bulk = [0usize; 20];
        assert!(!p.get_bulk(&mut bulk), "more than available: nothing taken");
        assert_eq!(p.count(), 9);
        let mut five = [0usize; 5];
        assert!(p.get_bulk(&mut five));
        assert_eq!(p.count(), 4);
        assert!(!p.put(a.wrapping_add(1)), "foreign pointer refused");
        assert!(p.put(a));
        assert!(p.put_bulk(&five));
        assert_eq!(p.count(), 10);
        assert_eq!(Mempool::lookup("test_pool_a"), Some(&*p as *const Mempool));
        drop(p);
        assert_eq!(Mempool::lookup("test_pool_a"), None);
    }
}
