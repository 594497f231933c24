// SPDX-License-Identifier: GPL-2.0-only
/* Slots of map name_hits (ABI 7): every comm rule and exclude counts its hits
 * in a slot of its own, named in its value. Which slots are taken is read
 * from the two name maps the first time a writer needs a slot, and kept
 * while the writer holds the pin directory's lock. */
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "map_util.h"
#include "mptcpify.h"
#include "name_slots.h"
#include "util.h"

#define SLOT_BYTES ((MPTCPIFY_NAME_SLOTS + 7) / 8)

static void mark(__u8 *bits, __u32 slot, bool used)
{
	if (slot >= MPTCPIFY_NAME_SLOTS)
		return;
	if (used)
		bits[slot / 8] |= 1u << (slot % 8);
	else
		bits[slot / 8] &= ~(1u << (slot % 8));
}

static int scan(int fd, __u8 *bits)
{
	char key[MPTCPIFY_COMM_LEN], next[MPTCPIFY_COMM_LEN];
	void *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		struct mptcpify_name_rule v;

		memcpy(key, next, sizeof(key));
		prev = key;
		if (bpf_map_lookup_elem(fd, key, &v) == 0)
			mark(bits, v.slot, true);
	}
	return errno == ENOENT ? 0 : -errno;
}

static int loaded(struct name_slots *ns, int comm_fd, int exclude_fd, int deny_fd)
{
	int r;

	if (ns->used)
		return 0;
	ns->used = calloc(1, SLOT_BYTES);
	if (!ns->used)
		return -ENOMEM;
	r = scan(comm_fd, ns->used);
	if (!r)
		r = scan(exclude_fd, ns->used);
	if (!r && deny_fd >= 0)
		r = scan(deny_fd, ns->used);
	if (r)
		name_slots_forget(ns);
	return r;
}

int name_slot_take(struct name_slots *ns, int comm_fd, int exclude_fd, int deny_fd, int hits_fd,
		   __u32 *slot)
{
	_cleanup_free_ __u64 *zero = calloc(map_ncpus(), sizeof(__u64));
	int r = loaded(ns, comm_fd, exclude_fd, deny_fd);

	if (r)
		return r;
	if (!zero)
		return -ENOMEM;
	for (__u32 i = 0; i < MPTCPIFY_NAME_SLOTS; i++) {
		if (ns->used[i / 8] & (1u << (i % 8)))
			continue;
		/* Whatever a removed rule counted there goes first. */
		if (bpf_map_update_elem(hits_fd, &i, zero, 0) < 0)
			return -errno;
		mark(ns->used, i, true);
		*slot = i;
		return 0;
	}
	return -E2BIG;
}

void name_slot_give_back(struct name_slots *ns, __u32 slot)
{
	if (ns->used)
		mark(ns->used, slot, false);
}

void name_slots_forget(struct name_slots *ns)
{
	free(ns->used);
	ns->used = NULL;
}

int name_slot_hits(int hits_fd, __u32 slot, __u64 *hits)
{
	_cleanup_free_ __u64 *v = calloc(map_ncpus(), sizeof(__u64));

	*hits = 0;
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(hits_fd, &slot, v) < 0)
		return -errno;
	for (int c = 0; c < map_ncpus(); c++)
		*hits += v[c];
	return 0;
}
