/*
 * backoff.c: the delay before a retry.  The [dispatch] policy is
 * min(max, min * 2^(n-1)) with "equal jitter", the random source a
 * parameter so the unit tests can script it; the Cloud Tasks policy is
 * jitter-free doubling then linear growth, with its stop rule; and the
 * Retry-After header's two forms.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "backoff.h"
#include "util.h"

static uint64_t	backoff_random(uint64_t, uint32_t (*)(void *), void *);
static uint64_t	mul_capped(uint64_t, uint64_t, uint64_t);
static uint64_t	shl_capped(uint64_t, unsigned int, uint64_t);
static int	parse_delta(const char *, size_t, uint64_t *);
static int	parse_imf_date(const char *, size_t, int64_t *);
static int	digits(const char *, size_t, int *);
static int64_t	days_from_civil(int, int, int);

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

/* a * b, or cap when that is more than cap. */
static uint64_t
mul_capped(uint64_t a, uint64_t b, uint64_t cap)
{
	if (a == 0 || b == 0)
		return 0;
	if (a > cap / b)
		return cap;
	return TD_MIN(a * b, cap);
}

/* a * 2^shift, or cap when that is more than cap. */
static uint64_t
shl_capped(uint64_t a, unsigned int shift, uint64_t cap)
{
	if (a == 0)
		return 0;
	if (shift >= 64 || a > (cap >> shift))
		return cap;
	return a << shift;
}

uint64_t
backoff_ct(int k, uint64_t min_ms, uint64_t max_ms, int max_doublings)
{
	uint64_t	base;
	unsigned int	d;

	if (k <= 0)
		k = 1;
	d = max_doublings > 0 ? (unsigned int)max_doublings : 0;
	if (min_ms >= max_ms)
		return max_ms;
	if ((unsigned int)(k - 1) <= d)
		return shl_capped(min_ms, (unsigned int)(k - 1), max_ms);
	base = shl_capped(min_ms, d, max_ms);
	return mul_capped(base, (uint64_t)((unsigned int)k - d), max_ms);
}

/*
 * Cloud Tasks' rule: maxAttempts alone stops a task unless
 * maxRetryDuration is set, and then both must be used up.  An unknown
 * first attempt time counts as "no time has passed": a missing field
 * must not kill a task early.
 */
uint64_t
backoff_ct_next(const struct backoff_ct_policy *p, int attempts_made,
    uint64_t first_at, uint64_t now)
{
	uint64_t	elapsed, delay;
	int		out_of_attempts, out_of_time;

	elapsed = first_at != 0 && now > first_at ? now - first_at : 0;
	out_of_time = p->max_retry_ms > 0 && elapsed >= p->max_retry_ms;
	out_of_attempts = p->max_attempts != -1 &&
	    attempts_made >= p->max_attempts;
	if (p->max_attempts == -1) {
		if (out_of_time)
			return 0;
	} else if (out_of_attempts && (p->max_retry_ms == 0 || out_of_time))
		return 0;
	delay = backoff_ct(attempts_made, p->min_backoff_ms, p->max_backoff_ms,
	    p->max_doublings);
	if (delay > UINT64_MAX - now)
		return UINT64_MAX;
	/* 0 means "stop": a retry due at the epoch is due at once. */
	return now + delay > 0 ? now + delay : 1;
}

int
retry_after_parse(const char *value, uint64_t now_ms, uint64_t *delay_ms)
{
	const char	*p = value, *end;
	uint64_t	 secs, at;
	int64_t		 t;

	if (value == NULL)
		return -1;
	/* Surrounding optional whitespace (OWS) is not part of the value. */
	while (*p == ' ' || *p == '\t')
		p++;
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end == p)
		return -1;
	if (*p >= '0' && *p <= '9') {
		if (parse_delta(p, (size_t)(end - p), &secs) == -1)
			return -1;
		*delay_ms = mul_capped(secs, 1000, BACKOFF_RETRY_AFTER_MAX_MS);
		return 0;
	}
	if (parse_imf_date(p, (size_t)(end - p), &t) == -1)
		return -1;
	if (t < 0)
		at = 0;
	else
		at = mul_capped((uint64_t)t, 1000, UINT64_MAX);
	*delay_ms = at > now_ms ? TD_MIN(at - now_ms,
	    BACKOFF_RETRY_AFTER_MAX_MS) : 0;
	return 0;
}

/* 1*DIGIT; a huge number saturates (it is capped later anyway). */
static int
parse_delta(const char *s, size_t n, uint64_t *out)
{
	uint64_t	v = 0;
	size_t		i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (UINT64_MAX - 9) / 10)
			v = UINT64_MAX / 10;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/*
 * "Sun, 06 Nov 1994 08:49:37 GMT", exactly 29 characters.  The day name
 * must be one, but it is not checked against the date (a sender's
 * mistake there should not cost the hint).
 */
static int
parse_imf_date(const char *s, size_t n, int64_t *out)
{
	static const char	 days[] = "MonTueWedThuFriSatSun";
	static const char	 months[] =
	    "JanFebMarAprMayJunJulAugSepOctNovDec";
	static const int	 mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
				    31, 30, 31 };
	int			 day, mon, year, hh, mm, ss, i;

	if (n != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' ||
	    s[11] != ' ' || s[16] != ' ' || s[19] != ':' || s[22] != ':' ||
	    s[25] != ' ' || memcmp(s + 26, "GMT", 3) != 0)
		return -1;
	for (i = 0; i < 7; i++)
		if (memcmp(s, days + 3 * i, 3) == 0)
			break;
	if (i == 7)
		return -1;
	for (mon = 0; mon < 12; mon++)
		if (memcmp(s + 8, months + 3 * mon, 3) == 0)
			break;
	if (mon == 12)
		return -1;
	if (digits(s + 5, 2, &day) == -1 || digits(s + 12, 4, &year) == -1 ||
	    digits(s + 17, 2, &hh) == -1 || digits(s + 20, 2, &mm) == -1 ||
	    digits(s + 23, 2, &ss) == -1)
		return -1;
	/* 60: a leap second. */
	if (day < 1 || day > mdays[mon] || hh > 23 || mm > 59 || ss > 60)
		return -1;
	if (mon == 1 && day == 29 && !(year % 4 == 0 &&
	    (year % 100 != 0 || year % 400 == 0)))
		return -1;
	*out = days_from_civil(year, mon + 1, day) * 86400 + hh * 3600 +
	    mm * 60 + ss;
	return 0;
}

static int
digits(const char *s, size_t n, int *out)
{
	size_t	i;
	int	v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/*
 * Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * civil calendar algorithm): no timegm(), whose time zone and locale
 * handling a pure module should not depend on.
 */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t		era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}
