import { describe, expect, it } from 'vitest';
import { launchTemplatesByPool } from '../../lambdas/shared/dependencies.ts';
import { ConfigSourceError } from '../../shared/errors.ts';

describe('Function: launchTemplatesByPool (LAUNCH_TEMPLATE_IDS)', () => {
  it('reads pool=launch-template-id pairs', () => {
    // Act / Assess
    expect(launchTemplatesByPool('default=lt-0a, warm = lt-0b')).toEqual({ default: { id: 'lt-0a' }, warm: { id: 'lt-0b' } });
  });

  it('reads an absent or empty variable as no per-pool templates', () => {
    // Act / Assess
    expect(launchTemplatesByPool(undefined)).toEqual({});
    expect(launchTemplatesByPool('')).toEqual({});
  });

  it.each(['lt-0a', 'warm=', '=lt-0a', 'warm=lt-0a=x'])('refuses %j naming the variable', (value) => {
    // Act / Assess
    expect(() => launchTemplatesByPool(value)).toThrow(ConfigSourceError);
    expect(() => launchTemplatesByPool(value)).toThrow(/LAUNCH_TEMPLATE_IDS/);
  });
});
