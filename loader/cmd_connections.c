// SPDX-License-Identifier: GPL-2.0-only
/* connections: what became of the MPTCP sockets of running processes, in
 * every network namespace that has such processes, as the kernel sees them
 * (sock_diag), with the process that holds each one (/proc). */
#include <inttypes.h>
#include <linux/netlink.h>
#include <netinet/in.h>  /* before mptcpify.h, which defines IPPROTO_MPTCP for older headers */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "containers.h"
#include "json.h"
#include "procsock.h"
#include "rules.h"
#include "sockdiag.h"
#include "state.h"
#include "util.h"

enum verdict { V_MPTCP, V_FALLBACK, V_ONE_PATH, V_LISTENING, V_UNKNOWN };

struct conn {
	struct proc_sock ps;
	struct mptcp_sock_diag d;
	const char *rule;         /* "comm", "all" or NULL: what selects this program */
	enum verdict verdict;
	char container[CONTAINER_ID_LEN + 1];  /* "": not in a container's cgroup */
};

struct selection {
	bool loaded, all;
	char (*comms)[MPTCPIFY_COMM_LEN];
	size_t n_comms;
	char (*excluded)[MPTCPIFY_COMM_LEN];
	size_t n_excluded;
};

struct conn_ctx {
	const struct proc_sock_list *procs;
	const struct selection *sel;
	bool listening, selected_only;
	struct conn *v;
	size_t n, cap;
	int diag_error;
};

static int collect_comm(const void *key, uint64_t hits, uint32_t flags, void *userdata)
{
	char (**v)[MPTCPIFY_COMM_LEN] = ((void **)userdata)[0];
	size_t *n = ((void **)userdata)[1];
	void *nv = realloc(*v, (*n + 1) * MPTCPIFY_COMM_LEN);

	(void)hits; (void)flags;
	if (!nv)
		return -ENOMEM;
	*v = nv;
	memcpy((*v)[(*n)++], key, MPTCPIFY_COMM_LEN);
	(*v)[*n - 1][MPTCPIFY_COMM_LEN - 1] = '\0';
	return 0;
}

/* The live rules, read-only. Not loaded, or not allowed to read the maps
 * (not root): nothing is marked as selected. */
static void selection_read(struct selection *sel)
{
	struct state s = STATE_INIT;
	struct mptcpify_config cfg = {};
	void *comm_args[] = { &sel->comms, &sel->n_comms };
	void *excl_args[] = { &sel->excluded, &sel->n_excluded };

	if (!state_is_pinned())
		return;
	log_quiet = true;
	if (state_open(&s, 0) == 0) {
		sel->loaded = true;
		if (config_read(&s, &cfg) == 0)
			sel->all = cfg.all;
		rules_foreach(&s, MAP_COMM, collect_comm, comm_args);
		rules_foreach(&s, MAP_EXCLUDE, collect_comm, excl_args);
	}
	log_quiet = false;
	state_close(&s);
}

static bool in(char (*v)[MPTCPIFY_COMM_LEN], size_t n, const char *comm)
{
	for (size_t i = 0; i < n; i++)
		if (strncmp(v[i], comm, MPTCPIFY_COMM_LEN) == 0)
			return true;
	return false;
}

/* Which rule selects a program, by its name: comm rules and system-wide
 * mode. Cgroup selections are not told apart here (a process's cgroup may
 * have changed since its sockets were made): such a program shows with no
 * rule, its connections are listed all the same. */
static const char *selected_by(const struct selection *sel, const char *comm)
{
	if (!sel->loaded || in(sel->excluded, sel->n_excluded, comm))
		return NULL;
	if (in(sel->comms, sel->n_comms, comm))
		return "comm";
	return sel->all ? "all" : NULL;
}

static enum verdict verdict_of(const struct mptcp_sock_diag *d)
{
	if (d->state == 10)
		return V_LISTENING;
	if (!d->have_info)
		return V_UNKNOWN;
	if (d->fallback)
		return V_FALLBACK;
	return d->subflows > 1 ? V_MPTCP : V_ONE_PATH;
}

static int on_netns(uint64_t netns, int nl_fd, void *userdata)
{
	struct conn_ctx *ctx = userdata;
	struct mptcp_sock_list socks = {};
	int r = sockdiag_dump_mptcp(nl_fd, ctx->listening, &socks);

	if (r < 0) {
		ctx->diag_error = r;
		mptcp_sock_list_free(&socks);
		return r;
	}
	for (size_t i = 0; i < ctx->procs->n; i++) {
		const struct proc_sock *ps = &ctx->procs->v[i];
		bool dup = false;

		if (ps->netns != netns)
			continue;
		/* A socket shared by several processes (after fork) is one
		 * connection: the first process holding it stands for it. */
		for (size_t k = 0; k < ctx->n && !dup; k++)
			dup = ctx->v[k].ps.inode == ps->inode;
		if (dup)
			continue;
		for (size_t k = 0; k < socks.n; k++) {
			struct conn c = { .ps = *ps, .d = socks.v[k] };

			if (socks.v[k].inode != ps->inode)
				continue;
			c.rule = selected_by(ctx->sel, ps->comm);
			c.verdict = verdict_of(&c.d);
			if (container_of_pid(ps->pid, c.container) < 0)
				c.container[0] = '\0';
			if (ctx->selected_only && !c.rule)
				break;
			if (ctx->n == ctx->cap) {
				size_t cap = ctx->cap ? 2 * ctx->cap : 16;
				struct conn *v = realloc(ctx->v, cap * sizeof(*v));

				if (!v) {
					mptcp_sock_list_free(&socks);
					return -ENOMEM;
				}
				ctx->v = v;
				ctx->cap = cap;
			}
			ctx->v[ctx->n++] = c;
			break;
		}
	}
	mptcp_sock_list_free(&socks);
	return 0;
}

