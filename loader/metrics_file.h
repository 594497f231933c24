/* SPDX-License-Identifier: GPL-2.0-only */
/* The daemon's metrics file: METRICS-DIR/mptcpify.prom, replaced whole
 * (written to a temporary file in the same directory, then renamed over it)
 * every metrics-interval seconds and when asked (SIGHUP), so that
 * node_exporter's textfile collector never reads half of it. A failure is
 * logged once, in one line naming the cause and the fix, and again only
 * when it changes (or goes away); the daemon carries on either way. */
#ifndef MPTCPIFY_METRICS_FILE_H
#define MPTCPIFY_METRICS_FILE_H

#include <stdbool.h>
#include <time.h>

#include "config.h"

struct metrics_file {
	char *dir;                /* NULL: no metrics-dir, nothing is done */
	unsigned interval;        /* seconds */
	struct timespec due;      /* CLOCK_MONOTONIC of the next write */
	bool swept;               /* leftover temporaries of dir removed */
	/* sock_diag socket of the host's network namespace, passed by
	 * systemd (the generator's socket unit), or -1. */
	int diag_fd;
	/* What was last said: a failure (its message), or "" when writing
	 * works; and the same for the MPTCP connections. */
	char said[512], said_connections[300];
};

/* Takes the sock_diag socket systemd may have passed (LISTEN_FDS); nothing
 * to write yet. */
void metrics_file_init(struct metrics_file *m);

/* Follows the configuration (at start and after each reload): a new
 * metrics-dir or interval is said in one line and written at once. */
void metrics_file_configure(struct metrics_file *m, const struct mptcpify_conf *c);

/* Writes when due, or at once with now. Nothing without metrics-dir. */
void metrics_file_tick(struct metrics_file *m, bool now);

/* How long the caller may wait before the next tick is due: at most max_ms,
 * less when a write is due sooner, so that writes keep their interval. */
int metrics_file_wait_ms(const struct metrics_file *m, int max_ms);

void metrics_file_free(struct metrics_file *m);

#endif
