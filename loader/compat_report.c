// SPDX-License-Identifier: GPL-2.0-only
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>

#include "cgroups.h"
#include "compat_report.h"
#include "map_util.h"
#include "rules.h"
#include "sockopt_names.h"
#include "util.h"

static int cmp_entry(const void *a, const void *b)
{
	const struct mptcpify_sockopt_key *x = &((const struct sockopt_entry *)a)->k;
	const struct mptcpify_sockopt_key *y = &((const struct sockopt_entry *)b)->k;
	int c = strncmp(x->comm, y->comm, MPTCPIFY_COMM_LEN);

	if (c)
		return c;
	if (x->cgroup_id != y->cgroup_id)
		return x->cgroup_id < y->cgroup_id ? -1 : 1;
	if (x->op != y->op)
		return x->op - y->op;
	if (x->level != y->level)
		return x->level - y->level;
	if (x->optname != y->optname)
		return x->optname - y->optname;
	return x->error - y->error;
}

struct collect {
	int fd;
	struct sockopt_entry *v;
	size_t n;
	int r;
};

static void collect_one(const void *key, void *arg)
{
	struct collect *c = arg;
	struct sockopt_entry e;
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

int sockopt_entries_read(struct state *s, enum state_map map, struct sockopt_entry **ret, size_t *n)
{
	struct collect c = { .fd = s->map_fd[map] };
	__u32 count;
	int r;

	*ret = NULL;
	*n = 0;
	if (c.fd < 0)
		return -ENOENT;
	r = map_walk_keys(c.fd, sizeof(struct mptcpify_sockopt_key), collect_one, &c, &count);
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

/* Whether key is in map fd, whatever its value's layout. */
static bool has_key(int fd, const void *key)
{
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi);
	_cleanup_free_ void *v = NULL;
	size_t size;

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &mi, &len) < 0)
		return false;
	size = (mi.value_size + 7) / 8 * 8 * map_ncpus();  /* per-CPU maps: one per CPU */
	v = malloc(size);
	return v && bpf_map_lookup_elem(fd, key, v) == 0;
}

static struct { uint64_t id; char path[PATH_MAX]; } path_cache[32];
static size_t n_path_cache;

const char *sockopt_cgroup_path(uint64_t id, char *buf, size_t len)
{
	for (size_t i = 0; i < n_path_cache; i++)
		if (path_cache[i].id == id) {
			snprintf(buf, len, "%s", path_cache[i].path);
			return buf;
		}
	if (cgroup_path_of(id, buf, len) < 0)
		snprintf(buf, len, "(cgroup %" PRIu64 ", gone)", id);
	if (n_path_cache < ELEMENTSOF(path_cache)) {
		path_cache[n_path_cache].id = id;
		snprintf(path_cache[n_path_cache++].path, PATH_MAX, "%s", buf);
	}
	return buf;
}

/* A deny rule, an exclude cgroup rule or compat = exclude that keeps the
 * program (comm key, cgroup id) on TCP now: said in buf. */
static bool sockopt_veto_of(struct state *s, const char *key, uint64_t cgroup_id, char *buf,
			    size_t len)
{
	struct mptcpify_auto_key ak = { .cgroup_id = cgroup_id };
	char path[PATH_MAX];

	if (has_key(s->map_fd[MAP_DENY], key)) {
		snprintf(buf, len, "denied: comm %s", key);
		return true;
	}
	memcpy(ak.comm, key, sizeof(ak.comm));
	if (has_key(s->map_fd[MAP_AUTO_EXCLUDE], &ak)) {
		snprintf(buf, len, "on TCP since: compat = exclude");
		return true;
	}
	sockopt_cgroup_path(cgroup_id, path, sizeof(path));
	if (path[0] != '/')
		return false;
	/* The cgroup and its ancestors: a deny anywhere wins. */
	for (int deny = 1; deny >= 0; deny--)
		for (size_t i = strlen(CGROUP2_ROOT) + 1; i <= strlen(path); i++) {
			struct mptcpify_cgroup_rule v;
			char prefix[PATH_MAX];
			uint64_t id;

			if (path[i] != '/' && path[i] != '\0')
				continue;
			snprintf(prefix, sizeof(prefix), "%.*s", (int)i, path);
			if (cgroup_id_of_path(prefix, &id) < 0 || s->map_fd[MAP_VETOES] < 0 ||
			    bpf_map_lookup_elem(s->map_fd[MAP_VETOES], &id, &v) < 0 ||
			    !!(v.flags & MPTCPIFY_RULE_DENY) != deny)
				continue;
			snprintf(buf, len, "%s: cgroup %s", deny ? "denied" : "excluded", prefix);
			return true;
		}
	return false;
}

