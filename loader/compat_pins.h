/* SPDX-License-Identifier: GPL-2.0-only */
/* The pins of the socket option programs (bpf/compat.bpf.c) under the pin
 * root: the links of live detection (attached with the hook, for as long
 * as mptcpify is loaded), the audit programs themselves (loaded with the
 * hook, attached only while an audit rule exists) and their links. Works
 * on a skeleton and a pin root given by the caller (state.c, the audit
 * commands): nothing here opens the pinned state itself. */
#ifndef MPTCPIFY_COMPAT_PINS_H
#define MPTCPIFY_COMPAT_PINS_H

#include <stdbool.h>

struct mptcpify_bpf;

/* Before loading: no live detection where the kernel has no MPTCP (its
 * functions are missing there). */
void compat_pins_prepare(struct mptcpify_bpf *skel);

/* After loading and writing the maps, before the hook's link is pinned:
 * attaches live detection and pins its links, pins the audit programs, and
 * attaches those when `audit` says an audit rule exists. 0 or -errno.
 * Live detection that the kernel refuses to attach is left out with a
 * warning: converting sockets matters more. */
int compat_pins_attach(struct mptcpify_bpf *skel, const char *root, bool audit);

/* Attaches (on) or detaches (off) the audit programs pinned under root;
 * nothing to do is 0. 0 or -errno. */
int compat_audit_links(const char *root, bool on);
/* Whether the audit_config map (fd) holds any audit rule. */
bool compat_audit_wanted(int audit_config_fd);
/* How many audit links are pinned (0 or 3). */
int compat_audit_links_pinned(const char *root);
/* Whether live detection's links are pinned. */
bool compat_detection_pinned(const char *root);

/* Removes every pin of these under root; each link is held open while its
 * pin goes and closed last, so that it is detached when this returns.
 * 0 or -errno. */
int compat_pins_remove(const char *root);

#endif
