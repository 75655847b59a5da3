/*
 * proc.c: spawning a role.  We fork and call the role's main function
 * instead of exec'ing (nginx does the same), so the child starts with the
 * master's whole state: its signal mask and dispositions, every fd it had
 * open, its title.  proc_spawn undoes all of that before the role runs,
 * so that each role starts from the same clean, explicit contract.
 *
 * Started as root with [server] user or group set, every child gives up
 * root first thing after the fork: the master keeps it only to bind a new
 * listening address on reload, and no child ever needs it.
 */
#include <sys/prctl.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ctl.h"
#include "dash.h"
#include "dispatch.h"
#include "log.h"
#include "proc.h"
#include "stats.h"
#include "sig.h"
#include "util.h"

static void	child_init(struct proc_env *, pid_t);
static void	drop_privileges(const struct conf *);
static void	close_fds_except(const int *, int);
static void	close_fds_walk(const int *, int);
static int	role_main(struct proc_env *);

const char *
proc_role_name(enum role role)
{
	switch (role) {
	case ROLE_MASTER:
		return "master";
	case ROLE_LISTENER:
		return "listener";
	case ROLE_WORKER:
		return "worker";
	case ROLE_SCHEDULER:
		return "scheduler";
	}
	return "unknown";
}

pid_t
proc_spawn(struct proc_env *env, int *ctl_fd)
{
	pid_t	master, pid;
	int	fds[2], saved;

	/* Read before the fork: the child compares it with getppid(). */
	master = getpid();
	if (ctl_pair(fds) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		saved = errno;
		close(fds[0]);
		close(fds[1]);
		errno = saved;
		return -1;
	}
	if (pid > 0) {
		close(fds[1]);
		*ctl_fd = fds[0];
		return pid;
	}

	close(fds[0]);
	env->ctl_fd = fds[1];
	if (env->role != ROLE_LISTENER) {
		env->listen_fd = env->dash_fd = -1;
		dash_key_forget();
	}
	child_init(env, master);
	exit(role_main(env));
}

/* Everything between the fork and the role's main, in the child. */
static void
child_init(struct proc_env *env, pid_t master)
{
	int	keep[3], nkeep = 0;	/* ctl, listen, dashboard */
	char	name[32];

	sig_child_reset();
	/* Before PR_SET_PDEATHSIG: changing credentials clears it. */
	drop_privileges(env->conf);
	/*
	 * ^C at a terminal goes to the whole process group and a HUP is the
	 * master's to handle: only the master decides when children stop.
	 */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	/*
	 * Die with the master.  If it died before prctl took effect we were
	 * already reparented and no signal will ever come: leave now.  No
	 * exit(): the stdio buffers we inherited are the master's to flush.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1)
		log_warn("prctl PR_SET_PDEATHSIG");
	if (getppid() != master)
		_exit(TD_EXIT_OK);

	keep[nkeep++] = env->ctl_fd;
	if (env->listen_fd >= 0)
		keep[nkeep++] = env->listen_fd;
	if (env->dash_fd >= 0)
		keep[nkeep++] = env->dash_fd;
	close_fds_except(keep, nkeep);

	if (env->role == ROLE_WORKER)
		snprintf(name, sizeof(name), "%s %d",
		    proc_role_name(env->role), env->index);
	else
		snprintf(name, sizeof(name), "%s", proc_role_name(env->role));
	util_title_set("taskdispatcher: %s", name);
	log_procinit("%s", name);
	stats_set_role(env->role);
	if (env->role == ROLE_WORKER)
		dispatch_set_policy(&env->conf->allow_targets,
		    &env->conf->deny_targets);
}

/*
 * Supplementary groups, then the group, then the user: in the other order
 * the later calls would no longer be allowed.  Only the one group is kept
 * (no initgroups): the daemon needs none of the user's other groups.  A
 * failure is fatal; running on as root is not an option.
 */
static void
drop_privileges(const struct conf *conf)
{
	gid_t	gid = conf->gid;
	uid_t	uid = conf->uid;

	if (conf->user[0] == '\0' && conf->group[0] == '\0')
		return;
	if (geteuid() != 0) {
		/* As nginx does: only root can switch, so there is nothing
		 * to drop; say so if the config expected otherwise. */
		if ((conf->user[0] != '\0' && uid != geteuid()) ||
		    gid != getegid())
			log_warnx("not started as root: user and group "
			    "ignored");
		return;
	}
	if (setgroups(1, &gid) == -1)
		fatal("setgroups %u", (unsigned)gid);
	if (setresgid(gid, gid, gid) == -1)
		fatal("setresgid %u", (unsigned)gid);
	if (conf->user[0] == '\0' || uid == 0)
		return;
	if (setresuid(uid, uid, uid) == -1)
		fatal("setresuid %u", (unsigned)uid);
	if (setuid(0) != -1 || seteuid(0) != -1)
		fatalx("dropped privileges to uid %u but could regain root",
		    (unsigned)uid);
}

/*
 * Close every fd above stderr except the ones in keep: the master's
 * signalfd and epoll fd, the other children's ctl ends and listening
 * sockets of other generations must not leak into this child.
 */
static void
close_fds_except(const int *keep, int nkeep)
{
	int		sorted[3], i, j, t;
	unsigned	lo = 3;

	if (nkeep > (int)TD_NELEM(sorted))
		fatalx("close_fds_except: %d fds to keep", nkeep);
	for (i = 0; i < nkeep; i++)
		sorted[i] = keep[i];
	for (i = 0; i < nkeep; i++)
		for (j = i + 1; j < nkeep; j++)
			if (sorted[j] < sorted[i]) {
				t = sorted[i];
				sorted[i] = sorted[j];
				sorted[j] = t;
			}
	for (i = 0; i < nkeep; i++) {
		if (sorted[i] < (int)lo)
			continue;
		if ((unsigned)sorted[i] > lo &&
		    close_range(lo, (unsigned)sorted[i] - 1, 0) == -1) {
			close_fds_walk(keep, nkeep);
			return;
		}
		lo = (unsigned)sorted[i] + 1;
	}
	if (close_range(lo, ~0U, 0) == -1)
		close_fds_walk(keep, nkeep);
}

/* Without close_range(2) (Linux < 5.9): walk /proc/self/fd instead. */
static void
close_fds_walk(const int *keep, int nkeep)
{
	DIR		*d;
	struct dirent	*de;
	int		 fd, dfd, i, kept;

	if ((d = opendir("/proc/self/fd")) == NULL)
		fatal("opendir /proc/self/fd");
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		fd = atoi(de->d_name);
		kept = fd <= STDERR_FILENO || fd == dfd;
		for (i = 0; i < nkeep && !kept; i++)
			kept = fd == keep[i];
		if (!kept)
			close(fd);
	}
	closedir(d);
}

static int
role_main(struct proc_env *env)
{
	switch (env->role) {
	case ROLE_LISTENER:
		return listener_main(env);
	case ROLE_WORKER:
		return worker_main(env);
	case ROLE_SCHEDULER:
		return scheduler_main(env);
	case ROLE_MASTER:
		break;
	}
	log_warnx("no main for role %d", (int)env->role);
	return TD_EXIT_SOFTWARE;
}
