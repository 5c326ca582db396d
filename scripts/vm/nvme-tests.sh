#!/usr/bin/env bash
#   SPDX-License-Identifier: BSD-3-Clause
# The NVMe driver against QEMU's NVMe controllers in the VM guest: two
# controllers, one with a second namespace of 4 KiB blocks. The guest writes
# patterns (sizes up to beyond MDTS), reads them back, checks errors; after
# power-off the host checks the image files byte for byte.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d /var/tmp/rspdk-nvme.XXXXXX)
trap 'rm -rf "$work"' EXIT
truncate -s 64M "$work/d0.img"
truncate -s 32M "$work/d1.img"
truncate -s 32M "$work/ns2.img"
mkdir -p "$work/results"

# The executable of the nvme_vm test target (cargo also builds the binaries).
test_bin=$(scripts/vm/test-binary.sh nvme_vm)
[ -x "$test_bin" ] || { echo "nvme-tests: test binary not built" >&2; exit 1; }

scripts/vm/run.sh --nvme "$work/d0.img:RSPDK0001" --nvme "$work/d1.img:RSPDK0002" \
	--nvme-ns "1:$work/ns2.img:4096" --env RSPDK_TEST_SERIALS="RSPDK0001 RSPDK0002" \
	--rw "$work/results" --env RSPDK_TEST_RESULTS="$work/results" \
	-- "$test_bin" --exact nvme_driver_in_guest --nocapture

RSPDK_CHECK_IMAGES="0:1:$work/d0.img 1:1:$work/d1.img 1:2:$work/ns2.img" RSPDK_CHECK_RESULTS="$work/results" \
	"$test_bin" --exact images_hold_what_the_guest_wrote --nocapture

# The C API in the guest: test_nvme (admin, AER, commands, bad input,
# exhaustion, timeouts, reset under load, integrity at QD 1..128, two
# threads), nvme_perf, then hello_world on every namespace; the host finds
# hello_world's strings in the images.
make -C capi-tests vm >/dev/null
for f in d0 d1 ns2; do rm -f "$work/$f.img"; done
truncate -s 32M "$work/d0.img" "$work/d1.img" "$work/ns2.img"
scripts/vm/run.sh --nvme "$work/d0.img:RSPDK0001" --nvme "$work/d1.img:RSPDK0002" \
	--nvme-ns "1:$work/ns2.img:4096" --env RSPDK_TEST_SERIALS="RSPDK0001 RSPDK0002" \
	-- sh -c 'capi-tests/build/vm/test_nvme.static && capi-tests/build/vm/test_nvme.shared &&
		capi-tests/build/vm/nvme_perf.static -q 32 -o 4096 -w randread -t 1 | tee /tmp/perf.out && grep -q "^Total" /tmp/perf.out &&
		capi-tests/build/vm/nvme_perf.shared -q 8 -o 65536 -w randrw -M 70 -t 1 -r "trtype:PCIe traddr:0000:00:02.0" | grep "^Total" &&
		! capi-tests/build/vm/nvme_perf.static -q 1 -o 512 -w bogus &&
		capi-tests/build/vm/hello_world.shared && capi-tests/build/vm/hello_world.static'
fail=0
# The controller memory buffer: the first controller has one (16 MiB), the second none.
truncate -s 32M "$work/c0.img" "$work/c1.img"
scripts/vm/run.sh --nvme "$work/c0.img:CMB0001" --nvme "$work/c1.img:NOCMB001" --ctrl-opts 0:cmb_size_mb=16 \
	-- sh -c 'capi-tests/build/vm/test_nvme_cmb.static && capi-tests/build/vm/test_nvme_cmb.shared' || fail=1
for pair in "d0:0000:00:01.0 ns 1" "d1:0000:00:02.0 ns 1" "ns2:0000:00:02.0 ns 2"; do
	img=${pair%%:*}
	want="Hello world from rspdk on ${pair#*:}!"
	if head -c 512 "$work/$img.img" | grep -qF "$want"; then
		echo "host: $img.img starts with '$want'"
	else
		echo "host: $img.img lacks '$want'" >&2
		fail=1
	fi
done
exit $fail
