// SPDX-License-Identifier: GPL-2.0-only
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
#include "shared_maps.h"

#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_TYPE_MASK 0xf
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define E2BIG_ 7
/* IPPROTO_MPTCP: include/mptcpify.h */

char LICENSE[] SEC("license") = "GPL";

/* ---- Maps.
 *
 * The hook's hot data are globals, each in a data section of its own: libbpf
 * makes each section a one-entry array map, and the program reads it with a
 * direct load instead of a map lookup (ABI 7). config and name_filter are
 * pinned like the other maps (state.c), cgroup_verdicts is not. */

/* Settings the CLI changes at run time; pinned as "config". */
struct mptcpify_config config SEC(".data.config") = {};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MPTCPIFY_MAX_COMM_RULES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, char[MPTCPIFY_COMM_LEN]);
	__type(value, struct mptcpify_name_rule);
} comm_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MPTCPIFY_MAX_EXCLUDES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, char[MPTCPIFY_COMM_LEN]);
	__type(value, struct mptcpify_name_rule);
} comm_exclude SEC(".maps");

/* The hits of name rules and excludes, by the slot their value names. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MPTCPIFY_NAME_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} name_hits SEC(".maps");

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

/* The hits of path rules and patterns, by rule number. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MPTCPIFY_MAX_RULE_NUMBER + 1);
	__type(key, __u32);
	__type(value, __u64);
} rule_hits SEC(".maps");

/* Deny, exclude by cgroup, compat = exclude (include/mptcpify.h, "Deny,
 * exclude"). Looked at only for sockets a rule selects, and for stream
 * sockets asking for IPPROTO_MPTCP themselves, and only while config says
 * they hold something (config.hot: MPTCPIFY_HOT_VETO, MPTCPIFY_HOT_DENY):
 * the socket() of a task no rule selects pays nothing for them.
 * - comm_deny: names never MPTCP, valued like comm_rules (their hits in
 *   name_hits); their bits are in name_filter.
 * - veto_paths: deny and exclude cgroup paths; the mkdir() program below
 *   turns them into live ids in cgroup_vetoes, as it does for cgroup_paths.
 * - cgroup_vetoes: those ids, with their hits.
 * - auto_exclude, converted_tasks: compat = exclude (bpf/shared_maps.h);
 *   the refusal programs of bpf/compat.bpf.c insert into auto_exclude. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MPTCPIFY_MAX_DENY);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, char[MPTCPIFY_COMM_LEN]);
	__type(value, struct mptcpify_name_rule);
} comm_deny SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MPTCPIFY_MAX_VETO_PATHS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, char[MPTCPIFY_CGROUP_PATH_LEN]);
	__type(value, struct mptcpify_path_rule);
} veto_paths SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MPTCPIFY_MAX_VETO_CGROUPS);
	__type(key, __u64);
	__type(value, struct mptcpify_cgroup_rule);
} cgroup_vetoes SEC(".maps");

auto_exclude_map_t auto_exclude SEC(".maps");
converted_tasks_map_t converted_tasks SEC(".maps");

/* One block of counters per program copy (MPTCPIFY_COPY_*). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MPTCPIFY_STAT_COPIES);
	__type(key, __u32);
	__type(value, struct mptcpify_stats);
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

/* The slots of "events" that may hold a ring; pinned as "event_mask". */
__u32 event_mask SEC(".data.readers") = 0;

/* Name filter, pinned as "name_filter" (see "Deciding cheaply" below). */
__u64 name_filter[MPTCPIFY_NAME_FILTER_WORDS] SEC(".data.names") = {};

/* Cached cgroup verdicts, not pinned (see "Deciding cheaply" below). */
#define CGV_SLOTS_SHIFT 12
__u64 cgroup_verdicts[1 << CGV_SLOTS_SHIFT] SEC(".data.verdicts") = {};

/* Per-netns MPTCP state lives in net_generic(net, mptcp_pernet_id), private
 * to net/mptcp/ctrl.c. Debian builds with KALLSYMS_ALL, so the id's address is
 * known. MPTCP cannot be a module, so the id is fixed at boot:
 * mptcpify_preempt_mode() below reads it once, at load, into mptcp_id_plus1
 * (0: unknown). */
__u32 mptcp_id_plus1;

/* This copy's block of counters, on this CPU. Plain additions: the kernel
 * runs a copy at most once at a time on a CPU (a task preempted inside it
 * keeps the others out), and no other program writes the block. */
static __always_inline struct mptcpify_stats *stats_of(__u32 copy)
{
	return bpf_map_lookup_elem(&stats, &copy);
}

static __always_inline void count(struct mptcpify_stats *st, __u32 stat)
{
	if (st)
		st->n[stat]++;
}

/* Casts a kernel address to a read-only pointer to the kernel type btf_id
 * (Linux >= 6.2): the verifier turns the call into a move, and loads through
 * the result into nofault loads, a few instructions where
 * bpf_probe_read_kernel() costs about a hundred. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/* 1 if MPTCP is enabled in the task's network namespace, 0 if not, 1 when
 * the kernel does not let us tell (the socket() would then fail as it would
 * for a program asking for MPTCP itself). Read on every selected socket():
 * the sysctl may change at any time. */
