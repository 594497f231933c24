/* SPDX-License-Identifier: GPL-2.0-only */
/* Types shared by the BPF program (bpf/mptcpify.bpf.c) and user space.
 * Changing a layout here changes the pinned maps: bump MPTCPIFY_ABI so that
 * a new CLI refuses to write into maps pinned by an older one. */
#ifndef MPTCPIFY_H
#define MPTCPIFY_H

#include <linux/types.h>

/* ABI 7 (issue 21): config is read by the hook as a global (pad became
 * chain_ends; hot and verdict_tag are new), comm_rules/comm_exclude/
 * comm_deny values are {slot, flags} with the hits in name_hits,
 * name_filter is one 32 KiB value of another hash, stats hold one block per
 * program copy, event_mask and rule_hits are new. Each change is marked
 * "ABI 7" below; the maps of deny/exclude came with ABI 6 (shipped before
 * this layout), the socket option maps (compat.bpf.c) with ABI 5. */
#define MPTCPIFY_ABI 7

/* The kernel keeps 15 bytes of a task's name plus the NUL (TASK_COMM_LEN). */
#define MPTCPIFY_COMM_LEN 16

/* How many cgroup levels below the root the hook looks at when it checks
 * whether a task's cgroup, or one of its ancestors, is selected. Each level
 * costs one hash lookup on every TCP socket() of the machine; systemd's
 * deepest usual layout (user@.service/app.slice/x.scope) is 5 or 6 levels,
 * containers add a few. `attach --cgroup` refuses deeper cgroups. */
#define MPTCPIFY_MAX_CGROUP_DEPTH 16

/* Copies of the socket hook attached after the primary on kernels that can
 * preempt a task inside it (bpf/mptcpify.bpf.c, "backstops"). */
#define MPTCPIFY_BACKSTOPS 3

#define MPTCPIFY_MAX_COMM_RULES 16384
/* Live cgroup ids the hook looks up: those matched by path rules (added and
 * removed by the kernel as cgroups come and go) and those of `run`. */
#define MPTCPIFY_MAX_CGROUP_RULES 4096
#define MPTCPIFY_MAX_EXCLUDES 1024
#define MPTCPIFY_EVENTS_BYTES (256 * 1024)
/* Readers of events at once (the daemon and `monitor`s); map "events" holds
 * one ring buffer of MPTCPIFY_EVENTS_BYTES per reader, map "event_readers"
 * who owns each slot (struct mptcpify_reader), so that the slot of a reader
 * that died can be taken by the next. */
#define MPTCPIFY_MAX_READERS 8

struct mptcpify_reader {
	__u32 pid;            /* 0: free */
	__u32 pad;
	__u64 start_time;     /* the process's start, /proc/PID/stat field 22 */
};

/* Path rules, matched when a cgroup is created (never on the socket() path).
 * A path is relative to the cgroup2 mount and starts with '/': the form the
 * kernel's cgroup_mkdir tracepoint passes. The BPF side reads it into a
 * buffer of MPTCPIFY_CGROUP_PATH_LEN bytes; a path that fills the buffer
 * may have been cut, so the longest path a rule may have, or match, is two
 * bytes shorter. */
#define MPTCPIFY_CGROUP_PATH_LEN 256
#define MPTCPIFY_CGROUP_PATH_MAX (MPTCPIFY_CGROUP_PATH_LEN - 2)
#define MPTCPIFY_MAX_PATH_RULES 1024
/* Patterns: one '*' in the last component, so a prefix and a suffix of at
 * most MPTCPIFY_GLOB_PART_MAX bytes each; at most MPTCPIFY_GLOBS_PER_DIR
 * patterns share a parent directory, MPTCPIFY_MAX_GLOB_DIRS directories
 * hold patterns. Each bound keeps the work done at each mkdir() small. */
#define MPTCPIFY_GLOB_PART_LEN 64
#define MPTCPIFY_GLOB_PART_MAX (MPTCPIFY_GLOB_PART_LEN - 1)
#define MPTCPIFY_GLOBS_PER_DIR 8
#define MPTCPIFY_MAX_GLOB_DIRS 64
/* Deny and exclude cgroup rules: exact paths (no patterns), numbered in the
 * same space as path rules (see "Deny, exclude" below). */
