// SPDX-License-Identifier: GPL-2.0-only
/* monitor: one line per rewritten socket, as the old SystemTap script
 * printed "command iperf3 mptcpified". */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <bpf/libbpf.h>

#include "commands.h"
#include "compat_report.h"
#include "sockopt_names.h"
#include "containers.h"
#include "event_readers.h"
#include "json.h"
#include "mptcpify.h"
#include "state.h"
#include "util.h"

static volatile sig_atomic_t stop;
static long remaining = -1;

static void on_signal(int sig)
{
	stop = 1;
}

static const char *family_name(unsigned f)
{
	return f == 2 ? "AF_INET" : f == 10 ? "AF_INET6" : "?";
}

static const char *reason_name(unsigned r)
{
	return r == MPTCPIFY_REASON_ALL ? "all" : r == MPTCPIFY_REASON_COMM ? "comm" :
	       r == MPTCPIFY_REASON_CGROUP ? "cgroup" : "?";
}

static int on_event(void *ctx, void *data, size_t size)
{
	static struct container_cache containers;
	const struct mptcpify_event *e = data;
	char comm[MPTCPIFY_COMM_LEN];
	const char *container;

	if (size < sizeof(*e))
		return 0;
	memcpy(comm, e->comm, sizeof(comm));
	comm[sizeof(comm) - 1] = '\0';
	container = container_cache_lookup(&containers, e->cgroup_id, e->tgid);
	if (arg_json) {
		struct json j;

		json_init(&j, stdout);
		json_open_object(&j, NULL);
		json_string(&j, "comm", comm);
		json_u64(&j, "pid", e->tgid);
		json_u64(&j, "tid", e->pid);
		json_string(&j, "family", family_name(e->family));
		json_u64(&j, "type", e->type);
		json_string(&j, "reason", reason_name(e->reason));
		json_u64(&j, "cgroup_id", e->cgroup_id);
		if (e->reason == MPTCPIFY_REASON_CGROUP)
			json_u64(&j, "rule_cgroup_id", e->rule_cgroup_id);
		json_string(&j, "container_id", container);
		json_close_object(&j);
		json_end(&j);
	} else {
		printf("%s[%u] mptcpified (%s, by %s rule%s%.*s)\n", comm, e->tgid,
		       family_name(e->family), reason_name(e->reason), container ? ", container " : "",
		       CONTAINER_SHORT_LEN, container ? container : "");
		fflush(stdout);
	}
	if (remaining > 0 && --remaining == 0)
		stop = 1;
	return 0;
}

/* A (program, option) pair refused on MPTCP for the first time. JSON
 * lines of this kind carry "kind"; socket lines have none. */
static void on_refusal(const struct sockopt_entry *e, const char *rule, bool selected, void *ud)
{
	char line[512];

	if (arg_json) {
		struct json j;

		json_init(&j, stdout);
		json_open_object(&j, NULL);
		char call[96], en[16];

		json_string(&j, "kind", "sockopt_refused");
		json_string(&j, "comm", e->k.comm);
		json_u64(&j, "pid", e->v.last_pid);
		json_u64(&j, "cgroup_id", e->k.cgroup_id);
		json_string(&j, "call", sockopt_call_name(e->k.op, e->k.level, e->k.optname, call,
							  sizeof(call)));
		json_string(&j, "errno", sockopt_errno_name(e->k.error, en, sizeof(en)));
		json_string(&j, "rule", rule);
		json_bool(&j, "selected", selected);
		json_string(&j, "message", refusal_line(e, rule, selected, line, sizeof(line)));
		json_close_object(&j);
		json_end(&j);
	} else {
		printf("%s\n", refusal_line(e, rule, selected, line, sizeof(line)));
	}
	fflush(stdout);
}

int do_monitor(const struct cli *c)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct state s = STATE_INIT;
	struct event_reader er = { .slot = -1, .ring_fd = -1 };
	struct refusal_watch rw;
	struct ring_buffer *rb;
	double timeout = c->timeout;
	struct timespec t0, now;
	int r = 0;

	if (c->count)
		remaining = c->count;

	/* Write access: a ring buffer of our own goes in a slot of "events". */
	r = state_open(&s, STATE_WRITE);
	if (r)
		return r;
	r = event_reader_open(&s, &er);
	if (r)
		goto out;
	rb = ring_buffer__new(er.ring_fd, on_event, NULL, NULL);
	if (!rb) {
		r = fail(EXIT_INTERNAL, "cannot read the event ring buffer: %s", strerror(errno));
		goto out;
	}
	/* The lock is for writers; holding it would block attach meanwhile. */
	closep(&s.dir_fd);
	s.dir_fd = -1;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	refusal_watch_init(&rw, &s);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop) {
		/* The hook wakes readers only when their ring fills up
		 * (mptcpify.bpf.c, emit_to): what came meanwhile is read
		 * after each wait, woken or not. */
		int n = ring_buffer__poll(rb, 200);

		if (n >= 0 || n == -EINTR)
			n = ring_buffer__consume(rb);
		if (n < 0 && n != -EINTR) {
			r = fail(EXIT_INTERNAL, "reading events failed: %s", strerror(-n));
			break;
		}
		refusal_watch_poll(&rw, &s, on_refusal, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (timeout > 0 && (now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9 >= timeout)
			break;
	}
	if (!r)
		ring_buffer__consume(rb);  /* the last records, before exiting */
	ring_buffer__free(rb);
	refusal_watch_free(&rw);
out:
	event_reader_close(&s, &er);
	state_close(&s);
	return r;
}
