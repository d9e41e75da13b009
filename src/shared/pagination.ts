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

export const pageQueryKeys = {
  page: Joi.number().integer().min(1).max(1_000_000).default(1),
  page_size: Joi.number().integer().min(1).max(100).default(20),
};

export const pageSchema = (item: Joi.Schema) =>
  Joi.object({
    items: Joi.array().items(item).required(),
    total: Joi.number().integer().min(0).required(),
    page: Joi.number().integer().min(1).required(),
    page_size: Joi.number().integer().min(1).required(),
  });

export const offsetOf = ({ page, page_size }: PageRequest): number => (page - 1) * page_size;
