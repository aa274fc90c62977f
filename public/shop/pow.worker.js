// Solves one proof-of-work puzzle off the page's main thread: the smallest base-36 nonce such
// that SHA-256("<challenge>:<nonce>") starts with `difficulty` zero bits (src/admission/pow.ts
// checks it the same way). Message in: {challenge, difficulty}; out: {nonce, hashes}.

const encoder = new TextEncoder();

/** Leading zero bits of a digest. */
function leadingZeroBits(bytes) {
  let bits = 0;
  for (const byte of bytes) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

self.onmessage = async (message) => {
  const { challenge, difficulty } = message.data;
  // A batch of digests in flight at once: Web Crypto is asynchronous, one at a time is slow.
  const BATCH = 256;
  for (let start = 0; ; start += BATCH) {
    const nonces = Array.from({ length: BATCH }, (_, i) => (start + i).toString(36));
    const digests = await Promise.all(
      nonces.map((nonce) => crypto.subtle.digest("SHA-256", encoder.encode(`${challenge}:${nonce}`))),
    );
    const found = digests.findIndex((digest) => leadingZeroBits(new Uint8Array(digest)) >= difficulty);
    if (found >= 0) {
      self.postMessage({ nonce: nonces[found], hashes: start + found + 1 });
      return;
    }
  }
};
