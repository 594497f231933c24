// SPDX-License-Identifier: GPL-2.0-only
/* The socket hook and cgroup trackers as of MPTCPIFY_ABI 6 (commit 655730d,
 * the last one with that layout: deny's maps, before the hook ended the
 * chain), unchanged: the upgrade test pins them with tests/progs/abi-pin.c
 * (built as abi6-pin), together with the socket option programs of
 * compat-abi6.bpf.c, and checks that the current mptcpify replaces them
 * keeping every rule, deny rule and its hits. */
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

#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define SOCK_TYPE_MASK 0xf
#define IPPROTO_TCP 6
#define E2BIG_ 7
/* IPPROTO_MPTCP: include/mptcpify.h */

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
 * known. MPTCP cannot be a module, so the id is fixed at boot:
 * mptcpify_preempt_mode() below reads it once, at load, into mptcp_id_plus1
 * (0: unknown). */
__u32 mptcp_id_plus1;

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

/* ---- Deciding cheaply.
 *
 * Most socket() calls of a machine come from tasks no rule selects, so the
 * hook is built to say "no" in a few dozen instructions whatever the number
 * of rules and the depth of the caller's cgroup:
 * - names: the task's name is read as two words straight from the task; a
 *   bitmap with one bit per hash of every rule and exclude name (name_filter,
 *   kept by user space) tells in one array lookup that no name rule can
 *   match; only names whose bit is set are looked up in the hash maps;
 * - cgroups: the verdict for the caller's cgroup, made by walking its
 *   ancestors, is cached in cgroup_verdicts (a direct-mapped array indexed by
 *   a hash of the cgroup id), one word per cgroup holding the id, the rules'
 *   generation it was made under (config.generation, bumped by user space
 *   after every change of the rules) and the depth of the selecting
 *   ancestor. A word is written and read in one access, so tasks racing on
 *   a slot never see half of each other's entry; a collision only costs a
 *   walk. A cgroup id is never reused, and a task that moves to another
 *   cgroup looks up that cgroup's slot: nothing needs to be invalidated
 *   besides the generation. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MPTCPIFY_NAME_FILTER_WORDS);
	__type(key, __u32);
	__type(value, __u64);
} name_filter SEC(".maps");

#define CGV_SLOTS_SHIFT 12
#define CGV_VALID (1ULL << 63)
#define CGV_SELECTED (1ULL << 62)
#define CGV_VETO (1ULL << 61)    /* a deny or exclude rule covers the cgroup */
#define CGV_LEVEL_SHIFT 56       /* 5 bits: the depth of the veto, else of the selecting ancestor */
#define CGV_VERDICT (CGV_SELECTED | CGV_VETO | (0x1fULL << CGV_LEVEL_SHIFT))
#define CGV_GEN_SHIFT 32         /* 24 bits of the generation */
#define CGV_GEN_MASK 0xffffffULL

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << CGV_SLOTS_SHIFT);
	__type(key, __u32);
	__type(value, __u64);
} cgroup_verdicts SEC(".maps");

/* ---- Deny, exclude by cgroup, compat = exclude (include/mptcpify.h, "Deny,
 * exclude"). Looked at only for sockets a rule selects, and for stream
 * sockets asking for IPPROTO_MPTCP themselves, and only while config says
 * they hold something (n_deny, n_veto, veto_flags): the socket() of a task
 * no rule selects pays nothing for them.
 * - comm_deny: names never MPTCP; their bits are in name_filter, so a name
 *   without a rule still costs one bitmap test.
 * - veto_paths: deny and exclude cgroup paths; the mkdir() program below
 *   turns them into live ids in cgroup_vetoes, as it does for cgroup_paths.
 * - cgroup_vetoes: those ids; the cgroup verdict cache holds their verdict
 *   too (CGV_VETO, walk_cgroups()).
 * - auto_exclude, converted_tasks: compat = exclude (bpf/shared_maps.h);
 *   the refusal programs of bpf/compat.bpf.c insert into auto_exclude. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MPTCPIFY_MAX_DENY);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, char[MPTCPIFY_COMM_LEN]);
	__type(value, struct mptcpify_rule);
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

/* The rule that selected the caller, when one did. */
struct choice {
	__u64 *hits;
	__u64 rule_cgroup;    /* MPTCPIFY_REASON_CGROUP: the selected ancestor */
	__u16 reason;
};

