// SPDX-License-Identifier: GPL-2.0-only
/* Carrying rules across a change of the pinned maps' layout (MPTCPIFY_ABI).
 *
 * ABI 2 -> 3: comm_rules, comm_exclude and stats keep their layout;
 * cgroup_rules goes from a per-CPU {hits, flags} to one shared
 * {hits, flags, number}; cgroup_paths, cgroup_globs and retired_hits are
 * new. Old cgroup id rules are kept as id rules (number 0): those of the
 * configuration file are replaced by its path rules at the next apply.
 * ABI 3 -> 4: config gains a generation (the hook caches verdicts under it)
 * and name_filter is new: both are rebuilt from the rules; every rule map
 * keeps its layout.
 * ABI 4 -> 5: the maps of the socket option programs are new (audit rules,
 * refusals seen); every other map keeps its layout.
 * ABI 5 -> 6: config gains the deny and exclude fields; retired_hits grows
 * (their rules take numbers too); comm_deny, veto_paths, cgroup_vetoes and
 * auto_exclude are new. The audit rules (audit_config, audit_comms,
 * audit_cgroups) and the refusals seen (sockopt_refused) keep their layout
 * and are carried.
 * ABI 6 -> 7: comm_rules, comm_exclude and comm_deny hold {slot, flags}
 * with the hits in name_hits (a slot each, given out here in order); stats
 * hold one block per program copy (the old counts go to the primary's);
 * config gains its derived fields and chain_ends (0 until the new hook is
 * attached); name_filter is one value, of another hash; event_mask and
 * rule_hits are new (readers register again; path rules' old hits stay in
 * their live ids' values and in retired_hits). veto_paths, cgroup_vetoes
 * and auto_exclude keep their layout and are carried with the deny and
 * exclude counts of config.
 * Each older layout is read as it was. */
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mptcpify.h"
#include "mptcpify.skel.h"
#include "map_util.h"
#include "name_slots.h"
#include "upgrade.h"
#include "util.h"

struct old_percpu_rule {   /* ABI 2's cgroup_rules value, per CPU */
	__u64 hits;
	__u32 flags;
	__u32 pad;
};

typedef int (*convert_fn)(const void *old, void *new);

/* Reads every entry of a hash map; values are converted to the new layout
 * (new_size bytes) by conv, or copied when conv is NULL. */
static int read_hash(int fd, size_t key_size, size_t old_size, size_t new_size, convert_fn conv,
		     struct migrated_entry **ret, size_t *n)
{
	_cleanup_free_ void *old = malloc(old_size);
	char prev[MPTCPIFY_CGROUP_PATH_LEN], next[MPTCPIFY_CGROUP_PATH_LEN];
	bool first = true;

	*ret = NULL;
	*n = 0;
	if (!old || key_size > sizeof(prev))
		return -ENOMEM;
	while (bpf_map_get_next_key(fd, first ? NULL : prev, next) == 0) {
		struct migrated_entry *e;

		memcpy(prev, next, key_size);
		first = false;
		if (bpf_map_lookup_elem(fd, next, old) < 0) {
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		e = realloc(*ret, (*n + 1) * sizeof(**ret));
		if (!e)
			return -ENOMEM;
		*ret = e;
		e = &(*ret)[*n];
		e->key = malloc(key_size);
		e->value = calloc(1, new_size);
		if (!e->key || !e->value) {
			free(e->key);
			free(e->value);
			return -ENOMEM;
		}
		(*n)++;
		memcpy(e->key, next, key_size);
		if (conv)
			conv(old, e->value);
		else
			memcpy(e->value, old, new_size);
	}
	return errno == ENOENT ? 0 : -errno;
}

static int convert_abi2_cgroup(const void *old, void *new)
{
	const struct old_percpu_rule *o = old;
	struct mptcpify_cgroup_rule *v = new;

	for (int c = 0; c < map_ncpus(); c++) {
		v->hits += o[c].hits;
		v->flags |= o[c].flags;
	}
	v->number = 0;
	return 0;
}

/* ABI 2 to 6: a name rule's per-CPU {hits, flags}, into {slot, flags} (the
 * slot is given at restore) and its hits. */
static int convert_old_name(const void *old, void *new)
{
	const struct mptcpify_rule *o = old;
	struct migrated_name *v = new;

	v->rule.flags = o[0].flags;
	for (int c = 0; c < map_ncpus(); c++)
		v->hits += o[c].hits;
	return 0;
}

/* ABI 7's name rules: the hits are in name_hits. */
static int read_name_hits(int hits_fd, struct migrated_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct migrated_name *v = e[i].value;
		int r = name_slot_hits(hits_fd, v->rule.slot, &v->hits);

		if (r)
			return r;
	}
	return 0;
}

