/* SPDX-License-Identifier: GPL-2.0-only */
/* Rule maps: add, remove, enumerate; the counts the hook uses to skip empty
 * maps are recomputed from the maps after every change. */
#ifndef MPTCPIFY_RULES_H
#define MPTCPIFY_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "mptcpify.h"
#include "state.h"

/* 0, -EEXIST when already there (not an error for callers; flags are then
 * added to the rule's), -E2BIG when the map is full, other -errno. flags:
 * MPTCPIFY_RULE_SAVED for rules of the configuration file, else 0. */
int rule_comm_add(struct state *s, enum state_map map, const char *comm, uint32_t flags);
/* 0, -ENOENT when absent. */
int rule_comm_del(struct state *s, enum state_map map, const char *comm);
/* A cgroup id, for rule `number` (0: selected by id, for `run` and
 * --own-cgroup). Same returns as rule_comm_add. */
int rule_cgroup_add(struct state *s, uint64_t id, uint32_t flags, uint32_t number);
int rule_cgroup_del(struct state *s, uint64_t id);

typedef int (*cgroup_visit_fn)(uint64_t id, const struct mptcpify_cgroup_rule *v, void *userdata);
/* Visits every live cgroup id of cgroup_rules. */
int cgroup_rules_foreach(struct state *s, cgroup_visit_fn fn, void *userdata);
int rule_set_all(struct state *s, bool on);
/* compat = exclude (on) or report: config.veto_flags. */
int rule_set_compat_exclude(struct state *s, bool on);
/* Empties the rule maps (deny and exclude rules included) and system-wide
 * mode; keeps counters. */
int rules_clear(struct state *s);
/* Recomputes n_comm / n_cgroup / n_exclude / levels and the deny and
 * exclude counts (n_deny, n_veto, veto_levels) in the config map (and bumps
 * its generation), after rewriting name_filter. */
int rules_recount(struct state *s);
int config_read(struct state *s, struct mptcpify_config *cfg);

/* Per-CPU sums. */
int stats_read(struct state *s, uint64_t out[MPTCPIFY_STAT_MAX]);

typedef int (*rule_visit_fn)(const void *key, uint64_t hits, uint32_t flags, void *userdata);
/* Visits every entry of a comm rule map (MAP_COMM, MAP_EXCLUDE) with its
 * summed hit count and flags. */
int rules_foreach(struct state *s, enum state_map map, rule_visit_fn fn, void *userdata);

/* The kernel key for a comm: NUL padded to MPTCPIFY_COMM_LEN. */
void comm_key(const char *comm, char key[MPTCPIFY_COMM_LEN]);

#endif
