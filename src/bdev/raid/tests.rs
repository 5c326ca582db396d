//! raid0, raid1 and concat over malloc (and error-injection) bdevs, driven
//! on one spdk_thread: data written through the raid is read back through
//! it and found on the right member at the right offset.

use super::*;
use crate::bdev::config::{self, MethodError};
use crate::bdev::{self as layer, error, malloc};
use crate::thread::{self, Thread};
use serde_json::json;
use std::cell::Cell;

/// I/O completed and failed, counted by [`on_done`] through its argument
/// pointer while the test waits holding `&Done`: in Cells, so that a release
/// build reads them again on every poll.
struct Done {
    n: Cell<u32>,
    failed: Cell<u32>,
}

impl Done {
    fn new() -> Done {
        Done { n: Cell::new(0), failed: Cell::new(0) }
    }
}

extern "C" fn on_done(io: *mut spdk_bdev_io, success: bool, arg: *mut c_void) {
    // SAFETY: arg is the test's Done, alive until checked.
    let d = unsafe { &*(arg as *const Done) };
    d.n.set(d.n.get() + 1);
    if !success {
        d.failed.set(d.failed.get() + 1);
    }
    io::free_io(io);
}

fn poll_until(t: *mut Thread, mut cond: impl FnMut() -> bool) {
    for _ in 0..1_000_000 {
        if cond() {
            return;
        }
        // SAFETY: the test's live thread.
        unsafe { (*t).poll(0, 0) };
    }
    panic!("condition not reached");
}

fn poll_some(t: *mut Thread, n: u32) {
    for _ in 0..n {
        // SAFETY: the test's live thread.
        unsafe { (*t).poll(0, 0) };
    }
}

/// A bdev opened with a channel on the test thread.
struct Open {
    desc: *mut Desc,
    ch: *mut spdk_io_channel,
    blocklen: u64,
    blocks: u64,
}

impl Open {
    fn new(name: &str, write: bool) -> Open {
        let desc = layer::open(name, write, None, std::ptr::null_mut()).unwrap_or_else(|e| panic!("open {name}: {e}"));
        let b = layer::bdev_ref_ptr(desc);
        let ch = ioch::get(b.cast()).unwrap().cast();
        Open { desc, ch, blocklen: layer::bdev_ref(b).blocklen as u64, blocks: layer::bdev_ref(b).blockcnt }
    }

    fn submit(&self, t: spdk_bdev_io_type, iovs: &mut [libc::iovec], off: u64, n: u64, d: &Done) {
        let req = Request {
            io_type: t,
            iovs: if iovs.is_empty() { std::ptr::null_mut() } else { iovs.as_mut_ptr() },
            iovcnt: iovs.len() as c_int,
            buf: std::ptr::null_mut(),
            md_buf: std::ptr::null_mut(),
            offset_blocks: off,
            num_blocks: n,
            cb: Some(on_done),
            cb_arg: d as *const Done as *mut c_void,
        };
        io::submit(self.desc, self.ch, req).unwrap_or_else(|e| panic!("submit {t:?} {off}+{n}: {e:?}"));
    }

    /// One I/O, waited for; whether it succeeded.
    fn run(&self, th: *mut Thread, t: spdk_bdev_io_type, buf: &mut [u8], off: u64, n: u64) -> bool {
        let d = Done::new();
        let mut iov = [libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: buf.len() }];
        let iovs: &mut [libc::iovec] = if buf.is_empty() { &mut [] } else { &mut iov };
        self.submit(t, iovs, off, n, &d);
        poll_until(th, || d.n.get() == 1);
        d.failed.get() == 0
    }

    fn read(&self, th: *mut Thread, off: u64, n: u64) -> Vec<u8> {
        let mut buf = vec![0u8; (n * self.blocklen) as usize];
        assert!(self.run(th, spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_READ, &mut buf, off, n), "read {off}+{n}");
        buf
    }

    fn write(&self, th: *mut Thread, off: u64, data: &mut [u8]) -> bool {
        let n = data.len() as u64 / self.blocklen;
        self.run(th, spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_WRITE, data, off, n)
    }

    fn close(self) {
        ioch::put(self.ch.cast());
        layer::close(self.desc);
    }
}

/// Bytes no two writes of a test repeat: block number and a generation in every byte pair.
fn pattern(off: u64, n: u64, bl: u64, gen: u8) -> Vec<u8> {
    (0..n * bl).map(|i| ((off + i / bl) as u8).wrapping_mul(7) ^ (i as u8) ^ gen.wrapping_mul(29)).collect()
}

