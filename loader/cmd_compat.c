// SPDX-License-Identifier: GPL-2.0-only
/* compat: what MPTCP refuses. Per audited program, which of the options it
 * used this kernel's MPTCP would refuse (asked of the kernel itself:
 * sockopt_probe.c); then what MPTCP sockets really refused (live
 * detection). --kernel: the common options this kernel's MPTCP refuses. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "commands.h"
#include "compat_report.h"
#include "json.h"
#include "mptcpify.h"
#include "sockopt_names.h"
#include "sockopt_probe.h"
#include "state.h"
#include "util.h"

static const char *verdict_word(enum sockopt_verdict v)
{
	return v == SOCKOPT_REFUSED ? "refused" : v == SOCKOPT_ACCEPTED ? "accepted" : "cannot tell";
}

static int kernel_table(void)
{
	struct json j;
	struct utsname u;
	size_t n_refused = 0, n_known = 0;
	const char *why;
	char call[96], en[16];

	uname(&u);
	json_init(&j, stdout);
	if (arg_json) {
		json_open_object(&j, NULL);
		json_string(&j, "kernel", u.release);
		json_string(&j, "cache", SOCKOPT_PROBE_CACHE);
		json_open_array(&j, "options");
	}
	for (int pass = 0; pass < 2; pass++) {
		bool first = true;
		int col = 0;

		for (size_t i = 0; i < n_sockopt_names; i++)
			for (int op = MPTCPIFY_SOCKOPT_SET; op <= MPTCPIFY_SOCKOPT_GET; op++) {
				const struct sockopt_name *o = &sockopt_names[i];
				struct sockopt_answer a;

				if (!(o->common & (op == MPTCPIFY_SOCKOPT_SET ? SOCKOPT_COMMON_SET :
						   SOCKOPT_COMMON_GET)))
					continue;
				sockopt_probe(op, o->level, o->optname, &a);
				if (a.verdict == SOCKOPT_CANNOT_TELL)
					continue;
				sockopt_call_name(op, o->level, o->optname, call, sizeof(call));
				if (pass == 0)
					n_known++;
				if (arg_json && pass == 0) {
					json_open_object(&j, NULL);
					json_string(&j, "call", call);
					json_string(&j, "option", o->name);
					json_string(&j, "mptcp", verdict_word(a.verdict));
					json_string(&j, "mptcp_errno", a.mptcp_errno ?
						    sockopt_errno_name(a.mptcp_errno, en, sizeof(en)) : NULL);
					json_string(&j, "tcp_errno", a.tcp_errno ?
						    sockopt_errno_name(a.tcp_errno, en, sizeof(en)) : NULL);
					json_close_object(&j);
					continue;
				}
				if (arg_json)
					continue;
				if (pass == 0 && a.verdict == SOCKOPT_REFUSED) {
					if (!n_refused++)
						printf("MPTCP sockets on this kernel (%s) refuse:\n", u.release);
					printf("  %-44s %s\n", call, sockopt_errno_name(a.mptcp_errno, en, sizeof(en)));
				} else if (pass == 1 && a.verdict == SOCKOPT_ACCEPTED) {
					/* Wrapped at 78 columns. */
					int w = (int)strlen(o->name) + (op == MPTCPIFY_SOCKOPT_GET ? 4 : 0) + 2;

					if (first)
						col = printf("and take, as TCP does:\n  ") - 23;
					else if (col + w > 78)
						col = printf(",\n  ") - 2;
					else
						col += printf(", ");
					col += printf("%s%s", op == MPTCPIFY_SOCKOPT_GET ? "get " : "", o->name);
					first = false;
				}
			}
		if (pass == 1 && !first && !arg_json)
			printf("\n");
	}
	sockopt_probe_save();
	why = sockopt_probe_cannot_tell();
	if (arg_json) {
		json_close_array(&j);
		json_string(&j, "cannot_tell", n_known ? NULL : why);
		json_close_object(&j);
		json_end(&j);
	} else if (n_known) {
		if (!n_refused)
			printf("MPTCP sockets on this kernel (%s) refuse none of the common options\n",
			       u.release);
		printf("(asked of this kernel: each option tried on an MPTCP and a TCP socket; cached in "
		       "%s until reboot)\n", SOCKOPT_PROBE_CACHE);
	}
	if (!n_known)
		return fail(EXIT_INTERNAL, "cannot tell what MPTCP refuses here: %s", why ? why : "?");
	return EXIT_OK;
}

