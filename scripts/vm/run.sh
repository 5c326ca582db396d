#!/usr/bin/env bash
# Run a command inside a QEMU (TCG) guest with an emulated IOMMU and emulated
# NVMe controllers, the host's root filesystem visible read-only (+ tmpfs
# overlay) and the command's cwd the same as the caller's.
#
# usage: scripts/vm/run.sh [options] -- CMD [ARG...]
#
#   --nvme IMG[:SERIAL[:LBA]]   add a controller whose namespace 1 is the raw
#                               image IMG (must exist); repeatable, one
#                               controller each, indexed 0, 1, ... in order;
#                               SERIAL defaults to rspdk-ctrlN, LBA (logical
#                               block size) to 512
#   --nvme-ns CTRL:IMG[:LBA]    add another namespace (next NSID) backed by IMG
#                               to controller CTRL (0-based index of --nvme)
#   --ctrl-opts CTRL:OPTS       extra QEMU "-device nvme" options for
#                               controller CTRL (e.g. max_ioqpairs=4,mdts=5)
#   --no-vfio                   leave the controllers on the kernel nvme driver
#   --timeout SECONDS           kill the guest after this long (default 600)
#   --mem MB                    guest memory (default 2048)
#   --smp N                     guest CPUs (default 2)
#   --hugepages N               2 MiB hugepages to reserve (default 64)
#   --rw DIR                    make host DIR writable in the guest (9p, same
#                               path); repeatable
#   --env NAME[=VALUE]          pass a variable to CMD (NAME alone: the host's
#                               value); RUST_* and RSPDK_* are passed anyway
#   --results DIR               keep the results share in DIR (created)
#   --keep                      keep the temporary results dir, print its path
#   --console                   stream the serial console to stderr
#   --append ARGS               extra kernel command line
#   --qemu-arg ARG              extra QEMU argument; repeatable
#
# CMD runs as `cd $PWD && exec CMD ARG...` (each ARG quoted: use
# `sh -c '...'` for shell syntax) in a chroot of the host's root, with
#   RSPDK_IN_VM=1
#   RSPDK_VM_NVME_BDFS  vfio-bound controllers' PCI addresses, in controller
#                       order, space separated (empty with --no-vfio)
#   RSPDK_VM_VFIO       1, or 0 with --no-vfio
#   RSPDK_VM_RESULTS    a directory whose files come back to the host
# Exit status: CMD's; 124 if the timeout hit; 125 if the guest never
# reported a status (boot failure, kernel panic, harness error).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${RSPDK_VM_CACHE:-/var/tmp/rspdk-vm}
qemu_bin=${RSPDK_VM_QEMU:-qemu-system-x86_64}