/// A small deterministic generator for offsets and lengths.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

/// Writes `data` at `off` through the raid and into the model.
fn write_both(th: *mut Thread, raid: &Open, model: &mut [u8], off: u64, mut data: Vec<u8>) {
    let at = (off * raid.blocklen) as usize;
    assert!(raid.write(th, off, &mut data), "write {off}+{}", data.len() as u64 / raid.blocklen);
    model[at..at + data.len()].copy_from_slice(&data);
}

fn check_all(th: *mut Thread, raid: &Open, model: &[u8]) {
    let got = raid.read(th, 0, raid.blocks);
    assert!(got == model, "raid content differs from the model at byte {:?}", got.iter().zip(model).position(|(a, b)| a != b));
}

/// The blocks of member `slot`, from the raid's model, by a block mapping.
fn member_view(model: &[u8], bl: u64, blocks: u64, map: impl Fn(u64) -> Option<u64>) -> Vec<u8> {
    let mut v = vec![0u8; (blocks * bl) as usize];
    for rb in 0..model.len() as u64 / bl {
        if let Some(mb) = map(rb) {
            let (src, dst) = ((rb * bl) as usize, (mb * bl) as usize);
            v[dst..dst + bl as usize].copy_from_slice(&model[src..src + bl as usize]);
        }
    }
    v
}

fn setup(name: &str) -> *mut Thread {
    let t = thread::create(Some(name), None).unwrap();
    thread::set_current(t);
    t
}

fn teardown(t: *mut Thread) {
    thread::set_current(std::ptr::null_mut());
    // SAFETY: the test's thread.
    unsafe { (*t).exit() };
    poll_until(t, || unsafe { (*t).is_exited() });
    thread::destroy(t);
}

fn create(cfg: serde_json::Value) -> Result<Option<String>, MethodError> {
    config::call("bdev_raid_create", &cfg)
}

fn delete_raid(t: *mut Thread, name: &str) {
    delete(name).unwrap();
    poll_until(t, || !exists(name) && layer::get_by_name(name).is_none());
}

fn delete_mallocs(t: *mut Thread, names: &[&str]) {
    for n in names {
        malloc::delete(n, None, std::ptr::null_mut()).unwrap();
    }
    poll_until(t, || names.iter().all(|n| layer::get_by_name(n).is_none()));
}

/// The raid's entry in `bdev_raid_get_bdevs all`.
fn info(name: &str) -> serde_json::Value {
    let all = config::get_bdevs("all").unwrap();
    all.as_array().unwrap().iter().find(|r| r["name"] == name).cloned().unwrap_or(serde_json::Value::Null)
}

