/*
 * check_conf.c: the value parsers, whole files (written to mkstemp files
 * under /tmp) with their file:line messages, the [queue.NAME] overrides
 * in either order, the environment overrides, the defaults, the dump
 * read back, the sample etc/taskdispatcher.conf, and the dynamic queues
 * (conf_queue_sync).
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "util.h"

#define S	1000ULL
#define M	(60 * S)
#define H	(60 * M)
#define D	(24 * H)

/* A temporary file holding n bytes of text; unlinked by tmp_done(). */
static char	tmp_path[64];

static const char *
tmp_write(const char *text, size_t n)
{
	int	fd;

	util_strlcpy(tmp_path, "/tmp/check_conf.XXXXXX", sizeof(tmp_path));
	if ((fd = mkstemp(tmp_path)) == -1)
		ck_abort_msg("mkstemp: %s", strerror(errno));
	ck_assert_int_eq(write(fd, text, n), (ssize_t)n);
	close(fd);
	return tmp_path;
}

static void
tmp_done(void)
{
	if (tmp_path[0] != '\0')
		unlink(tmp_path);
	tmp_path[0] = '\0';
}

/* Load text over the defaults into c; 0 or -1 with err. */
static int
load_text(struct conf *c, const char *text, char *err, size_t errlen)
{
	int	rv;

	conf_defaults(c);
	rv = conf_load(c, tmp_write(text, strlen(text)), err, errlen);
	tmp_done();
	return rv;
}

/* The value dump prints for [section] key, into buf; NULL if absent. */
static const char *
dump_value(const struct conf *c, const char *section, const char *key,
    char *buf, size_t len)
{
	char	*text = NULL, *line, *save, want[128];
	size_t	 size = 0;
	FILE	*fp = open_memstream(&text, &size);
	int	 in = 0;
	const char	*found = NULL;

	conf_dump(c, fp);
	fclose(fp);
	snprintf(want, sizeof(want), "%s =", key);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '[') {
			in = strncmp(line + 1, section, strlen(section)) == 0 &&
			    line[1 + strlen(section)] == ']';
			continue;
		}
		if (in && strncmp(line, want, strlen(want)) == 0) {
			line += strlen(want);
			util_strlcpy(buf, line + (line[0] == ' '), len);
			found = buf;
			break;
		}
	}
	free(text);
	return found;
}

/* The first field in which a and b differ, or NULL. */
static const char *
conf_diff(const struct conf *a, const struct conf *b)
{
	int	i;

#define NUM(f)	if (a->f != b->f) return #f
#define STR(f)	if (strcmp(a->f, b->f) != 0) return #f
	STR(listen_host); NUM(listen_port); NUM(max_body); NUM(max_header);
	NUM(max_connections); NUM(idle_timeout_ms); NUM(header_timeout_ms);
	NUM(log_level);
	STR(redis_host); NUM(redis_port); STR(redis_unix);
	STR(redis_password); NUM(redis_db); STR(redis_prefix);
	NUM(redis_timeout_ms);
	NUM(workers); NUM(concurrency); NUM(lease_ms);
	NUM(shutdown_timeout_ms);
	NUM(dispatch.timeout_ms); NUM(dispatch.max_retries);
	NUM(dispatch.min_backoff_ms); NUM(dispatch.max_backoff_ms);
	NUM(done_retention_ms); NUM(dead_retention_ms);
	STR(ct_project); STR(ct_location); NUM(tombstone_ttl_ms);
	STR(api_token_file); NUM(napi_tokens); NUM(napi_tokens_inline);
	for (i = 0; i < a->napi_tokens; i++)
		STR(api_tokens[i]);
	STR(user); STR(group); NUM(uid); NUM(gid);
	NUM(allow_targets.n); NUM(deny_targets.n);
	if (memcmp(&a->allow_targets, &b->allow_targets,
	    sizeof(a->allow_targets)) != 0)
		return "allow_targets";
	if (memcmp(&a->deny_targets, &b->deny_targets,
	    sizeof(a->deny_targets)) != 0)
		return "deny_targets";
	NUM(nqueues);
	for (i = 0; i < a->nqueues; i++) {
		STR(queues[i].name); NUM(queues[i].weight);
		NUM(queues[i].dispatch.timeout_ms);
		NUM(queues[i].dispatch.max_retries);
		NUM(queues[i].dispatch.min_backoff_ms);
		NUM(queues[i].dispatch.max_backoff_ms);
		NUM(queues[i].dynamic);
	}
#undef NUM
#undef STR
	return NULL;
}

/* ---------------------------------------------------------- durations */

static const struct {
	const char	*in;
	int		 ok;
	uint64_t	 ms;
} duration_rows[] = {
	{ "250ms", 1, 250 }, { "30s", 1, 30 * S }, { "5m", 1, 5 * M },
	{ "1h", 1, H }, { "7d", 1, 7 * D }, { "0", 1, 0 }, { "0s", 1, 0 },
	{ "0ms", 1, 0 }, { "10", 1, 10 * S }, { "00010s", 1, 10 * S },
	{ "1.5s", 1, 1500 }, { "1.5", 1, 1500 }, { "0.25m", 1, 15 * S },
	{ "2.5h", 1, 9000 * S }, { "0.5d", 1, 12 * H },
	{ "1.0005s", 1, 1001 }, { "0.0004s", 1, 0 }, { "0.5ms", 1, 1 },
	{ "0.4ms", 1, 0 }, { "1.123456789123s", 1, 1123 },
	{ "36500d", 1, 36500 * D }, { "876000h", 1, 36500 * D },
	{ "", 0, 0 }, { "abc", 0, 0 }, { "soon", 0, 0 }, { "-1", 0, 0 },
	{ "-1s", 0, 0 }, { "+1s", 0, 0 }, { " 1s", 0, 0 }, { "1s ", 0, 0 },
	{ "1 s", 0, 0 }, { "1S", 0, 0 }, { "1M", 0, 0 }, { "1H", 0, 0 },
	{ "1sec", 0, 0 }, { "1ms5", 0, 0 }, { "1.s", 0, 0 }, { ".5s", 0, 0 },
	{ "1..5s", 0, 0 }, { "1.5.5s", 0, 0 }, { "1,5s", 0, 0 },
	{ "1e3", 0, 0 }, { "0x10", 0, 0 }, { "inf", 0, 0 }, { "nan", 0, 0 },
	{ "1w", 0, 0 }, { "1y", 0, 0 }, { "1us", 0, 0 }, { "s", 0, 0 },
	{ "ms", 0, 0 }, { "36500.001d", 0, 0 }, { "36501d", 0, 0 },
	{ "99999999999999999999", 0, 0 },
	{ "18446744073709551615ms", 0, 0 },
	{ "18446744073709551616ms", 0, 0 }, { "1s1s", 0, 0 },
};

START_TEST(test_duration)
{
	uint64_t	ms = 4242;
	int		rv = conf_parse_duration(duration_rows[_i].in, &ms);

	if (duration_rows[_i].ok) {
		ck_assert_msg(rv == 0, "'%s' refused", duration_rows[_i].in);
		ck_assert_msg(ms == duration_rows[_i].ms,
		    "'%s': %llu, want %llu",
		    duration_rows[_i].in, (unsigned long long)ms,
		    (unsigned long long)duration_rows[_i].ms);
	} else {
		ck_assert_msg(rv == -1, "'%s' accepted", duration_rows[_i].in);
		ck_assert_uint_eq(ms, 4242);
	}
}
END_TEST

/* -------------------------------------------------------------- sizes */

static const struct {
	const char	*in;
	int		 ok;
	size_t		 size;
} size_rows[] = {
	{ "0", 1, 0 }, { "512", 1, 512 }, { "007", 1, 7 }, { "64k", 1, 65536 },
	{ "64K", 1, 65536 }, { "1m", 1, 1048576 }, { "1M", 1, 1048576 },
	{ "512m", 1, 512ULL << 20 }, { "0k", 1, 0 },
	{ "", 0, 0 }, { "k", 0, 0 }, { "m", 0, 0 }, { "1g", 0, 0 },
	{ "1G", 0, 0 }, { "1kb", 0, 0 }, { "1KB", 0, 0 }, { "1b", 0, 0 },
	{ "1.5m", 0, 0 }, { "-1", 0, 0 }, { "+1", 0, 0 }, { " 1", 0, 0 },
	{ "1 ", 0, 0 }, { "1 k", 0, 0 }, { "1kk", 0, 0 }, { "huge", 0, 0 },
	{ "0x10", 0, 0 }, { "1e3", 0, 0 }, { "99999999999999999999", 0, 0 },
	{ "18014398509481984m", 0, 0 }, { "18014398509481984k", 0, 0 },
};

START_TEST(test_size)
{
	size_t	sz = 4242;
	int	rv = conf_parse_size(size_rows[_i].in, &sz);

	if (size_rows[_i].ok) {
		ck_assert_msg(rv == 0, "'%s' refused", size_rows[_i].in);
		ck_assert_uint_eq(sz, size_rows[_i].size);
	} else {
		ck_assert_msg(rv == -1, "'%s' accepted", size_rows[_i].in);
		ck_assert_uint_eq(sz, 4242);
	}
}
END_TEST

/* ------------------------------------------------------ redis address */

/* 107 bytes: the longest path sun_path holds. */
#define LONGPATH107 "/0123456789012345678901234567890123456789012345678901" \
	"234567890123456789012345678901234567890123456789012345"

static const struct {
	const char	*in;
	const char	*host;		/* NULL: refused */
	int		 port;
	const char	*unix_path;
} addr_rows[] = {
	{ "localhost:6379", "localhost", 6379, "" },
	{ "127.0.0.1:1", "127.0.0.1", 1, "" },
	{ "redis.example.com:65535", "redis.example.com", 65535, "" },
	{ "[::1]:6380", "::1", 6380, "" },
	{ "[fe80::1%eth0]:6380", "fe80::1%eth0", 6380, "" },
	{ ":6379", "localhost", 6379, "" },
	{ "6390", "localhost", 6390, "" },
	{ "/tmp/redis.sock", "", 0, "/tmp/redis.sock" },
	{ "/", "", 0, "/" },
	{ LONGPATH107, "", 0, LONGPATH107 },
	{ LONGPATH107 "x", NULL, 0, NULL },
	{ "", NULL, 0, NULL },
	{ "host", NULL, 0, NULL },
	{ "host:", NULL, 0, NULL },
	{ "host:0", NULL, 0, NULL },
	{ "host:65536", NULL, 0, NULL },
	{ "host:-1", NULL, 0, NULL },
	{ "host:63x", NULL, 0, NULL },
	{ "host: 63", NULL, 0, NULL },
	{ "::1:6379", NULL, 0, NULL },
	{ "[::1]", NULL, 0, NULL },
	{ "[::1]6379", NULL, 0, NULL },
	{ "[]:1", NULL, 0, NULL },
	{ "[::1:6379", NULL, 0, NULL },
	{ "a b:1", NULL, 0, NULL },
	{ "a/b:1", NULL, 0, NULL },
	{ "tcp://h:1", NULL, 0, NULL },
	{ "relative/redis.sock", NULL, 0, NULL },
	{ "0", NULL, 0, NULL },
};

START_TEST(test_redis_addr)
{
	struct conf	c;
	char		err[256] = "";
	int		rv;

	conf_defaults(&c);
	rv = conf_parse_redis_addr(&c, addr_rows[_i].in, err, sizeof(err));
	if (addr_rows[_i].host == NULL) {
		ck_assert_msg(rv == -1, "'%s' accepted", addr_rows[_i].in);
		ck_assert_msg(err[0] != '\0', "'%s': no message",
		    addr_rows[_i].in);
		/* A refused address changes nothing. */
		ck_assert_str_eq(c.redis_addr, "localhost:6379");
		ck_assert_str_eq(c.redis_host, "localhost");
		ck_assert_int_eq(c.redis_port, 6379);
		ck_assert_str_eq(c.redis_unix, "");
		return;
	}
	ck_assert_msg(rv == 0, "'%s': %s", addr_rows[_i].in, err);
	ck_assert_str_eq(c.redis_addr, addr_rows[_i].in);
	ck_assert_str_eq(c.redis_host, addr_rows[_i].host);
	ck_assert_int_eq(c.redis_port, addr_rows[_i].port);
	ck_assert_str_eq(c.redis_unix, addr_rows[_i].unix_path);
}
END_TEST

