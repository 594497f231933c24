// SPDX-License-Identifier: GPL-2.0-only
/* connections: what became of the MPTCP sockets of running processes, in
 * every network namespace that has such processes, as the kernel sees them
 * (sock_diag), with the process that holds each one (/proc). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "containers.h"
#include "json.h"
#include "conn_scan.h"
#include "util.h"

static void verdict_text(const struct conn *c, char *buf, size_t len)
{
	switch (c->verdict) {
	case CONN_MPTCP: snprintf(buf, len, "MPTCP, %u subflows", c->d.subflows); break;
	case CONN_FALLBACK: snprintf(buf, len, "fell back to TCP"); break;
	case CONN_ONE_PATH: snprintf(buf, len, "MPTCP, one path only"); break;
	case CONN_LISTENING: snprintf(buf, len, "listening"); break;
	default: snprintf(buf, len, "MPTCP (no details from the kernel)"); break;
	}
}

static void print_json(const struct conn_list *ctx)
{
	struct json j;

	json_init(&j, stdout);
	json_open_array(&j, NULL);
	for (size_t i = 0; i < ctx->n; i++) {
		const struct conn *c = &ctx->v[i];
		char local[64], remote[64];

		sockaddr_format(c->d.family, &c->d.src, c->d.sport, local, sizeof(local));
		sockaddr_format(c->d.family, &c->d.dst, c->d.dport, remote, sizeof(remote));
		json_open_object(&j, NULL);
		json_string(&j, "comm", c->ps.comm);
		json_i64(&j, "pid", c->ps.pid);
		json_u64(&j, "netns", c->ps.netns);
		json_string(&j, "local", local);
		json_string(&j, "remote", remote);
		json_string(&j, "state", tcp_state_name(c->d.state));
		json_u64(&j, "subflows", c->d.subflows);
		json_bool(&j, "fallback", c->d.fallback);
		json_string(&j, "verdict", conn_verdict_key[c->verdict]);
		if (c->rule)
			json_string(&j, "selected_by", c->rule);
		else
			json_null(&j, "selected_by");
		json_string(&j, "container_id", c->container[0] ? c->container : NULL);
		json_close_object(&j);
	}
	json_close_array(&j);
	json_end(&j);
}

static void print_text(const struct conn_list *ctx, bool selected_only)
{
	uint64_t self = netns_self();

	if (!ctx->n) {
		printf("(no MPTCP connections%s)\n", selected_only ? " of selected programs" : "");
		return;
	}
	printf("%-22s %-8s %-28s %-28s %-12s %-8s %s\n", "PROGRAM[PID]", "RULE", "LOCAL",
	       "REMOTE", "STATE", "SUBFLOWS", "VERDICT");
	for (size_t i = 0; i < ctx->n; i++) {
		const struct conn *c = &ctx->v[i];
		char prog[40], local[64], remote[64], verdict[64];

		snprintf(prog, sizeof(prog), "%s[%d]", c->ps.comm, (int)c->ps.pid);
		sockaddr_format(c->d.family, &c->d.src, c->d.sport, local, sizeof(local));
		sockaddr_format(c->d.family, &c->d.dst, c->d.dport, remote, sizeof(remote));
		verdict_text(c, verdict, sizeof(verdict));
		printf("%-22s %-8s %-28s %-28s %-12s %-8u %s", prog, c->rule ? c->rule : "-",
		       local, remote, tcp_state_name(c->d.state), c->d.subflows, verdict);
		if (c->container[0])
			printf("  (container %.*s)", CONTAINER_SHORT_LEN, c->container);
		if (c->ps.netns != self)
			printf("  (netns %" PRIu64 ")", c->ps.netns);
		putchar('\n');
	}
	printf("\nsummary per program:\n");
	for (size_t i = 0; i < ctx->n; i++) {
		unsigned n[_CONN_VERDICT_MAX] = {};
		bool earlier = false;

		for (size_t k = 0; k < i && !earlier; k++)
			earlier = strcmp(ctx->v[k].ps.comm, ctx->v[i].ps.comm) == 0;
		if (earlier)
			continue;
		for (size_t k = i; k < ctx->n; k++)
			if (strcmp(ctx->v[k].ps.comm, ctx->v[i].ps.comm) == 0)
				n[ctx->v[k].verdict]++;
		printf("  %s: %u MPTCP, %u fell back, %u one path", ctx->v[i].ps.comm,
		       n[CONN_MPTCP], n[CONN_FALLBACK], n[CONN_ONE_PATH]);
		if (n[CONN_LISTENING])
			printf(", %u listening", n[CONN_LISTENING]);
		if (n[CONN_UNKNOWN])
			printf(", %u without details", n[CONN_UNKNOWN]);
		putchar('\n');
	}
}

int do_connections(const struct cli *c)
{
	struct conn_scan_opts o = { .listening = c->listening, .selected_only = c->selected_only,
				    .host_diag_fd = -1 };
	struct conn_list list;
	enum conn_step step;
	int r = conn_scan(&o, &list, &step);

	if (r < 0) {
		char why[256];

		conn_scan_describe(r, step, why, sizeof(why));
		return fail(conn_scan_no_diag(r, step) ? EXIT_NO_DIAG : EXIT_INTERNAL, "%s", why);
	}
	if (arg_json)
		print_json(&list);
	else
		print_text(&list, c->selected_only);
	/* CAP_SYS_PTRACE reads every /proc/PID/fd; only then is a skip a race. */
	if ((list.procs_skipped || list.netns_skipped) && !have_cap(19))
		warn("%zu process%s and %zu network namespace%s could not be read by this user: "
		     "their connections are not shown; run as root to see every connection",
		     list.procs_skipped, list.procs_skipped == 1 ? "" : "es", list.netns_skipped,
		     list.netns_skipped == 1 ? "" : "s");
	conn_list_free(&list);
	return EXIT_OK;
}