/// Writes of many sizes and offsets (crossing strips and members), a
/// scattered write, write-zeroes and unmap across strips; then every block
/// read back through the raid, and every member compared with the mapping.
fn exercise(t: *mut Thread, name: &str, members: &[&str], map: &dyn Fn(usize, u64) -> Option<u64>, seed: u64) {
    use spdk_bdev_io_type::*;
    let raid = Open::new(name, true);
    let (bl, blocks) = (raid.blocklen, raid.blocks);
    let mut model = vec![0u8; (blocks * bl) as usize];
    write_both(t, &raid, &mut model, 0, pattern(0, blocks, bl, 1));
    let mut rng = Lcg(seed);
    let mut gen = 2u8;
    for &(off, n) in &[(0, 1), (5, 10), (7, 2), (blocks - 1, 1), (blocks - 20, 20), (3, 100), (64, 64)] {
        write_both(t, &raid, &mut model, off, pattern(off, n, bl, gen));
        gen = gen.wrapping_add(1);
    }
    for _ in 0..60 {
        let n = 1 + rng.next(90);
        let off = rng.next(blocks - n + 1);
        write_both(t, &raid, &mut model, off, pattern(off, n, bl, gen));
        gen = gen.wrapping_add(1);
    }
    // A write from two buffers (the layer splits it at strips across both).
    let (off, n1, n2) = (11, 9, 14);
    let mut a = pattern(off, n1, bl, 200);
    let mut b = pattern(off + n1, n2, bl, 200);
    let mut iov = [libc::iovec { iov_base: a.as_mut_ptr().cast(), iov_len: a.len() }, libc::iovec { iov_base: b.as_mut_ptr().cast(), iov_len: b.len() }];
    let d = Done::new();
    raid.submit(SPDK_BDEV_IO_TYPE_WRITE, &mut iov, off, n1 + n2, &d);
    poll_until(t, || d.n.get() == 1);
    assert_eq!(d.failed.get(), 0);
    let at = (off * bl) as usize;
    model[at..at + a.len()].copy_from_slice(&a);
    model[at + a.len()..at + a.len() + b.len()].copy_from_slice(&b);
    check_all(t, &raid, &model);
    // Write-zeroes and unmap (malloc zeroes unmapped blocks) over several strips and members.
    for (ty, off, n) in [(SPDK_BDEV_IO_TYPE_WRITE_ZEROES, 13, 41), (SPDK_BDEV_IO_TYPE_UNMAP, blocks / 2 - 3, 50)] {
        assert!(raid.run(t, ty, &mut [], off, n), "{ty:?} {off}+{n}");
        model[(off * bl) as usize..((off + n) * bl) as usize].fill(0);
    }
    assert!(raid.run(t, SPDK_BDEV_IO_TYPE_FLUSH, &mut [], 0, blocks));
    assert!(raid.run(t, SPDK_BDEV_IO_TYPE_RESET, &mut [], 0, 0));
    check_all(t, &raid, &model);
    // Reads of odd sizes, crossing strips.
    for _ in 0..20 {
        let n = 1 + rng.next(70);
        let off = rng.next(blocks - n + 1);
        assert!(raid.read(t, off, n) == model[(off * bl) as usize..((off + n) * bl) as usize], "read {off}+{n}");
    }
    raid.close();
    for (s, m) in members.iter().enumerate() {
        let mo = Open::new(m, false);
        let got = mo.read(t, 0, mo.blocks);
        let want = member_view(&model, bl, mo.blocks, |rb| map(s, rb));
        let mapped: Vec<u64> = (0..blocks).filter_map(|rb| map(s, rb)).collect();
        for mb in mapped {
            let r = (mb * bl) as usize..((mb + 1) * bl) as usize;
            assert!(got[r.clone()] == want[r], "member {m} block {mb} differs");
        }
        mo.close();
    }
}

#[test]
fn raid0_stripes_data_over_members() {
    let t = setup("raid0_test");
    for i in 0..3 {
        malloc::create(&format!("r0_m{i}"), 203, 512, None).unwrap();
    }
    let r = create(json!({"name": "r0", "raid_level": "raid0", "strip_size_kb": 4, "base_bdevs": ["r0_m0", "r0_m1", "r0_m2"]}));
    assert_eq!(r, Ok(Some("r0".into())));
    let b = layer::get_by_name("r0").unwrap();
    let bd = layer::bdev_ref(b);
    // 203 blocks are 25 strips of 8 (3 blocks left over), times 3 members.
    assert_eq!((bd.blockcnt, bd.blocklen, bd.optimal_io_boundary), (600, 512, 8));
    assert!(bd.flags & SPDK_BDEV_FLAG_SPLIT_ON_OPTIMAL_IO_BOUNDARY != 0);
    for i in 0..3 {
        assert!(layer::is_claimed(layer::get_by_name(&format!("r0_m{i}")).unwrap()));
    }
    let map = |s: usize, rb: u64| ((rb / 8) % 3 == s as u64).then_some((rb / 8 / 3) * 8 + rb % 8);
    exercise(t, "r0", &["r0_m0", "r0_m1", "r0_m2"], &map, 1);
    let i = info("r0");
    assert_eq!(i["state"], "online");
    assert_eq!(i["raid_level"], "raid0");
    assert_eq!(i["strip_size_kb"], 4);
    assert_eq!(i["num_base_bdevs"], 3);
    assert_eq!(i["num_base_bdevs_discovered"], 3);
    assert_eq!(i["num_base_bdevs_operational"], 3);
    assert_eq!(i["superblock"], false);
    assert_eq!(i["base_bdevs_list"][1]["name"], "r0_m1");
    assert_eq!(i["base_bdevs_list"][1]["is_configured"], true);
    assert_eq!(i["base_bdevs_list"][1]["data_size"], 200);
    assert_eq!(i["base_bdevs_list"][1]["data_offset"], 0);
    // The bdev_get_bdevs view and the config that recreates it.
    let dj = info_json(b).unwrap();
    assert_eq!(dj["raid"]["num_base_bdevs"], 3);
    assert_eq!(dj["raid"]["uuid"], i["uuid"]);
    let cj = config_json(b).unwrap();
    assert_eq!(cj["method"], "bdev_raid_create");
    assert_eq!(cj["params"]["base_bdevs"], json!(["r0_m0", "r0_m1", "r0_m2"]));
    assert_eq!(cj["params"]["strip_size_kb"], 4);
    assert_eq!(cj["params"]["raid_level"], "raid0");
    let m0 = layer::get_by_name("r0_m0").unwrap();
    assert_eq!(info_json(m0), None);
    assert_eq!(config_json(m0), None);
    // Deleted, then made again from its config: same bdev, same data.
    let raid = Open::new("r0", false);
    let before = raid.read(t, 0, raid.blocks);
    raid.close();
    delete_raid(t, "r0");
    for i in 0..3 {
        let w = Open::new(&format!("r0_m{i}"), true);
        w.close();
    }
    assert_eq!(config::call(cj["method"].as_str().unwrap(), &cj["params"]), Ok(Some("r0".into())));
    // SAFETY: every bit pattern of the uuid bytes is valid.
    assert_eq!(json!(crate::util::uuid::fmt_lower(unsafe { &layer::bdev_ref(layer::get_by_name("r0").unwrap()).uuid.u.raw })), i["uuid"]);
    let raid = Open::new("r0", false);
    assert!(raid.read(t, 0, raid.blocks) == before, "the recreated raid reads the same data");
    raid.close();
    delete_raid(t, "r0");
    delete_mallocs(t, &["r0_m0", "r0_m1", "r0_m2"]);
    teardown(t);
}

