/**
 * One Backup's work beyond capturing its objects, in the fixed order of stages.ts:
 * plan the volumes, open the freeze window (the snapshots are cut inside it; the thaw
 * always runs once the freeze started), the dumps, the volume moves, and the clean-up of
 * temporary objects whatever happened. The run's signal is aborted when the Backup is
 * deleted while it runs (checked every `pollMs`), which stops the mover Jobs, or when the
 * operator stops: then the clean-up is skipped and the next leader resumes from the status.
 */
import { HoldfastError } from '../../core/errors.ts';
import type { BackupRunContext, ConsistencyStage, VolumeStage } from './stages.ts';

export interface BackupStages {
  readonly volumes?: VolumeStage;
  readonly consistency?: ConsistencyStage;
}

const VOLUME_METHODS = new Set(['filesystem', 'snapshot', 'snapshot+move']);

/** True when the spec asks for more than the Kubernetes objects. */
export function needsStages(ctx: Pick<BackupRunContext, 'spec'>): boolean {
  return VOLUME_METHODS.has(ctx.spec.method) || wantsConsistency(ctx);
}

/** The recipe's freeze or the volumes' own setting (for backups with hooks only) asks to stay frozen until the snapshots are ready. */
function unquiesceWhenReady({ spec }: Pick<BackupRunContext, 'spec'>): boolean {
  return spec.recipe?.freeze?.unquiesceWhen === 'snapshot-ready' || spec.volumes?.unquiesceWhen === 'snapshot-ready';
}

function wantsConsistency({ spec }: Pick<BackupRunContext, 'spec'>): boolean {
  return spec.recipe !== undefined || spec.consistencyGroup !== undefined || (spec.hooks?.length ?? 0) > 0;
}

export async function runStages(ctx: BackupRunContext, stages: BackupStages): Promise<void> {
  const volumes = VOLUME_METHODS.has(ctx.spec.method) ? required(stages.volumes, `method ${ctx.spec.method}`) : undefined;
  const consistency = wantsConsistency(ctx) ? required(stages.consistency, 'recipes, hooks and consistency groups') : undefined;
  const readyInside = unquiesceWhenReady(ctx);
  try {
    await volumes?.plan(ctx);
    const inside = async (): Promise<void> => {
      await volumes?.cut(ctx);
      if (readyInside) await volumes?.ready(ctx);
      // Method filesystem reads the live volumes: the copy itself is what the freeze must cover.
      if (ctx.spec.method === 'filesystem') await volumes?.move(ctx);
    };
    if (consistency) await consistency.window(ctx, inside);
    else await inside();
    await consistency?.dumps(ctx);
    await volumes?.ready(ctx);
    if (ctx.spec.method !== 'snapshot') await volumes?.move(ctx);
  } finally {
    // Interrupted by the operator's shutdown, the next leader resumes with these objects.
    if (!ctx.interrupted()) await volumes?.cleanup(ctx);
  }
}

function required<T>(stage: T | undefined, what: string): T {
  if (stage === undefined) throw new HoldfastError('CONFIG_INVALID', `this operator was started without support for ${what}`);
  return stage;
}