static __always_inline int mptcp_enabled_here(struct task_struct *task)
{
	const struct mptcp_pernet *pernet;
	const struct list_head *slot;
	struct net_generic *gen;
	__u32 id = mptcp_id_plus1;

	if (!bpf_core_field_exists(struct mptcp_pernet, mptcp_enabled) ||
	    !bpf_core_field_exists(struct net_generic, ptr) || !id)
		return 1;
	gen = task->nsproxy->net_ns->gen;   /* BTF pointers: plain loads */
	if (!gen)
		return 1;
	/* gen->ptr[id - 1]: an index only known at run time, so through a cast
	 * of the slot's address. */
	slot = bpf_rdonly_cast((char *)gen + bpf_core_field_offset(struct net_generic, ptr) +
			       (__u64)(id - 1) * sizeof(void *),
			       bpf_core_type_id_kernel(struct list_head));
	pernet = bpf_rdonly_cast(slot->next, bpf_core_type_id_kernel(struct mptcp_pernet));
	if (!pernet)
		return 1;
	return pernet->mptcp_enabled != 0;
}

/* ---- Ending the chain.
 *
 * update_socket_protocol()'s own body returns the protocol it was given, and
 * the socket layer then picks the protocol: for protocol 0, the first entry
 * registered for the family and type (inet_create(), inet6_create()), which
 * for AF_INET and AF_INET6 is TCP for SOCK_STREAM and UDP for SOCK_DGRAM,
 * both entries marked permanent, which nothing registered later can come
 * before. AF_UNIX takes protocol 0 or PF_UNIX alike and keeps neither
 * (unix_create()). So for those, and for any non-zero protocol, we know what
 * the kernel will do, and returning it makes the same socket (SO_PROTOCOL alike)
 * while ending the chain of fmod_ret programs: the trampoline stops at the
 * first non-zero return. Our backstop copies (below) then only run when the
 * primary was skipped, and a declined socket costs one program. Where the
 * answer is not known (protocol 0 of other families, raw sockets), 0.
 * What changes: LSMs and tracers after us see 6, 17 or 1 where 0 was asked
 * (docs/hook-chain.md). */
static __always_inline int decline(int family, bool inet, int kind, int protocol)
{
	/* Protocol 0 of another family or type: the kernel's default is not
	 * ours to name; 0 whatever the chain (no load of the config). */
	if (!protocol && !(inet && kind == SOCK_DGRAM) && family != AF_UNIX)
		return 0;
	/* Else the kernel's own choice, unless another tool's program is
	 * attached after ours in the chain (config.chain_ends, mirrored in
	 * config.hot). A TCP socket never comes here (decline_tcp()). */
	if (!(*(volatile __u32 *)&config.hot & MPTCPIFY_HOT_CHAIN))
		return 0;
	if (protocol)
		return protocol;
	return family == AF_UNIX ? AF_UNIX : IPPROTO_UDP;  /* PF_UNIX == AF_UNIX */
}

/* ---- Deciding cheaply.
 *
 * Most socket() calls of a machine come from tasks no rule selects, so the
 * hook is built to say "no" in a few dozen instructions whatever the number
 * of rules and the depth of the caller's cgroup. First the primary's memo
 * of its last verdict on this CPU (below, "Verdicts, and the memo"); when
 * the caller is not the memo's:
 * - names: the task's name is read as two words straight from the task; a
 *   bitmap with one bit per hash of every rule and exclude name (name_filter,
 *   kept by user space) tells in one load that no name rule can match; only
 *   names whose bit is set are looked up in the hash maps;
 * - cgroups: the verdict for the caller's cgroup, made by walking its
 *   ancestors, is cached in cgroup_verdicts (a direct-mapped array indexed by
 *   the low bits of the cgroup id), one word per cgroup holding the id, the
 *   rules' generation it was made under (config.verdict_tag, changed by user
 *   space after every change of the rules) and the depth of the selecting
 *   ancestor. A word is written and read in one access, so tasks racing on
 *   a slot never see half of each other's entry; a collision only costs a
 *   walk. A cgroup id is never reused, and a task that moves to another
 *   cgroup looks up that cgroup's slot: nothing needs to be invalidated
 *   besides the generation.
 * Deny and exclude rules are looked at only once a rule selects (a deny
 * name is one more bit in name_filter): their verdicts are more kinds in
 * the memo (enum verdict_kind), so a task making sockets in a row pays for
 * them once. */
/* The word's layout: include/mptcpify.h, MPTCPIFY_CGV_*; bit 61 is free (a
 * deny verdict). */
#define CGV_SELECTED (1ULL << 62)
#define CGV_LEVEL_SHIFT 56       /* 5 bits: the selecting ancestor's depth */

