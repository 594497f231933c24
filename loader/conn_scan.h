/* SPDX-License-Identifier: GPL-2.0-only */
/* The MPTCP connections of running processes, each with the process that
 * holds it, the rule that selects that program and a verdict: what
 * `connections` prints and `metrics` counts. Sockets come from sock_diag
 * (sockdiag.c), their holders from /proc (procsock.c). */
#ifndef MPTCPIFY_CONN_SCAN_H
#define MPTCPIFY_CONN_SCAN_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "containers.h"
#include "procsock.h"
#include "sockdiag.h"

enum conn_verdict {
	CONN_MPTCP,         /* more than one subflow */
	CONN_FALLBACK,      /* fell back to TCP */
	CONN_ONE_PATH,      /* MPTCP, one subflow */
	CONN_LISTENING,
	CONN_UNKNOWN,       /* the kernel gave no struct mptcp_info */
	_CONN_VERDICT_MAX,
};

/* "mptcp", "fallback", "one_path", "listening", "unknown": the stable keys
 * of `connections --json` and of the metrics' verdict label. */
extern const char *const conn_verdict_key[_CONN_VERDICT_MAX];

struct conn {
	struct proc_sock ps;
	struct mptcp_sock_diag d;
	const char *rule;         /* "comm", "all" or NULL: what selects this program */
	enum conn_verdict verdict;
	char container[CONTAINER_ID_LEN + 1];  /* "": not in a container's cgroup */
};

struct conn_scan_opts {
	bool listening;           /* listeners too */
	bool selected_only;       /* only programs a comm rule or system-wide mode selects */
	/* -1: every network namespace the caller can enter (setns()), its own
	 * first. Else a NETLINK_SOCK_DIAG socket created in the network
	 * namespace of PID 1 (passed by systemd to a daemon whose own
	 * namespace is private): that namespace only, no setns(). */
	int host_diag_fd;
};

struct conn_list {
	struct conn *v;
	size_t n, cap;
	size_t procs_skipped;     /* processes this user may not read */
	size_t netns_skipped;     /* network namespaces with processes that were not read */
};

/* Where a scan failed. */
enum conn_step { CONN_STEP_PROC, CONN_STEP_NETNS, CONN_STEP_DIAG };

/* Fills list, sorted: selected programs first, then by name, pid, local
 * port. 0, or -errno with *step saying what failed (list is then empty). */
int conn_scan(const struct conn_scan_opts *o, struct conn_list *list, enum conn_step *step);
void conn_list_free(struct conn_list *list);

/* The kernel has no mptcp_diag (SOCKDIAG_NO_MODULE says the fix). */
static inline bool conn_scan_no_diag(int r, enum conn_step step)
{
	return step == CONN_STEP_DIAG && (r == -ENOENT || r == -EOPNOTSUPP);
}
/* One line for a failed scan: the module's fix, or the step and errno. */
void conn_scan_describe(int r, enum conn_step step, char *buf, size_t len);

#endif
