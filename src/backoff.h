/*
 * backoff.h: when a failed task runs again.
 *
 * The [dispatch] policy: the delay before retry n (n = 1 for the first
 * retry) is min(max, min * 2^(n-1)), then "equal jitter": a random point
 * in the upper half of that delay, so retries of many tasks that failed
 * together spread out but never come sooner than half the nominal delay.
 * The random source is passed in so tests are exact.
 *
 * The Cloud Tasks policy (a queue whose conf hash carries max_attempts):
 * doubling for max_doublings retries, then linear growth, capped at max,
 * no jitter; see backoff_ct().
 *
 * And the Retry-After header of a 429 or 503 answer.  All pure.
 */
#ifndef TD_BACKOFF_H
#define TD_BACKOFF_H

#include <stdint.h>

/* The longest Retry-After we honour: a target cannot park a task longer. */
#define BACKOFF_RETRY_AFTER_MAX_MS	(3600 * 1000ULL)

/* rnd() returns a uniformly distributed 32-bit value. */
uint64_t	backoff_delay(int n, uint64_t min_ms, uint64_t max_ms,
		    uint32_t (*rnd)(void *), void *rndarg);
/* Without jitter: the nominal delay. */
uint64_t	backoff_nominal(int n, uint64_t min_ms, uint64_t max_ms);

/* A queue's Cloud Tasks retryConfig, in ms. */
struct backoff_ct_policy {
	int		max_attempts;	/* attempts in all; -1: unlimited */
	uint64_t	min_backoff_ms;
	uint64_t	max_backoff_ms;
	int		max_doublings;
	uint64_t	max_retry_ms;	/* since the first attempt; 0: no
					 * limit */
};

/*
 * The delay before retry k (k = 1 for the first): min * 2^(k-1) while
 * k - 1 <= doublings, then min * 2^doublings * (k - doublings); never
 * above max.  Saturates instead of overflowing.
 */
uint64_t	backoff_ct(int k, uint64_t min_ms, uint64_t max_ms,
		    int max_doublings);
/*
 * After attempt number attempts_made failed at now (wall ms; the task's
 * first attempt was at first_at, 0 if unknown): the time of the next
 * attempt, or 0 when the task has run out of attempts.  It stops once
 * max_attempts attempts were made and, when max_retry_ms > 0, only once
 * max_retry_ms have also passed since the first; with max_attempts -1,
 * only the duration can stop it.
 */
uint64_t	backoff_ct_next(const struct backoff_ct_policy *,
		    int attempts_made, uint64_t first_at, uint64_t now);

/*
 * A Retry-After value (RFC 9110 10.2.3): delta-seconds or an IMF-fixdate
 * ("Sun, 06 Nov 1994 08:49:37 GMT").  *delay_ms gets the wait from
 * now_ms (wall ms), 0 for a date in the past, at most
 * BACKOFF_RETRY_AFTER_MAX_MS.  -1 for anything else (the obsolete date
 * forms included).
 */
int		retry_after_parse(const char *value, uint64_t now_ms,
		    uint64_t *delay_ms);

#endif
