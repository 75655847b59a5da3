/*
 * ctl.h: the master <-> child channel, one SOCK_SEQPACKET socketpair per
 * child carrying fixed-size messages.  EOF on the child's end means the
 * master is gone: the child then quits as if told to.
 */
#ifndef TD_CTL_H
#define TD_CTL_H

#include <stdint.h>

enum ctl_type {
	CTL_READY = 1,		/* child -> master: up and serving; arg: its
				 * Redis link is up (1) or not (0) */
	CTL_QUIT = 2,		/* master -> child: finish and exit 0 */
	CTL_REDIS = 3		/* child -> master: its Redis link went up (arg
				 * 1) or down (arg 0) since */
};

struct ctl_msg {
	uint32_t	type;
	uint32_t	gen;
	uint64_t	arg;
};

/* Create the pair: fds[0] for the master, fds[1] for the child. */
int	ctl_pair(int fds[2]);
int	ctl_send(int fd, enum ctl_type, uint32_t gen, uint64_t arg);
/* 1: a message in *m; 0: EOF; -1: nothing to read (EAGAIN) or error. */
int	ctl_recv(int fd, struct ctl_msg *m);

/*
 * A child's side, shared by every role: watch ctl_fd and SIGTERM on the
 * loop and call quit(arg, why) on CTL_QUIT, on EOF (the master is gone)
 * and on SIGTERM (also the PDEATHSIG).  One watch per process.  Returns
 * the signalfd, for the caller to close at exit; fatal on failure.
 */
struct evloop;
typedef void ctl_quit_fn(void *arg, const char *why);
int	ctl_watch(struct evloop *, int ctl_fd, ctl_quit_fn *, void *arg);

/*
 * A child's readiness, shared by every role.  CTL_READY goes to the
 * master once the child's Redis link is up (ctl_redis_state(1)), or once
 * wait_ms have passed without it: a node whose Redis is down must still
 * answer 503 rather than nothing.  ready(arg) is called at that moment
 * (the listener starts accepting then).  Every later change of the link
 * is sent as CTL_REDIS, for the master's health view.  One per process.
 */
typedef void ctl_ready_fn(void *arg);
void	ctl_ready_wait(struct evloop *, int ctl_fd, uint32_t gen,
	    uint64_t wait_ms, ctl_ready_fn *, void *arg);
/* The role's Redis link is up (1) or down (0); may come before the wait. */
void	ctl_redis_state(int up);
/* How long a child waits for Redis before it says READY anyway. */
#define CTL_READY_WAIT_MS(conf) \
	((conf)->redis_timeout_ms > 0 ? (conf)->redis_timeout_ms : 5000)

#endif