#[test]
fn concat_lays_members_end_to_end() {
    let t = setup("concat_test");
    malloc::create("cc_m0", 100, 512, None).unwrap();
    malloc::create("cc_m1", 70, 512, None).unwrap();
    malloc::create("cc_m2", 130, 512, None).unwrap();
    create(json!({"name": "cc", "raid_level": "concat", "strip_size_kb": 4, "base_bdevs": "cc_m0 cc_m1 cc_m2"})).unwrap();
    // 96 + 64 + 128 blocks (whole strips of 8).
    assert_eq!(layer::bdev_ref(layer::get_by_name("cc").unwrap()).blockcnt, 288);
    let ext = [(0u64, 96u64), (96, 64), (160, 128)];
    let map = |s: usize, rb: u64| (rb >= ext[s].0 && rb < ext[s].0 + ext[s].1).then(|| rb - ext[s].0);
    exercise(t, "cc", &["cc_m0", "cc_m1", "cc_m2"], &map, 2);
    let i = info("cc");
    assert_eq!(i["raid_level"], "concat");
    assert_eq!(i["base_bdevs_list"][2]["data_size"], 128);
    delete_raid(t, "cc");
    delete_mallocs(t, &["cc_m0", "cc_m1", "cc_m2"]);
    teardown(t);
}

#[test]
fn raid1_mirrors_and_survives_a_member_hot_remove() {
    let t = setup("raid1_test");
    malloc::create("m1_a", 300, 4096, None).unwrap();
    malloc::create("m1_b", 256, 4096, None).unwrap();
    create(json!({"name": "m1", "raid_level": "1", "base_bdevs": ["m1_a", "m1_b"]})).unwrap();
    assert_eq!(layer::bdev_ref(layer::get_by_name("m1").unwrap()).blockcnt, 256);
    exercise(t, "m1", &["m1_a", "m1_b"], &|_, rb| Some(rb), 3);
    assert_eq!(info("m1")["strip_size_kb"], 0);
    // A member deleted under the raid: degraded, still online, data intact.
    let raid = Open::new("m1", true);
    let before = raid.read(t, 0, raid.blocks);
    malloc::delete("m1_b", None, std::ptr::null_mut()).unwrap();
    poll_until(t, || layer::get_by_name("m1_b").is_none());
    let i = info("m1");
    assert_eq!(i["state"], "online");
    assert_eq!(i["num_base_bdevs_operational"], 1);
    assert_eq!(i["num_base_bdevs_discovered"], 1);
    assert_eq!(i["base_bdevs_list"][1]["is_configured"], false);
    assert_eq!(i["base_bdevs_list"][1]["name"], serde_json::Value::Null);
    assert!(raid.read(t, 0, raid.blocks) == before);
    let mut d = pattern(5, 3, 4096, 77);
    assert!(raid.write(t, 5, &mut d));
    assert!(raid.read(t, 5, 3) == d);
    // Losing the last member takes it offline: the bdev goes, the entry stays until deleted.
    malloc::delete("m1_a", None, std::ptr::null_mut()).unwrap();
    poll_some(t, 50);
    assert!(layer::get_by_name("m1_a").is_some(), "held open by the raid bdev's user");
    raid.close();
    poll_until(t, || layer::get_by_name("m1").is_none() && layer::get_by_name("m1_a").is_none());
    assert_eq!(info("m1")["state"], "offline");
    assert_eq!(config::get_bdevs("offline").unwrap().as_array().unwrap().iter().filter(|r| r["name"] == "m1").count(), 1);
    assert!(config::get_bdevs("online").unwrap().as_array().unwrap().iter().all(|r| r["name"] != "m1"));
    assert!(config::get_bdevs("broken").unwrap_err().0.contains("category"));
    delete_raid(t, "m1");
    teardown(t);
}

