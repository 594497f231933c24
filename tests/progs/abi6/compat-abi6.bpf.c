// SPDX-License-Identifier: GPL-2.0-only
/* The socket option programs as of MPTCPIFY_ABI 6 (commit 655730d), unchanged. */
/* Socket options that MPTCP refuses: what converted programs meet, and what
 * audited programs would meet. Linked into the same object and skeleton as
 * the socket hook (bpf/meson.build), but never on the socket() path.
 *
 * - Live detection: fexit on mptcp_setsockopt() and mptcp_getsockopt().
 *   Only MPTCP sockets reach them (they are MPTCP's struct proto methods;
 *   MPTCP also takes SOL_SOCKET options itself), so TCP and every other
 *   socket pay nothing. A call refused with ENOPROTOOPT or EOPNOTSUPP is
 *   counted in sockopt_refused per (comm, cgroup, op, level, option, errno).
 *   Attached with the hook, for as long as mptcpify is loaded.
 * - Audit: fexit on tcp_setsockopt() (every level but SOL_SOCKET on a TCP
 *   socket), sock_setsockopt() (SOL_SOCKET, filtered to TCP stream sockets)
 *   and tcp_getsockopt() (MPTCP leaves SOL_SOCKET gets to the generic code,
 *   so only these can differ). A call of a task that an audit rule selects
 *   is counted in sockopt_audit. User space attaches these programs only
 *   while an audit rule exists (loader/compat_pins.c): otherwise no
 *   setsockopt() runs any program of ours.
 *
 * These run rarely (options are set once per socket, not per packet), so
 * they use the plain helpers for the name and the cgroup. Which rule
 * selects a program, and whether MPTCP would refuse an audited option, is
 * worked out by user space (loader/compat_*.c): nothing here decides. */
#include <stdbool.h>
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "mptcpify.h"
#include "compat_types.h"
#include "kernel_types.h"
#include "shared_maps.h"

#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define IPPROTO_TCP 6
#define ENOPROTOOPT_ 92
#define EOPNOTSUPP_ 95
#define EEXIST_ 17

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MPTCPIFY_MAX_SOCKOPT_KEYS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct mptcpify_sockopt_key);
	__type(value, struct mptcpify_sockopt_count);
} sockopt_refused SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MPTCPIFY_MAX_SOCKOPT_KEYS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct mptcpify_sockopt_key);
	__type(value, struct mptcpify_sockopt_count);
} sockopt_audit SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mptcpify_audit_config);
} audit_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MPTCPIFY_MAX_AUDIT_RULES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, char[MPTCPIFY_COMM_LEN]);
	__type(value, __u32);
} audit_comms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MPTCPIFY_MAX_AUDIT_RULES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, __u32);
} audit_cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MPTCPIFY_COMPAT_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} compat_stats SEC(".maps");

/* compat = exclude: the hook's settings, its marks of processes it
 * converted, and the table it reads (all defined in mptcpify.bpf.c). */
extern config_map_t config SEC(".maps");
extern auto_exclude_map_t auto_exclude SEC(".maps");
extern converted_tasks_map_t converted_tasks SEC(".maps");

static __always_inline void compat_count(__u32 stat)
{
	__u64 *v = bpf_map_lookup_elem(&compat_stats, &stat);

	if (v)
		__sync_fetch_and_add(v, 1);
}

/* Whether the caller is mptcpify asking the kernel what MPTCP refuses. */
static __always_inline bool our_probe(const char *comm)
{
	const char probe[MPTCPIFY_COMM_LEN] = MPTCPIFY_PROBE_COMM;

	return ((const __u64 *)comm)[0] == ((const __u64 *)probe)[0] &&
	       ((const __u64 *)comm)[1] == ((const __u64 *)probe)[1];
}

/* Counts one call under key k: a new key is added (and, for refusals,
 * announced through MPTCPIFY_COMPAT_NEW_REFUSAL, which readers poll). */
