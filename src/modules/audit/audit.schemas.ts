import Joi from 'joi';
import { instantSchema } from '../../shared/instant';
import { pageQueryKeys, pageSchema } from '../../shared/pagination';

export const auditLogQuery = Joi.object({
  ...pageQueryKeys,
  admin_id: Joi.string().guid(),
  action: Joi.string().trim().min(1).max(100),
  entity_type: Joi.string().trim().min(1).max(100),
  from: instantSchema.description('Inclusive lower bound of created_at'),
  to: instantSchema
    .when('from', { is: Joi.exist(), then: Joi.date().min(Joi.ref('from')) })
    .description('Exclusive upper bound of created_at; not before `from`'),
});

export const auditEntrySchema = Joi.object({
  id: Joi.string().guid(),
  admin_id: Joi.string().guid().allow(null),
  api_key_id: Joi.string().guid().allow(null).description('The API key of a service that acted (admin_id is then null)'),
  action: Joi.string(),
  entity_type: Joi.string().allow(null),
  entity_id: Joi.string().allow(null),
  old_value: Joi.any().description('The entity before the change, secrets removed'),
  new_value: Joi.any().description('The entity after the change, secrets removed'),
  ip: Joi.string().allow(null),
  user_agent: Joi.string().allow(null),
  request_id: Joi.string().allow(null),
  job_id: Joi.string().allow(null).description('The worker job that made the change, when a job did'),
  created_at: Joi.date().iso(),
});

export const auditPageSchema = pageSchema(auditEntrySchema);
