import Joi from 'joi';

/**
 * An ISO-8601 instant a filter may take: JavaScript dates reach ±275760 years, PostgreSQL's
 * timestamptz does not, so out-of-range values are refused here rather than failing in a query.
 */
export const instantSchema = Joi.date().iso().min('1970-01-01T00:00:00Z').max('9999-12-31T23:59:59Z');
