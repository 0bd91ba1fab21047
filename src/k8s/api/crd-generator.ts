/**
 * Builds the CustomResourceDefinitions (apiextensions.k8s.io/v1) from the kind registry:
 * names, scope, status subresource, printer columns, selectable fields, and the OpenAPI
 * schema generated from the zod schemas and made structural.
 */
import { z } from 'zod';
import { CATEGORY, GROUP, VERSION } from './group.ts';
import type { JSONSchemaProps } from './json-schema.ts';
import { KINDS, type KindDefinition, type PrinterColumn } from './kinds.ts';
import { makeStructural } from './structural.ts';

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    group: string;
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames: string[]; categories: string[] };
    scope: 'Namespaced' | 'Cluster';
    versions: CrdVersion[];
  };
}

export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema: { openAPIV3Schema: JSONSchemaProps };
  subresources: { status: Record<string, never> };
  additionalPrinterColumns: PrinterColumn[];
  selectableFields?: Array<{ jsonPath: string }>;
}

export const CRD_LABELS: Readonly<Record<string, string>> = {
  'app.kubernetes.io/name': 'holdfast',
  'app.kubernetes.io/part-of': 'holdfast',
};

/** The structural OpenAPI schema of a zod schema, as a CRD holds it. */
export function crdSchemaOf(schema: z.ZodType): JSONSchemaProps {
  const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'throw' }) as Record<string, unknown>;
  return makeStructural(json);
}

export function rootSchemaOf(def: KindDefinition): JSONSchemaProps {
  return {
    description: def.description,
    type: 'object',
    required: ['spec'],
    properties: {
      apiVersion: {
        description: 'Versioned schema of this representation of an object: holdfast.dev/v1alpha1.',
        type: 'string',
      },
      kind: { description: `Kind of the object: ${def.kind}.`, type: 'string' },
      metadata: { type: 'object' },
      spec: crdSchemaOf(def.spec),
      status: crdSchemaOf(def.status),
    },
  };
}

export function buildCrd(def: KindDefinition): CustomResourceDefinition {
  const version: CrdVersion = {
    name: VERSION,
    served: true,
    storage: true,
    schema: { openAPIV3Schema: rootSchemaOf(def) },
    subresources: { status: {} },
    additionalPrinterColumns: def.printerColumns.map((c) => ({ ...c })),
  };
  if (def.selectableFields?.length) version.selectableFields = def.selectableFields.map((jsonPath) => ({ jsonPath }));
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${def.plural}.${GROUP}`, labels: { ...CRD_LABELS } },
    spec: {
      group: GROUP,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        shortNames: [...def.shortNames],
        categories: [CATEGORY],
      },
      scope: def.scope,
      versions: [version],
    },
  };
}

export function buildAllCrds(): CustomResourceDefinition[] {
  return KINDS.map((def) => buildCrd(def));
}
