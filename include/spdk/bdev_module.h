/* SPDX-License-Identifier: BSD-3-Clause */
/* spdk/bdev_module.h: everything of rspdk lives in one header. */
#include "../rspdk.h"
