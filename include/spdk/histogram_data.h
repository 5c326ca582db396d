/* SPDX-License-Identifier: BSD-3-Clause */
/* spdk/histogram_data.h: everything of rspdk lives in one header. */
#include "../rspdk.h"
