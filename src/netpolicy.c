/*
 * netpolicy.c: matching dispatch targets against allow and deny rules.
 *
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is turned into the IPv4
 * address it stands for before anything is compared, so that
 * "http://[::ffff:169.254.169.254]/" meets the rules for 169.254.0.0/16.
 * A URL host is read the way curl reads it: "2852039166" and "0xa9fea9fe"
 * are IPv4 addresses to curl, so inet_aton(3), which accepts those forms,
 * decides whether a host is a literal IPv4 address.
 */
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "netpolicy.h"
#include "util.h"

static const uint8_t	v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

static int	host_valid(const char *);
static int	host_match(const char *, const char *);
static int	list_match(const struct netpolicy_list *, const char *,
		    const struct netpolicy_addr *);
static int	list_has_cidr(const struct netpolicy_list *);
static int	literal_addr(const char *, struct netpolicy_addr *);

int
netpolicy_parse_list(struct netpolicy_list *l, const char *s, char *err,
    size_t errlen)
{
	struct netpolicy_list	 nl;
	char			 word[TD_NETHOST_MAX + 8];
	size_t			 n;

	memset(&nl, 0, sizeof(nl));
	for (;;) {
		s += strspn(s, ", \t");
		if (*s == '\0')
			break;
		n = strcspn(s, ", \t");
		if (n >= sizeof(word)) {
			snprintf(err, errlen, "'%.40s...': too long", s);
			return -1;
		}
		memcpy(word, s, n);
		word[n] = '\0';
		s += n;
		if (nl.n >= TD_NETRULES_MAX) {
			snprintf(err, errlen, "too many entries (at most %d)",
			    TD_NETRULES_MAX);
			return -1;
		}
		if (netpolicy_parse_rule(&nl.rules[nl.n], word, err,
		    errlen) == -1)
			return -1;
		nl.n++;
	}
	*l = nl;
	return 0;
}

int
netpolicy_parse_rule(struct netpolicy_rule *r, const char *s, char *err,
    size_t errlen)
{
	char		 buf[64];
	const char	*slash;
	char		*end;
	long		 prefix;
	int		 bits, i;

	memset(r, 0, sizeof(*r));
	slash = strchr(s, '/');
	if (slash == NULL && strlen(s) < sizeof(buf) &&
	    netpolicy_addr_parse(&r->addr, s) == 0) {
		r->family = r->addr.family;
		r->prefix = r->family == 4 ? 32 : 128;
		return 0;
	}
	if (slash == NULL) {
		if (!host_valid(s)) {
			snprintf(err, errlen, "'%s': not an address, CIDR "
			    "block or host name", s);
			return -1;
		}
		util_strlcpy(r->host, s, sizeof(r->host));
		for (i = 0; r->host[i] != '\0'; i++)
			r->host[i] = (char)tolower((unsigned char)r->host[i]);
		return 0;
	}
	if ((size_t)(slash - s) >= sizeof(buf)) {
		snprintf(err, errlen, "'%s': invalid address", s);
		return -1;
	}
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (netpolicy_addr_parse(&r->addr, buf) == -1) {
		snprintf(err, errlen, "'%s': invalid address", s);
		return -1;
	}
	bits = r->addr.family == 4 ? 32 : 128;
	if (!isdigit((unsigned char)slash[1]) || strlen(slash + 1) > 3 ||
	    (prefix = strtol(slash + 1, &end, 10)) > 128 || *end != '\0') {
		snprintf(err, errlen, "'%s': invalid prefix length", s);
		return -1;
	}
	/* A mapped "::ffff:a.b.c.d/112" became IPv4: so does its prefix. */
	if (r->addr.family == 4 && strchr(buf, ':') != NULL) {
		if (prefix < 96) {
			snprintf(err, errlen, "'%s': prefix of a v4-mapped "
			    "block must be 96 or more", s);
			return -1;
		}
		prefix -= 96;
	}
	if (prefix > bits) {
		snprintf(err, errlen, "'%s': prefix length over %d", s, bits);
		return -1;
	}
	r->family = r->addr.family;
	r->prefix = (int)prefix;
	/* Host bits set are most likely a typo for another block. */
	for (i = r->prefix; i < bits; i++)
		if (r->addr.b[i / 8] & (0x80 >> (i % 8))) {
			snprintf(err, errlen, "'%s': host bits set (the block "
			    "would start elsewhere)", s);
			return -1;
		}
	return 0;
}

int
netpolicy_addr_parse(struct netpolicy_addr *a, const char *s)
{
	uint8_t	b[16];

	if (inet_pton(AF_INET, s, b) == 1) {
		netpolicy_addr_set(a, 4, b);
		return 0;
	}
	if (inet_pton(AF_INET6, s, b) == 1) {
		netpolicy_addr_set(a, 6, b);
		return 0;
	}
	return -1;
}

void
netpolicy_addr_set(struct netpolicy_addr *a, int family, const void *bytes)
{
	const uint8_t	*p = bytes;

	memset(a, 0, sizeof(*a));
	if (family == 6 && memcmp(p, v4mapped, sizeof(v4mapped)) == 0) {
		a->family = 4;
		memcpy(a->b, p + 12, 4);
	} else {
		a->family = family;
		memcpy(a->b, p, family == 4 ? 4 : 16);
	}
}

