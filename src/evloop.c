/*
 * evloop.c: epoll plus a binary heap of one-shot timers.  A table indexed
 * by fd holds each fd's callback; its generation number travels in the
 * epoll event so that an fd closed and reused inside one batch of events
 * is never handed the old owner's events.
 */
#include <sys/epoll.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evloop.h"
#include "log.h"
#include "util.h"

struct ev_fd {
	ev_fd_cb	*cb;
	void		*arg;
	int		 events;
	uint32_t	 gen;
	int		 used;
};

struct ev_timer {
	uint64_t		 id;
	uint64_t		 when;
	size_t			 idx;	/* position in the heap */
	ev_timer_cb		*cb;
	void			*arg;
	struct ev_timer		*hnext;	/* id hash chain */
};

#define TIMER_BUCKETS	1024

struct evloop {
	int			 epfd;
	int			 stop;
	uint64_t		 now;
	struct ev_fd		*fds;
	size_t			 nfds;
	struct ev_timer		**heap;
	size_t			 nheap;
	size_t			 capheap;
	uint64_t		 next_id;
	struct ev_timer		*byid[TIMER_BUCKETS];
};

static void	heap_swap(struct evloop *, size_t, size_t);
static void	heap_up(struct evloop *, size_t);
static void	heap_down(struct evloop *, size_t);
static void	heap_remove(struct evloop *, struct ev_timer *);
static void	byid_unlink(struct evloop *, struct ev_timer *);
static int	run_timers(struct evloop *);

