/* SPDX-License-Identifier: GPL-2.0-only */
/* The kernel's MPTCP counters (the MPTcpExt lines of /proc/net/netstat,
 * what `nstat` shows) of a network namespace. */
#ifndef MPTCPIFY_NETSTAT_H
#define MPTCPIFY_NETSTAT_H

#include <stddef.h>
#include <stdint.h>

#define NETSTAT_NAME_LEN 48

/* The MPTcpExt counters of a netstat file (/proc/net/netstat: ours,
 * /proc/PID/net/netstat: that process's namespace) whose name has
 * "Fallback": connections that became plain TCP, and why. Named as nstat
 * names them ("MPTcpExtMPCapableFallbackACK"), in the kernel's order.
 * Returns how many were found: 0 when the file cannot be read. */
size_t mptcp_fallback_counters(const char *path, char names[][NETSTAT_NAME_LEN],
			       uint64_t *values, size_t max);

#endif