#define MPTCPIFY_MAX_VETO_PATHS 256
/* Rule numbers name path rules and patterns (1..MPTCPIFY_MAX_RULE_NUMBER);
 * 0 marks a cgroup id selected by `run` or `--own-cgroup`. */
#define MPTCPIFY_MAX_RULE_NUMBER (MPTCPIFY_MAX_PATH_RULES + \
				  MPTCPIFY_MAX_GLOB_DIRS * MPTCPIFY_GLOBS_PER_DIR + \
				  MPTCPIFY_MAX_VETO_PATHS)

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

/* Map "config", one entry at key 0: settings the CLI changes at run time. */
struct mptcpify_config {
	__u32 abi;            /* MPTCPIFY_ABI of the program that created the maps */
	__u32 all;            /* system-wide mode: every process is selected */
	__u32 n_comm;         /* rule counts: the hook skips empty maps */
	__u32 n_cgroup;       /* live ids plus path rules and patterns */
	__u32 n_exclude;
	__u32 levels;         /* bit N: a cgroup rule selects a cgroup at depth N */
	/* ABI 4: bumped by user space after each change of the rules (a write
	 * of its own, after the one that changed the counts above): verdicts
	 * the hook cached per task under an older value are made again. */
	__u32 generation;
	/* Deny and exclude rules, compat = exclude (ABI 6; see "Deny, exclude"
	 * below): the hook looks at none of their maps while these are 0. */
	__u32 n_deny;         /* deny names (comm_deny) */
	__u32 n_veto;         /* deny/exclude cgroup paths plus their live ids */
	__u32 veto_levels;    /* bit N: a deny/exclude cgroup rule at depth N */
	__u32 veto_flags;     /* MPTCPIFY_VETO_F_* */
	/* ABI 7: 1 when the hook ends the chain of fmod_ret programs
	 * for the sockets it declines, by returning what the kernel itself
	 * would (bpf/mptcpify.bpf.c, kernel_choice()); 0 when it returns 0 for
	 * them, so that other programs on the hook still run. User space sets
	 * it after attaching, when no other tool's program is attached to
	 * update_socket_protocol (state.c). */
	__u32 chain_ends;
	/* ABI 7: what the hook reads on every socket(), derived from the
	 * fields above by user space (mptcpify_config_derive()), so that one
	 * load and one bit test replace a load and a test per field. */
	__u32 hot;            /* MPTCPIFY_HOT_* */
	__u32 pad;
	/* ABI 7: mptcpify_verdict_tag(generation), stored with one 8-byte write
	 * (never torn): the hook ORs a cgroup id into it to get the word of a
	 * cached "not selected" verdict. */
	__u64 verdict_tag;
};

/* config.veto_flags */
#define MPTCPIFY_VETO_F_DENY_CGROUP 0x1     /* a deny cgroup rule exists */
#define MPTCPIFY_VETO_F_COMPAT_EXCLUDE 0x2  /* compat = exclude */

#define MPTCPIFY_HOT_NAMES 0x1   /* n_comm or n_exclude */
#define MPTCPIFY_HOT_ALL 0x2     /* all */
#define MPTCPIFY_HOT_CGROUP 0x4  /* n_cgroup */
#define MPTCPIFY_HOT_CHAIN 0x8   /* chain_ends */
#define MPTCPIFY_HOT_VETO 0x10  /* n_deny, n_veto or compat = exclude: look for a veto */
#define MPTCPIFY_HOT_DENY 0x20  /* n_deny or a deny cgroup rule */

/* A cached cgroup verdict (bpf/mptcpify.bpf.c, cgroup_verdicts) is one
 * word: valid bit 63, selected bit 62, bit 61 free, the selecting
 * ancestor's depth in bits 56-60, 24 bits of the generation in bits 32-55,
 * the cgroup id in bits 0-31. */
