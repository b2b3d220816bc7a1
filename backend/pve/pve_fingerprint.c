/* SHA-256 (FIPS 180-4) and the PEM decoding needed to fingerprint a
 * certificate. Written here rather than linked from OpenSSL because the
 * backend library links only libcurl: libcurl hands us the peer
 * certificate as PEM text, and hashing it ourselves keeps the pinning
 * independent of which TLS library libcurl was built with. */
#include "backend/pve/pve_fingerprint.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sha256 {
	uint32_t h[8];
	uint64_t bits;
	uint8_t buf[64];
	size_t used;
};

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha256_block(struct sha256 *s, const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, h;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = s->h[0]; b = s->h[1]; c = s->h[2]; d = s->h[3];
	e = s->h[4]; f = s->h[5]; g = s->h[6]; h = s->h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) +
			      ((e & f) ^ (~e & g)) + K[i] + w[i];
		uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) +
			      ((a & b) ^ (a & c) ^ (b & c));

		h = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	s->h[0] += a; s->h[1] += b; s->h[2] += c; s->h[3] += d;
	s->h[4] += e; s->h[5] += f; s->h[6] += g; s->h[7] += h;
}

static void sha256_update(struct sha256 *s, const uint8_t *p, size_t len)
{
	s->bits += (uint64_t)len * 8;
	while (len > 0) {
		size_t take = 64 - s->used;

		if (take > len)
			take = len;
		memcpy(s->buf + s->used, p, take);
		s->used += take;
		p += take;
		len -= take;
		if (s->used == 64) {
			sha256_block(s, s->buf);
			s->used = 0;
		}
	}
}

void pve_sha256(const void *data, size_t len, uint8_t out[PVE_FP_LEN])
{
	static const uint32_t init[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};
	struct sha256 s = { .bits = 0, .used = 0 };
	uint8_t pad[72] = { 0x80 };
	uint64_t bits;
	size_t padlen;

	memcpy(s.h, init, sizeof(init));
	sha256_update(&s, data, len);
	bits = s.bits;
	/* 0x80, zeros up to 56 mod 64, then the bit length big-endian */
	padlen = (s.used < 56 ? 56 - s.used : 120 - s.used);
	for (int i = 0; i < 8; i++)
		pad[padlen + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_update(&s, pad, padlen + 8);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(s.h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(s.h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(s.h[i] >> 8);
		out[4 * i + 3] = (uint8_t)s.h[i];
	}
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int pve_fp_parse(const char *text, uint8_t out[PVE_FP_LEN])
{
	const char *p = text;

	if (!text)
		return -1;
	for (int i = 0; i < PVE_FP_LEN; i++) {
		int hi = hexval((unsigned char)p[0]), lo;

		if (hi < 0)
			return -1;
		lo = hexval((unsigned char)p[1]);
		if (lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
		p += 2;
		if (i < PVE_FP_LEN - 1) {
			if (*p != ':')
				return -1;
			p++;
		}
	}
	return *p == '\0' ? 0 : -1;
}

void pve_fp_format(const uint8_t fp[PVE_FP_LEN], char out[PVE_FP_TEXT])
{
	static const char hex[] = "0123456789ABCDEF";
	char *p = out;

	for (int i = 0; i < PVE_FP_LEN; i++) {
		*p++ = hex[fp[i] >> 4];
		*p++ = hex[fp[i] & 15];
		*p++ = (i < PVE_FP_LEN - 1) ? ':' : '\0';
	}
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int pve_fp_of_pem(const char *pem, uint8_t out[PVE_FP_LEN])
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	static const char end[] = "-----END CERTIFICATE-----";
	const char *p, *q;
	uint8_t *der;
	size_t n = 0;
	uint32_t acc = 0;
	int bits = 0, pads = 0;

	if (!pem || !(p = strstr(pem, begin)))
		return -1;
	p += sizeof(begin) - 1;
	if (!(q = strstr(p, end)))
		return -1;
	der = malloc((size_t)(q - p) * 3 / 4 + 3);
	if (!der)
		return -1;
	for (; p < q; p++) {
		int v;

		if (isspace((unsigned char)*p))
			continue;
		if (*p == '=') {
			pads++;
			continue;
		}
		v = b64val((unsigned char)*p);
		if (v < 0 || pads > 0)	/* garbage, or data after padding */
			goto bad;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			der[n++] = (uint8_t)(acc >> bits);
		}
	}
	if (n == 0 || pads > 2)
		goto bad;
	pve_sha256(der, n, out);
	free(der);
	return 0;
bad:
	free(der);
	return -1;
}
