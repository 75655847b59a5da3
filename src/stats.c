/*
 * stats.c: the shared counter page (see stats.h).
 */
#include <sys/mman.h>

#include <stddef.h>

#include "stats.h"
#include "util.h"

static struct stats	*page;
static enum role	 self = ROLE_MASTER;

struct stats *
stats_get(void)
{
	return page;
}

int
stats_init(void)
{
	void	*p;

	if (page != NULL)
		return 0;
	p = mmap(NULL, sizeof(*page), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	page = p;
	page->started_ms = util_wall_ms();
	return 0;
}

void
stats_set_role(enum role role)
{
	self = role;
}

void
stats_add(uint64_t *counter, uint64_t n)
{
	if (page != NULL && counter != NULL)
		__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

void
stats_restart(enum role role)
{
	if (page != NULL && (unsigned)role < STATS_ROLES)
		stats_add(&page->restarts[role], 1);
}

void
stats_redis_error(void)
{
	if (page != NULL && (unsigned)self < STATS_ROLES)
		stats_add(&page->redis_errors[self], 1);
}
