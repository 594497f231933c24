// SPDX-License-Identifier: GPL-2.0-only
/* The MPTcpExt counters of /proc/net/netstat. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netstat.h"

size_t mptcp_fallback_counters(const char *path, char names[][NETSTAT_NAME_LEN],
			       uint64_t *values, size_t max)
{
	FILE *f = fopen(path, "re");
	char line[8192], header[8192] = "";
	size_t n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *save_h, *save_v, *h, *v;

		if (strncmp(line, "MPTcpExt:", 9) != 0)
			continue;
		if (!header[0]) {
			snprintf(header, sizeof(header), "%s", line);
			continue;
		}
		/* The second MPTcpExt line holds the values, in the same order. */
		h = strtok_r(header + 9, " \n", &save_h);
		v = strtok_r(line + 9, " \n", &save_v);
		for (; h && v && n < max; h = strtok_r(NULL, " \n", &save_h),
		     v = strtok_r(NULL, " \n", &save_v)) {
			if (!strstr(h, "Fallback"))
				continue;
			snprintf(names[n], NETSTAT_NAME_LEN, "MPTcpExt%s", h);
			values[n++] = strtoull(v, NULL, 10);
		}
		break;
	}
	fclose(f);
	return n;
}
