import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_MOVER_SETTINGS } from '../../config/operator-env.ts';
import { isHoldfastError } from '../../core/errors.ts';
import { backupRepositorySpecSchema } from '../../k8s/api/backup-repository.ts';
import { DEVICE_PATH, moverJob, repositoryAccess } from './mover-job.ts';

const key = { keySecretRef: { name: 'repo-key', namespace: 'holdfast-system' } };
const fsRepo = backupRepositorySpecSchema.parse({ backend: { filesystem: { path: '/srv/repo' } }, encryption: key });
const s3Repo = backupRepositorySpecSchema.parse({
  backend: { s3: { endpoint: 'https://minio.example:9000', bucket: 'backups', prefix: 'prod', forcePathStyle: true, credentialsSecretRef: { name: 's3', namespace: 'holdfast-system' } } },
  encryption: key,
});

function job(spec = fsRepo) {
  return moverJob(
    { name: 'holdfast-move-data-1', namespace: 'holdfast-system', labels: { 'holdfast.dev/backup': 'uid-1' }, claimName: 'holdfast-move-data-1', args: ['backup-volume', '--path', '/data'], readOnly: true,
      pod: { nodeSelector: { pool: 'backup' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'backup', effect: 'NoSchedule' }], priorityClassName: 'low', resources: { limits: { memory: '1Gi' } } } },
    repositoryAccess(spec, 'holdfast-system'),
    DEFAULT_MOVER_SETTINGS,
  ) as { spec: { backoffLimit: number; template: { spec: Record<string, unknown> & { containers: Array<Record<string, unknown>>; volumes: Array<Record<string, unknown>> } } } };
}

describe('mover Job', () => {
  it('passes repository credentials only as secretKeyRef env vars', () => {
    for (const spec of [fsRepo, s3Repo]) {
      const text = JSON.stringify(job(spec));
      const env = (job(spec).spec.template.spec.containers[0]?.env ?? []) as Array<{ name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }>;
      const byName = new Map(env.map((e) => [e.name, e]));
      assert.deepEqual(byName.get('HOLDFAST_PASSWORD')?.valueFrom, { secretKeyRef: { name: 'repo-key', key: 'password' } });
      assert.equal(byName.get('HOLDFAST_PASSWORD')?.value, undefined);
      assert.ok(!text.includes('"value":"volume-pw"'));
      if (spec === s3Repo) {
        assert.deepEqual(byName.get('AWS_SECRET_ACCESS_KEY')?.valueFrom, { secretKeyRef: { name: 's3', key: 'AWS_SECRET_ACCESS_KEY' } });
        assert.equal(byName.get('HOLDFAST_REPOSITORY')?.value, 's3:https://minio.example:9000/backups/prod');
        assert.equal(byName.get('HOLDFAST_S3_PATH_STYLE')?.value, 'true');
      } else {
        assert.equal(byName.get('HOLDFAST_REPOSITORY')?.value, '/srv/repo');
      }
    }
  });

  it('runs holdfast mover once, with placement from the spec and the security context from the operator', () => {
    const j = job();
    const pod = j.spec.template.spec;
    const container = pod.containers[0] ?? {};
    assert.equal(j.spec.backoffLimit, 0);
    assert.equal(pod.restartPolicy, 'Never');
    assert.deepEqual(pod.nodeSelector, { pool: 'backup' });
    assert.equal(pod.priorityClassName, 'low');
    assert.equal((pod.tolerations as unknown[]).length, 1);
    assert.deepEqual(container.resources, { limits: { memory: '1Gi' } });
    assert.deepEqual(container.securityContext, DEFAULT_MOVER_SETTINGS.securityContext);
    assert.deepEqual(container.command, ['holdfast', 'mover', 'backup-volume', '--path', '/data', '--result-file', '/dev/termination-log']);
    assert.equal(container.terminationMessagePolicy, 'FallbackToLogsOnError');
    assert.deepEqual(pod.volumes[0], { name: 'data', persistentVolumeClaim: { claimName: 'holdfast-move-data-1', readOnly: true } });
    assert.ok(pod.volumes.some((v) => JSON.stringify(v) === JSON.stringify({ name: 'repository', hostPath: { path: '/srv/repo', type: 'Directory' } })));
  });

  it('gives a block move its PVC as a device, not a mount', () => {
    const j = moverJob(
      { name: 'm', namespace: 'holdfast-system', labels: {}, claimName: 'm', args: ['backup-volume', '--device', DEVICE_PATH], readOnly: true, block: true, pod: undefined },
      repositoryAccess(fsRepo, 'holdfast-system'),
      DEFAULT_MOVER_SETTINGS,
    ) as { spec: { template: { spec: { containers: Array<{ volumeDevices?: unknown; volumeMounts: Array<{ name: string }> }> } } } };
    const container = j.spec.template.spec.containers[0];
    assert.deepEqual(container?.volumeDevices, [{ name: 'data', devicePath: '/dev/holdfast-volume' }]);
    assert.ok(!container?.volumeMounts.some((m) => m.name === 'data'));
  });

  it('refuses Secrets outside the namespace the mover runs in', () => {
    const elsewhere = backupRepositorySpecSchema.parse({ backend: { filesystem: { path: '/srv/repo' } }, encryption: { keySecretRef: { name: 'k', namespace: 'team-a' } } });
    assert.throws(() => repositoryAccess(elsewhere, 'holdfast-system'), (err) => isHoldfastError(err, 'CONFIG_INVALID') && /Secret team-a\/k is in another namespace/.test(err.message));
  });
});
