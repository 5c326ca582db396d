/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (C) 2026 the rspdk authors.
 *
 *   The part of rspdk's C surface that stable Rust cannot define: variadic
 *   functions and functions taking a va_list. Everything else is Rust.
 *
 *   Each function here is named rspdk_c_<name>; the exported symbol <name>
 *   is a naked trampoline in src/capi/shim.rs that jumps here, so that the
 *   shared library (whose exports rustc chooses) exports it too.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Provided by the Rust side (src/capi/log.rs); not part of the public header. */
typedef void rspdk_log_cb_t(int level, const char *file, const int line,
			    const char *func, const char *format, va_list args);
extern void *rspdk_log_user_cb(void);
extern bool rspdk_log_would_emit(int level);
extern void rspdk_log_default(int level, const char *file, int line, const char *func,
			      const char *msg);

#define RSPDK_LOG_DISABLED (-1)

void rspdk_c_spdk_vlog(int level, const char *file, const int line, const char *func,
	       const char *format, va_list ap);
void rspdk_c_spdk_log(int level, const char *file, const int line, const char *func,
	      const char *format, ...) __attribute__((__format__(__printf__, 5, 6)));
void rspdk_c_spdk_vflog(FILE *fp, const char *file, const int line, const char *func,
		const char *format, va_list ap);
void rspdk_c_spdk_flog(FILE *fp, const char *file, const int line, const char *func,
	       const char *format, ...) __attribute__((__format__(__printf__, 5, 6)));
char *rspdk_c_spdk_vsprintf_alloc(const char *format, va_list args);
char *rspdk_c_spdk_sprintf_alloc(const char *format, ...) __attribute__((__format__(__printf__, 1, 2)));
char *rspdk_c_spdk_vsprintf_append_realloc(char *buffer, const char *format, va_list args);
char *rspdk_c_spdk_sprintf_append_realloc(char *buffer, const char *format, ...)
	__attribute__((__format__(__printf__, 2, 3)));
void rspdk_log_forward(int level, const char *file, int line, const char *func, const char *msg);

char *
rspdk_c_spdk_vsprintf_alloc(const char *format, va_list args)
{
	va_list copy;
	int len;
	char *buf;

	if (format == NULL) {
		return NULL;
	}
	va_copy(copy, args);
	len = vsnprintf(NULL, 0, format, copy);
	va_end(copy);
	if (len < 0) {
		return NULL;
	}
	buf = malloc((size_t)len + 1);
	if (buf == NULL) {
		return NULL;
	}
	if (vsnprintf(buf, (size_t)len + 1, format, args) != len) {
		free(buf);
		return NULL;
	}
	return buf;
}

char *
rspdk_c_spdk_sprintf_alloc(const char *format, ...)
{
	va_list args;
	char *buf;

	va_start(args, format);
	buf = rspdk_c_spdk_vsprintf_alloc(format, args);
	va_end(args);
	return buf;
}

char *
rspdk_c_spdk_vsprintf_append_realloc(char *buffer, const char *format, va_list args)
{
	char *tail, *joined;
	size_t old_len;

	tail = rspdk_c_spdk_vsprintf_alloc(format, args);
	if (tail == NULL) {
		return NULL;
	}
	if (buffer == NULL) {
		return tail;
	}
	old_len = strlen(buffer);
	joined = realloc(buffer, old_len + strlen(tail) + 1);
	if (joined == NULL) {
		/* The caller keeps ownership of buffer on failure. */
		free(tail);
		return NULL;
	}
	memcpy(joined + old_len, tail, strlen(tail) + 1);
	free(tail);
	return joined;
}

char *
rspdk_c_spdk_sprintf_append_realloc(char *buffer, const char *format, ...)
{
	va_list args;
	char *buf;

	va_start(args, format);
	buf = rspdk_c_spdk_vsprintf_append_realloc(buffer, format, args);
	va_end(args);
	return buf;
}

void
rspdk_c_spdk_vlog(int level, const char *file, const int line, const char *func,
	  const char *format, va_list ap)
{
	rspdk_log_cb_t *user = (rspdk_log_cb_t *)rspdk_log_user_cb();
	char stackbuf[1024];
	char *msg = stackbuf;
	va_list copy;
	int len;

	if (format == NULL) {
		return;
	}
	if (user != NULL) {
		user(level, file, line, func, format, ap);
		return;
	}
	if (level == RSPDK_LOG_DISABLED || !rspdk_log_would_emit(level)) {
		return;
	}
	va_copy(copy, ap);
	len = vsnprintf(stackbuf, sizeof(stackbuf), format, copy);
	va_end(copy);
	if (len < 0) {
		return;
	}
	if ((size_t)len >= sizeof(stackbuf)) {
		msg = rspdk_c_spdk_vsprintf_alloc(format, ap);
		if (msg == NULL) {
			msg = stackbuf;
		}
	}
	rspdk_log_default(level, file, line, func, msg);
	if (msg != stackbuf) {
		free(msg);
	}
}

