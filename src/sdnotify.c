/*
 * sdnotify.c: sd_notify(3) for the master, in the few lines the protocol
 * needs rather than a dependency on libsystemd.  One unconnected
 * SOCK_DGRAM socket, opened once; each message is one sendto() to the
 * address from $NOTIFY_SOCKET.
 *
 * The variables are unset as soon as they are read.  The children are
 * forked, not exec'd, and close every fd they do not own (proc.c), but a
 * child that saw $NOTIFY_SOCKET could still be tempted to use it, and
 * with NotifyAccess=main systemd would drop (and log) its messages
 * anyway.  Only the master speaks for the unit.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sdnotify.h"

#define MSG_MAX		4096

static struct {
	int			fd;
	struct sockaddr_un	sun;
	socklen_t		sunlen;
	uint64_t		watchdog_usec;
	const char		*unset[3];	/* see env_unset */
} sd = { .fd = -1 };

static void	env_unset(void);

int
sdnotify_init(void)
{
	const char	*path;
	size_t		 len;

	sd.watchdog_usec = sdnotify_watchdog_parse(getenv("WATCHDOG_USEC"),
	    getenv("WATCHDOG_PID"), getpid());
	path = getenv("NOTIFY_SOCKET");
	if (path == NULL || path[0] == '\0') {
		sd.watchdog_usec = 0;
		env_unset();
		return 0;
	}
	memset(&sd.sun, 0, sizeof(sd.sun));
	sd.sun.sun_family = AF_UNIX;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') ||
	    len >= sizeof(sd.sun.sun_path)) {
		log_warnx("NOTIFY_SOCKET: not a socket path; not notifying");
		sd.watchdog_usec = 0;
		errno = EINVAL;
		goto out;
	}
	memcpy(sd.sun.sun_path, path, len);
	/* '@' stands for the leading NUL of an abstract address, whose
	 * length is exact (no terminating NUL counts). */
	if (path[0] == '@')
		sd.sun.sun_path[0] = '\0';
	sd.sunlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
	    (path[0] == '@' ? 0 : 1));
	sd.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sd.fd == -1) {
		log_warn("NOTIFY_SOCKET: socket");
		sd.watchdog_usec = 0;
	}
out:
	env_unset();
	return sd.fd == -1 ? -1 : 0;
}

/*
 * util_title_init() moved the environment to the heap, so an entry that
 * unsetenv() drops would be a leak to the sanitizers: a few bytes for the
 * life of the process, kept referenced here instead.
 */
static void
env_unset(void)
{
	static const char	*names[] = {
		"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"
	};
	const char		*v;
	size_t			 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((v = getenv(names[i])) == NULL)
			continue;
		sd.unset[i] = v - strlen(names[i]) - 1;
		unsetenv(names[i]);
	}
}

void
sdnotify_close(void)
{
	if (sd.fd != -1)
		close(sd.fd);
	sd.fd = -1;
}

int
sdnotify_enabled(void)
{
	return sd.fd != -1;
}

uint64_t
sdnotify_watchdog_usec(void)
{
	return sd.watchdog_usec;
}

int
sdnotify_send(const char *fmt, ...)
{
	char	msg[MSG_MAX];
	va_list	ap;
	ssize_t	n;
	int	len;

	if (sd.fd == -1)
		return 0;
	va_start(ap, fmt);
	len = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (len < 0)
		return -1;
	if ((size_t)len >= sizeof(msg))
		len = sizeof(msg) - 1;
	/* A datagram socket never blocks long; a full queue on systemd's
	 * side is its problem, not a reason to stall the master. */
	do {
		n = sendto(sd.fd, msg, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT,
		    (struct sockaddr *)&sd.sun, sd.sunlen);
	} while (n == -1 && errno == EINTR);
	if (n == -1) {
		log_debug("sd_notify: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
sdnotify_reloading(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return -1;
	return sdnotify_send("RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL);
}

uint64_t
sdnotify_watchdog_parse(const char *usec, const char *pid, pid_t self)
{
	unsigned long long	v, p;
	char			*end;

	if (usec == NULL || usec[0] < '0' || usec[0] > '9')
		return 0;
	errno = 0;
	v = strtoull(usec, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0)
		return 0;
	/* Set by systemd for the main pid; inherited by anyone else. */
	if (pid != NULL && pid[0] != '\0') {
		if (pid[0] < '0' || pid[0] > '9')
			return 0;
		errno = 0;
		p = strtoull(pid, &end, 10);
		if (errno != 0 || *end != '\0' || p != (unsigned long long)self)
			return 0;
	}
	return v;
}
