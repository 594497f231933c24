// SPDX-License-Identifier: GPL-2.0-only
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "event_readers.h"
#include "mptcpify.h"
#include "util.h"

/* Field 22 of /proc/PID/stat: with the pid, it names one process for good. */
static unsigned long long start_time(unsigned pid)
{
	char path[64], buf[1024], *p;
	unsigned long long t = 0;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	if (read_file_str(path, buf, sizeof(buf)) < 0 || !(p = strrchr(buf, ')')))
		return 0;
	/* After ") ": state is field 3; start time is field 22. */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
		   "%*d %*d %llu", &t) != 1)
		return 0;
	return t;
}

static bool slot_in_use(struct state *s, __u32 slot)
{
	struct mptcpify_reader owner = {};
	__u32 id;

	if (bpf_map_lookup_elem(s->map_fd[MAP_EVENTS], &slot, &id) < 0)
		return false;
	if (bpf_map_lookup_elem(s->map_fd[MAP_READERS], &slot, &owner) < 0 || !owner.pid)
		return false;  /* a reader killed between its two writes */
	return start_time(owner.pid) == owner.start_time;
}

/* The slots of live readers, and ours: what the hook reads before making an
 * event (map event_mask). Slots of readers that died drop out here. */
static __u32 live_mask(struct state *s, int mine)
{
	__u32 mask = mine >= 0 ? 1u << mine : 0;

	for (__u32 i = 0; i < MPTCPIFY_MAX_READERS; i++)
		if ((int)i != mine && slot_in_use(s, i))
			mask |= 1u << i;
	return mask;
}

static int write_mask(struct state *s, __u32 mask)
{
	__u32 zero = 0;

	return bpf_map_update_elem(s->map_fd[MAP_EVENT_MASK], &zero, &mask, 0) < 0 ? -errno : 0;
}

int event_reader_open(struct state *s, struct event_reader *r)
{
	struct mptcpify_reader me = { .pid = getpid(), .start_time = start_time(getpid()) };

	r->slot = -1;
	r->ring_fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "mptcpify_reader", 0, 0,
				    MPTCPIFY_EVENTS_BYTES, NULL);
	if (r->ring_fd < 0)
		return fail(EXIT_INTERNAL, "cannot create a ring buffer for events: %s", strerror(errno));
	for (__u32 i = 0; i < MPTCPIFY_MAX_READERS; i++) {
		if (slot_in_use(s, i))
			continue;
		/* The mask bit and the owner first: a slot with a ring and no
		 * owner is free, a bit without a ring costs the hook a lookup. */
		if (write_mask(s, live_mask(s, i)) < 0 ||
		    bpf_map_update_elem(s->map_fd[MAP_READERS], &i, &me, 0) < 0 ||
		    bpf_map_update_elem(s->map_fd[MAP_EVENTS], &i, &r->ring_fd, 0) < 0)
			break;
		r->slot = i;
		return 0;
	}
	closep(&r->ring_fd);
	r->ring_fd = -1;
	return fail(EXIT_INTERNAL, "%d readers of events already (the daemon, mptcpify monitor): "
		    "stop one", MPTCPIFY_MAX_READERS);
}

void event_reader_close(struct state *s, struct event_reader *r)
{
	struct mptcpify_reader none = {};
	__u32 slot = r->slot;

	if (r->slot >= 0 && s->map_fd[MAP_EVENTS] >= 0) {
		/* Readers hold no lock while reading: take it again, the
		 * mask is changed by read, modify, write. */
		int lock = state_lock_dir();

		bpf_map_delete_elem(s->map_fd[MAP_EVENTS], &slot);
		bpf_map_update_elem(s->map_fd[MAP_READERS], &slot, &none, 0);
		if (lock >= 0)
			write_mask(s, live_mask(s, -1));
		closep(&lock);
	}
	closep(&r->ring_fd);
	r->ring_fd = r->slot = -1;
}