void
rspdk_c_spdk_log(int level, const char *file, const int line, const char *func, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	rspdk_c_spdk_vlog(level, file, line, func, format, ap);
	va_end(ap);
}

void
rspdk_c_spdk_vflog(FILE *fp, const char *file, const int line, const char *func,
	   const char *format, va_list ap)
{
	if (fp == NULL || format == NULL) {
		return;
	}
	if (file != NULL) {
		fprintf(fp, "%s:%4d:%s: ", file, line, func != NULL ? func : "");
	}
	vfprintf(fp, format, ap);
	fflush(fp);
}

void
rspdk_c_spdk_flog(FILE *fp, const char *file, const int line, const char *func, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	rspdk_c_spdk_vflog(fp, file, line, func, format, ap);
	va_end(ap);
}

void
rspdk_log_forward(int level, const char *file, int line, const char *func, const char *msg)
{
	rspdk_c_spdk_log(level, file, line, func, "%s", msg);
}

/* ---- spdk/json.h and spdk/jsonrpc.h: formatted strings ---- */
struct spdk_json_write_ctx;
struct spdk_jsonrpc_request;
extern int spdk_json_write_string(struct spdk_json_write_ctx *w, const char *val);
extern int spdk_json_write_name(struct spdk_json_write_ctx *w, const char *name);
extern void spdk_jsonrpc_send_error_response(struct spdk_jsonrpc_request *request, int error_code,
		const char *msg);

int rspdk_c_spdk_json_write_string_fmt_v(struct spdk_json_write_ctx *w, const char *fmt,
		va_list args);
int rspdk_c_spdk_json_write_string_fmt(struct spdk_json_write_ctx *w, const char *fmt, ...)
	__attribute__((__format__(__printf__, 2, 3)));
int rspdk_c_spdk_json_write_named_string_fmt_v(struct spdk_json_write_ctx *w, const char *name,
		const char *fmt, va_list args);
int rspdk_c_spdk_json_write_named_string_fmt(struct spdk_json_write_ctx *w, const char *name,
		const char *fmt, ...) __attribute__((__format__(__printf__, 3, 4)));
void rspdk_c_spdk_jsonrpc_send_error_response_fmt(struct spdk_jsonrpc_request *request, int error_code,
		const char *fmt, ...) __attribute__((__format__(__printf__, 3, 4)));

int
rspdk_c_spdk_json_write_string_fmt_v(struct spdk_json_write_ctx *w, const char *fmt, va_list args)
{
	char *s = rspdk_c_spdk_vsprintf_alloc(fmt, args);
	int rc;

	if (s == NULL) {
		return -1;
	}
	rc = spdk_json_write_string(w, s);
	free(s);
	return rc;
}

int
rspdk_c_spdk_json_write_string_fmt(struct spdk_json_write_ctx *w, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = rspdk_c_spdk_json_write_string_fmt_v(w, fmt, ap);
	va_end(ap);
	return rc;
}

int
rspdk_c_spdk_json_write_named_string_fmt_v(struct spdk_json_write_ctx *w, const char *name,
		const char *fmt, va_list args)
{
	int rc = spdk_json_write_name(w, name);

	if (rc != 0) {
		return rc;
	}
	return rspdk_c_spdk_json_write_string_fmt_v(w, fmt, args);
}

int
rspdk_c_spdk_json_write_named_string_fmt(struct spdk_json_write_ctx *w, const char *name,
		const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = rspdk_c_spdk_json_write_named_string_fmt_v(w, name, fmt, ap);
	va_end(ap);
	return rc;
}

void
rspdk_c_spdk_jsonrpc_send_error_response_fmt(struct spdk_jsonrpc_request *request, int error_code,
		const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = rspdk_c_spdk_vsprintf_alloc(fmt, ap);
	va_end(ap);
	spdk_jsonrpc_send_error_response(request, error_code, s != NULL ? s : "");
	free(s);
}
