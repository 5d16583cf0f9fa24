/* After setup: give back the resident pages of rootlet-slirp's own code that only setup ran. */
#include <link.h>
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
