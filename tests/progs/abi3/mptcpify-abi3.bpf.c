// SPDX-License-Identifier: GPL-2.0-only
/* The socket hook and cgroup trackers as of MPTCPIFY_ABI 3 (commit b3475d0,
 * the last one with that ABI), unchanged: the upgrade test pins them with
 * tests/progs/abi-pin.c (built as abi3-pin) and checks that the current
 * mptcpify replaces them keeping every rule and its hits. */
/* The hook: turns socket(AF_INET|AF_INET6, SOCK_STREAM[|flags], 0|IPPROTO_TCP)
 * into IPPROTO_MPTCP for the selected tasks.
 *
 * update_socket_protocol() (Linux >= 6.6) is called by __sys_socket() with the
 * caller's arguments and returns the protocol to use. As fmod_ret, returning 0
 * means "no opinion": the kernel's own body runs (it returns the protocol
 * unchanged) and any other fmod_ret program on the hook still gets its say.
 * Anything non-zero replaces the protocol. */
#include <stdbool.h>
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "mptcpify.h"
#include "kernel_types.h"

#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define SOCK_TYPE_MASK 0xf
#define IPPROTO_TCP 6
#define E2BIG_ 7

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mptcpify_config);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MPTCPIFY_MAX_COMM_RULES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, char[MPTCPIFY_COMM_LEN]);
	__type(value, struct mptcpify_rule);
} comm_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MPTCPIFY_MAX_EXCLUDES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, char[MPTCPIFY_COMM_LEN]);
	__type(value, struct mptcpify_rule);
} comm_exclude SEC(".maps");

/* Preallocated: the mkdir() program below adds to it, and must not meet
 * ENOMEM from an empty element cache there. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MPTCPIFY_MAX_CGROUP_RULES);
	__type(key, __u64);
	__type(value, struct mptcpify_cgroup_rule);
} cgroup_rules SEC(".maps");

/* Path rules and patterns: only user space writes them, only the mkdir()
 * program reads them. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MPTCPIFY_MAX_PATH_RULES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, char[MPTCPIFY_CGROUP_PATH_LEN]);
	__type(value, struct mptcpify_path_rule);
} cgroup_paths SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MPTCPIFY_MAX_GLOB_DIRS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, char[MPTCPIFY_CGROUP_PATH_LEN]);
	__type(value, struct mptcpify_glob_dir);
} cgroup_globs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MPTCPIFY_MAX_RULE_NUMBER + 1);
	__type(key, __u32);
	__type(value, __u64);
} retired_hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MPTCPIFY_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* One bounded ring buffer per reader (the daemon, each `monitor`), created
 * by the reader and put in a free slot: every reader sees every event, none
 * takes another's. When a reader does not keep up, its records are dropped
 * and counted (MPTCPIFY_STAT_EVENTS_LOST); a socket storm never blocks or
 * allocates. */
struct event_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, MPTCPIFY_EVENTS_BYTES);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MPTCPIFY_MAX_READERS);
	__type(key, __u32);
	__type(value, struct mptcpify_reader);
} event_readers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, MPTCPIFY_MAX_READERS);
	__type(key, __u32);
	__array(values, struct event_ring);
} events SEC(".maps");

/* Per-netns MPTCP state lives in net_generic(net, mptcp_pernet_id), private
 * to net/mptcp/ctrl.c. Debian builds with KALLSYMS_ALL, so the id's address is
 * known; __weak keeps the program loadable where it is not. */
extern const void mptcp_pernet_id __ksym __weak;

static __always_inline void count(__u32 stat)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &stat);

	/* Atomic even though per-CPU: a preempting task on the same CPU may run
	 * this program in between, and the load test checks exact sums. */
	if (v)
		__sync_fetch_and_add(v, 1);
}

static __always_inline void hit(__u64 *hits)
{
	__sync_fetch_and_add(hits, 1);
}

/* 1 if MPTCP is enabled in the calling task's network namespace, 0 if not,
 * 1 when the kernel does not let us tell (the socket() would then fail as it
 * would for a program asking for MPTCP itself). */
static __always_inline int mptcp_enabled_here(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct net_generic *gen;
	struct mptcp_pernet *pernet = NULL;
	unsigned int id = 0;
	__u8 enabled = 1;

	if (!bpf_core_field_exists(struct mptcp_pernet, mptcp_enabled) ||
	    !bpf_core_field_exists(struct net_generic, ptr) || !&mptcp_pernet_id)
		return 1;
	if (bpf_probe_read_kernel(&id, sizeof(id), &mptcp_pernet_id))
		return 1;
	gen = BPF_CORE_READ(task, nsproxy, net_ns, gen);
	if (!gen)
		return 1;
	if (bpf_probe_read_kernel(&pernet, sizeof(pernet),
				  (char *)gen + bpf_core_field_offset(struct net_generic, ptr) +
				  (__u64)id * sizeof(void *)))
		return 1;
	if (!pernet || BPF_CORE_READ_INTO(&enabled, pernet, mptcp_enabled))
		return 1;
	return enabled != 0;
}

