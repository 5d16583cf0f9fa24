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
 * TCP_RCVSPACE in its tcp.h). glibc serves the first from mmap and, once one is freed, raises
 * its mmap threshold above them (the dynamic threshold): from then on they come from the
 * heap. With libslirp's TIME_WAIT holding 10 s of connections, the heap grew to 2.2 GB under
 * churn (10,000 connections closed by their server, 50 at a time) and kept it after. Two
 * ways were measured once conns.c ends those TIME_WAITs (so that only the connections really
 * open hold buffers): a fixed threshold of 128 KiB, each buffer a mapping of its own unmapped
 * when freed (peak 10 MB, 6 MB after), cost a munmap() per buffer, whose TLB shootdowns took
 * a fifth of the helper's CPU, and page faults on every new buffer: 20 to 40% fewer
 * connections a second than with the buffers on the heap, recycled. So the threshold is fixed
 * above them (no dynamic surprises), and the heap is trimmed after sockets close (loop.c).
 * What churn still costs is libslirp's: its tcp_mss() re-reserves both buffers at each
 * connection's start, rounded up to a multiple of the MSS, and the realloc() copies 128 KiB,
 * faulting in every page (60% of the helper's CPU under churn, in perf; its socket lists,
 * short now that TIME_WAITs end early, do not show).
 */
#define TRIM_MMAP_THRESHOLD (512 * 1024)

/**
 * trim_heap_setup() - Fix glibc's mmap threshold above libslirp's socket buffers
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
