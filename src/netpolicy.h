/*
 * netpolicy.h: which dispatch targets may be reached.  Two lists of rules,
 * allow and deny, each a host name, a domain (".example.com": the name and
 * every name under it), an address or a CIDR block, IPv4 or IPv6.  Pure:
 * the caller resolves names; this module only compares.
 *
 * A target is refused when its host name or its address matches a deny
 * rule, or when the allow list is not empty and neither matches an allow
 * rule.  Deny wins: an allow rule for a name cannot let that name reach a
 * denied address through DNS.
 */
#ifndef TD_NETPOLICY_H
#define TD_NETPOLICY_H

#include <stddef.h>
#include <stdint.h>

#define TD_NETRULES_MAX		32	/* rules per list */
#define TD_NETHOST_MAX		254	/* host name incl. NUL */

/* An address: IPv4 in the first 4 bytes, or IPv6 in all 16. */
struct netpolicy_addr {
	int		family;		/* 4 or 6 */
	uint8_t		b[16];
};

struct netpolicy_rule {
	int			family;	/* 0: host name; 4 or 6: CIDR */
	struct netpolicy_addr	addr;
	int			prefix;	/* bits; 32 or 128 for an address */
	char			host[TD_NETHOST_MAX];
};

struct netpolicy_list {
	struct netpolicy_rule	rules[TD_NETRULES_MAX];
	int			n;
};

enum netpolicy_verdict {
	NETPOLICY_ALLOW = 0,
	NETPOLICY_DENY,
	NETPOLICY_UNKNOWN	/* depends on what the name resolves to */
};

/*
 * Parse a comma- or blank-separated list of rules, replacing l.  An empty
 * string gives an empty list.  -1 with the offending rule in err.
 */
int	netpolicy_parse_list(struct netpolicy_list *, const char *, char *,
	    size_t);
/* One rule: "10.0.0.0/8", "::1", "fe80::/10", "host", ".domain". */
int	netpolicy_parse_rule(struct netpolicy_rule *, const char *, char *,
	    size_t);
/* A literal address, strictly (inet_pton); v4-mapped IPv6 becomes IPv4. */
int	netpolicy_addr_parse(struct netpolicy_addr *, const char *);
/* Build from raw bytes (a sockaddr's); v4-mapped IPv6 becomes IPv4. */
void	netpolicy_addr_set(struct netpolicy_addr *, int family,
	    const void *bytes);
void	netpolicy_addr_fmt(const struct netpolicy_addr *, char *, size_t);
int	netpolicy_rule_match(const struct netpolicy_rule *, const char *host,
	    const struct netpolicy_addr *);
void	netpolicy_rule_fmt(const struct netpolicy_rule *, char *, size_t);

/*
 * The verdict on host (may be NULL) and addr (NULL if not resolved yet).
 * With addr NULL, a host that is a literal address is taken as one.
 */
enum netpolicy_verdict netpolicy_check(const struct netpolicy_list *allow,
	    const struct netpolicy_list *deny, const char *host,
	    const struct netpolicy_addr *addr);

/*
 * The host of an http(s) URL, without brackets or port, lowercased: "" if
 * there is none.  -1 if it does not fit.
 */
int	netpolicy_url_host(const char *url, char *, size_t);

#endif
