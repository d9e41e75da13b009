import type { RawResponse } from '../../integration/http-edge/raw-http';

/**
 * What every answer to a hostile request must satisfy: no 5xx, a `{"detail"}` body (a string, or
 * the 422 list) on every 4xx, and nothing of the inside in any body: stack traces, file paths,
 * SQL, names of the libraries or services behind the API, addresses, secrets or tokens.
 */
const LEAKS: [string, RegExp][] = [
  ['a stack frame', /\bat [^\s()]+ \(|\bat .+:\d+:\d+/],
  ['a file path', /\/(work|home|root|tmp|usr|etc)\/|node_modules|build-test|\.(ts|js|mjs|cjs):\d+/],
  ['SQL', /\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|WHERE|RETURNING)\b|\bpg_|\brelation "/],
  ['a library name', /\b(knex|postgres(ql)?|pg-pool|ioredis|redis|bullmq|piscina|bcrypt|celebrate|body-parser|raw-body|zlib|express|joi|winston|jsonwebtoken)\b/i],
  ['an error name', /\b(TypeError|RangeError|SyntaxError|URIError|ReferenceError|ECONN\w+|EPIPE|ETIMEDOUT|Z_DATA_ERROR|Z_BUF_ERROR|HPE_\w+)\b/],
  ['an address', /127\.0\.0\.1|::1\b|localhost:\d+/],
];

/** Answers that are documents by design (they name components and libraries), not replies to input. */
const DOCUMENT_PATHS = ['/openapi.json', '/docs', '/ready', '/health', '/metrics'];

export interface RuleContext {
  readonly path: string;
  /** Secrets of the running service and tokens the fuzz client holds: none may appear in an error body. */
  readonly secrets: string[];
}

function isIssueList(detail: unknown): detail is { loc: unknown[]; msg: string; type: string }[] {
  return (
    Array.isArray(detail) &&
    detail.length > 0 &&
    detail.every(
      (issue: unknown) =>
        typeof issue === 'object' &&
        issue !== null &&
        Array.isArray((issue as { loc?: unknown }).loc) &&
        (issue as { loc: unknown[] }).loc.every((part) => typeof part === 'string' || typeof part === 'number') &&
        typeof (issue as { msg?: unknown }).msg === 'string' &&
        typeof (issue as { type?: unknown }).type === 'string' &&
        Object.keys(issue).length === 3,
    )
  );
}

/**
 * The text of an answer that came from the service: a 422 message repeats the name of the field
 * it is about (the client chose that name, so it may be anything), which is taken out first.
 */
function ownText(res: RawResponse): string {
  const detail = (res.json as { detail?: unknown } | undefined)?.detail;
  if (!isIssueList(detail)) return res.text;
  return detail
    .map((issue) => {
      let msg = issue.msg;
      for (const part of issue.loc) msg = msg.split(String(part)).join('');
      return `${msg} ${issue.type} ${issue.loc.filter((part) => ['body', 'query', 'path', 'header', 'cookie'].includes(String(part))).join(' ')}`;
    })
    .join('\n');
}

/** The first broken rule, or null when the answer is acceptable. */
export function brokenRule(res: RawResponse, context: RuleContext): string | null {
  if (res.status >= 500) return `answered ${res.status}: ${res.text.slice(0, 300)}`;
  const pathname = context.path.split('?')[0]!;
  const isDocument = res.status < 300 && DOCUMENT_PATHS.some((path) => pathname === path || pathname.startsWith(`${path}/`));
  if (res.status >= 400) {
    if (!String(res.headers['content-type']).startsWith('application/json')) return `a ${res.status} that is not JSON: ${res.headers['content-type']}`;
    const body = res.json as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Object.keys(body).join() !== 'detail') return `a ${res.status} without the {detail} shape: ${res.text.slice(0, 300)}`;
    const { detail } = body;
    const wellFormed = res.status === 422 ? isIssueList(detail) : typeof detail === 'string' && detail.length > 0;
    if (!wellFormed) return `a ${res.status} whose detail is not ${res.status === 422 ? 'the issue list' : 'a sentence'}: ${res.text.slice(0, 300)}`;
    for (const secret of context.secrets) if (secret && res.text.includes(secret)) return `a ${res.status} repeating a secret or token`;
  }
  if (isDocument) return null;
  const text = ownText(res);
  // A success may echo what the client stored (a plan named "../etc/passwd", an audit entry with
  // its address): there only a stack trace is out of place.
  for (const [what, pattern] of res.status < 300 ? LEAKS.slice(0, 1) : LEAKS) {
    const found = pattern.exec(text);
    if (found) return `${what} in a ${res.status} body ("${found[0]}"): ${res.text.slice(0, 300)}`;
  }
  return null;
}
