import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { ACCEPTED_CONTENT_ENCODINGS } from '../../../src/http/input-limits';
import { createEdgeApp, CREDENTIAL_PATH, WEBHOOK_PATH, type EdgeApp } from './edge-app';
import { listen, sendRaw } from './raw-http';

const JSON_BODY = '{"login":"alice"}';
const BROKEN_ENCODING = { detail: 'Body does not match its Content-Encoding' };
const UNACCEPTED_ENCODING = { detail: 'Content-Encoding must be identity, gzip or deflate' };

describe('HTTP edge: content encodings of request bodies', function () {
  this.timeout(30_000);
  let t: EdgeApp;
  let server: Awaited<ReturnType<typeof listen>>;
  before(async () => {
    t = await createEdgeApp({ BODY_LIMIT: '1kb' });
    server = await listen(t.edgeApp);
  });
  beforeEach(() => t.reset());
  after(async () => {
    await server.close();
    await t.close();
  });

  const post = async (path: string, encoding: string, body: Buffer | string, type = 'application/json') => {
    const res = await sendRaw(server.port, { method: 'POST', path, headers: { 'Content-Type': type, 'Content-Encoding': encoding }, body });
    return { status: res.status, type: res.headers['content-type']?.split(';')[0], body: res.json };
  };

  it('accepts exactly identity, gzip and deflate (what README documents)', () => {
    expect([...ACCEPTED_CONTENT_ENCODINGS]).to.deep.equal(['identity', 'gzip', 'deflate']);
  });

  for (const [encoding, encode] of [
    ['identity', (s: string) => Buffer.from(s)],
    ['gzip', (s: string) => gzipSync(s)],
    ['deflate', (s: string) => deflateSync(s)],
    ['GZip', (s: string) => gzipSync(s)],
  ] as const) {
    it(`when a JSON body is sent with Content-Encoding: ${encoding}, then the route gets the decoded body`, async () => {
      const res = await post(CREDENTIAL_PATH, encoding, encode(JSON_BODY));
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ ok: true });
    });
  }

  for (const [label, encoding, body] of [
    ['plain JSON labelled gzip', 'gzip', Buffer.from(JSON_BODY)],
    ['a truncated gzip stream', 'gzip', gzipSync(JSON_BODY).subarray(0, 12)],
    ['gzip with a corrupted trailer', 'gzip', corruptTrailer(gzipSync(JSON_BODY))],
    ['plain JSON labelled deflate', 'deflate', Buffer.from(JSON_BODY)],
  ] as const) {
    it(`when the body is ${label}, then it is 400 in our shape, not a 500`, async () => {
      const res = await post(CREDENTIAL_PATH, encoding, body);
      expect(res.status).to.equal(400);
      expect(res.type).to.equal('application/json');
      expect(res.body).to.deep.equal(BROKEN_ENCODING);
    });
  }

  for (const [encoding, body] of [
    ['br', brotliCompressSync(JSON_BODY)],
    ['br', Buffer.from(JSON_BODY)],
    ['zstd', Buffer.from(JSON_BODY)],
    ['compress', Buffer.from(JSON_BODY)],
    ['gzip, gzip', gzipSync(gzipSync(JSON_BODY))],
    ['x-made-up', Buffer.from(JSON_BODY)],
  ] as const) {
    it(`when the body is sent with Content-Encoding: ${encoding}, then it is 415 naming what is accepted`, async () => {
      const res = await post(CREDENTIAL_PATH, encoding, body);
      expect(res.status).to.equal(415);
      expect(res.type).to.equal('application/json');
      expect(res.body).to.deep.equal(UNACCEPTED_ENCODING);
    });
  }

  it('when an unaccepted encoding comes with a non-JSON body, then the encoding is what is refused (one rule for every body)', async () => {
    const res = await post(CREDENTIAL_PATH, 'br', 'login=x', 'text/plain');
    expect(res.status).to.equal(415);
    expect(res.body).to.deep.equal(UNACCEPTED_ENCODING);
  });

  it('when a request has no body, then its Content-Encoding header does not matter', async () => {
    const res = await t.http.get('/health').set('Content-Encoding', 'br');
    expect(res.status).to.equal(200);
  });

  for (const [encoding, encode] of [
    ['gzip', gzipSync],
    ['deflate', deflateSync],
  ] as const) {
    it(`when a small ${encoding} body inflates beyond BODY_LIMIT, then it is 413 (the limit counts decoded bytes)`, async () => {
      const bomb = encode(`{"login":"${'a'.repeat(1_000_000)}"}`);
      expect(bomb.length).to.be.below(2048);
      const res = await post(CREDENTIAL_PATH, encoding, bomb);
      expect(res.status).to.equal(413);
      expect(res.body).to.deep.equal({ detail: 'Payload too large' });
    });
  }

  describe('on webhook routes (raw body kept for the signature)', () => {
    it('when the body is gzip, then the handler sees the decoded bytes', async () => {
      const raw = '{"update_id": 1,  "payload":{"b":2,"a":1}}';
      const res = await post(WEBHOOK_PATH, 'gzip', gzipSync(raw));
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ raw });
    });

    it('when the gzip is broken, then it is the same 400', async () => {
      const res = await post(WEBHOOK_PATH, 'gzip', Buffer.from('{"update_id":1}'));
      expect(res.status).to.equal(400);
      expect(res.body).to.deep.equal(BROKEN_ENCODING);
    });

    it('when the encoding is not accepted, then it is the same 415', async () => {
      const res = await post(WEBHOOK_PATH, 'br', brotliCompressSync('{"update_id":1}'));
      expect(res.status).to.equal(415);
      expect(res.body).to.deep.equal(UNACCEPTED_ENCODING);
    });
  });

  it('when a route declares no body but gets a broken gzip JSON body, then it is the same 400', async () => {
    const res = await post('/api/v1/auth/logout', 'gzip', '{}');
    expect(res.status).to.equal(400);
    expect(res.body).to.deep.equal(BROKEN_ENCODING);
  });
});

/** A gzip stream whose CRC no longer matches its content. */
function corruptTrailer(gzip: Buffer): Buffer {
  const copy = Buffer.from(gzip);
  copy[copy.length - 8] = copy[copy.length - 8]! ^ 0xff;
  return copy;
}
