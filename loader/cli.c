// SPDX-License-Identifier: GPL-2.0-only
/* Command line parsing and help texts: argv in, struct cli out. */
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "persist.h"  /* DEFAULT_CONFIG_DIR */
#include "state.h"    /* DEFAULT_PIN_ROOT */
#include "util.h"

struct command_text {
	const char *name;
	const char *synopsis;
	const char *help;
};

static const struct command_text texts[_CMD_MAX] = {
	[CMD_ATTACH] = { "attach", "attach (--comm NAME... | --cgroup PATH... | --unit UNIT... | --all) [--runtime]",
	  "Select processes: from now on their new TCP sockets (AF_INET/AF_INET6 stream,\n"
	  "protocol 0 or IPPROTO_TCP) are created as MPTCP. Loads and pins the program on\n"
	  "first use. Running processes are covered for the sockets they open next.\n"
	  "  --comm NAME...   by process (thread) name, 1 to 15 bytes, as in /proc/PID/comm\n"
	  "  --cgroup PATH... every process in the cgroup v2 directory at PATH and below it\n"
	  "                   (absolute, or relative to /sys/fs/cgroup), also after PATH is\n"
	  "                   removed and created again; one '*' in the last component is a\n"
	  "                   pattern: 'system.slice/docker-*.scope' selects each new match\n"
	  "  --unit UNIT...   a systemd unit's cgroup, at every start (running or not)\n"
	  "  --all            every process (system-wide mode)\n"
	  "  --own-cgroup     the cgroup mptcpify itself runs in (for ExecStartPre=)\n"
	  "  --runtime        change the live rules only, not /etc/mptcpify/mptcpify.conf\n" },
	[CMD_DETACH] = { "detach", "detach (--comm NAME... | --cgroup PATH... | --unit UNIT... | --all | --all-rules) [--runtime]",
	  "Deselect processes: their new sockets are TCP again; existing connections carry on.\n"
	  "  --all-rules      remove every rule and leave system-wide mode\n"
	  "  --own-cgroup     the cgroup mptcpify itself runs in (for ExecStopPost=)\n"
	  "  --runtime        change the live rules only, not the configuration file\n" },
	[CMD_EXCLUDE] = { "exclude", "exclude (--comm NAME... | --cgroup PATH... | --unit UNIT...) [--remove] [--runtime]",
	  "Never convert the TCP sockets of these, whatever else selects them; a program\n"
	  "that asks for MPTCP itself keeps it (deny takes that away too).\n"
	  "  --comm NAME...   by process (thread) name, 1 to 15 bytes\n"
	  "  --cgroup PATH... every process in the cgroup v2 directory PATH and below it, also\n"
	  "                   after PATH is removed and created again (no pattern)\n"
	  "  --unit UNIT...   a systemd unit's cgroup, at every start (running or not)\n"
	  "  --remove         take these off the exclude list\n"
	  "  --runtime        change the live rules only, not the configuration file\n" },
	[CMD_LIST] = { "list", "list",
	  "Show the live rules and how many sockets each has turned into MPTCP.\n" },
	[CMD_STATUS] = { "status", "status",
	  "Check that mptcpify can work here (kernel BTF, update_socket_protocol, tracing\n"
	  "programs allowed, bpffs, net.mptcp.enabled), whether it is loaded, and its\n"
	  "counters. Each failed check names its fix; the exit status is the first failure's.\n" },
	[CMD_RUN] = { "run", "run [--] CMD [ARGS...]",
	  "Run CMD in a new cgroup that is selected: CMD and its children get MPTCP, nothing\n"
	  "else does. Exits with CMD's exit status (128+N if killed by signal N) and removes\n"
	  "the cgroup and its rule afterwards.\n" },
	[CMD_MONITOR] = { "monitor", "monitor [--count N] [--timeout SEC]",
	  "Print one line per socket turned into MPTCP: COMM[PID] mptcpified (FAMILY, by RULE).\n"
	  "  --count N        exit after N events\n"
	  "  --timeout SEC    exit after SEC seconds\n" },
	[CMD_ENABLE] = { "enable", "enable UNIT.service",
	  "Select a service at every start, through a drop-in\n"
	  "(/etc/systemd/system/UNIT.d/50-mptcpify.conf) that runs 'mptcpify attach --runtime\n"
	  "--own-cgroup' as ExecStartPre= in the service's new cgroup. The vendor unit is not\n"
	  "touched. Takes effect at the next start.\n" },
	[CMD_DISABLE] = { "disable", "disable UNIT.service",
	  "Remove the drop-in written by enable, and deselect the running instance.\n" },
	[CMD_DAEMON] = { "daemon", "daemon [--keep-on-stop]",
	  "Run as mptcpify-bpf.service: load or adopt the pinned program, apply\n"
	  "/etc/mptcpify/mptcpify.conf and conf.d/*.conf, log rewritten sockets (rate-limited),\n"
	  "re-read the configuration on SIGHUP (a bad file is refused and the rules in force\n"
	  "stay), write the metrics into metrics-dir when mptcpify.conf sets it, and unload\n"
	  "on SIGTERM unless --keep-on-stop.\n"
	  "  --keep-on-stop   leave the program attached and pinned when stopping\n" },
	[CMD_LOAD] = { "load", "load",
	  "Load, attach and pin the program and apply the saved configuration.\n" },
	[CMD_CONNECTIONS] = { "connections", "connections [--selected] [--listening]",
	  "Show what became of the MPTCP sockets of running processes, in every network\n"
	  "namespace that has such processes, as the kernel sees them (sock_diag): one line\n"
	  "each with PROGRAM[PID], the rule that selects the program (comm, all, or -), local\n"
	  "and remote address, state, subflows (the initial one included) and the verdict:\n"
	  "'MPTCP, N subflows', 'fell back to TCP' or 'MPTCP, one path only'; then a summary\n"
	  "per program. Needs the mptcp_diag module. Root sees every process; other users\n"
	  "only their own processes in their own network namespace.\n"
	  "  --selected       only programs selected by a comm rule or system-wide mode\n"
	  "  --listening      include listening sockets\n" },
	[CMD_METRICS] = { "metrics", "metrics",
	  "Print what mptcpify knows in the Prometheus text format (node_exporter's textfile\n"
	  "collector reads it): whether it is loaded and its ABI, the hook's counters, the\n"
	  "sockets each rule made MPTCP, the MPTCP connections of each program by verdict\n"
	  "and their subflows, the kernel's MPTcpExt fallback counters. The daemon writes\n"
	  "the same text to metrics-dir (mptcpify.conf(5)). See mptcpify(8), METRICS.\n" },
	[CMD_AUDIT] = { "audit", "audit (--comm NAME... | --cgroup PATH... | --unit UNIT... | --all) [--remove] [--runtime]",
	  "Watch programs without converting them: count the socket options they set and\n"
	  "get on their TCP sockets, for 'mptcpify compat' to say which of them MPTCP would\n"
	  "refuse. The audit programs are attached only while an audit rule exists.\n"
	  "  --comm NAME...   by process (thread) name, 1 to 15 bytes\n"
	  "  --cgroup PATH... every process in the cgroup v2 directory PATH and below it (no\n"
	  "                   pattern; a cgroup made again is followed at the next reload)\n"
	  "  --unit UNIT...   a running systemd unit's cgroup\n"
	  "  --all            every process\n"
	  "  --remove         stop watching these (what was counted stays until unload)\n"
	  "  --runtime        change the live rules only, not /etc/mptcpify/mptcpify.conf\n" },
	[CMD_COMPAT] = { "compat", "compat [--kernel]",
	  "Report what MPTCP refuses: per audited program (and cgroup), 'nothing refused' or\n"
	  "'would be refused: TCP_MD5SIG (12x), ...', then what MPTCP sockets of converted\n"
	  "programs (or of programs that ask for MPTCP themselves) had refused. Whether an\n"
	  "option is refused is asked of the running kernel: tried once on an MPTCP socket\n"
	  "and a TCP socket of mptcpify's own, and cached in /run/mptcpify/sockopt-probe until\n"
	  "the next boot.\n"
	  "  --kernel         only list which common options this kernel's MPTCP refuses\n" },
	[CMD_DENY] = { "deny", "deny (--comm NAME... | --cgroup PATH... | --unit UNIT...) [--remove] [--runtime]",
	  "Never MPTCP for these: their TCP sockets are not converted, and a socket() that\n"
	  "asks for IPPROTO_MPTCP itself gets TCP (SO_PROTOCOL 6; a program that checks, such\n"
	  "as Go's MultipathTCP(), sees TCP). Wins over attach, exclude and system-wide mode.\n"
	  "  --comm NAME...   by process (thread) name, 1 to 15 bytes\n"
	  "  --cgroup PATH... every process in the cgroup v2 directory PATH and below it, also\n"
	  "                   after PATH is removed and created again (no pattern)\n"
	  "  --unit UNIT...   a systemd unit's cgroup, at every start (running or not)\n"
	  "  --remove         take these off the deny list\n"
	  "  --runtime        change the live rules only, not /etc/mptcpify/mptcpify.conf\n" },
	[CMD_UNLOAD] = { "unload", "unload",
	  "Detach the program and remove every pin: all new sockets are TCP again.\n"
	  "The configuration file is kept.\n" },
	[CMD_OCI_HOOK] = { "oci-hook", "oci-hook [--wait SEC]",
	  "The OCI hook (createRuntime) for containers that opt in: podman and CRI-O run it\n"
	  "for a container annotated io.mptcpify.enable=true (hooks.d) or given the CDI\n"
	  "device mptcpify.io/mptcp=enable. Reads the container's state (JSON) on stdin and\n"
	  "selects the cgroup of its process, loading the program if needed, before the\n"
	  "container's program runs; the selection ends with the container. Never stops a\n"
	  "container: logs one line to syslog and exits 0, whatever happens.\n"
	  "  --wait SEC       wait at most SEC seconds (default 8; below the hook's timeout)\n" },
};

