// SPDX-License-Identifier: GPL-2.0-only
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "mptcpify.h"
#include "compat_pins.h"
#include "fault.h"
#include "hook_chain.h"
#include "map_util.h"
#include "mptcpify.skel.h"
#include "state.h"
#include "upgrade.h"
#include "util.h"

#define BPF_FS_MAGIC_NR 0xcafe4a11
#define SYSFS_MAGIC_NR 0x62656572
#define LINK_PIN "link"
#define LINK_NEW_PIN "link_new"

const char *const state_map_names[MAP__COUNT] = {
	[MAP_CONFIG] = "config",
	[MAP_COMM] = "comm_rules",
	[MAP_EXCLUDE] = "comm_exclude",
	[MAP_CGROUP] = "cgroup_rules",
	[MAP_STATS] = "stats",
	[MAP_EVENTS] = "events",
	[MAP_PATHS] = "cgroup_paths",
	[MAP_GLOBS] = "cgroup_globs",
	[MAP_RETIRED] = "retired_hits",
	[MAP_READERS] = "event_readers",
	[MAP_NAMES] = "name_filter",
	[MAP_SO_REFUSED] = "sockopt_refused",
	[MAP_SO_AUDIT] = "sockopt_audit",
	[MAP_AUDIT_CONFIG] = "audit_config",
	[MAP_AUDIT_COMMS] = "audit_comms",
	[MAP_AUDIT_CGROUPS] = "audit_cgroups",
	[MAP_COMPAT_STATS] = "compat_stats",
	[MAP_DENY] = "comm_deny",
	[MAP_VETO_PATHS] = "veto_paths",
	[MAP_VETOES] = "cgroup_vetoes",
	[MAP_AUTO_EXCLUDE] = "auto_exclude",
	[MAP_NAME_HITS] = "name_hits",
	[MAP_EVENT_MASK] = "event_mask",
	[MAP_RULE_HITS] = "rule_hits",
};

/* A map's name in the BPF object and in the kernel, where it is not its pin
 * name: the globals the hook reads directly are each a data section of
 * their own (ABI 7; bpf/mptcpify.bpf.c, "Maps"). */
static const char *obj_map_name(int i)
{
	switch (i) {
	case MAP_CONFIG: return ".data.config";
	case MAP_NAMES: return ".data.names";
	case MAP_EVENT_MASK: return ".data.readers";
	default: return state_map_names[i];
	}
}

/* The links pinned besides LINK_PIN: the cgroup tracking programs and the
 * socket hook's backstop copies (those only where the kernel can preempt a
 * task inside the hook). LINK_PIN (the primary socket hook) is pinned last,
 * so that its presence means the whole set is in place. */
static const char *const tracking_links[] = {
	"link_cgroup_mkdir", "link_cgroup_rmdir", "link_backstop1", "link_backstop2", "link_backstop3",
};
#define N_TRACKERS 2

static const char *pin_root_override;

void set_pin_root(const char *path)
{
	pin_root_override = path;
}

const char *pin_root(void)
{
	const char *e;

	if (pin_root_override)
		return pin_root_override;
	e = getenv("MPTCPIFY_PIN_ROOT");
	return e && *e ? e : DEFAULT_PIN_ROOT;
}

static void pin_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", pin_root(), name);
}

