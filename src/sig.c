/*
 * sig.c: signals as a readable fd.  The signals are blocked and read
 * from a signalfd in the caller's event loop, so no handler ever runs and
 * every signal is handled in loop context.  The mask survives fork, so a
 * new child must undo it (sig_child_reset) before it runs its role.
 */
#include <sys/signalfd.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sig.h"
#include "util.h"

static const struct {
	int		 num;
	const char	*name;
} sig_names[] = {
	{ SIGHUP, "SIGHUP" },	{ SIGINT, "SIGINT" },
	{ SIGQUIT, "SIGQUIT" },	{ SIGILL, "SIGILL" },
	{ SIGTRAP, "SIGTRAP" },	{ SIGABRT, "SIGABRT" },
	{ SIGBUS, "SIGBUS" },	{ SIGFPE, "SIGFPE" },
	{ SIGKILL, "SIGKILL" },	{ SIGUSR1, "SIGUSR1" },
	{ SIGSEGV, "SIGSEGV" },	{ SIGUSR2, "SIGUSR2" },
	{ SIGPIPE, "SIGPIPE" },	{ SIGALRM, "SIGALRM" },
	{ SIGTERM, "SIGTERM" },	{ SIGCHLD, "SIGCHLD" },
	{ SIGCONT, "SIGCONT" },	{ SIGSTOP, "SIGSTOP" },
	{ SIGTSTP, "SIGTSTP" },	{ SIGTTIN, "SIGTTIN" },
	{ SIGTTOU, "SIGTTOU" },	{ SIGURG, "SIGURG" },
	{ SIGXCPU, "SIGXCPU" },	{ SIGXFSZ, "SIGXFSZ" },
	{ SIGVTALRM, "SIGVTALRM" }, { SIGPROF, "SIGPROF" },
	{ SIGWINCH, "SIGWINCH" }, { SIGIO, "SIGIO" },
	{ SIGPWR, "SIGPWR" },	{ SIGSYS, "SIGSYS" },
};

int
sig_open(const int *sigs, int n)
{
	struct sigaction	sa;
	sigset_t		mask;
	int			i, fd;

	sigemptyset(&mask);
	for (i = 0; i < n; i++)
		if (sigaddset(&mask, sigs[i]) == -1)
			return -1;
	/*
	 * Block first: a signal that arrives between the calls then stays
	 * pending and is read from the fd, instead of running the default
	 * action (which for most of these is to die).
	 */
	if (sigprocmask(SIG_BLOCK, &mask, NULL) == -1)
		return -1;
	/*
	 * An ignored signal is discarded, never queued, so a SIG_IGN we
	 * inherited (a shell's background job ignores SIGINT and SIGQUIT,
	 * nohup SIGHUP) would never reach the fd; an ignored SIGCHLD would
	 * even reap our children for us.  Blocked, SIG_DFL never runs.
	 */
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_DFL;
	for (i = 0; i < n; i++)
		if (sigaction(sigs[i], &sa, NULL) == -1)
			return -1;
	if ((fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		return -1;
	return fd;
}

int
sig_read(int fd, int *pid)
{
	struct signalfd_siginfo	si;
	ssize_t			n;

	for (;;) {
		n = read(fd, &si, sizeof(si));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n == -1)
			return -1;
		if ((size_t)n != sizeof(si)) {
			errno = EIO;
			return -1;
		}
		break;
	}
	if (pid != NULL)
		*pid = (int)si.ssi_pid;
	return (int)si.ssi_signo;
}

/*
 * Dispositions other than SIG_IGN are reset by exec, but we do not exec:
 * a child starts with the master's mask and dispositions, so it puts
 * every catchable signal back to its default.  Real-time signals that
 * the C library keeps for itself refuse the change; that is harmless.
 */
void
sig_child_reset(void)
{
	struct sigaction	sa;
	sigset_t		none;
	int			i;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_DFL;
	for (i = 1; i < NSIG; i++) {
		if (i == SIGKILL || i == SIGSTOP)
			continue;
		(void)sigaction(i, &sa, NULL);
	}
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

const char *
sig_name(int sig)
{
	static char	buf[32];
	size_t		i;

	for (i = 0; i < TD_NELEM(sig_names); i++)
		if (sig_names[i].num == sig)
			return sig_names[i].name;
	if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, sizeof(buf), "SIGRTMIN+%d", sig - SIGRTMIN);
	else
		snprintf(buf, sizeof(buf), "signal %d", sig);
	return buf;
}
