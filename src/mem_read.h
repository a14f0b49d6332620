/* mem_read.h: reading the program's memory without trusting it to be mapped.
 *
 * Reads go through process_vm_readv on our own pid: a page that is no longer
 * mapped is an error (EFAULT), not a fault in the host.  Where a sandbox
 * forbids the call (ENOSYS, EPERM), reads fall back to memcpy for the rest
 * of the process's life, and the caller must then hold whatever keeps the
 * memory alive (mem_reads_safely() tells which). */
#ifndef RETAIN_MEM_READ_H
#define RETAIN_MEM_READ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Copies remote[i] into local[i] (equal lengths).  Returns 0, or -1 if any
 * part was not mapped. */
int mem_read_vec(struct iovec *local, struct iovec *remote, int n);
int mem_read(uintptr_t from, void *to, size_t n);
/* 1 while reads go through process_vm_readv. */
int mem_reads_safely(void);

#endif