/* ------------------------------------------------------------- listen */

static const struct {
	const char	*in;
	const char	*host;		/* NULL: refused */
	int		 port;
} listen_rows[] = {
	{ "0.0.0.0:8080", "0.0.0.0", 8080 },
	{ "127.0.0.1:18080", "127.0.0.1", 18080 },
	{ ":9000", "0.0.0.0", 9000 },
	{ "9000", "0.0.0.0", 9000 },
	{ "[::]:80", "::", 80 },
	{ "[::1]:8080", "::1", 8080 },
	{ "localhost:1", "localhost", 1 },
	{ "0", NULL, 0 }, { "65536", NULL, 0 }, { "host", NULL, 0 },
	{ "1.2.3.4:", NULL, 0 }, { "::1:80", NULL, 0 }, { "[::1]", NULL, 0 },
	{ "a b:80", NULL, 0 }, { "-1", NULL, 0 }, { "80x", NULL, 0 },
	{ "*:80", NULL, 0 }, { "a/b:80", NULL, 0 }, { "[a b]:80", NULL, 0 },
	{ "[fe80::1%eth0]:80", "fe80::1%eth0", 80 },
	{ "my-host_1.example:80", "my-host_1.example", 80 },
};

START_TEST(test_listen)
{
	struct conf	c;
	char		text[128], err[256] = "";
	int		rv;

	snprintf(text, sizeof(text), "[server]\nlisten = %s\n",
	    listen_rows[_i].in);
	rv = load_text(&c, text, err, sizeof(err));
	if (listen_rows[_i].host == NULL) {
		ck_assert_msg(rv == -1, "'%s' accepted", listen_rows[_i].in);
		ck_assert_msg(strstr(err, ":2: [server] listen: invalid "
		    "address '") != NULL, "%s", err);
		return;
	}
	ck_assert_msg(rv == 0, "'%s': %s", listen_rows[_i].in, err);
	ck_assert_str_eq(c.listen_host, listen_rows[_i].host);
	ck_assert_int_eq(c.listen_port, listen_rows[_i].port);
}
END_TEST

/* ------------------------------------------------------- whole files */

/* IDs of the longest [cloudtasks] allows, and one more. */
#define C63	"abcdefghij-bcdefghij-bcdefghij-" \
	"bcdefghij-bcdefghij-bcdefghij123"
#define C64	C63 "4"
#define C127	C63 C64
#define C128	C64 C64

/* A good file and one value it must produce, as conf_dump prints it. */
static const struct {
	const char	*label;
	const char	*text;
	const char	*section;
	const char	*key;
	const char	*want;
} good_rows[] = {
	{ "listen", "[server]\nlisten = 127.0.0.1:1\n", "server", "listen",
	    "127.0.0.1:1" },
	{ "listen v6", "[server]\nlisten = [::1]:81\n", "server", "listen",
	    "[::1]:81" },
	{ "max_body k", "[server]\nmax_body = 64k\n", "server", "max_body",
	    "64k" },
	{ "max_body bytes", "[server]\nmax_body = 1024\n", "server",
	    "max_body", "1k" },
	{ "max_body odd", "[server]\nmax_body = 1025\n", "server",
	    "max_body", "1025" },
	{ "max_header", "[server]\nmax_header = 1m\n", "server",
	    "max_header", "1m" },
	{ "max_connections", "[server]\nmax_connections = 1\n", "server",
	    "max_connections", "1" },
	{ "idle_timeout", "[server]\nidle_timeout = 90s\n", "server",
	    "idle_timeout", "90s" },
	{ "idle_timeout 120s", "[server]\nidle_timeout = 120s\n", "server",
	    "idle_timeout", "2m" },
	{ "header_timeout", "[server]\nheader_timeout = 1ms\n", "server",
	    "header_timeout", "1ms" },
	{ "log_level", "[server]\nlog_level = debug\n", "server",
	    "log_level", "debug" },
	{ "log_level number", "[server]\nlog_level = 4\n", "server",
	    "log_level", "warning" },
	{ "log_level case", "[server]\nlog_level = ERR\n", "server",
	    "log_level", "err" },
	{ "redis unix", "[redis]\naddr = /run/redis.sock\n", "redis", "addr",
	    "/run/redis.sock" },
	{ "redis port only", "[redis]\naddr = 6390\n", "redis", "addr",
	    "localhost:6390" },
	{ "password", "[redis]\npassword = s3cr;et#x\n", "redis", "password",
	    "s3cr;et#x" },
	{ "password empty", "[redis]\npassword =\n", "redis", "password", "" },
	{ "password starting with ;", "[redis]\npassword =;x ;y\n", "redis",
	    "password", ";x" },
	{ "db", "[redis]\ndb = 15\n", "redis", "db", "15" },
	{ "prefix", "[redis]\nprefix = app:td-1.x_y\n", "redis", "prefix",
	    "app:td-1.x_y" },
	{ "connect_timeout", "[redis]\nconnect_timeout = 250ms\n", "redis",
	    "connect_timeout", "250ms" },
	{ "count 0", "[workers]\ncount = 0\n", "workers", "count", "0" },
	{ "count 1024", "[workers]\ncount = 1024\n", "workers", "count",
	    "1024" },
	{ "concurrency", "[workers]\nconcurrency = 1000\n", "workers",
	    "concurrency", "1000" },
	{ "lease 1s", "[workers]\nlease = 1s\n", "workers", "lease", "1s" },
	{ "lease 1.5s", "[workers]\nlease = 1.5s\n", "workers", "lease",
	    "1500ms" },
	{ "shutdown_timeout 0", "[workers]\nshutdown_timeout = 0\n", "workers",
	    "shutdown_timeout", "0s" },
	{ "timeout", "[dispatch]\ntimeout = 1s\n", "dispatch", "timeout",
	    "1s" },
	{ "max_retries 0", "[dispatch]\nmax_retries = 0\n", "dispatch",
	    "max_retries", "0" },
	{ "max_retries 1000", "[dispatch]\nmax_retries = 1000\n", "dispatch",
	    "max_retries", "1000" },
	{ "min_backoff", "[dispatch]\nmin_backoff = 100ms\n", "dispatch",
	    "min_backoff", "100ms" },
	{ "max_backoff", "[dispatch]\nmax_backoff = 1d\n", "dispatch",
	    "max_backoff", "1d" },
	{ "backoff equal", "[dispatch]\nmin_backoff = 5s\nmax_backoff = 5s\n",
	    "dispatch", "max_backoff", "5s" },
	{ "done_retention 0", "[dispatch]\ndone_retention = 0\n", "dispatch",
	    "done_retention", "0s" },
	{ "dead_retention", "[dispatch]\ndead_retention = 30d\n", "dispatch",
	    "dead_retention", "30d" },
	{ "queue weight", "[queue.bulk]\nweight = 2\n", "queue.bulk",
	    "weight", "2" },
	{ "queue weight 1000", "[queue.bulk]\nweight = 1000\n", "queue.bulk",
	    "weight", "1000" },
	{ "new queue weight 1", "[queue.bulk]\nmax_retries = 1\n",
	    "queue.bulk", "weight", "1" },
	{ "queue override shown", "[queue.bulk]\ntimeout = 5m\n",
	    "queue.bulk", "timeout", "5m" },
	{ "seed weight kept", "[queue.critical]\nmax_retries = 1\n",
	    "queue.critical", "weight", "6" },
	{ "63-character queue name", "[queue.abcdefghijklmnopqrstuvwxyzABCD"
	    "EFGHIJKLMNOPQRSTUVWXYZ0123456789_]\nweight = 9\n",
	    "queue.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_", "weight", "9" },
	{ "comments", "; comment\n# another\n[server]\n;listen = 1.1.1.1:1\n"
	    "listen = 1.2.3.4:5 ; trailing\n", "server", "listen",
	    "1.2.3.4:5" },
	{ "indented keys",
	    "[server]\n  listen = 1.2.3.4:5\n    max_body = 2m\n",
	    "server", "max_body", "2m" },
	{ "blank lines", "\n\n[server]\n\n\nmax_body = 3k\n\n", "server",
	    "max_body", "3k" },
	{ "BOM", "\xEF\xBB\xBF[server]\nmax_body = 2k\n", "server",
	    "max_body", "2k" },
	{ "CRLF", "[server]\r\nmax_body = 5k\r\n", "server", "max_body",
	    "5k" },
	{ "no final newline", "[server]\nmax_body = 3k", "server", "max_body",
	    "3k" },
	{ "colon syntax", "[server]\nmax_body: 4k\n", "server", "max_body",
	    "4k" },
	{ "blanks around =", "[server]\nmax_body\t=\t6k   \n", "server",
	    "max_body", "6k" },
	{ "empty file", "", "server", "listen", "0.0.0.0:8080" },
	{ "user", "[server]\nuser = root\n", "server", "user", "root" },
	{ "group", "[server]\ngroup = root\n", "server", "group", "root" },
	{ "token file", "[server]\napi_token_file =\n", "server",
	    "api_token_file", "" },
	{ "no tokens", "[server]\napi_tokens = , ,\n", "server",
	    "api_tokens", "" },
	{ "allow_targets", "[dispatch]\nallow_targets = 10.0.0.0/8, ::1  "
	    "LocalHost,.corp\n", "dispatch", "allow_targets",
	    "10.0.0.0/8 ::1 localhost .corp" },
	{ "allow_targets mapped", "[dispatch]\nallow_targets = "
	    "::ffff:10.0.0.0/104 ::ffff:1.2.3.4\n", "dispatch",
	    "allow_targets", "10.0.0.0/8 1.2.3.4" },
	{ "allow_targets /0", "[dispatch]\nallow_targets = 0.0.0.0/0 ::/0\n",
	    "dispatch", "allow_targets", "0.0.0.0/0 ::/0" },
	{ "deny_targets empty", "[dispatch]\ndeny_targets =\n", "dispatch",
	    "deny_targets", "" },
	{ "deny_targets /32 /128", "[dispatch]\ndeny_targets = "
	    "169.254.169.254/32 fd00:ec2::254/128\n", "dispatch",
	    "deny_targets", "169.254.169.254 fd00:ec2::254" },
	{ "section twice", "[server]\nmax_body = 7k\n[redis]\ndb = 1\n"
	    "[server]\nmax_header = 7k\n", "server", "max_body", "7k" },
	{ "ct project", "[cloudtasks]\nproject = my-proj-1\n", "cloudtasks",
	    "project", "my-proj-1" },
	{ "ct project domain-scoped", "[cloudtasks]\nproject = "
	    "example.com:Proj-2\n", "cloudtasks", "project",
	    "example.com:Proj-2" },
	{ "ct project empty", "[cloudtasks]\nproject =\n", "cloudtasks",
	    "project", "" },
	{ "ct project 127", "[cloudtasks]\nproject = " C127 "\n",
	    "cloudtasks", "project", C127 },
	{ "ct location", "[cloudtasks]\nlocation = us-central1\n",
	    "cloudtasks", "location", "us-central1" },
	{ "ct location 63", "[cloudtasks]\nlocation = " C63 "\n",
	    "cloudtasks", "location", C63 },
	{ "tombstone_ttl", "[cloudtasks]\ntombstone_ttl = 90m\n",
	    "cloudtasks", "tombstone_ttl", "90m" },
	{ "tombstone_ttl 0", "[cloudtasks]\ntombstone_ttl = 0\n",
	    "cloudtasks", "tombstone_ttl", "0s" },
	{ "tombstone_ttl ms", "[cloudtasks]\ntombstone_ttl = 1500ms\n",
	    "cloudtasks", "tombstone_ttl", "1500ms" },

	{ "dash listen", "[dashboard]\nlisten = 0.0.0.0:9000\n", "dashboard",
	    "listen", "0.0.0.0:9000" },
	{ "dash listen port", "[dashboard]\nlisten = 9001\n", "dashboard",
	    "listen", "0.0.0.0:9001" },
	{ "dash listen v6", "[dashboard]\nlisten = [::1]:9000\n",
	    "dashboard", "listen", "[::1]:9000" },
	{ "dash off", "[dashboard]\nlisten =\n", "dashboard", "listen", "" },
	{ "dash base", "[dashboard]\nbase_path = tasks\n", "dashboard",
	    "base_path", "/tasks/" },
	{ "dash base slashes", "[dashboard]\nbase_path = /a/b.c~_-/\n",
	    "dashboard", "base_path", "/a/b.c~_-/" },
	{ "dash base root", "[dashboard]\nbase_path = /\n", "dashboard",
	    "base_path", "/" },
	{ "dash base empty", "[dashboard]\nbase_path =\n", "dashboard",
	    "base_path", "/" },
	{ "dash read_only", "[dashboard]\nread_only = YES\n", "dashboard",
	    "read_only", "yes" },
	{ "dash read_only off", "[dashboard]\nread_only = off\n",
	    "dashboard", "read_only", "no" },
	{ "dash redact", "[dashboard]\nredact_headers = X-A, *Key*\n",
	    "dashboard", "redact_headers", "x-a *key*" },
	{ "dash redact none", "[dashboard]\nredact_headers =\n", "dashboard",
	    "redact_headers", "" },
	{ "dash session", "[dashboard]\nsession_timeout = 30m\n",
	    "dashboard", "session_timeout", "30m" },
	{ "dash users hidden", "[dashboard]\nusers = a:$6$s$x b.c@d:$y$j9T$z\n",
	    "dashboard", ";users", "(2 users, not shown)" },
};

