/**
 * In-process DynamoDB for the embedded runtime and tests: dynalite (in-memory LevelDB) bound to
 * 127.0.0.1 on a free port, with the fleet and idempotency tables created from fleet-table.ts.
 *
 * @module
 */
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  waitUntilTableExists,
  waitUntilTableNotExists,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { fleetTableCreateInput, idempotencyTableCreateInput } from '../../shared/adapters/dynamodb/fleet-table.ts';

/** A running local DynamoDB. */
export interface LocalDynamoDb {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** A client pointed at it (dummy credentials). */
  readonly client: DynamoDBClient;
  readonly fleetTable: string;
  readonly idempotencyTable: string;
  /** Delete and re-create both tables: a fresh, empty store on the same endpoint. */
  reset(): Promise<void>;
  /** Stop the server and destroy the client. */
  close(): Promise<void>;
}

/** Client options for a local endpoint: dummy credentials, a fixed region, no retries' jitter. */
export function localClientConfig(endpoint: string) {
  return {
    endpoint,
    region: 'eu-central-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
  } as const;
}

/**
 * Create a table and wait until it (and its indexes) can be used.
 *
 * @returns the table's name
 * @throws when the table cannot be created or does not become ACTIVE within 30 s
 */
export async function createTable(client: DynamoDBClient, input: CreateTableCommandInput): Promise<string> {
  await client.send(new CreateTableCommand(input));
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: input.TableName });
  return input.TableName as string;
}

/**
 * Start dynalite on 127.0.0.1 (a free port) and create the tables.
 *
 * @param options.fleetTable - fleet table name (default `fleet`)
 * @param options.idempotencyTable - idempotency table name (default `idempotency`)
 * @throws when the server cannot listen or a table cannot be created
 * @example
 * const db = await startLocalDynamoDb();
 * try { … new DynamoDbFleetStore({ client: db.client, tableName: db.fleetTable }) … } finally { await db.close(); }
 */
export async function startLocalDynamoDb(options: { fleetTable?: string; idempotencyTable?: string } = {}): Promise<LocalDynamoDb> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient(localClientConfig(endpoint));
  const fleetTable = options.fleetTable ?? 'fleet';
  const idempotencyTable = options.idempotencyTable ?? 'idempotency';
  const inputs = [fleetTableCreateInput(fleetTable), idempotencyTableCreateInput(idempotencyTable)];
  const create = async () => {
    for (const input of inputs) await createTable(client, input);
  };
  await create();
  return {
    endpoint,
    client,
    fleetTable,
    idempotencyTable,
    reset: async () => {
      for (const input of inputs) {
        await client.send(new DeleteTableCommand({ TableName: input.TableName }));
        await waitUntilTableNotExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: input.TableName });
      }
      await create();
    },
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
