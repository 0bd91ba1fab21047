/**
 * Actions as users write them (recipe files, group files) and the one place that turns
 * such a spec into an executor. New executor kinds (pod exec, Job) add a variant here.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { HoldfastError, messageOf } from '../../core/errors.ts';
import type { Executor, StreamingExecutor } from './executor.ts';
import { HttpCallExecutor } from './http-call.ts';
import { LocalCommandExecutor } from './local-command.ts';
import type { InheritedEnv } from './local-command.ts';

const envSchema = z.record(z.string(), z.string());

export const commandActionSchema = z.strictObject({
  command: z.array(z.string()).min(1),
  env: envSchema.optional(),
  cwd: z.string().optional(),
  input: z.string().optional(),
});

export const shellActionSchema = z.strictObject({
  shell: z.string().min(1),
  env: envSchema.optional(),
  cwd: z.string().optional(),
  input: z.string().optional(),
});

export const httpActionSchema = z.strictObject({
  http: z.strictObject({
    method: z.string().default('POST'),
    url: z.string(),
    headers: envSchema.optional(),
    body: z.string().optional(),
    expectStatus: z.array(z.number().int()).optional(),
    caFile: z.string().optional(),
  }),
});

export const actionSchema = z.union([commandActionSchema, shellActionSchema, httpActionSchema]);
export type ActionSpec = z.infer<typeof actionSchema>;
export type LocalActionSpec = z.infer<typeof commandActionSchema> | z.infer<typeof shellActionSchema>;

export interface ExecutorDeps {
  readonly env: InheritedEnv;
}

function readCa(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new HoldfastError('CONFIG_INVALID', `cannot read the CA file ${path}: ${messageOf(err)}`, { cause: err });
  }
}

export function localExecutorFor(action: LocalActionSpec, timeoutMs: number, deps: ExecutorDeps): StreamingExecutor {
  const argv = 'command' in action ? action.command : ['/bin/sh', '-c', action.shell];
  const what = 'command' in action ? undefined : `shell '${action.shell.length > 80 ? `${action.shell.slice(0, 77)}...` : action.shell}'`;
  return new LocalCommandExecutor({
    argv, timeoutMs,
    ...(what ? { what } : {}),
    ...(action.env ? { env: action.env } : {}),
    ...(action.cwd ? { cwd: action.cwd } : {}),
    ...(action.input !== undefined ? { input: action.input } : {}),
  }, deps.env);
}

export function executorFor(action: ActionSpec, timeoutMs: number, deps: ExecutorDeps): Executor {
  if (!('http' in action)) return localExecutorFor(action, timeoutMs, deps);
  const h = action.http;
  return new HttpCallExecutor({
    method: h.method, url: h.url, timeoutMs,
    ...(h.headers ? { headers: h.headers } : {}),
    ...(h.body !== undefined ? { body: h.body } : {}),
    ...(h.expectStatus ? { expectStatus: h.expectStatus } : {}),
    ...(h.caFile ? { ca: readCa(h.caFile) } : {}),
  });
}