static const char *const global_help =
	"Global options (before the command):\n"
	"  -j, --json             machine-readable output (list, status, monitor, connections, compat)\n"
	"  -v, --verbose          show libbpf's messages\n"
	"      --pin-root DIR     pinned state (default " DEFAULT_PIN_ROOT ", env MPTCPIFY_PIN_ROOT)\n"
	"      --config-dir DIR   configuration (default " DEFAULT_CONFIG_DIR ", env MPTCPIFY_CONFIG_DIR)\n"
	"  -h, --help             this help; 'mptcpify COMMAND --help' for one command\n"
	"      --version          print the version\n";

const char *cli_command_name(enum cli_command cmd)
{
	return cmd >= 0 && cmd < _CMD_MAX ? texts[cmd].name : "mptcpify";
}

void cli_usage(FILE *f)
{
	fprintf(f, "Usage: mptcpify [OPTIONS] COMMAND [ARGS]\n\n"
		"Turn the TCP sockets of selected programs into Multipath TCP (Linux >= 6.6).\n\n"
		"Commands:\n");
	for (size_t i = 0; i < _CMD_MAX; i++)
		fprintf(f, "  %s\n", texts[i].synopsis);
	fprintf(f, "\n%s\nExit status: 0 ok, 1 internal error, 2 usage, 3 not permitted, "
		"4 kernel lacks the hook,\n5 no BTF, 6 tracing refused, 7 bad comm, 8 bad cgroup, "
		"9 bad unit, 10 map full,\n11 not loaded, 12 bad configuration file, 13 no mptcp_diag. See mptcpify(8).\n",
		global_help);
}

