/*
 * check_wrr.c: wrr_order with scripted random values (exact orders), then
 * its properties over many draws: a permutation every time, zero weights
 * last, and first picks that follow the weights.
 */
#include <check.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "wrr.h"

#define NMAX	8

#include "rnd.h"

static const struct {
	const char	*label;
	int		 weights[NMAX];
	size_t		 n;
	uint32_t	 rnd[NMAX];
	size_t		 nrnd;		/* draws expected */
	size_t		 want[NMAX];
} order_rows[] = {
	{ "6/3/1 low draw", { 6, 3, 1 }, 3, { 0, 0 }, 2, { 0, 1, 2 } },
	{ "6/3/1 top of first", { 6, 3, 1 }, 3, { 5, 0 }, 2, { 0, 1, 2 } },
	{ "6/3/1 second queue", { 6, 3, 1 }, 3, { 6, 0 }, 2, { 1, 0, 2 } },
	{ "6/3/1 second, then third", { 6, 3, 1 }, 3, { 8, 6 }, 2,
	    { 1, 2, 0 } },
	{ "6/3/1 third", { 6, 3, 1 }, 3, { 9, 0 }, 2, { 2, 0, 1 } },
	{ "6/3/1 third, then second", { 6, 3, 1 }, 3, { 9, 6 }, 2,
	    { 2, 1, 0 } },
	{ "draws wrap modulo the total", { 6, 3, 1 }, 3, { 10, 7 }, 2,
	    { 0, 2, 1 } },
	{ "UINT32_MAX", { 6, 3, 1 }, 3, { UINT32_MAX, UINT32_MAX }, 2,
	    /* 4294967295 % 10 = 5 -> 0; % 4 = 3 -> 2 */
	    { 0, 2, 1 } },
	{ "zero weights go last", { 0, 5, 0, 2 }, 4, { 5 }, 1,
	    { 3, 1, 0, 2 } },
	{ "zero weights keep index order", { 0, 0, 4, 0 }, 4, { 0 }, 0,
	    { 2, 0, 1, 3 } },
	{ "negative counts as zero", { -1, 2 }, 2, { 0 }, 0, { 1, 0 } },
	{ "all zero", { 0, 0, 0 }, 3, { 0 }, 0, { 0, 1, 2 } },
	{ "one queue", { 4 }, 1, { 0 }, 0, { 0 } },
	{ "equal weights", { 1, 1, 1, 1 }, 4, { 3, 0, 1 }, 3,
	    { 3, 0, 2, 1 } },
	{ "big weights", { 1000, 1, 1000 }, 3, { 1000, 1500 }, 2,
	    { 1, 2, 0 } },
	/* 3 * INT_MAX > 2^32: the first draw takes 64 bits. */
	{ "64-bit draw", { INT_MAX, INT_MAX, INT_MAX }, 3, { 1, 0, 0 }, 3,
	    { 2, 0, 1 } },
};

START_TEST(test_order)
{
	struct script	s = { order_rows[_i].rnd, order_rows[_i].nrnd, 0 };
	size_t		order[NMAX], i, n = order_rows[_i].n;

	memset(order, 0xff, sizeof(order));
	wrr_order(order_rows[_i].weights, n, order, script_rnd, &s);
	for (i = 0; i < n; i++)
		ck_assert_msg(order[i] == order_rows[_i].want[i],
		    "%s: position %zu is %zu, want %zu", order_rows[_i].label,
		    i, order[i], order_rows[_i].want[i]);
	ck_assert_msg(s.calls == order_rows[_i].nrnd, "%s: %zu draws, want %zu",
	    order_rows[_i].label, s.calls, order_rows[_i].nrnd);
	/* Nothing past n is written. */
	for (i = n; i < NMAX; i++)
		ck_assert_uint_eq(order[i], SIZE_MAX);
}
END_TEST

START_TEST(test_empty)
{
	size_t	order[1] = { 42 };

	wrr_order(NULL, 0, order, util_xorshift32, NULL);
	ck_assert_uint_eq(order[0], 42);
}
END_TEST

