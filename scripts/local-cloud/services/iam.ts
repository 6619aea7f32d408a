import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IamAuthorizer } from '../iam/authorizer.ts';
import { LocalService, replyJson } from './local-endpoint.ts';

/**
 * The local cloud's IAM, as a developer reads it: `GET /unused-grants` lists, per role, the actions its
 * policies grant that no call of this run used (a grant wider than the code needs). Not AWS's IAM API.
 */
export class LocalIamReport extends LocalService {
  private readonly authorizer: IamAuthorizer;

  constructor(iam: IamAuthorizer) {
    super();
    this.authorizer = iam;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.resume();
    if (req.method !== 'GET' || new URL(req.url ?? '/', 'http://local').pathname !== '/unused-grants') {
      return replyJson(res, 404, { message: 'GET /unused-grants is what this endpoint answers' }, 'application/json');
    }
    replyJson(res, 200, { mode: this.authorizer.mode, unusedGrants: this.authorizer.unusedGrants() }, 'application/json');
  }
}