void cli_help(enum cli_command cmd)
{
	if (cmd < 0 || cmd >= _CMD_MAX) {
		cli_usage(stdout);
		return;
	}
	printf("Usage: mptcpify [OPTIONS] %s\n\n%s\n%s", texts[cmd].synopsis, texts[cmd].help,
	       global_help);
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

static void push(char ***v, size_t *n, char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(char *));

	if (!nv)
		abort();
	*v = nv;
	(*v)[(*n)++] = s;
}

/* attach, detach, exclude. Operands after a list option add to it, so that
 * `--comm a b c` selects three names. */
static int parse_rules(struct cli *c, int argc, char **argv)
{
	enum { OPT_COMM = 'c', OPT_CGROUP = 'g', OPT_UNIT = 'u', OPT_ALL = 'a',
	       OPT_ALL_RULES = 'A', OPT_RUNTIME = 'r', OPT_REMOVE = 'R', OPT_HELP = 'h',
	       OPT_OWN_CGROUP = 'O' };
	static const struct option opts[] = {
		{ "comm", required_argument, NULL, OPT_COMM },
		{ "cgroup", required_argument, NULL, OPT_CGROUP },
		{ "unit", required_argument, NULL, OPT_UNIT },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "all-rules", no_argument, NULL, OPT_ALL_RULES },
		{ "runtime", no_argument, NULL, OPT_RUNTIME },
		{ "remove", no_argument, NULL, OPT_REMOVE },
		{ "own-cgroup", no_argument, NULL, OPT_OWN_CGROUP },
		{ "help", no_argument, NULL, OPT_HELP },
		{}
	};
	const char *cmd = texts[c->cmd].name;
	bool veto = c->cmd == CMD_EXCLUDE || c->cmd == CMD_DENY, audit = c->cmd == CMD_AUDIT;
	int last = 0, o;

	optind = 0;
	/* '-': operands come back in order as option 1. */
	while ((o = getopt_long(argc, argv, "-h", opts, NULL)) != -1) {
		switch (o) {
		case 1:
			if (last == OPT_COMM)
				push(&c->comms, &c->n_comms, optarg);
			else if (last == OPT_CGROUP)
				push(&c->cgroups, &c->n_cgroups, optarg);
			else if (last == OPT_UNIT)
				push(&c->units, &c->n_units, optarg);
			else
				return usage_error(cmd, "unexpected argument '%s' (did you mean "
						   "--comm %s?)", optarg, optarg);
			break;
		case OPT_COMM: push(&c->comms, &c->n_comms, optarg); last = o; break;
		case OPT_CGROUP: push(&c->cgroups, &c->n_cgroups, optarg); last = o; break;
		case OPT_UNIT: push(&c->units, &c->n_units, optarg); last = o; break;
		case OPT_OWN_CGROUP: c->own_cgroup = true; last = 0; break;
		case OPT_ALL: c->all = true; last = 0; break;
		case OPT_ALL_RULES: c->all_rules = true; last = 0; break;
		case OPT_RUNTIME: c->runtime = true; last = 0; break;
		case OPT_REMOVE: c->remove = true; last = 0; break;
		case OPT_HELP: c->show_help = true; return EXIT_OK;
		default: return usage_error(cmd, "see 'mptcpify %s --help'", cmd);
		}
	}
	/* After "--", getopt stops: what follows is nobody's operand. */
	if (optind < argc)
		return usage_error(cmd, "unexpected argument '%s' (did you mean --comm %s?)",
				   argv[optind], argv[optind]);
	if (veto) {
		if (c->all || c->all_rules || c->own_cgroup)
			return usage_error(cmd, "%s takes --comm, --cgroup or --unit", cmd);
		if (!c->n_comms && !c->n_cgroups && !c->n_units)
			return usage_error(cmd, "give at least one of --comm NAME, --cgroup PATH, --unit UNIT");
		return EXIT_OK;
	}
	if (audit) {
		if (c->all_rules || c->own_cgroup)
			return usage_error(cmd, "audit takes --comm, --cgroup, --unit or --all");
		if (!c->n_comms && !c->n_cgroups && !c->n_units && !c->all)
			return usage_error(cmd, "give at least one of --comm NAME, --cgroup PATH, "
					   "--unit UNIT, --all");
		return EXIT_OK;
	}
	if (c->remove)
		return usage_error(cmd, "--remove goes with exclude, deny and audit; to deselect, use detach");
	if (c->all_rules && c->cmd == CMD_ATTACH)
		return usage_error(cmd, "--all-rules goes with detach");
	if (!c->n_comms && !c->n_cgroups && !c->n_units && !c->all && !c->all_rules && !c->own_cgroup)
		return usage_error(cmd, "give at least one of --comm NAME, --cgroup PATH, "
				   "--unit UNIT, --all%s", c->cmd == CMD_DETACH ? ", --all-rules" : "");
	return EXIT_OK;
}

