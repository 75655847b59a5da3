/*
 * metrics.h: GET /metrics as Prometheus text (exposition format 0.0.4),
 * rendered from plain structs.  Pure: the caller gathers the numbers (one
 * qinfo script per queue, the shared stats page); this only writes text,
 * so the unit tests drive it directly.
 */
#ifndef TD_METRICS_H
#define TD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define METRICS_CTYPE	"text/plain; version=0.0.4; charset=utf-8"

/* Task states, in the order of metrics_queue.counts and the API. */
enum metrics_state {
	MS_PENDING,
	MS_SCHEDULED,
	MS_ACTIVE,
	MS_RETRY,
	MS_DEAD,
	MS_DONE,
	MS_MAX
};

/* Counters of P:{q}:stats, in the order of metrics_counter_names. */
enum metrics_counter {
	MC_ENQUEUED,
	MC_DISPATCHED,
	MC_SUCCEEDED,
	MC_FAILED,
	MC_RETRIED,
	MC_DEAD,
	MC_MAX
};

/* Duration buckets (seconds), +Inf last: 0.005 ... 1800, +Inf. */
#define METRICS_BUCKETS	16

extern const char *const metrics_state_names[MS_MAX];
extern const char *const metrics_counter_names[MC_MAX];
/* The "le" labels, as the Lua scripts name their d:<le> fields. */
extern const char *const metrics_bucket_le[METRICS_BUCKETS];

struct metrics_queue {
	const char	*name;
	uint64_t	 counts[MS_MAX];
	uint64_t	 counters[MC_MAX];
	uint64_t	 buckets[METRICS_BUCKETS];	/* per bucket, not
							 * cumulative */
	uint64_t	 dur_sum_ms;
	uint64_t	 dur_count;
	uint64_t	 oldest_pending_age_ms;	/* 0: nothing pending */
	int		 paused;
};

struct metrics {
	const struct metrics_queue	*queues;
	size_t				 nqueues;
	const char			*version;
	uint64_t			 restarts[4];	/* by enum role */
	uint64_t			 redis_errors[4];
	uint64_t			 start_ms;	/* wall clock */
};

/* The bucket index for a "le" label, or -1. */
int	metrics_bucket_index(const char *le);
/* The whole page, malloc'd and NUL-terminated; *len gets its length. */
char	*metrics_render(const struct metrics *, size_t *len);

#endif
