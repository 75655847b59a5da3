/*
 * rnd.h: a scripted random source for the unit suites of the modules that
 * take one (wrr, backoff): it returns the listed values in order and fails
 * the test if the module draws more than the table scripted.
 */
#ifndef TD_TEST_RND_H
#define TD_TEST_RND_H

#include <stddef.h>
#include <stdint.h>

#include <check.h>

struct script {
	const uint32_t	*vals;
	size_t		 nvals;
	size_t		 calls;
};

static uint32_t
script_rnd(void *arg)
{
	struct script	*s = arg;

	ck_assert_msg(s->calls < s->nvals, "rnd called %zu times, scripted %zu",
	    s->calls + 1, s->nvals);
	return s->vals[s->calls++];
}

#endif
