/* SPDX-License-Identifier: GPL-2.0-only */
/* What is done to the hook's maps through their fds alone, with no pinned
 * state: the CPU count of per-CPU values, walks over keys, and the name
 * filter built from the name rules. Used by rules.c on the live maps and by
 * upgrade.c on maps that are not pinned yet. */
#ifndef MPTCPIFY_MAP_UTIL_H
#define MPTCPIFY_MAP_UTIL_H

#include <stddef.h>
#include <linux/types.h>

/* Possible CPUs: the number of values in a per-CPU map's lookup. */
int map_ncpus(void);

/* Walks the keys of map fd (at most MPTCPIFY_CGROUP_PATH_LEN bytes each),
 * calling fn on each when it is not NULL; *n gets their number. 0 or -errno. */
int map_walk_keys(int fd, size_t key_size, void (*fn)(const void *key, void *arg), void *arg,
		  __u32 *n);
int map_count_keys(int fd, size_t key_size, __u32 *n);

/* Counts the comm rules, the excludes and the denied names (deny_fd < 0:
 * none) and, when filter_fd >= 0, rewrites name_filter from their names:
 * one walk of each map for both. 0 or -errno. */
int name_filter_scan(int filter_fd, int comm_fd, int exclude_fd, int deny_fd, __u32 *n_comm,
		     __u32 *n_exclude, __u32 *n_deny);

/* Rewrites map name_filter from the names in comm_rules, comm_exclude and
 * comm_deny (deny_fd < 0: none). 0 or -errno. */
int name_filter_write(int filter_fd, int comm_fd, int exclude_fd, int deny_fd);

/* Stores a new generation, and the verdict tag made from it with one 8-byte
 * write, into the config map (mapped: ABI 7's config map is mmapable), so
 * that the hook never reads a tag half written. 0 or -errno. */
int config_publish(int config_fd, __u32 generation);

#endif
