// SPDX-License-Identifier: GPL-2.0-only
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>

#include "mptcpify.h"
#include "sockopt_probe.h"
#include "util.h"

#define SOL_IPV6_ 41
#define MAX_ANSWERS 512

struct cached {
	int op, level, optname, mptcp_errno, tcp_errno;
};

static struct cached answers[MAX_ANSWERS];
static size_t n_answers;
static bool loaded, dirty;
static const char *cannot_tell;

static void boot_id(char *buf, size_t len)
{
	if (read_file_str("/proc/sys/kernel/random/boot_id", buf, len) < 0)
		snprintf(buf, len, "unknown");
	buf[strcspn(buf, "\n")] = '\0';
}

/* The cache holds "boot BOOT_ID", then "OP LEVEL OPTNAME MPTCP_ERRNO
 * TCP_ERRNO" per line; a file of another boot is ignored. */
static void load_cache(void)
{
	char id[64], line[128], want[80];
	FILE *f;

	loaded = true;
	f = fopen(SOCKOPT_PROBE_CACHE, "re");
	if (!f)
		return;
	boot_id(id, sizeof(id));
	snprintf(want, sizeof(want), "boot %s\n", id);
	while (fgets(line, sizeof(line), f)) {
		struct cached c;

		if (line[0] == '#')
			continue;
		if (strncmp(line, "boot ", 5) == 0) {
			if (strcmp(line, want) != 0)
				break;
			continue;
		}
		if (n_answers < MAX_ANSWERS &&
		    sscanf(line, "%d %d %d %d %d", &c.op, &c.level, &c.optname, &c.mptcp_errno,
			   &c.tcp_errno) == 5)
			answers[n_answers++] = c;
	}
	fclose(f);
}

void sockopt_probe_save(void)
{
	char id[64], tmp[] = SOCKOPT_PROBE_CACHE ".XXXXXX";
	FILE *f;
	int fd;

	if (!dirty)
		return;
	mkdir("/run/mptcpify", 0755);
	fd = mkstemp(tmp);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		if (fd >= 0)
			close(fd);
		debug("cannot write %s: %s", SOCKOPT_PROBE_CACHE, strerror(errno));
		return;
	}
	boot_id(id, sizeof(id));
	fprintf(f, "# socket options tried on MPTCP and TCP sockets by mptcpify (see mptcpify compat)\n"
		"# op level option mptcp_errno tcp_errno; valid for this boot only\nboot %s\n", id);
	for (size_t i = 0; i < n_answers; i++)
		fprintf(f, "%d %d %d %d %d\n", answers[i].op, answers[i].level, answers[i].optname,
			answers[i].mptcp_errno, answers[i].tcp_errno);
	fchmod(fd, 0644);
	if (fclose(f) != 0 || rename(tmp, SOCKOPT_PROBE_CACHE) < 0) {
		unlink(tmp);
		return;
	}
	dirty = false;
}

/* One call on a fresh socket: 0 or the errno. *proto: SO_PROTOCOL. */
static int try_once(int proto, int op, int level, int optname, int *got_proto)
{
	int family = level == SOL_IPV6_ ? AF_INET6 : AF_INET;
	char buf[512] = {};
	socklen_t len = sizeof(buf), plen = sizeof(*got_proto);
	_cleanup_close_ int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, proto);
	int r;

	if (fd < 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, got_proto, &plen) < 0)
		*got_proto = -1;
	if (op == MPTCPIFY_SOCKOPT_GET)
		r = getsockopt(fd, level, optname, buf, &len);
	else
		r = setsockopt(fd, level, optname, buf, sizeof(int));
	return r < 0 ? errno : 0;
}

static bool refusal(int e)
{
	return e == ENOPROTOOPT || e == EOPNOTSUPP;
}

static void judge(struct sockopt_answer *a)
{
	a->verdict = refusal(a->mptcp_errno) && a->tcp_errno != a->mptcp_errno ?
		SOCKOPT_REFUSED : SOCKOPT_ACCEPTED;
}

void sockopt_probe(int op, int level, int optname, struct sockopt_answer *a)
{
	char name[MPTCPIFY_COMM_LEN + 1] = "";
	int proto, tproto = 0, m, t;

	*a = (struct sockopt_answer){ .verdict = SOCKOPT_CANNOT_TELL };
	if (!loaded)
		load_cache();
	for (size_t i = 0; i < n_answers; i++)
		if (answers[i].op == op && answers[i].level == level && answers[i].optname == optname) {
			a->mptcp_errno = answers[i].mptcp_errno;
			a->tcp_errno = answers[i].tcp_errno;
			a->cached = true;
			judge(a);
			return;
		}
	/* Under a name of its own, which the live detection and audit
	 * programs leave out: these refusals are not a program's. */
	prctl(PR_GET_NAME, name);
	prctl(PR_SET_NAME, MPTCPIFY_PROBE_COMM);
	m = try_once(IPPROTO_MPTCP, op, level, optname, &proto);
	t = m < 0 ? 0 : try_once(IPPROTO_TCP, op, level, optname, &tproto);
	prctl(PR_SET_NAME, name);
	if (m < 0) {
		cannot_tell = -m == ENOPROTOOPT ? "MPTCP is disabled in this network namespace, so no "
			"MPTCP socket can be made to ask the kernel; fix: sysctl -w net.mptcp.enabled=1 "
			"(or run mptcpify where it is 1)" : -m == EPROTONOSUPPORT || -m == EINVAL ?
			"this kernel has no MPTCP (CONFIG_MPTCP)" : "cannot open an MPTCP socket";
		return;
	}
	/* Our own TCP socket, unless a rule of ours turned it into MPTCP: then
	 * only the MPTCP answer counts. */
	if (t < 0 || tproto != IPPROTO_TCP)
		t = 0;
	a->mptcp_errno = m;
	a->tcp_errno = t;
	judge(a);
	if (n_answers < MAX_ANSWERS) {
		answers[n_answers++] = (struct cached){ op, level, optname, m, t };
		dirty = true;
	}
}

const char *sockopt_probe_cannot_tell(void)
{
	return cannot_tell;
}
