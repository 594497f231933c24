/* SPDX-License-Identifier: GPL-2.0-only */
/* Rules read out of maps pinned by an older mptcpify (or by this one, when
 * an upgrade was interrupted), to be written into freshly loaded maps. */
#ifndef MPTCPIFY_UPGRADE_H
#define MPTCPIFY_UPGRADE_H

#include <stdbool.h>
#include <stddef.h>

#include "mptcpify.h"
#include "pinned_maps.h"

/* The oldest pinned layout an upgrade can read: ABI 2 (per-CPU cgroup id
 * rules, no path rules). */
#define MPTCPIFY_ABI_OLDEST 2

struct migrated_entry {
	void *key;
	void *value;   /* in the new map's layout; a struct migrated_name for names */
};

/* A comm rule or exclude: its value (the slot is given when written) and
 * its hits, summed over the CPUs. */
struct migrated_name {
	struct mptcpify_name_rule rule;
	__u64 hits;
};

struct migrated {
	unsigned abi;
	bool all;
	struct migrated_entry *comm, *exclude, *cgroup, *paths, *globs;
	size_t n_comm, n_exclude, n_cgroup, n_paths, n_globs;
	/* ABI 5 on: audit rules, and the refusals seen so far. */
	struct mptcpify_audit_config audit;
	struct migrated_entry *audit_comms, *audit_cgroups, *refused;
	size_t n_audit_comms, n_audit_cgroups, n_refused;
	__u64 *compat_stats;       /* MPTCPIFY_COMPAT_STAT_MAX, or NULL */
	/* ABI 6 on: deny names, deny and exclude cgroup paths and their live
	 * ids, compat = exclude's entries, and their config fields. */
	struct migrated_entry *deny, *veto_paths, *vetoes, *auto_exclude;
	size_t n_deny, n_veto_paths, n_vetoes, n_auto_exclude;
	__u32 n_veto, veto_levels, veto_flags;
	__u64 *retired;            /* MPTCPIFY_MAX_RULE_NUMBER + 1, or NULL */
	__u64 *stats;              /* [stat * CPUs + cpu], or NULL */
	unsigned n_stats;
};

/* Reads every rule from the pinned maps open in map_fd (-1: not there, for
 * maps newer than the pinned layout). 0 or an exit status, printed. */
int migrated_read(const int map_fd[MAP__COUNT], struct migrated *m);

struct mptcpify_bpf;
/* Writes them into the maps of a loaded, not yet attached skeleton. */
int migrated_restore(const struct migrated *m, struct mptcpify_bpf *skel);

void migrated_free(struct migrated *m);

#endif