int state_lock_dir(void)
{
	int fd = open(pin_root(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

	if (fd >= 0 && flock(fd, LOCK_EX) < 0)
		closep(&fd), fd = -1;
	return fd;
}

int state_backstop_links(void)
{
	char p[PATH_MAX];
	int n = 0;

	for (size_t i = N_TRACKERS; i < ELEMENTSOF(tracking_links); i++) {
		pin_path(p, sizeof(p), tracking_links[i]);
		n += access(p, F_OK) == 0;
	}
	return n;
}

bool state_is_pinned(void)
{
	char p[PATH_MAX];

	pin_path(p, sizeof(p), LINK_PIN);
	/* Not allowed to look: say "pinned" and let opening explain why not. */
	return access(p, F_OK) == 0 || errno == EACCES || errno == EPERM;
}

static void parent_dir(const char *path, char *buf, size_t len)
{
	char *slash;

	snprintf(buf, len, "%s", path);
	slash = strrchr(buf, '/');
	if (slash == buf)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		snprintf(buf, len, ".");
}

/* The pin root must sit on bpffs. /sys/fs/bpf is mounted by systemd; on a
 * bare system (an initramfs, a container) we mount it like systemd would. */
static int ensure_bpffs(void)
{
	char parent[PATH_MAX];
	struct statfs sfs;

	parent_dir(pin_root(), parent, sizeof(parent));
	if (statfs(parent, &sfs) < 0)
		return fail(EXIT_INTERNAL, "cannot use %s: %s: mount a BPF filesystem there "
			    "(mount -t bpf bpf %s)", parent, strerror(errno), parent);
	if ((unsigned long)sfs.f_type == BPF_FS_MAGIC_NR)
		return 0;
	if ((unsigned long)sfs.f_type == SYSFS_MAGIC_NR && strcmp(parent, "/sys/fs/bpf") == 0) {
		if (mount("bpf", parent, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") == 0) {
			debug("mounted bpffs on %s", parent);
			return 0;
		}
		return fail(EXIT_NOPERM, "no BPF filesystem on %s and mounting one failed: %s: "
			    "mount it (mount -t bpf bpf %s)", parent, strerror(errno), parent);
	}
	return fail(EXIT_INTERNAL, "%s is not a BPF filesystem (filesystem magic 0x%lx): "
		    "unmount what is there, or mount bpffs (mount -t bpf bpf %s)",
		    parent, (unsigned long)sfs.f_type, parent);
}

/* The pin directory decides which programs use MPTCP: trust it only if root
 * owns it and nobody else may write or even look into it. */
static int check_pin_dir(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return fail(EXIT_INTERNAL, "cannot stat %s: %s", pin_root(), strerror(errno));
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return fail(EXIT_NOPERM, "%s is owned by uid %u, not root: refusing to trust it; "
			    "remove it (rm -r %s)", pin_root(), st.st_uid, pin_root());
	if (st.st_mode & 077)
		return fail(EXIT_NOPERM, "%s has mode %04o, open to other users: refusing to trust it; "
			    "remove it (rm -r %s)", pin_root(), st.st_mode & 07777, pin_root());
	return 0;
}

static int open_pin_dir(bool create, int *ret_fd)
{
	int fd;

	if (create) {
		int r = ensure_bpffs();

		if (r)
			return r;
		if (mkdir(pin_root(), 0700) < 0 && errno != EEXIST) {
			if (errno == EACCES || errno == EPERM)
				return fail(EXIT_NOPERM, "cannot create %s: %s: run as root",
					    pin_root(), strerror(errno));
			return fail(EXIT_INTERNAL, "cannot create %s: %s", pin_root(), strerror(errno));
		}
	}
	fd = open(pin_root(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return fail(EXIT_NOT_LOADED, "not loaded (nothing pinned under %s): "
				    "run 'mptcpify attach ...' or start mptcpify-bpf.service", pin_root());
		if (errno == EACCES || errno == EPERM)
			return fail(EXIT_NOPERM, "reading %s needs root (it is private to root): run "
				    "it with sudo", pin_root());
		if (errno == ELOOP || errno == ENOTDIR)
			return fail(EXIT_NOPERM, "%s is not a directory (a symlink?): refusing to "
				    "trust it; remove it", pin_root());
		return fail(EXIT_INTERNAL, "cannot open %s: %s", pin_root(), strerror(errno));
	}
	*ret_fd = fd;
	return check_pin_dir(fd);
}

int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!arg_verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int probe_btf_and_hook(char *why, size_t len)
{
	struct btf *btf;
	struct utsname u;
	int id;

	uname(&u);
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		snprintf(why, len, "kernel %s has no BTF (/sys/kernel/btf/vmlinux): mptcpify needs "
			 "a kernel built with CONFIG_DEBUG_INFO_BTF=y", u.release);
		return EXIT_NOBTF;
	}
	id = btf__find_by_name_kind(btf, "update_socket_protocol", BTF_KIND_FUNC);
	btf__free(btf);
	if (id < 0) {
		snprintf(why, len, "kernel %s lacks update_socket_protocol: mptcpify needs "
			 "Linux >= 6.6 (on Debian 12: add bookworm-backports to the apt sources, then "
			 "apt install -t bookworm-backports linux-image-amd64, or linux-image-cloud-amd64, "
			 "and reboot)", u.release);
		return EXIT_NOHOOK;
	}
	return 0;
}

static int explain_load_error(int err)
{
	char lockdown[128] = "";

	if (err == -EPERM || err == -EACCES) {
		if (!have_cap(21) && !(have_cap(38) && have_cap(39)))
			return need_bpf_privileges("loading the BPF program");
		if (read_file_str("/sys/kernel/security/lockdown", lockdown, sizeof(lockdown)) > 0 &&
		    !strstr(lockdown, "[none]"))
			return fail(EXIT_TRACING_DENIED, "the kernel refused the BPF tracing program "
				    "(EPERM; kernel lockdown is on: %.*s): boot with lockdown=none or "
				    "without Secure Boot lockdown", (int)strcspn(lockdown, "\n"), lockdown);
		return fail(EXIT_TRACING_DENIED, "the kernel refused the BPF tracing program (EPERM): "
			    "tracing programs are disabled here (lockdown, an LSM or a sandbox); "
			    "mptcpify cannot work on this kernel");
	}
	if (err == -ESRCH || err == -ENOENT)
		return fail(EXIT_NOHOOK, "the kernel has no update_socket_protocol to attach to: "
			    "mptcpify needs Linux >= 6.6");
	return fail(EXIT_INTERNAL, "failed to load the BPF program: %s (run with --verbose for "
		    "libbpf's log)", strerror(-err));
}

/* Before anything is attached: this ABI's mark, a hook that does not end
 * the chain (decide_chain() says when it may, once it is attached), and a
 * new generation: what a program loaded before cached under the pinned
 * maps (verdicts, the memo in stats) is not taken for this one's. */
static int config_init(int fd)
{
	struct mptcpify_config cfg = {};
	__u32 zero = 0;

	if (bpf_map_lookup_elem(fd, &zero, &cfg) < 0)
		return -errno;
	cfg.abi = MPTCPIFY_ABI;
	cfg.chain_ends = 0;
	mptcpify_config_derive(&cfg);
	if (bpf_map_update_elem(fd, &zero, &cfg, BPF_ANY) < 0)
		return -errno;
	return config_publish(fd, cfg.generation + 1);
}

/* The socket hook ends the chain for the sockets it declines only where no
 * other tool's program is attached to update_socket_protocol: one attached
 * before ours would never see them. One attached later runs before ours and
 * keeps its say, so the check is made once ours is attached (and by later
 * writers, state_open(), while the answer is no). */
static void decide_chain(int config_fd, int primary_link_fd, const __u32 *own, size_t n_own)
{
	struct hook_link other[4];
	int n = hook_foreign_links(primary_link_fd, own, n_own, other, ELEMENTSOF(other));

	if (n < 0) {
		debug("cannot list the programs on update_socket_protocol: %s", strerror(-n));
		return;
	}
	for (int i = 0; i < n && i < (int)ELEMENTSOF(other); i++)
		debug("another program on update_socket_protocol: link %u, program %u '%s'",
		      other[i].link_id, other[i].prog_id, other[i].prog_name);
	if (n == 0 && hook_chain_set(config_fd, 1) < 0)
		debug("cannot set config.chain_ends: %s", strerror(errno));
}

/* Where a link is pinned before it is renamed over its final name. */
static void new_pin_path(char *buf, size_t len, const char *name)
{
	char n[64];

	snprintf(n, sizeof(n), "new_%s", name);
	pin_path(buf, len, strcmp(name, LINK_PIN) ? n : LINK_NEW_PIN);
}

/* Pins link under name, replacing in one step what an older program had
 * pinned there: until then the older set stays whole, and an upgrade
 * killed before can find the older maps through it. */
static int pin_over(struct bpf_link *link, const char *name)
{
	char p[PATH_MAX], tmp[PATH_MAX];
	int err;

	new_pin_path(tmp, sizeof(tmp), name);
	pin_path(p, sizeof(p), name);
	unlink(tmp);
	err = bpf_link__pin(link, tmp);
	if (!err && rename(tmp, p) < 0)
		err = -errno;
	if (err) {
		unlink(tmp);
		return fail(EXIT_INTERNAL, "failed to pin %s: %s", p, strerror(-err));
	}
	return 0;
}

/* Loads the programs, reusing maps already pinned (their rules survive) and
 * pinning new ones, attaches them and pins the socket hook's link last: a
 * crash before that leaves maps only, which the next call adopts. The hook's
 * link is pinned under a temporary name and renamed over LINK_PIN, so that
 * an older program still pinned there (an upgrade) is replaced in one step,
 * with the new one already attached. m, when not NULL, holds the rules of
 * the maps being replaced: they are written before anything is attached. */
/* Whether a task can be preempted inside the socket hook: the kernel's own
 * preemption mode, read by a BPF program run once (PREEMPT_DYNAMIC kernels);
 * else what the kernel's version string says. When unsure: yes (backstops
 * cost a little on every socket(); their absence, lost sockets). */
static bool kernel_preempts_in_hook(struct mptcpify_bpf *skel)
{
	LIBBPF_OPTS(bpf_test_run_opts, run);
	struct utsname u;

	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.mptcpify_preempt_mode), &run) == 0 &&
	    run.retval > 0) {
		/* preempt_dynamic_mode + 1: none 1, voluntary 2, full 3, lazy 4. */
		debug("preemption mode %u (1 none, 2 voluntary, 3 full, 4 lazy)", run.retval);
		return run.retval >= 3;
	}
	if (uname(&u) < 0)
		return true;
	debug("preemption mode unknown; kernel version '%s'", u.version);
	return strstr(u.version, "PREEMPT") != NULL;
}

