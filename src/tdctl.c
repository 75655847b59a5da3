/*
 * tdctl.c: the operator's command line for taskdispatcher.  Each command
 * is one request to the daemon's /v1 API (libcurl easy interface); the
 * answer is printed as an aligned table, or as the API's JSON with
 * --json.  The server comes from -s, TDCTL_SERVER, or the daemon's own
 * configuration file, read with the daemon's conf_load so that the two
 * never disagree on where [server] listen points.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "conf.h"
#include "log.h"
#include "tdctl_fmt.h"
#include "util.h"

#ifndef VERSION
#define VERSION		"unknown"
#endif

#define SERVER_DEFAULT	"http://127.0.0.1:8080"

/* Exit statuses, as tdctl(1) documents them. */
#define EXIT_API		1	/* the API answered an error */
#define EXIT_UNREACHABLE	2	/* no answer from the daemon */

#define BASE_MAX	1024
#define REPLY_MAX	(64 * 1024 * 1024)
#define SEED_MAX	(64 * 1024 * 1024)
#define HEADERS_MAX	100

/* Long-only options; a command says which of them it takes. */
enum {
	OPT_JSON = 256,
	OPT_STATE,
	OPT_LIMIT,
	OPT_PAGE_TOKEN,
	OPT_URL,
	OPT_ALL_DEAD,
	OPT_YES,
	OPT_QUEUE,
	OPT_METHOD,
	OPT_HEADER,
	OPT_BODY,
	OPT_DELAY
};
#define BIT(o)	(1u << ((o) - OPT_JSON))

struct opts {
	const char	*conf_path;
	int		 conf_given;
	const char	*server;
	const char	*token;
	int		 json;
	unsigned int	 given;		/* BIT(OPT_*) of command options */
	const char	*state;
	const char	*limit;
	const char	*page_token;
	const char	*url;
	const char	*queue;
	const char	*method;
	const char	*body;
	const char	*delay;
	const char	*headers[HEADERS_MAX];
	int		 nheaders;
};

struct ctx {
	char		 base[BASE_MAX];	/* http://host:port, no '/' */
	const char	*token;
	int		 json;
	CURL		*curl;
};

struct buf {
	char	*data;
	size_t	 len;
};

struct cmd {
	const char	*name;
	int		(*fn)(struct ctx *, struct opts *, int, char **);
	unsigned int	 allowed;
	int		 minargs, maxargs;
};

/* The first API token of the configuration read by server_from_conf. */
static char	conf_token[TD_TOKEN_MAX];

static void	 usage(FILE *);
static void	 usage_short(void);
static int	 opts_parse(struct opts *, int, char **);
static const char *opt_name(unsigned int);
static int	 server_resolve(const struct opts *, char *, size_t);
static int	 server_from_conf(const struct opts *, char *, size_t);
static const char *env_port(const char *);
static int	 api_call(struct ctx *, const char *, const char *,
		    const char *, struct json_object **);
static int	 api_show(struct ctx *, const char *, char *, const char *,
		    struct json_object **);
static int	 api_perform(struct ctx *, const char *, const char *,
		    const char *, struct buf *, long *);
static int	 api_error(long, const struct buf *);
static size_t	 buf_write(char *, size_t, size_t, void *);
static char	*path_join(struct ctx *, const char *, const char *,
		    const char *);
static void	 query_add(struct ctx *, char **, const char *,
		    const char *);
static int	 print_json(struct json_object *);
static int	 state_valid(const char *);
static int	 warnu(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
static const char *jstr(struct json_object *, const char *);
static int64_t	 jint(struct json_object *, const char *);
static char	*jintstr(struct json_object *, const char *, char *, size_t);
static char	*jtime(struct json_object *, const char *, char *, size_t);
static struct json_object *jarray(struct json_object *, const char *);

static int	 cmd_stats(struct ctx *, struct opts *, int, char **);
static int	 cmd_queues(struct ctx *, struct opts *, int, char **);
static int	 cmd_tasks(struct ctx *, struct opts *, int, char **);
static int	 cmd_task(struct ctx *, struct opts *, int, char **);
static int	 cmd_retry(struct ctx *, struct opts *, int, char **);
static int	 cmd_delete(struct ctx *, struct opts *, int, char **);
static int	 cmd_pause(struct ctx *, struct opts *, int, char **);
static int	 cmd_purge(struct ctx *, struct opts *, int, char **);
static int	 cmd_enqueue(struct ctx *, struct opts *, int, char **);

static void	 print_queue_rows(struct json_object *);
static void	 print_minutes(struct json_object *);
static const char *tasks_time_key(const char *);
static void	 print_kv(const char *, const char *);
static void	 print_body(struct json_object *);
static void	 print_history(struct json_object *);
static int	 queue_bulk(struct ctx *, const char *, const char *,
		    const char *);
static void	 print_counts(struct json_object *, const char *,
		    const char *const *);
static int	 enqueue_from_flags(struct opts *, char **);
static int	 enqueue_from_stdin(char **);
static int	 delay_valid(const char *);

static const char *const states[] = {
	"pending", "scheduled", "active", "retry", "dead", "done", NULL
};
static const char *const totals[] = {
	"enqueued", "dispatched", "succeeded", "failed", "retried", "dead",
	NULL
};

#define ENQ_OPTS	(BIT(OPT_QUEUE) | BIT(OPT_URL) | BIT(OPT_METHOD) | \
	    BIT(OPT_HEADER) | BIT(OPT_BODY) | BIT(OPT_DELAY))

