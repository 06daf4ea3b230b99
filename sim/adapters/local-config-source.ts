/**
 * A fixed configuration for the embedded runtime and tests.
 *
 * @module
 */
import type { AutoscalerConfig } from '../../shared/domain/config.ts';
import type { ConfigSource } from '../../shared/ports/index.ts';

/** Serves one validated configuration and optional per-pool user-data. */
export class StaticConfigSource implements ConfigSource {
  public constructor(
    private readonly config: AutoscalerConfig,
    private readonly userData: (pool: string) => string | undefined = () => undefined,
  ) {}

  public async getConfig(): Promise<AutoscalerConfig> {
    return this.config;
  }

  public async getUserData(pool: string): Promise<string | undefined> {
    return this.userData(pool);
  }
}
