/* SPDX-License-Identifier: GPL-2.0-only */
/* Maps used by both BPF sources: defined in mptcpify.bpf.c, declared
 * extern in compat.bpf.c; the linker (bpftool gen object) makes them one.
 * The two declarations must match field for field: hence these types. */
#ifndef MPTCPIFY_SHARED_MAPS_H
#define MPTCPIFY_SHARED_MAPS_H

#include "mptcpify.h"

/* The same as mptcpify.bpf.c's "config". */
typedef struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mptcpify_config);
} config_map_t;

/* Programs excluded by compat = exclude: (comm, cgroup) -> why. Preallocated:
 * the refusal programs insert into it and must not meet ENOMEM there. */
typedef struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MPTCPIFY_MAX_AUTO_EXCLUDES);
	__type(key, struct mptcpify_auto_key);
	__type(value, struct mptcpify_auto_exclude);
} auto_exclude_map_t;

/* Processes (by tgid) one of whose sockets the hook converted, marked only
 * while compat = exclude: a refusal on an MPTCP socket of a process without
 * the mark was not caused by mptcpify. An LRU hash, so it never fills: the
 * oldest marks go first (a process whose mark went still converts; its
 * refusals are then only reported). Not pinned: it lives with the programs.
 * (Task storage was tried first: bpf_task_storage_get() returns NULL in the
 * fexit programs on mptcp_setsockopt, on 7.2, even with F_CREATE.) */
typedef struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MPTCPIFY_MAX_AUTO_EXCLUDES * 16);
	__type(key, __u32);
	__type(value, __u64);
} converted_tasks_map_t;

#endif
