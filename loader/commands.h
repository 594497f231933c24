/* SPDX-License-Identifier: GPL-2.0-only */
/* One function per subcommand, given the parsed command line; each returns
 * the process exit status. */
#ifndef MPTCPIFY_COMMANDS_H
#define MPTCPIFY_COMMANDS_H

#include "cli.h"

int do_attach(const struct cli *c);
int do_detach(const struct cli *c);
int do_exclude(const struct cli *c);
int do_list(const struct cli *c);
int do_status(const struct cli *c);
int do_run(const struct cli *c);
int do_monitor(const struct cli *c);
int do_load(const struct cli *c);
int do_unload(const struct cli *c);
int do_enable(const struct cli *c);
int do_disable(const struct cli *c);
int do_daemon(const struct cli *c);
int do_connections(const struct cli *c);
int do_metrics(const struct cli *c);
int do_audit(const struct cli *c);
int do_compat(const struct cli *c);
int do_oci_hook(const struct cli *c);
int do_deny(const struct cli *c);

#endif
