/** Commander value parsers shared by the commands. */

/** Collects a repeatable option (`--tag a --tag b`) into a list. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
