/* SPDX-License-Identifier: GPL-2.0-only */
/* Cgroup path rules and patterns: what `attach --cgroup/--unit` and the
 * file's `cgroup =`/`unit =` become. The maps hold the paths; the kernel
 * (the cgroup_mkdir program) turns each new matching cgroup into a live id
 * in cgroup_rules, and this file does the same for the cgroups that
 * already exist when a rule is added. */
#ifndef MPTCPIFY_PATH_RULES_H
#define MPTCPIFY_PATH_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "mptcpify.h"
#include "state.h"

struct path_rule {
	char rel[MPTCPIFY_CGROUP_PATH_LEN];   /* "/a/b" or "/a/ctr-*.scope" */
	bool glob;
	char dir[MPTCPIFY_CGROUP_PATH_LEN];   /* glob: the parent, "/" for the root */
	char prefix[MPTCPIFY_GLOB_PART_LEN], suffix[MPTCPIFY_GLOB_PART_LEN];
};

/* A path or pattern as the user gives it: absolute under /sys/fs/cgroup or
 * relative to it. 0, or -EINVAL with *why set (static text). No I/O. */
int path_rule_parse(const char *given, struct path_rule *pr, const char **why);

/* "/sys/fs/cgroup" + rel, for messages and `list`. */
const char *path_rule_show(const struct path_rule *pr, char *buf, size_t len);

/* Adds the rule and selects the cgroups that match now. 0; -EEXIST when it
 * was there (flags added); -E2BIG when the path map or the pattern
 * directory map is full; -ENOSPC when MPTCPIFY_GLOBS_PER_DIR patterns share
 * its directory; other -errno. *n_live (may be NULL): cgroups selected now. */
int path_rule_add(struct state *s, const struct path_rule *pr, uint32_t flags, unsigned *n_live);

/* Removes the rule and every cgroup id it selected. 0 or -ENOENT. */
int path_rule_del(struct state *s, const struct path_rule *pr);

typedef int (*path_rule_visit_fn)(const struct path_rule *pr, uint32_t number, uint32_t flags,
				  void *userdata);
int path_rules_foreach(struct state *s, path_rule_visit_fn fn, void *userdata);

/* The hits of rule number that its live cgroup ids do not hold: those of
 * cgroups removed since, and (ABI 5) all the hook counted by number. */
uint64_t path_rule_retired_hits(struct state *s, uint32_t number);

#endif
