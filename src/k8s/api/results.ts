/** Status pieces shared by Backup and Restore: hook results, progress, byte counts. */
import { z } from 'zod';
import { HOOK_PHASES } from './actions.ts';
import { count, timestamp, total } from './schema-kit.ts';

export const hookResultSchema = z
  .object({
    name: z.string().describe('Name of the step (hook name, or recipe action name).'),
    phase: z.enum(HOOK_PHASES).describe('Phase the step ran in.'),
    source: z.string().optional().describe('Where the step came from: hook, recipe/<name>, or group member <name>.'),
    target: z.string().optional().describe('Where it ran: <namespace>/<pod>/<container>, the URL host, or the Job name.'),
    outcome: z.enum(['Succeeded', 'Failed', 'TimedOut', 'Skipped']).describe('How the step ended.'),
    attempts: count('Attempts made.').optional(),
    exitCode: z.int().optional().describe('Exit code of the last exec or Job attempt.'),
    httpStatus: z.int().optional().describe('Response status of the last HTTP attempt.'),
    startedAt: timestamp('When the first attempt started.').optional(),
    finishedAt: timestamp('When the last attempt ended.').optional(),
    message: z.string().max(4096).optional().describe('Error or the tail of the output.'),
  })
  .describe('The result of one hook or recipe step.');

export const progressSchema = z
  .object({
    bytesDone: total('Bytes processed so far.').optional(),
    bytesTotal: total('Bytes to process, when known.').optional(),
    itemsDone: total('Objects, files or volumes processed so far.').optional(),
    itemsTotal: total('Objects, files or volumes to process, when known.').optional(),
    etaSeconds: total('Estimated seconds left.').optional(),
    updatedAt: timestamp('When progress was last reported.').optional(),
  })
  .describe('Progress of the running operation.');

export const byteStatsSchema = z
  .object({
    bytesRead: total('Bytes read from the sources (objects, volumes, dumps).').optional(),
    bytesWritten: total('Bytes written to the repository (after dedup, compression and encryption).').optional(),
    bytesNew: total('Bytes of new data that were not already in the repository (before compression).').optional(),
    dedupRatio: z.number().min(0).optional().describe('bytesRead divided by bytesNew (higher means more was already stored).'),
    filesNew: total('Files new since the parent snapshot (filesystem moves).').optional(),
    filesChanged: total('Files changed since the parent snapshot.').optional(),
    filesUnchanged: total('Files unchanged since the parent snapshot.').optional(),
  })
  .describe('What the backup read and stored.');

export type HookResult = z.output<typeof hookResultSchema>;
export type Progress = z.output<typeof progressSchema>;
export type ByteStats = z.output<typeof byteStatsSchema>;
