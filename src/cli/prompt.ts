/** Reads a password from the terminal without echoing it. */
import { HoldfastError } from '../core/errors.ts';

export async function promptPassword(question: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) throw new HoldfastError('USAGE', 'no terminal to ask for the password on');
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  let value = '';
  try {
    for await (const chunk of stdin as AsyncIterable<Buffer>) {
      const text = chunk.toString('utf8');
      if (text === '\u0003') throw new HoldfastError('INTERRUPTED', 'interrupted');
      if (text === '\r' || text === '\n') break;
      value = text === '\u007f' ? value.slice(0, -1) : value + text;
    }
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
  return value;
}
