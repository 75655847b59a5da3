/*
 * check_netpolicy.c: rule parsing (good and bad), rule matching at the
 * prefix edges for IPv4, IPv6 and v4-mapped IPv6, the allow/deny verdict
 * with and without a resolved address, and the host of a URL.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "netpolicy.h"
#include "util.h"

/* ------------------------------------------------------------- parse */

static const struct {
	const char	*in;
	const char	*want;		/* as netpolicy_rule_fmt prints it */
} good_rules[] = {
	{ "10.0.0.0/8", "10.0.0.0/8" },
	{ "0.0.0.0/0", "0.0.0.0/0" },
	{ "1.2.3.4/32", "1.2.3.4" },
	{ "1.2.3.4", "1.2.3.4" },
	{ "::/0", "::/0" },
	{ "::1", "::1" },
	{ "::1/128", "::1" },
	{ "fe80::/10", "fe80::/10" },
	{ "FE80::/10", "fe80::/10" },
	{ "::ffff:169.254.0.0/112", "169.254.0.0/16" },
	{ "::ffff:1.2.3.4", "1.2.3.4" },
	{ "localhost", "localhost" },
	{ "Example.COM", "example.com" },
	{ ".internal.example", ".internal.example" },
	{ "a_b-c.d", "a_b-c.d" },
};

START_TEST(test_parse_good)
{
	struct netpolicy_rule	r;
	char			err[256] = "", buf[300];

	ck_assert_msg(netpolicy_parse_rule(&r, good_rules[_i].in, err,
	    sizeof(err)) == 0, "%s: %s", good_rules[_i].in, err);
	netpolicy_rule_fmt(&r, buf, sizeof(buf));
	ck_assert_str_eq(buf, good_rules[_i].want);
}
END_TEST

static const struct {
	const char	*in;
	const char	*want;		/* part of the message */
} bad_rules[] = {
	{ "10.0.0.0/33", "prefix length over 32" },
	{ "::/129", "invalid prefix length" },
	{ "10.0.0.0/", "invalid prefix length" },
	{ "10.0.0.0/-1", "invalid prefix length" },
	{ "10.0.0.0/+8", "invalid prefix length" },
	{ "10.0.0.0/8x", "invalid prefix length" },
	{ "10.0.0.0/0008", "invalid prefix length" },
	{ "10.0.0.1/8", "host bits set" },
	{ "fe80::1/10", "host bits set" },
	{ "10.0.0/8", "invalid address" },
	{ "300.1.1.1/8", "invalid address" },
	{ "/8", "invalid address" },
	{ "::ffff:1.2.3.0/64", "must be 96 or more" },
	{ "host name", "not an address" },
	{ "a..b", "not an address" },
	{ "a.", "not an address" },
	{ ".", "not an address" },
	{ "[::1]", "not an address" },
	{ "http://x", "invalid address" },
	{ "1.2.3.4:80", "not an address" },
};

START_TEST(test_parse_bad)
{
	struct netpolicy_rule	r;
	char			err[256] = "";

	ck_assert_msg(netpolicy_parse_rule(&r, bad_rules[_i].in, err,
	    sizeof(err)) == -1, "'%s' accepted", bad_rules[_i].in);
	ck_assert_msg(strstr(err, bad_rules[_i].want) != NULL,
	    "'%s': '%s', want '%s'", bad_rules[_i].in, err, bad_rules[_i].want);
	ck_assert_msg(strstr(err, bad_rules[_i].in) != NULL,
	    "'%s': message does not name the rule: %s", bad_rules[_i].in, err);
}
END_TEST

