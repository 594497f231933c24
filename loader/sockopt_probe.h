/* SPDX-License-Identifier: GPL-2.0-only */
/* Whether this kernel's MPTCP refuses a socket option: asked of the running
 * kernel, never of a table. The option is tried once on an unconnected
 * MPTCP socket of our own and on a TCP socket, with a zeroed value (a
 * refusal comes before the value is read; an accepted option may then fail
 * with EINVAL, which still means MPTCP handles it). MPTCP refuses it when
 * its socket answers ENOPROTOOPT or EOPNOTSUPP and the TCP socket does not
 * answer the same.
 *
 * Answers are cached in SOCKOPT_PROBE_CACHE for as long as this boot lasts
 * (the file records the boot id; MPTCP is built into the kernel, so only a
 * reboot into another kernel changes them). */
#ifndef MPTCPIFY_SOCKOPT_PROBE_H
#define MPTCPIFY_SOCKOPT_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#define SOCKOPT_PROBE_CACHE "/run/mptcpify/sockopt-probe"

enum sockopt_verdict {
	SOCKOPT_CANNOT_TELL,   /* no MPTCP socket here (net.mptcp.enabled=0, no MPTCP) */
	SOCKOPT_ACCEPTED,      /* MPTCP takes it (or refuses it as TCP does) */
	SOCKOPT_REFUSED,       /* MPTCP refuses what TCP accepts */
};

struct sockopt_answer {
	enum sockopt_verdict verdict;
	int mptcp_errno;       /* what the MPTCP socket answered (0: success) */
	int tcp_errno;
	bool cached;
};

/* op: MPTCPIFY_SOCKOPT_SET or _GET. */
void sockopt_probe(int op, int level, int optname, struct sockopt_answer *a);

/* Why the probe cannot tell, with the fix: static text, or NULL when it can. */
const char *sockopt_probe_cannot_tell(void);

/* Writes the cache if new answers were found. */
void sockopt_probe_save(void);

#endif