const char *sockopt_rule_of(struct state *s, const char *comm, uint64_t cgroup_id, char *buf,
			    size_t len, bool *selected)
{
	struct mptcpify_config cfg = {};
	char key[MPTCPIFY_COMM_LEN], path[PATH_MAX];

	*selected = true;
	comm_key(comm, key);
	config_read(s, &cfg);
	/* The hook's order: deny first, then an excluded name is never
	 * converted, system-wide mode comes before name rules, name rules
	 * before cgroup rules; deny and exclude cgroup rules and compat =
	 * exclude keep a selected program on TCP. */
	if (sockopt_veto_of(s, key, cgroup_id, buf, len)) {
		*selected = false;
		return buf;
	}
	if (has_key(s->map_fd[MAP_EXCLUDE], key)) {
		*selected = false;
		snprintf(buf, len, "asked for MPTCP itself; its name is excluded");
		return buf;
	}
	if (cfg.all) {
		snprintf(buf, len, "system-wide rule");
		return buf;
	}
	if (has_key(s->map_fd[MAP_COMM], key)) {
		snprintf(buf, len, "comm rule %s", key);
		return buf;
	}
	sockopt_cgroup_path(cgroup_id, path, sizeof(path));
	if (path[0] == '/') {
		/* Ancestors from the root down: the shallowest rule wins. */
		size_t root = strlen(CGROUP2_ROOT);

		for (size_t i = root; i <= strlen(path); i++) {
			char prefix[PATH_MAX];
			uint64_t id;

			if (path[i] != '/' && path[i] != '\0')
				continue;
			snprintf(prefix, sizeof(prefix), "%.*s", (int)i, path);
			if (cgroup_id_of_path(prefix, &id) == 0 && has_key(s->map_fd[MAP_CGROUP], &id)) {
				snprintf(buf, len, "cgroup rule %s", prefix);
				return buf;
			}
		}
	}
	*selected = false;
	snprintf(buf, len, "asked for MPTCP itself");
	return buf;
}

void sockopt_refused_json(struct json *j, struct state *s, const struct sockopt_entry *e)
{
	char call[96], lv[16], on[16], en[16], rule[PATH_MAX + 32], path[PATH_MAX];
	bool selected;

	json_open_object(j, NULL);
	json_string(j, "comm", e->k.comm);
	json_u64(j, "last_pid", e->v.last_pid);
	json_string(j, "cgroup", sockopt_cgroup_path(e->k.cgroup_id, path, sizeof(path)));
	json_u64(j, "cgroup_id", e->k.cgroup_id);
	json_string(j, "call", sockopt_call_name(e->k.op, e->k.level, e->k.optname, call, sizeof(call)));
	json_string(j, "level", sockopt_level_name(e->k.level, lv, sizeof(lv)));
	json_string(j, "option", sockopt_option_name(e->k.level, e->k.optname, on, sizeof(on)));
	json_i64(j, "level_number", e->k.level);
	json_i64(j, "option_number", e->k.optname);
	json_string(j, "errno", sockopt_errno_name(e->k.error, en, sizeof(en)));
	json_u64(j, "count", e->v.count);
	json_string(j, "rule", sockopt_rule_of(s, e->k.comm, e->k.cgroup_id, rule, sizeof(rule), &selected));
	json_bool(j, "selected", selected);
	json_close_object(j);
}