/* How many backstops to attach: MPTCPIFY_BACKSTOPS (0 to 3) when set, for
 * measuring what each copy buys; else all of them where the kernel can
 * preempt inside the hook, none elsewhere. The probe runs in any case: it
 * also records what the hook needs to know about MPTCP. */
static size_t backstops_wanted(struct mptcpify_bpf *skel)
{
	bool preempts = kernel_preempts_in_hook(skel);
	const char *e = getenv("MPTCPIFY_BACKSTOPS");

	if (e && *e) {
		if (e[0] >= '0' && e[0] <= '0' + MPTCPIFY_BACKSTOPS && !e[1])
			return e[0] - '0';
		warn("ignoring MPTCPIFY_BACKSTOPS=%s: not a number from 0 to %d", e, MPTCPIFY_BACKSTOPS);
	}
	return preempts ? MPTCPIFY_BACKSTOPS : 0;
}

/* Opens the links pinned here (an older program's, in an upgrade): once the
 * new ones are pinned and these are closed, they are detached at once
 * instead of a moment later (see state_unload()), and are not counted as
 * another tool's programs on the hook. */
static void hold_old_links(int held[])
{
	char p[PATH_MAX];

	pin_path(p, sizeof(p), LINK_PIN);
	held[0] = bpf_obj_get(p);
	for (size_t i = 0; i < ELEMENTSOF(tracking_links); i++) {
		pin_path(p, sizeof(p), tracking_links[i]);
		held[i + 1] = bpf_obj_get(p);
	}
}

