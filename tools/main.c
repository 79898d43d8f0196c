/* SPDX-License-Identifier: MIT */
/* anyring: probe io_uring here and demonstrate the registration system. */
#include <stdio.h>
#include <string.h>

#include "anyring.h"
#include "tool.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{"probe", cmd_probe,
	 "[--json]  is io_uring usable here, why not, and what is supported"},
	{"demo", cmd_demo,
	 "          register files and buffers, use them, show the tag CQEs"},
	{"bench", cmd_bench,
	 "[--json] [--reps N] [--ms N] [--only TEXT] [--dir DIR]  benchmarks"},
	{"run", cmd_run,
	 "[--emulate] [--block=eperm|enosys] -- CMD...  run CMD with io_uring\n"
	 "         refused, and/or with its system calls emulated"},
};

static int usage(FILE *out)
{
	fprintf(out, "usage: anyring COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-6s %s\n", commands[i].name, commands[i].help);
	return out == stdout ? 0 : 2;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return usage(stdout);
	if (!strcmp(argv[1], "--version")) {
		printf("anyring %s\n", anyring_version());
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "anyring: unknown command '%s'\n", argv[1]);
	return usage(stderr);
}