size_t sockopt_refused_print(struct state *s, const char *indent)
{
	_cleanup_free_ struct sockopt_entry *e = NULL;
	size_t n = 0;

	if (sockopt_entries_read(s, MAP_SO_REFUSED, &e, &n) < 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char call[96], en[16], rule[PATH_MAX + 32], path[PATH_MAX];
		bool selected;

		printf("%s%s[%u] %s %s %" PRIu64 "x (%s; cgroup %s)\n", indent, e[i].k.comm,
		       e[i].v.last_pid, sockopt_call_name(e[i].k.op, e[i].k.level, e[i].k.optname,
							 call, sizeof(call)),
		       sockopt_errno_name(e[i].k.error, en, sizeof(en)), (uint64_t)e[i].v.count,
		       sockopt_rule_of(s, e[i].k.comm, e[i].k.cgroup_id, rule, sizeof(rule), &selected),
		       sockopt_cgroup_path(e[i].k.cgroup_id, path, sizeof(path)));
	}
	return n;
}

static uint64_t new_refusals(struct state *s)
{
	__u32 k = MPTCPIFY_COMPAT_NEW_REFUSAL;
	__u64 v = 0;

	if (s->map_fd[MAP_COMPAT_STATS] >= 0)
		bpf_map_lookup_elem(s->map_fd[MAP_COMPAT_STATS], &k, &v);
	return v;
}

static bool seen(struct refusal_watch *w, const struct mptcpify_sockopt_key *k, bool add)
{
	void *n;

	for (size_t i = 0; i < w->n_seen; i++)
		if (w->seen[i].op == k->op && w->seen[i].level == k->level &&
		    w->seen[i].optname == k->optname &&
		    strncmp(w->seen[i].comm, k->comm, MPTCPIFY_COMM_LEN) == 0)
			return true;
	if (!add || !(n = realloc(w->seen, (w->n_seen + 1) * sizeof(*w->seen))))
		return false;
	w->seen = n;
	memcpy(w->seen[w->n_seen].comm, k->comm, MPTCPIFY_COMM_LEN);
	w->seen[w->n_seen].op = k->op;
	w->seen[w->n_seen].level = k->level;
	w->seen[w->n_seen++].optname = k->optname;
	return false;
}

void refusal_watch_poll(struct refusal_watch *w, struct state *s, refusal_fn fn, void *ud)
{
	_cleanup_free_ struct sockopt_entry *e = NULL;
	uint64_t gen = new_refusals(s);
	size_t n = 0;

	if (gen == w->generation)
		return;
	w->generation = gen;
	if (sockopt_entries_read(s, MAP_SO_REFUSED, &e, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		char rule[PATH_MAX + 32];
		bool selected;

		if (seen(w, &e[i].k, true) || !fn)
			continue;
		sockopt_rule_of(s, e[i].k.comm, e[i].k.cgroup_id, rule, sizeof(rule), &selected);
		fn(&e[i], rule, selected, ud);
	}
}

void refusal_watch_init(struct refusal_watch *w, struct state *s)
{
	*w = (struct refusal_watch){ .generation = UINT64_MAX };
	refusal_watch_poll(w, s, NULL, NULL);
}

void refusal_watch_free(struct refusal_watch *w)
{
	free(w->seen);
	w->seen = NULL;
	w->n_seen = 0;
}

const char *refusal_line(const struct sockopt_entry *e, const char *rule, bool selected, char *buf,
			 size_t len)
{
	char call[96];

	snprintf(buf, len, "%s[%u]: %s refused on MPTCP (%s): %s", e->k.comm, e->v.last_pid,
		 sockopt_call_name(e->k.op, e->k.level, e->k.optname, call, sizeof(call)), rule,
		 selected ? "exclude or deny it" : strncmp(rule, "asked for", 9) == 0 ? "deny it" :
		 "its next sockets are TCP");
	return buf;
}
