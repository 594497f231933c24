// SPDX-License-Identifier: GPL-2.0-only
/* status: can mptcpify work here, is it loaded, what has it done. Each
 * failed check says how to fix it; the exit status is the first failure's. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>  /* before mptcpify.h, which defines IPPROTO_MPTCP for older headers */
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/utsname.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "commands.h"
#include "compat_pins.h"
#include "compat_report.h"
#include "hook_chain.h"
#include "json.h"
#include "mptcp_pm.h"
#include "mptcpify.h"
#include "mptcpify.skel.h"
#include "netstat.h"
#include "rules.h"
#include "state.h"
#include "util.h"

enum level { OK, WARN, FAIL };

struct report {
	struct json j;
	int status;           /* first failure's exit status */
	/* The socket hook's place in the chain of fmod_ret programs. */
	bool have_chain, chain_ends;
	int n_other;
	struct hook_link other[8];
};

static void check(struct report *rep, const char *name, enum level lvl, int status,
		  const char *detail, const char *fix)
{
	static const char *const word[] = { "ok", "warn", "FAIL" };

	if (lvl == FAIL && !rep->status)
		rep->status = status;
	if (arg_json) {
		json_open_object(&rep->j, NULL);
		json_string(&rep->j, "check", name);
		json_string(&rep->j, "result", lvl == OK ? "ok" : lvl == WARN ? "warn" : "fail");
		json_string(&rep->j, "detail", detail);
		if (fix)
			json_string(&rep->j, "fix", fix);
		json_close_object(&rep->j);
		return;
	}
	printf("%-5s %-24s %s\n", word[lvl], name, detail);
	if (fix && lvl != OK)
		printf("      %-24s fix: %s\n", "", fix);
}

/* Loads (without attaching) to learn whether tracing programs are allowed. */
static int probe_tracing(void)
{
	struct mptcpify_bpf *skel = mptcpify_bpf__open();
	int err;

	if (!skel)
		return -errno;
	err = mptcpify_bpf__load(skel);
	mptcpify_bpf__destroy(skel);
	return err;
}

/* Tracing links whose program is ours: more than one means a leak. */
static int count_our_links(void)
{
	__u32 id = 0;
	int n = 0;

	while (bpf_link_get_next_id(id, &id) == 0) {
		struct bpf_link_info li = {};
		struct bpf_prog_info pi = {};
		_cleanup_close_ int fd = bpf_link_get_fd_by_id(id);

		if (fd >= 0 && link_prog_info(fd, &li, &pi) == 0 &&
		    li.type == BPF_LINK_TYPE_TRACING && strcmp(pi.name, "mptcpify_socket") == 0)
			n++;
	}
	return n;
}

/* Whether a socket the hook declines still goes on to other programs on
 * update_socket_protocol (hook_chain.h). */
static void check_chain(struct report *rep)
{
	struct state s = STATE_INIT;
	char buf[512];
	size_t off;
	int r;

	log_quiet = true;
	r = state_open(&s, 0);
	log_quiet = false;
	if (!r) {
		r = state_hook_chain(&s, &rep->chain_ends, rep->other, ELEMENTSOF(rep->other));
		rep->n_other = r < 0 ? 0 : r;
		rep->have_chain = r >= 0;
	}
	state_close(&s);
	if (!rep->have_chain)
		return;
	off = snprintf(buf, sizeof(buf), "%s", rep->chain_ends ?
		       "ends at mptcpify: a socket() it declines runs no other program after it" :
		       "goes on: mptcpify returns 0 for the sockets it declines, so that other "
		       "programs on update_socket_protocol still see them");
	for (int i = 0; i < rep->n_other && i < (int)ELEMENTSOF(rep->other) && off < sizeof(buf); i++)
		off += snprintf(buf + off, sizeof(buf) - off, "%s program %u '%s'",
				i ? "," : "; other programs on the hook:", rep->other[i].prog_id,
				rep->other[i].prog_name);
	if (!rep->chain_ends && !rep->n_other && off < sizeof(buf))
		snprintf(buf + off, sizeof(buf) - off, " (another program was there when it "
			 "loaded; the next change of the rules ends the chain)");
	check(rep, "hook chain", OK, 0, buf, NULL);
}

