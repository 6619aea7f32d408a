import { App } from 'aws-cdk-lib';
import { defineEightfold } from '../lib/eightfold-app.ts';

defineEightfold(new App());
