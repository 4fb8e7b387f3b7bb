// An annotation as the Rego value `rego.metadata.rule()` / `.chain()` return
// (OPA's Annotations.toObject): empty fields left out, refs as arrays of
// their segments, no location.

import type { Annotation, JsonValue } from './ast.js';

export type JsonObject = { [key: string]: JsonValue };

export function annotationObject(a: Annotation): JsonObject {
  const out: JsonObject = { scope: a.scope };
  if (a.title) out.title = a.title;
  if (a.entrypoint) out.entrypoint = true;
  if (a.description) out.description = a.description;
  if (a.organizations?.length) out.organizations = [...a.organizations];
  if (a.relatedResources?.length) {
    out.related_resources = a.relatedResources.map((r): JsonObject => (r.description ? { ref: r.ref, description: r.description } : { ref: r.ref }));
  }
  if (a.authors?.length) {
    out.authors = a.authors.map((x): JsonObject => ({ ...(x.name ? { name: x.name } : {}), ...(x.email ? { email: x.email } : {}) }));
  }
  if (a.schemas?.length) {
    out.schemas = a.schemas.map((s) => {
      const o: JsonObject = { path: [...s.path] };
      if (s.schema) o.schema = [...s.schema];
      if (s.definition !== undefined) o.definition = s.definition;
      return o;
    });
  }
  if (a.custom && Object.keys(a.custom).length) out.custom = a.custom;
  return out;
}
