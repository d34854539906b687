import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AccessToken, ActionName, Principal, Role } from '../../contracts/index.ts';

const RANK: Record<Role, number> = { viewer: 0, operator: 1, approver: 2 };

/** The least role that may carry out each action. */
export const REQUIRED_ROLE: Record<ActionName | 'acknowledge', Role> = {
  pause: 'operator',
  'pause-now': 'operator',
  resume: 'operator',
  stop: 'operator',
  abort: 'operator',
  'emergency-stop': 'operator',
  acknowledge: 'operator',
  approve: 'approver',
  reject: 'approver',
};

/** Whether `role` may do `action` (roles are ordered: viewer < operator < approver). */
export function may(role: Role, action: ActionName | 'acknowledge'): boolean {
  return RANK[role] >= RANK[REQUIRED_ROLE[action]];
}

/** A fresh random token: 32 bytes from the OS's CSPRNG, base64url (43 characters). */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** One token per role, for a lab that was given none: `console` (approver), `operator`, `viewer`. */
export function defaultTokens(): AccessToken[] {
  return [
    { name: 'console', role: 'approver', token: generateToken() },
    { name: 'operator', role: 'operator', token: generateToken() },
    { name: 'viewer', role: 'viewer', token: generateToken() },
  ];
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * The tokens a dashboard server accepts. Only their SHA-256 digests are kept, compared in constant time, so a
 * token neither leaks through timing nor sits in memory dumps longer than needed.
 */
export class AccessList {
  private readonly entries: Array<{ digest: Buffer; principal: Principal }>;

  constructor(tokens: readonly AccessToken[]) {
    this.entries = tokens.map((t) => ({
      digest: digest(t.token),
      principal: { name: t.name, role: t.role },
    }));
  }

  /** The principal a presented token belongs to, or undefined. */
  authenticate(token: string | undefined): Principal | undefined {
    if (!token) return undefined;
    const presented = digest(token);
    let found: Principal | undefined;
    for (const entry of this.entries) if (timingSafeEqual(entry.digest, presented)) found = entry.principal;
    return found;
  }
}

/** `Authorization: Bearer <token>` → the token. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return match?.[1];
}
