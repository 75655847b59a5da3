/*
 * check_ctroute.c: ct_route_match on every Cloud Tasks path and method,
 * the requests Google's Node client sent (cloudtasks.md 3.3), every 404,
 * 405 and 400, and ct_valid_queue_id.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ctroute.h"
#include "util.h"

#define B	"/v2/projects/p/locations/l/queues"
#define MP	"/v2/projects/my-proj/locations/us-central1/queues"
#define ALT	"?$alt=json%3Benum-encoding=int"

static const struct {
	const char	*method;
	const char	*target;
	enum ct_route	 id;
	int		 status;
	const char	*allow;
	const char	*project, *location, *queue, *task;
} rows[] = {
	/* Every route. */
	{ "GET", "/v1/projects/p/locations/l", CT_LOCATION, 0, NULL,
	    "p", "l", "", "" },
	{ "GET", B, CT_QUEUES_LIST, 0, NULL, "p", "l", "", "" },
	{ "POST", B, CT_QUEUE_CREATE, 0, NULL, "p", "l", "", "" },
	{ "GET", B "/q", CT_QUEUE_GET, 0, NULL, "p", "l", "q", "" },
	{ "PATCH", B "/q", CT_QUEUE_PATCH, 0, NULL, "p", "l", "q", "" },
	{ "DELETE", B "/q", CT_QUEUE_DELETE, 0, NULL, "p", "l", "q", "" },
	{ "POST", B "/q:pause", CT_QUEUE_PAUSE, 0, NULL, "p", "l", "q", "" },
	{ "POST", B "/q:resume", CT_QUEUE_RESUME, 0, NULL, "p", "l", "q", "" },
	{ "POST", B "/q:purge", CT_QUEUE_PURGE, 0, NULL, "p", "l", "q", "" },
	{ "POST", B "/q:getIamPolicy", CT_QUEUE_GETIAM, 0, NULL,
	    "p", "l", "q", "" },
	{ "POST", B "/q:setIamPolicy", CT_QUEUE_SETIAM, 0, NULL,
	    "p", "l", "q", "" },
	{ "POST", B "/q:testIamPermissions", CT_QUEUE_TESTIAM, 0, NULL,
	    "p", "l", "q", "" },
	{ "GET", B "/q/tasks", CT_TASKS_LIST, 0, NULL, "p", "l", "q", "" },
	{ "POST", B "/q/tasks", CT_TASK_CREATE, 0, NULL, "p", "l", "q", "" },
	{ "GET", B "/q/tasks/t", CT_TASK_GET, 0, NULL, "p", "l", "q", "t" },
	{ "DELETE", B "/q/tasks/t", CT_TASK_DELETE, 0, NULL,
	    "p", "l", "q", "t" },
	{ "POST", B "/q/tasks/t:run", CT_TASK_RUN, 0, NULL,
	    "p", "l", "q", "t" },

	/* What the Node client sent (section 3.3). */
	{ "POST", MP ALT, CT_QUEUE_CREATE, 0, NULL,
	    "my-proj", "us-central1", "", "" },
	{ "GET", MP "/q1" ALT, CT_QUEUE_GET, 0, NULL,
	    "my-proj", "us-central1", "q1", "" },
	{ "PATCH", MP "/q1?updateMask=rate_limits.max_dispatches_per_second"
	    "&$alt=json%3Benum-encoding=int", CT_QUEUE_PATCH, 0, NULL,
	    "my-proj", "us-central1", "q1", "" },
	{ "GET", MP "?pageSize=10&$alt=json%3Benum-encoding=int",
	    CT_QUEUES_LIST, 0, NULL, "my-proj", "us-central1", "", "" },
	{ "POST", MP "/q1/tasks" ALT, CT_TASK_CREATE, 0, NULL,
	    "my-proj", "us-central1", "q1", "" },
	{ "GET", MP "/q1/tasks/task-1?responseView=2&$alt=json%3Benum-"
	    "encoding=int", CT_TASK_GET, 0, NULL,
	    "my-proj", "us-central1", "q1", "task-1" },
	{ "GET", MP "/q1/tasks?responseView=2&pageSize=2&pageToken=2"
	    "&$alt=json%3Benum-encoding=int", CT_TASKS_LIST, 0, NULL,
	    "my-proj", "us-central1", "q1", "" },
	{ "POST", MP "/q1:pause" ALT, CT_QUEUE_PAUSE, 0, NULL,
	    "my-proj", "us-central1", "q1", "" },
	{ "POST", MP "/q1:resume" ALT, CT_QUEUE_RESUME, 0, NULL,
	    "my-proj", "us-central1", "q1", "" },
	{ "POST", MP "/q1:purge" ALT, CT_QUEUE_PURGE, 0, NULL,
	    "my-proj", "us-central1", "q1", "" },
	{ "POST", MP "/q1/tasks/task-1:run" ALT, CT_TASK_RUN, 0, NULL,
	    "my-proj", "us-central1", "q1", "task-1" },
	{ "DELETE", MP "/q1/tasks/task-1" ALT, CT_TASK_DELETE, 0, NULL,
	    "my-proj", "us-central1", "q1", "task-1" },
	{ "DELETE", MP "/q1" ALT, CT_QUEUE_DELETE, 0, NULL,
	    "my-proj", "us-central1", "q1", "" },
	{ "POST", MP "/q:getIamPolicy" ALT, CT_QUEUE_GETIAM, 0, NULL,
	    "my-proj", "us-central1", "q", "" },
	{ "GET", "/v1/projects/p/locations/l" ALT, CT_LOCATION, 0, NULL,
	    "p", "l", "", "" },

	/* Percent-encoding: decoded after the verb is split off. */
	{ "POST", "/v2/projects/example.com%3Aproj/locations/us-central1/"
	    "queues/q1:pause", CT_QUEUE_PAUSE, 0, NULL,
	    "example.com:proj", "us-central1", "q1", "" },
	{ "GET", "/v2/projects/example.com:proj/locations/l/queues",
	    CT_QUEUES_LIST, 0, NULL, "example.com:proj", "l", "", "" },
	{ "GET", "/v2/projects/example.com%3aproj/locations/l/queues",
	    CT_QUEUES_LIST, 0, NULL, "example.com:proj", "l", "", "" },
	{ "GET", "/v1/projects/a%3Ab/locations/l", CT_LOCATION, 0, NULL,
	    "a:b", "l", "", "" },
	{ "GET", B "/%71", CT_QUEUE_GET, 0, NULL, "p", "l", "q", "" },
	{ "GET", B "/q/tasks/%41%5f-z", CT_TASK_GET, 0, NULL,
	    "p", "l", "q", "A_-z" },
	{ "POST", B "/q/tasks/a%2Db:run", CT_TASK_RUN, 0, NULL,
	    "p", "l", "q", "a-b" },
	/* An encoded ':' is part of the ID, not a verb: not a valid one. */
	{ "GET", B "/q%3Apause", CT_NONE, 400, NULL, "", "", "", "" },
	{ "GET", B "/q/tasks/t%3Arun", CT_NONE, 400, NULL, "", "", "", "" },
	{ "POST", B "/q%3Apause", CT_NONE, 405, "GET, PATCH, DELETE",
	    "", "", "", "" },
	{ "POST", B "/q/tasks/t%3Arun", CT_NONE, 405, "GET, DELETE",
	    "", "", "", "" },
	/* An encoded '/' stays inside its segment. */
	{ "GET", B "/a%2Fb", CT_NONE, 400, NULL, "", "", "", "" },
	{ "GET", B "%2Fq", CT_NONE, 404, NULL, "", "", "", "" },
	/* Bad percent-encoding. */
	{ "GET", B "/q%", CT_NONE, 400, NULL, "", "", "", "" },
	{ "GET", B "/q%4", CT_NONE, 400, NULL, "", "", "", "" },
	{ "GET", B "/q%zz", CT_NONE, 400, NULL, "", "", "", "" },
	{ "GET", B "/q%4g", CT_NONE, 400, NULL, "", "", "", "" },
	{ "GET", B "/q%00", CT_NONE, 400, NULL, "", "", "", "" },
	{ "GET", "/v2/projects/%/locations/l/queues", CT_NONE, 400, NULL,
	    "", "", "", "" },
	{ "GET", "/v2/projects/p/locations/l%2/queues", CT_NONE, 400, NULL,
	    "", "", "", "" },

	/* Config-file queue names may have '_'. */
	{ "GET", B "/low_prio", CT_QUEUE_GET, 0, NULL, "p", "l", "low_prio",
	    "" },
	{ "GET", B "/Q-9/tasks/_", CT_TASK_GET, 0, NULL, "p", "l", "Q-9",
	    "_" },

	/* The query is ignored, and so is what is in it. */
	{ "GET", B "?", CT_QUEUES_LIST, 0, NULL, "p", "l", "", "" },
	{ "GET", B "?a/b:c", CT_QUEUES_LIST, 0, NULL, "p", "l", "", "" },
	{ "GET", B "/q?x=/tasks", CT_QUEUE_GET, 0, NULL, "p", "l", "q", "" },
	{ "POST", B "/q:pause?x=1:2", CT_QUEUE_PAUSE, 0, NULL,
	    "p", "l", "q", "" },

	/* 405 with the Allow list of the path. */
	{ "POST", "/v1/projects/p/locations/l", CT_NONE, 405, "GET",
	    "", "", "", "" },
	{ "HEAD", "/v1/projects/p/locations/l", CT_NONE, 405, "GET",
	    "", "", "", "" },
	{ "DELETE", B, CT_NONE, 405, "GET, POST", "", "", "", "" },
	{ "PATCH", B, CT_NONE, 405, "GET, POST", "", "", "", "" },
	{ "HEAD", B, CT_NONE, 405, "GET, POST", "", "", "", "" },
	{ "get", B, CT_NONE, 405, "GET, POST", "", "", "", "" },
	{ "POST", B "/q", CT_NONE, 405, "GET, PATCH, DELETE",
	    "", "", "", "" },
	{ "PUT", B "/q", CT_NONE, 405, "GET, PATCH, DELETE", "", "", "", "" },
	{ "HEAD", B "/q", CT_NONE, 405, "GET, PATCH, DELETE", "", "", "", "" },
	{ "GET", B "/q:pause", CT_NONE, 405, "POST", "", "", "", "" },
	{ "DELETE", B "/q:resume", CT_NONE, 405, "POST", "", "", "", "" },
	{ "GET", B "/q:purge", CT_NONE, 405, "POST", "", "", "", "" },
	{ "GET", B "/q:getIamPolicy", CT_NONE, 405, "POST", "", "", "", "" },
	{ "PUT", B "/q:setIamPolicy", CT_NONE, 405, "POST", "", "", "", "" },
	{ "GET", B "/q:testIamPermissions", CT_NONE, 405, "POST",
	    "", "", "", "" },
	{ "DELETE", B "/q/tasks", CT_NONE, 405, "GET, POST", "", "", "", "" },
	{ "POST", B "/q/tasks/t", CT_NONE, 405, "GET, DELETE",
	    "", "", "", "" },
	{ "PATCH", B "/q/tasks/t", CT_NONE, 405, "GET, DELETE",
	    "", "", "", "" },
	{ "GET", B "/q/tasks/t:run", CT_NONE, 405, "POST", "", "", "", "" },
	{ "post", B "/q/tasks/t:run", CT_NONE, 405, "POST", "", "", "", "" },
	/* 405 is decided before the IDs are looked at. */
	{ "PUT", B "/a%20b", CT_NONE, 405, "GET, PATCH, DELETE",
	    "", "", "", "" },

	/* 404: no such shape. */
	{ "GET", "/v2/", CT_NONE, 404, NULL, "", "", "", "" },
	{ "GET", "/v2/projects", CT_NONE, 404, NULL, "", "", "", "" },
	{ "GET", "/v2/projects/p", CT_NONE, 404, NULL, "", "", "", "" },
	{ "GET", "/v2/projects/p/locations", CT_NONE, 404, NULL,
	    "", "", "", "" },
	{ "GET", "/v2/projects/p/locations/l", CT_NONE, 404, NULL,
	    "", "", "", "" },
	{ "GET", "/v2/projects/p/locations/l/", CT_NONE, 404, NULL,
	    "", "", "", "" },
	{ "GET", B "/", CT_NONE, 404, NULL, "", "", "", "" },
	{ "GET", B "/q/", CT_NONE, 404, NULL, "", "", "", "" },
	{ "GET", B "/q/tasks/", CT_NONE, 404, NULL, "", "", "", "" },
	{ "GET", B "/q/tasks/t/", CT_NONE, 404, NULL, "", "", "", "" },
	{ "GET", B "/q/tasks/t/x", CT_NONE, 404, NULL, "", "", "", "" },
	{ "GET", B "/q/tasks/t/x/y/z", CT_NONE, 404, NULL, "", "", "", "" },
	{ "GET", B "//q", CT_NONE, 404, NULL, "", "", "", "" },
	{ "GET", "/v2//projects/p/locations/l/queues", CT_NONE, 404, NULL,
	    "", "", "", "" },
	{ "GET", "/v2/projects//locations/l/queues", CT_NONE, 404, NULL,
	    "", "", "", "" },
	{ "GET", "/v2/Projects/p/locations/l/queues", CT_NONE, 404, NULL,
	    "", "", "", "" },
	{ "GET", "/v2/projects/p/location/l/queues", CT_NONE, 404, NULL,
	    "", "", "", "" },
	{ "GET", "/v2/projects/p/locations/l/queue", CT_NONE, 404, NULL,
	    "", "", "", "" },
	{ "GET", "/v2/projects/p/locations/l/%71ueues", CT_NONE, 404, NULL,
	    "", "", "", "" },
	{ "GET", B "/q/task", CT_NONE, 404, NULL, "", "", "", "" },
	{ "GET", B "/q/Tasks/t", CT_NONE, 404, NULL, "", "", "", "" },
	{ "GET", B "/q/jobs/t", CT_NONE, 404, NULL, "", "", "", "" },
	/* Unknown or misplaced verbs. */
	{ "POST", B "/q:stop", CT_NONE, 404, NULL, "", "", "", "" },
	{ "POST", B "/q:Pause", CT_NONE, 404, NULL, "", "", "", "" },
	{ "POST", B "/q:pause:x", CT_NONE, 404, NULL, "", "", "", "" },
	{ "POST", B "/q:", CT_NONE, 404, NULL, "", "", "", "" },
	{ "POST", B "/:pause", CT_NONE, 404, NULL, "", "", "", "" },
	{ "POST", B "/q:run", CT_NONE, 404, NULL, "", "", "", "" },
	{ "POST", B "/q/tasks/t:pause", CT_NONE, 404, NULL, "", "", "", "" },
	{ "POST", B "/q/tasks/t:", CT_NONE, 404, NULL, "", "", "", "" },
	{ "POST", B ":pause", CT_NONE, 404, NULL, "", "", "", "" },
	{ "POST", B "/q/tasks:buffer", CT_NONE, 404, NULL, "", "", "", "" },
	{ "POST", B "/q/tasks/t:buffer", CT_NONE, 404, NULL, "", "", "", "" },
	{ "POST", B "/q/tasks:run", CT_NONE, 404, NULL, "", "", "", "" },
	{ "GET", "/v1/projects/p/locations/l:x", CT_NONE, 404, NULL,
	    "", "", "", "" },
	{ "GET", "/v1/projects/p/locations/l/queues", CT_NONE, 404, NULL,
	    "", "", "", "" },
	{ "GET", "/v1/projects/p/locations", CT_NONE, 404, NULL,
	    "", "", "", "" },
	{ "GET", "/v1/projects/p", CT_NONE, 404, NULL, "", "", "", "" },
	{ "GET", "/v1/projects/", CT_NONE, 404, NULL, "", "", "", "" },
	{ "GET", "/v1/projects/p/locations/l/", CT_NONE, 404, NULL,
	    "", "", "", "" },

	/* 400: IDs outside their alphabet or too long. */
	{ "GET", "/v2/projects/a_b/locations/l/queues", CT_NONE, 400, NULL,
	    "", "", "", "" },
	{ "GET", "/v2/projects/p/locations/us.c/queues", CT_NONE, 400, NULL,
	    "", "", "", "" },
	{ "GET", "/v2/projects/p/locations/a:b/queues", CT_NONE, 400, NULL,
	    "", "", "", "" },
	{ "GET", "/v2/projects/p/locations/l_x/queues", CT_NONE, 400, NULL,
	    "", "", "", "" },
	{ "GET", B "/a.b", CT_NONE, 400, NULL, "", "", "", "" },
	{ "GET", B "/a%20b", CT_NONE, 400, NULL, "", "", "", "" },
	{ "GET", B "/a+b", CT_NONE, 400, NULL, "", "", "", "" },
	{ "GET", B "/%C3%A9", CT_NONE, 400, NULL, "", "", "", "" },
	{ "GET", B "/q/tasks/a.b", CT_NONE, 400, NULL, "", "", "", "" },
	{ "GET", B "/q/tasks/a%3Ab", CT_NONE, 400, NULL, "", "", "", "" },
	{ "GET", "/v1/projects/p/locations/a.b", CT_NONE, 400, NULL,
	    "", "", "", "" },
	{ "GET", "/v1/projects/p~/locations/l", CT_NONE, 400, NULL,
	    "", "", "", "" },
};