void
netpolicy_addr_fmt(const struct netpolicy_addr *a, char *buf, size_t len)
{
	char	s[INET6_ADDRSTRLEN];

	if (inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->b, s,
	    sizeof(s)) == NULL)
		util_strlcpy(s, "?", sizeof(s));
	util_strlcpy(buf, s, len);
}

void
netpolicy_rule_fmt(const struct netpolicy_rule *r, char *buf, size_t len)
{
	char	a[INET6_ADDRSTRLEN];

	if (r->family == 0) {
		util_strlcpy(buf, r->host, len);
		return;
	}
	netpolicy_addr_fmt(&r->addr, a, sizeof(a));
	if (r->prefix == (r->family == 4 ? 32 : 128))
		util_strlcpy(buf, a, len);
	else
		snprintf(buf, len, "%s/%d", a, r->prefix);
}

int
netpolicy_rule_match(const struct netpolicy_rule *r, const char *host,
    const struct netpolicy_addr *a)
{
	int	full, rest;

	if (r->family == 0)
		return host != NULL && host_match(r->host, host);
	if (a == NULL || a->family != r->family)
		return 0;
	full = r->prefix / 8;
	rest = r->prefix % 8;
	if (memcmp(r->addr.b, a->b, (size_t)full) != 0)
		return 0;
	return rest == 0 || ((r->addr.b[full] ^ a->b[full]) &
	    (0xff << (8 - rest)) & 0xff) == 0;
}

enum netpolicy_verdict
netpolicy_check(const struct netpolicy_list *allow,
    const struct netpolicy_list *deny, const char *host,
    const struct netpolicy_addr *addr)
{
	struct netpolicy_addr	lit;

	if (addr == NULL && host != NULL && literal_addr(host, &lit) == 0)
		addr = &lit;
	if (list_match(deny, host, addr))
		return NETPOLICY_DENY;
	if (allow->n > 0 && !list_match(allow, host, addr)) {
		/* A name may still resolve into an allowed block. */
		if (addr == NULL && list_has_cidr(allow))
			return NETPOLICY_UNKNOWN;
		return NETPOLICY_DENY;
	}
	if (addr == NULL && list_has_cidr(deny))
		return NETPOLICY_UNKNOWN;
	return NETPOLICY_ALLOW;
}

int
netpolicy_url_host(const char *url, char *buf, size_t len)
{
	const char	*p, *at, *end;
	size_t		 n, i;

	buf[0] = '\0';
	if ((p = strstr(url, "://")) == NULL)
		return 0;
	p += 3;
	end = p + strcspn(p, "/?#");
	/* The last '@' ends the userinfo: curl reads it so too. */
	for (at = end; at > p && at[-1] != '@'; at--)
		;
	if (at > p)
		p = at;
	if (*p == '[') {
		p++;
		n = strcspn(p, "]%");
		if (p + n > end)
			n = (size_t)(end - p);
	} else
		n = strcspn(p, ":/?#");
	if (n > 0 && p[n - 1] == '.')
		n--;
	if (n >= len)
		return -1;
	for (i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)p[i]);
	buf[n] = '\0';
	return 0;
}

static int
list_match(const struct netpolicy_list *l, const char *host,
    const struct netpolicy_addr *addr)
{
	int	i;

	for (i = 0; i < l->n; i++)
		if (netpolicy_rule_match(&l->rules[i], host, addr))
			return 1;
	return 0;
}

static int
list_has_cidr(const struct netpolicy_list *l)
{
	int	i;

	for (i = 0; i < l->n; i++)
		if (l->rules[i].family != 0)
			return 1;
	return 0;
}

/* As curl would take host: IPv6 literal, or any inet_aton(3) form. */
static int
literal_addr(const char *host, struct netpolicy_addr *a)
{
	struct in_addr	in;

	if (netpolicy_addr_parse(a, host) == 0)
		return 0;
	if (strchr(host, ':') == NULL && inet_aton(host, &in) == 1) {
		netpolicy_addr_set(a, 4, &in.s_addr);
		return 0;
	}
	return -1;
}

/* Letters, digits, '-', '_' and dots; a leading dot makes a domain. */
static int
host_valid(const char *s)
{
	size_t	n = strlen(s);

	if (n == 0 || n >= TD_NETHOST_MAX || (s[0] == '.' && n == 1))
		return 0;
	return s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789.-_")] == '\0' &&
	    strstr(s + 1, "..") == NULL && s[n - 1] != '.';
}

/* rule is lowercase; ".d" matches d and every name ending in ".d". */
static int
host_match(const char *rule, const char *host)
{
	size_t	hn = strlen(host), rn = strlen(rule);

	if (hn > 0 && host[hn - 1] == '.')
		hn--;
	if (rule[0] != '.')
		return hn == rn && strncasecmp(rule, host, hn) == 0;
	if (hn == rn - 1 && strncasecmp(rule + 1, host, hn) == 0)
		return 1;
	return hn > rn && strncasecmp(rule, host + hn - rn, rn) == 0;
}
