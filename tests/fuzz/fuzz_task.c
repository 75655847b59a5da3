/*
 * fuzz_task.c: the POST /v1/enqueue body, through the same validation
 * the api runs; the headers of a task as they come back from Redis; and
 * task_json_object(), the strict parser other JSON bodies share, on the
 * same bytes.  A body that is accepted must give a task that every
 * validator accepts again, and whose headers survive the trip to JSON
 * and back: what the api stores, the worker must be able to load.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "conf.h"
#include "task.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct conf	conf;

static void
task_check(struct task *t)
{
	struct task	 u;
	char		 err[256], *json;
	size_t		 i;

	if (conf_queue_find(&conf, t->queue) == NULL ||
	    t->url == NULL || task_valid_url(t->url, err, sizeof(err)) == -1 ||
	    task_valid_method(t->method, err, sizeof(err)) == -1 ||
	    t->body == NULL || t->body[t->bodylen] != '\0' ||
	    t->nheaders > TD_HEADERS_MAX)
		abort();
	for (i = 0; i < t->nheaders; i++)
		if (task_valid_header(t->headers[i].name, t->headers[i].value,
		    err, sizeof(err)) == -1)
			abort();
	/* The headers' round trip through the task hash. */
	memset(&u, 0, sizeof(u));
	json = task_headers_to_json(t);
	if (task_headers_from_json(&u, json, err, sizeof(err)) == -1 ||
	    u.nheaders != t->nheaders)
		abort();
	for (i = 0; i < t->nheaders; i++)
		if (strcmp(u.headers[i].name, t->headers[i].name) != 0 ||
		    strcmp(u.headers[i].value, t->headers[i].value) != 0)
			abort();
	free(json);
	task_free(&u);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct task	 t;
	json_object	*o;
	char		 err[256], *s;
	int		 ok;

	if (conf.nqueues == 0)
		conf_defaults(&conf);

	/* Not NUL-terminated: the body is a length and bytes. */
	memset(&t, 0, sizeof(t));
	memset(err, 'x', sizeof(err));
	ok = task_from_enqueue_json(&t, (const char *)data, size, &conf, err,
	    sizeof(err)) == 0;
	if (ok)
		task_check(&t);
	else if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0')
		abort();
	task_free(&t);

	/* The strict parser alone: it takes every body that is accepted. */
	if ((o = task_json_object((const char *)data, size, "body", err,
	    sizeof(err))) != NULL)
		json_object_put(o);
	else if (ok)
		abort();

	/* The same bytes as a stored headers field. */
	memset(&t, 0, sizeof(t));
	s = xstrndup((const char *)data, size);
	(void)task_headers_from_json(&t, s, err, sizeof(err));
	task_free(&t);
	free(s);
	return 0;
}