#[test]
fn raid0_goes_offline_when_a_member_goes() {
    let t = setup("raid0_off_test");
    malloc::create("ro_m0", 64, 512, None).unwrap();
    malloc::create("ro_m1", 64, 512, None).unwrap();
    create(json!({"name": "ro", "raid_level": "raid0", "strip_size_kb": 8, "base_bdevs": ["ro_m0", "ro_m1"]})).unwrap();
    assert_eq!(config::call("bdev_raid_remove_base_bdev", &json!({"name": "ro_m1"})), Ok(None));
    poll_until(t, || layer::get_by_name("ro").is_none());
    let i = info("ro");
    assert_eq!(i["state"], "offline");
    // The removed member is given back; the other stays claimed until the raid is deleted.
    poll_until(t, || !layer::is_claimed(layer::get_by_name("ro_m1").unwrap()));
    assert!(layer::is_claimed(layer::get_by_name("ro_m0").unwrap()));
    assert!(config::call("bdev_raid_add_base_bdev", &json!({"raid_bdev": "ro", "base_bdev": "ro_m1"})).unwrap_err().0.contains("only raid1"));
    // A member deleted under an offline raid is given back at once (as at shutdown).
    malloc::delete("ro_m0", None, std::ptr::null_mut()).unwrap();
    poll_until(t, || layer::get_by_name("ro_m0").is_none());
    assert_eq!(info("ro")["num_base_bdevs_discovered"], 0);
    delete_raid(t, "ro");
    delete_mallocs(t, &["ro_m1"]);
    teardown(t);
}

/// Writes through the raid while a rebuild runs, eight at once on disjoint
/// slices around the window being copied (so they race with the copy);
/// returns how many went into a window being copied.
fn write_during_rebuild(t: *mut Thread, raid: &Open, model: &mut [u8], r: usize, rng: &mut Lcg) -> u32 {
    let bl = raid.blocklen;
    let window = window_kb() * 1024 / bl;
    let mut in_window = 0;
    let mut gen = 100u8;
    loop {
        let Some((_, at)) = rebuild::progress(raid_ref(r).meta.lock().rebuild) else { break };
        // Buffers and iovecs must outlive their I/O.
        let mut bufs: Vec<(Vec<u8>, Box<[libc::iovec; 1]>)> = Vec::new();
        let d = Done::new();
        let slice = (window + 32) / 8;
        let base = at.saturating_sub(16).min(raid.blocks - 8 * slice);
        for k in 0..8 {
            let n = 1 + rng.next(slice);
            let off = base + k * slice + rng.next(slice - n + 1);
            if off < at + window && at < off + n {
                in_window += 1;
            }
            let mut data = pattern(off, n, bl, gen);
            gen = gen.wrapping_add(1);
            model[(off * bl) as usize..((off + n) * bl) as usize].copy_from_slice(&data);
            let mut iov = Box::new([libc::iovec { iov_base: data.as_mut_ptr().cast(), iov_len: data.len() }]);
            raid.submit(spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_WRITE, &mut iov[..], off, n, &d);
            bufs.push((data, iov));
        }
        poll_until(t, || d.n.get() == 8);
        assert_eq!(d.failed.get(), 0, "writes during the rebuild succeed");
    }
    in_window
}