static int read_names(const int map_fd[MAP__COUNT], unsigned abi, enum state_map map,
		      struct migrated_entry **e, size_t *n)
{
	size_t pc_rule = map_ncpus() * sizeof(struct mptcpify_rule);
	int r;

	if (map_fd[map] < 0) {
		*e = NULL;
		*n = 0;
		return 0;
	}
	if (abi < 7)
		return read_hash(map_fd[map], MPTCPIFY_COMM_LEN, pc_rule, sizeof(struct migrated_name),
				 convert_old_name, e, n);
	r = read_hash(map_fd[map], MPTCPIFY_COMM_LEN, sizeof(struct mptcpify_name_rule),
		      sizeof(struct migrated_name), NULL, e, n);
	return r ? r : read_name_hits(map_fd[MAP_NAME_HITS], *e, *n);
}

/* The counters, as stats[stat * CPUs + cpu]: up to ABI 6 one per-CPU
 * __u64 per stat, from ABI 7 one block per program copy (added up; the
 * primary's memo is left behind). */
static void read_stats(const int map_fd[MAP__COUNT], unsigned abi, struct migrated *m)
{
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi);
	int ncpus = map_ncpus();

	if (bpf_obj_get_info_by_fd(map_fd[MAP_STATS], &mi, &len) < 0)
		return;
	if (abi < 7 && mi.value_size == 8) {
		m->n_stats = mi.max_entries < MPTCPIFY_STAT_MAX ? mi.max_entries : MPTCPIFY_STAT_MAX;
		m->stats = calloc((size_t)m->n_stats * ncpus, sizeof(__u64));
		for (__u32 i = 0; m->stats && i < m->n_stats; i++)
			bpf_map_lookup_elem(map_fd[MAP_STATS], &i, m->stats + (size_t)i * ncpus);
		return;
	}
	if (abi >= 7 && mi.value_size == sizeof(struct mptcpify_stats)) {
		_cleanup_free_ struct mptcpify_stats *v = calloc(ncpus, sizeof(*v));

		m->n_stats = MPTCPIFY_STAT_MAX;
		m->stats = calloc((size_t)m->n_stats * ncpus, sizeof(__u64));
		for (__u32 copy = 0; v && m->stats && copy < mi.max_entries; copy++) {
			if (bpf_map_lookup_elem(map_fd[MAP_STATS], &copy, v) < 0)
				continue;
			for (int c = 0; c < ncpus; c++)
				for (__u32 i = 0; i < m->n_stats; i++)
					m->stats[(size_t)i * ncpus + c] += v[c].n[i];
		}
	}
}

