/*
 * wrr.h: weighted-random queue order.  Each pick draws the next queue with
 * probability weight / (sum of the weights still left), so the first
 * choice follows the weights (6:3:1) and every queue appears in the order,
 * which means no queue starves while others are empty.  Pure.
 */
#ifndef TD_WRR_H
#define TD_WRR_H

#include <stddef.h>
#include <stdint.h>

/*
 * Write a permutation of 0..n-1 into order, drawn by weights.  Weights of
 * 0 are placed last.  rnd as in backoff.h.
 */
void	wrr_order(const int *weights, size_t n, size_t *order,
	    uint32_t (*rnd)(void *), void *rndarg);

#endif
