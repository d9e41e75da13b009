import { RequestValidationError } from '../../shared/errors';
import type { Plan } from '../plans/plans.repository';

/**
 * How a plan's price becomes a Crypto Pay invoice:
 * - the plan is priced in the asset asked for (plan currency USDT, asset USDT): a crypto invoice
 *   for the plan's price in that asset;
 * - the plan is priced in a fiat currency Crypto Pay knows (USD, EUR...): a fiat invoice for the
 *   price in that currency, payable in the asked asset only (`accepted_assets`), Crypto Pay doing
 *   the conversion at its rate when the invoice is paid;
 * - the plan is priced in another crypto asset: refused (422), there is no rate of ours to convert by.
 */
export const CRYPTO_PAY_FIAT_CURRENCIES: readonly string[] = ['USD', 'EUR', 'RUB', 'BYN', 'UAH', 'GBP', 'CNY', 'KZT', 'UZS', 'GEL', 'TRY', 'AMD', 'THB', 'INR', 'BRL', 'IDR', 'AZN', 'AED', 'PLN', 'ILS'];

export type InvoicePricing = { currencyType: 'crypto'; asset: string } | { currencyType: 'fiat'; fiat: string; acceptedAssets: string[] };

export const PRICING_DESCRIPTION =
  'A plan priced in the asset asked for gets a crypto invoice in that asset; a plan priced in a fiat currency Crypto Pay supports (USD, EUR...) gets a fiat invoice for its price, payable in the asked asset only (Crypto Pay converts at payment). A plan priced in another crypto asset, or a free plan, is refused with 422. `amount` is the plan price, in `currency`.';

export function invoicePricing(plan: Plan, asset: string): InvoicePricing {
  if (Number(plan.price) <= 0) {
    throw new RequestValidationError([{ loc: ['body', 'plan_id'], msg: 'plan_id must name a plan with a price above zero', type: 'any.invalid' }]);
  }
  if (plan.currency === asset) return { currencyType: 'crypto', asset };
  if (CRYPTO_PAY_FIAT_CURRENCIES.includes(plan.currency)) return { currencyType: 'fiat', fiat: plan.currency, acceptedAssets: [asset] };
  throw new RequestValidationError([{ loc: ['body', 'asset'], msg: `asset must be ${plan.currency}, the asset the plan is priced in`, type: 'any.only' }]);
}

/** A NUMERIC as text without trailing zeros: '4.99000000' -> '4.99', '5.00' -> '5'. */
export function decimalText(value: string): string {
  return value.includes('.') ? value.replace(/0+$/, '').replace(/\.$/, '') : value;
}
