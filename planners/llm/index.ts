export * from './answer.ts';
export * from './chat.ts';
export * from './errors.ts';
export * from './prompt.ts';
