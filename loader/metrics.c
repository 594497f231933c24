// SPDX-License-Identifier: GPL-2.0-only
/* The metrics of mptcpify (metrics.h), family by family.
 *
 * Conventions (Prometheus'): every name starts with mptcpify_, counters end
 * in _total, labels take bounded sets of values (rule kinds and targets,
 * program names, verdicts, reasons; never a pid).
 *
 * Adding a family: a counter of the stats map is one row of hook_counters[];
 * anything else is a function of its own, called from sections[]. Each
 * writes its family with prom_family(), then its samples. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>  /* before mptcpify.h, which defines IPPROTO_MPTCP for older headers */
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "cgroups.h"
#include "compat_report.h"
#include "conn_scan.h"
#include "metrics.h"
#include "netstat.h"
#include "path_rules.h"
#include "prom_text.h"
#include "rules.h"
#include "sockopt_names.h"
#include "state.h"
#include "util.h"

struct metrics_ctx {
	struct prom out;
	const struct metrics_opts *o;
	struct metrics_problems *problems;
	struct state s;
	bool open;                /* s holds the pinned maps, read-only */
};

/* The pinned config map's ABI, read without opening the rest (an older
 * mptcpify's pins are not opened by state_open()): 0 when nothing is pinned. */
static unsigned pinned_abi(void)
{
	char path[PATH_MAX];
	/* Older layouts are shorter; abi is the first field of all of them. */
	__u32 value[32] = {}, zero = 0;
	_cleanup_close_ int fd = -1;

	snprintf(path, sizeof(path), "%s/%s", pin_root(), state_map_names[MAP_CONFIG]);
	fd = bpf_obj_get(path);
	if (fd < 0 || bpf_map_lookup_elem(fd, &zero, value) < 0)
		return 0;
	return value[0];
}

static int emit_program(struct metrics_ctx *m)
{
	char abi[16];
	unsigned pinned = pinned_abi();

	snprintf(abi, sizeof(abi), "%d", MPTCPIFY_ABI);
	prom_family(&m->out, "mptcpify_build_info", PROM_GAUGE,
		    "The mptcpify that wrote these metrics: its version and the ABI (layout of the "
		    "pinned maps) it uses.");
	prom_sample(&m->out, 1, "version", MPTCPIFY_VERSION, "abi", abi, NULL);
	prom_family(&m->out, "mptcpify_loaded", PROM_GAUGE,
		    "1 when the socket hook is attached (its link pinned), else 0.");
	prom_sample(&m->out, state_is_pinned(), NULL);
	if (pinned) {
		prom_family(&m->out, "mptcpify_abi", PROM_GAUGE,
			    "ABI (layout version) of the pinned maps; older than mptcpify_build_info's "
			    "until the daemon restarts or 'mptcpify load' upgrades them.");
		prom_sample(&m->out, pinned, NULL);
	}
	return 0;
}

/* Counters of the stats map, summed over CPUs; one row per sample. Rows of
 * one family follow each other; the first carries the help text. */
