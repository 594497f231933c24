/* SPDX-License-Identifier: GPL-2.0-only */
/* What mptcpify knows, as Prometheus metrics (text format 0.0.4): the
 * program and its ABI, the hook's counters, each rule's sockets, each
 * program's MPTCP connections by verdict, the kernel's fallback counters.
 * Shared by `mptcpify metrics` (stdout) and the daemon (metrics-dir). The
 * families and what they mean are listed in mptcpify(8), METRICS. */
#ifndef MPTCPIFY_METRICS_H
#define MPTCPIFY_METRICS_H

#include <stdio.h>

struct metrics_opts {
	/* See struct conn_scan_opts: -1 (enter every network namespace the
	 * caller can), or a sock_diag socket of PID 1's network namespace. */
	int host_diag_fd;
};

/* What could not be read; the families it feeds are left out (and
 * mptcpify_connections_read says 0 for the connections). Empty strings when
 * all went well. */
struct metrics_problems {
	char connections[256];
};

/* Writes every family to f. 0, or -ENOMEM (f failed). */
int metrics_write(FILE *f, const struct metrics_opts *o, struct metrics_problems *p);

#endif