#define MPTCPIFY_CGV_VALID (1ULL << 63)
#define MPTCPIFY_CGV_GEN_SHIFT 32
#define MPTCPIFY_CGV_GEN_MASK 0xffffffULL

static inline __u64 mptcpify_verdict_tag(__u32 generation)
{
	return MPTCPIFY_CGV_VALID | ((generation & MPTCPIFY_CGV_GEN_MASK) << MPTCPIFY_CGV_GEN_SHIFT);
}

/* Fills in the derived fields (hot, verdict_tag) from the others. */
static inline void mptcpify_config_derive(struct mptcpify_config *c)
{
	c->hot = (c->n_comm || c->n_exclude ? MPTCPIFY_HOT_NAMES : 0) |
		 (c->all ? MPTCPIFY_HOT_ALL : 0) |
		 (c->n_cgroup ? MPTCPIFY_HOT_CGROUP : 0) |
		 (c->chain_ends ? MPTCPIFY_HOT_CHAIN : 0) |
		 (c->n_deny || c->n_veto || (c->veto_flags & MPTCPIFY_VETO_F_COMPAT_EXCLUDE) ?
		  MPTCPIFY_HOT_VETO : 0) |
		 (c->n_deny || (c->veto_flags & MPTCPIFY_VETO_F_DENY_CGROUP) ? MPTCPIFY_HOT_DENY : 0);
	c->verdict_tag = mptcpify_verdict_tag(c->generation);
}

/* Map "name_filter": MPTCPIFY_NAME_FILTER_WORDS 64-bit words, bit
 * mptcpify_name_hash(name) set for the name of every comm rule and exclude.
 * ABI 7: one array entry holding all the words (the hook reads it as a
 * global); before, one entry per word.
 * A clear bit tells the hook that no name rule can match, without hashing
 * into the rule maps; user space rebuilds it after each change of those. */
#define MPTCPIFY_NAME_FILTER_SHIFT 18
#define MPTCPIFY_NAME_FILTER_WORDS ((1u << MPTCPIFY_NAME_FILTER_SHIFT) / 64)

/* A name as two native-endian words of its 16 NUL-padded bytes (the second
 * masked by mptcpify_name_last_word_mask(): the 16th byte is always NUL in a
 * key) -> its bit in name_filter. Shared by the BPF program and user space. */
static inline __u64 mptcpify_name_last_word_mask(void)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return 0x00ffffffffffffffULL;
#else
	return 0xffffffffffffff00ULL;
#endif
}

static inline __u32 mptcpify_name_hash(__u64 w0, __u64 w1)
{
	/* Two multiplies: the top bits of a product depend on every bit below. */
	__u64 h = ((w1 * 0xc2b2ae3d27d4eb4fULL) ^ w0) * 0x9e3779b97f4a7c15ULL;

	return (__u32)(h >> (64 - MPTCPIFY_NAME_FILTER_SHIFT));
}

/* Map "comm_rules" / "comm_exclude": key is the comm, NUL padded to 16 bytes.
 * ABI 7: the value is a struct mptcpify_name_rule, in a plain hash; the
 * rule's hits are counted in slot `slot` of map "name_hits", a per-CPU array
 * of MPTCPIFY_NAME_SLOTS __u64 (summed by user space). User space gives
 * every name rule and exclude a slot no other one holds, and zeroes it
 * before the rule goes in. Up to ABI 6 the value was a per-CPU
 * struct mptcpify_rule holding the hits itself (upgrade.c reads it). */
struct mptcpify_name_rule {
	__u32 slot;
	__u32 flags;          /* MPTCPIFY_RULE_* */
};
/* Deny names (comm_deny, same value) take slots too. */
#define MPTCPIFY_NAME_SLOTS (MPTCPIFY_MAX_COMM_RULES + MPTCPIFY_MAX_EXCLUDES + MPTCPIFY_MAX_DENY)

/* ABI 2 to 4: the per-CPU value of comm_rules and comm_exclude. */
struct mptcpify_rule {
	__u64 hits;
	__u32 flags;          /* MPTCPIFY_RULE_* */
	__u32 pad;
};

