/* SPDX-License-Identifier: GPL-2.0-only */
/* The syntax of cgroup path patterns: one '*' in the last component. Shared
 * by the configuration parser and the CLI; no I/O. */
#ifndef MPTCPIFY_CGROUP_PATTERN_H
#define MPTCPIFY_CGROUP_PATTERN_H

#include <stdbool.h>

/* 0, or -EINVAL with *why set to a short static reason: a path longer than
 * MPTCPIFY_CGROUP_PATH_MAX bytes below /sys/fs/cgroup, a '*' outside the
 * last component, "**", more than one '*', '?' or '[', a prefix or suffix
 * around the '*' longer than MPTCPIFY_GLOB_PART_MAX bytes. Paths without
 * '*' pass. */
int cgroup_pattern_check(const char *path, const char **why);

bool cgroup_path_is_pattern(const char *path);

#endif