static void json_chain(struct report *rep)
{
	if (!rep->have_chain)
		return;
	json_open_object(&rep->j, "hook_chain");
	json_bool(&rep->j, "ends_at_mptcpify", rep->chain_ends);
	json_open_array(&rep->j, "other_programs");
	for (int i = 0; i < rep->n_other && i < (int)ELEMENTSOF(rep->other); i++) {
		json_open_object(&rep->j, NULL);
		json_u64(&rep->j, "link_id", rep->other[i].link_id);
		json_u64(&rep->j, "prog_id", rep->other[i].prog_id);
		json_string(&rep->j, "name", rep->other[i].prog_name);
		json_close_object(&rep->j);
	}
	json_close_array(&rep->j);
	json_close_object(&rep->j);
}

static void check_all(struct report *rep, bool *loaded)
{
	char why[256], buf[512], v[16];
	bool root = have_cap(21) || (have_cap(38) && have_cap(39));
	struct statfs sfs;
	struct utsname u;
	int hook;

	uname(&u);
	check(rep, "privileges", root ? OK : WARN, EXIT_NOPERM,
	      root ? "can load BPF programs" : "not root: the checks below are partial",
	      "run as root (sudo mptcpify status)");

	hook = probe_btf_and_hook(why, sizeof(why));
	if (hook == EXIT_NOBTF) {
		check(rep, "kernel BTF", FAIL, EXIT_NOBTF, why, "use a kernel with CONFIG_DEBUG_INFO_BTF=y");
	} else {
		check(rep, "kernel BTF", OK, 0, "/sys/kernel/btf/vmlinux", NULL);
		snprintf(buf, sizeof(buf), "present in %s", u.release);
		check(rep, "update_socket_protocol", hook ? FAIL : OK, EXIT_NOHOOK,
		      hook ? why : buf, "boot Linux >= 6.6 (Debian 12: linux-image-cloud-amd64 from "
		      "bookworm-backports)");
	}

	*loaded = state_is_pinned();
	if (*loaded) {
		check(rep, "tracing programs", OK, 0, "allowed (mptcpify is attached)", NULL);
	} else if (!hook && root) {
		int err = probe_tracing();

		check(rep, "tracing programs", err ? FAIL : OK, EXIT_TRACING_DENIED,
		      err == -EPERM ? "refused by the kernel (EPERM): lockdown, an LSM or a sandbox"
		      : err ? "the test load failed (run with --verbose for libbpf's log)"
		      : "allowed (test load succeeded)",
		      "boot without kernel lockdown; check the LSM policy (SELinux/AppArmor/BPF LSM)");
	}

	if (statfs("/sys/fs/bpf", &sfs) == 0 && (unsigned long)sfs.f_type == 0xcafe4a11)
		check(rep, "bpffs", OK, 0, "mounted on /sys/fs/bpf", NULL);
	else
		check(rep, "bpffs", WARN, 0, "not mounted on /sys/fs/bpf (attach will mount it)",
		      "mount -t bpf bpf /sys/fs/bpf");

	if (read_file_str("/proc/sys/net/mptcp/enabled", v, sizeof(v)) < 0)
		check(rep, "net.mptcp.enabled", FAIL, EXIT_NOHOOK, "no MPTCP in this kernel",
		      "use a kernel with CONFIG_MPTCP=y");
	else
		check(rep, "net.mptcp.enabled", v[0] == '1' ? OK : WARN, 0,
		      v[0] == '1' ? "1 in this network namespace" :
		      "0 in this network namespace: selected programs keep TCP here",
		      "sysctl -w net.mptcp.enabled=1; persist it in /etc/sysctl.d/90-enable-MPTCP.conf");

	if (root) {
		bool hidden = kernel_addresses_hidden();

		check(rep, "per-netns MPTCP check", hidden ? WARN : OK, 0,
		      hidden ? "kernel addresses hidden (kernel.kptr_restrict): net.mptcp.enabled=0 in "
		      "a namespace is not seen, and socket() of selected programs there fails"
		      : "net.mptcp.enabled is read in each network namespace",
		      "sysctl -w kernel.kptr_restrict=1, then mptcpify unload; mptcpify load");
	}

	snprintf(buf, sizeof(buf), "%s %s", *loaded ? "pinned under" : "nothing pinned under",
		 pin_root());
	check(rep, "program", *loaded ? OK : WARN, 0, buf,
	      "mptcpify attach --comm NAME, or systemctl enable --now mptcpify-bpf");
	if (*loaded && root) {
		int n = count_our_links();

		snprintf(buf, sizeof(buf), "%d tracing link%s of mptcpify attached", n, n == 1 ? "" : "s");
		check(rep, "attachments", n == 1 ? OK : WARN, 0, buf,
		      n == 0 ? "mptcpify unload, then attach again" :
		      "a stale loader holds a second link: stop it (bpftool link list)");
		check_chain(rep);
	}
}