/* A count: decimal digits only, 1 to LONG_MAX. */
static int parse_count(const char *s, long *out)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end || errno || v <= 0)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Seconds: a finite decimal number > 0 ("nan" and "inf" would never end). */
static int parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	if ((*s < '0' || *s > '9') && *s != '.')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (*end || errno || !isfinite(v) || v <= 0 || v > 1e9)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_monitor(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int o;

	optind = 0;
	while ((o = getopt_long(argc, argv, "+hn:t:", opts, NULL)) != -1) {
		switch (o) {
		case 'n':
			if (parse_count(optarg, &c->count) < 0)
				return usage_error("monitor", "--count takes a positive number, not '%s'", optarg);
			break;
		case 't':
			if (parse_seconds(optarg, &c->timeout) < 0)
				return usage_error("monitor", "--timeout takes seconds > 0, not '%s'", optarg);
			break;
		case 'h': c->show_help = true; return EXIT_OK;
		default: return usage_error("monitor", "see 'mptcpify monitor --help'");
		}
	}
	if (optind < argc)
		return usage_error("monitor", "unexpected argument '%s'", argv[optind]);
	return EXIT_OK;
}

static int parse_connections(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "selected", no_argument, NULL, 's' },
		{ "listening", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int o;

	optind = 0;
	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (o) {
		case 's': c->selected_only = true; break;
		case 'l': c->listening = true; break;
		case 'h': c->show_help = true; return EXIT_OK;
		default: return usage_error("connections", "see 'mptcpify connections --help'");
		}
	}
	if (optind < argc)
		return usage_error("connections", "unexpected argument '%s'", argv[optind]);
	return EXIT_OK;
}

