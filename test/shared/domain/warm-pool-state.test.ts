import { describe, expect, it } from 'vitest';
import { PoolConfigSchema, warmPoolStateOf } from '../../../shared/domain/config.ts';

describe('Function: warmPoolStateOf', () => {
  it.each([
    { spot: false, state: 'stopped', expected: 'stopped' },
    { spot: false, state: 'hibernated', expected: 'hibernated' },
    { spot: false, state: 'none', expected: 'none' },
    { spot: true, state: 'stopped', expected: 'none' },
    { spot: true, state: 'hibernated', expected: 'none' },
    { spot: true, state: 'none', expected: 'none' },
  ] as const)('spot=$spot, warmPool.state=$state → $expected', ({ spot, state, expected }) => {
    // Prepare
    const pool = PoolConfigSchema.parse({ name: 'p', spot, warmPool: { state } });

    // Act / Assess
    expect(warmPoolStateOf(pool)).toBe(expected);
  });

  it("keeps the default pool's warm pool on (stopped)", () => {
    // Act / Assess
    expect(warmPoolStateOf(PoolConfigSchema.parse({ name: 'p' }))).toBe('stopped');
  });
});
