/* SPDX-License-Identifier: GPL-2.0-only */
/* A copy of include/mptcpify.h at MPTCPIFY_ABI 2 (commit 061a3e7), for the
 * upgrade test: tests/progs/abi2-pin pins state the way that version did. */
/* Types shared by the BPF program (bpf/mptcpify.bpf.c) and user space.
 * Changing a layout here changes the pinned maps: bump MPTCPIFY_ABI so that
 * a new CLI refuses to write into maps pinned by an older one. */
#ifndef MPTCPIFY_H
#define MPTCPIFY_H

#include <linux/types.h>

#define MPTCPIFY_ABI 2

/* The kernel keeps 15 bytes of a task's name plus the NUL (TASK_COMM_LEN). */
#define MPTCPIFY_COMM_LEN 16

/* How many cgroup levels below the root the hook looks at when it checks
 * whether a task's cgroup, or one of its ancestors, is selected. Each level
 * costs one hash lookup on every TCP socket() of the machine; systemd's
 * deepest usual layout (user@.service/app.slice/x.scope) is 5 or 6 levels,
 * containers add a few. `attach --cgroup` refuses deeper cgroups. */
#define MPTCPIFY_MAX_CGROUP_DEPTH 16

#define MPTCPIFY_MAX_COMM_RULES 16384
#define MPTCPIFY_MAX_CGROUP_RULES 4096
#define MPTCPIFY_MAX_EXCLUDES 1024
#define MPTCPIFY_EVENTS_BYTES (256 * 1024)

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

/* Map "config", one entry at key 0: settings the CLI changes at run time. */
struct mptcpify_config {
	__u32 abi;            /* MPTCPIFY_ABI of the program that created the maps */
	__u32 all;            /* system-wide mode: every process is selected */
	__u32 n_comm;         /* rule counts: the hook skips empty maps */
	__u32 n_cgroup;
	__u32 n_exclude;
	__u32 pad;
};

/* Map "comm_rules" / "comm_exclude": key is the comm, NUL padded to 16 bytes;
 * map "cgroup_rules": key is the cgroup id (__u64). Values are per-CPU: the
 * program only counts hits (summed by user space); user space writes the
 * same flags into every CPU's copy. */
struct mptcpify_rule {
	__u64 hits;
	__u32 flags;          /* MPTCPIFY_RULE_* */
	__u32 pad;
};

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
	MPTCPIFY_STAT_MAX,
};

/* Why a socket was selected (event.reason). */
enum mptcpify_reason {
	MPTCPIFY_REASON_ALL = 1,
	MPTCPIFY_REASON_COMM = 2,
	MPTCPIFY_REASON_CGROUP = 3,
};

/* Ring buffer "events": one record per rewritten socket. */
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
