import { expect } from 'chai';
import { createTestApp, type TestApp } from '../../support/test-app';

/** Found by the edge fuzz test: a path parameter that is not valid percent-encoding answered 500. */
describe('HTTP edge: malformed percent-encoding in the URL', function () {
  this.timeout(30_000);
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  for (const path of ['/api/v1/plans/%zz', '/api/v1/plans/%E0%A4%A', '/api/v1/admins/%', '/api/v1/oauth/%C0%AF']) {
    it(`when a path parameter is not valid percent-encoding (${path}), then it is 422 on the path, not a 500`, async () => {
      const res = await t.http.delete(path);
      expect(res.status).to.equal(422);
      expect(res.body).to.deep.equal({
        detail: [{ loc: ['path'], msg: 'the path is not valid percent-encoded UTF-8', type: 'path.encoding' }],
      });
      expect(t.logs.entries.filter((entry) => entry.level === 'error')).to.deep.equal([]);
    });
  }

  it('when a query value is not valid percent-encoding, then it is validated as it is (422 on the parameter)', async () => {
    const res = await t.http.get('/api/v1/plans?page=%zz');
    expect(res.status).to.equal(422);
    expect(res.body.detail[0].loc).to.deep.equal(['query', 'page']);
  });
});
