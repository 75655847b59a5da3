/*
 * ctl.h: the master <-> child channel, one SOCK_SEQPACKET socketpair per
 * child carrying fixed-size messages.  EOF on the child's end means the
 * master is gone: the child then quits as if told to.
 */
#ifndef TD_CTL_H
#define TD_CTL_H

#include <stdint.h>

enum ctl_type {
	CTL_READY = 1,		/* child -> master: up and serving */
	CTL_QUIT = 2		/* master -> child: finish and exit 0 */
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

#endif
