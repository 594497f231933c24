// SPDX-License-Identifier: GPL-2.0-only
/* daemon: what mptcpify-bpf.service runs. Loads (or adopts) the pinned
 * program, applies the configuration, logs rewritten sockets to the journal
 * (rate-limited), re-reads the configuration on SIGHUP and, unless
 * --keep-on-stop, unloads on SIGTERM. The pins are the state: a daemon
 * killed with SIGKILL loses nothing, and its successor adopts them. */
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <bpf/libbpf.h>
#if HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "auto_exclude.h"
#include "commands.h"
#include "compat_report.h"
#include "containers.h"
#include "event_readers.h"
#include "config.h"
#include "metrics_file.h"
#include "mptcpify.h"
#include "persist.h"
#include "sockopt_names.h"
#include "state.h"
#include "util.h"

#define LOG_BURST 20          /* lines per LOG_INTERVAL before suppressing */
#define LOG_INTERVAL_S 5

static volatile sig_atomic_t got_term, got_hup;

static void on_term(int sig) { got_term = 1; }
static void on_hup(int sig) { got_hup = 1; }

static void notify(const char *msg)
{
#if HAVE_LIBSYSTEMD
	sd_notify(0, msg);
#else
	(void)msg;
#endif
}

struct ratelimit {
	time_t window;
	unsigned shown, suppressed;
	struct container_cache containers;  /* for the lines shown */
};

static int log_event(void *ctx, void *data, size_t size)
{
	struct ratelimit *rl = ctx;
	const struct mptcpify_event *e = data;
	time_t now = time(NULL);
	char comm[MPTCPIFY_COMM_LEN];
	const char *container;

	if (size < sizeof(*e))
		return 0;
	if (now - rl->window >= LOG_INTERVAL_S) {
		if (rl->suppressed)
			printf("%u more sockets mptcpified in the last %d s (not logged)\n",
			       rl->suppressed, LOG_INTERVAL_S);
		rl->window = now;
		rl->shown = rl->suppressed = 0;
	}
	if (rl->shown++ >= LOG_BURST) {
		rl->suppressed++;
		return 0;
	}
	memcpy(comm, e->comm, sizeof(comm));
	comm[sizeof(comm) - 1] = '\0';
	container = container_cache_lookup(&rl->containers, e->cgroup_id, e->tgid);
	printf("%s[%u] mptcpified (%s%s%.*s)\n", comm, e->tgid, e->family == 10 ? "AF_INET6" : "AF_INET",
	       container ? ", container " : "", CONTAINER_SHORT_LEN, container ? container : "");
	fflush(stdout);
	return 0;
}

/* The first time a program's option is refused on MPTCP: one line. */
static void log_refusal(const struct sockopt_entry *e, const char *rule, bool selected, void *ud)
{
	char line[512];

	printf("%s\n", refusal_line(e, rule, selected, line, sizeof(line)));
}

/* compat = exclude: each program put on TCP after a refusal, once; and
 * refusals the full table could not take. */
static void log_auto_exclude(const struct auto_entry *e, uint64_t full, void *ud)
{
	char call[96], path[PATH_MAX];

	if (!e) {
		printf("compat = exclude: the table of programs put on TCP is full (%d): %" PRIu64
		       " more refusal%s left %s on MPTCP; exclude or deny by hand, or reload to "
		       "empty the table\n", MPTCPIFY_MAX_AUTO_EXCLUDES, full, full == 1 ? "" : "s",
		       full == 1 ? "its program" : "their programs");
		return;
	}
	printf("%s[%u] in %s: TCP from its next socket on (compat = exclude): %s refused on "
	       "MPTCP\n", e->k.comm, e->v.pid, sockopt_cgroup_path(e->k.cgroup_id, path, sizeof(path)),
	       sockopt_call_name(e->v.op, e->v.level, e->v.optname, call, sizeof(call)));
}

/* Opens the state for writing, applies the configuration, closes (drops
 * the lock). */
static int apply(const struct mptcpify_conf *new, bool *created)
{
	struct state s = STATE_INIT;
	int r = state_open(&s, STATE_WRITE | STATE_CREATE);

	if (!r) {
		if (created)
			*created = s.created;
		r = persist_apply(&s, new);
	}
	state_close(&s);
	return r;
}

