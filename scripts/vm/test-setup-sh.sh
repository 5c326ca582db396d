#!/usr/bin/env bash
# Test of scripts/setup.sh in the VM harness (scripts/vm/run.sh). Two boots:
#   (a) two NVMe controllers on the kernel nvme driver (--no-vfio), no
#       hugepages: status, config with PCI_BLOCKED / PCI_ALLOWED (short form),
#       TARGET_USER, refusal of controllers whose namespace is mounted or is
#       swap, reset (with and without CLEAR_HUGE=no), refusal to reset a
#       controller whose vfio group is open, hugepage reservation and release,
#       the hugetlbfs mount, help, unknown command, not-root error;
#   (b) one controller with the IOMMU off (intel_iommu=off): config must stop
#       with the no-IOMMU error, then work in vfio no-IOMMU mode.
# Last line: "setup-sh: N passed, N failed"; exit status 0 only if none failed.
#
# The same file is the guest-side checker (--guest-a / --guest-b SETUP_SH);
# it prints "guest-check PASS|FAIL|SKIP name" lines and "guest-done" at the end.
set -uo pipefail

self=$(realpath "${BASH_SOURCE[0]}")
here=$(dirname "$self")

# ============================ guest side =====================================
gcheck() { # NAME COMMAND...
    local name=$1; shift
    if "$@"; then echo "guest-check PASS $name"; else echo "guest-check FAIL $name"; fi
}
gskip() { echo "guest-check SKIP $*"; }

