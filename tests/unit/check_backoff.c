/*
 * check_backoff.c: backoff_nominal and backoff_delay, table-driven, with a
 * scripted random source so every jittered delay is exact; the Cloud
 * Tasks schedule and stop rule (backoff_ct, backoff_ct_next); Retry-After
 * (retry_after_parse); and, since they decide what a retried dispatch
 * says, the pure header builder of dispatch.c (dispatch_headers).
 */
#include <check.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "dispatch.h"
#include "task.h"
#include "util.h"

#define S	1000ULL
#define M	(60 * S)

/* A scripted rnd(): hands out vals in turn and counts the calls. */
#include "rnd.h"

static const struct {
	const char	*label;
	int		 n;
	uint64_t	 min, max;
	uint64_t	 want;
} nominal_rows[] = {
	{ "first retry is min", 1, S, 10 * M, S },
	{ "second doubles", 2, S, 10 * M, 2 * S },
	{ "third", 3, S, 10 * M, 4 * S },
	{ "tenth", 10, S, 10 * M, 512 * S },
	{ "eleventh capped", 11, S, 10 * M, 10 * M },
	{ "n = 0 counts as 1", 0, S, 10 * M, S },
	{ "negative n counts as 1", -5, S, 10 * M, S },
	{ "INT_MIN counts as 1", INT_MIN, 250, 10 * M, 250 },
	{ "INT_MAX capped", INT_MAX, S, 10 * M, 10 * M },
	{ "shift of 63", 64, 1, UINT64_MAX, 1ULL << 63 },
	{ "shift of 64 capped", 65, 1, UINT64_MAX, UINT64_MAX },
	{ "shift past 64 capped", 1000, 1, UINT64_MAX, UINT64_MAX },
	{ "doubling would overflow", 40, S, UINT64_MAX, S << 39 },
	{ "doubling overflows 64 bits", 60, 3 * S, UINT64_MAX, UINT64_MAX },
	{ "odd min", 6, 3, 100, 96 },
	{ "odd min capped", 7, 3, 100, 100 },
	{ "exactly max", 4, 125, 1000, 1000 },
	{ "min equals max", 5, 7 * S, 7 * S, 7 * S },
	{ "min above max", 1, 20 * M, 10 * M, 10 * M },
	{ "min 0", 9, 0, 10 * M, 0 },
	{ "max 0", 3, S, 0, 0 },
};

START_TEST(test_nominal)
{
	uint64_t	got;

	got = backoff_nominal(nominal_rows[_i].n, nominal_rows[_i].min,
	    nominal_rows[_i].max);
	ck_assert_msg(got == nominal_rows[_i].want, "%s: got %llu, want %llu",
	    nominal_rows[_i].label, (unsigned long long)got,
	    (unsigned long long)nominal_rows[_i].want);
}
END_TEST

static const struct {
	const char	*label;
	int		 n;
	uint64_t	 min, max;
	uint32_t	 rnd[2];
	size_t		 ncalls;	/* rnd() calls expected */
	uint64_t	 want;
} delay_rows[] = {
	{ "rnd 0 gives half", 1, S, 10 * M, { 0 }, 1, 500 },
	{ "rnd half gives all", 1, S, 10 * M, { 500 }, 1, S },
	{ "wraps at half + 1", 1, S, 10 * M, { 501 }, 1, 500 },
	{ "in between", 2, S, 10 * M, { 250 }, 1, 1250 },
	{ "UINT32_MAX", 1, S, 10 * M, { UINT32_MAX }, 1, 500 + 6 },
	{ "capped nominal", 30, S, 10 * M, { 300000 }, 1, 10 * M },
	{ "odd nominal low", 1, 3, 10, { 0 }, 1, 1 },
	{ "odd nominal high", 1, 3, 10, { 1 }, 1, 2 },
	{ "odd nominal wraps", 1, 3, 10, { 2 }, 1, 1 },
	{ "nominal 1 gives 0", 1, 1, 1, { 12345 }, 1, 0 },
	{ "nominal 0 gives 0", 1, 0, 0, { 7 }, 1, 0 },
	{ "n = 0 as 1", 0, 2 * S, 10 * M, { 0 }, 1, S },
	/* half + 1 > 2^32: two draws make one 64-bit number. */
	{ "64-bit draw, high word", 1, 1ULL << 40, 1ULL << 40, { 1, 0 }, 2,
	    (1ULL << 39) + (1ULL << 32) },
	{ "64-bit draw, low word", 1, 1ULL << 40, 1ULL << 40, { 0, 5 }, 2,
	    (1ULL << 39) + 5 },
	{ "half + 1 = 2^32 fits one draw", 1, 2 * (uint64_t)UINT32_MAX,
	    2 * (uint64_t)UINT32_MAX, { UINT32_MAX }, 1,
	    (uint64_t)UINT32_MAX + UINT32_MAX },
};

