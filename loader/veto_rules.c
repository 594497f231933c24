// SPDX-License-Identifier: GPL-2.0-only
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "cgroups.h"
#include "map_util.h"
#include "rules.h"
#include "util.h"
#include "veto_rules.h"

static void veto_key(char kind, const char *rel, char key[MPTCPIFY_CGROUP_PATH_LEN])
{
	memset(key, 0, MPTCPIFY_CGROUP_PATH_LEN);
	memcpy(key, rel, strnlen(rel, MPTCPIFY_CGROUP_PATH_MAX));
	key[MPTCPIFY_CGROUP_PATH_LEN - 1] = kind;
}

/* A rule's live id moves to another rule: its hits go to the rule's
 * retired ones, as when its cgroup is removed. */
static void retire_hits(struct state *s, const struct mptcpify_cgroup_rule *v)
{
	__u32 number = v->number;
	__u64 h = 0;

	if (!v->hits || bpf_map_lookup_elem(s->map_fd[MAP_RETIRED], &number, &h) < 0)
		return;
	h += v->hits;
	bpf_map_update_elem(s->map_fd[MAP_RETIRED], &number, &h, 0);
}

/* Selects the cgroup at abs for rule number (flags: the rule's). A deny
 * takes a cgroup an exclude holds; an exclude never takes a deny's. The id
 * is checked again afterwards: if the cgroup went away in between, the
 * rmdir() program ran before the id was added and would never remove it. */
static int select_veto(struct state *s, const char *abs, uint32_t number, uint32_t flags,
		       unsigned *n_live)
{
	struct mptcpify_cgroup_rule v = { .flags = flags, .number = number }, old;
	int fd = s->map_fd[MAP_VETOES];
	uint64_t id, again;

	if (cgroup_id_of_path(abs, &id) < 0)
		return 0;  /* not there now: the mkdir() program selects it later */
	if (bpf_map_lookup_elem(fd, &id, &old) == 0) {
		if (old.number == number || !(flags & MPTCPIFY_RULE_DENY) ||
		    (old.flags & MPTCPIFY_RULE_DENY))
			return 0;
		if (bpf_map_update_elem(fd, &id, &v, BPF_EXIST) < 0)
			return errno == ENOENT ? 0 : -errno;
		retire_hits(s, &old);
	} else if (bpf_map_update_elem(fd, &id, &v, BPF_NOEXIST) < 0) {
		return errno == EEXIST ? 0 : -errno;
	}
	if (cgroup_id_of_path(abs, &again) < 0 || again != id)
		bpf_map_delete_elem(fd, &id);
	else if (n_live)
		(*n_live)++;
	return 0;
}

static void abs_path(const struct path_rule *pr, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", CGROUP2_ROOT, pr->rel);
}

int veto_path_add(struct state *s, char kind, const struct path_rule *pr, uint32_t flags,
		  unsigned *n_live)
{
	char key[MPTCPIFY_CGROUP_PATH_LEN], abs[PATH_MAX];
	int fd = s->map_fd[MAP_VETO_PATHS];
	struct mptcpify_path_rule v;
	uint32_t number;
	int r;

	if (n_live)
		*n_live = 0;
	if (pr->glob)
		return -EINVAL;
	veto_key(kind, pr->rel, key);
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
	v = (struct mptcpify_path_rule){
		.number = number,
		.flags = flags | (kind == MPTCPIFY_VETO_DENY ? MPTCPIFY_RULE_DENY : 0),
	};
	if (bpf_map_update_elem(fd, key, &v, BPF_NOEXIST) < 0)
		return errno == E2BIG ? -E2BIG : -errno;
	/* The mkdir() program and the hook look from now on: count first. */
	r = rules_recount(s);
	abs_path(pr, abs, sizeof(abs));
	return r ? r : select_veto(s, abs, number, v.flags, n_live);
}

struct sweep {
	int fd;
	uint32_t number;
	uint64_t *ids;
	size_t n;
	int r;
};

