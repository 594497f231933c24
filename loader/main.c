// SPDX-License-Identifier: GPL-2.0-only
/* mptcpify: make unmodified programs use Multipath TCP. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "config.h"
#include "persist.h"
#include "state.h"
#include "util.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *synopsis;
	const char *help;
};

static const struct command commands[] = {
	{ "attach", do_attach, "attach (--comm NAME... | --cgroup PATH... | --unit UNIT... | --all) [--runtime]",
	  "Select processes: from now on their new TCP sockets (AF_INET/AF_INET6 stream,\n"
	  "protocol 0 or IPPROTO_TCP) are created as MPTCP. Loads and pins the program on\n"
	  "first use. Running processes are covered for the sockets they open next.\n"
	  "  --comm NAME...   by process (thread) name, 1 to 15 bytes, as in /proc/PID/comm\n"
	  "  --cgroup PATH... every process in this cgroup v2 directory and below it\n"
	  "                   (absolute, or relative to /sys/fs/cgroup)\n"
	  "  --unit UNIT...   the current cgroup of a running systemd unit\n"
	  "  --all            every process (system-wide mode)\n"
	  "  --runtime        change the live rules only, not /etc/mptcpify/mptcpify.conf\n" },
	{ "detach", do_detach, "detach (--comm NAME... | --cgroup PATH... | --unit UNIT... | --all | --all-rules) [--runtime]",
	  "Deselect processes: their new sockets are TCP again; existing connections carry on.\n"
	  "  --all-rules      remove every rule and leave system-wide mode\n"
	  "  --runtime        change the live rules only, not the configuration file\n" },
	{ "exclude", do_exclude, "exclude [--remove] --comm NAME... [--runtime]",
	  "Never rewrite sockets of these process names, whatever else selects them.\n"
	  "  --remove         take names off the exclude list\n" },
	{ "list", do_list, "list",
	  "Show the live rules and how many sockets each has turned into MPTCP.\n" },
	{ "status", do_status, "status",
	  "Check that mptcpify can work here (kernel BTF, update_socket_protocol, tracing\n"
	  "programs allowed, bpffs, net.mptcp.enabled), whether it is loaded, and its\n"
	  "counters. Each failed check names its fix; the exit status is the first failure's.\n" },
	{ "run", do_run, "run [--] CMD [ARGS...]",
	  "Run CMD in a new cgroup that is selected: CMD and its children get MPTCP, nothing\n"
	  "else does. Exits with CMD's exit status (128+N if killed by signal N) and removes\n"
	  "the cgroup and its rule afterwards.\n" },
	{ "monitor", do_monitor, "monitor [--count N] [--timeout SEC]",
	  "Print one line per socket turned into MPTCP: COMM[PID] mptcpified (FAMILY, by RULE).\n"
	  "  --count N        exit after N events\n"
	  "  --timeout SEC    exit after SEC seconds\n" },
	{ "enable", do_enable, "enable UNIT.service",
	  "Select a service at every start, through a drop-in\n"
	  "(/etc/systemd/system/UNIT.d/50-mptcpify.conf) that runs 'mptcpify attach --runtime\n"
	  "--own-cgroup' as ExecStartPre= in the service's new cgroup. The vendor unit is not\n"
	  "touched. Takes effect at the next start.\n" },
	{ "disable", do_disable, "disable UNIT.service",
	  "Remove the drop-in written by enable.\n" },
	{ "daemon", do_daemon, "daemon [--keep-on-stop]",
	  "Run as mptcpify-bpf.service: load or adopt the pinned program, apply\n"
	  "/etc/mptcpify/mptcpify.conf and conf.d/*.conf, log rewritten sockets (rate-limited),\n"
	  "re-read the configuration on SIGHUP (a bad file is refused and the rules in force\n"
	  "stay), and unload on SIGTERM unless --keep-on-stop.\n"
	  "  --keep-on-stop   leave the program attached and pinned when stopping\n" },
	{ "load", do_load, "load",
	  "Load, attach and pin the program and apply the saved configuration.\n" },
	{ "unload", do_unload, "unload",
	  "Detach the program and remove every pin: all new sockets are TCP again.\n"
	  "The configuration file is kept.\n" },
};

static const char *const global_help =
	"Global options (before the command):\n"
	"  -j, --json             machine-readable output (list, status, monitor)\n"
	"  -v, --verbose          show libbpf's messages\n"
	"      --pin-root DIR     pinned state (default " DEFAULT_PIN_ROOT ", env MPTCPIFY_PIN_ROOT)\n"
	"      --config-dir DIR   configuration (default " DEFAULT_CONFIG_DIR ", env MPTCPIFY_CONFIG_DIR)\n"
	"  -h, --help             this help; 'mptcpify COMMAND --help' for one command\n"
	"      --version          print the version\n";

static void usage(FILE *f)
{
	fprintf(f, "Usage: mptcpify [OPTIONS] COMMAND [ARGS]\n\n"
		"Turn the TCP sockets of selected programs into Multipath TCP (Linux >= 6.6).\n\n"
		"Commands:\n");
	for (size_t i = 0; i < ELEMENTSOF(commands); i++)
		fprintf(f, "  %s\n", commands[i].synopsis);
	fprintf(f, "\n%s\nExit status: 0 ok, 1 internal error, 2 usage, 3 not permitted, "
		"4 kernel lacks the hook,\n5 no BTF, 6 tracing refused, 7 bad comm, 8 bad cgroup, "
		"9 bad unit, 10 map full,\n11 not loaded, 12 bad configuration file. See mptcpify(8).\n",
		global_help);
}

void help_for(const char *cmd)
{
	for (size_t i = 0; i < ELEMENTSOF(commands); i++)
		if (strcmp(commands[i].name, cmd) == 0) {
			printf("Usage: mptcpify [OPTIONS] %s\n\n%s\n%s", commands[i].synopsis,
			       commands[i].help, global_help);
			return;
		}
}

int parse_operands(const char *cmd, int argc, char **argv, int min, int max)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, {} };
	int c;

	optind = 0;
	/* '+': operands end option parsing (run's command has options of its own). */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			help_for(cmd);
			return EXIT_OK;
		}
		return usage_error(cmd, "see 'mptcpify %s --help'", cmd);
	}
	if (argc - optind > max)
		return usage_error(cmd, "unexpected argument '%s'", argv[optind + max]);
	if (argc - optind < min)
		return usage_error(cmd, "missing argument: see 'mptcpify %s --help'", cmd);
	return -1;
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mptcpify %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	enum { OPT_PIN_ROOT = 0x100, OPT_CONFIG_DIR, OPT_VERSION };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "pin-root", required_argument, NULL, OPT_PIN_ROOT },
		{ "config-dir", required_argument, NULL, OPT_CONFIG_DIR },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{}
	};
	int c;

	libbpf_set_print(libbpf_quiet);
	/* '+': options after the command belong to the command. */
	while ((c = getopt_long(argc, argv, "+jvh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': arg_json = true; break;
		case 'v': arg_verbose = true; break;
		case OPT_PIN_ROOT: set_pin_root(optarg); break;
		case OPT_CONFIG_DIR: set_config_dir(optarg); break;
		case 'h': usage(stdout); return EXIT_OK;
		case OPT_VERSION: printf("mptcpify %s\n", MPTCPIFY_VERSION); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < ELEMENTSOF(commands); i++)
		if (strcmp(commands[i].name, argv[optind]) == 0)
			return commands[i].fn(argc - optind, argv + optind);
	fprintf(stderr, "mptcpify: unknown command '%s': see 'mptcpify --help'\n", argv[optind]);
	return EXIT_USAGE;
}
