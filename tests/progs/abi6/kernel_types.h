/* SPDX-License-Identifier: GPL-2.0-only */
/* The few kernel fields the hook reads, declared locally for CO-RE instead of
 * a generated vmlinux.h: libbpf matches them by name against the running
 * kernel's BTF, so their offsets here do not matter. */
#ifndef MPTCPIFY_KERNEL_TYPES_H
#define MPTCPIFY_KERNEL_TYPES_H

#define __core __attribute__((preserve_access_index))

struct net_generic {
	void *ptr[0];   /* indexed by pernet ids; inside an anonymous union upstream */
} __core;

struct net {
	struct net_generic *gen;
} __core;

struct nsproxy {
	struct net *net_ns;
} __core;

struct kernfs_node;
struct cgroup;

struct css_set {
	struct cgroup *dfl_cgrp;   /* the task's cgroup on cgroup2 */
} __core;

struct task_struct {
	struct task_struct *group_leader;   /* the process, for a thread */
	struct nsproxy *nsproxy;
	struct css_set *cgroups;
	char comm[16];             /* TASK_COMM_LEN */
} __core;

/* net/mptcp/ctrl.c: the per-netns sysctls, net.mptcp.enabled among them. */
struct mptcp_pernet {
	__u8 mptcp_enabled;
} __core;

/* Any kernel struct whose first member is a pointer: what a slot of
 * net_generic's pointer array is read as. */
struct list_head {
	struct list_head *next;
} __core;

/* For the cgroup_mkdir/cgroup_rmdir tracepoints. */
struct kernfs_node {
	__u64 id;       /* what bpf_get_current_cgroup_id() returns */
} __core;

struct cgroup_root {
	int hierarchy_id;   /* 0: the cgroup2 (default) hierarchy */
} __core;

struct cgroup {
	struct kernfs_node *kn;
	struct cgroup_root *root;
} __core;

#endif
