/* SPDX-License-Identifier: GPL-2.0-only */
/* A copy of include/mptcpify.h at MPTCPIFY_ABI 3 (commit b3475d0), for the
 * upgrade test: tests/progs/abi3-pin pins state the way that version did. */
/* Types shared by the BPF program (bpf/mptcpify.bpf.c) and user space.
 * Changing a layout here changes the pinned maps: bump MPTCPIFY_ABI so that
 * a new CLI refuses to write into maps pinned by an older one. */
#ifndef MPTCPIFY_H
#define MPTCPIFY_H

#include <linux/types.h>

#define MPTCPIFY_ABI 3

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
/* Rule numbers name path rules and patterns (1..MPTCPIFY_MAX_RULE_NUMBER);
 * 0 marks a cgroup id selected by `run` or `--own-cgroup`. */
#define MPTCPIFY_MAX_RULE_NUMBER (MPTCPIFY_MAX_PATH_RULES + \
				  MPTCPIFY_MAX_GLOB_DIRS * MPTCPIFY_GLOBS_PER_DIR)

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
};

/* Map "comm_rules" / "comm_exclude": key is the comm, NUL padded to 16 bytes.
 * Values are per-CPU: the program only counts hits (summed by user space);
 * user space writes the same flags into every CPU's copy. */
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

/* The rule comes from the configuration file: a reload of the file may
 * remove it. Rules without it were added at run time (--runtime, run,
 * enable) and are left alone by reloads. */
#define MPTCPIFY_RULE_SAVED 0x1

/* Map "stats": per-CPU array indexed by these. */
enum mptcpify_stat {
	MPTCPIFY_STAT_SEEN,          /* hook calls with an AF_INET/6 TCP stream socket */
	MPTCPIFY_STAT_REWRITTEN,     /* turned into IPPROTO_MPTCP */
	MPTCPIFY_STAT_NETNS_OFF,     /* selected, left TCP: net.mptcp.enabled=0 there */
	MPTCPIFY_STAT_EXCLUDED,      /* selected, left TCP: comm excluded */
	MPTCPIFY_STAT_ALL_HITS,      /* rewritten because of system-wide mode */
	MPTCPIFY_STAT_EVENTS_LOST,   /* event ring buffer full */
	MPTCPIFY_STAT_CGROUP_ADDED,  /* cgroups selected by a path rule at mkdir() */
	MPTCPIFY_STAT_CGROUP_FULL,   /* ... that could not be: cgroup_rules full */
	MPTCPIFY_STAT_PATH_TOO_LONG, /* new cgroups whose path was too long to match */
	MPTCPIFY_STAT_BACKSTOP,      /* rewritten by a backstop copy: the primary was skipped */
	MPTCPIFY_STAT_MAX,
};

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

#endif
