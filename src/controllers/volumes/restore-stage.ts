/**
 * The volume part of a Restore, mode `new` (restore/stages.ts). For each PVC being
 * restored that the backup holds data of, one source, in this order:
 *
 *   volume-snapshot  the Backup's VolumeSnapshot, when it is in this cluster in the target
 *                    namespace; else the storage snapshot imported by its handle (a
 *                    pre-provisioned content, Retain) as a VolumeSnapshot in the target
 *                    namespace. The PVC is created with `dataSource` pointing at it.
 *   repository       the volume's repository snapshot: the PVC is created with a selector
 *                    that only the PV filled for it matches, so it stays Pending (and its
 *                    pods with it) until a mover Job has filled a temporary PVC in the
 *                    operator namespace and that PV is handed over (exposer.ts). A
 *                    Block PVC (recorded volumeMode) is recreated as one, and the
 *                    mover writes the volume's image over it as a device.
 *
 * `before` rewrites the PVC objects about to be applied; `after` imports snapshots into
 * namespaces the restore created, runs the fills, and waits until every PVC is bound;
 * `cleanup` removes Jobs, temporary PVCs and imported snapshots. A PVC that exists
 * already is left as it is.
 */
import type { MoverSettings } from '../../config/operator-env.ts';
import type { Clock } from '../../core/clock.ts';
import { HoldfastError, messageOf } from '../../core/errors.ts';
import { backupRepositorySpecSchema } from '../../k8s/api/backup-repository.ts';
import type { BackupVolumeStatus } from '../../k8s/api/backup.ts';
import type { RestoreVolumeResult } from '../../k8s/api/restore.ts';
import type { HoldfastObjects } from '../../k8s/client/custom-objects.ts';
import { NameMap } from '../../k8s/resources/naming.ts';
import { selectForRestore } from '../../k8s/resources/restore-selection.ts';
import { isRecord, type KubeObject } from '../../k8s/resources/types.ts';
import type { RestoreRunContext, RestoreVolumeStage } from '../restore/stages.ts';
import { PATHS, type VolumeCluster } from './cluster.ts';
import { emptyClaim, HANDOVER_LABEL, handOver, waitBound, type ClaimShape } from './exposer.ts';
import { restoreTargetArgs } from './move-mode.ts';
import { moverJob, repositoryAccess } from './mover-job.ts';
import { runMoverJob } from './mover-run.ts';
import { boundedName, ownerLabels, ownerSelector, temporaryName, volumeKey, type Owner } from './names.ts';
import { importSnapshot, removeImport, type SnapshotJson } from './snapshots.ts';
import { eachLimited, StatusWriters, volumeProgress, type StatusWriter } from './status-writer.ts';
import { InPlaceRestoreStage } from './in-place-stage.ts';
import { annotateRestoredClaims } from './restore-provenance.ts';
import { removeTemporaryObjects } from './temporary-objects.ts';

export interface RestoreVolumeDeps {
  readonly cluster: VolumeCluster;
  readonly objects: HoldfastObjects;
  readonly operatorNamespace: string;
  readonly mover: MoverSettings;
  readonly clock: Clock;
  readonly pollMs?: number;
  /** How long a PVC may take to bind once its data is there; default 10 min. */
  readonly bindTimeoutMs?: number;
}

interface Planned {
  readonly volume: BackupVolumeStatus;
  readonly result: RestoreVolumeResult;
  readonly shape: ClaimShape;
  /** An import still to make (its namespace did not exist before the objects were applied). */
  importLater?: { readonly name: string };
}

function ownerOf(ctx: RestoreRunContext): Owner {
  return { kind: 'restore', uid: ctx.obj.metadata?.uid ?? '' };
}

function claimSpec(obj: KubeObject): Record<string, unknown> {
  if (!isRecord(obj.spec)) obj.spec = {};
  return obj.spec as Record<string, unknown>;
}

function shapeOf(obj: KubeObject, mapping: Readonly<Record<string, string>>, v: BackupVolumeStatus): ClaimShape {
  const spec = claimSpec(obj);
  const cls = typeof spec.storageClassName === 'string' ? spec.storageClassName : v.storageClassName;
  const requests = isRecord(spec.resources) && isRecord(spec.resources.requests) ? spec.resources.requests : {};
  const size = typeof requests.storage === 'string' ? requests.storage : (v.capacity ?? '1Gi');
  return { storageClassName: cls === undefined ? undefined : (mapping[cls] ?? cls), volumeMode: typeof spec.volumeMode === 'string' ? spec.volumeMode : v.volumeMode, size };
}

