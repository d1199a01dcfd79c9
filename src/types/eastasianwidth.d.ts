/** eastasianwidth (CommonJS, no types of its own): the East Asian Width property of a character's first code point. */
declare module 'eastasianwidth' {
  export function eastAsianWidth(character: string): 'F' | 'W' | 'A' | 'N' | 'Na' | 'H';
}
