export { eventually } from '@eightfold/local-cloud';
