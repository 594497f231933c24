// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "cgroup_pattern.h"
#include "cgroups.h"
#include "config.h"
#include "map_util.h"
#include "path_rules.h"
#include "rules.h"
#include "util.h"

int path_rule_parse(const char *given, struct path_rule *pr, const char **why)
{
	_cleanup_free_ char *norm = NULL;
	const char *rel, *star, *last;
	int depth = 0;

	memset(pr, 0, sizeof(*pr));
	if (cgroup_path_normalize(given, &norm, why) < 0)
		return -EINVAL;
	if (norm[0] == '/') {
		size_t n = strlen(CGROUP2_ROOT);

		if (strncmp(norm, CGROUP2_ROOT, n) != 0 || (norm[n] != '/' && norm[n] != '\0')) {
			*why = "is not under " CGROUP2_ROOT " (give a path below it, absolute or relative)";
			return -EINVAL;
		}
		rel = norm + n;
	} else {
		rel = norm;
	}
	snprintf(pr->rel, sizeof(pr->rel), "%s%s", rel[0] == '/' ? "" : "/", rel);
	if (strcmp(pr->rel, "/") == 0 || !pr->rel[1]) {
		*why = "names the cgroup root: use attach --all for every process";
		return -EINVAL;
	}
	for (const char *p = pr->rel; *p; p++)
		depth += *p == '/';
	if (depth > MPTCPIFY_MAX_CGROUP_DEPTH) {
		*why = "is more than 16 levels below the root (the hook looks at 16): select an ancestor";
		return -EINVAL;
	}
	star = strchr(pr->rel, '*');
	if (!star)
		return 0;
	last = strrchr(pr->rel, '/');
	pr->glob = true;
	if (last == pr->rel)
		snprintf(pr->dir, sizeof(pr->dir), "/");
	else
		snprintf(pr->dir, sizeof(pr->dir), "%.*s", (int)(last - pr->rel), pr->rel);
	snprintf(pr->prefix, sizeof(pr->prefix), "%.*s", (int)(star - last - 1), last + 1);
	snprintf(pr->suffix, sizeof(pr->suffix), "%s", star + 1);
	return 0;
}

const char *path_rule_show(const struct path_rule *pr, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", CGROUP2_ROOT, pr->rel);
	return buf;
}

static void path_key(const char *path, char key[MPTCPIFY_CGROUP_PATH_LEN])
{
	memset(key, 0, MPTCPIFY_CGROUP_PATH_LEN);
	memcpy(key, path, strnlen(path, MPTCPIFY_CGROUP_PATH_LEN - 1));
}

static bool name_matches(const struct path_rule *pr, const char *name)
{
	size_t n = strlen(name), pl = strlen(pr->prefix), sl = strlen(pr->suffix);

	return n >= pl + sl && strncmp(name, pr->prefix, pl) == 0 &&
	       strcmp(name + n - sl, pr->suffix) == 0;
}

/* ABI 7: the hook counts a numbered rule's hits in rule_hits. */
static int zero_rule_hits(struct state *s, uint32_t number)
{
	_cleanup_free_ __u64 *zero = calloc(map_ncpus(), sizeof(__u64));

	if (!zero)
		return -ENOMEM;
	return bpf_map_update_elem(s->map_fd[MAP_RULE_HITS], &number, zero, 0) < 0 ? -errno : 0;
}

/* Rule numbers in use; the lowest free one is taken. */
static int used_number(const struct path_rule *pr, uint32_t number, uint32_t flags, void *ud)
{
	bool *used = ud;

	if (number <= MPTCPIFY_MAX_RULE_NUMBER)
		used[number] = true;
	return 0;
}

/* Deny and exclude paths (veto_paths) take their numbers from the same
 * space: retired_hits holds the hits of both. */
static int used_veto_numbers(struct state *s, bool *used)
{
	char key[MPTCPIFY_CGROUP_PATH_LEN], next[MPTCPIFY_CGROUP_PATH_LEN];
	bool first = true;
	int fd = s->map_fd[MAP_VETO_PATHS];

	while (fd >= 0 && bpf_map_get_next_key(fd, first ? NULL : key, next) == 0) {
		struct mptcpify_path_rule v;

		memcpy(key, next, sizeof(key));
		first = false;
		if (bpf_map_lookup_elem(fd, key, &v) == 0 && v.number <= MPTCPIFY_MAX_RULE_NUMBER)
			used[v.number] = true;
	}
	return fd < 0 || errno == ENOENT ? 0 : -errno;
}

