/*
 * ctroute.h: the Cloud Tasks v2 REST paths (/v2/projects/P/locations/L/
 * queues/...) -> which handler, with the resource IDs taken out.  The
 * custom verb (":pause", ":run") is split off at the literal ':' of the
 * last segment first, then every segment is percent-decoded, as Google's
 * clients send colons inside IDs percent-encoded.  Pure: no I/O.
 */
#ifndef TD_CTROUTE_H
#define TD_CTROUTE_H

#include <stddef.h>

#include "conf.h"
#include "util.h"

/* incl. NUL: [A-Za-z0-9-:.]{1,127} and [A-Za-z0-9-]{1,63}, as the
 * [cloudtasks] settings (conf.h). */
#define CT_PROJECT_MAX	TD_CT_PROJECT_MAX
#define CT_LOCATION_MAX	TD_CT_LOCATION_MAX

enum ct_route {
	CT_NONE = 0,		/* see ct_match.status */
	CT_LOCATION,		/* GET /v1/projects/P/locations/L */
	CT_QUEUES_LIST,		/* GET .../queues */
	CT_QUEUE_CREATE,	/* POST .../queues */
	CT_QUEUE_GET,		/* GET .../queues/Q */
	CT_QUEUE_PATCH,		/* PATCH .../queues/Q */
	CT_QUEUE_DELETE,	/* DELETE .../queues/Q */
	CT_QUEUE_PAUSE,		/* POST .../queues/Q:pause */
	CT_QUEUE_RESUME,	/* POST .../queues/Q:resume */
	CT_QUEUE_PURGE,		/* POST .../queues/Q:purge */
	CT_QUEUE_GETIAM,	/* POST .../queues/Q:getIamPolicy */
	CT_QUEUE_SETIAM,	/* POST .../queues/Q:setIamPolicy */
	CT_QUEUE_TESTIAM,	/* POST .../queues/Q:testIamPermissions */
	CT_TASKS_LIST,		/* GET .../queues/Q/tasks */
	CT_TASK_CREATE,		/* POST .../queues/Q/tasks */
	CT_TASK_GET,		/* GET .../queues/Q/tasks/T */
	CT_TASK_DELETE,		/* DELETE .../queues/Q/tasks/T */
	CT_TASK_RUN		/* POST .../queues/Q/tasks/T:run */
};

struct ct_match {
	enum ct_route	id;
	/*
	 * 0 on a match.  404: no such path (an unknown verb too); 405: the
	 * path is known but not with this method (allow says which); 400: a
	 * segment is not a valid ID (message says which, e.g. "queue ID
	 * \"a b\": only letters, digits and hyphens, at most 63").
	 */
	int		status;
	const char	*allow;
	char		message[200];
	/* Decoded and NUL-terminated; "" when the path has none. */
	char		project[CT_PROJECT_MAX];
	char		location[CT_LOCATION_MAX];
	char		queue[TD_NAME_MAX];	/* [A-Za-z0-9_-]{1,63} */
	char		task[TD_ID_MAX + 1];	/* util_valid_id() */
};

/*
 * 1 when target (the request target, query included, len bytes) is a
 * Cloud Tasks path, i.e. starts with "/v2/" or "/v1/projects/"; m is then
 * filled (a match or an error status).  0 when it is not ours (m
 * untouched): the /v1 operator API and the rest of route.c own it.
 */
int	ct_route_match(const char *method, const char *target, size_t len,
	    struct ct_match *m);

/* 1 when s is a queue ID that CreateQueue accepts: [A-Za-z0-9-]{1,63}. */
int	ct_valid_queue_id(const char *s);

#endif
