/* SPDX-License-Identifier: GPL-2.0-only */
/* rulechurn: adds and removes a comm rule in the pinned comm_rules map every
 * few milliseconds for SEC seconds, straight through bpf(2), as fast as the
 * load test needs (a CLI call per change is far slower under emulation).
 * Usage: rulechurn PIN_DIR SECONDS [INTERVAL_MS]. Prints changes=N. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mptcpify.h"

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	char path[4096], key[16];
	unsigned long changes = 0;
	double end, interval;
	/* struct mptcpify_name_rule (ABI 7): the last slot of name_hits, which
	 * the CLI only gives out when every other is taken; no process has
	 * these names, so nothing is ever counted there. */
	struct mptcpify_name_rule value = { .slot = MPTCPIFY_NAME_SLOTS - 1 };
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: rulechurn PIN_DIR SECONDS [INTERVAL_MS]\n");
		return 2;
	}
	end = now() + atof(argv[2]);
	interval = (argc > 3 ? atof(argv[3]) : 10) / 2 / 1000;
	snprintf(path, sizeof(path), "%s/comm_rules", argv[1]);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		fprintf(stderr, "rulechurn: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while (now() < end) {
		memset(key, 0, sizeof(key));
		snprintf(key, sizeof(key), "churn%lu", changes % 1000);
		if (bpf_map_update_elem(fd, key, &value, BPF_NOEXIST) < 0) {
			fprintf(stderr, "rulechurn: add: %s\n", strerror(errno));
			return 1;
		}
		usleep(interval * 1e6);
		if (bpf_map_delete_elem(fd, key) < 0) {
			fprintf(stderr, "rulechurn: delete: %s\n", strerror(errno));
			return 1;
		}
		usleep(interval * 1e6);
		changes += 2;
	}
	printf("changes=%lu\n", changes);
	return 0;
}
