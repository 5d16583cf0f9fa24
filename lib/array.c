/* Arrays indexed by fd number, grown as fds are seen. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"

/**
 * array_grow() - Make room for @index, the new entries zeroed
 * @items:	the array (NULL when empty)
 * @n:		its length, updated
 * @index:	the index that must fit
 * @size:	one entry's size
 * @step:	entries to add beyond @index, so that growing is rare
 *
 * Return: 0 on success, -ENOMEM (the array is left as it was)
 */
int array_grow(void **items, int *n, int index, size_t size, int step)
{
	int want = index + step;
	char *grown;

	if (index < *n)
		return 0;
	grown = realloc(*items, (size_t)want * size);
	if (!grown)
		return -ENOMEM;
	memset(grown + (size_t)*n * size, 0, (size_t)(want - *n) * size);
	*items = grown;
	*n = want;
	return 0;
}