#[test]
fn raid1_failed_member_replaced_and_rebuilt_under_writes() {
    use spdk_bdev_io_type::*;
    let t = setup("rebuild_test");
    config::call("bdev_raid_set_options", &json!({"process_window_size_kb": 16})).unwrap();
    assert!(config::call("bdev_raid_set_options", &json!({"process_window_size_kb": 0})).is_err());
    malloc::create("rb_m0", 1024, 512, None).unwrap();
    // The member the rebuild copies from is slow to read: writes race with each copy.
    let slow = crate::bdev::delay::Latencies { avg_read: 200, p99_read: 200, avg_write: 0, p99_write: 0 };
    crate::bdev::delay::create("rb_m0", "rb_d0", slow, None).unwrap();
    malloc::create("rb_m1", 1024, 512, None).unwrap();
    assert_eq!(error::create("rb_m1", None).unwrap(), "EE_rb_m1");
    create(json!({"name": "rb", "raid_level": "raid1", "base_bdevs": ["rb_d0", "EE_rb_m1"]})).unwrap();
    let r = find("rb").unwrap();
    let raid = Open::new("rb", true);
    let (bl, blocks) = (raid.blocklen, raid.blocks);
    let mut model = vec![0u8; (blocks * bl) as usize];
    write_both(t, &raid, &mut model, 0, pattern(0, blocks, bl, 1));
    let mut rng = Lcg(9);

    // Every write to the error member fails: the raid's writes still succeed.
    error::inject("EE_rb_m1", error::Target::One(SPDK_BDEV_IO_TYPE_WRITE), error::Injection::new(error::ErrorType::Failure, 1000)).unwrap();
    for k in 0..30u8 {
        let n = 1 + rng.next(64);
        let off = rng.next(blocks - n + 1);
        write_both(t, &raid, &mut model, off, pattern(off, n, bl, 10 + k));
    }
    assert_eq!(raid_ref(r).state_of(1), FAILED);
    let i = info("rb");
    assert_eq!((i["state"].as_str(), i["num_base_bdevs_operational"].as_u64()), (Some("online"), Some(1)));
    check_all(t, &raid, &model);
    let m0 = Open::new("rb_m0", false);
    assert!(m0.read(t, 0, blocks) == model, "the surviving member has every write");
    m0.close();

    // Out with it; a fresh malloc (behind an error bdev, for later) in its place.
    assert!(config::call("bdev_raid_remove_base_bdev", &json!({"name": "nope"})).unwrap_err().0.contains("not a member"));
    config::call("bdev_raid_remove_base_bdev", &json!({"name": "EE_rb_m1"})).unwrap();
    poll_until(t, || !layer::is_claimed(layer::get_by_name("EE_rb_m1").unwrap()));
    assert_eq!(raid_ref(r).state_of(1), EMPTY);
    assert_eq!(info("rb")["num_base_bdevs_discovered"], 1);
    write_both(t, &raid, &mut model, 100, pattern(100, 7, bl, 50));
    malloc::create("rb_m2", 1100, 512, None).unwrap();
    malloc::create("rb_small", 1000, 512, None).unwrap();
    malloc::create("rb_4k", 1024, 4096, None).unwrap();
    assert!(add_base_bdev("rb", "rb_small").unwrap_err().to_string().contains("needs 1024"));
    assert!(add_base_bdev("rb", "rb_4k").unwrap_err().to_string().contains("4096-byte blocks"));
    assert!(matches!(add_base_bdev("rb", "rb_none"), Err(BdevError::NotFound(_))));
    assert!(add_base_bdev("rb_none", "rb_m2").unwrap_err().to_string().contains("not found"));
    error::create("rb_m2", None).unwrap();
    assert_eq!(config::call("bdev_raid_add_base_bdev", &json!({"raid_bdev": "rb", "base_bdev": "EE_rb_m2"})), Ok(None));
    assert!(add_base_bdev("rb", "rb_small").unwrap_err().to_string().contains("already rebuilding"));
    assert_eq!(raid_ref(r).state_of(1), REBUILDING);
    poll_until(t, || raid_ref(r).meta.lock().rebuild != 0);
    assert_eq!(info("rb")["process"]["type"], "rebuild");
    assert_eq!(info("rb")["process"]["target"], "EE_rb_m2");
    let raced = write_during_rebuild(t, &raid, &mut model, r, &mut rng);
    assert!(raced >= 32, "only {raced} writes went into a window being copied");
    assert_eq!(raid_ref(r).state_of(1), OPERATIONAL);
    let i = info("rb");
    assert_eq!(i["num_base_bdevs_operational"], 2);
    assert!(i.get("process").is_none());
    assert_eq!(i["base_bdevs_list"][1]["name"], "EE_rb_m2");
    for m in ["rb_m0", "rb_m2"] {
        let mo = Open::new(m, false);
        let got = mo.read(t, 0, blocks);
        assert!(got == model, "member {m} differs from the model at byte {:?}", got.iter().zip(&model).position(|(a, b)| a != b));
        mo.close();
    }
    check_all(t, &raid, &model);

    // Reads that fail on a member are served by the other; that member is failed.
    error::inject("EE_rb_m2", error::Target::One(SPDK_BDEV_IO_TYPE_READ), error::Injection::new(error::ErrorType::Failure, 1000)).unwrap();
    for _ in 0..10 {
        let n = 1 + rng.next(64);
        let off = rng.next(blocks - n + 1);
        assert!(raid.read(t, off, n) == model[(off * bl) as usize..((off + n) * bl) as usize]);
    }
    assert_eq!(raid_ref(r).state_of(1), FAILED);
    assert_eq!(raid_ref(r).state_of(0), OPERATIONAL);
    check_all(t, &raid, &model);
    raid.close();
    delete_raid(t, "rb");
    for n in ["rb_d0", "EE_rb_m1", "EE_rb_m2"] {
        assert!(!layer::is_claimed(layer::get_by_name(n).unwrap()), "{n} released");
    }
    crate::bdev::delay::delete("rb_d0").unwrap();
    error::delete("EE_rb_m1").unwrap();
    error::delete("EE_rb_m2").unwrap();
    poll_until(t, || ["EE_rb_m2", "EE_rb_m1", "rb_d0"].iter().all(|n| layer::get_by_name(n).is_none()));
    delete_mallocs(t, &["rb_m0", "rb_m1", "rb_m2", "rb_small", "rb_4k"]);
    config::call("bdev_raid_set_options", &json!({"process_window_size_kb": 1024})).unwrap();
    teardown(t);
}