/* ---- Verdicts, and the memo.
 *
 * A verdict is a kind and an index: the slot of a name rule's hits, or the
 * number of a cgroup rule. The primary keeps its last verdict on each CPU in
 * its block of counters (struct mptcpify_memo), with what it was made from:
 * the task's name, its cgroup id, and config.verdict_tag, which user space
 * changes after every change of the rules. A verdict depends on nothing
 * else (whether MPTCP is on in the task's network namespace is read each
 * time a socket is rewritten), so a socket() whose name, cgroup and tag are
 * the memo's gets the memo's verdict: for a task making sockets in a row,
 * the decision costs a few comparisons. Only the primary writes and reads
 * the memo, and the kernel never runs it twice at once on a CPU (its
 * recursion guard): no copy sees another's half-written memo. What the
 * kernel itself changes in the rules never needs to reach a memo: it adds
 * the ids of new cgroups and removes those of removed ones, and no task can
 * be in a cgroup before it exists or after it is gone. */
#define VERDICT_KIND_SHIFT 16
#define VERDICT_INDEX 0xffff
enum verdict_kind {
	VERDICT_DECLINED = 1,   /* not selected: left alone */
	VERDICT_EXCLUDED,       /* a name excluded: left alone, the exclude's hit */
	VERDICT_COMM,           /* selected by a name rule (index: its slot) */
	VERDICT_CGROUP,         /* selected by a path rule or pattern (index: its number) */
	VERDICT_CGROUP_ID,      /* selected by a cgroup selected by id (run): not memoized */
	VERDICT_ALL,            /* system-wide mode */
	/* Selected, but kept TCP (deny wins over every rule): */
	VERDICT_DENY_NAME,      /* a deny name (index: its slot) */
	VERDICT_DENY_CGROUP,    /* a deny cgroup rule (its live id: ancestor) */
	VERDICT_EXCLUDE_CGROUP, /* an exclude cgroup rule (its live id: ancestor) */
};

static __always_inline __u32 verdict(enum verdict_kind kind, __u32 index)
{
	return (__u32)kind << VERDICT_KIND_SHIFT | (index & VERDICT_INDEX);
}

/* Walks the caller's ancestors at the depths that hold rules (user space
 * keeps the set in config.levels): one helper call and one lookup each.
 * Level 0 is the root; a task deeper than the bound is only matched through
 * its first MPTCPIFY_MAX_CGROUP_DEPTH levels. The depth found, or -1. */
static __always_inline int walk_cgroups(struct mptcpify_memo *m)
{
	__u32 levels = config.levels;

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
			m->ancestor = id;
			m->verdict = h->number ? verdict(VERDICT_CGROUP, h->number) :
						 verdict(VERDICT_CGROUP_ID, 0);
			return level;
		}
	}
	return -1;
}

/* Cgroup ids are handed out in sequence: their low bits spread them. */
static __always_inline __u32 cgv_slot(__u64 id)
{
	return id & ((1 << CGV_SLOTS_SHIFT) - 1);
}

/* The verdict for the caller's cgroup (m->cgroup) when cgroup_verdicts
 * does not say "not selected" under the current rules (the tag in m): the
 * cached selecting ancestor's rule, else a walk of its ancestors, then
 * cached. */
static __noinline void choose_by_cgroup(__u32 copy, struct mptcpify_memo *m)
{
	__u64 id = m->cgroup, want = m->tag | id;
	__u64 *e = &cgroup_verdicts[cgv_slot(id)];
	__u64 got = *(volatile __u64 *)e;
	int level;

	/* An id of more than 32 bits does not fit a word (its high bits
	 * would pass for generation bits): never cached, always walked. */
	if ((got & ~(CGV_SELECTED | (0x1fULL << CGV_LEVEL_SHIFT))) == want && !(id >> 32)) {
		struct mptcpify_cgroup_rule *h;
		__u64 anc = bpf_get_current_ancestor_cgroup_id((got >> CGV_LEVEL_SHIFT) & 0x1f);

		h = bpf_map_lookup_elem(&cgroup_rules, &anc);
		if (h) {
			m->ancestor = anc;
			m->verdict = h->number ? verdict(VERDICT_CGROUP, h->number) :
						 verdict(VERDICT_CGROUP_ID, 0);
			return;
		}
		/* The rule went away; the generation follows: walk. */
	}
	if (copy == MPTCPIFY_COPY_PRIMARY)
		count(stats_of(copy), MPTCPIFY_STAT_CGROUP_WALKS);
	level = walk_cgroups(m);
	if (!(id >> 32))
		*(volatile __u64 *)e = level < 0 ? want :
			want | CGV_SELECTED | ((__u64)(level & 0x1f) << CGV_LEVEL_SHIFT);
}

/* The cgroup walk for deny and exclude rules: a global function, so the
 * verifier checks it once, returning at its first decisive hit (a single
 * walk that carried the selection and the veto through all its levels made
 * the verifier stop at its limit of a million instructions, E2BIG). */
#define VETO_IS_DENY 0x100

/* The shallowest level in VLEVELS at or below FROM whose ancestor a deny or
 * exclude cgroup rule covers (only deny rules when DENY_ONLY), with
 * VETO_IS_DENY set for a deny; -1 if none. */
