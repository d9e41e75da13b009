import { NotFoundError } from '../../shared/errors';
import type { Page, PageRequest } from '../../shared/pagination';
import type { NewPlan, Plan, PlanChanges, PlanRepository } from './plans.repository';

/** Use cases of the plan catalogue. */
export class PlanService {
  private readonly planRepository: PlanRepository;

  constructor({ planRepository }: { planRepository: PlanRepository }) {
    this.planRepository = planRepository;
  }

  listActive(page: PageRequest): Promise<Page<Plan>> {
    return this.planRepository.list(page, { activeOnly: true });
  }

  async get(id: string): Promise<Plan> {
    const plan = await this.planRepository.findById(id);
    if (!plan) throw new NotFoundError('Plan');
    return plan;
  }

  create(plan: NewPlan): Promise<Plan> {
    return this.planRepository.create(plan);
  }

  async update(id: string, changes: PlanChanges): Promise<Plan> {
    const plan = await this.planRepository.update(id, changes);
    if (!plan) throw new NotFoundError('Plan');
    return plan;
  }

  async delete(id: string): Promise<void> {
    if (!(await this.planRepository.delete(id))) throw new NotFoundError('Plan');
  }
}