#[test]
fn bad_input_is_refused_and_leaves_nothing_behind() {
    let t = setup("raid_bad_test");
    malloc::create("bad_a", 64, 512, None).unwrap();
    malloc::create("bad_b", 64, 512, None).unwrap();
    malloc::create("bad_4k", 64, 4096, None).unwrap();
    malloc::create("bad_c", 64, 512, None).unwrap();
    error::create("bad_c", None).unwrap();
    let err = |v: serde_json::Value| create(v).unwrap_err().0;
    let ab = json!(["bad_a", "bad_b"]);
    assert!(err(json!({"name": "x", "raid_level": "raid5", "strip_size_kb": 4, "base_bdevs": ab})).contains("raid_level 'raid5' is not one of"));
    assert!(err(json!({"name": "x", "raid_level": "5f", "strip_size_kb": 4, "base_bdevs": ab})).contains("not supported"));
    assert_eq!(err(json!({"name": "x", "raid_level": "raid0", "strip_size_kb": 3, "base_bdevs": ab})), "strip_size_kb 3 is not a power of two");
    assert!(err(json!({"name": "x", "raid_level": "raid0", "strip_size_kb": 0, "base_bdevs": ab})).contains("power of two"));
    assert!(err(json!({"name": "x", "raid_level": "raid0", "base_bdevs": ab})).contains("strip_size_kb is required"));
    assert!(err(json!({"name": "x", "raid_level": "raid1", "strip_size_kb": 64, "base_bdevs": ab})).contains("raid1 has no strips"));
    assert!(err(json!({"name": "x", "raid_level": "raid1", "base_bdevs": ["bad_a"]})).contains("at least 2"));
    assert!(err(json!({"name": "x", "raid_level": "raid0", "strip_size_kb": 4, "base_bdevs": ["bad_a", "bad_a"]})).contains("'bad_a' is listed twice"));
    assert!(err(json!({"name": "x", "raid_level": "raid0", "strip_size_kb": 4, "base_bdevs": ["bad_a", "nope"]})).contains("'nope' not found"));
    assert!(err(json!({"name": "x", "raid_level": "raid0", "strip_size_kb": 4, "base_bdevs": ["bad_a", "bad_c"]})).contains("'bad_c' is claimed"));
    assert!(err(json!({"name": "x", "raid_level": "raid0", "strip_size_kb": 4, "base_bdevs": ["bad_a", "bad_b", "bad_4k"]})).contains("4096-byte blocks"));
    assert!(err(json!({"name": "x", "raid_level": "raid0", "strip_size_kb": 64, "base_bdevs": ab})).contains("smaller than one strip"));
    assert!(err(json!({"name": "x", "raid_level": "raid0", "strip_size_kb": 4, "base_bdevs": ab, "superblock": true})).contains("superblock is not supported"));
    assert!(err(json!({"name": "x", "raid_level": "raid0", "strip_size_kb": 4, "base_bdevs": [1, 2]})).contains("base_bdevs must hold bdev names"));
    assert!(err(json!({"name": "x", "raid_level": "raid0", "strip_size_kb": 4})).contains("missing required parameter 'base_bdevs'"));
    assert!(err(json!({"raid_level": "raid0", "strip_size_kb": 4, "base_bdevs": ab})).contains("'name'"));
    assert!(err(json!({"name": "x", "raid_level": "raid0", "strip_size_kb": 4, "base_bdevs": ab, "colour": 1})).contains("unknown parameter 'colour'"));
    assert!(err(json!({"name": "bad_a", "raid_level": "raid0", "strip_size_kb": 4, "base_bdevs": ["bad_b"]})).contains("already exists"));
    assert!(config::call("bdev_raid_delete", &json!({"name": "x"})).unwrap_err().0.contains("not found"));
    // Nothing was made, and every base is free for a writer again.
    assert!(!exists("x") && layer::get_by_name("x").is_none());
    for n in ["bad_a", "bad_b", "bad_4k"] {
        assert!(!layer::is_claimed(layer::get_by_name(n).unwrap()), "{n} released");
        Open::new(n, true).close();
    }
    // A raid over bad_a: a second one cannot take it.
    create(json!({"name": "ok", "raid_level": "raid0", "strip_size_kb": 4, "base_bdevs": ["bad_a"]})).unwrap();
    assert!(err(json!({"name": "x2", "raid_level": "raid1", "base_bdevs": ["bad_b", "bad_a"]})).contains("'bad_a' is claimed"));
    assert!(!layer::is_claimed(layer::get_by_name("bad_b").unwrap()));
    assert!(config::call("bdev_raid_remove_base_bdev", &json!({"name": "bad_b"})).unwrap_err().0.contains("not a member"));
    // Undo (a config step failing later) removes the raid and frees its member.
    config::undo("ok");
    poll_until(t, || !exists("ok") && !layer::is_claimed(layer::get_by_name("bad_a").unwrap()));
    error::delete("EE_bad_c").unwrap();
    poll_until(t, || layer::get_by_name("EE_bad_c").is_none());
    delete_mallocs(t, &["bad_a", "bad_b", "bad_4k", "bad_c"]);
    teardown(t);
}

