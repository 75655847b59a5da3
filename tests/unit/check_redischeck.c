/*
 * check_redischeck.c: the pure half of the startup Redis check.  INFO
 * field lookup, version comparison, and the verdict on what INFO and
 * CONFIG GET said, with CONFIG refused (renamed, ACL) and INFO as the
 * fallback.  The < 6.2 refusal lives here: no old Redis runs in the
 * integration suite.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "redischeck.h"
#include "util.h"

#define INFO_72	"# Server\r\nredis_version:7.2.4\r\nredis_mode:standalone\r\n" \
		"\r\n# Persistence\r\nloading:0\r\naof_enabled:1\r\n" \
		"\r\n# Memory\r\nused_memory:1000\r\n" \
		"maxmemory_policy:noeviction\r\n"
#define INFO_NOAOF "redis_version:7.0.15\r\naof_enabled:0\r\n" \
		"maxmemory_policy:noeviction\r\n"
#define INFO_LRU "redis_version:7.0.15\r\naof_enabled:1\r\n" \
		"maxmemory_policy:allkeys-lru\r\n"

static const struct {
	const char	*label;
	const char	*info;
	const char	*key;
	int		 rc;
	const char	*want;
} info_rows[] = {
	{ "CRLF field", INFO_72, "redis_version", 0, "7.2.4" },
	{ "later section", INFO_72, "maxmemory_policy", 0, "noeviction" },
	{ "LF only", "a:1\nredis_version:6.2.0\nb:2\n", "redis_version", 0,
	    "6.2.0" },
	{ "last line, no newline", "a:1\r\nk:v", "k", 0, "v" },
	{ "empty value", "k:\r\n", "k", 0, "" },
	{ "prefix of a longer key", "redis_version_x:1\r\n", "redis_version",
	    -1, NULL },
	{ "key without colon", "redis_version\r\n", "redis_version", -1, NULL },
	{ "not at line start", "xredis_version:7\r\n", "redis_version", -1,
	    NULL },
	{ "comment line", "# redis_version:7\r\n", "redis_version", -1, NULL },
	{ "absent", INFO_72, "aof_rewrite", -1, NULL },
	{ "empty text", "", "k", -1, NULL },
	{ "NULL text", NULL, "k", -1, NULL },
	{ "empty key", "k:v\r\n", "", -1, NULL },
	{ "value with colon", "k:a:b\r\n", "k", 0, "a:b" },
	{ "truncated to buffer", "k:0123456789abcdefXYZ\r\n", "k", 0,
	    "0123456789abcde" },
};

START_TEST(test_info_get)
{
	char	buf[16];
	int	rc;

	memset(buf, 'x', sizeof(buf));
	rc = redischeck_info_get(info_rows[_i].info, info_rows[_i].key, buf,
	    sizeof(buf));
	ck_assert_msg(rc == info_rows[_i].rc, "%s: rc %d", info_rows[_i].label,
	    rc);
	if (rc == 0)
		ck_assert_msg(strcmp(buf, info_rows[_i].want) == 0,
		    "%s: got \"%s\"", info_rows[_i].label, buf);
}
END_TEST

static const struct {
	const char	*v;
	int		 major, minor, want;
} version_rows[] = {
	{ "6.2.0", 6, 2, 0 },
	{ "6.2.14", 6, 2, 0 },
	{ "6.2", 6, 2, 0 },
	{ "7.0.15", 6, 2, 1 },
	{ "6.10.0", 6, 2, 1 },
	{ "6.0.16", 6, 2, -1 },
	{ "6.1.9", 6, 2, -1 },
	{ "5.0.7", 6, 2, -1 },
	{ "10.0.0", 6, 2, 1 },
	{ "255.255.255", 6, 2, 1 },
	{ "", 6, 2, -2 },
	{ "x.y", 6, 2, -2 },
	{ "7", 6, 2, -2 },
	{ "7.", 6, 2, -2 },
	{ "7.x", 6, 2, -2 },
	{ "7.2-rc1", 6, 2, -2 },
	{ " 7.2.0", 6, 2, -2 },
	{ "99999999999999999999.1", 6, 2, -2 },
	{ NULL, 6, 2, -2 },
};

START_TEST(test_version_cmp)
{
	int	got;

	got = redischeck_version_cmp(version_rows[_i].v, version_rows[_i].major,
	    version_rows[_i].minor);
	ck_assert_msg(got == version_rows[_i].want, "\"%s\" vs %d.%d: got %d, "
	    "want %d", version_rows[_i].v ? version_rows[_i].v : "(null)",
	    version_rows[_i].major, version_rows[_i].minor, got,
	    version_rows[_i].want);
}
END_TEST

/*
 * The verdict.  want[] are substrings each found in some WARN or REFUSE
 * message; not is one that must appear in none of the messages.
 */