START_TEST(test_match)
{
	struct ct_match	 m;
	const char	*t = rows[_i].target;

	memset(&m, 0xa5, sizeof(m));
	ck_assert_msg(ct_route_match(rows[_i].method, t, strlen(t), &m) == 1,
	    "%s %s: not ours", rows[_i].method, t);
	ck_assert_msg(m.status == rows[_i].status, "%s %s: status %d, want %d"
	    " (%s)", rows[_i].method, t, m.status, rows[_i].status,
	    m.message);
	ck_assert_int_eq(m.id, rows[_i].id);
	if (rows[_i].allow == NULL)
		ck_assert_ptr_null(m.allow);
	else {
		ck_assert_ptr_nonnull(m.allow);
		ck_assert_str_eq(m.allow, rows[_i].allow);
	}
	if (m.status == 400)
		ck_assert_msg(strstr(m.message, " ID \"") != NULL &&
		    strlen(m.message) < sizeof(m.message), "%s: message %s", t,
		    m.message);
	if (m.status != 0)
		return;
	ck_assert_str_eq(m.project, rows[_i].project);
	ck_assert_str_eq(m.location, rows[_i].location);
	ck_assert_str_eq(m.queue, rows[_i].queue);
	ck_assert_str_eq(m.task, rows[_i].task);
}
END_TEST

