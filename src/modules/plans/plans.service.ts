import { NotFoundError } from '../../shared/errors';
import type { Page, PageRequest } from '../../shared/pagination';
import type { AuditService } from '../audit/audit.service';
import type { NewPlan, Plan, PlanChanges, PlanRepository } from './plans.repository';

/** Use cases of the plan catalogue; every change is audited with the plan before and after. */
export class PlanService {
  private readonly planRepository: PlanRepository;
  private readonly auditService: AuditService;

  constructor({ planRepository, auditService }: { planRepository: PlanRepository; auditService: AuditService }) {
    this.planRepository = planRepository;
    this.auditService = auditService;
  }

  listActive(page: PageRequest): Promise<Page<Plan>> {
    return this.planRepository.list(page, { activeOnly: true });
  }

  /** For manage_plans: inactive plans too. */
  listAll(page: PageRequest): Promise<Page<Plan>> {
    return this.planRepository.list(page, { activeOnly: false });
  }

  /** An inactive plan exists only for those who may manage plans: for anyone else it is not found. */
  async getVisible(id: string, { includeInactive }: { includeInactive: boolean }): Promise<Plan> {
    const plan = await this.planRepository.findById(id);
    if (!plan || (!plan.is_active && !includeInactive)) throw new NotFoundError('Plan');
    return plan;
  }

  async get(id: string): Promise<Plan> {
    const plan = await this.planRepository.findById(id);
    if (!plan) throw new NotFoundError('Plan');
    return plan;
  }

  async create(plan: NewPlan): Promise<Plan> {
    const created = await this.planRepository.create(plan);
    await this.auditService.record({ action: 'plan.created', entityType: 'plan', entityId: created.id, newValue: created });
    return created;
  }

  async update(id: string, changes: PlanChanges): Promise<Plan> {
    const before = await this.get(id);
    const plan = await this.planRepository.update(id, changes);
    if (!plan) throw new NotFoundError('Plan');
    await this.auditService.record({ action: 'plan.updated', entityType: 'plan', entityId: id, oldValue: before, newValue: plan });
    return plan;
  }

  async delete(id: string): Promise<void> {
    const before = await this.get(id);
    if (!(await this.planRepository.delete(id))) throw new NotFoundError('Plan');
    await this.auditService.record({ action: 'plan.deleted', entityType: 'plan', entityId: id, oldValue: before });
  }
}
