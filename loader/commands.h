/* SPDX-License-Identifier: GPL-2.0-only */
/* One function per subcommand; each returns the process exit status. */
#ifndef MPTCPIFY_COMMANDS_H
#define MPTCPIFY_COMMANDS_H

int do_attach(int argc, char **argv);
int do_detach(int argc, char **argv);
int do_exclude(int argc, char **argv);
int do_list(int argc, char **argv);
int do_status(int argc, char **argv);
int do_run(int argc, char **argv);
int do_monitor(int argc, char **argv);
int do_load(int argc, char **argv);
int do_unload(int argc, char **argv);
int do_enable(int argc, char **argv);
int do_disable(int argc, char **argv);
int do_daemon(int argc, char **argv);

/* Prints a subcommand's --help text (also used on usage errors). */
void help_for(const char *cmd);
/* For commands whose only option is --help: -1 to go on, with optind at the
 * first of min..max operands; else the exit status (help shown, or misuse). */
int parse_operands(const char *cmd, int argc, char **argv, int min, int max);
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