/* ABI 5's socket option state: audit rules and refusals, same layouts. */
static int read_compat(const int map_fd[MAP__COUNT], struct migrated *m)
{
	struct bpf_map_info mi = {};
	__u32 zero = 0, len = sizeof(mi);
	int r = 0;

	if (map_fd[MAP_AUDIT_CONFIG] >= 0 &&
	    bpf_map_lookup_elem(map_fd[MAP_AUDIT_CONFIG], &zero, &m->audit) < 0)
		return -errno;
	if (map_fd[MAP_AUDIT_COMMS] >= 0)
		r = read_hash(map_fd[MAP_AUDIT_COMMS], MPTCPIFY_COMM_LEN, sizeof(__u32),
			      sizeof(__u32), NULL, &m->audit_comms, &m->n_audit_comms);
	if (!r && map_fd[MAP_AUDIT_CGROUPS] >= 0)
		r = read_hash(map_fd[MAP_AUDIT_CGROUPS], sizeof(__u64), sizeof(__u32),
			      sizeof(__u32), NULL, &m->audit_cgroups, &m->n_audit_cgroups);
	if (!r && map_fd[MAP_SO_REFUSED] >= 0)
		r = read_hash(map_fd[MAP_SO_REFUSED], sizeof(struct mptcpify_sockopt_key),
			      sizeof(struct mptcpify_sockopt_count),
			      sizeof(struct mptcpify_sockopt_count), NULL, &m->refused, &m->n_refused);
	if (!r && map_fd[MAP_COMPAT_STATS] >= 0 &&
	    bpf_obj_get_info_by_fd(map_fd[MAP_COMPAT_STATS], &mi, &len) == 0 &&
	    mi.value_size == sizeof(__u64)) {
		m->compat_stats = calloc(MPTCPIFY_COMPAT_STAT_MAX, sizeof(__u64));
		for (__u32 i = 0; m->compat_stats && i < mi.max_entries &&
		     i < MPTCPIFY_COMPAT_STAT_MAX; i++)
			bpf_map_lookup_elem(map_fd[MAP_COMPAT_STATS], &i, &m->compat_stats[i]);
	}
	return r;
}

/* ABI 6's deny and exclude rules and compat = exclude's entries: only the
 * deny names changed layout (read_names). */
static int read_vetoes(const int map_fd[MAP__COUNT], const struct mptcpify_config *cfg,
		       struct migrated *m)
{
	int r = read_names(map_fd, m->abi, MAP_DENY, &m->deny, &m->n_deny);

	if (!r && map_fd[MAP_VETO_PATHS] >= 0)
		r = read_hash(map_fd[MAP_VETO_PATHS], MPTCPIFY_CGROUP_PATH_LEN,
			      sizeof(struct mptcpify_path_rule), sizeof(struct mptcpify_path_rule),
			      NULL, &m->veto_paths, &m->n_veto_paths);
	if (!r && map_fd[MAP_VETOES] >= 0)
		r = read_hash(map_fd[MAP_VETOES], sizeof(__u64), sizeof(struct mptcpify_cgroup_rule),
			      sizeof(struct mptcpify_cgroup_rule), NULL, &m->vetoes, &m->n_vetoes);
	if (!r && map_fd[MAP_AUTO_EXCLUDE] >= 0)
		r = read_hash(map_fd[MAP_AUTO_EXCLUDE], sizeof(struct mptcpify_auto_key),
			      sizeof(struct mptcpify_auto_exclude),
			      sizeof(struct mptcpify_auto_exclude), NULL, &m->auto_exclude,
			      &m->n_auto_exclude);
	m->n_veto = cfg->n_veto;
	m->veto_levels = cfg->veto_levels;
	m->veto_flags = cfg->veto_flags;
	return r;
}

int migrated_read(const int map_fd[MAP__COUNT], struct migrated *m)
{
	struct mptcpify_config cfg = {};
	__u32 zero = 0;
	int r;

	if (bpf_map_lookup_elem(map_fd[MAP_CONFIG], &zero, &cfg) < 0)
		return fail(EXIT_INTERNAL, "cannot read the pinned config map: %s", strerror(errno));
	m->abi = cfg.abi;
	m->all = cfg.all;
	r = read_names(map_fd, m->abi, MAP_COMM, &m->comm, &m->n_comm);
	if (!r)
		r = read_names(map_fd, m->abi, MAP_EXCLUDE, &m->exclude, &m->n_exclude);
	if (!r && m->abi == 2)
		r = read_hash(map_fd[MAP_CGROUP], sizeof(__u64),
			      map_ncpus() * sizeof(struct old_percpu_rule),
			      sizeof(struct mptcpify_cgroup_rule), convert_abi2_cgroup,
			      &m->cgroup, &m->n_cgroup);
	else if (!r)
		r = read_hash(map_fd[MAP_CGROUP], sizeof(__u64), sizeof(struct mptcpify_cgroup_rule),
			      sizeof(struct mptcpify_cgroup_rule), NULL, &m->cgroup, &m->n_cgroup);
	if (!r && m->abi >= 3 && map_fd[MAP_PATHS] >= 0)
		r = read_hash(map_fd[MAP_PATHS], MPTCPIFY_CGROUP_PATH_LEN,
			      sizeof(struct mptcpify_path_rule), sizeof(struct mptcpify_path_rule),
			      NULL, &m->paths, &m->n_paths);
	if (!r && m->abi >= 3 && map_fd[MAP_GLOBS] >= 0)
		r = read_hash(map_fd[MAP_GLOBS], MPTCPIFY_CGROUP_PATH_LEN,
			      sizeof(struct mptcpify_glob_dir), sizeof(struct mptcpify_glob_dir),
			      NULL, &m->globs, &m->n_globs);
	if (!r && m->abi >= 5)
		r = read_compat(map_fd, m);
	if (!r && m->abi >= 6)
		r = read_vetoes(map_fd, &cfg, m);
	if (r)
		return fail(EXIT_INTERNAL, "cannot read the pinned rules to upgrade them: %s",
			    strerror(-r));
	if (m->abi >= 3 && map_fd[MAP_RETIRED] >= 0) {
		m->retired = calloc(MPTCPIFY_MAX_RULE_NUMBER + 1, sizeof(__u64));
		for (__u32 i = 0; m->retired && i <= MPTCPIFY_MAX_RULE_NUMBER; i++)
			bpf_map_lookup_elem(map_fd[MAP_RETIRED], &i, &m->retired[i]);
	}
	/* Counters are kept too, as far as both layouts have them. */
	read_stats(map_fd, m->abi, m);
	return 0;
}

