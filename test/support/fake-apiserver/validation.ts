// Object validation the real apiserver performs on what we write
// (apimachinery's metadata and label rules), returning Status causes.

import type { StatusCause } from './status.js';

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export const LABEL_VALUE_MESSAGE = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

/** Problems with a qualified name (label/annotation key); empty when valid. */
export function qualifiedNameErrors(key: string): string[] {
  const errs: string[] = [];
  const parts = key.split('/');
  let name = key;
  if (parts.length > 2) return ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"];
  if (parts.length === 2) {
    const [prefix] = parts;
    name = parts[1];
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else if (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)) errs.push('prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character');
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else {
    if (name.length > 63) errs.push('name part must be no more than 63 characters');
    if (!NAME.test(name)) errs.push("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
  }
  return errs;
}

export function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (!LABEL_VALUE.test(value)) errs.push(LABEL_VALUE_MESSAGE);
  return errs;
}

function cause(field: string, value: string, message: string): StatusCause {
  return { reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${message}`, field };
}

export function validateLabels(labels: unknown, field: string): StatusCause[] {
  if (labels === undefined || labels === null) return [];
  if (typeof labels !== 'object' || Array.isArray(labels)) return [{ reason: 'FieldValueInvalid', message: 'must be a map', field }];
  const causes: StatusCause[] = [];
  for (const [k, v] of Object.entries(labels)) {
    for (const m of qualifiedNameErrors(k)) causes.push(cause(field, k, m));
    if (typeof v !== 'string') causes.push({ reason: 'FieldValueInvalid', message: 'label values must be strings', field: `${field}[${k}]` });
    else for (const m of labelValueErrors(v)) causes.push(cause(field, v, m));
  }
  return causes;
}

export function validateAnnotations(annotations: unknown, field: string): StatusCause[] {
  if (annotations === undefined || annotations === null) return [];
  if (typeof annotations !== 'object' || Array.isArray(annotations)) return [{ reason: 'FieldValueInvalid', message: 'must be a map', field }];
  const causes: StatusCause[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) {
    for (const m of qualifiedNameErrors(k.toLowerCase())) causes.push(cause(field, k, m));
    if (typeof v !== 'string') causes.push({ reason: 'FieldValueInvalid', message: 'annotation values must be strings', field: `${field}[${k}]` });
    size += k.length + String(v).length;
  }
  if (size > 256 * 1024) causes.push({ reason: 'FieldValueTooLong', message: 'Too long: must have at most 262144 bytes', field });
  return causes;
}

/** A metav1.LabelSelector (matchLabels / matchExpressions) as found in specs. */
export function validateLabelSelectorObject(sel: unknown, field: string): StatusCause[] {
  if (sel === undefined || sel === null) return [];
  if (typeof sel !== 'object' || Array.isArray(sel)) return [{ reason: 'FieldValueInvalid', message: 'must be an object', field }];
  const { matchLabels, matchExpressions } = sel as { matchLabels?: unknown; matchExpressions?: unknown };
  const causes = validateLabels(matchLabels, `${field}.matchLabels`);
  if (matchExpressions !== undefined) {
    if (!Array.isArray(matchExpressions)) return [...causes, { reason: 'FieldValueInvalid', message: 'must be a list', field: `${field}.matchExpressions` }];
    matchExpressions.forEach((e: { key?: unknown; operator?: unknown; values?: unknown }, i) => {
      const f = `${field}.matchExpressions[${i}]`;
      if (typeof e.key !== 'string') { causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: `${f}.key` }); return; }
      for (const m of qualifiedNameErrors(e.key)) causes.push(cause(`${f}.key`, e.key, m));
      const values = Array.isArray(e.values) ? e.values : [];
      if (e.operator === 'In' || e.operator === 'NotIn') {
        if (values.length === 0) causes.push({ reason: 'FieldValueRequired', message: 'Required value: must be specified when `operator` is \'In\' or \'NotIn\'', field: `${f}.values` });
      } else if (e.operator === 'Exists' || e.operator === 'DoesNotExist') {
        if (values.length > 0) causes.push({ reason: 'FieldValueForbidden', message: 'Forbidden: may not be specified when `operator` is \'Exists\' or \'DoesNotExist\'', field: `${f}.values` });
      } else causes.push(cause(`${f}.operator`, String(e.operator), 'not a valid selector operator'));
      for (const v of values) for (const m of labelValueErrors(String(v))) causes.push(cause(`${f}.values`, String(v), m));
    });
  }
  return causes;
}

export function validateName(name: unknown): StatusCause[] {
  if (typeof name !== 'string' || name === '') return [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }];
  if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    return [cause('metadata.name', name, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character")];
  }
  return [];
}

/** Everything checked on create and update of any object. */
export function validateObject(obj: Record<string, unknown>, kind: string): StatusCause[] {
  const meta = (obj.metadata ?? {}) as Record<string, unknown>;
  const causes = [
    ...validateName(meta.name),
    ...validateLabels(meta.labels, 'metadata.labels'),
    ...validateAnnotations(meta.annotations, 'metadata.annotations'),
  ];
  const spec = obj.spec as Record<string, unknown> | undefined;
  if (kind === 'NetworkPolicy') {
    if (!spec || spec.podSelector === undefined) causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.podSelector' });
    else causes.push(...validateLabelSelectorObject(spec.podSelector, 'spec.podSelector'));
  }
  if (kind === 'Deployment' || kind === 'ReplicaSet') {
    if (spec?.selector !== undefined) causes.push(...validateLabelSelectorObject(spec.selector, 'spec.selector'));
    const template = spec?.template as { metadata?: { labels?: unknown } } | undefined;
    causes.push(...validateLabels(template?.metadata?.labels, 'spec.template.metadata.labels'));
  }
  return causes;
}
