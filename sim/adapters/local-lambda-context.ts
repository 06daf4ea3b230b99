/**
 * A Lambda context for invoking handlers outside Lambda (embedded runtime, tests).
 *
 * @module
 */
import type { Context } from 'aws-lambda';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './local-event-bus.ts';

/**
 * A context good enough for Powertools: the logger reads the function's name and ARN,
 * idempotency reads the remaining time (a 30 s budget here) to expire in-progress records.
 *
 * @param functionName - e.g. `room-events`
 * @param requestId - the invocation's request id
 */
export function localLambdaContext(functionName: string, requestId = `req-${functionName}`): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
