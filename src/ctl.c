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
#include <string.h>
#include <unistd.h>

#include "ctl.h"

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
