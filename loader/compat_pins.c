// SPDX-License-Identifier: GPL-2.0-only
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "compat_pins.h"
#include "mptcpify.h"
#include "mptcpify.skel.h"
#include "util.h"

static const char *const detect_links[] = { "link_refset", "link_refget" };
static const char *const audit_progs[] = { "prog_audset", "prog_audget", "prog_audsol" };
static const char *const audit_links[] = { "link_audset", "link_audget", "link_audsol" };

static void path_of(char *buf, size_t len, const char *root, const char *name)
{
	snprintf(buf, len, "%s/%s", root, name);
}

static bool pinned(const char *root, const char *name)
{
	char p[PATH_MAX];

	path_of(p, sizeof(p), root, name);
	return access(p, F_OK) == 0;
}

void compat_pins_prepare(struct mptcpify_bpf *skel)
{
	/* MPTCP cannot be a module: its sysctls exist iff it is built in. */
	bool mptcp = access("/proc/sys/net/mptcp", F_OK) == 0;

	bpf_program__set_autoload(skel->progs.mptcpify_refset, mptcp);
	bpf_program__set_autoload(skel->progs.mptcpify_refget, mptcp);
}

bool compat_audit_wanted(int audit_config_fd)
{
	struct mptcpify_audit_config cfg = {};
	__u32 zero = 0;

	if (bpf_map_lookup_elem(audit_config_fd, &zero, &cfg) < 0)
		return false;
	return cfg.all || cfg.n_comm || cfg.n_cgroup;
}

int compat_audit_links_pinned(const char *root)
{
	int n = 0;

	for (size_t i = 0; i < ELEMENTSOF(audit_links); i++)
		n += pinned(root, audit_links[i]);
	return n;
}

bool compat_detection_pinned(const char *root)
{
	return pinned(root, detect_links[0]) && pinned(root, detect_links[1]);
}

/* Removes the pins in names[] under root, holding each link until all are
 * gone (a link whose last pin goes away is detached later, from a work
 * queue; closing its last fd detaches it at once). */
static int remove_held(const char *root, const char *const *names, size_t n)
{
	int held[8], r = 0;

	for (size_t i = 0; i < n; i++) {
		char p[PATH_MAX];

		path_of(p, sizeof(p), root, names[i]);
		held[i] = bpf_obj_get(p);
		if (unlink(p) < 0 && errno != ENOENT && !r)
			r = -errno;
	}
	for (size_t i = 0; i < n; i++)
		closep(&held[i]);
	return r;
}

static int unlink_names(const char *root, const char *const *names, size_t n)
{
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		char p[PATH_MAX];

		path_of(p, sizeof(p), root, names[i]);
		if (unlink(p) < 0 && errno != ENOENT && !r)
			r = -errno;
	}
	return r;
}

int compat_audit_links(const char *root, bool on)
{
	int r;

	if (!on)
		return remove_held(root, audit_links, ELEMENTSOF(audit_links));
	for (size_t i = 0; i < ELEMENTSOF(audit_links); i++) {
		char prog[PATH_MAX], link[PATH_MAX];
		_cleanup_close_ int pfd = -1, lfd = -1;

		if (pinned(root, audit_links[i]))
			continue;
		path_of(prog, sizeof(prog), root, audit_progs[i]);
		path_of(link, sizeof(link), root, audit_links[i]);
		pfd = bpf_obj_get(prog);
		if (pfd < 0)
			return -errno;
		lfd = bpf_link_create(pfd, 0, BPF_TRACE_FEXIT, NULL);
		if (lfd < 0)
			lfd = bpf_raw_tracepoint_open(NULL, pfd);
		if (lfd < 0 || bpf_obj_pin(lfd, link) < 0) {
			r = -errno;
			compat_audit_links(root, false);  /* all or none */
			return r;
		}
	}
	return 0;
}

int compat_pins_attach(struct mptcpify_bpf *skel, const char *root, bool audit)
{
	struct bpf_program *progs[] = { skel->progs.mptcpify_audset, skel->progs.mptcpify_audget,
					skel->progs.mptcpify_audsol };
	struct bpf_program *detect[] = { skel->progs.mptcpify_refset, skel->progs.mptcpify_refget };
	int r;

	/* Links of an older program (an upgrade, or a load after a crash)
	 * go; the new ones replace them. */
	r = compat_audit_links(root, false);
	if (!r)
		r = unlink_names(root, audit_progs, ELEMENTSOF(audit_progs));
	if (!r)
		r = unlink_names(root, detect_links, ELEMENTSOF(detect_links));
	if (r)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(progs); i++) {
		char p[PATH_MAX];

		path_of(p, sizeof(p), root, audit_progs[i]);
		r = bpf_program__pin(progs[i], p);
		if (r)
			return r;
	}
	for (size_t i = 0; i < ELEMENTSOF(detect); i++) {
		struct bpf_link *l;
		char p[PATH_MAX];

		if (!bpf_program__autoload(detect[i])) {
			debug("no MPTCP in this kernel: refused socket options are not watched");
			break;
		}
		l = bpf_program__attach(detect[i]);
		if (!l) {
			warn("cannot watch the socket options MPTCP refuses (%s: %s): converting "
			     "sockets works, 'list' and 'compat' will not show refusals",
			     bpf_program__name(detect[i]), strerror(errno));
			unlink_names(root, detect_links, ELEMENTSOF(detect_links));
			break;
		}
		path_of(p, sizeof(p), root, detect_links[i]);
		r = bpf_link__pin(l, p);
		bpf_link__destroy(l);  /* the pin keeps it attached */
		if (r)
			return r;
	}
	return audit ? compat_audit_links(root, true) : 0;
}

int compat_pins_remove(const char *root)
{
	int r = remove_held(root, audit_links, ELEMENTSOF(audit_links));
	int r2 = remove_held(root, detect_links, ELEMENTSOF(detect_links));
	int r3 = unlink_names(root, audit_progs, ELEMENTSOF(audit_progs));

	return r ? r : r2 ? r2 : r3;
}
