// SPDX-License-Identifier: GPL-2.0-only
/* The socket hook and cgroup trackers as of MPTCPIFY_ABI 4 (commit 3ddf258,
 * the last one with that ABI), unchanged: the upgrade test pins them with
 * tests/progs/abi-pin.c (built as abi4-pin) and checks that the current
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
 * known; __weak keeps the program loadable where it is not. MPTCP cannot be a
 * module, so the id is fixed at boot: mptcpify_preempt_mode() below reads it
 * once, at load, into mptcp_id_plus1 (0: unknown). */
extern const void mptcp_pernet_id __ksym __weak;
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
#define CGV_LEVEL_SHIFT 56       /* 5 bits: the selecting ancestor's depth */
#define CGV_GEN_SHIFT 32         /* 24 bits of the generation */
#define CGV_GEN_MASK 0xffffffULL

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << CGV_SLOTS_SHIFT);
	__type(key, __u32);
	__type(value, __u64);
} cgroup_verdicts SEC(".maps");

/* The rule that selected the caller, when one did. */
struct choice {
	__u64 *hits;
	__u64 rule_cgroup;    /* MPTCPIFY_REASON_CGROUP: the selected ancestor */
	__u16 reason;
};

/* Walks the caller's ancestors at the depths that hold rules (user space
 * keeps the set in cfg->levels): one helper call and one lookup each. Level
 * 0 is the root; a task deeper than the bound is only matched through its
 * first MPTCPIFY_MAX_CGROUP_DEPTH levels. The depth found, or -1. */
static __always_inline int walk_cgroups(const struct mptcpify_config *cfg, struct choice *c)
{
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
			c->hits = &h->hits;
			c->rule_cgroup = id;
			c->reason = MPTCPIFY_REASON_CGROUP;
			return level;
		}
	}
	return -1;
}

static __always_inline void choose_by_cgroup(const struct mptcpify_config *cfg,
					     struct task_struct *task, __u32 generation,
					     bool primary, struct choice *c)
{
	__u64 id = task->cgroups->dfl_cgrp->kn->id;
	__u32 slot = (id * 0x9e3779b97f4a7c15ULL) >> (64 - CGV_SLOTS_SHIFT);
	__u64 want = CGV_VALID | ((generation & CGV_GEN_MASK) << CGV_GEN_SHIFT) | id;
	__u64 *e = bpf_map_lookup_elem(&cgroup_verdicts, &slot);
	int level;

	if (id >> 32)  /* does not fit a slot: walk every time */
		e = NULL;
	if (e) {
		__u64 got = *(volatile __u64 *)e;

		if ((got & ~(CGV_SELECTED | (0x1fULL << CGV_LEVEL_SHIFT))) == want) {
			struct mptcpify_cgroup_rule *h;
			__u64 anc;

			if (!(got & CGV_SELECTED))
				return;
			anc = bpf_get_current_ancestor_cgroup_id((got >> CGV_LEVEL_SHIFT) & 0x1f);
			h = bpf_map_lookup_elem(&cgroup_rules, &anc);
			if (h) {
				c->hits = &h->hits;
				c->rule_cgroup = anc;
				c->reason = MPTCPIFY_REASON_CGROUP;
				return;
			}
			/* The rule went away; the generation follows: walk. */
		}
	}
	if (primary)
		count(MPTCPIFY_STAT_CGROUP_WALKS);
	level = walk_cgroups(cfg, c);
	if (e)
		*(volatile __u64 *)e = level < 0 ? want :
			want | CGV_SELECTED | ((__u64)(level & 0x1f) << CGV_LEVEL_SHIFT);
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
	    (type & SOCK_TYPE_MASK) != SOCK_STREAM ||
	    (protocol != 0 && protocol != IPPROTO_TCP))
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
 * where a task can be preempted inside the hook. */
extern const void preempt_dynamic_mode __ksym __weak;

SEC("syscall")
int mptcpify_preempt_mode(void *ctx)
{
	unsigned int id = 0;
	int mode = -1;

	if (&mptcp_pernet_id && !bpf_probe_read_kernel(&id, sizeof(id), &mptcp_pernet_id))
		mptcp_id_plus1 = id + 1;
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