static const struct cmd	cmds[] = {
	{ "stats", cmd_stats, 0, 0, 0 },
	{ "queues", cmd_queues, 0, 0, 1 },
	{ "tasks", cmd_tasks, BIT(OPT_STATE) | BIT(OPT_LIMIT) |
	    BIT(OPT_PAGE_TOKEN) | BIT(OPT_URL), 1, 1 },
	{ "task", cmd_task, 0, 1, 1 },
	{ "retry", cmd_retry, BIT(OPT_ALL_DEAD) | BIT(OPT_STATE), 1, 1 },
	{ "delete", cmd_delete, BIT(OPT_STATE), 1, 1 },
	{ "pause", cmd_pause, 0, 1, 1 },
	{ "resume", cmd_pause, 0, 1, 1 },
	{ "purge", cmd_purge, BIT(OPT_YES), 1, 1 },
	{ "enqueue", cmd_enqueue, ENQ_OPTS, 0, 1 },
};

static const struct option	longopts[] = {
	{ "config",	required_argument,	NULL,	'c' },
	{ "help",	no_argument,		NULL,	'h' },
	{ "server",	required_argument,	NULL,	's' },
	{ "token",	required_argument,	NULL,	't' },
	{ "version",	no_argument,		NULL,	'V' },
	{ "json",	no_argument,		NULL,	OPT_JSON },
	{ "state",	required_argument,	NULL,	OPT_STATE },
	{ "limit",	required_argument,	NULL,	OPT_LIMIT },
	{ "page-token",	required_argument,	NULL,	OPT_PAGE_TOKEN },
	{ "url",	required_argument,	NULL,	OPT_URL },
	{ "all-dead",	no_argument,		NULL,	OPT_ALL_DEAD },
	{ "yes",	no_argument,		NULL,	'y' },
	{ "queue",	required_argument,	NULL,	OPT_QUEUE },
	{ "method",	required_argument,	NULL,	OPT_METHOD },
	{ "header",	required_argument,	NULL,	OPT_HEADER },
	{ "body",	required_argument,	NULL,	OPT_BODY },
	{ "delay",	required_argument,	NULL,	OPT_DELAY },
	{ NULL,		0,			NULL,	0 }
};

int
main(int argc, char *argv[])
{
	static struct opts	 o;
	struct ctx		 ctx;
	const struct cmd	*c = NULL;
	size_t			 i;
	int			 rv;

	if ((rv = opts_parse(&o, argc, argv)) != -1)
		return rv;
	if (optind == argc)
		return warnu("no command given");
	for (i = 0; i < TD_NELEM(cmds); i++)
		if (strcmp(cmds[i].name, argv[optind]) == 0)
			c = &cmds[i];
	if (c == NULL)
		return warnu("unknown command '%s'", argv[optind]);
	if ((o.given & ~c->allowed) != 0)
		return warnu("%s: --%s does not apply to it", c->name,
		    opt_name(o.given & ~c->allowed));
	if (argc - optind - 1 < c->minargs || argc - optind - 1 > c->maxargs)
		return warnu("%s: wrong number of arguments", c->name);

	memset(&ctx, 0, sizeof(ctx));
	if ((rv = server_resolve(&o, ctx.base, sizeof(ctx.base))) != 0)
		return rv;
	/* -t, TDCTL_TOKEN, then the configuration the server came from. */
	ctx.token = o.token != NULL ? o.token : getenv("TDCTL_TOKEN");
	if (ctx.token == NULL || ctx.token[0] == '\0')
		ctx.token = conf_token[0] != '\0' ? conf_token : NULL;
	ctx.json = o.json;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    (ctx.curl = curl_easy_init()) == NULL) {
		fprintf(stderr, "tdctl: cannot initialize libcurl\n");
		return EX_SOFTWARE;
	}
	rv = c->fn(&ctx, &o, argc - optind - 1, argv + optind + 1);
	explicit_bzero(conf_token, sizeof(conf_token));
	curl_easy_cleanup(ctx.curl);
	curl_global_cleanup();
	return rv;
}

/* The long name of the first command option among the BIT()s in bits. */
static const char *
opt_name(unsigned int bits)
{
	const struct option	*lo;

	for (lo = longopts; lo->name != NULL; lo++)
		if (lo->val >= OPT_JSON && (bits & BIT(lo->val)) != 0)
			return lo->name;
	return "yes";
}

/* -1 to go on, else the exit status (-h, -V, a usage error). */
static int
opts_parse(struct opts *o, int argc, char **argv)
{
	int	ch;

	o->conf_path = TD_CONF_DEFAULT;
	while ((ch = getopt_long(argc, argv, "c:hs:t:Vy", longopts,
	    NULL)) != -1) {
		if (ch >= OPT_JSON && ch != OPT_JSON)
			o->given |= BIT(ch);
		switch (ch) {
		case 'c':
			o->conf_path = optarg;
			o->conf_given = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 's':
			o->server = optarg;
			break;
		case 't':
			o->token = optarg;
			break;
		case 'V':
			printf("tdctl %s\n", VERSION);
			return 0;
		case 'y':
			o->given |= BIT(OPT_YES);
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_STATE:
			if (!state_valid(optarg))
				return warnu("--state: unknown state '%s' "
				    "(want pending, scheduled, active, retry, "
				    "dead or done)", optarg);
			o->state = optarg;
			break;
		case OPT_LIMIT:
			if (optarg[0] < '1' || optarg[0] > '9' ||
			    optarg[strspn(optarg, "0123456789")] != '\0' ||
			    strlen(optarg) > 9)
				return warnu("--limit: want a number from 1, "
				    "got '%s'", optarg);
			o->limit = optarg;
			break;
		case OPT_PAGE_TOKEN:
			o->page_token = optarg;
			break;
		case OPT_URL:
			o->url = optarg;
			break;
		case OPT_ALL_DEAD:
			break;
		case OPT_QUEUE:
			o->queue = optarg;
			break;
		case OPT_METHOD:
			o->method = optarg;
			break;
		case OPT_HEADER:
			if (o->nheaders == HEADERS_MAX)
				return warnu("--header: at most %d",
				    HEADERS_MAX);
			o->headers[o->nheaders++] = optarg;
			break;
		case OPT_BODY:
			o->body = optarg;
			break;
		case OPT_DELAY:
			o->delay = optarg;
			break;
		default:
			usage_short();
			return EX_USAGE;
		}
	}
	return -1;
}

