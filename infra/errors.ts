/** Base of the CDK app's errors (a construct given props it cannot deploy). */
export class InfraError extends Error {
  override name = 'InfraError';
}
