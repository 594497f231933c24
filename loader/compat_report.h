/* SPDX-License-Identifier: GPL-2.0-only */
/* What the socket option maps hold, read for people: the entries of
 * sockopt_refused and sockopt_audit, the rule that selects each program
 * (worked out from the rule maps when asked), and a watcher that notices
 * (program, option) pairs refused for the first time, for `monitor` and
 * the daemon. Shared by list, status, compat, monitor and daemon. */
#ifndef MPTCPIFY_COMPAT_REPORT_H
#define MPTCPIFY_COMPAT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "mptcpify.h"
#include "state.h"

struct sockopt_entry {
	struct mptcpify_sockopt_key k;
	struct mptcpify_sockopt_count v;
};

/* Every entry of map (MAP_SO_REFUSED or MAP_SO_AUDIT), sorted by comm,
 * cgroup, op, level, option. *ret is malloc()ed. 0 or -errno. */
int sockopt_entries_read(struct state *s, enum state_map map, struct sockopt_entry **ret,
			 size_t *n);

/* The rule that selects (comm, cgroup id) now, as the hook decides:
 * "comm rule NAME", "system-wide rule", "cgroup rule PATH", or "asked for
 * MPTCP itself" (also for excluded names); or what keeps it on TCP now:
 * "denied: comm NAME", "denied: cgroup PATH", "excluded: cgroup PATH", "on
 * TCP since: compat = exclude". *selected: a rule converts it. */
const char *sockopt_rule_of(struct state *s, const char *comm, uint64_t cgroup_id, char *buf,
			    size_t len, bool *selected);

/* The cgroup's path, or "(cgroup N, gone)"; cached. */
const char *sockopt_cgroup_path(uint64_t id, char *buf, size_t len);

/* One refused entry as a JSON object (list, status, compat). */
void sockopt_refused_json(struct json *j, struct state *s, const struct sockopt_entry *e);

/* Prints the refused entries as a table (list, status); nothing when
 * there are none. Returns their number. */
size_t sockopt_refused_print(struct state *s, const char *indent);

/* Notices (program, option) pairs refused for the first time. */
struct refusal_watch {
	uint64_t generation;   /* compat_stats[MPTCPIFY_COMPAT_NEW_REFUSAL] last seen */
	struct { char comm[MPTCPIFY_COMM_LEN]; int op, level, optname; } *seen;
	size_t n_seen;
};
/* Everything already in the map counts as seen. */
void refusal_watch_init(struct refusal_watch *w, struct state *s);
/* Calls fn for each pair new since the last poll; cheap when nothing was
 * added (one array lookup). */
typedef void (*refusal_fn)(const struct sockopt_entry *e, const char *rule, bool selected, void *ud);
void refusal_watch_poll(struct refusal_watch *w, struct state *s, refusal_fn fn, void *ud);
void refusal_watch_free(struct refusal_watch *w);

/* "gobgpd[812]: setsockopt(SOL_TCP, TCP_MD5SIG) refused on MPTCP (comm rule
 * gobgpd): exclude or deny it" */
const char *refusal_line(const struct sockopt_entry *e, const char *rule, bool selected, char *buf,
			 size_t len);

#endif
