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
	MAP_NAME_HITS,            /* ABI 5 */
	MAP_EVENT_MASK,           /* ABI 5 */
	MAP_RULE_HITS,            /* ABI 5 */
	MAP__COUNT,
};

#endif
