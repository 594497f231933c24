/* SPDX-License-Identifier: GPL-2.0-only */
/* The slots of map name_hits that comm rules, excludes and deny names count
 * their hits
 * in (ABI 7; include/mptcpify.h, struct mptcpify_name_rule). Works on map
 * fds; which slots are taken is read from the name maps once and kept in a
 * struct name_slots while the caller holds the pin directory's lock (a
 * writer's state, state.h). */
#ifndef MPTCPIFY_NAME_SLOTS_H
#define MPTCPIFY_NAME_SLOTS_H

#include <linux/types.h>

struct name_slots {
	__u8 *used;           /* one bit per slot, or NULL: not read yet */
};

/* A slot no rule of comm_fd, exclude_fd or deny_fd (-1: none) holds, its
 * hits in hits_fd zeroed. 0, -E2BIG when none is left, or -errno. */
int name_slot_take(struct name_slots *ns, int comm_fd, int exclude_fd, int deny_fd, int hits_fd,
		   __u32 *slot);
/* The slot of a rule that was removed is free again. */
void name_slot_give_back(struct name_slots *ns, __u32 slot);
/* Drops what is known of the slots (after emptying the maps, on close). */
void name_slots_forget(struct name_slots *ns);

/* The hits counted in a slot, summed over the CPUs. 0 or -errno. */
int name_slot_hits(int hits_fd, __u32 slot, __u64 *hits);

#endif
