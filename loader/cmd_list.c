// SPDX-License-Identifier: GPL-2.0-only
/* list: the live rules with their hit counts. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cgroups.h"
#include "commands.h"
#include "json.h"
#include "rules.h"
#include "state.h"
#include "util.h"

struct list_ctx {
	struct json j;
	const char *kind;
	size_t n;
};

static int print_rule(const void *key, uint64_t hits, uint32_t flags, void *userdata)
{
	struct list_ctx *ctx = userdata;
	char target[PATH_MAX + 64], comm[MPTCPIFY_COMM_LEN];
	uint64_t id = 0;
	bool cgroup = strcmp(ctx->kind, "cgroup") == 0;

	if (cgroup) {
		char path[PATH_MAX];

		memcpy(&id, key, sizeof(id));
		if (cgroup_path_of(id, path, sizeof(path)) == 0)
			snprintf(target, sizeof(target), "%s", path);
		else
			snprintf(target, sizeof(target), "(removed cgroup id %" PRIu64 ")", id);
	} else {
		memcpy(comm, key, sizeof(comm));
		comm[MPTCPIFY_COMM_LEN - 1] = '\0';
		snprintf(target, sizeof(target), "%s", comm);
	}
	ctx->n++;
	if (arg_json) {
		json_open_object(&ctx->j, NULL);
		json_string(&ctx->j, "kind", ctx->kind);
		if (cgroup) {
			json_string(&ctx->j, "cgroup", target[0] == '(' ? NULL : target);
			json_u64(&ctx->j, "cgroup_id", id);
		} else {
			json_string(&ctx->j, "comm", target);
		}
		json_u64(&ctx->j, "hits", hits);
		json_bool(&ctx->j, "saved", flags & MPTCPIFY_RULE_SAVED);
		json_close_object(&ctx->j);
	} else {
		printf("%-8s %-48s %12" PRIu64 "%s\n", ctx->kind, target, hits,
		       flags & MPTCPIFY_RULE_SAVED ? "" : "  (runtime)");
	}
	return 0;
}

int do_list(const struct cli *c)
{
	static const struct { enum state_map map; const char *kind; } order[] = {
		{ MAP_COMM, "comm" }, { MAP_CGROUP, "cgroup" }, { MAP_EXCLUDE, "exclude" },
	};
	struct state s = STATE_INIT;
	struct mptcpify_config cfg = {};
	uint64_t st[MPTCPIFY_STAT_MAX] = {};
	struct list_ctx ctx = {};
	int r;

	if (!state_is_pinned()) {
		if (arg_json)
			printf("{\"loaded\":false,\"all\":false,\"rules\":[]}\n");
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
		printf("%-8s %-48s %12s\n", "KIND", "TARGET", "HITS");
		if (cfg.all)
			printf("%-8s %-48s %12" PRIu64 "\n", "all", "(every process)",
			       st[MPTCPIFY_STAT_ALL_HITS]);
	}
	for (size_t i = 0; i < ELEMENTSOF(order); i++) {
		ctx.kind = order[i].kind;
		r = rules_foreach(&s, order[i].map, print_rule, &ctx);
		if (r < 0) {
			state_close(&s);
			return fail(EXIT_INTERNAL, "cannot read the %s rules: %s", ctx.kind, strerror(-r));
		}
	}
	if (arg_json) {
		json_close_array(&ctx.j);
		json_close_object(&ctx.j);
		json_end(&ctx.j);
	} else if (!ctx.n && !cfg.all) {
		printf("(no rules: nothing is selected)\n");
	}
	state_close(&s);
	return EXIT_OK;
}
