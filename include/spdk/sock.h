/* SPDX-License-Identifier: BSD-3-Clause */
/* spdk/sock.h: everything of rspdk lives in one header. */
#include "../rspdk.h"
