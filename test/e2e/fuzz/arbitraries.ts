import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { JsonSchema, Operation } from './operations';

/**
 * Generators of hostile requests for one operation of the OpenAPI document: bodies shaped like
 * the schema but with wrong values, bodies of any shape, broken JSON, huge and deep input, NUL and
 * lone surrogates, odd content types, charsets and encodings, bad path and query parameters and
 * bad headers. Credentials are only named here (`auth`); the test fills in real ones.
 */
export type AuthMode = 'none' | 'valid' | 'valid-cookie' | 'garbage-bearer' | 'garbage-scheme' | 'garbage-cookie' | 'valid-with-tail';

export interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: Buffer;
  readonly auth: AuthMode;
}

/** Ids the test knows exist (an admin, a plan, the session), so some requests reach the handlers. */
export interface KnownIds {
  readonly ids: string[];
}

// Header values Node will put on the wire: tab, visible ASCII and latin-1 (no CR, LF or NUL).
const headerText = (maxLength: number) =>
  fc
    .array(fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0xa0, max: 0xff }), fc.constant(0x09)), { maxLength })
    .map((codes) => String.fromCharCode(...codes));

const nastyStrings = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff\ud800',
  '\ufeff',
  '\u202e',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  'Ω≈ç√',
  '%00',
  '%',
  '%zz',
  '../../etc/passwd',
  "' OR 1=1 --",
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  '9'.repeat(400),
  '-1',
  '1e309',
  'NaN',
  'true',
  'null',
);

const anyText = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 3, arbitrary: nastyStrings },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 20_000 }).map((n) => 'x'.repeat(n)) },
);

