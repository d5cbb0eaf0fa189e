export * from './format';
export * from './exec-table';
