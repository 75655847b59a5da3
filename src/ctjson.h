/*
 * ctjson.h: the Cloud Tasks v2 JSON codec.  Queue and Task resources in
 * and out in Google's proto3 JSON form: camelCase keys, durations as
 * "3.500s", RFC 3339 timestamps, base64 bytes, enums as names or numbers
 * (numbers out when the request asked for enum-encoding=int), errors as
 * google.rpc.Status.  Pure: no I/O; json-c objects in and out.
 *
 * Times here are wall-clock milliseconds since the epoch, as in Redis.
 */
#ifndef TD_CTJSON_H
#define TD_CTJSON_H

#include <stddef.h>
#include <stdint.h>

#include "task.h"

struct json_object;

/* Limits from the Cloud Tasks reference. */
#define CT_URL_MAX		2083
#define CT_HEADERS_BYTES	(80 * 1024)	/* names + values, under */
#define CT_DEADLINE_MIN_MS	15000ULL
#define CT_DEADLINE_MAX_MS	1800000ULL
#define CT_DEADLINE_DEF_MS	600000ULL
#define CT_SCHEDULE_MAX_MS	(30ULL * 86400 * 1000)	/* ahead of now */
#define CT_RATE_MAX		500.0
#define CT_CONC_MAX		5000
#define CT_BURST_MAX		500

/* Defaults of a queue created without them (as both emulators use). */
#define CT_DEF_RATE		500.0
#define CT_DEF_CONC		1000
#define CT_DEF_MAX_ATTEMPTS	100
#define CT_DEF_MIN_BACKOFF_MS	100ULL
#define CT_DEF_MAX_BACKOFF_MS	3600000ULL
#define CT_DEF_MAX_DOUBLINGS	16

/* Queue.state and Task.view and HttpRequest.httpMethod, as numbered. */
enum { CT_STATE_UNSPECIFIED, CT_STATE_RUNNING, CT_STATE_PAUSED,
	CT_STATE_DISABLED };
enum { CT_VIEW_UNSPECIFIED, CT_VIEW_BASIC, CT_VIEW_FULL };
/* httpMethod: 0 unspecified, 1 POST, 2 GET, 3 HEAD, 4 PUT, 5 DELETE,
 * 6 PATCH, 7 OPTIONS. */
const char	*ct_method_name(int);		/* NULL when out of range */
int		 ct_method_number(const char *);	/* -1 when unknown */

/* 1 when the query of target (len bytes) holds $alt=...enum-encoding=int
 * (sent as "$alt=json%3Benum-encoding=int"). */
int	ct_enum_int(const char *target, size_t len);

/* Durations: "3.5s", "0s", "30.000000001s" (fractions past ms are
 * dropped).  -1 when s is not one, or is negative. */
int	ct_duration_parse(const char *s, uint64_t *ms);
/* "0s", "30s", "0.100s", "3.500s": whole seconds bare, else 3 digits. */
void	ct_duration_format(uint64_t ms, char *buf, size_t len);
/* RFC 3339: "2025-01-01T00:00:00Z", 0-9 fraction digits, "Z" or an
 * offset ("+01:00").  -1 when malformed or before 1970. */
int	ct_time_parse(const char *s, uint64_t *ms);
/* "2025-01-01T00:00:00Z" or "2025-01-01T00:00:00.500Z" (3 digits when
 * ms is not a whole second). */
void	ct_time_format(uint64_t ms, char *buf, size_t len);

/* Standard base64 with padding.  encode: malloc'd, NUL-terminated.
 * decode: malloc'd (NUL-terminated past *outlen), -1 when s is not
 * valid base64 (unpadded input is accepted). */
char	*ct_b64_encode(const void *, size_t);
int	 ct_b64_decode(const char *s, size_t len, char **out, size_t *outlen);

/* Fields of a Queue, for create/patch (in) and get/list (out). */
#define CTQ_RATE		0x0001	/* rateLimits.maxDispatchesPerSecond */
#define CTQ_BURST		0x0002	/* rateLimits.maxBurstSize (output) */
#define CTQ_CONC		0x0004	/* rateLimits.maxConcurrentDispatches */
#define CTQ_MAX_ATTEMPTS	0x0008	/* retryConfig.maxAttempts */
#define CTQ_MAX_RETRY		0x0010	/* retryConfig.maxRetryDuration */
#define CTQ_MIN_BACKOFF		0x0020	/* retryConfig.minBackoff */
#define CTQ_MAX_BACKOFF		0x0040	/* retryConfig.maxBackoff */
#define CTQ_MAX_DOUBLINGS	0x0080	/* retryConfig.maxDoublings */
#define CTQ_RATE_LIMITS		(CTQ_RATE | CTQ_BURST | CTQ_CONC)
#define CTQ_RETRY_CONFIG	(CTQ_MAX_ATTEMPTS | CTQ_MAX_RETRY | \
				 CTQ_MIN_BACKOFF | CTQ_MAX_BACKOFF | \
				 CTQ_MAX_DOUBLINGS)
#define CTQ_STATE		0x0100	/* state (output only) */
#define CTQ_PURGE_TIME		0x0200	/* purgeTime (output only) */
#define CTQ_LOGGING		0x0400	/* stackdriverLoggingConfig */

