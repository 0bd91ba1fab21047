/** The pino-backed Logger: JSON lines on stderr, context fields kept apart from messages. */
import pino from 'pino';
import type { LogFields, Logger } from '../core/logger.ts';

export function createLogger(level = 'info', base: LogFields = {}): Logger {
  return wrap(pino({ level, base: { component: 'holdfast', ...base } }, pino.destination(2)));
}

function wrap(p: pino.Logger): Logger {
  return {
    debug: (fields, msg) => p.debug(fields, msg),
    info: (fields, msg) => p.info(fields, msg),
    warn: (fields, msg) => p.warn(fields, msg),
    error: (fields, msg) => p.error(fields, msg),
    child: (fields) => wrap(p.child(fields)),
  };
}
