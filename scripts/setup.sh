#!/usr/bin/env bash
#   SPDX-License-Identifier: BSD-3-Clause
# Prepare this machine for rspdk applications: reserve hugepages and move NVMe
# controllers from the kernel nvme driver to vfio-pci (and back).
#
# usage: scripts/setup.sh [COMMAND]
#
#   config   (default) reserve hugepages, mount hugetlbfs on /dev/hugepages
#            and bind every NVMe controller to vfio-pci
#   reset    give the NVMe controllers back to the kernel nvme driver and
#            release the 2 MiB hugepages
#   status   show hugepages and the NVMe controllers with their drivers
#   help     show this text
#
# Environment:
#   HUGEMEM=MB        memory to reserve as 2 MiB hugepages (default 2048);
#                     with HUGENODE, per listed node
#   HUGENODE=N[,N..]  reserve on these NUMA nodes instead of system-wide
#   PCI_ALLOWED="BDF.." only handle these controllers (space separated,
#                     e.g. "0000:00:04.0 00:05.0"; short forms take domain 0)
#   PCI_BLOCKED="BDF.." never handle these controllers
#   TARGET_USER=USER  (config) chown /dev/vfio/<group> to USER, so that an
#                     unprivileged process can open the devices
#   CLEAR_HUGE=no     (reset) keep the hugepages
#
# config never unbinds a controller one of whose namespaces (or partitions)
# is mounted, used as swap or held by device-mapper/md: it says so and goes on
# with the others. reset leaves alone a controller whose /dev/vfio group is
# open in some process. Exit status: 0 when every selected controller was
# handled or deliberately skipped, 1 if something failed, 2 on bad usage.
set -euo pipefail

prog=setup.sh
NVME_CLASS=0x010802
HP_KB=2048                                      # the page size we reserve
HP_SYS=/sys/kernel/mm/hugepages/hugepages-${HP_KB}kB