static int load_and_pin(struct state *s, const struct migrated *m)
{
	struct mptcpify_bpf *skel = NULL;
	struct bpf_link *links[ELEMENTSOF(tracking_links) + 1] = {};
	struct bpf_program *progs[ELEMENTSOF(tracking_links) + 1];
	int held[ELEMENTSOF(tracking_links) + 1];
	__u32 own[MPTCPIFY_BACKSTOPS + 1];
	size_t n_links = N_TRACKERS, n_own = 0;
	char why[256], p[PATH_MAX];
	bool existed[MAP__COUNT];
	int r, err;

	for (int i = 0; i < MAP__COUNT; i++)
		existed[i] = true;  /* until looked at: never removed on failure */
	hold_old_links(held);
	skel = mptcpify_bpf__open();
	if (!skel) {
		r = fail(EXIT_INTERNAL, "failed to open the BPF object: %s", strerror(errno));
		goto out;
	}
	compat_pins_prepare(skel);
	progs[0] = skel->progs.mptcpify_cgroup_mkdir;
	progs[1] = skel->progs.mptcpify_cgroup_rmdir;
	progs[2] = skel->progs.mptcpify_back1;
	progs[3] = skel->progs.mptcpify_back2;
	progs[4] = skel->progs.mptcpify_back3;
	for (int i = 0; i < MAP__COUNT; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(skel->obj, obj_map_name(i));

		pin_path(p, sizeof(p), state_map_names[i]);
		existed[i] = access(p, F_OK) == 0;
		if (!map || bpf_map__set_pin_path(map, p) < 0) {
			r = fail(EXIT_INTERNAL, "failed to set the pin path of map %s", state_map_names[i]);
			goto out;
		}
	}
	err = mptcpify_bpf__load(skel);
	if (err) {
		/* Explained only now: parsing the kernel's BTF once more costs
		 * about a second under emulation, on every first attach. */
		r = probe_btf_and_hook(why, sizeof(why));
		r = r ? fail(r, "%s", why) : explain_load_error(err);
		goto out;
	}
	fault_point("loaded");  /* maps pinned, program loaded, not attached */
	if (config_init(bpf_map__fd(skel->maps.data_config)) < 0) {
		r = fail(EXIT_INTERNAL, "failed to initialise the config map: %s", strerror(errno));
		goto out;
	}
	if (m) {
		r = migrated_restore(m, skel);
		if (r)
			goto out;
	}
	n_links += backstops_wanted(skel);
	progs[n_links] = skel->progs.mptcpify_socket;
	/* Tracking first: a path rule's new cgroups are selected from the
	 * moment the hook can see them. The primary last: the most recently
	 * attached fmod_ret program runs first. */
	for (size_t i = 0; i <= n_links; i++) {
		links[i] = bpf_program__attach(progs[i]);
		if (!links[i]) {
			r = explain_load_error(-errno);
			goto out;
		}
		if (i >= N_TRACKERS)
			own[n_own++] = hook_link_prog_id(bpf_link__fd(links[i]));
	}
	fault_point("attached");  /* attached, held only by this process */
	for (size_t i = 0; i < n_links; i++) {
		r = pin_over(links[i], tracking_links[i]);
		if (r)
			goto out;
	}
	err = compat_pins_attach(skel, pin_root(),
				 compat_audit_wanted(bpf_map__fd(skel->maps.audit_config)));
	if (err) {
		r = fail(EXIT_INTERNAL, "failed to pin the socket option programs: %s", strerror(-err));
		goto out;
	}
	r = pin_over(links[n_links], LINK_PIN);
	if (r)
		goto out;
	/* Backstops an older program had and this one has not. */
	for (size_t i = n_links; i < ELEMENTSOF(tracking_links); i++) {
		pin_path(p, sizeof(p), tracking_links[i]);
		unlink(p);
	}
	fault_point("pinned");  /* pinned, no rule applied yet */
	for (size_t i = 0; i < ELEMENTSOF(held); i++)
		closep(&held[i]);  /* an older program's: detached now */
	decide_chain(bpf_map__fd(skel->maps.data_config), bpf_link__fd(links[n_links]), own, n_own);
	debug("loaded and pinned under %s", pin_root());
	if (kernel_addresses_hidden())
		warn("%s", HIDDEN_ADDRESSES_WARNING);
	s->created = true;
	r = 0;
out:
	if (r && skel) {  /* nothing half-made stays behind: only maps pinned before */
		for (int i = 0; i < MAP__COUNT; i++)
			if (!existed[i]) {
				pin_path(p, sizeof(p), state_map_names[i]);
				unlink(p);
			}
		for (size_t i = 0; i < ELEMENTSOF(tracking_links); i++) {
			new_pin_path(p, sizeof(p), tracking_links[i]);
			unlink(p);
		}
		compat_pins_remove(pin_root());
	}
	for (size_t i = 0; i < ELEMENTSOF(held); i++)
		closep(&held[i]);
	for (size_t i = 0; i < ELEMENTSOF(links); i++)
		bpf_link__destroy(links[i]);  /* the pins keep them attached */
	mptcpify_bpf__destroy(skel);
	return r;
}

