/* SPDX-License-Identifier: GPL-2.0-only */
/* cgroup v2 paths, ids and systemd units. */
#ifndef MPTCPIFY_CGROUPS_H
#define MPTCPIFY_CGROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CGROUP2_ROOT "/sys/fs/cgroup"

/* Resolves PATH (absolute, or relative to the cgroup2 mount) to a cgroup v2
 * directory: its id (what bpf_get_current_cgroup_id() returns), canonical
 * path and depth below the root. 0 or an exit status, message printed. */
int cgroup_resolve(const char *path, uint64_t *id, char *canon, size_t len, int *depth);

/* The id of the cgroup v2 directory at path: 0 or -errno. */
int cgroup_id_of_path(const char *path, uint64_t *id);

/* Finds the path of cgroup id under the cgroup2 mount: 0, or -ENOENT. */
int cgroup_path_of(uint64_t id, char *buf, size_t len);

/* The cgroup of process pid (0 = self), as an absolute path. */
int cgroup_of_pid(int pid, char *buf, size_t len);

/* PATH, or UNIT's current cgroup, to an id; 0 or an exit status, silently
 * (for rules that may legitimately not resolve now: a stopped unit). */
int cgroup_resolve_quiet(const char *path_or_unit, bool is_unit, uint64_t *id);

/* A unit's cgroup via systemctl, as an absolute path: the current one when
 * it runs, else the one it will get (its slice's path and its name). 0 or
 * an exit status, printed. */
int unit_cgroup(const char *unit, char *buf, size_t len);

#endif
