import type { Provisioner } from './types.ts';
import { arn, localId, physicalName } from './types.ts';

/** `AWS::Cognito::UserPool`: an issuer of the local identity provider; its ProviderURL is the issuer's local URL. */
export const provisionUserPool: Provisioner = async (resource, services) => {
  const id = `${services.region}_${localId(resource, 9)}`;
  services.identity.addPool(id);
  return {
    ref: id,
    attributes: {
      Arn: arn(services, 'cognito-idp', `userpool/${id}`),
      ProviderName: `cognito-idp.${services.region}.amazonaws.com/${id}`,
      ProviderURL: services.identity.issuerOf(id),
      UserPoolId: id,
    },
  };
};

/** `AWS::Cognito::UserPoolClient`: a client id its pool's tokens may name (`client_id`). */
export const provisionUserPoolClient: Provisioner = async (resource, services) => {
  const id = localId(resource, 26);
  services.identity.addClient(String(resource.properties.UserPoolId), id);
  return { ref: id, attributes: { ClientId: id, Name: resource.properties.ClientName ?? id } };
};

/** `AWS::Cognito::UserPoolGroup`: a group its pool's tokens may list (`cognito:groups`). */
export const provisionUserPoolGroup: Provisioner = async (resource, services) => {
  const name: string = resource.properties.GroupName ?? physicalName(resource, 128);
  services.identity.addGroup(String(resource.properties.UserPoolId), name);
  return { ref: name, attributes: {} };
};
