/*
 * sink.c: the HTTP target of the benchmark (tests/bench/run).  One thread,
 * one epoll loop, HTTP/1.1 keep-alive and pipelining.  Every request that
 * is not a control request is counted and answered "204 No Content",
 * at once or, in slow mode, after a delay; answers on one connection go
 * out in request order even when an earlier one is held.
 *
 * For each counted request it records the arrival time (wall clock, so
 * that it compares with times the client took), and a delivery delay when
 * the request carries a timestamp in ms since the epoch, in a header or in
 * a JSON body:
 *	X-Due-Ms: / "due":	delay = arrival - due (lateness)
 *	X-Enq-Ms: / "enq":	delay = arrival - enq (end to end)
 * "due" wins.  A body with "id":N also logs (N, arrival) for
 * /_sink/log, which is how the driver finds duplicates and redeliveries.
 *
 * Slow mode: "?ms=N" in the request target, an X-Sink-Delay-Ms header, or
 * -d N for every request; the answer leaves N ms after the arrival.
 *
 * Control requests (GET, never counted):
 *	/_sink/count	"<count>\n"
 *	/_sink/stats	JSON: count, answered, held, held_max, accepted
 *			(connections that carried a counted request),
 *			first_ms, last_ms, last_reply_ms, n, min, p50, p90,
 *			p99, max
 *	/_sink/log	"<id> <arrival ms>\n" per logged request
 *	/_sink/reset	clears all of the above
 *
 * Usage: sink [-p port] [-d ms].  Listens on 127.0.0.1 (port 0: any free
 * one); prints "port N" on stdout once listening.
 */
#define _GNU_SOURCE	/* accept4, memmem */

#include <sys/epoll.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define INBUF		65536	/* one request, headers and body, at most */
#define MAXEVENTS	256
#define LOGMAX		4000000	/* delay samples and id log entries kept */

/* An answer waiting for its time or for the one before it. */
struct resp {
	STAILQ_ENTRY(resp)	 entry;
	double			 due;	/* monotonic ms; 0 = now */
	int			 counted; /* a 204 to a counted request */
	size_t			 len;
	char			 data[];
};

STAILQ_HEAD(resps, resp);

struct conn {
	int		 fd;
	unsigned long	 serial;	/* tells a reused fd from its past */
	size_t		 inlen;
	char		 in[INBUF];
	char		*out;		/* bytes not yet written */
	size_t		 outlen, outcap;
	int		 want_out;	/* EPOLLOUT armed */
	int		 counted;	/* carried a counted request */
	struct resps	 held;
};

/* One held answer's time, in a min-heap. */
struct timer {
	double		 due;
	int		 fd;
	unsigned long	 serial;
};

struct logent {
	long long	 id;
	double		 t;
};

static void	 usage(void);
static double	 wall_ms(void);
static double	 mono_ms(void);
static void	*xrealloc(void *, size_t);
static int	 listen_on(int, int *);
static void	 conn_new(int);
static void	 conn_drop(struct conn *);
static int	 conn_read(struct conn *);
static int	 conn_flush(struct conn *);
static void	 conn_arm(struct conn *);
static int	 handle(struct conn *);
static void	 answer(struct conn *, const char *, size_t, double, int);
static void	 release(struct conn *);
static void	 out_append(struct conn *, const char *, size_t);
static void	 ctl_reply(struct conn *, const char *, size_t);
static void	 record(const char *, size_t, const char *, size_t);
static const char *header(const char *, size_t, const char *);
static const char *field(const char *, size_t, const char *);
static double	 hold_ms(const char *, size_t);
static char	*stats_json(size_t *);
static char	*log_text(size_t *);
static int	 dblcmp(const void *, const void *);
static void	 timer_push(double, int, unsigned long);
static void	 timer_pop(void);
static void	 run_timers(void);
static int	 timer_wait(void);

static const char	 R204[] = "HTTP/1.1 204 No Content\r\n\r\n";

