/* SPDX-License-Identifier: GPL-2.0-only */
/* The maps pinned under the pin root, by index: state.c pins and opens them
 * (state_map_names), the rest of the CLI and upgrade.c index fds by these. */
#ifndef MPTCPIFY_PINNED_MAPS_H
#define MPTCPIFY_PINNED_MAPS_H

enum state_map {
	MAP_CONFIG,
	MAP_COMM,
	MAP_EXCLUDE,
	MAP_CGROUP,
	MAP_STATS,
	MAP_EVENTS,
	MAP_PATHS,
	MAP_GLOBS,
	MAP_RETIRED,
	MAP_READERS,
	MAP_NAMES,                /* ABI 4 */
	/* ABI 5: socket options MPTCP refuses (bpf/compat.bpf.c) */
	MAP_SO_REFUSED,
	MAP_SO_AUDIT,
	MAP_AUDIT_CONFIG,
	MAP_AUDIT_COMMS,
	MAP_AUDIT_CGROUPS,
	MAP_COMPAT_STATS,
	/* ABI 6: deny, exclude by cgroup, compat = exclude */
	MAP_DENY,
	MAP_VETO_PATHS,
	MAP_VETOES,
	MAP_AUTO_EXCLUDE,
	MAP_NAME_HITS,            /* ABI 7 */
	MAP_EVENT_MASK,           /* ABI 7 */
	MAP_RULE_HITS,            /* ABI 7 */
	MAP__COUNT,
};

#endif