static int parse_compat(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int o;

	optind = 0;
	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (o) {
		case 'k': c->kernel = true; break;
		case 'h': c->show_help = true; return EXIT_OK;
		default: return usage_error("compat", "see 'mptcpify compat --help'");
		}
	}
	if (optind < argc)
		return usage_error("compat", "unexpected argument '%s'", argv[optind]);
	return EXIT_OK;
}

/* How long the oci-hook waits for its worker when not told. */
#define OCI_HOOK_WAIT_DEFAULT 8.0

static int parse_oci_hook(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "wait", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int o;

	c->timeout = OCI_HOOK_WAIT_DEFAULT;
	optind = 0;
	opterr = 0;  /* a runtime shows no stderr: the hook logs c->bad_arg */
	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (o) {
		case 'w':
			if (parse_seconds(optarg, &c->timeout) < 0) {
				c->bad_arg = optarg;
				c->timeout = OCI_HOOK_WAIT_DEFAULT;
			}
			break;
		case 'h': c->show_help = true; break;
		default: c->bad_arg = argv[optind - 1]; break;
		}
	}
	opterr = 1;
	if (optind < argc)
		c->bad_arg = argv[optind];
	/* Never a usage error: a container must not fail to start because of
	 * a typo in a hooks.d file. */
	return EXIT_OK;
}

static int parse_daemon(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "keep-on-stop", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int o;

	optind = 0;
	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (o) {
		case 'k': c->keep_on_stop = true; break;
		case 'h': c->show_help = true; return EXIT_OK;
		default: return usage_error("daemon", "see 'mptcpify daemon --help'");
		}
	}
	if (optind < argc)
		return usage_error("daemon", "unexpected argument '%s'", argv[optind]);
	return EXIT_OK;
}

