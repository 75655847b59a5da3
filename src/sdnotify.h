/*
 * sdnotify.h: the systemd notify protocol without libsystemd.  The master
 * reads $NOTIFY_SOCKET (a path, or '@' for the abstract namespace) and
 * $WATCHDOG_USEC/$WATCHDOG_PID once, removes them from its environment so
 * that no child ever speaks for the unit, and sends datagrams such as
 * "READY=1", "RELOADING=1\nMONOTONIC_USEC=...", "STOPPING=1", "STATUS=..."
 * and "WATCHDOG=1" on one socket of its own.  Without $NOTIFY_SOCKET
 * every call is a no-op, so the daemon runs the same under a terminal.
 */
#ifndef TD_SDNOTIFY_H
#define TD_SDNOTIFY_H

#include <stdint.h>
#include <sys/types.h>

/*
 * Read and unset the variables; open the socket (SOCK_CLOEXEC).  Returns
 * 0, or -1 with errno set when $NOTIFY_SOCKET is set but unusable (the
 * daemon then runs on without notifying).
 */
int		 sdnotify_init(void);
/* Release the socket. */
void		 sdnotify_close(void);
/* A socket to send to. */
int		 sdnotify_enabled(void);
/*
 * The watchdog interval systemd asked for in µs, or 0: none asked, or
 * asked of another process ($WATCHDOG_PID is not ours).
 */
uint64_t	 sdnotify_watchdog_usec(void);
/* Send one datagram: "KEY=value" lines separated by newlines. */
int		 sdnotify_send(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
/* RELOADING=1 with MONOTONIC_USEC= now, as Type=notify-reload wants. */
int		 sdnotify_reloading(void);

/*
 * Pure: parse $WATCHDOG_USEC and $WATCHDOG_PID (either may be NULL) for
 * process self.  Returns the interval in µs, 0 when there is none for us.
 */
uint64_t	 sdnotify_watchdog_parse(const char *usec, const char *pid,
		    pid_t self);

#endif