int path_rule_new_number(struct state *s, uint32_t *ret)
{
	_cleanup_free_ bool *used = calloc(MPTCPIFY_MAX_RULE_NUMBER + 1, sizeof(bool));
	__u64 zero = 0;
	int r;

	if (!used)
		return -ENOMEM;
	r = path_rules_foreach(s, used_number, used);
	if (!r)
		r = used_veto_numbers(s, used);
	if (r)
		return r;
	for (uint32_t n = 1; n <= MPTCPIFY_MAX_RULE_NUMBER; n++)
		if (!used[n]) {
			*ret = n;
			/* Hits of an earlier rule with this number are not its. */
			if (bpf_map_update_elem(s->map_fd[MAP_RETIRED], &n, &zero, 0) < 0)
				return -errno;
			return zero_rule_hits(s, n);
		}
	return -E2BIG;
}

/* Selects one existing cgroup for rule number. The id is checked again
 * afterwards: if the cgroup went away in between, the rmdir() program ran
 * before the id was added and would never remove it. */
static int select_existing(struct state *s, const char *abs, uint32_t number, uint32_t flags,
			   unsigned *n_live)
{
	uint64_t id, again;
	int r;

	if (cgroup_id_of_path(abs, &id) < 0)
		return 0;  /* gone already, or not a cgroup */
	r = rule_cgroup_add(s, id, flags, number);
	if (r == -EEXIST)
		return 0;  /* selected by id already (run): left as it is */
	if (r < 0)
		return r;
	if (cgroup_id_of_path(abs, &again) < 0 || again != id)
		rule_cgroup_del(s, id);
	else if (n_live)
		(*n_live)++;
	return 0;
}

static int select_matching(struct state *s, const struct path_rule *pr, uint32_t number,
			   uint32_t flags, unsigned *n_live)
{
	char dir[PATH_MAX], abs[PATH_MAX + NAME_MAX + 2];
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (!pr->glob) {
		snprintf(abs, sizeof(abs), "%s%s", CGROUP2_ROOT, pr->rel);
		return select_existing(s, abs, number, flags, n_live);
	}
	snprintf(dir, sizeof(dir), "%s%s", CGROUP2_ROOT, strcmp(pr->dir, "/") ? pr->dir : "");
	d = opendir(dir);
	if (!d)
		return 0;  /* no such directory now: its children come later */
	while (!r && (de = readdir(d)))
		if (de->d_type == DT_DIR && de->d_name[0] != '.' && name_matches(pr, de->d_name)) {
			snprintf(abs, sizeof(abs), "%s/%s", dir, de->d_name);
			r = select_existing(s, abs, number, flags, n_live);
		}
	closedir(d);
	return r;
}

static int glob_slot(const struct mptcpify_glob_dir *gd, const struct path_rule *pr)
{
	for (int i = 0; i < MPTCPIFY_GLOBS_PER_DIR; i++) {
		const struct mptcpify_glob *g = &gd->g[i];

		if (g->number && strcmp(g->prefix, pr->prefix) == 0 && strcmp(g->suffix, pr->suffix) == 0)
			return i;
	}
	return -1;
}