START_TEST(test_delay)
{
	struct script	s = { delay_rows[_i].rnd, delay_rows[_i].ncalls,
			    0 };
	uint64_t	got;

	got = backoff_delay(delay_rows[_i].n, delay_rows[_i].min,
	    delay_rows[_i].max, script_rnd, &s);
	ck_assert_msg(got == delay_rows[_i].want, "%s: got %llu, want %llu",
	    delay_rows[_i].label, (unsigned long long)got,
	    (unsigned long long)delay_rows[_i].want);
	ck_assert_msg(s.calls == delay_rows[_i].ncalls, "%s: %zu rnd calls",
	    delay_rows[_i].label, s.calls);
}
END_TEST

START_TEST(test_delay_no_rnd)
{
	ck_assert_uint_eq(backoff_delay(3, S, 10 * M, NULL, NULL), 4 * S);
	ck_assert_uint_eq(backoff_delay(1, 3, 10, NULL, NULL), 3);
}
END_TEST

/* Any random value: within [nominal / 2, nominal], never above max. */
START_TEST(test_delay_bounds)
{
	static const uint64_t	mins[] = { 0, 1, 3, 100, S, 7 * S,
				    1ULL << 33 };
	static const uint64_t	maxs[] = { 1, 10, S, 10 * M, 1ULL << 36,
				    UINT64_MAX };
	uint32_t		x = 2463534242U;
	uint64_t		nom, d;
	size_t			i, j;
	int			n, k;

	for (i = 0; i < TD_NELEM(mins); i++)
		for (j = 0; j < TD_NELEM(maxs); j++)
			for (n = -1; n < 70; n++)
				for (k = 0; k < 20; k++) {
					nom = backoff_nominal(n, mins[i],
					    maxs[j]);
					d = backoff_delay(n, mins[i], maxs[j],
					    util_xorshift32, &x);
					/*
					 * A Check assertion per value costs a
					 * message to the parent: check all
					 * three, assert only on a miss.
					 */
					if (d > nom || d < nom / 2 ||
					    d > maxs[j])
						ck_abort_msg("n=%d min=%llu "
						    "max=%llu: %llu not in "
						    "[%llu, %llu]", n,
						    (unsigned long long)mins[i],
						    (unsigned long long)maxs[j],
						    (unsigned long long)d,
						    (unsigned long long)nom / 2,
						    (unsigned long long)TD_MIN(
						    nom, maxs[j]));
				}
}
END_TEST

/* The nominal delay never shrinks as n grows. */
START_TEST(test_nominal_monotonic)
{
	uint64_t	prev = 0, cur;
	int		n;

	for (n = 1; n < 200; n++) {
		cur = backoff_nominal(n, 3, 10 * M);
		ck_assert_uint_ge(cur, prev);
		prev = cur;
	}
	ck_assert_uint_eq(prev, 10 * M);
}
END_TEST