/* Map "cgroup_rules": key is the cgroup id (__u64). Not per-CPU, and
 * preallocated: the kernel adds ids itself inside mkdir(), where an
 * allocation must not fail. */
struct mptcpify_cgroup_rule {
	__u64 hits;           /* atomic */
	__u32 flags;          /* MPTCPIFY_RULE_* */
	__u32 number;         /* the path rule or pattern that matched; 0: by id */
};

/* Map "cgroup_paths": key is the path, NUL padded to MPTCPIFY_CGROUP_PATH_LEN;
 * the cgroup with exactly that path is selected. */
struct mptcpify_path_rule {
	__u32 number;
	__u32 flags;
};

/* Map "cgroup_globs": key is the parent directory's path (NUL padded, "/"
 * for the root); a new child whose name starts with prefix and ends with
 * suffix (not overlapping) is selected. */
struct mptcpify_glob {
	__u32 number;         /* 0: unused slot */
	__u32 flags;
	__u8 prefix_len;
	__u8 suffix_len;
	__u8 pad[6];
	char prefix[MPTCPIFY_GLOB_PART_LEN];
	char suffix[MPTCPIFY_GLOB_PART_LEN];
};

struct mptcpify_glob_dir {
	struct mptcpify_glob g[MPTCPIFY_GLOBS_PER_DIR];
};

/* Map "retired_hits": array indexed by rule number; the hits of cgroups
 * removed since, added by the rmdir() program. */

/* Map "rule_hits" (ABI 7): per-CPU array indexed by rule number, the hits
 * of path rules and patterns; user space zeroes a number's slot when a new
 * rule takes it. Only cgroups selected by id (number 0: run,
 * --own-cgroup) count in their cgroup_rules value; up to ABI 6 every
 * cgroup did (those hits are kept there on upgrade, and in retired_hits). */

/* The rule comes from the configuration file: a reload of the file may
 * remove it. Rules without it were added at run time (--runtime, run,
 * enable) and are left alone by reloads. */
#define MPTCPIFY_RULE_SAVED 0x1
/* A cgroup id rule (number 0) added by the OCI hook (`mptcpify oci-hook`)
 * for a container's cgroup: shown as a container by list. User space only;
 * the BPF side ignores flags it does not know. */
#define MPTCPIFY_RULE_CONTAINER 0x2
/* In veto_paths and cgroup_vetoes: a deny rule (else an exclude). A bit of
 * its own, although those maps never hold MPTCPIFY_RULE_CONTAINER. */
#define MPTCPIFY_RULE_DENY 0x4

/* Map "stats" (ABI 7): a per-CPU array indexed by the program copy that
 * counts (MPTCPIFY_COPY_*), each value a struct mptcpify_stats, one counter
 * per enum mptcpify_stat. The kernel never runs a tracing program twice at
 * once on a CPU (its recursion guard), so each copy counts with plain
 * additions into a block of its own; user space adds the blocks up. Up to
 * ABI 6: a per-CPU array indexed by the stat, one __u64 each, counted with
 * atomic additions. */
enum mptcpify_stat {
	MPTCPIFY_STAT_SEEN,          /* hook calls with an AF_INET/6 TCP stream socket */
	MPTCPIFY_STAT_REWRITTEN,     /* turned into IPPROTO_MPTCP */
	MPTCPIFY_STAT_NETNS_OFF,     /* selected, left TCP: net.mptcp.enabled=0 there */
	MPTCPIFY_STAT_EXCLUDED,      /* selected, left TCP: name or cgroup excluded */
	MPTCPIFY_STAT_ALL_HITS,      /* rewritten because of system-wide mode */
	MPTCPIFY_STAT_EVENTS_LOST,   /* event ring buffer full */
	MPTCPIFY_STAT_CGROUP_ADDED,  /* cgroups selected by a path rule at mkdir() */
	MPTCPIFY_STAT_CGROUP_FULL,   /* ... that could not be: cgroup_rules full */
	MPTCPIFY_STAT_PATH_TOO_LONG, /* new cgroups whose path was too long to match */
	MPTCPIFY_STAT_BACKSTOP,      /* rewritten by a backstop copy: the primary was skipped */
	MPTCPIFY_STAT_CGROUP_WALKS,  /* cgroup ancestors walked: no valid cached verdict */
	MPTCPIFY_STAT_DENIED,        /* kept TCP, or made TCP when asking for MPTCP, by deny */
	MPTCPIFY_STAT_AUTO_EXCLUDED, /* selected, left TCP: compat = exclude */
	MPTCPIFY_STAT_MAX,
};