/* Not a Cloud Tasks path: m is left as it was. */
static const char *const notours[] = {
	"/v1/queues", "/v1/enqueue", "/v1/tasks/x", "/health", "/metrics",
	"/v2", "/v2?x", "/v1/projects", "/v1/project/p/locations/l",
	"/V2/projects/p/locations/l/queues", "v2/projects", "", "/",
	"http://h/v2/projects/p/locations/l/queues", "/v3/projects/p",
	"/v1/projectsx/p",
};

START_TEST(test_not_ours)
{
	struct ct_match	 m;
	unsigned char	*p = (unsigned char *)&m;
	size_t		 i;

	memset(&m, 0xa5, sizeof(m));
	ck_assert_int_eq(ct_route_match("GET", notours[_i],
	    strlen(notours[_i]), &m), 0);
	for (i = 0; i < sizeof(m); i++)
		ck_assert_int_eq(p[i], 0xa5);
}
END_TEST

/* Only len bytes count: what follows is not part of the target. */
START_TEST(test_len)
{
	struct ct_match	 m;
	const char	*t = B "/q/tasks/t";

	ck_assert_int_eq(ct_route_match("GET", t, strlen(B "/q"), &m), 1);
	ck_assert_int_eq(m.status, 0);
	ck_assert_int_eq(m.id, CT_QUEUE_GET);
	ck_assert_str_eq(m.queue, "q");
	ck_assert_int_eq(ct_route_match("GET", t, 3, &m), 0);
	/* "/v2/" cut short to "/v2" is not ours. */
	ck_assert_int_eq(ct_route_match("GET", "/v2/x", 3, &m), 0);
	ck_assert_int_eq(ct_route_match("GET", "/v2/", 4, &m), 1);
	ck_assert_int_eq(m.status, 404);
}
END_TEST

