/**
 * `npx cdk synth` / `npx cdk deploy`. The context keys (cdk.json or `-c key=value`) are read and
 * validated in app-context.ts and listed in infra/README.md.
 */
import { App } from 'aws-cdk-lib';
import { buildApp } from './build-app';

buildApp(new App());
