/* SPDX-License-Identifier: GPL-2.0-only */
/* Deny and exclude rules by cgroup, denied names, and compat = exclude:
 * what keeps programs on TCP besides the excluded names of rules.c.
 *
 * - Denied names are comm_deny (rules.c adds and removes them like any
 *   name rule: MAP_DENY).
 * - Deny and exclude cgroup rules are exact paths in veto_paths, the kind
 *   ('d' or 'x': MPTCPIFY_VETO_DENY, MPTCPIFY_VETO_EXCLUDE) in the key's
 *   last byte; the kernel (the cgroup_mkdir program) turns each new cgroup
 *   at such a path into a live id in cgroup_vetoes, and this file does the
 *   same for the cgroup that exists when a rule is added. A rule covers
 *   its cgroup and everything below it.
 * - auto_exclude is the table the refusal programs fill under
 *   compat = exclude; it is emptied whenever the configuration is applied. */
#ifndef MPTCPIFY_VETO_RULES_H
#define MPTCPIFY_VETO_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "path_rules.h"
#include "state.h"

/* Adds the rule of kind ('d', 'x') for pr (not a pattern) and selects the
 * cgroup there now. 0; -EEXIST when it was there (flags added); -E2BIG when
 * veto_paths or the rule numbers are full; other -errno. *n_live (may be
 * NULL): 1 when the cgroup exists now. Recounts the rules. */
int veto_path_add(struct state *s, char kind, const struct path_rule *pr, uint32_t flags,
		  unsigned *n_live);
/* Removes it and the cgroup ids it selected (the ids another deny or
 * exclude rule covers are selected again). 0 or -ENOENT. */
int veto_path_del(struct state *s, char kind, const struct path_rule *pr);

typedef int (*veto_path_visit_fn)(char kind, const struct path_rule *pr, uint32_t number,
				  uint32_t flags, void *userdata);
int veto_paths_foreach(struct state *s, veto_path_visit_fn fn, void *userdata);

/* Per rule number: the live cgroups of cgroup_vetoes and their hits (add
 * path_rule_retired_hits() for the total). 0 or -errno. */
int veto_totals_read(struct state *s, struct path_rule_totals *t);

/* Makes the live deny rules, cgroup excludes and compat mode follow the
 * configuration (as persist_apply does for the selection): saved rules it
 * no longer has go, its rules are added; units that do not resolve now are
 * skipped. Empties auto_exclude. 0 or an exit status, printed. */
int veto_apply_conf(struct state *s, const struct mptcpify_conf *c);

/* Empties auto_exclude (compat = exclude starts over). 0 or -errno. */
int auto_exclude_clear(struct state *s);

#endif
