/*
 * stats.h: process counters shared by every process of one master.  The
 * master maps one anonymous MAP_SHARED page before its first fork, so
 * every child of every generation writes into the same page, and the
 * listener reads it to answer GET /metrics.  The counters live as long
 * as the master: a reload keeps them, a new master starts from zero
 * (Prometheus counters may reset; rate() handles that).
 *
 * Counters are updated with atomic adds: no lock, no system call.
 */
#ifndef TD_STATS_H
#define TD_STATS_H

#include <stdint.h>

#include "proc.h"

#define STATS_ROLES	4	/* enum role: master, listener, worker, scheduler */

struct stats {
	uint64_t	 restarts[STATS_ROLES];	/* children respawned, by role */
	uint64_t	 redis_errors[STATS_ROLES]; /* links lost, errors */
	uint64_t	 started_ms;		/* wall clock, master start */
};

/*
 * The shared page, or NULL before stats_init() (unit tests, -t).  Reading
 * a counter needs no call: stats_get()->restarts[ROLE_WORKER].
 */
struct stats	*stats_get(void);
/* Master, before the first fork.  Returns 0, or -1 with errno set. */
int		 stats_init(void);
/* The role whose counters stats_redis_error() bumps (set by proc). */
void		 stats_set_role(enum role);
/* Add n to one counter; a no-op before stats_init(). */
void		 stats_add(uint64_t *, uint64_t n);
void		 stats_restart(enum role);
void		 stats_redis_error(void);

#endif
