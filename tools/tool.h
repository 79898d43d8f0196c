/* SPDX-License-Identifier: MIT */
/* The anyring command's subcommands; each returns the exit status. */
#ifndef ANYRING_TOOL_H
#define ANYRING_TOOL_H

int cmd_probe(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/*
 * `run --emulate`: put the emulation's preload in LD_PRELOAD for cmd,
 * warning when cmd cannot load it. 0 or -errno.
 */
int run_emulate_prepare(const char *cmd);

#endif
