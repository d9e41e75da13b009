import { expect } from 'chai';
import { escapeHtml, templates } from '../../../src/modules/notifications/templates';

describe('notification templates', () => {
  it('when a value holds HTML, then it is escaped and only our markup remains', () => {
    expect(escapeHtml('<b>"a" & b</b>')).to.equal('&lt;b&gt;&quot;a&quot; &amp; b&lt;/b&gt;');
    expect(templates.subscriptionExpired({ username: '<script>' })).to.contain('<b>&lt;script&gt;</b>');
    expect(templates.nodeConnectionLost({ nodeName: 'a&b' })).to.contain('<b>a&amp;b</b>');
    expect(templates.nodeConnectionRestored({ nodeName: 'n1' })).to.contain('<b>n1</b>');
  });

  it('when an expiry reminder knows the date, the reminder name or neither, then it says what it knows', () => {
    expect(templates.subscriptionExpiring({ username: 'u', expireAt: '2026-12-01T10:30:00.000Z' })).to.contain('on 2026-12-01 10:30 UTC');
    expect(templates.subscriptionExpiring({ username: 'u', expiration: '72h' })).to.contain('(72h)');
    expect(templates.subscriptionExpiring({ username: 'u' })).to.contain('expires soon');
    expect(templates.subscriptionExpiring({ username: 'u', expireAt: 'not a date' })).to.contain('on not a date');
  });
});
