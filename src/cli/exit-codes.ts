/** Documented exit codes of the `holdfast` command (see README). */
import type { ErrorCode } from '../core/errors.ts';

export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  partial: 3,
  repoNotFound: 10,
  locked: 11,
  wrongPassword: 12,
  damaged: 13,
  database: 14,
  inconsistent: 15,
} as const;

export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'USAGE': case 'CONFIG_INVALID': return EXIT.usage;
    case 'REPO_NOT_FOUND': return EXIT.repoNotFound;
    case 'REPO_LOCKED': return EXIT.locked;
    case 'WRONG_PASSWORD': return EXIT.wrongPassword;
    case 'REPO_CORRUPT': case 'AUTH_FAILED': return EXIT.damaged;
    case 'DATABASE_UNREACHABLE': case 'DATABASE_AUTH': return EXIT.database;
    case 'GROUP_INCONSISTENT': return EXIT.inconsistent;
    default: return EXIT.failure;
  }
}