static void sweep_one(const void *key, void *arg)
{
	struct sweep *sw = arg;
	struct mptcpify_cgroup_rule v;
	uint64_t *n;

	if (sw->r || bpf_map_lookup_elem(sw->fd, key, &v) < 0 || v.number != sw->number)
		return;
	n = realloc(sw->ids, (sw->n + 1) * sizeof(*n));
	if (!n) {
		sw->r = -ENOMEM;
		return;
	}
	sw->ids = n;
	memcpy(&sw->ids[sw->n++], key, sizeof(uint64_t));
}

static int reselect(char kind, const struct path_rule *pr, uint32_t number, uint32_t flags, void *ud)
{
	char abs[PATH_MAX];

	abs_path(pr, abs, sizeof(abs));
	return select_veto(ud, abs, number, flags, NULL);
}

int veto_path_del(struct state *s, char kind, const struct path_rule *pr)
{
	char key[MPTCPIFY_CGROUP_PATH_LEN];
	struct mptcpify_path_rule v;
	struct sweep sw = { .fd = s->map_fd[MAP_VETOES] };
	__u32 n;
	int r;

	veto_key(kind, pr->rel, key);
	if (bpf_map_lookup_elem(s->map_fd[MAP_VETO_PATHS], key, &v) < 0)
		return -ENOENT;
	if (bpf_map_delete_elem(s->map_fd[MAP_VETO_PATHS], key) < 0)
		return -errno;
	/* The rule is gone from the map: a mkdir() racing with this sweep
	 * sees that and takes its id back itself (the BPF side). */
	sw.number = v.number;
	r = map_walk_keys(sw.fd, sizeof(uint64_t), sweep_one, &sw, &n);
	for (size_t i = 0; !r && !sw.r && i < sw.n; i++)
		bpf_map_delete_elem(sw.fd, &sw.ids[i]);
	free(sw.ids);
	if (r || sw.r)
		return r ? r : sw.r;
	/* A cgroup the removed deny held may be another rule's exclude (the
	 * same path under both kinds, or an ancestor's rule is not affected). */
	return veto_paths_foreach(s, reselect, s);
}

int veto_paths_foreach(struct state *s, veto_path_visit_fn fn, void *userdata)
{
	char key[MPTCPIFY_CGROUP_PATH_LEN], next[MPTCPIFY_CGROUP_PATH_LEN];
	int fd = s->map_fd[MAP_VETO_PATHS];
	bool first = true;

	while (bpf_map_get_next_key(fd, first ? NULL : key, next) == 0) {
		struct mptcpify_path_rule v;
		struct path_rule pr = {};
		char kind;
		int r;

		memcpy(key, next, sizeof(key));
		first = false;
		if (bpf_map_lookup_elem(fd, key, &v) < 0)
			continue;
		kind = key[MPTCPIFY_CGROUP_PATH_LEN - 1];
		snprintf(pr.rel, sizeof(pr.rel), "%.*s", MPTCPIFY_CGROUP_PATH_MAX, key);
		r = fn(kind, &pr, v.number, v.flags, userdata);
		if (r)
			return r;
	}
	return errno == ENOENT ? 0 : -errno;
}

struct totals {
	int fd;
	struct path_rule_totals *t;
};

static void add_total(const void *key, void *arg)
{
	struct totals *tt = arg;
	struct mptcpify_cgroup_rule v;

	if (bpf_map_lookup_elem(tt->fd, key, &v) < 0 || !v.number ||
	    v.number > MPTCPIFY_MAX_RULE_NUMBER)
		return;
	tt->t->live[v.number]++;
	tt->t->hits[v.number] += v.hits;
}

int veto_totals_read(struct state *s, struct path_rule_totals *t)
{
	struct totals tt = { .fd = s->map_fd[MAP_VETOES], .t = t };
	__u32 n;

	memset(t, 0, sizeof(*t));
	return map_walk_keys(tt.fd, sizeof(uint64_t), add_total, &tt, &n);
}