static const struct {
	const char			*label;
	struct redischeck_facts		 f;
	int				 refuse;
	int				 warnings;
	const char			*want[3];
	const char			*not;
} eval_rows[] = {
	{ "good: AOF everysec noeviction",
	    { INFO_72, "yes", "everysec", "", "noeviction" }, 0, 0,
	    { NULL }, "redis" },
	{ "good: AOF always, RDB too",
	    { INFO_72, "yes", "always", "3600 1", "noeviction" }, 0, 0,
	    { NULL }, "redis" },
	{ "exactly 6.2.0 is enough",
	    { "redis_version:6.2.0\r\n", "yes", "everysec", "",
	    "noeviction" }, 0, 0, { NULL }, "too old" },
	{ "6.0 refused",
	    { "redis_version:6.0.16\r\n", "yes", "everysec", "",
	    "noeviction" }, 1, 0, { "redis 6.0.16 is too old", "6.2",
	    "BLMOVE" }, NULL },
	{ "5.0 refused, and its AOF-off warning too",
	    { "redis_version:5.0.7\r\n", "no", "everysec", "",
	    "noeviction" }, 1, 1, { "too old", "appendonly no" }, NULL },
	{ "version missing: warn, go on",
	    { "# Server\r\nredis_mode:standalone\r\n", "yes", "everysec", "",
	    "noeviction" }, 0, 1, { "version unknown" }, "too old" },
	{ "version unparsable: warn, go on",
	    { "redis_version:unstable\r\n", "yes", "everysec", "",
	    "noeviction" }, 0, 1, { "\"unstable\" not understood" },
	    "too old" },
	{ "INFO refused entirely",
	    { NULL, "yes", "everysec", "", "noeviction" }, 0, 1,
	    { "version unknown" }, NULL },
	{ "AOF off, RDB only",
	    { INFO_72, "no", "everysec", "3600 1 300 100 60 10000",
	    "noeviction" }, 0, 1, { "RDB snapshots only", "appendonly no",
	    "set appendonly yes" }, "appendfsync" },
	{ "AOF off, no RDB: nothing persists",
	    { INFO_72, "no", "everysec", "", "noeviction" }, 0, 1,
	    { "persistence: none", "save \"\"" }, NULL },
	{ "AOF off hides appendfsync no",
	    { INFO_72, "no", "no", "", "noeviction" }, 0, 1,
	    { "appendonly no" }, "appendfsync is no" },
	{ "appendonly YES in capitals",
	    { INFO_72, "YES", "everysec", "", "noeviction" }, 0, 0,
	    { NULL }, "appendonly" },
	{ "appendfsync no",
	    { INFO_72, "yes", "no", "", "noeviction" }, 0, 1,
	    { "appendfsync is no", "everysec or always" }, "appendonly no" },
	{ "allkeys-lru",
	    { INFO_72, "yes", "everysec", "", "allkeys-lru" }, 0, 1,
	    { "maxmemory-policy is allkeys-lru", "noeviction" }, NULL },
	{ "volatile-ttl",
	    { INFO_72, "yes", "everysec", "", "volatile-ttl" }, 0, 1,
	    { "maxmemory-policy is volatile-ttl" }, NULL },
	{ "two warnings at once",
	    { INFO_72, "no", "everysec", "900 1", "allkeys-random" }, 0, 2,
	    { "RDB snapshots only", "allkeys-random" }, NULL },
	{ "CONFIG refused: INFO says AOF off",
	    { INFO_NOAOF, NULL, NULL, NULL, NULL }, 0, 1,
	    { "AOF is off (appendonly no)", "since the last RDB snapshot" },
	    "maxmemory" },
	{ "CONFIG refused: INFO says allkeys-lru",
	    { INFO_LRU, NULL, NULL, NULL, NULL }, 0, 1,
	    { "maxmemory-policy is allkeys-lru" }, "appendonly no" },
	{ "CONFIG refused: INFO all good",
	    { INFO_72, NULL, NULL, NULL, NULL }, 0, 0, { NULL }, NULL },
	{ "CONFIG refused, old Redis still refused",
	    { "redis_version:6.0.9\r\naof_enabled:1\r\n"
	    "maxmemory_policy:noeviction\r\n", NULL, NULL, NULL, NULL }, 1, 0,
	    { "6.0.9 is too old" }, NULL },
	{ "CONFIG refused, INFO bare: nothing to warn of",
	    { "redis_version:7.0.0\r\n", NULL, NULL, NULL, NULL }, 0, 0,
	    { NULL }, NULL },
	{ "one CONFIG value refused: INFO fills in the policy",
	    { INFO_LRU, "yes", "everysec", "", NULL }, 0, 1,
	    { "allkeys-lru" }, NULL },
};