/* Selected programs first, then by name, pid, local port. */
static int conn_cmp(const void *a, const void *b)
{
	const struct conn *x = a, *y = b;
	int r = (!x->rule) - (!y->rule);

	if (!r)
		r = strcmp(x->ps.comm, y->ps.comm);
	if (!r)
		r = (x->ps.pid > y->ps.pid) - (x->ps.pid < y->ps.pid);
	if (!r)
		r = (x->d.sport > y->d.sport) - (x->d.sport < y->d.sport);
	return r;
}

static const char *const verdict_key[] = {
	[V_MPTCP] = "mptcp", [V_FALLBACK] = "fallback", [V_ONE_PATH] = "one_path",
	[V_LISTENING] = "listening", [V_UNKNOWN] = "unknown",
};

static void verdict_text(const struct conn *c, char *buf, size_t len)
{
	switch (c->verdict) {
	case V_MPTCP: snprintf(buf, len, "MPTCP, %u subflows", c->d.subflows); break;
	case V_FALLBACK: snprintf(buf, len, "fell back to TCP"); break;
	case V_ONE_PATH: snprintf(buf, len, "MPTCP, one path only"); break;
	case V_LISTENING: snprintf(buf, len, "listening"); break;
	default: snprintf(buf, len, "MPTCP (no details from the kernel)"); break;
	}
}

static void print_json(const struct conn_ctx *ctx)
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
		json_string(&j, "verdict", verdict_key[c->verdict]);
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

static void print_text(const struct conn_ctx *ctx)
{
	uint64_t self = netns_self();

	if (!ctx->n) {
		printf("(no MPTCP connections%s)\n", ctx->selected_only ? " of selected programs" : "");
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
		unsigned n[V_UNKNOWN + 1] = {};
		bool earlier = false;

		for (size_t k = 0; k < i && !earlier; k++)
			earlier = strcmp(ctx->v[k].ps.comm, ctx->v[i].ps.comm) == 0;
		if (earlier)
			continue;
		for (size_t k = i; k < ctx->n; k++)
			if (strcmp(ctx->v[k].ps.comm, ctx->v[i].ps.comm) == 0)
				n[ctx->v[k].verdict]++;
		printf("  %s: %u MPTCP, %u fell back, %u one path", ctx->v[i].ps.comm,
		       n[V_MPTCP], n[V_FALLBACK], n[V_ONE_PATH]);
		if (n[V_LISTENING])
			printf(", %u listening", n[V_LISTENING]);
		if (n[V_UNKNOWN])
			printf(", %u without details", n[V_UNKNOWN]);
		putchar('\n');
	}
}

int do_connections(const struct cli *c)
{
	struct proc_sock_list procs = {};
	struct selection sel = {};
	struct conn_ctx ctx = { .procs = &procs, .sel = &sel, .listening = c->listening,
				.selected_only = c->selected_only };
	size_t ns_skipped = 0;
	int r, status = EXIT_OK;

	selection_read(&sel);
	r = procsock_scan(&procs);
	if (r < 0) {
		status = fail(EXIT_INTERNAL, "cannot read /proc: %s", strerror(-r));
		goto out;
	}
	r = procsock_foreach_netns(&procs, NETLINK_SOCK_DIAG, on_netns, &ctx, &ns_skipped);
	if (ctx.diag_error == -ENOENT || ctx.diag_error == -EOPNOTSUPP) {
		status = fail(EXIT_NO_DIAG, SOCKDIAG_NO_MODULE);
		goto out;
	}
	if (r < 0) {
		status = fail(EXIT_INTERNAL, "%s: %s", ctx.diag_error ? "sock_diag dump failed" :
			      "cannot read the network namespaces", strerror(-r));
		goto out;
	}
	qsort(ctx.v, ctx.n, sizeof(*ctx.v), conn_cmp);
	if (arg_json)
		print_json(&ctx);
	else
		print_text(&ctx);
	/* CAP_SYS_PTRACE reads every /proc/PID/fd; only then is a skip a race. */
	if ((procs.skipped || ns_skipped) && !have_cap(19))
		warn("%zu process%s and %zu network namespace%s could not be read by this user: "
		     "their connections are not shown; run as root to see every connection",
		     procs.skipped, procs.skipped == 1 ? "" : "es", ns_skipped,
		     ns_skipped == 1 ? "" : "s");
out:
	free(ctx.v);
	free(sel.comms);
	free(sel.excluded);
	proc_sock_list_free(&procs);
	return status;
}
