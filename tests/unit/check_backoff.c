/*
 * check_backoff.c: backoff_nominal and backoff_delay, table-driven, with a
 * scripted random source so every jittered delay is exact.
 */
#include <check.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include "backoff.h"
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
