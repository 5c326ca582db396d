//! What a fabrics controller sends the host outside the PDU codec: the
//! discovery log page (header and 1024-byte records, any bytes at all). No
//! panic; every record that names a TCP transport converts to a transport ID
//! whose text fields are the record's, and the ID formats within SPDK's limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rspdk::nvme::fabrics;

fuzz_target!(|data: &[u8]| {
    let _ = fabrics::discovery_header(data);
    let records = data.get(fabrics::DISCOVERY_HDR_LEN.min(data.len())..).unwrap_or(&[]);
    for r in records.chunks(fabrics::DISCOVERY_ENTRY_LEN) {
        let Some(e) = fabrics::discovery_entry(r) else {
            assert!(r.len() < fabrics::DISCOVERY_ENTRY_LEN);
            continue;
        };
        assert!(e.traddr.len() <= 256 * 3 && e.trsvcid.len() <= 32 * 3 && e.subnqn.len() <= 256 * 3);
        if let Some(t) = e.trid() {
            assert_eq!((t.traddr, t.trsvcid, t.subnqn), (e.traddr.clone(), e.trsvcid.clone(), e.subnqn.clone()));
        }
    }
});
