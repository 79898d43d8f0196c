/* SPDX-License-Identifier: MIT */
/* Names of io_uring opcodes, features and errnos, for reports. */
#ifndef ANYRING_TOOL_NAMES_H
#define ANYRING_TOOL_NAMES_H

/* "READV" for IORING_OP_READV; NULL past the last known opcode. */
const char *sqe_op_name(unsigned op);
/* "REGISTER_FILES" for IORING_REGISTER_FILES; NULL past the last. */
const char *register_op_name(unsigned op);
/* "SINGLE_MMAP" for bit 0 of io_uring_params.features; NULL if unknown. */
const char *feature_name(unsigned bit);
/* "EPERM" for 1; "E<number>" when unknown. Uses a static buffer then. */
const char *errno_name(int err);

#endif