static int write_all(int fd, const struct migrated_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, e[i].key, e[i].value, BPF_ANY) < 0)
			return -errno;
	return 0;
}

/* Name rules take slots first, second...: their hits go to the first CPU's
 * value of their slot. */
static int write_names(int fd, int hits_fd, const struct migrated_entry *e, size_t n,
		       __u32 *next_slot)
{
	_cleanup_free_ __u64 *hits = calloc(map_ncpus(), sizeof(__u64));

	if (!hits)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct migrated_name *v = e[i].value;
		__u32 slot = (*next_slot)++;

		v->rule.slot = slot;
		hits[0] = v->hits;
		if (bpf_map_update_elem(hits_fd, &slot, hits, 0) < 0 ||
		    bpf_map_update_elem(fd, e[i].key, &v->rule, BPF_ANY) < 0)
			return -errno;
	}
	return 0;
}

static int write_stats(int fd, const struct migrated *m)
{
	int ncpus = map_ncpus();
	_cleanup_free_ struct mptcpify_stats *v = calloc(ncpus, sizeof(*v));
	__u32 primary = MPTCPIFY_COPY_PRIMARY;

	if (!v)
		return -ENOMEM;
	for (int c = 0; c < ncpus; c++)
		for (unsigned i = 0; i < m->n_stats; i++)
			v[c].n[i] = m->stats[(size_t)i * ncpus + c];
	return bpf_map_update_elem(fd, &primary, v, 0) < 0 ? -errno : 0;
}

