#!/bin/sh
#   SPDX-License-Identifier: BSD-3-Clause
# In the VM guest: the Linux kernel's NVMe-oF target (nvmet-tcp) through
# configfs. Two subsystems backed by loop devices over files in /tmp (512-byte
# blocks), both on port 1 (127.0.0.1:4420), the first also on port 2
# (127.0.0.1:4421) for failover and on port 3 ([::1]:4422) when the guest has
# IPv6 on its loopback. Prints the variables the tests read.
#   usage: nvmet-tcp-setup.sh NQN1,SERIAL1,MIB1 NQN2,SERIAL2,MIB2 ...
set -eu
cfs=/sys/kernel/config/nvmet
for m in nvmet nvmet-tcp crc32c_generic loop; do
	modprobe "$m" 2>/dev/null || true
done
[ -d "$cfs" ] || { echo "nvmet-tcp-setup: $cfs missing (nvmet not loaded?)" >&2; exit 1; }
nqns= serials= sizes= i=0
for spec in "$@"; do
	nqn=${spec%%,*}; rest=${spec#*,}; serial=${rest%%,*}; mib=${rest#*,}
	img=/tmp/nvmet-ns$i.img
	rm -f "$img"; truncate -s "${mib}M" "$img"
	if dev=$(losetup --find --show "$img" 2>/dev/null); then :; else
		echo "nvmet-tcp-setup: no loop device, using the file with buffered I/O" >&2; dev=$img
	fi
	s=$cfs/subsystems/$nqn
	mkdir "$s"
	echo 1 > "$s/attr_allow_any_host"
	echo "$serial" > "$s/attr_serial"
	echo "rspdk tcp test" > "$s/attr_model"
	mkdir "$s/namespaces/1"
	echo "$dev" > "$s/namespaces/1/device_path"
	[ "$dev" = "$img" ] && echo 1 > "$s/namespaces/1/buffered_io"
	echo 1 > "$s/namespaces/1/enable"
	nqns="$nqns $nqn"; serials="$serials $serial"; sizes="$sizes $((mib * 1048576))"
	i=$((i + 1))
done
for p in 1 2; do
	mkdir "$cfs/ports/$p"
	echo tcp > "$cfs/ports/$p/addr_trtype"
	echo ipv4 > "$cfs/ports/$p/addr_adrfam"
	echo 127.0.0.1 > "$cfs/ports/$p/addr_traddr"
	echo $((4419 + p)) > "$cfs/ports/$p/addr_trsvcid"
done
ipv6=0
if grep -q '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null; then
	mkdir "$cfs/ports/3"
	echo tcp > "$cfs/ports/3/addr_trtype"
	echo ipv6 > "$cfs/ports/3/addr_adrfam"
	echo ::1 > "$cfs/ports/3/addr_traddr"
	echo 4422 > "$cfs/ports/3/addr_trsvcid"
	ipv6=1
fi
first=1
for nqn in $nqns; do
	ln -s "$cfs/subsystems/$nqn" "$cfs/ports/1/subsystems/$nqn"
	if [ $first = 1 ]; then
		ln -s "$cfs/subsystems/$nqn" "$cfs/ports/2/subsystems/$nqn"
		[ $ipv6 = 1 ] && ln -s "$cfs/subsystems/$nqn" "$cfs/ports/3/subsystems/$nqn"
		first=0
	fi
done
echo "RSPDK_TCP_NQNS='${nqns# }'"
echo "RSPDK_TCP_SERIALS='${serials# }'"
echo "RSPDK_TCP_NS_BYTES='${sizes# }'"
echo "RSPDK_TCP_CONFIGFS='$cfs'"
echo "RSPDK_TCP_IPV6=$ipv6"