static int		 ep;
static struct conn	**conns;	/* by fd */
static size_t		 nconns;
static unsigned long	 serials;
static double		 default_hold;

static long long	 count, answered, held, held_max, accepted;
static double		 first_ms, last_ms, last_reply_ms;
static double		*lat;
static size_t		 nlat, latcap;
static struct logent	*idlog;
static size_t		 nidlog, idlogcap;

static struct timer	*heap;
static size_t		 nheap, heapcap;

static void
usage(void)
{
	fprintf(stderr, "usage: sink [-p port] [-d ms]\n");
	exit(64);
}

static double
wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n)) == NULL) {
		perror("sink: realloc");
		exit(70);
	}
	return p;
}

int
main(int argc, char **argv)
{
	struct epoll_event	 evs[MAXEVENTS], ev;
	struct rlimit		 rl;
	int			 ch, port = 9109, ls, n, i;

	while ((ch = getopt(argc, argv, "p:d:")) != -1) {
		switch (ch) {
		case 'p':
			port = atoi(optarg);
			break;
		case 'd':
			default_hold = atof(optarg);
			break;
		default:
			usage();
		}
	}
	signal(SIGPIPE, SIG_IGN);
	/* The fan-out run holds thousands of connections at once. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		nconns = rl.rlim_cur;
	}
	if (nconns < 1024)
		nconns = 1024;
	if ((conns = calloc(nconns, sizeof(*conns))) == NULL ||
	    (ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		perror("sink");
		return 1;
	}
	if ((ls = listen_on(port, &port)) == -1)
		return 1;
	printf("port %d\n", port);
	fflush(stdout);
	ev.events = EPOLLIN;
	ev.data.fd = -1;
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);

	for (;;) {
		n = epoll_wait(ep, evs, MAXEVENTS, timer_wait());
		if (n == -1 && errno != EINTR) {
			perror("sink: epoll_wait");
			return 1;
		}
		for (i = 0; i < n; i++) {
			struct conn	*c;
			int		 fd;

			if (evs[i].data.fd == -1) {
				while ((fd = accept4(ls, NULL, NULL,
				    SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
					conn_new(fd);
				continue;
			}
			if ((c = conns[evs[i].data.fd]) == NULL)
				continue;
			if ((evs[i].events & EPOLLOUT) &&
			    conn_flush(c) == -1) {
				conn_drop(c);
				continue;
			}
			if ((evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) &&
			    conn_read(c) == -1)
				conn_drop(c);
		}
		run_timers();
	}
}

static int
listen_on(int port, int *bound)
{
	struct sockaddr_in	 a;
	socklen_t		 alen = sizeof(a);
	int			 one = 1, fd;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) == -1 ||
	    listen(fd, 4096) == -1 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) == -1) {
		perror("sink: listen");
		return -1;
	}
	*bound = ntohs(a.sin_port);
	return fd;
}

static void
conn_new(int fd)
{
	struct epoll_event	 ev;
	struct conn		*c;
	int			 one = 1;

	if ((size_t)fd >= nconns || (c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	/* Answers are small and must not wait for Nagle. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd = fd;
	c->serial = ++serials;
	STAILQ_INIT(&c->held);
	conns[fd] = c;
	ev.events = EPOLLIN;
	ev.data.fd = fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static void
conn_drop(struct conn *c)
{
	struct resp	*r;

	/* Held answers die with the connection; heap entries go stale. */
	while ((r = STAILQ_FIRST(&c->held)) != NULL) {
		STAILQ_REMOVE_HEAD(&c->held, entry);
		if (r->counted && r->due > 0)
			held--;
		free(r);
	}
	conns[c->fd] = NULL;
	close(c->fd);
	free(c->out);
	free(c);
}