int path_rule_add(struct state *s, const struct path_rule *pr, uint32_t flags, unsigned *n_live)
{
	char key[MPTCPIFY_CGROUP_PATH_LEN];
	uint32_t number;
	int r;

	if (n_live)
		*n_live = 0;
	if (!pr->glob) {
		struct mptcpify_path_rule v;
		int fd = s->map_fd[MAP_PATHS];

		path_key(pr->rel, key);
		if (bpf_map_lookup_elem(fd, key, &v) == 0) {
			if ((v.flags & flags) != flags) {
				v.flags |= flags;
				if (bpf_map_update_elem(fd, key, &v, BPF_EXIST) < 0)
					return -errno;
			}
			return -EEXIST;
		}
		r = path_rule_new_number(s, &number);
		if (r)
			return r;
		v = (struct mptcpify_path_rule) { .number = number, .flags = flags };
		if (bpf_map_update_elem(fd, key, &v, BPF_NOEXIST) < 0)
			return -errno;
	} else {
		struct mptcpify_glob_dir gd = {};
		int fd = s->map_fd[MAP_GLOBS], slot;

		path_key(pr->dir, key);
		bpf_map_lookup_elem(fd, key, &gd);  /* a new directory starts empty */
		slot = glob_slot(&gd, pr);
		if (slot >= 0) {
			if ((gd.g[slot].flags & flags) != flags) {
				gd.g[slot].flags |= flags;
				if (bpf_map_update_elem(fd, key, &gd, BPF_EXIST) < 0)
					return -errno;
			}
			return -EEXIST;
		}
		for (slot = 0; slot < MPTCPIFY_GLOBS_PER_DIR && gd.g[slot].number; slot++)
			;
		if (slot == MPTCPIFY_GLOBS_PER_DIR)
			return -ENOSPC;
		r = path_rule_new_number(s, &number);
		if (r)
			return r;
		gd.g[slot] = (struct mptcpify_glob) {
			.number = number, .flags = flags,
			.prefix_len = strlen(pr->prefix), .suffix_len = strlen(pr->suffix),
		};
		memcpy(gd.g[slot].prefix, pr->prefix, strlen(pr->prefix));
		memcpy(gd.g[slot].suffix, pr->suffix, strlen(pr->suffix));
		if (bpf_map_update_elem(fd, key, &gd, BPF_ANY) < 0)
			return -errno;
	}
	/* The hook must walk the ancestors from now on: count before scanning. */
	r = rules_recount(s);
	if (!r)
		r = select_matching(s, pr, number, flags, n_live);
	return r;
}

struct sweep {
	uint32_t number;
	uint64_t *ids;
	size_t n;
};

