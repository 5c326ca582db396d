#!/usr/bin/env bash
# Self-test of the VM harness (scripts/vm/run.sh). Boots the guest three
# times (kernel nvme driver, vfio-pci, timeout) and checks, from inside the
# guest and on the host afterwards, what the harness promises.
# Last line: "vm-selftest: N passed, N failed"; exit status 0 only if none failed.
#
# The same file is the guest-side checker: run.sh runs it in the guest with
# --guest-novfio / --guest-vfio; it prints "guest-check PASS|FAIL name" lines.
set -uo pipefail

self=$(realpath "${BASH_SOURCE[0]}")
here=$(dirname "$self")

# ============================ guest side =====================================
gpass() { echo "guest-check PASS $*"; }
gfail() { echo "guest-check FAIL $*"; }
gcheck() { # NAME COMMAND...
    local name=$1; shift
    if "$@"; then gpass "$name"; else gfail "$name"; fi
}
trim() { local s=$1; s=${s#"${s%%[! ]*}"}; printf '%s' "${s%"${s##*[! ]}"}"; }
# blockdev_of SERIAL NSID: the /dev node of namespace NSID behind SERIAL
blockdev_of() {
    local b
    for b in /sys/block/nvme*n*; do
        case ${b##*/} in nvme*c*) continue ;; esac
        [ "$(trim "$(cat "$b/device/serial" 2>/dev/null)")" = "$1" ] || continue
        [ "$(cat "$b/nsid" 2>/dev/null || echo "${b##*n}")" = "$2" ] || continue
        echo "/dev/${b##*/}"; return 0
    done
    return 1
}
# read_at DEV BS LBA LEN: LEN bytes at block LBA of size BS
read_at() { dd if="$1" bs="$2" skip="$3" count=1 iflag=direct status=none | head -c "$4"; }
# write_at DEV BS LBA STRING: one zero-padded block
write_at() {
    { printf '%s' "$4"; head -c $(($2 - ${#4})) /dev/zero; } \
        | dd of="$1" bs="$2" seek="$3" count=1 iflag=fullblock oflag=direct conv=fsync status=none
}

guest_novfio() { # PAT0 PAT2 NEW0 NEW2 CWD TMPDIR
    local pat0=$1 pat2=$2 new0=$3 new2=$4 cwd=$5 tmp=$6 n dev0 dev1a dev1b
    gcheck "RSPDK_IN_VM=1" test "${RSPDK_IN_VM:-}" = 1
    gcheck "cwd is the caller's ($cwd)" test "$(pwd)" = "$cwd"
    gcheck "RSPDK_VM_VFIO=0 and RSPDK_VM_NVME_BDFS empty" \
        test "${RSPDK_VM_VFIO:-}" = 0 -a -z "${RSPDK_VM_NVME_BDFS-x}"
    n=$(ls -d /sys/class/nvme/nvme[0-9]* 2>/dev/null | wc -l)
    gcheck "kernel nvme driver sees 2 controllers (saw $n)" test "$n" = 2
    local serials
    serials=$(for f in /sys/class/nvme/nvme*/serial; do trim "$(cat "$f")"; echo; done | sort | tr '\n' ' ')
    gcheck "controller serials are RSPDKST0 RSPDKST1 (saw: $serials)" test "$serials" = "RSPDKST0 RSPDKST1 "
    dev0=$(blockdev_of RSPDKST0 1) dev1a=$(blockdev_of RSPDKST1 1) dev1b=$(blockdev_of RSPDKST1 2)
    gcheck "namespaces found (ctrl0 ns1=$dev0, ctrl1 ns1=$dev1a ns2=$dev1b)" test -b "$dev0" -a -b "$dev1a" -a -b "$dev1b"
    lbs() { cat "/sys/block/${1##*/}/queue/logical_block_size" 2>/dev/null; }
    gcheck "ctrl1 ns1 has 512-byte blocks (saw $(lbs "$dev1a"))" test "$(lbs "$dev1a")" = 512
    gcheck "ctrl1 ns2 has 4096-byte blocks (saw $(lbs "$dev1b"))" test "$(lbs "$dev1b")" = 4096
    gcheck "ctrl1 ns2 is 8 MiB" test "$(cat "/sys/block/${dev1b##*/}/size" 2>/dev/null)" = 16384
    gcheck "pattern read back from ctrl0 ns1 LBA 2048" test "$(read_at "$dev0" 512 2048 ${#pat0})" = "$pat0"
    gcheck "pattern read back from ctrl1 ns2 (4 KiB) LBA 5" test "$(read_at "$dev1b" 4096 5 ${#pat2})" = "$pat2"
    gcheck "write new pattern to ctrl0 ns1 LBA 4096" write_at "$dev0" 512 4096 "$new0"
    gcheck "write new pattern to ctrl1 ns2 LBA 7" write_at "$dev1b" 4096 7 "$new2"
    gcheck "64 hugepages reserved" test "$(cat /proc/sys/vm/nr_hugepages)" = 64
    gcheck "hugetlbfs on /dev/hugepages" grep -q '^hugetlbfs /dev/hugepages hugetlbfs' /proc/mounts
    gcheck "tmpfs on /dev/shm" grep -q '^tmpfs /dev/shm tmpfs' /proc/mounts
    gcheck "file written to RSPDK_VM_RESULTS" sh -c 'echo from-guest > "$RSPDK_VM_RESULTS/from-guest.txt"'
    gcheck "host root writable through the overlay" sh -c "echo x > '$tmp/overlay-probe'"
    gcheck "lo is up" test $(( $(cat /sys/class/net/lo/flags) & 1 )) = 1
    gcheck "modprobe works in the chroot (null_blk)" sh -c 'modprobe null_blk nr_devices=1 && test -b /dev/nullb0'
    echo "guest-done"
}

# The VFIO ioctls a user-space driver makes first, with IOVA = VA; ends with
# reading the vendor/device ID through the device fd's config region.
vfio_probe_py='
import ctypes, mmap, os, struct, sys
bdf, grp = sys.argv[1], sys.argv[2]
libc = ctypes.CDLL(None, use_errno=True)
def ioctl(fd, nr, arg=0):
    if isinstance(arg, int):
        arg = ctypes.c_ulong(arg)
    r = libc.ioctl(fd, ctypes.c_ulong((0x3b << 8) | (100 + nr)), arg)
    if r < 0:
        raise OSError(ctypes.get_errno(), "VFIO ioctl %d" % nr)
    return r
c = os.open("/dev/vfio/vfio", os.O_RDWR)
assert ioctl(c, 0) == 0, "VFIO_GET_API_VERSION"
assert ioctl(c, 1, 3) == 1, "no VFIO_TYPE1v2_IOMMU (vfio_iommu_type1 not loaded?)"
g = os.open("/dev/vfio/" + grp, os.O_RDWR)
st = ctypes.create_string_buffer(struct.pack("II", 8, 0), 8)
ioctl(g, 3, st)
assert struct.unpack("II", st.raw)[1] & 1, "group not viable"
ioctl(g, 4, ctypes.byref(ctypes.c_int(c)))
ioctl(c, 2, 3)
size = 2 << 20
buf = mmap.mmap(-1, size, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
va = ctypes.addressof(ctypes.c_char.from_buffer(buf))
ioctl(c, 13, ctypes.create_string_buffer(struct.pack("IIQQQ", 32, 3, va, va, size), 32))
ioctl(c, 14, ctypes.create_string_buffer(struct.pack("IIQQ", 24, 0, va, size), 24))
d = ioctl(g, 6, ctypes.c_char_p(bdf.encode()))
ri = ctypes.create_string_buffer(struct.pack("IIIIQQ", 32, 0, 7, 0, 0, 0), 32)
ioctl(d, 8, ri)
off = struct.unpack("IIIIQQ", ri.raw)[5]
ven, dev = struct.unpack("<HH", os.pread(d, 4, off))
assert (ven, dev) == (0x1b36, 0x0010), "config space reads %04x:%04x" % (ven, dev)
print("va=%#x mapped at IOVA=VA; config space %04x:%04x" % (va, ven, dev))
'

guest_vfio() { # ARG1 ARG2 (checked for quoting)
    gcheck "arguments with spaces and quotes arrive intact" test "$#" = 2 -a "${1-}" = "arg with space" -a "${2-}" = "it's"
    gcheck "RSPDK_IN_VM=1 and RSPDK_VM_VFIO=1" test "${RSPDK_IN_VM:-}" = 1 -a "${RSPDK_VM_VFIO:-}" = 1
    local all=() d bdf drv grp
    for d in /sys/bus/pci/devices/*; do
        [ "$(cat "$d/class")" = 0x010802 ] && all+=("${d##*/}")
    done
    local listed=(${RSPDK_VM_NVME_BDFS:-})
    gcheck "RSPDK_VM_NVME_BDFS lists the 2 controllers in bus order (${RSPDK_VM_NVME_BDFS:-})" \
        test "${#listed[@]}" = 2 -a "${listed[*]}" = "${all[*]}"
    gcheck "vfio_iommu_type1 loaded" test -d /sys/module/vfio_iommu_type1
    gcheck "kernel nvme driver holds no controller" test -z "$(ls /sys/class/nvme 2>/dev/null)"
    for bdf in "${listed[@]}"; do
        drv=$(readlink "/sys/bus/pci/devices/$bdf/driver")
        gcheck "$bdf bound to vfio-pci (driver: ${drv##*/})" test "${drv##*/}" = vfio-pci
        gcheck "$bdf is QEMU's NVMe (1b36:0010)" test "$(cat "/sys/bus/pci/devices/$bdf/vendor"):$(cat "/sys/bus/pci/devices/$bdf/device")" = 0x1b36:0x0010
        grp=$(readlink "/sys/bus/pci/devices/$bdf/iommu_group"); grp=${grp##*/}
        gcheck "$bdf: /dev/vfio/$grp exists" test -n "$grp" -a -c "/dev/vfio/$grp"
        if [ -x /usr/bin/python3 ]; then
            gcheck "$bdf: VFIO container, DMA map at IOVA=VA, config read" \
                /usr/bin/python3 -c "$vfio_probe_py" "$bdf" "$grp"
        else
            echo "guest-check SKIP $bdf VFIO ioctls (no /usr/bin/python3)"
        fi
    done
    echo "guest-done"
    exit 42
}

case ${1:-} in
    --guest-novfio) shift; guest_novfio "$@"; exit 0 ;;
    --guest-vfio) shift; guest_vfio "$@" ;;
    "") ;;
    *) echo "usage: $0   (no arguments)" >&2; exit 2 ;;
esac

# ============================ host side ======================================
[ "$(id -u)" = 0 ] || { echo "selftest: must run as root" >&2; exit 2; }
passed=0 failed=0
pass() { passed=$((passed + 1)); echo "  PASS $*"; }
fail() { failed=$((failed + 1)); echo "  FAIL $*"; }
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
# tally_guest FILE: count the guest's check lines; missing "guest-done" fails
tally_guest() {
    local p f
    p=$(grep -c '^guest-check PASS' "$1") f=$(grep -c '^guest-check FAIL' "$1")
    passed=$((passed + p)) failed=$((failed + f))
    grep -q '^guest-done' "$1" || fail "guest checks ran to the end"
}
bytes_at() { dd if="$1" bs=1 skip="$2" count="$3" status=none; }

t_start=$SECONDS
tmp=$(mktemp -d /var/tmp/rspdk-vm-selftest.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
run=$here/run.sh

echo "vm-selftest: building the guest"
"$here/build-guest.sh" >/dev/null || { echo "vm-selftest: 0 passed, 1 failed"; exit 1; }

# Images: ctrl0 ns1 (512 B), ctrl1 ns1 (512 B), ctrl1 ns2 (4096 B).
img0=$tmp/ctrl0.img img1=$tmp/ctrl1-ns1.img img2=$tmp/ctrl1-ns2.img
truncate -s 16M "$img0"; truncate -s 8M "$img1" "$img2"
tag=$$-$RANDOM$RANDOM
pat0="rspdk-pattern-0-$tag" pat2="rspdk-pattern-2-$tag"
new0="rspdk-new-0-$tag" new2="rspdk-new-2-$tag"
printf '%s' "$pat0" | dd of="$img0" bs=512 seek=2048 conv=notrunc status=none
printf '%s' "$pat2" | dd of="$img2" bs=4096 seek=5 conv=notrunc status=none
nvme_args=(--nvme "$img0:RSPDKST0" --nvme "$img1:RSPDKST1" --nvme-ns "1:$img2:4096")

echo "vm-selftest: (a) kernel nvme driver (--no-vfio)"
t=$SECONDS
"$run" --no-vfio --timeout 300 --results "$tmp/res-a" "${nvme_args[@]}" \
    -- bash "$self" --guest-novfio "$pat0" "$pat2" "$new0" "$new2" "$(pwd -P)" "$tmp" \
    > "$tmp/a.out" 2> "$tmp/a.err"
rc=$?
sed 's/^/    /' "$tmp/a.out"
[ "$rc" = 0 ] || sed 's/^/    stderr: /' "$tmp/a.err"
check "(a) run.sh exit status 0 (got $rc)" test "$rc" = 0
tally_guest "$tmp/a.out"
check "(a) guest's write to ctrl0 ns1 LBA 4096 is in the image" \
    test "$(bytes_at "$img0" $((4096 * 512)) ${#new0})" = "$new0"
check "(a) guest's write to ctrl1 ns2 LBA 7 (4 KiB) is in the image" \
    test "$(bytes_at "$img2" $((7 * 4096)) ${#new2})" = "$new2"
check "(a) pattern still in place in ctrl0 image" \
    test "$(bytes_at "$img0" $((2048 * 512)) ${#pat0})" = "$pat0"
check "(a) results file came back to the host" \
    test "$(cat "$tmp/res-a/from-guest.txt" 2>/dev/null)" = from-guest
check "(a) overlay writes do not reach the host" test ! -e "$tmp/overlay-probe"
echo "    ($((SECONDS - t))s)"

echo "vm-selftest: (b) vfio-pci (default) and exit status propagation"
t=$SECONDS
"$run" --timeout 300 --results "$tmp/res-b" "${nvme_args[@]}" \
    -- bash "$self" --guest-vfio "arg with space" "it's" > "$tmp/b.out" 2> "$tmp/b.err"
rc=$?
sed 's/^/    /' "$tmp/b.out"
[ "$rc" = 42 ] || sed 's/^/    stderr: /' "$tmp/b.err"
check "(b) run.sh exits with the command's status 42 (got $rc)" test "$rc" = 42
tally_guest "$tmp/b.out"
echo "    ($((SECONDS - t))s)"

echo "vm-selftest: (c) failures are reported"
t=$SECONDS
"$run" --timeout 4 -- sleep 600 > "$tmp/c.out" 2> "$tmp/c.err"
rc=$?
check "(c) timeout: run.sh exits 124 (got $rc)" test "$rc" = 124
check "(c) timeout: message on stderr" grep -q 'timeout' "$tmp/c.err"
check "(c) timeout: QEMU killed promptly ($((SECONDS - t))s)" test $((SECONDS - t)) -lt 30
"$run" --nvme "$tmp/missing.img" -- true > /dev/null 2> "$tmp/d.err"
rc=$?
check "(c) missing image refused with 125 (got $rc)" test "$rc" = 125 -a -s "$tmp/d.err"
"$run" --timeout 120 --qemu-arg -device --qemu-arg nvme,serial=x,drive=nosuchdrive \
    -- true > /dev/null 2> "$tmp/e.err"
rc=$?
check "(c) QEMU start failure reported as 125 with QEMU's message (got $rc)" \
    sh -c "test $rc = 125 && grep -q nosuchdrive '$tmp/e.err'"

echo "vm-selftest: total $((SECONDS - t_start))s"
echo "vm-selftest: $passed passed, $failed failed"
[ "$failed" = 0 ]
