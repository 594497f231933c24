// SPDX-License-Identifier: GPL-2.0-only
/* MPTCP connections of running processes: sock_diag's sockets of each
 * network namespace matched to the processes holding them, by socket inode. */
#include <errno.h>
#include <linux/netlink.h>
#include <netinet/in.h>  /* before mptcpify.h, which defines IPPROTO_MPTCP for older headers */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conn_scan.h"
#include "netlink.h"
#include "rules.h"
#include "state.h"
#include "util.h"

const char *const conn_verdict_key[_CONN_VERDICT_MAX] = {
	[CONN_MPTCP] = "mptcp", [CONN_FALLBACK] = "fallback", [CONN_ONE_PATH] = "one_path",
	[CONN_LISTENING] = "listening", [CONN_UNKNOWN] = "unknown",
};

/* The live name rules, sorted for bsearch(). */
struct selection {
	bool loaded, all;
	char (*comms)[MPTCPIFY_COMM_LEN];
	size_t n_comms;
	char (*excluded)[MPTCPIFY_COMM_LEN];
	size_t n_excluded;
};

struct names {
	char (**v)[MPTCPIFY_COMM_LEN];
	size_t *n;
};

static int collect_comm(const void *key, uint64_t hits, uint32_t flags, void *userdata)
{
	struct names *names = userdata;
	void *nv = realloc(*names->v, (*names->n + 1) * MPTCPIFY_COMM_LEN);

	(void)hits; (void)flags;
	if (!nv)
		return -ENOMEM;
	*names->v = nv;
	memcpy((*names->v)[*names->n], key, MPTCPIFY_COMM_LEN);
	(*names->v)[(*names->n)++][MPTCPIFY_COMM_LEN - 1] = '\0';
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strncmp(a, b, MPTCPIFY_COMM_LEN);
}

/* The live rules, read-only. Not loaded, or not allowed to read the maps
 * (not root): nothing is marked as selected. */
static void selection_read(struct selection *sel)
{
	struct state s = STATE_INIT;
	struct mptcpify_config cfg = {};
	struct names comms = { &sel->comms, &sel->n_comms };
	struct names excl = { &sel->excluded, &sel->n_excluded };
	bool quiet = log_quiet;

	if (!state_is_pinned())
		return;
	log_quiet = true;
	if (state_open(&s, 0) == 0) {
		sel->loaded = true;
		if (config_read(&s, &cfg) == 0)
			sel->all = cfg.all;
		rules_foreach(&s, MAP_COMM, collect_comm, &comms);
		rules_foreach(&s, MAP_EXCLUDE, collect_comm, &excl);
	}
	log_quiet = quiet;
	state_close(&s);
	if (sel->n_comms)
		qsort(sel->comms, sel->n_comms, MPTCPIFY_COMM_LEN, name_cmp);
	if (sel->n_excluded)
		qsort(sel->excluded, sel->n_excluded, MPTCPIFY_COMM_LEN, name_cmp);
}

