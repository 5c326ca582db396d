/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (C) 2026 the rspdk authors.
 *
 *   C API test of logging (spdk/log.h) and the utility headers: string
 *   helpers, CRCs, UUIDs, util.h math and macros, likely.h, queue.h and
 *   cpuset.h. None of these need the environment to be initialized.
 */
#include "rspdk.h"

#include "check.h"

SPDK_LOG_REGISTER_COMPONENT(test_flag)

/* ------------------------------------------------------------------------- */
/* Logging                                                                   */
/* ------------------------------------------------------------------------- */

static int g_log_calls;
static int g_last_level = -100;
static char g_last_msg[512];
static char g_last_file[256];
static char g_last_func[128];
static int g_last_line;

static void
capture_log(int level, const char *file, const int line, const char *func,
	    const char *format, va_list args)
{
	g_log_calls++;
	g_last_level = level;
	g_last_line = line;
	snprintf(g_last_file, sizeof(g_last_file), "%s", file ? file : "(null)");
	snprintf(g_last_func, sizeof(g_last_func), "%s", func ? func : "(null)");
	vsnprintf(g_last_msg, sizeof(g_last_msg), format, args);
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

static void
my_vlog(enum spdk_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	spdk_vlog(level, "vfile.c", 7, "vfunc", fmt, ap);
	va_end(ap);
}

static void
test_log_levels(void)
{
	enum spdk_log_level saved = spdk_log_get_level();
	enum spdk_log_level saved_print = spdk_log_get_print_level();
	int l;

	for (l = SPDK_LOG_ERROR; l <= SPDK_LOG_DEBUG; l++) {
		spdk_log_set_level((enum spdk_log_level)l);
		CHECK_EQ_I(spdk_log_get_level(), l);
		spdk_log_set_print_level((enum spdk_log_level)l);
		CHECK_EQ_I(spdk_log_get_print_level(), l);
	}
	spdk_log_set_level(SPDK_LOG_DISABLED);
	CHECK_EQ_I(spdk_log_get_level(), SPDK_LOG_DISABLED);

	spdk_log_set_level(saved);
	spdk_log_set_print_level(saved_print);
	CHECK_EQ_I(spdk_log_get_level(), saved);
	CHECK_EQ_I(spdk_log_get_print_level(), saved_print);
}

static void
test_log_callback(void)
{
	int line;

	spdk_log_set_level(SPDK_LOG_ERROR);
	spdk_log_set_print_level(SPDK_LOG_ERROR);
	spdk_log_open(capture_log);

	g_log_calls = 0;
	line = __LINE__ + 1;
	SPDK_ERRLOG("x=%d\n", 5);
	CHECK_EQ_I(g_log_calls, 1);
	CHECK_EQ_I(g_last_level, SPDK_LOG_ERROR);
	CHECK(strstr(g_last_msg, "x=5") != NULL);
	CHECK(ends_with(g_last_file, "test_log_util.c"));
	CHECK_EQ_I(g_last_line, line);
	CHECK_STREQ(g_last_func, "test_log_callback");

	SPDK_WARNLOG("warn %s\n", "w");
	CHECK_EQ_I(g_log_calls, 2);
	CHECK_EQ_I(g_last_level, SPDK_LOG_WARN);
	CHECK(strstr(g_last_msg, "warn w") != NULL);

	/*
	 * A user log function receives every message together with its level;
	 * filtering by the thresholds is left to that function (SPDK's
	 * spdk_vlog() hands the message to the callback before looking at the
	 * levels). So a NOTICE arrives, tagged as NOTICE, even at level ERROR.
	 */
	SPDK_NOTICELOG("notice %d\n", 1);
	CHECK_EQ_I(g_log_calls, 3);
	CHECK_EQ_I(g_last_level, SPDK_LOG_NOTICE);
	CHECK(strstr(g_last_msg, "notice 1") != NULL);
	CHECK(g_last_level > (int)spdk_log_get_level());

	/* spdk_log directly, and spdk_vlog. */
	spdk_log(SPDK_LOG_WARN, "some_file.c", 42, "some_func", "direct %s %d", "call", 9);
	CHECK_EQ_I(g_log_calls, 4);
	CHECK_EQ_I(g_last_level, SPDK_LOG_WARN);
	CHECK_STREQ(g_last_file, "some_file.c");
	CHECK_EQ_I(g_last_line, 42);
	CHECK_STREQ(g_last_func, "some_func");
	CHECK_STREQ(g_last_msg, "direct call 9");

	my_vlog(SPDK_LOG_ERROR, "v%s=%u", "list", 77u);
	CHECK_EQ_I(g_log_calls, 5);
	CHECK_STREQ(g_last_msg, "vlist=77");
	CHECK_STREQ(g_last_file, "vfile.c");
	CHECK_EQ_I(g_last_line, 7);

	/* A long message is not truncated on the way to the callback. */
	{
		char big[400];

		memset(big, 'q', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		SPDK_ERRLOG("%s!", big);
		CHECK_EQ_U(strlen(g_last_msg), sizeof(big));
		CHECK_EQ_I(g_last_msg[sizeof(big) - 1], '!');
	}

	/* Component flags gate SPDK_INFOLOG. */
	CHECK(spdk_log_get_flag("test_flag") == false);
	CHECK(SPDK_LOG_test_flag.enabled == false);
	g_log_calls = 0;
	SPDK_INFOLOG(test_flag, "info %d\n", 1);
	CHECK_EQ_I(g_log_calls, 0);

	CHECK_EQ_I(spdk_log_set_flag("test_flag"), 0);
	CHECK(spdk_log_get_flag("test_flag") == true);
	CHECK(SPDK_LOG_test_flag.enabled == true);
	SPDK_INFOLOG(test_flag, "info %d\n", 2);
	CHECK_EQ_I(g_log_calls, 1);
	CHECK_EQ_I(g_last_level, SPDK_LOG_INFO);
	CHECK(strstr(g_last_msg, "info 2") != NULL);

	CHECK_EQ_I(spdk_log_clear_flag("test_flag"), 0);
	CHECK(spdk_log_get_flag("test_flag") == false);
	SPDK_INFOLOG(test_flag, "info %d\n", 3);
	CHECK_EQ_I(g_log_calls, 1);

	/* Glob patterns (fnmatch) select flags too. */
	CHECK_EQ_I(spdk_log_set_flag("test_fl*"), 0);
	CHECK(spdk_log_get_flag("test_flag") == true);
	CHECK_EQ_I(spdk_log_clear_flag("test_fl*"), 0);
	CHECK(spdk_log_get_flag("test_flag") == false);

	CHECK(spdk_log_set_flag("no_such_flag") < 0);
	CHECK(spdk_log_clear_flag("no_such_flag") < 0);
	CHECK(spdk_log_get_flag("no_such_flag") == false);

	/* The registered flag is listed. */
	{
		struct spdk_log_flag *f;
		int found = 0;

		for (f = spdk_log_get_first_flag(); f != NULL; f = spdk_log_get_next_flag(f)) {
			if (f == &SPDK_LOG_test_flag && strcmp(f->name, "test_flag") == 0) {
				found++;
			}
		}
		CHECK_EQ_I(found, 1);
	}

	/* After close the callback is no longer called. */
	spdk_log_close();
	g_log_calls = 0;
	spdk_log_set_level(SPDK_LOG_DISABLED);
	spdk_log_set_print_level(SPDK_LOG_DISABLED);
	SPDK_ERRLOG("after close\n");
	CHECK_EQ_I(g_log_calls, 0);
}

/* Run fn with stderr redirected to a temporary file; return what was written. */
static void
capture_stderr(void (*fn)(void), char *out, size_t out_len)
{
	FILE *tmp = tmpfile();
	int saved;
	size_t n;

	out[0] = '\0';
	if (!CHECK(tmp != NULL)) {
		return;
	}
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fileno(tmp), STDERR_FILENO);
	fn();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, out_len - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
}

static void
emit_three(void)
{
	SPDK_ERRLOG("shown-error\n");
	SPDK_WARNLOG("hidden-warning\n");
	SPDK_NOTICELOG("hidden-notice\n");
}

static void
emit_error(void)
{
	SPDK_ERRLOG("disabled-error\n");
}

static void
test_log_default_sink(void)
{
	char out[4096];

	/* Default sink: the print level decides what reaches stderr. */
	spdk_log_open(NULL);
	spdk_log_set_level(SPDK_LOG_DISABLED); /* keep syslog out of it */
	spdk_log_set_print_level(SPDK_LOG_ERROR);
	capture_stderr(emit_three, out, sizeof(out));
	CHECK(strstr(out, "shown-error") != NULL);
	CHECK(strstr(out, "hidden-warning") == NULL);
	CHECK(strstr(out, "hidden-notice") == NULL);

	spdk_log_set_print_level(SPDK_LOG_DISABLED);
	capture_stderr(emit_error, out, sizeof(out));
	CHECK(strstr(out, "disabled-error") == NULL);

	spdk_log_set_print_level(SPDK_LOG_NOTICE);
	capture_stderr(emit_three, out, sizeof(out));
	CHECK(strstr(out, "shown-error") != NULL);
	CHECK(strstr(out, "hidden-warning") != NULL);
	CHECK(strstr(out, "hidden-notice") != NULL);

	spdk_log_set_print_level(SPDK_LOG_ERROR);
	spdk_log_close();
}

/* ------------------------------------------------------------------------- */
/* Strings                                                                   */
/* ------------------------------------------------------------------------- */

static void
test_strings(void)
{
	char buf[64];
	char *s, *s2;
	char *big_in;

	CHECK_STREQ(spdk_strerror(ENOMEM), "Cannot allocate memory");
	CHECK_STREQ(spdk_strerror(ENOENT), "No such file or directory");
	spdk_strerror_r(EINVAL, buf, sizeof(buf));
	CHECK_STREQ(buf, "Invalid argument");

	CHECK_EQ_I(spdk_strtol("123", 10), 123);
	CHECK_EQ_I(spdk_strtol("0", 10), 0);
	CHECK_EQ_I(spdk_strtol("ff", 16), 255);
	CHECK_EQ_I(spdk_strtol("0x10", 0), 16);
	CHECK_EQ_I(spdk_strtol("-5", 10), -ERANGE);
	CHECK_EQ_I(spdk_strtol("abc", 10), -EINVAL);
	CHECK_EQ_I(spdk_strtol("12abc", 10), -EINVAL);
	CHECK_EQ_I(spdk_strtol("99999999999999999999999", 10), -ERANGE);

	CHECK_EQ_I(spdk_strtoll("9000000000", 10), 9000000000LL);
	CHECK_EQ_I(spdk_strtoll("-1", 10), -ERANGE);
	CHECK_EQ_I(spdk_strtoll("x", 10), -EINVAL);
	CHECK_EQ_I(spdk_strtoll("999999999999999999999999999", 10), -ERANGE);

	s = spdk_sprintf_alloc("%s-%d", "a", 3);
	CHECK_STREQ(s, "a-3");
	free(s);

	/* Growth beyond any small initial buffer. */
	big_in = malloc(5001);
	if (CHECK(big_in != NULL)) {
		memset(big_in, 'z', 5000);
		big_in[5000] = '\0';
		s = spdk_sprintf_alloc("<%s>", big_in);
		if (CHECK(s != NULL)) {
			CHECK_EQ_U(strlen(s), 5002);
			CHECK_EQ_I(s[0], '<');
			CHECK_EQ_I(s[5001], '>');
			CHECK_EQ_I(s[2500], 'z');
			free(s);
		}
		free(big_in);
	}

	s = spdk_sprintf_append_realloc(NULL, "ab");
	CHECK_STREQ(s, "ab");
	s2 = spdk_sprintf_append_realloc(s, "%d-%s", 5, "c");
	if (CHECK(s2 != NULL)) {
		CHECK_STREQ(s2, "ab5-c");
		free(s2);
	} else {
		free(s);
	}

	snprintf(buf, sizeof(buf), "  \t hello world \t\n ");
	s = spdk_str_trim(buf);
	CHECK(s == buf);
	CHECK_STREQ(buf, "hello world");
	snprintf(buf, sizeof(buf), "nothing");
	CHECK_STREQ(spdk_str_trim(buf), "nothing");
	snprintf(buf, sizeof(buf), "   ");
	CHECK_STREQ(spdk_str_trim(buf), "");
	buf[0] = '\0';
	CHECK_STREQ(spdk_str_trim(buf), "");
}

/* ------------------------------------------------------------------------- */
/* CRC                                                                       */
/* ------------------------------------------------------------------------- */

/* Bit-at-a-time reference implementations, independent of the library. */
static uint32_t
ref_crc32_reflected(uint32_t poly, uint32_t crc, const uint8_t *p, size_t len)
{
	size_t i;
	int b;

	for (i = 0; i < len; i++) {
		crc ^= p[i];
		for (b = 0; b < 8; b++) {
			crc = (crc >> 1) ^ ((crc & 1u) ? poly : 0u);
		}
	}
	return crc;
}

static uint16_t
ref_crc16_t10dif(uint16_t crc, const uint8_t *p, size_t len)
{
	size_t i;
	int b;

	for (i = 0; i < len; i++) {
		crc ^= (uint16_t)(p[i] << 8);
		for (b = 0; b < 8; b++) {
			crc = (uint16_t)((crc & 0x8000u) ? (((uint32_t)crc << 1) ^ 0x8bb7u) : ((uint32_t)crc << 1));
		}
	}
	return crc;
}

static void
test_crc(void)
{
	const char *check = "123456789";
	uint8_t zeros[32], ones[32], data[1200];
	uint32_t crc, lcg = 12345;
	size_t i, off, len;
	int mismatches = 0;

	/* Standard check values. */
	CHECK_EQ_U(spdk_crc32c_update(check, 9, ~0u) ^ ~0u, 0xE3069283u);
	CHECK_EQ_U(spdk_crc32_ieee_update(check, 9, ~0u) ^ ~0u, 0xCBF43926u);
	CHECK_EQ_U(spdk_crc16_t10dif(0, check, 9), 0xD0DBu);

	/* Chaining. */
	crc = spdk_crc32c_update(check, 4, ~0u);
	crc = spdk_crc32c_update(check + 4, 5, crc);
	CHECK_EQ_U(crc ^ ~0u, 0xE3069283u);
	crc = spdk_crc32_ieee_update(check, 3, ~0u);
	crc = spdk_crc32_ieee_update(check + 3, 6, crc);
	CHECK_EQ_U(crc ^ ~0u, 0xCBF43926u);
	CHECK_EQ_U(spdk_crc16_t10dif(spdk_crc16_t10dif(0, check, 4), check + 4, 5), 0xD0DBu);

	/* RFC 3720 (iSCSI) CRC32C vectors. */
	memset(zeros, 0, sizeof(zeros));
	memset(ones, 0xff, sizeof(ones));
	CHECK_EQ_U(spdk_crc32c_update(zeros, 32, ~0u) ^ ~0u, 0x8A9136AAu);
	CHECK_EQ_U(spdk_crc32c_update(ones, 32, ~0u) ^ ~0u, 0x62A8AB43u);

	/* Zero length leaves the value alone. */
	CHECK_EQ_U(spdk_crc32c_update(check, 0, 0x12345678u), 0x12345678u);
	CHECK_EQ_U(spdk_crc32_ieee_update(check, 0, 0x12345678u), 0x12345678u);
	CHECK_EQ_U(spdk_crc16_t10dif(0x1234, check, 0), 0x1234u);

	/* Many lengths and misalignments against the reference code. */
	for (i = 0; i < sizeof(data); i++) {
		lcg = lcg * 1103515245u + 12345u;
		data[i] = (uint8_t)(lcg >> 16);
	}
	for (off = 0; off < 8; off++) {
		for (len = 0; len + off <= sizeof(data); len += (len < 80 ? 1 : 97)) {
			if (spdk_crc32c_update(data + off, len, 0xa5a5a5a5u) !=
			    ref_crc32_reflected(0x82F63B78u, 0xa5a5a5a5u, data + off, len)) {
				mismatches++;
			}
			if (spdk_crc32_ieee_update(data + off, len, 0x5a5a5a5au) !=
			    ref_crc32_reflected(0xEDB88320u, 0x5a5a5a5au, data + off, len)) {
				mismatches++;
			}
			if (spdk_crc16_t10dif(0x1d0f, data + off, len) !=
			    ref_crc16_t10dif(0x1d0f, data + off, len)) {
				mismatches++;
			}
		}
	}
	CHECK_EQ_I(mismatches, 0);
}

/* ------------------------------------------------------------------------- */
/* util.h, likely.h                                                          */
/* ------------------------------------------------------------------------- */

struct outer {
	int a;
	double b;
	struct {
		char c[3];
	} inner;
	long tail;
};

static void
test_util(void)
{
	struct outer o;
	int arr[7];
	volatile int one = 1, zero = 0;

	CHECK_EQ_U(spdk_u32log2(1), 0);
	CHECK_EQ_U(spdk_u32log2(2), 1);
	CHECK_EQ_U(spdk_u32log2(4096), 12);
	CHECK_EQ_U(spdk_u32log2(4097), 12);
	CHECK_EQ_U(spdk_u32log2(0xffffffffu), 31);
	CHECK_EQ_U(spdk_u64log2(1ULL << 40), 40);
	CHECK_EQ_U(spdk_u64log2(UINT64_MAX), 63);
	CHECK_EQ_U(spdk_align32pow2(5), 8);
	CHECK_EQ_U(spdk_align32pow2(8), 8);
	CHECK_EQ_U(spdk_align32pow2(1000), 1024);
	CHECK_EQ_U(spdk_align64pow2((1ULL << 33) + 1), 1ULL << 34);
	CHECK(spdk_u32_is_pow2(4096));
	CHECK(!spdk_u32_is_pow2(4095));
	CHECK(!spdk_u32_is_pow2(0));
	CHECK_EQ_U(spdk_divide_round_up(10, 3), 4);
	CHECK_EQ_U(spdk_divide_round_up(9, 3), 3);

	CHECK_EQ_U(SPDK_COUNTOF(arr), 7);
	CHECK_EQ_I(spdk_min(3, -4), -4);
	CHECK_EQ_I(spdk_max(3, -4), 3);
	CHECK_EQ_U(SPDK_CEIL_DIV(10, 4), 3);
	CHECK_EQ_U(SPDK_ALIGN_CEIL(4097u, 4096u), 8192u);
	CHECK_EQ_U(SPDK_ALIGN_FLOOR(4097u, 4096u), 4096u);

	CHECK(SPDK_CONTAINEROF(&o.inner, struct outer, inner) == &o);
	CHECK(SPDK_CONTAINEROF(&o.tail, struct outer, tail) == &o);
	CHECK(SPDK_CONTAINEROF(&o.a, struct outer, a) == &o);

	CHECK(spdk_likely(one == 1));
	CHECK(!spdk_likely(zero == 1));
	CHECK(spdk_unlikely(zero == 0));
	CHECK(!spdk_unlikely(one == 0));
	CHECK_EQ_I(spdk_likely(7), 1); /* normalised to 0/1 */
}

/* ------------------------------------------------------------------------- */
/* UUID                                                                      */
/* ------------------------------------------------------------------------- */

static void
test_uuid(void)
{
	const char *text = "12345678-9abc-def0-1122-334455667788";
	const uint8_t bytes[16] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
				    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88
				  };
	struct spdk_uuid u, v, w, zero;
	char str[SPDK_UUID_STRING_LEN];
	char small[10];

	CHECK_EQ_U(sizeof(struct spdk_uuid), 16);
	CHECK_EQ_U(SPDK_UUID_STRING_LEN, 37);

	memset(&u, 0, sizeof(u));
	CHECK_EQ_I(spdk_uuid_parse(&u, text), 0);
	CHECK(memcmp(u.u.raw, bytes, 16) == 0);
	CHECK_EQ_I(spdk_uuid_fmt_lower(str, sizeof(str), &u), 0);
	CHECK_STREQ(str, text);

	/* Upper case input, lower case output. */
	CHECK_EQ_I(spdk_uuid_parse(&v, "12345678-9ABC-DEF0-1122-334455667788"), 0);
	CHECK_EQ_I(spdk_uuid_compare(&u, &v), 0);
	CHECK_EQ_I(spdk_uuid_fmt_lower(str, sizeof(str), &v), 0);
	CHECK_STREQ(str, text);

	/* Invalid text. */
	CHECK(spdk_uuid_parse(&w, "not-a-uuid") < 0);
	CHECK(spdk_uuid_parse(&w, "12345678-9abc-def0-1122-33445566778") < 0);
	CHECK(spdk_uuid_parse(&w, "12345678-9abc-def0-1122-33445566778g") < 0);
	CHECK(spdk_uuid_fmt_lower(small, sizeof(small), &u) < 0);

	/* Ordering is bytewise. */
	v = u;
	v.u.raw[15] = 0x89;
	CHECK(spdk_uuid_compare(&u, &v) < 0);
	CHECK(spdk_uuid_compare(&v, &u) > 0);
	v = u;
	v.u.raw[0] = 0x11;
	CHECK(spdk_uuid_compare(&u, &v) > 0);

	/* Copy, null. */
	memset(&w, 0xaa, sizeof(w));
	spdk_uuid_copy(&w, &u);
	CHECK(memcmp(&w, &u, sizeof(w)) == 0);
	memset(&zero, 0, sizeof(zero));
	CHECK(spdk_uuid_is_null(&zero));
	CHECK(!spdk_uuid_is_null(&u));
	spdk_uuid_set_null(&w);
	CHECK(spdk_uuid_is_null(&w));

	/* Generation: random (version 4, RFC 4122 variant), and different each time. */
	spdk_uuid_generate(&v);
	spdk_uuid_generate(&w);
	CHECK(spdk_uuid_compare(&v, &w) != 0);
	CHECK(!spdk_uuid_is_null(&v));
	CHECK_EQ_U(v.u.raw[6] >> 4, 4);
	CHECK_EQ_U(w.u.raw[6] >> 4, 4);
	CHECK_EQ_U(v.u.raw[8] & 0xc0, 0x80);
	CHECK_EQ_U(w.u.raw[8] & 0xc0, 0x80);
	CHECK_EQ_I(spdk_uuid_fmt_lower(str, sizeof(str), &v), 0);
	CHECK_EQ_U(strlen(str), 36);
	CHECK_EQ_I(spdk_uuid_parse(&u, str), 0);
	CHECK_EQ_I(spdk_uuid_compare(&u, &v), 0);
}