/* The longest IDs fit; one more byte is a 400 (raw or encoded). */
START_TEST(test_lengths)
{
	struct ct_match	 m;
	char		 path[4096], id[1024];

	memset(id, 'a', sizeof(id));
	id[127] = '\0';
	snprintf(path, sizeof(path), "/v2/projects/%s/locations/l/queues", id);
	ct_route_match("GET", path, strlen(path), &m);
	ck_assert_int_eq(m.status, 0);
	ck_assert_uint_eq(strlen(m.project), 127);
	id[127] = 'a';
	id[128] = '\0';
	snprintf(path, sizeof(path), "/v2/projects/%s/locations/l/queues", id);
	ct_route_match("GET", path, strlen(path), &m);
	ck_assert_int_eq(m.status, 400);
	ck_assert_ptr_nonnull(strstr(m.message, "project ID"));
	ck_assert_ptr_nonnull(strstr(m.message, "at most 127"));

	id[63] = '\0';
	snprintf(path, sizeof(path), "/v2/projects/p/locations/%s/queues/%s",
	    id, id);
	ct_route_match("GET", path, strlen(path), &m);
	ck_assert_int_eq(m.status, 0);
	ck_assert_uint_eq(strlen(m.location), 63);
	ck_assert_uint_eq(strlen(m.queue), 63);
	id[63] = 'a';
	id[64] = '\0';
	snprintf(path, sizeof(path), "/v2/projects/p/locations/l/queues/%s",
	    id);
	ct_route_match("GET", path, strlen(path), &m);
	ck_assert_int_eq(m.status, 400);
	ck_assert_ptr_nonnull(strstr(m.message, "queue ID"));
	ck_assert_ptr_nonnull(strstr(m.message, "at most 63"));
	snprintf(path, sizeof(path), "/v2/projects/p/locations/%s/queues", id);
	ct_route_match("GET", path, strlen(path), &m);
	ck_assert_int_eq(m.status, 400);
	ck_assert_ptr_nonnull(strstr(m.message, "location ID"));

	memset(id, 'a', sizeof(id));
	id[TD_ID_MAX] = '\0';
	snprintf(path, sizeof(path), B "/q/tasks/%s:run", id);
	ct_route_match("POST", path, strlen(path), &m);
	ck_assert_int_eq(m.status, 0);
	ck_assert_int_eq(m.id, CT_TASK_RUN);
	ck_assert_uint_eq(strlen(m.task), TD_ID_MAX);
	ck_assert(util_valid_id(m.task, strlen(m.task)));
	id[TD_ID_MAX] = 'a';
	id[TD_ID_MAX + 1] = '\0';
	snprintf(path, sizeof(path), B "/q/tasks/%s", id);
	ct_route_match("GET", path, strlen(path), &m);
	ck_assert_int_eq(m.status, 400);
	ck_assert_ptr_nonnull(strstr(m.message, "task ID"));
	ck_assert_ptr_nonnull(strstr(m.message, "at most 500"));
	/* The echo is cut short, so the message always fits. */
	ck_assert_ptr_nonnull(strstr(m.message, "...\""));

	/* 63 encoded bytes are 63 bytes. */
	snprintf(path, sizeof(path), B "/");
	for (int i = 0; i < 63; i++)
		strcat(path, "%41");
	ct_route_match("GET", path, strlen(path), &m);
	ck_assert_int_eq(m.status, 0);
	ck_assert_uint_eq(strlen(m.queue), 63);
	ck_assert_int_eq(m.queue[62], 'A');
	strcat(path, "%41");
	ct_route_match("GET", path, strlen(path), &m);
	ck_assert_int_eq(m.status, 400);
}
END_TEST

