/* SPDX-License-Identifier: BSD-3-Clause */
/* spdk/nvmf_transport.h: everything of rspdk lives in one header. */
#include "../rspdk.h"