#define STAT_MISSED_BY_KERNEL (-1)   /* not in the stats map: the link's recursion misses */
static const struct hook_counter {
	const char *family, *help;
	const char *label, *value;   /* NULL: a family of one sample */
	int stat;                    /* MPTCPIFY_STAT_*, or STAT_MISSED_BY_KERNEL */
} hook_counters[] = {
	{ "mptcpify_tcp_sockets_seen_total", "TCP sockets (AF_INET/AF_INET6 stream) whose "
	  "socket() the hook saw.", NULL, NULL, MPTCPIFY_STAT_SEEN },
	{ "mptcpify_rewritten_to_mptcp_total", "Sockets created as MPTCP instead of TCP.",
	  NULL, NULL, MPTCPIFY_STAT_REWRITTEN },
	{ "mptcpify_kept_tcp_total", "Sockets of selected programs left TCP, by reason: "
	  "net.mptcp.enabled=0 in their network namespace, an exclude rule, a deny rule (which "
	  "also counts sockets that asked for MPTCP and got TCP), or compat = exclude.",
	  "reason", "mptcp_disabled", MPTCPIFY_STAT_NETNS_OFF },
	{ "mptcpify_kept_tcp_total", NULL, "reason", "excluded", MPTCPIFY_STAT_EXCLUDED },
	{ "mptcpify_kept_tcp_total", NULL, "reason", "denied", MPTCPIFY_STAT_DENIED },
	{ "mptcpify_kept_tcp_total", NULL, "reason", "compat_exclude", MPTCPIFY_STAT_AUTO_EXCLUDED },
	{ "mptcpify_missed_by_kernel_total", "socket() calls the kernel ran without the primary "
	  "program (already running on that CPU in a preempted task): taken over by the "
	  "backstops if any, else left TCP.", NULL, NULL, STAT_MISSED_BY_KERNEL },
	{ "mptcpify_rewritten_by_backstop_total", "Sockets a backstop copy of the hook made MPTCP "
	  "because the kernel skipped the primary.", NULL, NULL, MPTCPIFY_STAT_BACKSTOP },
	{ "mptcpify_events_lost_total", "Events of rewritten sockets a reader (the daemon's log, "
	  "a monitor) lost: its ring buffer was full.", NULL, NULL, MPTCPIFY_STAT_EVENTS_LOST },
	{ "mptcpify_cgroups_selected_at_mkdir_total", "New cgroups a path rule selected when they "
	  "were created.", NULL, NULL, MPTCPIFY_STAT_CGROUP_ADDED },
	{ "mptcpify_cgroups_not_selected_total", "New cgroups a path rule matched but could not "
	  "select, by reason: the cgroup rule map was full, or the path too long to match.",
	  "reason", "map_full", MPTCPIFY_STAT_CGROUP_FULL },
	{ "mptcpify_cgroups_not_selected_total", NULL, "reason", "path_too_long",
	  MPTCPIFY_STAT_PATH_TOO_LONG },
	{ "mptcpify_cgroup_walks_total", "Walks up a task's cgroup ancestors (no valid cached "
	  "verdict for its cgroup).", NULL, NULL, MPTCPIFY_STAT_CGROUP_WALKS },
};

static int emit_hook(struct metrics_ctx *m)
{
	uint64_t st[MPTCPIFY_STAT_MAX];
	struct bpf_link_info li = {};
	struct bpf_prog_info pi = {};

	if (!m->open || stats_read(&m->s, st) < 0)
		return 0;
	if (link_prog_info(m->s.link_fd, &li, &pi) < 0)
		pi.recursion_misses = 0;
	for (size_t i = 0; i < ELEMENTSOF(hook_counters); i++) {
		const struct hook_counter *c = &hook_counters[i];
		uint64_t v = c->stat == STAT_MISSED_BY_KERNEL ? pi.recursion_misses : st[c->stat];

		if (c->help)
			prom_family(&m->out, c->family, PROM_COUNTER, c->help);
		prom_sample(&m->out, v, c->label, c->value, NULL);
	}
	prom_family(&m->out, "mptcpify_backstops", PROM_GAUGE,
		    "Copies of the hook attached after the primary (kernels that can preempt a task "
		    "inside it).");
	prom_sample(&m->out, state_backstop_links(), NULL);
	return 0;
}

/* ---- rules ------------------------------------------------------------- */

static const char RULE_SOCKETS[] = "mptcpify_rule_sockets_total";

/* A comm rule map's entries as samples of one family. */
struct comm_ctx {
	struct prom *out;
	bool rule;                /* kind="comm",target=NAME; else comm=NAME */
};

static int comm_sample(const void *key, uint64_t hits, uint32_t flags, void *ud)
{
	const struct comm_ctx *cc = ud;
	char comm[MPTCPIFY_COMM_LEN];

	memcpy(comm, key, sizeof(comm));
	comm[sizeof(comm) - 1] = '\0';
	if (cc->rule)
		prom_sample(cc->out, hits, "kind", "comm", "target", comm, NULL);
	else
		prom_sample(cc->out, hits, "comm", comm, NULL);
	return 0;
}

