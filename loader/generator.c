// SPDX-License-Identifier: GPL-2.0-only
/* mptcpify-generator: a systemd generator (systemd.generator(7)) that opens
 * mptcpify-bpf.service's sandbox for its metrics, only where and when
 * mptcpify.conf asks for them.
 *
 * systemd cannot make a directive depend on a setting in another program's
 * file; a generator runs at boot and at each `systemctl daemon-reload`, reads
 * the file and writes unit configuration into /run. With [daemon]
 * metrics-dir set, it writes:
 *   - mptcpify-bpf.service.d/50-metrics.conf: ReadWritePaths= of that
 *     directory; CAP_SYS_PTRACE to read /proc/PID/fd of every process (which
 *     program holds which connection); Sockets= the socket below;
 *   - mptcpify-sockdiag.socket: a sock_diag netlink socket that systemd makes
 *     in the host's network namespace and hands to the daemon, whose own
 *     namespace stays private (PrivateNetwork=yes): the daemon can dump the
 *     host's MPTCP sockets, and still open no network socket of its own.
 * Without metrics-dir it writes nothing: the unit stays as shipped.
 *
 * Usage (by systemd): mptcpify-generator NORMAL_DIR [EARLY_DIR LATE_DIR]. The
 * configuration directory is /etc/mptcpify, or $MPTCPIFY_CONFIG_DIR (tests).
 * A configuration that does not parse is reported on stderr (the journal)
 * and leaves the unit as shipped: the daemon refuses it too, with the same
 * message. Exit status: 0, or 1 when the files cannot be written. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

#define SERVICE "mptcpify-bpf.service"
#define SOCKET "mptcpify-sockdiag.socket"

static const char header[] =
	"# Written by mptcpify-generator from %s (mptcpify.conf(5), [daemon]\n"
	"# metrics-dir) at boot and at each systemctl daemon-reload: do not edit.\n";

/* A path as a quoted word of a unit file: specifiers ('%') doubled; the
 * path holds no '"' or '\\' (metrics_dir_check()). */
static void put_path_word(FILE *f, const char *prefix, const char *path)
{
	fprintf(f, "\"%s", prefix);
	for (const char *c = path; *c; c++) {
		if (*c == '%')
			fputc('%', f);
		fputc(*c, f);
	}
	fputc('"', f);
}

static void socket_unit(FILE *f, const char *metrics_dir)
{
	fputs("[Unit]\n"
	      "Description=mptcpify: the host's socket table (sock_diag) for the metrics of "
	      SERVICE "\n"
	      "Documentation=man:mptcpify.conf(5)\n"
	      "# Started with the service (its Sockets=), stopped with it.\n"
	      "PartOf=" SERVICE "\n"
	      "\n[Socket]\n"
	      "ListenNetlink=inet-diag 0\n"
	      "Service=" SERVICE "\n", f);
}

static void service_dropin(FILE *f, const char *metrics_dir)
{
	fputs("[Service]\n"
	      "# The metrics file, written whole and renamed (mptcpify.prom). '-': a missing\n"
	      "# directory does not keep the service from starting; the daemon says so.\n"
	      "ReadWritePaths=", f);
	put_path_word(f, "-", metrics_dir);
	fputs("\n# The MPTCP connections of each program: the host's sockets through a\n"
	      "# sock_diag socket systemd makes outside the private network namespace,\n"
	      "# and /proc/PID/fd of every process to tell whose they are.\n"
	      "Sockets=" SOCKET "\n"
	      "CapabilityBoundingSet=CAP_SYS_PTRACE\n", f);
}

static int write_unit_file(const char *dir, const char *name, const char *conf_dir,
			   void (*body)(FILE *f, const char *metrics_dir), const char *metrics_dir)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f, header, conf_dir);
	body(f, metrics_dir);
	return fclose(f) == 0 ? 0 : -errno;
}

int main(int argc, char **argv)
{
	const char *conf_dir = getenv("MPTCPIFY_CONFIG_DIR");
	struct mptcpify_conf c = {};
	struct conf_error err = {};
	char dropins[4096];
	int r;

	if (argc != 2 && argc != 4) {
		fprintf(stderr, "Usage: mptcpify-generator NORMAL_DIR [EARLY_DIR LATE_DIR] "
			"(a systemd generator: see systemd.generator(7))\n");
		return 2;
	}
	if (!conf_dir || conf_dir[0] != '/')
		conf_dir = MPTCPIFY_SYSCONFDIR "/mptcpify";
	r = conf_load_dir(&c, conf_dir, &err);
	if (r == -ENOENT && !err.line)
		return 0;  /* no configuration: nothing to open */
	if (r < 0) {
		if (err.line)
			fprintf(stderr, "mptcpify-generator: %s:%u: %s", err.file, err.line, err.message);
		else
			fprintf(stderr, "mptcpify-generator: %s: %s", err.file[0] ? err.file : conf_dir,
				err.message[0] ? err.message : strerror(-r));
		fprintf(stderr, "; no metrics set up for " SERVICE "\n");
		return 0;
	}
	if (!c.metrics_dir) {
		conf_free(&c);
		return 0;
	}
	snprintf(dropins, sizeof(dropins), "%s/" SERVICE ".d", argv[1]);
	if ((mkdir(dropins, 0755) < 0 && errno != EEXIST) ||
	    (r = write_unit_file(dropins, "50-metrics.conf", conf_dir, service_dropin,
				 c.metrics_dir)) < 0 ||
	    (r = write_unit_file(argv[1], SOCKET, conf_dir, socket_unit, c.metrics_dir)) < 0) {
		fprintf(stderr, "mptcpify-generator: cannot write into %s: %s\n", argv[1],
			strerror(r < 0 ? -r : errno));
		conf_free(&c);
		return 1;
	}
	conf_free(&c);
	return 0;
}