START_TEST(test_no_rnd)
{
	static const int	w[] = { 0, 3, 6, 1 };
	size_t			order[4];

	wrr_order(w, 4, order, NULL, NULL);
	ck_assert_uint_eq(order[0], 1);
	ck_assert_uint_eq(order[1], 2);
	ck_assert_uint_eq(order[2], 3);
	ck_assert_uint_eq(order[3], 0);
}
END_TEST

/* Every draw is a permutation, with the zero weights at the end. */
START_TEST(test_permutation)
{
	uint32_t	x = 123456789U;
	int		w[NMAX];
	size_t		order[NMAX], n, i, npos;
	int		seen[NMAX], round;

	for (round = 0; round < 20000; round++) {
		n = 1 + util_xorshift32(&x) % NMAX;
		for (i = 0, npos = 0; i < n; i++) {
			w[i] = (int)(util_xorshift32(&x) % 5);
			npos += w[i] > 0;
		}
		wrr_order(w, n, order, util_xorshift32, &x);
		memset(seen, 0, sizeof(seen));
		for (i = 0; i < n; i++) {
			ck_assert_uint_lt(order[i], n);
			ck_assert_int_eq(seen[order[i]]++, 0);
			if (i < npos)
				ck_assert_int_gt(w[order[i]], 0);
			else
				ck_assert_int_eq(w[order[i]], 0);
		}
	}
}
END_TEST

static const struct {
	const char	*label;
	int		 weights[NMAX];
	size_t		 n;
} dist_rows[] = {
	{ "seed weights 6/3/1", { 6, 3, 1 }, 3 },
	{ "1/1", { 1, 1 }, 2 },
	{ "1/9 with a zero", { 1, 0, 9 }, 3 },
	{ "5 queues", { 10, 20, 30, 25, 15 }, 5 },
};

/*
 * The first pick follows the weights: within 2% of the expected share
 * over 100000 draws (a fixed seed, so the result never changes).
 */
START_TEST(test_distribution)
{
	const int	*w = dist_rows[_i].weights;
	size_t		 n = dist_rows[_i].n, order[NMAX], i;
	long		 first[NMAX] = { 0 }, total = 0;
	uint32_t	 x = 2463534242U;
	const long	 rounds = 100000;
	long		 r;
	double		 share, want;

	for (i = 0; i < n; i++)
		total += w[i];
	for (r = 0; r < rounds; r++) {
		wrr_order(w, n, order, util_xorshift32, &x);
		first[order[0]]++;
	}
	for (i = 0; i < n; i++) {
		share = (double)first[i] / rounds;
		want = (double)w[i] / total;
		ck_assert_msg(share > want - 0.02 && share < want + 0.02,
		    "%s: queue %zu first in %.3f of draws, want %.3f",
		    dist_rows[_i].label, i, share, want);
	}
}
END_TEST

/* Second place, given the first: weight / (sum of the rest). */
START_TEST(test_second_place)
{
	static const int	w[] = { 6, 3, 1 };
	size_t			order[3];
	long			second[3] = { 0 }, after0 = 0;
	uint32_t		x = 362436069U;
	long			r;

	for (r = 0; r < 200000; r++) {
		wrr_order(w, 3, order, util_xorshift32, &x);
		if (order[0] == 0) {
			after0++;
			second[order[1]]++;
		}
	}
	/* After critical: default 3/4, low 1/4. */
	ck_assert_msg((double)second[1] / after0 > 0.73 &&
	    (double)second[1] / after0 < 0.77, "default second in %.3f",
	    (double)second[1] / after0);
	ck_assert_int_eq(second[0], 0);
}
END_TEST

static Suite *
wrr_suite(void)
{
	Suite	*s = suite_create("wrr");
	TCase	*tc;

	tc = tcase_create("order");
	tcase_add_loop_test(tc, test_order, 0, TD_NELEM(order_rows));
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_no_rnd);
	suite_add_tcase(s, tc);

	tc = tcase_create("properties");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_permutation);
	tcase_add_loop_test(tc, test_distribution, 0, TD_NELEM(dist_rows));
	tcase_add_test(tc, test_second_place);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(wrr_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