struct path_ctx {
	struct metrics_ctx *m;
	const struct path_rule_totals *pn;
	enum { PATH_COUNT, PATH_HITS, PATH_LIVE } what;
	unsigned n;
};

static int path_sample(const struct path_rule *pr, uint32_t number, uint32_t flags, void *ud)
{
	struct path_ctx *pc = ud;
	char shown[PATH_MAX];

	if (pc->what == PATH_COUNT) {
		pc->n++;
		return 0;
	}
	path_rule_show(pr, shown, sizeof(shown));
	if (pc->what == PATH_LIVE)
		prom_sample(&pc->m->out, pc->pn->live[number],
			    "target", shown, NULL);
	else
		prom_sample(&pc->m->out, pc->pn->hits[number] + path_rule_retired_hits(&pc->m->s, number),
			    "kind", "cgroup", "target", shown, NULL);
	return 0;
}

/* Cgroups selected by id: --own-cgroup (enable's drop-in) gives the same
 * path at every start. `run` makes one cgroup per run, named after its pid:
 * an unbounded label, left out (its sockets count in the totals). */
static int id_sample(uint64_t id, const struct mptcpify_cgroup_rule *v, void *ud)
{
	struct metrics_ctx *m = ud;
	char path[PATH_MAX];
	const char *base;

	if (v->number || cgroup_path_of(id, path, sizeof(path)) < 0)
		return 0;
	base = strrchr(path, '/');
	if (base && strncmp(base + 1, "mptcpify-run-", 13) == 0)
		return 0;
	prom_sample(&m->out, v->hits, "kind", "cgroup_id", "target", path, NULL);
	return 0;
}

static int emit_rules(struct metrics_ctx *m)
{
	_cleanup_free_ struct path_rule_totals *pn = calloc(1, sizeof(*pn));
	struct path_ctx pc = { .m = m, .what = PATH_COUNT };
	struct mptcpify_config cfg = {};
	uint64_t st[MPTCPIFY_STAT_MAX];
	struct comm_ctx rules = { &m->out, true }, excludes = { &m->out, false };

	if (!m->open || config_read(&m->s, &cfg) < 0 || stats_read(&m->s, st) < 0)
		return 0;
	if (!pn)
		return -ENOMEM;
	pc.pn = pn;
	path_rules_foreach(&m->s, path_sample, &pc);
	prom_family(&m->out, "mptcpify_rules", PROM_GAUGE,
		    "Live rules by kind: comm, cgroup (path rules and patterns, units included), "
		    "exclude.");
	prom_sample(&m->out, cfg.n_comm, "kind", "comm", NULL);
	prom_sample(&m->out, pc.n, "kind", "cgroup", NULL);
	prom_sample(&m->out, cfg.n_exclude, "kind", "exclude", NULL);
	prom_family(&m->out, "mptcpify_system_wide", PROM_GAUGE,
		    "1 when every process is selected (all = yes), else 0.");
	prom_sample(&m->out, cfg.all, NULL);

	prom_family(&m->out, RULE_SOCKETS, PROM_COUNTER,
		    "Sockets each rule made MPTCP. kind: all (system-wide mode, while on), comm, "
		    "cgroup (a path rule or pattern: every cgroup it selected, removed ones "
		    "included), cgroup_id (a cgroup selected by id at a service's start: "
		    "mptcpify enable). The cgroups of mptcpify run are left out.");
	if (cfg.all)
		prom_sample(&m->out, st[MPTCPIFY_STAT_ALL_HITS], "kind", "all",
			    "target", "", NULL);
	rules_foreach(&m->s, MAP_COMM, comm_sample, &rules);
	path_rule_totals_read(&m->s, pn);
	pc.what = PATH_HITS;
	path_rules_foreach(&m->s, path_sample, &pc);
	cgroup_rules_foreach(&m->s, id_sample, m);

	prom_family(&m->out, "mptcpify_rule_cgroups", PROM_GAUGE,
		    "Live cgroups each path rule or pattern selects.");
	pc.what = PATH_LIVE;
	path_rules_foreach(&m->s, path_sample, &pc);

	prom_family(&m->out, "mptcpify_exclude_sockets_total", PROM_COUNTER,
		    "TCP sockets of each excluded process name, kept TCP.");
	rules_foreach(&m->s, MAP_EXCLUDE, comm_sample, &excludes);
	return 0;
}

