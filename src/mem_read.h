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

/* Reads of a watched block's contents, which may be sparse: a page of it
 * that was never written (or was given back with MADV_DONTNEED) holds
 * zeros, and reading it would map the kernel's zero page into the
 * program's page tables, where every such entry is copied by each fork()
 * (16 sparse watched blocks read at their 256 chunks made a fork 3x slower
 * than plain).  Where no swap is configured, a page that mincore finds
 * absent can only be such a page: ranges all of whose pages are absent are
 * filled with zeros without being read.  With swap (an absent page may be
 * swapped out), or if mincore fails, this is mem_read_vec. */
int mem_read_vec_sparse(struct iovec *local, struct iovec *remote, int n);
/* Bytes of [addr, addr+size) in RAM (mincore), 0 if it cannot be told. */
uint64_t mem_resident_bytes(uintptr_t addr, uint64_t size);
/* Sampler, once per pass: looks again whether any swap is configured
 * (/proc/swaps); until the first call, absent pages are read. */
void mem_read_refresh_swap(void);

#endif
