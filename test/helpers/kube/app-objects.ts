/**
 * A small but complete application for end-to-end tests: a Deployment, a StatefulSet with
 * a volume claim template, two Services, ConfigMaps, a Secret, a PVC and a custom
 * resource (with its CRD), as API paths and bodies; and `normalized`, which keeps what a
 * user wrote (labels, spec, data) and drops what the server fills in, so objects before a
 * backup and after a restore compare equal.
 */
const labels = { app: 'web' };

export const WIDGET_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.test.holdfast.dev' },
  spec: {
    group: 'test.holdfast.dev',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } }, status: { type: 'object', properties: { ready: { type: 'boolean' } } } },
          },
        },
      },
    ],
  },
};

/** [collection path, object] in creation order. */
export function APP_OBJECTS(ns: string): Array<[string, unknown]> {
  const core = `/api/v1/namespaces/${ns}`;
  const apps = `/apis/apps/v1/namespaces/${ns}`;
  const template = { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'nginx:1.27', envFrom: [{ configMapRef: { name: 'settings' } }] }] } };
  return [
    [`${core}/configmaps`, { metadata: { name: 'settings', labels }, data: { color: 'blue', size: 'large' } }],
    [`${core}/secrets`, { metadata: { name: 'db-credentials', labels }, type: 'Opaque', stringData: { password: 'hunter2' } }],
    [`${core}/persistentvolumeclaims`, { metadata: { name: 'uploads', labels }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    [`${core}/services`, { metadata: { name: 'web', labels }, spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } }],
    [`${core}/services`, { metadata: { name: 'db', labels }, spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ port: 5432 }] } }],
    [`${apps}/deployments`, { metadata: { name: 'web', labels }, spec: { replicas: 2, selector: { matchLabels: labels }, template } }],
    [
      `${apps}/statefulsets`,
      {
        metadata: { name: 'db', labels: { app: 'db' } },
        spec: {
          serviceName: 'db',
          replicas: 1,
          selector: { matchLabels: { app: 'db' } },
          template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'pg', image: 'postgres:17', volumeMounts: [{ name: 'data', mountPath: '/var/lib/postgresql' }] }] } },
          volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } } }],
        },
      },
    ],
    [`/apis/test.holdfast.dev/v1/namespaces/${ns}/widgets`, { apiVersion: 'test.holdfast.dev/v1', kind: 'Widget', metadata: { name: 'gear', labels }, spec: { size: 7 } }],
  ];
}

const SERVER_SPEC_FIELDS = ['clusterIP', 'clusterIPs', 'volumeName'];

/** What the user wrote: kind, name, labels, data, type and spec (without server-allocated IPs and bindings). */
export function normalized(obj: unknown): unknown {
  const o = obj as { kind?: string; metadata?: { name?: string; namespace?: string; labels?: Record<string, string> }; spec?: Record<string, unknown>; data?: unknown; type?: unknown };
  const spec = o.spec === undefined ? undefined : Object.fromEntries(Object.entries(o.spec).filter(([k]) => !SERVER_SPEC_FIELDS.includes(k)));
  return { kind: o.kind, namespace: o.metadata?.namespace, name: o.metadata?.name, labels: o.metadata?.labels, spec, data: o.data, type: o.type };
}