/* Which rule selects the caller, if any. Cheapest checks first; empty rule
 * maps are skipped using the counts user space keeps in config. */
static __always_inline __u16 selected(const struct mptcpify_config *cfg, const char *comm,
				      __u64 *rule_cgroup)
{
	if (cfg->all) {
		count(MPTCPIFY_STAT_ALL_HITS);
		return MPTCPIFY_REASON_ALL;
	}
	if (cfg->n_comm) {
		struct mptcpify_rule *h = bpf_map_lookup_elem(&comm_rules, comm);

		if (h) {
			hit(&h->hits);
			return MPTCPIFY_REASON_COMM;
		}
	}
	if (cfg->n_cgroup) {
		/* Level 0 is the root; a task deeper than the bound is only matched
		 * through its first MPTCPIFY_MAX_CGROUP_DEPTH levels. */
		/* Only the depths that hold rules are looked at (user space keeps
		 * the set in cfg->levels): one helper call and one lookup each. */
		__u32 levels = cfg->levels;

		for (int level = 0; level <= MPTCPIFY_MAX_CGROUP_DEPTH; level++) {
			struct mptcpify_cgroup_rule *h;
			__u64 id;

			if (!(levels >> level))
				break;
			if (!(levels & (1u << level)))
				continue;
			id = bpf_get_current_ancestor_cgroup_id(level);
			if (!id)
				break;
			h = bpf_map_lookup_elem(&cgroup_rules, &id);
			if (h) {
				hit(&h->hits);
				*rule_cgroup = id;
				return MPTCPIFY_REASON_CGROUP;
			}
		}
	}
	return 0;
}

static __always_inline void emit_to(__u32 slot, const struct mptcpify_event *ev)
{
	void *ring = bpf_map_lookup_elem(&events, &slot);
	struct mptcpify_event *e;

	if (!ring)
		return;  /* no reader in this slot */
	e = bpf_ringbuf_reserve(ring, sizeof(*e), 0);
	if (!e) {
		count(MPTCPIFY_STAT_EVENTS_LOST);
		return;
	}
	__builtin_memcpy(e, ev, sizeof(*e));
	bpf_ringbuf_submit(e, 0);
}

static __always_inline void emit(__u16 family, int type, __u16 reason, __u64 rule_cgroup,
				  const char *comm)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct mptcpify_event ev = {
		.cgroup_id = bpf_get_current_cgroup_id(),
		.rule_cgroup_id = rule_cgroup,
		.pid = (__u32)pid_tgid,
		.tgid = pid_tgid >> 32,
		.family = family,
		.reason = reason,
		.type = type,
	};

	__builtin_memcpy(ev.comm, comm, MPTCPIFY_COMM_LEN);
	/* One call per slot, each with a constant key: MPTCPIFY_MAX_READERS. */
	emit_to(0, &ev);
	emit_to(1, &ev);
	emit_to(2, &ev);
	emit_to(3, &ev);
	emit_to(4, &ev);
	emit_to(5, &ev);
	emit_to(6, &ev);
	emit_to(7, &ev);
}
_Static_assert(MPTCPIFY_MAX_READERS == 8, "emit() has one emit_to() per reader slot");

/* The socket hook's body. The kernel runs a tracing program only where that
 * same program is not running already on the CPU (its recursion guard), and
 * on a preemptible kernel a task preempted inside it holds that guard until
 * it runs again: meanwhile every socket() on that CPU skips the program. So
 * on such kernels the same body is attached several times, as separate
 * programs with guards of their own ("backstops", run after the primary):
 * a socket stays TCP only if every copy is held at once. Returning 0 lets
 * the next copy (and any other tool's fmod_ret program) run; the first copy
 * that rewrites ends the chain. Only the primary counts what it sees, so
 * counters mean the same with or without backstops. */