static int
conn_read(struct conn *c)
{
	ssize_t	 r;

	for (;;) {
		r = read(c->fd, c->in + c->inlen, INBUF - c->inlen);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && errno == EAGAIN)
			return 0;
		if (r <= 0)
			return -1;
		c->inlen += (size_t)r;
		if (handle(c) == -1 || conn_flush(c) == -1)
			return -1;
		if ((size_t)r < INBUF)
			return 0;
	}
}

/* Write what we can; arm EPOLLOUT for the rest.  -1: the peer is gone. */
static int
conn_flush(struct conn *c)
{
	ssize_t	 w;
	size_t	 off = 0;

	while (off < c->outlen) {
		w = write(c->fd, c->out + off, c->outlen - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && errno == EAGAIN)
			break;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	if (off > 0) {
		memmove(c->out, c->out + off, c->outlen - off);
		c->outlen -= off;
	}
	conn_arm(c);
	return 0;
}

static void
conn_arm(struct conn *c)
{
	struct epoll_event	 ev;
	int			 want = c->outlen > 0;

	if (want == c->want_out)
		return;
	c->want_out = want;
	ev.events = EPOLLIN | (want ? EPOLLOUT : 0);
	ev.data.fd = c->fd;
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void
out_append(struct conn *c, const char *p, size_t n)
{
	if (c->outlen + n > c->outcap) {
		c->outcap = (c->outlen + n) * 2;
		c->out = xrealloc(c->out, c->outcap);
	}
	memcpy(c->out + c->outlen, p, n);
	c->outlen += n;
}

/*
 * Queue an answer.  The common case (nothing held before it, no delay)
 * goes straight to the output buffer without an allocation.
 */
static void
answer(struct conn *c, const char *p, size_t n, double hold, int counted)
{
	struct resp	*r;

	if (hold <= 0 && STAILQ_EMPTY(&c->held)) {
		out_append(c, p, n);
		if (counted) {
			answered++;
			last_reply_ms = wall_ms();
		}
		return;
	}
	r = xrealloc(NULL, sizeof(*r) + n);
	r->due = hold > 0 ? mono_ms() + hold : 0;
	r->counted = counted;
	r->len = n;
	memcpy(r->data, p, n);
	STAILQ_INSERT_TAIL(&c->held, r, entry);
	if (r->due > 0) {
		if (counted && ++held > held_max)
			held_max = held;
		timer_push(r->due, c->fd, c->serial);
	}
}

/* Move every answer at the head whose time has come to the output. */
static void
release(struct conn *c)
{
	struct resp	*r;
	double		 now = mono_ms();

	while ((r = STAILQ_FIRST(&c->held)) != NULL && r->due <= now) {
		STAILQ_REMOVE_HEAD(&c->held, entry);
		out_append(c, r->data, r->len);
		if (r->counted) {
			answered++;
			last_reply_ms = wall_ms();
			if (r->due > 0)
				held--;
		}
		free(r);
	}
}

static void
ctl_reply(struct conn *c, const char *body, size_t n)
{
	char	 head[128];
	int	 hn;

	hn = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n", n);
	/* Through answer() so that it keeps its place behind held ones. */
	if (STAILQ_EMPTY(&c->held)) {
		out_append(c, head, (size_t)hn);
		out_append(c, body, n);
	} else {
		char	*both = xrealloc(NULL, (size_t)hn + n);

		memcpy(both, head, (size_t)hn);
		memcpy(both + hn, body, n);
		answer(c, both, (size_t)hn + n, 0, 0);
		free(both);
	}
}

/* Handle every complete request in the input buffer; -1 to close. */
static int
handle(struct conn *c)
{
	char	*end, *body;
	size_t	 hl, cl;
	const char *v;

	while ((end = memmem(c->in, c->inlen, "\r\n\r\n", 4)) != NULL) {
		hl = (size_t)(end - c->in) + 4;
		cl = 0;
		if ((v = header(c->in, hl, "content-length:")) != NULL)
			cl = strtoul(v, NULL, 10);
		else if (header(c->in, hl, "transfer-encoding:") != NULL) {
			/* Chunked: the body ends at the empty last chunk. */
			char	*z = memmem(c->in + hl, c->inlen - hl,
			    "0\r\n\r\n", 5);

			if (z == NULL)
				break;
			cl = (size_t)(z + 5 - (c->in + hl));
		}
		if (hl + cl > INBUF)
			return -1;
		if (c->inlen < hl + cl)
			break;
		body = c->in + hl;
		if (strncmp(c->in, "GET /_sink/", 11) == 0) {
			const char	*what = c->in + 11;
			char		*out = NULL, num[32];
			size_t		 n = 0;

			if (strncmp(what, "count ", 6) == 0) {
				n = (size_t)snprintf(num, sizeof(num), "%lld\n",
				    count);
				ctl_reply(c, num, n);
			} else if (strncmp(what, "stats ", 6) == 0) {
				out = stats_json(&n);
				ctl_reply(c, out, n);
			} else if (strncmp(what, "log ", 4) == 0) {
				out = log_text(&n);
				ctl_reply(c, out, n);
			} else if (strncmp(what, "reset ", 6) == 0) {
				count = answered = held_max = accepted = 0;
				held = 0;
				nlat = nidlog = 0;
				first_ms = last_ms = last_reply_ms = 0;
				ctl_reply(c, "ok\n", 3);
			} else
				ctl_reply(c, "?\n", 2);
			free(out);
		} else {
			/* Control connections are not the dispatcher's. */
			if (!c->counted) {
				c->counted = 1;
				accepted++;
			}
			record(c->in, hl, body, cl);
			answer(c, R204, sizeof(R204) - 1, hold_ms(c->in, hl),
			    1);
		}
		memmove(c->in, c->in + hl + cl, c->inlen - hl - cl);
		c->inlen -= hl + cl;
	}
	return c->inlen >= INBUF ? -1 : 0;
}

/* The delay asked for by the request line or a header, else -d. */
static double
hold_ms(const char *h, size_t hl)
{
	const char	*eol = memchr(h, '\n', hl), *q;

	if (eol != NULL && (q = memmem(h, (size_t)(eol - h), "ms=", 3)) !=
	    NULL && (q[-1] == '?' || q[-1] == '&'))
		return atof(q + 3);
	if ((q = header(h, hl, "x-sink-delay-ms:")) != NULL)
		return atof(q);
	return default_hold;
}

static void
record(const char *h, size_t hl, const char *body, size_t bl)
{
	double		 t = wall_ms();
	const char	*v;

	count++;
	if (first_ms == 0)
		first_ms = t;
	last_ms = t;
	if ((v = field(body, bl, "\"id\":")) != NULL) {
		if (nidlog == idlogcap && idlogcap < LOGMAX) {
			idlogcap = idlogcap ? idlogcap * 2 : 65536;
			idlog = xrealloc(idlog, idlogcap * sizeof(*idlog));
		}
		if (nidlog < idlogcap) {
			idlog[nidlog].id = strtoll(v, NULL, 10);
			idlog[nidlog++].t = t;
		}
	}
	if ((v = header(h, hl, "x-due-ms:")) == NULL &&
	    (v = field(body, bl, "\"due\":")) == NULL &&
	    (v = header(h, hl, "x-enq-ms:")) == NULL &&
	    (v = field(body, bl, "\"enq\":")) == NULL)
		return;
	if (nlat == latcap && latcap < LOGMAX) {
		latcap = latcap ? latcap * 2 : 65536;
		lat = xrealloc(lat, latcap * sizeof(*lat));
	}
	if (nlat < latcap)
		lat[nlat++] = t - strtod(v, NULL);
}

/* The value after "name" at the start of a header line, or NULL. */
static const char *
header(const char *h, size_t hl, const char *name)
{
	size_t		 nl = strlen(name);
	const char	*p = h, *end = h + hl;

	while (p != NULL && p < end) {
		if ((size_t)(end - p) > nl && strncasecmp(p, name, nl) == 0) {
			p += nl;
			while (p < end && *p == ' ')
				p++;
			return p;
		}
		if ((p = memchr(p, '\n', (size_t)(end - p))) != NULL)
			p++;
	}
	return NULL;
}

/* The number after "key" in a body, or NULL.  No JSON parser: speed. */
static const char *
field(const char *b, size_t n, const char *key)
{
	const char	*p;

	if (n == 0 || (p = memmem(b, n, key, strlen(key))) == NULL)
		return NULL;
	return p + strlen(key);
}

static int
dblcmp(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static char *
stats_json(size_t *n)
{
	double	 p50 = 0, p90 = 0, p99 = 0, mn = 0, mx = 0;
	char	*out = xrealloc(NULL, 512);

	if (nlat > 0) {
		qsort(lat, nlat, sizeof(lat[0]), dblcmp);
		mn = lat[0];
		p50 = lat[nlat / 2];
		p90 = lat[(size_t)(nlat * 0.90)];
		p99 = lat[(size_t)(nlat * 0.99)];
		mx = lat[nlat - 1];
	}
	*n = (size_t)snprintf(out, 512, "{\"count\":%lld,\"answered\":%lld,"
	    "\"held\":%lld,\"held_max\":%lld,\"accepted\":%lld,"
	    "\"first_ms\":%.3f,"
	    "\"last_ms\":%.3f,\"last_reply_ms\":%.3f,\"n\":%zu,"
	    "\"min\":%.3f,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,"
	    "\"max\":%.3f}\n", count, answered, held, held_max, accepted,
	    first_ms,
	    last_ms, last_reply_ms, nlat, mn, p50, p90, p99, mx);
	return out;
}

static char *
log_text(size_t *n)
{
	size_t	 cap = nidlog * 48 + 1, i;
	char	*out = xrealloc(NULL, cap);

	*n = 0;
	for (i = 0; i < nidlog; i++)
		*n += (size_t)snprintf(out + *n, cap - *n, "%lld %.3f\n",
		    idlog[i].id, idlog[i].t);
	return out;
}

/*
 * The timer heap.  A dropped connection leaves its entries behind; they
 * are told apart by the serial and skipped when they come up.
 */
static void
timer_push(double due, int fd, unsigned long serial)
{
	size_t		 i;
	struct timer	 t = { due, fd, serial };

	if (nheap == heapcap) {
		heapcap = heapcap ? heapcap * 2 : 1024;
		heap = xrealloc(heap, heapcap * sizeof(*heap));
	}
	for (i = nheap++; i > 0 && heap[(i - 1) / 2].due > due;
	    i = (i - 1) / 2)
		heap[i] = heap[(i - 1) / 2];
	heap[i] = t;
}

static void
timer_pop(void)
{
	struct timer	 last = heap[--nheap];
	size_t		 i = 0, k;

	while ((k = 2 * i + 1) < nheap) {
		if (k + 1 < nheap && heap[k + 1].due < heap[k].due)
			k++;
		if (last.due <= heap[k].due)
			break;
		heap[i] = heap[k];
		i = k;
	}
	heap[i] = last;
}

static void
run_timers(void)
{
	double		 now = mono_ms();
	struct conn	*c;

	while (nheap > 0 && heap[0].due <= now) {
		c = conns[heap[0].fd];
		if (c != NULL && c->serial != heap[0].serial)
			c = NULL;
		timer_pop();
		if (c == NULL)
			continue;
		release(c);
		if (conn_flush(c) == -1)
			conn_drop(c);
	}
}

/* epoll_wait's timeout: until the first held answer is due. */
static int
timer_wait(void)
{
	double	 d;

	if (nheap == 0)
		return -1;
	d = heap[0].due - mono_ms();
	return d <= 0 ? 0 : (int)d + 1;
}
