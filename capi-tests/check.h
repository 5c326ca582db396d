/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (C) 2026 the rspdk authors.
 *
 *   Minimal assertion helper for the rspdk C API tests.
 *
 *   CHECK(cond)        records one pass or one failure; a failure prints
 *                      "file:line: CHECK failed: cond" on stderr. It evaluates
 *                      to non-zero when cond held, so it can guard code:
 *                      if (!CHECK(p != NULL)) return;
 *   CHECK_EQ_U(a, b)   like CHECK(a == b) for unsigned integers, printing both
 *   CHECK_EQ_I(a, b)   like CHECK(a == b) for signed integers, printing both
 *   CHECK_STREQ(a, b)  string equality (NULL never equals anything)
 *   CHECK_DONE(name)   prints exactly one line "name: N passed, N failed" on
 *                      stdout and evaluates to the process exit code (0 only
 *                      when nothing failed): return CHECK_DONE("env");
 *
 *   The counters are updated atomically, so CHECK may be used from any thread.
 */
#ifndef RSPDK_CAPI_TESTS_CHECK_H
#define RSPDK_CAPI_TESTS_CHECK_H

#include <stdio.h>
#include <string.h>

static unsigned long check_passed_count_;
static unsigned long check_failed_count_;

static inline int
check_count_(int ok)
{
	if (ok) {
		__atomic_add_fetch(&check_passed_count_, 1, __ATOMIC_RELAXED);
	} else {
		__atomic_add_fetch(&check_failed_count_, 1, __ATOMIC_RELAXED);
		fflush(stderr);
	}
	return ok;
}

static inline int
check_record_(int ok, const char *expr, const char *file, int line)
{
	if (!ok) {
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, expr);
	}
	return check_count_(ok);
}

static inline int
check_record_u_(unsigned long long a, unsigned long long b, const char *ea, const char *eb,
		const char *file, int line)
{
	if (a == b) {
		return check_count_(1);
	}
	fprintf(stderr, "%s:%d: CHECK failed: %s == %s (0x%llx / %llu != 0x%llx / %llu)\n",
		file, line, ea, eb, a, a, b, b);
	return check_count_(0);
}

static inline int
check_record_i_(long long a, long long b, const char *ea, const char *eb,
		const char *file, int line)
{
	if (a == b) {
		return check_count_(1);
	}
	fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld != %lld)\n", file, line, ea, eb, a, b);
	return check_count_(0);
}

static inline int
check_record_str_(const char *a, const char *b, const char *ea, const char *eb,
		  const char *file, int line)
{
	if (a != NULL && b != NULL && strcmp(a, b) == 0) {
		return check_count_(1);
	}
	fprintf(stderr, "%s:%d: CHECK failed: %s equals %s (\"%s\" vs \"%s\")\n", file, line, ea, eb,
		a ? a : "(null)", b ? b : "(null)");
	return check_count_(0);
}

static inline int
check_done_(const char *name)
{
	unsigned long passed = __atomic_load_n(&check_passed_count_, __ATOMIC_SEQ_CST);
	unsigned long failed = __atomic_load_n(&check_failed_count_, __ATOMIC_SEQ_CST);

	fflush(stderr);
	printf("%s: %lu passed, %lu failed\n", name, passed, failed);
	fflush(stdout);
	return failed == 0 ? 0 : 1;
}

#define CHECK(cond) check_record_(!!(cond), #cond, __FILE__, __LINE__)
#define CHECK_EQ_U(a, b) \
	check_record_u_((unsigned long long)(a), (unsigned long long)(b), #a, #b, __FILE__, __LINE__)
#define CHECK_EQ_I(a, b) \
	check_record_i_((long long)(a), (long long)(b), #a, #b, __FILE__, __LINE__)
#define CHECK_STREQ(a, b) check_record_str_((a), (b), #a, #b, __FILE__, __LINE__)
#define CHECK_DONE(name) check_done_(name)

#endif /* RSPDK_CAPI_TESTS_CHECK_H */