__noinline int mptcpify_first_veto(__u32 vlevels, int from, int deny_only)
{
	for (int level = 0; level <= MPTCPIFY_MAX_CGROUP_DEPTH; level++) {
		struct mptcpify_cgroup_rule *v;
		__u64 id;

		if (!(vlevels >> level))
			break;
		if (level < from || !(vlevels & (1u << level)))
			continue;
		id = bpf_get_current_ancestor_cgroup_id(level);
		if (!id)
			break;
		v = bpf_map_lookup_elem(&cgroup_vetoes, &id);
		if (!v)
			continue;
		if (v->flags & MPTCPIFY_RULE_DENY)
			return level | VETO_IS_DENY;
		if (!deny_only)
			return level;
	}
	return -1;
}

static __always_inline bool name_in_filter(__u64 w0, __u64 w1)
{
	__u32 bit = mptcpify_name_hash(w0, w1);

	return (name_filter[bit / 64] >> (bit % 64)) & 1;
}

/* For a selected socket: the deny or exclude rule that keeps it TCP, if
 * any, replaces the verdict in m. A deny name first, then the cgroup
 * rules: the shallowest deny, else the shallowest exclude (deny wins). */
static __noinline void choose_veto(struct mptcpify_memo *m)
{
	__u32 vlevels = config.n_veto ? config.veto_levels : 0;
	struct mptcpify_cgroup_rule *v;
	int level;
	__u64 anc;

	if (config.n_deny && name_in_filter(m->w0, m->w1)) {
		__u64 name[2] = { m->w0, m->w1 };
		struct mptcpify_name_rule *r = bpf_map_lookup_elem(&comm_deny, name);

		if (r) {
			m->verdict = verdict(VERDICT_DENY_NAME, r->slot);
			return;
		}
	}
	if (!vlevels)
		return;
	level = mptcpify_first_veto(vlevels, 0, 0);
	if (level < 0)
		return;
	if (!(level & VETO_IS_DENY)) {
		/* An exclude: a deny deeper down still wins. */
		int deny = mptcpify_first_veto(vlevels, (level & 0x1f) + 1, 1);

		if (deny >= 0)
			level = deny;
	}
	anc = bpf_get_current_ancestor_cgroup_id(level & 0x1f);
	v = bpf_map_lookup_elem(&cgroup_vetoes, &anc);
	if (!v)
		return;  /* the rule went away just now; the generation follows */
	m->ancestor = anc;
	m->verdict = verdict(v->flags & MPTCPIFY_RULE_DENY ? VERDICT_DENY_CGROUP :
			     VERDICT_EXCLUDE_CGROUP, 0);
}

/* The name's verdict, where name_filter says that a rule may have it:
 * excluded, selected, or left as it is (declined). */
static __noinline void choose_by_name(struct mptcpify_memo *m)
{
	__u64 name[2] = { m->w0, m->w1 };
	struct mptcpify_name_rule *r;

	if (config.n_exclude && (r = bpf_map_lookup_elem(&comm_exclude, name)))
		m->verdict = verdict(VERDICT_EXCLUDED, r->slot);
	else if (!config.all && config.n_comm && (r = bpf_map_lookup_elem(&comm_rules, name)))
		m->verdict = verdict(VERDICT_COMM, r->slot);
}

static __always_inline void emit_to(__u32 slot, const struct mptcpify_event *ev,
				    struct mptcpify_stats *st)
{
	void *ring = bpf_map_lookup_elem(&events, &slot);
	struct mptcpify_event *e;

