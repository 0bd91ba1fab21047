/** Label selectors and the kind/name filters that choose which Kubernetes objects a backup or restore covers. */
import { z } from 'zod';
import { stringSet, withRules } from './schema-kit.ts';

const requirementSchema = withRules(
  z
    .strictObject({
      key: z.string().min(1).max(317).describe('The label key the requirement applies to.'),
      operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']).describe('How the key relates to the values.'),
      values: z.array(z.string().max(63)).max(64).optional().describe('Values for In and NotIn; empty for Exists and DoesNotExist.'),
    })
    .describe('A label requirement.'),
  [
    {
      cel: "(self.operator == 'In' || self.operator == 'NotIn') == (has(self.values) && size(self.values) > 0)",
      holds: (r) => (r.operator === 'In' || r.operator === 'NotIn') === (r.values !== undefined && r.values.length > 0),
      message: 'values must be non-empty for In and NotIn and empty for Exists and DoesNotExist',
      field: ['values'],
    },
  ],
);

export const labelSelectorSchema = z
  .strictObject({
    matchLabels: z
      .record(z.string().min(1).max(317), z.string().max(63))
      .optional()
      .describe('Labels that must all be present with these values.'),
    matchExpressions: z.array(requirementSchema).max(32).optional().describe('Requirements that must all hold.'),
  })
  .meta({ 'x-kubernetes-map-type': 'atomic' })
  .describe('A Kubernetes label selector; an empty selector matches everything.');

/** `Kind`, `Kind.group` (e.g. `Deployment.apps`, `Certificate.cert-manager.io`) or `*`. */
const GROUP_KIND = /^(\*|[A-Z][A-Za-z0-9]*(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$/;
/** `name` or `Kind/name` (kind as above), with `*` and `?` wildcards in the name. */
const NAME_PATTERN = /^([A-Z][A-Za-z0-9]*(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[a-z0-9*?]([-a-z0-9.*?]*[a-z0-9*?])?$/;

const kindList = (description: string) =>
  stringSet(z.string().max(317).regex(GROUP_KIND, 'must be Kind, Kind.group or *'), 128).optional().describe(description);
const nameList = (description: string) =>
  stringSet(z.string().max(571).regex(NAME_PATTERN, 'must be name or Kind/name (wildcards * and ? allowed)'), 512)
    .optional()
    .describe(description);

/** The object filters shared by backups (what to capture) and restores (what to bring back). */
export const resourceFilterShape = {
  labelSelector: labelSelectorSchema.optional().describe('Only objects whose labels match (the namespaces themselves are not filtered by it).'),
  includedKinds: kindList(
    'Kinds to include, as Kind or Kind.group (Deployment.apps, Certificate.cert-manager.io); empty or absent means every kind.',
  ),
  excludedKinds: kindList('Kinds to leave out, as Kind or Kind.group; wins over includedKinds. ["*"] leaves out every Kubernetes object.'),
  includedNames: nameList('Objects to include by name: name or Kind/name, with * and ? wildcards; absent means every name.'),
  excludedNames: nameList('Objects to leave out by name: name or Kind/name, with * and ? wildcards; wins over includedNames.'),
  clusterResources: z
    .enum(['dependencies', 'none', 'all'])
    .default('dependencies')
    .describe(
      'Cluster-scoped objects: dependencies = those the selected objects need (CRDs of captured custom resources, PVs bound to captured PVCs, ClusterRoles referenced by bindings); none; all (only for objects in the operator namespace).',
    ),
};

export type LabelSelector = z.output<typeof labelSelectorSchema>;
export type LabelSelectorRequirement = z.output<typeof requirementSchema>;
