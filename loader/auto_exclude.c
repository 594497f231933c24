// SPDX-License-Identifier: GPL-2.0-only
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "auto_exclude.h"
#include "compat_report.h"
#include "map_util.h"
#include "rules.h"
#include "sockopt_names.h"
#include "util.h"

static int cmp_entry(const void *a, const void *b)
{
	const struct mptcpify_auto_key *x = &((const struct auto_entry *)a)->k;
	const struct mptcpify_auto_key *y = &((const struct auto_entry *)b)->k;
	int c = strncmp(x->comm, y->comm, MPTCPIFY_COMM_LEN);

	if (c)
		return c;
	return x->cgroup_id < y->cgroup_id ? -1 : x->cgroup_id > y->cgroup_id;
}

struct collect {
	int fd;
	struct auto_entry *v;
	size_t n;
	int r;
};

static void collect_one(const void *key, void *arg)
{
	struct collect *c = arg;
	struct auto_entry e;
	void *nv;

	memcpy(&e.k, key, sizeof(e.k));
	if (c->r || bpf_map_lookup_elem(c->fd, key, &e.v) < 0)
		return;
	nv = realloc(c->v, (c->n + 1) * sizeof(*c->v));
	if (!nv) {
		c->r = -ENOMEM;
		return;
	}
	c->v = nv;
	e.k.comm[MPTCPIFY_COMM_LEN - 1] = '\0';
	c->v[c->n++] = e;
}

int auto_entries_read(struct state *s, struct auto_entry **ret, size_t *n)
{
	struct collect c = { .fd = s->map_fd[MAP_AUTO_EXCLUDE] };
	__u32 count;
	int r;

	*ret = NULL;
	*n = 0;
	if (c.fd < 0)
		return -ENOENT;
	r = map_walk_keys(c.fd, sizeof(struct mptcpify_auto_key), collect_one, &c, &count);
	if (r || c.r) {
		free(c.v);
		return r ? r : c.r;
	}
	if (c.n)
		qsort(c.v, c.n, sizeof(*c.v), cmp_entry);
	*ret = c.v;
	*n = c.n;
	return 0;
}

bool auto_exclude_on(struct state *s)
{
	struct mptcpify_config cfg = {};

	return config_read(s, &cfg) == 0 && (cfg.veto_flags & MPTCPIFY_VETO_F_COMPAT_EXCLUDE);
}

const char *auto_entry_line(const struct auto_entry *e, char *buf, size_t len)
{
	char call[96], en[16], path[PATH_MAX];

	snprintf(buf, len, "%s[%u] in %s: %s %s; %" PRIu64 " socket%s kept TCP since", e->k.comm,
		 e->v.pid, sockopt_cgroup_path(e->k.cgroup_id, path, sizeof(path)),
		 sockopt_call_name(e->v.op, e->v.level, e->v.optname, call, sizeof(call)),
		 sockopt_errno_name(e->v.error, en, sizeof(en)), (uint64_t)e->v.hits,
		 e->v.hits == 1 ? "" : "s");
	return buf;
}

void auto_entry_json(struct json *j, const struct auto_entry *e)
{
	char call[96], lv[16], on[16], en[16], path[PATH_MAX];

	json_open_object(j, NULL);
	json_string(j, "comm", e->k.comm);
	json_string(j, "cgroup", sockopt_cgroup_path(e->k.cgroup_id, path, sizeof(path)));
	json_u64(j, "cgroup_id", e->k.cgroup_id);
	json_u64(j, "pid", e->v.pid);
	json_string(j, "call", sockopt_call_name(e->v.op, e->v.level, e->v.optname, call, sizeof(call)));
	json_string(j, "level", sockopt_level_name(e->v.level, lv, sizeof(lv)));
	json_string(j, "option", sockopt_option_name(e->v.level, e->v.optname, on, sizeof(on)));
	json_string(j, "errno", sockopt_errno_name(e->v.error, en, sizeof(en)));
	json_u64(j, "hits", e->v.hits);
	json_close_object(j);
}

static uint64_t compat_stat(struct state *s, __u32 k)
{
	__u64 v = 0;

	if (s->map_fd[MAP_COMPAT_STATS] >= 0)
		bpf_map_lookup_elem(s->map_fd[MAP_COMPAT_STATS], &k, &v);
	return v;
}

/* An entry is the same when its key and the time of its refusal are: the
 * table is emptied at each reload, and a program may be added again. */
static bool same(const struct auto_seen *a, const struct auto_entry *e)
{
	return a->since_ns == e->v.since_ns && memcmp(&a->k, &e->k, sizeof(e->k)) == 0;
}

static bool seen(struct auto_watch *w, const struct auto_entry *e)
{
	void *n;

	for (size_t i = 0; i < w->n_seen; i++)
		if (same(&w->seen[i], e))
			return true;
	n = realloc(w->seen, (w->n_seen + 1) * sizeof(*w->seen));
	if (n) {
		w->seen = n;
		w->seen[w->n_seen++] = (struct auto_seen){ .k = e->k, .since_ns = e->v.since_ns };
	}
	return false;
}

void auto_watch_poll(struct auto_watch *w, struct state *s, auto_fn fn, void *ud)
{
	_cleanup_free_ struct auto_entry *e = NULL;
	uint64_t added = compat_stat(s, MPTCPIFY_COMPAT_AUTO_NEW);
	uint64_t full = compat_stat(s, MPTCPIFY_COMPAT_AUTO_FULL);
	size_t n = 0;

	if (full != w->full) {
		if (fn && w->full != UINT64_MAX)
			fn(NULL, full - w->full, ud);
		w->full = full;
	}
	if (added == w->added)
		return;
	w->added = added;
	if (auto_entries_read(s, &e, &n) < 0)
		return;
	/* Forget what is gone, so that the list does not grow across reloads. */
	for (size_t i = 0; i < w->n_seen; ) {
		bool there = false;

		for (size_t j = 0; j < n && !there; j++)
			there = same(&w->seen[i], &e[j]);
		if (there)
			i++;
		else
			w->seen[i] = w->seen[--w->n_seen];
	}
	for (size_t i = 0; i < n; i++)
		if (!seen(w, &e[i]) && fn)
			fn(&e[i], 0, ud);
}

void auto_watch_init(struct auto_watch *w, struct state *s)
{
	*w = (struct auto_watch){ .added = UINT64_MAX, .full = UINT64_MAX };
	auto_watch_poll(w, s, NULL, NULL);
}

void auto_watch_free(struct auto_watch *w)
{
	free(w->seen);
	w->seen = NULL;
	w->n_seen = 0;
}
