import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backupPolicySpecSchema, backupSpecFromPolicy, clusterBackupPolicySpecSchema } from './backup-policy.ts';
import { backupSpecSchema } from './backup.ts';

test('a policy makes Backups from its template fields only', () => {
  const policy = backupPolicySpecSchema.parse({
    repositoryRef: { name: 'main' },
    schedule: { cron: '@daily' },
    method: 'dump',
    recipe: { recipeRef: { name: 'postgresql' }, podSelector: { matchLabels: { app: 'db' } } },
    keep: { daily: 7 },
    rpo: '26h',
    backupLabels: { team: 'a' },
  });
  const spec = backupSpecFromPolicy(policy);
  assert.deepEqual(Object.keys(spec).sort(), ['deletionPolicy', 'method', 'recipe', 'repositoryRef']);
  assert.deepEqual(backupSpecSchema.parse(spec), spec, 'the result is a valid, complete Backup spec');
  spec.recipe!.podSelector!.matchLabels!.app = 'changed';
  assert.equal(policy.recipe?.podSelector?.matchLabels?.app, 'db', 'the policy is not shared with the Backup');
});

test('a cluster policy makes the same kind of Backup spec', () => {
  const policy = clusterBackupPolicySpecSchema.parse({
    repositoryRef: { name: 'main' },
    schedule: { cron: '0 */4 * * *' },
    namespaceSelector: { matchLabels: { tier: 'gold' } },
    method: 'snapshot+move',
    volumes: { parallelism: 4 },
  });
  const spec = backupSpecFromPolicy(policy);
  assert.equal(spec.volumes?.parallelism, 4);
  assert.equal('namespaceSelector' in spec, false);
  assert.equal('backupPer' in spec, false);
});
