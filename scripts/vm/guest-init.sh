#!/bin/sh
# PID 1 of the rspdk test guest (busybox ash). Packed as /init into the
# initramfs by build-guest.sh; driven by run.sh through the "results" 9p share:
#   guest.conf   settings written by run.sh (sourced here)
#   job.sh       the command to run, written by run.sh, run in a chroot
#   output.log   the job's stdout+stderr          (written here)
#   status       the job's exit status             (written here, last)
#   harness-error  why the guest could not run the job (written here)
#   init.log, dmesg.log                             (written here)
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

results_ok=0
uptime_s() { cut -d' ' -f1 /proc/uptime; }
log() {
    echo "rspdk-init: $*"
    if [ "$results_ok" = 1 ]; then echo "[$(uptime_s)] $*" >> /results/init.log; fi
}
shutdown_now() {
    if [ "$results_ok" = 1 ]; then dmesg > /results/dmesg.log 2>/dev/null; fi
    sync
    poweroff -f
    # Not reached; if it were, returning from PID 1 panics and, with
    # panic=-1 and -no-reboot, QEMU exits too.
    exit 1
}
bail() {
    log "ERROR: $*"
    if [ "$results_ok" = 1 ]; then echo "$*" > /results/harness-error; fi
    shutdown_now
}
load() { # load a required module
    modprobe "$1" || bail "modprobe $1 failed"
}
try_load() { # load a module if the initramfs has it
    modprobe "$1" 2>/dev/null || log "note: module $1 not loaded"
}
# wait_for SECONDS COMMAND...: poll COMMAND every 0.1 s
wait_for() {
    _n=$(($1 * 10)); shift
    while [ "$_n" -gt 0 ]; do
        "$@" && return 0
        sleep 0.1
        _n=$((_n - 1))
    done
    "$@"
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /dev/hugepages
mount -t devpts devpts /dev/pts
hostname rspdk-vm
KVER=$(uname -r)

# --- results share + configuration ---------------------------------------------
load virtio_pci
load 9pnet_virtio
load 9p
mount_results() { mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 results /results 2>/dev/null; }
wait_for 5 mount_results || bail "cannot mount the results 9p share"
results_ok=1
: > /results/init.log
log "kernel $KVER up after $(uptime_s)s"
[ -r /results/guest.conf ] || bail "results share has no guest.conf"
. /results/guest.conf
: "${RES_PATH:?}" "${VFIO:=1}" "${NCTRL:=0}" "${NNS:=0}" "${HUGEPAGES:=64}" "${RW_COUNT:=0}"

# --- modules (nothing loads them on demand in the chroot) ------------------------
load configfs
load overlay
for m in crc32c_generic crc32c-intel ext4 nvme-core nvme-fabrics nvme-tcp \
         nvmet nvmet-tcp iscsi_tcp sd_mod virtio_blk virtio_net; do
    try_load "$m"
done
grep -q ' /sys/kernel/config ' /proc/mounts || mount -t configfs configfs /sys/kernel/config
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up || log "warning: cannot bring lo up"

# --- NVMe controllers ---------------------------------------------------------------
nvme_devs() { # BDFs of NVMe controllers (class 0x010802), in bus order
    for d in /sys/bus/pci/devices/*; do
        [ "$(cat "$d/class" 2>/dev/null)" = 0x010802 ] && echo "${d##*/}"
    done
}
found=$(nvme_devs | wc -l)
[ "$found" = "$NCTRL" ] || bail "expected $NCTRL NVMe controllers, found $found"
bdfs=
if [ "$VFIO" = 1 ]; then
    load vfio
    load vfio_iommu_type1
    try_load vfio_virqfd
    load vfio-pci
    [ -c /dev/vfio/vfio ] || wait_for 5 test -c /dev/vfio/vfio || bail "/dev/vfio/vfio missing"
    for bdf in $(nvme_devs); do
        d=/sys/bus/pci/devices/$bdf
        echo vfio-pci > "$d/driver_override" || bail "$bdf: cannot set driver_override"
        if [ -e "$d/driver" ]; then echo "$bdf" > "$d/driver/unbind"; fi
        echo "$bdf" > /sys/bus/pci/drivers_probe
        drv=$(readlink "$d/driver")
        case $drv in
            */vfio-pci) ;;
            *) bail "$bdf: not bound to vfio-pci (driver: ${drv:-none})" ;;
        esac
        grp=$(readlink "$d/iommu_group") || bail "$bdf: no IOMMU group (is the emulated IOMMU on?)"
        grp=${grp##*/}
        wait_for 10 test -c "/dev/vfio/$grp" || bail "$bdf: /dev/vfio/$grp did not appear"
        log "$bdf bound to vfio-pci, IOMMU group $grp"
        bdfs="$bdfs${bdfs:+ }$bdf"
    done
    # Load the kernel driver too (driver_override keeps it off the devices
    # above), so a job can still use it for devices it creates itself.
    try_load nvme
else
    load nvme
    ctrls_live() {
        _live=0
        for c in /sys/class/nvme/nvme*; do
            [ "$(cat "$c/state" 2>/dev/null)" = live ] && _live=$((_live + 1))
        done
        [ "$_live" -ge "$NCTRL" ] || return 1
        _ns=0
        for b in /sys/block/nvme*; do
            case ${b##*/} in nvme*c*) ;; nvme*n*) _ns=$((_ns + 1)) ;; esac
        done
        [ "$_ns" -ge "$NNS" ]
    }
    wait_for 60 ctrls_live || bail "kernel nvme: $NCTRL controllers / $NNS namespaces did not come up"
    log "kernel nvme driver: $(ls /sys/class/nvme | tr '\n' ' ')/ $(ls /sys/block | grep '^nvme' | tr '\n' ' ')"
fi

# --- hugepages --------------------------------------------------------------------------
if [ "$HUGEPAGES" -gt 0 ]; then
    echo "$HUGEPAGES" > /proc/sys/vm/nr_hugepages 2>/dev/null
    got=$(cat /proc/sys/vm/nr_hugepages)
    [ "$got" = "$HUGEPAGES" ] || log "warning: asked for $HUGEPAGES hugepages, got $got"
fi

# --- host root: 9p (read-only) + tmpfs overlay at /host ------------------------------
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 host /lower || bail "cannot mount the host 9p share"
mount -t tmpfs -o mode=0755 tmpfs /rw || bail "tmpfs on /rw"
mkdir -p /rw/up /rw/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/up,workdir=/rw/work /host \
    || bail "cannot mount the overlay on /host"
mount -o bind /proc /host/proc || bail "bind /proc"
mount -o bind /sys /host/sys || bail "bind /sys"
mount -t configfs configfs /host/sys/kernel/config || log "warning: configfs in /host"
mount -o bind /dev /host/dev || bail "bind /dev"
mount -t devpts devpts /host/dev/pts || log "warning: devpts in /host"
mount -t hugetlbfs -o pagesize=2M hugetlbfs /host/dev/hugepages || log "warning: hugetlbfs in /host"
mount -t tmpfs -o mode=1777 tmpfs /host/dev/shm || log "warning: tmpfs on /host/dev/shm"
mount -t tmpfs -o mode=0755 tmpfs /host/run && mkdir -p /host/run/lock
# The guest kernel's modules, for modprobe run by the job (host kmod).
mkdir -p "/host/lib/modules/$KVER" && mount -o bind "/lib/modules/$KVER" "/host/lib/modules/$KVER" \
    || log "warning: cannot expose /lib/modules/$KVER in /host"
mkdir -p "/host$RES_PATH" && mount -o bind /results "/host$RES_PATH" || bail "cannot bind results at $RES_PATH"
i=0
while [ "$i" -lt "$RW_COUNT" ]; do
    eval "dir=\$RW_$i"
    mkdir -p "/host$dir"
    mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 "rw$i" "/host$dir" || bail "cannot mount rw share $dir"
    log "writable share: $dir"
    i=$((i + 1))
done

# --- the job ------------------------------------------------------------------------------
RSPDK_IN_VM=1
RSPDK_VM_NVME_BDFS=$bdfs
RSPDK_VM_VFIO=$VFIO
RSPDK_VM_RESULTS=$RES_PATH
export RSPDK_IN_VM RSPDK_VM_NVME_BDFS RSPDK_VM_VFIO RSPDK_VM_RESULTS
log "running job (vfio=$VFIO bdfs='$bdfs')"
t0=$(uptime_s)
chroot /host /bin/sh "$RES_PATH/job.sh" < /dev/null > /results/output.log 2>&1
rc=$?
sync
log "job exited with status $rc after $(awk "BEGIN{print $(uptime_s) - $t0}")s"
echo "$rc" > /results/status.tmp && mv /results/status.tmp /results/status
shutdown_now