int link_prog_info(int link_fd, struct bpf_link_info *li, struct bpf_prog_info *pi)
{
	__u32 len = sizeof(*li);
	_cleanup_close_ int prog_fd = -1;

	if (bpf_obj_get_info_by_fd(link_fd, li, &len) < 0)
		return -errno;
	prog_fd = bpf_prog_get_fd_by_id(li->prog_id);
	if (prog_fd < 0)
		return -errno;
	len = sizeof(*pi);
	return bpf_obj_get_info_by_fd(prog_fd, pi, &len) < 0 ? -errno : 0;
}

/* Up to this many maps per program: the socket hook uses about twenty. */
#define MAX_PROG_MAPS 64

/* The maps program prog_fd uses, by id, into ids[MAX_PROG_MAPS]: how many. */
static int prog_map_ids(int prog_fd, __u32 *ids)
{
	struct bpf_prog_info pi = {};
	__u32 len = sizeof(pi);

	pi.nr_map_ids = MAX_PROG_MAPS;
	pi.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &pi, &len) < 0)
		return -errno;
	return pi.nr_map_ids < MAX_PROG_MAPS ? pi.nr_map_ids : MAX_PROG_MAPS;
}

/* Pins at path the map of program prog_fd that is state map number map,
 * looked for by its BPF object name and by its pin name, which older ABIs
 * used for both. */
static int repin_from_prog(int prog_fd, int map, const char *path)
{
	__u32 ids[MAX_PROG_MAPS];
	int n = prog_map_ids(prog_fd, ids);

	for (int i = 0; i < n; i++) {
		struct bpf_map_info mi = {};
		__u32 len = sizeof(mi);
		_cleanup_close_ int fd = bpf_map_get_fd_by_id(ids[i]);

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &mi, &len) < 0)
			continue;
		if (strcmp(mi.name, obj_map_name(map)) == 0 || strcmp(mi.name, state_map_names[map]) == 0)
			return bpf_obj_pin(fd, path) < 0 ? -errno : 0;
	}
	return n < 0 ? n : -ENOENT;
}

/* The same through the program of link link_fd. */
static int repin_from_link(int link_fd, int map, const char *path)
{
	struct bpf_link_info li = {};
	__u32 len = sizeof(li);
	_cleanup_close_ int prog_fd = -1;

	if (bpf_obj_get_info_by_fd(link_fd, &li, &len) < 0)
		return -errno;
	prog_fd = bpf_prog_get_fd_by_id(li.prog_id);
	return prog_fd < 0 ? -errno : repin_from_prog(prog_fd, map, path);
}

/* A map pin lost while the link survived (someone removed it by hand, or
 * an upgrade was killed): find the map through the attached programs and
 * pin it again, so that the CLI never edits a map the running programs do
 * not use. The socket hook's first, then the cgroup trackers' (they alone
 * use the path rules), then the socket option programs' (they alone use the
 * audit rules; a load replaces their pins last, compat_pins.c). */
static int repin_map_from_link(int link_fd, int map, const char *path)
{
	static const char *const prog_pins[] = { "prog_audset" };
	static const char *const link_pins[] = { "link_refset" };
	char p[PATH_MAX];

	if (repin_from_link(link_fd, map, path) == 0)
		return 0;
	for (size_t i = 0; i < N_TRACKERS; i++) {
		_cleanup_close_ int fd = -1;

		pin_path(p, sizeof(p), tracking_links[i]);
		fd = bpf_obj_get(p);
		if (fd >= 0 && repin_from_link(fd, map, path) == 0)
			return 0;
	}
	for (size_t i = 0; i < ELEMENTSOF(link_pins); i++) {
		_cleanup_close_ int fd = -1;

		pin_path(p, sizeof(p), link_pins[i]);
		fd = bpf_obj_get(p);
		if (fd >= 0 && repin_from_link(fd, map, path) == 0)
			return 0;
	}
	for (size_t i = 0; i < ELEMENTSOF(prog_pins); i++) {
		_cleanup_close_ int fd = -1;

		pin_path(p, sizeof(p), prog_pins[i]);
		fd = bpf_obj_get(p);
		if (fd >= 0 && repin_from_prog(fd, map, path) == 0)
			return 0;
	}
	return -ENOENT;
}

