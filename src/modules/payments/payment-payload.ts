/**
 * What a Crypto Pay invoice carries of ours: `payment:<payment uuid>`, written when the invoice is
 * made and given back in its webhook and by getInvoices. It is how a paid invoice whose id we never
 * recorded (the process died between Crypto Pay's answer and our update) still finds its payment.
 */
export const PAYMENT_PAYLOAD_PREFIX = 'payment:';
const PAYLOAD = /^payment:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

export const paymentPayload = (paymentId: string): string => `${PAYMENT_PAYLOAD_PREFIX}${paymentId}`;

export function paymentIdOf(payload: string | null | undefined): string | null {
  return (payload && PAYLOAD.exec(payload)?.[1]?.toLowerCase()) || null;
}