export class RestoreVolumeStageImpl implements RestoreVolumeStage {
  readonly #d: RestoreVolumeDeps;
  readonly #plans = new WeakMap<RestoreRunContext, Planned[]>();
  readonly #writers = new StatusWriters<RestoreRunContext>();
  /** Mode in-place (in-place-stage.ts). */
  readonly #inPlace: InPlaceRestoreStage;

  constructor(deps: RestoreVolumeDeps) {
    this.#d = deps;
    this.#inPlace = new InPlaceRestoreStage(deps);
  }

  #writer(ctx: RestoreRunContext): StatusWriter {
    return this.#writers.of(ctx);
  }

  async before(ctx: RestoreRunContext): Promise<void> {
    if (ctx.spec.volumes?.mode === 'in-place') return this.#inPlace.before(ctx);
    annotateRestoredClaims(ctx);
    const recorded = ctx.record?.volumes ?? [];
    const selected = selectForRestore(ctx.objects, ctx.spec.selection);
    const names = new NameMap(selected, ctx.spec);
    const plans: Planned[] = [];
    for (const obj of selected) {
      if (obj.kind !== 'PersistentVolumeClaim' || obj.apiVersion !== 'v1') continue;
      const volume = recorded.find((v) => v.namespace === obj.metadata.namespace && v.claimName === obj.metadata.name);
      if (volume === undefined) continue;
      const target = names.placement(obj);
      const result: RestoreVolumeResult = { namespace: target.namespace ?? '', claimName: target.name, phase: 'Pending' };
      const shape = shapeOf(obj, ctx.spec.transforms?.storageClassMapping ?? {}, volume);
      const plan: Planned = { volume, result, shape };
      plans.push(plan);
      if (await this.#d.cluster.get(PATHS.claims(result.namespace), result.claimName)) {
        Object.assign(result, { phase: 'Completed', message: 'the PVC exists already; left as it is' });
        continue;
      }
      await this.#chooseSource(ctx, obj, plan);
    }
    this.#plans.set(ctx, plans);
    ctx.status.volumes = plans.map((p) => p.result);
    await this.#writer(ctx).save();
  }

  async #chooseSource(ctx: RestoreRunContext, obj: KubeObject, plan: Planned): Promise<void> {
    const { volume, result } = plan;
    const spec = claimSpec(obj);
    delete spec.dataSourceRef;
    delete spec.dataSource;
    const local = await this.#localSnapshot(volume, result.namespace);
    if (local !== undefined) {
      spec.dataSource = { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: local };
      result.from = 'volume-snapshot';
      return;
    }
    if (volume.snapshotHandle !== undefined && volume.driver !== undefined) {
      const name = boundedName(['holdfast-restore', result.claimName, volumeKey(ownerOf(ctx), result.namespace, result.claimName)], 253);
      spec.dataSource = { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name };
      result.from = 'volume-snapshot';
      if (await this.#d.objects.namespace(result.namespace)) await this.#import(ctx, plan, name);
      else plan.importLater = { name };
      return;
    }
    if (volume.snapshotId === undefined) {
      throw new HoldfastError('SNAPSHOT_NOT_FOUND', `PVC ${volume.namespace}/${volume.claimName}: the backup has neither a VolumeSnapshot this cluster can use nor a copy in the repository`);
    }
    spec.selector = { matchLabels: { [HANDOVER_LABEL]: volumeKey(ownerOf(ctx), result.namespace, result.claimName) } };
    Object.assign(result, { from: 'repository', snapshotId: volume.snapshotId, ...(volume.bytesTotal !== undefined ? { bytesTotal: volume.bytesTotal } : {}) });
  }

  /** The Backup's own VolumeSnapshot, when it is in the target namespace and ready. */
  async #localSnapshot(volume: BackupVolumeStatus, namespace: string): Promise<string | undefined> {
    if (volume.volumeSnapshotName === undefined || volume.namespace !== namespace) return undefined;
    const snap = await this.#d.cluster.get<SnapshotJson>(PATHS.snapshots(namespace), volume.volumeSnapshotName);
    return snap?.status?.readyToUse === true && !snap.metadata?.deletionTimestamp ? volume.volumeSnapshotName : undefined;
  }

  async #import(ctx: RestoreRunContext, plan: Planned, name: string): Promise<void> {
    const v = plan.volume;
    await importSnapshot(this.#d.cluster, { name, namespace: plan.result.namespace, driver: v.driver ?? '', snapshotHandle: v.snapshotHandle ?? '', className: undefined, labels: ownerLabels(ownerOf(ctx)) });
    plan.importLater = undefined;
  }

  async after(ctx: RestoreRunContext): Promise<void> {
    if (ctx.spec.volumes?.mode === 'in-place') return this.#inPlace.after(ctx);
    const plans = (this.#plans.get(ctx) ?? []).filter((p) => p.result.phase !== 'Completed');
    for (const p of plans) if (p.importLater) await this.#import(ctx, p, p.importLater.name);
    const fills = plans.filter((p) => p.result.from === 'repository');
    if (fills.length > 0) await this.#fillAll(ctx, fills);
    const deadline = Date.now() + (this.#d.bindTimeoutMs ?? 600_000);
    for (const p of plans.filter((x) => x.result.from === 'volume-snapshot')) {
      await this.#settle(ctx, p, () => waitBound(this.#d.cluster, p.result.namespace, p.result.claimName, { deadline, signal: ctx.signal }));
    }
  }

  async #settle(ctx: RestoreRunContext, p: Planned, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
      Object.assign(p.result, { phase: 'Completed' });
      if (p.result.bytesTotal !== undefined) p.result.bytesDone = p.result.bytesTotal;
    } catch (err) {
      if (!ctx.interrupted()) Object.assign(p.result, { phase: 'Failed', message: messageOf(err).slice(0, 4000) });
      throw err;
    } finally {
      ctx.status.progress = volumeProgress(ctx.status.volumes ?? [], this.#d.clock.now());
      await this.#writer(ctx).save();
    }
  }

  async #fillAll(ctx: RestoreRunContext, fills: readonly Planned[]): Promise<void> {
    const repository = await this.#repositoryName(ctx);
    const repo = await this.#d.objects.getOrFail({ plural: 'backuprepositories', name: repository }, 'BackupRepository');
    const access = repositoryAccess(backupRepositorySpecSchema.parse(repo.spec), this.#d.operatorNamespace);
    await eachLimited(fills, ctx.spec.volumes?.parallelism ?? 2, (p) => this.#settle(ctx, p, () => this.#fill(ctx, p, access)));
  }

  async #repositoryName(ctx: RestoreRunContext): Promise<string> {
    if (ctx.spec.source.repositoryRef !== undefined) return ctx.spec.source.repositoryRef.name;
    const [namespace = '', name = ''] = (ctx.backup ?? '').split('/');
    const backup = await this.#d.objects.getOrFail({ plural: 'backups', namespace, name }, 'Backup');
    return ((backup.spec ?? {}) as { repositoryRef?: { name?: string } }).repositoryRef?.name ?? '';
  }

  async #fill(ctx: RestoreRunContext, p: Planned, access: ReturnType<typeof repositoryAccess>): Promise<void> {
    const owner = ownerOf(ctx);
    const name = temporaryName(owner, p.result.namespace, p.result.claimName);
    const labels = ownerLabels(owner);
    const deadline = Date.now() + (this.#d.bindTimeoutMs ?? 600_000);
    const namespace = this.#d.operatorNamespace;
    Object.assign(p.result, { phase: 'Refilling' });
    await this.#writer(ctx).save();
    const pv = await emptyClaim(this.#d.cluster, { namespace, name, labels, signal: ctx.signal, deadline }, p.shape);
    const target = restoreTargetArgs(p.shape.volumeMode);
    const args = ['restore-volume', '--snapshot', p.result.snapshotId ?? '', ...target.args];
    const job = moverJob({ name, namespace, labels, claimName: name, args, readOnly: false, block: target.mode === 'block', pod: ctx.spec.volumes?.mover }, access, this.#d.mover);
    await runMoverJob({
      cluster: this.#d.cluster, job, signal: ctx.signal, interrupted: ctx.interrupted, ...(this.#d.pollMs ? { pollMs: this.#d.pollMs } : {}),
      onProgress: async (s) => {
        Object.assign(p.result, { bytesDone: s.bytesDone, ...(s.bytesTotal !== undefined ? { bytesTotal: s.bytesTotal } : {}) });
        ctx.status.progress = volumeProgress(ctx.status.volumes ?? [], this.#d.clock.now());
        await this.#writer(ctx).saveProgress();
      },
    });
    const key = volumeKey(owner, p.result.namespace, p.result.claimName);
    await handOver(this.#d.cluster, { pv, temp: { namespace, name }, target: { namespace: p.result.namespace, name: p.result.claimName }, key, deadline, signal: ctx.signal });
  }

  async cleanup(ctx: RestoreRunContext): Promise<void> {
    if (ctx.spec.volumes?.mode === 'in-place') return this.#inPlace.cleanup(ctx);
    const owner = ownerOf(ctx);
    await removeTemporaryObjects(this.#d.cluster, { namespace: this.#d.operatorNamespace, owner });
    for (const snap of await this.#d.cluster.list(PATHS.allSnapshots(), ownerSelector(owner))) {
      await removeImport(this.#d.cluster, snap.metadata?.namespace ?? '', snap.metadata?.name ?? '');
    }
  }
}