START_TEST(test_good_file)
{
	struct conf	c;
	char		err[256] = "", buf[256];
	const char	*got;

	ck_assert_msg(load_text(&c, good_rows[_i].text, err, sizeof(err)) == 0,
	    "%s: %s", good_rows[_i].label, err);
	got = dump_value(&c, good_rows[_i].section, good_rows[_i].key, buf,
	    sizeof(buf));
	ck_assert_msg(got != NULL, "%s: [%s] %s not in the dump",
	    good_rows[_i].label, good_rows[_i].section, good_rows[_i].key);
	ck_assert_msg(strcmp(got, good_rows[_i].want) == 0,
	    "%s: [%s] %s = '%s', want '%s'", good_rows[_i].label,
	    good_rows[_i].section, good_rows[_i].key, got, good_rows[_i].want);
}
END_TEST

/* A bad file: the message after "path:". */
static const struct {
	const char	*label;
	const char	*text;
	const char	*want;
} bad_rows[] = {
	{ "syntax", "[server]\nlisten = 127.0.0.1:1\nthis line is nonsense\n",
	    "3: syntax error (want [section] or key = value)" },
	{ "section without ]", "[server]\nlisten = 127.0.0.1:1\n[workers\n"
	    "count = 1\n", "3: section header without ']'" },
	{ "bad count", "[server]\nlisten = 127.0.0.1:1\n[workers]\n"
	    "count = lots\n", "4: [workers] count: invalid number 'lots'" },
	{ "bad duration", "[dispatch]\nmin_backoff = 1s\ntimeout = soon\n",
	    "3: [dispatch] timeout: invalid duration 'soon'" },
	{ "bad size", "[server]\nmax_body = huge\n",
	    "2: [server] max_body: invalid size 'huge'" },
	{ "unknown key", "[server]\nlisten = 127.0.0.1:1\nlisten_too = 1\n",
	    "3: [server] listen_too: unknown key" },
	{ "key of another section", "[server]\ncount = 1\n",
	    "2: [server] count: unknown key" },
	{ "key case", "[server]\nListen = :1\n",
	    "2: [server] Listen: unknown key" },
	{ "unknown user", "[server]\nuser = td-no-such-user\n",
	    "2: [server] user: unknown user 'td-no-such-user'" },
	{ "unknown group", "[server]\nuser = root\ngroup = td-no-such-group\n",
	    "3: [server] group: unknown group 'td-no-such-group'" },
	{ "user too long", "[server]\nuser = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	    "2: [server] user: name too long (at most 63 bytes)" },
	{ "bad token", "[server]\napi_tokens = good-one, bad\"x\n",
	    "2: [server] api_tokens: token 2 is not a valid bearer token (want "
	    "A-Z a-z 0-9 - . _ ~ + / and trailing =)" },
	{ "token starting with =", "[server]\napi_tokens = =abc\n",
	    "2: [server] api_tokens: token 1 is not a valid bearer token (want "
	    "A-Z a-z 0-9 - . _ ~ + / and trailing =)" },
	{ "= inside a token", "[server]\napi_tokens = a=b\n",
	    "2: [server] api_tokens: token 1 is not a valid bearer token (want "
	    "A-Z a-z 0-9 - . _ ~ + / and trailing =)" },
	{ "too many tokens", "[server]\napi_tokens = a b c d e f g h i j k l "
	    "m n o p q\n", "2: [server] api_tokens: too many tokens (at most "
	    "16)" },
	{ "missing token file", "[server]\nlisten = :1\n"
	    "api_token_file = /nonexistent/td-tokens\n",
	    "3: [server] api_token_file: /nonexistent/td-tokens: No such file "
	    "or directory" },
	{ "targets host bits", "[dispatch]\ndeny_targets = 10.0.0.1/8\n",
	    "2: [dispatch] deny_targets: '10.0.0.1/8': host bits set (the "
	    "block would start elsewhere)" },
	{ "targets prefix", "[dispatch]\nallow_targets = 1.2.3.4/40\n",
	    "2: [dispatch] allow_targets: '1.2.3.4/40': prefix length over "
	    "32" },
	{ "targets v6 prefix", "[dispatch]\nallow_targets = ::/129\n",
	    "2: [dispatch] allow_targets: '::/129': invalid prefix length" },
	{ "targets junk", "[dispatch]\nallow_targets = 10.0.0.0/8 a/b\n",
	    "2: [dispatch] allow_targets: 'a/b': invalid address" },
	{ "targets per queue", "[queue.x]\ndeny_targets = ::1\n",
	    "2: [queue.x] deny_targets: unknown key" },
	{ "unknown section", "[sever]\nlisten = 127.0.0.1:1\n",
	    "2: [sever]: unknown section" },
	{ "section case", "[Server]\nlisten = :1\n",
	    "2: [Server]: unknown section" },
	{ "queue without name", "[queue]\nweight = 1\n",
	    "2: [queue]: unknown section" },
	{ "not in a section", "listen = :1\n", "1: listen: not in a section" },
	{ "key name missing", "[server]\n= 5\n",
	    "2: [server]: key name missing" },
	{ "duplicate", "[server]\nmax_body = 1m\nmax_body = 2m\n",
	    "3: [server] max_body: duplicate key (first on line 2)" },
	{ "duplicate across sections", "[server]\nmax_body = 1m\n[redis]\n"
	    "db = 1\n[server]\nmax_body = 2m\n",
	    "6: [server] max_body: duplicate key (first on line 2)" },
	{ "duplicate in queue", "[queue.a]\nweight = 1\n[queue.b]\n"
	    "weight = 2\n[queue.a]\nweight = 3\n",
	    "6: [queue.a] weight: duplicate key (first on line 2)" },
	{ "first error wins", "[server]\nmax_body = x\nmax_header = y\n",
	    "2: [server] max_body: invalid size 'x'" },
	{ "syntax before key error", "[server]\nnonsense\nbogus = 1\n",
	    "2: syntax error (want [section] or key = value)" },
	{ "key error before syntax", "[server]\nbogus = 1\nnonsense\n",
	    "2: [server] bogus: unknown key" },
	/* ranges */
	{ "count 1025", "[workers]\ncount = 1025\n",
	    "2: [workers] count: 1025 is out of range (0 to 1024)" },
	{ "count -1", "[workers]\ncount = -1\n",
	    "2: [workers] count: -1 is out of range (0 to 1024)" },
	{ "count huge", "[workers]\ncount = 99999999999999999999\n",
	    "2: [workers] count: invalid number '99999999999999999999'" },
	{ "count 1.5", "[workers]\ncount = 1.5\n",
	    "2: [workers] count: invalid number '1.5'" },
	{ "count empty", "[workers]\ncount =\n",
	    "2: [workers] count: invalid number ''" },
	{ "count +1", "[workers]\ncount = +1\n",
	    "2: [workers] count: invalid number '+1'" },
	{ "concurrency 0", "[workers]\nconcurrency = 0\n",
	    "2: [workers] concurrency: 0 is out of range (1 to 1000)" },
	{ "concurrency 1001", "[workers]\nconcurrency = 1001\n",
	    "2: [workers] concurrency: 1001 is out of range (1 to 1000)" },
	{ "lease 999ms", "[workers]\nlease = 999ms\n",
	    "2: [workers] lease: 999ms is out of range (1s to 36500d)" },
	{ "lease 0", "[workers]\nlease = 0\n",
	    "2: [workers] lease: 0 is out of range (1s to 36500d)" },
	{ "lease abc", "[workers]\nlease = abc\n",
	    "2: [workers] lease: invalid duration 'abc'" },
	{ "shutdown_timeout bad", "[workers]\nshutdown_timeout = -1s\n",
	    "2: [workers] shutdown_timeout: invalid duration '-1s'" },
	{ "timeout 500ms", "[dispatch]\ntimeout = 500ms\n",
	    "2: [dispatch] timeout: 500ms is out of range (1s to 36500d)" },
	{ "max_retries 1001", "[dispatch]\nmax_retries = 1001\n",
	    "2: [dispatch] max_retries: 1001 is out of range (0 to 1000)" },
	{ "max_retries -1", "[dispatch]\nmax_retries = -1\n",
	    "2: [dispatch] max_retries: -1 is out of range (0 to 1000)" },
	{ "min_backoff 0", "[dispatch]\nmin_backoff = 0\n",
	    "2: [dispatch] min_backoff: 0 is out of range (1ms to 36500d)" },
	{ "done_retention bad", "[dispatch]\ndone_retention = 1w\n",
	    "2: [dispatch] done_retention: invalid duration '1w'" },
	{ "dead_retention too long", "[dispatch]\ndead_retention = 36501d\n",
	    "2: [dispatch] dead_retention: invalid duration '36501d'" },
	{ "max_body 1023", "[server]\nmax_body = 1023\n",
	    "2: [server] max_body: 1023 is out of range (1k to 512m)" },
	{ "max_body 513m", "[server]\nmax_body = 513m\n",
	    "2: [server] max_body: 513m is out of range (1k to 512m)" },
	{ "max_header 512", "[server]\nmax_header = 512\n",
	    "2: [server] max_header: 512 is out of range (1k to 1m)" },
	{ "max_connections 0", "[server]\nmax_connections = 0\n",
	    "2: [server] max_connections: 0 is out of range (1 to 1000000)" },
	{ "idle_timeout 0", "[server]\nidle_timeout = 0\n",
	    "2: [server] idle_timeout: 0 is out of range (1ms to 36500d)" },
	{ "header_timeout 0", "[server]\nheader_timeout = 0s\n",
	    "2: [server] header_timeout: 0s is out of range (1ms to 36500d)" },
	{ "connect_timeout 0", "[redis]\nconnect_timeout = 0ms\n",
	    "2: [redis] connect_timeout: 0ms is out of range (1ms to 36500d)" },
	{ "db -1", "[redis]\ndb = -1\n",
	    "2: [redis] db: -1 is out of range (0 to 1000000)" },
	{ "db x", "[redis]\ndb = x\n", "2: [redis] db: invalid number 'x'" },
	{ "log_level", "[server]\nlog_level = loud\n",
	    "2: [server] log_level: invalid log level 'loud' (want err, "
	    "warning, notice, info or debug)" },
	{ "log_level 8", "[server]\nlog_level = 8\n",
	    "2: [server] log_level: invalid log level '8' (want err, "
	    "warning, notice, info or debug)" },
	{ "prefix braces", "[redis]\nprefix = td{x}\n",
	    "2: [redis] prefix: invalid prefix 'td{x}' (want 1 to 63 of "
	    "A-Z a-z 0-9 _ . : -)" },
	{ "prefix empty", "[redis]\nprefix =\n",
	    "2: [redis] prefix: invalid prefix '' (want 1 to 63 of "
	    "A-Z a-z 0-9 _ . : -)" },
	{ "prefix space", "[redis]\nprefix = a b\n",
	    "2: [redis] prefix: invalid prefix 'a b' (want 1 to 63 of "
	    "A-Z a-z 0-9 _ . : -)" },
	{ "prefix 64", "[redis]\nprefix = 012345678901234567890123456789"
	    "0123456789012345678901234567890123\n",
	    "2: [redis] prefix: invalid prefix '01234567890123456789012345678"
	    "90123456789012345678901234567890123' (want 1 to 63 of "
	    "A-Z a-z 0-9 _ . : -)" },
	{ "listen", "[server]\nlisten = 80x\n",
	    "2: [server] listen: invalid address '80x' (want host:port, "
	    "port 1 to 65535)" },
	{ "listen v6 without brackets", "[server]\nlisten = ::1:80\n",
	    "2: [server] listen: invalid address '::1:80': bad host name "
	    "(an IPv6 "
	    "address needs [brackets])" },
	{ "redis addr", "[redis]\naddr = nohost\n",
	    "2: [redis] addr: invalid address 'nohost' (want host:port, "
	    "port 1 to 65535) (or an absolute socket path)" },
	{ "redis socket too long", "[redis]\naddr = " LONGPATH107 "x\n",
	    "2: [redis] addr: socket path '" LONGPATH107 "x' too long (at "
	    "most 107 bytes)" },
	/* queues */
	{ "queue name space", "[queue.a b]\nweight = 1\n",
	    "2: [queue.a b]: invalid queue name 'a b' (want 1 to 63 of "
	    "A-Z a-z 0-9 _ -)" },
	{ "queue name empty", "[queue.]\nweight = 1\n",
	    "2: [queue.]: invalid queue name '' (want 1 to 63 of "
	    "A-Z a-z 0-9 _ -)" },
	{ "queue name dot", "[queue.a.b]\nweight = 1\n",
	    "2: [queue.a.b]: invalid queue name 'a.b' (want 1 to 63 of "
	    "A-Z a-z 0-9 _ -)" },
	{ "queue name 64", "[queue.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNO"
	    "PQRSTUVWXYZ0123456789_-]\nweight = 1\n",
	    "2: [queue.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_-]: invalid queue name 'abcdefghijklmnopqrstuvwxyzABC"
	    "DEFGHIJKLMNOPQRSTUVWXYZ0123456789_-' (want 1 to 63 of "
	    "A-Z a-z 0-9 _ -)" },
	{ "queue unknown key", "[queue.bulk]\nlease = 1s\n",
	    "2: [queue.bulk] lease: unknown key" },
	{ "queue weight 0", "[queue.bulk]\nweight = 0\n",
	    "2: [queue.bulk] weight: 0 is out of range (1 to 1000)" },
	{ "queue weight 1001", "[queue.low]\nweight = 1001\n",
	    "2: [queue.low] weight: 1001 is out of range (1 to 1000)" },
	{ "queue timeout", "[queue.bulk]\ntimeout = 999ms\n",
	    "2: [queue.bulk] timeout: 999ms is out of range (1s to 36500d)" },
	{ "queue max_retries", "[queue.bulk]\nmax_retries = 1001\n",
	    "2: [queue.bulk] max_retries: 1001 is out of range (0 to 1000)" },
	{ "queue min_backoff", "[queue.bulk]\nmin_backoff = x\n",
	    "2: [queue.bulk] min_backoff: invalid duration 'x'" },
	{ "queue max_backoff", "[queue.bulk]\nmax_backoff = 0\n",
	    "2: [queue.bulk] max_backoff: 0 is out of range (1ms to 36500d)" },
	/* across fields, after the whole file */
	{ "min over max", "[dispatch]\nmin_backoff = 20m\n",
	    "2: [dispatch] min_backoff (20m) is greater than max_backoff "
	    "(10m)" },
	{ "max under min", "\n[dispatch]\nmax_backoff = 500ms\n",
	    "3: [dispatch] min_backoff (1s) is greater than max_backoff "
	    "(500ms)" },
	{ "later line blamed", "[dispatch]\nmax_backoff = 2s\n"
	    "min_backoff = 3s\n", "3: [dispatch] min_backoff (3s) is greater "
	    "than max_backoff (2s)" },
	{ "queue min over max", "[queue.bulk]\nmax_backoff = 100ms\n",
	    "2: [queue.bulk] min_backoff (1s) is greater than max_backoff "
	    "(100ms)" },
	{ "queue against later dispatch", "[queue.bulk]\nmin_backoff = 5m\n"
	    "[dispatch]\nmax_backoff = 1m\n", "4: [queue.bulk] min_backoff "
	    "(5m) is greater than max_backoff (1m)" },
	{ "seed queue", "[dispatch]\nmax_backoff = 2s\n[queue.low]\n"
	    "min_backoff = 3s\n", "4: [queue.low] min_backoff (3s) is "
	    "greater than max_backoff (2s)" },
	/* lines */
	{ "line too long", "[redis]\npassword = xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
	    "2: line too long (over 198 bytes)" },
	{ "line numbers with CRLF and BOM", "\xEF\xBB\xBF[server]\r\n\r\n"
	    "bogus = 1\r\n", "3: [server] bogus: unknown key" },
	{ "continuation is not a thing", "[server]\nlisten = :1\n  = 2\n",
	    "3: [server]: key name missing" },
	/* [cloudtasks] */
	{ "ct unknown key", "[cloudtasks]\nqueue = x\n",
	    "2: [cloudtasks] queue: unknown key" },
	{ "ct project space", "[cloudtasks]\nproject = my proj\n",
	    "2: [cloudtasks] project: invalid project ID 'my proj' (want at "
	    "most 127 of A-Z a-z 0-9 - . :, or nothing for any)" },
	{ "ct project slash", "\n[cloudtasks]\nproject = p/locations/x\n",
	    "3: [cloudtasks] project: invalid project ID 'p/locations/x' "
	    "(want at most 127 of A-Z a-z 0-9 - . :, or nothing for any)" },
	{ "ct project 128", "[cloudtasks]\nproject = " C128 "\n",
	    "2: [cloudtasks] project: invalid project ID '" C128 "' (want "
	    "at most 127 of A-Z a-z 0-9 - . :, or nothing for any)" },
	{ "ct location colon", "[cloudtasks]\nlocation = us:central1\n",
	    "2: [cloudtasks] location: invalid location ID 'us:central1' "
	    "(want at most 63 of A-Z a-z 0-9 -, or nothing for any)" },
	{ "ct location underscore", "[cloudtasks]\nlocation = us_east1\n",
	    "2: [cloudtasks] location: invalid location ID 'us_east1' "
	    "(want at most 63 of A-Z a-z 0-9 -, or nothing for any)" },
	{ "ct location 64", "[cloudtasks]\nlocation = " C64 "\n",
	    "2: [cloudtasks] location: invalid location ID '" C64 "' (want "
	    "at most 63 of A-Z a-z 0-9 -, or nothing for any)" },
	{ "tombstone_ttl bad", "[cloudtasks]\ntombstone_ttl = forever\n",
	    "2: [cloudtasks] tombstone_ttl: invalid duration 'forever'" },
	{ "tombstone_ttl negative", "[cloudtasks]\ntombstone_ttl = -1s\n",
	    "2: [cloudtasks] tombstone_ttl: invalid duration '-1s'" },
	{ "tombstone_ttl huge", "[cloudtasks]\ntombstone_ttl = 36501d\n",
	    "2: [cloudtasks] tombstone_ttl: invalid duration '36501d'" },
	{ "tombstone_ttl twice", "[cloudtasks]\ntombstone_ttl = 1s\n"
	    "tombstone_ttl = 2s\n", "3: [cloudtasks] tombstone_ttl: "
	    "duplicate key (first on line 2)" },

	{ "dash listen bad", "[dashboard]\nlisten = nowhere\n",
	    "2: [dashboard] listen: invalid address 'nowhere' (want "
	    "host:port, port 1 to 65535)" },
	{ "dash listen same", "[server]\nlisten = 127.0.0.1:8081\n",
	    " [dashboard] listen: the same address as [server] listen" },
	{ "dash listen same line", "[server]\nlisten = 10.0.0.1:80\n"
	    "[dashboard]\nlisten = 10.0.0.1:80\n",
	    "4: [dashboard] listen: the same address as [server] listen" },
	{ "dash base chars", "[dashboard]\nbase_path = /a b/\n",
	    "2: [dashboard] base_path: invalid path '/a b/' (want A-Z a-z "
	    "0-9 - . _ ~ and /)" },
	{ "dash base query", "[dashboard]\nbase_path = /a?b\n",
	    "2: [dashboard] base_path: invalid path '/a?b' (want A-Z a-z "
	    "0-9 - . _ ~ and /)" },
	{ "dash base dotdot", "[dashboard]\nbase_path = /a/../b\n",
	    "2: [dashboard] base_path: invalid path '/a/../b' (no empty, "
	    "'.' or '..' segments)" },
	{ "dash base double", "[dashboard]\nbase_path = //a\n",
	    "2: [dashboard] base_path: invalid path '//a' (no empty, '.' or "
	    "'..' segments)" },
	{ "dash base long", "[dashboard]\nbase_path = " C127 "\n",
	    "2: [dashboard] base_path: path too long (at most 125 bytes)" },
	{ "dash user no hash", "[dashboard]\nusers = alice\n",
	    "2: [dashboard] users: user 1: want user:hash" },
	{ "dash user plain", "[dashboard]\nusers = a:$6$s$x alice:secret\n",
	    "2: [dashboard] users: user 'alice': want a crypt(3) hash such as "
	    "$y$... or $6$... (mkpasswd, openssl passwd -6)" },
	{ "dash user name", "[dashboard]\nusers = al/ice:$6$s$x\n",
	    "2: [dashboard] users: user 1: invalid user name (want 1 to 63 "
	    "of A-Z a-z 0-9 . _ @ -)" },
	{ "dash user empty name", "[dashboard]\nusers = :$6$s$x\n",
	    "2: [dashboard] users: user 1: invalid user name (want 1 to 63 "
	    "of A-Z a-z 0-9 . _ @ -)" },
	{ "dash user token", "[dashboard]\nusers = token:$6$s$x\n",
	    "2: [dashboard] users: user 1: the name 'token' is reserved for "
	    "API-token logins" },
	{ "dash user twice", "[dashboard]\nusers = a:$6$s$x a:$6$s$y\n",
	    "2: [dashboard] users: user 'a' is listed twice" },
	{ "dash users_file missing", "[dashboard]\n\nusers_file = "
	    "/nonexistent/td-users\n", "3: [dashboard] users_file: "
	    "/nonexistent/td-users: No such file or directory" },
	{ "dash read_only", "[dashboard]\nread_only = maybe\n",
	    "2: [dashboard] read_only: invalid boolean 'maybe' (want yes or "
	    "no)" },
	{ "dash redact", "[dashboard]\nredact_headers = x-a x/b\n",
	    "2: [dashboard] redact_headers: invalid pattern 'x/b' (want at "
	    "most 63 of a header name's characters and * ? [ ])" },
	{ "dash hosts", "[dashboard]\nallowed_hosts = a.example a/b\n",
	    "2: [dashboard] allowed_hosts: invalid host 'a/b' (want at most "
	    "255 of a host name's characters, ':' and [ ])" },
	{ "dash session short", "[dashboard]\nsession_timeout = 59s\n",
	    "2: [dashboard] session_timeout: 59s is out of range (1m to "
	    "36500d)" },
	{ "dash unknown", "[dashboard]\nport = 1\n",
	    "2: [dashboard] port: unknown key" },
};

START_TEST(test_bad_file)
{
	struct conf	c;
	char		err[512] = "", want[600];
	const char	*path;

	conf_defaults(&c);
	path = tmp_write(bad_rows[_i].text, strlen(bad_rows[_i].text));
	snprintf(want, sizeof(want), "%s:%s", path, bad_rows[_i].want);
	ck_assert_msg(conf_load(&c, path, err, sizeof(err)) == -1,
	    "%s: accepted", bad_rows[_i].label);
	ck_assert_msg(strcmp(err, want) == 0, "%s:\n got  '%s'\n want '%s'",
	    bad_rows[_i].label, err, want);
	tmp_done();
}
END_TEST

/* A NUL byte in the file is an error, not the end of a line. */
START_TEST(test_nul_byte)
{
	static const char	text[] = "[server]\nmax\0_body = 1m\n";
	struct conf		c;
	char			err[256], want[300];
	const char		*path;

	conf_defaults(&c);
	path = tmp_write(text, sizeof(text) - 1);
	snprintf(want, sizeof(want), "%s:2: NUL byte in line", path);
	ck_assert_int_eq(conf_load(&c, path, err, sizeof(err)), -1);
	ck_assert_str_eq(err, want);
	tmp_done();
}
END_TEST

START_TEST(test_missing_file)
{
	struct conf	c;
	char		err[256], path[PATH_MAX + 10];

	conf_defaults(&c);
	ck_assert_int_eq(conf_load(&c, "/nonexistent/td.conf", err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "/nonexistent/td.conf: No such file or "
	    "directory");
	ck_assert_int_eq(conf_load(&c, "/tmp", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "/tmp: Is a directory");
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	ck_assert_int_eq(conf_load(&c, path, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "...: path too long"));
	ck_assert_uint_lt(strlen(err), 200);
}
END_TEST

/* Queue TD_QUEUE_MAX + 1 is one too many. */
START_TEST(test_too_many_queues)
{
	struct conf	c;
	char		text[32 * TD_QUEUE_MAX], err[256], want[64], *p = text;
	int		i;

	for (i = 0; i < TD_QUEUE_MAX - 3; i++)
		p += sprintf(p, "[queue.q%d]\nweight = 1\n", i);
	ck_assert_int_eq(load_text(&c, text, err, sizeof(err)), 0);
	ck_assert_int_eq(c.nqueues, TD_QUEUE_MAX);
	sprintf(p, "[queue.one_more]\nweight = 1\n");
	ck_assert_int_eq(load_text(&c, text, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), ":%d: [queue.one_more]: too many queues "
	    "(at most %d)", 2 * (TD_QUEUE_MAX - 3) + 2, TD_QUEUE_MAX);
	ck_assert_msg(strstr(err, want) != NULL, "%s", err);
	ck_assert_int_eq(TD_QUEUE_MAX, 256);
}
END_TEST

/* A failed load leaves the conf as it was, and path names the file. */
START_TEST(test_load_atomic)
{
	struct conf	c, before;
	char		err[256];
	const char	*path;

	ck_assert_int_eq(load_text(&c, "[server]\nmax_body = 2m\n", err,
	    sizeof(err)), 0);
	before = c;
	path = "[server]\nmax_body = 3m\n[queue.new]\nweight = 2\n"
	    "[workers]\nbogus = 1\n";
	path = tmp_write(path, strlen(path));
	ck_assert_int_eq(conf_load(&c, path, err, sizeof(err)), -1);
	tmp_done();
	ck_assert_ptr_null(conf_diff(&c, &before));
	ck_assert_str_eq(c.path, before.path);

	path = "[server]\nmax_body = 4k\n";
	path = tmp_write(path, strlen(path));
	ck_assert_int_eq(conf_load(&c, path, err, sizeof(err)), 0);
	ck_assert_str_eq(c.path, path);
	ck_assert_uint_eq(c.max_body, 4096);
	tmp_done();
}
END_TEST

/* A tiny err buffer is never overrun. */
START_TEST(test_small_err)
{
	struct conf	c;
	char		err[16];

	memset(err, 'z', sizeof(err));
	ck_assert_int_eq(load_text(&c, "[server]\nbogus = 1\n", err, 10), -1);
	ck_assert_uint_eq(strlen(err), 9);
	ck_assert_int_eq(err[10], 'z');
}
END_TEST

/* ----------------------------------------------------- queue overrides */

static const struct {
	const char	*label;
	const char	*text;
	const char	*queue;
	int		 index;		/* position in conf->queues */
	int		 weight;
	uint64_t	 timeout, min, max;
	int		 retries;
} queue_rows[] = {
	{ "defaults", "", "default", 1, 3, 30 * M, S, 10 * M, 5 },
	{ "seed order critical", "", "critical", 0, 6, 30 * M, S, 10 * M, 5 },
	{ "seed order low", "", "low", 2, 1, 30 * M, S, 10 * M, 5 },
	{ "queue before dispatch", "[queue.bulk]\ntimeout = 5m\n[dispatch]\n"
	    "timeout = 1h\nmax_retries = 9\n", "bulk", 3, 1, 5 * M, S, 10 * M,
	    9 },
	{ "queue after dispatch", "[dispatch]\ntimeout = 1h\nmax_retries = 9\n"
	    "[queue.bulk]\ntimeout = 5m\n", "bulk", 3, 1, 5 * M, S, 10 * M, 9 },
	{ "others follow dispatch", "[queue.bulk]\ntimeout = 5m\n[dispatch]\n"
	    "timeout = 1h\nmax_retries = 9\n", "critical", 0, 6, H, S, 10 * M,
	    9 },
	{ "seed override before dispatch", "[queue.critical]\nmax_retries = 1"
	    "\n[dispatch]\nmax_retries = 7\n", "critical", 0, 6, 30 * M, S,
	    10 * M, 1 },
	{ "seed override, neighbour", "[queue.critical]\nmax_retries = 1\n"
	    "[dispatch]\nmax_retries = 7\n", "default", 1, 3, 30 * M, S,
	    10 * M, 7 },
	{ "seed weight only", "[queue.low]\nweight = 2\n", "low", 2, 2,
	    30 * M, S, 10 * M, 5 },
	{ "new queues in file order, b", "[queue.b]\nweight = 5\n[queue.a]\n"
	    "weight = 2\n", "b", 3, 5, 30 * M, S, 10 * M, 5 },
	{ "new queues in file order, a", "[queue.b]\nweight = 5\n[queue.a]\n"
	    "weight = 2\n", "a", 4, 2, 30 * M, S, 10 * M, 5 },
	{ "queue in two sections", "[queue.x]\nweight = 2\n[dispatch]\n"
	    "timeout = 2h\n[queue.x]\ntimeout = 3m\n", "x", 3, 2, 3 * M, S,
	    10 * M, 5 },
	{ "backoff overrides", "[queue.x]\nmin_backoff = 10ms\n"
	    "max_backoff = 20ms\n[dispatch]\nmin_backoff = 2s\n"
	    "max_backoff = 1h\n", "x", 3, 1, 30 * M, 10, 20, 5 },
	{ "only max overridden", "[dispatch]\nmin_backoff = 2s\n"
	    "max_backoff = 1h\n[queue.x]\nmax_backoff = 3s\n", "x", 3, 1,
	    30 * M, 2 * S, 3 * S, 5 },
	{ "only min overridden", "[queue.x]\nmin_backoff = 1m\n[dispatch]\n"
	    "max_backoff = 1h\n", "x", 3, 1, 30 * M, M, H, 5 },
	{ "retries 0 overrides", "[dispatch]\nmax_retries = 9\n[queue.x]\n"
	    "max_retries = 0\n", "x", 3, 1, 30 * M, S, 10 * M, 0 },
};

START_TEST(test_queue_override)
{
	struct conf		 c;
	const struct conf_queue	*q;
	char			 err[256] = "";

	ck_assert_msg(load_text(&c, queue_rows[_i].text, err, sizeof(err)) ==
	    0, "%s: %s", queue_rows[_i].label, err);
	q = conf_queue_find(&c, queue_rows[_i].queue);
	ck_assert_msg(q != NULL, "%s: no queue", queue_rows[_i].label);
	ck_assert_int_eq(q - c.queues, queue_rows[_i].index);
	ck_assert_int_eq(q->weight, queue_rows[_i].weight);
	ck_assert_uint_eq(q->dispatch.timeout_ms, queue_rows[_i].timeout);
	ck_assert_uint_eq(q->dispatch.min_backoff_ms, queue_rows[_i].min);
	ck_assert_uint_eq(q->dispatch.max_backoff_ms, queue_rows[_i].max);
	ck_assert_int_eq(q->dispatch.max_retries, queue_rows[_i].retries);
}
END_TEST

START_TEST(test_queue_find)
{
	struct conf	c;

	conf_defaults(&c);
	ck_assert_int_eq(c.nqueues, 3);
	ck_assert_ptr_eq(conf_queue_find(&c, "critical"), &c.queues[0]);
	ck_assert_ptr_eq(conf_queue_find(&c, "default"), &c.queues[1]);
	ck_assert_ptr_eq(conf_queue_find(&c, "low"), &c.queues[2]);
	ck_assert_ptr_null(conf_queue_find(&c, "Default"));
	ck_assert_ptr_null(conf_queue_find(&c, "defaul"));
	ck_assert_ptr_null(conf_queue_find(&c, ""));
	ck_assert_ptr_null(conf_queue_find(&c, NULL));
}
END_TEST

/* ----------------------------------------------------- dynamic queues */

#define SYNC_STEPS	3

/*
 * Each step hands conf_queue_sync() the members of P:queues ('|'
 * separated, so that names with blanks can be refused) and wants its
 * return and the table after it: names in order, a dynamic one with '*'.
 */
static const struct {
	const char	*label;
	const char	*file;		/* config text, or NULL */
	struct {
		const char	*names;	/* NULL: no more steps */
		int		 changed;
		const char	*table;
	} step[SYNC_STEPS];
} sync_rows[] = {
	{ "empty set", NULL, {
	    { "", 0, "critical default low" } } },
	{ "add one", NULL, {
	    { "extra", 1, "critical default low extra*" },
	    { "extra", 0, "critical default low extra*" } } },
	{ "add several in order", NULL, {
	    { "b|a|c", 1, "critical default low b* a* c*" } } },
	{ "drop keeps the order", NULL, {
	    { "a|b|c", 1, "critical default low a* b* c*" },
	    { "c|a", 1, "critical default low a* c*" },
	    { "", 1, "critical default low" } } },
	{ "drop and add at once", NULL, {
	    { "a|b", 1, "critical default low a* b*" },
	    { "c|b", 1, "critical default low b* c*" } } },
	{ "file queue named: stays the file's", NULL, {
	    { "default|x", 1, "critical default low x*" },
	    { "x", 0, "critical default low x*" },
	    { "", 1, "critical default low" } } },
	{ "file queue never dropped", "[queue.bulk]\nweight = 2\n", {
	    { "bulk|new", 1, "critical default low bulk new*" },
	    { "", 1, "critical default low bulk" } } },
	{ "duplicates", NULL, {
	    { "a|a|b|a", 1, "critical default low a* b*" } } },
	{ "invalid names skipped", NULL, {
	    { "ok|a.b||has space|x/y|{q}|\xc3\xa9t\xc3\xa9|" C64, 1,
	      "critical default low ok*" },
	    { "a.b|" C64, 1, "critical default low" } } },
	{ "longest name", NULL, {
	    { C63, 1, "critical default low " C63 "*" } } },
	{ "case matters", NULL, {
	    { "Default|LOW", 1, "critical default low Default* LOW*" } } },
	{ "hyphen and underscore", NULL, {
	    { "my-queue_1", 1, "critical default low my-queue_1*" } } },
};

/* The table as "name name* ..." (a '*' marks a dynamic queue). */
static void
table_str(const struct conf *c, char *buf, size_t len)
{
	size_t	n = 0;
	int	i;

	buf[0] = '\0';
	for (i = 0; i < c->nqueues && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s%s", i ? " " : "",
		    c->queues[i].name, c->queues[i].dynamic ? "*" : "");
}

/* Split s at '|' into names (pointing into buf). */
static size_t
split_names(const char *s, char *buf, size_t len, const char **names,
    size_t max)
{
	char	*p;
	size_t	 n = 0;

	util_strlcpy(buf, s, len);
	if (buf[0] == '\0')
		return 0;
	for (p = buf; n < max; p++) {
		names[n++] = p;
		if ((p = strchr(p, '|')) == NULL)
			break;
		*p = '\0';
	}
	return n;
}

START_TEST(test_queue_sync)
{
	struct conf	 c;
	const char	*names[16];
	char		 buf[1024], got[1024], err[256] = "";
	size_t		 n;
	int		 k, rv;

	if (sync_rows[_i].file != NULL)
		ck_assert_msg(load_text(&c, sync_rows[_i].file, err,
		    sizeof(err)) == 0, "%s", err);
	else
		conf_defaults(&c);
	for (k = 0; k < SYNC_STEPS && sync_rows[_i].step[k].names != NULL;
	    k++) {
		n = split_names(sync_rows[_i].step[k].names, buf, sizeof(buf),
		    names, TD_NELEM(names));
		rv = conf_queue_sync(&c, names, n);
		table_str(&c, got, sizeof(got));
		ck_assert_msg(strcmp(got, sync_rows[_i].step[k].table) == 0,
		    "%s, step %d:\n got  '%s'\n want '%s'", sync_rows[_i].label,
		    k + 1, got, sync_rows[_i].step[k].table);
		ck_assert_msg(rv == sync_rows[_i].step[k].changed,
		    "%s, step %d: returned %d", sync_rows[_i].label, k + 1, rv);
	}
}
END_TEST

/* A queue of the API gets weight 1 and [dispatch] as it is. */
START_TEST(test_queue_sync_settings)
{
	struct conf		 c;
	const struct conf_queue	*q;
	const char		*names[] = { "api" };
	char			 err[256] = "";

	ck_assert_msg(load_text(&c, "[dispatch]\ntimeout = 5m\nmax_retries = "
	    "9\nmin_backoff = 2s\nmax_backoff = 3h\n[queue.low]\nweight = 7\n"
	    "timeout = 1m\n", err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(conf_queue_sync(&c, names, 1), 1);
	q = conf_queue_find(&c, "api");
	ck_assert_ptr_nonnull(q);
	ck_assert_int_eq(q->dynamic, 1);
	ck_assert_int_eq(q->weight, 1);
	ck_assert_uint_eq(q->dispatch.timeout_ms, 5 * M);
	ck_assert_int_eq(q->dispatch.max_retries, 9);
	ck_assert_uint_eq(q->dispatch.min_backoff_ms, 2 * S);
	ck_assert_uint_eq(q->dispatch.max_backoff_ms, 3 * H);
	/* The file's queue is left as it was. */
	q = conf_queue_find(&c, "low");
	ck_assert_int_eq(q->weight, 7);
	ck_assert_uint_eq(q->dispatch.timeout_ms, M);
	ck_assert_int_eq(q->dynamic, 0);
	/* NULL entries are skipped, n = 0 with NULL names drops all. */
	names[0] = NULL;
	ck_assert_int_eq(conf_queue_sync(&c, names, 1), 1);
	ck_assert_int_eq(c.nqueues, 3);
	ck_assert_int_eq(conf_queue_sync(&c, NULL, 0), 0);
}
END_TEST

/* Beyond TD_QUEUE_MAX a name waits; a slot freed takes it. */
START_TEST(test_queue_sync_full)
{
	static char	 store[TD_QUEUE_MAX + 2][16];
	const char	*names[TD_QUEUE_MAX + 2];
	struct conf	 c;
	size_t		 i, n = TD_QUEUE_MAX + 2;

	conf_defaults(&c);
	for (i = 0; i < n; i++) {
		snprintf(store[i], sizeof(store[i]), "q%zu", i);
		names[i] = store[i];
	}
	/* 3 seed queues: the last 5 names find no room. */
	ck_assert_int_eq(conf_queue_sync(&c, names, n), 1);
	ck_assert_int_eq(c.nqueues, TD_QUEUE_MAX);
	ck_assert_str_eq(c.queues[TD_QUEUE_MAX - 1].name, "q252");
	ck_assert_ptr_null(conf_queue_find(&c, "q253"));
	ck_assert_int_eq(conf_queue_sync(&c, names, n), 0);
	/* q0 is deleted: q253 gets its slot, at the end. */
	ck_assert_int_eq(conf_queue_sync(&c, names + 1, n - 1), 1);
	ck_assert_int_eq(c.nqueues, TD_QUEUE_MAX);
	ck_assert_ptr_null(conf_queue_find(&c, "q0"));
	ck_assert_str_eq(c.queues[3].name, "q1");
	ck_assert_str_eq(c.queues[TD_QUEUE_MAX - 1].name, "q253");
	ck_assert_ptr_null(conf_queue_find(&c, "q254"));
}
END_TEST

/* The dump is the file's: API queues read back would become the file's. */
START_TEST(test_dump_skips_dynamic)
{
	struct conf	 c, d, out;
	const char	*names[] = { "api1", "api2" };
	char		*text = NULL, err[256] = "";
	size_t		 size = 0;
	FILE		*fp;

	ck_assert_msg(load_text(&c, "[queue.bulk]\nweight = 2\n", err,
	    sizeof(err)) == 0, "%s", err);
	d = c;
	ck_assert_int_eq(conf_queue_sync(&c, names, 2), 1);
	fp = open_memstream(&text, &size);
	conf_dump(&c, fp);
	fclose(fp);
	ck_assert_ptr_null(strstr(text, "api1"));
	ck_assert_ptr_null(strstr(text, "api2"));
	ck_assert_ptr_nonnull(strstr(text, "[queue.bulk]"));
	/* Read back: the conf as the file made it. */
	conf_defaults(&out);
	ck_assert_msg(conf_load(&out, tmp_write(text, size), err,
	    sizeof(err)) == 0, "%s", err);
	tmp_done();
	ck_assert_ptr_null(conf_diff(&out, &d));
	free(text);
}
END_TEST

/* -------------------------------------------------------- environment */

struct env_row {
	const char	*label;
	const char	*port;		/* NULL: unset */
	const char	*redis;
	int		 rv;
	int		 want_port;
	const char	*want_host;
	int		 want_redis_port;
	const char	*want_unix;
	const char	*want_err;
};

static const struct env_row env_rows[] = {
	{ "nothing set", NULL, NULL, 0, 8080, "localhost", 6379, "", NULL },
	{ "PORT", "9090", NULL, 0, 9090, "localhost", 6379, "", NULL },
	{ "PORT 1", "1", NULL, 0, 1, "localhost", 6379, "", NULL },
	{ "PORT 65535", "65535", NULL, 0, 65535, "localhost", 6379, "", NULL },
	{ "PORT empty is unset", "", NULL, 0, 8080, "localhost", 6379, "",
	    NULL },
	{ "PORT 0", "0", NULL, -1, 0, NULL, 0, NULL,
	    "PORT: invalid port '0' (want 1 to 65535)" },
	{ "PORT 65536", "65536", NULL, -1, 0, NULL, 0, NULL,
	    "PORT: invalid port '65536' (want 1 to 65535)" },
	{ "PORT abc", "abc", NULL, -1, 0, NULL, 0, NULL,
	    "PORT: invalid port 'abc' (want 1 to 65535)" },
	{ "PORT -1", "-1", NULL, -1, 0, NULL, 0, NULL,
	    "PORT: invalid port '-1' (want 1 to 65535)" },
	{ "PORT blank", " 80", NULL, -1, 0, NULL, 0, NULL,
	    "PORT: invalid port ' 80' (want 1 to 65535)" },
	{ "PORT host:port", "h:80", NULL, -1, 0, NULL, 0, NULL,
	    "PORT: invalid port 'h:80' (want 1 to 65535)" },
	{ "REDIS_ADDR socket", NULL, "/tmp/r.sock", 0, 8080, "", 0,
	    "/tmp/r.sock", NULL },
	{ "REDIS_ADDR host", NULL, "redis:6380", 0, 8080, "redis", 6380, "",
	    NULL },
	{ "REDIS_ADDR empty is unset", NULL, "", 0, 8080, "localhost", 6379,
	    "", NULL },
	{ "REDIS_ADDR bad", NULL, "bad", -1, 0, NULL, 0, NULL,
	    "REDIS_ADDR: invalid address 'bad' (want host:port, port 1 to "
	    "65535) (or an absolute socket path)" },
	{ "both", "81", "[::1]:7000", 0, 81, "::1", 7000, "", NULL },
};

static const struct env_row	*env_cur;

static const char *
fake_getenv(const char *name)
{
	if (strcmp(name, "PORT") == 0)
		return env_cur->port;
	if (strcmp(name, "REDIS_ADDR") == 0)
		return env_cur->redis;
	ck_abort_msg("unexpected getenv(%s)", name);
	return NULL;
}

START_TEST(test_env)
{
	struct conf	c;
	char		err[256] = "";
	int		rv;

	env_cur = &env_rows[_i];
	conf_defaults(&c);
	rv = conf_apply_env(&c, fake_getenv, err, sizeof(err));
	ck_assert_msg(rv == env_cur->rv, "%s: rv %d (%s)", env_cur->label, rv,
	    err);
	if (rv == -1) {
		ck_assert_str_eq(err, env_cur->want_err);
		return;
	}
	ck_assert_int_eq(c.listen_port, env_cur->want_port);
	ck_assert_str_eq(c.listen_host, "0.0.0.0");
	ck_assert_str_eq(c.redis_host, env_cur->want_host);
	ck_assert_int_eq(c.redis_port, env_cur->want_redis_port);
	ck_assert_str_eq(c.redis_unix, env_cur->want_unix);
}
END_TEST

/* The environment wins over the file, whatever the file said. */
START_TEST(test_env_over_file)
{
	static const struct env_row	row = { "over file", "5000",
					    "10.0.0.1:7000", 0, 0, NULL, 0,
					    NULL, NULL };
	struct conf			c;
	char				err[256];

	ck_assert_int_eq(load_text(&c, "[server]\nlisten = 127.0.0.1:1\n"
	    "[redis]\naddr = /run/redis.sock\n", err, sizeof(err)), 0);
	env_cur = &row;
	ck_assert_int_eq(conf_apply_env(&c, fake_getenv, err, sizeof(err)), 0);
	ck_assert_str_eq(c.listen_host, "127.0.0.1");
	ck_assert_int_eq(c.listen_port, 5000);
	ck_assert_str_eq(c.redis_unix, "");
	ck_assert_str_eq(c.redis_host, "10.0.0.1");
	ck_assert_int_eq(c.redis_port, 7000);
	ck_assert_str_eq(c.redis_addr, "10.0.0.1:7000");
	ck_assert_int_eq(conf_apply_env(&c, NULL, err, sizeof(err)), 0);
}
END_TEST

/* ----------------------------------------------------------- defaults */

static const struct {
	const char	*section;
	const char	*key;
	const char	*want;
} default_rows[] = {
	{ "server", "listen", "0.0.0.0:8080" },
	{ "server", "max_body", "1m" },
	{ "server", "max_header", "16k" },
	{ "server", "max_connections", "1024" },
	{ "server", "idle_timeout", "1m" },
	{ "server", "header_timeout", "10s" },
	{ "server", "log_level", "info" },
	{ "redis", "addr", "localhost:6379" },
	{ "redis", "password", "" },
	{ "redis", "db", "0" },
	{ "redis", "prefix", "td" },
	{ "redis", "connect_timeout", "5s" },
	{ "workers", "count", "10" },
	{ "workers", "concurrency", "1" },
	{ "workers", "lease", "30s" },
	{ "workers", "shutdown_timeout", "30s" },
	{ "dispatch", "timeout", "30m" },
	{ "dispatch", "max_retries", "5" },
	{ "dispatch", "min_backoff", "1s" },
	{ "dispatch", "max_backoff", "10m" },
	{ "dispatch", "done_retention", "1h" },
	{ "dispatch", "dead_retention", "7d" },
	{ "server", "api_tokens", "" },
	{ "server", "api_token_file", "" },
	{ "server", "user", "" },
	{ "server", "group", "" },
	{ "dispatch", "allow_targets", "" },
	{ "dispatch", "deny_targets", "0.0.0.0/8 169.254.0.0/16 "
	    "100.100.100.200 192.0.0.192 224.0.0.0/4 240.0.0.0/4 :: fe80::/10 "
	    "fd00:ec2::254 ff00::/8" },
	{ "cloudtasks", "project", "" },
	{ "cloudtasks", "location", "" },
	{ "cloudtasks", "tombstone_ttl", "1h" },
	{ "queue.critical", "weight", "6" },
	{ "queue.default", "weight", "3" },
	{ "queue.low", "weight", "1" },
};

START_TEST(test_default_dump)
{
	struct conf	c;
	char		buf[256];
	const char	*got;

	conf_defaults(&c);
	got = dump_value(&c, default_rows[_i].section, default_rows[_i].key,
	    buf, sizeof(buf));
	ck_assert_msg(got != NULL, "[%s] %s missing", default_rows[_i].section,
	    default_rows[_i].key);
	ck_assert_str_eq(got, default_rows[_i].want);
}
END_TEST

START_TEST(test_defaults)
{
	struct conf	c;
	int		i;

	memset(&c, 0x5a, sizeof(c));
	conf_defaults(&c);
	ck_assert_str_eq(c.path, "");
	ck_assert_str_eq(c.listen_host, "0.0.0.0");
	ck_assert_int_eq(c.listen_port, 8080);
	ck_assert_uint_eq(c.max_body, 1 << 20);
	ck_assert_uint_eq(c.max_header, 16 << 10);
	ck_assert_int_eq(c.max_connections, 1024);
	ck_assert_uint_eq(c.idle_timeout_ms, 60 * S);
	ck_assert_uint_eq(c.header_timeout_ms, 10 * S);
	ck_assert_int_eq(c.log_level, LOG_LEVEL_INFO);
	ck_assert_str_eq(c.redis_addr, "localhost:6379");
	ck_assert_str_eq(c.redis_host, "localhost");
	ck_assert_int_eq(c.redis_port, 6379);
	ck_assert_str_eq(c.redis_unix, "");
	ck_assert_str_eq(c.redis_password, "");
	ck_assert_int_eq(c.redis_db, 0);
	ck_assert_str_eq(c.redis_prefix, "td");
	ck_assert_uint_eq(c.redis_timeout_ms, 5 * S);
	ck_assert_int_eq(c.workers, 10);
	ck_assert_int_eq(c.concurrency, 1);
	ck_assert_uint_eq(c.lease_ms, 30 * S);
	ck_assert_uint_eq(c.shutdown_timeout_ms, 30 * S);
	ck_assert_uint_eq(c.dispatch.timeout_ms, 30 * M);
	ck_assert_int_eq(c.dispatch.max_retries, 5);
	ck_assert_uint_eq(c.dispatch.min_backoff_ms, S);
	ck_assert_uint_eq(c.dispatch.max_backoff_ms, 10 * M);
	ck_assert_uint_eq(c.done_retention_ms, H);
	ck_assert_uint_eq(c.dead_retention_ms, 7 * D);
	ck_assert_str_eq(c.ct_project, "");
	ck_assert_str_eq(c.ct_location, "");
	ck_assert_uint_eq(c.tombstone_ttl_ms, H);
	ck_assert_str_eq(c.dash_host, "127.0.0.1");
	ck_assert_int_eq(c.dash_port, 8081);
	ck_assert_str_eq(c.dash_base, "/");
	ck_assert_int_eq(c.ndash_users, 0);
	ck_assert_str_eq(c.dash_users_file, "");
	ck_assert_int_eq(c.dash_read_only, 0);
	ck_assert_int_eq(c.ndash_redact, 5);
	ck_assert_str_eq(c.dash_redact[0], "proxy-authorization");
	ck_assert_str_eq(c.dash_redact[4], "*password*");
	ck_assert_uint_eq(c.dash_session_ms, 12 * H);
	ck_assert_int_eq(c.ndash_hosts, 0);
	ck_assert_int_eq(c.nqueues, 3);
	for (i = 0; i < c.nqueues; i++) {
		ck_assert_int_eq(c.queues[i].dynamic, 0);
		ck_assert_uint_eq(c.queues[i].dispatch.timeout_ms, 30 * M);
		ck_assert_int_eq(c.queues[i].dispatch.max_retries, 5);
		ck_assert_uint_eq(c.queues[i].dispatch.min_backoff_ms, S);
		ck_assert_uint_eq(c.queues[i].dispatch.max_backoff_ms, 10 * M);
	}
}
END_TEST

/* ------------------------------------------------------ dump and back */

/* Every key away from its default (so a key the dump forgot shows). */
static const char	changed[] =
	"[server]\nlisten = [::1]:9999\nmax_body = 3m\nmax_header = 5k\n"
	"max_connections = 77\nidle_timeout = 1500ms\nheader_timeout = 2h\n"
	"log_level = notice\n"
	"[redis]\naddr = /run/td/redis.sock\npassword =;p4ss;w#rd\ndb = 4\n"
	"prefix = x:y\nconnect_timeout = 3d\n"
	"[server]\nuser = root\ngroup = daemon\n"
	"[workers]\ncount = 0\nconcurrency = 12\nlease = 45s\n"
	"shutdown_timeout = 0\n"
	"[queue.critical]\nweight = 9\nmax_retries = 2\n"
	"[queue.zeta]\nweight = 1000\ntimeout = 1s\nmin_backoff = 1ms\n"
	"max_backoff = 2ms\n"
	"[queue.low]\nweight = 4\nmax_backoff = 1h\n"
	"[dispatch]\ntimeout = 31m\nmax_retries = 0\nmin_backoff = 2s\n"
	"max_backoff = 20m\ndone_retention = 0\ndead_retention = 90d\n"
	"allow_targets = 10.0.0.0/8 ::1 .corp\ndeny_targets = 10.9.0.0/16\n"
	"[cloudtasks]\nproject = example.com:p-1\nlocation = eu-west4\n"
	"tombstone_ttl = 0\n";

static void
roundtrip(const struct conf *in)
{
	struct conf	 out;
	char		*text = NULL, err[256] = "";
	size_t		 size = 0;
	FILE		*fp = open_memstream(&text, &size);
	const char	*diff;

	conf_dump(in, fp);
	fclose(fp);
	conf_defaults(&out);
	ck_assert_msg(conf_load(&out, tmp_write(text, size), err,
	    sizeof(err)) == 0, "dump does not load: %s\n%s", err, text);
	tmp_done();
	diff = conf_diff(in, &out);
	ck_assert_msg(diff == NULL, "%s differs after the trip:\n%s", diff,
	    text);
	free(text);
}

START_TEST(test_dump_roundtrip_defaults)
{
	struct conf	c;

	conf_defaults(&c);
	roundtrip(&c);
}
END_TEST

START_TEST(test_dump_roundtrip_changed)
{
	struct conf	c, d;
	char		err[256] = "";
	const char	*diff;

	ck_assert_msg(load_text(&c, changed, err, sizeof(err)) == 0, "%s", err);
	/* It really changed everything. */
	conf_defaults(&d);
	ck_assert_ptr_nonnull(conf_diff(&c, &d));
	ck_assert_int_eq(c.nqueues, 4);
	ck_assert_int_eq(c.queues[2].dispatch.max_backoff_ms, H);
	ck_assert_int_eq(c.queues[1].dispatch.max_retries, 0);
	roundtrip(&c);
	/* With env overrides too (a TCP address after a socket). */
	env_cur = &env_rows[TD_NELEM(env_rows) - 1];
	ck_assert_int_eq(conf_apply_env(&c, fake_getenv, err, sizeof(err)), 0);
	roundtrip(&c);
	diff = conf_diff(&c, &d);
	ck_assert_ptr_nonnull(diff);
}
END_TEST

/* A second temporary file, for api_token_file. */
static void
write_file(char *path, size_t len, const char *text)
{
	int	fd;

	util_strlcpy(path, "/tmp/check_conf_tok.XXXXXX", len);
	if ((fd = mkstemp(path)) == -1)
		ck_abort_msg("mkstemp: %s", strerror(errno));
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/*
 * Dashboard users: inline ones first, then the file's; the dump shows
 * no hash, and a bad line of the file is blamed by its number.
 */
START_TEST(test_dash_hosts)
{
	struct conf	c;
	char		err[512] = "";

	ck_assert_msg(load_text(&c, "[dashboard]\nallowed_hosts = "
	    "Tasks.Example.COM, 10.0.0.1:8081 [::1]\n", err,
	    sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(c.ndash_hosts, 3);
	ck_assert_str_eq(c.dash_hosts[0], "tasks.example.com");
	ck_assert_str_eq(c.dash_hosts[1], "10.0.0.1:8081");
	ck_assert_str_eq(c.dash_hosts[2], "[::1]");
}
END_TEST

START_TEST(test_dash_users)
{
	struct conf	 c;
	char		 file[64], text[512], err[512] = "", *dump = NULL;
	size_t		 size = 0;
	FILE		*fp;

	write_file(file, sizeof(file), "# operators\n\n  bob:$y$j9T$abc  \r\n"
	    "#carol:$6$x$y\ndave@example.com:$6$s$h\n");
	snprintf(text, sizeof(text), "[dashboard]\nusers = alice:$6$s$a1\n"
	    "users_file = %s\n", file);
	ck_assert_msg(load_text(&c, text, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(c.ndash_users, 3);
	ck_assert_int_eq(c.ndash_users_inline, 1);
	ck_assert_str_eq(c.dash_users[0].name, "alice");
	ck_assert_str_eq(c.dash_users[0].hash, "$6$s$a1");
	ck_assert_str_eq(c.dash_users[1].name, "bob");
	ck_assert_str_eq(c.dash_users[1].hash, "$y$j9T$abc");
	ck_assert_str_eq(c.dash_users[2].name, "dave@example.com");
	unlink(file);
	fp = open_memstream(&dump, &size);
	conf_dump(&c, fp);
	fclose(fp);
	ck_assert_msg(strstr(dump, "$6$") == NULL, "a hash in:\n%s", dump);
	ck_assert_msg(strstr(dump, ";users = (1 user, not shown)\n") != NULL,
	    "%s", dump);
	free(dump);

	/* A user in both: the file's line is blamed. */
	write_file(file, sizeof(file), "bob:$6$s$b\nalice:$6$s$c\n");
	snprintf(text, sizeof(text), "[dashboard]\nusers = alice:$6$s$a1\n"
	    "users_file = %s\n", file);
	ck_assert_int_eq(load_text(&c, text, err, sizeof(err)), -1);
	unlink(file);
	ck_assert_msg(strstr(err, ":3: [dashboard] users_file: ") != NULL &&
	    strstr(err, ":2: user 'alice' is listed twice") != NULL, "%s",
	    err);
	/* No user in the file: refused, not silently open. */
	write_file(file, sizeof(file), "# nobody\n\n");
	snprintf(text, sizeof(text), "[dashboard]\nusers_file = %s\n", file);
	ck_assert_int_eq(load_text(&c, text, err, sizeof(err)), -1);
	unlink(file);
	ck_assert_msg(strstr(err, ": no user in the file") != NULL, "%s", err);
	write_file(file, sizeof(file), "eve:plain\n");
	snprintf(text, sizeof(text), "[dashboard]\nusers_file = %s\n", file);
	ck_assert_int_eq(load_text(&c, text, err, sizeof(err)), -1);
	unlink(file);
	ck_assert_msg(strstr(err, ":1: user 'eve': want a crypt(3) hash") !=
	    NULL, "%s", err);
}
END_TEST

/*
 * Tokens: inline ones first, then the file's; the dump names neither,
 * reads back with the file's only, and a bad line is blamed by number,
 * never by its content.
 */
START_TEST(test_tokens)
{
	struct conf	 c, out;
	char		 file[64], text[512], err[512] = "", *dump = NULL;
	size_t		 size = 0;
	FILE		*fp;

	write_file(file, sizeof(file), "# tokens\n\n  fileTok-1==  \r\n"
	    "#fileTok-commented\nfileTok-2\n");
	snprintf(text, sizeof(text), "[server]\napi_tokens = inTok-1,inTok-2\n"
	    "api_token_file = %s\n", file);
	ck_assert_msg(load_text(&c, text, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(c.napi_tokens, 4);
	ck_assert_int_eq(c.napi_tokens_inline, 2);
	ck_assert_str_eq(c.api_tokens[0], "inTok-1");
	ck_assert_str_eq(c.api_tokens[1], "inTok-2");
	ck_assert_str_eq(c.api_tokens[2], "fileTok-1==");
	ck_assert_str_eq(c.api_tokens[3], "fileTok-2");
	/* Zero-padded, as the constant-time compare in api.c needs. */
	ck_assert_int_eq(c.api_tokens[2][sizeof(c.api_tokens[2]) - 1], 0);

	fp = open_memstream(&dump, &size);
	conf_dump(&c, fp);
	fclose(fp);
	ck_assert_msg(strstr(dump, "Tok-") == NULL, "a token in:\n%s", dump);
	ck_assert_msg(strstr(dump, ";api_tokens = (2 tokens, not shown)\n") !=
	    NULL, "%s", dump);
	conf_defaults(&out);
	ck_assert_msg(conf_load(&out, tmp_write(dump, size), err,
	    sizeof(err)) == 0, "%s", err);
	tmp_done();
	free(dump);
	ck_assert_int_eq(out.napi_tokens, 2);
	ck_assert_int_eq(out.napi_tokens_inline, 0);
	ck_assert_str_eq(out.api_tokens[0], "fileTok-1==");
	/* Apart from the inline tokens, the same config. */
	memcpy(out.api_tokens, c.api_tokens, sizeof(out.api_tokens));
	out.napi_tokens = c.napi_tokens;
	out.napi_tokens_inline = c.napi_tokens_inline;
	ck_assert_ptr_null(conf_diff(&c, &out));

	/* Only comments: an error, not an open API. */
	unlink(file);
	write_file(file, sizeof(file), "# none yet\n\n");
	snprintf(text, sizeof(text), "[server]\napi_token_file = %s\n", file);
	ck_assert_int_eq(load_text(&c, text, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, ":2: [server] api_token_file: ") != NULL &&
	    strstr(err, ": no token in the file") != NULL, "%s", err);

	unlink(file);
	write_file(file, sizeof(file), "good-token\nsecret with-space\n");
	snprintf(text, sizeof(text), "[server]\napi_token_file = %s\n", file);
	ck_assert_int_eq(load_text(&c, text, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, ":2: not a valid bearer token") != NULL,
	    "%s", err);
	ck_assert_msg(strstr(err, "secret") == NULL, "token echoed: %s", err);
	unlink(file);
}
END_TEST

START_TEST(test_token_valid)
{
	char	long_tok[TD_TOKEN_MAX + 1];

	ck_assert(conf_token_valid("a"));
	ck_assert(conf_token_valid("AZaz09-._~+/"));
	ck_assert(conf_token_valid("abc=="));
	ck_assert(!conf_token_valid(""));
	ck_assert(!conf_token_valid("="));
	ck_assert(!conf_token_valid("a=b"));
	ck_assert(!conf_token_valid("a b"));
	ck_assert(!conf_token_valid("a,b"));
	ck_assert(!conf_token_valid("<redacted>"));
	memset(long_tok, 'a', sizeof(long_tok) - 1);
	long_tok[sizeof(long_tok) - 1] = '\0';
	ck_assert(!conf_token_valid(long_tok));
	long_tok[TD_TOKEN_MAX - 1] = '\0';
	ck_assert(conf_token_valid(long_tok));
}
END_TEST

/* user and group resolve to ids; the group defaults to the user's. */
START_TEST(test_ids)
{
	struct conf	c;
	char		err[256] = "";

	ck_assert_int_eq(load_text(&c, "[server]\nuser = root\n", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(c.uid, 0);
	ck_assert_int_eq(c.gid, 0);
	ck_assert_int_eq(load_text(&c, "[server]\nuser = root\n"
	    "group = daemon\n", err, sizeof(err)), 0);
	ck_assert_int_ne(c.gid, 0);
	ck_assert_int_eq(load_text(&c, "[server]\ngroup = daemon\n", err,
	    sizeof(err)), 0);
	ck_assert_str_eq(c.user, "");
	ck_assert_int_ne(c.gid, 0);
}
END_TEST

/* Queues show only what differs from [dispatch]. */
START_TEST(test_dump_queue_overrides_only)
{
	struct conf	 c;
	char		*text = NULL, err[256];
	size_t		 size = 0;
	FILE		*fp;

	ck_assert_int_eq(load_text(&c, "[queue.bulk]\nmax_retries = 5\n"
	    "timeout = 2m\n", err, sizeof(err)), 0);
	fp = open_memstream(&text, &size);
	conf_dump(&c, fp);
	fclose(fp);
	ck_assert_ptr_nonnull(strstr(text, "\n[queue.default]\nweight = 3\n\n"
	    "[queue.low]\nweight = 1\n\n[queue.bulk]\nweight = 1\n"
	    "timeout = 2m\n"));
	/* max_retries = 5 is [dispatch]'s value: not repeated. */
	ck_assert_ptr_null(strstr(strstr(text, "[queue.bulk]"),
	    "max_retries"));
	free(text);
}
END_TEST

/* -------------------------------------------------- the sample config */

/*
 * etc/taskdispatcher.conf: from TD_SRCDIR (make check sets it), else
 * from where this file was compiled, taken as it is (an absolute or an
 * in-tree name) or as relative to the build directory, which is two
 * levels above this binary.
 */
static FILE *
sample_open(char *path, size_t len)
{
	const char	*src = getenv("TD_SRCDIR");
	char		 dir[PATH_MAX], exe[PATH_MAX], *slash;
	FILE		*fp;
	ssize_t		 n;
	int		 up;

	if (src != NULL) {
		snprintf(path, len, "%s/etc/taskdispatcher.conf", src);
		if ((fp = fopen(path, "r")) != NULL)
			return fp;
	}
	util_strlcpy(dir, __FILE__, sizeof(dir));
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	else
		util_strlcpy(dir, ".", sizeof(dir));
	snprintf(path, len, "%s/../../etc/taskdispatcher.conf", dir);
	if ((fp = fopen(path, "r")) != NULL || dir[0] == '/')
		return fp;
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) == -1)
		return NULL;
	exe[n] = '\0';
	for (up = 0; up < 3 && (slash = strrchr(exe, '/')) != NULL; up++)
		*slash = '\0';
	snprintf(path, len, "%s/%s/../../etc/taskdispatcher.conf", exe, dir);
	return fopen(path, "r");
}

/*
 * Loaded over a conf that differs from the defaults in every key, the
 * sample gives exactly the defaults: so it sets every key, each to its
 * default.
 */
START_TEST(test_sample)
{
	struct conf	c, d;
	char		path[2 * PATH_MAX + 64], err[512] = "";
	const char	*diff;
	FILE		*fp;

	fp = sample_open(path, sizeof(path));
	ck_assert_msg(fp != NULL, "cannot open %s (set TD_SRCDIR)", path);
	fclose(fp);
	ck_assert_msg(load_text(&c, "[server]\nlisten = [::1]:9999\n"
	    "max_body = 3m\nmax_header = 5k\nmax_connections = 77\n"
	    "idle_timeout = 1500ms\nheader_timeout = 2h\nlog_level = notice\n"
	    "[redis]\naddr = /run/td/redis.sock\npassword = x\ndb = 4\n"
	    "prefix = x:y\nconnect_timeout = 3d\n[workers]\ncount = 0\n"
	    "concurrency = 12\nlease = 45s\nshutdown_timeout = 0\n"
	    "[dispatch]\ntimeout = 31m\nmax_retries = 0\nmin_backoff = 2s\n"
	    "max_backoff = 20m\ndone_retention = 0\ndead_retention = 90d\n"
	    "[cloudtasks]\nproject = p\nlocation = l\ntombstone_ttl = 5m\n"
	    "[queue.critical]\nweight = 9\n[queue.default]\nweight = 8\n"
	    "[queue.low]\nweight = 7\n", err, sizeof(err)) == 0, "%s", err);
	conf_defaults(&d);
	diff = conf_diff(&c, &d);
	ck_assert_ptr_nonnull(diff);
	ck_assert_msg(conf_load(&c, path, err, sizeof(err)) == 0, "%s", err);
	diff = conf_diff(&c, &d);
	ck_assert_msg(diff == NULL, "%s: %s is not the default", path, diff);
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite	*s = suite_create("conf");
	TCase	*tc;

	tc = tcase_create("values");
	tcase_add_loop_test(tc, test_duration, 0, TD_NELEM(duration_rows));
	tcase_add_loop_test(tc, test_size, 0, TD_NELEM(size_rows));
	tcase_add_loop_test(tc, test_redis_addr, 0, TD_NELEM(addr_rows));
	tcase_add_loop_test(tc, test_listen, 0, TD_NELEM(listen_rows));
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_loop_test(tc, test_good_file, 0, TD_NELEM(good_rows));
	tcase_add_loop_test(tc, test_bad_file, 0, TD_NELEM(bad_rows));
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_too_many_queues);
	tcase_add_test(tc, test_load_atomic);
	tcase_add_test(tc, test_small_err);
	suite_add_tcase(s, tc);

	tc = tcase_create("queues");
	tcase_add_loop_test(tc, test_queue_override, 0, TD_NELEM(queue_rows));
	tcase_add_test(tc, test_queue_find);
	tcase_add_loop_test(tc, test_queue_sync, 0, TD_NELEM(sync_rows));
	tcase_add_test(tc, test_queue_sync_settings);
	tcase_add_test(tc, test_queue_sync_full);
	tcase_add_test(tc, test_dump_skips_dynamic);
	suite_add_tcase(s, tc);

	tc = tcase_create("env");
	tcase_add_loop_test(tc, test_env, 0, TD_NELEM(env_rows));
	tcase_add_test(tc, test_env_over_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("defaults_and_dump");
	tcase_add_loop_test(tc, test_default_dump, 0, TD_NELEM(default_rows));
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_dump_roundtrip_defaults);
	tcase_add_test(tc, test_dump_roundtrip_changed);
	tcase_add_test(tc, test_dump_queue_overrides_only);
	tcase_add_test(tc, test_sample);
	tcase_add_test(tc, test_tokens);
	tcase_add_test(tc, test_dash_users);
	tcase_add_test(tc, test_dash_hosts);
	tcase_add_test(tc, test_token_valid);
	tcase_add_test(tc, test_ids);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(conf_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