static bool in(char (*v)[MPTCPIFY_COMM_LEN], size_t n, const char *comm)
{
	char key[MPTCPIFY_COMM_LEN] = {};

	strncpy(key, comm, sizeof(key) - 1);
	return n && bsearch(key, v, n, MPTCPIFY_COMM_LEN, name_cmp);
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

static enum conn_verdict verdict_of(const struct mptcp_sock_diag *d)
{
	if (d->state == 10)
		return CONN_LISTENING;
	if (!d->have_info)
		return CONN_UNKNOWN;
	if (d->fallback)
		return CONN_FALLBACK;
	return d->subflows > 1 ? CONN_MPTCP : CONN_ONE_PATH;
}

struct scan_ctx {
	const struct conn_scan_opts *o;
	const struct proc_sock_list *procs;
	const struct selection *sel;
	struct conn_list *list;
	int diag_error;
};

static int push(struct conn_list *list, const struct conn *c)
{
	if (list->n == list->cap) {
		size_t cap = list->cap ? 2 * list->cap : 16;
		struct conn *v = realloc(list->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		list->v = v;
		list->cap = cap;
	}
	list->v[list->n++] = *c;
	return 0;
}

static int inode_cmp(const void *key, const void *elem)
{
	uint64_t k = *(const uint64_t *)key, e = ((const struct mptcp_sock_diag *)elem)->inode;

	return (k > e) - (k < e);
}

/* The sockets of one namespace (sorted by inode: sockdiag.c) against the
 * processes living in it, in /proc order. */
static int on_netns(uint64_t netns, int nl_fd, void *userdata)
{
	struct scan_ctx *ctx = userdata;
	struct mptcp_sock_list socks = {};
	_cleanup_free_ bool *taken = NULL;
	int r = sockdiag_dump_mptcp(nl_fd, ctx->o->listening, &socks);

	if (r < 0) {
		ctx->diag_error = r;
		goto out;
	}
	taken = calloc(socks.n ? socks.n : 1, sizeof(*taken));
	if (!taken) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < ctx->procs->n && socks.n; i++) {
		const struct proc_sock *ps = &ctx->procs->v[i];
		const struct mptcp_sock_diag *d;
		struct conn c = { .ps = *ps };
		size_t k;

		if (ps->netns != netns)
			continue;
		d = bsearch(&ps->inode, socks.v, socks.n, sizeof(*socks.v), inode_cmp);
		if (!d)
			continue;
		/* A socket shared by several processes (after fork) is one
		 * connection: the first process holding it stands for it. */
		k = (size_t)(d - socks.v);
		if (taken[k])
			continue;
		taken[k] = true;
		c.d = *d;
		c.rule = selected_by(ctx->sel, ps->comm);
		c.verdict = verdict_of(d);
		if (ctx->o->selected_only && !c.rule)
			continue;
		if (container_of_pid(ps->pid, c.container) < 0)
			c.container[0] = '\0';
		r = push(ctx->list, &c);
		if (r)
			goto out;
	}
out:
	mptcp_sock_list_free(&socks);
	return r;
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

/* Through a socket made in PID 1's namespace: that namespace only. The
 * others (but our own, which holds only us) are counted as not read. */
static int scan_host_only(struct scan_ctx *ctx, enum conn_step *step)
{
	struct stat st;
	uint64_t self = netns_self();
	int r;

	*step = CONN_STEP_NETNS;
	if (stat("/proc/1/ns/net", &st) < 0)
		return -errno;
	nl_drain(ctx->o->host_diag_fd);
	*step = CONN_STEP_DIAG;
	r = on_netns(st.st_ino, ctx->o->host_diag_fd, ctx);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ctx->procs->n; i++) {
		uint64_t ns = ctx->procs->v[i].netns;
		bool seen = ns == st.st_ino || ns == self;

		for (size_t k = 0; k < i && !seen; k++)
			seen = ctx->procs->v[k].netns == ns;
		ctx->list->netns_skipped += !seen;
	}
	return 0;
}

int conn_scan(const struct conn_scan_opts *o, struct conn_list *list, enum conn_step *step)
{
	struct proc_sock_list procs = {};
	struct selection sel = {};
	struct scan_ctx ctx = { .o = o, .procs = &procs, .sel = &sel, .list = list };
	int r;

	*list = (struct conn_list) {};
	selection_read(&sel);
	*step = CONN_STEP_PROC;
	r = procsock_scan(&procs);
	if (r < 0)
		goto out;
	list->procs_skipped = procs.skipped;
	if (o->host_diag_fd >= 0) {
		r = scan_host_only(&ctx, step);
	} else {
		r = procsock_foreach_netns(&procs, NETLINK_SOCK_DIAG, on_netns, &ctx,
					   &list->netns_skipped);
		*step = ctx.diag_error ? CONN_STEP_DIAG : CONN_STEP_NETNS;
	}
	if (ctx.diag_error)
		r = ctx.diag_error;
	if (r < 0)
		goto out;
	if (list->n)
		qsort(list->v, list->n, sizeof(*list->v), conn_cmp);
out:
	if (r < 0)
		conn_list_free(list);
	free(sel.comms);
	free(sel.excluded);
	proc_sock_list_free(&procs);
	return r;
}

void conn_list_free(struct conn_list *list)
{
	free(list->v);
	list->v = NULL;
	list->n = list->cap = 0;
}

void conn_scan_describe(int r, enum conn_step step, char *buf, size_t len)
{
	if (conn_scan_no_diag(r, step))
		snprintf(buf, len, "%s", SOCKDIAG_NO_MODULE);
	else
		snprintf(buf, len, "%s: %s", step == CONN_STEP_PROC ? "cannot read /proc" :
			 step == CONN_STEP_DIAG ? "sock_diag dump failed" :
			 "cannot read the network namespaces", strerror(-r));
}
