import Joi from 'joi';

/** The list contract of every collection endpoint: `?page=&page_size=` -> `{items,total,page,page_size}`. */
export interface PageRequest {
  page: number;
  page_size: number;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  page_size: number;
}

/**
 * How deep any list may page: page * page_size rows at most. Deeper, every request would make
 * PostgreSQL walk and skip that many rows (review S6); nobody reads a list that far, they filter.
 */
export const MAX_PAGE_DEPTH = 10_000;
const MAX_PAGE_SIZE = 100;
const DEFAULT_PAGE_SIZE = 20;
const DEPTH_EXCEEDED = `page * page_size must not exceed ${MAX_PAGE_DEPTH}; narrow the filters instead`;

/**
 * `page` against the sibling `page_size` as sent (a query string until it is validated itself);
 * a page size that is invalid is reported on its own, not here.
 */
const withinDepth = (page: number, helpers: Joi.CustomHelpers) => {
  const sent = (helpers.state.ancestors[0] as { page_size?: unknown }).page_size;
  const pageSize = sent === undefined ? DEFAULT_PAGE_SIZE : Number(sent);
  const validSize = Number.isInteger(pageSize) && pageSize >= 1 && pageSize <= MAX_PAGE_SIZE;
  // Beyond MAX_PAGE_DEPTH itself, the max rule has said so already.
  return validSize && page <= MAX_PAGE_DEPTH && page * pageSize > MAX_PAGE_DEPTH ? helpers.error('number.max', { limit: Math.floor(MAX_PAGE_DEPTH / pageSize) }) : page;
};

export const pageQueryKeys = {
  page: Joi.number()
    .integer()
    .min(1)
    .max(MAX_PAGE_DEPTH)
    .custom(withinDepth)
    .default(1)
    .messages({ 'number.max': DEPTH_EXCEEDED })
    .description(`page * page_size must not exceed ${MAX_PAGE_DEPTH}`),
  page_size: Joi.number().integer().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
};

export const pageSchema = (item: Joi.Schema) =>
  Joi.object({
    items: Joi.array().items(item).required(),
    total: Joi.number().integer().min(0).required(),
    page: Joi.number().integer().min(1).required(),
    page_size: Joi.number().integer().min(1).required(),
  });

export const offsetOf = ({ page, page_size }: PageRequest): number => (page - 1) * page_size;
