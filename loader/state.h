/* SPDX-License-Identifier: GPL-2.0-only */
/* The pinned state under the pin root (/sys/fs/bpf/mptcpify): the link that
 * keeps the hook attached and the maps the CLI and the daemon share. Nobody
 * talks to anybody: every writer opens the pins and changes maps under an
 * exclusive flock() on the pin directory. */
#ifndef MPTCPIFY_STATE_H
#define MPTCPIFY_STATE_H

#include <stdbool.h>
#include <linux/types.h>

#define DEFAULT_PIN_ROOT "/sys/fs/bpf/mptcpify"

#include "name_slots.h"
#include "pinned_maps.h"

extern const char *const state_map_names[MAP__COUNT];

struct state {
	int dir_fd;               /* the pin directory, flock()ed */
	int link_fd;
	int map_fd[MAP__COUNT];
	bool created;             /* this call loaded and pinned the program */
	struct name_slots slots;  /* of name_hits, for writers (name_slots.h) */
};

#define STATE_INIT { .dir_fd = -1, .link_fd = -1, .map_fd = { [0 ... MAP__COUNT - 1] = -1 } }

enum state_flags {
	STATE_CREATE = 1 << 0,    /* load, attach and pin when nothing is pinned */
	STATE_WRITE = 1 << 1,     /* exclusive lock, maps opened read-write */
};

/* --pin-root, else $MPTCPIFY_PIN_ROOT, else DEFAULT_PIN_ROOT. */
const char *pin_root(void);
void set_pin_root(const char *path);

/* Opens (and with STATE_CREATE, creates) the pinned state. Prints one line
 * naming the cause and the fix on failure and returns an exit status. */
int state_open(struct state *s, int flags);
void state_close(struct state *s);

/* The pin directory, opened and locked exclusively as writers do; -1 when
 * that fails. Close it to unlock. */
int state_lock_dir(void);

/* Whether the hook ends the chain of fmod_ret programs for the sockets it
 * declines (config.chain_ends), and the other programs attached to
 * update_socket_protocol: up to max into other, their number returned
 * (or -errno). See hook_chain.h. */
struct hook_link;
int state_hook_chain(struct state *s, bool *ends, struct hook_link *other, size_t max);

/* How many backstop copies of the socket hook are pinned (0 where the
 * kernel cannot preempt a task inside it). */
int state_backstop_links(void);

/* True when the link is pinned, without opening anything. */
bool state_is_pinned(void);

/* Detaches and removes every pin; 0 also when nothing was pinned. */
int state_unload(void);

/* Checks done before loading, shared with `status`: 0 or an exit status
 * (with the message in why, which is static or in buf). */
int probe_btf_and_hook(char *why, size_t len);

/* The link's info and its program's: pi may ask for map ids beforehand
 * (nr_map_ids, map_ids). 0 or -errno. */
struct bpf_link_info;
struct bpf_prog_info;
int link_prog_info(int link_fd, struct bpf_link_info *li, struct bpf_prog_info *pi);

/* libbpf print callback: silent unless --verbose. */
#include <stdarg.h>
#include <bpf/libbpf.h>
int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap);

#endif