static int open_pins(struct state *s, bool write, bool repin)
{
	LIBBPF_OPTS(bpf_obj_get_opts, ro, .file_flags = BPF_F_RDONLY);
	char p[PATH_MAX];

	pin_path(p, sizeof(p), LINK_PIN);
	s->link_fd = bpf_obj_get(p);
	if (s->link_fd < 0) {
		if (errno == EACCES || errno == EPERM)
			return need_bpf_privileges("reading mptcpify's pinned state") ?:
				fail(EXIT_NOPERM, "cannot open %s: %s", p, strerror(errno));
		return -ENOENT;
	}
	for (int i = 0; i < MAP__COUNT; i++) {
		pin_path(p, sizeof(p), state_map_names[i]);
		s->map_fd[i] = write ? bpf_obj_get(p) : bpf_obj_get_opts(p, &ro);
		if (s->map_fd[i] < 0 && errno == ENOENT && write && repin &&
		    repin_map_from_link(s->link_fd, i, p) == 0) {
			warn("map pin %s was missing; pinned it again from the attached program", p);
			s->map_fd[i] = bpf_obj_get(p);
		}
		/* Maps that older ABIs did not have: the upgrade creates them. */
		if (s->map_fd[i] < 0 && errno == ENOENT && i >= MAP_PATHS)
			continue;
		if (s->map_fd[i] < 0)
			return fail(errno == EACCES || errno == EPERM ? EXIT_NOPERM : EXIT_INTERNAL,
				    "cannot open pinned map %s: %s%s", p, strerror(errno),
				    errno == ENOENT ? ": run 'mptcpify unload', then attach again" : "");
	}
	return 0;
}

/* Whether the socket hook's link runs a program that uses map fd: after a
 * crash half-way through an upgrade the pins may name new maps while the
 * old program is still attached. */
static bool link_uses_map(int link_fd, int map_fd)
{
	struct bpf_link_info li = {};
	struct bpf_map_info mi = {};
	__u32 ids[MAX_PROG_MAPS], len = sizeof(mi);
	_cleanup_close_ int prog_fd = -1;
	int n;

	if (bpf_obj_get_info_by_fd(map_fd, &mi, &len) < 0)
		return true;  /* cannot tell: trust the pins */
	len = sizeof(li);
	if (bpf_obj_get_info_by_fd(link_fd, &li, &len) < 0)
		return true;
	prog_fd = bpf_prog_get_fd_by_id(li.prog_id);
	n = prog_fd < 0 ? -1 : prog_map_ids(prog_fd, ids);
	if (n < 0)
		return true;
	for (int i = 0; i < n; i++)
		if (ids[i] == mi.id)
			return true;
	return false;
}

/* 0 with *upgrade false when the pins are this ABI's and belong together;
 * 0 with *upgrade true when they must be replaced (older ABI, a missing
 * map, or an interrupted upgrade); else an exit status, printed. */
static int check_abi(struct state *s, bool *upgrade)
{
	struct mptcpify_config cfg = {};
	struct bpf_map_info mi = {};
	__u32 zero = 0, len = sizeof(mi);

	*upgrade = true;
	/* An upgrade killed after pinning new maps: the pinned link still
	 * runs on the old ones (the new config may not even be written). */
	if (!link_uses_map(s->link_fd, s->map_fd[MAP_CONFIG]))
		return 0;
	/* Older layouts of config are shorter (ABI 3 has no generation). */
	if (bpf_obj_get_info_by_fd(s->map_fd[MAP_CONFIG], &mi, &len) < 0 ||
	    mi.value_size > sizeof(cfg) ||
	    bpf_map_lookup_elem(s->map_fd[MAP_CONFIG], &zero, &cfg) < 0 || cfg.abi > MPTCPIFY_ABI ||
	    cfg.abi < MPTCPIFY_ABI_OLDEST)
		return fail(EXIT_INTERNAL, "the state pinned under %s was made by an incompatible "
			    "mptcpify (ABI %u, this one is %u): run 'mptcpify unload' (or remove %s), "
			    "then attach again", pin_root(), cfg.abi, MPTCPIFY_ABI, pin_root());
	if (cfg.abi < MPTCPIFY_ABI)
		return 0;
	if (mi.value_size != sizeof(cfg))
		return fail(EXIT_INTERNAL, "the config map pinned under %s has %u bytes, ABI %u "
			    "needs %zu: run 'mptcpify unload' (or remove %s), then attach again",
			    pin_root(), mi.value_size, MPTCPIFY_ABI, sizeof(cfg), pin_root());
	for (int i = 0; i < MAP__COUNT; i++)
		if (s->map_fd[i] < 0)
			return 0;
	*upgrade = false;
	return 0;
}

