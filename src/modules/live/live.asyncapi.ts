import { LIVE_TOPICS } from './live-topics';
import { CLOSE_CODES, MAX_MALFORMED_FRAMES } from './live-client';
import { MONITORING_PATH } from './live-gateway';
import { WS_TICKET_TTL_SECONDS } from './ws-tickets';

const topicsSchema = { type: 'array', items: { type: 'string', enum: [...LIVE_TOPICS] } };

/**
 * The monitoring socket's messages as an AsyncAPI 3.0 document (GET /asyncapi.json), beside the
 * OpenAPI document that describes the ticket route: OpenAPI has no words for server pushes.
 */
export function buildAsyncApiDocument(version: string): Record<string, unknown> {
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'CyberVPN live monitoring',
      version,
      description: [
        `1. \`POST /api/v1/ws/ticket\` (any admin or API key) answers \`{ticket, expires_in: ${WS_TICKET_TTL_SECONDS}}\`: single use, ${WS_TICKET_TTL_SECONDS} s.`,
        `2. \`GET ${MONITORING_PATH}?ticket=...\` upgrades. Refused before the upgrade, as HTTP with \`{"detail": ...}\`: 401 bad, spent or expired ticket;`,
        '   403 an Origin not in CORS_ORIGINS (no Origin: allowed); 429 too many sockets of this session or key (WS_MAX_CONNECTIONS_PER_ADMIN per API process); 503 shutting down.',
        '3. Send `subscribe`; the answer is `available_topics`; then `event` messages of the subscribed topics arrive.',
        `Close codes: ${CLOSE_CODES.goingAway} server shutting down; ${CLOSE_CODES.policyViolation} after ${MAX_MALFORMED_FRAMES} malformed messages;`,
        `${CLOSE_CODES.tryAgainLater} the client fell behind (WS_MAX_BUFFERED_BYTES); ${CLOSE_CODES.accessRevoked} the admin was deactivated or the session or key revoked.`,
        'Peers that do not answer a ping (every WS_PING_INTERVAL) by the next one are terminated.',
      ].join('\n'),
    },
    servers: { api: { host: 'localhost:8000', protocol: 'ws', description: 'The API process itself (wss behind TLS)' } },
    channels: {
      monitoring: {
        address: `${MONITORING_PATH}?ticket={ticket}`,
        parameters: { ticket: { description: 'From POST /api/v1/ws/ticket' } },
        messages: {
          subscribe: {
            name: 'subscribe',
            payload: { type: 'object', required: ['type', 'topics'], properties: { type: { const: 'subscribe' }, topics: { ...topicsSchema, maxItems: 20 } } },
          },
          availableTopics: {
            name: 'available_topics',
            summary: "The answer to subscribe: what the caller's permissions allow, what it is subscribed to now, and what was refused",
            payload: {
              type: 'object',
              required: ['type', 'topics', 'subscribed', 'refused'],
              properties: {
                type: { const: 'available_topics' },
                topics: topicsSchema,
                subscribed: topicsSchema,
                refused: {
                  type: 'array',
                  items: { type: 'object', properties: { topic: { type: 'string' }, reason: { type: 'string', enum: ['unknown', 'forbidden'] } } },
                },
              },
            },
          },
          event: {
            name: 'event',
            summary: 'servers: server_read (node.status_changed, node.connection_lost, node.connection_restored); payments: payment_read (payment.completed, payment.failed); users: user_read (user.expired, user.expiration); system: monitoring_read (panel.unreachable, panel.restored); general: anyone',
            payload: {
              type: 'object',
              required: ['type', 'topic', 'data'],
              properties: {
                type: { const: 'event' },
                topic: { type: 'string', enum: [...LIVE_TOPICS] },
                data: { type: 'object', required: ['event', 'occurred_at'], properties: { event: { type: 'string' }, occurred_at: { type: 'string', format: 'date-time' } }, additionalProperties: true },
              },
            },
          },
          error: {
            name: 'error',
            payload: { type: 'object', required: ['type', 'detail'], properties: { type: { const: 'error' }, detail: { type: 'string' } } },
          },
        },
      },
    },
    operations: {
      sendSubscribe: { action: 'receive', channel: { $ref: '#/channels/monitoring' }, messages: [{ $ref: '#/channels/monitoring/messages/subscribe' }] },
      sendAnswers: {
        action: 'send',
        channel: { $ref: '#/channels/monitoring' },
        messages: [
          { $ref: '#/channels/monitoring/messages/availableTopics' },
          { $ref: '#/channels/monitoring/messages/event' },
          { $ref: '#/channels/monitoring/messages/error' },
        ],
      },
    },
  };
}
