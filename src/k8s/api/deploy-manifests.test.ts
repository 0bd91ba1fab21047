/**
 * The deploy/ manifests agree with the API and with each other: the operator may touch
 * every Holdfast kind and its status; every RBAC rule says why; the Helm chart grants
 * exactly what deploy/rbac grants; the kustomization installs every CRD and shipped recipe; the Deployment
 * runs two non-root replicas with probes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { KINDS } from './kinds.ts';

const DEPLOY = join(import.meta.dirname, '../../../deploy');
const read = (path: string) => readFileSync(join(DEPLOY, path), 'utf8');

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}
interface K8sObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
  [key: string]: unknown;
}

interface DeploymentSpec {
  replicas: number;
  template: {
    spec: {
      serviceAccountName: string;
      securityContext: { runAsNonRoot: boolean };
      containers: Array<{
        args: string[];
        env: Array<{ name: string }>;
        ports: Array<{ name: string }>;
        livenessProbe: { httpGet: { path: string } };
        readinessProbe: { httpGet: { path: string } };
        securityContext: { readOnlyRootFilesystem: boolean; allowPrivilegeEscalation: boolean; capabilities: { drop: string[] } };
      }>;
    };
  };
}

function docs(path: string): K8sObject[] {
  return parseAllDocuments(read(path)).map((d) => d.toJS() as K8sObject);
}

const rbacFiles = readdirSync(join(DEPLOY, 'rbac')).filter((f) => f.endsWith('.yaml'));
const rbac = rbacFiles.flatMap((f) => docs(`rbac/${f}`));
const role = (name: string) => rbac.find((o) => (o.kind === 'ClusterRole' || o.kind === 'Role') && o.metadata.name === name);

function allows(rules: Rule[], group: string, resource: string, verb: string): boolean {
  return rules.some(
    (r) => (r.apiGroups.includes(group) || r.apiGroups.includes('*')) && (r.resources.includes(resource) || r.resources.includes('*')) && r.verbs.includes(verb),
  );
}

test('the operator may watch every Holdfast kind and write its status', () => {
  const rules = role('holdfast-operator')?.rules ?? [];
  for (const def of KINDS) {
    for (const verb of ['get', 'list', 'watch']) assert.ok(allows(rules, 'holdfast.dev', def.plural, verb), `${verb} ${def.plural}`);
    assert.ok(allows(rules, 'holdfast.dev', `${def.plural}/status`, 'patch'), `patch ${def.plural}/status`);
  }
  for (const [resource, verb] of [['backups', 'create'], ['backups', 'delete'], ['backups', 'update'], ['restores', 'update']]) {
    assert.ok(allows(rules, 'holdfast.dev', resource as string, verb as string), `${verb} ${resource}`);
  }
  const lease = role('holdfast-leader-election');
  assert.equal(lease?.metadata.namespace, 'holdfast-system');
  assert.ok(allows(lease?.rules ?? [], 'coordination.k8s.io', 'leases', 'update'));
});

test('capture reads and restore writes every kind; neither can do more', () => {
  const capture = role('holdfast-capture')?.rules ?? [];
  assert.ok(allows(capture, 'example.com', 'widgets', 'list') && allows(capture, '', 'secrets', 'get'));
  assert.ok(!['watch', 'create', 'update', 'patch', 'delete'].some((v) => allows(capture, '', 'secrets', v)));
  const restore = role('holdfast-restore')?.rules ?? [];
  for (const verb of ['create', 'update', 'patch', 'delete']) assert.ok(allows(restore, 'example.com', 'widgets', verb), verb);
  assert.ok(allows(restore, 'rbac.authorization.k8s.io', 'clusterroles', 'escalate'));
  assert.ok(!allows(restore, '', 'secrets', 'get'), 'restore does not read');
  for (const r of rbac.flatMap((o) => o.rules ?? [])) assert.ok(!r.verbs.includes('*') && !r.verbs.includes('impersonate'), JSON.stringify(r));
});

test('user roles cover the namespaced kinds people manage, and only those', () => {
  const namespaced = KINDS.filter((k) => k.scope === 'Namespaced').map((k) => k.plural).sort();
  for (const name of ['holdfast-edit', 'holdfast-view']) {
    const resources = (role(name)?.rules ?? []).flatMap((r) => r.resources).sort();
    assert.deepEqual(resources, namespaced, name);
  }
});

test('every RBAC rule has a comment just above it saying why', () => {
  for (const file of rbacFiles) {
    const lines = read(`rbac/${file}`).split('\n');
    lines.forEach((line, i) => {
      if (/^ {2}- apiGroups:/.test(line)) assert.match(lines[i - 1] ?? '', /^ {2}# \S/, `${file}:${i + 1}`);
    });
  }
});

/** The rules of each Role/ClusterRole in the Helm template, by name suffix (the template's `-operator`, …). */
function helmRules(): Map<string, Rule[]> {
  const text = read('helm/holdfast/templates/rbac.yaml');
  const out = new Map<string, Rule[]>();
  for (const doc of text.split(/\n---\n/)) {
    if (!/^kind: (Cluster)?Role$/m.test(doc)) continue;
    const suffix = /name: \{\{ include "holdfast\.fullname" \. \}\}-([a-z-]+)/.exec(doc)?.[1];
    const rules = /^rules:\n((?: .*\n?|\n)*)/m.exec(doc)?.[1];
    assert.ok(suffix && rules, `cannot read a role from:\n${doc.slice(0, 200)}`);
    const literal = rules.split('\n').filter((l) => !l.startsWith('{{')).join('\n');
    out.set(suffix, (parse(`rules:\n${literal}`) as { rules: Rule[] }).rules);
  }
  return out;
}