	if (!ring)
		return;  /* no reader in this slot */
	e = bpf_ringbuf_reserve(ring, sizeof(*e), 0);
	if (!e) {
		count(st, MPTCPIFY_STAT_EVENTS_LOST);
		return;
	}
	__builtin_memcpy(e, ev, sizeof(*e));
	/* Waking the reader for each record (an irq_work and a wake-up) would
	 * cost twice the rest of a selected socket(). Readers poll every few
	 * hundred ms anyway (cmd_daemon.c, cmd_monitor.c); they are woken only
	 * when a quarter of the ring is waiting, so bursts are not dropped. */
	bpf_ringbuf_submit(e, bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) >= MPTCPIFY_EVENTS_BYTES / 4 ?
			   BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

/* One record per reader. event_mask holds the slots that may have a ring:
 * readers set their bit before putting their ring in and clear it after
 * taking it out, so one load tells that nobody reads (no daemon, no
 * monitor), and then no event is even made. */
static __noinline void emit(unsigned long long *ctx, struct task_struct *task,
			    const struct mptcpify_memo *m, struct mptcpify_stats *st)
{
	__u32 kind = m->verdict >> VERDICT_KIND_SHIFT;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 mask = *(volatile __u32 *)&event_mask;
	struct mptcpify_event ev = {
		.cgroup_id = bpf_get_current_cgroup_id(),
		.pid = (__u32)pid_tgid,
		.tgid = pid_tgid >> 32,
		.family = (int)ctx[0],
		.type = (int)ctx[1],
	};

	if (kind == VERDICT_COMM) {
		ev.reason = MPTCPIFY_REASON_COMM;
	} else if (kind == VERDICT_ALL) {
		ev.reason = MPTCPIFY_REASON_ALL;
	} else {
		ev.reason = MPTCPIFY_REASON_CGROUP;
		ev.rule_cgroup_id = m->ancestor;
	}
	((__u64 *)ev.comm)[0] = m->w0;
	((__u64 *)ev.comm)[1] = m->w1;
	/* One call per slot, each with a constant key: MPTCPIFY_MAX_READERS. */
	if (mask & 0x01) emit_to(0, &ev, st);
	if (mask & 0x02) emit_to(1, &ev, st);
	if (mask & 0x04) emit_to(2, &ev, st);
	if (mask & 0x08) emit_to(3, &ev, st);
	if (mask & 0x10) emit_to(4, &ev, st);
	if (mask & 0x20) emit_to(5, &ev, st);
	if (mask & 0x40) emit_to(6, &ev, st);
	if (mask & 0x80) emit_to(7, &ev, st);
}
_Static_assert(MPTCPIFY_MAX_READERS == 8, "emit() has one emit_to() per reader slot");

/* What a declined TCP socket() gets (see decline()). */
static __always_inline int decline_tcp(void)
{
	return *(volatile __u32 *)&config.hot & MPTCPIFY_HOT_CHAIN ? IPPROTO_TCP : 0;
}

static __always_inline void hit(void *map, __u32 index)
{
	__u64 *h = bpf_map_lookup_elem(map, &index);

	/* Atomic: two copies on one CPU (a preempted primary, a backstop)
	 * may count the same rule. */
	if (h)
		__sync_fetch_and_add(h, 1);
}

/* A deny keeps the socket TCP and ends the chain whatever config says (no
 * fmod_ret program attached before ours converts it): counted by the copy
 * that denies. An exclude declines like an excluded name: counted by the
 * primary. */
static __always_inline int act_veto(__u32 copy, struct mptcpify_stats *st,
				    const struct mptcpify_memo *m, __u32 kind, __u32 index)
{
	struct mptcpify_cgroup_rule *v;

	if (kind == VERDICT_DENY_NAME) {
		hit(&name_hits, index);
		count(st, MPTCPIFY_STAT_DENIED);
		return IPPROTO_TCP;
	}
	v = bpf_map_lookup_elem(&cgroup_vetoes, &m->ancestor);
	if (kind == VERDICT_DENY_CGROUP) {
		if (v)
			__sync_fetch_and_add(&v->hits, 1);
		count(st, MPTCPIFY_STAT_DENIED);
		return IPPROTO_TCP;
	}
	if (copy == MPTCPIFY_COPY_PRIMARY) {
		if (v)
			__sync_fetch_and_add(&v->hits, 1);
		count(st, MPTCPIFY_STAT_EXCLUDED);
	}
	return decline_tcp();
}

/* compat = exclude: whether the caller (its name in its own cgroup) was
 * excluded after an option was refused on one of its converted sockets;
 * if not, its process is marked converted, so that a refusal on its MPTCP
 * sockets counts (bpf/compat.bpf.c). */
static __always_inline bool auto_excluded(struct task_struct *task, __u32 copy,
					  struct mptcpify_stats *st)
{
	struct mptcpify_auto_key k;
	struct mptcpify_auto_exclude *a;
	__u64 *mark;
	__u32 tgid;

	((__u64 *)k.comm)[0] = *(__u64 *)&task->comm[0];
	((__u64 *)k.comm)[1] = *(__u64 *)&task->comm[8] & mptcpify_name_last_word_mask();
	k.cgroup_id = task->cgroups->dfl_cgrp->kn->id;
	a = bpf_map_lookup_elem(&auto_exclude, &k);
	if (a) {
		if (copy == MPTCPIFY_COPY_PRIMARY) {
			__sync_fetch_and_add(&a->hits, 1);
			count(st, MPTCPIFY_STAT_AUTO_EXCLUDED);
		}
		return true;
	}
	/* The mark holds the cgroup too: a refusal counts only in the cgroup
	 * where the process was converted. */
	tgid = bpf_get_current_pid_tgid() >> 32;
	mark = bpf_map_lookup_elem(&converted_tasks, &tgid);
	if (!mark || *mark != k.cgroup_id)
		bpf_map_update_elem(&converted_tasks, &tgid, &k.cgroup_id, BPF_ANY);
	return false;
}

/* Does what verdict m says. A selected socket becomes MPTCP unless MPTCP
 * is off in the task's network namespace; it is counted by the copy that
 * rewrites, and only then: hits are sockets rewritten, once each even
 * where a backstop does it. What the primary sees is counted by it only. */
static __noinline int act(unsigned long long *ctx, struct task_struct *task, __u32 copy,
			  struct mptcpify_stats *st, const struct mptcpify_memo *m)
{
	__u32 kind = m->verdict >> VERDICT_KIND_SHIFT, index = m->verdict & VERDICT_INDEX;

