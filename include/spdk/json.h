/* SPDX-License-Identifier: BSD-3-Clause */
/* spdk/json.h: everything of rspdk lives in one header. */
#include "../rspdk.h"
