/* SPDX-License-Identifier: GPL-2.0-only */
/* Audit rules: which programs the audit programs watch (maps audit_comms,
 * audit_cgroups, audit_config). A cgroup rule is a cgroup id, matched with
 * everything below it; paths and units are resolved when a rule is added
 * and when the configuration is applied (daemon start and reload). The
 * audit programs are attached while at least one rule exists. */
#ifndef MPTCPIFY_AUDIT_RULES_H
#define MPTCPIFY_AUDIT_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "state.h"

/* 0, -EEXIST (flags added), -E2BIG (map full), other -errno. */
int audit_comm_add(struct state *s, const char *comm, uint32_t flags);
int audit_cgroup_add(struct state *s, uint64_t id, uint32_t flags);
/* 0 or -ENOENT. */
int audit_comm_del(struct state *s, const char *comm);
int audit_cgroup_del(struct state *s, uint64_t id);
/* System-wide audit on or off; flags as for rules. 0, -EEXIST/-ENOENT
 * when nothing changed. */
int audit_set_all(struct state *s, bool on, uint32_t flags);

/* Recounts audit_config and attaches or detaches the audit programs to
 * match. 0 or -errno. */
int audit_sync(struct state *s);

typedef int (*audit_visit_fn)(char kind, const void *key, uint32_t flags, void *userdata);
/* Visits every rule: kind 'a' (all, key NULL), 'c' (comm), 'g' (cgroup id). */
int audit_foreach(struct state *s, audit_visit_fn fn, void *userdata);

/* Makes the live audit rules follow the configuration's (as persist_apply
 * does for the selection): saved rules it no longer has go, its rules are
 * added; cgroups and units that do not resolve now are skipped. 0 or an
 * exit status, printed. */
int audit_apply_conf(struct state *s, const struct mptcpify_conf *c);

#endif