/* Commands whose only option is --help, with min..max operands; *first is
 * the index of the first operand. */
static int parse_operands(struct cli *c, int argc, char **argv, int min, int max, int *first)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, {} };
	const char *cmd = texts[c->cmd].name;
	int o;

	optind = 0;
	/* '+': operands end option parsing (run's command has options of its own). */
	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (o == 'h') {
			c->show_help = true;
			return EXIT_OK;
		}
		return usage_error(cmd, "see 'mptcpify %s --help'", cmd);
	}
	if (argc - optind > max)
		return usage_error(cmd, "unexpected argument '%s'", argv[optind + max]);
	if (argc - optind < min)
		return usage_error(cmd, "missing argument: see 'mptcpify %s --help'", cmd);
	*first = optind;
	return EXIT_OK;
}

static int parse_command(struct cli *c, int argc, char **argv)
{
	int first = 0, r;

	switch (c->cmd) {
	case CMD_ATTACH: case CMD_DETACH: case CMD_EXCLUDE: case CMD_AUDIT: case CMD_DENY:
		return parse_rules(c, argc, argv);
	case CMD_COMPAT:
		return parse_compat(c, argc, argv);
	case CMD_MONITOR:
		return parse_monitor(c, argc, argv);
	case CMD_DAEMON:
		return parse_daemon(c, argc, argv);
	case CMD_CONNECTIONS:
		return parse_connections(c, argc, argv);
	case CMD_OCI_HOOK:
		return parse_oci_hook(c, argc, argv);
	case CMD_RUN:
		r = parse_operands(c, argc, argv, 0, argc, &first);
		if (r || c->show_help)
			return r;
		if (first >= argc)
			return usage_error("run", "give the command to run: mptcpify run -- CMD ARGS...");
		c->run_argv = argv + first;
		return EXIT_OK;
	case CMD_ENABLE: case CMD_DISABLE:
		r = parse_operands(c, argc, argv, 1, 1, &first);
		if (!r && !c->show_help)
			c->unit = argv[first];
		return r;
	default:
		return parse_operands(c, argc, argv, 0, 0, &first);
	}
}

int cli_parse(int argc, char **argv, struct cli *c)
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
	int o;

	*c = (struct cli) { .cmd = CMD_NONE };
	optind = 0;
	/* '+': options after the command belong to the command. */
	while ((o = getopt_long(argc, argv, "+jvh", opts, NULL)) != -1) {
		switch (o) {
		case 'j': c->json = true; break;
		case 'v': c->verbose = true; break;
		case OPT_PIN_ROOT: c->pin_root = optarg; break;
		case OPT_CONFIG_DIR: c->config_dir = optarg; break;
		case 'h': c->show_help = true; return EXIT_OK;
		case OPT_VERSION: c->show_version = true; return EXIT_OK;
		default:
			cli_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (c->pin_root && c->pin_root[0] != '/')
		return usage_error("--pin-root", "give an absolute path, not '%s'", c->pin_root);
	if (c->config_dir && c->config_dir[0] != '/')
		return usage_error("--config-dir", "give an absolute path, not '%s'", c->config_dir);
	if (optind >= argc) {
		cli_usage(stderr);
		return EXIT_USAGE;
	}
	for (int i = 0; i < _CMD_MAX; i++)
		if (strcmp(texts[i].name, argv[optind]) == 0)
			c->cmd = i;
	if (c->cmd == CMD_NONE) {
		fprintf(stderr, "mptcpify: unknown command '%s': see 'mptcpify --help'\n", argv[optind]);
		return EXIT_USAGE;
	}
	return parse_command(c, argc - optind, argv + optind);
}

void cli_free(struct cli *c)
{
	free(c->comms);
	free(c->cgroups);
	free(c->units);
	c->comms = c->cgroups = c->units = NULL;
	c->n_comms = c->n_cgroups = c->n_units = 0;
}
