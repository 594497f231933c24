// SPDX-License-Identifier: GPL-2.0-only
/* list: the live rules with their hit counts; a cgroup path rule with the
 * number of live cgroups it selects and the hits of all it ever selected. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "audit_rules.h"
#include "auto_exclude.h"
#include "cgroups.h"
#include "compat_report.h"
#include "commands.h"
#include "containers.h"
#include "json.h"
#include "path_rules.h"
#include "rules.h"
#include "state.h"
#include "util.h"
#include "veto_rules.h"

struct list_ctx {
	struct json j;
	const char *kind;
	size_t n;
};

static void print_line(struct list_ctx *ctx, const char *target, uint64_t hits, uint32_t flags)
{
	printf("%-9s %-48s %12" PRIu64 "%s\n", ctx->kind, target, hits,
	       flags & MPTCPIFY_RULE_SAVED ? "" : "  (runtime)");
}

static int print_comm(const void *key, uint64_t hits, uint32_t flags, void *userdata)
{
	struct list_ctx *ctx = userdata;
	char comm[MPTCPIFY_COMM_LEN];

	memcpy(comm, key, sizeof(comm));
	comm[MPTCPIFY_COMM_LEN - 1] = '\0';
	ctx->n++;
	if (!arg_json) {
		print_line(ctx, comm, hits, flags);
		return 0;
	}
	json_open_object(&ctx->j, NULL);
	json_string(&ctx->j, "kind", ctx->kind);
	json_string(&ctx->j, "comm", comm);
	json_u64(&ctx->j, "hits", hits);
	json_bool(&ctx->j, "saved", flags & MPTCPIFY_RULE_SAVED);
	json_close_object(&ctx->j);
	return 0;
}

struct path_ctx {
	struct list_ctx *list;
	struct path_rule_totals *pn;
	struct state *s;
};

static int print_path(const struct path_rule *pr, uint32_t number, uint32_t flags, void *ud)
{
	struct path_ctx *pc = ud;
	struct list_ctx *ctx = pc->list;
	uint64_t hits = pc->pn->hits[number] + path_rule_retired_hits(pc->s, number);
	uint32_t live = pc->pn->live[number];
	char shown[PATH_MAX], target[PATH_MAX + 32];

	path_rule_show(pr, shown, sizeof(shown));
	ctx->n++;
	if (!arg_json) {
		snprintf(target, sizeof(target), "%s (%u live)", shown, live);
		print_line(ctx, target, hits, flags);
		return 0;
	}
	json_open_object(&ctx->j, NULL);
	json_string(&ctx->j, "kind", ctx->kind);
	json_string(&ctx->j, "cgroup", shown);
	json_bool(&ctx->j, "pattern", pr->glob);
	json_u64(&ctx->j, "live_cgroups", live);
	json_u64(&ctx->j, "hits", hits);
	json_bool(&ctx->j, "saved", flags & MPTCPIFY_RULE_SAVED);
	json_close_object(&ctx->j);
	return 0;
}

/* Cgroups selected by id (run, --own-cgroup, the OCI hook): always live,
 * since the rmdir() program removes an id with its cgroup. A container's,
 * selected by the OCI hook, shows as "container ID PATH", the id short as
 * the engines show it. */
static int print_id(uint64_t id, const struct mptcpify_cgroup_rule *v, void *ud)
{
	struct list_ctx *ctx = ud, c = *ctx;
	char path[PATH_MAX], cid[CONTAINER_ID_LEN + 1], target[PATH_MAX + 32];
	bool container = v->flags & MPTCPIFY_RULE_CONTAINER, known = false;

	if (v->number)
		return 0;
	if (cgroup_path_of(id, path, sizeof(path)) < 0)
		snprintf(path, sizeof(path), "(cgroup id %" PRIu64 ")", id);
	if (container) {
		c.kind = "container";
		known = container_of_cgroup_path(path, cid) == 0;
	}
	ctx->n++;
	if (!arg_json) {
		if (container)
			snprintf(target, sizeof(target), "%.*s %s", CONTAINER_SHORT_LEN,
				 known ? cid : "(no id)", path);
		print_line(&c, container ? target : path, v->hits, v->flags);
		return 0;
	}
	json_open_object(&ctx->j, NULL);
	json_string(&ctx->j, "kind", c.kind);
	if (container)
		json_string(&ctx->j, "container_id", known ? cid : NULL);
	json_string(&ctx->j, "cgroup", path[0] == '(' ? NULL : path);
	json_u64(&ctx->j, "cgroup_id", id);
	json_u64(&ctx->j, "hits", v->hits);
	json_bool(&ctx->j, "saved", v->flags & MPTCPIFY_RULE_SAVED);
	json_close_object(&ctx->j);
	return 0;
}