die() { echo "run.sh: error: $*" >&2; exit 125; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

vfio=1 timeout_s=600 mem=2048 smp=2 hugepages=64
results= keep=0 console=0 append=
ctrl_serial=() ctrl_opts=() ctrl_nns=()   # per controller
ns_ctrl=() ns_img=() ns_lba=()            # per namespace
rw_dirs=() env_names=() env_values=() qemu_extra=() later_ns=() later_opts=()

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }
check_lba() {
    is_uint "$1" && [ "$1" -ge 512 ] && [ $(($1 & ($1 - 1))) = 0 ] \
        || die "bad logical block size '$1' (a power of two >= 512)"
}
add_ns() { # CTRL IMG LBA
    local img
    [ -e "$2" ] || die "image '$2' does not exist (create it first, e.g. truncate -s 64M $2)"
    [ -f "$2" ] || [ -b "$2" ] || die "image '$2' is not a regular file or block device"
    [ -r "$2" ] && [ -w "$2" ] || die "image '$2' is not readable and writable"
    img=$(realpath "$2")
    check_lba "$3"
    ns_ctrl+=("$1") ns_img+=("$img") ns_lba+=("$3")
    ctrl_nns[$1]=$((ctrl_nns[$1] + 1))
}
need_arg() { [ $# -ge 2 ] || die "option $1 needs an argument"; }

while [ $# -gt 0 ]; do
    opt=$1
    if [[ $opt == --*=* ]]; then set -- "${opt%%=*}" "${opt#*=}" "${@:2}"; opt=$1; fi
    case $opt in
        --nvme)
            need_arg "$@"
            IFS=: read -r img serial lba extra <<< "$2"
            [ -z "${extra:-}" ] || die "--nvme $2: too many ':' fields"
            i=${#ctrl_serial[@]}
            serial=${serial:-rspdk-ctrl$i}
            [ ${#serial} -le 20 ] || die "serial '$serial' longer than 20 characters"
            ctrl_serial+=("$serial") ctrl_opts+=("") ctrl_nns+=(0)
            add_ns "$i" "$img" "${lba:-512}"
            shift 2 ;;
        --nvme-ns) need_arg "$@"; later_ns+=("$2"); shift 2 ;;
        --ctrl-opts) need_arg "$@"; later_opts+=("$2"); shift 2 ;;
        --no-vfio) vfio=0; shift ;;
        --timeout) need_arg "$@"; is_uint "$2" && [ "$2" -gt 0 ] || die "bad --timeout $2"; timeout_s=$2; shift 2 ;;
        --mem) need_arg "$@"; is_uint "$2" && [ "$2" -ge 256 ] || die "bad --mem $2"; mem=$2; shift 2 ;;
        --smp) need_arg "$@"; is_uint "$2" && [ "$2" -ge 1 ] || die "bad --smp $2"; smp=$2; shift 2 ;;
        --hugepages) need_arg "$@"; is_uint "$2" || die "bad --hugepages $2"; hugepages=$2; shift 2 ;;
        --rw) need_arg "$@"; [ -d "$2" ] || die "--rw $2: not a directory"; rw_dirs+=("$(realpath "$2")"); shift 2 ;;
        --env)
            need_arg "$@"
            name=${2%%=*}
            [[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "--env $2: bad variable name"
            if [[ $2 == *=* ]]; then val=${2#*=}; else val=${!name-}; fi
            env_names+=("$name") env_values+=("$val")
            shift 2 ;;
        --results) need_arg "$@"; results=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        --console) console=1; shift ;;
        --append) need_arg "$@"; append="$append $2"; shift 2 ;;
        --qemu-arg) need_arg "$@"; qemu_extra+=("$2"); shift 2 ;;
        -h|--help) usage; exit 0 ;;
        --) shift; break ;;
        *) die "unknown option '$opt' (the command goes after --; see --help)" ;;
    esac