/* Messages quote the ID safely and say what is allowed. */
START_TEST(test_messages)
{
	struct ct_match	 m;
	const char	*t;

	t = B "/a%20b";
	ct_route_match("GET", t, strlen(t), &m);
	ck_assert_int_eq(m.status, 400);
	ck_assert_str_eq(m.message, "queue ID \"a b\": only letters, digits, "
	    "hyphens and underscores, at most 63");
	t = B "/q%zz";
	ct_route_match("GET", t, strlen(t), &m);
	ck_assert_str_eq(m.message, "queue ID \"q%zz\": invalid "
	    "percent-encoding");
	t = "/v2/projects/a%22b/locations/l/queues";
	ct_route_match("GET", t, strlen(t), &m);
	ck_assert_str_eq(m.message, "project ID \"a?b\": only letters, "
	    "digits, hyphens, colons and periods, at most 127");
	t = "/v2/projects/p/locations/x.y/queues";
	ct_route_match("GET", t, strlen(t), &m);
	ck_assert_str_eq(m.message, "location ID \"x.y\": only letters, "
	    "digits and hyphens, at most 63");
	t = B "/q/tasks/a%0Ab";
	ct_route_match("GET", t, strlen(t), &m);
	ck_assert_str_eq(m.message, "task ID \"a?b\": only letters, digits, "
	    "hyphens and underscores, at most 500");
}
END_TEST

