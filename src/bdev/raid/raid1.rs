//! raid1 reads: one operational member at a time, round robin; a member
//! whose read fails is marked failed and the read moves on to the next.

use super::*;

/// Sends the read to the next member not yet tried, or fails it when none is left.
pub(super) fn read_next(io: *mut spdk_bdev_io) {
    let raid = raid_of_io(io);
    let rc = rchan_of_io(io);
    let n = raid.n();
    for k in 0..n {
        let s = (rc.next_read + k) % n;
        if ctx_of(io).tried & (1 << s) != 0 || !slot_usable(raid, rc, s, spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_READ) {
            continue;
        }
        let Some(req) = member_request(raid, io, s) else { continue };
        match io::submit(rc.base_desc[s], rc.base_ch[s], req) {
            Ok(()) => {
                rc.next_read = s + 1;
                rc.outstanding[s] += 1;
                ctx_of(io).pending = 1;
                return;
            }
            Err(SubmitError::NoMemory) => {
                wait_for_io(io, rc.base_ch[s], rc.base_bdev[s]);
                return;
            }
            Err(_) => ctx_of(io).tried |= 1 << s,
        }
    }
    finish(io, false);
}

/// A member read came back (its member already marked failed if it failed).
pub(super) fn read_done(io: *mut spdk_bdev_io, slot: Option<usize>, success: bool) {
    ctx_of(io).pending = 0;
    match (success, slot) {
        (true, _) => finish(io, true),
        (false, Some(s)) => {
            ctx_of(io).tried |= 1 << s;
            read_next(io);
        }
        (false, None) => finish(io, false),
    }
}
