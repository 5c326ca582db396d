//! The NVMe/TCP PDU reader fed arbitrary bytes in arbitrary chunk sizes,
//! as either side of a connection, with digests and PDA on or off. It must
//! never panic, never claim more bytes than it was given, consume a whole
//! chunk whenever it asks for more, and stay failed once it failed. PDUs
//! built by the writers from the same input must read back unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rspdk::nvme::spec::Cmd;
use rspdk::nvmf::tcp::pdu::{write_c2h_data, write_capsule_cmd, Pdu, PduReader, Role, TxOpts};

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let (cfg, stream) = data.split_at(4);
    let role = if cfg[0] & 1 != 0 { Role::Host } else { Role::Controller };
    let hd = cfg[0] & 2 != 0;
    let dd = cfg[0] & 4 != 0;
    let ic_done = cfg[0] & 8 != 0;
    let pda = cfg[1] & 31;
    let max_data = 1u32 << (cfg[1] >> 5) << 6;
    let mut seed = u32::from(cfg[2]) | (u32::from(cfg[3]) << 8) | 1;

    let mut r = PduReader::new(role, max_data);
    r.set_ic_done(ic_done);
    r.set_digests(hd, dd);
    r.set_pda(pda);
    let mut pos = 0;
    let mut failed = None;
    while pos < stream.len() {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let n = 1 + ((seed >> 16) as usize % 300);
        let chunk = &stream[pos..(pos + n).min(stream.len())];
        pos += chunk.len();
        let mut off = 0;
        while off < chunk.len() {
            let (used, res) = r.feed(&chunk[off..]);
            assert!(used <= chunk.len() - off);
            off += used;
            match res {
                Ok(Some(p)) => {
                    assert!(failed.is_none());
                    if let Pdu::IcReq { hdgst, ddgst, .. } | Pdu::IcResp { hdgst, ddgst, .. } = p {
                        r.set_digests(hdgst, ddgst);
                    }
                }
                Ok(None) => assert_eq!(off, chunk.len()),
                Err(e) => {
                    assert!(failed.is_none() || failed == Some(e));
                    failed = Some(e);
                    assert_eq!(r.feed(chunk), (0, Err(e)));
                    break;
                }
            }
        }
        if failed.is_some() {
            break;
        }
    }

    // Writers and reader agree on whatever the input holds.
    let opts = TxOpts { hdgst: hd, ddgst: dd, pda };
    let payload = stream.get(..stream.len().min(max_data as usize)).unwrap_or(&[]);
    let mut out = Vec::new();
    let mut rx = PduReader::new(role, max_data);
    rx.set_ic_done(true);
    rx.set_digests(hd, dd);
    rx.set_pda(pda);
    match role {
        Role::Controller => {
            let mut cmd = Cmd::new(cfg[2], u32::from(cfg[3]));
            cmd.set_cid(u16::from(cfg[1]));
            write_capsule_cmd(&mut out, &opts, &cmd, payload);
            let (used, res) = rx.feed(&out);
            assert_eq!(used, out.len());
            assert_eq!(res, Ok(Some(Pdu::CapsuleCmd { cmd, data: payload })));
        }
        Role::Host => {
            if payload.is_empty() {
                return;
            }
            write_c2h_data(&mut out, &opts, 7, 9, payload, true, false);
            let (used, res) = rx.feed(&out);
            assert_eq!(used, out.len());
            assert_eq!(res, Ok(Some(Pdu::C2HData { flags: 4, cccid: 7, datao: 9, data: payload })));
        }
    }
});
