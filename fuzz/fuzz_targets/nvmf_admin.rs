//! The NVMe-oF controller's admin helpers fed arbitrary commands: Get and
//! Set Features with any CDW10/CDW11 and data, Get Log Page decoding and
//! windowing of a page at any offset and length, and Identify builders from
//! arbitrary descriptions. Nothing may panic; a refused Set Features must
//! leave the features unchanged; a window never claims more than was asked.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rspdk::nvme::spec::Cmd;
use rspdk::nvmf::features::{FeatureLimits, Features};
use rspdk::nvmf::identify::{identify_ns, ns_id_desc_list, NsInfo};
use rspdk::nvmf::logpage::{decode_get_log_page, slice_page};

fn word(b: &[u8], i: usize) -> u32 {
    let mut w = [0u8; 4];
    for (k, x) in w.iter_mut().enumerate() {
        *x = b.get(i * 4 + k).copied().unwrap_or(0);
    }
    u32::from_le_bytes(w)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 24 {
        return;
    }
    let (head, rest) = data.split_at(24);
    let cmd = Cmd { cdw10: word(head, 0), cdw11: word(head, 1), cdw12: word(head, 2), cdw13: word(head, 3), ..Cmd::new(0x09, word(head, 4)) };
    let flags = head[20];
    let limits = FeatureLimits {
        max_io_queues: u32::from(u16::from_le_bytes([head[21], head[22]])) << (flags >> 6),
        vwc_present: flags & 1 != 0,
        host_id_settable: flags & 2 != 0,
        kas_ms: u32::from(head[23]) * 100,
        io_queues_exist: flags & 4 != 0,
        discovery: flags & 32 != 0,
    };
    let mut f = Features::new([head[23]; 16], word(head, 2), &limits, flags & 8 != 0, flags & 16 != 0);
    let mut out = Vec::new();
    let _ = f.get(&cmd, &mut out);
    let before = f.clone();
    if f.set(&cmd, rest, &limits).is_err() {
        assert_eq!(f, before, "a refused Set Features changed the features");
    }

    let g = decode_get_log_page(&cmd);
    let mut window = vec![0u8; usize::from(head[21]) * 4];
    if let Ok(n) = slice_page(rest, g.lpo, g.len().min(1 << 20) as usize, &mut window) {
        assert!(n <= window.len() && n <= rest.len());
    }

    let ns = NsInfo {
        block_size: word(head, 0),
        num_blocks: u64::from(word(head, 1)) << 9,
        md_size: word(head, 2),
        uuid: (flags & 32 != 0).then_some([1; 16]),
        nguid: (flags & 64 != 0).then_some([2; 16]),
        eui64: (flags & 128 != 0).then_some([3; 8]),
        anagrpid: word(head, 3),
        optimal_io_boundary_blocks: word(head, 4),
        write_unit_blocks: word(head, 5),
        acwu_blocks: head[21].into(),
        max_io_blocks: word(head, 2),
        dsm: flags & 1 != 0,
        write_zeroes: flags & 2 != 0,
        reservations: flags & 4 != 0,
        shared: flags & 8 != 0,
        dealloc_reads_zeroes: flags & 16 != 0,
        inaccessible: flags & 32 != 0,
    };
    let mut page = [0u8; 4096];
    identify_ns(&ns, &mut page);
    ns_id_desc_list(&ns, &mut page);
});
