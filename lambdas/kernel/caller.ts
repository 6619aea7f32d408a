/** Who calls: the principal a verified token names, and its role (see use-cases/access.ts for what each may do). */
export type Role = 'customer' | 'operator';

export interface Caller {
  /** Who the token names: the customer's id, or the operator's user name. */
  readonly principal: string;
  readonly role: Role;
}
