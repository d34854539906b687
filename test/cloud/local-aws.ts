import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import {
  type AttributeValue,
  CreateTableCommand,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  TransactionCanceledException,
  type TransactWriteItem,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { IoTDataPlaneClient, type PublishCommandInput } from '@aws-sdk/client-iot-data-plane';
import {
  type DescribeExecutionCommandInput,
  ExecutionDoesNotExist,
  type ExecutionStatus,
  type ListExecutionsCommandInput,
  type SendTaskFailureCommandInput,
  type SendTaskHeartbeatCommandInput,
  type SendTaskSuccessCommandInput,
  SFNClient,
  type StopExecutionCommandInput,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Aedes } from 'aedes';
import { type AslExecutor, ExecutionApiError, TaskTokenError } from './asl-executor.ts';

const require = createRequire(import.meta.url);

/** Offline settings for SDK clients that only ever talk to loopback servers or to in-process stand-ins. */
const OFFLINE = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  maxAttempts: 1,
} as const;

/** An SDK middleware's short answer: the command's output, with no HTTP exchange behind it. */
const answered = <T>(output: T) => ({ output: { $metadata: {}, ...output }, response: {} });

/** A local DynamoDB: dynalite (the real DynamoDB API over loopback HTTP) with the labloop table created. */
export interface LocalDynamo {
  db: DynamoDBDocumentClient;
  table: string;
  endpoint: string;
  close(): Promise<void>;
}

type Key = Record<string, AttributeValue>;

/**
 * dynalite 4 has no `TransactWriteItems`: the client answers it here by applying the writes one by one with their
 * own conditions, undoing the applied ones when a later condition fails, and then failing with
 * `TransactionCanceledException` and its `CancellationReasons`, as DynamoDB does. All or nothing, but not isolated
 * from other writers; transactions themselves run one at a time. `ConditionCheck` items are refused.
 */