/* The in-kernel path manager of this network namespace: without extra
 * subflows allowed and addresses to use, MPTCP connections keep one path. */
static void check_paths(struct report *rep, struct mptcp_pm_state *pm, bool *have_pm)
{
	char buf[1024], why[128];
	size_t off = 0;
	int r = mptcp_pm_read(pm);

	*have_pm = r == 0;
	if (r) {
		snprintf(why, sizeof(why), "cannot read the MPTCP path manager (generic netlink "
			 "mptcp_pm): %s", strerror(-r));
		check(rep, "mptcp limits", WARN, 0, why, "use a kernel with CONFIG_MPTCP=y");
		return;
	}
	snprintf(buf, sizeof(buf), "subflows %u, add_addr_accepted %u%s", pm->subflows,
		 pm->add_addr_accepted, pm->subflows ? "" :
		 ": no extra subflow is allowed, selected programs get one path only");
	check(rep, "mptcp limits", pm->subflows ? OK : WARN, 0, buf,
	      "ip mptcp limits set subflow 2 add_addr_accepted 2");
	for (size_t i = 0; i < pm->n_ep && i < ELEMENTSOF(pm->ep); i++) {
		const struct mptcp_endpoint *ep = &pm->ep[i];
		char ip[INET6_ADDRSTRLEN], flags[64], dev[IF_NAMESIZE] = "";

		inet_ntop(ep->family, &ep->addr, ip, sizeof(ip));
		mptcp_endpoint_flags(ep->flags, flags, sizeof(flags));
		if (ep->ifindex && !if_indextoname(ep->ifindex, dev))
			snprintf(dev, sizeof(dev), "#%d", ep->ifindex);
		off += snprintf(buf + off, off < sizeof(buf) ? sizeof(buf) - off : 0,
				"%s%s (%s%s%s)", off ? ", " : "", ip, flags, dev[0] ? " dev " : "", dev);
	}
	if (!pm->n_ep)
		snprintf(buf, sizeof(buf), "none in this network namespace: this host opens no extra "
			 "subflow and announces no address, selected programs get one path only%s",
			 pm->add_addr_accepted ? " (unless the peer announces one)" : "");
	check(rep, "mptcp endpoints", pm->n_ep ? OK : WARN, 0, buf,
	      "ip mptcp endpoint add ADDR dev IF subflow|signal (or let NetworkManager or mptcpd "
	      "manage the endpoints)");
}

static void check_fallbacks(struct report *rep, char names[][NETSTAT_NAME_LEN], uint64_t *values, size_t n)
{
	char buf[1024] = "";
	size_t off = 0;

	for (size_t i = 0; i < n; i++)
		if (values[i])
			off += snprintf(buf + off, off < sizeof(buf) ? sizeof(buf) - off : 0,
					"%s%s %" PRIu64, off ? ", " : "", names[i], values[i]);
	check(rep, "mptcp fallbacks", off ? WARN : OK, 0, off ? buf : n ?
	      "no connection of this network namespace fell back to TCP" :
	      "no MPTcpExt counters in /proc/net/netstat",
	      "a peer or a middlebox does not speak MPTCP: 'mptcpify connections' shows which "
	      "connections fell back");
}