static int upgrade(struct state *s);

/* The programs of the socket hook's links pinned here: the primary's and
 * its backstops'. */
static size_t own_hook_progs(const struct state *s, __u32 *own)
{
	char p[PATH_MAX];
	size_t n = 0;

	own[n++] = hook_link_prog_id(s->link_fd);
	for (size_t i = N_TRACKERS; i < ELEMENTSOF(tracking_links); i++) {
		_cleanup_close_ int fd = -1;

		pin_path(p, sizeof(p), tracking_links[i]);
		fd = bpf_obj_get(p);
		if (fd >= 0)
			own[n++] = hook_link_prog_id(fd);
	}
	return n;
}

int state_hook_chain(struct state *s, bool *ends, struct hook_link *other, size_t max)
{
	struct mptcpify_config cfg = {};
	__u32 own[ELEMENTSOF(tracking_links) + 1], zero = 0;

	if (bpf_map_lookup_elem(s->map_fd[MAP_CONFIG], &zero, &cfg) < 0)
		return -errno;
	*ends = cfg.chain_ends;
	return hook_foreign_links(s->link_fd, own, own_hook_progs(s, own), other, max);
}

/* A hook loaded while another tool's program was on update_socket_protocol
 * ends the chain once that program is gone. */
static void refresh_chain(struct state *s)
{
	__u32 own[ELEMENTSOF(tracking_links) + 1];
	struct mptcpify_config cfg = {};
	__u32 zero = 0;

	if (bpf_map_lookup_elem(s->map_fd[MAP_CONFIG], &zero, &cfg) < 0 || cfg.chain_ends)
		return;
	decide_chain(s->map_fd[MAP_CONFIG], s->link_fd, own, own_hook_progs(s, own));
}

int state_open(struct state *s, int flags)
{
	bool write = flags & STATE_WRITE, must_upgrade;
	int r;

	if (write) {
		r = need_bpf_privileges("changing mptcpify's state");
		if (r)
			return r;
	}
	r = open_pin_dir(flags & STATE_CREATE, &s->dir_fd);
	if (r)
		return r;
	if (flock(s->dir_fd, write ? LOCK_EX : LOCK_SH) < 0)
		return fail(EXIT_INTERNAL, "cannot lock %s: %s", pin_root(), strerror(errno));

	r = open_pins(s, write, true);
	if (r == -ENOENT) {
		if (!(flags & STATE_CREATE))
			return fail(EXIT_NOT_LOADED, "not loaded (no link pinned under %s): "
				    "run 'mptcpify attach ...' or start mptcpify-bpf.service", pin_root());
		r = load_and_pin(s, NULL);
		if (r) {
			rmdir(pin_root());  /* only succeeds when empty: ours, unused */
			return r;
		}
		r = open_pins(s, write, true);
		if (r == -ENOENT)
			return fail(EXIT_INTERNAL, "the pins under %s vanished while loading", pin_root());
	}
	if (r)
		return r;
	r = check_abi(s, &must_upgrade);
	if (r == 0 && !must_upgrade && write)
		refresh_chain(s);
	if (r || !must_upgrade)
		return r;
	if (!write)
		return fail(EXIT_NOT_LOADED, "the program pinned under %s is from an older mptcpify: "
			    "restart mptcpify-bpf.service or run 'mptcpify load' to upgrade it "
			    "(rules are kept)", pin_root());
	return upgrade(s);
}

/* Replaces pins made by an older ABI, or left half-upgraded, keeping every
 * rule: read them, let the old program run on with its maps while the new
 * maps are pinned, filled and the new programs attached, then rename the new
 * link over the old. */