#define MPTCPIFY_COPY_PRIMARY 0                         /* the socket hook */
/* 1 to MPTCPIFY_BACKSTOPS: its backstop copies */
#define MPTCPIFY_COPY_TRACKERS (MPTCPIFY_BACKSTOPS + 1)  /* cgroup_mkdir/rmdir */
#define MPTCPIFY_STAT_COPIES (MPTCPIFY_BACKSTOPS + 2)

/* The socket hook's last decision on a CPU, kept by the primary copy (bpf/
 * mptcpify.bpf.c, "The memo"): a task of that name, in that cgroup, under
 * rules of that verdict tag gets that verdict again without deciding. */
struct mptcpify_memo {
	__u64 w0, w1;         /* the name, as rule keys hold it */
	__u64 cgroup;         /* the task's cgroup id */
	__u64 tag;            /* config.verdict_tag it was made under */
	__u64 ancestor;       /* the selecting ancestor (a cgroup rule) */
	__u32 verdict;        /* bpf/mptcpify.bpf.c, VERDICT_* */
	__u32 pad;
};

struct mptcpify_stats {
	__u64 n[MPTCPIFY_STAT_MAX];
	/* The primary's block only; not a counter (user space ignores it). */
	struct mptcpify_memo memo;
};

/* Map "event_mask" (ABI 7): one __u32, bit N set while slot N of "events"
 * may hold a reader's ring, so that the hook checks one word instead of
 * every slot. Readers change it under the pin directory's lock
 * (event_readers.c). */

/* Why a socket was selected (event.reason). */
enum mptcpify_reason {
	MPTCPIFY_REASON_ALL = 1,
	MPTCPIFY_REASON_COMM = 2,
	MPTCPIFY_REASON_CGROUP = 3,
};

/* Ring buffers in "events": one record per rewritten socket. */
struct mptcpify_event {
	__u64 cgroup_id;      /* the task's own cgroup */
	__u64 rule_cgroup_id; /* the selected ancestor, for REASON_CGROUP */
	__u32 pid;            /* thread id */
	__u32 tgid;           /* process id */
	__u16 family;
	__u16 reason;
	__u32 type;           /* as passed to socket(), flags included */
	char comm[MPTCPIFY_COMM_LEN];
};


/* ---- Socket options MPTCP refuses (bpf/compat.bpf.c, ABI 5).
 *
 * Map "sockopt_refused": setsockopt/getsockopt calls that an MPTCP socket
 * refused with ENOPROTOOPT or EOPNOTSUPP (fexit on mptcp_setsockopt and
 * mptcp_getsockopt: only MPTCP sockets reach them). Map "sockopt_audit":
 * the options audited programs set and get on their TCP sockets (only
 * while an audit rule exists). Both hash maps use this key and value;
 * entries are never removed by the programs, only counted. */
#define MPTCPIFY_MAX_SOCKOPT_KEYS 4096
/* The thread name mptcpify's own probe (loader/sockopt_probe.c) takes while
 * it tries options on sockets of its own: the programs do not count it. */
#define MPTCPIFY_PROBE_COMM "mptcpify-probe"

enum mptcpify_sockopt_op {
	MPTCPIFY_SOCKOPT_SET = 0,
	MPTCPIFY_SOCKOPT_GET = 1,
};

struct mptcpify_sockopt_key {
	char comm[MPTCPIFY_COMM_LEN];
	__u64 cgroup_id;      /* the caller's own cgroup */
	__s32 level;
	__s32 optname;
	__u16 op;             /* enum mptcpify_sockopt_op */
	__u16 error;          /* refused: ENOPROTOOPT or EOPNOTSUPP; audit: 0 */
	__u32 pad;
};