	if (kind == VERDICT_EXCLUDED && copy == MPTCPIFY_COPY_PRIMARY) {
		hit(&name_hits, index);
		count(st, MPTCPIFY_STAT_EXCLUDED);
	}
	if (kind == VERDICT_DECLINED || kind == VERDICT_EXCLUDED)
		return decline_tcp();
	if (kind >= VERDICT_DENY_NAME)
		return act_veto(copy, st, m, kind, index);
	/* compat = exclude: not memoized (the refusal programs add to
	 * auto_exclude at any time, and every process must be marked). */
	if ((*(volatile __u32 *)&config.hot & MPTCPIFY_HOT_VETO) &&
	    (config.veto_flags & MPTCPIFY_VETO_F_COMPAT_EXCLUDE) &&
	    auto_excluded(task, copy, st))
		return decline_tcp();
	if (!mptcp_enabled_here(task)) {
		if (copy == MPTCPIFY_COPY_PRIMARY)
			count(st, MPTCPIFY_STAT_NETNS_OFF);
		return decline_tcp();
	}
	if (kind == VERDICT_COMM) {
		hit(&name_hits, index);
	} else if (kind == VERDICT_CGROUP) {
		hit(&rule_hits, index);
	} else if (kind == VERDICT_CGROUP_ID) {
		struct mptcpify_cgroup_rule *h = bpf_map_lookup_elem(&cgroup_rules, &m->ancestor);

		if (h)
			__sync_fetch_and_add(&h->hits, 1);
	} else {
		count(st, MPTCPIFY_STAT_ALL_HITS);
	}
	count(st, MPTCPIFY_STAT_REWRITTEN);
	if (copy != MPTCPIFY_COPY_PRIMARY)
		count(st, MPTCPIFY_STAT_BACKSTOP);
	if (*(volatile __u32 *)&event_mask)
		emit(ctx, task, m, st);
	return IPPROTO_MPTCP;
}

/* Decides for a TCP socket() from the rules, into m (the primary's memo, or
 * a backstop's own), then acts on it. */
static __noinline int decide(unsigned long long *ctx, struct task_struct *task, __u32 copy,
			     struct mptcpify_stats *st, struct mptcpify_memo *m)
{
	__u32 hot = *(volatile __u32 *)&config.hot;

	/* The tag is read before the rules, so that a change made meanwhile
	 * leaves the verdict stale rather than wrong. */
	m->tag = *(volatile __u64 *)&config.verdict_tag;
	m->w0 = *(__u64 *)&task->comm[0];
	m->w1 = *(__u64 *)&task->comm[8] & mptcpify_name_last_word_mask();
	m->cgroup = task->cgroups->dfl_cgrp->kn->id;
	m->verdict = verdict(VERDICT_DECLINED, 0);
	if (hot & MPTCPIFY_HOT_NAMES) {
		__u32 bit = mptcpify_name_hash(m->w0, m->w1);

		if ((name_filter[bit / 64] >> (bit % 64)) & 1)
			choose_by_name(m);
	}
	if (m->verdict == verdict(VERDICT_DECLINED, 0) && hot & MPTCPIFY_HOT_ALL)
		m->verdict = verdict(VERDICT_ALL, 0);
	if (m->verdict == verdict(VERDICT_DECLINED, 0) && hot & MPTCPIFY_HOT_CGROUP) {
		__u64 id = m->cgroup;

		/* Cached, not selected: one comparison (else the slow half). */
		if (*(volatile __u64 *)&cgroup_verdicts[cgv_slot(id)] != (m->tag | id) || (id >> 32))
			choose_by_cgroup(copy, m);
	}
	if (m->verdict == verdict(VERDICT_DECLINED, 0))
		return decline_tcp();
	/* Selected (an excluded name is not): deny and exclude rules. */
	if ((hot & MPTCPIFY_HOT_VETO) && m->verdict >> VERDICT_KIND_SHIFT != VERDICT_EXCLUDED &&
	    (config.n_deny || config.n_veto))
		choose_veto(m);
	if (m->verdict >> VERDICT_KIND_SHIFT == VERDICT_CGROUP_ID)
		m->tag = 0;  /* its hits need the rule itself: not memoized */
	return act(ctx, task, copy, st, m);
}

static const __u32 copy_key[MPTCPIFY_STAT_COPIES] = { 0, 1, 2, 3, 4 };
_Static_assert(MPTCPIFY_STAT_COPIES == 5, "a key for each copy's block of counters");

/* A stream socket that asks for IPPROTO_MPTCP itself: TCP under deny (by
 * name, or by a deny cgroup rule), which __sys_socket() accepts (a Go
 * program then finds MultipathTCP() false). Counted by the copy that
 * denies: it ends the chain. Not memoized: rare. */
static __noinline int deny_asked_mptcp(__u32 copy)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 w0 = *(__u64 *)&task->comm[0];
	__u64 w1 = *(__u64 *)&task->comm[8] & mptcpify_name_last_word_mask();
	__u32 vlevels = config.veto_levels;
	struct mptcpify_cgroup_rule *v;
	struct mptcpify_stats *st;
	int level;
	__u64 anc;