/* ------------------------------------------------------------------------- */
/* queue.h                                                                   */
/* ------------------------------------------------------------------------- */

struct tq_node {
	int value;
	TAILQ_ENTRY(tq_node) link;
};
TAILQ_HEAD(tq_head, tq_node);

struct stq_node {
	int value;
	STAILQ_ENTRY(stq_node) link;
};
STAILQ_HEAD(stq_head, stq_node);

static void
test_queues(void)
{
	struct tq_head tq;
	struct stq_head stq;
	struct tq_node tn[6], *t, *tmp;
	struct stq_node sn[6], *s, *stmp;
	int expect[6] = { 0 }, n, i;
	bool ok;

	TAILQ_INIT(&tq);
	CHECK(TAILQ_EMPTY(&tq));
	for (i = 0; i < 6; i++) {
		tn[i].value = i;
		if (i == 0) {
			TAILQ_INSERT_HEAD(&tq, &tn[i], link);
		} else {
			TAILQ_INSERT_TAIL(&tq, &tn[i], link);
		}
	}
	CHECK(!TAILQ_EMPTY(&tq));
	CHECK(TAILQ_FIRST(&tq) == &tn[0]);
	CHECK(TAILQ_LAST(&tq, tq_head) == &tn[5]);
	CHECK(TAILQ_NEXT(&tn[2], link) == &tn[3]);
	CHECK(TAILQ_PREV(&tn[2], tq_head, link) == &tn[1]);

	/* Remove the even values while iterating. */
	TAILQ_FOREACH_SAFE(t, &tq, link, tmp) {
		if (t->value % 2 == 0) {
			TAILQ_REMOVE(&tq, t, link);
		}
	}
	n = 0;
	ok = true;
	TAILQ_FOREACH(t, &tq, link) {
		if (n < 6) {
			expect[n] = t->value;
		}
		n++;
	}
	CHECK_EQ_I(n, 3);
	if (n == 3) {
		ok = expect[0] == 1 && expect[1] == 3 && expect[2] == 5;
	}
	CHECK(ok);
	TAILQ_INSERT_AFTER(&tq, &tn[1], &tn[2], link);
	CHECK(TAILQ_NEXT(&tn[1], link) == &tn[2]);
	TAILQ_INSERT_BEFORE(&tn[1], &tn[0], link);
	CHECK(TAILQ_FIRST(&tq) == &tn[0]);
	n = 0;
	TAILQ_FOREACH_REVERSE(t, &tq, tq_head, link) {
		n++;
	}
	CHECK_EQ_I(n, 5);
	TAILQ_FOREACH_SAFE(t, &tq, link, tmp) {
		TAILQ_REMOVE(&tq, t, link);
	}
	CHECK(TAILQ_EMPTY(&tq));

	STAILQ_INIT(&stq);
	CHECK(STAILQ_EMPTY(&stq));
	for (i = 0; i < 6; i++) {
		sn[i].value = i * 10;
		STAILQ_INSERT_TAIL(&stq, &sn[i], link);
	}
	CHECK(STAILQ_FIRST(&stq) == &sn[0]);
	STAILQ_REMOVE_HEAD(&stq, link);
	CHECK(STAILQ_FIRST(&stq) == &sn[1]);
	STAILQ_INSERT_HEAD(&stq, &sn[0], link);
	STAILQ_FOREACH_SAFE(s, &stq, link, stmp) {
		if (s->value == 30) {
			STAILQ_REMOVE(&stq, s, stq_node, link);
		}
	}
	n = 0;
	ok = true;
	STAILQ_FOREACH(s, &stq, link) {
		if (s->value == 30) {
			ok = false;
		}
		n++;
	}
	CHECK_EQ_I(n, 5);
	CHECK(ok);
	CHECK(STAILQ_NEXT(&sn[2], link) == &sn[4]);
}