static int
warnu(const char *fmt, ...)
{
	va_list	ap;

	fputs("tdctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n", stderr);
	usage_short();
	return EX_USAGE;
}

/* After a usage error: the synopsis, not the whole help. */
static void
usage_short(void)
{
	fprintf(stderr, "usage: tdctl [-hV] [--json] [-c file] [-s url] "
	    "[-t token] command [argument ...]\n"
	    "(tdctl -h lists the commands)\n");
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: tdctl [-hV] [--json] [-c file] [-s url] [-t token] "
	    "command [argument ...]\n"
	    "commands:\n"
	    "  stats                   task counts and totals of all queues\n"
	    "  queues [QUEUE]          every queue: state, weight, counts, "
	    "rates;\n"
	    "                          with QUEUE, that one and its last "
	    "hour\n"
	    "  tasks QUEUE [--state S] [--limit N] [--page-token T] "
	    "[--url SUBSTR]\n"
	    "                          one page of a queue's tasks "
	    "(default: pending)\n"
	    "  task ID                 one task, its headers, body and "
	    "attempts\n"
	    "  retry ID | retry --all-dead QUEUE | retry --state S QUEUE\n"
	    "                          run a task, or a queue's tasks in a "
	    "state, now\n"
	    "  delete ID | delete --state S QUEUE\n"
	    "                          delete a task, or a queue's tasks in "
	    "a state\n"
	    "  pause QUEUE | resume QUEUE\n"
	    "                          stop or restart dispatching from a "
	    "queue\n"
	    "  purge [-y] QUEUE        delete every task of a queue (asks "
	    "first)\n"
	    "  enqueue --url URL [--queue Q] [--method M] "
	    "[--header 'Name: value']...\n"
	    "          [--body DATA] [--delay SECONDS]\n"
	    "  enqueue -               enqueue the JSON request read from "
	    "standard input\n"
	    "options:\n"
	    "  -c, --config FILE   find the server in the daemon's "
	    "configuration FILE\n"
	    "                      (default: %s)\n"
	    "  -h, --help          print this help and exit\n"
	    "      --json          print the API's JSON answer\n"
	    "  -s, --server URL    the daemon's API (default: TDCTL_SERVER, "
	    "else from -c,\n"
	    "                      else %s)\n"
	    "  -t, --token TOKEN   bearer token (default: TDCTL_TOKEN, else the\n"
	    "                      configuration's first API token)\n"
	    "  -V, --version       print the version and exit\n"
	    "  -y, --yes           purge without asking\n"
	    "exit status: 0 ok, 1 the API answered an error, 2 the daemon "
	    "cannot be reached,\n"
	    "64 bad usage\n", TD_CONF_DEFAULT, SERVER_DEFAULT);
}

static int
state_valid(const char *s)
{
	int	i;

	for (i = 0; states[i] != NULL; i++)
		if (strcmp(states[i], s) == 0)
			return 1;
	return 0;
}

/*
 * -s, then TDCTL_SERVER, then the daemon's configuration.  A bare
 * "host:port" means http, and ":port" the loopback, as in listen.
 */
static int
server_resolve(const struct opts *o, char *base, size_t len)
{
	const char	*s = o->server;
	size_t		 n;

	if (s == NULL || s[0] == '\0')
		s = getenv("TDCTL_SERVER");
	if (s == NULL || s[0] == '\0')
		return server_from_conf(o, base, len);
	if (strstr(s, "://") == NULL)
		n = (size_t)snprintf(base, len, "http://%s%s",
		    s[0] == ':' ? "127.0.0.1" : "", s);
	else if (strncasecmp(s, "http://", 7) == 0 ||
	    strncasecmp(s, "https://", 8) == 0)
		n = util_strlcpy(base, s, len);
	else
		return warnu("server '%s': want an http or https URL", s);
	if (n >= len)
		return warnu("server URL too long");
	while (n > 0 && base[n - 1] == '/')
		base[--n] = '\0';
	return 0;
}

/*
 * [server] listen and PORT, as the daemon reads them.  A default file
 * that does not exist means the daemon's defaults; one that is there but
 * cannot be used is worth a warning, not a failure.
 */
static int
server_from_conf(const struct opts *o, char *base, size_t len)
{
	static struct conf	 conf;
	char			 err[1024];
	const char		*host;

	conf_defaults(&conf);
	if (o->conf_given || access(o->conf_path, F_OK) == 0) {
		if (conf_load(&conf, o->conf_path, err, sizeof(err)) == -1) {
			if (o->conf_given) {
				fprintf(stderr, "tdctl: %s\n", err);
				return EX_USAGE;
			}
			fprintf(stderr, "tdctl: %s; using the default "
			    "listen address\n", err);
			conf_defaults(&conf);
		}
	}
	if (conf.napi_tokens > 0)
		util_strlcpy(conf_token, conf.api_tokens[0],
		    sizeof(conf_token));
	explicit_bzero(conf.api_tokens, sizeof(conf.api_tokens));
	if (conf_apply_env(&conf, env_port, err, sizeof(err)) == -1)
		fprintf(stderr, "tdctl: %s; ignored\n", err);
	/* A wildcard address is reached on the loopback. */
	host = conf.listen_host;
	if (strcmp(host, "0.0.0.0") == 0 || host[0] == '\0')
		host = "127.0.0.1";
	else if (strcmp(host, "::") == 0)
		host = "::1";
	if (strchr(host, ':') != NULL)
		snprintf(base, len, "http://[%s]:%d", host, conf.listen_port);
	else
		snprintf(base, len, "http://%s:%d", host, conf.listen_port);
	return 0;
}

