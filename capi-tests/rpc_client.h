/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (C) 2026 the rspdk authors.
 *
 *   A blocking JSON-RPC client for the C tests (run it on a thread of its
 *   own, never on the application's): the tests set g_sock to the
 *   application's rpc_addr.
 */
#ifndef RSPDK_CAPI_TESTS_RPC_CLIENT_H
#define RSPDK_CAPI_TESTS_RPC_CLIENT_H

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char g_sock[108];

/* Connects to g_sock, waiting up to 2 s for the server. */
static int
client_connect(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), i;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", g_sock);
	for (i = 0; i < 100; i++) {
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
			return fd;
		}
		usleep(20000);
	}
	close(fd);
	return -1;
}

/* Sends one request and returns its one-line response (static buffer). */
static const char *
call(int fd, const char *req)
{
	static char resp[65536];
	size_t len = 0;
	ssize_t n;

	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		return "";
	}
	while (len < sizeof(resp) - 1) {
		n = read(fd, resp + len, sizeof(resp) - 1 - len);
		if (n <= 0) {
			break;
		}
		len += (size_t)n;
		resp[len] = '\0';
		if (resp[len - 1] == '\n') {
			break;
		}
	}
	resp[len] = '\0';
	return resp;
}

#endif
