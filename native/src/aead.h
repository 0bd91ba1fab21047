/* AES-256-GCM in the repository's sealed layout, shared by aead.c and verify.c. */
#ifndef HOLDFAST_AEAD_H
#define HOLDFAST_AEAD_H
#include <openssl/evp.h>

#define KEY_BYTES 32
#define NONCE_BYTES 12
#define TAG_BYTES 16

/* A cipher context and the key it was last set up with (the key schedule is kept). */
typedef struct {
  EVP_CIPHER_CTX *ctx;
  unsigned char key[KEY_BYTES];
  int keyed;
} Cipher;

/* Starts a message (enc 1 seals, 0 opens) with `nonce`: 1 on success. */
int holdfast_cipher_start(Cipher *c, int enc, const unsigned char *key, const unsigned char *nonce);

/*
 * Opens `sealed` (nonce || `len` bytes of ciphertext || tag) into `dst` (`len` bytes; may be
 * the ciphertext itself): 1 when the tag verifies, 0 when it does not, -1 when OpenSSL fails.
 */
int holdfast_cipher_open(Cipher *c, const unsigned char *key, const unsigned char *sealed, size_t len, unsigned char *dst,
                         const unsigned char *aad, size_t aad_len);

/*
 * Seals `len` bytes of `plain` into `dst` (nonce || ciphertext || tag: len + 28 bytes) with
 * a fresh random nonce and no associated data: 1 on success.
 */
int holdfast_cipher_seal(Cipher *c, const unsigned char *key, unsigned char *dst, const unsigned char *plain, size_t len);

#endif