static int upgrade(struct state *s)
{
	struct migrated m = {};
	char p[PATH_MAX];
	int r;

	if (!link_uses_map(s->link_fd, s->map_fd[MAP_CONFIG])) {
		/* An upgrade was killed after pinning new maps: the attached
		 * programs' maps hold the rules. Pin those again, over the new
		 * ones, and start over. A map no old program holds any more
		 * stays as pinned: after the old cgroup trackers were detached
		 * (load_and_pin), their path rules live on only in the new
		 * cgroup_paths, filled by the killed upgrade. That is read as
		 * the old layout, which holds for the maps only trackers or
		 * socket option programs use (cgroup_paths and cgroup_globs
		 * since ABI 3, the audit maps since ABI 5, veto_paths since
		 * ABI 6): a change of their layout must be told apart here. */
		for (int i = 0; i < MAP__COUNT; i++) {
			char tmp[PATH_MAX], name[64];

			closep(&s->map_fd[i]);
			pin_path(p, sizeof(p), state_map_names[i]);
			/* No dot: bpffs refuses names with one. */
			snprintf(name, sizeof(name), "%s_old", state_map_names[i]);
			pin_path(tmp, sizeof(tmp), name);
			unlink(tmp);
			if (repin_map_from_link(s->link_fd, i, tmp) == 0 &&
			    rename(tmp, p) < 0)
				unlink(tmp);
			s->map_fd[i] = bpf_obj_get(p);
		}
		if (s->map_fd[MAP_CONFIG] < 0) {
			r = fail(EXIT_INTERNAL, "the program pinned under %s has no config map: run "
				 "'mptcpify unload', then attach again", pin_root());
			goto out;
		}
	}
	r = migrated_read(s->map_fd, &m);
	if (r)
		goto out;
	debug("upgrading the state pinned under %s (%zu comm, %zu exclude, %zu cgroup rules)",
	      pin_root(), m.n_comm, m.n_exclude, m.n_cgroup);
	for (int i = 0; i < MAP__COUNT; i++) {
		closep(&s->map_fd[i]);
		s->map_fd[i] = -1;
		pin_path(p, sizeof(p), state_map_names[i]);
		if (unlink(p) < 0 && errno != ENOENT) {
			r = fail(EXIT_INTERNAL, "cannot remove %s: %s", p, strerror(errno));
			goto out;
		}
	}
	fault_point("upgrading");  /* old link pinned, its maps not */
	closep(&s->link_fd);
	s->link_fd = -1;
	r = load_and_pin(s, &m);
	if (!r)
		r = open_pins(s, true, false);
	if (!r)
		debug("upgraded the program pinned under %s; rules kept", pin_root());
out:
	migrated_free(&m);
	return r;
}

void state_close(struct state *s)
{
	name_slots_forget(&s->slots);
	for (int i = 0; i < MAP__COUNT; i++)
		closep(&s->map_fd[i]);
	closep(&s->link_fd);
	closep(&s->dir_fd);  /* drops the flock */
	s->link_fd = s->dir_fd = -1;
	for (int i = 0; i < MAP__COUNT; i++)
		s->map_fd[i] = -1;
}

int state_unload(void)
{
	_cleanup_close_ int dfd = -1;
	int r;

	r = need_bpf_privileges("unloading mptcpify");
	if (r)
		return r;
	dfd = open(pin_root(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dfd < 0) {
		if (errno == ENOENT)
			return 0;
		return fail(EXIT_INTERNAL, "cannot open %s: %s", pin_root(), strerror(errno));
	}
	if (flock(dfd, LOCK_EX) < 0)
		return fail(EXIT_INTERNAL, "cannot lock %s: %s", pin_root(), strerror(errno));
	/* The kernel detaches a link whose last pin goes away from a work
	 * queue, a moment later; closing its last fd detaches it at once. So
	 * each link is held open while its pin is removed, and closed before
	 * unload returns: afterwards no socket is rewritten any more. The
	 * primary first, then the rest. */
	/* Each link under its final name and the one it has while pinned
	 * (a load killed in between leaves that one). */
	char links[2 * ELEMENTSOF(tracking_links) + 2][64];
	int held[ELEMENTSOF(links)];

	snprintf(links[0], sizeof(links[0]), "%s", LINK_PIN);
	snprintf(links[1], sizeof(links[1]), "%s", LINK_NEW_PIN);
	for (size_t i = 0; i < ELEMENTSOF(tracking_links); i++) {
		snprintf(links[2 * i + 2], sizeof(links[0]), "%s", tracking_links[i]);
		snprintf(links[2 * i + 3], sizeof(links[0]), "new_%s", tracking_links[i]);
	}
	for (size_t i = 0; i < ELEMENTSOF(links); i++) {
		char p[PATH_MAX];

		pin_path(p, sizeof(p), links[i]);
		held[i] = bpf_obj_get(p);
		if (unlinkat(dfd, links[i], 0) < 0 && errno != ENOENT) {
			r = fail(EXIT_INTERNAL, "cannot remove %s/%s: %s", pin_root(), links[i],
				 strerror(errno));
			for (size_t j = 0; j <= i; j++)
				closep(&held[j]);
			return r;
		}
	}
	for (size_t i = 0; i < ELEMENTSOF(links); i++)
		closep(&held[i]);
	r = compat_pins_remove(pin_root());
	if (r < 0)
		return fail(EXIT_INTERNAL, "cannot remove the socket option pins under %s: %s",
			    pin_root(), strerror(-r));
	for (int i = 0; i < MAP__COUNT; i++)
		if (unlinkat(dfd, state_map_names[i], 0) < 0 && errno != ENOENT)
			return fail(EXIT_INTERNAL, "cannot remove %s/%s: %s", pin_root(),
				    state_map_names[i], strerror(errno));
	if (rmdir(pin_root()) < 0 && errno != ENOENT)
		return fail(EXIT_INTERNAL, "removed the pins but not %s: %s (something else is "
			    "inside)", pin_root(), strerror(errno));
	return 0;
}