function answerTransactions(base: DynamoDBClient): void {
  let queue: Promise<unknown> = Promise.resolve();
  const run = async (items: TransactWriteItem[]) => {
    const applied: Array<{ table: string; key: Key; old: Key | undefined }> = [];
    for (const [i, item] of items.entries()) {
      try {
        if (item.Put) {
          const put = item.Put;
          const out = await base.send(new PutItemCommand({ ...put, ReturnValues: 'ALL_OLD' }));
          applied.push({
            table: put.TableName as string,
            key: { pk: put.Item?.pk as AttributeValue, sk: put.Item?.sk as AttributeValue },
            old: out.Attributes,
          });
        } else if (item.Update) {
          const out = await base.send(new UpdateItemCommand({ ...item.Update, ReturnValues: 'ALL_OLD' }));
          applied.push({
            table: item.Update.TableName as string,
            key: item.Update.Key as Key,
            old: out.Attributes,
          });
        } else if (item.Delete) {
          const out = await base.send(new DeleteItemCommand({ ...item.Delete, ReturnValues: 'ALL_OLD' }));
          applied.push({
            table: item.Delete.TableName as string,
            key: item.Delete.Key as Key,
            old: out.Attributes,
          });
        } else throw new Error('the local transaction shim does not answer ConditionCheck items');
      } catch (error) {
        for (const done of applied.reverse())
          if (done.old) await base.send(new PutItemCommand({ TableName: done.table, Item: done.old }));
          else await base.send(new DeleteItemCommand({ TableName: done.table, Key: done.key }));
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
        throw new TransactionCanceledException({
          message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${items.map((_, j) => (j === i ? 'ConditionalCheckFailed' : 'None')).join(', ')}]`,
          $metadata: {},
          CancellationReasons: items.map((_, j) =>
            j === i
              ? { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' }
              : { Code: 'None' },
          ),
        });
      }
    }
  };
  base.middlewareStack.add(
    (next) => async (args) => {
      const request = (args as { request?: { headers?: Record<string, string>; body?: unknown } }).request;
      if (!request?.headers?.['x-amz-target']?.endsWith('.TransactWriteItems')) return next(args);
      const body =
        request.body instanceof Uint8Array ? new TextDecoder().decode(request.body) : String(request.body);
      const { TransactItems } = JSON.parse(body) as { TransactItems: TransactWriteItem[] };
      const mine = queue.then(() => run(TransactItems));
      queue = mine.catch(() => undefined);
      await mine;
      return answered({}) as never;
    },
    { step: 'build', priority: 'low', name: 'localTransactWriteItems' },
  );
}

/**
 * Starts dynalite in a child process (a database server of its own, off the test's event loop) on a free loopback
 * port and creates the single labloop table (`pk`, `sk`; dynalite has no TTL).
 */
export async function startLocalDynamo(table = 'labloop'): Promise<LocalDynamo> {
  const server = spawn(
    process.execPath,
    [
      '-e',
      `require(${JSON.stringify(require.resolve('dynalite'))})({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
        .listen(0, '127.0.0.1', function () { console.log(this.address().port); });`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [line] = (await once(createInterface({ input: server.stdout as NodeJS.ReadableStream }), 'line')) as [
    string,
  ];
  const endpoint = `http://127.0.0.1:${Number(line)}`;
  const base = new DynamoDBClient({ ...OFFLINE, endpoint });
  answerTransactions(base);
  await base.send(
    new CreateTableCommand({
      TableName: table,
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return {
    db: DynamoDBDocumentClient.from(base),
    table,
    endpoint,
    async close() {
      base.destroy();
      const exited = once(server, 'exit');
      server.kill();
      await exited;
    },
  };
}

/** Every task-token call a function made, in order, with how it went. */
export interface TokenCall {
  command: 'SendTaskSuccess' | 'SendTaskFailure' | 'SendTaskHeartbeat';
  taskToken: string;
  result: 'sent' | 'TaskTimedOut';
}

/** `ListExecutions`, `StopExecution` and `DescribeExecution` answered by the executor, in the API's shapes. */
function answerExecutionCalls(executor: AslExecutor, command: string, input: Record<string, unknown>) {
  const dated = (e: ReturnType<AslExecutor['list']>[number]) => ({
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status as ExecutionStatus,
    startDate: new Date(e.startDate),
    ...(e.stopDate === undefined ? {} : { stopDate: new Date(e.stopDate) }),
  });
  try {
    if (command === 'ListExecutions') {
      const i = input as unknown as ListExecutionsCommandInput;
      return answered({
        executions: executor
          .list(String(i.stateMachineArn), i.statusFilter as Parameters<AslExecutor['list']>[1])
          .map(dated),
      });
    }
    if (command === 'StopExecution') {
      const i = input as unknown as StopExecutionCommandInput;
      const stopped = executor.stop(String(i.executionArn), i.error, i.cause);
      return answered({ stopDate: new Date(stopped.stopDate ?? 0) });
    }
    if (command === 'DescribeExecution') {
      const { summary } = executor.describe(
        String((input as unknown as DescribeExecutionCommandInput).executionArn),
      );
      return answered({ ...dated(summary), input: JSON.stringify(summary.input) });
    }
  } catch (error) {
    if (error instanceof ExecutionApiError && error.name === 'ExecutionDoesNotExist')
      throw new ExecutionDoesNotExist({ message: error.message, $metadata: {} });
    throw error;
  }
  return undefined;
}

/**
 * An `SFNClient` whose calls reach a local ASL executor instead of Step Functions: task-token calls (a token that
 * is no longer waiting answers `TaskTimedOut`, as Step Functions does; every one is recorded in `calls`), and
 * `ListExecutions`, `StopExecution` and `DescribeExecution`, so the functions' cores send real SDK commands.
 */
export function localStepFunctions(executor: () => AslExecutor): { sfn: SFNClient; calls: TokenCall[] } {
  const sfn = new SFNClient(OFFLINE);
  const calls: TokenCall[] = [];
  sfn.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      const name = String(context.commandName).replace(/Command$/, '');
      const execution = answerExecutionCalls(executor(), name, input);
      if (execution) return execution as never;
      const command = name as TokenCall['command'];
      const act = {
        SendTaskSuccess: () => {
          const i = input as unknown as SendTaskSuccessCommandInput;
          executor().sendTaskSuccess(String(i.taskToken), JSON.parse(String(i.output)));
        },
        SendTaskFailure: () => {
          const i = input as unknown as SendTaskFailureCommandInput;
          executor().sendTaskFailure(String(i.taskToken), String(i.error), i.cause);
        },
        SendTaskHeartbeat: () =>
          executor().sendTaskHeartbeat(String((input as unknown as SendTaskHeartbeatCommandInput).taskToken)),
      }[command];
      if (!act) return next(args);
      try {
        act();
        calls.push({ command, taskToken: String(input.taskToken), result: 'sent' });
      } catch (error) {
        if (!(error instanceof TaskTokenError)) throw error;
        calls.push({ command, taskToken: String(input.taskToken), result: 'TaskTimedOut' });
        throw new TaskTimedOut({ message: error.message, $metadata: {} });
      }
      return answered({}) as never;
    },
    { step: 'initialize', priority: 'high', name: 'localStepFunctions' },
  );
  return { sfn, calls };
}

/**
 * An `IoTDataPlaneClient` whose `Publish` goes to an in-process aedes broker, as IoT Core's data plane publishes
 * to its broker (MQTT 5 message expiry is dropped: aedes speaks MQTT 3.1.1; devices refuse expired commands by
 * their `deadline` anyway).
 */
export function localIotCore(aedes: Aedes): IoTDataPlaneClient {
  const iot = new IoTDataPlaneClient(OFFLINE);
  iot.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'PublishCommand') return next(args);
      const input = args.input as PublishCommandInput;
      await new Promise<void>((resolve, reject) =>
        aedes.publish(
          {
            cmd: 'publish',
            topic: String(input.topic),
            payload: Buffer.from(input.payload as Uint8Array),
            qos: (input.qos ?? 0) as 0 | 1,
            retain: input.retain ?? false,
            dup: false,
          },
          (error) => (error ? reject(error) : resolve()),
        ),
      );
      return answered({}) as never;
    },
    { step: 'initialize', priority: 'high', name: 'localIotCore' },
  );
  return iot;
}