/* Only PORT: REDIS_ADDR is none of tdctl's business. */
static const char *
env_port(const char *name)
{
	return strcmp(name, "PORT") == 0 ? getenv(name) : NULL;
}

/*
 * base + prefix + the escaped segment + suffix.  Queue names and task
 * ids are plain, but whatever the operator typed must stay one segment.
 */
static char *
path_join(struct ctx *ctx, const char *prefix, const char *seg,
    const char *suffix)
{
	char	*esc, *out;

	if ((esc = curl_easy_escape(ctx->curl, seg, 0)) == NULL)
		fatalx("out of memory");
	xasprintf(&out, "%s%s%s", prefix, esc, suffix);
	curl_free(esc);
	return out;
}

/* Append "?key=value" or "&key=value", escaped; a NULL value adds nothing. */
static void
query_add(struct ctx *ctx, char **path, const char *key, const char *val)
{
	char	*esc, *old = *path;

	if (val == NULL)
		return;
	if ((esc = curl_easy_escape(ctx->curl, val, 0)) == NULL)
		fatalx("out of memory");
	xasprintf(path, "%s%c%s=%s", old, strchr(old, '?') ? '&' : '?', key,
	    esc);
	curl_free(esc);
	free(old);
}

/*
 * One request.  On a 2xx with a JSON object, *out holds it and 0 is
 * returned; otherwise the reason is printed and the exit status returned.
 */
static int
api_call(struct ctx *ctx, const char *method, const char *path,
    const char *body, struct json_object **out)
{
	struct buf			 reply = { NULL, 0 };
	struct json_tokener		*tok;
	enum json_tokener_error		 jerr;
	long				 status = 0;
	int				 rv;

	*out = NULL;
	if ((rv = api_perform(ctx, method, path, body, &reply, &status)) != 0)
		return rv;
	if (status < 200 || status > 299) {
		rv = api_error(status, &reply);
		free(reply.data);
		return rv;
	}
	tok = json_tokener_new();
	*out = json_tokener_parse_ex(tok, reply.data != NULL ? reply.data :
	    "", (int)reply.len);
	jerr = json_tokener_get_error(tok);
	json_tokener_free(tok);
	free(reply.data);
	if (jerr != json_tokener_success || *out == NULL ||
	    !json_object_is_type(*out, json_type_object)) {
		json_object_put(*out);
		*out = NULL;
		fprintf(stderr, "tdctl: HTTP %ld: the answer is not a JSON "
		    "object\n", status);
		return EXIT_API;
	}
	return 0;
}

/*
 * A command's request, with path (the caller's allocation) freed.  With
 * --json the answer is printed here; -1 means *out holds it for the
 * caller to print as text and put, anything else is the exit status.
 */
static int
api_show(struct ctx *ctx, const char *method, char *path, const char *body,
    struct json_object **out)
{
	int	rv;

	rv = api_call(ctx, method, path, body, out);
	free(path);
	if (rv != 0)
		return rv;
	if (ctx->json)
		return print_json(*out);
	return -1;
}

/*
 * The HTTP exchange: the answer's status and body, or EXIT_UNREACHABLE
 * when there was none.  The token goes only into the Authorization
 * header, never to stderr, and its copy is wiped.
 */
static int
api_perform(struct ctx *ctx, const char *method, const char *path,
    const char *body, struct buf *reply, long *status)
{
	struct curl_slist	*hdrs = NULL;
	char			 errbuf[CURL_ERROR_SIZE], shown[BASE_MAX];
	char			*url, *auth = NULL;
	CURLcode		 cc;
	CURL			*c = ctx->curl;

	xasprintf(&url, "%s%s", ctx->base, path);
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (body != NULL)
		hdrs = curl_slist_append(hdrs,
		    "Content-Type: application/json");
	if (ctx->token != NULL) {
		xasprintf(&auth, "Authorization: Bearer %s", ctx->token);
		hdrs = curl_slist_append(hdrs, auth);
	}
	errbuf[0] = '\0';
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "tdctl/" VERSION);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	/* The daemon is talked to directly: no proxy from the environment. */
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 60000L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, buf_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, reply);
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body != NULL ? body :
		    "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, body != NULL ?
		    (long)strlen(body) : 0L);
	} else if (strcmp(method, "GET") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(hdrs);
	if (auth != NULL) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	free(url);
	if (cc == CURLE_OK)
		return 0;
	tdctl_fmt_url(ctx->base, shown, sizeof(shown));
	fprintf(stderr, "tdctl: cannot reach %s: %s\n", shown,
	    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc));
	free(reply->data);
	reply->data = NULL;
	return EXIT_UNREACHABLE;
}

/* "tdctl: 404 NOT_FOUND: queue "x": no such queue". */
static int
api_error(long status, const struct buf *reply)
{
	struct json_object	*obj, *e, *v;
	const char		*name = NULL, *msg = NULL;
	char			*shown;

	obj = reply->data != NULL ? json_tokener_parse(reply->data) : NULL;
	if (obj != NULL && json_object_object_get_ex(obj, "error", &e)) {
		if (json_object_object_get_ex(e, "status", &v) &&
		    json_object_is_type(v, json_type_string))
			name = json_object_get_string(v);
		if (json_object_object_get_ex(e, "message", &v) &&
		    json_object_is_type(v, json_type_string))
			msg = json_object_get_string(v);
	}
	if (msg != NULL) {
		shown = tdctl_fmt_cell(msg);
		fprintf(stderr, "tdctl: %ld %s: %s\n", status,
		    name != NULL ? name : "ERROR", shown);
		free(shown);
	} else
		fprintf(stderr, "tdctl: %ld: the daemon answered HTTP %ld "
		    "without an error message\n", status, status);
	json_object_put(obj);
	return EXIT_API;
}

