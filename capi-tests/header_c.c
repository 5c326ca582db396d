/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (C) 2026 the rspdk authors.
 *
 *   The public header must compile on its own as strict C11 with
 *   -Wall -Wextra -Werror -pedantic.
 */
#include "rspdk.h"
#include "rspdk.h" /* and be idempotent */

int rspdk_header_c_check(void);

int
rspdk_header_c_check(void)
{
	return (int)sizeof(struct spdk_env_opts);
}
