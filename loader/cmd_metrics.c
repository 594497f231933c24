// SPDX-License-Identifier: GPL-2.0-only
/* metrics: what mptcpify knows, in the Prometheus text format, on stdout
 * (for node_exporter's textfile collector, a scrape by hand, promtool). The
 * daemon writes the same text into metrics-dir (metrics_file.c). */
#include <stdio.h>

#include "commands.h"
#include "metrics.h"
#include "util.h"

int do_metrics(const struct cli *c)
{
	struct metrics_opts o = { .host_diag_fd = -1 };
	struct metrics_problems p;

	if (metrics_write(stdout, &o, &p) < 0)
		return fail(EXIT_INTERNAL, "cannot write the metrics to stdout");
	/* The text stays valid without them: mptcpify_connections_read is 0. */
	if (p.connections[0])
		warn("MPTCP connections not counted: %s", p.connections);
	return EXIT_OK;
}