static size_t
buf_write(char *p, size_t size, size_t n, void *arg)
{
	struct buf	*b = arg;
	size_t		 len = size * n;

	if (b->len + len > REPLY_MAX)
		return 0;
	b->data = xrealloc(b->data, b->len + len + 1);
	memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return len;
}

static int
print_json(struct json_object *obj)
{
	puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
	return 0;
}

/* Accessors that never fail: a missing field prints as "-". */
static const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL ||
	    json_object_is_type(v, json_type_null))
		return NULL;
	return json_object_get_string(v);
}

static int64_t
jint(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return 0;
	return json_object_get_int64(v);
}

static char *
jintstr(struct json_object *o, const char *key, char *buf, size_t len)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL ||
	    json_object_is_type(v, json_type_null))
		return NULL;
	snprintf(buf, len, "%" PRId64, json_object_get_int64(v));
	return buf;
}

/* "2026-12-02T08:45:09.123Z" shown to the second: "2026-12-02 08:45:09". */
static char *
jtime(struct json_object *o, const char *key, char *buf, size_t len)
{
	const char	*s;
	size_t		 n;

	if ((s = jstr(o, key)) == NULL)
		return NULL;
	n = strcspn(s, ".Z");
	snprintf(buf, len, "%.*s", (int)TD_MIN(n, 19), s);
	if (strlen(buf) > 10 && buf[10] == 'T')
		buf[10] = ' ';
	return buf;
}

