/* libFuzzer target for the config podman writes to rootlessport's stdin. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "portfwd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_cfg cfg = { .ready_fd = -1, .exit_fd = -1, .state_fd = -1 };
	struct err why = { 0 };
	struct fwd_spec spec;

	if (!rootlessport_parse((const char *)data, size, &cfg)) {
		/* A parsed config names a netns path and only SPECs that parse. */
		if (!cfg.netns_arg || !strchr(cfg.netns_arg, '/'))
			abort();
		for (int i = 0; i < cfg.n_publish; i++)
			if (spec_parse(cfg.publish[i], &spec, &why) &&
			    strlen(cfg.publish[i]) <= SPEC_TEXT_MAX)
				abort();
	}
	pf_cfg_free_rootlessport(&cfg);
	return 0;
}