static int list_cgroups(struct state *s, struct list_ctx *ctx)
{
	_cleanup_free_ struct path_rule_totals *pn = calloc(1, sizeof(*pn));
	struct path_ctx pc = { .list = ctx, .s = s };
	int r;

	if (!pn)
		return -ENOMEM;
	pc.pn = pn;
	ctx->kind = "cgroup";
	r = path_rule_totals_read(s, pn);
	if (!r)
		r = path_rules_foreach(s, print_path, &pc);
	if (!r)
		r = cgroup_rules_foreach(s, print_id, ctx);
	return r;
}

/* Deny and exclude cgroup rules: kind "deny" or "exclude", the path with
 * the number of live cgroups it covers, and the sockets it kept from
 * MPTCP (live and removed cgroups). */
static int print_veto_path(char kind, const struct path_rule *pr, uint32_t number, uint32_t flags,
			   void *ud)
{
	struct path_ctx *pc = ud;
	struct list_ctx *ctx = pc->list;
	uint64_t hits = pc->pn->hits[number] + path_rule_retired_hits(pc->s, number);
	uint32_t live = pc->pn->live[number];
	char shown[PATH_MAX], target[PATH_MAX + 32];

	ctx->kind = kind == MPTCPIFY_VETO_DENY ? "deny" : "exclude";
	path_rule_show(pr, shown, sizeof(shown));
	ctx->n++;
	if (!arg_json) {
		snprintf(target, sizeof(target), "%s (%u live)", shown, live);
		print_line(ctx, target, hits, flags);
		return 0;
	}
	json_open_object(&ctx->j, NULL);
	json_string(&ctx->j, "kind", ctx->kind);
	json_string(&ctx->j, "cgroup", shown);
	json_u64(&ctx->j, "live_cgroups", live);
	json_u64(&ctx->j, "hits", hits);
	json_bool(&ctx->j, "saved", flags & MPTCPIFY_RULE_SAVED);
	json_close_object(&ctx->j);
	return 0;
}

/* Excluded names, cgroup excludes, denied names, cgroup denies. */
static int list_vetoes(struct state *s, struct list_ctx *ctx)
{
	_cleanup_free_ struct path_rule_totals *pn = calloc(1, sizeof(*pn));
	struct path_ctx pc = { .list = ctx, .s = s };
	int r;

	if (!pn)
		return -ENOMEM;
	pc.pn = pn;
	ctx->kind = "exclude";
	r = rules_foreach(s, MAP_EXCLUDE, print_comm, ctx);
	if (!r) {
		ctx->kind = "deny";
		r = rules_foreach(s, MAP_DENY, print_comm, ctx);
	}
	if (!r)
		r = veto_totals_read(s, pn);
	if (!r)
		r = veto_paths_foreach(s, print_veto_path, &pc);
	return r;
}

/* compat = exclude: the programs put on TCP after a refusal. */
static void list_auto(struct state *s, struct list_ctx *ctx)
{
	_cleanup_free_ struct auto_entry *e = NULL;
	bool on = auto_exclude_on(s);
	char line[PATH_MAX + 256];
	size_t n = 0;

	auto_entries_read(s, &e, &n);
	if (arg_json) {
		json_string(&ctx->j, "compat", on ? "exclude" : "report");
		json_open_array(&ctx->j, "auto_excluded");
		for (size_t i = 0; i < n; i++)
			auto_entry_json(&ctx->j, &e[i]);
		json_close_array(&ctx->j);
		return;
	}
	if (!on && !n)
		return;
	printf("\nput on TCP by compat = exclude after a refused option (until the next reload):\n");
	for (size_t i = 0; i < n; i++)
		printf("  %s\n", auto_entry_line(&e[i], line, sizeof(line)));
	if (!n)
		printf("  (none)\n");
}

/* Audit rules: kind "audit", target "comm NAME", "cgroup PATH" or "all";
 * the hits column has nothing to count. */