/* The cgroup walks. Each is a global function, so the verifier checks it
 * once, and each returns at its first decisive hit: a single walk that
 * carried both answers (selected where, vetoed where) through all its
 * levels made the verifier follow every combination of the two and stop at
 * its limit of a million instructions (E2BIG) on 6.12 and 7.2.
 *
 * The shallowest level in LEVELS (bit N: depth N; 0 is the root) whose
 * ancestor of the caller a cgroup rule selects, or -1. A task deeper than
 * the bound is matched through its first MPTCPIFY_MAX_CGROUP_DEPTH levels. */
__noinline int mptcpify_first_selecting(__u32 levels)
{
	for (int level = 0; level <= MPTCPIFY_MAX_CGROUP_DEPTH; level++) {
		__u64 id;

		if (!(levels >> level))
			break;
		if (!(levels & (1u << level)))
			continue;
		id = bpf_get_current_ancestor_cgroup_id(level);
		if (!id)
			break;
		if (bpf_map_lookup_elem(&cgroup_rules, &id))
			return level;
	}
	return -1;
}

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

/* The verdict bits of a cgroup_verdicts word for the caller (user space
 * keeps the depths holding rules in cfg->levels, those of deny and exclude
 * rules in cfg->veto_levels): CGV_SELECTED when a cgroup rule selects,
 * CGV_VETO when a deny or exclude rule covers the caller; the level is that
 * of the veto if any (the shallowest deny, else the shallowest exclude: deny
 * wins), else that of the selecting ancestor. */
static __always_inline __u64 walk_cgroups(const struct mptcpify_config *cfg)
{
	__u32 levels = cfg->levels, vlevels = cfg->n_veto ? cfg->veto_levels : 0;
	int sel = levels ? mptcpify_first_selecting(levels) : -1;
	int veto = vlevels ? mptcpify_first_veto(vlevels, 0, 0) : -1;

	if (veto >= 0 && !(veto & VETO_IS_DENY)) {
		/* An exclude: a deny deeper down still wins. */
		int deny = mptcpify_first_veto(vlevels, (veto & 0x1f) + 1, 1);

		if (deny >= 0)
			veto = deny;
	}
	if (veto >= 0)
		return CGV_VETO | ((__u64)(veto & 0x1f) << CGV_LEVEL_SHIFT) |
			(sel >= 0 ? CGV_SELECTED : 0);
	if (sel >= 0)
		return CGV_SELECTED | ((__u64)(sel & 0x1f) << CGV_LEVEL_SHIFT);
	return 0;
}

/* The verdict word of the caller's cgroup under generation: the cached one
 * when valid, else made by a walk and cached. A global function: the
 * verifier checks it once, not once per caller (the hook has three), and
 * the walk's outcomes do not multiply the callers' paths. */
__noinline __u64 mptcpify_cgroup_word(__u32 generation, int primary)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 id = task->cgroups->dfl_cgrp->kn->id;
	__u32 slot = (id * 0x9e3779b97f4a7c15ULL) >> (64 - CGV_SLOTS_SHIFT);
	__u64 want = CGV_VALID | ((generation & CGV_GEN_MASK) << CGV_GEN_SHIFT) | id;
	__u64 *e = bpf_map_lookup_elem(&cgroup_verdicts, &slot);
	const __u32 zero = 0;
	const struct mptcpify_config *cfg;
	__u64 word;

	if (id >> 32)  /* does not fit a slot: walk every time */
		e = NULL;
	if (e) {
		word = *(volatile __u64 *)e;
		if ((word & ~CGV_VERDICT) == want)
			return word;
	}
	cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg)
		return want;
	if (primary)
		count(MPTCPIFY_STAT_CGROUP_WALKS);
	word = want | walk_cgroups(cfg);
	if (e)
		*(volatile __u64 *)e = word;
	return word;
}

