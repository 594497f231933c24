// SPDX-License-Identifier: GPL-2.0-only
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <limits.h>

#include "cgroups.h"
#include "map_util.h"
#include "name_slots.h"
#include "rules.h"
#include "util.h"

void comm_key(const char *comm, char key[MPTCPIFY_COMM_LEN])
{
	memset(key, 0, MPTCPIFY_COMM_LEN);
	strncpy(key, comm, MPTCPIFY_COMM_LEN - 1);
}

/* The rule maps are not preallocated: the kernel takes each new element
 * from per-CPU caches that it refills asynchronously (irq_work, and a
 * worker for per-CPU memory). A burst of updates on a busy machine can
 * find them empty for a moment and get ENOMEM although memory is there.
 * Try again for up to about a second before calling it a failure. */
static int update_elem(int fd, const void *key, const void *v, __u64 flags)
{
	unsigned delay_us = 1000, waited_us = 0;

	while (bpf_map_update_elem(fd, key, v, flags) < 0) {
		if (errno != ENOMEM || waited_us >= 1000000)
			return -1;
		usleep(delay_us);
		waited_us += delay_us;
		if (delay_us < 64000)
			delay_us *= 2;
		debug("map update: ENOMEM; waited %u us in all, trying again", waited_us);
	}
	return 0;
}

/* A name rule (comm rule, exclude or deny) with a slot of its own for its hits;
 * an existing one only gains the flags (a runtime rule that is now also
 * saved): -EEXIST. */
static int add_name(struct state *s, int fd, const void *key, uint32_t flags)
{
	struct mptcpify_name_rule v;
	int r;

	if (bpf_map_lookup_elem(fd, key, &v) == 0) {
		if ((v.flags & flags) == flags)
			return -EEXIST;
		v.flags |= flags;
		return update_elem(fd, key, &v, BPF_EXIST) < 0 ? -errno : -EEXIST;
	}
	r = name_slot_take(&s->slots, s->map_fd[MAP_COMM], s->map_fd[MAP_EXCLUDE],
			   s->map_fd[MAP_DENY], s->map_fd[MAP_NAME_HITS], &v.slot);
	if (r)
		return r;
	v.flags = flags;
	if (update_elem(fd, key, &v, BPF_NOEXIST) < 0) {
		r = -errno;
		name_slot_give_back(&s->slots, v.slot);
		return r;
	}
	return 0;
}

static int del_key(int fd, const void *key)
{
	return bpf_map_delete_elem(fd, key) < 0 ? -errno : 0;
}

int rule_comm_add(struct state *s, enum state_map map, const char *comm, uint32_t flags)
{
	char key[MPTCPIFY_COMM_LEN];

	comm_key(comm, key);
	return add_name(s, s->map_fd[map], key, flags);
}

int rule_comm_del(struct state *s, enum state_map map, const char *comm)
{
	struct mptcpify_name_rule v;
	char key[MPTCPIFY_COMM_LEN];
	int r;

	comm_key(comm, key);
	if (bpf_map_lookup_elem(s->map_fd[map], key, &v) < 0)
		return -errno;
	r = del_key(s->map_fd[map], key);
	if (!r)
		name_slot_give_back(&s->slots, v.slot);
	return r;
}

int rule_cgroup_add(struct state *s, uint64_t id, uint32_t flags, uint32_t number)
{
	struct mptcpify_cgroup_rule v = { .flags = flags, .number = number };
	int fd = s->map_fd[MAP_CGROUP];

	if (update_elem(fd, &id, &v, BPF_NOEXIST) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	/* An id rule of the file that is now also runtime, or the reverse. */
	if (bpf_map_lookup_elem(fd, &id, &v) < 0)
		return -errno;
	if ((v.flags & flags) == flags)
		return -EEXIST;
	v.flags |= flags;
	return update_elem(fd, &id, &v, BPF_EXIST) < 0 ? -errno : -EEXIST;
}

int rule_cgroup_del(struct state *s, uint64_t id)
{
	return del_key(s->map_fd[MAP_CGROUP], &id);
}

int cgroup_rules_foreach(struct state *s, cgroup_visit_fn fn, void *userdata)
{
	int fd = s->map_fd[MAP_CGROUP];
	uint64_t key, next;
	bool first = true;

	while (bpf_map_get_next_key(fd, first ? NULL : &key, &next) == 0) {
		struct mptcpify_cgroup_rule v;
		int r;

		key = next;
		first = false;
		if (bpf_map_lookup_elem(fd, &key, &v) < 0) {
			if (errno == ENOENT)  /* removed meanwhile (rmdir) */
				continue;
			return -errno;
		}
		r = fn(key, &v, userdata);
		if (r)
			return r;
	}
	return errno == ENOENT ? 0 : -errno;
}

int config_read(struct state *s, struct mptcpify_config *cfg)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(s->map_fd[MAP_CONFIG], &zero, cfg) < 0 ? -errno : 0;
}

