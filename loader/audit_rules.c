// SPDX-License-Identifier: GPL-2.0-only
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>

#include "audit_rules.h"
#include "cgroups.h"
#include "compat_pins.h"
#include "map_util.h"
#include "mptcpify.h"
#include "rules.h"
#include "util.h"

#define ALL_ON 0x80000000u   /* audit_config.all: on, with the rule flags below */

static int add(int fd, const void *key, uint32_t flags)
{
	uint32_t v = flags;

	if (bpf_map_update_elem(fd, key, &v, BPF_NOEXIST) == 0)
		return 0;
	if (errno != EEXIST)
		return errno == E2BIG ? -E2BIG : -errno;
	if (bpf_map_lookup_elem(fd, key, &v) < 0)
		return -errno;
	if ((v & flags) == flags)
		return -EEXIST;
	v |= flags;
	return bpf_map_update_elem(fd, key, &v, BPF_EXIST) < 0 ? -errno : -EEXIST;
}

int audit_comm_add(struct state *s, const char *comm, uint32_t flags)
{
	char key[MPTCPIFY_COMM_LEN];

	comm_key(comm, key);
	return add(s->map_fd[MAP_AUDIT_COMMS], key, flags);
}

int audit_cgroup_add(struct state *s, uint64_t id, uint32_t flags)
{
	return add(s->map_fd[MAP_AUDIT_CGROUPS], &id, flags);
}

int audit_comm_del(struct state *s, const char *comm)
{
	char key[MPTCPIFY_COMM_LEN];

	comm_key(comm, key);
	return bpf_map_delete_elem(s->map_fd[MAP_AUDIT_COMMS], key) < 0 ? -errno : 0;
}

int audit_cgroup_del(struct state *s, uint64_t id)
{
	return bpf_map_delete_elem(s->map_fd[MAP_AUDIT_CGROUPS], &id) < 0 ? -errno : 0;
}

static int config_get(struct state *s, struct mptcpify_audit_config *cfg)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(s->map_fd[MAP_AUDIT_CONFIG], &zero, cfg) < 0 ? -errno : 0;
}

static int config_put(struct state *s, const struct mptcpify_audit_config *cfg)
{
	__u32 zero = 0;

	return bpf_map_update_elem(s->map_fd[MAP_AUDIT_CONFIG], &zero, cfg, 0) < 0 ? -errno : 0;
}

int audit_set_all(struct state *s, bool on, uint32_t flags)
{
	struct mptcpify_audit_config cfg;
	int r = config_get(s, &cfg);

	if (r)
		return r;
	if (on && (cfg.all & ALL_ON) && (cfg.all & flags) == flags)
		return -EEXIST;
	if (!on && !cfg.all)
		return -ENOENT;
	cfg.all = on ? cfg.all | ALL_ON | flags : 0;
	return config_put(s, &cfg);
}

int audit_sync(struct state *s)
{
	struct mptcpify_audit_config cfg;
	__u32 n_comm = 0, n_cgroup = 0;
	int r = config_get(s, &cfg);

	if (!r)
		r = map_count_keys(s->map_fd[MAP_AUDIT_COMMS], MPTCPIFY_COMM_LEN, &n_comm);
	if (!r)
		r = map_count_keys(s->map_fd[MAP_AUDIT_CGROUPS], sizeof(__u64), &n_cgroup);
	if (r)
		return r;
	cfg.n_comm = n_comm;
	cfg.n_cgroup = n_cgroup;
	r = config_put(s, &cfg);
	if (r)
		return r;
	return compat_audit_links(pin_root(), cfg.all || n_comm || n_cgroup);
}

struct visit {
	audit_visit_fn fn;
	void *userdata;
	char kind;
	int fd;
	int r;
};

static void visit_key(const void *key, void *arg)
{
	struct visit *v = arg;
	uint32_t flags = 0;

	if (v->r || bpf_map_lookup_elem(v->fd, key, &flags) < 0)
		return;
	v->r = v->fn(v->kind, key, flags, v->userdata);
}