/* The jitter actually spreads: both halves of the range are reached. */
START_TEST(test_delay_spreads)
{
	uint32_t	x = 88172645U;
	uint64_t	d, lo = UINT64_MAX, hi = 0;
	int		k;

	for (k = 0; k < 10000; k++) {
		d = backoff_delay(1, 10 * S, 10 * M, util_xorshift32, &x);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	ck_assert_uint_lt(lo, 5 * S + 100);
	ck_assert_uint_gt(hi, 10 * S - 100);
}
END_TEST

/* Cloud Tasks' schedule. */
static const struct {
	const char	*label;
	int		 k, d;
	uint64_t	 min, max;
	uint64_t	 want;
} ct_rows[] = {
	/* Google's example: m = 10 s, M = 300 s, d = 3. */
	{ "google k=1", 1, 3, 10 * S, 300 * S, 10 * S },
	{ "google k=2", 2, 3, 10 * S, 300 * S, 20 * S },
	{ "google k=3", 3, 3, 10 * S, 300 * S, 40 * S },
	{ "google k=4", 4, 3, 10 * S, 300 * S, 80 * S },
	{ "google k=5 linear", 5, 3, 10 * S, 300 * S, 160 * S },
	{ "google k=6 linear", 6, 3, 10 * S, 300 * S, 240 * S },
	{ "google k=7 capped", 7, 3, 10 * S, 300 * S, 300 * S },
	{ "google k=8 capped", 8, 3, 10 * S, 300 * S, 300 * S },
	{ "d = 0: linear at once", 1, 0, 200, 10 * S, 200 },
	{ "d = 0: k=2", 2, 0, 200, 10 * S, 400 },
	{ "d = 0: k=5", 5, 0, 200, 10 * S, 1000 },
	{ "d = 1: k=2 doubles", 2, 1, 200, 1000, 400 },
	{ "d = 1: k=3 linear", 3, 1, 200, 1000, 800 },
	{ "d = 1: k=4 capped", 4, 1, 200, 1000, 1000 },
	{ "negative d as 0", 3, -4, 100, 10 * S, 300 },
	{ "k = 0 as 1", 0, 3, 100, 10 * S, 100 },
	{ "negative k as 1", -7, 3, 100, 10 * S, 100 },
	{ "INT_MIN k as 1", INT_MIN, 3, 100, 10 * S, 100 },
	{ "INT_MAX k capped", INT_MAX, 16, 100, 3600 * S, 3600 * S },
	{ "INT_MAX k, d INT_MAX", INT_MAX, INT_MAX, 1, UINT64_MAX,
	    UINT64_MAX },
	{ "shift 63", 64, 100, 1, UINT64_MAX, 1ULL << 63 },
	{ "shift 64 capped", 65, 100, 1, UINT64_MAX, UINT64_MAX },
	{ "linear overflows", 1000000, 62, 3, UINT64_MAX, UINT64_MAX },
	{ "linear no overflow", 10, 2, 1ULL << 50, UINT64_MAX,
	    (1ULL << 52) * 8 },
	{ "defaults k=1", 1, 16, 100, 3600 * S, 100 },
	{ "defaults k=17", 17, 16, 100, 3600 * S, 3600 * S },
	{ "min equals max", 4, 3, 7 * S, 7 * S, 7 * S },
	{ "min above max", 1, 3, 20 * S, 10 * S, 10 * S },
	{ "min 0", 9, 3, 0, 10 * S, 0 },
	{ "max 0", 2, 3, S, 0, 0 },
};

START_TEST(test_ct)
{
	uint64_t	got;

	got = backoff_ct(ct_rows[_i].k, ct_rows[_i].min, ct_rows[_i].max,
	    ct_rows[_i].d);
	ck_assert_msg(got == ct_rows[_i].want, "%s: got %llu, want %llu",
	    ct_rows[_i].label, (unsigned long long)got,
	    (unsigned long long)ct_rows[_i].want);
}
END_TEST

/* Never shrinks as k grows, whatever d, and reaches max (linear growth
 * from 3 ms takes 200000 retries to get there). */
START_TEST(test_ct_monotonic)
{
	uint64_t	prev, cur;
	int		k, d;

	for (d = 0; d < 70; d++) {
		prev = 0;
		for (k = 1; k <= 200001; k++) {
			cur = backoff_ct(k, 3, 10 * M, d);
			if (cur < prev || cur > 10 * M)
				ck_abort_msg("d=%d k=%d: %llu after %llu", d,
				    k, (unsigned long long)cur,
				    (unsigned long long)prev);
			prev = cur;
		}
		ck_assert_uint_eq(prev, 10 * M);
	}
}
END_TEST

#define T0	1700000000000ULL	/* a first attempt, wall ms */

/* The stop rule: 0 = stop, else the next attempt's time. */
static const struct {
	const char			*label;
	struct backoff_ct_policy	 p;
	int				 attempts;
	uint64_t			 first_at, now;
	uint64_t			 want;
} next_rows[] = {
	{ "first failure retries", { 3, 200, 1000, 1, 0 }, 1, T0, T0,
	    T0 + 200 },
	{ "second failure", { 3, 200, 1000, 1, 0 }, 2, T0, T0 + 500,
	    T0 + 500 + 400 },
	{ "max_attempts reached", { 3, 200, 1000, 1, 0 }, 3, T0, T0 + 2000,
	    0 },
	{ "beyond max_attempts", { 3, 200, 1000, 1, 0 }, 7, T0, T0, 0 },
	{ "max_attempts 1: no retry", { 1, 200, 1000, 1, 0 }, 1, T0, T0, 0 },
	{ "max_attempts 0: no retry", { 0, 200, 1000, 1, 0 }, 1, T0, T0, 0 },
	{ "-1: unlimited", { -1, 200, 1000, 1, 0 }, 100000, T0, T0 + 5,
	    T0 + 5 + 1000 },
	{ "-1 with INT_MAX attempts", { -1, 100, 3600 * S, 16, 0 }, INT_MAX,
	    T0, T0, T0 + 3600 * S },
	{ "-1, duration not yet", { -1, 200, 1000, 1, 60 * S }, 50, T0,
	    T0 + 59 * S, T0 + 59 * S + 1000 },
	{ "-1, duration passed", { -1, 200, 1000, 1, 60 * S }, 50, T0,
	    T0 + 60 * S, 0 },
	/* maxRetryDuration > 0: attempts AND duration must both run out. */
	{ "AND: attempts out, time not", { 3, 200, 1000, 1, 60 * S }, 5, T0,
	    T0 + 30 * S, T0 + 30 * S + 1000 },
	{ "AND: time out, attempts not", { 10, 200, 1000, 1, 60 * S }, 2, T0,
	    T0 + 90 * S, T0 + 90 * S + 400 },
	{ "AND: both out", { 3, 200, 1000, 1, 60 * S }, 3, T0, T0 + 60 * S,
	    0 },
	{ "AND: one ms short", { 3, 200, 1000, 1, 60 * S }, 3, T0,
	    T0 + 60 * S - 1, T0 + 60 * S - 1 + 800 },
	{ "first_at unknown: no time passed", { 3, 200, 1000, 1, 60 * S }, 3,
	    0, T0, T0 + 800 },
	{ "first_at after now (clock step)", { 3, 200, 1000, 1, 60 * S }, 3,
	    T0 + S, T0, T0 + 800 },
	{ "google schedule k=6", { 100, 10 * S, 300 * S, 3, 0 }, 6, T0, T0,
	    T0 + 240 * S },
	{ "due at the epoch is not stop", { 3, 0, 0, 1, 0 }, 1, 0, 0, 1 },
	{ "saturates", { -1, 1, UINT64_MAX, 64, 0 }, 64, 1, UINT64_MAX - 5,
	    UINT64_MAX },
};

START_TEST(test_ct_next)
{
	uint64_t	got;

	got = backoff_ct_next(&next_rows[_i].p, next_rows[_i].attempts,
	    next_rows[_i].first_at, next_rows[_i].now);
	ck_assert_msg(got == next_rows[_i].want, "%s: got %llu, want %llu",
	    next_rows[_i].label, (unsigned long long)got,
	    (unsigned long long)next_rows[_i].want);
}
END_TEST

/* A policy's whole life: exactly max_attempts attempts. */
START_TEST(test_ct_next_count)
{
	struct backoff_ct_policy	p = { 5, 100, 10 * S, 2, 0 };
	uint64_t			now = T0, next;
	static const uint64_t		gaps[] = { 100, 200, 400, 800 };
	int				attempts;

	for (attempts = 1; ; attempts++) {
		next = backoff_ct_next(&p, attempts, T0, now);
		if (next == 0)
			break;
		ck_assert_int_le(attempts, 4);
		ck_assert_uint_eq(next - now, gaps[attempts - 1]);
		now = next;
	}
	ck_assert_int_eq(attempts, 5);
}
END_TEST

#define NOW	1735689600000ULL	/* 2025-01-01T00:00:00Z */
#define H	(3600 * S)

static const struct {
	const char	*label;
	const char	*value;
	uint64_t	 now;
	int		 rc;
	uint64_t	 want;
} ra_rows[] = {
	{ "seconds", "2", NOW, 0, 2 * S },
	{ "zero", "0", NOW, 0, 0 },
	{ "leading zeros", "007", NOW, 0, 7 * S },
	{ "OWS around", " \t 120\t ", NOW, 0, 120 * S },
	{ "exactly an hour", "3600", NOW, 0, H },
	{ "capped at an hour", "3601", NOW, 0, H },
	{ "huge capped", "99999999999999999999999999", NOW, 0, H },
	{ "date in 90 s", "Wed, 01 Jan 2025 00:01:30 GMT", NOW, 0, 90 * S },
	{ "date with ms now", "Wed, 01 Jan 2025 00:00:10 GMT", NOW + 250, 0,
	    9750 },
	{ "date now", "Wed, 01 Jan 2025 00:00:00 GMT", NOW, 0, 0 },
	{ "date past", "Sun, 06 Nov 1994 08:49:37 GMT", NOW, 0, 0 },
	{ "date far ahead capped", "Fri, 31 Dec 2088 23:59:59 GMT", NOW, 0,
	    H },
	{ "RFC example", "Sun, 06 Nov 1994 08:49:37 GMT",
	    784111777000ULL - 5000, 0, 5000 },
	{ "epoch", "Thu, 01 Jan 1970 00:00:01 GMT", 0, 0, S },
	{ "leap day", "Thu, 29 Feb 2024 00:00:00 GMT", 1709164800000ULL - S,
	    0, S },
	{ "leap day 2000", "Tue, 29 Feb 2000 00:00:00 GMT",
	    951782400000ULL - S, 0, S },
	{ "leap second", "Wed, 01 Jan 2025 00:00:60 GMT", NOW, 0, 60 * S },
	{ "weekday not checked", "Mon, 01 Jan 2025 00:00:05 GMT", NOW, 0,
	    5 * S },
	{ "empty", "", NOW, -1, 0 },
	{ "blank", "   ", NOW, -1, 0 },
	{ "negative", "-5", NOW, -1, 0 },
	{ "plus", "+5", NOW, -1, 0 },
	{ "fraction", "1.5", NOW, -1, 0 },
	{ "unit", "10s", NOW, -1, 0 },
	{ "inner blank", "1 0", NOW, -1, 0 },
	{ "word", "soon", NOW, -1, 0 },
	{ "hex", "0x10", NOW, -1, 0 },
	{ "no GMT", "Wed, 01 Jan 2025 00:01:30", NOW, -1, 0 },
	{ "UTC not GMT", "Wed, 01 Jan 2025 00:01:30 UTC", NOW, -1, 0 },
	{ "lower month", "Wed, 01 jan 2025 00:01:30 GMT", NOW, -1, 0 },
	{ "bad day name", "Wen, 01 Jan 2025 00:01:30 GMT", NOW, -1, 0 },
	{ "one-digit day", "Wed, 1 Jan 2025 00:01:30 GMT", NOW, -1, 0 },
	{ "day 32", "Wed, 32 Jan 2025 00:01:30 GMT", NOW, -1, 0 },
	{ "day 0", "Wed, 00 Jan 2025 00:01:30 GMT", NOW, -1, 0 },
	{ "31 April", "Wed, 31 Apr 2025 00:01:30 GMT", NOW, -1, 0 },
	{ "29 Feb 2025", "Sat, 29 Feb 2025 00:00:00 GMT", NOW, -1, 0 },
	{ "29 Feb 2100", "Mon, 29 Feb 2100 00:00:00 GMT", NOW, -1, 0 },
	{ "hour 24", "Wed, 01 Jan 2025 24:00:00 GMT", NOW, -1, 0 },
	{ "minute 60", "Wed, 01 Jan 2025 00:60:00 GMT", NOW, -1, 0 },
	{ "second 61", "Wed, 01 Jan 2025 00:00:61 GMT", NOW, -1, 0 },
	{ "RFC 850 form", "Sunday, 06-Nov-94 08:49:37 GMT", NOW, -1, 0 },
	{ "asctime form", "Sun Nov  6 08:49:37 1994", NOW, -1, 0 },
	{ "trailing junk", "Wed, 01 Jan 2025 00:01:30 GMTx", NOW, -1, 0 },
	{ "digits in year", "Wed, 01 Jan 20x5 00:01:30 GMT", NOW, -1, 0 },
};

START_TEST(test_retry_after)
{
	uint64_t	got = 12345;
	int		rc;

	rc = retry_after_parse(ra_rows[_i].value, ra_rows[_i].now, &got);
	ck_assert_msg(rc == ra_rows[_i].rc, "%s: rc %d, want %d",
	    ra_rows[_i].label, rc, ra_rows[_i].rc);
	if (rc == 0)
		ck_assert_msg(got == ra_rows[_i].want,
		    "%s: got %llu, want %llu", ra_rows[_i].label,
		    (unsigned long long)got,
		    (unsigned long long)ra_rows[_i].want);
	else
		ck_assert_msg(got == 12345, "%s: delay written on error",
		    ra_rows[_i].label);
}
END_TEST

START_TEST(test_retry_after_null)
{
	uint64_t	got;

	ck_assert_int_eq(retry_after_parse(NULL, NOW, &got), -1);
}
END_TEST

/* dispatch_headers(): a task with the given headers. */
static void
hdr_task(struct task *t, const char *const *hv, size_t n)
{
	size_t	i;

	memset(t, 0, sizeof(*t));
	util_strlcpy(t->id, "my-task_1", sizeof(t->id));
	util_strlcpy(t->queue, "q-1", sizeof(t->queue));
	util_strlcpy(t->method, "POST", sizeof(t->method));
	t->url = xstrdup("http://127.0.0.1:1/x");
	t->attempts = 1;
	t->eta_ms = 1735689600500ULL;
	t->nheaders = n / 2;
	t->headers = xcalloc(n / 2 + 1, sizeof(*t->headers));
	for (i = 0; i + 1 < n; i += 2) {
		t->headers[i / 2].name = xstrdup(hv[i]);
		t->headers[i / 2].value = xstrdup(hv[i + 1]);
	}
}

/* Is line among v? */
static int
hdr_has(char **v, const char *line)
{
	size_t	i;

	for (i = 0; v[i] != NULL; i++)
		if (strcmp(v[i], line) == 0)
			return 1;
	return 0;
}

/* How many lines of v start with prefix (case-insensitive)? */
static int
hdr_count(char **v, const char *prefix)
{
	size_t	i;
	int	n = 0;

	for (i = 0; v[i] != NULL; i++)
		if (strncasecmp(v[i], prefix, strlen(prefix)) == 0)
			n++;
	return n;
}

START_TEST(test_headers_first)
{
	static const char *const	 hv[] = {
		"Content-Type", "application/json",
		"user-agent", "mine/1.0",
		"X-CloudTasks-TaskName", "forged",
		"x-cloudtasks-queuename", "forged",
		"X-Custom", "",
		"Content-Length", "99",
	};
	struct task			 t;
	char				**v;

	hdr_task(&t, hv, TD_NELEM(hv));
	v = dispatch_headers(&t, NULL);
	ck_assert(hdr_has(v, "Content-Type: application/json"));
	ck_assert(hdr_has(v, "X-Custom;"));
	ck_assert(hdr_has(v, "Accept:"));
	ck_assert(hdr_has(v, "Expect:"));
	ck_assert_int_eq(hdr_count(v, "Content-Type"), 1);
	ck_assert_int_eq(hdr_count(v, "Content-Length"), 0);
	ck_assert_int_eq(hdr_count(v, "User-Agent"), 1);
	ck_assert(hdr_has(v, "User-Agent: Google-Cloud-Tasks"));
	ck_assert_int_eq(hdr_count(v, "X-CloudTasks-"), 5);
	ck_assert(hdr_has(v, "X-CloudTasks-QueueName: q-1"));
	ck_assert(hdr_has(v, "X-CloudTasks-TaskName: my-task_1"));
	ck_assert(hdr_has(v, "X-CloudTasks-TaskRetryCount: 0"));
	ck_assert(hdr_has(v, "X-CloudTasks-TaskExecutionCount: 0"));
	ck_assert(hdr_has(v, "X-CloudTasks-TaskETA: 1735689600.500000"));
	dispatch_headers_free(v);
	task_free(&t);
}
END_TEST

/* No Content-Type of ours: an empty "Content-Type:" removes curl's. */
START_TEST(test_headers_no_content_type)
{
	struct task	 t;
	char		**v;

	hdr_task(&t, NULL, 0);
	t.eta_ms = 1735689600000ULL;
	v = dispatch_headers(&t, NULL);
	ck_assert(hdr_has(v, "Content-Type:"));
	ck_assert_int_eq(hdr_count(v, "Content-Type"), 1);
	ck_assert(hdr_has(v, "X-CloudTasks-TaskETA: 1735689600.000000"));
	dispatch_headers_free(v);
	task_free(&t);
}
END_TEST

static const struct {
	const char	*label;
	int		 attempts, execs, last_status;
	const char	*last_error;
	const char	*want[4];	/* lines that must be there */
	int		 nxct;		/* X-CloudTasks-* lines */
} retry_rows[] = {
	{ "third attempt after a 503", 3, 1, 503, "HTTP 503",
	    { "X-CloudTasks-TaskRetryCount: 2",
	    "X-CloudTasks-TaskExecutionCount: 1",
	    "X-CloudTasks-TaskPreviousResponse: 503",
	    "X-CloudTasks-TaskRetryReason: HTTP 503" }, 7 },
	{ "no response before", 2, 0, 0, "connection refused",
	    { "X-CloudTasks-TaskRetryCount: 1",
	    "X-CloudTasks-TaskPreviousResponse: 0",
	    "X-CloudTasks-TaskRetryReason: connection refused", NULL }, 7 },
	{ "status without error", 2, 0, 429, "",
	    { "X-CloudTasks-TaskRetryReason: HTTP status 429", NULL }, 7 },
	{ "status, NULL error", 2, 0, 404, NULL,
	    { "X-CloudTasks-TaskRetryReason: HTTP status 404", NULL }, 7 },
	{ "nothing known", 2, 0, 0, "",
	    { "X-CloudTasks-TaskRetryReason;",
	    "X-CloudTasks-TaskPreviousResponse: 0", NULL }, 7 },
	{ "control characters", 2, 0, 0, " bad\r\nX-Evil: 1\t",
	    { "X-CloudTasks-TaskRetryReason: bad  X-Evil: 1", NULL }, 7 },
	{ "first attempt: no previous", 1, 0, 503, "HTTP 503",
	    { "X-CloudTasks-TaskRetryCount: 0", NULL }, 5 },
	{ "attempts 0 counts as first", 0, 0, 0, "",
	    { "X-CloudTasks-TaskRetryCount: 0", NULL }, 5 },
};

START_TEST(test_headers_retry)
{
	struct dispatch_attempt	 a;
	struct task		 t;
	char			**v;
	size_t			 i;

	hdr_task(&t, NULL, 0);
	t.attempts = retry_rows[_i].attempts;
	a.execs = retry_rows[_i].execs;
	a.last_status = retry_rows[_i].last_status;
	a.last_error = retry_rows[_i].last_error;
	v = dispatch_headers(&t, &a);
	for (i = 0; i < TD_NELEM(retry_rows[_i].want) &&
	    retry_rows[_i].want[i] != NULL; i++)
		ck_assert_msg(hdr_has(v, retry_rows[_i].want[i]),
		    "%s: no \"%s\"", retry_rows[_i].label,
		    retry_rows[_i].want[i]);
	ck_assert_msg(hdr_count(v, "X-CloudTasks-") == retry_rows[_i].nxct,
	    "%s: %d X-CloudTasks lines", retry_rows[_i].label,
	    hdr_count(v, "X-CloudTasks-"));
	dispatch_headers_free(v);
	task_free(&t);
}
END_TEST

/* A 500-character ID goes out whole. */
START_TEST(test_headers_long_id)
{
	struct task	 t;
	char		**v, want[TD_ID_MAX + 64];

	hdr_task(&t, NULL, 0);
	memset(t.id, 'a', TD_ID_MAX);
	t.id[TD_ID_MAX] = '\0';
	snprintf(want, sizeof(want), "X-CloudTasks-TaskName: %s", t.id);
	v = dispatch_headers(&t, NULL);
	ck_assert(hdr_has(v, want));
	dispatch_headers_free(v);
	task_free(&t);
}
END_TEST

static Suite *
backoff_suite(void)
{
	Suite	*s = suite_create("backoff");
	TCase	*tc;

	tc = tcase_create("nominal");
	tcase_add_loop_test(tc, test_nominal, 0, TD_NELEM(nominal_rows));
	tcase_add_test(tc, test_nominal_monotonic);
	suite_add_tcase(s, tc);

	tc = tcase_create("delay");
	tcase_add_loop_test(tc, test_delay, 0, TD_NELEM(delay_rows));
	tcase_add_test(tc, test_delay_no_rnd);
	tcase_add_test(tc, test_delay_bounds);
	tcase_add_test(tc, test_delay_spreads);
	suite_add_tcase(s, tc);

	tc = tcase_create("ct");
	tcase_add_loop_test(tc, test_ct, 0, TD_NELEM(ct_rows));
	tcase_add_test(tc, test_ct_monotonic);
	tcase_add_loop_test(tc, test_ct_next, 0, TD_NELEM(next_rows));
	tcase_add_test(tc, test_ct_next_count);
	suite_add_tcase(s, tc);

	tc = tcase_create("retry_after");
	tcase_add_loop_test(tc, test_retry_after, 0, TD_NELEM(ra_rows));
	tcase_add_test(tc, test_retry_after_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("dispatch_headers");
	tcase_add_test(tc, test_headers_first);
	tcase_add_test(tc, test_headers_no_content_type);
	tcase_add_loop_test(tc, test_headers_retry, 0, TD_NELEM(retry_rows));
	tcase_add_test(tc, test_headers_long_id);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(backoff_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
