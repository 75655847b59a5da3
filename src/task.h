/*
 * task.h: a task in memory, built from the seed enqueue JSON or from the
 * fields of its Redis hash.  Pure: validation writes field-path messages
 * ("task.url: must be http or https") that the API returns verbatim.
 */
#ifndef TD_TASK_H
#define TD_TASK_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "util.h"

#define TD_METHOD_MAX	32
#define TD_URL_MAX	8192
#define TD_HEADERS_MAX	100		/* headers per task */

struct task_header {
	char	*name;
	char	*value;
};

struct task {
	char			 id[TD_ID_MAX + 1];
	char			 queue[TD_NAME_MAX];
	char			*url;
	char			 method[TD_METHOD_MAX];
	struct task_header	*headers;
	size_t			 nheaders;
	char			*body;		/* may hold NULs; NUL-terminated */
	size_t			 bodylen;
	uint64_t		 delay_ms;	/* from "delay" seconds */
	uint64_t		 created_ms;	/* wall clock */
	uint64_t		 eta_ms;	/* created + delay */
	int			 attempts;	/* dispatches begun so far */
	uint64_t		 deadline_ms;	/* dispatch deadline, 0: the
						 * queue's timeout */
	uint64_t		 tomb_ms;	/* a named task: how long its
						 * ID stays taken after it
						 * ends; 0: unnamed */
};

/*
 * Parse and validate a POST /v1/enqueue body against conf (queue names).
 * Does not set id, created_ms or eta_ms.  -1 with a field-path message.
 */
int	task_from_enqueue_json(struct task *, const char *json, size_t len,
	    const struct conf *, char *err, size_t errlen);

/*
 * Strict JSON (RFC 8259, valid UTF-8, no NUL bytes, nothing after the
 * value) that must be an object: the parser behind the enqueue body, for
 * every other JSON body of the API too, so that all refuse the same
 * input.  NULL with "what: ..." in err; else the caller puts the object.
 */
struct json_object;
struct json_object *task_json_object(const char *json, size_t len,
		    const char *what, char *err, size_t errlen);

/* The headers as a JSON object string (malloc'd), and back. */
char	*task_headers_to_json(const struct task *);
int	task_headers_from_json(struct task *, const char *json, char *err,
	    size_t errlen);

/* Validators shared by every way a task comes in. */
int	task_valid_url(const char *, char *, size_t);
int	task_valid_method(const char *, char *, size_t);
int	task_valid_header(const char *name, const char *value, char *,
	    size_t);

void	task_free(struct task *);

#endif
