/* SPDX-License-Identifier: BSD-3-Clause */
/* spdk/nvmf_spec.h: everything of rspdk lives in one header. */
#include "../rspdk.h"