err() { echo "$prog: error: $*" >&2; }
die() { err "$*"; exit 1; }
warn() { echo "$prog: warning: $*" >&2; }
usage() { sed -n '3,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

need_root() {
    [ "$EUID" = 0 ] || die "'$1' changes drivers and kernel settings and must run as root (try: sudo $0 $1)"
}

# sysfs_write FILE VALUE: one write of "VALUE\n"; reports the kernel's error
sysfs_write() {
    local out
    if ! out=$( { printf '%s\n' "$2" > "$1"; } 2>&1 ); then
        err "cannot write '$2' to $1: ${out##*: }"
        return 1
    fi
}

# --- PCI helpers ----------------------------------------------------------------

dev_path() { printf '/sys/bus/pci/devices/%s' "$1"; }

# norm_bdf ADDR: print the canonical (lower-case, with domain) address
norm_bdf() {
    local b=${1,,}
    if [[ $b =~ ^[0-9a-f]{1,2}:[0-9a-f]{1,2}\.[0-7]$ ]]; then b=0000:$b; fi
    if [[ $b =~ ^([0-9a-f]{4,8}):([0-9a-f]{1,2}):([0-9a-f]{1,2})\.([0-7])$ ]]; then
        printf '%s:%02x:%02x.%s\n' "${BASH_REMATCH[1]}" \
            "0x${BASH_REMATCH[2]}" "0x${BASH_REMATCH[3]}" "${BASH_REMATCH[4]}"
        return 0
    fi
    return 1
}

# parse_bdf_list VARNAME: fill the array named "<VARNAME>_list" from $VARNAME
parse_bdf_list() {
    local name=$1 val=${!1:-} words w n
    local -n out=${name}_list
    out=()
    read -ra words <<< "${val//,/ }"
    for w in "${words[@]}"; do
        n=$(norm_bdf "$w") || die "$name: '$w' is not a PCI address (expected e.g. 0000:00:04.0 or 00:04.0)"
        out+=("$n")
    done
}

in_list() { # ITEM LIST...
    local x=$1 y
    shift
    for y in "$@"; do
        if [ "$x" = "$y" ]; then return 0; fi
    done
    return 1
}

# skip_reason BDF: print why PCI_ALLOWED/PCI_BLOCKED exclude BDF; false if not
skip_reason() {
    if in_list "$1" "${PCI_BLOCKED_list[@]}"; then
        echo "listed in PCI_BLOCKED"
        return 0
    fi
    if [ ${#PCI_ALLOWED_list[@]} -gt 0 ] && ! in_list "$1" "${PCI_ALLOWED_list[@]}"; then
        echo "not listed in PCI_ALLOWED"
        return 0
    fi
    return 1
}

nvme_ctrls() { # every NVMe controller, in bus order
    local d
    for d in /sys/bus/pci/devices/*; do
        if [ -r "$d/class" ] && [ "$(< "$d/class")" = "$NVME_CLASS" ]; then
            echo "${d##*/}"
        fi
    done
}

driver_of() {
    local l
    if l=$(readlink "$(dev_path "$1")/driver" 2>/dev/null); then echo "${l##*/}"; fi
}

ids_of() { # vendor:device without 0x
    local d
    d=$(dev_path "$1")
    printf '%s:%s' "$(sed 's/^0x//' "$d/vendor")" "$(sed 's/^0x//' "$d/device")"
}

iommu_group_of() {
    local l
    if l=$(readlink "$(dev_path "$1")/iommu_group" 2>/dev/null); then echo "${l##*/}"; fi
}

# warn_allowed_missing CTRL...: entries of PCI_ALLOWED that are no NVMe controller
warn_allowed_missing() {
    local a
    for a in "${PCI_ALLOWED_list[@]}"; do
        if ! in_list "$a" "$@"; then
            warn "PCI_ALLOWED lists $a, which is not an NVMe controller here"
        fi
    done
}

# --- block devices of a controller ----------------------------------------------

# ctrl_blockdevs BDF: whole-disk block devices (nvmeXnY) of the namespaces
# reached through BDF, including multipath heads
ctrl_blockdevs() {
    local bdf=$1 b name m
    for b in /sys/block/nvme*; do
        [ -e "$b" ] || continue
        name=${b##*/}
        case $name in nvme*c*) continue ;; esac     # hidden per-path nodes
        if [[ $(readlink -f "$b") == */"$bdf"/* ]]; then
            echo "$name"
            continue
        fi
        for m in "$b"/multipath/*; do
            if [ -e "$m" ] && [[ $(readlink -f "$m") == */"$bdf"/* ]]; then
                echo "$name"
                break
            fi
        done
    done
}

# why_busy NAME SYSDIR: print why block device NAME (disk or partition) is in
# use; false if it is not
why_busy() {
    local name=$1 sysd=$2 devnum src mp rest fs f h found=1
    devnum=$(< "$sysd/dev")
    # mounted: by the mount source's name (/proc/mounts) ...
    while read -r src mp fs rest; do
        case $src in /dev/*) ;; *) continue ;; esac
        if [ "$src" = "/dev/$name" ] || [ "$(readlink -f "$src")" = "/dev/$name" ]; then
            echo "/dev/$name is mounted on $mp ($fs)"
            found=0
        fi
    done < /proc/mounts
    # ... or by device number (mounted through another node name)
    if [ "$found" = 1 ] && [ -r /proc/self/mountinfo ]; then
        while read -r _ _ f _ mp rest; do
            if [ "$f" = "$devnum" ]; then
                echo "/dev/$name is mounted on $mp"
                found=0
            fi
        done < /proc/self/mountinfo
    fi
    if [ -r /proc/swaps ]; then
        while read -r src rest; do
            case $src in /dev/*) ;; *) continue ;; esac
            if [ "$src" = "/dev/$name" ] || [ "$(readlink -f "$src")" = "/dev/$name" ]; then
                echo "/dev/$name is an active swap device"
                found=0
            fi
        done < /proc/swaps
    fi
    for h in "$sysd"/holders/*; do
        [ -e "$h" ] || continue
        local hn=${h##*/} what=holder
        if [ -r "$h/dm/name" ]; then what="device-mapper $(< "$h/dm/name")"; fi
        case $hn in md*) what="md array" ;; esac
        echo "/dev/$name is held by /dev/$hn ($what)"
        found=0
    done
    return "$found"
}

# ctrl_busy BDF: print every reason the controller's namespaces are in use;
# false if none is
ctrl_busy() {
    local bdf=$1 disk p any=1
    for disk in $(ctrl_blockdevs "$bdf"); do
        if why_busy "$disk" "/sys/block/$disk"; then any=0; fi
        for p in /sys/block/"$disk"/"$disk"*; do
            if [ -e "$p/partition" ] && why_busy "${p##*/}" "$p"; then any=0; fi
        done
    done
    return "$any"
}

# group_openers GROUP: "pid (comm)" of processes holding /dev/vfio/GROUP open
group_openers() {
    local fd pid seen=" "
    { find /proc/[0-9]*/fd -maxdepth 1 \( -lname "/dev/vfio/$1" -o -lname "/dev/vfio/noiommu-$1" \) \
        2> /dev/null || true; } | while read -r fd; do
        pid=${fd#/proc/}
        pid=${pid%%/*}
        case $seen in *" $pid "*) continue ;; esac
        seen="$seen$pid "
        echo "$pid ($(cat "/proc/$pid/comm" 2> /dev/null || echo '?'))"
    done
}

# list_ctrls: set the array ctrls to every NVMe controller (no process
# substitution: /dev/fd is missing in minimal environments)
list_ctrls() {
    local b
    ctrls=()
    for b in $(nvme_ctrls); do ctrls+=("$b"); done
}

# --- vfio --------------------------------------------------------------------------

load_module() { # MODULE SYSFS-DIR-THAT-SHOWS-IT-IS-THERE
    if [ -e "$2" ]; then return 0; fi
    command -v modprobe > /dev/null || die "modprobe not found; cannot load $1"
    modprobe "$1" || die "modprobe $1 failed"
}

check_iommu() {
    local g noiommu=/sys/module/vfio/parameters/enable_unsafe_noiommu_mode
    for g in /sys/kernel/iommu_groups/*; do
        if [ -e "$g" ]; then return 0; fi
    done
    if [ -r "$noiommu" ] && [ "$(< "$noiommu")" = Y ]; then
        warn "no IOMMU: using vfio no-IOMMU mode (devices can DMA anywhere; unsafe)"
        return 0
    fi
    err "no IOMMU: /sys/kernel/iommu_groups is empty and vfio no-IOMMU mode is not enabled."
    err "  Enable VT-d / AMD-Vi in the firmware and boot with intel_iommu=on (or amd_iommu=on),"
    if [ -e "$noiommu" ]; then
        err "  or, without DMA protection, run: echo 1 > $noiommu"
    else
        err "  (this kernel's vfio has no no-IOMMU mode: CONFIG_VFIO_NOIOMMU is off)"
    fi
    exit 1
}

# vfio_node BDF: wait for the device's /dev/vfio node; chown it to TARGET_USER
vfio_node() {
    local bdf=$1 grp node="" i
    grp=$(iommu_group_of "$bdf")
    if [ -z "$grp" ]; then
        err "$bdf: bound to vfio-pci but has no IOMMU group"
        return 1
    fi
    for ((i = 0; i < 50; i++)); do
        if [ -c "/dev/vfio/$grp" ]; then node=/dev/vfio/$grp; break; fi
        if [ -c "/dev/vfio/noiommu-$grp" ]; then node=/dev/vfio/noiommu-$grp; break; fi
        sleep 0.1
    done
    if [ -z "$node" ]; then
        err "$bdf: /dev/vfio/$grp did not appear within 5 s"
        return 1
    fi
    if [ -n "${TARGET_USER:-}" ]; then
        chown "$TARGET_USER" "$node" || { err "cannot chown $node to $TARGET_USER"; return 1; }
    fi
    # vfio can only use a group whose devices are all on vfio-pci (or none).
    local o od
    for o in /sys/kernel/iommu_groups/"$grp"/devices/*; do
        [ -e "$o" ] || continue
        o=${o##*/}
        [ "$o" != "$bdf" ] || continue
        od=$(driver_of "$o")
        case $od in ""|vfio-pci|pcieport) ;;
            *) warn "IOMMU group $grp also holds $o (driver $od): the group is not usable until that device leaves $od" ;;
        esac
    done
    echo "    $node${TARGET_USER:+ (owner $TARGET_USER)}"
}

# bind_vfio BDF: true when bound or deliberately skipped
bind_vfio() {
    local bdf=$1 d old new ids why
    d=$(dev_path "$bdf")
    old=$(driver_of "$bdf")
    ids=$(ids_of "$bdf")
    if [ "$old" = vfio-pci ]; then
        echo "$bdf ($ids): vfio-pci -> vfio-pci (already bound)"
        vfio_node "$bdf"
        return
    fi
    if why=$(ctrl_busy "$bdf"); then
        echo "$bdf ($ids): SKIPPED, left on ${old:-no driver}: in use:"
        printf '%s\n' "$why" | sed 's/^/    /'
        skipped=$((skipped + 1))
        return 0
    fi
    sysfs_write "$d/driver_override" vfio-pci || return 1
    if [ -n "$old" ] && ! sysfs_write "$d/driver/unbind" "$bdf"; then
        sysfs_write "$d/driver_override" "" || true
        return 1
    fi
    sysfs_write /sys/bus/pci/drivers_probe "$bdf" 2> /dev/null || true
    new=$(driver_of "$bdf")
    if [ "$new" != vfio-pci ]; then
        # Put it back where it was rather than leave it driverless.
        sysfs_write "$d/driver_override" "" || true
        sysfs_write /sys/bus/pci/drivers_probe "$bdf" 2> /dev/null || true
        err "$bdf ($ids): vfio-pci did not take it (see dmesg); now on $(driver_of "$bdf" | grep . || echo 'no driver')"
        return 1
    fi
    echo "$bdf ($ids): ${old:-no driver} -> vfio-pci"
    vfio_node "$bdf"
}

# unbind_vfio BDF: back to the kernel nvme driver
unbind_vfio() {
    local bdf=$1 d old new ids grp who
    d=$(dev_path "$bdf")
    old=$(driver_of "$bdf")
    ids=$(ids_of "$bdf")
    case $old in
        nvme)
            if [ -n "$(< "$d/driver_override")" ] && [ "$(< "$d/driver_override")" != "(null)" ]; then
                sysfs_write "$d/driver_override" "" || return 1
            fi
            echo "$bdf ($ids): nvme -> nvme (already on the kernel driver)"
            return 0 ;;
        vfio-pci|uio_pci_generic|igb_uio|"") ;;
        *)
            echo "$bdf ($ids): SKIPPED, on driver $old (not a user-space driver); left alone"
            skipped=$((skipped + 1))
            return 0 ;;
    esac
    if [ "$old" = vfio-pci ]; then
        grp=$(iommu_group_of "$bdf")
        if [ -n "$grp" ]; then who=$(group_openers "$grp"); else who=; fi
        if [ -n "$who" ]; then
            echo "$bdf ($ids): SKIPPED, left on vfio-pci: /dev/vfio/$grp is open in process ${who//$'\n'/, }"
            skipped=$((skipped + 1))
            return 0
        fi
    fi
    sysfs_write "$d/driver_override" "" || return 1
    if [ -n "$old" ]; then sysfs_write "$d/driver/unbind" "$bdf" || return 1; fi
    sysfs_write /sys/bus/pci/drivers_probe "$bdf" 2> /dev/null || true
    new=$(driver_of "$bdf")
    if [ "$new" != nvme ]; then
        err "$bdf ($ids): the nvme driver did not take it (see dmesg); now on ${new:-no driver}"
        return 1
    fi
    echo "$bdf ($ids): ${old:-no driver} -> nvme"
}

