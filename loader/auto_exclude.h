/* SPDX-License-Identifier: GPL-2.0-only */
/* compat = exclude, read for people: the programs (a name in a cgroup) the
 * refusal programs put on TCP after an option was refused on one of their
 * converted sockets (map auto_exclude), for list, status and the daemon's
 * log. Nothing here decides: the kernel side inserts, veto_rules.c clears. */
#ifndef MPTCPIFY_AUTO_EXCLUDE_H
#define MPTCPIFY_AUTO_EXCLUDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "mptcpify.h"
#include "state.h"

struct auto_entry {
	struct mptcpify_auto_key k;
	struct mptcpify_auto_exclude v;
};

/* Every entry, sorted by name and cgroup. *ret is malloc()ed. 0 or -errno. */
int auto_entries_read(struct state *s, struct auto_entry **ret, size_t *n);

/* Whether compat = exclude is on (config.veto_flags). */
bool auto_exclude_on(struct state *s);

/* "optprobe[812] in /sys/fs/cgroup/x: setsockopt(SOL_TCP, TCP_MD5SIG)
 * ENOPROTOOPT; 3 sockets kept TCP since" */
const char *auto_entry_line(const struct auto_entry *e, char *buf, size_t len);
void auto_entry_json(struct json *j, const struct auto_entry *e);

/* Notices entries added, and refusals the full table could not take. */
struct auto_seen {
	struct mptcpify_auto_key k;
	uint64_t since_ns;
};
struct auto_watch {
	uint64_t added, full;   /* compat_stats counters last seen */
	struct auto_seen *seen;
	size_t n_seen;
};
/* What is in the table now counts as seen. */
void auto_watch_init(struct auto_watch *w, struct state *s);
/* Calls fn with each entry new since the last poll (e == NULL, full = the
 * number of refusals the table missed, when it was full); cheap when
 * nothing moved (one array lookup). */
typedef void (*auto_fn)(const struct auto_entry *e, uint64_t full, void *ud);
void auto_watch_poll(struct auto_watch *w, struct state *s, auto_fn fn, void *ud);
void auto_watch_free(struct auto_watch *w);

#endif
