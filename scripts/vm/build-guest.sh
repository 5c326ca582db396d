#!/usr/bin/env bash
# Build (or reuse from cache) the guest kernel + busybox initramfs used by
# scripts/vm/run.sh.
#
#   scripts/vm/build-guest.sh            build if needed, print a summary
#   scripts/vm/build-guest.sh --env      build if needed, print shell
#                                        assignments (used by run.sh)
#   scripts/vm/build-guest.sh --force    rebuild the initramfs
#
# Everything lives under ${RSPDK_VM_CACHE:-/var/tmp/rspdk-vm}, keyed by the
# kernel version; the initramfs is additionally keyed by a hash of the init
# script, this script and the module list, so editing them triggers a rebuild.
# Environment: RSPDK_VM_CACHE (cache dir), RSPDK_VM_KERNEL_PKG (override the
# Debian kernel image package, e.g. linux-image-6.1.0-56-amd64).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${RSPDK_VM_CACHE:-/var/tmp/rspdk-vm}
mode=summary
force=0

die() { echo "build-guest: error: $*" >&2; exit 1; }
log() { echo "build-guest: $*" >&2; }

while [ $# -gt 0 ]; do
    case $1 in
        --env) mode="env" ;;
        --force) force=1 ;;
        -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option: $1 (try --help)" ;;
    esac
    shift
done

[ "$(id -u)" = 0 ] || die "must run as root (apt-get, depmod into the cache)"

# Modules whose closures go into the initramfs. "?" marks optional ones
# (absent in some kernels); a missing mandatory module is an error.
modules=(
    vfio-pci vfio vfio_iommu_type1 ?vfio_virqfd vfio-pci-core irqbypass
    virtio_pci 9pnet_virtio 9p configfs overlay
    nvme nvme-core nvme-tcp nvme-fabrics nvmet nvmet-tcp ?nvme-loop
    ?nvme-rdma ?nvmet-rdma ?rdma_rxe ?rdma_ucm ?ib_uverbs
    iscsi_tcp sd_mod virtio_blk virtio_net
    crc32c_generic ?crc32c-intel ext4
    ?loop ?null_blk ?veth
    ?target_core_mod ?target_core_iblock ?target_core_file ?iscsi_target_mod
)