static __always_inline void record(void *map, struct mptcpify_sockopt_key *k, bool tcp_failed,
				   __u32 new_stat, __u32 lost_stat)
{
	struct mptcpify_sockopt_count *v, first = { .count = 1, .tcp_failed = tcp_failed };
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	bpf_get_current_comm(k->comm, sizeof(k->comm));
	if (our_probe(k->comm))
		return;
	k->cgroup_id = bpf_get_current_cgroup_id();
	v = bpf_map_lookup_elem(map, k);
	if (v) {
		__sync_fetch_and_add(&v->count, 1);
		if (tcp_failed)
			__sync_fetch_and_add(&v->tcp_failed, 1);
		v->last_pid = tgid;
		return;
	}
	first.last_pid = tgid;
	if (!bpf_map_update_elem(map, k, &first, BPF_NOEXIST)) {
		if (new_stat < MPTCPIFY_COMPAT_STAT_MAX)
			compat_count(new_stat);
		return;
	}
	/* Another CPU added it meanwhile, or the map is full. */
	v = bpf_map_lookup_elem(map, k);
	if (v) {
		__sync_fetch_and_add(&v->count, 1);
		v->last_pid = tgid;
	} else {
		compat_count(lost_stat);
	}
}

/* compat = exclude: a refusal on an MPTCP socket of a process that the hook
 * converted (its mark) excludes that program, by name in its own cgroup,
 * from its next socket on: the hook reads auto_exclude for every socket it
 * would convert. Scoped to the cgroup so that a process elsewhere that
 * takes a service's name cannot switch MPTCP off for the service. The
 * first refusal is kept as the reason; user space empties the table when
 * the configuration is applied. When full, the program stays MPTCP. */
static __always_inline void exclude_after_refusal(const struct mptcpify_sockopt_key *k)
{
	const __u32 zero = 0;
	const struct mptcpify_config *cfg = bpf_map_lookup_elem(&config, &zero);
	struct mptcpify_auto_exclude v = {
		.level = k->level, .optname = k->optname, .op = k->op, .error = k->error,
	};
	struct mptcpify_auto_key ak = {};
	__u64 *mark;
	__u32 tgid;
	long err;

	if (!cfg || !(cfg->veto_flags & MPTCPIFY_VETO_F_COMPAT_EXCLUDE))
		return;
	tgid = bpf_get_current_pid_tgid() >> 32;
	mark = bpf_map_lookup_elem(&converted_tasks, &tgid);
	if (!mark || *mark != k->cgroup_id)
		return;  /* a program that asked for MPTCP itself */
	__builtin_memcpy(ak.comm, k->comm, sizeof(ak.comm));
	ak.cgroup_id = k->cgroup_id;
	if (bpf_map_lookup_elem(&auto_exclude, &ak))
		return;
	v.since_ns = bpf_ktime_get_boot_ns();
	v.pid = bpf_get_current_pid_tgid() >> 32;
	err = bpf_map_update_elem(&auto_exclude, &ak, &v, BPF_NOEXIST);
	if (!err)
		compat_count(MPTCPIFY_COMPAT_AUTO_NEW);
	else if (err != -EEXIST_)
		compat_count(MPTCPIFY_COMPAT_AUTO_FULL);
}

/* ---- Live detection. Arguments 1 and 2 are level and optname in both
 * functions (the by-value sockptr_t of mptcp_setsockopt comes after them);
 * the return value is read with bpf_get_func_ret(), wherever it sits. */
static __always_inline int refused(unsigned long long *ctx, __u16 op)
{
	struct mptcpify_sockopt_key k = {};
	__u64 ret = 0;
	int err;

	bpf_get_func_ret(ctx, &ret);
	err = -(int)ret;
	if (err != ENOPROTOOPT_ && err != EOPNOTSUPP_)
		return 0;
	k.level = (int)ctx[1];
	k.optname = (int)ctx[2];
	k.op = op;
	k.error = err;
	record(&sockopt_refused, &k, false, MPTCPIFY_COMPAT_NEW_REFUSAL,
	       MPTCPIFY_COMPAT_REFUSED_LOST);
	if (k.cgroup_id)  /* filled by record(): not mptcpify's own probe */
		exclude_after_refusal(&k);
	return 0;
}