#[test]
fn raid1_member_swap_without_channels_is_immediate() {
    let t = setup("raid1_swap_test");
    for n in ["sw_a", "sw_b", "sw_c"] {
        malloc::create(n, 512, 512, None).unwrap();
    }
    create(json!({"name": "sw", "raid_level": "raid1", "base_bdevs": ["sw_a", "sw_b"]})).unwrap();
    let r = find("sw").unwrap();
    let raid = Open::new("sw", true);
    let mut data = pattern(0, 512, 512, 3);
    assert!(raid.write(t, 0, &mut data));
    raid.close();
    poll_until(t, || raid_ref(r).meta.lock().channels == 0);
    // As a JSON config does it: remove, then add at once, nothing polled in between.
    config::call("bdev_raid_remove_base_bdev", &json!({"name": "sw_b"})).unwrap();
    assert_eq!(raid_ref(r).state_of(1), EMPTY);
    assert!(!layer::is_claimed(layer::get_by_name("sw_b").unwrap()));
    config::call("bdev_raid_add_base_bdev", &json!({"raid_bdev": "sw", "base_bdev": "sw_c"})).unwrap();
    assert_eq!(raid_ref(r).state_of(1), REBUILDING);
    assert_ne!(raid_ref(r).meta.lock().rebuild, 0, "the rebuild started");
    poll_until(t, || raid_ref(r).state_of(1) == OPERATIONAL);
    let c = Open::new("sw_c", false);
    assert!(c.read(t, 0, 512) == data, "the new member holds the data");
    c.close();
    delete_raid(t, "sw");
    delete_mallocs(t, &["sw_a", "sw_b", "sw_c"]);
    teardown(t);
}