struct evloop *
evloop_new(void)
{
	struct evloop	*ev = xcalloc(1, sizeof(*ev));

	if ((ev->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	ev->now = util_mono_ms();
	ev->next_id = 1;
	return ev;
}

void
evloop_free(struct evloop *ev)
{
	size_t	i;

	if (ev == NULL)
		return;
	for (i = 0; i < ev->nheap; i++)
		free(ev->heap[i]);
	free(ev->heap);
	free(ev->fds);
	close(ev->epfd);
	free(ev);
}

int
evloop_fd_set(struct evloop *ev, int fd, int events, ev_fd_cb *cb, void *arg)
{
	struct epoll_event	 ee;
	struct ev_fd		*f;
	int			 op;

	if (fd < 0)
		return -1;
	if ((size_t)fd >= ev->nfds) {
		size_t	n = ev->nfds ? ev->nfds : 64;

		while (n <= (size_t)fd)
			n *= 2;
		ev->fds = xrealloc(ev->fds, n * sizeof(*ev->fds));
		memset(ev->fds + ev->nfds, 0, (n - ev->nfds) * sizeof(*ev->fds));
		ev->nfds = n;
	}
	f = &ev->fds[fd];
	op = f->used ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (!f->used)
		f->gen++;
	memset(&ee, 0, sizeof(ee));
	ee.events = ((events & EV_READ) ? EPOLLIN | EPOLLRDHUP : 0) |
	    ((events & EV_WRITE) ? EPOLLOUT : 0);
	ee.data.u64 = (uint64_t)(unsigned)fd | ((uint64_t)f->gen << 32);
	if (epoll_ctl(ev->epfd, op, fd, &ee) == -1)
		return -1;
	f->used = 1;
	f->cb = cb;
	f->arg = arg;
	f->events = events;
	return 0;
}

void
evloop_fd_del(struct evloop *ev, int fd)
{
	if (fd < 0 || (size_t)fd >= ev->nfds || !ev->fds[fd].used)
		return;
	/* The fd may be closed already; the kernel then dropped it. */
	(void)epoll_ctl(ev->epfd, EPOLL_CTL_DEL, fd, NULL);
	ev->fds[fd].used = 0;
	ev->fds[fd].cb = NULL;
	ev->fds[fd].arg = NULL;
}

uint64_t
evloop_timer_add(struct evloop *ev, uint64_t delay_ms, ev_timer_cb *cb,
    void *arg)
{
	struct ev_timer	*t = xcalloc(1, sizeof(*t));
	size_t		 b;

	t->id = ev->next_id++;
	t->when = util_mono_ms() + delay_ms;
	t->cb = cb;
	t->arg = arg;
	if (ev->nheap == ev->capheap) {
		ev->capheap = ev->capheap ? ev->capheap * 2 : 64;
		ev->heap = xrealloc(ev->heap, ev->capheap * sizeof(*ev->heap));
	}
	t->idx = ev->nheap;
	ev->heap[ev->nheap++] = t;
	heap_up(ev, t->idx);
	b = t->id % TIMER_BUCKETS;
	t->hnext = ev->byid[b];
	ev->byid[b] = t;
	return t->id;
}

void
evloop_timer_del(struct evloop *ev, uint64_t id)
{
	struct ev_timer	*t;

	if (id == 0)
		return;
	for (t = ev->byid[id % TIMER_BUCKETS]; t != NULL; t = t->hnext)
		if (t->id == id)
			break;
	if (t == NULL)
		return;
	byid_unlink(ev, t);
	heap_remove(ev, t);
	free(t);
}

void
evloop_stop(struct evloop *ev)
{
	ev->stop = 1;
}

uint64_t
evloop_now(struct evloop *ev)
{
	return ev->now;
}

int
evloop_run(struct evloop *ev)
{
	struct epoll_event	 evs[128];
	struct ev_fd		*f;
	int			 i, n, timeout, fd, events;
	uint32_t		 gen;

	ev->stop = 0;
	while (!ev->stop) {
		ev->now = util_mono_ms();
		timeout = run_timers(ev);
		if (ev->stop)
			break;
		n = epoll_wait(ev->epfd, evs, TD_NELEM(evs), timeout);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_warn("epoll_wait");
			return -1;
		}
		ev->now = util_mono_ms();
		for (i = 0; i < n && !ev->stop; i++) {
			fd = (int)(evs[i].data.u64 & 0xffffffffu);
			gen = (uint32_t)(evs[i].data.u64 >> 32);
			if ((size_t)fd >= ev->nfds)
				continue;
			f = &ev->fds[fd];
			if (!f->used || f->gen != gen || f->cb == NULL)
				continue;
			events = 0;
			if (evs[i].events & (EPOLLIN | EPOLLRDHUP))
				events |= EV_READ;
			if (evs[i].events & EPOLLOUT)
				events |= EV_WRITE;
			if (evs[i].events & (EPOLLERR | EPOLLHUP))
				events |= EV_ERROR | (f->events & EV_READ ?
				    EV_READ : EV_WRITE);
			f->cb(ev, fd, events, f->arg);
		}
	}
	return 0;
}

/* Fire what is due; return the epoll timeout until the next one. */
static int
run_timers(struct evloop *ev)
{
	struct ev_timer	*t;
	uint64_t	 now;

	for (;;) {
		if (ev->nheap == 0)
			return -1;
		now = util_mono_ms();
		t = ev->heap[0];
		if (t->when > now) {
			uint64_t	d = t->when - now;

			return d > 60000 ? 60000 : (int)d;
		}
		byid_unlink(ev, t);
		heap_remove(ev, t);
		ev->now = now;
		t->cb(ev, t->arg);
		free(t);
		if (ev->stop)
			return 0;
	}
}

static void
byid_unlink(struct evloop *ev, struct ev_timer *t)
{
	struct ev_timer	**pp;

	for (pp = &ev->byid[t->id % TIMER_BUCKETS]; *pp != NULL;
	    pp = &(*pp)->hnext)
		if (*pp == t) {
			*pp = t->hnext;
			return;
		}
}

static void
heap_swap(struct evloop *ev, size_t a, size_t b)
{
	struct ev_timer	*t = ev->heap[a];

	ev->heap[a] = ev->heap[b];
	ev->heap[b] = t;
	ev->heap[a]->idx = a;
	ev->heap[b]->idx = b;
}

static int
earlier(const struct ev_timer *a, const struct ev_timer *b)
{
	return a->when < b->when || (a->when == b->when && a->id < b->id);
}

static void
heap_up(struct evloop *ev, size_t i)
{
	while (i > 0 && earlier(ev->heap[i], ev->heap[(i - 1) / 2])) {
		heap_swap(ev, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
heap_down(struct evloop *ev, size_t i)
{
	size_t	l, r, m;

	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		m = i;
		if (l < ev->nheap && earlier(ev->heap[l], ev->heap[m]))
			m = l;
		if (r < ev->nheap && earlier(ev->heap[r], ev->heap[m]))
			m = r;
		if (m == i)
			return;
		heap_swap(ev, i, m);
		i = m;
	}
}

static void
heap_remove(struct evloop *ev, struct ev_timer *t)
{
	size_t	i = t->idx;

	ev->nheap--;
	if (i == ev->nheap)
		return;
	ev->heap[i] = ev->heap[ev->nheap];
	ev->heap[i]->idx = i;
	heap_down(ev, i);
	heap_up(ev, i);
}