static __always_inline int hook(int family, int type, int protocol, bool primary)
{
	const __u32 zero = 0;
	const struct mptcpify_config *cfg;
	char comm[MPTCPIFY_COMM_LEN] = {};
	__u64 rule_cgroup = 0;
	__u16 reason;

	if ((family != AF_INET && family != AF_INET6) ||
	    (type & SOCK_TYPE_MASK) != SOCK_STREAM ||
	    (protocol != 0 && protocol != IPPROTO_TCP))
		return 0;
	if (primary)
		count(MPTCPIFY_STAT_SEEN);

	cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg)
		return 0;
	/* The name is needed by name rules, else only for the event. */
	if (cfg->n_comm || cfg->n_exclude)
		bpf_get_current_comm(comm, sizeof(comm));

	if (cfg->n_exclude) {
		struct mptcpify_rule *h = bpf_map_lookup_elem(&comm_exclude, comm);

		if (h) {
			if (primary) {
				hit(&h->hits);
				count(MPTCPIFY_STAT_EXCLUDED);
			}
			return 0;
		}
	}
	reason = selected(cfg, comm, &rule_cgroup);
	if (!reason)
		return 0;
	if (!mptcp_enabled_here()) {
		if (primary)
			count(MPTCPIFY_STAT_NETNS_OFF);
		return 0;
	}
	count(MPTCPIFY_STAT_REWRITTEN);
	if (!primary)
		count(MPTCPIFY_STAT_BACKSTOP);
	if (!cfg->n_comm && !cfg->n_exclude)
		bpf_get_current_comm(comm, sizeof(comm));
	emit(family, type, reason, rule_cgroup, comm);
	return IPPROTO_MPTCP;
}

SEC("fmod_ret/update_socket_protocol")
int BPF_PROG(mptcpify_socket, int family, int type, int protocol)
{
	return hook(family, type, protocol, true);
}

/* MPTCPIFY_BACKSTOPS copies; program names stay within the kernel's 15
 * bytes so that tools can tell them apart. */
SEC("fmod_ret/update_socket_protocol")
int BPF_PROG(mptcpify_back1, int family, int type, int protocol)
{
	return hook(family, type, protocol, false);
}

SEC("fmod_ret/update_socket_protocol")
int BPF_PROG(mptcpify_back2, int family, int type, int protocol)
{
	return hook(family, type, protocol, false);
}

SEC("fmod_ret/update_socket_protocol")
int BPF_PROG(mptcpify_back3, int family, int type, int protocol)
{
	return hook(family, type, protocol, false);
}

/* Run once by user space (BPF_PROG_RUN) after loading: the kernel's current
 * preemption mode, plus one (0: cannot tell). Backstops are only attached
 * where a task can be preempted inside the hook. */
extern const void preempt_dynamic_mode __ksym __weak;

SEC("syscall")
int mptcpify_preempt_mode(void *ctx)
{
	int mode = -1;

	if (!&preempt_dynamic_mode ||
	    bpf_probe_read_kernel(&mode, sizeof(mode), &preempt_dynamic_mode))
		return 0;
	return mode + 1;
}

/* ---- Cgroup tracking: path rules become live ids as cgroups come and go.
 *
 * The cgroup_mkdir and cgroup_rmdir tracepoints fire inside mkdir() and
 * rmdir() on cgroupfs, before the call returns: a cgroup whose path is
 * selected is in cgroup_rules before any process can be moved into it, and
 * its id leaves with it, so dead ids never pile up. Tracepoints run with
 * preemption disabled: these programs are never skipped the way the socket
 * hook can be, and the per-CPU scratch buffer is theirs while they run. */

struct path_scratch {
	char path[MPTCPIFY_CGROUP_PATH_LEN];
	char dir[MPTCPIFY_CGROUP_PATH_LEN];
	char part[MPTCPIFY_GLOB_PART_LEN];
	__u32 last;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path_scratch);
} scratch SEC(".maps");

#define PATH_MASK (MPTCPIFY_CGROUP_PATH_LEN - 1)
#define PART_MASK (MPTCPIFY_GLOB_PART_LEN - 1)

/* Adds id for rule `number`. The caller then looks the rule up again and
 * takes the id back when it is gone: a detach that removed the rule and
 * swept its ids just before this update would otherwise leave it selected. */
static __always_inline void select_new(__u64 id, __u32 number, __u32 flags)
{
	struct mptcpify_cgroup_rule v = { .flags = flags, .number = number };
	long err = bpf_map_update_elem(&cgroup_rules, &id, &v, BPF_NOEXIST);

	if (err == -E2BIG_) {
		count(MPTCPIFY_STAT_CGROUP_FULL);
		return;
	}
	if (!err)
		count(MPTCPIFY_STAT_CGROUP_ADDED);
}

/* Whether n bytes at src equal want (NUL padded): copied into a zeroed
 * buffer and compared a word at a time, so that the verifier sees no loop
 * whose length depends on the data. */