struct ct_queue {
	unsigned	set;		/* CTQ_* present (in) / to emit (out) */
	double		rate;		/* 0 < rate <= CT_RATE_MAX */
	int		burst;
	int		conc;		/* 1..CT_CONC_MAX */
	int		max_attempts;	/* -1: unlimited, else >= 1 */
	uint64_t	max_retry_ms;	/* 0: unlimited */
	uint64_t	min_backoff_ms;
	uint64_t	max_backoff_ms;
	int		max_doublings;	/* >= 0 */
	int		state;		/* CT_STATE_* */
	uint64_t	purge_ms;	/* 0: never purged */
	double		sampling;	/* stackdriverLoggingConfig */
};

/*
 * A Queue body (CreateQueue, or UpdateQueue's body).  Sets q->set to the
 * fields present; output-only fields (state, purgeTime, maxBurstSize) are
 * accepted and ignored.  *name points into nothing: the "name" member is
 * copied into name (namelen bytes, "" when absent).  Unknown members are
 * ignored.  -1 with "queue.rateLimits.maxDispatchesPerSecond: must be
 * greater than 0 and at most 500" style messages (field paths in
 * camelCase).  Also checks minBackoff <= maxBackoff when both are given.
 */
int	ct_queue_from_json(struct json_object *, struct ct_queue *,
	    char *name, size_t namelen, char *err, size_t errlen);
/*
 * updateMask: comma-separated paths, snake_case or camelCase
 * ("rate_limits.max_dispatches_per_second,retryConfig"); a parent path
 * selects all its children.  *bits gets CTQ_* bits.  "" = every field.
 * -1 with "updateMask: unknown field \"x\"" (state and name are refused:
 * "updateMask: state cannot be updated").
 */
int	ct_mask_parse(const char *mask, unsigned *bits, char *err,
	    size_t errlen);
/* The Queue resource; only the fields in q->set are emitted (state and
 * purgeTime only when set).  enum_int: state as a number. */
struct json_object *ct_queue_to_json(const struct ct_queue *,
		    const char *name, int enum_int);

/*
 * A CreateTask body {"task": {...}, "responseView": n} into t, for queue
 * (the path's), now being the request time:
 * - task.name, when given, must be .../queues/<queue>/tasks/<ID> with
 *   the same project/location/queue as prefix (the path's parent, e.g.
 *   "projects/p/locations/l/queues/q"); t->id gets ID, else t->id is "".
 * - httpRequest.url http(s), <= CT_URL_MAX; httpMethod name or number
 *   (default POST); headers (task_valid_header, under CT_HEADERS_BYTES
 *   in all); body base64, only with POST, PUT and PATCH.
 * - scheduleTime absent or past: now; more than CT_SCHEDULE_MAX_MS
 *   ahead: error.  t->created_ms = now, t->eta_ms = schedule time.
 * - dispatchDeadline in [15s, 30m], default 600s, into t->deadline_ms.
 * - appEngineHttpRequest: error "task: only httpRequest tasks are
 *   supported"; oidcToken/oauthToken: error (not supported).
 * *view gets responseView (CT_VIEW_BASIC when absent).  t->queue is set.
 * -1 with "task.httpRequest.url: ..." messages; t is then freed.
 */
int	ct_task_from_json(struct json_object *, const char *parent,
	    const char *queue, uint64_t now, struct task *t, int *view,
	    char *err, size_t errlen);

/* A task as stored (the Redis hash fields), for the Task resource. */
struct ct_task_out {
	const char	*url;
	const char	*method;	/* "POST", ... */
	const char	*headers;	/* JSON object text, or NULL */
	const char	*body;		/* raw bytes */
	size_t		 bodylen;
	uint64_t	 schedule_ms;	/* next run (or the current one) */
	uint64_t	 create_ms;
	uint64_t	 deadline_ms;	/* 0: CT_DEADLINE_DEF_MS */
	int		 dispatch_count;
	int		 response_count;
	uint64_t	 first_at;	/* 0: never dispatched */
	uint64_t	 last_at;	/* 0: no lastAttempt */
	uint64_t	 last_eta;
	uint64_t	 last_resp_at;	/* 0: no response yet */
	int		 last_status;	/* HTTP status, 0 none */
	const char	*last_error;	/* "" or what went wrong */
};

/*
 * The Task resource: name, httpRequest (body only with CT_VIEW_FULL),
 * scheduleTime, createTime (truncated to seconds), dispatchDeadline,
 * dispatchCount, responseCount, firstAttempt{dispatchTime},
 * lastAttempt{scheduleTime, dispatchTime, responseTime,
 * responseStatus{code, message}}, view.  enum_int: httpMethod and view
 * as numbers.
 */
struct json_object *ct_task_to_json(const struct ct_task_out *,
		    const char *name, int view, int enum_int);

/* The google.rpc.Code of an HTTP status (200 -> 0, 404 -> 5, 503 -> 14,
 * other 4xx -> 9 FAILED_PRECONDITION, other 5xx -> 13 INTERNAL; 0, no
 * response -> 14 UNAVAILABLE). */
int	ct_rpc_code(int http_status);

/*
 * {"error":{"code":http,"message":"...","status":"NOT_FOUND"}}: status
 * names the google.rpc.Code (it may differ from the HTTP code's usual
 * one: FAILED_PRECONDITION is sent with 400).  malloc'd; *len its length.
 */
char	*ct_error_json(int http, const char *status, const char *message,
	    size_t *len);

#endif