nvme_bdfs() {
    local d
    for d in /sys/bus/pci/devices/*; do
        if [ "$(cat "$d/class")" = 0x010802 ]; then echo "${d##*/}"; fi
    done
}
drv() { local l; l=$(readlink "/sys/bus/pci/devices/$1/driver") && echo "${l##*/}"; }
group() { local l; l=$(readlink "/sys/bus/pci/devices/$1/iommu_group") && echo "${l##*/}"; }
nr_huge() { cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages; }
# blk BDF: the controller's first namespace block device (/dev/nvmeXnY)
blk() {
    local b
    for b in /sys/block/nvme*n*; do
        case ${b##*/} in nvme*c*) continue ;; esac
        if [[ $(readlink -f "$b") == */"$1"/* ]]; then echo "/dev/${b##*/}"; return 0; fi
    done
    return 1
}
# wait_blk BDF...: up to 30 s for every controller's namespace to show up
wait_blk() {
    local i b ok
    for ((i = 0; i < 300; i++)); do
        ok=1
        for b in "$@"; do
            if ! blk "$b" > /dev/null || [ ! -b "$(blk "$b")" ]; then ok=0; fi
        done
        if [ "$ok" = 1 ]; then return 0; fi
        sleep 0.1
    done
    return 1
}
out_has() { grep -qE -- "$1" <<< "$sh_out"; }

# run_setup CMD [VAR=VALUE...]: setup.sh CMD with the variables; output in
# $sh_out (also logged), exit status in $sh_rc
sh_out="" sh_rc=""
run_setup() {
    local cmd=$1; shift
    echo "  # $* setup.sh $cmd"
    sh_out=$(env "$@" bash "$setup" "$cmd" 2>&1)
    sh_rc=$?
    sed 's/^/  | /' <<< "$sh_out"
}

guest_a() {
    local b0 b1 all g0 g1 dev1 mnt owner opener
    read -ra all <<< "$(nvme_bdfs | tr '\n' ' ')"
    gcheck "2 NVMe controllers (${all[*]})" test ${#all[@]} = 2
    b0=${all[0]} b1=${all[1]}
    gcheck "both start on the kernel nvme driver" test "$(drv "$b0") $(drv "$b1")" = "nvme nvme"
    gcheck "their namespaces are up" wait_blk "$b0" "$b1"
    gcheck "no hugepages to begin with" test "$(nr_huge)" = 0
    umount /dev/hugepages 2> /dev/null

    run_setup help
    gcheck "help: status 0 ($sh_rc) and a usage text" test "$sh_rc" = 0 -a -n "$(grep 'usage:' <<< "$sh_out")"
    run_setup frobnicate
    gcheck "unknown command: status 2 ($sh_rc)" test "$sh_rc" = 2
    echo "  # (as nobody) setup.sh config"
    sh_out=$(setpriv --reuid=65534 --regid=65534 --clear-groups bash "$setup" config 2>&1)
    sh_rc=$?
    sed 's/^/  | /' <<< "$sh_out"
    gcheck "not root: refused ($sh_rc) with a message" test "$sh_rc" != 0 -a -n "$(grep 'must run as root' <<< "$sh_out")"
    gcheck "not root: nothing changed" test "$(drv "$b0") $(drv "$b1") $(nr_huge)" = "nvme nvme 0"

    run_setup status
    gcheck "status: status 0" test "$sh_rc" = 0
    gcheck "status lists $b0 on nvme with its block device" \
        out_has "^ *$b0 +0x1b36 +0x0010 +[-0-9]+ +nvme +$(basename "$(blk "$b0")") "
    gcheck "status lists $b1 on nvme with its block device" \
        out_has "^ *$b1 +0x1b36 +0x0010 +[-0-9]+ +nvme +$(basename "$(blk "$b1")") "
    gcheck "status shows the 2048kB hugepages" out_has "2048kB +0 +0"

    # --- config, second controller blocked ---------------------------------
    run_setup config "PCI_BLOCKED=$b1" HUGEMEM=64 TARGET_USER=nobody
    gcheck "config (PCI_BLOCKED=$b1): status 0 ($sh_rc)" test "$sh_rc" = 0
    gcheck "$b0 on vfio-pci ($(drv "$b0"))" test "$(drv "$b0")" = vfio-pci
    gcheck "$b1 (blocked) still on nvme ($(drv "$b1"))" test "$(drv "$b1")" = nvme
    gcheck "output: '$b0 (1b36:0010): nvme -> vfio-pci'" out_has "^$b0 \(1b36:0010\): nvme -> vfio-pci$"
    gcheck "output: $b1 skipped, PCI_BLOCKED" out_has "^$b1 .*skipped.*PCI_BLOCKED"
    g0=$(group "$b0")
    gcheck "/dev/vfio/$g0 exists" test -n "$g0" -a -c "/dev/vfio/$g0"
    owner=$(stat -c %U "/dev/vfio/$g0" 2> /dev/null)
    gcheck "/dev/vfio/$g0 owned by TARGET_USER nobody ($owner)" test "$owner" = nobody
    gcheck "vfio_iommu_type1 loaded" test -d /sys/module/vfio_iommu_type1
    gcheck "HUGEMEM=64: 32 hugepages reserved ($(nr_huge))" test "$(nr_huge)" = 32
    gcheck "hugetlbfs mounted on /dev/hugepages" grep -q '^[^ ]* /dev/hugepages hugetlbfs ' /proc/mounts

    run_setup status
    gcheck "status shows $b0 on vfio-pci, IOMMU group $g0" out_has "^ *$b0 .* vfio-pci +- +$g0$"
    gcheck "status shows 32 2048kB hugepages" out_has "2048kB +32 +32"

    # --- reset --------------------------------------------------------------
    run_setup reset
    gcheck "reset: status 0 ($sh_rc)" test "$sh_rc" = 0
    gcheck "output: '$b0 (1b36:0010): vfio-pci -> nvme'" out_has "^$b0 \(1b36:0010\): vfio-pci -> nvme$"
    gcheck "both on nvme after reset ($(drv "$b0") $(drv "$b1"))" test "$(drv "$b0") $(drv "$b1")" = "nvme nvme"
    gcheck "driver_override cleared" test "$(cat "/sys/bus/pci/devices/$b0/driver_override")" = "(null)"
    gcheck "$b0's block device is back" wait_blk "$b0" "$b1"
    gcheck "hugepages released ($(nr_huge))" test "$(nr_huge)" = 0

    # --- a mounted filesystem on the second controller ----------------------
    dev1=$(blk "$b1")
    mnt=$(mktemp -d)
    if command -v mkfs.ext4 > /dev/null && mkfs.ext4 -q -F "$dev1" && mount -t ext4 "$dev1" "$mnt"; then
        echo hello > "$mnt/file"
        run_setup config HUGEMEM=64
        gcheck "config with $dev1 mounted: status 0 ($sh_rc)" test "$sh_rc" = 0
        gcheck "$b1 refused, stays on nvme ($(drv "$b1"))" test "$(drv "$b1")" = nvme
        gcheck "output: $b1 SKIPPED" out_has "^$b1 .*SKIPPED"
        gcheck "output names the mount" out_has "$dev1 is mounted on $mnt"
        gcheck "$b0 still bound ($(drv "$b0"))" test "$(drv "$b0")" = vfio-pci
        gcheck "filesystem still mounted and readable" test "$(cat "$mnt/file" 2> /dev/null)" = hello
        umount "$mnt"
    else
        gskip "mounted-filesystem refusal (no mkfs.ext4 or mount failed)"
        run_setup config HUGEMEM=64
    fi
    gcheck "$b0 on vfio-pci after the 2nd config ($(drv "$b0"))" test "$(drv "$b0")" = vfio-pci
    gcheck "$b0 output line 'nvme -> vfio-pci' again" out_has "^$b0 \(1b36:0010\): nvme -> vfio-pci$"

    # --- swap on the second controller ----------------------------------------
    if command -v mkswap > /dev/null && mkswap "$dev1" > /dev/null 2>&1 && swapon "$dev1"; then
        run_setup config "PCI_ALLOWED=${b1#0000:}" HUGEMEM=64
        gcheck "config with $dev1 as swap: status 0 ($sh_rc)" test "$sh_rc" = 0
        gcheck "$b1 refused (swap), stays on nvme ($(drv "$b1"))" test "$(drv "$b1")" = nvme
        gcheck "output says it is swap" out_has "$dev1 is an active swap device"
        swapoff "$dev1"
    else
        gskip "swap refusal (no mkswap/swapon)"
    fi

    # --- PCI_ALLOWED (short form) binds the second controller now -----------
    run_setup config "PCI_ALLOWED=${b1#0000:}" HUGEMEM=64
    gcheck "config PCI_ALLOWED=${b1#0000:}: status 0 ($sh_rc)" test "$sh_rc" = 0
    gcheck "$b1 now on vfio-pci ($(drv "$b1"))" test "$(drv "$b1")" = vfio-pci
    gcheck "output: $b0 skipped, not in PCI_ALLOWED" out_has "^$b0 .*skipped.*PCI_ALLOWED"
    g1=$(group "$b1")
    gcheck "/dev/vfio/$g1 exists" test -n "$g1" -a -c "/dev/vfio/$g1"

    # --- reset refuses a controller whose group is open ----------------------
    sleep 120 9<> "/dev/vfio/$g1" &
    opener=$!
    sleep 0.5
    run_setup reset "PCI_ALLOWED=$b1" CLEAR_HUGE=no
    gcheck "reset with /dev/vfio/$g1 open: status 0 ($sh_rc)" test "$sh_rc" = 0
    gcheck "$b1 left on vfio-pci ($(drv "$b1"))" test "$(drv "$b1")" = vfio-pci
    gcheck "output names the process" out_has "^$b1 .*SKIPPED.*open in process $opener \(sleep\)"
    kill "$opener"
    wait "$opener" 2> /dev/null

    # --- reset with CLEAR_HUGE=no, then a plain one ---------------------------
    run_setup reset CLEAR_HUGE=no
    gcheck "reset CLEAR_HUGE=no: status 0 ($sh_rc)" test "$sh_rc" = 0
    gcheck "both back on nvme ($(drv "$b0") $(drv "$b1"))" test "$(drv "$b0") $(drv "$b1")" = "nvme nvme"
    gcheck "both block devices reappear" wait_blk "$b0" "$b1"
    gcheck "CLEAR_HUGE=no kept the hugepages ($(nr_huge))" test "$(nr_huge)" = 32
    run_setup reset
    gcheck "second reset: status 0 ($sh_rc)" test "$sh_rc" = 0
    gcheck "output: '$b0 ... already on the kernel driver'" out_has "^$b0 .*nvme -> nvme \(already"
    gcheck "hugepages released ($(nr_huge))" test "$(nr_huge)" = 0

    # --- HUGENODE, and a PCI_ALLOWED entry that matches nothing ----------------
    local node0=/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages
    run_setup config HUGENODE=0 HUGEMEM=32 PCI_ALLOWED=0000:00:1f.7
    gcheck "config HUGENODE=0 HUGEMEM=32: status 0 ($sh_rc)" test "$sh_rc" = 0
    gcheck "16 hugepages on node 0 ($(cat "$node0"))" test "$(cat "$node0")" = 16
    gcheck "warns that PCI_ALLOWED's 0000:00:1f.7 is no NVMe controller" out_has "PCI_ALLOWED lists 0000:00:1f.7, which is not an NVMe controller"
    gcheck "nothing bound ($(drv "$b0") $(drv "$b1"))" test "$(drv "$b0") $(drv "$b1")" = "nvme nvme"
    run_setup config HUGENODE=7
    gcheck "HUGENODE=7 (no such node): status 1 ($sh_rc) and says so" test "$sh_rc" = 1 -a -n "$(grep 'no NUMA node 7' <<< "$sh_out")"
    gcheck "... before binding anything ($(drv "$b0") $(drv "$b1"))" test "$(drv "$b0") $(drv "$b1")" = "nvme nvme"
    run_setup reset
    gcheck "reset releases them ($(nr_huge))" test "$sh_rc $(nr_huge)" = "0 0"
    echo "guest-done"
}

guest_b() {
    local b0 groups noiommu=/sys/module/vfio/parameters/enable_unsafe_noiommu_mode
    b0=$(nvme_bdfs)
    modprobe vfio 2> /dev/null   # for its no-IOMMU parameter
    groups=$(ls /sys/kernel/iommu_groups | wc -l)
    gcheck "precondition: no IOMMU groups ($groups)" test "$groups" = 0
    gcheck "precondition: $b0 on nvme" test "$(drv "$b0")" = nvme
    run_setup config HUGEMEM=64
    gcheck "config without IOMMU: status 1 ($sh_rc)" test "$sh_rc" = 1
    gcheck "error says there is no IOMMU" out_has "no IOMMU: /sys/kernel/iommu_groups is empty and vfio no-IOMMU mode is not enabled"
    if [ -e "$noiommu" ]; then
        gcheck "error shows how to enable no-IOMMU mode" out_has "echo 1 > $noiommu"
    else
        gcheck "error says the kernel has no no-IOMMU mode" out_has "CONFIG_VFIO_NOIOMMU is off"
    fi
    gcheck "$b0 untouched ($(drv "$b0"))" test "$(drv "$b0")" = nvme
    gcheck "no hugepages reserved ($(nr_huge))" test "$(nr_huge)" = 0
    if [ -w "$noiommu" ]; then
        echo 1 > "$noiommu"
        run_setup config HUGEMEM=64
        gcheck "config in no-IOMMU mode: status 0 ($sh_rc)" test "$sh_rc" = 0
        gcheck "warns about no-IOMMU mode" out_has "no-IOMMU mode"
        gcheck "$b0 on vfio-pci ($(drv "$b0"))" test "$(drv "$b0")" = vfio-pci
        gcheck "/dev/vfio/noiommu-$(group "$b0") exists" test -c "/dev/vfio/noiommu-$(group "$b0")"
        run_setup reset
        gcheck "reset: $b0 back on nvme ($(drv "$b0")), hugepages $(nr_huge)" \
            test "$sh_rc $(drv "$b0") $(nr_huge)" = "0 nvme 0"
    else
        gskip "no-IOMMU mode (kernel without CONFIG_VFIO_NOIOMMU)"
    fi
    echo "guest-done"
}

case ${1:-} in
    --guest-a) setup=$2; guest_a; exit 0 ;;
    --guest-b) setup=$2; guest_b; exit 0 ;;
    "") ;;
    *) echo "usage: $0   (no arguments)" >&2; exit 2 ;;