static int collect_ids(uint64_t id, const struct mptcpify_cgroup_rule *v, void *ud)
{
	struct sweep *sw = ud;
	uint64_t *ids;

	if (v->number != sw->number)
		return 0;
	ids = realloc(sw->ids, (sw->n + 1) * sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	sw->ids = ids;
	sw->ids[sw->n++] = id;
	return 0;
}

int path_rule_del(struct state *s, const struct path_rule *pr)
{
	char key[MPTCPIFY_CGROUP_PATH_LEN];
	struct sweep sw = {};
	int r;

	if (!pr->glob) {
		struct mptcpify_path_rule v;

		path_key(pr->rel, key);
		if (bpf_map_lookup_elem(s->map_fd[MAP_PATHS], key, &v) < 0)
			return -ENOENT;
		sw.number = v.number;
		if (bpf_map_delete_elem(s->map_fd[MAP_PATHS], key) < 0)
			return -errno;
	} else {
		struct mptcpify_glob_dir gd = {};
		bool empty = true;
		int slot;

		path_key(pr->dir, key);
		if (bpf_map_lookup_elem(s->map_fd[MAP_GLOBS], key, &gd) < 0)
			return -ENOENT;
		slot = glob_slot(&gd, pr);
		if (slot < 0)
			return -ENOENT;
		sw.number = gd.g[slot].number;
		memset(&gd.g[slot], 0, sizeof(gd.g[slot]));
		for (int i = 0; i < MPTCPIFY_GLOBS_PER_DIR; i++)
			empty = empty && !gd.g[i].number;
		if ((empty ? bpf_map_delete_elem(s->map_fd[MAP_GLOBS], key) :
			     bpf_map_update_elem(s->map_fd[MAP_GLOBS], key, &gd, BPF_EXIST)) < 0)
			return -errno;
	}
	/* The rule is gone from the maps: a mkdir() racing with this sweep
	 * sees that and takes its id back itself (the BPF side). */
	r = cgroup_rules_foreach(s, collect_ids, &sw);
	for (size_t i = 0; !r && i < sw.n; i++)
		rule_cgroup_del(s, sw.ids[i]);
	free(sw.ids);
	return r;
}

int path_rules_foreach(struct state *s, path_rule_visit_fn fn, void *userdata)
{
	char key[MPTCPIFY_CGROUP_PATH_LEN], next[MPTCPIFY_CGROUP_PATH_LEN];
	bool first = true;
	int r;

	while (bpf_map_get_next_key(s->map_fd[MAP_PATHS], first ? NULL : key, next) == 0) {
		struct mptcpify_path_rule v;
		struct path_rule pr = {};

		memcpy(key, next, sizeof(key));
		first = false;
		if (bpf_map_lookup_elem(s->map_fd[MAP_PATHS], key, &v) < 0)
			continue;
		snprintf(pr.rel, sizeof(pr.rel), "%s", key);
		r = fn(&pr, v.number, v.flags, userdata);
		if (r)
			return r;
	}
	if (errno != ENOENT)
		return -errno;
	first = true;
	while (bpf_map_get_next_key(s->map_fd[MAP_GLOBS], first ? NULL : key, next) == 0) {
		struct mptcpify_glob_dir gd;

		memcpy(key, next, sizeof(key));
		first = false;
		if (bpf_map_lookup_elem(s->map_fd[MAP_GLOBS], key, &gd) < 0)
			continue;
		for (int i = 0; i < MPTCPIFY_GLOBS_PER_DIR; i++) {
			struct mptcpify_glob *g = &gd.g[i];
			struct path_rule pr = { .glob = true };

			if (!g->number)
				continue;
			snprintf(pr.dir, sizeof(pr.dir), "%s", key);
			snprintf(pr.prefix, sizeof(pr.prefix), "%.*s", g->prefix_len, g->prefix);
			snprintf(pr.suffix, sizeof(pr.suffix), "%.*s", g->suffix_len, g->suffix);
			snprintf(pr.rel, sizeof(pr.rel), "%s/%s*%s", strcmp(key, "/") ? key : "",
				 pr.prefix, pr.suffix);
			r = fn(&pr, g->number, g->flags, userdata);
			if (r)
				return r;
		}
	}
	return errno == ENOENT ? 0 : -errno;
}

uint64_t path_rule_retired_hits(struct state *s, uint32_t number)
{
	_cleanup_free_ __u64 *per_cpu = calloc(map_ncpus(), sizeof(__u64));
	__u64 v = 0;

	bpf_map_lookup_elem(s->map_fd[MAP_RETIRED], &number, &v);
	if (per_cpu && bpf_map_lookup_elem(s->map_fd[MAP_RULE_HITS], &number, per_cpu) == 0)
		for (int c = 0; c < map_ncpus(); c++)
			v += per_cpu[c];
	return v;
}

static int add_to_totals(uint64_t id, const struct mptcpify_cgroup_rule *v, void *ud)
{
	struct path_rule_totals *t = ud;

	if (v->number && v->number <= MPTCPIFY_MAX_RULE_NUMBER) {
		t->live[v->number]++;
		t->hits[v->number] += v->hits;
	}
	return 0;
}

int path_rule_totals_read(struct state *s, struct path_rule_totals *t)
{
	memset(t, 0, sizeof(*t));
	return cgroup_rules_foreach(s, add_to_totals, t);
}

int path_rules_of_lists(const struct conf_list *cgroups, const struct conf_list *units,
			struct path_rule **ret, size_t *n)
{
	*ret = calloc(cgroups->n + units->n + 1, sizeof(**ret));
	*n = 0;
	if (!*ret)
		return -ENOMEM;
	for (size_t i = 0; i < cgroups->n + units->n; i++) {
		bool unit = i >= cgroups->n;
		const char *v = unit ? units->v[i - cgroups->n] : cgroups->v[i];
		char path[PATH_MAX];
		const char *why = NULL;
		bool was = log_quiet;
		int r = 0;

		log_quiet = true;
		if (unit)
			r = unit_cgroup(v, path, sizeof(path));
		log_quiet = was;
		if (r || path_rule_parse(unit ? path : v, &(*ret)[*n], &why) < 0) {
			debug("%s %s: no cgroup path now (%s), skipped", unit ? "unit" : "cgroup", v,
			      why ? why : "systemctl failed");
			continue;
		}
		(*n)++;
	}
	return 0;
}