# --- hugepages ------------------------------------------------------------------------

# set_hugepages FILE COUNT WHERE
set_hugepages() {
    local f=$1 want=$2 where=$3 got
    sysfs_write "$f" "$want" || die "cannot reserve hugepages ($where)"
    got=$(< "$f")
    if [ "$got" -lt "$want" ] && [ -w /proc/sys/vm/compact_memory ]; then
        # Fragmented memory: compact and try once more.
        sysfs_write /proc/sys/vm/compact_memory 1 || true
        sysfs_write "$f" "$want" || true
        got=$(< "$f")
    fi
    if [ "$got" -lt "$want" ]; then
        warn "only $got of $want 2 MiB hugepages could be reserved ($where); not enough free memory?"
    fi
    echo "hugepages: $got x 2 MiB reserved ($where)"
}

# check_huge_env: validate HUGEMEM and HUGENODE; set huge_nodes
check_huge_env() {
    local n
    [[ ${HUGEMEM:-2048} =~ ^[0-9]+$ ]] || die "HUGEMEM must be a whole number of MB, not '$HUGEMEM'"
    [ -d "$HP_SYS" ] || die "this kernel has no 2 MiB hugepages ($HP_SYS missing; CONFIG_HUGETLBFS?)"
    huge_nodes=()
    if [ -n "${HUGENODE:-}" ]; then
        read -ra huge_nodes <<< "${HUGENODE//,/ }"
        [ ${#huge_nodes[@]} -gt 0 ] || die "HUGENODE is set but lists no node"
        for n in "${huge_nodes[@]}"; do
            [[ $n =~ ^[0-9]+$ ]] || die "HUGENODE: '$n' is not a NUMA node number"
            [ -e "/sys/devices/system/node/node$n/hugepages/hugepages-${HP_KB}kB/nr_hugepages" ] \
                || die "HUGENODE: there is no NUMA node $n (or it has no 2 MiB hugepages)"
        done
    fi
}

reserve_hugepages() {
    local mb=${HUGEMEM:-2048} pages n f
    pages=$(((mb * 1024 + HP_KB - 1) / HP_KB))
    if [ ${#huge_nodes[@]} -gt 0 ]; then
        for n in "${huge_nodes[@]}"; do
            set_hugepages "/sys/devices/system/node/node$n/hugepages/hugepages-${HP_KB}kB/nr_hugepages" \
                "$pages" "node $n"
        done
    else
        f=$HP_SYS/nr_hugepages
        if [ "$(awk '$1 == "Hugepagesize:" { print $2 }' /proc/meminfo)" = "$HP_KB" ]; then
            f=/proc/sys/vm/nr_hugepages
        fi
        set_hugepages "$f" "$pages" "system-wide"
    fi
    if ! awk '$2 == "/dev/hugepages" && $3 == "hugetlbfs" { found = 1 } END { exit !found }' /proc/mounts; then
        mkdir -p /dev/hugepages
        mount -t hugetlbfs -o pagesize=2M hugetlbfs /dev/hugepages \
            || die "cannot mount hugetlbfs on /dev/hugepages"
        echo "hugetlbfs mounted on /dev/hugepages"
    fi
}

release_hugepages() {
    local got
    [ -d "$HP_SYS" ] || return 0
    sysfs_write "$HP_SYS/nr_hugepages" 0 || die "cannot release the hugepages"
    got=$(< "$HP_SYS/nr_hugepages")
    if [ "$got" != 0 ]; then
        warn "$got 2 MiB hugepages are still in use (files in a hugetlbfs mount, or a running process)"
    fi
    echo "hugepages: 2 MiB pages released ($got left)"
}

# --- commands ---------------------------------------------------------------------------

cmd_config() {
    local ctrls=() todo=0 bdf why failed=0
    skipped=0
    need_root config
    if [ -n "${TARGET_USER:-}" ] && ! id -u -- "$TARGET_USER" > /dev/null 2>&1; then
        die "TARGET_USER: no such user '$TARGET_USER'"
    fi
    check_huge_env
    list_ctrls
    warn_allowed_missing "${ctrls[@]}"
    for bdf in "${ctrls[@]}"; do
        if ! skip_reason "$bdf" > /dev/null && [ "$(driver_of "$bdf")" != vfio-pci ]; then
            todo=$((todo + 1))
        fi
    done
    if [ "$todo" -gt 0 ]; then
        load_module vfio-pci /sys/bus/pci/drivers/vfio-pci
        load_module vfio_iommu_type1 /sys/module/vfio_iommu_type1
        check_iommu
    fi
    [ ${#ctrls[@]} -gt 0 ] || echo "no NVMe controllers found"
    for bdf in "${ctrls[@]}"; do
        if why=$(skip_reason "$bdf"); then
            echo "$bdf ($(ids_of "$bdf")): skipped, $why (stays on $(driver_of "$bdf" | grep . || echo 'no driver'))"
            continue
        fi
        bind_vfio "$bdf" || failed=$((failed + 1))
    done
    reserve_hugepages
    if [ "$skipped" -gt 0 ]; then echo "$skipped controller(s) in use, not bound"; fi
    if [ "$failed" -gt 0 ]; then die "$failed controller(s) could not be bound to vfio-pci"; fi
}

cmd_reset() {
    local ctrls=() bdf why failed=0 need_nvme=0
    skipped=0
    need_root reset
    list_ctrls
    warn_allowed_missing "${ctrls[@]}"
    for bdf in "${ctrls[@]}"; do
        if ! skip_reason "$bdf" > /dev/null && [ "$(driver_of "$bdf")" != nvme ]; then need_nvme=1; fi
    done
    if [ "$need_nvme" = 1 ]; then load_module nvme /sys/bus/pci/drivers/nvme; fi
    [ ${#ctrls[@]} -gt 0 ] || echo "no NVMe controllers found"
    for bdf in "${ctrls[@]}"; do
        if why=$(skip_reason "$bdf"); then
            echo "$bdf ($(ids_of "$bdf")): skipped, $why (stays on $(driver_of "$bdf" | grep . || echo 'no driver'))"
            continue
        fi
        unbind_vfio "$bdf" || failed=$((failed + 1))
    done
    if [ "${CLEAR_HUGE:-yes}" = no ]; then
        echo "hugepages: kept (CLEAR_HUGE=no)"
    else
        release_hugepages
    fi
    if [ "$failed" -gt 0 ]; then die "$failed controller(s) could not be returned to the nvme driver"; fi
}

cmd_status() {
    local h n nd nodes=() bdf d drv blk grp numa mnts
    echo "Hugepages"
    printf '  %-7s %-10s %8s %8s\n' node size free total
    for h in /sys/kernel/mm/hugepages/hugepages-*; do
        [ -e "$h" ] || continue
        printf '  %-7s %-10s %8s %8s\n' all "${h##*-}" "$(< "$h/free_hugepages")" "$(< "$h/nr_hugepages")"
    done
    for nd in /sys/devices/system/node/node[0-9]*; do
        if [ -d "$nd/hugepages" ]; then nodes+=("$nd"); fi
    done
    if [ ${#nodes[@]} -gt 1 ]; then
        for nd in "${nodes[@]}"; do
            for h in "$nd"/hugepages/hugepages-*; do
                [ -e "$h" ] || continue
                printf '  %-7s %-10s %8s %8s\n' "${nd##*/}" "${h##*-}" "$(< "$h/free_hugepages")" "$(< "$h/nr_hugepages")"
            done
        done
    fi
    mnts=$(awk '$3 == "hugetlbfs" { printf "%s%s", sep, $2; sep = " " }' /proc/mounts)
    echo "  hugetlbfs mounted on: ${mnts:-(nowhere)}"
    echo
    echo "NVMe controllers"
    printf '  %-13s %-6s %-6s %-4s %-9s %-20s %s\n' BDF Vendor Device NUMA Driver "Block devices" "IOMMU group"
    for bdf in $(nvme_ctrls); do
        d=$(dev_path "$bdf")
        drv=$(driver_of "$bdf")
        blk=-
        if [ "$drv" = nvme ]; then
            blk=$(ctrl_blockdevs "$bdf" | tr '\n' ' ')
            blk=${blk% }
            blk=${blk:--}
        fi
        grp=$(iommu_group_of "$bdf")
        numa=-
        if [ -r "$d/numa_node" ]; then numa=$(< "$d/numa_node"); fi
        printf '  %-13s %-6s %-6s %-4s %-9s %-20s %s\n' "$bdf" "$(< "$d/vendor")" "$(< "$d/device")" \
            "$numa" "${drv:-none}" "$blk" "${grp:--}"
    done
}

cmd=${1:-config}
[ $# -le 1 ] || { usage >&2; die "one command at a time (got: $*)"; }
PCI_ALLOWED=${PCI_ALLOWED:-${PCI_WHITELIST:-}}
PCI_BLOCKED=${PCI_BLOCKED:-${PCI_BLACKLIST:-}}
case $cmd in
    config|reset|status)
        PCI_ALLOWED_list=() PCI_BLOCKED_list=()
        parse_bdf_list PCI_ALLOWED
        parse_bdf_list PCI_BLOCKED
        "cmd_$cmd" ;;
    help|-h|--help) usage ;;
    *) usage >&2; echo "$prog: error: unknown command '$cmd'" >&2; exit 2 ;;
esac
