/* SPDX-License-Identifier: GPL-2.0-only */
/* Readers of the hook's events (the daemon, `monitor`): each gets a ring
 * buffer of its own in a slot of the "events" map, so that none takes
 * another's events. */
#ifndef MPTCPIFY_EVENT_READERS_H
#define MPTCPIFY_EVENT_READERS_H

#include "state.h"

struct event_reader {
	int slot;
	int ring_fd;
};

/* Creates a ring buffer and puts it in a free slot (or in the slot of a
 * reader that died). Needs s opened with STATE_WRITE (the lock held).
 * 0 or an exit status, printed. */
int event_reader_open(struct state *s, struct event_reader *r);

/* Frees the slot; the ring buffer goes with its last fd. */
void event_reader_close(struct state *s, struct event_reader *r);

#endif