SEC("fexit/mptcp_setsockopt")
int mptcpify_refset(unsigned long long *ctx)
{
	return refused(ctx, MPTCPIFY_SOCKOPT_SET);
}

SEC("fexit/mptcp_getsockopt")
int mptcpify_refget(unsigned long long *ctx)
{
	return refused(ctx, MPTCPIFY_SOCKOPT_GET);
}

/* ---- Audit. */

/* Whether an audit rule selects the current task: all, its name, or its
 * cgroup or an ancestor of it. */
static __always_inline bool audited(void)
{
	const __u32 zero = 0;
	const struct mptcpify_audit_config *cfg = bpf_map_lookup_elem(&audit_config, &zero);
	char comm[MPTCPIFY_COMM_LEN] = {};

	if (!cfg)
		return false;
	if (cfg->all)
		return true;
	if (cfg->n_comm) {
		bpf_get_current_comm(comm, sizeof(comm));
		if (bpf_map_lookup_elem(&audit_comms, comm))
			return true;
	}
	if (!cfg->n_cgroup)
		return false;
	for (int level = 0; level <= MPTCPIFY_MAX_CGROUP_DEPTH; level++) {
		__u64 id = bpf_get_current_ancestor_cgroup_id(level);

		if (!id)
			break;
		if (bpf_map_lookup_elem(&audit_cgroups, &id))
			return true;
	}
	return false;
}

/* A socket of a process: kernel sockets (MPTCP's own subflows, which MPTCP
 * sets options on for its caller) have no file. */
static __always_inline bool user_socket(const struct socket *sock)
{
	return sock && sock->file;
}

static __always_inline int audit(unsigned long long *ctx, __u16 op)
{
	struct mptcpify_sockopt_key k = {};
	__u64 ret = 0;

	if (!audited())
		return 0;
	bpf_get_func_ret(ctx, &ret);
	k.level = (int)ctx[1];
	k.optname = (int)ctx[2];
	k.op = op;
	record(&sockopt_audit, &k, (int)ret != 0, MPTCPIFY_COMPAT_STAT_MAX,
	       MPTCPIFY_COMPAT_AUDIT_LOST);
	return 0;
}

/* tcp_setsockopt() and tcp_getsockopt(): a TCP socket, first argument. */
static __always_inline int audit_tcp(unsigned long long *ctx, __u16 op)
{
	struct sock *sk = (struct sock *)ctx[0];

	if (!user_socket(sk->sk_socket))
		return 0;
	return audit(ctx, op);
}

SEC("fexit/tcp_setsockopt")
int mptcpify_audset(unsigned long long *ctx)
{
	return audit_tcp(ctx, MPTCPIFY_SOCKOPT_SET);
}

SEC("fexit/tcp_getsockopt")
int mptcpify_audget(unsigned long long *ctx)
{
	return audit_tcp(ctx, MPTCPIFY_SOCKOPT_GET);
}

/* SOL_SOCKET options of every socket come here: keep TCP stream sockets. */
SEC("fexit/sock_setsockopt")
int mptcpify_audsol(unsigned long long *ctx)
{
	struct socket *sock = (struct socket *)ctx[0];
	struct sock *sk;
	__u16 family;

	if (!user_socket(sock) || sock->type != SOCK_STREAM)
		return 0;
	sk = sock->sk;
	if (!sk || sk->sk_protocol != IPPROTO_TCP)
		return 0;
	family = sk->__sk_common.skc_family;
	if (family != AF_INET && family != AF_INET6)
		return 0;
	return audit(ctx, MPTCPIFY_SOCKOPT_SET);
}