int auto_exclude_clear(struct state *s)
{
	struct mptcpify_auto_key key;
	int fd = s->map_fd[MAP_AUTO_EXCLUDE];

	/* Deleting while iterating restarts from the first key each time. */
	while (bpf_map_get_next_key(fd, NULL, &key) == 0)
		if (bpf_map_delete_elem(fd, &key) < 0 && errno != ENOENT)
			return -errno;
	return 0;
}

/* The configuration's deny and exclude paths, with their kinds. */
struct wanted {
	struct path_rule *pr;
	char *kind;
	size_t n;
};

static int want_lists(struct wanted *w, char kind, const struct conf_list *cgroups,
		      const struct conf_list *units)
{
	_cleanup_free_ struct path_rule *pr = NULL;
	struct path_rule *np;
	char *nk;
	size_t n = 0;
	int r = path_rules_of_lists(cgroups, units, &pr, &n);

	if (r)
		return r;
	np = realloc(w->pr, (w->n + n + 1) * sizeof(*np));
	if (np)
		w->pr = np;
	nk = realloc(w->kind, w->n + n + 1);
	if (nk)
		w->kind = nk;
	if (!np || !nk)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (pr[i].glob)
			continue;  /* refused by the parser; a unit's path has none */
		w->pr[w->n] = pr[i];
		w->kind[w->n++] = kind;
	}
	return 0;
}

struct stale {
	const struct wanted *w;
	struct path_rule *gone;
	char *kind;
	size_t n;
	int r;
};

static int collect_stale(char kind, const struct path_rule *pr, uint32_t number, uint32_t flags,
			 void *ud)
{
	struct stale *st = ud;
	struct path_rule *g;
	char *k;

	if (!(flags & MPTCPIFY_RULE_SAVED))
		return 0;  /* a runtime rule: not the file's to remove */
	for (size_t i = 0; i < st->w->n; i++)
		if (st->w->kind[i] == kind && strcmp(st->w->pr[i].rel, pr->rel) == 0)
			return 0;
	g = realloc(st->gone, (st->n + 1) * sizeof(*g));
	if (g)
		st->gone = g;
	k = realloc(st->kind, st->n + 1);
	if (k)
		st->kind = k;
	if (!g || !k)
		return -ENOMEM;
	st->gone[st->n] = *pr;
	st->kind[st->n++] = kind;
	return 0;
}

int veto_apply_conf(struct state *s, const struct mptcpify_conf *c)
{
	struct wanted w = {};
	struct stale st = { .w = &w };
	int r;

	r = want_lists(&w, MPTCPIFY_VETO_EXCLUDE, &c->exclude_cgroups, &c->exclude_units);
	if (!r)
		r = want_lists(&w, MPTCPIFY_VETO_DENY, &c->deny_cgroups, &c->deny_units);
	if (!r)
		r = veto_paths_foreach(s, collect_stale, &st);
	for (size_t i = 0; !r && i < st.n; i++) {
		r = veto_path_del(s, st.kind[i], &st.gone[i]);
		r = r == -ENOENT ? 0 : r;
	}
	for (size_t i = 0; !r && i < w.n; i++) {
		char shown[PATH_MAX];

		r = veto_path_add(s, w.kind[i], &w.pr[i], MPTCPIFY_RULE_SAVED, NULL);
		if (r == -EEXIST) {
			r = 0;
		} else if (r == -E2BIG) {
			r = fail(EXIT_FULL, "cannot add the %s rule for %s: the deny and exclude cgroup "
				 "rules are full (%d)", w.kind[i] == MPTCPIFY_VETO_DENY ? "deny" : "exclude",
				 path_rule_show(&w.pr[i], shown, sizeof(shown)), MPTCPIFY_MAX_VETO_PATHS);
			goto out;
		}
	}
	if (!r)
		r = rule_set_compat_exclude(s, c->compat_exclude);
	if (!r)
		r = auto_exclude_clear(s);
	if (r)
		r = fail(EXIT_INTERNAL, "cannot apply the deny and exclude rules: %s", strerror(-r));
out:
	free(w.pr);
	free(w.kind);
	free(st.gone);
	free(st.kind);
	return r;
}