struct mptcpify_sockopt_count {
	__u64 count;          /* atomic */
	__u64 tcp_failed;     /* audit: calls that failed on TCP too (any errno) */
	__u32 last_pid;       /* process id (tgid) of the last call */
	__u32 pad;
};

/* Map "audit_config", one entry at key 0. Audit rules: "audit_comms" (key:
 * the comm, NUL padded; value: MPTCPIFY_RULE_* flags) and "audit_cgroups"
 * (key: a cgroup id, matched with every cgroup below it; value: flags). */
struct mptcpify_audit_config {
	__u32 all;            /* every process */
	__u32 n_comm;
	__u32 n_cgroup;
	__u32 pad;
};
#define MPTCPIFY_MAX_AUDIT_RULES 1024

/* Map "compat_stats": array of __u64 indexed by these. */
enum mptcpify_compat_stat {
	MPTCPIFY_COMPAT_NEW_REFUSAL,   /* new keys in sockopt_refused (readers poll this) */
	MPTCPIFY_COMPAT_REFUSED_LOST,  /* refusals not recorded: sockopt_refused full */
	MPTCPIFY_COMPAT_AUDIT_LOST,    /* audited calls not recorded: sockopt_audit full */
	MPTCPIFY_COMPAT_AUTO_NEW,      /* programs excluded by compat = exclude (readers poll this) */
	MPTCPIFY_COMPAT_AUTO_FULL,     /* ... that could not be: auto_exclude full */
	MPTCPIFY_COMPAT_STAT_MAX,
};

/* ---- Deny, exclude by cgroup, compat = exclude (ABI 6).
 *
 * The hook looks at these only for sockets a rule selects (to leave them
 * TCP), and for stream sockets that ask for IPPROTO_MPTCP themselves (to
 * make them TCP under deny): a socket() no rule selects pays nothing.
 *
 * Map "comm_deny": names never MPTCP; key and value as comm_exclude, and
 *   their bits are in name_filter.
 * Map "veto_paths": deny and exclude cgroup paths, matched at mkdir() like
 *   cgroup_paths. Key: the path NUL padded to MPTCPIFY_CGROUP_PATH_LEN,
 *   its last byte the kind (MPTCPIFY_VETO_DENY or MPTCPIFY_VETO_EXCLUDE:
 *   a path may be both); value struct mptcpify_path_rule, flags with
 *   MPTCPIFY_RULE_DENY for deny. Numbers are taken from the path rules'
 *   space (retired_hits).
 * Map "cgroup_vetoes": their live cgroup ids, value struct
 *   mptcpify_cgroup_rule; a cgroup matched by both kinds holds the deny.
 *   Preallocated, like cgroup_rules.
 * Map "auto_exclude": (comm, cgroup id) of programs excluded by
 *   compat = exclude, added by the refusal programs (bpf/compat.bpf.c) when
 *   an MPTCP socket of a process the hook converted refused an option;
 *   cleared by user space when the configuration is applied. Bounded: when
 *   full, a program stays MPTCP (MPTCPIFY_COMPAT_AUTO_FULL). */
#define MPTCPIFY_MAX_DENY 1024
#define MPTCPIFY_MAX_VETO_CGROUPS 1024
#define MPTCPIFY_MAX_AUTO_EXCLUDES 1024
#define MPTCPIFY_VETO_DENY 'd'
#define MPTCPIFY_VETO_EXCLUDE 'x'

struct mptcpify_auto_key {
	char comm[MPTCPIFY_COMM_LEN];   /* NUL padded */
	__u64 cgroup_id;                /* the process's own cgroup */
};

struct mptcpify_auto_exclude {
	__u64 hits;           /* sockets left TCP since (atomic) */
	__u64 since_ns;       /* bpf_ktime_get_boot_ns() of the refusal */
	__s32 level;          /* the refused call */
	__s32 optname;
	__u16 op;             /* enum mptcpify_sockopt_op */
	__u16 error;
	__u32 pid;            /* process id (tgid) that met the refusal */
};

#endif
