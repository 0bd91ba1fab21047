/** Changes a restore makes to objects on their way back: storage classes, images, JSON patches. */
import { z } from 'zod';
import { labelSelectorSchema } from './selectors.ts';
import { rawJson, stringMap, stringSet, withRules } from './schema-kit.ts';

const patchOperationSchema = withRules(
  z
    .strictObject({
      op: z.enum(['add', 'remove', 'replace', 'move', 'copy', 'test']).describe('RFC 6902 operation.'),
      path: z.string().max(1024).regex(/^(\/.*)?$/, 'must be a JSON pointer such as /spec/replicas').describe('JSON pointer of the target location.'),
      from: z.string().max(1024).regex(/^(\/.*)?$/, 'must be a JSON pointer').optional().describe('JSON pointer of the source, for move and copy.'),
      value: rawJson('The value, for add, replace and test: any JSON.').optional(),
    })
    .describe('One RFC 6902 JSON patch operation.'),
  [
    {
      cel: "(self.op == 'move' || self.op == 'copy') == has(self.from)",
      holds: (o) => (o.op === 'move' || o.op === 'copy') === (o.from !== undefined),
      message: 'from is required for move and copy and not allowed otherwise',
      field: ['from'],
    },
  ],
).refine((o) => !(o.op === 'add' || o.op === 'replace' || o.op === 'test') || o.value !== undefined, {
  // Not a CEL rule: CEL cannot see an untyped (preserve-unknown-fields) field such as value.
  message: 'value is required for add, replace and test',
  path: ['value'],
});

const kindSet = (d: string) => stringSet(z.string().max(317), 64).optional().describe(d);

const jsonPatchSchema = z
  .strictObject({
    kinds: kindSet('Kinds the patch applies to, as Kind or Kind.group; absent means every kind.'),
    names: stringSet(z.string().max(253), 256).optional().describe('Object names (wildcards * and ?); absent means every name.'),
    labelSelector: labelSelectorSchema.optional().describe('Only objects with these labels.'),
    patch: z.array(patchOperationSchema).min(1).max(64).describe('Operations applied in order to each selected object, after renaming and mapping.'),
  })
  .describe('A JSON patch and the objects it applies to.');

export const transformsSchema = z
  .strictObject({
    storageClassMapping: stringMap('Storage class of the backup → storage class to use (PVCs and PVs).', 64).optional(),
    imageOverrides: stringMap(
      'Image → replacement in every container and init container. A key without a tag or digest matches every tag of that repository.',
      128,
    ).optional(),
    jsonPatches: z.array(jsonPatchSchema).max(64).optional().describe('JSON patches, applied in order.'),
  })
  .describe('Changes made to objects before they are created.');

export type Transforms = z.output<typeof transformsSchema>;
export type JsonPatch = z.output<typeof jsonPatchSchema>;
export type JsonPatchOperation = z.output<typeof patchOperationSchema>;