/* ------------------------------------------------------------------------- */
/* cpuset.h                                                                  */
/* ------------------------------------------------------------------------- */

static void
test_cpuset(void)
{
	struct spdk_cpuset *a, *b;

	a = spdk_cpuset_alloc();
	b = spdk_cpuset_alloc();
	if (!CHECK(a != NULL && b != NULL)) {
		spdk_cpuset_free(a);
		spdk_cpuset_free(b);
		return;
	}
	CHECK_EQ_U(spdk_cpuset_count(a), 0);

	spdk_cpuset_set_cpu(a, 3, true);
	CHECK(spdk_cpuset_get_cpu(a, 3));
	CHECK(!spdk_cpuset_get_cpu(a, 2));
	CHECK_EQ_U(spdk_cpuset_count(a), 1);
	spdk_cpuset_set_cpu(a, 3, false);
	CHECK(!spdk_cpuset_get_cpu(a, 3));
	CHECK_EQ_U(spdk_cpuset_count(a), 0);

	CHECK_EQ_I(spdk_cpuset_parse(a, "0x5"), 0);
	CHECK(spdk_cpuset_get_cpu(a, 0));
	CHECK(!spdk_cpuset_get_cpu(a, 1));
	CHECK(spdk_cpuset_get_cpu(a, 2));
	CHECK_EQ_U(spdk_cpuset_count(a), 2);
	CHECK_STREQ(spdk_cpuset_fmt(a), "5");

	CHECK_EQ_I(spdk_cpuset_parse(b, "[0-3,8]"), 0);
	CHECK_EQ_U(spdk_cpuset_count(b), 5);
	CHECK(spdk_cpuset_get_cpu(b, 8));
	CHECK(!spdk_cpuset_get_cpu(b, 4));
	CHECK_STREQ(spdk_cpuset_fmt(b), "10f");

	spdk_cpuset_set_cpu(b, 1000, true);
	CHECK(spdk_cpuset_get_cpu(b, 1000));
	CHECK_EQ_U(spdk_cpuset_count(b), 6);

	CHECK(spdk_cpuset_parse(b, "0xzz") != 0);

	spdk_cpuset_copy(b, a);
	CHECK(spdk_cpuset_equal(a, b));
	spdk_cpuset_set_cpu(b, 7, true);
	CHECK(!spdk_cpuset_equal(a, b));
	spdk_cpuset_and(b, a);
	CHECK(spdk_cpuset_equal(a, b));
	spdk_cpuset_zero(b);
	CHECK_EQ_U(spdk_cpuset_count(b), 0);
	spdk_cpuset_set_cpu(b, 9, true);
	spdk_cpuset_or(b, a);
	CHECK_EQ_U(spdk_cpuset_count(b), 3);
	CHECK_STREQ(spdk_cpuset_fmt(b), "205");

	spdk_cpuset_free(a);
	spdk_cpuset_free(b);
}

int
main(void)
{
	test_log_levels();
	test_log_callback();
	test_log_default_sink();
	test_strings();
	test_crc();
	test_util();
	test_uuid();
	test_queues();
	test_cpuset();
	return CHECK_DONE("log_util");
}
