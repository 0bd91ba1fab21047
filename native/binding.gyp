# One N-API addon: AES-256-GCM sealing (src/aead.c), blocking pipe reads (src/pipe.c), and check's blob verification on libuv's pool (src/verify.c, with BLAKE3 in src/blake3.c). OpenSSL and zstd come from the node binary that loads it (Node
# exports libcrypto's symbols to addons); its headers from that Node's include dir when it
# ships one (the npm-registry Node does), else from the headers node-gyp was given.
{
  "targets": [
    {
      "target_name": "holdfast_native",
      "sources": ["src/aead.c", "src/pipe.c", "src/blake3.c", "src/blob.c", "src/verify.c", "src/restore.c", "src/listdir.c", "src/fastcdc.c", "src/encoder.c", "src/seal_files.c", "src/chunk_sealer.c", "src/seal_chunks.c"],
      "include_dirs": ["<!(node -p \"require('path').join(process.execPath, '..', '..', 'include', 'node')\")"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Werror"]
    }
  ]
}
