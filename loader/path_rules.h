/* SPDX-License-Identifier: GPL-2.0-only */
/* Cgroup path rules and patterns: what `attach --cgroup/--unit` and the
 * file's `cgroup =`/`unit =` become. The maps hold the paths; the kernel
 * (the cgroup_mkdir program) turns each new matching cgroup into a live id
 * in cgroup_rules, and this file does the same for the cgroups that
 * already exist when a rule is added. */
#ifndef MPTCPIFY_PATH_RULES_H
#define MPTCPIFY_PATH_RULES_H

#include <stdbool.h>
#include <stddef.h>
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

/* The path rules of a configuration's cgroups and units (a unit is looked
 * up now: the path it has, or will have when it starts); those that do not
 * resolve now are skipped. *ret is malloc()ed. 0 or -ENOMEM. */
struct conf_list;
int path_rules_of_lists(const struct conf_list *cgroups, const struct conf_list *units,
			struct path_rule **ret, size_t *n);

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

/* A rule number no path rule, pattern, deny or exclude path uses, its
 * retired hits (and, ABI 7, its rule_hits) set to 0. 0, -E2BIG when all
 * are taken, or -errno. */
int path_rule_new_number(struct state *s, uint32_t *ret);

/* The hits of rule number that its live cgroup ids do not hold: those of
 * cgroups removed since, and (ABI 7) all the hook counted by number. */
uint64_t path_rule_retired_hits(struct state *s, uint32_t number);

/* What the live ids of cgroup_rules add up to, per rule number: how many
 * cgroups each path rule selects now, and their hits (add
 * path_rule_retired_hits() for the rule's total). */
struct path_rule_totals {
	uint32_t live[MPTCPIFY_MAX_RULE_NUMBER + 1];
	uint64_t hits[MPTCPIFY_MAX_RULE_NUMBER + 1];
};
/* 0 or -errno; *t is filled (zeroed first). */
int path_rule_totals_read(struct state *s, struct path_rule_totals *t);

#endif
