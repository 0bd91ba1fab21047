/**
 * The status condition, shaped like metav1.Condition so kubectl, kstatus and GitOps tools
 * read it. The condition types and reasons Holdfast uses are in condition-types.ts; the
 * helpers that set them are in ../status/conditions.ts.
 */
import { z } from 'zod';
import { timestamp } from './schema-kit.ts';

export const conditionSchema = z
  .object({
    type: z
      .string()
      .min(1)
      .max(316)
      .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/)
      .describe('Type of the condition, in CamelCase (e.g. Ready, Accepted, Succeeded).'),
    status: z.enum(['True', 'False', 'Unknown']).describe('Status of the condition: True, False or Unknown.'),
    observedGeneration: z.int().min(0).optional().describe('metadata.generation of the object the condition was set for.'),
    lastTransitionTime: timestamp('When the condition last changed status.'),
    reason: z
      .string()
      .min(1)
      .max(1024)
      .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/)
      .describe('Why the condition has its status: a CamelCase word a program can match on.'),
    message: z.string().max(32768).describe('What happened, for a human: what and where.'),
  })
  .describe('The state of one aspect of the object.');

export const conditionListSchema = z
  .array(conditionSchema)
  .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] })
  .describe('Conditions: the latest observations of the object\'s state, one per type.');

export type Condition = z.output<typeof conditionSchema>;
export type ConditionStatus = Condition['status'];