test('the Helm chart grants exactly what deploy/rbac grants', () => {
  const helm = helmRules();
  const plain = rbac.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role');
  assert.deepEqual([...helm.keys()].sort(), plain.map((o) => o.metadata.name.replace(/^holdfast-/, '')).sort());
  for (const o of plain) assert.deepEqual(helm.get(o.metadata.name.replace(/^holdfast-/, '')), o.rules, o.metadata.name);
});

test('the kustomization installs every CRD, RBAC file and operator manifest', () => {
  const { resources } = parse(read('kustomization.yaml')) as { resources: string[] };
  const expected = [
    ...readdirSync(join(DEPLOY, 'crds')).map((f) => `crds/${f}`),
    ...rbacFiles.map((f) => `rbac/${f}`),
    ...readdirSync(join(DEPLOY, 'operator')).map((f) => `operator/${f}`),
    ...readdirSync(join(DEPLOY, 'recipes')).map((f) => `recipes/${f}`),
  ];
  assert.deepEqual([...resources].sort(), expected.sort());
});

test('the operator Deployment: two replicas, probes, non-root, read-only root filesystem', () => {
  const [deployment] = docs('operator/deployment.yaml') as Array<K8sObject & { spec: DeploymentSpec }>;
  const pod = deployment!.spec.template.spec;
  const container = pod.containers[0]!;
  assert.equal(deployment?.spec.replicas, 2);
  assert.equal(pod.serviceAccountName, 'holdfast-operator');
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.equal(container.securityContext.readOnlyRootFilesystem, true);
  assert.equal(container.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(container.securityContext.capabilities.drop, ['ALL']);
  assert.deepEqual(container.args, ['operator']);
  assert.equal(container.livenessProbe.httpGet.path, '/healthz');
  assert.equal(container.readinessProbe.httpGet.path, '/readyz');
  assert.deepEqual(container.ports.map((p) => p.name), ['metrics', 'health']);
  assert.ok(container.env.some((e) => e.name === 'POD_NAMESPACE'));
  const subjects = rbac.filter((o) => o.kind.endsWith('Binding')).flatMap((o) => o.subjects as Array<{ name: string; namespace: string }>);
  assert.ok(subjects.every((s) => s.name === 'holdfast-operator' && s.namespace === deployment?.metadata.namespace));
});

test('the image: node:24-slim, production dependencies only, runs the operator through the start entry', () => {
  const dockerfile = readFileSync(join(DEPLOY, '../Dockerfile'), 'utf8');
  const stages = dockerfile.split('\n').filter((l) => l.startsWith('FROM '));
  assert.ok(stages.every((l) => l.startsWith('FROM node:24-slim')), stages.join('\n'));
  assert.match(dockerfile, /^RUN npm ci --omit=dev/m);
  assert.ok(dockerfile.indexOf('COPY native ./native') < dockerfile.indexOf('RUN npm ci'), 'the addon\'s sources are there when npm builds it');
  assert.match(dockerfile, /^COPY --from=dependencies \/app\/native \.\/native$/m, 'node_modules/holdfast-native links to native/');
  assert.match(dockerfile, /^USER node$/m);
  assert.match(dockerfile, /^ENTRYPOINT \["node", "--max-semi-space-size=2", "src\/bin\/holdfast-start\.js"\]$/m);
  assert.match(readFileSync(join(DEPLOY, '../src/bin/holdfast-start.js'), 'utf8'), /^await import\('\.\/holdfast\.ts'\);$/m, 'the start entry runs the program');
  assert.match(dockerfile, /^ENV MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=2097152 MALLOC_TRIM_THRESHOLD_=33554432$/m, 'the malloc settings of bin/holdfast');
  assert.match(dockerfile, /^CMD \["operator"\]$/m);
});
