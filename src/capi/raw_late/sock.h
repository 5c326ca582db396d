/* spdk/sock.h: the iovecs of a request follow the struct in memory. */
#define SPDK_SOCK_REQUEST_IOV(req, i) \
	((struct iovec *)(((uint8_t *)(req) + sizeof(struct spdk_sock_request)) + (sizeof(struct iovec) * (i))))
