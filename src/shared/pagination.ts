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

/** The last page reachable at a page size; a page size that failed validation is reported on its own. */
const lastPageAt = (pageSize: unknown): number =>
  Number.isInteger(pageSize) && (pageSize as number) >= 1 ? Math.floor(MAX_PAGE_DEPTH / (pageSize as number)) : MAX_PAGE_DEPTH;

export const pageQueryKeys = {
  page: Joi.number()
    .integer()
    .min(1)
    .max(Joi.ref('page_size', { adjust: lastPageAt }))
    .default(1)
    .messages({ 'number.max': `page * page_size must not exceed ${MAX_PAGE_DEPTH}; narrow the filters instead` })
    .description(`page * page_size must not exceed ${MAX_PAGE_DEPTH}`),
  page_size: Joi.number().integer().min(1).max(MAX_PAGE_SIZE).default(20),
};

export const pageSchema = (item: Joi.Schema) =>
  Joi.object({
    items: Joi.array().items(item).required(),
    total: Joi.number().integer().min(0).required(),
    page: Joi.number().integer().min(1).required(),
    page_size: Joi.number().integer().min(1).required(),
  });

export const offsetOf = ({ page, page_size }: PageRequest): number => (page - 1) * page_size;