static int print_audit(char kind, const void *key, uint32_t flags, void *userdata)
{
	struct list_ctx *ctx = userdata;
	char target[PATH_MAX + 16], path[PATH_MAX], comm[MPTCPIFY_COMM_LEN] = "";
	uint64_t id = 0;

	if (kind == 'c')
		memcpy(comm, key, sizeof(comm) - 1);
	if (kind == 'g') {
		memcpy(&id, key, sizeof(id));
		sockopt_cgroup_path(id, path, sizeof(path));
	}
	ctx->n++;
	if (!arg_json) {
		snprintf(target, sizeof(target), "%s %s", kind == 'a' ? "all" : kind == 'c' ? "comm" :
			 "cgroup", kind == 'a' ? "(every process)" : kind == 'c' ? comm : path);
		printf("%-8s %-48s %12s%s\n", "audit", target, "-",
		       flags & MPTCPIFY_RULE_SAVED ? "" : "  (runtime)");
		return 0;
	}
	json_open_object(&ctx->j, NULL);
	json_string(&ctx->j, "kind", "audit");
	if (kind == 'a')
		json_bool(&ctx->j, "all", true);
	else if (kind == 'c')
		json_string(&ctx->j, "comm", comm);
	else {
		json_string(&ctx->j, "cgroup", path);
		json_u64(&ctx->j, "cgroup_id", id);
	}
	json_bool(&ctx->j, "saved", flags & MPTCPIFY_RULE_SAVED);
	json_close_object(&ctx->j);
	return 0;
}

/* What MPTCP sockets refused (live detection), after the rules. */
static void list_refused(struct state *s, struct list_ctx *ctx)
{
	_cleanup_free_ struct sockopt_entry *e = NULL;
	size_t n = 0;

	if (!arg_json) {
		printf("\nsocket options refused on MPTCP sockets ('mptcpify compat' for more):\n");
		if (!sockopt_refused_print(s, "  "))
			printf("  (none)\n");
		return;
	}
	json_open_array(&ctx->j, "refused");
	if (sockopt_entries_read(s, MAP_SO_REFUSED, &e, &n) == 0)
		for (size_t i = 0; i < n; i++)
			sockopt_refused_json(&ctx->j, s, &e[i]);
	json_close_array(&ctx->j);
}

int do_list(const struct cli *c)
{
	struct state s = STATE_INIT;
	struct mptcpify_config cfg = {};
	uint64_t st[MPTCPIFY_STAT_MAX] = {};
	struct list_ctx ctx = {};
	int r;

	if (!state_is_pinned()) {
		if (arg_json)
			printf("{\"loaded\":false,\"all\":false,\"rules\":[],\"compat\":\"report\","
			       "\"auto_excluded\":[],\"refused\":[]}\n");
		else
			printf("mptcpify is not loaded: no rules are active\n");
		return EXIT_OK;
	}
	r = state_open(&s, 0);
	if (r)
		return r;
	if (config_read(&s, &cfg) < 0 || stats_read(&s, st) < 0) {
		state_close(&s);
		return fail(EXIT_INTERNAL, "cannot read the maps: %s", strerror(errno));
	}
	json_init(&ctx.j, stdout);
	if (arg_json) {
		json_open_object(&ctx.j, NULL);
		json_bool(&ctx.j, "loaded", true);
		json_bool(&ctx.j, "all", cfg.all);
		json_u64(&ctx.j, "all_hits", st[MPTCPIFY_STAT_ALL_HITS]);
		json_open_array(&ctx.j, "rules");
	} else {
		printf("%-9s %-48s %12s\n", "KIND", "TARGET", "HITS");
		if (cfg.all)
			printf("%-9s %-48s %12" PRIu64 "\n", "all", "(every process)",
			       st[MPTCPIFY_STAT_ALL_HITS]);
	}
	ctx.kind = "comm";
	r = rules_foreach(&s, MAP_COMM, print_comm, &ctx);
	if (!r)
		r = list_cgroups(&s, &ctx);
	if (!r)
		r = list_vetoes(&s, &ctx);
	if (!r) {
		ctx.kind = "audit";
		r = audit_foreach(&s, print_audit, &ctx);
	}
	if (r < 0) {
		state_close(&s);
		return fail(EXIT_INTERNAL, "cannot read the %s rules: %s", ctx.kind, strerror(-r));
	}
	if (arg_json) {
		json_close_array(&ctx.j);
		list_auto(&s, &ctx);
		list_refused(&s, &ctx);
		json_close_object(&ctx.j);
		json_end(&ctx.j);
	} else {
		if (!ctx.n && !cfg.all)
			printf("(no rules: nothing is selected)\n");
		list_auto(&s, &ctx);
		list_refused(&s, &ctx);
	}
	state_close(&s);
	return EXIT_OK;
}
