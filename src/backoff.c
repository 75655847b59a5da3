/*
 * backoff.c: the delay before a retry, min(max, min * 2^(n-1)) with
 * "equal jitter".  The random source comes in as a parameter so the unit
 * tests can script it.
 */
#include <stddef.h>
#include <stdint.h>

#include "backoff.h"

static uint64_t	backoff_random(uint64_t, uint32_t (*)(void *), void *);

/*
 * Doubling stops as soon as it would pass max, so a large n (a task that
 * has failed a thousand times) neither overflows nor loops.
 */
uint64_t
backoff_nominal(int n, uint64_t min_ms, uint64_t max_ms)
{
	unsigned int	shift;

	if (n <= 0)
		n = 1;
	if (min_ms >= max_ms)
		return max_ms;
	shift = (unsigned int)(n - 1);
	if (shift >= 64 || min_ms > (max_ms >> shift))
		return max_ms;
	return min_ms << shift;
}

/*
 * Equal jitter: half the nominal delay for sure, plus a random part of up
 * to the other half.  Tasks that failed together spread out, yet none
 * comes back sooner than half its nominal delay.
 */
uint64_t
backoff_delay(int n, uint64_t min_ms, uint64_t max_ms,
    uint32_t (*rnd)(void *), void *rndarg)
{
	uint64_t	nominal = backoff_nominal(n, min_ms, max_ms);
	uint64_t	half = nominal / 2;

	if (rnd == NULL)
		return nominal;
	return half + backoff_random(half + 1, rnd, rndarg);
}

/* A value in [0, bound); 64 random bits when 32 cannot cover bound. */
static uint64_t
backoff_random(uint64_t bound, uint32_t (*rnd)(void *), void *rndarg)
{
	uint64_t	r = rnd(rndarg);

	if (bound > (uint64_t)UINT32_MAX + 1)
		r = (r << 32) | rnd(rndarg);
	return r % bound;
}