# --- 1. host tools -----------------------------------------------------------
need_pkgs=()
command -v qemu-system-x86_64 >/dev/null || need_pkgs+=(qemu-system-x86)
is_static() { [ -x "$1" ] && ! LC_ALL=C ldd "$1" >/dev/null 2>&1; }
is_static /bin/busybox || need_pkgs+=(busybox-static)
command -v cpio >/dev/null || need_pkgs+=(cpio)
command -v depmod >/dev/null && command -v modprobe >/dev/null || need_pkgs+=(kmod)
command -v gzip >/dev/null || need_pkgs+=(gzip)
command -v apt-get >/dev/null || die "apt-get not found: this script expects Debian 12"
if [ ${#need_pkgs[@]} -gt 0 ]; then
    log "installing ${need_pkgs[*]}"
    apt-get update -qq || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null \
        || die "apt-get install ${need_pkgs[*]} failed"
fi
busybox=/bin/busybox
is_static "$busybox" || die "$busybox is missing or dynamically linked; install busybox-static"

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9 || die "cannot lock $cache/.lock"

# --- 2. kernel package ---------------------------------------------------------
resolve_pkg() {
    apt-cache depends linux-image-amd64 2>/dev/null \
        | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}
pkg=${RSPDK_VM_KERNEL_PKG:-}
if [ -z "$pkg" ]; then
    pkg=$(resolve_pkg || true)
    if [ -z "$pkg" ]; then
        log "apt-cache does not know linux-image-amd64; running apt-get update"
        apt-get update -qq || true
        pkg=$(resolve_pkg || true)
    fi
    if [ -z "$pkg" ] && [ -s "$cache/last-kernel-pkg" ]; then
        pkg=$(cat "$cache/last-kernel-pkg")
        log "warning: cannot resolve linux-image-amd64; reusing cached $pkg"
    fi
    [ -n "$pkg" ] || die "cannot resolve the kernel image package (apt-cache depends linux-image-amd64 gave nothing)"
fi
case $pkg in linux-image-*) ;; *) die "unexpected kernel package name: $pkg" ;; esac
kver=${pkg#linux-image-}
kdir=$cache/kernel-$kver
tree=$kdir/tree

if [ ! -e "$kdir/.extracted" ]; then
    rm -rf "$kdir"
    mkdir -p "$kdir/deb"
    log "downloading $pkg"
    (cd "$kdir/deb" && apt-get download "$pkg" >/dev/null 2>"$kdir/deb/download.log") \
        || { cat "$kdir/deb/download.log" >&2; die "apt-get download $pkg failed"; }
    deb=$(ls "$kdir"/deb/*.deb 2>/dev/null | head -n1)
    [ -n "$deb" ] || die "apt-get download $pkg produced no .deb"
    log "extracting $(basename "$deb")"
    dpkg -x "$deb" "$tree" || die "dpkg -x $deb failed"
    rm -f "$deb"   # the extracted tree is what we keep
    [ -d "$tree/lib/modules/$kver" ] || die "$pkg has no lib/modules/$kver"
    [ -f "$tree/boot/vmlinuz-$kver" ] || die "$pkg has no boot/vmlinuz-$kver"
    log "depmod $kver"
    depmod -b "$tree" "$kver" || die "depmod -b $tree $kver failed"
    touch "$kdir/.extracted"
fi
echo "$pkg" > "$cache/last-kernel-pkg"
vmlinuz=$tree/boot/vmlinuz-$kver

# --- 3. initramfs ----------------------------------------------------------------
init_src=$here/guest-init.sh
[ -f "$init_src" ] || die "missing $init_src"
key=$( { cat "$init_src" "${BASH_SOURCE[0]}"; printf '%s\n' "${modules[@]}"; sha256sum "$busybox"; } \
       | sha256sum | cut -c1-16)
initrd=$kdir/initrd-$key.gz

if [ "$force" = 1 ] || [ ! -s "$initrd" ]; then
    log "building initramfs ($key)"
    work=$(mktemp -d "$kdir/initrd-work.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    root=$work/root
    mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,run,tmp,etc,lib/modules/"$kver"}
    mkdir -p "$root"/{lower,rw,host,results}

    # Module closures, copied with their tree layout.
    paths=$work/paths
    : > "$paths"
    for m in "${modules[@]}"; do
        optional=0
        case $m in \?*) optional=1; m=${m#\?} ;; esac
        if ! out=$(modprobe -d "$tree" -S "$kver" --show-depends "$m" 2>&1); then
            if [ "$optional" = 1 ]; then
                log "  (optional module $m not in $kver, skipped)"
                continue
            fi
            die "module $m: modprobe --show-depends failed: $out"
        fi
        # Lines: "insmod /path/x.ko [params]" or "builtin name".
        printf '%s\n' "$out" | awk '$1 == "insmod" { print $2 }' >> "$paths"
    done
    sort -u "$paths" | while read -r p; do
        rel=${p#"$tree"/}
        [ "$rel" != "$p" ] || die "module path outside the tree: $p"
        mkdir -p "$root/$(dirname "$rel")"
        case $rel in
            *.ko) cp "$p" "$root/$rel" ;;
            # busybox modprobe may lack decompressors: store plain .ko files.
            *.ko.xz) xz -dc "$p" > "$root/${rel%.xz}" ;;
            *.ko.zst) zstd -qdc "$p" > "$root/${rel%.zst}" ;;
            *.ko.gz) gzip -dc "$p" > "$root/${rel%.gz}" ;;
            *) die "unexpected module file $p" ;;
        esac
    done
    nmods=$(find "$root/lib/modules" -name '*.ko' | wc -l)
    [ "$nmods" -gt 10 ] || die "only $nmods modules collected; something is wrong"
    for f in modules.order modules.builtin modules.builtin.modinfo; do
        [ -f "$tree/lib/modules/$kver/$f" ] && cp "$tree/lib/modules/$kver/$f" "$root/lib/modules/$kver/"
    done
    # Regenerate modules.* for exactly the modules present (text + .bin
    # indexes, so both busybox modprobe and the host's kmod in the chroot work).
    depmod -b "$root" "$kver" || die "depmod on the initramfs tree failed"

    # busybox + applet links.
    cp "$busybox" "$root/bin/busybox"
    "$busybox" --list-full | while read -r applet; do
        [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
    done
    install -m 0755 "$init_src" "$root/init"
    echo "rspdk-vm" > "$root/etc/hostname"
    echo "$kver" > "$root/etc/rspdk-kver"

    (cd "$root" && find . -print0 | LC_ALL=C sort -z \
        | cpio --null -o -H newc --quiet --owner 0:0 | gzip -6) > "$work/initrd.gz" \
        || die "cpio/gzip failed"
    mv "$work/initrd.gz" "$initrd"
    rm -rf "$work"
    trap - EXIT
    # Drop stale initramfs builds of this kernel.
    find "$kdir" -maxdepth 1 -name 'initrd-*.gz' ! -name "initrd-$key.gz" -delete
    log "initramfs: $initrd ($nmods modules, $(du -h "$initrd" | cut -f1))"
fi

case $mode in
    env)
        printf 'RSPDK_VM_KVER=%q\nRSPDK_VM_KERNEL=%q\nRSPDK_VM_INITRD=%q\n' \
            "$kver" "$vmlinuz" "$initrd"
        ;;
    summary)
        echo "kernel:    $vmlinuz"
        echo "initramfs: $initrd"
        echo "version:   $kver"
        ;;
esac
