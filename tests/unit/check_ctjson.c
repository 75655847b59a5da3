/*
 * check_ctjson.c: the Cloud Tasks JSON codec.  Durations, timestamps and
 * base64 one row per case and in round trips; enums; the updateMask;
 * Queue and CreateTask bodies in (the requests Google's Node client sent,
 * cloudtasks.md 3.3, and every error path) and Queue and Task resources
 * out, compared as exact JSON text; the google.rpc codes and errors.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "ctjson.h"
#include "task.h"
#include "util.h"

#define PARENT	"projects/my-proj/locations/us-central1/queues/q1"
#define NOW	1735689600000ULL	/* 2025-01-01T00:00:00Z */

static struct json_object *
parse(const char *s)
{
	struct json_object	*o = json_tokener_parse(s);

	ck_assert_msg(o != NULL, "test JSON does not parse: %s", s);
	return o;
}

static const char *
text(struct json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* Methods. */

START_TEST(test_methods)
{
	static const char *const names[] = { "POST", "GET", "HEAD", "PUT",
	    "DELETE", "PATCH", "OPTIONS" };
	int	i;

	for (i = 0; i < 7; i++) {
		ck_assert_str_eq(ct_method_name(i + 1), names[i]);
		ck_assert_int_eq(ct_method_number(names[i]), i + 1);
	}
	ck_assert_ptr_null(ct_method_name(0));
	ck_assert_ptr_null(ct_method_name(8));
	ck_assert_ptr_null(ct_method_name(-1));
	ck_assert_int_eq(ct_method_number("HTTP_METHOD_UNSPECIFIED"), 0);
	ck_assert_int_eq(ct_method_number("post"), -1);
	ck_assert_int_eq(ct_method_number("PROPFIND"), -1);
	ck_assert_int_eq(ct_method_number(""), -1);
	ck_assert_int_eq(ct_method_number(NULL), -1);
}
END_TEST

/* enum-encoding=int in $alt. */

static const struct {
	const char	*target;
	int		 want;
} enum_rows[] = {
	{ "/v2/x?$alt=json%3Benum-encoding=int", 1 },
	{ "/v2/x?pageSize=2&$alt=json%3Benum-encoding=int&pageToken=a", 1 },
	{ "/v2/x?$alt=json;enum-encoding=int", 1 },
	{ "/v2/x?$alt=enum-encoding%3Dint", 1 },
	{ "/v2/x?$alt=json%3Benum-encoding%3Dint", 1 },
	{ "/v2/x?$alt=json", 0 },
	{ "/v2/x?$alt=json%3Benum-encoding=string", 0 },
	{ "/v2/x?$alt=json%3Benum-encoding=integer", 0 },
	{ "/v2/x?$alt=json%3Bxenum-encoding=int", 0 },
	{ "/v2/x?alt=json%3Benum-encoding=int", 0 },
	{ "/v2/x?enum-encoding=int", 0 },
	{ "/v2/x?$alt=json%3Benum-encoding=int%", 0 },
	{ "/v2/x", 0 },
	{ "/v2/x?", 0 },
	{ "", 0 },
};

START_TEST(test_enum_int)
{
	const char	*t = enum_rows[_i].target;

	ck_assert_msg(ct_enum_int(t, strlen(t)) == enum_rows[_i].want, "%s",
	    t);
}
END_TEST

START_TEST(test_enum_int_len)
{
	const char	*t = "/v2/x?$alt=json%3Benum-encoding=int";

	ck_assert_int_eq(ct_enum_int(t, strlen(t) - 1), 0);
	ck_assert_int_eq(ct_enum_int(t, 5), 0);
	ck_assert_int_eq(ct_enum_int(NULL, 0), 0);
}
END_TEST

/* Durations. */

static const struct {
	const char	*s;
	int		 rv;
	uint64_t	 ms;
} dur_rows[] = {
	{ "0s", 0, 0 },
	{ "30s", 0, 30000 },
	{ "3.5s", 0, 3500 },
	{ "0.100s", 0, 100 },
	{ "0.1s", 0, 100 },
	{ "30.500s", 0, 30500 },
	{ "10.500s", 0, 10500 },
	{ "3600s", 0, 3600000 },
	{ "1.000000001s", 0, 1000 },
	{ "1.999999999s", 0, 1999 },
	{ "0.000001s", 0, 0 },
	{ "0.0015s", 0, 1 },
	{ "007s", 0, 7000 },
	{ "315576000000s", 0, 315576000000000ULL },
	{ "315576000000.999s", 0, 315576000000999ULL },
	{ "315576000001s", -1, 0 },
	{ "99999999999999999999s", -1, 0 },
	{ "1.0000000001s", -1, 0 },
	{ "-1s", -1, 0 },
	{ "-0.5s", -1, 0 },
	{ "+1s", -1, 0 },
	{ "30", -1, 0 },
	{ "3.5", -1, 0 },
	{ "s", -1, 0 },
	{ "", -1, 0 },
	{ ".5s", -1, 0 },
	{ "1.s", -1, 0 },
	{ "1..5s", -1, 0 },
	{ "1.5.5s", -1, 0 },
	{ " 1s", -1, 0 },
	{ "1s ", -1, 0 },
	{ "1 s", -1, 0 },
	{ "1S", -1, 0 },
	{ "1ms", -1, 0 },
	{ "1m", -1, 0 },
	{ "1e3s", -1, 0 },
	{ "0x10s", -1, 0 },
	{ "1ss", -1, 0 },
	{ "abc", -1, 0 },
};

START_TEST(test_duration_parse)
{
	uint64_t	ms = 12345;

	ck_assert_msg(ct_duration_parse(dur_rows[_i].s, &ms) ==
	    dur_rows[_i].rv, "\"%s\"", dur_rows[_i].s);
	if (dur_rows[_i].rv == 0)
		ck_assert_uint_eq(ms, dur_rows[_i].ms);
	else
		ck_assert_uint_eq(ms, 12345);
}
END_TEST

static const struct {
	uint64_t	 ms;
	const char	*want;
} durfmt_rows[] = {
	{ 0, "0s" }, { 1, "0.001s" }, { 100, "0.100s" }, { 999, "0.999s" },
	{ 1000, "1s" }, { 3500, "3.500s" }, { 30000, "30s" },
	{ 30500, "30.500s" }, { 3600000, "3600s" }, { 3600001, "3600.001s" },
	{ 315576000000000ULL, "315576000000s" },
};

START_TEST(test_duration_format)
{
	char	buf[64];

	ct_duration_format(durfmt_rows[_i].ms, buf, sizeof(buf));
	ck_assert_str_eq(buf, durfmt_rows[_i].want);
}
END_TEST

START_TEST(test_duration_roundtrip)
{
	uint64_t	ms, v, out;
	char		buf[64];

	for (ms = 0; ms < 100000; ms += 7) {
		v = ms * ms % 315576000000000ULL;
		ct_duration_format(v, buf, sizeof(buf));
		ck_assert_int_eq(ct_duration_parse(buf, &out), 0);
		ck_assert_uint_eq(out, v);
	}
}
END_TEST

START_TEST(test_duration_format_short)
{
	char	buf[4];

	ct_duration_format(3500, buf, sizeof(buf));
	ck_assert_str_eq(buf, "3.5");	/* truncated, still terminated */
}
END_TEST

/* Timestamps. */

static const struct {
	const char	*s;
	int		 rv;
	uint64_t	 ms;
} time_rows[] = {
	{ "1970-01-01T00:00:00Z", 0, 0 },
	{ "2025-01-01T00:00:00Z", 0, NOW },
	{ "2025-01-01T00:00:00.500Z", 0, NOW + 500 },
	{ "2025-01-01T00:00:00.000Z", 0, NOW },
	{ "2025-01-01T00:00:00.5Z", 0, NOW + 500 },
	{ "2025-01-01T00:00:00.05Z", 0, NOW + 50 },
	{ "2025-01-01T00:00:00.123456Z", 0, NOW + 123 },
	{ "2025-01-01T00:00:00.123456789Z", 0, NOW + 123 },
	{ "2025-01-01T00:00:00.999999999Z", 0, NOW + 999 },
	{ "2025-01-01t00:00:00z", 0, NOW },
	{ "2025-01-01T01:00:00+01:00", 0, NOW },
	{ "2024-12-31T23:00:00-01:00", 0, NOW },
	{ "2025-01-01T05:30:00.250+05:30", 0, NOW + 250 },
	{ "2025-01-01T00:00:00+00:00", 0, NOW },
	{ "2025-01-01T00:00:00-00:00", 0, NOW },
	{ "2024-02-29T00:00:00Z", 0, 1709164800000ULL },
	{ "2000-02-29T12:34:56Z", 0, 951827696000ULL },
	{ "2025-12-31T23:59:59Z", 0, 1767225599000ULL },
	{ "9999-12-31T23:59:59Z", 0, 253402300799000ULL },
	{ "1970-01-01T01:00:00+01:00", 0, 0 },
	/* Bad. */
	{ "1969-12-31T23:59:59Z", -1, 0 },
	{ "1970-01-01T00:30:00+01:00", -1, 0 },
	{ "1970-01-01T00:59:59+01:00", -1, 0 },
	{ "1970-01-01T00:59:59.999+01:00", -1, 0 },
	{ "2025-02-29T00:00:00Z", -1, 0 },
	{ "1900-02-29T00:00:00Z", -1, 0 },
	{ "2100-02-29T00:00:00Z", -1, 0 },
	{ "2025-04-31T00:00:00Z", -1, 0 },
	{ "2025-13-01T00:00:00Z", -1, 0 },
	{ "2025-00-01T00:00:00Z", -1, 0 },
	{ "2025-01-00T00:00:00Z", -1, 0 },
	{ "2025-01-32T00:00:00Z", -1, 0 },
	{ "2025-01-01T24:00:00Z", -1, 0 },
	{ "2025-01-01T00:60:00Z", -1, 0 },
	{ "2025-01-01T00:00:60Z", -1, 0 },
	{ "2025-01-01T00:00:00", -1, 0 },
	{ "2025-01-01T00:00:00.Z", -1, 0 },
	{ "2025-01-01T00:00:00.1234567890Z", -1, 0 },
	{ "2025-01-01T00:00:00+01", -1, 0 },
	{ "2025-01-01T00:00:00+0100", -1, 0 },
	{ "2025-01-01T00:00:00+24:00", -1, 0 },
	{ "2025-01-01T00:00:00+01:60", -1, 0 },
	{ "2025-01-01T00:00:00ZZ", -1, 0 },
	{ "2025-01-01T00:00:00Z ", -1, 0 },
	{ " 2025-01-01T00:00:00Z", -1, 0 },
	{ "2025-01-01 00:00:00Z", -1, 0 },
	{ "2025-1-01T00:00:00Z", -1, 0 },
	{ "2025-01-01T0:00:00Z", -1, 0 },
	{ "25-01-01T00:00:00Z", -1, 0 },
	{ "+2025-01-01T00:00:00Z", -1, 0 },
	{ "20250-01-01T00:00:00Z", -1, 0 },
	{ "2025/01/01T00:00:00Z", -1, 0 },
	{ "2025-01-01", -1, 0 },
	{ "1735689600", -1, 0 },
	{ "", -1, 0 },
	{ "2025-01-01T00:00:00.5z+01:00", -1, 0 },
};

START_TEST(test_time_parse)
{
	uint64_t	ms = 12345;

	ck_assert_msg(ct_time_parse(time_rows[_i].s, &ms) == time_rows[_i].rv,
	    "\"%s\"", time_rows[_i].s);
	if (time_rows[_i].rv == 0)
		ck_assert_uint_eq(ms, time_rows[_i].ms);
	else
		ck_assert_uint_eq(ms, 12345);
}
END_TEST

static const struct {
	uint64_t	 ms;
	const char	*want;
} timefmt_rows[] = {
	{ 0, "1970-01-01T00:00:00Z" },
	{ 1, "1970-01-01T00:00:00.001Z" },
	{ NOW, "2025-01-01T00:00:00Z" },
	{ NOW + 500, "2025-01-01T00:00:00.500Z" },
	{ NOW + 1000, "2025-01-01T00:00:01Z" },
	{ NOW + 123, "2025-01-01T00:00:00.123Z" },
	{ 951827696000ULL, "2000-02-29T12:34:56Z" },
	{ 253402300799999ULL, "9999-12-31T23:59:59.999Z" },
};

START_TEST(test_time_format)
{
	char	buf[64];

	ct_time_format(timefmt_rows[_i].ms, buf, sizeof(buf));
	ck_assert_str_eq(buf, timefmt_rows[_i].want);
}
END_TEST

START_TEST(test_time_roundtrip)
{
	uint64_t	i, v, out;
	char		buf[64];

	for (i = 0; i < 20000; i++) {
		v = (i * 2654435761ULL * 1000003ULL) % 253402300800000ULL;
		ct_time_format(v, buf, sizeof(buf));
		ck_assert_int_eq(ct_time_parse(buf, &out), 0);
		ck_assert_uint_eq(out, v);
	}
}
END_TEST

/* Base64. */

static const struct {
	const char	*raw;
	const char	*b64;
} b64_rows[] = {
	/* RFC 4648 section 10 */
	{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
	/* What the Node client sent. */
	{ "{\"hello\":\"world\"}", "eyJoZWxsbyI6IndvcmxkIn0=" },
	{ "plain text", "cGxhaW4gdGV4dA==" },
	{ "\xff\xfe\xfd", "//79" }, { "\xfb\xff", "+/8=" },
};

START_TEST(test_b64)
{
	char	*s, *out;
	size_t	 n = strlen(b64_rows[_i].raw), len;

	s = ct_b64_encode(b64_rows[_i].raw, n);
	ck_assert_str_eq(s, b64_rows[_i].b64);
	free(s);
	ck_assert_int_eq(ct_b64_decode(b64_rows[_i].b64,
	    strlen(b64_rows[_i].b64), &out, &len), 0);
	ck_assert_uint_eq(len, n);
	ck_assert(memcmp(out, b64_rows[_i].raw, n) == 0);
	ck_assert_int_eq(out[len], '\0');
	free(out);
}
END_TEST

static const struct {
	const char	*b64;
	int		 rv;
	const char	*raw;
} b64dec_rows[] = {
	{ "Zg", 0, "f" }, { "Zm8", 0, "fo" }, { "Zm9vYg", 0, "foob" },
	{ "Zm9vYmE", 0, "fooba" },
	{ "-_8", 0, "\xfb\xff" },	/* URL-safe, as proto3 JSON allows */
	{ "Zg=", -1, NULL }, { "Zg===", -1, NULL }, { "Z===", -1, NULL },
	{ "Z", -1, NULL }, { "Zm9vY", -1, NULL }, { "=", -1, NULL },
	{ "==", -1, NULL }, { "====", -1, NULL }, { "Zg==Zg==", -1, NULL },
	{ "Z=g=", -1, NULL }, { "Zm 9v", -1, NULL }, { "Zm9v\n", -1, NULL },
	{ "Zm9v!", -1, NULL }, { "Zm.v", -1, NULL }, { "Zm9\x80", -1, NULL },
	{ "not base64 {json}!", -1, NULL },
};

START_TEST(test_b64_decode)
{
	char		*out = NULL;
	size_t		 len = 0;
	const char	*s = b64dec_rows[_i].b64;

	ck_assert_msg(ct_b64_decode(s, strlen(s), &out, &len) ==
	    b64dec_rows[_i].rv, "\"%s\"", s);
	if (b64dec_rows[_i].rv == 0) {
		ck_assert_uint_eq(len, strlen(b64dec_rows[_i].raw));
		ck_assert_str_eq(out, b64dec_rows[_i].raw);
		free(out);
	} else
		ck_assert_ptr_null(out);
}
END_TEST

START_TEST(test_b64_roundtrip)
{
	unsigned char	 raw[300];
	char		*s, *out;
	size_t		 n, i, len;

	for (n = 0; n < sizeof(raw); n++) {
		for (i = 0; i < n; i++)
			raw[i] = (unsigned char)(i * 131 + n * 7);
		s = ct_b64_encode(raw, n);
		ck_assert_uint_eq(strlen(s), (n + 2) / 3 * 4);
		ck_assert_int_eq(ct_b64_decode(s, strlen(s), &out, &len), 0);
		ck_assert_uint_eq(len, n);
		ck_assert(memcmp(out, raw, n) == 0);
		free(out);
		/* Unpadded too. */
		len = strlen(s);
		while (len > 0 && s[len - 1] == '=')
			len--;
		ck_assert_int_eq(ct_b64_decode(s, len, &out, &len), 0);
		ck_assert_uint_eq(len, n);
		ck_assert(memcmp(out, raw, n) == 0);
		free(out);
		free(s);
	}
}
END_TEST

/* Only len bytes are read, and a NUL within them is no base64. */
START_TEST(test_b64_len)
{
	char	*out;
	size_t	 len;

	ck_assert_int_eq(ct_b64_decode("Zm9vYmFy", 4, &out, &len), 0);
	ck_assert_uint_eq(len, 3);
	ck_assert_str_eq(out, "foo");
	free(out);
	ck_assert_int_eq(ct_b64_decode("Zm\0v", 4, &out, &len), -1);
	ck_assert_int_eq(ct_b64_decode("", 0, &out, &len), 0);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(out, "");
	free(out);
}
END_TEST

/* Queue in. */

START_TEST(test_queue_captured)
{
	struct json_object	*o;
	struct ct_queue		 q;
	char			 name[256], err[256];

	o = parse("{\"name\":\"projects/my-proj/locations/us-central1/queues/"
	    "q1\",\"rateLimits\":{\"maxDispatchesPerSecond\":10,"
	    "\"maxConcurrentDispatches\":5},\"retryConfig\":{\"maxAttempts\":"
	    "5,\"maxRetryDuration\":\"3600s\",\"minBackoff\":\"1s\","
	    "\"maxBackoff\":\"10.500s\",\"maxDoublings\":3}}");
	memset(&q, 0xff, sizeof(q));
	ck_assert_int_eq(ct_queue_from_json(o, &q, name, sizeof(name), err,
	    sizeof(err)), 0);
	ck_assert_str_eq(name, "projects/my-proj/locations/us-central1/queues/"
	    "q1");
	ck_assert_uint_eq(q.set, CTQ_RATE | CTQ_CONC | CTQ_RETRY_CONFIG);
	ck_assert(q.rate == 10.0);
	ck_assert_int_eq(q.conc, 5);
	ck_assert_int_eq(q.max_attempts, 5);
	ck_assert_uint_eq(q.max_retry_ms, 3600000);
	ck_assert_uint_eq(q.min_backoff_ms, 1000);
	ck_assert_uint_eq(q.max_backoff_ms, 10500);
	ck_assert_int_eq(q.max_doublings, 3);
	json_object_put(o);

	/* The PATCH body: no name. */
	o = parse("{\"rateLimits\":{\"maxDispatchesPerSecond\":20}}");
	ck_assert_int_eq(ct_queue_from_json(o, &q, name, sizeof(name), err,
	    sizeof(err)), 0);
	ck_assert_str_eq(name, "");
	ck_assert_uint_eq(q.set, CTQ_RATE);
	ck_assert(q.rate == 20.0);
	json_object_put(o);
}
END_TEST

static const struct {
	const char	*json;
	int		 rv;
	unsigned	 set;
	const char	*err;	/* the whole message, or NULL */
} queue_rows[] = {
	{ "{}", 0, 0, NULL },
	{ "{\"name\":null,\"rateLimits\":null,\"retryConfig\":null}", 0, 0,
	    NULL },
	{ "{\"unknown\":[1,2],\"appEngineRoutingOverride\":{}}", 0, 0, NULL },
	{ "{\"state\":\"PAUSED\",\"purgeTime\":\"2025-01-01T00:00:00Z\"}", 0,
	    0, NULL },
	{ "{\"state\":7,\"purgeTime\":false}", 0, 0, NULL },
	{ "{\"rateLimits\":{}}", 0, 0, NULL },
	{ "{\"rateLimits\":{\"maxBurstSize\":100}}", 0, 0, NULL },
	{ "{\"rateLimits\":{\"maxBurstSize\":\"x\"}}", 0, 0, NULL },
	{ "{\"rateLimits\":{\"maxDispatchesPerSecond\":0.5}}", 0, CTQ_RATE,
	    NULL },
	{ "{\"rateLimits\":{\"maxDispatchesPerSecond\":500}}", 0, CTQ_RATE,
	    NULL },
	{ "{\"rateLimits\":{\"maxDispatchesPerSecond\":\"2.5\"}}", 0,
	    CTQ_RATE, NULL },
	{ "{\"rateLimits\":{\"maxDispatchesPerSecond\":0}}", -1, 0,
	    "queue.rateLimits.maxDispatchesPerSecond: must be greater than 0 "
	    "and at most 500" },
	{ "{\"rateLimits\":{\"maxDispatchesPerSecond\":500.01}}", -1, 0,
	    "queue.rateLimits.maxDispatchesPerSecond: must be greater than 0 "
	    "and at most 500" },
	{ "{\"rateLimits\":{\"maxDispatchesPerSecond\":-1}}", -1, 0,
	    "queue.rateLimits.maxDispatchesPerSecond: must be greater than 0 "
	    "and at most 500" },
	{ "{\"rateLimits\":{\"maxDispatchesPerSecond\":\"NaN\"}}", -1, 0,
	    "queue.rateLimits.maxDispatchesPerSecond: must be a number" },
	{ "{\"rateLimits\":{\"maxDispatchesPerSecond\":\"1x\"}}", -1, 0,
	    "queue.rateLimits.maxDispatchesPerSecond: must be a number" },
	{ "{\"rateLimits\":{\"maxDispatchesPerSecond\":true}}", -1, 0,
	    "queue.rateLimits.maxDispatchesPerSecond: must be a number" },
	{ "{\"rateLimits\":{\"maxDispatchesPerSecond\":[1]}}", -1, 0,
	    "queue.rateLimits.maxDispatchesPerSecond: must be a number" },
	{ "{\"rateLimits\":{\"maxConcurrentDispatches\":1}}", 0, CTQ_CONC,
	    NULL },
	{ "{\"rateLimits\":{\"maxConcurrentDispatches\":5000}}", 0, CTQ_CONC,
	    NULL },
	{ "{\"rateLimits\":{\"maxConcurrentDispatches\":\"7\"}}", 0,
	    CTQ_CONC, NULL },
	{ "{\"rateLimits\":{\"maxConcurrentDispatches\":7.0}}", 0, CTQ_CONC,
	    NULL },
	{ "{\"rateLimits\":{\"maxConcurrentDispatches\":0}}", -1, 0,
	    "queue.rateLimits.maxConcurrentDispatches: must be between 1 and "
	    "5000" },
	{ "{\"rateLimits\":{\"maxConcurrentDispatches\":5001}}", -1, 0,
	    "queue.rateLimits.maxConcurrentDispatches: must be between 1 and "
	    "5000" },
	{ "{\"rateLimits\":{\"maxConcurrentDispatches\":"
	    "99999999999999999999}}", -1, 0,
	    "queue.rateLimits.maxConcurrentDispatches: must be between 1 and "
	    "5000" },
	{ "{\"rateLimits\":{\"maxConcurrentDispatches\":1.5}}", -1, 0,
	    "queue.rateLimits.maxConcurrentDispatches: must be an integer" },
	{ "{\"rateLimits\":{\"maxConcurrentDispatches\":\"1.5\"}}", -1, 0,
	    "queue.rateLimits.maxConcurrentDispatches: must be an integer" },
	{ "{\"rateLimits\":{\"maxConcurrentDispatches\":\"\"}}", -1, 0,
	    "queue.rateLimits.maxConcurrentDispatches: must be an integer" },
	{ "{\"rateLimits\":{\"maxConcurrentDispatches\":\" 5\"}}", -1, 0,
	    "queue.rateLimits.maxConcurrentDispatches: must be an integer" },
	{ "{\"rateLimits\":{\"maxConcurrentDispatches\":{}}}", -1, 0,
	    "queue.rateLimits.maxConcurrentDispatches: must be an integer" },
	{ "{\"rateLimits\":5}", -1, 0,
	    "queue.rateLimits: must be an object" },
	{ "{\"rateLimits\":[]}", -1, 0,
	    "queue.rateLimits: must be an object" },
	{ "{\"retryConfig\":\"x\"}", -1, 0,
	    "queue.retryConfig: must be an object" },
	{ "{\"stackdriverLoggingConfig\":1}", -1, 0,
	    "queue.stackdriverLoggingConfig: must be an object" },
	{ "{\"name\":5}", -1, 0, "queue.name: must be a string" },
	{ "{\"name\":\"a\\u0000b\"}", -1, 0,
	    "queue.name: contains a NUL byte" },
	/* retryConfig */
	{ "{\"retryConfig\":{\"maxAttempts\":-1}}", 0, CTQ_MAX_ATTEMPTS,
	    NULL },
	{ "{\"retryConfig\":{\"maxAttempts\":1}}", 0, CTQ_MAX_ATTEMPTS, NULL },
	{ "{\"retryConfig\":{\"maxAttempts\":\"100\"}}", 0, CTQ_MAX_ATTEMPTS,
	    NULL },
	{ "{\"retryConfig\":{\"maxAttempts\":\"-1\"}}", 0, CTQ_MAX_ATTEMPTS,
	    NULL },
	{ "{\"retryConfig\":{\"maxAttempts\":0}}", 0, 0, NULL },
	{ "{\"retryConfig\":{\"maxAttempts\":-2}}", -1, 0,
	    "queue.retryConfig.maxAttempts: must be -1 (unlimited) or at "
	    "least 1" },
	{ "{\"retryConfig\":{\"maxAttempts\":2147483648}}", -1, 0,
	    "queue.retryConfig.maxAttempts: must be -1 (unlimited) or at "
	    "least 1" },
	{ "{\"retryConfig\":{\"maxAttempts\":\"-\"}}", -1, 0,
	    "queue.retryConfig.maxAttempts: must be an integer" },
	{ "{\"retryConfig\":{\"maxAttempts\":\"5x\"}}", -1, 0,
	    "queue.retryConfig.maxAttempts: must be an integer" },
	{ "{\"retryConfig\":{\"maxAttempts\":\"99999999999999999999\"}}", -1,
	    0, "queue.retryConfig.maxAttempts: must be an integer" },
	{ "{\"retryConfig\":{\"maxAttempts\":false}}", -1, 0,
	    "queue.retryConfig.maxAttempts: must be an integer" },
	{ "{\"retryConfig\":{\"maxDoublings\":0}}", 0, CTQ_MAX_DOUBLINGS,
	    NULL },
	{ "{\"retryConfig\":{\"maxDoublings\":-1}}", -1, 0,
	    "queue.retryConfig.maxDoublings: must be 0 or more" },
	{ "{\"retryConfig\":{\"maxDoublings\":\"a\"}}", -1, 0,
	    "queue.retryConfig.maxDoublings: must be an integer" },
	{ "{\"retryConfig\":{\"maxRetryDuration\":\"0s\"}}", 0, CTQ_MAX_RETRY,
	    NULL },
	{ "{\"retryConfig\":{\"minBackoff\":\"0.100s\"}}", 0,
	    CTQ_MIN_BACKOFF, NULL },
	{ "{\"retryConfig\":{\"maxBackoff\":\"3600s\"}}", 0, CTQ_MAX_BACKOFF,
	    NULL },
	{ "{\"retryConfig\":{\"minBackoff\":\"3.5x\"}}", -1, 0,
	    "queue.retryConfig.minBackoff: not a duration (e.g. \"3.5s\")" },
	{ "{\"retryConfig\":{\"minBackoff\":3.5}}", -1, 0,
	    "queue.retryConfig.minBackoff: not a duration (e.g. \"3.5s\")" },
	{ "{\"retryConfig\":{\"maxBackoff\":\"-1s\"}}", -1, 0,
	    "queue.retryConfig.maxBackoff: not a duration (e.g. \"3.5s\")" },
	{ "{\"retryConfig\":{\"maxRetryDuration\":\"\"}}", -1, 0,
	    "queue.retryConfig.maxRetryDuration: not a duration (e.g. "
	    "\"3.5s\")" },
	{ "{\"retryConfig\":{\"minBackoff\":\"5s\",\"maxBackoff\":\"5s\"}}",
	    0, CTQ_MIN_BACKOFF | CTQ_MAX_BACKOFF, NULL },
	{ "{\"retryConfig\":{\"minBackoff\":\"5.001s\",\"maxBackoff\":"
	    "\"5s\"}}", -1, 0, "queue.retryConfig.minBackoff: must not be "
	    "greater than maxBackoff" },
	/* stackdriverLoggingConfig */
	{ "{\"stackdriverLoggingConfig\":{}}", 0, CTQ_LOGGING, NULL },
	{ "{\"stackdriverLoggingConfig\":{\"samplingRatio\":0.25}}", 0,
	    CTQ_LOGGING, NULL },
	{ "{\"stackdriverLoggingConfig\":{\"samplingRatio\":1}}", 0,
	    CTQ_LOGGING, NULL },
	{ "{\"stackdriverLoggingConfig\":{\"samplingRatio\":1.5}}", -1, 0,
	    "queue.stackdriverLoggingConfig.samplingRatio: must be between 0 "
	    "and 1" },
	{ "{\"stackdriverLoggingConfig\":{\"samplingRatio\":-0.1}}", -1, 0,
	    "queue.stackdriverLoggingConfig.samplingRatio: must be between 0 "
	    "and 1" },
	{ "{\"stackdriverLoggingConfig\":{\"samplingRatio\":\"x\"}}", -1, 0,
	    "queue.stackdriverLoggingConfig.samplingRatio: must be a number" },
	/* Not an object at all. */
	{ "[]", -1, 0, "queue: must be an object" },
	{ "\"q\"", -1, 0, "queue: must be an object" },
};

START_TEST(test_queue_rows)
{
	struct json_object	*o = parse(queue_rows[_i].json);
	struct ct_queue		 q;
	char			 name[64], err[256] = "";
	int			 rv;

	rv = ct_queue_from_json(o, &q, name, sizeof(name), err, sizeof(err));
	ck_assert_msg(rv == queue_rows[_i].rv, "%s: rv %d (%s)",
	    queue_rows[_i].json, rv, err);
	if (rv == 0)
		ck_assert_uint_eq(q.set, queue_rows[_i].set);
	else if (queue_rows[_i].err != NULL)
		ck_assert_str_eq(err, queue_rows[_i].err);
	json_object_put(o);
}
END_TEST

START_TEST(test_queue_values)
{
	struct json_object	*o;
	struct ct_queue		 q;
	char			 name[8], err[256];

	o = parse("{\"rateLimits\":{\"maxDispatchesPerSecond\":\"2.5\","
	    "\"maxConcurrentDispatches\":\"7\",\"maxBurstSize\":9},"
	    "\"retryConfig\":{\"maxAttempts\":\"-1\",\"maxDoublings\":0},"
	    "\"stackdriverLoggingConfig\":{\"samplingRatio\":0.25}}");
	ck_assert_int_eq(ct_queue_from_json(o, &q, name, sizeof(name), err,
	    sizeof(err)), 0);
	ck_assert(q.rate == 2.5);
	ck_assert_int_eq(q.conc, 7);
	ck_assert_int_eq(q.burst, 0);
	ck_assert_int_eq(q.max_attempts, -1);
	ck_assert_int_eq(q.max_doublings, 0);
	ck_assert(q.sampling == 0.25);
	json_object_put(o);

	/* The name must fit. */
	o = parse("{\"name\":\"1234567\"}");
	ck_assert_int_eq(ct_queue_from_json(o, &q, name, sizeof(name), err,
	    sizeof(err)), 0);
	ck_assert_str_eq(name, "1234567");
	json_object_put(o);
	o = parse("{\"name\":\"12345678\"}");
	ck_assert_int_eq(ct_queue_from_json(o, &q, name, sizeof(name), err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "queue.name: too long");
	json_object_put(o);
	ck_assert_int_eq(ct_queue_from_json(NULL, &q, name, sizeof(name), err,
	    sizeof(err)), -1);
}
END_TEST

/* updateMask. */

static const struct {
	const char	*mask;
	int		 rv;
	unsigned	 bits;
	const char	*err;
} mask_rows[] = {
	{ "", 0, CTQ_RATE_LIMITS | CTQ_RETRY_CONFIG | CTQ_LOGGING, NULL },
	{ "rate_limits.max_dispatches_per_second", 0, CTQ_RATE, NULL },
	{ "rateLimits.maxDispatchesPerSecond", 0, CTQ_RATE, NULL },
	{ "rateLimits.maxDispatchesPerSecond,retry_config.max_attempts", 0,
	    CTQ_RATE | CTQ_MAX_ATTEMPTS, NULL },
	{ "rate_limits.maxConcurrentDispatches", 0, CTQ_CONC, NULL },
	{ "rateLimits.max_burst_size", 0, CTQ_BURST, NULL },
	{ "rate_limits", 0, CTQ_RATE_LIMITS, NULL },
	{ "rateLimits", 0, CTQ_RATE_LIMITS, NULL },
	{ "retryConfig", 0, CTQ_RETRY_CONFIG, NULL },
	{ "retry_config", 0, CTQ_RETRY_CONFIG, NULL },
	{ "retry_config.max_retry_duration", 0, CTQ_MAX_RETRY, NULL },
	{ "retry_config.min_backoff,retry_config.max_backoff", 0,
	    CTQ_MIN_BACKOFF | CTQ_MAX_BACKOFF, NULL },
	{ "retryConfig.maxDoublings", 0, CTQ_MAX_DOUBLINGS, NULL },
	{ "stackdriver_logging_config", 0, CTQ_LOGGING, NULL },
	{ "stackdriverLoggingConfig.samplingRatio", 0, CTQ_LOGGING, NULL },
	{ "stackdriver_logging_config.sampling_ratio", 0, CTQ_LOGGING, NULL },
	{ "rateLimits, retryConfig", 0, CTQ_RATE_LIMITS | CTQ_RETRY_CONFIG,
	    NULL },
	{ "rateLimits,rateLimits", 0, CTQ_RATE_LIMITS, NULL },
	{ "name", -1, 0, "updateMask: name cannot be updated" },
	{ "state", -1, 0, "updateMask: state cannot be updated" },
	{ "rateLimits,state", -1, 0, "updateMask: state cannot be updated" },
	{ "purge_time", -1, 0, "updateMask: purgeTime cannot be updated" },
	{ "purgeTime", -1, 0, "updateMask: purgeTime cannot be updated" },
	{ "rate_limit", -1, 0, "updateMask: unknown field \"rate_limit\"" },
	{ "RateLimits", -1, 0, "updateMask: unknown field \"RateLimits\"" },
	{ "rateLimits.", -1, 0, "updateMask: unknown field \"rateLimits.\"" },
	{ "rateLimits.x", -1, 0,
	    "updateMask: unknown field \"rateLimits.x\"" },
	{ "rate__limits", -1, 0,
	    "updateMask: unknown field \"rate__limits\"" },
	{ "ratelimits", -1, 0, "updateMask: unknown field \"ratelimits\"" },
	{ "app_engine_routing_override", -1, 0,
	    "updateMask: unknown field \"app_engine_routing_override\"" },
	{ "a\"b", -1, 0, "updateMask: unknown field \"a?b\"" },
	{ ",", -1, 0, "updateMask: empty field path" },
	{ "rateLimits,", -1, 0, "updateMask: empty field path" },
	{ ",rateLimits", -1, 0, "updateMask: empty field path" },
	{ "rateLimits,,retryConfig", -1, 0, "updateMask: empty field path" },
	{ " ", -1, 0, "updateMask: empty field path" },
};

START_TEST(test_mask)
{
	unsigned	bits = 0xdead;
	char		err[256] = "";
	int		rv;

	rv = ct_mask_parse(mask_rows[_i].mask, &bits, err, sizeof(err));
	ck_assert_msg(rv == mask_rows[_i].rv, "\"%s\": %d (%s)",
	    mask_rows[_i].mask, rv, err);
	if (rv == 0)
		ck_assert_uint_eq(bits, mask_rows[_i].bits);
	else
		ck_assert_str_eq(err, mask_rows[_i].err);
}
END_TEST

START_TEST(test_mask_long)
{
	char		mask[1024], err[256];
	unsigned	bits;

	memset(mask, 'a', sizeof(mask) - 1);
	mask[sizeof(mask) - 1] = '\0';
	ck_assert_int_eq(ct_mask_parse(mask, &bits, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "...\""));
	ck_assert_int_eq(ct_mask_parse(NULL, &bits, err, sizeof(err)), 0);
}
END_TEST

/* Queue out. */

START_TEST(test_queue_to_json)
{
	struct ct_queue		 q;
	struct json_object	*o;

	memset(&q, 0, sizeof(q));
	q.set = CTQ_RATE_LIMITS | CTQ_RETRY_CONFIG | CTQ_STATE |
	    CTQ_PURGE_TIME | CTQ_LOGGING;
	q.rate = 500;
	q.burst = 100;
	q.conc = 1000;
	q.max_attempts = 100;
	q.max_retry_ms = 0;
	q.min_backoff_ms = 100;
	q.max_backoff_ms = 3600000;
	q.max_doublings = 16;
	q.state = CT_STATE_RUNNING;
	q.purge_ms = NOW + 123;
	q.sampling = 0;
	o = ct_queue_to_json(&q, "projects/p/locations/l/queues/q", 0);
	ck_assert_str_eq(text(o), "{\"name\":\"projects/p/locations/l/queues/"
	    "q\",\"rateLimits\":{\"maxDispatchesPerSecond\":500,"
	    "\"maxBurstSize\":100,\"maxConcurrentDispatches\":1000},"
	    "\"retryConfig\":{\"maxAttempts\":100,\"maxRetryDuration\":\"0s\","
	    "\"minBackoff\":\"0.100s\",\"maxBackoff\":\"3600s\","
	    "\"maxDoublings\":16},\"state\":\"RUNNING\",\"purgeTime\":"
	    "\"2025-01-01T00:00:00.123Z\",\"stackdriverLoggingConfig\":"
	    "{\"samplingRatio\":0}}");
	json_object_put(o);

	/* enum-encoding=int; purgeTime 0 is "never"; a fractional rate. */
	q.state = CT_STATE_PAUSED;
	q.purge_ms = 0;
	q.rate = 0.1;
	q.set = CTQ_RATE | CTQ_STATE | CTQ_PURGE_TIME;
	o = ct_queue_to_json(&q, "n", 1);
	ck_assert_str_eq(text(o), "{\"name\":\"n\",\"rateLimits\":"
	    "{\"maxDispatchesPerSecond\":0.1},\"state\":2}");
	json_object_put(o);

	q.state = CT_STATE_PAUSED;
	q.set = CTQ_STATE | CTQ_MIN_BACKOFF;
	q.min_backoff_ms = 1500;
	o = ct_queue_to_json(&q, NULL, 0);
	ck_assert_str_eq(text(o), "{\"retryConfig\":{\"minBackoff\":"
	    "\"1.500s\"},\"state\":\"PAUSED\"}");
	json_object_put(o);

	q.set = 0;
	o = ct_queue_to_json(&q, "n", 0);
	ck_assert_str_eq(text(o), "{\"name\":\"n\"}");
	json_object_put(o);
}
END_TEST

/* What goes out comes back in, but for the output-only fields. */
START_TEST(test_queue_roundtrip)
{
	struct ct_queue		 q, r;
	struct json_object	*o, *back;
	char			 name[64], err[256];

	memset(&q, 0, sizeof(q));
	q.set = CTQ_RATE_LIMITS | CTQ_RETRY_CONFIG | CTQ_STATE | CTQ_LOGGING;
	q.rate = 33.25;
	q.burst = 34;
	q.conc = 17;
	q.max_attempts = -1;
	q.max_retry_ms = 86400000;
	q.min_backoff_ms = 250;
	q.max_backoff_ms = 60000;
	q.max_doublings = 4;
	q.state = CT_STATE_PAUSED;
	q.sampling = 0.5;
	o = ct_queue_to_json(&q, "projects/p/locations/l/queues/q", 0);
	back = parse(text(o));
	ck_assert_int_eq(ct_queue_from_json(back, &r, name, sizeof(name), err,
	    sizeof(err)), 0);
	ck_assert_str_eq(name, "projects/p/locations/l/queues/q");
	ck_assert_uint_eq(r.set, q.set & ~(CTQ_BURST | CTQ_STATE));
	ck_assert(r.rate == q.rate);
	ck_assert_int_eq(r.conc, q.conc);
	ck_assert_int_eq(r.max_attempts, q.max_attempts);
	ck_assert_uint_eq(r.max_retry_ms, q.max_retry_ms);
	ck_assert_uint_eq(r.min_backoff_ms, q.min_backoff_ms);
	ck_assert_uint_eq(r.max_backoff_ms, q.max_backoff_ms);
	ck_assert_int_eq(r.max_doublings, q.max_doublings);
	ck_assert(r.sampling == q.sampling);
	json_object_put(back);
	json_object_put(o);
}
END_TEST

/* CreateTask in. */

START_TEST(test_task_captured)
{
	struct json_object	*o;
	struct task		 t;
	char			 err[256];
	int			 view = -1;

	o = parse("{\"task\":{\"name\":\"" PARENT "/tasks/task-1\","
	    "\"httpRequest\":{\"headers\":{\"Content-Type\":\"application/"
	    "json\",\"X-Custom\":\"abc\"},\"url\":\"http://127.0.0.1:9999/"
	    "work\",\"httpMethod\":1,\"body\":\"eyJoZWxsbyI6IndvcmxkIn0=\"},"
	    "\"scheduleTime\":\"2025-01-01T00:00:00.500Z\","
	    "\"dispatchDeadline\":\"30.500s\"},\"responseView\":2}");
	ck_assert_int_eq(ct_task_from_json(o, PARENT, "q1", NOW - 1000, &t,
	    &view, err, sizeof(err)), 0);
	ck_assert_int_eq(view, CT_VIEW_FULL);
	ck_assert_str_eq(t.id, "task-1");
	ck_assert_str_eq(t.queue, "q1");
	ck_assert_str_eq(t.url, "http://127.0.0.1:9999/work");
	ck_assert_str_eq(t.method, "POST");
	ck_assert_uint_eq(t.nheaders, 2);
	ck_assert_str_eq(t.headers[0].name, "Content-Type");
	ck_assert_str_eq(t.headers[0].value, "application/json");
	ck_assert_str_eq(t.headers[1].name, "X-Custom");
	ck_assert_str_eq(t.headers[1].value, "abc");
	ck_assert_uint_eq(t.bodylen, 17);
	ck_assert_str_eq(t.body, "{\"hello\":\"world\"}");
	ck_assert_uint_eq(t.created_ms, NOW - 1000);
	ck_assert_uint_eq(t.eta_ms, NOW + 500);
	ck_assert_uint_eq(t.delay_ms, 1500);
	ck_assert_uint_eq(t.deadline_ms, 30500);
	ck_assert_int_eq(t.attempts, 0);
	task_free(&t);
	json_object_put(o);

	/* The second: PUT, no name, no view, no schedule. */
	o = parse("{\"task\":{\"httpRequest\":{\"headers\":{},\"url\":"
	    "\"http://127.0.0.1:9999/work2\",\"httpMethod\":4,\"body\":"
	    "\"cGxhaW4gdGV4dA==\"}}}");
	ck_assert_int_eq(ct_task_from_json(o, PARENT, "q1", NOW, &t, &view,
	    err, sizeof(err)), 0);
	ck_assert_int_eq(view, CT_VIEW_BASIC);
	ck_assert_str_eq(t.id, "");
	ck_assert_str_eq(t.method, "PUT");
	ck_assert_uint_eq(t.nheaders, 0);
	ck_assert_str_eq(t.body, "plain text");
	ck_assert_uint_eq(t.eta_ms, NOW);
	ck_assert_uint_eq(t.delay_ms, 0);
	ck_assert_uint_eq(t.deadline_ms, CT_DEADLINE_DEF_MS);
	task_free(&t);
	json_object_put(o);

	/* The same with its oidcToken, as sent: refused. */
	o = parse("{\"task\":{\"httpRequest\":{\"headers\":{},\"url\":"
	    "\"http://127.0.0.1:9999/work2\",\"httpMethod\":4,\"body\":"
	    "\"cGxhaW4gdGV4dA==\",\"oidcToken\":{\"serviceAccountEmail\":"
	    "\"sa@my-proj.iam.gserviceaccount.com\",\"audience\":"
	    "\"https://aud\"}}}}");
	ck_assert_int_eq(ct_task_from_json(o, PARENT, "q1", NOW, &t, &view,
	    err, sizeof(err)), -1);
	ck_assert_str_eq(err, "task.httpRequest.oidcToken: not supported (no "
	    "Google credentials here)");
	ck_assert_ptr_null(t.url);
	ck_assert_ptr_null(t.body);
	json_object_put(o);
}
END_TEST

#define U	"\"url\":\"http://h/p\""
#define HR(x)	"{\"task\":{\"httpRequest\":{" U x "}}}"

static const struct {
	const char	*json;
	int		 rv;
	const char	*err;	/* the message (or, with rv 0, the method) */
} task_rows[] = {
	{ HR(""), 0, "POST" },
	{ HR(",\"httpMethod\":null"), 0, "POST" },
	{ HR(",\"httpMethod\":0"), 0, "POST" },
	{ HR(",\"httpMethod\":\"HTTP_METHOD_UNSPECIFIED\""), 0, "POST" },
	{ HR(",\"httpMethod\":\"GET\""), 0, "GET" },
	{ HR(",\"httpMethod\":2"), 0, "GET" },
	{ HR(",\"httpMethod\":3"), 0, "HEAD" },
	{ HR(",\"httpMethod\":\"DELETE\""), 0, "DELETE" },
	{ HR(",\"httpMethod\":6,\"body\":\"eA==\""), 0, "PATCH" },
	{ HR(",\"httpMethod\":\"OPTIONS\""), 0, "OPTIONS" },
	{ HR(",\"httpMethod\":\"GET\",\"body\":\"\""), 0, "GET" },
	{ HR(",\"body\":null"), 0, "POST" },
	{ HR(",\"headers\":null"), 0, "POST" },
	{ HR(",\"httpMethod\":8"), -1, "task.httpRequest.httpMethod: unknown "
	    "value (one of POST..OPTIONS, or 0..7)" },
	{ HR(",\"httpMethod\":-1"), -1, "task.httpRequest.httpMethod: unknown "
	    "value (one of POST..OPTIONS, or 0..7)" },
	{ HR(",\"httpMethod\":\"get\""), -1, "task.httpRequest.httpMethod: "
	    "unknown value (one of POST..OPTIONS, or 0..7)" },
	{ HR(",\"httpMethod\":\"PROPFIND\""), -1, "task.httpRequest."
	    "httpMethod: unknown value (one of POST..OPTIONS, or 0..7)" },
	{ HR(",\"httpMethod\":1.5"), -1, "task.httpRequest.httpMethod: "
	    "unknown value (one of POST..OPTIONS, or 0..7)" },
	{ HR(",\"httpMethod\":\"GET\",\"body\":\"eA==\""), -1,
	    "task.httpRequest.body: only POST, PUT and PATCH tasks can have a "
	    "body" },
	{ HR(",\"httpMethod\":\"DELETE\",\"body\":\"eA\""), -1,
	    "task.httpRequest.body: only POST, PUT and PATCH tasks can have a "
	    "body" },
	{ HR(",\"body\":\"not base64 {json}!\""), -1,
	    "task.httpRequest.body: not base64" },
	{ HR(",\"body\":5"), -1, "task.httpRequest.body: must be a string" },
	{ HR(",\"oauthToken\":{}"), -1, "task.httpRequest.oauthToken: not "
	    "supported (no Google credentials here)" },
	/* The URL */
	{ "{\"task\":{\"httpRequest\":{}}}", -1,
	    "task.httpRequest.url: required" },
	{ "{\"task\":{\"httpRequest\":{\"url\":\"\"}}}", -1,
	    "task.httpRequest.url: required" },
	{ "{\"task\":{\"httpRequest\":{\"url\":7}}}", -1,
	    "task.httpRequest.url: must be a string" },
	{ "{\"task\":{\"httpRequest\":{\"url\":\"ftp://h/\"}}}", -1,
	    "task.httpRequest.url: must be http or https" },
	{ "{\"task\":{\"httpRequest\":{\"url\":\"http:///p\"}}}", -1,
	    "task.httpRequest.url: missing host" },
	{ "{\"task\":{\"httpRequest\":{\"url\":\"http://h:99999/\"}}}", -1,
	    "task.httpRequest.url: invalid port" },
	{ "{\"task\":{\"httpRequest\":{\"url\":\"http://h/a b\"}}}", -1,
	    "task.httpRequest.url: contains whitespace or a control "
	    "character" },
	{ "{\"task\":{\"httpRequest\":{\"url\":\"http://h/\\u0000\"}}}", -1,
	    "task.httpRequest.url: contains a NUL byte" },
	/* Headers */
	{ HR(",\"headers\":{\"X-A\":\"1\",\"x-b\":\"\"}"), 0, "POST" },
	{ HR(",\"headers\":[]"), -1,
	    "task.httpRequest.headers: must be an object" },
	{ HR(",\"headers\":{\"X-A\":1}"), -1,
	    "task.httpRequest.headers.X-A: must be a string" },
	{ HR(",\"headers\":{\"X-A\":null}"), -1,
	    "task.httpRequest.headers.X-A: must be a string" },
	{ HR(",\"headers\":{\"X-A\":\"a\\nb\"}"), -1,
	    "task.httpRequest.headers.X-A: value contains CR or LF" },
	{ HR(",\"headers\":{\"X-A\":\"a\\u0000b\"}"), -1,
	    "task.httpRequest.headers.X-A: value contains a NUL byte" },
	{ HR(",\"headers\":{\"X A\":\"1\"}"), -1,
	    "task.httpRequest.headers: invalid header name 'X A'" },
	{ HR(",\"headers\":{\"\":\"1\"}"), -1,
	    "task.httpRequest.headers: invalid header name ''" },
	{ HR(",\"headers\":{\"Transfer-Encoding\":\"chunked\"}"), -1,
	    "task.httpRequest.headers.Transfer-Encoding: set by the "
	    "dispatcher" },
	{ HR(",\"headers\":{\"Connection\":\"close\"}"), -1,
	    "task.httpRequest.headers.Connection: set by the dispatcher" },
	/* The name */
	{ "{\"task\":{\"name\":\"\"," U "}}", -1, NULL },
	{ "{\"task\":{\"name\":\"" PARENT "/tasks/\",\"httpRequest\":{" U
	    "}}}", -1, "task.name: task ID \"\": only letters, digits, "
	    "hyphens and underscores, at most 500" },
	{ "{\"task\":{\"name\":\"" PARENT "/tasks/a.b\",\"httpRequest\":{" U
	    "}}}", -1, "task.name: task ID \"a.b\": only letters, digits, "
	    "hyphens and underscores, at most 500" },
	{ "{\"task\":{\"name\":\"" PARENT "/tasks/a/b\",\"httpRequest\":{" U
	    "}}}", -1, "task.name: task ID \"a/b\": only letters, digits, "
	    "hyphens and underscores, at most 500" },
	{ "{\"task\":{\"name\":\"" PARENT "/tasks/t\\u0000\",\"httpRequest\":"
	    "{" U "}}}", -1, "task.name: contains a NUL byte" },
	{ "{\"task\":{\"name\":\"" PARENT "2/tasks/t\",\"httpRequest\":{" U
	    "}}}", -1, "task.name: must be \"" PARENT "/tasks/TASK_ID\"" },
	{ "{\"task\":{\"name\":\"projects/other/locations/us-central1/queues/"
	    "q1/tasks/t\",\"httpRequest\":{" U "}}}", -1, "task.name: must be "
	    "\"" PARENT "/tasks/TASK_ID\"" },
	{ "{\"task\":{\"name\":\"t\",\"httpRequest\":{" U "}}}", -1,
	    "task.name: must be \"" PARENT "/tasks/TASK_ID\"" },
	{ "{\"task\":{\"name\":\"" PARENT "/task/t\",\"httpRequest\":{" U
	    "}}}", -1, "task.name: must be \"" PARENT "/tasks/TASK_ID\"" },
	{ "{\"task\":{\"name\":5,\"httpRequest\":{" U "}}}", -1,
	    "task.name: must be a string" },
	{ "{\"task\":{\"name\":\"\",\"httpRequest\":{" U "}}}", 0, "POST" },
	/* The task and its request */
	{ "{}", -1, "task: required" },
	{ "{\"task\":null}", -1, "task: required" },
	{ "{\"task\":[]}", -1, "task: must be an object" },
	{ "{\"task\":{}}", -1, "task.httpRequest: required" },
	{ "{\"task\":{\"httpRequest\":\"x\"}}", -1,
	    "task.httpRequest: must be an object" },
	{ "{\"task\":{\"appEngineHttpRequest\":{}}}", -1,
	    "task: only httpRequest tasks are supported" },
	{ "{\"task\":{\"appEngineHttpRequest\":{},\"httpRequest\":{" U "}}}",
	    -1, "task: only httpRequest tasks are supported" },
	{ "[1]", -1, "body: must be an object" },
	/* responseView */
	{ "{\"responseView\":\"FULL\",\"task\":{\"httpRequest\":{" U "}}}", 0,
	    "POST" },
	{ "{\"responseView\":3,\"task\":{\"httpRequest\":{" U "}}}", -1,
	    "responseView: unknown value (one of BASIC..FULL, or 0..2)" },
	{ "{\"responseView\":\"full\",\"task\":{\"httpRequest\":{" U "}}}",
	    -1, "responseView: unknown value (one of BASIC..FULL, or 0..2)" },
	/* Times */
	{ "{\"task\":{\"scheduleTime\":\"2025-01-01\",\"httpRequest\":{" U
	    "}}}", -1, "task.scheduleTime: not an RFC 3339 timestamp (e.g. "
	    "\"2025-01-01T00:00:00Z\")" },
	{ "{\"task\":{\"scheduleTime\":1735689600,\"httpRequest\":{" U "}}}",
	    -1, "task.scheduleTime: must be a string" },
	{ "{\"task\":{\"scheduleTime\":\"2025-01-31T00:00:00.001Z\","
	    "\"httpRequest\":{" U "}}}", -1,
	    "task.scheduleTime: at most 30 days ahead" },
	{ "{\"task\":{\"scheduleTime\":\"2025-01-31T00:00:00Z\","
	    "\"httpRequest\":{" U "}}}", 0, "POST" },
	{ "{\"task\":{\"dispatchDeadline\":\"14.999s\",\"httpRequest\":{" U
	    "}}}", -1, "task.dispatchDeadline: must be between 15s and "
	    "1800s" },
	{ "{\"task\":{\"dispatchDeadline\":\"1800.001s\",\"httpRequest\":{" U
	    "}}}", -1, "task.dispatchDeadline: must be between 15s and "
	    "1800s" },
	{ "{\"task\":{\"dispatchDeadline\":\"15s\",\"httpRequest\":{" U "}}}",
	    0, "POST" },
	{ "{\"task\":{\"dispatchDeadline\":\"1800s\",\"httpRequest\":{" U
	    "}}}", 0, "POST" },
	{ "{\"task\":{\"dispatchDeadline\":30,\"httpRequest\":{" U "}}}", -1,
	    "task.dispatchDeadline: not a duration (e.g. \"3.5s\")" },
	/* Output-only fields are ignored. */
	{ "{\"task\":{\"createTime\":5,\"dispatchCount\":\"x\",\"view\":9,"
	    "\"lastAttempt\":[],\"httpRequest\":{" U "}}}", 0, "POST" },
};

START_TEST(test_task_rows)
{
	struct json_object	*o = parse(task_rows[_i].json);
	struct task		 t;
	char			 err[512] = "";
	int			 rv, view;

	rv = ct_task_from_json(o, PARENT, "q1", NOW, &t, &view, err,
	    sizeof(err));
	ck_assert_msg(rv == task_rows[_i].rv, "%s: rv %d (%s)",
	    task_rows[_i].json, rv, err);
	if (rv == 0) {
		ck_assert_str_eq(t.method, task_rows[_i].err);
		ck_assert_str_eq(t.url, "http://h/p");
		ck_assert_ptr_nonnull(t.body);
		ck_assert_int_eq(t.body[t.bodylen], '\0');
		ck_assert_str_eq(t.queue, "q1");
		task_free(&t);
	} else {
		if (task_rows[_i].err != NULL)
			ck_assert_str_eq(err, task_rows[_i].err);
		/* Freed: nothing left behind. */
		ck_assert_ptr_null(t.url);
		ck_assert_ptr_null(t.headers);
		ck_assert_ptr_null(t.body);
	}
	json_object_put(o);
}
END_TEST

/* Headers Cloud Tasks sets itself are dropped, not refused. */
START_TEST(test_task_headers_dropped)
{
	struct json_object	*o;
	struct task		 t;
	char			 err[256];
	int			 view;

	o = parse(HR(",\"headers\":{\"Host\":\"x\",\"content-length\":\"3\","
	    "\"User-Agent\":\"me\",\"X-CloudTasks-TaskName\":\"x\","
	    "\"x-google-foo\":\"1\",\"X-AppEngine-Bar\":\"2\",\"X-Keep\":"
	    "\"k\",\"X-Google\":\"kept\",\"X-CloudTasksX\":\"kept\"}"));
	ck_assert_int_eq(ct_task_from_json(o, PARENT, "q1", NOW, &t, &view,
	    err, sizeof(err)), 0);
	ck_assert_uint_eq(t.nheaders, 3);
	ck_assert_str_eq(t.headers[0].name, "X-Keep");
	ck_assert_str_eq(t.headers[1].name, "X-Google");
	ck_assert_str_eq(t.headers[2].name, "X-CloudTasksX");
	task_free(&t);
	json_object_put(o);
}
END_TEST

START_TEST(test_task_limits)
{
	struct json_object	*o, *task, *hr, *h;
	struct task		 t;
	char			 err[256], *url, *val, name[16], *id, *json;
	int			 view, i;

	/* URL: CT_URL_MAX bytes, not one more. */
	url = xmalloc(CT_URL_MAX + 2);
	memcpy(url, "http://h/", 9);
	memset(url + 9, 'a', CT_URL_MAX - 9);
	url[CT_URL_MAX] = '\0';
	o = json_object_new_object();
	task = json_object_new_object();
	hr = json_object_new_object();
	json_object_object_add(o, "task", task);
	json_object_object_add(task, "httpRequest", hr);
	json_object_object_add(hr, "url", json_object_new_string(url));
	ck_assert_int_eq(ct_task_from_json(o, PARENT, "q1", NOW, &t, &view,
	    err, sizeof(err)), 0);
	task_free(&t);
	url[CT_URL_MAX] = 'a';
	url[CT_URL_MAX + 1] = '\0';
	json_object_object_add(hr, "url", json_object_new_string(url));
	ck_assert_int_eq(ct_task_from_json(o, PARENT, "q1", NOW, &t, &view,
	    err, sizeof(err)), -1);
	ck_assert_str_eq(err, "task.httpRequest.url: too long (at most 2083 "
	    "bytes)");
	free(url);
	json_object_object_add(hr, "url", json_object_new_string("http://h"));

	/* Headers: TD_HEADERS_MAX of them, not one more. */
	h = json_object_new_object();
	json_object_object_add(hr, "headers", h);
	for (i = 0; i < TD_HEADERS_MAX; i++) {
		snprintf(name, sizeof(name), "X-%d", i);
		json_object_object_add(h, name, json_object_new_string("v"));
	}
	ck_assert_int_eq(ct_task_from_json(o, PARENT, "q1", NOW, &t, &view,
	    err, sizeof(err)), 0);
	ck_assert_uint_eq(t.nheaders, TD_HEADERS_MAX);
	task_free(&t);
	json_object_object_add(h, "X-last", json_object_new_string("v"));
	ck_assert_int_eq(ct_task_from_json(o, PARENT, "q1", NOW, &t, &view,
	    err, sizeof(err)), -1);
	ck_assert_str_eq(err, "task.httpRequest.headers: too many headers (at "
	    "most 100)");

	/* Headers: under CT_HEADERS_BYTES of names and values. */
	h = json_object_new_object();
	json_object_object_add(hr, "headers", h);
	val = xmalloc(CT_HEADERS_BYTES);
	memset(val, 'v', CT_HEADERS_BYTES);
	val[CT_HEADERS_BYTES - 4] = '\0';	/* "X-A" + this: one under */
	json_object_object_add(h, "X-A", json_object_new_string(val));
	ck_assert_int_eq(ct_task_from_json(o, PARENT, "q1", NOW, &t, &view,
	    err, sizeof(err)), 0);
	task_free(&t);
	val[CT_HEADERS_BYTES - 4] = 'v';
	val[CT_HEADERS_BYTES - 3] = '\0';
	json_object_object_add(h, "X-A", json_object_new_string(val));
	ck_assert_int_eq(ct_task_from_json(o, PARENT, "q1", NOW, &t, &view,
	    err, sizeof(err)), -1);
	ck_assert_str_eq(err, "task.httpRequest.headers: too large (under "
	    "81920 bytes of names and values)");
	free(val);
	json_object_object_del(hr, "headers");

	/* A task ID of TD_ID_MAX characters, not one more. */
	id = xmalloc(TD_ID_MAX + 2);
	memset(id, 'x', TD_ID_MAX);
	id[TD_ID_MAX] = '\0';
	xasprintf(&json, "%s/tasks/%s", PARENT, id);
	json_object_object_add(task, "name", json_object_new_string(json));
	free(json);
	ck_assert_int_eq(ct_task_from_json(o, PARENT, "q1", NOW, &t, &view,
	    err, sizeof(err)), 0);
	ck_assert_uint_eq(strlen(t.id), TD_ID_MAX);
	task_free(&t);
	id[TD_ID_MAX] = 'x';
	id[TD_ID_MAX + 1] = '\0';
	xasprintf(&json, "%s/tasks/%s", PARENT, id);
	json_object_object_add(task, "name", json_object_new_string(json));
	free(json);
	free(id);
	ck_assert_int_eq(ct_task_from_json(o, PARENT, "q1", NOW, &t, &view,
	    err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "task.name: task ID \"xxx"));
	ck_assert_ptr_nonnull(strstr(err, "...\": only"));
	json_object_put(o);
}
END_TEST

/* A binary body, NULs and all, survives base64 in and out. */
START_TEST(test_task_body_binary)
{
	static const char	 raw[] = { 'a', 0, 'b', (char)0xff, 0 };
	struct json_object	*o, *j, *hr, *b;
	struct ct_task_out	 out;
	struct task		 t;
	char			*b64, *json, err[256];
	int			 view;

	b64 = ct_b64_encode(raw, sizeof(raw));
	xasprintf(&json, HR(",\"body\":\"%s\""), b64);
	o = parse(json);
	ck_assert_int_eq(ct_task_from_json(o, PARENT, "q1", NOW, &t, &view,
	    err, sizeof(err)), 0);
	ck_assert_uint_eq(t.bodylen, sizeof(raw));
	ck_assert(memcmp(t.body, raw, sizeof(raw)) == 0);
	memset(&out, 0, sizeof(out));
	out.url = t.url;
	out.method = t.method;
	out.body = t.body;
	out.bodylen = t.bodylen;
	j = ct_task_to_json(&out, "n", CT_VIEW_FULL, 0);
	ck_assert(json_object_object_get_ex(j, "httpRequest", &hr));
	ck_assert(json_object_object_get_ex(hr, "body", &b));
	ck_assert_str_eq(json_object_get_string(b), b64);
	json_object_put(j);
	task_free(&t);
	json_object_put(o);
	free(json);
	free(b64);
}
END_TEST

/* Task out. */

START_TEST(test_task_to_json)
{
	struct ct_task_out	 o;
	struct json_object	*j;

	memset(&o, 0, sizeof(o));
	o.url = "http://h/p";
	o.method = "POST";
	o.headers = "{\"Content-Type\":\"application/json\"}";
	o.body = "{\"hello\":\"world\"}";
	o.bodylen = 17;
	o.schedule_ms = NOW + 500;
	o.create_ms = NOW + 999;
	o.last_error = "";
	j = ct_task_to_json(&o, PARENT "/tasks/task-1", CT_VIEW_FULL, 0);
	ck_assert_str_eq(text(j), "{\"name\":\"" PARENT "/tasks/task-1\","
	    "\"httpRequest\":{\"url\":\"http://h/p\",\"httpMethod\":\"POST\","
	    "\"headers\":{\"Content-Type\":\"application/json\"},\"body\":"
	    "\"eyJoZWxsbyI6IndvcmxkIn0=\"},\"scheduleTime\":"
	    "\"2025-01-01T00:00:00.500Z\",\"createTime\":"
	    "\"2025-01-01T00:00:00Z\",\"dispatchDeadline\":\"600s\","
	    "\"dispatchCount\":0,\"responseCount\":0,\"view\":\"FULL\"}");
	json_object_put(j);

	/* BASIC: no body.  enum-encoding=int: numbers. */
	o.method = "PUT";
	o.deadline_ms = 30500;
	j = ct_task_to_json(&o, "n", CT_VIEW_BASIC, 1);
	ck_assert_str_eq(text(j), "{\"name\":\"n\",\"httpRequest\":{\"url\":"
	    "\"http://h/p\",\"httpMethod\":4,\"headers\":{\"Content-Type\":"
	    "\"application/json\"}},\"scheduleTime\":"
	    "\"2025-01-01T00:00:00.500Z\",\"createTime\":"
	    "\"2025-01-01T00:00:00Z\",\"dispatchDeadline\":\"30.500s\","
	    "\"dispatchCount\":0,\"responseCount\":0,\"view\":1}");
	json_object_put(j);

	/* Unspecified view is BASIC; no headers is {}. */
	o.headers = NULL;
	j = ct_task_to_json(&o, "n", CT_VIEW_UNSPECIFIED, 0);
	ck_assert_ptr_nonnull(strstr(text(j), "\"headers\":{}}"));
	ck_assert_ptr_nonnull(strstr(text(j), "\"view\":\"BASIC\""));
	ck_assert_ptr_null(strstr(text(j), "\"body\""));
	json_object_put(j);
	o.headers = "not json";
	j = ct_task_to_json(&o, "n", CT_VIEW_BASIC, 0);
	ck_assert_ptr_nonnull(strstr(text(j), "\"headers\":{}}"));
	json_object_put(j);
	o.headers = "[1]";
	j = ct_task_to_json(&o, "n", CT_VIEW_BASIC, 0);
	ck_assert_ptr_nonnull(strstr(text(j), "\"headers\":{}}"));
	json_object_put(j);

	/* A /v1 method Cloud Tasks has no name for. */
	o.method = "PROPFIND";
	j = ct_task_to_json(&o, "n", CT_VIEW_BASIC, 0);
	ck_assert_ptr_nonnull(strstr(text(j), "\"httpMethod\":\"PROPFIND\""));
	json_object_put(j);
	j = ct_task_to_json(&o, "n", CT_VIEW_BASIC, 1);
	ck_assert_ptr_null(strstr(text(j), "httpMethod"));
	json_object_put(j);
}
END_TEST

START_TEST(test_task_attempts)
{
	struct ct_task_out	 o;
	struct json_object	*j;

	memset(&o, 0, sizeof(o));
	o.url = "http://h/p";
	o.method = "GET";
	o.schedule_ms = NOW + 60000;
	o.create_ms = NOW;
	o.deadline_ms = 15000;
	o.dispatch_count = 2;
	o.response_count = 1;
	o.first_at = NOW + 10;
	o.last_at = NOW + 20000;
	o.last_eta = NOW + 19000;
	o.last_resp_at = NOW + 20250;
	o.last_status = 503;
	o.last_error = "";
	j = ct_task_to_json(&o, "n", CT_VIEW_BASIC, 0);
	ck_assert_str_eq(text(j), "{\"name\":\"n\",\"httpRequest\":{\"url\":"
	    "\"http://h/p\",\"httpMethod\":\"GET\",\"headers\":{}},"
	    "\"scheduleTime\":\"2025-01-01T00:01:00Z\",\"createTime\":"
	    "\"2025-01-01T00:00:00Z\",\"dispatchDeadline\":\"15s\","
	    "\"dispatchCount\":2,\"responseCount\":1,\"firstAttempt\":"
	    "{\"dispatchTime\":\"2025-01-01T00:00:00.010Z\"},\"lastAttempt\":"
	    "{\"scheduleTime\":\"2025-01-01T00:00:19Z\",\"dispatchTime\":"
	    "\"2025-01-01T00:00:20Z\",\"responseTime\":"
	    "\"2025-01-01T00:00:20.250Z\",\"responseStatus\":{\"code\":14,"
	    "\"message\":\"HTTP status code 503\"}},\"view\":\"BASIC\"}");
	json_object_put(j);

	/* A response older than the attempt belongs to the one before. */
	o.last_resp_at = NOW + 15000;
	j = ct_task_to_json(&o, "n", CT_VIEW_BASIC, 0);
	ck_assert_ptr_nonnull(strstr(text(j), "\"lastAttempt\":"
	    "{\"scheduleTime\":\"2025-01-01T00:00:19Z\",\"dispatchTime\":"
	    "\"2025-01-01T00:00:20Z\"},"));
	json_object_put(j);

	/* No HTTP response: the error text, UNAVAILABLE. */
	o.last_status = 0;
	o.last_resp_at = 0;
	o.last_error = "Timeout was reached";
	o.last_eta = 0;
	j = ct_task_to_json(&o, "n", CT_VIEW_BASIC, 0);
	ck_assert_ptr_nonnull(strstr(text(j), "\"lastAttempt\":"
	    "{\"dispatchTime\":\"2025-01-01T00:00:20Z\",\"responseStatus\":"
	    "{\"code\":14,\"message\":\"Timeout was reached\"}}"));
	json_object_put(j);

	/* In flight, never answered: no responseStatus. */
	o.last_error = "";
	j = ct_task_to_json(&o, "n", CT_VIEW_BASIC, 0);
	ck_assert_ptr_nonnull(strstr(text(j), "\"lastAttempt\":"
	    "{\"dispatchTime\":\"2025-01-01T00:00:20Z\"}"));
	json_object_put(j);
	o.last_error = NULL;
	j = ct_task_to_json(&o, "n", CT_VIEW_BASIC, 0);
	ck_assert_ptr_null(strstr(text(j), "responseStatus"));
	json_object_put(j);

	/* 200 is OK. */
	o.last_status = 200;
	o.last_resp_at = NOW + 20001;
	j = ct_task_to_json(&o, "n", CT_VIEW_BASIC, 1);
	ck_assert_ptr_nonnull(strstr(text(j), "\"responseStatus\":{\"code\":0,"
	    "\"message\":\"HTTP status code 200\"}"));
	ck_assert_ptr_nonnull(strstr(text(j), "\"httpMethod\":2"));
	json_object_put(j);

	/* Never dispatched: no attempts; a missing url is "". */
	memset(&o, 0, sizeof(o));
	j = ct_task_to_json(&o, NULL, CT_VIEW_BASIC, 0);
	ck_assert_str_eq(text(j), "{\"name\":\"\",\"httpRequest\":{\"url\":"
	    "\"\",\"httpMethod\":\"POST\",\"headers\":{}},\"createTime\":"
	    "\"1970-01-01T00:00:00Z\",\"dispatchDeadline\":\"600s\","
	    "\"dispatchCount\":0,\"responseCount\":0,\"view\":\"BASIC\"}");
	json_object_put(j);
}
END_TEST

/* The task that comes in is the task that goes out. */
START_TEST(test_task_roundtrip)
{
	struct json_object	*o, *j, *back;
	struct ct_task_out	 out;
	struct task		 t, u;
	char			 err[256], *h;
	int			 view;

	o = parse("{\"task\":{\"name\":\"" PARENT "/tasks/T_1\","
	    "\"httpRequest\":{\"headers\":{\"A\":\"1\",\"B\":\"two\"},\"url\":"
	    "\"https://x.example/a?b=c\",\"httpMethod\":\"PATCH\",\"body\":"
	    "\"AAEC\"},\"scheduleTime\":\"2025-01-02T03:04:05.678Z\","
	    "\"dispatchDeadline\":\"99.999s\"},\"responseView\":\"FULL\"}");
	ck_assert_int_eq(ct_task_from_json(o, PARENT, "q1", NOW, &t, &view,
	    err, sizeof(err)), 0);
	h = task_headers_to_json(&t);
	memset(&out, 0, sizeof(out));
	out.url = t.url;
	out.method = t.method;
	out.headers = h;
	out.body = t.body;
	out.bodylen = t.bodylen;
	out.schedule_ms = t.eta_ms;
	out.create_ms = t.created_ms;
	out.deadline_ms = t.deadline_ms;
	j = ct_task_to_json(&out, PARENT "/tasks/T_1", view, 1);
	/* As a CreateTask request: {"task": Task, "responseView": 2}. */
	back = json_object_new_object();
	json_object_object_add(back, "task", parse(text(j)));
	json_object_object_add(back, "responseView", json_object_new_int(2));
	ck_assert_msg(ct_task_from_json(back, PARENT, "q1", NOW, &u, &view,
	    err, sizeof(err)) == 0, "%s: %s", text(j), err);
	ck_assert_str_eq(u.id, "T_1");
	ck_assert_str_eq(u.url, t.url);
	ck_assert_str_eq(u.method, "PATCH");
	ck_assert_uint_eq(u.nheaders, 2);
	ck_assert_str_eq(u.headers[1].value, "two");
	ck_assert_uint_eq(u.bodylen, 3);
	ck_assert(memcmp(u.body, "\0\1\2", 3) == 0);
	ck_assert_uint_eq(u.eta_ms, t.eta_ms);
	ck_assert_uint_eq(u.deadline_ms, 99999);
	ck_assert_int_eq(view, CT_VIEW_FULL);
	task_free(&t);
	task_free(&u);
	free(h);
	json_object_put(back);
	json_object_put(j);
	json_object_put(o);
}
END_TEST

/* google.rpc codes and errors. */

static const struct {
	int	http;
	int	code;
} rpc_rows[] = {
	{ 0, 14 }, { -1, 14 }, { 200, 0 }, { 201, 0 }, { 204, 0 }, { 299, 0 },
	{ 100, 2 }, { 302, 2 }, { 400, 3 }, { 401, 16 }, { 403, 7 },
	{ 404, 5 }, { 405, 9 }, { 409, 10 }, { 410, 9 }, { 416, 11 },
	{ 429, 8 }, { 499, 1 }, { 500, 13 }, { 501, 12 }, { 502, 13 },
	{ 503, 14 }, { 504, 4 }, { 599, 13 }, { 600, 2 },
};

START_TEST(test_rpc_code)
{
	ck_assert_msg(ct_rpc_code(rpc_rows[_i].http) == rpc_rows[_i].code,
	    "%d -> %d", rpc_rows[_i].http, ct_rpc_code(rpc_rows[_i].http));
}
END_TEST

START_TEST(test_error_json)
{
	struct json_object	*o, *e, *v;
	char			*s;
	size_t			 len;

	s = ct_error_json(404, "NOT_FOUND", "Requested entity was not found.",
	    &len);
	ck_assert_str_eq(s, "{\"error\":{\"code\":404,\"message\":\"Requested "
	    "entity was not found.\",\"status\":\"NOT_FOUND\"}}");
	ck_assert_uint_eq(len, strlen(s));
	free(s);

	s = ct_error_json(400, "FAILED_PRECONDITION", "queue \"a/b\"\n\\\t\x01",
	    &len);
	ck_assert_str_eq(s, "{\"error\":{\"code\":400,\"message\":\"queue "
	    "\\\"a/b\\\"\\n\\\\\\t\\u0001\",\"status\":"
	    "\"FAILED_PRECONDITION\"}}");
	o = parse(s);
	ck_assert(json_object_object_get_ex(o, "error", &e));
	ck_assert(json_object_object_get_ex(e, "message", &v));
	ck_assert_str_eq(json_object_get_string(v), "queue \"a/b\"\n\\\t\x01");
	json_object_put(o);
	free(s);

	/* Invalid UTF-8 never reaches the body; valid passes. */
	s = ct_error_json(400, "INVALID_ARGUMENT", "a\xff\xc3Xb\xc3\xa9", NULL);
	ck_assert_str_eq(s, "{\"error\":{\"code\":400,\"message\":"
	    "\"a??Xb\xc3\xa9\",\"status\":\"INVALID_ARGUMENT\"}}");
	free(s);

	/* No status: the usual one of the HTTP code; no message: "". */
	s = ct_error_json(503, NULL, NULL, &len);
	ck_assert_str_eq(s, "{\"error\":{\"code\":503,\"message\":\"\","
	    "\"status\":\"UNAVAILABLE\"}}");
	free(s);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("ctjson");
	TCase	*tc = tcase_create("ctjson");
	SRunner	*sr;
	int	 failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_methods);
	tcase_add_loop_test(tc, test_enum_int, 0, (int)TD_NELEM(enum_rows));
	tcase_add_test(tc, test_enum_int_len);
	tcase_add_loop_test(tc, test_duration_parse, 0,
	    (int)TD_NELEM(dur_rows));
	tcase_add_loop_test(tc, test_duration_format, 0,
	    (int)TD_NELEM(durfmt_rows));
	tcase_add_test(tc, test_duration_roundtrip);
	tcase_add_test(tc, test_duration_format_short);
	tcase_add_loop_test(tc, test_time_parse, 0, (int)TD_NELEM(time_rows));
	tcase_add_loop_test(tc, test_time_format, 0,
	    (int)TD_NELEM(timefmt_rows));
	tcase_add_test(tc, test_time_roundtrip);
	tcase_add_loop_test(tc, test_b64, 0, (int)TD_NELEM(b64_rows));
	tcase_add_loop_test(tc, test_b64_decode, 0,
	    (int)TD_NELEM(b64dec_rows));
	tcase_add_test(tc, test_b64_roundtrip);
	tcase_add_test(tc, test_b64_len);
	tcase_add_test(tc, test_queue_captured);
	tcase_add_loop_test(tc, test_queue_rows, 0, (int)TD_NELEM(queue_rows));
	tcase_add_test(tc, test_queue_values);
	tcase_add_loop_test(tc, test_mask, 0, (int)TD_NELEM(mask_rows));
	tcase_add_test(tc, test_mask_long);
	tcase_add_test(tc, test_queue_to_json);
	tcase_add_test(tc, test_queue_roundtrip);
	tcase_add_test(tc, test_task_captured);
	tcase_add_loop_test(tc, test_task_rows, 0, (int)TD_NELEM(task_rows));
	tcase_add_test(tc, test_task_headers_dropped);
	tcase_add_test(tc, test_task_limits);
	tcase_add_test(tc, test_task_body_binary);
	tcase_add_test(tc, test_task_to_json);
	tcase_add_test(tc, test_task_attempts);
	tcase_add_test(tc, test_task_roundtrip);
	tcase_add_loop_test(tc, test_rpc_code, 0, (int)TD_NELEM(rpc_rows));
	tcase_add_test(tc, test_error_json);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
