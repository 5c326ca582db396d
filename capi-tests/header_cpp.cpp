/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (C) 2026 the rspdk authors.
 *
 *   The public header must compile on its own as C++17 with
 *   -Wall -Wextra -Werror -pedantic, with C linkage for every function.
 */
#include "rspdk.h"
#include "rspdk.h" /* and be idempotent */

int rspdk_header_cpp_check();

int
rspdk_header_cpp_check()
{
	spdk_env_opts opts{};
	void (*init)(spdk_env_opts *) = spdk_env_opts_init;
	(void)init;
	return static_cast<int>(sizeof(opts));
}