done
[ $# -gt 0 ] || die "no command given (usage: run.sh [options] -- CMD...)"
# --nvme-ns / --ctrl-opts name controllers by --nvme order, wherever they stand.
for spec in "${later_ns[@]}"; do
    IFS=: read -r c img lba extra <<< "$spec"
    [ -z "${extra:-}" ] || die "--nvme-ns $spec: too many ':' fields"
    is_uint "$c" && [ "$c" -lt ${#ctrl_serial[@]} ] \
        || die "--nvme-ns $spec: there is no controller $c (controllers come from --nvme, 0-based)"
    add_ns "$c" "$img" "${lba:-512}"
done
for spec in "${later_opts[@]}"; do
    c=${spec%%:*}
    [[ $spec == *:* ]] && is_uint "$c" && [ "$c" -lt ${#ctrl_serial[@]} ] \
        || die "--ctrl-opts $spec: expected CTRL:OPTS for a controller given by --nvme"
    ctrl_opts[c]=${spec#*:}
done
[ "$(id -u)" = 0 ] || die "must run as root"
[ ${#ctrl_serial[@]} -le 16 ] || die "at most 16 NVMe controllers"

guest_visible() { # the guest mounts its own /proc /sys /dev /run over the host's
    case $1 in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*|/run|/run/*) return 1 ;; esac
    [[ $1 != *$'\n'* ]]
}
cwd=$(pwd -P)
guest_visible "$cwd" || die "the current directory $cwd is not visible as such in the guest"
for d in "${rw_dirs[@]}"; do guest_visible "$d" && [ "$d" != / ] || die "--rw $d not allowed"; done

# --- guest kernel + initramfs (cached) ---------------------------------------------
genv=$("$here/build-guest.sh" --env) || die "build-guest.sh failed"
eval "$genv"
command -v "$qemu_bin" >/dev/null || die "$qemu_bin not found (build-guest.sh installs qemu-system-x86)"

# --- results dir --------------------------------------------------------------------------
if [ -n "$results" ]; then
    mkdir -p "$results" || die "cannot create $results"
    res=$(realpath "$results")
    keep=1
else
    mkdir -p "$cache/runs"
    res=$(mktemp -d "$cache/runs/run.XXXXXX")
fi
guest_visible "$res" || die "results dir $res is not visible in the guest"
rm -f "$res"/{status,status.tmp,harness-error,output.log,init.log,dmesg.log,console.log,qemu.log,guest.conf,job.sh}
: > "$res/output.log"
: > "$res/console.log"

qpid= tail_pids=()
cleanup() {
    local rc=$?
    if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then kill "$qpid" 2>/dev/null || true; wait "$qpid" 2>/dev/null || true; fi
    for p in "${tail_pids[@]}"; do kill "$p" 2>/dev/null || true; done
    if [ "$keep" = 1 ]; then
        echo "run.sh: results kept in $res" >&2
    else
        rm -rf "$res"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "run.sh: interrupted" >&2; exit 130' INT TERM

# --- what the guest reads ------------------------------------------------------------------
q() { local s=${1//\'/\'\\\'\'}; printf "'%s'" "$s"; }
{
    echo "RES_PATH=$(q "$res")"
    echo "VFIO=$vfio"
    echo "NCTRL=${#ctrl_serial[@]}"
    echo "NNS=${#ns_img[@]}"
    echo "HUGEPAGES=$hugepages"
    echo "RW_COUNT=${#rw_dirs[@]}"
    for i in "${!rw_dirs[@]}"; do echo "RW_$i=$(q "${rw_dirs[$i]}")"; done
} > "$res/guest.conf"
{
    echo "# generated by scripts/vm/run.sh"
    echo "export HOME=$(q "${HOME:-/root}") PATH=$(q "$PATH")"
    while IFS= read -r name; do
        case $name in RSPDK_IN_VM|RSPDK_VM_NVME_BDFS|RSPDK_VM_VFIO|RSPDK_VM_RESULTS) continue ;; esac
        echo "export $name=$(q "${!name}")"
    done < <(compgen -e | grep -E '^(RUST_|RSPDK_)' || true)
    for i in "${!env_names[@]}"; do echo "export ${env_names[$i]}=$(q "${env_values[$i]}")"; done
    echo "cd $(q "$cwd") || { echo 'run.sh (guest): cannot cd to '$(q "$cwd") >&2; exit 125; }"
    printf 'exec'
    for a in "$@"; do printf ' %s' "$(q "$a")"; done
    echo
} > "$res/job.sh"

# --- QEMU command line -------------------------------------------------------------------------
esc() { printf '%s' "${1//,/,,}"; }   # QEMU option values: ',' doubles
qemu=("$qemu_bin"
    -machine q35,accel=tcg -cpu max -m "$mem" -smp "$smp"
    -nographic -no-reboot -net none -vga none -monitor none
    -chardev "file,id=con0,path=$(esc "$res/console.log")" -serial chardev:con0
    -kernel "$RSPDK_VM_KERNEL" -initrd "$RSPDK_VM_INITRD"
    -append "console=ttyS0 intel_iommu=on panic=-1$append"
    -device intel-iommu,aw-bits=48)
# NVMe controllers come first so they take the lowest free PCI slots in order.
for c in "${!ctrl_serial[@]}"; do
    opts="nvme,id=ctrl$c,serial=$(esc "${ctrl_serial[$c]}")"
    [ -z "${ctrl_opts[$c]}" ] || opts="$opts,${ctrl_opts[$c]}"
    qemu+=(-device "$opts")
    nsid=0
    for n in "${!ns_img[@]}"; do
        [ "${ns_ctrl[$n]}" = "$c" ] || continue
        nsid=$((nsid + 1))
        qemu+=(-drive "file=$(esc "${ns_img[$n]}"),if=none,id=nvm${c}n$nsid,format=raw"
               -device "nvme-ns,drive=nvm${c}n$nsid,bus=ctrl$c,nsid=$nsid,logical_block_size=${ns_lba[$n]},physical_block_size=${ns_lba[$n]}")
    done
done
qemu+=(-virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap
       -virtfs "local,path=$(esc "$res"),mount_tag=results,security_model=none")
for i in "${!rw_dirs[@]}"; do
    qemu+=(-virtfs "local,path=$(esc "${rw_dirs[$i]}"),mount_tag=rw$i,security_model=none,multidevs=remap")
done
qemu+=("${qemu_extra[@]}")

# SeaBIOS clears the screen with escape sequences; keep the console readable.
clean_console() { sed -u -e 's/\x1bc//g' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g'; }

# --- boot -----------------------------------------------------------------------------------------
# A boot whose kernel prints nothing within $boot_wait s (seen once: the
# console stayed at the firmware) is stopped and tried once more.
boot_wait=${RSPDK_VM_BOOT_WAIT:-180}
attempt=1
while :; do
    rm -f "$res/boot_stuck"
    t0=$SECONDS
    timeout --kill-after=10 "$timeout_s" "${qemu[@]}" < /dev/null > "$res/qemu.log" 2>&1 &
    qpid=$!
    (
        for _ in $(seq $((boot_wait * 5))); do
            sleep 0.2
            kill -0 "$qpid" 2>/dev/null || exit 0
            grep -q "Linux version" "$res/console.log" 2>/dev/null && exit 0
        done
        echo "run.sh: the guest kernel printed nothing within ${boot_wait}s; stopping this boot" >&2
        : > "$res/boot_stuck"
        kill "$qpid" 2>/dev/null
    ) &
    wd=$!
    tail -n +1 -s 0.2 -f --pid="$qpid" "$res/output.log" &
    tail_pids+=($!)
    if [ "$console" = 1 ]; then
        tail -n +1 -s 0.2 -f --pid="$qpid" "$res/console.log" | clean_console >&2 &
        tail_pids+=($!)
    fi
    qrc=0
    wait "$qpid" || qrc=$?
    qpid=
    kill "$wd" 2>/dev/null || true
    wait "$wd" 2>/dev/null || true
    for p in "${tail_pids[@]}"; do wait "$p" 2>/dev/null || true; done
    tail_pids=()
    elapsed=$((SECONDS - t0))
    if [ -f "$res/boot_stuck" ] && [ ! -f "$res/status" ] && [ "$attempt" = 1 ]; then
        show_console_tail() { tail -n 5 "$res/console.log" | clean_console >&2; }
        show_console_tail
        echo "run.sh: booting the guest again (attempt 2)" >&2
        attempt=2
        : > "$res/output.log"
        continue
    fi
    break
done

show_diag() {
    if [ -s "$res/qemu.log" ]; then
        echo "run.sh: --- QEMU output ---" >&2; tail -n 20 "$res/qemu.log" >&2
    fi
    if [ "$console" = 0 ] && [ -s "$res/console.log" ]; then
        echo "run.sh: --- last lines of the serial console ---" >&2; tail -n 30 "$res/console.log" | clean_console >&2
    fi
}
if [ -f "$res/status" ]; then
    status=$(cat "$res/status")
    is_uint "$status" || die "garbled status '$status' in $res/status"
    [ "$qrc" = 0 ] || echo "run.sh: warning: QEMU exited with $qrc after the job finished" >&2
    echo "run.sh: guest job exited with status $status (${elapsed}s)" >&2
    exit "$status"
fi
if [ -f "$res/harness-error" ]; then
    show_diag
    echo "run.sh: error: the guest could not run the job: $(cat "$res/harness-error")" >&2
    exit 125
fi
show_diag
if { [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; } && [ "$elapsed" -ge "$timeout_s" ]; then
    echo "run.sh: error: timeout: the guest did not report a status within ${timeout_s}s" >&2
    exit 124
fi
echo "run.sh: error: the guest stopped (QEMU status $qrc, ${elapsed}s) without reporting a status (boot failure or kernel panic?)" >&2
exit 125
