/*
 * check_sdnotify.c: sdnotify_watchdog_parse, the pure part of the notify
 * module: whether $WATCHDOG_USEC/$WATCHDOG_PID ask this process for
 * WATCHDOG=1, and how often.
 */
#include <check.h>
#include <stdlib.h>

#include "sdnotify.h"
#include "util.h"

static const struct {
	const char	*label;
	const char	*usec;
	const char	*pid;
	pid_t		 self;
	uint64_t	 want;
} rows[] = {
	{ "no variables", NULL, NULL, 42, 0 },
	{ "usec, no pid", "30000000", NULL, 42, 30000000 },
	{ "usec, our pid", "30000000", "42", 42, 30000000 },
	{ "usec, empty pid", "400000", "", 42, 400000 },
	{ "usec, another pid", "30000000", "43", 42, 0 },
	{ "usec, pid 1", "30000000", "1", 42, 0 },
	{ "pid without usec", NULL, "42", 42, 0 },
	{ "zero usec", "0", "42", 42, 0 },
	{ "empty usec", "", NULL, 42, 0 },
	{ "negative usec", "-5", NULL, 42, 0 },
	{ "leading space", " 5", NULL, 42, 0 },
	{ "trailing junk", "5s", NULL, 42, 0 },
	{ "overflow", "99999999999999999999999", NULL, 42, 0 },
	{ "one", "1", NULL, 42, 1 },
	{ "pid with junk", "1000", "42x", 42, 0 },
	{ "negative pid", "1000", "-42", 42, 0 },
	{ "pid overflow", "1000", "99999999999999999999999", 42, 0 },
};

START_TEST(test_watchdog_parse)
{
	uint64_t	got;

	got = sdnotify_watchdog_parse(rows[_i].usec, rows[_i].pid,
	    rows[_i].self);
	ck_assert_msg(got == rows[_i].want, "%s: got %llu, want %llu",
	    rows[_i].label, (unsigned long long)got,
	    (unsigned long long)rows[_i].want);
}
END_TEST

static Suite *
sdnotify_suite(void)
{
	Suite	*s = suite_create("sdnotify");
	TCase	*tc;

	tc = tcase_create("watchdog");
	tcase_add_loop_test(tc, test_watchdog_parse, 0, TD_NELEM(rows));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(sdnotify_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
