/** The operations of our own OpenAPI document, reduced to what the fuzz test needs to build requests. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  [key: string]: unknown;
}

export interface Operation {
  readonly method: string;
  /** The template, e.g. /api/v1/plans/{id}. */
  readonly path: string;
  readonly pathParameters: string[];
  readonly queryParameters: { name: string; schema: JsonSchema }[];
  /** The JSON schema of the body, when the operation declares one. */
  readonly body?: JsonSchema;
  readonly authenticated: boolean;
}

interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { in: string; name: string; schema?: JsonSchema }[];
        requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
        security?: unknown[];
      }
    >
  >;
}

export function operationsOf(document: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const parameters = operation.parameters ?? [];
      operations.push({
        method: method.toUpperCase(),
        path,
        pathParameters: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        queryParameters: parameters.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        body: operation.requestBody?.content?.['application/json']?.schema ?? (operation.requestBody ? {} : undefined),
        authenticated: (operation.security?.length ?? 0) > 0,
      });
    }
  }
  return operations;
}