const anyNumber = fc.oneof(
  fc.integer(),
  fc.constantFrom(0, -1, 2 ** 31, 2 ** 53 + 2, -(2 ** 63), 1e308, -1e-308, 0.5),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

const anyValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    anyText,
    anyNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(anyText, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** A value of the schema's type where possible (so validation sometimes passes), else anything. */
function valueFor(schema: JsonSchema): fc.Arbitrary<unknown> {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      return fc.oneof(anyText, fc.emailAddress(), fc.uuid(), fc.constant('correct-horse-9'));
    case 'integer':
      return fc.oneof(fc.integer({ min: -5, max: 5000 }), anyNumber);
    case 'number':
      return anyNumber;
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(schema.items ? valueFor(schema.items) : anyValue, { maxLength: 5 });
    case 'object':
      return schema.properties ? shapedLike(schema) : fc.dictionary(anyText, anyValue, { maxKeys: 3 });
    default:
      return anyValue;
  }
}

/** An object with some of the schema's own keys, each holding a well- or ill-typed value, plus maybe a stranger. */
function shapedLike(schema: JsonSchema): fc.Arbitrary<Record<string, unknown>> {
  const properties = Object.entries(schema.properties ?? {});
  if (properties.length === 0) return fc.dictionary(anyText, anyValue, { maxKeys: 3 });
  const fields = Object.fromEntries(properties.map(([name, child]) => [name, fc.oneof(valueFor(child), anyValue)]));
  return fc
    .tuple(fc.record(fields, { requiredKeys: [] }), fc.option(fc.tuple(anyText, anyValue), { nil: undefined }))
    .map(([object, extra]) => (extra ? { ...object, [extra[0]]: extra[1] } : object));
}

const deepNesting = fc.integer({ min: 100, max: 20_000 }).chain((depth) =>
  fc.constantFrom(`${'['.repeat(depth)}${']'.repeat(depth)}`, `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
);

const brokenJson = fc.oneof(
  fc.constantFrom('{', '{"a":', '{"a":1,}', "{'a':1}", '[1,2', '{"a":1}{"b":2}', 'undefined', 'NaN', '\ufeff{}', '{"a":"\\ud800"}', '{"a":"\\u0000"}', '{"__proto__":{"admin":true}}', '{"a":1,"a":2}', '1e99999'),
  fc.string({ unit: 'binary', maxLength: 64 }),
);

/** The bytes of a body (before any Content-Encoding) for an operation. */
function bodyText(operation: Operation): fc.Arbitrary<string | undefined> {
  const shaped = operation.body ? shapedLike(operation.body.properties ? operation.body : { type: 'object', properties: {} }) : anyValue;
  return fc.oneof(
    { weight: 6, arbitrary: shaped.map((value) => JSON.stringify(value)) },
    { weight: 2, arbitrary: anyValue.map((value) => JSON.stringify(value) ?? 'null') },
    { weight: 2, arbitrary: brokenJson },
    { weight: 1, arbitrary: deepNesting },
    { weight: 1, arbitrary: fc.integer({ min: 90_000, max: 300_000 }).map((n) => JSON.stringify({ login: 'x'.repeat(n) })) },
    { weight: 2, arbitrary: fc.constant(undefined) },
  );
}

type Encoding = 'none' | 'identity' | 'gzip' | 'deflate' | 'gzip-label-only' | 'br' | 'zstd' | 'list' | 'unknown';
const encodings = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<Encoding>('none', 'identity', 'gzip', 'deflate') },
  { weight: 1, arbitrary: fc.constantFrom<Encoding>('gzip-label-only', 'br', 'zstd', 'list', 'unknown') },
);

function encode(text: string, encoding: Encoding): { bytes: Buffer; header?: string } {
  const raw = Buffer.from(text, 'utf8');
  switch (encoding) {
    case 'none':
      return { bytes: raw };
    case 'identity':
      return { bytes: raw, header: 'identity' };
    case 'gzip':
      return { bytes: gzipSync(raw), header: 'gzip' };
    case 'deflate':
      return { bytes: deflateSync(raw), header: 'deflate' };
    case 'gzip-label-only':
      return { bytes: raw, header: 'gzip' };
    case 'br':
      return { bytes: brotliCompressSync(raw), header: 'br' };
    case 'zstd':
      return { bytes: raw, header: 'zstd' };
    case 'list':
      return { bytes: gzipSync(raw), header: 'gzip, identity' };
    case 'unknown':
      return { bytes: raw, header: 'x-fuzz' };
  }
}

const contentTypes = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'Application/JSON; charset=UTF-8',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'application/json; charset=nonsense',
      'application/json;;;',
      'application/merge-patch+json',
      'text/plain',
      'text/json',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/octet-stream',
      '*/*',
      '',
    ),
  },
  { weight: 1, arbitrary: headerText(60) },
);

/** A path parameter: a known id, a uuid, or something that should never be one (escaped as a client would, or not). */
function pathValue(known: KnownIds): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...known.ids, 'github', 'telegram') },
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 3, arbitrary: anyText.map((text) => encodeURIComponent(text.replace(/[\ud800-\udfff]/g, 'x')) || 'x') },
    { weight: 2, arbitrary: fc.constantFrom('%', '%zz', '%E0%A4%A', '%C0%AF', '%00', '..', '%2e%2e', '%2F', '-1', '0', '99999999999999999999', 'null') },
  );
}

function queryString(operation: Operation): fc.Arbitrary<string> {
  const names = [...operation.queryParameters.map((p) => p.name), 'page', 'x'];
  const pair = fc.tuple(fc.constantFrom(...names), fc.oneof(anyNumber.map(String), anyText, fc.constantFrom('%', '%zz', '[]', 'a[b]=c')));
  const escape = (text: string) => encodeURIComponent(text.replace(/[\ud800-\udfff]/g, 'x'));
  return fc.oneof(
    fc.constant(''),
    fc.array(pair, { maxLength: 6 }).map((pairs) => (pairs.length ? `?${pairs.map(([n, v]) => `${n}=${escape(v)}`).join('&')}` : '')),
    fc.constantFrom('?', '?&&&', '?page', '?=1', '?page=%', '?page=1&page=2', `?${'a=1&'.repeat(100)}`, '?%zz=1'),
  );
}

const requestIds = fc.oneof(fc.constant(undefined), fc.uuid(), headerText(40), fc.constant('x'.repeat(2000)), fc.constant('../../..'));

const authModes = fc.constantFrom<AuthMode>('none', 'valid', 'valid', 'valid', 'valid-cookie', 'garbage-bearer', 'garbage-scheme', 'garbage-cookie', 'valid-with-tail');

const otherMethods = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS');

export function requestFor(operation: Operation, known: KnownIds): fc.Arbitrary<FuzzRequest & { garbage: string }> {
  const pathParams = fc.tuple(...operation.pathParameters.map(() => pathValue(known)));
  return fc
    .record({
      method: fc.oneof({ weight: 9, arbitrary: fc.constant(operation.method) }, { weight: 1, arbitrary: otherMethods }),
      params: operation.pathParameters.length ? pathParams : fc.constant([] as string[]),
      query: queryString(operation),
      body: bodyText(operation),
      encoding: encodings,
      // Mostly JSON, so that most bodies get past the media type check to validation and the handlers.
      contentType: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: contentTypes }),
      requestId: requestIds,
      auth: authModes,
      garbage: headerText(80),
      origin: fc.option(fc.constantFrom('http://admin.test', 'http://evil.test', 'null', ''), { nil: undefined }),
      accept: fc.option(fc.constantFrom('*/*', 'text/html', 'application/xml', ''), { nil: undefined }),
    })
    .map((r) => {
      let path = operation.path;
      operation.pathParameters.forEach((name, i) => (path = path.replace(`{${name}}`, r.params[i]!)));
      const headers: Record<string, string> = {};
      let body: Buffer | undefined;
      if (r.body !== undefined && r.method !== 'GET') {
        const encoded = encode(r.body, r.encoding);
        body = encoded.bytes;
        if (encoded.header) headers['Content-Encoding'] = encoded.header;
        headers['Content-Type'] = r.contentType ?? 'application/json';
      } else if (r.contentType !== undefined) {
        headers['Content-Type'] = r.contentType;
      }
      if (r.requestId !== undefined) headers['X-Request-ID'] = r.requestId;
      if (r.origin !== undefined) headers.Origin = r.origin;
      if (r.accept !== undefined) headers.Accept = r.accept;
      return { method: r.method, path: `${path}${r.query}`, headers, body, auth: r.auth, garbage: r.garbage };
    });
}

/**
 * The raw bytes of a request to the operation whose framing is broken where Node's parser must
 * refuse it: a chunk size that is not hexadecimal, a header name with a separator in it, both
 * Content-Length and Transfer-Encoding, an unknown transfer coding. `Connection: close` so that a
 * request the parser does accept ends the exchange rather than waiting for keep-alive.
 */
export function brokenFramingFor(operation: Operation, knownIds: string[]): fc.Arbitrary<string> {
  const path = operation.path.replace(/\{[^}]+\}/g, () => knownIds[0] ?? 'x');
  const head = `${operation.method} ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nConnection: close\r\n`;
  const notHex = fc
    .tuple(fc.constantFrom('g', 'z', '-', '+', 'x', '0x', ' ', '\t'), fc.string({ unit: 'binary-ascii', maxLength: 12 }))
    .map(([first, rest]) => `${first}${rest.replace(/[\r\n]/g, '')}`);
  const separator = fc.constantFrom(' ', '(', ')', '<', '>', '@', ',', ';', '\\', '"', '/', '[', ']', '?', '=', '{', '}', '\u007f');
  return fc.oneof(
    fc
      .tuple(fc.constantFrom('', '2\r\n{}\r\n'), notHex)
      .map(([first, size]) => `${head}Transfer-Encoding: chunked\r\n\r\n${first}${size}\r\n{}\r\n0\r\n\r\n`),
    separator.map((char) => `${head}X-Bad${char}Name: 1\r\nContent-Length: 2\r\n\r\n{}`),
    fc.constant(`${head}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`),
    fc.constantFrom('gzip', 'chunked, gzip', 'identity', 'x').map((coding) => `${head}Transfer-Encoding: ${coding}\r\n\r\n{}`),
    fc.constantFrom('Content-Length: -1', 'Content-Length: 2, 3', 'Content-Length: 0x2').map((header) => `${head}${header}\r\n\r\n{}`),
  );
}