	if (copy >= MPTCPIFY_STAT_COPIES)
		return 0;
	st = bpf_map_lookup_elem(&stats, &copy_key[copy]);
	if (config.n_deny && name_in_filter(w0, w1)) {
		__u64 name[2] = { w0, w1 };
		struct mptcpify_name_rule *r = bpf_map_lookup_elem(&comm_deny, name);

		if (r) {
			hit(&name_hits, r->slot);
			count(st, MPTCPIFY_STAT_DENIED);
			return 1;
		}
	}
	if (!(config.veto_flags & MPTCPIFY_VETO_F_DENY_CGROUP) || !config.n_veto || !vlevels)
		return 0;
	level = mptcpify_first_veto(vlevels, 0, 1);
	if (level < 0)
		return 0;
	anc = bpf_get_current_ancestor_cgroup_id(level & 0x1f);
	v = bpf_map_lookup_elem(&cgroup_vetoes, &anc);
	if (!v)
		return 0;
	__sync_fetch_and_add(&v->hits, 1);
	count(st, MPTCPIFY_STAT_DENIED);
	return 1;
}

/* The socket hook's body. The kernel runs a tracing program only where that
 * same program is not running already on the CPU (its recursion guard), and
 * on a preemptible kernel a task preempted inside it holds that guard until
 * it runs again: meanwhile every socket() on that CPU skips the program. So
 * on such kernels the same body is attached several times, as separate
 * programs with guards of their own ("backstops", run after the primary):
 * a socket stays TCP only if every copy is held at once. A copy that decides
 * (rewrites, or declines with the chain ending at us) ends the chain; the
 * next copy only runs when this one was skipped, or returned 0. Only the
 * primary counts what it sees, so counters mean the same with or without
 * backstops.
 * The common case, a TCP socket() of a task that made the last one on this
 * CPU, or of another with the same name in the same cgroup, is the memo's;
 * everything else is in the subprograms above. */
_Static_assert((AF_INET6 & ~8) == AF_INET, "one test for both families");

static __always_inline int hook(unsigned long long *ctx, const __u32 copy)
{
	int family = ctx[0], kind = (int)ctx[1] & SOCK_TYPE_MASK, protocol = ctx[2];
	bool inet = (family & ~8) == AF_INET;   /* AF_INET or AF_INET6 */
	struct mptcpify_stats *st;
	struct mptcpify_memo *m;
	struct task_struct *task;

	/* Candidates: AF_INET/AF_INET6 stream sockets asking for TCP. */
	if (!inet || kind != SOCK_STREAM || (protocol != 0 && protocol != IPPROTO_TCP)) {
		if (protocol == IPPROTO_MPTCP && inet && kind == SOCK_STREAM &&
		    (*(volatile __u32 *)&config.hot & MPTCPIFY_HOT_DENY) && deny_asked_mptcp(copy))
			return IPPROTO_TCP;
		return decline(family, inet, kind, protocol);
	}
	st = bpf_map_lookup_elem(&stats, &copy_key[copy]);
	task = bpf_get_current_task_btf();
	if (copy != MPTCPIFY_COPY_PRIMARY || !st) {
		struct mptcpify_memo own;

		return decide(ctx, task, copy, st, &own);
	}
	st->n[MPTCPIFY_STAT_SEEN]++;
	m = &st->memo;
	if (m->w0 != *(__u64 *)&task->comm[0] ||
	    m->w1 != (*(__u64 *)&task->comm[8] & mptcpify_name_last_word_mask()) ||
	    m->cgroup != task->cgroups->dfl_cgrp->kn->id ||
	    m->tag != *(volatile __u64 *)&config.verdict_tag)
		return decide(ctx, task, copy, st, m);
	if (m->verdict == verdict(VERDICT_DECLINED, 0))
		return decline_tcp();
	return act(ctx, task, copy, st, m);
}

SEC("fmod_ret/update_socket_protocol")
int BPF_PROG(mptcpify_socket, int family, int type, int protocol)
{
	return hook(ctx, MPTCPIFY_COPY_PRIMARY);
}

/* MPTCPIFY_BACKSTOPS copies; program names stay within the kernel's 15
 * bytes so that tools can tell them apart. */
SEC("fmod_ret/update_socket_protocol")
int BPF_PROG(mptcpify_back1, int family, int type, int protocol)
{
	return hook(ctx, 1);
}

SEC("fmod_ret/update_socket_protocol")
int BPF_PROG(mptcpify_back2, int family, int type, int protocol)
{
	return hook(ctx, 2);
}

SEC("fmod_ret/update_socket_protocol")
int BPF_PROG(mptcpify_back3, int family, int type, int protocol)
{
	return hook(ctx, 3);
}
_Static_assert(MPTCPIFY_BACKSTOPS == 3, "one program per backstop copy");

/* Run once by user space (BPF_PROG_RUN) after loading: records MPTCP's
 * pernet id for mptcp_enabled_here(), and returns the kernel's current
 * preemption mode, plus one (0: cannot tell). Backstops are only attached
 * where a task can be preempted inside the hook.
 *
 * The two symbols are looked up here, in the kernel, rather than declared
 * as __ksym externs: libbpf resolves those by reading all of /proc/kallsyms
 * at every load, which took over a second of the 2.6 s a first `attach`
 * took under emulation. Like /proc/kallsyms, the lookup answers only where
 * kernel addresses are not hidden (kernel.kptr_restrict < 2, CAP_SYSLOG). */