static const struct {
	const char	*s;
	int		 ok;
} qids[] = {
	{ "q", 1 }, { "Q-1", 1 }, { "a-b-c", 1 }, { "-", 1 },
	{ "0123456789012345678901234567890123456789012345678901234567890"
	    "12", 1 },
	{ "0123456789012345678901234567890123456789012345678901234567890"
	    "123", 0 },
	{ "", 0 }, { "a_b", 0 }, { "a.b", 0 }, { "a b", 0 }, { "a:b", 0 },
	{ "a/b", 0 }, { "\xc3\xa9", 0 }, { "a\tb", 0 },
};

START_TEST(test_valid_queue_id)
{
	ck_assert_msg(ct_valid_queue_id(qids[_i].s) == qids[_i].ok, "\"%s\"",
	    qids[_i].s);
}
END_TEST

START_TEST(test_valid_queue_id_null)
{
	ck_assert_int_eq(ct_valid_queue_id(NULL), 0);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("ctroute");
	TCase	*tc = tcase_create("ctroute");
	SRunner	*sr;
	int	 failed;

	tcase_add_loop_test(tc, test_match, 0, (int)TD_NELEM(rows));
	tcase_add_loop_test(tc, test_not_ours, 0, (int)TD_NELEM(notours));
	tcase_add_test(tc, test_len);
	tcase_add_test(tc, test_lengths);
	tcase_add_test(tc, test_messages);
	tcase_add_loop_test(tc, test_valid_queue_id, 0, (int)TD_NELEM(qids));
	tcase_add_test(tc, test_valid_queue_id_null);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