esac
if [ -n "${1:-}" ]; then echo "guest-check FAIL guest checker aborted"; exit 1; fi

# ============================ host side ======================================
[ -z "${RSPDK_IN_VM:-}" ] || { echo "test-setup-sh: the host side does not run in the guest" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "test-setup-sh: must run as root" >&2; exit 2; }
passed=0 failed=0
pass() { passed=$((passed + 1)); echo "  PASS $*"; }
fail() { failed=$((failed + 1)); echo "  FAIL $*"; }
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
tally_guest() { # OUTPUT-FILE
    local p f
    p=$(grep -c '^guest-check PASS' "$1") f=$(grep -c '^guest-check FAIL' "$1")
    passed=$((passed + p)) failed=$((failed + f))
    grep -q '^guest-done' "$1" || fail "guest checks ran to the end"
}

t_start=$SECONDS
setup_sh=$(realpath "$here/../setup.sh")
tmp=$(mktemp -d /var/tmp/rspdk-test-setup-sh.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
truncate -s 32M "$tmp/ctrl0.img" "$tmp/ctrl1.img"

# boot NAME GUEST-MODE RUN.SH-OPTIONS...
boot() {
    local name=$1 mode=$2 rc t=$SECONDS
    shift 2
    "$here/run.sh" --no-vfio --hugepages 0 --timeout 300 "$@" \
        -- bash "$self" "$mode" "$setup_sh" > "$tmp/$name.out" 2> "$tmp/$name.err"
    rc=$?
    sed 's/^/    /' "$tmp/$name.out"
    [ "$rc" = 0 ] || sed 's/^/    stderr: /' "$tmp/$name.err"
    check "($name) run.sh exit status 0 (got $rc)" test "$rc" = 0
    tally_guest "$tmp/$name.out"
    echo "    ($((SECONDS - t))s)"
}

echo "setup-sh: (a) two controllers on the kernel nvme driver"
boot a --guest-a --nvme "$tmp/ctrl0.img:SETUPSH0" --nvme "$tmp/ctrl1.img:SETUPSH1"
echo "setup-sh: (b) no IOMMU (intel_iommu=off)"
boot b --guest-b --append intel_iommu=off --nvme "$tmp/ctrl0.img:SETUPSH0"

echo "setup-sh: total $((SECONDS - t_start))s"
echo "setup-sh: $passed passed, $failed failed"
[ "$failed" = 0 ]