static void reload(struct metrics_file *mf)
{
	struct mptcpify_conf next = {};

	notify("RELOADING=1");
	if (persist_load(&next) != 0) {
		fprintf(stderr, "mptcpify: configuration not reloaded: the rules in force are kept\n");
	} else {
		if (apply(&next, NULL) == 0)
			printf("configuration reloaded\n");
		metrics_file_configure(mf, &next);
	}
	conf_free(&next);
	notify("READY=1");
}

int do_daemon(const struct cli *cli)
{
	struct sigaction term = { .sa_handler = on_term }, hup = { .sa_handler = on_hup };
	struct mptcpify_conf conf = {};
	struct ratelimit rl = {};
	struct state s = STATE_INIT;
	struct ring_buffer *rb = NULL;
	struct event_reader er = { .slot = -1, .ring_fd = -1 };
	struct metrics_file mf;
	struct refusal_watch rw = {};
	struct auto_watch aw = {};
	bool keep = cli->keep_on_stop, created = false;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	metrics_file_init(&mf);  /* before anything runs a child */
	sigaction(SIGTERM, &term, NULL);
	sigaction(SIGINT, &term, NULL);
	sigaction(SIGHUP, &hup, NULL);

	r = persist_load(&conf);
	if (r)
		return r;
	r = apply(&conf, &created);
	if (r)
		goto out;
	printf("%s %s; %zu comm, %zu cgroup, %zu unit rules, %zu excludes%s\n",
	       created ? "loaded and pinned under" : "adopted the program pinned under", pin_root(),
	       conf.comms.n, conf.cgroups.n, conf.units.n, conf.exclude_comms.n,
	       conf.all ? ", system-wide" : "");
	if (conf.audit_all || conf.audit_comms.n || conf.audit_cgroups.n || conf.audit_units.n)
		printf("auditing %s%zu comm, %zu cgroup, %zu unit rules: 'mptcpify compat' reports\n",
		       conf.audit_all ? "every process, " : "", conf.audit_comms.n,
		       conf.audit_cgroups.n, conf.audit_units.n);
	if (conf.deny_comms.n || conf.deny_cgroups.n || conf.deny_units.n ||
	    conf.exclude_cgroups.n || conf.exclude_units.n)
		printf("deny: %zu comm, %zu cgroup, %zu unit rules; exclude: %zu cgroup, %zu unit rules\n",
		       conf.deny_comms.n, conf.deny_cgroups.n, conf.deny_units.n,
		       conf.exclude_cgroups.n, conf.exclude_units.n);
	if (conf.compat_exclude)
		printf("compat = exclude: a program whose socket option MPTCP refuses gets TCP from "
		       "its next socket on\n");

	/* Write access: a ring buffer of our own goes in a slot of "events". */
	r = state_open(&s, STATE_WRITE);
	if (r)
		goto out;
	if (event_reader_open(&s, &er) == 0)
		rb = ring_buffer__new(er.ring_fd, log_event, &rl, NULL);
	closep(&s.dir_fd);  /* no lock held while waiting */
	s.dir_fd = -1;
	if (!rb)
		warn("cannot read events (%s): sockets will not be logged", strerror(errno));
	metrics_file_configure(&mf, &conf);
	/* Pairs already in the map were seen before this start (a restart
	 * with --keep-on-stop): not logged again. */
	refusal_watch_init(&rw, &s);
	auto_watch_init(&aw, &s);
	notify("READY=1");

	while (!got_term) {
		if (got_hup) {
			got_hup = 0;
			reload(&mf);
			metrics_file_tick(&mf, true);
		}
		metrics_file_tick(&mf, false);
		if (rb) {
			/* Woken only when the ring fills (mptcpify.bpf.c,
			 * emit_to): read what came after each wait. */
			ring_buffer__poll(rb, metrics_file_wait_ms(&mf, 500));
			ring_buffer__consume(rb);
		} else {
			usleep(metrics_file_wait_ms(&mf, 500) * 1000);
		}
		refusal_watch_poll(&rw, &s, log_refusal, NULL);
		auto_watch_poll(&aw, &s, log_auto_exclude, NULL);
	}
	notify("STOPPING=1");
	r = EXIT_OK;
out:
	ring_buffer__free(rb);
	refusal_watch_free(&rw);
	auto_watch_free(&aw);
	event_reader_close(&s, &er);
	state_close(&s);
	conf_free(&conf);
	metrics_file_free(&mf);
	if (got_term && !keep) {
		int u = state_unload();

		if (!u)
			printf("unloaded: new sockets are TCP again\n");
		else if (!r)
			r = u;
	}
	return r;
}
