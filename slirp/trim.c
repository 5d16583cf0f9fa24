/* Memory given back: the pages only setup ran, and the heap that connections leave behind. */
#include <link.h>
#include <malloc.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "slirp.h"

/*
 * Setup runs code the loop never runs again: option parsing, the sandbox, and libseccomp's
 * filter compiler with its syscall tables, linked in statically. Their pages stay resident,
 * counted in the helper's RSS, long after. The program's read-only segments are file-backed
 * and never written, so dropping their pages loses nothing: what the loop runs faults back in
 * from the page cache on first use. Writable segments (data, relocations) are left alone.
 */
static int trim_program(struct dl_phdr_info *info, size_t size, void *data)
{
	const uintptr_t page = (uintptr_t)getpagesize();

	(void)size;
	(void)data;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start, end;

		if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W))
			continue;
		start = (info->dlpi_addr + ph->p_vaddr) & ~(page - 1);
		end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + page - 1) & ~(page - 1);
		madvise((void *)start, end - start, MADV_DONTNEED);
	}
	return 1; /* the first object is the program itself; shared libraries are not ours */
}

/**
 * trim_setup_pages() - Drop the resident pages of the program's read-only segments
 */
void trim_setup_pages(void)
{
	dl_iterate_phdr(trim_program, NULL);
}

/*
 * libslirp gives every TCP connection two socket buffers of 128 KiB (TCP_SNDSPACE and
 * TCP_RCVSPACE in its tcp.h), of which a short connection touches a page or two. glibc serves
 * the first from mmap and, once one is freed, raises its mmap threshold above them (the
 * dynamic threshold): from then on they come from the heap, whose chunks are touched as they
 * are split and merged and stay resident, and kept, after the connections are gone. Measured
 * with 10,000 connections closed at once by their server, 50 at a time: 2.2 GB resident at
 * the end, and still after their sockets had closed. A fixed threshold at their size keeps
 * them in mappings of their own, each unmapped when freed: 161 MB at the end of the same
 * round (the buffers of sockets in TIME_WAIT), 8.6 MB after. Frames' mbufs (up to 64 KiB at
 * the largest MTU) stay below it, on the heap, recycled.
 */
#define TRIM_MMAP_THRESHOLD (128 * 1024)

/**
 * trim_heap_setup() - Keep libslirp's socket buffers out of the heap, for good
 */
void trim_heap_setup(void)
{
	mallopt(M_MMAP_THRESHOLD, TRIM_MMAP_THRESHOLD);
}

/**
 * trim_heap() - Give back the free pages inside the heap (small chunks of closed connections)
 */
void trim_heap(void)
{
	malloc_trim(0);
}
