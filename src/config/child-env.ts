/**
 * The environment that commands started by holdfast (database clients, hooks) inherit.
 * Read here, once, so that the consistency layer receives it as a value.
 */
export function inheritedEnvironment(): Readonly<Record<string, string | undefined>> {
  return { ...process.env };
}