static const char mptcp_pernet_id_name[] = "mptcp_pernet_id";
static const char preempt_mode_name[] = "preempt_dynamic_mode";

SEC("syscall")
int mptcpify_preempt_mode(void *ctx)
{
	unsigned int id = 0;
	__u64 addr = 0;
	int mode = -1;

	if (!bpf_kallsyms_lookup_name(mptcp_pernet_id_name, sizeof(mptcp_pernet_id_name), 0, &addr) &&
	    addr && !bpf_probe_read_kernel(&id, sizeof(id), (void *)addr))
		mptcp_id_plus1 = id + 1;
	addr = 0;
	if (bpf_kallsyms_lookup_name(preempt_mode_name, sizeof(preempt_mode_name), 0, &addr) ||
	    !addr || bpf_probe_read_kernel(&mode, sizeof(mode), (void *)addr))
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

/* Adds id to map (cgroup_rules, cgroup_vetoes) for rule `number`. The
 * caller then looks the rule up again and takes the id back when it is
 * gone: a detach that removed the rule and swept its ids just before this
 * update would otherwise leave it selected. */
static __always_inline void select_new(void *map, __u64 id, __u32 number, __u32 flags)
{
	struct mptcpify_cgroup_rule v = { .flags = flags, .number = number };
	long err = bpf_map_update_elem(map, &id, &v, BPF_NOEXIST);

	if (err == -E2BIG_) {
		count(stats_of(MPTCPIFY_COPY_TRACKERS), MPTCPIFY_STAT_CGROUP_FULL);
		return;
	}
	if (!err)
		count(stats_of(MPTCPIFY_COPY_TRACKERS), MPTCPIFY_STAT_CGROUP_ADDED);
}

/* Deny and exclude paths (exact, no patterns): the key is the path with
 * the kind in its last byte, always NUL in a path that fits. Deny first: a
 * cgroup both rules match holds the deny. */
static __always_inline void match_veto(struct path_scratch *sc, __u64 id)
{
	char *kind = &sc->path[MPTCPIFY_CGROUP_PATH_LEN - 1];
	struct mptcpify_path_rule *r;
	__u32 number;

	*kind = MPTCPIFY_VETO_DENY;
	r = bpf_map_lookup_elem(&veto_paths, sc->path);
	if (!r) {
		*kind = MPTCPIFY_VETO_EXCLUDE;
		r = bpf_map_lookup_elem(&veto_paths, sc->path);
	}
	if (r) {
		number = r->number;
		select_new(&cgroup_vetoes, id, number, r->flags);
		r = bpf_map_lookup_elem(&veto_paths, sc->path);
		if (!r || r->number != number)
			bpf_map_delete_elem(&cgroup_vetoes, &id);
	}
	*kind = 0;
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
	struct mptcpify_path_rule *exact;
	struct mptcpify_glob_dir *dir;
	struct path_scratch *sc;
	__u32 len, last = 0;
	__u64 id;
	long n;

	if (!(config.n_cgroup || config.n_veto) || BPF_CORE_READ(cgrp, root, hierarchy_id) != 0)
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
		count(stats_of(MPTCPIFY_COPY_TRACKERS), MPTCPIFY_STAT_PATH_TOO_LONG);
		return 0;
	}
	len = n - 1;
	id = BPF_CORE_READ(cgrp, kn, id);
	if (config.n_veto)
		match_veto(sc, id);
	if (!config.n_cgroup)
		return 0;

	exact = bpf_map_lookup_elem(&cgroup_paths, sc->path);
	if (exact) {
		select_new(&cgroup_rules, id, exact->number, exact->flags);
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
		select_new(&cgroup_rules, id, number, dir->g[g].flags);
		dir = bpf_map_lookup_elem(&cgroup_globs, sc->dir);
		if (!dir || dir->g[g].number != number)
			bpf_map_delete_elem(&cgroup_rules, &id);
		return 0;
	}
	return 0;
}

/* Removes id from map, its hits added to its rule's retired hits. */
static __always_inline void retire(void *map, __u64 id)
{
	struct mptcpify_cgroup_rule *v = bpf_map_lookup_elem(map, &id);
	__u64 *retired;
	__u32 number;

	if (!v)
		return;
	/* The rule's hits outlive the cgroup: `list` adds them to the live ones. */
	number = v->number;
	retired = bpf_map_lookup_elem(&retired_hits, &number);
	if (number && retired)
		__sync_fetch_and_add(retired, v->hits);
	bpf_map_delete_elem(map, &id);
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(mptcpify_cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
	__u64 id;

	if (BPF_CORE_READ(cgrp, root, hierarchy_id) != 0)
		return 0;
	id = BPF_CORE_READ(cgrp, kn, id);
	retire(&cgroup_rules, id);
	retire(&cgroup_vetoes, id);
	return 0;
}
