//! NVMe reservations driven by arbitrary command sequences: four hosts send
//! Register, Acquire, Release, Report and I/O checks with arbitrary CDW10,
//! keys and data lengths. Nothing may panic, the state's invariants must
//! hold after every command (at most one holder, a registrant, set
//! together with the type), a failed command must change nothing, and the
//! report must describe the state.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rspdk::nvmf::reservation::Reservations;

fuzz_target!(|data: &[u8]| {
    let mut r = Reservations::new();
    let hosts: [[u8; 16]; 4] = [[1; 16], [2; 16], [3; 16], [4; 16]];
    let mut report = Vec::new();
    // Each step: op, host, cdw10 (4 bytes), key selectors (2), data length.
    for step in data.chunks_exact(9) {
        let host = &hosts[usize::from(step[1] & 3)];
        let cdw10 = u32::from_le_bytes([step[2], step[3], step[4], step[5]]);
        // Keys drawn from a small set so that they match now and then.
        let key = |sel: u8| if sel & 0x80 != 0 { u64::from(sel) << 40 } else { u64::from(sel & 7) };
        let mut payload = [0u8; 16];
        payload[..8].copy_from_slice(&key(step[6]).to_le_bytes());
        payload[8..].copy_from_slice(&key(step[7]).to_le_bytes());
        let len = usize::from(step[8]) % 17;
        let before = r.clone();
        let res = match step[0] % 5 {
            0 => r.register(host, cdw10, &payload[..len]).map(|_| ()),
            1 => r.acquire(host, cdw10, &payload[..len]).map(|_| ()),
            2 => r.release(host, cdw10, &payload[..len]).map(|_| ()),
            3 => r.report(cdw10 & 1 != 0, &mut report),
            _ => r.check_io(host, cdw10 & 1 != 0),
        };
        if res.is_err() {
            assert_eq!(r, before, "a failed command changed the state");
        }
        if let Err(why) = r.check_invariants() {
            panic!("invariant broken: {why}: {r:?}");
        }
        if step[0] % 5 == 3 && res.is_ok() {
            assert_eq!(report.len(), 64 + 64 * r.registrants().len());
            assert_eq!(report[4], r.rtype().map_or(0, |t| t as u8));
        }
        // A holder may always do I/O.
        if let Some(h) = r.holder().copied() {
            assert!(r.check_io(&h, true).is_ok());
        }
    }
});