/* The array at key, or NULL for none (or something else). */
static struct json_object *
jarray(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

static int
cmd_stats(struct ctx *ctx, struct opts *o, int argc, char **argv)
{
	struct json_object	*obj, *r;
	char			 mem[32];
	const char		*aof;
	int			 rv;

	(void)o, (void)argc, (void)argv;
	if ((rv = api_show(ctx, "GET", xstrdup("/v1/stats"), NULL,
	    &obj)) != -1)
		return rv;
	printf("queues  %" PRId64 "\n\n", jint(obj, "queues"));
	print_counts(obj, "counts", states);
	fputc('\n', stdout);
	print_counts(obj, "totals", totals);
	if (json_object_object_get_ex(obj, "redis", &r)) {
		tdctl_fmt_bytes((uint64_t)jint(r, "used_memory"), mem,
		    sizeof(mem));
		aof = jstr(r, "aof_enabled");
		printf("\nredis %s, used memory %s, aof %s, maxmemory-policy "
		    "%s\n", jstr(r, "version") ? jstr(r, "version") : "-", mem,
		    aof != NULL && strcmp(aof, "true") == 0 ? "on" : "off",
		    jstr(r, "maxmemory_policy") ?
		    jstr(r, "maxmemory_policy") : "-");
	}
	json_object_put(obj);
	return 0;
}

/* One of the "counts" or "totals" objects as a two-column table. */
static void
print_counts(struct json_object *obj, const char *key,
    const char *const *names)
{
	struct tdctl_table	 t;
	struct json_object	*c = NULL;
	char			 n[32];
	int			 i;

	json_object_object_get_ex(obj, key, &c);
	tdctl_fmt_table_init(&t, "lr", strcmp(key, "counts") == 0 ?
	    "STATE" : "TOTAL", strcmp(key, "counts") == 0 ? "TASKS" : "COUNT");
	for (i = 0; names[i] != NULL; i++)
		tdctl_fmt_table_add(&t, names[i],
		    c != NULL ? jintstr(c, names[i], n, sizeof(n)) : NULL);
	tdctl_fmt_table_print(&t, stdout);
	tdctl_fmt_table_free(&t);
}

static int
cmd_queues(struct ctx *ctx, struct opts *o, int argc, char **argv)
{
	struct json_object	*obj;
	char			*path;
	int			 rv;

	(void)o;
	path = argc == 1 ? path_join(ctx, "/v1/queues/", argv[0], "") :
	    xstrdup("/v1/queues");
	if ((rv = api_show(ctx, "GET", path, NULL, &obj)) != -1)
		return rv;
	if (argc == 1) {
		print_queue_rows(obj);
		print_minutes(obj);
	} else
		print_queue_rows(jarray(obj, "queues"));
	json_object_put(obj);
	return 0;
}

/* One queue's last hour, a line a minute, oldest first. */
static void
print_minutes(struct json_object *q)
{
	struct tdctl_table	 t;
	struct json_object	*ms, *x;
	char			 tm[32], p[32], f[32];
	size_t			 i, len;

	if ((ms = jarray(q, "minutes")) == NULL)
		return;
	tdctl_fmt_table_init(&t, "lrr", "MINUTE", "PROCESSED", "FAILED");
	len = json_object_array_length(ms);
	for (i = 0; i < len; i++) {
		x = json_object_array_get_idx(ms, i);
		tdctl_fmt_table_add(&t, jtime(x, "time", tm, sizeof(tm)),
		    jintstr(x, "processed", p, sizeof(p)),
		    jintstr(x, "failed", f, sizeof(f)));
	}
	fputc('\n', stdout);
	tdctl_fmt_table_print(&t, stdout);
	tdctl_fmt_table_free(&t);
}

/* An array of queues, or one queue object, as the queues table. */
static void
print_queue_rows(struct json_object *qs)
{
	struct tdctl_table	 t;
	struct json_object	*q, *c;
	char			 n[9][32], age[32];
	size_t			 i, len;

	tdctl_fmt_table_init(&t, "llrrrrrrrrrr", "QUEUE", "STATE", "WEIGHT",
	    "PENDING", "SCHEDULED", "ACTIVE", "RETRY", "DEAD", "DONE",
	    "OLDEST", "PROC/MIN", "FAIL/MIN");
	len = qs == NULL ? 0 : json_object_is_type(qs, json_type_array) ?
	    json_object_array_length(qs) : 1;
	for (i = 0; i < len; i++) {
		q = json_object_is_type(qs, json_type_array) ?
		    json_object_array_get_idx(qs, i) : qs;
		c = NULL;
		json_object_object_get_ex(q, "counts", &c);
		tdctl_fmt_age((uint64_t)jint(q, "oldest_pending_age_ms"), age,
		    sizeof(age));
		tdctl_fmt_table_add(&t, jstr(q, "name"), jstr(q, "state"),
		    jintstr(q, "weight", n[0], sizeof(n[0])),
		    jintstr(c, "pending", n[1], sizeof(n[1])),
		    jintstr(c, "scheduled", n[2], sizeof(n[2])),
		    jintstr(c, "active", n[3], sizeof(n[3])),
		    jintstr(c, "retry", n[4], sizeof(n[4])),
		    jintstr(c, "dead", n[5], sizeof(n[5])),
		    jintstr(c, "done", n[6], sizeof(n[6])),
		    jint(q, "oldest_pending_age_ms") > 0 ? age : "-",
		    jintstr(q, "processed_per_minute", n[7], sizeof(n[7])),
		    jintstr(q, "failed_per_minute", n[8], sizeof(n[8])));
	}
	tdctl_fmt_table_print(&t, stdout);
	tdctl_fmt_table_free(&t);
}

/* The time a page of tasks in a state is best read by. */
static const char *
tasks_time_key(const char *state)
{
	if (strcmp(state, "scheduled") == 0 || strcmp(state, "retry") == 0)
		return "eta";
	if (strcmp(state, "dead") == 0 || strcmp(state, "done") == 0)
		return "finished";
	return "created";
}

static int
cmd_tasks(struct ctx *ctx, struct opts *o, int argc, char **argv)
{
	struct tdctl_table	 t;
	struct json_object	*obj, *ts, *x;
	const char		*state = o->state ? o->state : "pending";
	const char		*tkey = tasks_time_key(state), *next;
	char			*path, *esc, ts_buf[32], att[32], st[32];
	char			 url[8192], head[16];
	size_t			 i, len;
	int			 rv;

	(void)argc;
	path = path_join(ctx, "/v1/queues/", argv[0], "/tasks");
	query_add(ctx, &path, "state", state);
	query_add(ctx, &path, "page_size", o->limit);
	query_add(ctx, &path, "page_token", o->page_token);
	query_add(ctx, &path, "url", o->url);
	if ((rv = api_show(ctx, "GET", path, NULL, &obj)) != -1)
		return rv;

	snprintf(head, sizeof(head), "%s", tkey);
	for (i = 0; head[i] != '\0'; i++)
		head[i] = (char)(head[i] - 'a' + 'A');
	tdctl_fmt_table_init(&t, "lrrllll", "ID", "ATTEMPTS", "STATUS", head,
	    "METHOD", "URL", "ERROR");
	ts = jarray(obj, "tasks");
	len = ts != NULL ? json_object_array_length(ts) : 0;
	for (i = 0; i < len; i++) {
		x = json_object_array_get_idx(ts, i);
		tdctl_fmt_url(jstr(x, "url") ? jstr(x, "url") : "-", url,
		    sizeof(url));
		tdctl_fmt_table_add(&t, jstr(x, "id"),
		    jintstr(x, "attempts", att, sizeof(att)),
		    jint(x, "last_status") > 0 ?
		    jintstr(x, "last_status", st, sizeof(st)) : NULL,
		    jtime(x, tkey, ts_buf, sizeof(ts_buf)), jstr(x, "method"),
		    url, jstr(x, "last_error"));
	}
	tdctl_fmt_table_print(&t, stdout);
	tdctl_fmt_table_free(&t);
	if ((next = jstr(obj, "next_page_token")) != NULL &&
	    next[0] != '\0') {
		esc = tdctl_fmt_cell(next);
		printf("(more: --page-token %s)\n", esc);
		free(esc);
	}
	json_object_put(obj);
	return 0;
}

/* One "key  value" line, the value made safe for a terminal. */
static void
print_kv(const char *key, const char *val)
{
	char	*v = tdctl_fmt_cell(val != NULL && val[0] != '\0' ? val : "-");

	printf("%-12s %s\n", key, v);
	free(v);
}

static void
print_body(struct json_object *obj)
{
	struct json_object	*v;
	const char		*body = NULL;
	char			 n[64];
	size_t			 len = 0, i;

	/* The length from json-c: a body may hold NUL bytes. */
	if (json_object_object_get_ex(obj, "body", &v) &&
	    json_object_is_type(v, json_type_string)) {
		body = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
	}
	snprintf(n, sizeof(n), "%zu bytes", len);
	print_kv("body", n);
	if (len == 0)
		return;
	/* Text as is, line by line; anything a terminal acts on as '?'. */
	fputs("  ", stdout);
	for (i = 0; i < len && i < 4096; i++) {
		if (body[i] == '\n')
			fputs("\n  ", stdout);
		else if ((unsigned char)body[i] < 0x20 && body[i] != '\t')
			fputc('?', stdout);
		else if (body[i] == 0x7f)
			fputc('?', stdout);
		else
			fputc(body[i], stdout);
	}
	fputs(len > 4096 ? " ...\n" : "\n", stdout);
}

static void
print_history(struct json_object *obj)
{
	struct tdctl_table	 t;
	struct json_object	*h, *x;
	char			 a[32], tm[32], st[32], dur[32];
	size_t			 i, len;

	if ((h = jarray(obj, "history")) == NULL)
		return;
	tdctl_fmt_table_init(&t, "rlrrl", "ATTEMPT", "TIME", "STATUS",
	    "DURATION", "ERROR");
	len = json_object_array_length(h);
	for (i = 0; i < len; i++) {
		x = json_object_array_get_idx(h, i);
		tdctl_fmt_age((uint64_t)jint(x, "duration_ms"), dur,
		    sizeof(dur));
		tdctl_fmt_table_add(&t, jintstr(x, "attempt", a, sizeof(a)),
		    jtime(x, "time", tm, sizeof(tm)),
		    jint(x, "status") > 0 ? jintstr(x, "status", st,
		    sizeof(st)) : NULL, dur, jstr(x, "error"));
	}
	fputc('\n', stdout);
	tdctl_fmt_table_print(&t, stdout);
	tdctl_fmt_table_free(&t);
}

static int
cmd_task(struct ctx *ctx, struct opts *o, int argc, char **argv)
{
	struct json_object	*obj, *h;
	char			*path, buf[8192];
	int			 rv;

	(void)o, (void)argc;
	path = path_join(ctx, "/v1/tasks/", argv[0], "");
	if ((rv = api_show(ctx, "GET", path, NULL, &obj)) != -1)
		return rv;
	print_kv("id", jstr(obj, "id"));
	print_kv("queue", jstr(obj, "queue"));
	print_kv("state", jstr(obj, "state"));
	print_kv("method", jstr(obj, "method"));
	tdctl_fmt_url(jstr(obj, "url") ? jstr(obj, "url") : "-", buf,
	    sizeof(buf));
	print_kv("url", buf);
	print_kv("attempts", jintstr(obj, "attempts", buf, sizeof(buf)));
	print_kv("created", jtime(obj, "created", buf, sizeof(buf)));
	print_kv("eta", jtime(obj, "eta", buf, sizeof(buf)));
	print_kv("finished", jtime(obj, "finished", buf, sizeof(buf)));
	print_kv("last_status", jint(obj, "last_status") > 0 ?
	    jintstr(obj, "last_status", buf, sizeof(buf)) : NULL);
	print_kv("last_error", jstr(obj, "last_error"));
	if (json_object_object_get_ex(obj, "headers", &h) &&
	    json_object_is_type(h, json_type_object)) {
		json_object_object_foreach(h, k, v) {
			snprintf(buf, sizeof(buf), "%s: %s", k,
			    json_object_get_string(v));
			print_kv("header", buf);
		}
	}
	print_body(obj);
	print_history(obj);
	json_object_put(obj);
	return 0;
}

/* POST /v1/queues/{q}/tasks:VERB {"state": S}; prints "VERBed n tasks". */
static int
queue_bulk(struct ctx *ctx, const char *queue, const char *verb,
    const char *state)
{
	struct json_object	*obj, *req;
	char			*path, suffix[32];
	int			 rv;

	snprintf(suffix, sizeof(suffix), "/tasks:%s", verb);
	path = path_join(ctx, "/v1/queues/", queue, suffix);
	req = json_object_new_object();
	json_object_object_add(req, "state", json_object_new_string(state));
	rv = api_show(ctx, "POST", path, json_object_to_json_string(req),
	    &obj);
	json_object_put(req);
	if (rv != -1)
		return rv;
	printf("%s %" PRId64 " %s tasks\n", strcmp(verb, "retry") == 0 ?
	    "retried" : "deleted", jint(obj, strcmp(verb, "retry") == 0 ?
	    "retried" : "deleted"), state);
	json_object_put(obj);
	return 0;
}

static int
cmd_retry(struct ctx *ctx, struct opts *o, int argc, char **argv)
{
	struct json_object	*obj;
	char			*path;
	int			 rv;

	(void)argc;
	if ((o->given & BIT(OPT_ALL_DEAD)) && o->state != NULL)
		return warnu("retry: --all-dead or --state, not both");
	if (o->given & BIT(OPT_ALL_DEAD))
		return queue_bulk(ctx, argv[0], "retry", "dead");
	if (o->state != NULL)
		return queue_bulk(ctx, argv[0], "retry", o->state);
	path = path_join(ctx, "/v1/tasks/", argv[0], ":retry");
	if ((rv = api_show(ctx, "POST", path, NULL, &obj)) != -1)
		return rv;
	printf("%s %s\n", jstr(obj, "task_id") ? jstr(obj, "task_id") :
	    argv[0], jstr(obj, "state") ? jstr(obj, "state") : "-");
	json_object_put(obj);
	return 0;
}

static int
cmd_delete(struct ctx *ctx, struct opts *o, int argc, char **argv)
{
	struct json_object	*obj;
	char			*path;
	int			 rv;

	(void)argc;
	if (o->state != NULL)
		return queue_bulk(ctx, argv[0], "delete", o->state);
	path = path_join(ctx, "/v1/tasks/", argv[0], "");
	if ((rv = api_show(ctx, "DELETE", path, NULL, &obj)) != -1)
		return rv;
	printf("deleted %s\n", argv[0]);
	json_object_put(obj);
	return 0;
}

/* pause and resume: the answer is the queue, shown as its table row. */
static int
cmd_pause(struct ctx *ctx, struct opts *o, int argc, char **argv)
{
	struct json_object	*obj;
	char			*path;
	int			 rv;

	(void)o, (void)argc;
	/* argv[-1] is the command's own name: "pause" or "resume". */
	path = path_join(ctx, "/v1/queues/", argv[0],
	    strcmp(argv[-1], "pause") == 0 ? ":pause" : ":resume");
	if ((rv = api_show(ctx, "POST", path, NULL, &obj)) != -1)
		return rv;
	print_queue_rows(obj);
	json_object_put(obj);
	return 0;
}

/*
 * Purge cannot be undone, so it asks on a terminal; without one (a
 * script, a pipe) it does nothing unless --yes says so, rather than
 * reading an answer from whatever stdin happens to be.
 */
static int
cmd_purge(struct ctx *ctx, struct opts *o, int argc, char **argv)
{
	struct json_object	*obj;
	char			*path, line[64];
	int			 rv;

	(void)argc;
	if (!(o->given & BIT(OPT_YES))) {
		if (!isatty(STDIN_FILENO))
			return warnu("purge: standard input is not a "
			    "terminal; give --yes to purge queue '%s'",
			    argv[0]);
		fprintf(stderr, "Delete every task of queue '%s', in every "
		    "state? [y/N] ", argv[0]);
		if (fgets(line, sizeof(line), stdin) == NULL ||
		    (strcasecmp(line, "y\n") != 0 &&
		    strcasecmp(line, "yes\n") != 0)) {
			fprintf(stderr, "tdctl: purge: not confirmed; "
			    "nothing deleted\n");
			return EXIT_API;
		}
	}
	path = path_join(ctx, "/v1/queues/", argv[0], ":purge");
	if ((rv = api_show(ctx, "POST", path, NULL, &obj)) != -1)
		return rv;
	printf("deleted %" PRId64 " tasks\n", jint(obj, "deleted"));
	json_object_put(obj);
	return 0;
}

static int
cmd_enqueue(struct ctx *ctx, struct opts *o, int argc, char **argv)
{
	struct json_object	*obj;
	char			*seed = NULL;
	int			 rv;

	if (argc == 1) {
		if (strcmp(argv[0], "-") != 0)
			return warnu("enqueue: the only argument it takes is "
			    "'-' (the request on standard input)");
		if (o->given & ENQ_OPTS)
			return warnu("enqueue -: the request comes from "
			    "standard input; give no other options");
		if ((rv = enqueue_from_stdin(&seed)) != 0)
			return rv;
	} else if ((rv = enqueue_from_flags(o, &seed)) != 0)
		return rv;
	rv = api_show(ctx, "POST", xstrdup("/v1/enqueue"), seed, &obj);
	free(seed);
	if (rv != -1)
		return rv;
	printf("%s\n", jstr(obj, "task_id") ? jstr(obj, "task_id") : "-");
	json_object_put(obj);
	return 0;
}

/*
 * The seed request from the flags.  Only what was given goes in, so the
 * daemon's defaults (queue, method, delay) stay the daemon's.
 */
static int
enqueue_from_flags(struct opts *o, char **seed)
{
	struct json_object	*req, *task, *hdrs = NULL;
	const char		*colon, *v;
	char			*name, *end;
	double			 d = 0;
	int			 i;

	if (o->url == NULL)
		return warnu("enqueue: --url is required (or '-' to read the "
		    "request from standard input)");
	if (o->delay != NULL) {
		errno = 0;
		d = strtod(o->delay, &end);
		if (!delay_valid(o->delay) || *end != '\0' || errno != 0)
			return warnu("--delay: want seconds, as in 5 or 1.5, "
			    "got '%s'", o->delay);
	}
	req = json_object_new_object();
	task = json_object_new_object();
	if (o->queue != NULL)
		json_object_object_add(req, "queue",
		    json_object_new_string(o->queue));
	if (o->delay != NULL)
		json_object_object_add(req, "delay",
		    json_object_new_double_s(d, o->delay));
	json_object_object_add(task, "url", json_object_new_string(o->url));
	if (o->method != NULL)
		json_object_object_add(task, "method",
		    json_object_new_string(o->method));
	for (i = 0; i < o->nheaders; i++) {
		if ((colon = strchr(o->headers[i], ':')) == NULL ||
		    colon == o->headers[i]) {
			json_object_put(req);
			json_object_put(task);
			json_object_put(hdrs);
			return warnu("--header: want 'Name: value', got '%s'",
			    o->headers[i]);
		}
		if (hdrs == NULL)
			hdrs = json_object_new_object();
		name = xstrndup(o->headers[i],
		    (size_t)(colon - o->headers[i]));
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		json_object_object_add(hdrs, name, json_object_new_string(v));
		free(name);
	}
	if (hdrs != NULL)
		json_object_object_add(task, "headers", hdrs);
	if (o->body != NULL)
		json_object_object_add(task, "body",
		    json_object_new_string(o->body));
	json_object_object_add(req, "task", task);
	*seed = xstrdup(json_object_to_json_string_ext(req,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(req);
	return 0;
}

/*
 * The text goes into the request as typed (json_object_new_double_s), so
 * it must be a JSON number too: no ".5", "1.", "05", "1e3" or sign.
 */
static int
delay_valid(const char *s)
{
	size_t	n = strspn(s, "0123456789"), m;

	if (n == 0 || (n > 1 && s[0] == '0'))
		return 0;
	if (s[n] == '\0')
		return 1;
	if (s[n] != '.')
		return 0;
	m = strspn(s + n + 1, "0123456789");
	return m > 0 && s[n + 1 + m] == '\0';
}

/* The request as read; checked to be a JSON object, sent unchanged. */
static int
enqueue_from_stdin(char **seed)
{
	struct json_object	*obj;
	struct buf		 b = { NULL, 0 };
	char			 chunk[65536];
	size_t			 n;

	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		if (buf_write(chunk, 1, n, &b) != n) {
			free(b.data);
			return warnu("enqueue -: the request is over %d "
			    "bytes", SEED_MAX);
		}
	if (ferror(stdin)) {
		free(b.data);
		fprintf(stderr, "tdctl: standard input: %s\n",
		    strerror(errno));
		return EX_USAGE;
	}
	obj = b.data != NULL ? json_tokener_parse(b.data) : NULL;
	if (obj == NULL || !json_object_is_type(obj, json_type_object) ||
	    strlen(b.data) != b.len) {
		json_object_put(obj);
		free(b.data);
		return warnu("enqueue -: standard input is not a JSON object");
	}
	json_object_put(obj);
	*seed = b.data;
	return 0;
}
