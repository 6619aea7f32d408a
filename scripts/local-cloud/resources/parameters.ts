import { generateSecretString } from '../services/parameters.ts';
import type { Provisioner } from './types.ts';
import { physicalName } from './types.ts';

/** `AWS::SSM::Parameter` (String, StringList): Ref is the name, as CloudFormation gives it. */
export const provisionParameter: Provisioner = async (resource, services) => {
  const p = resource.properties;
  const name: string = p.Name ?? `CFN-${physicalName(resource, 200)}`;
  services.parameters.putParameter(name, String(p.Value), String(p.Type ?? 'String'));
  return { ref: name, attributes: { Type: p.Type ?? 'String', Value: p.Value } };
};

/** `AWS::SecretsManager::Secret`: a given SecretString or a generated one; Ref is the ARN, as on AWS. */
export const provisionSecret: Provisioner = async (resource, services) => {
  const p = resource.properties;
  const name: string = p.Name ?? physicalName(resource, 200);
  const value = p.SecretString !== undefined ? String(p.SecretString) : generateSecretString(p.GenerateSecretString ?? {});
  const arn = services.parameters.putSecret(name, value);
  return { ref: arn, attributes: { Id: arn } };
};
