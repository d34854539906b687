export * from './app.ts';
export * from './constructs/data-store.ts';
export * from './constructs/device-gateway.ts';
export * from './constructs/lambda-functions.ts';
export * from './constructs/workflows.ts';
export * from './errors.ts';
export * from './iot-policy.ts';
export * from './labloop-stack.ts';
