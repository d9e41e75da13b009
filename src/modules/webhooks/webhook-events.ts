/**
 * What an accepted (signed, parsed) webhook is: an event this service acts on, with the key that
 * makes two deliveries of it the same event, or one it only records.
 */
export type WebhookSource = 'cryptobot' | 'remnawave';

export type ClassifiedWebhook =
  | { readonly handled: true; readonly eventType: string; readonly dedupeKey: string }
  | { readonly handled: false; readonly eventType: string | null };

export const REMNAWAVE_HANDLED_EVENTS = ['user.expired', 'user.expiration', 'node.connection_lost', 'node.connection_restored'] as const;
const HANDLED = new Set<string>(REMNAWAVE_HANDLED_EVENTS);

/** Event names are the sender's free text: kept short so a log row never stores an essay. */
const MAX_EVENT_TYPE_LENGTH = 100;
const eventName = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value.slice(0, MAX_EVENT_TYPE_LENGTH) : null);
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isIdentifier = (value: unknown): value is string | number =>
  (typeof value === 'string' && /^[A-Za-z0-9-]{1,64}$/.test(value)) || (typeof value === 'number' && Number.isSafeInteger(value));

/** Crypto Pay's `update_id` is not unique (a re-sent update may carry a new one): the invoice is the event. */
function classifyCryptoPay(body: Record<string, unknown>): ClassifiedWebhook {
  const eventType = eventName(body.update_type);
  const invoiceId = isRecord(body.payload) ? body.payload.invoice_id : undefined;
  if (eventType === 'invoice_paid' && isIdentifier(invoiceId)) return { handled: true, eventType, dedupeKey: String(invoiceId) };
  return { handled: false, eventType };
}

/**
 * Remnawave signs each event once and may deliver it again: the event, its entity and its
 * timestamp name it (and, for expiry reminders, which reminder it is).
 */
function classifyRemnawave(body: Record<string, unknown>): ClassifiedWebhook {
  const eventType = eventName(body.event);
  const entityId = isRecord(body.data) ? (body.data.uuid ?? body.data.id) : undefined;
  const timestamp = typeof body.timestamp === 'string' && !Number.isNaN(Date.parse(body.timestamp)) ? new Date(body.timestamp).toISOString() : null;
  if (!eventType || !HANDLED.has(eventType) || !isIdentifier(entityId) || !timestamp) return { handled: false, eventType };
  const expiration = isRecord(body.meta) && body.meta.expiration !== undefined ? `:${String(body.meta.expiration).slice(0, 40)}` : '';
  return { handled: true, eventType, dedupeKey: `${eventType}:${entityId}:${timestamp}${expiration}` };
}

export function classifyWebhook(source: WebhookSource, body: unknown): ClassifiedWebhook {
  if (!isRecord(body)) return { handled: false, eventType: null };
  return source === 'cryptobot' ? classifyCryptoPay(body) : classifyRemnawave(body);
}
