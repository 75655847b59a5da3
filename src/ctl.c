/*
 * ctl.c: the master <-> child channel.  SOCK_SEQPACKET keeps message
 * boundaries and reports the peer's close as EOF, so one fixed-size
 * struct per send is one message per receive, and a child learns that
 * its master is gone without polling.  Both calls are non-blocking on
 * either end: the master must never wait on a child, and a child reads
 * its end from its event loop.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "evloop.h"
#include "log.h"
#include "sig.h"

static void	watch_ctl(struct evloop *, int, int, void *);
static void	watch_sig(struct evloop *, int, int, void *);
static void	ready_send(int);
static void	on_ready_timeout(struct evloop *, void *);

/* The one watch of this process (see ctl_watch). */
static struct {
	ctl_quit_fn	*quit;
	void		*arg;
} watch;

/* The readiness of this process (see ctl_ready_wait). */
static struct {
	struct evloop	*ev;
	ctl_ready_fn	*cb;
	void		*arg;
	int		 fd;		/* -1 until ctl_ready_wait */
	uint32_t	 gen;
	uint64_t	 wait_ms;
	uint64_t	 timer;
	int		 sent;		/* CTL_READY is out */
	int		 up;		/* last link state seen */
	int		 told;		/* last link state sent */
} ready = { .fd = -1 };

int
ctl_pair(int fds[2])
{
	int	flags, saved;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) == -1)
		return -1;
	if ((flags = fcntl(fds[0], F_GETFL)) == -1 ||
	    fcntl(fds[0], F_SETFL, flags | O_NONBLOCK) == -1) {
		saved = errno;
		close(fds[0]);
		close(fds[1]);
		errno = saved;
		return -1;
	}
	return 0;
}

int
ctl_send(int fd, enum ctl_type type, uint32_t gen, uint64_t arg)
{
	struct ctl_msg	m;
	ssize_t		n;

	memset(&m, 0, sizeof(m));
	m.type = (uint32_t)type;
	m.gen = gen;
	m.arg = arg;
	/* MSG_NOSIGNAL: a peer that died must be an EPIPE, not a SIGPIPE. */
	do {
		n = send(fd, &m, sizeof(m), MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if ((size_t)n != sizeof(m)) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

int
ctl_recv(int fd, struct ctl_msg *m)
{
	ssize_t	n;

	do {
		n = recv(fd, m, sizeof(*m), MSG_DONTWAIT);
	} while (n == -1 && errno == EINTR);
	if (n == 0)
		return 0;
	/* A peer that closed with our data unread resets: gone all the same. */
	if (n == -1 && errno == ECONNRESET)
		return 0;
	if (n == -1)
		return -1;
	if ((size_t)n != sizeof(*m)) {
		errno = EBADMSG;
		return -1;
	}
	return 1;
}

int
ctl_watch(struct evloop *ev, int ctl_fd, ctl_quit_fn *quit, void *arg)
{
	int	sigfd;

	watch.quit = quit;
	watch.arg = arg;
	if ((sigfd = sig_open((int[]){ SIGTERM }, 1)) == -1)
		fatal("sig_open");
	if (evloop_fd_set(ev, ctl_fd, EV_READ, watch_ctl, NULL) == -1 ||
	    evloop_fd_set(ev, sigfd, EV_READ, watch_sig, NULL) == -1)
		fatal("watch ctl and signal fds");
	return sigfd;
}

static void
watch_ctl(struct evloop *ev, int fd, int events, void *arg)
{
	struct ctl_msg	m;
	int		n;

	(void)events;
	(void)arg;
	while ((n = ctl_recv(fd, &m)) == 1)
		if (m.type == CTL_QUIT)
			watch.quit(watch.arg, "told to by the master");
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;
	if (n == -1 && errno == EBADMSG) {
		log_warnx("ctl: malformed message ignored");
		return;
	}
	if (n == -1)
		log_warn("ctl: recv");
	evloop_fd_del(ev, fd);
	watch.quit(watch.arg, "master gone");
}

static void
watch_sig(struct evloop *ev, int fd, int events, void *arg)
{
	int	sig;

	(void)events;
	(void)arg;
	while ((sig = sig_read(fd, NULL)) > 0)
		if (sig == SIGTERM)
			watch.quit(watch.arg, "SIGTERM");
	if (sig == -1) {
		log_warn("signal fd");
		evloop_fd_del(ev, fd);
	}
}

void
ctl_ready_wait(struct evloop *ev, int ctl_fd, uint32_t gen, uint64_t wait_ms,
    ctl_ready_fn *cb, void *arg)
{
	ready.ev = ev;
	ready.fd = ctl_fd;
	ready.gen = gen;
	ready.wait_ms = wait_ms;
	ready.cb = cb;
	ready.arg = arg;
	if (ready.up) {
		ready_send(1);
		return;
	}
	ready.timer = evloop_timer_add(ev, wait_ms, on_ready_timeout, NULL);
}

void
ctl_redis_state(int up)
{
	ready.up = up != 0;
	if (ready.fd == -1)
		return;			/* before ctl_ready_wait: it looks */
	if (!ready.sent) {
		if (ready.up)
			ready_send(1);
		return;
	}
	if (ready.up == ready.told)
		return;
	if (ctl_send(ready.fd, CTL_REDIS, ready.gen, (uint64_t)ready.up) == -1)
		log_warn("ctl: send REDIS");
	else
		ready.told = ready.up;
}

/*
 * READY goes out once.  The role's callback runs after the send, so that
 * a listener accepting its first connection is already counted by the
 * master.
 */
static void
ready_send(int up)
{
	evloop_timer_del(ready.ev, ready.timer);
	ready.timer = 0;
	ready.sent = 1;
	ready.told = up;
	if (ctl_send(ready.fd, CTL_READY, ready.gen, (uint64_t)up) == -1)
		log_warn("ctl: send READY");
	if (ready.cb != NULL)
		ready.cb(ready.arg);
}

static void
on_ready_timeout(struct evloop *ev, void *arg)
{
	(void)ev;
	(void)arg;
	ready.timer = 0;
	if (ready.sent)
		return;
	log_warnx("redis not up after %llu ms; ready without it (requests "
	    "get 503 until it is)", (unsigned long long)ready.wait_ms);
	ready_send(ready.up);
}
