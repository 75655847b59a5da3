/*
 * check_task.c: the enqueue JSON, the validators and the headers JSON,
 * table-driven.  JSON in the tables is written with ' for " (dq() swaps
 * them) so that the rows stay readable; a row that needs a real
 * apostrophe writes \u0027.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "task.h"
#include "util.h"

static struct conf	conf;

static void
setup(void)
{
	conf_defaults(&conf);
	/* A queue from the config, as [queue.bulk] would add it. */
	util_strlcpy(conf.queues[conf.nqueues].name, "bulk", TD_NAME_MAX);
	conf.queues[conf.nqueues].weight = 2;
	conf.nqueues++;
}

/* A copy of s with ' turned into ", freed by the caller. */
static char *
dq(const char *s)
{
	char	*p, *d = xstrdup(s);

	for (p = d; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	return d;
}

/* Parse json (written with '), expecting err == want (NULL: success). */
static int
enqueue(struct task *t, const char *json, char *err, size_t errlen)
{
	char	*s = dq(json);
	int	 rv;

	memset(t, 0, sizeof(*t));
	rv = task_from_enqueue_json(t, s, strlen(s), &conf, err, errlen);
	free(s);
	return rv;
}

/* Bad input: the whole message, or (prefix) how it begins. */
static const struct {
	const char	*label;
	const char	*json;
	const char	*want;
	int		 prefix;
} bad_rows[] = {
	/* the body */
	{ "empty body", "", "body: invalid JSON", 1 },
	{ "blanks only", "   \n", "body: invalid JSON", 1 },
	{ "unterminated", "{'task': {'url': ", "body: invalid JSON", 1 },
	{ "open brace", "{", "body: invalid JSON", 1 },
	{ "trailing garbage", "{} x", "body: invalid JSON", 1 },
	{ "two objects", "{}{}", "body: invalid JSON", 1 },
	{ "trailing comma", "{'a':1,}", "body: invalid JSON", 1 },
	{ "leading zero", "{'a':01}", "body: invalid JSON", 1 },
	{ "True", "{'a':True}", "body: invalid JSON", 1 },
	{ "comment", "{/* c */}", "body: invalid JSON", 1 },
	{ "invalid UTF-8", "{'a':'\xff'}", "body: invalid JSON", 1 },
	{ "overlong UTF-8", "{'a':'\xc0\xaf'}", "body: invalid JSON", 1 },
	{ "surrogate UTF-8", "{'a':'\xed\xa0\x80'}", "body: invalid JSON", 1 },
	{ "above U+10FFFF", "{'a':'\xf4\x90\x80\x80'}", "body: invalid JSON",
	    1 },
	{ "cut UTF-8", "{'a':'\xe6\x97'}", "body: invalid JSON", 1 },
	{ "UTF-8 outside strings", "{'a':1}\xc3\xa9", "body: invalid JSON",
	    1 },
	{ "array", "[1,2]", "body: must be a JSON object", 0 },
	{ "string", "'task'", "body: must be a JSON object", 0 },
	{ "number", "5", "body: must be a JSON object", 0 },
	{ "fraction", "1.5", "body: must be a JSON object", 0 },
	{ "true", "true", "body: must be a JSON object", 0 },
	{ "null", "null", "body: must be a JSON object", 0 },
	{ "empty object", "{}", "task: required", 0 },
	/* queue */
	{ "queue number", "{'queue':3,'task':{'url':'http://a/'}}",
	    "queue: must be a string", 0 },
	{ "queue bool", "{'queue':true,'task':{'url':'http://a/'}}",
	    "queue: must be a string", 0 },
	{ "queue array", "{'queue':['default'],'task':{'url':'http://a/'}}",
	    "queue: must be a string", 0 },
	{ "queue object", "{'queue':{},'task':{'url':'http://a/'}}",
	    "queue: must be a string", 0 },
	{ "unknown queue", "{'queue':'nope','task':{'url':'http://a/'}}",
	    "queue: unknown queue 'nope'", 0 },
	{ "empty queue", "{'queue':'','task':{'url':'http://a/'}}",
	    "queue: unknown queue ''", 0 },
	{ "queue case", "{'queue':'Default','task':{'url':'http://a/'}}",
	    "queue: unknown queue 'Default'", 0 },
	{ "queue NUL", "{'queue':'default\\u0000x','task':{'url':'http://a/'}}",
	    "queue: unknown queue 'default?x'", 0 },
	{ "queue control", "{'queue':'a\\nb','task':{'url':'http://a/'}}",
	    "queue: unknown queue 'a?b'", 0 },
	{ "queue long", "{'queue':'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'"
	    ",'task':{'url':'http://a/'}}", "queue: unknown queue 'xxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'", 0 },
	{ "queue before task", "{'queue':'nope','task':{}}",
	    "queue: unknown queue 'nope'", 0 },
	/* delay */
	{ "negative delay", "{'delay':-1,'task':{'url':'http://a/'}}",
	    "delay: must be a non-negative number", 0 },
	{ "negative fraction", "{'delay':-0.5,'task':{'url':'http://a/'}}",
	    "delay: must be a non-negative number", 0 },
	{ "string delay", "{'delay':'5','task':{'url':'http://a/'}}",
	    "delay: must be a non-negative number", 0 },
	{ "bool delay", "{'delay':true,'task':{'url':'http://a/'}}",
	    "delay: must be a non-negative number", 0 },
	{ "array delay", "{'delay':[1],'task':{'url':'http://a/'}}",
	    "delay: must be a non-negative number", 0 },
	{ "object delay", "{'delay':{},'task':{'url':'http://a/'}}",
	    "delay: must be a non-negative number", 0 },
	{ "NaN delay", "{'delay':NaN,'task':{'url':'http://a/'}}",
	    "delay: must be a non-negative number", 0 },
	{ "-Infinity delay", "{'delay':-Infinity,'task':{'url':'http://a/'}}",
	    "delay: must be a non-negative number", 0 },
	{ "huge negative", "{'delay':-99999999999999999999,'task':{'url':"
	    "'http://a/'}}", "delay: must be a non-negative number", 0 },
	{ "30 days + 1 s", "{'delay':2592001,'task':{'url':'http://a/'}}",
	    "delay: too large (at most 2592000 seconds)", 0 },
	{ "30 days + 0.5 s", "{'delay':2592000.5,'task':{'url':'http://a/'}}",
	    "delay: too large (at most 2592000 seconds)", 0 },
	{ "Infinity delay", "{'delay':Infinity,'task':{'url':'http://a/'}}",
	    "delay: too large (at most 2592000 seconds)", 0 },
	{ "1e400 delay", "{'delay':1e400,'task':{'url':'http://a/'}}",
	    "delay: too large (at most 2592000 seconds)", 0 },
	{ "huge delay", "{'delay':99999999999999999999,'task':{'url':"
	    "'http://a/'}}", "delay: too large (at most 2592000 seconds)", 0 },
	{ "delay before task", "{'delay':-1}",
	    "delay: must be a non-negative number", 0 },
	/* task */
	{ "no task", "{'queue':'default'}", "task: required", 0 },
	{ "null task", "{'task':null}", "task: required", 0 },
	{ "task string", "{'task':'http://a/'}", "task: must be an object", 0 },
	{ "task array", "{'task':[]}", "task: must be an object", 0 },
	{ "task number", "{'task':1}", "task: must be an object", 0 },
	{ "Task is not task", "{'Task':{'url':'http://a/'}}",
	    "task: required", 0 },
	/* task.url */
	{ "no url", "{'task':{}}", "task.url: required", 0 },
	{ "no url, method", "{'task':{'method':'POST'}}",
	    "task.url: required", 0 },
	{ "null url", "{'task':{'url':null}}", "task.url: required", 0 },
	{ "url number", "{'task':{'url':5}}", "task.url: must be a string", 0 },
	{ "url array", "{'task':{'url':['http://a/']}}",
	    "task.url: must be a string", 0 },
	{ "empty url", "{'task':{'url':''}}", "task.url: required", 0 },
	{ "url NUL", "{'task':{'url':'http://a/\\u0000b'}}",
	    "task.url: contains a NUL byte", 0 },
	{ "ftp url", "{'task':{'url':'ftp://a/x'}}",
	    "task.url: must be http or https", 0 },
	{ "path only", "{'task':{'url':'/just/a/path'}}",
	    "task.url: must be http or https", 0 },
	{ "no host", "{'task':{'url':'http://'}}", "task.url: missing host",
	    0 },
	/* task.method */
	{ "method number", "{'task':{'url':'http://a/','method':1}}",
	    "task.method: must be a string", 0 },
	{ "method bool", "{'task':{'url':'http://a/','method':false}}",
	    "task.method: must be a string", 0 },
	{ "empty method", "{'task':{'url':'http://a/','method':''}}",
	    "task.method: invalid method token", 0 },
	{ "method space", "{'task':{'url':'http://a/','method':'GE T'}}",
	    "task.method: invalid method token", 0 },
	{ "method NUL", "{'task':{'url':'http://a/','method':'GET\\u0000X'}}",
	    "task.method: invalid method token", 0 },
	{ "method CRLF", "{'task':{'url':'http://a/','method':'GET\\r\\n'}}",
	    "task.method: invalid method token", 0 },
	{ "method 32", "{'task':{'url':'http://a/','method':"
	    "'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'}}",
	    "task.method: too long (at most 31 characters)", 0 },
	/* task.headers */
	{ "headers array", "{'task':{'url':'http://a/','headers':['a']}}",
	    "task.headers: must be an object", 0 },
	{ "headers string", "{'task':{'url':'http://a/','headers':'a: b'}}",
	    "task.headers: must be an object", 0 },
	{ "headers number", "{'task':{'url':'http://a/','headers':5}}",
	    "task.headers: must be an object", 0 },
	{ "header name space", "{'task':{'url':'http://a/','headers':"
	    "{'a b':'v'}}}", "task.headers: invalid header name 'a b'", 0 },
	{ "header name empty", "{'task':{'url':'http://a/','headers':"
	    "{'':'v'}}}", "task.headers: invalid header name ''", 0 },
	{ "header name colon", "{'task':{'url':'http://a/','headers':"
	    "{'X:A':'v'}}}", "task.headers: invalid header name 'X:A'", 0 },
	{ "header name CRLF", "{'task':{'url':'http://a/','headers':"
	    "{'X-A\\r\\nX-B':'v'}}}",
	    "task.headers: invalid header name 'X-A??X-B'", 0 },
	{ "header name UTF-8", "{'task':{'url':'http://a/','headers':"
	    "{'X-\xc3\x84':'v'}}}",
	    "task.headers: invalid header name 'X-\xc3\x84'", 0 },
	{ "header name before type", "{'task':{'url':'http://a/','headers':"
	    "{'a b':1}}}", "task.headers: invalid header name 'a b'", 0 },
	{ "header value number", "{'task':{'url':'http://a/','headers':"
	    "{'X-A':1}}}", "task.headers.X-A: must be a string", 0 },
	{ "header value null", "{'task':{'url':'http://a/','headers':"
	    "{'X-A':null}}}", "task.headers.X-A: must be a string", 0 },
	{ "header value object", "{'task':{'url':'http://a/','headers':"
	    "{'X-A':{}}}}", "task.headers.X-A: must be a string", 0 },
	{ "header value array", "{'task':{'url':'http://a/','headers':"
	    "{'X-A':['v']}}}", "task.headers.X-A: must be a string", 0 },
	{ "header value bool", "{'task':{'url':'http://a/','headers':"
	    "{'X-A':true}}}", "task.headers.X-A: must be a string", 0 },
	{ "header value LF", "{'task':{'url':'http://a/','headers':"
	    "{'X-A':'v\\nX-Injected: 1'}}}",
	    "task.headers.X-A: value contains CR or LF", 0 },
	{ "header value CR", "{'task':{'url':'http://a/','headers':"
	    "{'X-A':'v\\rw'}}}", "task.headers.X-A: value contains CR or LF",
	    0 },
	{ "header value NUL", "{'task':{'url':'http://a/','headers':"
	    "{'X-A':'v\\u0000w'}}}",
	    "task.headers.X-A: value contains a NUL byte", 0 },
	{ "Host", "{'task':{'url':'http://a/','headers':{'Host':'b'}}}",
	    "task.headers.Host: set by the dispatcher", 0 },
	{ "content-length", "{'task':{'url':'http://a/','headers':"
	    "{'content-length':'1'}}}",
	    "task.headers.content-length: set by the dispatcher", 0 },
	{ "Transfer-Encoding", "{'task':{'url':'http://a/','headers':"
	    "{'Transfer-Encoding':'chunked'}}}",
	    "task.headers.Transfer-Encoding: set by the dispatcher", 0 },
	{ "CONNECTION", "{'task':{'url':'http://a/','headers':"
	    "{'CONNECTION':'close'}}}",
	    "task.headers.CONNECTION: set by the dispatcher", 0 },
	{ "second header bad", "{'task':{'url':'http://a/','headers':"
	    "{'X-A':'1','X-B':2}}}", "task.headers.X-B: must be a string", 0 },
	/* task.body */
	{ "body number", "{'task':{'url':'http://a/','body':123}}",
	    "task.body: must be a string", 0 },
	{ "body object", "{'task':{'url':'http://a/','body':{'a':1}}}",
	    "task.body: must be a string", 0 },
	{ "body array", "{'task':{'url':'http://a/','body':[]}}",
	    "task.body: must be a string", 0 },
	{ "body bool", "{'task':{'url':'http://a/','body':false}}",
	    "task.body: must be a string", 0 },
	/* the order of checks: the first field wins */
	{ "url before method", "{'task':{'url':1,'method':1}}",
	    "task.url: must be a string", 0 },
	{ "method before headers", "{'task':{'url':'http://a/','method':1,"
	    "'headers':1}}", "task.method: must be a string", 0 },
	{ "headers before body", "{'task':{'url':'http://a/','body':1,"
	    "'headers':1}}", "task.headers: must be an object", 0 },
};

START_TEST(test_bad)
{
	struct task	t;
	char		err[256];
	const char	*want = bad_rows[_i].want;

	err[0] = '\0';
	ck_assert_msg(enqueue(&t, bad_rows[_i].json, err, sizeof(err)) == -1,
	    "%s: accepted", bad_rows[_i].label);
	if (bad_rows[_i].prefix)
		ck_assert_msg(strncmp(err, want, strlen(want)) == 0,
		    "%s: got '%s', want '%s...'", bad_rows[_i].label, err,
		    want);
	else
		ck_assert_msg(strcmp(err, want) == 0, "%s: got '%s', want '%s'",
		    bad_rows[_i].label, err, want);
	/* Nothing is left allocated or half-set. */
	ck_assert_ptr_null(t.url);
	ck_assert_ptr_null(t.headers);
	ck_assert_ptr_null(t.body);
	ck_assert_uint_eq(t.nheaders, 0);
	ck_assert_uint_eq(t.bodylen, 0);
}
END_TEST

/* Good input and what it became; NULL method means the default. */
static const struct {
	const char	*label;
	const char	*json;
	const char	*queue;
	const char	*url;
	const char	*method;
	size_t		 nheaders;
	const char	*body;
	uint64_t	 delay_ms;
} good_rows[] = {
	{ "minimal", "{'task':{'url':'http://a/'}}", "default", "http://a/",
	    "POST", 0, "", 0 },
	{ "everything", "{'queue':'critical','delay':5,'task':{'url':"
	    "'https://h:8443/p?q=1','method':'PATCH','headers':{'X-A':'1',"
	    "'Content-Type':'text/plain'},'body':'hello'}}", "critical",
	    "https://h:8443/p?q=1", "PATCH", 2, "hello", 5000 },
	{ "config queue", "{'queue':'bulk','task':{'url':'http://a/'}}",
	    "bulk", "http://a/", "POST", 0, "", 0 },
	{ "low queue", "{'queue':'low','task':{'url':'http://a/'}}",
	    "low", "http://a/", "POST", 0, "", 0 },
	{ "nulls are defaults", "{'queue':null,'delay':null,'task':{'url':"
	    "'http://a/','method':null,'headers':null,'body':null}}",
	    "default", "http://a/", "POST", 0, "", 0 },
	{ "unknown keys ignored", "{'x':[1,{}],'task':{'url':'http://a/',"
	    "'y':{'z':null},'oidcToken':{}},'v':2}", "default", "http://a/",
	    "POST", 0, "", 0 },
	{ "blanks around", " \n{'task':{'url':'http://a/'}}\r\n\t ", "default",
	    "http://a/", "POST", 0, "", 0 },
	{ "delay 0", "{'delay':0,'task':{'url':'http://a/'}}", "default",
	    "http://a/", "POST", 0, "", 0 },
	{ "delay 0.0", "{'delay':0.0,'task':{'url':'http://a/'}}", "default",
	    "http://a/", "POST", 0, "", 0 },
	{ "delay -0", "{'delay':-0,'task':{'url':'http://a/'}}", "default",
	    "http://a/", "POST", 0, "", 0 },
	{ "delay -0.0", "{'delay':-0.0,'task':{'url':'http://a/'}}",
	    "default", "http://a/", "POST", 0, "", 0 },
	{ "delay 0.75", "{'delay':0.75,'task':{'url':'http://a/'}}",
	    "default", "http://a/", "POST", 0, "", 750 },
	{ "delay 1.5", "{'delay':1.5,'task':{'url':'http://a/'}}", "default",
	    "http://a/", "POST", 0, "", 1500 },
	{ "delay 0.001", "{'delay':0.001,'task':{'url':'http://a/'}}",
	    "default", "http://a/", "POST", 0, "", 1 },
	{ "delay rounds up", "{'delay':0.0015,'task':{'url':'http://a/'}}",
	    "default", "http://a/", "POST", 0, "", 2 },
	{ "delay rounds down", "{'delay':0.0004,'task':{'url':'http://a/'}}",
	    "default", "http://a/", "POST", 0, "", 0 },
	{ "delay 1e2", "{'delay':1e2,'task':{'url':'http://a/'}}", "default",
	    "http://a/", "POST", 0, "", 100000 },
	{ "delay 30 days", "{'delay':2592000,'task':{'url':'http://a/'}}",
	    "default", "http://a/", "POST", 0, "", 2592000000ULL },
	{ "delay 30 days as double", "{'delay':2592000.0,'task':{'url':"
	    "'http://a/'}}", "default", "http://a/", "POST", 0, "",
	    2592000000ULL },
	{ "lowercase method kept", "{'task':{'url':'http://a/','method':"
	    "'get'}}", "default", "http://a/", "get", 0, "", 0 },
	{ "extension method", "{'task':{'url':'http://a/','method':"
	    "'M-SEARCH'}}", "default", "http://a/", "M-SEARCH", 0, "", 0 },
	{ "method 31", "{'task':{'url':'http://a/','method':"
	    "'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'}}", "default", "http://a/",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0, "", 0 },
	{ "method all tchars", "{'task':{'url':'http://a/','method':"
	    "'!#$%&\\u0027*+-.^_`|~09azAZ'}}", "default", "http://a/",
	    "!#$%&'*+-.^_`|~09azAZ", 0, "", 0 },
	{ "empty headers", "{'task':{'url':'http://a/','headers':{}}}",
	    "default", "http://a/", "POST", 0, "", 0 },
	{ "empty header value", "{'task':{'url':'http://a/','headers':"
	    "{'X-Empty':''}}}", "default", "http://a/", "POST", 1, "", 0 },
	{ "tab in header value", "{'task':{'url':'http://a/','headers':"
	    "{'X-T':'a\\tb','Authorization':'Bearer x.y'}}}", "default",
	    "http://a/", "POST", 2, "", 0 },
	{ "body UTF-8", "{'task':{'url':'http://a/','body':'\\u00e9\xe6\x97"
	    "\xa5\\ud83c\\udf89'}}", "default", "http://a/", "POST", 0,
	    "\xc3\xa9\xe6\x97\xa5\xf0\x9f\x8e\x89", 0 },
	{ "body escapes", "{'task':{'url':'http://a/','body':'a\\nb\\\\c\\/d"
	    "\\u0001'}}", "default", "http://a/", "POST", 0,
	    "a\nb\\c/d\x01", 0 },
	{ "url kept as given", "{'task':{'url':'HTTP://A/%20b?x=1&y=%20z#f'}}",
	    "default", "HTTP://A/%20b?x=1&y=%20z#f", "POST", 0, "", 0 },
};

START_TEST(test_good)
{
	struct task	t;
	char		err[256] = "";

	ck_assert_msg(enqueue(&t, good_rows[_i].json, err, sizeof(err)) == 0,
	    "%s: %s", good_rows[_i].label, err);
	ck_assert_str_eq(t.queue, good_rows[_i].queue);
	ck_assert_str_eq(t.url, good_rows[_i].url);
	ck_assert_str_eq(t.method, good_rows[_i].method);
	ck_assert_uint_eq(t.nheaders, good_rows[_i].nheaders);
	ck_assert_ptr_nonnull(t.body);
	ck_assert_uint_eq(t.bodylen, strlen(good_rows[_i].body));
	ck_assert_str_eq(t.body, good_rows[_i].body);
	ck_assert_uint_eq(t.delay_ms, good_rows[_i].delay_ms);
	task_free(&t);
}
END_TEST

/* Headers arrive in order, names and values as sent. */
START_TEST(test_headers_order)
{
	struct task	t;
	char		err[256] = "";

	ck_assert_int_eq(enqueue(&t, "{'task':{'url':'http://a/','headers':"
	    "{'X-B':'2','x-a':'1','X-Dup-Case':'MiXeD Case','X-E':''}}}", err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(t.nheaders, 4);
	ck_assert_str_eq(t.headers[0].name, "X-B");
	ck_assert_str_eq(t.headers[0].value, "2");
	ck_assert_str_eq(t.headers[1].name, "x-a");
	ck_assert_str_eq(t.headers[1].value, "1");
	ck_assert_str_eq(t.headers[2].name, "X-Dup-Case");
	ck_assert_str_eq(t.headers[2].value, "MiXeD Case");
	ck_assert_str_eq(t.headers[3].name, "X-E");
	ck_assert_str_eq(t.headers[3].value, "");
	task_free(&t);
}
END_TEST

/* A body with NULs: its length is exact and the bytes are kept. */
START_TEST(test_body_nul)
{
	struct task	t;
	char		err[256] = "";

	ck_assert_int_eq(enqueue(&t, "{'task':{'url':'http://a/','body':"
	    "'a\\u0000b\\u0000\\u00ff'}}", err, sizeof(err)), 0);
	ck_assert_uint_eq(t.bodylen, 6);
	ck_assert_mem_eq(t.body, "a\0b\0\xc3\xbf", 7);
	task_free(&t);
}
END_TEST

/* Input is (buf, len): bytes past len are not read, NULs inside fail. */
START_TEST(test_length)
{
	static const char	 buf[] = "{\"task\":{\"url\":\"http://a/\"}}"
	    "GARBAGE";
	static const char	 nul[] =
	    "{\"task\":{\"url\":\"http://a/\"}}\0x";
	struct task		 t;
	char			 err[256];

	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(task_from_enqueue_json(&t, buf, sizeof(buf) - 8,
	    &conf, err, sizeof(err)), 0);
	task_free(&t);
	ck_assert_int_eq(task_from_enqueue_json(&t, buf, sizeof(buf) - 1,
	    &conf, err, sizeof(err)), -1);
	ck_assert_int_eq(strncmp(err, "body: invalid JSON", 18), 0);
	ck_assert_int_eq(task_from_enqueue_json(&t, nul, sizeof(nul) - 1,
	    &conf, err, sizeof(err)), -1);
	ck_assert_int_eq(strncmp(err, "body: invalid JSON", 18), 0);
	ck_assert_int_eq(task_from_enqueue_json(&t, nul, 3, &conf, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(strncmp(err, "body: invalid JSON", 18), 0);
}
END_TEST

/* The caller's id, created_ms, eta_ms and attempts are left alone. */
START_TEST(test_keeps_caller_fields)
{
	static const char	*inputs[] = {
				    "{\"task\":{\"url\":\"http://a/\"}}",
				    "{\"task\":{\"url\":\"ftp://a/\"}}" };
	struct task		 t;
	char			 err[256];
	size_t			 i;

	for (i = 0; i < TD_NELEM(inputs); i++) {
		memset(&t, 0, sizeof(t));
		util_strlcpy(t.id, "0123456789abcdef0123456789abcdef",
		    sizeof(t.id));
		t.created_ms = 111;
		t.eta_ms = 222;
		t.attempts = 3;
		(void)task_from_enqueue_json(&t, inputs[i], strlen(inputs[i]),
		    &conf, err, sizeof(err));
		ck_assert_str_eq(t.id, "0123456789abcdef0123456789abcdef");
		ck_assert_uint_eq(t.created_ms, 111);
		ck_assert_uint_eq(t.eta_ms, 222);
		ck_assert_int_eq(t.attempts, 3);
		task_free(&t);
	}
}
END_TEST

/* Large inputs built in code: URL length, header count, big body. */
static char *
big_url(size_t len)
{
	char	*u = xmalloc(len + 1);

	memcpy(u, "http://a/", 9);
	memset(u + 9, 'x', len - 9);
	u[len] = '\0';
	return u;
}

START_TEST(test_url_length)
{
	struct task	 t;
	char		*u, *json, err[256];

	u = big_url(TD_URL_MAX);
	xasprintf(&json, "{\"task\":{\"url\":\"%s\"}}", u);
	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(task_from_enqueue_json(&t, json, strlen(json), &conf,
	    err, sizeof(err)), 0);
	ck_assert_uint_eq(strlen(t.url), TD_URL_MAX);
	task_free(&t);
	free(json);
	free(u);

	u = big_url(TD_URL_MAX + 1);
	xasprintf(&json, "{\"task\":{\"url\":\"%s\"}}", u);
	ck_assert_int_eq(task_from_enqueue_json(&t, json, strlen(json), &conf,
	    err, sizeof(err)), -1);
	ck_assert_str_eq(err, "task.url: too long (at most 8192 bytes)");
	free(json);
	free(u);
}
END_TEST

static char *
many_headers(int n)
{
	char	*json, *p;
	int	 i;

	json = xmalloc(64 + (size_t)n * 32);
	p = json + sprintf(json,
	    "{\"task\":{\"url\":\"http://a/\",\"headers\":{");
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s\"X-H%d\":\"%d\"", i > 0 ? "," : "", i, i);
	strcpy(p, "}}}");
	return json;
}

START_TEST(test_header_count)
{
	struct task	 t;
	char		*json, err[256];

	json = many_headers(TD_HEADERS_MAX);
	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(task_from_enqueue_json(&t, json, strlen(json), &conf,
	    err, sizeof(err)), 0);
	ck_assert_uint_eq(t.nheaders, TD_HEADERS_MAX);
	ck_assert_str_eq(t.headers[TD_HEADERS_MAX - 1].name, "X-H99");
	task_free(&t);
	free(json);

	json = many_headers(TD_HEADERS_MAX + 1);
	ck_assert_int_eq(task_from_enqueue_json(&t, json, strlen(json), &conf,
	    err, sizeof(err)), -1);
	ck_assert_str_eq(err, "task.headers: too many headers (at most 100)");
	free(json);
}
END_TEST

START_TEST(test_big_body)
{
	struct task	 t;
	char		*json, err[256];
	size_t		 n = 1 << 20, off;

	json = xmalloc(n + 64);
	strcpy(json, "{\"task\":{\"url\":\"http://a/\",\"body\":\"");
	off = strlen(json);
	memset(json + off, 'b', n);
	strcpy(json + off + n, "\"}}");
	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(task_from_enqueue_json(&t, json, strlen(json), &conf,
	    err, sizeof(err)), 0);
	ck_assert_uint_eq(t.bodylen, n);
	ck_assert_int_eq(t.body[n], '\0');
	task_free(&t);
	free(json);
}
END_TEST

/* A tiny err buffer is never overrun, and always terminated. */
START_TEST(test_small_err)
{
	struct task	t;
	char		err[8];

	memset(err, 'z', sizeof(err));
	ck_assert_int_eq(enqueue(&t, "{'task':{'url':'ftp://a/'}}", err,
	    sizeof(err) - 2), -1);
	ck_assert_str_eq(err, "task.");
	ck_assert_int_eq(err[6], 'z');
}
END_TEST

/* The validators on their own, with their exact messages. */
#define WS_CTL	"task.url: contains whitespace or a control character"

static const struct {
	const char	*url;
	const char	*want;		/* NULL: valid */
} url_rows[] = {
	{ "http://a/", NULL },
	{ "https://a", NULL },
	{ "HTTP://A/", NULL },
	{ "HtTpS://a.b.c:443/p?q#f", NULL },
	{ "http://user:pw@h:8080/", NULL },
	{ "http://u@ser@h/", NULL },
	{ "http://[::1]:8080/x", NULL },
	{ "http://[::1]/", NULL },
	{ "http://[2001:db8::1]", NULL },
	{ "http://[::ffff:127.0.0.1]:1/", NULL },
	{ "http://h:/", NULL },
	{ "http://h?x", NULL },
	{ "http://h#f", NULL },
	{ "http://127.0.0.1:1/x", NULL },
	{ "http://h:65535/", NULL },
	{ "http://h:1/", NULL },
	{ "http://b\xc3\xbc" "cher.example/", NULL },
	{ "http://a_b.c-d~e/", NULL },
	{ "http://a/%20b\xc3\xa9", NULL },
	{ "", "task.url: required" },
	{ "ftp://a/", "task.url: must be http or https" },
	{ "/just/a/path", "task.url: must be http or https" },
	{ "a/b", "task.url: must be http or https" },
	{ "http", "task.url: must be http or https" },
	{ "http:", "task.url: must be http or https" },
	{ "http:/a", "task.url: must be http or https" },
	{ "https:a", "task.url: must be http or https" },
	{ "httpx://a/", "task.url: must be http or https" },
	{ "javascript:alert(1)", "task.url: must be http or https" },
	{ "//a/", "task.url: must be http or https" },
	{ "http://", "task.url: missing host" },
	{ "https://", "task.url: missing host" },
	{ "http:///x", "task.url: missing host" },
	{ "http://?x", "task.url: missing host" },
	{ "http://#x", "task.url: missing host" },
	{ "http://:80/", "task.url: missing host" },
	{ "http://user@/x", "task.url: missing host" },
	{ "http://a b/", WS_CTL },
	{ " http://a/", WS_CTL },
	{ "http://a/ ", WS_CTL },
	{ "http://a/\tb", WS_CTL },
	{ "http://a/\r\nX: y", WS_CTL },
	{ "http://a/\x7f", WS_CTL },
	{ "http://a/\x01", WS_CTL },
	{ "http://a:0/", "task.url: invalid port" },
	{ "http://a:65536/", "task.url: invalid port" },
	{ "http://a:8x/", "task.url: invalid port" },
	{ "http://a:-1/", "task.url: invalid port" },
	{ "http://a:99999999999999999999/", "task.url: invalid port" },
	{ "http://a:80:80/", "task.url: invalid port" },
	{ "http://[::1]:0/", "task.url: invalid port" },
	{ "http://[::1/", "task.url: invalid host" },
	{ "http://[]/", "task.url: invalid host" },
	{ "http://[::1]x/", "task.url: invalid host" },
	{ "http://[zz]/", "task.url: invalid host" },
	{ "http://a<b/", "task.url: invalid host" },
	{ "http://a\"b/", "task.url: invalid host" },
	{ "http://a^b/", "task.url: invalid host" },
	{ "http://a\\b/", "task.url: invalid host" },
	{ "http://a{b}/", "task.url: invalid host" },
	{ "http://a|b/", "task.url: invalid host" },
	{ "http://a]b/", "task.url: invalid host" },
};

START_TEST(test_valid_url)
{
	char	err[256] = "";
	int	rv = task_valid_url(url_rows[_i].url, err, sizeof(err));

	if (url_rows[_i].want == NULL)
		ck_assert_msg(rv == 0, "'%s': %s", url_rows[_i].url, err);
	else {
		ck_assert_msg(rv == -1, "'%s': accepted", url_rows[_i].url);
		ck_assert_str_eq(err, url_rows[_i].want);
	}
}
END_TEST

static const struct {
	const char	*method;
	const char	*want;
} method_rows[] = {
	{ "GET", NULL }, { "POST", NULL }, { "PATCH", NULL },
	{ "DELETE", NULL }, { "PURGE", NULL }, { "get", NULL }, { "X", NULL },
	{ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL },
	{ "", "task.method: invalid method token" },
	{ "GE T", "task.method: invalid method token" },
	{ " GET", "task.method: invalid method token" },
	{ "GET\r\n", "task.method: invalid method token" },
	{ "GET/", "task.method: invalid method token" },
	{ "(GET)", "task.method: invalid method token" },
	{ "GET:", "task.method: invalid method token" },
	{ "G\"T", "task.method: invalid method token" },
	{ "G\xc3\x89T", "task.method: invalid method token" },
	{ "G\x7fT", "task.method: invalid method token" },
	{ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "task.method: too long (at most 31 characters)" },
	{ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "task.method: too long (at most 31 characters)" },
};

START_TEST(test_valid_method)
{
	char	err[256] = "";
	int	rv = task_valid_method(method_rows[_i].method, err,
		    sizeof(err));

	if (method_rows[_i].want == NULL)
		ck_assert_msg(rv == 0, "'%s': %s", method_rows[_i].method, err);
	else {
		ck_assert_msg(rv == -1, "'%s': accepted",
		    method_rows[_i].method);
		ck_assert_str_eq(err, method_rows[_i].want);
	}
}
END_TEST

static const struct {
	const char	*name;
	const char	*value;
	const char	*want;
} header_rows[] = {
	{ "X-A", "1", NULL },
	{ "Content-Type", "application/json; charset=utf-8", NULL },
	{ "x", "", NULL },
	{ "X-Tab", "a\tb", NULL },
	{ "X-UTF8", "\xc3\xa9", NULL },
	{ "!#$%&'*+-.^_`|~", "v", NULL },
	{ "Accept", "*/*", NULL },
	{ "Expect", "", NULL },
	{ NULL, "v", "task.headers: invalid header name ''" },
	{ "", "v", "task.headers: invalid header name ''" },
	{ "a b", "v", "task.headers: invalid header name 'a b'" },
	{ "X:A", "v", "task.headers: invalid header name 'X:A'" },
	{ "X-A\r\nX-B", "v", "task.headers: invalid header name 'X-A??X-B'" },
	{ "X-A\x7f", "v", "task.headers: invalid header name 'X-A?'" },
	{ "(x)", "v", "task.headers: invalid header name '(x)'" },
	{ "x/y", "v", "task.headers: invalid header name 'x/y'" },
	{ "Host", "a", "task.headers.Host: set by the dispatcher" },
	{ "host", "a", "task.headers.host: set by the dispatcher" },
	{ "Content-Length", "1", "task.headers.Content-Length: set by the "
	    "dispatcher" },
	{ "TRANSFER-ENCODING", "x", "task.headers.TRANSFER-ENCODING: set by "
	    "the dispatcher" },
	{ "Connection", "close", "task.headers.Connection: set by the "
	    "dispatcher" },
	{ "X-A", NULL, "task.headers.X-A: must be a string" },
	{ "X-A", "a\r", "task.headers.X-A: value contains CR or LF" },
	{ "X-A", "\na", "task.headers.X-A: value contains CR or LF" },
	{ "X-A", "a\r\nX-B: 1", "task.headers.X-A: value contains CR or LF" },
};

START_TEST(test_valid_header)
{
	char	err[256] = "";
	int	rv = task_valid_header(header_rows[_i].name,
		    header_rows[_i].value, err, sizeof(err));

	if (header_rows[_i].want == NULL)
		ck_assert_msg(rv == 0, "'%s': %s", header_rows[_i].name, err);
	else {
		ck_assert_msg(rv == -1, "'%s': accepted", header_rows[_i].name);
		ck_assert_str_eq(err, header_rows[_i].want);
	}
}
END_TEST

/* A long invalid name is quoted short. */
START_TEST(test_header_name_echo)
{
	char	name[200], err[256];

	memset(name, 'a', sizeof(name));
	name[0] = ' ';
	name[sizeof(name) - 1] = '\0';
	ck_assert_int_eq(task_valid_header(name, "v", err, sizeof(err)), -1);
	ck_assert_uint_eq(strlen(err), strlen("task.headers: invalid header "
	    "name ''") + 64 + 3);
	ck_assert_str_eq(err + strlen(err) - 4, "...'");
}
END_TEST

/* Headers to JSON and back: same names, values and order. */
static const struct {
	const char	*label;
	const char	*json;		/* enqueue body, with ' */
	const char	*want;	/* task_headers_to_json, with ' */
} roundtrip_rows[] = {
	{ "none", "{'task':{'url':'http://a/'}}", "{}" },
	{ "one", "{'task':{'url':'http://a/','headers':{'X-A':'1'}}}",
	    "{'X-A':'1'}" },
	{ "order kept", "{'task':{'url':'http://a/','headers':{'X-B':'2',"
	    "'X-A':'1','Content-Type':'text/plain'}}}",
	    "{'X-B':'2','X-A':'1','Content-Type':'text/plain'}" },
	{ "escapes", "{'task':{'url':'http://a/','headers':{'X-Q':"
	    "'a\\'b\\\\c/d\\te'}}}", "{'X-Q':'a\\'b\\\\c/d\\te'}" },
	{ "UTF-8 raw", "{'task':{'url':'http://a/','headers':{'X-U':"
	    "'\\u00e9\\ud83c\\udf89'}}}",
	    "{'X-U':'\xc3\xa9\xf0\x9f\x8e\x89'}" },
	{ "empty value", "{'task':{'url':'http://a/','headers':{'X-E':''}}}",
	    "{'X-E':''}" },
	{ "control characters", "{'task':{'url':'http://a/','headers':"
	    "{'X-C':'\\u0001\\b\\f\\u001f\\u007f'}}}",
	    "{'X-C':'\\u0001\\b\\f\\u001f\x7f'}" },
};

/* A name given twice keeps its first place and its last value. */
START_TEST(test_headers_to_json_twice)
{
	struct task_header	 h[] = {
		{ "X-A", "1" }, { "X-B", "2" }, { "X-A", "3" }
	};
	struct task		 t;
	char			*js;

	memset(&t, 0, sizeof(t));
	t.headers = h;
	t.nheaders = TD_NELEM(h);
	js = task_headers_to_json(&t);
	ck_assert_str_eq(js, "{\"X-A\":\"3\",\"X-B\":\"2\"}");
	free(js);
}
END_TEST

START_TEST(test_headers_roundtrip)
{
	struct task	 a, b;
	char		 err[256] = "", *js, *want;
	size_t		 i;

	ck_assert_msg(enqueue(&a, roundtrip_rows[_i].json, err,
	    sizeof(err)) == 0, "%s: %s", roundtrip_rows[_i].label, err);
	js = task_headers_to_json(&a);
	want = dq(roundtrip_rows[_i].want);
	/* dq() also turned the escaped \' of the row into \". */
	ck_assert_str_eq(js, want);
	memset(&b, 0, sizeof(b));
	ck_assert_msg(task_headers_from_json(&b, js, err, sizeof(err)) == 0,
	    "%s: %s", roundtrip_rows[_i].label, err);
	ck_assert_uint_eq(b.nheaders, a.nheaders);
	for (i = 0; i < a.nheaders; i++) {
		ck_assert_str_eq(b.headers[i].name, a.headers[i].name);
		ck_assert_str_eq(b.headers[i].value, a.headers[i].value);
	}
	free(want);
	free(js);
	task_free(&a);
	task_free(&b);
}
END_TEST

/* What comes back from Redis is checked by the same rules. */
static const struct {
	const char	*json;
	const char	*want;
	int		 prefix;
	size_t		 n;
} from_rows[] = {
	{ "", NULL, 0, 0 },
	{ "{}", NULL, 0, 0 },
	{ " {'A':'1','B':''} ", NULL, 0, 2 },
	{ "{", "task.headers: invalid JSON", 1, 0 },
	{ "{'A':'1'} x", "task.headers: invalid JSON", 1, 0 },
	{ "[]", "task.headers: must be a JSON object", 0, 0 },
	{ "'x'", "task.headers: must be a JSON object", 0, 0 },
	{ "null", "task.headers: must be a JSON object", 0, 0 },
	{ "{'A':1}", "task.headers.A: must be a string", 0, 0 },
	{ "{'Host':'x'}", "task.headers.Host: set by the dispatcher", 0, 0 },
	{ "{'a b':'x'}", "task.headers: invalid header name 'a b'", 0, 0 },
	{ "{'A':'x\\ny'}", "task.headers.A: value contains CR or LF", 0, 0 },
};

START_TEST(test_headers_from_json)
{
	struct task	 t;
	char		 err[256] = "", *js = dq(from_rows[_i].json);
	int		 rv;

	memset(&t, 0, sizeof(t));
	/* Headers already there are replaced, not leaked or kept. */
	ck_assert_int_eq(task_headers_from_json(&t, "{\"Old\":\"1\"}", err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(t.nheaders, 1);
	rv = task_headers_from_json(&t, js, err, sizeof(err));
	if (from_rows[_i].want == NULL) {
		ck_assert_msg(rv == 0, "'%s': %s", js, err);
		ck_assert_uint_eq(t.nheaders, from_rows[_i].n);
	} else {
		ck_assert_msg(rv == -1, "'%s': accepted", js);
		if (from_rows[_i].prefix)
			ck_assert_int_eq(strncmp(err, from_rows[_i].want,
			    strlen(from_rows[_i].want)), 0);
		else
			ck_assert_str_eq(err, from_rows[_i].want);
		ck_assert_uint_eq(t.nheaders, 0);
		ck_assert_ptr_null(t.headers);
	}
	task_free(&t);
	free(js);
}
END_TEST

START_TEST(test_headers_from_null)
{
	struct task	t;
	char		err[64];

	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(task_headers_from_json(&t, NULL, err, sizeof(err)), 0);
	ck_assert_uint_eq(t.nheaders, 0);
}
END_TEST

/* task_free releases everything and leaves the struct zeroed. */
START_TEST(test_free)
{
	struct task		t;
	static struct task	zero;
	char			err[256];

	ck_assert_int_eq(enqueue(&t, "{'task':{'url':'http://a/','headers':"
	    "{'A':'1'},'body':'x'}}", err, sizeof(err)), 0);
	util_strlcpy(t.id, "abc", sizeof(t.id));
	t.attempts = 4;
	task_free(&t);
	ck_assert_mem_eq(&t, &zero, sizeof(t));
	/* Twice is harmless. */
	task_free(&t);
	ck_assert_mem_eq(&t, &zero, sizeof(t));
}
END_TEST

static Suite *
task_suite(void)
{
	Suite	*s = suite_create("task");
	TCase	*tc;

	tc = tcase_create("enqueue");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_bad, 0, TD_NELEM(bad_rows));
	tcase_add_loop_test(tc, test_good, 0, TD_NELEM(good_rows));
	tcase_add_test(tc, test_headers_order);
	tcase_add_test(tc, test_body_nul);
	tcase_add_test(tc, test_length);
	tcase_add_test(tc, test_keeps_caller_fields);
	tcase_add_test(tc, test_url_length);
	tcase_add_test(tc, test_header_count);
	tcase_add_test(tc, test_big_body);
	tcase_add_test(tc, test_small_err);
	suite_add_tcase(s, tc);

	tc = tcase_create("validators");
	tcase_add_loop_test(tc, test_valid_url, 0, TD_NELEM(url_rows));
	tcase_add_loop_test(tc, test_valid_method, 0, TD_NELEM(method_rows));
	tcase_add_loop_test(tc, test_valid_header, 0, TD_NELEM(header_rows));
	tcase_add_test(tc, test_header_name_echo);
	suite_add_tcase(s, tc);

	tc = tcase_create("headers_json");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_headers_roundtrip, 0,
	    TD_NELEM(roundtrip_rows));
	tcase_add_loop_test(tc, test_headers_from_json, 0,
	    TD_NELEM(from_rows));
	tcase_add_test(tc, test_headers_from_null);
	tcase_add_test(tc, test_headers_to_json_twice);
	tcase_add_test(tc, test_free);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(task_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