/* Two writes: the counts, then the generation. The hook reads the verdict
 * tag (made from the generation) first, so a verdict it makes with the new
 * tag saw the new counts too. The tag goes in with a single 8-byte store
 * into the mapped value (config_publish()): a copy by bpf(2) could be seen
 * half done. */
static int config_write(struct state *s, const struct mptcpify_config *cfg)
{
	struct mptcpify_config c = *cfg;
	__u32 zero = 0;

	mptcpify_config_derive(&c);
	c.generation = cfg->generation;
	c.verdict_tag = cfg->verdict_tag;  /* unchanged by this copy */
	if (bpf_map_update_elem(s->map_fd[MAP_CONFIG], &zero, &c, BPF_ANY) < 0)
		return -errno;
	return config_publish(s->map_fd[MAP_CONFIG], c.generation + 1);
}

int rule_set_all(struct state *s, bool on)
{
	struct mptcpify_config cfg;
	int r = config_read(s, &cfg);

	if (r)
		return r;
	cfg.all = on;
	return config_write(s, &cfg);
}

int rule_set_compat_exclude(struct state *s, bool on)
{
	struct mptcpify_config cfg;
	int r = config_read(s, &cfg);

	if (r)
		return r;
	if (!!(cfg.veto_flags & MPTCPIFY_VETO_F_COMPAT_EXCLUDE) == on)
		return 0;
	cfg.veto_flags ^= MPTCPIFY_VETO_F_COMPAT_EXCLUDE;
	return config_write(s, &cfg);
}

static unsigned path_depth(const char *rel)
{
	unsigned d = 0;

	for (; *rel; rel++)
		d += *rel == '/';
	return d;
}

/* The depths at which cgroup rules can select: those of path rules, one
 * below the directory of each pattern, and those of cgroups selected by id
 * (by `run` and --own-cgroup: found in cgroupfs). */
static int cgroup_levels(struct state *s, __u32 *levels)
{
	char key[MPTCPIFY_CGROUP_PATH_LEN], next[MPTCPIFY_CGROUP_PATH_LEN];
	uint64_t id, nid;
	bool first = true;

	*levels = 0;
	while (bpf_map_get_next_key(s->map_fd[MAP_PATHS], first ? NULL : key, next) == 0) {
		memcpy(key, next, sizeof(key));
		first = false;
		*levels |= 1u << (path_depth(key) & 31);
	}
	first = true;
	while (bpf_map_get_next_key(s->map_fd[MAP_GLOBS], first ? NULL : key, next) == 0) {
		memcpy(key, next, sizeof(key));
		first = false;
		*levels |= 1u << ((strcmp(key, "/") ? path_depth(key) + 1 : 1) & 31);
	}
	first = true;
	while (bpf_map_get_next_key(s->map_fd[MAP_CGROUP], first ? NULL : &id, &nid) == 0) {
		struct mptcpify_cgroup_rule v;
		char path[PATH_MAX];

		id = nid;
		first = false;
		if (bpf_map_lookup_elem(s->map_fd[MAP_CGROUP], &id, &v) < 0 || v.number)
			continue;
		if (cgroup_path_of(id, path, sizeof(path)) == 0)
			*levels |= 1u << (path_depth(path + strlen(CGROUP2_ROOT)) & 31);
		else
			*levels = ~0u;  /* cannot tell: every depth */
	}
	return 0;
}

/* Deny and exclude cgroup rules: their number (paths plus live ids, as
 * for n_cgroup), the depths of their paths, and whether one is a deny. */
static int veto_counts(struct state *s, struct mptcpify_config *cfg)
{
	char key[MPTCPIFY_CGROUP_PATH_LEN], next[MPTCPIFY_CGROUP_PATH_LEN];
	char path[MPTCPIFY_CGROUP_PATH_LEN];
	bool first = true;
	__u32 n_ids = 0;
	int r;

	cfg->n_veto = 0;
	cfg->veto_levels = 0;
	cfg->veto_flags &= ~MPTCPIFY_VETO_F_DENY_CGROUP;
	while (bpf_map_get_next_key(s->map_fd[MAP_VETO_PATHS], first ? NULL : key, next) == 0) {
		memcpy(key, next, sizeof(key));
		first = false;
		cfg->n_veto++;
		if (key[MPTCPIFY_CGROUP_PATH_LEN - 1] == MPTCPIFY_VETO_DENY)
			cfg->veto_flags |= MPTCPIFY_VETO_F_DENY_CGROUP;
		/* The path without its kind byte. A copy: get_next_key needs the
		 * key as stored, or it starts again from the first. */
		memcpy(path, key, sizeof(path));
		path[MPTCPIFY_CGROUP_PATH_LEN - 1] = '\0';
		cfg->veto_levels |= 1u << (path_depth(path) & 31);
	}
	if (errno != ENOENT)
		return -errno;
	r = map_count_keys(s->map_fd[MAP_VETOES], sizeof(__u64), &n_ids);
	cfg->n_veto += n_ids;
	return r;
}

