// SPDX-License-Identifier: GPL-2.0-only
/* The socket hook as of MPTCPIFY_ABI 2 (commit 061a3e7), unchanged: the
 * upgrade test pins it with tests/progs/abi2-pin.c and checks that the
 * current mptcpify replaces it keeping every rule. */
/* The hook: turns socket(AF_INET|AF_INET6, SOCK_STREAM[|flags], 0|IPPROTO_TCP)
 * into IPPROTO_MPTCP for the selected tasks.
 *
 * update_socket_protocol() (Linux >= 6.6) is called by __sys_socket() with the
 * caller's arguments and returns the protocol to use. As fmod_ret, returning 0
 * means "no opinion": the kernel's own body runs (it returns the protocol
 * unchanged) and any other fmod_ret program on the hook still gets its say.
 * Anything non-zero replaces the protocol. */
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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MPTCPIFY_MAX_CGROUP_RULES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct mptcpify_rule);
} cgroup_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MPTCPIFY_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* Bounded: when user space does not keep up, records are dropped and counted
 * (MPTCPIFY_STAT_EVENTS_LOST); a socket storm never blocks or allocates. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, MPTCPIFY_EVENTS_BYTES);
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

static __always_inline void hit(struct mptcpify_rule *h)
{
	if (h)
		__sync_fetch_and_add(&h->hits, 1);
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
			hit(h);
			return MPTCPIFY_REASON_COMM;
		}
	}
	if (cfg->n_cgroup) {
		/* Level 0 is the root; a task deeper than the bound is only matched
		 * through its first MPTCPIFY_MAX_CGROUP_DEPTH levels. */
		for (int level = 0; level <= MPTCPIFY_MAX_CGROUP_DEPTH; level++) {
			__u64 id = bpf_get_current_ancestor_cgroup_id(level);
			struct mptcpify_rule *h;

			if (!id)
				break;
			h = bpf_map_lookup_elem(&cgroup_rules, &id);
			if (h) {
				hit(h);
				*rule_cgroup = id;
				return MPTCPIFY_REASON_CGROUP;
			}
		}
	}
	return 0;
}

static __always_inline void emit(__u16 family, int type, __u16 reason, __u64 rule_cgroup,
				  const char *comm)
{
	struct mptcpify_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (!e) {
		count(MPTCPIFY_STAT_EVENTS_LOST);
		return;
	}
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->rule_cgroup_id = rule_cgroup;
	e->pid = (__u32)pid_tgid;
	e->tgid = pid_tgid >> 32;
	e->family = family;
	e->reason = reason;
	e->type = type;
	__builtin_memcpy(e->comm, comm, MPTCPIFY_COMM_LEN);
	bpf_ringbuf_submit(e, 0);
}

SEC("fmod_ret/update_socket_protocol")
int BPF_PROG(mptcpify_socket, int family, int type, int protocol)
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
	count(MPTCPIFY_STAT_SEEN);

	cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg)
		return 0;
	bpf_get_current_comm(comm, sizeof(comm));

	if (cfg->n_exclude) {
		struct mptcpify_rule *h = bpf_map_lookup_elem(&comm_exclude, comm);

		if (h) {
			hit(h);
			count(MPTCPIFY_STAT_EXCLUDED);
			return 0;
		}
	}
	reason = selected(cfg, comm, &rule_cgroup);
	if (!reason)
		return 0;
	if (!mptcp_enabled_here()) {
		count(MPTCPIFY_STAT_NETNS_OFF);
		return 0;
	}
	count(MPTCPIFY_STAT_REWRITTEN);
	emit(family, type, reason, rule_cgroup, comm);
	return IPPROTO_MPTCP;
}
