/*
 * evloop.h: a thin epoll loop with millisecond timers, shared by the
 * listener, the workers, the scheduler and the master.  One callback per
 * fd; timers are one-shot and cancellable by id.  Everything a process
 * does happens in a callback of its loop.
 */
#ifndef TD_EVLOOP_H
#define TD_EVLOOP_H

#include <stdint.h>

#define EV_READ		0x1
#define EV_WRITE	0x2
#define EV_ERROR	0x4	/* EPOLLERR/EPOLLHUP: also reported as READ */

struct evloop;

typedef void ev_fd_cb(struct evloop *, int fd, int events, void *arg);
typedef void ev_timer_cb(struct evloop *, void *arg);

struct evloop	*evloop_new(void);
void		 evloop_free(struct evloop *);

/*
 * Watch fd for events (EV_READ|EV_WRITE); events 0 keeps the fd registered
 * but silent.  Calling again replaces the mask, callback and arg.
 */
int		 evloop_fd_set(struct evloop *, int fd, int events, ev_fd_cb *,
		    void *arg);
void		 evloop_fd_del(struct evloop *, int fd);

/* One-shot timer after delay_ms; returns an id > 0. */
uint64_t	 evloop_timer_add(struct evloop *, uint64_t delay_ms,
		    ev_timer_cb *, void *arg);
/* Cancel; an id that already fired or is 0 is ignored. */
void		 evloop_timer_del(struct evloop *, uint64_t id);

/* Run until evloop_stop(); returns 0, or -1 if epoll_wait failed. */
int		 evloop_run(struct evloop *);
void		 evloop_stop(struct evloop *);
/* Monotonic ms, refreshed each loop pass. */
uint64_t	 evloop_now(struct evloop *);

#endif