int migrated_restore(const struct migrated *m, struct mptcpify_bpf *skel)
{
	struct mptcpify_config cfg = {};
	__u32 zero = 0, slot = 0;
	int r, cfg_fd = bpf_map__fd(skel->maps.data_config);
	int hits_fd = bpf_map__fd(skel->maps.name_hits);

	r = write_names(bpf_map__fd(skel->maps.comm_rules), hits_fd, m->comm, m->n_comm, &slot);
	if (!r)
		r = write_names(bpf_map__fd(skel->maps.comm_exclude), hits_fd, m->exclude,
				m->n_exclude, &slot);
	if (!r)
		r = write_names(bpf_map__fd(skel->maps.comm_deny), hits_fd, m->deny, m->n_deny, &slot);
	if (!r)
		r = write_all(bpf_map__fd(skel->maps.cgroup_rules), m->cgroup, m->n_cgroup);
	if (!r)
		r = write_all(bpf_map__fd(skel->maps.veto_paths), m->veto_paths, m->n_veto_paths);
	if (!r)
		r = write_all(bpf_map__fd(skel->maps.cgroup_vetoes), m->vetoes, m->n_vetoes);
	if (!r)
		r = write_all(bpf_map__fd(skel->maps.auto_exclude), m->auto_exclude,
			      m->n_auto_exclude);
	if (!r)
		r = write_all(bpf_map__fd(skel->maps.cgroup_paths), m->paths, m->n_paths);
	if (!r)
		r = write_all(bpf_map__fd(skel->maps.cgroup_globs), m->globs, m->n_globs);
	if (!r)
		r = name_filter_write(bpf_map__fd(skel->maps.data_names),
				      bpf_map__fd(skel->maps.comm_rules),
				      bpf_map__fd(skel->maps.comm_exclude),
				      bpf_map__fd(skel->maps.comm_deny));
	for (__u32 i = 0; !r && m->retired && i <= MPTCPIFY_MAX_RULE_NUMBER; i++)
		if (m->retired[i] &&
		    bpf_map_update_elem(bpf_map__fd(skel->maps.retired_hits), &i, &m->retired[i], 0) < 0)
			r = -errno;
	if (!r && m->stats)
		r = write_stats(bpf_map__fd(skel->maps.stats), m);
	if (!r)
		r = write_all(bpf_map__fd(skel->maps.audit_comms), m->audit_comms, m->n_audit_comms);
	if (!r)
		r = write_all(bpf_map__fd(skel->maps.audit_cgroups), m->audit_cgroups,
			      m->n_audit_cgroups);
	if (!r)
		r = write_all(bpf_map__fd(skel->maps.sockopt_refused), m->refused, m->n_refused);
	/* Counts as read, so that list's and status's totals go on. */
	if (!r && m->abi >= 5) {
		struct mptcpify_audit_config a = m->audit;

		a.n_comm = m->n_audit_comms;
		a.n_cgroup = m->n_audit_cgroups;
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.audit_config), &zero, &a, 0) < 0)
			r = -errno;
	}
	for (__u32 i = 0; !r && m->compat_stats && i < MPTCPIFY_COMPAT_STAT_MAX; i++)
		if (m->compat_stats[i] &&
		    bpf_map_update_elem(bpf_map__fd(skel->maps.compat_stats), &i,
					&m->compat_stats[i], 0) < 0)
			r = -errno;
	if (!r && bpf_map_lookup_elem(cfg_fd, &zero, &cfg) < 0)
		r = -errno;
	if (!r) {
		size_t n_globs = 0;

		for (size_t i = 0; i < m->n_globs; i++) {
			const struct mptcpify_glob_dir *d = m->globs[i].value;

			for (int g = 0; g < MPTCPIFY_GLOBS_PER_DIR; g++)
				n_globs += d->g[g].number != 0;
		}
		cfg.all = m->all;
		cfg.n_comm = m->n_comm;
		cfg.n_exclude = m->n_exclude;
		cfg.n_cgroup = m->n_cgroup + m->n_paths + n_globs;
		cfg.levels = ~0u;  /* every depth, until the next recount knows better */
		cfg.n_deny = m->n_deny;
		cfg.n_veto = m->n_veto;
		cfg.veto_levels = m->veto_levels;
		cfg.veto_flags = m->veto_flags;
		mptcpify_config_derive(&cfg);
		if (bpf_map_update_elem(cfg_fd, &zero, &cfg, 0) < 0)
			r = -errno;
	}
	return r ? fail(EXIT_INTERNAL, "cannot write the rules into the new maps: %s",
			strerror(-r)) : 0;
}

static void free_entries(struct migrated_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].key);
		free(e[i].value);
	}
	free(e);
}

void migrated_free(struct migrated *m)
{
	free_entries(m->comm, m->n_comm);
	free_entries(m->exclude, m->n_exclude);
	free_entries(m->cgroup, m->n_cgroup);
	free_entries(m->paths, m->n_paths);
	free_entries(m->globs, m->n_globs);
	free_entries(m->audit_comms, m->n_audit_comms);
	free_entries(m->audit_cgroups, m->n_audit_cgroups);
	free_entries(m->refused, m->n_refused);
	free_entries(m->deny, m->n_deny);
	free_entries(m->veto_paths, m->n_veto_paths);
	free_entries(m->vetoes, m->n_vetoes);
	free_entries(m->auto_exclude, m->n_auto_exclude);
	free(m->compat_stats);
	free(m->retired);
	free(m->stats);
	memset(m, 0, sizeof(*m));
}