int rules_recount(struct state *s)
{
	struct mptcpify_config cfg;
	int r = config_read(s, &cfg);

	if (!r)
		r = name_filter_scan(s->map_fd[MAP_NAMES], s->map_fd[MAP_COMM], s->map_fd[MAP_EXCLUDE],
			       s->map_fd[MAP_DENY], &cfg.n_comm, &cfg.n_exclude, &cfg.n_deny);
	if (!r)
		r = veto_counts(s, &cfg);
	if (!r)
		r = map_count_keys(s->map_fd[MAP_CGROUP], sizeof(__u64), &cfg.n_cgroup);
	if (!r) {
		/* Path rules count too: the kernel adds their ids at mkdir(), and
		 * the hook must not skip the walk before the first one is there. */
		__u32 n_paths = 0, n_globs = 0;

		r = map_count_keys(s->map_fd[MAP_PATHS], MPTCPIFY_CGROUP_PATH_LEN, &n_paths);
		if (!r)
			r = map_count_keys(s->map_fd[MAP_GLOBS], MPTCPIFY_CGROUP_PATH_LEN, &n_globs);
		cfg.n_cgroup += n_paths + n_globs;
	}
	if (!r)
		r = cgroup_levels(s, &cfg.levels);
	if (!r)
		r = config_write(s, &cfg);
	return r;
}

static int clear_map(int fd, size_t key_size)
{
	char key[MPTCPIFY_CGROUP_PATH_LEN];

	/* Deleting while iterating restarts from the first key each time. */
	while (bpf_map_get_next_key(fd, NULL, key) == 0)
		if (bpf_map_delete_elem(fd, key) < 0 && errno != ENOENT)
			return -errno;
	(void)key_size;
	return 0;
}

int rules_clear(struct state *s)
{
	int r;

	r = rule_set_all(s, false);
	name_slots_forget(&s->slots);
	if (!r)
		r = clear_map(s->map_fd[MAP_COMM], MPTCPIFY_COMM_LEN);
	if (!r)
		r = clear_map(s->map_fd[MAP_PATHS], MPTCPIFY_CGROUP_PATH_LEN);
	if (!r)
		r = clear_map(s->map_fd[MAP_GLOBS], MPTCPIFY_CGROUP_PATH_LEN);
	if (!r)
		r = clear_map(s->map_fd[MAP_CGROUP], sizeof(__u64));
	if (!r)
		r = clear_map(s->map_fd[MAP_EXCLUDE], MPTCPIFY_COMM_LEN);
	if (!r)
		r = clear_map(s->map_fd[MAP_DENY], MPTCPIFY_COMM_LEN);
	if (!r)
		r = clear_map(s->map_fd[MAP_VETO_PATHS], MPTCPIFY_CGROUP_PATH_LEN);
	if (!r)
		r = clear_map(s->map_fd[MAP_VETOES], sizeof(__u64));
	if (!r)
		r = rules_recount(s);
	return r;
}

int stats_read(struct state *s, uint64_t out[MPTCPIFY_STAT_MAX])
{
	_cleanup_free_ struct mptcpify_stats *v = calloc(map_ncpus(), sizeof(*v));

	if (!v)
		return -ENOMEM;
	memset(out, 0, MPTCPIFY_STAT_MAX * sizeof(*out));
	for (__u32 copy = 0; copy < MPTCPIFY_STAT_COPIES; copy++) {
		if (bpf_map_lookup_elem(s->map_fd[MAP_STATS], &copy, v) < 0)
			return -errno;
		for (int c = 0; c < map_ncpus(); c++)
			for (int i = 0; i < MPTCPIFY_STAT_MAX; i++)
				out[i] += v[c].n[i];
	}
	return 0;
}

int rules_foreach(struct state *s, enum state_map map, rule_visit_fn fn, void *userdata)
{
	size_t key_size = MPTCPIFY_COMM_LEN;
	int fd = s->map_fd[map];
	char key[64], next[64];
	void *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		struct mptcpify_name_rule v;
		__u64 hits = 0;
		int r;

		memcpy(key, next, key_size);
		prev = key;
		if (bpf_map_lookup_elem(fd, key, &v) < 0) {
			if (errno == ENOENT)  /* removed meanwhile */
				continue;
			return -errno;
		}
		name_slot_hits(s->map_fd[MAP_NAME_HITS], v.slot, &hits);
		r = fn(key, hits, v.flags, userdata);
		if (r)
			return r;
	}
	return errno == ENOENT ? 0 : -errno;
}
