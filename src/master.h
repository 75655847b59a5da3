/*
 * master.h: the supervisor.  It owns the listening socket and the signals,
 * forks the listener, the workers and the scheduler, respawns them
 * (throttled), reloads by generations on SIGHUP and stops them on
 * SIGTERM/SIGINT.  It never talks to Redis or HTTP itself, but for one
 * look at Redis before the first fork (redischeck.h).  Under systemd it
 * alone speaks the notify protocol (sdnotify.h).
 */
#ifndef TD_MASTER_H
#define TD_MASTER_H

#include "conf.h"

/*
 * Run until stopped.  conf is the validated configuration (env overrides
 * applied); conf->path is re-read on SIGHUP.  Returns the exit code.
 */
int	master_run(struct conf *);

#endif