static int
report_has(const struct redischeck_report *r, const char *sub, int any)
{
	int	i;

	for (i = 0; i < r->nmsg; i++)
		if ((any || r->msg[i].level != REDISCHECK_INFO) &&
		    strstr(r->msg[i].text, sub) != NULL)
			return 1;
	return 0;
}

START_TEST(test_eval)
{
	struct redischeck_report	r;
	int				i;

	redischeck_eval(&eval_rows[_i].f, &r);
	ck_assert_msg(r.refuse == eval_rows[_i].refuse, "%s: refuse %d",
	    eval_rows[_i].label, r.refuse);
	ck_assert_msg(r.warnings == eval_rows[_i].warnings, "%s: %d warnings "
	    "(first: %s)", eval_rows[_i].label, r.warnings,
	    r.nmsg > 0 ? r.msg[0].text : "none");
	for (i = 0; i < 3 && eval_rows[_i].want[i] != NULL; i++)
		ck_assert_msg(report_has(&r, eval_rows[_i].want[i], 0),
		    "%s: no warning with \"%s\"", eval_rows[_i].label,
		    eval_rows[_i].want[i]);
	if (eval_rows[_i].not != NULL)
		ck_assert_msg(!report_has(&r, eval_rows[_i].not, 0),
		    "%s: a warning has \"%s\"", eval_rows[_i].label,
		    eval_rows[_i].not);
	/* One line each: the log gets them verbatim. */
	for (i = 0; i < r.nmsg; i++)
		ck_assert_msg(strchr(r.msg[i].text, '\n') == NULL &&
		    r.msg[i].text[0] != '\0', "%s: message %d",
		    eval_rows[_i].label, i);
}
END_TEST

/* The version comes back for the log line. */
START_TEST(test_eval_version)
{
	struct redischeck_report	r;
	struct redischeck_facts		f = { INFO_72, "yes", "everysec", "",
					    "noeviction" };

	redischeck_eval(&f, &r);
	ck_assert_str_eq(r.version, "7.2.4");
	f.info = "a:b\r\n";
	redischeck_eval(&f, &r);
	ck_assert_str_eq(r.version, "");
}
END_TEST

/* CONFIG refused is said once, as information, not as a warning. */
START_TEST(test_eval_config_refused_note)
{
	struct redischeck_report	r;
	struct redischeck_facts		f = { INFO_72, NULL, NULL, NULL,
					    NULL };

	redischeck_eval(&f, &r);
	ck_assert_int_eq(r.warnings, 0);
	ck_assert(report_has(&r, "CONFIG GET refused", 1));
	ck_assert(report_has(&r, "appendfsync not checked", 1));
}
END_TEST

static Suite *
redischeck_suite(void)
{
	Suite	*s = suite_create("redischeck");
	TCase	*tc;

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_info_get, 0, TD_NELEM(info_rows));
	tcase_add_loop_test(tc, test_version_cmp, 0, TD_NELEM(version_rows));
	suite_add_tcase(s, tc);

	tc = tcase_create("eval");
	tcase_add_loop_test(tc, test_eval, 0, TD_NELEM(eval_rows));
	tcase_add_test(tc, test_eval_version);
	tcase_add_test(tc, test_eval_config_refused_note);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(redischeck_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
