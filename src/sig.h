/*
 * sig.h: signals as a readable fd (signalfd).  The listed signals are
 * blocked and delivered through the fd in the caller's event loop, so no
 * handler ever runs.
 */
#ifndef TD_SIG_H
#define TD_SIG_H

/* Block sigs[0..n-1] and return a non-blocking signalfd for them. */
int	 sig_open(const int *sigs, int n);
/* Read one pending signal: its number, 0 when none is pending, -1 on
 * error.  pid gets the sender (for logs) when not NULL. */
int	 sig_read(int fd, int *pid);
/* In a new child: unblock everything and restore default dispositions,
 * then ignore SIGPIPE. */
void	 sig_child_reset(void);
const char *sig_name(int);

#endif