static void json_paths(struct report *rep, const struct mptcp_pm_state *pm, bool have_pm,
		       char names[][NETSTAT_NAME_LEN], const uint64_t *values, size_t n)
{
	if (have_pm) {
		json_open_object(&rep->j, "mptcp_limits");
		json_u64(&rep->j, "subflows", pm->subflows);
		json_u64(&rep->j, "add_addr_accepted", pm->add_addr_accepted);
		json_close_object(&rep->j);
		json_open_array(&rep->j, "mptcp_endpoints");
		for (size_t i = 0; i < pm->n_ep && i < ELEMENTSOF(pm->ep); i++) {
			const struct mptcp_endpoint *ep = &pm->ep[i];
			char ip[INET6_ADDRSTRLEN], flags[64], dev[IF_NAMESIZE] = "";

			inet_ntop(ep->family, &ep->addr, ip, sizeof(ip));
			mptcp_endpoint_flags(ep->flags, flags, sizeof(flags));
			json_open_object(&rep->j, NULL);
			json_string(&rep->j, "address", ip);
			json_u64(&rep->j, "id", ep->id);
			json_string(&rep->j, "flags", flags);
			if (ep->port)
				json_u64(&rep->j, "port", ep->port);
			if (ep->ifindex && if_indextoname(ep->ifindex, dev))
				json_string(&rep->j, "dev", dev);
			json_close_object(&rep->j);
		}
		json_close_array(&rep->j);
	}
	json_open_object(&rep->j, "fallback_counters");
	for (size_t i = 0; i < n; i++)
		json_u64(&rep->j, names[i], values[i]);
	json_close_object(&rep->j);
}

/* Runs the kernel skipped: a tracing program does not run on a CPU where
 * it is already running (recursion protection). With a preemptible kernel a
 * task preempted inside it makes the next socket() on that CPU miss it, and
 * that socket stays TCP. */
static uint64_t recursion_misses(int link_fd)
{
	struct bpf_link_info li = {};
	struct bpf_prog_info pi = {};

	return link_prog_info(link_fd, &li, &pi) == 0 ? pi.recursion_misses : 0;
}

static void print_counters(struct report *rep)
{
	static const char *const names[MPTCPIFY_STAT_MAX] = {
		[MPTCPIFY_STAT_SEEN] = "tcp_sockets_seen",
		[MPTCPIFY_STAT_REWRITTEN] = "rewritten_to_mptcp",
		[MPTCPIFY_STAT_NETNS_OFF] = "kept_tcp_mptcp_disabled",
		[MPTCPIFY_STAT_EXCLUDED] = "kept_tcp_excluded",
		[MPTCPIFY_STAT_ALL_HITS] = "system_wide_hits",
		[MPTCPIFY_STAT_EVENTS_LOST] = "events_lost",
		[MPTCPIFY_STAT_CGROUP_ADDED] = "cgroups_selected_at_mkdir",
		[MPTCPIFY_STAT_CGROUP_FULL] = "cgroups_missed_map_full",
		[MPTCPIFY_STAT_PATH_TOO_LONG] = "cgroups_path_too_long",
		[MPTCPIFY_STAT_BACKSTOP] = "rewritten_by_backstop",
		[MPTCPIFY_STAT_CGROUP_WALKS] = "cgroup_walks",
		[MPTCPIFY_STAT_DENIED] = "denied",
		[MPTCPIFY_STAT_AUTO_EXCLUDED] = "kept_tcp_compat_exclude",
	};
	struct state s = STATE_INIT;
	uint64_t st[MPTCPIFY_STAT_MAX], missed = 0;
	int backstops = state_backstop_links();
	int r = state_open(&s, 0);

	if (!r)
		r = stats_read(&s, st);
	if (!r)
		missed = recursion_misses(s.link_fd);
	state_close(&s);
	if (r)
		return;
	if (arg_json) {
		json_open_object(&rep->j, "counters");
		for (int i = 0; i < MPTCPIFY_STAT_MAX; i++)
			json_u64(&rep->j, names[i], st[i]);
		json_u64(&rep->j, "missed_by_kernel", missed);
		json_u64(&rep->j, "backstops", backstops);
		json_close_object(&rep->j);
		return;
	}
	printf("counters:\n");
	for (int i = 0; i < MPTCPIFY_STAT_MAX; i++)
		printf("      %-24s %" PRIu64 "\n", names[i], st[i]);
	printf("      %-24s %" PRIu64 "%s\n", "missed_by_kernel", missed, !missed ? "" : backstops ?
	       "  (socket() calls the kernel ran without the primary program: it was already"
	       " running on that CPU in a preempted task; backstops took over)" :
	       "  (socket() calls the kernel ran without the program: it was already running"
	       " on that CPU in a preempted task; those sockets stayed TCP)");
	printf("      %-24s %d%s\n", "backstops", backstops, backstops ? "  (copies of the hook: "
	       "this kernel can preempt a task inside it)" : "");
}