static __always_inline bool part_equal(struct path_scratch *sc, const char *src, __u32 n,
				       const char *want)
{
	const __u64 *a = (const __u64 *)sc->part, *b = (const __u64 *)want;
	__u64 diff = 0;

	__builtin_memset(sc->part, 0, sizeof(sc->part));
	if (n && bpf_probe_read_kernel(sc->part, n & PART_MASK, src))
		return false;
	for (int w = 0; w < MPTCPIFY_GLOB_PART_LEN / 8; w++)
		diff |= a[w] ^ b[w];
	return diff == 0;
}

static __always_inline bool glob_matches(struct path_scratch *sc, __u32 name_off, __u32 len,
					 const struct mptcpify_glob *g)
{
	__u32 pl = g->prefix_len, sl = g->suffix_len;

	if (!g->number || pl > MPTCPIFY_GLOB_PART_MAX || sl > MPTCPIFY_GLOB_PART_MAX ||
	    name_off + pl + sl > len)
		return false;
	return part_equal(sc, sc->path + (name_off & PATH_MASK), pl, g->prefix) &&
	       part_equal(sc, sc->path + ((len - sl) & PATH_MASK), sl, g->suffix);
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(mptcpify_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	const __u32 zero = 0;
	const struct mptcpify_config *cfg = bpf_map_lookup_elem(&config, &zero);
	struct mptcpify_path_rule *exact;
	struct mptcpify_glob_dir *dir;
	struct path_scratch *sc;
	__u32 len, last = 0;
	__u64 id;
	long n;

	if (!cfg || !cfg->n_cgroup || BPF_CORE_READ(cgrp, root, hierarchy_id) != 0)
		return 0;
	sc = bpf_map_lookup_elem(&scratch, &zero);
	if (!sc)
		return 0;
	/* Keys are NUL padded: clear what an earlier, longer path left. */
	__builtin_memset(sc, 0, sizeof(*sc));
	n = bpf_probe_read_kernel_str(sc->path, sizeof(sc->path), path);
	if (n <= 1)
		return 0;
	if (n > MPTCPIFY_CGROUP_PATH_MAX + 1) {  /* may have been cut: no rule can match */
		count(MPTCPIFY_STAT_PATH_TOO_LONG);
		return 0;
	}
	len = n - 1;
	id = BPF_CORE_READ(cgrp, kn, id);

	exact = bpf_map_lookup_elem(&cgroup_paths, sc->path);
	if (exact) {
		select_new(id, exact->number, exact->flags);
		if (!bpf_map_lookup_elem(&cgroup_paths, sc->path))
			bpf_map_delete_elem(&cgroup_rules, &id);
		return 0;
	}

	/* The last '/', scanning back: each step either stops or goes on, so
	 * the verifier follows one path, not one per slash seen. */
	for (__u32 i = 1; i < MPTCPIFY_CGROUP_PATH_LEN; i++) {
		if (i > len)
			break;
		if (sc->path[(len - i) & PATH_MASK] == '/') {
			last = len - i;
			break;
		}
	}
	/* Through memory, so that the verifier forgets which step found it
	 * and checks the rest once, not once per possible position. */
	sc->last = last;
	last = *(volatile __u32 *)&sc->last;
	if (last >= len)
		return 0;
	/* The parent directory: "/" for a child of the root. */
	if (last == 0)
		sc->dir[0] = '/';
	else if (bpf_probe_read_kernel(sc->dir, last & PATH_MASK, sc->path))
		return 0;
	dir = bpf_map_lookup_elem(&cgroup_globs, sc->dir);
	if (!dir)
		return 0;
	for (__u32 g = 0; g < MPTCPIFY_GLOBS_PER_DIR; g++) {
		__u32 number = dir->g[g].number;

		if (!glob_matches(sc, last + 1, len, &dir->g[g]))
			continue;
		select_new(id, number, dir->g[g].flags);
		dir = bpf_map_lookup_elem(&cgroup_globs, sc->dir);
		if (!dir || dir->g[g].number != number)
			bpf_map_delete_elem(&cgroup_rules, &id);
		return 0;
	}
	return 0;
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(mptcpify_cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
	struct mptcpify_cgroup_rule *v;
	__u64 id, *retired;
	__u32 number;

	if (BPF_CORE_READ(cgrp, root, hierarchy_id) != 0)
		return 0;
	id = BPF_CORE_READ(cgrp, kn, id);
	v = bpf_map_lookup_elem(&cgroup_rules, &id);
	if (!v)
		return 0;
	/* The rule's hits outlive the cgroup: `list` adds them to the live ones. */
	number = v->number;
	retired = bpf_map_lookup_elem(&retired_hits, &number);
	if (number && retired)
		__sync_fetch_and_add(retired, v->hits);
	bpf_map_delete_elem(&cgroup_rules, &id);
	return 0;
}
