#!/bin/sh
#   SPDX-License-Identifier: BSD-3-Clause
#   Copyright (C) 2026 the rspdk authors.
#
# Usage: pkgconfig_test.sh PREFIX
#
# Checks an installed rspdk (PREFIX/lib/librspdk.{so,a}, PREFIX/include,
# PREFIX/lib/pkgconfig/*.pc) the way an SPDK application build would use it:
#
#  1. dynamic: flags from the SPDK-named .pc files
#       pkg-config --cflags --libs spdk_env_dpdk spdk_thread spdk_log spdk_util spdk_event
#     (each Requires: rspdk), run with LD_LIBRARY_PATH=PREFIX/lib;
#  2. static: flags from pkg-config --static --cflags --libs rspdk.
#
# Why "-l:librspdk.a" for the static link: pkg-config prints
# "-L<libdir> -lrspdk <Libs.private>", and with both librspdk.so and
# librspdk.a in <libdir> the linker resolves -lrspdk to the shared object.
# Rewriting only that one token to -l:librspdk.a (GNU ld/gold/lld: search the
# -L directories for that exact file name) keeps pkg-config's own -L path and
# its Libs.private in their original order, needs no -Wl,-Bstatic toggling
# (which would also make libc static), and still fails loudly if the .a is
# missing. The result is then checked to have no NEEDED entry for librspdk.
#
# Both variants build and run test_log_util.c (includes rspdk.h) and
# test_forwarders.c (includes only spdk/*.h). Exits non-zero on any failure.

set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 PREFIX" >&2
	exit 2
fi

PREFIX=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
CC=${CC:-cc}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
export PKG_CONFIG_PATH

CFLAGS="-std=c11 -Wall -Wextra -Werror -g -O1 -D_GNU_SOURCE -I$HERE"
PROGS="test_log_util test_forwarders"
SPDK_PCS="spdk_env_dpdk spdk_thread spdk_log spdk_util spdk_event"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM

fail=0

for pc in rspdk $SPDK_PCS; do
	if ! "$PKG_CONFIG" --exists "$pc"; then
		echo "pkg-config cannot find $pc in $PKG_CONFIG_PATH" >&2
		fail=1
	fi
done
[ "$fail" -eq 0 ] || exit 1

# 1. Dynamic, through the SPDK-named packages.
# shellcheck disable=SC2086 # $SPDK_PCS is a list of package names
DYN_CFLAGS=$("$PKG_CONFIG" --cflags $SPDK_PCS)
# shellcheck disable=SC2086
DYN_LIBS=$("$PKG_CONFIG" --libs $SPDK_PCS)
echo "dynamic: cflags: $DYN_CFLAGS"
echo "dynamic: libs:   $DYN_LIBS"
for p in $PROGS; do
	# shellcheck disable=SC2086 # word splitting of pkg-config output is intended
	if ! $CC $CFLAGS $DYN_CFLAGS -o "$WORK/$p.dyn" "$HERE/$p.c" $DYN_LIBS; then
		echo "FAILED: build $p (dynamic)" >&2
		fail=1
		continue
	fi
	if ! LD_LIBRARY_PATH="$PREFIX/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$WORK/$p.dyn"; then
		echo "FAILED: run $p (dynamic)" >&2
		fail=1
	fi
done

# 2. Static, through rspdk.pc's Libs + Libs.private.
ST_CFLAGS=$("$PKG_CONFIG" --static --cflags rspdk)
ST_LIBS=$("$PKG_CONFIG" --static --libs rspdk | sed 's/\(^\|[[:space:]]\)-lrspdk\([[:space:]]\|$\)/\1-l:librspdk.a\2/')
echo "static:  cflags: $ST_CFLAGS"
echo "static:  libs:   $ST_LIBS"
case " $ST_LIBS " in
*" -l:librspdk.a "*) ;;
*)
	echo "FAILED: 'pkg-config --static --libs rspdk' has no -lrspdk to link statically" >&2
	exit 1
	;;
esac
for p in $PROGS; do
	# shellcheck disable=SC2086
	if ! $CC $CFLAGS $ST_CFLAGS -o "$WORK/$p.static" "$HERE/$p.c" $ST_LIBS; then
		echo "FAILED: build $p (static)" >&2
		fail=1
		continue
	fi
	if command -v readelf >/dev/null 2>&1 &&
		readelf -d "$WORK/$p.static" | grep -q 'NEEDED.*librspdk'; then
		echo "FAILED: $p (static) still needs librspdk.so" >&2
		fail=1
	fi
	# No PREFIX/lib on the loader path: the binary must be self-contained.
	if ! env -u LD_LIBRARY_PATH "$WORK/$p.static"; then
		echo "FAILED: run $p (static)" >&2
		fail=1
	fi
done

if [ "$fail" -ne 0 ]; then
	echo "pkg-config test FAILED" >&2
	exit 1
fi
echo "pkg-config test passed"