int audit_foreach(struct state *s, audit_visit_fn fn, void *userdata)
{
	struct mptcpify_audit_config cfg;
	struct visit v = { .fn = fn, .userdata = userdata };
	__u32 n;
	int r = config_get(s, &cfg);

	if (r)
		return r;
	if (cfg.all && (r = fn('a', NULL, cfg.all & ~ALL_ON, userdata)))
		return r;
	v.kind = 'c';
	v.fd = s->map_fd[MAP_AUDIT_COMMS];
	r = map_walk_keys(v.fd, MPTCPIFY_COMM_LEN, visit_key, &v, &n);
	if (r || v.r)
		return r ? r : v.r;
	v.kind = 'g';
	v.fd = s->map_fd[MAP_AUDIT_CGROUPS];
	r = map_walk_keys(v.fd, sizeof(__u64), visit_key, &v, &n);
	return r ? r : v.r;
}

/* Saved rules, to drop those the configuration no longer has. */
struct saved {
	char (*comms)[MPTCPIFY_COMM_LEN];
	uint64_t *ids;
	size_t n_comms, n_ids;
	bool all;
};

static int collect_saved(char kind, const void *key, uint32_t flags, void *ud)
{
	struct saved *sv = ud;

	if (!(flags & MPTCPIFY_RULE_SAVED))
		return 0;
	if (kind == 'a')
		sv->all = true;
	else if (kind == 'c') {
		void *n = realloc(sv->comms, (sv->n_comms + 1) * sizeof(*sv->comms));

		if (!n)
			return -ENOMEM;
		sv->comms = n;
		memcpy(sv->comms[sv->n_comms++], key, MPTCPIFY_COMM_LEN);
	} else {
		void *n = realloc(sv->ids, (sv->n_ids + 1) * sizeof(*sv->ids));

		if (!n)
			return -ENOMEM;
		sv->ids = n;
		memcpy(&sv->ids[sv->n_ids++], key, sizeof(uint64_t));
	}
	return 0;
}

static bool in_list(const struct conf_list *l, const char *v)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], v) == 0)
			return true;
	return false;
}

int audit_apply_conf(struct state *s, const struct mptcpify_conf *c)
{
	struct saved sv = {};
	int r = audit_foreach(s, collect_saved, &sv);

	/* Saved cgroup ids are all dropped and resolved again: a path's id
	 * changes when its cgroup is made again. */
	for (size_t i = 0; !r && i < sv.n_comms; i++)
		if (!in_list(&c->audit_comms, sv.comms[i]))
			audit_comm_del(s, sv.comms[i]);
	for (size_t i = 0; !r && i < sv.n_ids; i++)
		audit_cgroup_del(s, sv.ids[i]);
	if (!r && sv.all && !c->audit_all)
		r = audit_set_all(s, false, 0);
	free(sv.comms);
	free(sv.ids);
	if (r && r != -ENOENT)
		return fail(EXIT_INTERNAL, "cannot read the audit rules: %s", strerror(-r));
	r = 0;
	for (size_t i = 0; !r && i < c->audit_comms.n; i++) {
		r = audit_comm_add(s, c->audit_comms.v[i], MPTCPIFY_RULE_SAVED);
		r = r == -EEXIST ? 0 : r;
	}
	for (size_t i = 0; !r && i < c->audit_cgroups.n + c->audit_units.n; i++) {
		bool unit = i >= c->audit_cgroups.n;
		const char *v = unit ? c->audit_units.v[i - c->audit_cgroups.n] : c->audit_cgroups.v[i];
		uint64_t id;

		if (cgroup_resolve_quiet(v, unit, &id)) {
			debug("audit %s %s: no cgroup now, skipped", unit ? "unit" : "cgroup", v);
			continue;
		}
		r = audit_cgroup_add(s, id, MPTCPIFY_RULE_SAVED);
		r = r == -EEXIST ? 0 : r;
	}
	if (!r && c->audit_all) {
		r = audit_set_all(s, true, MPTCPIFY_RULE_SAVED);
		r = r == -EEXIST ? 0 : r;
	}
	if (r == -E2BIG)
		return fail(EXIT_FULL, "the audit rule maps are full (%d each): remove some audit "
			    "rules first", MPTCPIFY_MAX_AUDIT_RULES);
	if (!r)
		r = audit_sync(s);
	return r ? fail(EXIT_INTERNAL, "cannot apply the audit rules: %s", strerror(-r)) : 0;
}