static __always_inline void choose_by_cgroup(const struct mptcpify_config *cfg,
					     struct task_struct *task, __u32 generation,
					     bool primary, struct choice *c)
{
	__u64 word = mptcpify_cgroup_word(generation, primary);
	struct mptcpify_cgroup_rule *h;
	__u64 anc;

	if (!(word & CGV_SELECTED))
		return;
	if (word & CGV_VETO) {
		/* Selected, but a deny or exclude rule covers it: veto()
		 * decides (the level is the veto's). */
		c->reason = MPTCPIFY_REASON_CGROUP;
		return;
	}
	anc = bpf_get_current_ancestor_cgroup_id((word >> CGV_LEVEL_SHIFT) & 0x1f);
	h = bpf_map_lookup_elem(&cgroup_rules, &anc);
	if (h) {
		c->hits = &h->hits;
		c->rule_cgroup = anc;
		c->reason = MPTCPIFY_REASON_CGROUP;
	}
	/* Else the rule went away just now; the generation follows. */
}

static __always_inline bool name_may_have_rule(const __u64 *name)
{
	__u32 bit = mptcpify_name_hash(name[0], name[1]);
	__u32 word = bit / 64;
	__u64 *w = bpf_map_lookup_elem(&name_filter, &word);

	return w && (*w >> (bit % 64)) & 1;
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
	/* Waking the reader for each record (an irq_work and a wake-up) would
	 * cost twice the rest of a selected socket(). Readers poll every few
	 * hundred ms anyway (cmd_daemon.c, cmd_monitor.c); they are woken only
	 * when a quarter of the ring is waiting, so bursts are not dropped. */
	bpf_ringbuf_submit(e, bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) >= MPTCPIFY_EVENTS_BYTES / 4 ?
			   BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

/* Whether a slot may hold a reader's ring: readers write their owner entry
 * before the ring and remove the ring before clearing it, so a slot without
 * an owner has no ring. Plain array lookups, cheaper than looking up the
 * rings themselves (an array of maps). */
static __always_inline bool reader_in(__u32 slot)
{
	const struct mptcpify_reader *owner = bpf_map_lookup_elem(&event_readers, &slot);

	return owner && owner->pid;
}

static __always_inline void emit(struct task_struct *task, __u16 family, int type,
				 const struct choice *c)
{
	__u64 pid_tgid;
	struct mptcpify_event ev;

	/* Nobody reading (no daemon, no monitor): the event is not even made. */
	if (!(reader_in(0) || reader_in(1) || reader_in(2) || reader_in(3) ||
	      reader_in(4) || reader_in(5) || reader_in(6) || reader_in(7)))
		return;
	pid_tgid = bpf_get_current_pid_tgid();
	ev = (struct mptcpify_event){
		.cgroup_id = bpf_get_current_cgroup_id(),
		.rule_cgroup_id = c->rule_cgroup,
		.pid = (__u32)pid_tgid,
		.tgid = pid_tgid >> 32,
		.family = family,
		.reason = c->reason,
		.type = type,
	};

	((__u64 *)ev.comm)[0] = ((__u64 *)task->comm)[0];
	((__u64 *)ev.comm)[1] = ((__u64 *)task->comm)[1] & mptcpify_name_last_word_mask();
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

/* ---- Deny and exclude rules, compat = exclude: what keeps a socket TCP.
 * Two call sites in hook(): deny_asked_mptcp() for a stream socket asking
 * for IPPROTO_MPTCP itself, veto() for a socket a rule selects. */

enum veto_kind { VETO_NONE, VETO_EXCLUDE, VETO_DENY };

/* The deny or exclude rule that covers the caller (the caller's name in
 * comm_deny, or its cgroup under a deny or exclude cgroup rule; deny
 * first), with the rule's hit counter. */
static __always_inline enum veto_kind find_veto(const struct mptcpify_config *cfg,
						struct task_struct *task, __u32 generation,
						bool primary, __u64 **hits)
{
	if (cfg->n_deny) {
		__u64 name[2] = {
			((__u64 *)task->comm)[0],
			((__u64 *)task->comm)[1] & mptcpify_name_last_word_mask(),
		};
		struct mptcpify_rule *h;

		if (name_may_have_rule(name) && (h = bpf_map_lookup_elem(&comm_deny, name))) {
			*hits = &h->hits;
			return VETO_DENY;
		}
	}
	if (cfg->n_veto) {
		__u64 word = mptcpify_cgroup_word(generation, primary);
		struct mptcpify_cgroup_rule *v;
		__u64 anc;

		if (!(word & CGV_VETO))
			return VETO_NONE;
		anc = bpf_get_current_ancestor_cgroup_id((word >> CGV_LEVEL_SHIFT) & 0x1f);
		v = bpf_map_lookup_elem(&cgroup_vetoes, &anc);
		if (v) {
			*hits = &v->hits;
			return v->flags & MPTCPIFY_RULE_DENY ? VETO_DENY : VETO_EXCLUDE;
		}
		/* The rule went away just now; the generation follows. */
	}
	return VETO_NONE;
}

/* Counted by the copy that acts: a deny ends the chain (one copy returns
 * IPPROTO_TCP), an exclude does not (every copy returns 0: only the primary
 * counts, as for excluded names). */
static __always_inline void count_veto(enum veto_kind kind, __u64 *hits, bool primary)
{
	if (kind == VETO_DENY) {
		hit(hits);
		count(MPTCPIFY_STAT_DENIED);
	} else if (primary) {
		hit(hits);
		count(MPTCPIFY_STAT_EXCLUDED);
	}
}

/* A stream socket that asks for IPPROTO_MPTCP itself: TCP under deny, which
 * __sys_socket() accepts (a Go program then finds MultipathTCP() false);
 * else 0, no opinion. */
static __always_inline int deny_asked_mptcp(bool primary)
{
	const __u32 zero = 0;
	const struct mptcpify_config *cfg = bpf_map_lookup_elem(&config, &zero);
	__u64 *hits = NULL;
	__u32 generation;

	if (!cfg || !(cfg->n_deny || (cfg->veto_flags & MPTCPIFY_VETO_F_DENY_CGROUP)))
		return 0;
	generation = *(volatile const __u32 *)&cfg->generation;
	if (find_veto(cfg, bpf_get_current_task_btf(), generation, primary, &hits) != VETO_DENY ||
	    !hits)
		return 0;
	count_veto(VETO_DENY, hits, primary);
	return IPPROTO_TCP;
}

/* compat = exclude: whether the caller (its name in its own cgroup) was
 * excluded after an option was refused on one of its converted sockets;
 * if not, its process is marked converted, so that a refusal on its MPTCP
 * sockets counts (bpf/compat.bpf.c). */
static __always_inline bool auto_excluded(struct task_struct *task, bool primary)
{
	struct mptcpify_auto_key k;
	struct mptcpify_auto_exclude *a;
	__u64 *mark;
	__u32 tgid;

	((__u64 *)k.comm)[0] = ((__u64 *)task->comm)[0];
	((__u64 *)k.comm)[1] = ((__u64 *)task->comm)[1] & mptcpify_name_last_word_mask();
	k.cgroup_id = task->cgroups->dfl_cgrp->kn->id;
	a = bpf_map_lookup_elem(&auto_exclude, &k);
	if (a) {
		if (primary) {
			__sync_fetch_and_add(&a->hits, 1);
			count(MPTCPIFY_STAT_AUTO_EXCLUDED);
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

/* For a socket a rule selects: IPPROTO_TCP under deny (which also ends
 * the chain: no fmod_ret program attached before ours converts it), 0 when
 * excluded (by cgroup, or by compat = exclude), -1 when nothing keeps it
 * from MPTCP. */
static __always_inline int veto(const struct mptcpify_config *cfg, struct task_struct *task,
				__u32 generation, bool primary)
{
	__u64 *hits = NULL;
	enum veto_kind kind = find_veto(cfg, task, generation, primary, &hits);

	if (kind != VETO_NONE && hits) {
		count_veto(kind, hits, primary);
		return kind == VETO_DENY ? IPPROTO_TCP : 0;
	}
	if ((cfg->veto_flags & MPTCPIFY_VETO_F_COMPAT_EXCLUDE) && auto_excluded(task, primary))
		return 0;
	return -1;
}

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
	const struct mptcpify_config *cfg;
	struct task_struct *task;
	struct choice c = {};
	const __u32 zero = 0;
	__u32 generation;

	if ((family != AF_INET && family != AF_INET6) ||
	    (type & SOCK_TYPE_MASK) != SOCK_STREAM)
		return 0;
	if (protocol == IPPROTO_MPTCP)
		return deny_asked_mptcp(primary);
	if (protocol != 0 && protocol != IPPROTO_TCP)
		return 0;
	cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg)
		return 0;
	if (primary)
		count(MPTCPIFY_STAT_SEEN);
	/* Read before the rules, so that a change made meanwhile leaves a
	 * cached verdict stale rather than wrong. */
	generation = *(volatile const __u32 *)&cfg->generation;
	task = bpf_get_current_task_btf();

	if (cfg->n_comm || cfg->n_exclude) {
		/* The name as rule keys hold it: NUL padded, at most 15 bytes. */
		__u64 name[2] = {
			((__u64 *)task->comm)[0],
			((__u64 *)task->comm)[1] & mptcpify_name_last_word_mask(),
		};

		if (name_may_have_rule(name)) {
			struct mptcpify_rule *h;

			if (cfg->n_exclude && (h = bpf_map_lookup_elem(&comm_exclude, name))) {
				if (primary) {
					hit(&h->hits);
					count(MPTCPIFY_STAT_EXCLUDED);
				}
				return 0;
			}
			if (!cfg->all && cfg->n_comm && (h = bpf_map_lookup_elem(&comm_rules, name))) {
				c.hits = &h->hits;
				c.reason = MPTCPIFY_REASON_COMM;
			}
		}
	}
	if (cfg->all)
		c.reason = MPTCPIFY_REASON_ALL;
	if (!c.reason && cfg->n_cgroup)
		choose_by_cgroup(cfg, task, generation, primary, &c);
	if (!c.reason)
		return 0;
	if (cfg->n_deny || cfg->n_veto || (cfg->veto_flags & MPTCPIFY_VETO_F_COMPAT_EXCLUDE)) {
		int v = veto(cfg, task, generation, primary);

		if (v >= 0)
			return v;
	}
	if (!mptcp_enabled_here(task)) {
		if (primary)
			count(MPTCPIFY_STAT_NETNS_OFF);
		return 0;
	}
	/* Counted by the copy that rewrites, and only then: hits are sockets
	 * rewritten, once each even where a backstop does it. */
	if (c.hits)
		hit(c.hits);
	else if (c.reason == MPTCPIFY_REASON_ALL)
		count(MPTCPIFY_STAT_ALL_HITS);
	count(MPTCPIFY_STAT_REWRITTEN);
	if (!primary)
		count(MPTCPIFY_STAT_BACKSTOP);
	emit(task, family, type, &c);
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
		count(MPTCPIFY_STAT_CGROUP_FULL);
		return;
	}
	if (!err)
		count(MPTCPIFY_STAT_CGROUP_ADDED);
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
	const struct mptcpify_config *cfg = bpf_map_lookup_elem(&config, &zero);
	struct mptcpify_path_rule *exact;
	struct mptcpify_glob_dir *dir;
	struct path_scratch *sc;
	__u32 len, last = 0;
	__u64 id;
	long n;

	if (!cfg || !(cfg->n_cgroup || cfg->n_veto) || BPF_CORE_READ(cgrp, root, hierarchy_id) != 0)
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
	if (cfg->n_veto)
		match_veto(sc, id);
	if (!cfg->n_cgroup)
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
