/*
 * backoff.h: the delay before retry n (n = 1 for the first retry):
 * min(max, min * 2^(n-1)), then "equal jitter": a random point in the
 * upper half of that delay, so retries of many tasks that failed together
 * spread out but never come sooner than half the nominal delay.  The
 * random source is passed in so tests are exact.
 */
#ifndef TD_BACKOFF_H
#define TD_BACKOFF_H

#include <stdint.h>

/* rnd() returns a uniformly distributed 32-bit value. */
uint64_t	backoff_delay(int n, uint64_t min_ms, uint64_t max_ms,
		    uint32_t (*rnd)(void *), void *rndarg);
/* Without jitter: the nominal delay. */
uint64_t	backoff_nominal(int n, uint64_t min_ms, uint64_t max_ms);

#endif
