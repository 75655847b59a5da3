/*
 * check_metrics.c: the Prometheus page, line by line for a known input:
 * HELP/TYPE once per family, cumulative buckets, seconds from ms, label
 * escaping, and the bucket label lookup.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "util.h"

static struct metrics_queue	qs[2];
static struct metrics		m;
static char			*page;
static size_t			 pagelen;

static void
setup(void)
{
	memset(qs, 0, sizeof(qs));
	qs[0].name = "default";
	qs[0].counts[MS_PENDING] = 4;
	qs[0].counts[MS_DONE] = 7;
	qs[0].counters[MC_ENQUEUED] = 12;
	qs[0].counters[MC_DISPATCHED] = 9;
	qs[0].counters[MC_SUCCEEDED] = 7;
	qs[0].counters[MC_FAILED] = 2;
	qs[0].counters[MC_RETRIED] = 2;
	qs[0].buckets[0] = 3;			/* le 0.005 */
	qs[0].buckets[7] = 5;			/* le 1 */
	qs[0].buckets[METRICS_BUCKETS - 1] = 1;	/* +Inf */
	qs[0].dur_sum_ms = 4321;
	qs[0].dur_count = 9;
	qs[0].oldest_pending_age_ms = 1500;
	qs[1].name = "low";
	qs[1].paused = 1;
	memset(&m, 0, sizeof(m));
	m.queues = qs;
	m.nqueues = 2;
	m.version = "1.2\"x";
	m.restarts[2] = 3;
	m.redis_errors[1] = 2;
	m.start_ms = 1764664509123ULL;
	page = metrics_render(&m, &pagelen);
}

static void
teardown(void)
{
	free(page);
}

/* Whole lines that must be on the page. */
static const char *const want_lines[] = {
	"# TYPE taskdispatcher_tasks gauge",
	"taskdispatcher_tasks{queue=\"default\",state=\"pending\"} 4",
	"taskdispatcher_tasks{queue=\"default\",state=\"done\"} 7",
	"taskdispatcher_tasks{queue=\"low\",state=\"retry\"} 0",
	"# TYPE taskdispatcher_enqueued_total counter",
	"taskdispatcher_enqueued_total{queue=\"default\"} 12",
	"taskdispatcher_dispatched_total{queue=\"default\"} 9",
	"taskdispatcher_succeeded_total{queue=\"default\"} 7",
	"taskdispatcher_failed_total{queue=\"default\"} 2",
	"taskdispatcher_retried_total{queue=\"default\"} 2",
	"taskdispatcher_dead_total{queue=\"default\"} 0",
	"taskdispatcher_dead_total{queue=\"low\"} 0",
	"# TYPE taskdispatcher_dispatch_duration_seconds histogram",
	"taskdispatcher_dispatch_duration_seconds_bucket{queue=\"default\","
	    "le=\"0.005\"} 3",
	"taskdispatcher_dispatch_duration_seconds_bucket{queue=\"default\","
	    "le=\"0.5\"} 3",
	"taskdispatcher_dispatch_duration_seconds_bucket{queue=\"default\","
	    "le=\"1\"} 8",
	"taskdispatcher_dispatch_duration_seconds_bucket{queue=\"default\","
	    "le=\"1800\"} 8",
	"taskdispatcher_dispatch_duration_seconds_bucket{queue=\"default\","
	    "le=\"+Inf\"} 9",
	"taskdispatcher_dispatch_duration_seconds_sum{queue=\"default\"} "
	    "4.321",
	"taskdispatcher_dispatch_duration_seconds_count{queue=\"default\"} 9",
	"taskdispatcher_dispatch_duration_seconds_bucket{queue=\"low\","
	    "le=\"+Inf\"} 0",
	"taskdispatcher_dispatch_duration_seconds_sum{queue=\"low\"} 0.000",
	"taskdispatcher_oldest_pending_age_seconds{queue=\"default\"} 1.500",
	"taskdispatcher_oldest_pending_age_seconds{queue=\"low\"} 0.000",
	"taskdispatcher_queue_paused{queue=\"default\"} 0",
	"taskdispatcher_queue_paused{queue=\"low\"} 1",
	"taskdispatcher_restarts_total{role=\"worker\"} 3",
	"taskdispatcher_restarts_total{role=\"listener\"} 0",
	"taskdispatcher_redis_errors_total{role=\"listener\"} 2",
	"taskdispatcher_redis_errors_total{role=\"scheduler\"} 0",
	"taskdispatcher_build_info{version=\"1.2\\\"x\"} 1",
	"taskdispatcher_start_time_seconds 1764664509.123",
};

static int
has_line(const char *line)
{
	const char	*p = page;
	size_t		 n = strlen(line);

	while ((p = strstr(p, line)) != NULL) {
		if ((p == page || p[-1] == '\n') && p[n] == '\n')
			return 1;
		p++;
	}
	return 0;
}

START_TEST(test_lines)
{
	ck_assert_msg(has_line(want_lines[_i]), "missing line: %s\n%s",
	    want_lines[_i], page);
}
END_TEST

/* Every family's TYPE once; no master role; the page ends a line. */
START_TEST(test_shape)
{
	const char	*p;
	int		 n = 0;

	ck_assert_uint_eq(pagelen, strlen(page));
	ck_assert(pagelen > 0 && page[pagelen - 1] == '\n');
	for (p = page; (p = strstr(p, "# TYPE ")) != NULL; p++)
		n++;
	ck_assert_int_eq(n, 14);
	for (p = page; (p = strstr(p, "# HELP ")) != NULL; p++)
		n--;
	ck_assert_int_eq(n, 0);
	ck_assert_ptr_null(strstr(page, "role=\"master\""));
	ck_assert_ptr_null(strstr(page, "# TYPE taskdispatcher_tasks gauge\n"
	    "# TYPE"));
}
END_TEST

START_TEST(test_empty)
{
	struct metrics	 e;
	char		*s;
	size_t		 len;

	memset(&e, 0, sizeof(e));
	s = metrics_render(&e, &len);
	ck_assert_ptr_nonnull(strstr(s,
	    "taskdispatcher_build_info{version=\"\"} 1\n"));
	ck_assert_ptr_null(strstr(s, "queue="));
	free(s);
}
END_TEST

static const struct {
	const char	*le;
	int		 want;
} bucket_rows[] = {
	{ "0.005", 0 }, { "0.01", 1 }, { "1", 7 }, { "1800", 14 },
	{ "+Inf", 15 }, { "", -1 }, { "0.0050", -1 }, { "inf", -1 },
	{ "2", -1 },
};

START_TEST(test_bucket_index)
{
	ck_assert_int_eq(metrics_bucket_index(bucket_rows[_i].le),
	    bucket_rows[_i].want);
}
END_TEST

static Suite *
metrics_suite(void)
{
	Suite	*s = suite_create("metrics");
	TCase	*tc;

	tc = tcase_create("render");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_lines, 0, TD_NELEM(want_lines));
	tcase_add_test(tc, test_shape);
	tcase_add_test(tc, test_empty);
	suite_add_tcase(s, tc);

	tc = tcase_create("buckets");
	tcase_add_loop_test(tc, test_bucket_index, 0, TD_NELEM(bucket_rows));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(metrics_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
