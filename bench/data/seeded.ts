/** A small seeded PRNG (mulberry32) so every run modifies the same files the same way. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks `count` distinct items (partial Fisher–Yates), in the order drawn. */
export function pickSeeded<T>(items: readonly T[], count: number, seed: number): T[] {
  const pool = [...items];
  const random = mulberry32(seed);
  const n = Math.min(count, pool.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j] as T, pool[i] as T];
  }
  return pool.slice(0, n);
}

/** Printable pseudo-random text (base64 of seeded bytes), `size` bytes long. */
export function seededText(size: number, seed: number): string {
  const random = mulberry32(seed);
  const bytes = Buffer.alloc(Math.ceil((size * 3) / 4) + 3);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
  const text = bytes.toString('base64').slice(0, size);
  return text.replace(/(.{76})/g, '$1\n');
}