START_TEST(test_parse_list)
{
	struct netpolicy_list	l;
	char			err[256] = "", big[TD_NETRULES_MAX * 12 + 16];
	size_t			i, n = 0;

	ck_assert_int_eq(netpolicy_parse_list(&l, " 10.0.0.0/8,::1 ,\thost ",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(l.n, 3);
	ck_assert_int_eq(netpolicy_parse_list(&l, "", err, sizeof(err)), 0);
	ck_assert_int_eq(l.n, 0);
	ck_assert_int_eq(netpolicy_parse_list(&l, " , ", err, sizeof(err)), 0);
	ck_assert_int_eq(l.n, 0);
	/* A bad entry leaves the list as it was. */
	ck_assert_int_eq(netpolicy_parse_list(&l, "1.2.3.4", err, sizeof(err)),
	    0);
	ck_assert_int_eq(netpolicy_parse_list(&l, "1.2.3.4 x/1", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(l.n, 1);
	for (i = 0; i <= TD_NETRULES_MAX; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "10.0.%zu.1 ",
		    i);
	ck_assert_int_eq(netpolicy_parse_list(&l, big, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "too many") != NULL, "%s", err);
	ck_assert_int_eq(netpolicy_parse_list(&l, TD_DENY_TARGETS_DEFAULT, err,
	    sizeof(err)), 0);
}
END_TEST

/* ------------------------------------------------------------- match */

static const struct {
	const char	*rule;
	const char	*addr;
	int		 want;
} match_rows[] = {
	{ "0.0.0.0/0", "255.255.255.255", 1 },
	{ "0.0.0.0/0", "::1", 0 },
	{ "::/0", "::1", 1 },
	{ "::/0", "1.2.3.4", 0 },
	{ "1.2.3.4/32", "1.2.3.4", 1 },
	{ "1.2.3.4/32", "1.2.3.5", 0 },
	{ "1.2.3.4/31", "1.2.3.5", 1 },
	{ "1.2.3.4/31", "1.2.3.6", 0 },
	{ "169.254.0.0/16", "169.254.169.254", 1 },
	{ "169.254.0.0/16", "169.255.0.0", 0 },
	{ "169.254.0.0/16", "169.253.255.255", 0 },
	{ "169.254.0.0/16", "::ffff:169.254.169.254", 1 },
	{ "::ffff:169.254.0.0/112", "169.254.1.1", 1 },
	{ "10.0.0.0/8", "::ffff:10.1.2.3", 1 },
	{ "10.0.0.0/8", "::10.1.2.3", 0 },	/* v4-compatible: not mapped */
	{ "127.0.0.0/8", "127.255.255.255", 1 },
	{ "127.0.0.0/8", "128.0.0.0", 0 },
	{ "::1/128", "::1", 1 },
	{ "::1/128", "::2", 0 },
	{ "::1", "::ffff:0.0.0.1", 0 },
	{ "fe80::/10", "fe80::1", 1 },
	{ "fe80::/10", "febf:ffff::1", 1 },
	{ "fe80::/10", "fec0::1", 0 },
	{ "fe80::/9", "ff00::", 0 },
	{ "2001:db8::/33", "2001:db8:7fff::1", 1 },
	{ "2001:db8::/33", "2001:db8:8000::1", 0 },
	{ "2001:db8::1/127", "2001:db8::", 1 },	/* host bits: see below */
	{ "fd00:ec2::254", "fd00:ec2::254", 1 },
	{ "fd00:ec2::254", "fd00:ec2::255", 0 },
};

START_TEST(test_match)
{
	struct netpolicy_rule	r;
	struct netpolicy_addr	a;
	char			err[256] = "";
	const char		*rule = match_rows[_i].rule;

	/* "2001:db8::1/127" has host bits set: build it from its block. */
	if (strcmp(rule, "2001:db8::1/127") == 0)
		rule = "2001:db8::/127";
	ck_assert_msg(netpolicy_parse_rule(&r, rule, err, sizeof(err)) == 0,
	    "%s: %s", rule, err);
	ck_assert_int_eq(netpolicy_addr_parse(&a, match_rows[_i].addr), 0);
	ck_assert_msg(netpolicy_rule_match(&r, NULL, &a) == match_rows[_i].want,
	    "%s vs %s: want %d", rule, match_rows[_i].addr,
	    match_rows[_i].want);
}
END_TEST

static const struct {
	const char	*rule;
	const char	*host;
	int		 want;
} host_rows[] = {
	{ "localhost", "localhost", 1 },
	{ "localhost", "LOCALHOST", 1 },
	{ "localhost", "localhost.", 1 },
	{ "localhost", "localhost2", 0 },
	{ "localhost", "a.localhost", 0 },
	{ ".example.com", "example.com", 1 },
	{ ".example.com", "a.example.com", 1 },
	{ ".example.com", "a.b.EXAMPLE.com", 1 },
	{ ".example.com", "badexample.com", 0 },
	{ ".example.com", "example.com.evil", 0 },
	{ "example.com", "a.example.com", 0 },
	{ "1.2.3.4", "1.2.3.4", 0 },	/* an address rule needs an address */
};

START_TEST(test_match_host)
{
	struct netpolicy_rule	r;
	char			err[256] = "";

	ck_assert_int_eq(netpolicy_parse_rule(&r, host_rows[_i].rule, err,
	    sizeof(err)), 0);
	ck_assert_msg(netpolicy_rule_match(&r, host_rows[_i].host, NULL) ==
	    host_rows[_i].want, "%s vs %s", host_rows[_i].rule,
	    host_rows[_i].host);
}
END_TEST

START_TEST(test_addr_bad)
{
	static const char *const	bad[] = {
		"", "1.2.3", "1.2.3.4.5", "256.0.0.0", "01.2.3.4", "::g",
		"1::2::3", "[::1]", "fe80::1%eth0", " 1.2.3.4", "1.2.3.4 ",
		"0x7f000001",
	};
	struct netpolicy_addr		a;
	size_t				i;

	for (i = 0; i < TD_NELEM(bad); i++)
		ck_assert_msg(netpolicy_addr_parse(&a, bad[i]) == -1,
		    "'%s' accepted", bad[i]);
}
END_TEST

/* ----------------------------------------------------------- verdict */

static const struct {
	const char	*label;
	const char	*allow;
	const char	*deny;
	const char	*host;
	const char	*addr;		/* NULL: not resolved yet */
	int		 want;
} verdict_rows[] = {
	{ "default: loopback", "", TD_DENY_TARGETS_DEFAULT, "localhost",
	    "127.0.0.1", NETPOLICY_ALLOW },
	{ "default: ::1", "", TD_DENY_TARGETS_DEFAULT, "::1", NULL,
	    NETPOLICY_ALLOW },
	{ "default: metadata literal", "", TD_DENY_TARGETS_DEFAULT,
	    "169.254.169.254", NULL, NETPOLICY_DENY },
	{ "default: metadata decimal", "", TD_DENY_TARGETS_DEFAULT,
	    "2852039166", NULL, NETPOLICY_DENY },
	{ "default: metadata hex", "", TD_DENY_TARGETS_DEFAULT,
	    "0xa9fea9fe", NULL, NETPOLICY_DENY },
	{ "default: metadata mapped", "", TD_DENY_TARGETS_DEFAULT,
	    "::ffff:169.254.169.254", NULL, NETPOLICY_DENY },
	{ "default: name resolving to metadata", "", TD_DENY_TARGETS_DEFAULT,
	    "metadata.internal", "169.254.169.254", NETPOLICY_DENY },
	{ "default: name unresolved", "", TD_DENY_TARGETS_DEFAULT,
	    "example.com", NULL, NETPOLICY_UNKNOWN },
	{ "default: aws v6", "", TD_DENY_TARGETS_DEFAULT, "fd00:ec2::254",
	    NULL, NETPOLICY_DENY },
	{ "default: link-local v6", "", TD_DENY_TARGETS_DEFAULT, "x",
	    "fe80::1", NETPOLICY_DENY },
	{ "default: private ok", "", TD_DENY_TARGETS_DEFAULT, "x",
	    "10.1.2.3", NETPOLICY_ALLOW },
	{ "default: 0.0.0.0", "", TD_DENY_TARGETS_DEFAULT, "0.0.0.0", NULL,
	    NETPOLICY_DENY },
	{ "nothing: anything goes", "", "", "x", NULL, NETPOLICY_ALLOW },
	{ "nothing: metadata goes", "", "", "169.254.169.254", NULL,
	    NETPOLICY_ALLOW },
	{ "deny loopback block", "", "127.0.0.0/8", "localhost", "127.0.0.1",
	    NETPOLICY_DENY },
	{ "deny loopback, name unknown", "", "127.0.0.0/8", "localhost", NULL,
	    NETPOLICY_UNKNOWN },
	{ "deny a name", "", "localhost", "localhost", NULL,
	    NETPOLICY_DENY },
	{ "deny a domain", "", ".corp", "db.corp", NULL, NETPOLICY_DENY },
	{ "deny names only: known at once", "", ".corp", "example.com", NULL,
	    NETPOLICY_ALLOW },
	{ "allow list: in", "10.0.0.0/8", "", "x", "10.9.9.9",
	    NETPOLICY_ALLOW },
	{ "allow list: out", "10.0.0.0/8", "", "x", "11.0.0.1",
	    NETPOLICY_DENY },
	{ "allow list: name pending", "10.0.0.0/8", "", "x", NULL,
	    NETPOLICY_UNKNOWN },
	{ "allow names: other name", "api.example", "", "x", NULL,
	    NETPOLICY_DENY },
	{ "allow names: the name", "api.example", "", "api.example",
	    "1.2.3.4", NETPOLICY_ALLOW },
	{ "deny wins over an allowed name", "api.example",
	    TD_DENY_TARGETS_DEFAULT, "api.example", "169.254.169.254",
	    NETPOLICY_DENY },
	{ "deny wins over an allowed block", "169.254.0.0/16",
	    "169.254.169.254", "x", "169.254.169.254", NETPOLICY_DENY },
	{ "allowed block beside a denied address", "169.254.0.0/16",
	    "169.254.169.254", "x", "169.254.1.1", NETPOLICY_ALLOW },
};

START_TEST(test_verdict)
{
	struct netpolicy_list	allow, deny;
	struct netpolicy_addr	a;
	char			err[256] = "";

	ck_assert_int_eq(netpolicy_parse_list(&allow, verdict_rows[_i].allow,
	    err, sizeof(err)), 0);
	ck_assert_int_eq(netpolicy_parse_list(&deny, verdict_rows[_i].deny,
	    err, sizeof(err)), 0);
	if (verdict_rows[_i].addr != NULL)
		ck_assert_int_eq(netpolicy_addr_parse(&a,
		    verdict_rows[_i].addr), 0);
	ck_assert_msg((int)netpolicy_check(&allow, &deny, verdict_rows[_i].host,
	    verdict_rows[_i].addr != NULL ? &a : NULL) == verdict_rows[_i].want,
	    "%s: want %d", verdict_rows[_i].label, verdict_rows[_i].want);
}
END_TEST

/* ---------------------------------------------------------- URL host */

static const struct {
	const char	*url;
	const char	*want;
} url_rows[] = {
	{ "http://example.com/x", "example.com" },
	{ "https://Example.COM:8443/x?y#z", "example.com" },
	{ "http://user:pass@host:1/", "host" },
	{ "http://a@b@host/", "host" },
	{ "http://[::1]:8080/", "::1" },
	{ "http://[fe80::1%25eth0]/", "fe80::1" },
	{ "http://169.254.169.254/latest", "169.254.169.254" },
	{ "http://localhost./", "localhost" },
	{ "http://host?x=@evil/", "host" },
	{ "http://host#@evil/", "host" },
	{ "http:///x", "" },
	{ "nothing", "" },
};

START_TEST(test_url_host)
{
	char	buf[TD_NETHOST_MAX];

	ck_assert_int_eq(netpolicy_url_host(url_rows[_i].url, buf,
	    sizeof(buf)), 0);
	ck_assert_msg(strcmp(buf, url_rows[_i].want) == 0, "%s: '%s' want "
	    "'%s'", url_rows[_i].url, buf, url_rows[_i].want);
}
END_TEST

static Suite *
netpolicy_suite(void)
{
	Suite	*s = suite_create("netpolicy");
	TCase	*tc;

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse_good, 0, TD_NELEM(good_rules));
	tcase_add_loop_test(tc, test_parse_bad, 0, TD_NELEM(bad_rules));
	tcase_add_test(tc, test_parse_list);
	tcase_add_test(tc, test_addr_bad);
	suite_add_tcase(s, tc);

	tc = tcase_create("match");
	tcase_add_loop_test(tc, test_match, 0, TD_NELEM(match_rows));
	tcase_add_loop_test(tc, test_match_host, 0, TD_NELEM(host_rows));
	tcase_add_loop_test(tc, test_verdict, 0, TD_NELEM(verdict_rows));
	tcase_add_loop_test(tc, test_url_host, 0, TD_NELEM(url_rows));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(netpolicy_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