/* One audited program (comm, cgroup): entries [from, to). */
static void audited_group(struct json *j, const struct sockopt_entry *e, size_t from, size_t to)
{
	char path[PATH_MAX], name[64], on[16], call[96], en[16];
	struct sockopt_answer a[to - from];
	size_t refused = 0, unknown = 0;

	for (size_t i = from; i < to; i++) {
		sockopt_probe(e[i].k.op, e[i].k.level, e[i].k.optname, &a[i - from]);
		refused += a[i - from].verdict == SOCKOPT_REFUSED;
		unknown += a[i - from].verdict == SOCKOPT_CANNOT_TELL;
	}
	sockopt_cgroup_path(e[from].k.cgroup_id, path, sizeof(path));
	if (arg_json) {
		json_open_object(j, NULL);
		json_string(j, "comm", e[from].k.comm);
		json_string(j, "cgroup", path);
		json_u64(j, "cgroup_id", e[from].k.cgroup_id);
		json_string(j, "verdict", refused ? "would be refused" : unknown ? "cannot tell" :
			    "nothing refused");
		json_open_array(j, "options");
		for (size_t i = from; i < to; i++) {
			json_open_object(j, NULL);
			json_string(j, "call", sockopt_call_name(e[i].k.op, e[i].k.level, e[i].k.optname,
								 call, sizeof(call)));
			json_string(j, "option", sockopt_option_name(e[i].k.level, e[i].k.optname, on,
								     sizeof(on)));
			json_u64(j, "count", e[i].v.count);
			json_u64(j, "tcp_failed", e[i].v.tcp_failed);
			json_u64(j, "last_pid", e[i].v.last_pid);
			json_string(j, "mptcp", verdict_word(a[i - from].verdict));
			json_string(j, "mptcp_errno", a[i - from].verdict == SOCKOPT_REFUSED ?
				    sockopt_errno_name(a[i - from].mptcp_errno, en, sizeof(en)) : NULL);
			json_close_object(j);
		}
		json_close_array(j);
		json_close_object(j);
		return;
	}
	printf("  %s (cgroup %s): ", e[from].k.comm, path);
	for (int pass = 0; pass < 3; pass++) {
		enum sockopt_verdict want = pass == 0 ? SOCKOPT_REFUSED : pass == 1 ? SOCKOPT_CANNOT_TELL :
			SOCKOPT_ACCEPTED;
		bool first = true;

		for (size_t i = from; i < to; i++) {
			if (a[i - from].verdict != want)
				continue;
			snprintf(name, sizeof(name), "%s%s", e[i].k.op == MPTCPIFY_SOCKOPT_GET ? "get " : "",
				 sockopt_option_name(e[i].k.level, e[i].k.optname, on, sizeof(on)));
			if (first)
				printf("%s", pass == 0 ? "would be refused: " : pass == 1 ?
				       (refused ? "; cannot tell: " : "cannot tell: ") :
				       refused || unknown ? "; would work: " : "nothing refused (");
			printf("%s%s (%" PRIu64 "x)", first ? "" : ", ", name, (uint64_t)e[i].v.count);
			first = false;
		}
		if (pass == 2 && !first && !refused && !unknown)
			printf(")");
	}
	printf("\n");
}

static int report(void)
{
	struct state s = STATE_INIT;
	_cleanup_free_ struct sockopt_entry *au = NULL;
	struct json j;
	size_t n_au = 0, n_ref = 0;
	const char *why;
	int r;

	json_init(&j, stdout);
	if (!state_is_pinned()) {
		if (arg_json)
			printf("{\"loaded\":false,\"audited\":[],\"refused\":[]}\n");
		else
			printf("mptcpify is not loaded: nothing was audited or refused; start with "
			       "'mptcpify audit --comm NAME' (or --unit, --cgroup, --all)\n");
		return EXIT_OK;
	}
	r = state_open(&s, 0);
	if (r)
		return r;
	r = sockopt_entries_read(&s, MAP_SO_AUDIT, &au, &n_au);
	if (r) {
		state_close(&s);
		return fail(EXIT_INTERNAL, "cannot read the audit map: %s", strerror(-r));
	}
	if (arg_json) {
		json_open_object(&j, NULL);
		json_bool(&j, "loaded", true);
		json_open_array(&j, "audited");
	} else {
		printf("audited programs (their TCP sockets, not converted):\n");
		if (!n_au)
			printf("  (none seen: 'mptcpify audit --comm NAME' watches a program)\n");
	}
	for (size_t i = 0; i < n_au; ) {
		size_t end = i + 1;

		while (end < n_au && au[end].k.cgroup_id == au[i].k.cgroup_id &&
		       strncmp(au[end].k.comm, au[i].k.comm, MPTCPIFY_COMM_LEN) == 0)
			end++;
		audited_group(&j, au, i, end);
		i = end;
	}
	why = sockopt_probe_cannot_tell();
	if (arg_json) {
		_cleanup_free_ struct sockopt_entry *ref = NULL;

		json_close_array(&j);
		json_string(&j, "cannot_tell", why);
		json_open_array(&j, "refused");
		if (sockopt_entries_read(&s, MAP_SO_REFUSED, &ref, &n_ref) == 0)
			for (size_t i = 0; i < n_ref; i++)
				sockopt_refused_json(&j, &s, &ref[i]);
		json_close_array(&j);
		json_close_object(&j);
		json_end(&j);
	} else {
		if (why && n_au)
			printf("  cannot tell: %s\n", why);
		printf("refused on MPTCP sockets (converted, or asking for MPTCP themselves):\n");
		n_ref = sockopt_refused_print(&s, "  ");
		if (!n_ref)
			printf("  (none)\n");
	}
	sockopt_probe_save();
	state_close(&s);
	return EXIT_OK;
}

int do_compat(const struct cli *c)
{
	return c->kernel ? kernel_table() : report();
}
