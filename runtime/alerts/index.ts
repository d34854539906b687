export * from './alert-center.ts';
export * from './errors.ts';
export * from './web-push-notifier.ts';
export * from './webhook-notifier.ts';
