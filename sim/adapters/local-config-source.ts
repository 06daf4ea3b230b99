/**
 * A fixed configuration for the embedded runtime and tests.
 *
 * @module
 */
import type { AutoscalerConfig } from '../../shared/domain/config.ts';
import type { ConfigSource, PublicAddressing } from '../../shared/ports/index.ts';

/**
 * Serves one validated configuration, optional per-pool user-data and per-pool public
 * addressing (default `'elastic-ip'` for every pool, as node settings default).
 */
export class StaticConfigSource implements ConfigSource {
  public constructor(
    private readonly config: AutoscalerConfig,
    private readonly userData: (pool: string) => string | undefined = () => undefined,
    private readonly publicAddressing: (pool: string) => PublicAddressing = () => 'elastic-ip',
  ) {}

  public async getPublicAddressing(pool: string): Promise<PublicAddressing> {
    return this.publicAddressing(pool);
  }

  public async getConfig(): Promise<AutoscalerConfig> {
    return this.config;
  }

  public async getUserData(pool: string): Promise<string | undefined> {
    return this.userData(pool);
  }
}