/* ---- connections ------------------------------------------------------- */

/* The verdicts counted per program (listeners are not dumped). */
static const enum conn_verdict counted[] = { CONN_MPTCP, CONN_FALLBACK, CONN_ONE_PATH, CONN_UNKNOWN };

static int emit_connections(struct metrics_ctx *m)
{
	struct conn_scan_opts o = { .host_diag_fd = m->o->host_diag_fd };
	struct conn_list list;
	enum conn_step step;
	bool *done;
	int r = conn_scan(&o, &list, &step);

	prom_family(&m->out, "mptcpify_connections_read", PROM_GAUGE,
		    "1 when the MPTCP connections could be read (sock_diag and /proc), else 0 and "
		    "the per-program families are left out.");
	prom_sample(&m->out, r == 0, NULL);
	if (r < 0) {
		conn_scan_describe(r, step, m->problems->connections, sizeof(m->problems->connections));
		return 0;
	}
	prom_family(&m->out, "mptcpify_network_namespaces_unread", PROM_GAUGE,
		    "Network namespaces with processes holding sockets whose connections were not "
		    "read (not enterable; the daemon reads the host's only).");
	prom_sample(&m->out, list.netns_skipped, NULL);

	done = calloc(list.n ? list.n : 1, sizeof(*done));
	if (!done) {
		conn_list_free(&list);
		return -ENOMEM;
	}
	/* list is sorted by name within the selected and the other programs:
	 * a name's connections may sit in both halves (selected by a cgroup
	 * rule or not), so each name gathers its own from the whole list. */
	prom_family(&m->out, "mptcpify_program_connections", PROM_GAUGE,
		    "MPTCP sockets of running programs by name and verdict: mptcp (more than one "
		    "subflow), fallback (fell back to TCP), one_path (MPTCP, one subflow), unknown "
		    "(no details from the kernel). Both ends of a local connection count.");
	for (int pass = 0; pass < 2; pass++) {
		memset(done, 0, list.n * sizeof(*done));
		if (pass == 1)
			prom_family(&m->out, "mptcpify_program_subflows", PROM_GAUGE,
				    "TCP subflows of the MPTCP sockets of running programs by name, "
				    "the initial ones included; fallen back sockets not counted.");
		for (size_t i = 0; i < list.n; i++) {
			unsigned n[_CONN_VERDICT_MAX] = {}, subflows = 0;
			const char *comm = list.v[i].ps.comm;

			if (done[i])
				continue;
			for (size_t k = i; k < list.n; k++) {
				if (done[k] || strcmp(list.v[k].ps.comm, comm) != 0)
					continue;
				done[k] = true;
				n[list.v[k].verdict]++;
				if (list.v[k].verdict != CONN_FALLBACK)
					subflows += list.v[k].d.subflows;
			}
			if (pass == 1) {
				prom_sample(&m->out, subflows, "comm", comm, NULL);
				continue;
			}
			for (size_t v = 0; v < ELEMENTSOF(counted); v++)
				prom_sample(&m->out, n[counted[v]],
					    "comm", comm, "verdict", conn_verdict_key[counted[v]], NULL);
		}
	}
	free(done);
	conn_list_free(&list);
	return 0;
}

/* ---- the kernel -------------------------------------------------------- */