/* Socket options refused on MPTCP sockets (live detection), and audit. */
static void check_sockopts(struct report *rep)
{
	_cleanup_free_ struct sockopt_entry *e = NULL;
	struct state s = STATE_INIT;
	char buf[256];
	size_t n = 0;
	int audit = compat_audit_links_pinned(pin_root());

	if (state_open(&s, 0))
		return;
	if (!compat_detection_pinned(pin_root()))
		check(rep, "socket options", WARN, 0, "refused socket options are not watched (the "
		      "kernel has no MPTCP, or refused the fexit programs on mptcp_setsockopt)",
		      "mptcpify unload; mptcpify --verbose load (libbpf says why)");
	else if (sockopt_entries_read(&s, MAP_SO_REFUSED, &e, &n) == 0) {
		if (n)
			snprintf(buf, sizeof(buf), "%zu kind%s of call refused on MPTCP sockets%s", n,
				 n == 1 ? "" : "s", audit ? "; audit on" : "");
		else
			snprintf(buf, sizeof(buf), "none refused on MPTCP sockets%s",
				 audit ? "; audit on" : "");
		if (!arg_json) {
			check(rep, "socket options", n ? WARN : OK, 0, buf, "'mptcpify compat' shows "
			      "which programs; exclude those (mptcpify exclude --comm NAME)");
			if (n)
				sockopt_refused_print(&s, "      ");
		} else {
			/* check()'s object, with the refused calls in it. */
			json_open_object(&rep->j, NULL);
			json_string(&rep->j, "check", "socket options");
			json_string(&rep->j, "result", n ? "warn" : "ok");
			json_string(&rep->j, "detail", buf);
			json_bool(&rep->j, "audit", audit > 0);
			json_open_array(&rep->j, "refused");
			for (size_t i = 0; i < n; i++)
				sockopt_refused_json(&rep->j, &s, &e[i]);
			json_close_array(&rep->j);
			json_close_object(&rep->j);
		}
	}
	state_close(&s);
}

int do_status(const struct cli *c)
{
	struct report rep = {};
	struct mptcp_pm_state pm;
	char mib_names[32][NETSTAT_NAME_LEN];
	uint64_t mib_values[32];
	size_t n_mibs;
	bool loaded = false, have_pm = false;

	json_init(&rep.j, stdout);
	if (arg_json) {
		json_open_object(&rep.j, NULL);
		json_open_array(&rep.j, "checks");
	}
	check_all(&rep, &loaded);
	if (loaded && (have_cap(21) || (have_cap(38) && have_cap(39))))
		check_sockopts(&rep);
	check_paths(&rep, &pm, &have_pm);
	n_mibs = mptcp_fallback_counters("/proc/net/netstat", mib_names, mib_values,
					 ELEMENTSOF(mib_values));
	check_fallbacks(&rep, mib_names, mib_values, n_mibs);
	if (arg_json) {
		json_close_array(&rep.j);
		json_bool(&rep.j, "loaded", loaded);
		json_chain(&rep);
		json_paths(&rep, &pm, have_pm, mib_names, mib_values, n_mibs);
	}
	if (loaded && (have_cap(21) || (have_cap(38) && have_cap(39))))
		print_counters(&rep);
	if (arg_json) {
		json_i64(&rep.j, "exit_status", rep.status);
		json_close_object(&rep.j);
		json_end(&rep.j);
	}
	return rep.status;
}
