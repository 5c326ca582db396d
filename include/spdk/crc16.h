/* SPDX-License-Identifier: BSD-3-Clause */
/* spdk/crc16.h: everything of rspdk lives in one header. */
#include "../rspdk.h"
