/**
 * Whether a bearer secret someone configured looks random enough to stand against online
 * guessing (review S3). It cannot prove randomness; it refuses what is obviously not random:
 * short values, repetitions, few distinct characters, and words people put in such tokens.
 * Random hex of 32 characters has about 3.7 bits of Shannon entropy per character (rarely under
 * 2.9); a phrase repeating a word or a pattern falls well below 2.5.
 */
export const MIN_TOKEN_LENGTH = 32;
const MIN_BITS_PER_CHARACTER = 2.5;
const WORDS_OF_HUMAN_TOKENS = /password|passwd|secret|token|metric|prometheus|grafana|scrape|admin|cybervpn|letmein|qwerty/i;

function shannonBitsPerCharacter(value: string): number {
  const counts = new Map<string, number>();
  for (const character of value) counts.set(character, (counts.get(character) ?? 0) + 1);
  const length = [...value].length;
  let bits = 0;
  for (const count of counts.values()) bits -= (count / length) * Math.log2(count / length);
  return bits;
}

export function looksRandom(value: string): boolean {
  return (
    [...value].length >= MIN_TOKEN_LENGTH &&
    !/^(.+?)\1+$/s.test(value) &&
    shannonBitsPerCharacter(value) >= MIN_BITS_PER_CHARACTER &&
    !WORDS_OF_HUMAN_TOKENS.test(value)
  );
}
