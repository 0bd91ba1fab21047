/**
 * The volume populator: fills a PVC whose dataSourceRef names a Holdfast Backup with one
 * of that backup's volumes (source.ts), the lib-volume-populator way (prime.ts). Steps,
 * each idempotent, for the key `namespace/name` of a PVC:
 *
 *   1. gone, being deleted, or bound → remove the prime PVC and Job (done, or abandoned)
 *   2. resolve the Backup and volume; not there → a Warning Event on the PVC, try later
 *   3. the repository allows the PVC's namespace (BackupRepository.allowedNamespaces)
 *   4. the prime PVC in the operator namespace, bound to an empty volume
 *   5. a mover Job (`restore-volume`) fills it, unless its PV already names the PVC
 *   6. rebind the PV to the PVC; the PV controller binds it; step 1 cleans up
 *
 * The PVC stays Pending (and its pods with it) until the data is there. Events say why.
 */
import type { MoverSettings } from '../../config/operator-env.ts';
import { messageOf } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { backupRepositorySpecSchema } from '../../k8s/api/backup-repository.ts';
import type { HoldfastObjects } from '../../k8s/client/custom-objects.ts';
import { repositoryFor } from '../backup-repository/access.ts';
import type { ReconcileResult, Reconciler } from '../runtime/controller.ts';
import { PATHS, type VolumeCluster } from '../volumes/cluster.ts';
import { waitBound } from '../volumes/exposer.ts';
import { moverJob, MOUNT_PATH, repositoryAccess } from '../volumes/mover-job.ts';
import { runMoverJob } from '../volumes/mover-run.ts';
import { ensurePrime, primeLabels, primeName, rebind, rebound, removePrime } from './prime.ts';
import { backupReference, POPULATOR_REASONS, resolveSource, type ClaimLike, type NotReady, type PopulateSource } from './source.ts';

export interface PopulatorDeps {
  readonly cluster: VolumeCluster;
  readonly objects: HoldfastObjects;
  readonly operatorNamespace: string;
  readonly mover: MoverSettings;
  readonly logger: Logger;
  readonly pollMs?: number;
  /** How long the prime PVC may take to bind; default 10 min. */
  readonly bindTimeoutMs?: number;
}

interface Claim extends ClaimLike {
  spec?: Record<string, unknown>;
  status?: { phase?: string };
  [field: string]: unknown;
}

export class VolumePopulatorReconciler implements Reconciler {
  readonly #d: PopulatorDeps;
  /** The last Event message per PVC, so a waiting PVC gets one Event per change, not one per retry. */
  readonly #said = new Map<string, string>();

  constructor(deps: PopulatorDeps) {
    this.#d = deps;
  }

  async reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult | undefined> {
    const [namespace = '', name = ''] = key.split('/');
    const claim = await this.#d.cluster.get<Claim>(PATHS.claims(namespace), name);
    const backup = claim === undefined ? undefined : backupReference(claim);
    if (claim === undefined || backup === undefined || claim.metadata?.deletionTimestamp || hasVolume(claim)) {
      this.#said.delete(key);
      await removePrime(this.#d.cluster, this.#d.operatorNamespace, namespace, name);
      return undefined;
    }
    const source = await resolveSource(this.#d.objects, claim, backup);
    if ('reason' in source) return this.#notReady(key, claim, source);
    const refused = await this.#checkRepository(source, namespace);
    if (refused !== undefined) return this.#notReady(key, claim, refused);
    try {
      return await this.#populate(key, claim, source, signal);
    } catch (err) {
      if (signal.aborted) throw err;
      return this.#notReady(key, claim, { reason: POPULATOR_REASONS.PopulateFailed, message: `filling from ${source.backup} volume ${source.volume.namespace}/${source.volume.claimName} failed: ${messageOf(err)}`, retryAfterMs: 60_000 });
    }
  }

  async #checkRepository(source: PopulateSource, namespace: string): Promise<NotReady | undefined> {
    const repo = await repositoryFor(this.#d.objects, source.repository, namespace, { operatorNamespace: this.#d.operatorNamespace, write: false });
    return 'target' in repo ? undefined : { reason: repo.reason, message: repo.message, retryAfterMs: repo.retryAfterMs ?? 60_000 };
  }

  async #populate(key: string, claim: Claim, source: PopulateSource, signal: AbortSignal): Promise<ReconcileResult> {
    const ns = this.#d.operatorNamespace;
    const name = primeName(claim);
    await ensurePrime(this.#d.cluster, claim, ns);
    const pv = await waitBound(this.#d.cluster, ns, name, { deadline: Date.now() + (this.#d.bindTimeoutMs ?? 600_000), signal });
    if (await rebound(this.#d.cluster, pv, claim)) return { requeueAfterMs: 1000 };
    await this.#say(key, claim, 'Normal', POPULATOR_REASONS.Populating, `filling from ${source.backup} volume ${source.volume.namespace}/${source.volume.claimName} (snapshot ${source.snapshotId.slice(0, 12)})`);
    const repo = await this.#d.objects.getOrFail({ plural: 'backuprepositories', name: source.repository }, 'BackupRepository');
    const access = repositoryAccess(backupRepositorySpecSchema.parse(repo.spec), ns);
    const meta = claim.metadata ?? {};
    const args = ['restore-volume', '--clean', '--snapshot', source.snapshotId, '--target', MOUNT_PATH];
    const job = moverJob({ name, namespace: ns, labels: primeLabels(meta.namespace ?? '', meta.name ?? ''), claimName: name, args, readOnly: false, pod: undefined }, access, this.#d.mover);
    try {
      await runMoverJob({ cluster: this.#d.cluster, job, signal, interrupted: () => signal.aborted, onProgress: async () => {}, ...(this.#d.pollMs ? { pollMs: this.#d.pollMs } : {}) });
    } catch (err) {
      if (!signal.aborted) await this.#d.cluster.remove(PATHS.jobs(ns), name);
      throw err;
    }
    await rebind(this.#d.cluster, pv, claim, `${source.volume.namespace}/${source.volume.claimName}`);
    await this.#say(key, claim, 'Normal', POPULATOR_REASONS.Populated, `filled from ${source.backup} volume ${source.volume.namespace}/${source.volume.claimName}; PV ${pv} handed over`);
    return { requeueAfterMs: 1000 };
  }

  async #notReady(key: string, claim: Claim, r: NotReady): Promise<ReconcileResult> {
    this.#d.logger.info({ pvc: key, reason: r.reason }, r.message);
    await this.#say(key, claim, 'Warning', r.reason, r.message);
    return { requeueAfterMs: r.retryAfterMs };
  }

  async #say(key: string, claim: Claim, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    if (this.#said.get(key) === `${reason}: ${message}`) return;
    this.#said.set(key, `${reason}: ${message}`);
    await this.#d.objects.event({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', ...(claim.metadata ? { metadata: claim.metadata } : {}) }, type, reason, message);
  }
}

/** Bound, or being bound: the PV controller has set the claim's volume. */
function hasVolume(claim: Claim): boolean {
  const spec = claim.spec as { volumeName?: string } | undefined;
  return Boolean(spec?.volumeName) || claim.status?.phase === 'Bound';
}
