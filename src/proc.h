/*
 * proc.h: the roles, and spawning one.  The master forks; the child
 * resets its signals, asks to die with its parent, closes every fd it does
 * not own, sets its title and log prefix, and runs the role's main.
 */
#ifndef TD_PROC_H
#define TD_PROC_H

#include <sys/types.h>

#include "conf.h"

enum role {
	ROLE_MASTER = 0,
	ROLE_LISTENER,
	ROLE_WORKER,
	ROLE_SCHEDULER
};

/* Exit codes (sysexits(3)). */
#define TD_EXIT_OK		0
#define TD_EXIT_TRANSIENT	1	/* respawn, throttled */
#define TD_EXIT_USAGE		64
#define TD_EXIT_SOFTWARE	70
#define TD_EXIT_CONFIG		78	/* permanent: no respawn */

/* What a child is handed by the master. */
struct proc_env {
	enum role		 role;
	int			 index;		/* worker number from 1; else 0 */
	unsigned		 gen;		/* config generation */
	int			 ctl_fd;	/* child's end of the ctl pair */
	int			 listen_fd;	/* listener: the bound socket */
	int			 dash_fd;	/* listener: the dashboard's
						 * socket, -1 when it is off */
	/*
	 * The generation's config, in the child its own copy (fork): a role
	 * may change it, as qsync does to the queue table, and the master's
	 * stays as it was parsed.
	 */
	struct conf		*conf;
};

/* "listener", "worker", ... as in titles, logs and the man page. */
const char	*proc_role_name(enum role);

/*
 * Fork a child for env.  *ctl_fd gets the master's end of a new ctl
 * socketpair.  The child keeps only stdin/out/err, its ctl end and (the
 * listener) env->listen_fd and env->dash_fd open.  Returns the pid, or -1
 * with errno set.
 */
pid_t	proc_spawn(struct proc_env *, int *ctl_fd);

/* The role mains; each returns the process's exit code. */
int	listener_main(struct proc_env *);
int	worker_main(struct proc_env *);
int	scheduler_main(struct proc_env *);

#endif