static int emit_kernel(struct metrics_ctx *m)
{
	char names[32][NETSTAT_NAME_LEN];
	uint64_t values[32];
	/* PID 1's network namespace: the host's, also for the daemon, whose
	 * own is private. */
	size_t n = mptcp_fallback_counters("/proc/1/net/netstat", names, values, ELEMENTSOF(values));

	if (!n)
		return 0;
	prom_family(&m->out, "mptcpify_kernel_fallbacks_total", PROM_COUNTER,
		    "The kernel's MPTcpExt counters with Fallback in their name (as nstat names "
		    "them), in the network namespace of PID 1: connections that became plain TCP, "
		    "by cause.");
	for (size_t i = 0; i < n; i++)
		prom_sample(&m->out, values[i], "counter", names[i], NULL);
	return 0;
}

/* ---- socket options MPTCP refused (live detection) -------------------- */

static int emit_sockopt(struct metrics_ctx *m)
{
	_cleanup_free_ struct sockopt_entry *e = NULL;
	size_t n = 0;

	if (!m->open || m->s.map_fd[MAP_SO_REFUSED] < 0 ||
	    sockopt_entries_read(&m->s, MAP_SO_REFUSED, &e, &n) < 0)
		return 0;
	prom_family(&m->out, "mptcpify_sockopt_refused_total", PROM_COUNTER,
		    "Socket option calls MPTCP sockets refused (ENOPROTOOPT, EOPNOTSUPP), by "
		    "program, call, level, option and errno, every cgroup of the program summed: "
		    "what converting broke ('mptcpify compat' tells the rule).");
	/* Entries come sorted by comm, cgroup, op, level, option: sum the
	 * cgroups of one (comm, call) in a second pass over the few there are. */
	for (size_t i = 0; i < n; i++) {
		char call[16], level[32], opt[48], err[24];
		uint64_t sum = 0;
		bool first = true;

		for (size_t j = 0; j < n && first; j++)
			if (j < i && strncmp(e[j].k.comm, e[i].k.comm, MPTCPIFY_COMM_LEN) == 0 &&
			    e[j].k.op == e[i].k.op && e[j].k.level == e[i].k.level &&
			    e[j].k.optname == e[i].k.optname && e[j].k.error == e[i].k.error)
				first = false;
		if (!first)
			continue;
		for (size_t j = i; j < n; j++)
			if (strncmp(e[j].k.comm, e[i].k.comm, MPTCPIFY_COMM_LEN) == 0 &&
			    e[j].k.op == e[i].k.op && e[j].k.level == e[i].k.level &&
			    e[j].k.optname == e[i].k.optname && e[j].k.error == e[i].k.error)
				sum += e[j].v.count;
		snprintf(call, sizeof(call), "%s", e[i].k.op == MPTCPIFY_SOCKOPT_GET ? "getsockopt" :
			 "setsockopt");
		prom_sample(&m->out, sum, "comm", e[i].k.comm, "call", call,
			    "level", sockopt_level_name(e[i].k.level, level, sizeof(level)),
			    "option", sockopt_option_name(e[i].k.level, e[i].k.optname, opt, sizeof(opt)),
			    "errno", sockopt_errno_name(e[i].k.error, err, sizeof(err)), NULL);
	}
	return 0;
}

static int (*const sections[])(struct metrics_ctx *m) = {
	emit_program,
	emit_hook,
	emit_rules,
	emit_connections,
	emit_kernel,
	emit_sockopt,
};

int metrics_write(FILE *f, const struct metrics_opts *o, struct metrics_problems *p)
{
	struct metrics_ctx m = { .out = { .f = f }, .o = o, .problems = p, .s = STATE_INIT };
	bool quiet = log_quiet;
	int r = 0;

	*p = (struct metrics_problems) {};
	/* Not loaded, or an older mptcpify's pins: the families of the maps
	 * are left out; nothing to say on stderr every interval. */
	log_quiet = true;
	m.open = state_is_pinned() && state_open(&m.s, 0) == 0;
	log_quiet = quiet;
	for (size_t i = 0; i < ELEMENTSOF(sections) && !r; i++)
		r = sections[i](&m);
	state_close(&m.s);
	if (!r && (fflush(f) != 0 || ferror(f)))
		r = -ENOMEM;
	return r;
}
