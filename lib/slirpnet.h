/* rootlet-slirp's default network (slirp4netns's): where its guest, the host and its DNS
 * forwarder are, for whatever must know them without asking slirp. */
#ifndef ROOTLET_SLIRPNET_H
#define ROOTLET_SLIRPNET_H

#define SLIRP_TAP     "tap0" /* the tap it makes unless told another name */
#define SLIRP_NET4    "10.0.2.0"
#define SLIRP_PREFIX4 24
#define SLIRP_HOST4   "10.0.2.2" /* the host's loopback, when allowed */
#define SLIRP_DNS4    "10.0.2.3"
#define SLIRP_GUEST4  "10.0.2.100"
#define SLIRP_NET6    "fd00::"
#define SLIRP_PREFIX6 64
#define SLIRP_HOST6   "fd00::2"
#define SLIRP_DNS6    "fd00::3"
#define SLIRP_GUEST6  "fd00::100"

#endif
