/** A Restore's stages around applying its objects, in the order of stages.ts; the volume clean-up always runs, unless the operator's shutdown interrupted the run. */
import { HoldfastError } from '../../core/errors.ts';
import type { RestoreResourcesResult } from '../../k8s/resources/restore.ts';
import { restoreNeedsStages, type RestoreRunContext, type RestoreStages } from './stages.ts';

export async function runRestoreStages(ctx: RestoreRunContext, stages: RestoreStages, applyObjects: () => Promise<RestoreResourcesResult>): Promise<RestoreResourcesResult> {
  const needs = restoreNeedsStages(ctx);
  const volumes = needs.volumes ? required(stages.volumes, 'volume data') : undefined;
  const dumps = needs.dumps ? required(stages.dumps, 'database dumps') : undefined;
  try {
    await volumes?.before(ctx);
    const result = await applyObjects();
    await volumes?.after(ctx);
    await dumps?.load(ctx);
    return result;
  } finally {
    // Interrupted by the operator's shutdown, the next leader resumes with these objects.
    if (!ctx.interrupted()) await volumes?.cleanup(ctx);
  }
}

function required<T>(stage: T | undefined, what: string): T {
  if (stage === undefined) throw new HoldfastError('CONFIG_INVALID', `the backup holds ${what}, which this operator was started without support for`);
  return stage;
}
