//! NVMe reservations driven by arbitrary command sequences: four hosts send
//! Register, Acquire, Release, Report and I/O checks with arbitrary CDW10,
//! keys and data lengths. Nothing may panic, the state's invariants must
//! hold after every command (at most one holder, a registrant, set
//! together with the type), a failed command must change nothing, and the
//! report must describe the state. The changes a command reports (who is
//! notified, who is preempted) must agree with the state, and feed each
//! host's notification queue, which stays bounded and counts up.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rspdk::nvmf::reservation::{Changes, NoticeQueue, Reservations, MAX_NOTICES};

fuzz_target!(|data: &[u8]| {
    let mut r = Reservations::new();
    let hosts: [[u8; 16]; 4] = [[1; 16], [2; 16], [3; 16], [4; 16]];
    let mut report = Vec::new();
    let mut queues: [NoticeQueue; 4] = Default::default();
    let mut page = [0u8; 64];
    let mut last_count = [0u64; 4];
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
        let changes = match step[0] % 5 {
            0 => Some(r.register(host, cdw10, &payload[..len])),
            1 => Some(r.acquire(host, cdw10, &payload[..len])),
            2 => Some(r.release(host, cdw10, &payload[..len])),
            _ => None,
        };
        let res = match (&changes, step[0] % 5) {
            (Some(c), _) => c.as_ref().map(|_| ()).map_err(|&e| e),
            (None, 3) => r.report(cdw10 & 1 != 0, &mut report),
            _ => r.check_io(host, cdw10 & 1 != 0),
        };
        if let Some(Ok(ch)) = &changes {
            check_changes(&r, host, ch);
            let lists = [(1u8, &ch.preempted_hosts), (2, &ch.released_hosts), (3, &ch.reservation_preempted_hosts)];
            for (kind, list) in lists {
                for h in list.iter() {
                    let i = hosts.iter().position(|x| x == h).expect("a known host");
                    queues[i].push(kind, 1);
                    assert!(queues[i].len() <= MAX_NOTICES);
                }
            }
        }
        // Now and then a host reads its notification log page.
        let reader = usize::from(step[8] >> 6);
        if step[8] & 0x20 != 0 {
            let before = queues[reader].len();
            queues[reader].pop(&mut page);
            let count = u64::from_le_bytes(page[..8].try_into().unwrap());
            if before == 0 {
                assert!(page.iter().all(|&b| b == 0), "the empty page is all zeroes");
            } else {
                assert!(count > last_count[reader], "log page counts go up");
                assert_eq!(usize::from(page[9]), (before - 1).min(255), "pages announced as still available");
                last_count[reader] = count;
            }
        }
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

/// What a successful command reports agrees with the state after it.
fn check_changes(r: &Reservations, issuer: &[u8; 16], ch: &Changes) {
    for h in ch.preempted_hosts.iter().chain(&ch.reservation_preempted_hosts) {
        assert_ne!(h, issuer, "the issuer is not preempted by its own command");
        assert!(r.key_of(h).is_none(), "a preempted host is no registrant any more");
    }
    for h in &ch.released_hosts {
        assert_ne!(h, issuer, "the issuer is not told of its own release");
        assert!(r.key_of(h).is_some(), "a host told of a release is a registrant");
    }
    assert_eq!(ch.released_notice, !ch.released_hosts.is_empty());
    if ch.abort {
        assert!(ch.changed, "preempt and abort changed the state");
    }
}
