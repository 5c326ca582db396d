//! Time and cores: ticks, delays, the application's core set and the core of
//! the calling thread.

use parking_lot::RwLock;
use std::cell::Cell;
#[cfg(target_arch = "x86_64")]
use std::sync::atomic::Ordering;

pub const LCORE_ID_ANY: u32 = u32::MAX;
pub const TICKS_HZ: u64 = 1_000_000_000;

/// Monotonic ticks (nanoseconds).
///
/// Read from the CPU's time-stamp counter (as SPDK's `spdk_get_ticks`)
/// when the kernel itself keeps time with it (clocksource `tsc`: invariant
/// and synchronised across CPUs), scaled to nanoseconds by a factor
/// calibrated against `CLOCK_MONOTONIC` on first use; `CLOCK_MONOTONIC`
/// otherwise, or with `RSPDK_TICKS=clock` in the environment. A
/// `clock_gettime` costs about twice an `rdtsc`, and the bdev layer reads
/// the time two or three times per I/O.
#[inline]
pub fn ticks() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        let mult = tsc::MULT.load(Ordering::Acquire);
        if mult != 0 {
            // SAFETY: rdtsc has no preconditions on x86_64.
            return tsc::to_ns(unsafe { core::arch::x86_64::_rdtsc() }, mult);
        }
        tsc::ticks_slow()
    }
    #[cfg(not(target_arch = "x86_64"))]
    clock_ns()
}

/// `CLOCK_MONOTONIC` in nanoseconds.
fn clock_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

#[cfg(target_arch = "x86_64")]
mod tsc {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Once;

    /// Nanoseconds per TSC tick, fixed point 32.32 (0: not calibrated, or not used).
    pub(super) static MULT: AtomicU64 = AtomicU64::new(0);
    /// The TSC and the nanoseconds at the end of calibration.
    static TSC_BASE: AtomicU64 = AtomicU64::new(0);
    static NS_BASE: AtomicU64 = AtomicU64::new(0);
    static INIT: Once = Once::new();

    #[inline]
    pub(super) fn to_ns(tsc: u64, mult: u64) -> u64 {
        let d = tsc.saturating_sub(TSC_BASE.load(Ordering::Relaxed));
        NS_BASE.load(Ordering::Relaxed) + ((d as u128 * mult as u128) >> 32) as u64
    }

    #[cold]
    pub(super) fn ticks_slow() -> u64 {
        INIT.call_once(calibrate);
        let mult = MULT.load(Ordering::Acquire);
        if mult == 0 {
            return super::clock_ns();
        }
        // SAFETY: rdtsc has no preconditions on x86_64.
        to_ns(unsafe { core::arch::x86_64::_rdtsc() }, mult)
    }

    /// Whether the kernel keeps time with an invariant TSC.
    fn usable() -> bool {
        if std::env::var("RSPDK_TICKS").is_ok_and(|v| v == "clock") {
            return false;
        }
        let source = std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource").unwrap_or_default();
        if source.trim() != "tsc" {
            return false;
        }
        let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let flags = info.lines().find(|l| l.starts_with("flags")).unwrap_or("");
        let has = |f: &str| flags.split_whitespace().any(|x| x == f);
        has("constant_tsc") && has("nonstop_tsc")
    }

    /// (TSC, nanoseconds) at one instant: the TSC read on both sides of the
    /// clock. A thread preempted between the reads would skew the pair by
    /// up to half the time it lost (milliseconds on a loaded machine, a
    /// large error over the 5 ms calibration): the tightest of a few tries
    /// is kept, and a tight one (under 10k TSC ticks) ends the tries.
    fn pair() -> (u64, u64) {
        let mut best = (u64::MAX, 0, 0);
        for _ in 0..64 {
            // SAFETY: rdtsc has no preconditions on x86_64.
            let a = unsafe { core::arch::x86_64::_rdtsc() };
            let ns = super::clock_ns();
            // SAFETY: as above.
            let b = unsafe { core::arch::x86_64::_rdtsc() };
            let width = b.wrapping_sub(a);
            if width < best.0 {
                best = (width, a + width / 2, ns);
            }
            if width < 10_000 {
                break;
            }
        }
        (best.1, best.2)
    }

    /// Measures the TSC's rate against CLOCK_MONOTONIC over 5 ms (an error of
    /// a few parts per million).
    fn calibrate() {
        if !usable() {
            return;
        }
        let (t0, n0) = pair();
        let mut end = pair();
        while end.1 - n0 < 5_000_000 {
            std::hint::spin_loop();
            end = pair();
        }
        let (t1, n1) = end;
        if t1 <= t0 {
            return;
        }
        let mult = (((n1 - n0) as u128) << 32) / (t1 - t0) as u128;
        // Between 10 MHz and 100 GHz, or something is wrong: keep the clock.
        if mult == 0 || mult > (100u128 << 32) {
            return;
        }
        TSC_BASE.store(t1, Ordering::Relaxed);
        NS_BASE.store(n1, Ordering::Relaxed);
        MULT.store(mult as u64, Ordering::Release);
    }
}

pub fn delay_us(us: u32) {
    let end = ticks() + us as u64 * 1000;
    if us >= 100 {
        std::thread::sleep(std::time::Duration::from_micros(us as u64 - 50));
    }
    while ticks() < end {
        std::hint::spin_loop();
    }
}

pub struct Cores {
    pub list: Vec<u32>,
    pub main: u32,
}

static CORES: RwLock<Option<Cores>> = RwLock::new(None);

thread_local! {
    static CURRENT_CORE: Cell<u32> = const { Cell::new(LCORE_ID_ANY) };
}

/// CPUs this process may run on.
pub fn online_cpus() -> Vec<u32> {
    // SAFETY: cpu_set_t is plain data; sched_getaffinity fills it.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: pid 0 is the calling thread; the size matches the set.
    let rc = unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if rc != 0 {
        return vec![0];
    }
    // SAFETY: CPU_ISSET reads the set we own.
    (0..libc::CPU_SETSIZE as u32).filter(|&c| unsafe { libc::CPU_ISSET(c as usize, &set) }).collect()
}

pub fn set_cores(list: Vec<u32>, main: u32) {
    *CORES.write() = Some(Cores { list, main });
}

pub fn clear_cores() {
    *CORES.write() = None;
}

pub fn with_cores<R>(f: impl FnOnce(&[u32], u32) -> R) -> R {
    let g = CORES.read();
    match g.as_ref() {
        Some(c) => f(&c.list, c.main),
        None => f(&[0], 0),
    }
}

pub fn current_core() -> u32 {
    CURRENT_CORE.with(|c| c.get())
}

pub fn set_current_core(core: u32) {
    CURRENT_CORE.with(|c| c.set(core));
}

/// Pins the calling OS thread to `core`.
pub fn pin_to(core: u32) -> Result<(), i32> {
    // SAFETY: cpu_set_t is plain data; CPU_SET writes inside it; pid 0 is this thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(core as usize, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            return Err(*libc::__errno_location());
        }
    }
    Ok(())
}

/// NUMA node of a CPU from sysfs (0 when unknown).
pub fn numa_id(core: u32) -> i32 {
    let dir = format!("/sys/devices/system/cpu/cpu{core}");
    std::fs::read_dir(dir)
        .ok()
        .and_then(|rd| {
            rd.filter_map(|e| e.ok())
                .find_map(|e| e.file_name().to_str()?.strip_prefix("node")?.parse::<i32>().ok())
        })
        .unwrap_or(0)
}
