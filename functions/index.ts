export * from './device-event/core.ts';
export * from './dispatch-command/core.ts';
export * from './errors.ts';
export * from './shared/settle.ts';
export * from './shared/table.ts';
export * from './shared/task-payload.ts';
