/*
 * wrr.c: a weighted-random order of the queues.  Each position is drawn
 * from the queues not placed yet, with probability weight / (sum of their
 * weights): the first choice follows the weights, and every queue with a
 * weight still appears, so an empty busy queue never hides an idle one.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wrr.h"

static uint64_t	wrr_random(uint64_t, uint32_t (*)(void *), void *);

void
wrr_order(const int *weights, size_t n, size_t *order,
    uint32_t (*rnd)(void *), void *rndarg)
{
	uint64_t	total = 0, r;
	size_t		i, j, npos = 0, k;

	/* Weighted queues first, in index order; weight 0 goes last. */
	for (i = 0; i < n; i++)
		if (weights[i] > 0) {
			order[npos++] = i;
			total += (uint64_t)weights[i];
		}
	for (i = 0, k = npos; i < n; i++)
		if (weights[i] <= 0)
			order[k++] = i;

	for (i = 0; i + 1 < npos; i++) {
		r = rnd != NULL ? wrr_random(total, rnd, rndarg) : 0;
		for (j = i; j < npos; j++) {
			if (r < (uint64_t)weights[order[j]])
				break;
			r -= (uint64_t)weights[order[j]];
		}
		/* Move the pick to position i; the rest keep their order. */
		k = order[j];
		memmove(&order[i + 1], &order[i], (j - i) * sizeof(*order));
		order[i] = k;
		total -= (uint64_t)weights[k];
	}
}

/* A value in [0, bound), bound > 0; 64 bits when 32 cannot cover it. */
static uint64_t
wrr_random(uint64_t bound, uint32_t (*rnd)(void *), void *rndarg)
{
	uint64_t	r = rnd(rndarg);

	if (bound > (uint64_t)UINT32_MAX + 1)
		r = (r << 32) | rnd(rndarg);
	return r % bound;
}
